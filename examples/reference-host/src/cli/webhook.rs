//! `waas webhook sign|verify|check`: Standard Webhooks signatures and envelope validation.

use super::Outcome;
use clap::{Args, Subcommand};
use waas_core::webhook::{self, Envelope, Mode, Verifier, WebhookSecret};
use waas_core::{Error, ErrorCode};
use zeroize::Zeroizing;

#[derive(Subcommand)]
pub enum WebhookCmd {
    /// Sign the body on standard input; prints the webhook-id, webhook-timestamp and
    /// webhook-signature headers, one `name: value` per line.
    Sign(SignArgs),
    /// Verify a delivery whose body is on standard input; prints `valid` or fails with exit 2.
    Verify(VerifyArgs),
    /// Validate the envelope JSON on standard input; prints its normalized form.
    Check(CheckArgs),
}

#[derive(Args)]
pub struct SecretArg {
    /// Signing secret, `whsec_` + base64. When absent, read from the environment variable
    /// WAAS_WEBHOOK_SECRET (preferred: arguments show in process lists).
    #[arg(long, env = "WAAS_WEBHOOK_SECRET", hide_env_values = true)]
    secret: String,
}

#[derive(Args)]
pub struct SignArgs {
    #[command(flatten)]
    secret: SecretArg,
    /// The message id (webhook-id).
    #[arg(long)]
    id: String,
    /// The attempt's time, seconds since the Unix epoch (webhook-timestamp).
    #[arg(long)]
    timestamp: String,
}

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    secret: SecretArg,
    /// The webhook-id header.
    #[arg(long)]
    id: String,
    /// The webhook-timestamp header.
    #[arg(long)]
    timestamp: String,
    /// The webhook-signature header (one or more space-separated `v1,...` entries).
    #[arg(long)]
    signature: String,
    /// Current time in seconds since the Unix epoch (default: the system clock).
    #[arg(long, allow_hyphen_values = true)]
    now: Option<i64>,
    /// Accepted distance between the timestamp and now, in seconds, either side.
    #[arg(long, default_value_t = webhook::DEFAULT_TOLERANCE_SECS)]
    tolerance: u64,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Also accept status FINISHED (as SUCCESS), unknown operations and sub-operations, and
    /// drop unknown fields.
    #[arg(long)]
    lenient: bool,
}

fn secret(arg: SecretArg) -> Result<WebhookSecret, Error> {
    let text = Zeroizing::new(arg.secret);
    WebhookSecret::parse(&text)
}

pub fn run(cmd: WebhookCmd, json: bool) -> Outcome {
    match cmd {
        WebhookCmd::Sign(args) => sign(args, json),
        WebhookCmd::Verify(args) => {
            verify(args)?;
            Ok(if json {
                super::json_line(&serde_json::json!({"valid": true}))
            } else {
                "valid\n".to_owned()
            })
        }
        // Its output is the envelope's JSON either way.
        WebhookCmd::Check(args) => check(args),
    }
}

fn sign(args: SignArgs, json: bool) -> Outcome {
    let secret = secret(args.secret)?;
    let timestamp = webhook::parse_timestamp(&args.timestamp).map_err(|e| {
        Error::new(
            ErrorCode::InvalidArgument,
            format!("--timestamp: {}", e.message()),
        )
    })?;
    let body = super::read_stdin_bytes()?;
    let headers = webhook::sign(&secret, &args.id, timestamp, &body)?;
    if json {
        let map: serde_json::Map<String, serde_json::Value> = headers
            .pairs()
            .into_iter()
            .map(|(n, v)| (n.to_owned(), serde_json::Value::String(v)))
            .collect();
        return Ok(super::json_line(&serde_json::Value::Object(map)));
    }
    let mut out = String::new();
    for (name, value) in headers.pairs() {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(&value);
        out.push('\n');
    }
    Ok(out)
}

fn verify(args: VerifyArgs) -> Result<(), Error> {
    let secret = secret(args.secret)?;
    let now = match args.now {
        Some(now) => now,
        None => system_now()?,
    };
    let body = super::read_stdin_bytes()?;
    Verifier::new(secret).tolerance(args.tolerance).verify(
        &args.id,
        &args.timestamp,
        &args.signature,
        &body,
        now,
    )?;
    Ok(())
}

/// The CLI may read the clock; the core never does.
fn system_now() -> Result<i64, Error> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| Error::new(ErrorCode::InvalidArgument, "system clock is before 1970"))?;
    i64::try_from(since.as_secs())
        .map_err(|_| Error::new(ErrorCode::InvalidArgument, "system clock out of range"))
}

fn check(args: CheckArgs) -> Outcome {
    let body = super::read_stdin_bytes()?;
    let mode = if args.lenient {
        Mode::Lenient
    } else {
        Mode::Strict
    };
    let envelope = Envelope::parse(&body, mode)?;
    Ok(format!("{}\n", envelope.to_json()))
}
