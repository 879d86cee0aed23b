//! `waas amount`, `chains`, `tokens`.

use super::Outcome;
use clap::Args;
use std::fmt::Write;
use waas_core::{Amount, Registry};

#[derive(Args)]
#[command(group(clap::ArgGroup::new("direction").required(true).args(["to_base", "from_base"])))]
pub struct AmountArgs {
    /// Decimals of the token (0 to 28).
    #[arg(long)]
    decimals: u8,
    /// A decimal amount to convert to integer base units.
    #[arg(long, allow_hyphen_values = true)]
    to_base: Option<String>,
    /// Integer base units to convert to a decimal amount.
    #[arg(long, allow_hyphen_values = true)]
    from_base: Option<String>,
}

#[derive(Args)]
pub struct ChainsArgs {}

#[derive(Args)]
pub struct TokensArgs {
    /// Only the tokens of this blockchain.
    #[arg(long)]
    chain: Option<String>,
}

pub fn amount(args: AmountArgs, json: bool) -> Outcome {
    match (args.to_base, args.from_base) {
        (Some(text), None) => {
            let units = Amount::parse(&text, args.decimals)?.to_base_units(args.decimals)?;
            Ok(if json {
                super::json_line(
                    &serde_json::json!({"base_units": units.to_string(), "decimals": args.decimals}),
                )
            } else {
                format!("{units}\n")
            })
        }
        (None, Some(units)) => {
            let amount = Amount::from_base_units(&units, args.decimals)?;
            Ok(if json {
                super::json_line(
                    &serde_json::json!({"amount": amount.to_string(), "decimals": args.decimals}),
                )
            } else {
                format!("{amount}\n")
            })
        }
        _ => Err(waas_core::Error::new(
            waas_core::ErrorCode::InvalidArgument,
            "give exactly one of --to-base and --from-base",
        )),
    }
}

pub fn chains(json: bool) -> Outcome {
    let registry = Registry::builtin();
    if json {
        return Ok(format!("{}\n", to_json(registry.chains())));
    }
    let mut out = String::from("ID FAMILY EVM_CHAIN_ID NATIVE DECIMALS CONFIRMATIONS NETWORK\n");
    for c in registry.chains() {
        let chain_id = c
            .evm_chain_id
            .map_or_else(|| "-".to_owned(), |id| id.to_string());
        let network = if c.testnet { "testnet" } else { "mainnet" };
        let _ = writeln!(
            out,
            "{} {} {chain_id} {} {} {} {network}",
            c.id, c.family, c.native_symbol, c.native_decimals, c.confirmations
        );
    }
    Ok(out)
}

pub fn tokens(args: TokensArgs, json: bool) -> Outcome {
    let registry = Registry::builtin();
    let tokens = registry.tokens(args.chain.as_deref())?;
    if json {
        return Ok(format!("{}\n", to_json(&tokens)));
    }
    let mut out = String::from("BLOCKCHAIN SYMBOL DECIMALS CONTRACT\n");
    for t in tokens {
        let contract = t
            .contract
            .map_or_else(|| "native".to_owned(), |a| a.to_string());
        let _ = writeln!(
            out,
            "{} {} {} {contract}",
            t.blockchain, t.symbol, t.decimals
        );
    }
    Ok(out)
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
