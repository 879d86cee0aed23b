//! The reference host: the platform's HTTP API over SQLite or PostgreSQL, wired to waas-core.
//!
//! The host holds no business rule: each request is authorized by the core's catalog, runs as one
//! database transaction around the core's ledger, and queues its webhook events in an outbox that
//! a worker delivers at least once.

pub mod account_chain;
pub mod api;
pub mod books;
pub mod chain;
pub mod dashboard;
pub mod durable;
pub mod endpoint;
pub mod error;
pub mod evm;
pub mod journal;
pub mod keycache;
pub mod keys;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod page;
pub mod protocol;
pub mod ratelimit;
pub mod seal;
pub mod server;
pub mod simchain;
pub mod sql;
pub mod store;
pub mod webhooks;
pub mod withdrawals;

use error::ApiError;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::net::SocketAddr;
use std::sync::Arc;
use store::{new_id, now_ms, Store};
use waas_core::access::{self, Environment, Permission};
use waas_core::Amount;

/// How the host is started.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Database URL: `sqlite://PATH` or `postgres://...`.
    pub database_url: String,
    /// Sandbox (simulated chain, simulate endpoints) or live.
    pub environment: Environment,
    /// Webhook endpoint of the first client, if given at start.
    pub webhook_url: Option<String>,
    /// X-Webhook-Key of the first client, if given at start.
    pub webhook_key: Option<String>,
    /// Milliseconds per block of the simulated chain.
    pub sim_block_ms: u64,
    /// Where webhooks may be delivered (loopback, private ranges, https).
    pub endpoint_policy: waas_core::endpoint::EndpointPolicy,
    /// Milliseconds between polls of the webhook outbox.
    pub outbox_poll_ms: u64,
    /// The EVM JSON-RPC adapter, when a node is configured (`--evm-rpc`).
    pub evm: Option<evm::EvmSetup>,
    /// A file holding the master mnemonic (instead of WAAS_MNEMONIC).
    pub key_file: Option<std::path::PathBuf>,
    /// Requests a second per API key (bursts of twice that); 0: no limit.
    pub rate_limit: u32,
    /// Header-read deadline and connection cap of the server loop.
    pub limits: server::Limits,
    /// Origins allowed to call the API from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// How long idempotency rows are kept (then a retry with the same key runs anew).
    pub idempotency_ttl: std::time::Duration,
    /// Limits of webhook delivery (attempts, age, backoff, concurrency).
    pub webhook_delivery: webhooks::Policy,
}

impl HostConfig {
    /// A sandbox host on `database_url` with the defaults of `waas serve` (what the tests that
    /// call the API in-process start from).
    pub fn sandbox(database_url: &str) -> HostConfig {
        HostConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_owned(),
            environment: Environment::Sandbox,
            webhook_url: None,
            webhook_key: None,
            sim_block_ms: 1000,
            endpoint_policy: waas_core::endpoint::EndpointPolicy {
                allow_loopback: true,
                allow_private: false,
                require_https: false,
            },
            outbox_poll_ms: 500,
            evm: None,
            key_file: None,
            rate_limit: 100,
            limits: server::Limits::default(),
            cors_origins: Vec::new(),
            idempotency_ttl: std::time::Duration::from_secs(24 * 3600),
            webhook_delivery: webhooks::Policy::default(),
        }
    }
}

/// A host opened in this process, without a listening socket or background workers (no
/// simulated chain, no webhook delivery): its shared state and the HTTP application `serve`
/// would answer with, for tests that call the API in-process (`tower::ServiceExt::oneshot`).
pub async fn open_app(config: &HostConfig) -> Result<(axum::Router, Arc<AppState>), ApiError> {
    let state = Arc::new(open_state(config).await?);
    Ok((app(state.clone(), config)?, state))
}

/// The API router with the protocol guard, CORS and the per-request observation (request id,
/// access log, metrics).
fn app(state: Arc<AppState>, config: &HostConfig) -> Result<axum::Router, ApiError> {
    let mut app = protocol::guard(api::router(state.clone()), config.limits.request_timeout);
    if let Some(cors) = ops::cors(&config.cors_origins)? {
        app = app.layer(cors);
    }
    Ok(app.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            ops::observe(state.clone(), req, next)
        },
    )))
}

/// Releases the holds whose expiry has passed, every second, forever: what `serve` runs beside
/// the API (and what in-process tests run beside their router).
pub async fn expire_holds(state: Arc<AppState>) {
    api::holds::expire_forever(state).await;
}

