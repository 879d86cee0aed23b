//! Command-line parsing and dispatch; each subcommand translates to waas-core calls.

mod apikey;
mod keys;
mod ledger;
mod registry;
mod serve;
mod tx;
mod webhook;

use clap::{Parser, Subcommand};
use std::io::Write;
use waas_core::{Error, ErrorCode};

/// waas: wallet-as-a-service operator tools.
#[derive(Parser)]
#[command(name = "waas", version, about, long_about = None)]
struct Cli {
    /// Print JSON instead of text: one object, or JSON Lines where the text is one line per
    /// item (`derive`, `ledger replay`); errors then go to standard error as
    /// `{"error":{"code","message"}}`.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the reference host (HTTP API); the default with no arguments.
    Serve(Box<serve::ServeArgs>),
    /// BIP-39 mnemonics.
    #[command(subcommand)]
    Mnemonic(keys::MnemonicCmd),
    /// Print the xpub of a holding wallet (mnemonic from WAAS_MNEMONIC or standard input).
    Xpub(keys::XpubArgs),
    /// Derive deposit addresses from an xpub: prints `INDEX ADDRESS` lines.
    Derive(keys::DeriveArgs),
    /// Check an address and print its canonical form.
    Address(keys::AddressArgs),
    /// Convert between decimal amounts and integer base units.
    Amount(registry::AmountArgs),
    /// List the built-in blockchains.
    Chains(registry::ChainsArgs),
    /// List the built-in tokens.
    Tokens(registry::TokensArgs),
    /// The ledger: replay scenarios.
    #[command(subcommand)]
    Ledger(ledger::LedgerCmd),
    /// EVM transactions: sign with the private key in WAAS_PRIVATE_KEY.
    #[command(subcommand)]
    Tx(tx::TxCmd),
    /// ERC-20 call data.
    #[command(subcommand)]
    Erc20(tx::Erc20Cmd),
    /// Standard Webhooks signatures and envelope validation.
    #[command(subcommand)]
    Webhook(webhook::WebhookCmd),
    /// API keys.
    #[command(subcommand)]
    Apikey(apikey::ApiKeyCmd),
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `waas` without a subcommand: the serve arguments, read from the environment.
#[derive(Parser)]
struct ServeOnly {
    #[command(flatten)]
    args: serve::ServeArgs,
}

/// Output of a command: lines for standard output, or an error.
pub type Outcome = Result<String, Error>;

/// Parses arguments, runs the command, prints, and returns the exit status.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return refused(&e),
    };
    let json = cli.json;
    let Some(command) = cli.command else {
        // No arguments: `waas serve` with its defaults and the environment's WAAS_* variables.
        let args = ServeOnly::try_parse_from(["waas"])
            .map(|s| s.args)
            .unwrap_or_default();
        return match serve::serve(args) {
            Ok(_) => 0,
            Err(e) => fail(&e, json),
        };
    };
    let outcome = dispatch(command, json);
    match outcome {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return 1;
            }
            0
        }
        Err(e) => fail(&e, json),
    }
}

/// Arguments clap did not accept: help and version are printed (exit 0, or 2 for help shown
/// because something is missing); anything else is `INVALID_ARGUMENT` (exit 2).
fn refused(e: &clap::Error) -> i32 {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            2
        } else {
            0
        };
    }
    let json = std::env::args().any(|a| a == "--json");
    fail(
        &Error::new(ErrorCode::InvalidArgument, clap_message(e)),
        json,
    )
}

/// Runs one command.
fn dispatch(command: Command, json: bool) -> Outcome {
    match command {
        Command::Serve(args) => serve::serve(*args),
        Command::Mnemonic(cmd) => keys::mnemonic(cmd, json),
        Command::Xpub(args) => keys::xpub(args, json),
        Command::Derive(args) => keys::derive(args, json),
        Command::Address(args) => keys::address(args, json),
        Command::Amount(args) => registry::amount(args, json),
        Command::Chains(_) => registry::chains(json),
        Command::Tokens(args) => registry::tokens(args, json),
        Command::Ledger(cmd) => ledger::ledger(cmd, json),
        Command::Tx(cmd) => tx::sign(cmd, json),
        Command::Erc20(cmd) => tx::erc20(cmd, json),
        Command::Webhook(cmd) => webhook::run(cmd, json),
        Command::Apikey(cmd) => apikey::run(cmd, json),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "waas", &mut out);
            Ok(String::from_utf8_lossy(&out).into_owned())
        }
    }
}

/// One JSON value as a line of output.
pub fn json_line(value: &serde_json::Value) -> String {
    format!("{value}\n")
}

/// clap's message on one line, without its usage block.
fn clap_message(e: &clap::Error) -> String {
    let text = e.to_string();
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    parts.join(" ").trim_start_matches("error: ").to_owned()
}

/// Prints the error on standard error (`error: CODE: message`, or its JSON with `--json`) and
/// gives the exit status: 1 for a failure of the machine or a service (the code of a host's own
/// failure: INTERNAL, UNAVAILABLE, CORRUPT_RECORD, ENTROPY, KEY_DERIVATION), 2 for bad input
/// (every other code).
fn fail(e: &Error, json: bool) -> i32 {
    if json {
        eprintln!(
            "{}",
            serde_json::json!({"error": {"code": e.code(), "message": e.message()}})
        );
    } else {
        eprintln!("error: {}: {}", e.code(), e.message());
    }
    exit_status(e.code())
}

/// The exit status of an error code (see [`fail`]).
pub fn exit_status(code: ErrorCode) -> i32 {
    match code {
        ErrorCode::Internal
        | ErrorCode::Unavailable
        | ErrorCode::CorruptRecord
        | ErrorCode::Entropy
        | ErrorCode::KeyDerivation => 1,
        _ => 2,
    }
}

/// Reads all of standard input as text.
pub fn read_stdin() -> Result<String, Error> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("cannot read standard input: {e}"),
        )
    })?;
    Ok(text)
}

/// Reads all of standard input as bytes, exactly as given (no trimming, any encoding).
pub fn read_stdin_bytes() -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|e| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("cannot read standard input: {e}"),
        )
    })?;
    Ok(bytes)
}
