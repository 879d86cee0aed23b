//! `waas serve`: the reference host.

use super::Outcome;
use clap::Args;
use std::net::SocketAddr;
use waas_core::access::Environment;
use waas_core::{Error, ErrorCode};

/// Default database: a SQLite file in the working directory.
pub const DEFAULT_DB: &str = "sqlite://waas.db";

#[derive(Args, Default)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "WAAS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: Option<String>,
    /// Database URL: sqlite://PATH (default sqlite://waas.db) or postgres://...
    #[arg(long, env = "DATABASE_URL")]
    db: Option<String>,
    /// sandbox (simulated chain, simulate endpoints) or live.
    #[arg(long, env = "WAAS_MODE", default_value = "sandbox")]
    mode: Option<String>,
    /// Webhook endpoint of the first client.
    #[arg(long, env = "WAAS_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// X-Webhook-Key of the first client (prefer the environment variable).
    #[arg(long, env = "WAAS_WEBHOOK_KEY", hide_env_values = true)]
    webhook_key: Option<String>,
    /// Milliseconds per block of the simulated chain.
    #[arg(long, env = "WAAS_SIM_BLOCK_MS", default_value_t = 1000)]
    sim_block_ms: u64,
    /// Milliseconds between polls of the webhook outbox.
    #[arg(long, env = "WAAS_OUTBOX_POLL_MS", default_value_t = 500)]
    outbox_poll_ms: u64,
}

pub fn serve(args: ServeArgs) -> Outcome {
    let listen: SocketAddr = args
        .listen
        .as_deref()
        .unwrap_or("127.0.0.1:8080")
        .parse()
        .map_err(|e| Error::new(ErrorCode::InvalidArgument, format!("--listen: {e}")))?;
    let environment = match args.mode.as_deref().unwrap_or("sandbox") {
        "sandbox" => Environment::Sandbox,
        "live" => Environment::Live,
        other => {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                format!("--mode: {other:?} is not sandbox or live"),
            ))
        }
    };
    let config = crate::host::HostConfig {
        listen,
        database_url: args.db.unwrap_or_else(|| DEFAULT_DB.to_owned()),
        environment,
        webhook_url: args.webhook_url,
        webhook_key: args.webhook_key,
        sim_block_ms: args.sim_block_ms.max(1),
        outbox_poll_ms: args.outbox_poll_ms.max(10),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WAAS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("cannot start the runtime: {e}"),
            )
        })?;
    runtime
        .block_on(crate::host::serve(config))
        .map_err(|e| Error::new(code_of(e.code()), e.message().to_owned()))?;
    Ok(String::new())
}

fn code_of(code: &str) -> ErrorCode {
    match code {
        "NOT_FOUND" => ErrorCode::NotFound,
        _ => ErrorCode::InvalidArgument,
    }
}