/// Deletes idempotency rows older than `ttl`, every ten minutes (and once at start).
async fn purge_idempotency(state: Arc<AppState>, ttl: std::time::Duration) {
    loop {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let purged = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
            .bind(now_ms().saturating_sub(ttl_ms))
            .execute(state.store.pool())
            .await;
        if let Err(e) = purged {
            tracing::warn!(error = %e, "purging idempotency rows");
        }
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
}

/// The master mnemonic given from outside the database: WAAS_MNEMONIC, else the key file.
pub fn outside_mnemonic(
    key_file: Option<&std::path::Path>,
) -> Result<Option<zeroize::Zeroizing<String>>, ApiError> {
    if let Ok(p) = std::env::var("WAAS_MNEMONIC") {
        if !p.trim().is_empty() {
            return Ok(Some(zeroize::Zeroizing::new(p)));
        }
    }
    match key_file {
        Some(path) => {
            let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                ApiError::config(format!("cannot read the key file {}: {e}", path.display()))
            })?);
            Ok(Some(zeroize::Zeroizing::new(text.trim().to_owned())))
        }
        None => Ok(None),
    }
}

impl Settings {
    /// Settings as stored (`settings.body`), their secrets opened.
    pub fn from_body(body: &str, sealer: &seal::Sealer) -> Result<Settings, ApiError> {
        let mut st: Settings = store::stored(body, "settings")?;
        for secret in st.secrets_mut() {
            *secret = sealer.open(secret)?;
        }
        Ok(st)
    }

    /// Settings as they are stored, their secrets sealed.
    pub fn to_body(&self, sealer: &seal::Sealer) -> Result<String, ApiError> {
        let mut st = self.clone();
        for secret in st.secrets_mut() {
            *secret = sealer.seal(secret)?;
        }
        serde_json::to_string(&st).map_err(|e| ApiError::internal(e.to_string()))
    }

    /// The secrets that are set (webhook key, signing secret, previous signing secret).
    fn secrets_mut(&mut self) -> impl Iterator<Item = &mut String> {
        [
            &mut self.webhook_key,
            &mut self.webhook_secret,
            &mut self.previous_webhook_secret,
        ]
        .into_iter()
        .flatten()
    }
}

/// What the API handlers share.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Sandbox or live.
    pub environment: Environment,
    /// Simulated chain block time.
    pub sim_block_ms: u64,
    /// Deposit-address derivation.
    pub keys: keys::KeyRing,
    /// Where webhooks may be delivered.
    pub endpoint_policy: waas_core::endpoint::EndpointPolicy,
    /// Wakes the webhook worker when events are queued.
    pub outbox_notify: tokio::sync::Notify,
    /// The EVM chain adapter, if configured (the simulated chain needs no state here).
    pub evm: Option<Arc<evm::EvmAdapter>>,
    /// API keys recently read.
    pub key_cache: keycache::KeyCache,
    /// Requests a second per key.
    pub limiter: ratelimit::RateLimiter,
}

/// Per-client settings kept by the host (configuration endpoints).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where webhooks go.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Sent as X-Webhook-Key.
    #[serde(default)]
    pub webhook_key: Option<String>,
    /// Standard Webhooks secret (`whsec_...`).
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// The secret before the last rotation, still signing until `previous_secret_until` (ms).
    #[serde(default)]
    pub previous_webhook_secret: Option<String>,
    /// When the previous secret stops signing (unix ms).
    #[serde(default)]
    pub previous_secret_until: Option<i64>,
    /// Payment destination address per blockchain.
    #[serde(default)]
    pub payment_addresses: std::collections::BTreeMap<String, String>,
    /// USD prices per token symbol (upper case) for minimum-deposit checks of non-stablecoins.
    #[serde(default)]
    pub usd_prices: std::collections::BTreeMap<String, Amount>,
    /// The lowest minimum reserve ratio the client may set, as its parent set it.
    #[serde(default)]
    pub reserve_floor: Option<Amount>,
    /// Withdrawal fee schedules per `blockchain/TOKEN`, set by the parent; they replace the fee a
    /// caller offers. Left out of the stored body when empty (older hosts still read it).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub withdrawal_fees: std::collections::BTreeMap<String, waas_core::fees::FeeSchedule>,
    /// The events the client subscribes to (operations or OPERATION/SUB_OPERATION pairs);
    /// `None`: every event. Left out of the stored body when `None`, so hosts of an earlier
    /// version on the same database still read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_events: Option<Vec<String>>,
}

