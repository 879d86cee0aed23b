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
    /// JSON-RPC URL of an EVM node: turns the EVM adapter on (deposit scan, sweeps, withdrawals).
    #[arg(long, env = "WAAS_EVM_RPC")]
    evm_rpc: Option<String>,
    /// Registry id of the node's chain (ethereum, sepolia, polygon, ... or a new id with --evm-chain-id).
    #[arg(long, env = "WAAS_EVM_CHAIN", default_value = "ethereum")]
    evm_chain: String,
    /// EIP-155 chain id of a chain the registry does not know: registers --evm-chain at start.
    #[arg(long, env = "WAAS_EVM_CHAIN_ID")]
    evm_chain_id: Option<u64>,
    /// Confirmations of that new chain (default 12).
    #[arg(long, env = "WAAS_EVM_CONFIRMATIONS")]
    evm_confirmations: Option<u32>,
    /// Native coin symbol of that new chain.
    #[arg(long, env = "WAAS_EVM_NATIVE", default_value = "ETH")]
    evm_native: String,
    /// ERC-20 token to register and watch, SYMBOL:0xCONTRACT:DECIMALS (repeat, or comma-separate).
    #[arg(long = "evm-token", env = "WAAS_EVM_TOKENS", value_delimiter = ',')]
    evm_tokens: Vec<String>,
    /// Milliseconds between scans when the scanner is idle.
    #[arg(long, env = "WAAS_EVM_POLL_MS", default_value_t = 1000)]
    evm_poll_ms: u64,
    /// Blocks per scan step.
    #[arg(long, env = "WAAS_EVM_BATCH", default_value_t = 50)]
    evm_batch: u64,
    /// First block to scan on a first start (default: the node's head at that time).
    #[arg(long, env = "WAAS_EVM_START_BLOCK")]
    evm_start_block: Option<u64>,
    /// Gas limit of ERC-20 transfers the host signs (sweeps, withdrawals).
    #[arg(long, env = "WAAS_EVM_TOKEN_GAS", default_value_t = 100_000)]
    evm_token_gas: u64,
    /// How long a host keeps the chain's scanner lease without renewing it, milliseconds.
    #[arg(long, env = "WAAS_EVM_LEASE_MS", default_value_t = 15_000)]
    evm_lease_ms: u64,
    /// Deliver webhooks to loopback addresses (default: yes in sandbox, for local receivers; no
    /// in live mode).
    #[arg(long, env = "WAAS_WEBHOOK_ALLOW_LOOPBACK")]
    webhook_allow_loopback: Option<bool>,
    /// Deliver webhooks to private and unique-local addresses (default: no).
    #[arg(long, env = "WAAS_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    webhook_allow_private: bool,
    /// A file holding the master mnemonic (instead of WAAS_MNEMONIC). Live mode needs one of the
    /// two: it never generates or stores a master key itself.
    #[arg(long, env = "WAAS_KEY_FILE")]
    key_file: Option<std::path::PathBuf>,
    /// Requests a second per API key, with bursts of twice that (429 RATE_LIMITED beyond);
    /// 0 turns the limit off (as the load benchmarks do).
    #[arg(long, env = "WAAS_RATE_LIMIT")]
    rate_limit: Option<u32>,
    /// Milliseconds a client has to send a request's headers (also the longest idle keep-alive).
    #[arg(long, env = "WAAS_HEADER_TIMEOUT_MS")]
    header_timeout_ms: Option<u64>,
    /// Milliseconds a request has from its headers to its answer (408 beyond; default 30,000).
    #[arg(long, env = "WAAS_REQUEST_TIMEOUT_MS")]
    request_timeout_ms: Option<u64>,
    /// Connections open at once; new ones beyond are closed.
    #[arg(long, env = "WAAS_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Log lines as `text` (default) or `json` (one JSON object a line). The filter is
    /// WAAS_LOG (default `warn,waas::access=info`: warnings and the access log).
    #[arg(long, env = "WAAS_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// An origin allowed to call the API from a browser (CORS), e.g. https://dash.example.com;
    /// repeat for more. None by default: no CORS headers.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origins: Vec<String>,
    /// Hours an Idempotency-Key's answer is kept (default 24); after that the key is forgotten.
    #[arg(long, env = "WAAS_IDEMPOTENCY_TTL_HOURS")]
    idempotency_ttl_hours: Option<u64>,
    /// Failed attempts after which a webhook event is dead-lettered (status `dead`) and its
    /// client's endpoint disabled (default 20).
    #[arg(long, env = "WAAS_WEBHOOK_MAX_ATTEMPTS")]
    webhook_max_attempts: Option<u32>,
    /// Hours after which a webhook event's next failed attempt dead-letters it (default 72).
    #[arg(long, env = "WAAS_WEBHOOK_MAX_AGE_HOURS")]
    webhook_max_age_hours: Option<u32>,
    /// First webhook retry delay in milliseconds, doubled per failed attempt, ±20% jitter
    /// (default 250).
    #[arg(long, env = "WAAS_WEBHOOK_BACKOFF_MS")]
    webhook_backoff_ms: Option<u32>,
    /// Longest webhook retry delay in milliseconds (default 3600000, one hour).
    #[arg(long, env = "WAAS_WEBHOOK_BACKOFF_CAP_MS")]
    webhook_backoff_cap_ms: Option<u32>,
}

