//! `waas tx sign` and `waas erc20 transfer`: EVM transactions signed by the core.

use super::Outcome;
use clap::{Args, Subcommand};
use waas_core::error::err;
use waas_core::tx::{
    erc20_transfer_data, evm_chain_id, parse_hex_data, signing_key_from_hex, Fees, Transaction,
    U256,
};
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

pub fn sign(cmd: TxCmd) -> Outcome {
    let TxCmd::Sign(args) = cmd;
    let registry = Registry::builtin();
    let chain = registry.chain(&args.chain)?;
    let chain_id = evm_chain_id(chain)?;
    let fees = fees(
        args.gas_price.as_deref(),
        args.max_fee_per_gas.as_deref(),
        args.max_priority_fee_per_gas.as_deref(),
    )?;
    let tx = Transaction {
        chain_id,
        nonce: integer("--nonce", &args.nonce)?,
        to: Some(Address::parse(chain.family, args.to.trim())?),
        value: wei("--value", &args.value)?,
        gas_limit: integer("--gas-limit", &args.gas_limit)?,
        data: parse_hex_data(args.data.trim())?,
        fees,
    };
    tx.validate()?;
    let key = signing_key_from_hex(&private_key_from_env()?)?;
    let signed = tx.sign(&key)?;
    Ok(format!(
        "raw {}\nhash {}\n",
        signed.raw_hex(),
        signed.hash_hex()
    ))
}

pub fn erc20(cmd: Erc20Cmd) -> Outcome {
    match cmd {
        Erc20Cmd::Transfer { to, amount } => {
            let to = Address::parse(Family::Evm, to.trim())?;
            let data = erc20_transfer_data(&to, &wei("--amount", &amount)?)?;
            Ok(format!("0x{}\n", hex_of(&data)))
        }
    }
}

/// Legacy with --gas-price, or EIP-1559 with both other fee flags; anything else is refused.
fn fees(
    gas_price: Option<&str>,
    max_fee: Option<&str>,
    tip: Option<&str>,
) -> Result<Fees, waas_core::Error> {
    match (gas_price, max_fee, tip) {
        (Some(price), None, None) => Ok(Fees::Legacy {
            gas_price: wei("--gas-price", price)?,
        }),
        (None, Some(cap), Some(tip)) => Ok(Fees::Eip1559 {
            max_fee_per_gas: wei("--max-fee-per-gas", cap)?,
            max_priority_fee_per_gas: wei("--max-priority-fee-per-gas", tip)?,
        }),
        (Some(_), _, _) => Err(err::invalid_argument(
            "give either --gas-price (legacy) or --max-fee-per-gas with \
             --max-priority-fee-per-gas (EIP-1559), not both",
        )),
        (None, None, None) => Err(err::invalid_argument(
            "give --gas-price (legacy) or --max-fee-per-gas and --max-priority-fee-per-gas (EIP-1559)",
        )),
        (None, _, _) => Err(err::invalid_argument(
            "--max-fee-per-gas and --max-priority-fee-per-gas go together",
        )),
    }
}

/// A wei amount: a decimal integer up to 2^256 - 1 (INVALID_AMOUNT otherwise).
fn wei(flag: &str, text: &str) -> Result<U256, waas_core::Error> {
    U256::parse_decimal(text.trim())
        .map_err(|e| waas_core::Error::new(e.code(), format!("{flag}: {}", e.message())))
}

/// A 64-bit count (nonce, gas limit).
fn integer(flag: &str, text: &str) -> Result<u64, waas_core::Error> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err::invalid_argument(format!(
            "{flag}: {:?} is not a non-negative integer",
            shorten(text)
        )));
    }
    text.parse().map_err(|_| {
        err::invalid_argument(format!("{flag}: {} is larger than 2^64 - 1", shorten(text)))
    })
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

fn shorten(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(37).collect::<String>())
    }
}
