//! `waas tx sign` and `waas erc20 transfer`: EVM transactions signed by the core.

use super::Outcome;
use clap::{Args, Subcommand};
use waas_core::error::err;
use waas_core::tx::{erc20_transfer_data, sign_fields, TxFields, U256};
use waas_core::{Address, Family, Registry};
use zeroize::Zeroizing;

/// The environment variable that holds the sender's private key (never an argument).
const KEY_VAR: &str = "WAAS_PRIVATE_KEY";

#[derive(Subcommand)]
pub enum TxCmd {
    /// Sign an EVM transaction with the key in WAAS_PRIVATE_KEY: prints `raw 0x...` and `hash 0x...`.
    Sign(SignArgs),
}

#[derive(Args)]
pub struct SignArgs {
    /// Blockchain id (see `waas chains`); its EVM chain id is used for replay protection.
    #[arg(long)]
    chain: String,
    /// The sender's account nonce.
    #[arg(long, allow_hyphen_values = true)]
    nonce: String,
    /// Recipient address (0x..., EIP-55 checked).
    #[arg(long)]
    to: String,
    /// Most gas the transaction may use.
    #[arg(long, allow_hyphen_values = true)]
    gas_limit: String,
    /// Native coin to send, in wei (a decimal integer up to 2^256 - 1).
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    value: String,
    /// Call data as hex (0x optional), e.g. from `waas erc20 transfer`.
    #[arg(long, default_value = "")]
    data: String,
    /// Legacy (EIP-155) transaction: gas price in wei.
    #[arg(long, allow_hyphen_values = true)]
    gas_price: Option<String>,
    /// EIP-1559 transaction: fee cap per gas in wei (with --max-priority-fee-per-gas).
    #[arg(long, allow_hyphen_values = true)]
    max_fee_per_gas: Option<String>,
    /// EIP-1559 transaction: priority fee per gas in wei (with --max-fee-per-gas).
    #[arg(long, allow_hyphen_values = true)]
    max_priority_fee_per_gas: Option<String>,
}

#[derive(Subcommand)]
pub enum Erc20Cmd {
    /// Print the call data of `transfer(to, amount)`: `0x...`.
    Transfer {
        /// Recipient address (0x..., EIP-55 checked).
        #[arg(long)]
        to: String,
        /// Amount in the token's base units (a decimal integer up to 2^256 - 1).
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
    },
}

pub fn sign(cmd: TxCmd, json: bool) -> Outcome {
    let TxCmd::Sign(args) = cmd;
    let registry = Registry::builtin();
    let chain = registry.chain(&args.chain)?;
    let key = private_key_from_env()?;
    let fields = TxFields {
        nonce: &args.nonce,
        to: &args.to,
        gas_limit: &args.gas_limit,
        value: Some(args.value.as_str()),
        data: Some(args.data.as_str()),
        gas_price: args.gas_price.as_deref(),
        max_fee_per_gas: args.max_fee_per_gas.as_deref(),
        max_priority_fee_per_gas: args.max_priority_fee_per_gas.as_deref(),
    };
    let signed = sign_fields(chain, &key, &fields)?;
    if json {
        return Ok(super::json_line(&serde_json::json!({
            "raw": signed.raw_hex(), "hash": signed.hash_hex(),
        })));
    }
    Ok(format!(
        "raw {}\nhash {}\n",
        signed.raw_hex(),
        signed.hash_hex()
    ))
}

pub fn erc20(cmd: Erc20Cmd, json: bool) -> Outcome {
    match cmd {
        Erc20Cmd::Transfer { to, amount } => {
            let to = Address::parse(Family::Evm, to.trim())?;
            let data = format!(
                "0x{}",
                hex_of(&erc20_transfer_data(&to, &wei("--amount", &amount)?)?)
            );
            if json {
                return Ok(super::json_line(&serde_json::json!({"data": data})));
            }
            Ok(format!("{data}\n"))
        }
    }
}

/// A wei amount: a decimal integer up to 2^256 - 1 (INVALID_AMOUNT otherwise).
fn wei(flag: &str, text: &str) -> Result<U256, waas_core::Error> {
    U256::parse_decimal(text.trim())
        .map_err(|e| waas_core::Error::new(e.code(), format!("{flag}: {}", e.message())))
}

/// The private key from WAAS_PRIVATE_KEY, held in memory that is zeroized on drop.
fn private_key_from_env() -> Result<Zeroizing<String>, waas_core::Error> {
    match std::env::var(KEY_VAR) {
        Ok(key) if !key.trim().is_empty() => Ok(Zeroizing::new(key)),
        Ok(_) | Err(std::env::VarError::NotPresent) => Err(err::missing_key(format!(
            "set {KEY_VAR} to the sender's private key (64 hex digits); it is never taken from an argument"
        ))),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(err::invalid_key(format!("{KEY_VAR} is not valid UTF-8")))
        }
    }
}

fn hex_of(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