/// The webhook delivery limits from the flags (defaults where absent).
fn webhook_policy(args: &ServeArgs) -> crate::host::webhooks::Policy {
    let d = crate::host::webhooks::Policy::default();
    crate::host::webhooks::Policy {
        max_attempts: args
            .webhook_max_attempts
            .map_or(d.max_attempts, |n| i64::from(n.max(1))),
        max_age_ms: args
            .webhook_max_age_hours
            .map_or(d.max_age_ms, |h| i64::from(h.max(1)) * 3_600_000),
        backoff_base_ms: args
            .webhook_backoff_ms
            .map_or(d.backoff_base_ms, |ms| i64::from(ms.max(1))),
        backoff_cap_ms: args
            .webhook_backoff_cap_ms
            .map_or(d.backoff_cap_ms, |ms| i64::from(ms.max(1))),
        ..d
    }
}

/// Requests a second per API key unless `--rate-limit` says otherwise.
pub const DEFAULT_RATE_LIMIT: u32 = 100;

pub fn serve(args: ServeArgs) -> Outcome {
    let config = host_config(&args)?;
    // Checked before anything is opened or created: a live host without its master key from
    // outside the database does not start.
    if config.environment == Environment::Live
        && std::env::var("WAAS_MNEMONIC").map_or(true, |m| m.trim().is_empty())
        && args.key_file.is_none()
    {
        return Err(Error::new(
            ErrorCode::MissingKey,
            "live mode needs the master key from outside the database: set WAAS_MNEMONIC or --key-file FILE",
        ));
    }
    let config = crate::host::HostConfig {
        evm: evm_setup(&evm_args(&args))?,
        ..config
    };
    init_logs(&args.log_format);
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
        .map_err(|e| Error::new(e.code(), e.message().to_owned()))?;
    Ok(String::new())
}

/// The host's configuration from the flags (the EVM adapter apart: [`evm_setup`]).
fn host_config(args: &ServeArgs) -> Result<crate::host::HostConfig, Error> {
    let listen: SocketAddr = args
        .listen
        .as_deref()
        .unwrap_or("127.0.0.1:8080")
        .parse()
        .map_err(|e| Error::new(ErrorCode::InvalidArgument, format!("--listen: {e}")))?;
    let environment = Environment::parse(args.mode.as_deref().unwrap_or("sandbox"))
        .map_err(|e| Error::new(e.code(), format!("--mode: {}", e.message())))?;
    Ok(crate::host::HostConfig {
        webhook_delivery: webhook_policy(args),
        listen,
        database_url: args.db.clone().unwrap_or_else(|| DEFAULT_DB.to_owned()),
        environment,
        webhook_url: args.webhook_url.clone(),
        webhook_key: args.webhook_key.clone(),
        sim_block_ms: args.sim_block_ms.max(1),
        endpoint_policy: waas_core::endpoint::EndpointPolicy {
            allow_loopback: args
                .webhook_allow_loopback
                .unwrap_or(environment == Environment::Sandbox),
            allow_private: args.webhook_allow_private,
            require_https: environment == Environment::Live,
        },
        outbox_poll_ms: args.outbox_poll_ms.max(10),
        evm: None,
        key_file: args.key_file.clone(),
        rate_limit: args.rate_limit.unwrap_or(DEFAULT_RATE_LIMIT),
        idempotency_ttl: std::time::Duration::from_secs(
            args.idempotency_ttl_hours.unwrap_or(24).max(1) * 3600,
        ),
        cors_origins: args.cors_origins.clone(),
        limits: limits(args),
    })
}

/// The HTTP limits from the flags, the defaults where none is given.
fn limits(args: &ServeArgs) -> crate::host::server::Limits {
    let d = crate::host::server::Limits::default();
    let ms = |v: Option<u64>, default| {
        v.map_or(default, |ms| std::time::Duration::from_millis(ms.max(1)))
    };
    crate::host::server::Limits {
        header_read_timeout: ms(args.header_timeout_ms, d.header_read_timeout),
        max_connections: args.max_connections.unwrap_or(d.max_connections),
        request_timeout: ms(args.request_timeout_ms, d.request_timeout),
    }
}

/// Logs to standard error, as text or JSON lines, filtered by `WAAS_LOG` (default: warnings and
/// the access log).
fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WAAS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,waas::access=info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        logs.json().with_current_span(true).try_init()
    } else {
        logs.try_init()
    };
}