impl Settings {
    /// The floor of the client's minimum reserve ratio: as its parent set it; without one, the
    /// default ratio for a client with a parent, and none for the root.
    pub fn floor(&self, has_parent: bool) -> rust_decimal::Decimal {
        waas_core::access::reserve_floor(self.reserve_floor.map(Amount::as_decimal), has_parent)
    }

    /// The USD price configured for a token symbol (in any case).
    pub fn usd_price(&self, symbol: &str) -> Option<rust_decimal::Decimal> {
        self.usd_prices
            .get(&symbol.to_ascii_uppercase())
            .map(|p| p.as_decimal())
    }

    /// Sets USD prices given as `symbol -> decimal text` (`field` names them in an error).
    pub fn set_usd_prices(
        &mut self,
        field: &str,
        prices: std::collections::BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        for (token, price) in prices {
            let price = api::extract::amount(field, &price)?;
            self.usd_prices.insert(token.to_ascii_uppercase(), price);
        }
        Ok(())
    }
}

/// Seals the secrets of settings written in plain text by an older version (once, at start).
async fn seal_settings(store: &Store) -> Result<(), ApiError> {
    let rows = sqlx::query("SELECT client_id, body FROM settings")
        .fetch_all(store.pool())
        .await?;
    for r in rows {
        let body: String = r.try_get("body")?;
        let mut raw: Settings = store::stored(&body, "settings")?;
        let plain = raw.secrets_mut().any(|s| !seal::Sealer::is_sealed(s));
        if plain {
            let st = Settings::from_body(&body, store.sealer())?;
            sqlx::query("UPDATE settings SET body = $1 WHERE client_id = $2")
                .bind(st.to_body(store.sealer())?)
                .bind(r.try_get::<String, _>("client_id")?)
                .execute(store.pool())
                .await?;
        }
    }
    Ok(())
}

/// Runs the host until interrupted.
pub async fn serve(config: HostConfig) -> Result<(), ApiError> {
    // The port first: a busy port is found before any database is created or key printed.
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| ApiError::config(format!("cannot listen on {}: {e}", config.listen)))?;
    // A bad CORS origin is refused before the database is opened.
    ops::cors(&config.cors_origins)?;
    let state = Arc::new(open_state(&config).await?);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let outbox = tokio::spawn(webhooks::run(
        state.clone(),
        config.outbox_poll_ms,
        config.webhook_delivery,
        stopped,
    ));
    tokio::spawn(purge_idempotency(state.clone(), config.idempotency_ttl));
    tokio::spawn(expire_holds(state.clone()));
    if state.store.backend() == store::Backend::Postgres {
        tokio::spawn(store::statistics::keep(state.store.pool().clone()));
    } else {
        tokio::spawn(store::checkpoint::keep(state.store.reader().clone()));
    }
    if config.environment == Environment::Sandbox {
        // The simulated chain serves the simulate endpoints (also next to a real node).
        tokio::spawn(simchain::run(state.clone()));
    }
    if let Some(adapter) = &state.evm {
        tokio::spawn(adapter.clone().run(state.clone()));
    }
    let app = app(state.clone(), &config)?;
    let local = listener
        .local_addr()
        .map_err(|e| ApiError::config(e.to_string()))?;
    tracing::info!(%local, backend = ?state.store.backend(), "waas host listening");
    eprintln!("listening on http://{local}");
    server::run(listener, app, config.limits, stop_signal()).await;
    // Open requests have finished; the outbox finishes the attempts it started, then the process
    // exits 0. Events not yet delivered stay in the outbox for the next start.
    let _ = stop.send(true);
    if tokio::time::timeout(DRAIN_OUTBOX, outbox).await.is_err() {
        tracing::warn!(
            "webhook attempts still running at exit: they are retried after the restart"
        );
    }
    tracing::info!("waas host stopped");
    Ok(())
}

