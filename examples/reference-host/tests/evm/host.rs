//! The `waas serve` process under test and a client of its API.

#![allow(clippy::unwrap_used)]

use super::*;

pub struct Host {
    pub proc: Proc,
    pub base: String,
}

pub struct HostSetup {
    pub db: String,
    pub port: u16,
    pub node: String,
    pub token: String,
    pub webhook: String,
}

pub fn start_host(s: &HostSetup, failpoint: bool) -> (Host, Option<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waas"));
    cmd.arg("serve")
        .env("WAAS_MNEMONIC", MNEMONIC)
        .env_remove("WAAS_PASSPHRASE")
        .env_remove("DATABASE_URL")
        .env("WAAS_LISTEN", format!("127.0.0.1:{}", s.port))
        .env("DATABASE_URL", &s.db)
        .env("WAAS_WEBHOOK_URL", &s.webhook)
        .env("WAAS_OUTBOX_POLL_MS", "100")
        .env("WAAS_HOST_ID", "evm-test-host")
        .env("WAAS_EVM_RPC", &s.node)
        .env("WAAS_EVM_CHAIN", "local")
        .env("WAAS_EVM_CHAIN_ID", "1337")
        .env("WAAS_EVM_CONFIRMATIONS", CONFIRMATIONS.to_string())
        .env("WAAS_EVM_TOKENS", format!("TT:{}:18", s.token))
        .env("WAAS_EVM_POLL_MS", "100")
        .env("WAAS_EVM_BATCH", "4")
        .env("WAAS_LOG", "waas=info")
        .env("WAAS_RATE_LIMIT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if failpoint {
        cmd.env("WAAS_EVM_FAILPOINT", "exit-after-deposit");
    } else {
        cmd.env_remove("WAAS_EVM_FAILPOINT");
    }
    let mut child = cmd.spawn().expect("start waas serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(k) = line.strip_prefix("api key: ") {
                let _ = tx.send(k.to_owned());
            }
        }
    });
    let base = format!("http://127.0.0.1:{}", s.port);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", s.port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("waas serve exited at start: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "waas serve did not listen"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let key = rx.recv_timeout(Duration::from_millis(500)).ok();
    (
        Host {
            proc: Proc(child),
            base,
        },
        key,
    )
}

pub struct Api<'a> {
    pub base: &'a str,
    pub key: &'a str,
}

impl Api<'_> {
    pub fn get(&self, path: &str) -> Value {
        let (status, v) = http(
            "GET",
            &format!("{}{path}", self.base),
            &[("X-API-Key", self.key)],
            None,
        );
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    pub fn send(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, v) = http(
            method,
            &format!("{}{path}", self.base),
            &[("X-API-Key", self.key)],
            Some(&body),
        );
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {v}"
        );
        v
    }

    pub fn balance(&self, wallet: &str, token: &str) -> (String, String) {
        let v = self.get(&format!("/v1/wallets/virtual/{wallet}/balance"));
        let b = &v["balances"][token];
        (
            b["confirmed"].as_str().unwrap_or("0").to_owned(),
            b["unconfirmed"].as_str().unwrap_or("0").to_owned(),
        )
    }

    pub fn deposits_of(&self, wallet: &str) -> Vec<Value> {
        let v = self.get(&format!(
            "/v1/transactions?wallet_id={wallet}&type=deposit&limit=500"
        ));
        v["data"].as_array().cloned().unwrap_or_default()
    }
}

/// Mines a block and checks, until `f` answers or the time is up.
pub fn until<T>(node: &Node, what: &str, mine: bool, mut f: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "timed out waiting for: {what}"
        );
        if mine {
            node.mine();
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub fn hooks_with(hooks: &Mutex<Vec<Value>>, sub: &str, needle: &str) -> usize {
    hooks
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h["sub_operation"] == json!(sub) && h.to_string().contains(needle))
        .count()
}