/// The EVM adapter's flags.
fn evm_args(args: &ServeArgs) -> EvmArgs {
    EvmArgs {
        rpc: args.evm_rpc.clone(),
        chain: args.evm_chain.clone(),
        chain_id: args.evm_chain_id,
        confirmations: args.evm_confirmations,
        native: args.evm_native.clone(),
        tokens: args.evm_tokens.clone(),
        poll_ms: args.evm_poll_ms,
        batch: args.evm_batch,
        start_block: args.evm_start_block,
        token_gas: args.evm_token_gas,
        lease_ms: args.evm_lease_ms,
    }
}

struct EvmArgs {
    rpc: Option<String>,
    chain: String,
    chain_id: Option<u64>,
    confirmations: Option<u32>,
    native: String,
    tokens: Vec<String>,
    poll_ms: u64,
    batch: u64,
    start_block: Option<u64>,
    token_gas: u64,
    lease_ms: u64,
}

fn evm_setup(a: &EvmArgs) -> Result<Option<crate::host::evm::EvmSetup>, Error> {
    let Some(rpc) = a.rpc.clone().filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    if !(rpc.starts_with("http://") || rpc.starts_with("https://")) {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            format!("--evm-rpc must be an http:// or https:// URL (got {rpc:?})"),
        ));
    }
    let tokens = a
        .tokens
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| crate::host::evm::TokenSpec::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::new(ErrorCode::InvalidArgument, format!("--evm-token: {e}")))?;
    let host_id = std::env::var("WAAS_HOST_ID")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| crate::host::store::new_id("host"));
    Ok(Some(crate::host::evm::EvmSetup {
        rpc_url: rpc,
        chain: a.chain.clone(),
        custom_chain_id: a.chain_id,
        custom_confirmations: a.confirmations,
        custom_native: a.native.clone(),
        tokens,
        poll_ms: a.poll_ms.max(10),
        batch: a.batch.clamp(1, 1000),
        start_block: a.start_block,
        token_gas: a.token_gas.max(21_000),
        lease_ms: i64::try_from(a.lease_ms.max(1000)).unwrap_or(15_000),
        host_id,
        failpoint: std::env::var("WAAS_EVM_FAILPOINT")
            .ok()
            .filter(|f| !f.is_empty()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn config(flags: &[&str]) -> crate::host::HostConfig {
        let args = Flags::try_parse_from(std::iter::once("serve").chain(flags.iter().copied()))
            .unwrap()
            .serve;
        host_config(&args).unwrap()
    }

    #[test]
    fn a_mode_other_than_sandbox_or_live_is_refused() {
        let args = Flags::try_parse_from(["serve", "--mode", "staging"])
            .unwrap()
            .serve;
        let e = host_config(&args).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        assert!(e.message().starts_with("--mode: "), "{}", e.message());
    }

    #[test]
    fn the_flags_reach_the_host_s_configuration() {
        let c = config(&[
            "--cors-origin",
            "http://dash.test",
            "--cors-origin",
            "http://ops.test",
            "--webhook-allow-loopback",
            "false",
            "--rate-limit",
            "5",
        ]);
        assert_eq!(c.cors_origins, ["http://dash.test", "http://ops.test"]);
        assert!(!c.endpoint_policy.allow_loopback);
        assert_eq!(c.rate_limit, 5);
    }

    #[test]
    fn the_webhook_delivery_flags_reach_its_policy() {
        let c = config(&[
            "--webhook-max-attempts",
            "3",
            "--webhook-max-age-hours",
            "2",
            "--webhook-backoff-ms",
            "20",
            "--webhook-backoff-cap-ms",
            "900",
        ]);
        let p = c.webhook_delivery;
        assert_eq!(
            (
                p.max_attempts,
                p.max_age_ms,
                p.backoff_base_ms,
                p.backoff_cap_ms
            ),
            (3, 7_200_000, 20, 900)
        );
        // Without them, the documented defaults (docs/HOST.md: 20 attempts, 3 days, 250 ms, 1 h).
        let d = config(&[]).webhook_delivery;
        assert_eq!(
            (
                d.max_attempts,
                d.max_age_ms,
                d.backoff_base_ms,
                d.backoff_cap_ms
            ),
            (20, 72 * 3_600_000, 250, 3_600_000)
        );
        // Zero is taken as the least that works, not as "never".
        let z =
            config(&["--webhook-max-attempts", "0", "--webhook-backoff-ms", "0"]).webhook_delivery;
        assert_eq!((z.max_attempts, z.backoff_base_ms), (1, 1));
    }

    #[test]
    fn without_flags_sandbox_allows_loopback_and_live_does_not() {
        let sandbox = config(&[]);
        assert!(sandbox.endpoint_policy.allow_loopback && sandbox.cors_origins.is_empty());
        assert_eq!(sandbox.rate_limit, DEFAULT_RATE_LIMIT);
        let live = config(&["--mode", "live"]);
        assert!(!live.endpoint_policy.allow_loopback && live.endpoint_policy.require_https);
    }
}
