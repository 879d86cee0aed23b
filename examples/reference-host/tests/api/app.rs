//! The harness: a host in this process, called through its router.

use axum::body::Body;
use axum::http::Request;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tower::ServiceExt;
use waas_core::access::{Environment, Permission};
use waas_host::host::webhooks::Policy;
use waas_host::host::{create_client, open_app, AppState, HostConfig, Settings};

/// A host opened over its own database (a SQLite file, or a PostgreSQL database made for it),
/// with a client whose key has every permission.
pub struct App {
    router: axum::Router,
    state: Arc<AppState>,
    client_id: String,
    key: String,
    db: Db,
    /// Stops the webhook worker of [`App::with_outbox`] when the app is dropped.
    outbox: Option<tokio::sync::watch::Sender<bool>>,
    /// The simulated chain's worker of [`App::on_chain`], stopped when the app is dropped.
    chain: Option<tokio::task::JoinHandle<()>>,
}

/// Where an [`App`] keeps its books, removed when it is dropped.
enum Db {
    Sqlite(PathBuf),
    Postgres(String),
}

/// The PostgreSQL the tests use: 127.0.0.1:5432, user postgres, trust auth; databases are made
/// in it from `test`.
const PG: &str = "postgres://postgres@127.0.0.1:5432";

static N: AtomicU32 = AtomicU32::new(0);

/// The BIP-39 test mnemonic a live host's key file holds.
const TEST_MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/// An answer: its status, its headers and its JSON body (`Null` when it has none).
pub struct Answer {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
}

impl Answer {
    /// A header of the answer, as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body of a success with `status`; panics with the answer otherwise.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.json);
        &self.json
    }

    /// The error of a refusal with `status` and `code`; panics with the answer otherwise.
    #[track_caller]
    pub fn err(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            (self.status, self.json["error"]["code"].as_str()),
            (status, Some(code)),
            "unexpected answer: {}",
            self.json
        );
        &self.json["error"]
    }
}

