//! Shared by the HTTP end-to-end tests and the load bench: a real `waas serve` process on a
//! fresh SQLite file or PostgreSQL database, and a small blocking HTTP client.
//!
//! The client is reqwest (async, already a dependency of the host for webhook delivery) driven by
//! one shared tokio runtime, so the tests add no new crate to the build.

#![allow(dead_code, clippy::unwrap_used, missing_docs)]

pub mod api;
mod documented;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The shared runtime that drives every HTTP call of the tests.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            // The host closes connections idle for 10 s (its header deadline): drop them first,
            // so a request never races that close on a reused connection.
            .pool_idle_timeout(Duration::from_secs(4))
            .build()
            .unwrap()
    })
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests and benches make their databases on: `WAAS_TEST_PG` (a URL
/// without a database, such as `postgres://postgres@127.0.0.1:5433`, for a server tuned for a
/// bench), else the machine's on 127.0.0.1:5432.
fn pg_server() -> String {
    std::env::var("WAAS_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A fresh database, removed when dropped.
pub struct Db {
    pub url: String,
    backend: Backend,
    file: Option<PathBuf>,
    pg_name: Option<String>,
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}{}_{nanos:x}_{n}", std::process::id())
}

async fn pg_admin() -> Result<sqlx::PgConnection, sqlx::Error> {
    use sqlx::Connection;
    sqlx::PgConnection::connect(&format!("{}/test", pg_server())).await
}

impl Db {
    /// A fresh database of the backend; `None` when PostgreSQL is unreachable and
    /// WAAS_SKIP_POSTGRES=1 says to skip (a loud SKIPPED line is printed). Without that variable an
    /// unreachable PostgreSQL fails the test.
    pub fn fresh(backend: Backend, test: &str) -> Option<Db> {
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{}.db", unique("waas_t_")));
                Some(Db {
                    url: format!("sqlite://{}", path.display()),
                    backend,
                    file: Some(path),
                    pg_name: None,
                })
            }
            Backend::Postgres => {
                let name = unique("waas_t_").to_lowercase();
                let created = rt().block_on(async {
                    use sqlx::Executor;
                    let mut c = pg_admin().await?;
                    c.execute(format!("CREATE DATABASE {name}").as_str())
                        .await
                        .map(|_| ())
                });
                match created {
                    Ok(()) => Some(Db {
                        url: format!("{}/{name}", pg_server()),
                        backend,
                        file: None,
                        pg_name: Some(name),
                    }),
                    Err(e) => {
                        if std::env::var("WAAS_SKIP_POSTGRES").as_deref() == Ok("1") {
                            eprintln!(
                                "\n******** SKIPPED {test} on PostgreSQL (WAAS_SKIP_POSTGRES=1): {e} ********\n"
                            );
                            None
                        } else {
                            panic!(
                                "PostgreSQL at {} (user postgres, database test) is not usable: {e}.\n\
                                 Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) \
                                 or set WAAS_SKIP_POSTGRES=1 to skip the PostgreSQL tests.",
                                pg_server()
                            )
                        }
                    }
                }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// PostgreSQL: drops the database now, closing every connection to it (a database gone).
    pub fn drop_database_now(&self) {
        let name = self.pg_name.clone().expect("a PostgreSQL database");
        rt().block_on(async move {
            use sqlx::Executor;
            let mut c = pg_admin().await.unwrap();
            c.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .unwrap();
        });
    }

    /// A SQLite database at a given file (a copy of a fixture), removed when dropped.
    pub fn sqlite_at(path: PathBuf) -> Db {
        Db {
            url: format!("sqlite://{}", path.display()),
            backend: Backend::Sqlite,
            file: Some(path),
            pg_name: None,
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
        if let Some(name) = &self.pg_name {
            let name = name.clone();
            let _ = rt().block_on(async move {
                use sqlx::Executor;
                let mut c = pg_admin().await?;
                c.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .map(|_| ())
            });
        }
    }
}

/// A running `waas serve` process; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    /// The key printed on the first start (every permission); `None` after a restart.
    pub key: Option<String>,
    log: Arc<Mutex<String>>,
    /// The served document's operations, fetched at the first error answer.
    documented: OnceLock<documented::Documented>,
}

/// Options of `waas serve` the tests vary.
#[derive(Clone)]
pub struct Opts {
    pub sim_block_ms: u64,
    pub outbox_poll_ms: u64,
    pub webhook_url: Option<String>,
    pub release_bin: Option<PathBuf>,
    /// More arguments of `waas serve`.
    pub extra_args: Vec<String>,
    /// `--rate-limit` (requests a second per key); the tests default to 0 (off), as they send
    /// bursts on purpose.
    pub rate_limit: u32,
}

impl Default for Opts {
    fn default() -> Self {
        // Slow blocks: deposits stay pending until a test confirms them through the API.
        Opts {
            sim_block_ms: 1_000_000,
            outbox_poll_ms: 20,
            webhook_url: None,
            release_bin: None,
            extra_args: Vec::new(),
            rate_limit: 0,
        }
    }
}

/// Runs `waas ledger verify` on a journal export: (exit code, stdout, stderr).
pub fn verify_journal(text: &str) -> (i32, String, String) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("waas_journal_{}_{n}.jsonl", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let out = Command::new(bin())
        .args(["ledger", "verify"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_waas"))
}

/// The `waas serve` command of `opts` on `db`, on a free loopback port, with none of the
/// environment's WAAS_ settings and its output piped.
fn serve_command(db: &Db, opts: &Opts) -> Command {
    let exe = opts.release_bin.clone().unwrap_or_else(bin);
    let mut cmd = Command::new(exe);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--db",
        &db.url,
        "--sim-block-ms",
        &opts.sim_block_ms.to_string(),
        "--outbox-poll-ms",
        &opts.outbox_poll_ms.to_string(),
    ]);
    if let Some(u) = &opts.webhook_url {
        cmd.args(["--webhook-url", u]);
    }
    cmd.args(&opts.extra_args);
    cmd.args(["--rate-limit", &opts.rate_limit.to_string()]);
    for var in [
        "DATABASE_URL",
        "WAAS_MNEMONIC",
        "WAAS_PASSPHRASE",
        "WAAS_LISTEN",
        "WAAS_MODE",
        "WAAS_WEBHOOK_URL",
        "WAAS_WEBHOOK_KEY",
        "WAAS_SIM_BLOCK_MS",
        "WAAS_OUTBOX_POLL_MS",
        "WAAS_WEBHOOK_ALLOW_LOOPBACK",
        "WAAS_RATE_LIMIT",
        "WAAS_KEY_FILE",
        "WAAS_WEBHOOK_ALLOW_PRIVATE",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Reads the child's standard error on a thread of its own: the log so far (first megabyte),
/// and the address of its `listening on` line.
fn read_stderr(child: &mut Child) -> (Arc<Mutex<String>>, mpsc::Receiver<String>) {
    let log = Arc::new(Mutex::new(String::new()));
    let (addr_tx, addr_rx) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let log2 = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(a) = line.strip_prefix("listening on ") {
                let _ = addr_tx.send(a.trim().to_owned());
            }
            let mut l = log2.lock().unwrap();
            if l.len() < 1_000_000 {
                l.push_str(&line);
                l.push('\n');
            }
        }
    });
    (log, addr_rx)
}

/// Reads the child's standard output on a thread of its own: the key of its `api key:` line.
fn read_stdout(child: &mut Child) -> mpsc::Receiver<String> {
    let (key_tx, key_rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(k) = line.strip_prefix("api key: ") {
                let _ = key_tx.send(k.trim().to_owned());
            }
        }
    });
    key_rx
}

