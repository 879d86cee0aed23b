//! `waas mnemonic`, `xpub`, `derive`, `address`.

use super::Outcome;
use clap::{Args, Subcommand};
use std::fmt::Write;
use waas_core::keys::{account_xpub, ExtendedPublicKey, Mnemonic};
use waas_core::{Address, Error, ErrorCode, Registry};
use zeroize::Zeroizing;

#[derive(Subcommand)]
pub enum MnemonicCmd {
    /// Generate a new random mnemonic and print it.
    New {
        /// Number of words: 12, 15, 18, 21 or 24.
        #[arg(long, default_value_t = 24)]
        words: usize,
    },
}

#[derive(Args)]
pub struct XpubArgs {
    /// Blockchain id (see `waas chains`).
    #[arg(long)]
    chain: String,
    /// BIP-44 account number (non-hardened value; it is hardened in the path).
    #[arg(long, default_value_t = 0)]
    account: u32,
}

#[derive(Args)]
pub struct DeriveArgs {
    /// Blockchain id (see `waas chains`).
    #[arg(long)]
    chain: String,
    /// The holding wallet's account xpub.
    #[arg(long)]
    xpub: String,
    /// First child index (below 2^31).
    #[arg(long)]
    index: u32,
    /// How many consecutive addresses.
    #[arg(long, default_value_t = 1)]
    count: u32,
}

#[derive(Args)]
pub struct AddressArgs {
    /// Blockchain id (see `waas chains`).
    #[arg(long)]
    chain: String,
    /// The address to check.
    address: String,
}

pub fn mnemonic(cmd: MnemonicCmd, json: bool) -> Outcome {
    match cmd {
        MnemonicCmd::New { words } => {
            let m = Mnemonic::generate(words)?;
            if json {
                return Ok(super::json_line(
                    &serde_json::json!({"mnemonic": m.phrase().as_str(), "words": words}),
                ));
            }
            Ok(format!("{}\n", m.phrase().as_str()))
        }
    }
}

/// The mnemonic comes from WAAS_MNEMONIC or standard input, never from an argument;
/// an optional BIP-39 passphrase from WAAS_PASSPHRASE.
pub fn xpub(args: XpubArgs, json: bool) -> Outcome {
    let registry = Registry::builtin();
    let chain = registry.chain(&args.chain)?;
    let phrase = match std::env::var("WAAS_MNEMONIC") {
        Ok(p) => Zeroizing::new(p),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(Error::new(
                ErrorCode::InvalidMnemonic,
                "WAAS_MNEMONIC is not valid UTF-8",
            ))
        }
        Err(std::env::VarError::NotPresent) => Zeroizing::new(super::read_stdin()?),
    };
    let passphrase = Zeroizing::new(std::env::var("WAAS_PASSPHRASE").unwrap_or_default());
    let mnemonic = Mnemonic::parse(&phrase)?;
    let xpub = account_xpub(&mnemonic, &passphrase, chain.family, args.account)?;
    if json {
        return Ok(super::json_line(&serde_json::json!({
            "xpub": xpub.to_string(), "chain": chain.id.as_str(), "account": args.account,
        })));
    }
    Ok(format!("{xpub}\n"))
}

/// Addresses derived and written per chunk: the first lines appear at once, however long the run.
const DERIVE_CHUNK: u32 = 1_000;
/// Counts from which a terminal on standard error shows progress.
const DERIVE_PROGRESS_FROM: u32 = 20_000;

/// Streams `INDEX ADDRESS` lines (JSON Lines `{"index","address"}` with `--json`), a chunk at a
/// time, with progress on standard error when it is a terminal and the count is large.
pub fn derive(args: DeriveArgs, json: bool) -> Outcome {
    use std::io::{IsTerminal, Write as _};
    let registry = Registry::builtin();
    let chain = registry.chain(&args.chain)?;
    let xpub = ExtendedPublicKey::parse(&args.xpub)?;
    // Checked whole before the first line (the core refuses such a batch before deriving
    // anything): too many, or past the last index, fails with nothing written.
    if args.count > waas_core::keys::MAX_BATCH
        || u64::from(args.index) + u64::from(args.count) > 1 << 31
    {
        xpub.derive_addresses(chain.family, args.index, args.count)?;
    }
    let progress = args.count >= DERIVE_PROGRESS_FROM && std::io::stderr().is_terminal();
    let mut stdout = std::io::stdout().lock();
    let mut done = 0u32;
    while done < args.count {
        let n = DERIVE_CHUNK.min(args.count - done);
        let first = args.index + done;
        let addresses = xpub.derive_addresses(chain.family, first, n)?;
        let mut out = String::with_capacity(addresses.len() * 64);
        for (i, a) in addresses.iter().enumerate() {
            let index = u64::from(first) + i as u64;
            if json {
                out.push_str(&super::json_line(
                    &serde_json::json!({"index": index, "address": a.to_string()}),
                ));
            } else {
                let _ = writeln!(out, "{index} {a}");
            }
        }
        if stdout
            .write_all(out.as_bytes())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            // The reader went away (a closed pipe): stop quietly.
            return Ok(String::new());
        }
        done += n;
        if progress {
            eprint!("\rderived {done} of {}", args.count);
        }
    }
    if progress {
        eprintln!();
    }
    Ok(String::new())
}

pub fn address(args: AddressArgs, json: bool) -> Outcome {
    let registry = Registry::builtin();
    let chain = registry.chain(&args.chain)?;
    let a = Address::parse(chain.family, args.address.trim())?;
    if json {
        return Ok(super::json_line(
            &serde_json::json!({"address": a.to_string(), "chain": chain.id.as_str()}),
        ));
    }
    Ok(format!("{a}\n"))
}