/// A new SQLite file in the temp folder, not made yet: its path and URL.
fn sqlite_file() -> (PathBuf, String) {
    let file = std::env::temp_dir().join(format!(
        "waas-api-{}-{}.db",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let url = format!("sqlite://{}", file.display());
    (file, url)
}

/// A fresh host on an empty SQLite file with a runtime of its own, for synchronous callers
/// (property tests, and the stories shared with the process tests).
pub struct Blocking {
    /// Dropped before the runtime it was made in.
    pub app: App,
    rt: tokio::runtime::Runtime,
}

impl Blocking {
    /// A fresh host on an empty SQLite file, in a two-thread runtime.
    pub fn sqlite() -> Blocking {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let app = rt.block_on(App::new());
        Blocking { app, rt }
    }

    /// Runs `work` (a call on [`Blocking::app`]) to its end.
    pub fn run<F: std::future::Future>(&self, work: F) -> F::Output {
        self.rt.block_on(work)
    }
}

impl App {
    /// A fresh host on an empty SQLite file.
    pub async fn new() -> App {
        let (file, url) = sqlite_file();
        App::open(&url, Db::Sqlite(file), None).await
    }

    /// A fresh live host (no simulated chain, prices only from the platform) on an empty SQLite
    /// file, its master mnemonic read from a key file as `waas serve --mode live --key-file`
    /// reads it; its client is a live client.
    pub async fn live() -> App {
        let (file, url) = sqlite_file();
        // Beside the database, so that it is removed with it.
        let key_file = PathBuf::from(format!("{}-key", file.display()));
        std::fs::write(&key_file, TEST_MNEMONIC).unwrap();
        let mut config = HostConfig::sandbox(&url);
        config.environment = Environment::Live;
        config.key_file = Some(key_file);
        config.rate_limit = 0;
        App::open_config(config, Db::Sqlite(file), None).await
    }

    /// A fresh host on an empty SQLite file whose simulated chain makes a block every
    /// `block_ms` and runs beside the router, as `waas serve` runs it: deposits confirm and
    /// withdrawals go out and confirm on their own.
    pub async fn on_chain(block_ms: u64) -> App {
        let (file, url) = sqlite_file();
        App::open(&url, Db::Sqlite(file), Some(block_ms)).await
    }

    /// [`App::on_chain`] on a new PostgreSQL database (see [`App::postgres`]).
    pub async fn postgres_on_chain(test: &str, block_ms: u64) -> Option<App> {
        App::postgres_with(test, Some(block_ms)).await
    }

    /// A fresh host on a new PostgreSQL database; `None` (with a loud SKIPPED line) only when
    /// PostgreSQL is unreachable and WAAS_SKIP_POSTGRES=1, else an unreachable server fails.
    pub async fn postgres(test: &str) -> Option<App> {
        App::postgres_with(test, None).await
    }

    async fn postgres_with(test: &str, block_ms: Option<u64>) -> Option<App> {
        use sqlx::{Connection, Executor};
        let name = format!(
            "waas_api_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let made = async {
            let mut admin = sqlx::PgConnection::connect(&format!("{PG}/test")).await?;
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await?;
            admin.close().await
        };
        if let Err(e) = made.await {
            if std::env::var("WAAS_SKIP_POSTGRES").as_deref() == Ok("1") {
                eprintln!("\n******** SKIPPED {test} on PostgreSQL (WAAS_SKIP_POSTGRES=1): {e} ********\n");
                return None;
            }
            panic!(
                "PostgreSQL at 127.0.0.1:5432 (user postgres, database test) is not usable: {e}. Start it, or set WAAS_SKIP_POSTGRES=1 to skip the PostgreSQL tests."
            );
        }
        let url = format!("{PG}/{name}");
        Some(App::open(&url, Db::Postgres(name), block_ms).await)
    }

    /// Opens the host; with `block_ms`, its simulated chain runs at that block time.
    async fn open(url: &str, db: Db, block_ms: Option<u64>) -> App {
        let mut config = HostConfig::sandbox(url);
        // Off: a test sends bursts no client would (host_settings.rs checks the limit itself).
        config.rate_limit = 0;
        if let Some(ms) = block_ms {
            config.sim_block_ms = ms;
        }
        App::open_config(config, db, block_ms).await
    }

    /// A fresh host on an empty SQLite file, its configuration changed by `edit` first (as a
    /// flag of `waas serve` would change it; cli::serve's tests check the flags themselves).
    pub async fn with_config(edit: impl FnOnce(&mut HostConfig)) -> App {
        let (file, url) = sqlite_file();
        let mut config = HostConfig::sandbox(&url);
        config.rate_limit = 0;
        edit(&mut config);
        App::open_config(config, Db::Sqlite(file), None).await
    }

    /// Opens the host of `config`; with `block_ms`, its simulated chain's worker runs.
    async fn open_config(config: HostConfig, db: Db, block_ms: Option<u64>) -> App {
        let (router, state) = open_app(&config).await.expect("the host opens");
        let (client_id, key) = create_client(
            &state.store,
            None,
            "tests",
            config.environment,
            Permission::ALL.iter().copied(),
            Settings::default(),
        )
        .await
        .expect("a client");
        let chain = block_ms.map(|_| tokio::spawn(waas_host::host::simchain::run(state.clone())));
        App {
            router,
            state,
            client_id,
            key: key.expose().to_owned(),
            db,
            outbox: None,
            chain,
        }
    }

    /// Runs the expiry of holds beside the router, as `waas serve` does (every second).
    pub fn with_hold_expiry(self) -> App {
        tokio::spawn(waas_host::host::expire_holds(self.state.clone()));
        self
    }

    /// Runs the webhook worker beside the router, as `waas serve` does, polling every 20 ms and
    /// retrying after 50 ms (doubling), until the app is dropped.
    pub fn with_outbox(self) -> App {
        self.with_outbox_policy(Policy {
            backoff_base_ms: 50,
            ..Policy::default()
        })
    }

    /// As [`App::with_outbox`], with the delivery limits of `policy` (what `waas serve`'s
    /// `--webhook-max-attempts`, `--webhook-backoff-ms`, ... flags set).
    pub fn with_outbox_policy(mut self, policy: Policy) -> App {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(waas_host::host::webhooks::run(
            self.state.clone(),
            20,
            policy,
            stopped,
        ));
        self.outbox = Some(stop);
        self
    }

    /// Calls `method path` with `key` (none: no X-API-Key), extra headers and a JSON body.
    pub async fn send(
        &self,
        key: Option<&str>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(k) = key {
            req = req.header("X-API-Key", k);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let body = match body {
            Some(v) => {
                req = req.header("Content-Type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.answer(req.body(body).unwrap()).await
    }

    /// Calls with the client's key and `body` sent as it is, labelled JSON (for what the parser
    /// must refuse).
    pub async fn send_raw(&self, method: &str, path: &str, body: &str) -> Answer {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("X-API-Key", &self.key)
            .header("Content-Type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.answer(req).await
    }

    /// GET with the client's key, the body as text (JSON Lines exports): (status, text).
    pub async fn get_text(&self, key: &str, path: &str) -> (u16, String) {
        let req = Request::builder()
            .uri(path)
            .header("X-API-Key", key)
            .body(Body::empty())
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// Every item of a list, page by page (`limit` each); checks each page's shape and cursor.
    pub async fn all_pages(&self, path: &str, limit: usize) -> Vec<Value> {
        self.pages_from(path, limit, None).await
    }

    /// The same, starting after a cursor.
    pub async fn pages_from(&self, path: &str, limit: usize, start: Option<String>) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor = start;
        let sep = if path.contains('?') { '&' } else { '?' };
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
                None => format!("{path}{sep}limit={limit}"),
            };
            let page = self.get(&url).await;
            let data = page.ok(200)["data"]
                .as_array()
                .unwrap_or_else(|| panic!("{url}: {}", page.json));
            assert!(data.len() <= limit, "{url}: a page longer than its limit");
            out.extend(data.iter().cloned());
            match page.json["next_cursor"].as_str() {
                Some(c) => {
                    assert_eq!(data.len(), limit, "{url}: a short page with a next cursor");
                    cursor = Some(c.to_owned());
                }
                None => {
                    assert!(page.json["next_cursor"].is_null(), "{url}");
                    return out;
                }
            }
        }
    }

    /// The host's state (its store among it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The client's id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    async fn answer(&self, req: Request<Body>) -> Answer {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 16 << 20)
            .await
            .unwrap();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            json,
        }
    }

    /// Calls with the client's key.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.send(Some(&self.key), method, path, &[], body).await
    }

    /// POST with an `Idempotency-Key`.
    pub async fn post_idem(&self, path: &str, idem: &str, body: Value) -> Answer {
        self.send(
            Some(&self.key),
            "POST",
            path,
            &[("Idempotency-Key", idem)],
            Some(body),
        )
        .await
    }

    /// A key of this client with only `permissions`.
    pub async fn key_with(&self, permissions: &[&str]) -> String {
        let r = self
            .post(
                "/v1/management/api-keys",
                serde_json::json!({ "permissions": permissions }),
            )
            .await;
        r.ok(201)["key"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call("POST", path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call("PUT", path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call("PATCH", path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call("DELETE", path, None).await
    }

    /// An account of this client: its id.
    pub async fn account(&self, name: &str) -> String {
        let a = self
            .post("/v1/accounts", serde_json::json!({ "name": name }))
            .await;
        a.ok(201)["id"].as_str().unwrap().to_owned()
    }

    /// A virtual wallet of `account` on `chain`: (id, address).
    pub async fn wallet(&self, account: &str, chain: &str) -> (String, String) {
        let w = self
            .post(
                "/v1/wallets/virtual",
                serde_json::json!({ "account_id": account, "blockchain": chain }),
            )
            .await;
        let w = w.ok(201);
        (
            w["id"].as_str().unwrap().to_owned(),
            w["address"].as_str().unwrap().to_owned(),
        )
    }
}

impl App {
    /// A wallet funded with `amount` USDT, confirmed and swept: (id, address).
    pub async fn funded(&self, account: &str, chain: &str, amount: &str) -> (String, String) {
        let (id, addr) = self.wallet(account, chain).await;
        let tx = format!("fund:{id}");
        let body =
            serde_json::json!({"address": addr, "token": "USDT", "amount": amount, "tx": tx});
        self.post("/v1/simulate/deposit", body).await.ok(201);
        self.post("/v1/simulate/confirm", serde_json::json!({ "tx": tx }))
            .await
            .ok(200);
        (id, addr)
    }
}

impl App {
    /// A simulated deposit of `amount` `token` to `address` under the transaction id `tx`.
    pub async fn deposit(&self, address: &str, token: &str, amount: &str, tx: &str) -> Value {
        let body =
            serde_json::json!({"address": address, "token": token, "amount": amount, "tx": tx});
        self.post("/v1/simulate/deposit", body)
            .await
            .ok(201)
            .clone()
    }

    /// Confirms a simulated deposit (and sweeps it).
    pub async fn confirm(&self, tx: &str) -> Value {
        let r = self
            .post("/v1/simulate/confirm", serde_json::json!({ "tx": tx }))
            .await;
        r.ok(200).clone()
    }

    /// A USDT transfer between two virtual wallets.
    pub async fn transfer(&self, from: &str, to: &str, amount: &str) -> Answer {
        let body = serde_json::json!({"to_wallet_id": to, "token": "USDT", "amount": amount});
        self.post(&format!("/v1/wallets/virtual/{from}/transfer"), body)
            .await
    }

    /// A wallet's USDT balance as decimal strings: (confirmed, unconfirmed, total).
    pub async fn usdt(&self, wallet: &str) -> (String, String, String) {
        let w = self.get(&format!("/v1/wallets/virtual/{wallet}")).await;
        let b = &w.ok(200)["balances"]["USDT"];
        let s = |f: &str| b[f].as_str().unwrap_or("0").to_owned();
        (s("confirmed"), s("unconfirmed"), s("total"))
    }

    /// A wallet's USDT total.
    pub async fn total(&self, wallet: &str) -> String {
        self.usdt(wallet).await.2
    }

    /// The reserve of USDT on `chain`'s holding wallet.
    pub async fn reserve(&self, chain: &str) -> Value {
        let h = self.get(&format!("/v1/wallets/holding/{chain}")).await;
        h.ok(200)["reserve"]["USDT"].clone()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(stop) = self.outbox.take() {
            let _ = stop.send(true);
        }
        if let Some(chain) = self.chain.take() {
            chain.abort();
        }
        match &self.db {
            Db::Sqlite(file) => {
                // The database, its WAL files and the sandbox key file beside it.
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                if let Ok(dir) = std::fs::read_dir(std::env::temp_dir()) {
                    for entry in dir.flatten() {
                        if entry.file_name().to_string_lossy().starts_with(&name) {
                            let _ = std::fs::remove_file(entry.path());
                        }
                    }
                }
            }
            Db::Postgres(name) => {
                // Dropped from a thread of its own: this runs inside the test's runtime.
                let name = name.clone();
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(rt) = rt {
                        rt.block_on(async {
                            use sqlx::{Connection, Executor};
                            if let Ok(mut admin) =
                                sqlx::PgConnection::connect(&format!("{PG}/test")).await
                            {
                                let _ = admin
                                    .execute(
                                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                                            .as_str(),
                                    )
                                    .await;
                            }
                        });
                    }
                })
                .join();
                // The sandbox key file of a PostgreSQL host is waas-sandbox.seal in the working
                // directory, shared by every test: left in place.
            }
        }
    }
}