impl Server {
    /// Starts the host on a fresh database (it prints the first key) and waits for /healthz.
    pub fn start(db: &Db, opts: &Opts) -> Server {
        Server::launch(db, opts, true)
    }

    /// Starts the host again on a database that has its client already (no key is printed).
    pub fn restart(db: &Db, opts: &Opts) -> Server {
        Server::launch(db, opts, false)
    }

    /// Starts the host on a free loopback port (`--listen 127.0.0.1:0`: the OS picks the port, the
    /// host prints it, so parallel tests never race for one) and waits until /healthz answers.
    fn launch(db: &Db, opts: &Opts, expect_key: bool) -> Server {
        let mut child = serve_command(db, opts).spawn().unwrap();
        let (log, addr_rx) = read_stderr(&mut child);
        let key_rx = read_stdout(&mut child);
        let base = match addr_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(b) => b,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the host did not start within 60 s; its log:\n{}",
                    log.lock().unwrap()
                );
            }
        };
        let key = if expect_key {
            match key_rx.recv_timeout(Duration::from_secs(30)) {
                Ok(k) => Some(k),
                Err(_) => panic!(
                    "no `api key:` line on stdout; log:\n{}",
                    log.lock().unwrap()
                ),
            }
        } else {
            None
        };
        let server = Server {
            child,
            base,
            key,
            log,
            documented: OnceLock::new(),
        };
        server.wait_healthy();
        server
    }

    /// Waits (30 s at most) until /healthz answers 200.
    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = self.try_call("GET", "/healthz", None, None, &[]) {
                if r.status == 200 {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "/healthz never answered");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The host's standard error so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The first key (panics after a restart).
    pub fn key(&self) -> &str {
        self.key.as_deref().expect("the first start prints a key")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then the exit status (`None` when it did not exit within `secs`).
    pub fn terminate(&mut self, secs: u64) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while std::time::Instant::now() < until {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }

    /// kill -9.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// One request; transport errors are returned. An error answer must be one the reached
    /// operation documents (status and code), else the test fails here.
    pub fn try_call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Resp, String> {
        let resp = self.send(method, path, key, body, headers)?;
        if resp.status >= 400 {
            let documented = self.documented.get_or_init(|| {
                let doc = self
                    .send("GET", "/openapi.json", None, None, &[])
                    .map(|r| r.json)
                    .unwrap_or(Value::Null);
                documented::Documented::of(&doc)
            });
            if let Some(problem) = documented.undocumented(method, path, resp.status, &resp.json) {
                panic!("an error the document does not list: {problem}");
            }
        }
        Ok(resp)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Resp, String> {
        let url = format!("{}{}", self.base, path);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = http().request(method, url);
        if let Some(k) = key {
            req = req.header("X-API-Key", k);
        }
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        rt().block_on(async move {
            let r = req.send().await.map_err(|e| e.to_string())?;
            let status = r.status().as_u16();
            let retry_after = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let headers = r
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect();
            let text = r.text().await.map_err(|e| e.to_string())?;
            let json = serde_json::from_str(&text).unwrap_or(Value::Null);
            Ok(Resp {
                status,
                json,
                text,
                retry_after,
                headers,
            })
        })
    }

    /// One request that must get an answer.
    pub fn call(&self, method: &str, path: &str, key: Option<&str>, body: Option<&Value>) -> Resp {
        let b = body.map(Value::to_string);
        self.try_call(method, path, key, b.as_deref(), &[])
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\nhost log:\n{}", self.log()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub json: Value,
    pub text: String,
    /// The `Retry-After` header, when there is one.
    pub retry_after: Option<String>,
    /// Every header (lower-case names).
    pub headers: Vec<(String, String)>,
}

impl Resp {
    /// A header's value (names compared in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The error code of an error answer ("" when there is none).
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        &self.json
    }

    /// Asserts an error answer with this status and code.
    #[track_caller]
    pub fn err(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "unexpected answer: {}",
            self.text
        );
    }
}

/// Polls `f` until it returns `Some`, or panics with `what` after `secs` seconds.
#[track_caller]
pub fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A webhook receiver on a free loopback port: answers 500 to the first `fail_first` requests,
/// then 200, and records every request (headers and body).
pub struct Receiver {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Received>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Receiver {
    pub fn start(fail_first: usize) -> Receiver {
        use axum::body::Bytes;
        use axum::http::HeaderMap;
        let seen: Arc<Mutex<Vec<Received>>> = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        let listener = rt()
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let seen = seen2.clone();
            async move {
                let mut s = seen.lock().unwrap();
                let status = if s.len() < fail_first { 500 } else { 200 };
                s.push(Received {
                    headers: headers
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
                        .collect(),
                    body: body.to_vec(),
                    answered: status,
                });
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        });
        rt().spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            seen,
            shutdown: Some(tx),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// One operation of the catalog with the route the host serves it at.
#[allow(dead_code)] // each test binary uses its own part of the support code
#[derive(Debug, Clone)]
pub struct CatalogOp {
    /// Its stable id.
    pub id: &'static str,
    /// Its HTTP method, upper case.
    pub method: String,
    /// Its path, with `{placeholders}`.
    pub path: String,
    /// The permission a key needs.
    pub permission: waas_core::access::Permission,
}

/// Every operation of the core's catalog with its route, in catalog order: the route as the
/// host's handlers declare it (the core knows nothing of HTTP).
#[allow(dead_code)]
pub fn catalog() -> Vec<CatalogOp> {
    waas_host::host::api::routes::operation_routes()
        .iter()
        .map(|(op, route)| CatalogOp {
            id: op.id(),
            method: route.method.clone(),
            path: route.path.clone(),
            permission: op.spec().permission,
        })
        .collect()
}
