//! `waas ledger replay`: runs a scenario (JSON Lines) through the core's ledger.
//! `waas ledger verify`: checks a journal export (hash chain, running balances) offline.

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
    /// Verify a journal export (`GET /v1/journal/export`, JSON Lines; standard input when no
    /// file): prints `ok N entries`, or the first entry that does not match and exits 2.
    Verify {
        /// Journal export in JSON Lines.
        file: Option<PathBuf>,
    },
}

pub fn ledger(cmd: LedgerCmd, json: bool) -> Outcome {
    match cmd {
        // Its output is JSON Lines either way.
        LedgerCmd::Replay { file } => Ok(waas_core::scenario::replay(&read(file)?)),
        LedgerCmd::Verify { file } if json => {
            let v = waas_core::ledger::journal::verify(&read(file)?)
                .map_err(|m| waas_core::error::err::journal_mismatch(m.to_string()))?;
            Ok(super::json_line(
                &serde_json::json!({"ok": true, "entries": v.entries}),
            ))
        }
        LedgerCmd::Verify { file } => {
            let report = waas_core::ledger::journal::verify_report(&read(file)?)?;
            Ok(format!("{report}\n"))
        }
    }
}

/// A file's text, or standard input's when no file is named.
fn read(file: Option<PathBuf>) -> Result<String, Error> {
    match file {
        Some(path) => std::fs::read_to_string(&path).map_err(|e| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("cannot read {}: {e}", path.display()),
            )
        }),
        None => super::read_stdin(),
    }
}
