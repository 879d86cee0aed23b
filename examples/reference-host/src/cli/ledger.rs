//! `waas ledger replay`: runs a scenario (JSON Lines) through the core's ledger.

use super::Outcome;
use clap::Subcommand;
use std::path::PathBuf;
use waas_core::{Error, ErrorCode};

#[derive(Subcommand)]
pub enum LedgerCmd {
    /// Replay a scenario file (standard input when no file) and print its results and final state.
    Replay {
        /// Scenario file in JSON Lines.
        file: Option<PathBuf>,
    },
}

pub fn ledger(cmd: LedgerCmd) -> Outcome {
    match cmd {
        LedgerCmd::Replay { file } => {
            let input = match file {
                Some(path) => std::fs::read_to_string(&path).map_err(|e| {
                    Error::new(
                        ErrorCode::InvalidArgument,
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?,
                None => super::read_stdin()?,
            };
            Ok(waas_core::scenario::replay(&input))
        }
    }
}
