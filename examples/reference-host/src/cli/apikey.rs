//! `waas apikey new`: generate an API key and the hash to store.

use super::Outcome;
use clap::{Args, Subcommand};
use waas_core::access::{ApiKey, Environment};

#[derive(Subcommand)]
pub enum ApiKeyCmd {
    /// Generate a key: prints `key: ...` (shown once, store it nowhere) and `hash: ...` (store this).
    New(NewArgs),
}

#[derive(Args)]
pub struct NewArgs {
    /// sandbox (waas_test_ keys) or live (waas_live_ keys).
    #[arg(long = "env")]
    environment: String,
}

pub fn run(cmd: ApiKeyCmd, json: bool) -> Outcome {
    match cmd {
        ApiKeyCmd::New(args) => {
            let environment = Environment::parse(&args.environment)?;
            let key = ApiKey::generate(environment)?;
            if json {
                return Ok(super::json_line(&serde_json::json!({
                    "key": key.expose(), "hash": key.hash().to_string(),
                })));
            }
            Ok(format!("key: {}\nhash: {}\n", key.expose(), key.hash()))
        }
    }
}