/// Opens the database with its sealer and registry, loads the keys, seeds a fresh database and
/// connects the EVM adapter: everything the routes share.
async fn open_state(config: &HostConfig) -> Result<AppState, ApiError> {
    let outside = outside_mnemonic(config.key_file.as_deref())?;
    if config.environment == Environment::Live && outside.is_none() {
        return Err(ApiError::new(
            waas_core::ErrorCode::MissingKey,
            "live mode needs the master key from outside the database: set WAAS_MNEMONIC or --key-file FILE",
        ));
    }
    let mut store = Store::open(&config.database_url).await?;
    // Secrets at rest are sealed with key material from outside the database: the master
    // mnemonic when given, else (sandbox) a key file beside the database.
    let sealer = match &outside {
        Some(phrase) => seal::Sealer::from_material(phrase.as_bytes()),
        None => seal::Sealer::from_material(&seal::key_file_material(&seal::sandbox_key_file(
            &config.database_url,
        ))?),
    };
    store = store.with_sealer(sealer);
    if let Some(setup) = &config.evm {
        // A custom chain and its tokens join the registry every ledger is restored over.
        store = store.with_registry(evm::registry(setup)?);
    }
    if let Some(url) = &config.webhook_url {
        endpoint::check(url, &config.endpoint_policy)?;
    }
    store.fill_rows().await?;
    let keys = keys::KeyRing::load(&store, outside).await?;
    seal_settings(&store).await?;
    bootstrap(&store, config).await?;
    let evm = match &config.evm {
        Some(setup) => Some(Arc::new(
            evm::EvmAdapter::connect(setup.clone(), &store).await?,
        )),
        None => None,
    };
    Ok(AppState {
        store,
        environment: config.environment,
        sim_block_ms: config.sim_block_ms,
        endpoint_policy: config.endpoint_policy,
        keys,
        outbox_notify: tokio::sync::Notify::new(),
        evm,
        key_cache: keycache::KeyCache::default(),
        limiter: ratelimit::RateLimiter::new(config.rate_limit),
    })
}

/// Longest wait for the outbox's attempts in flight at shutdown.
const DRAIN_OUTBOX: std::time::Duration = std::time::Duration::from_secs(15);

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("stop signal: draining open requests");
}

/// On an empty database: creates the first client and prints its key (every permission) once.
async fn bootstrap(store: &Store, config: &HostConfig) -> Result<(), ApiError> {
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM clients")
        .fetch_one(store.pool())
        .await?
        .try_get("n")?;
    if count > 0 {
        return Ok(());
    }
    let settings = Settings {
        webhook_url: config.webhook_url.clone(),
        webhook_key: config.webhook_key.clone(),
        ..Settings::default()
    };
    let (client_id, key) = create_client(
        store,
        None,
        "default",
        config.environment,
        Permission::ALL.iter().copied(),
        settings,
    )
    .await?;
    tracing::info!(%client_id, "created the first client");
    println!("api key: {}", key.expose());
    Ok(())
}

/// Creates a client with an empty ledger and one API key; the key is returned once.
pub async fn create_client(
    store: &Store,
    parent: Option<&str>,
    name: &str,
    environment: Environment,
    permissions: impl IntoIterator<Item = Permission>,
    settings: Settings,
) -> Result<(String, access::ApiKey), ApiError> {
    let client_id = new_id("cli");
    let (key, record) = access::new_key(environment, permissions)?;
    let terms = books::Terms::default().to_text()?;
    let mut tx = store.pool().begin().await?;
    sqlx::query("INSERT INTO clients (id, name, created_at, parent_id) VALUES ($1, $2, $3, $4)")
        .bind(&client_id)
        .bind(name)
        .bind(now_ms())
        .bind(parent)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO ledgers (client_id, state, terms, version, rows_ready) VALUES ($1, '', $2, 0, $3)",
    )
    .bind(&client_id)
    .bind(terms)
    .bind(books::SPLIT)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO settings (client_id, body) VALUES ($1, $2)")
        .bind(&client_id)
        .bind(settings.to_body(store.sealer())?)
        .execute(&mut *tx)
        .await?;
    insert_key(&mut tx, &client_id, &record).await?;
    tx.commit().await?;
    Ok((client_id, key))
}

/// Stores a key record (hash only) and what it is bound to.
pub async fn insert_key(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    client_id: &str,
    record: &access::StoredKey,
) -> Result<String, ApiError> {
    let id = new_id("key");
    sqlx::query("INSERT INTO api_keys (id, hash, client_id, record, created_at, user_id, access_level_id) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&id)
        .bind(record.hash.to_hex())
        .bind(client_id)
        .bind(serde_json::to_string(record).map_err(|e| ApiError::internal(e.to_string()))?)
        .bind(now_ms())
        .bind(record.binding.user_id())
        .bind(record.binding.access_level_id())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}
