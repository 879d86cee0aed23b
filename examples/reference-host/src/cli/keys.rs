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

pub fn mnemonic(cmd: MnemonicCmd) -> Outcome {
    match cmd {
        MnemonicCmd::New { words } => {
            let m = Mnemonic::generate(words)?;
            Ok(format!("{}\n", m.phrase().as_str()))
        }
    }
}

/// The mnemonic comes from WAAS_MNEMONIC or standard input, never from an argument;
/// an optional BIP-39 passphrase from WAAS_PASSPHRASE.
pub fn xpub(args: XpubArgs) -> Outcome {
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
    Ok(format!("{xpub}\n"))
}

pub fn derive(args: DeriveArgs) -> Outcome {
    let registry = Registry::builtin();
    let chain = registry.chain(&args.chain)?;
    let xpub = ExtendedPublicKey::parse(&args.xpub)?;
    let addresses = xpub.derive_addresses(chain.family, args.index, args.count)?;
    let mut out = String::with_capacity(addresses.len() * 56);
    for (i, a) in addresses.iter().enumerate() {
        let _ = writeln!(out, "{} {a}", u64::from(args.index) + i as u64);
    }
    Ok(out)
}

pub fn address(args: AddressArgs) -> Outcome {
    let registry = Registry::builtin();
    let chain = registry.chain(&args.chain)?;
    let a = Address::parse(chain.family, args.address.trim())?;
    Ok(format!("{a}\n"))
}
