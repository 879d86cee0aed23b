#![allow(clippy::unwrap_used)]
//! Tenancy over real HTTP, on SQLite and PostgreSQL, for what needs a host process (a header
//! deadline, a restart, live mode's start). The client tree, reach, key escalation and the policy
//! a parent sets run in-process (tests/api/tenancy.rs), as do the start-up settings
//! (tests/api/host_settings.rs: loopback webhooks refused, the rate limit, CORS) and a webhook
//! redirect that is not followed (tests/api/webhooks.rs).

mod support;

use serde_json::json;
use support::api::{setup, Api};
use support::{rt, wait_for, Backend, Opts, Receiver};

/// The bytes of a SQLite database file and of its write-ahead log.
fn file_bytes(path: &str) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        bytes.extend(wal);
    }
    bytes
}

/// The master mnemonic as the keystore holds it.
fn master_secret(url: &str) -> String {
    rt().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await.unwrap();
        let row = sqlx::query("SELECT secret FROM keystore WHERE id = 'master'")
            .fetch_one(&pool)
            .await
            .unwrap();
        use sqlx::Row;
        row.try_get::<String, _>("secret").unwrap()
    })
}

/// Makes the idempotency row of `key` as old as can be (the host is stopped).
fn make_old(url: &str, key: &str) {
    rt().block_on(async {
        let pool = sqlx::AnyPool::connect(url).await.unwrap();
        sqlx::query("UPDATE idempotency SET created_at = 0 WHERE key = $1")
            .bind(key)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    })
}

/// Secrets are sealed at rest: the database file holds neither the webhook key nor the signing
/// secret nor the generated mnemonic in plain text, and deliveries still carry them.
/// (SQLite only: its file is searched; PostgreSQL stores the same sealed values.)
#[test]
fn secrets_sealed() {
    let Some((db, s)) = setup(Backend::Sqlite, "tenancy_sealed", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let receiver = Receiver::start(0);
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    api.put(
        "/v1/webhooks/configuration",
        json!({"url": receiver.url, "key": "plain-key-7f3a9c", "secret": secret}),
    )
    .ok(200);
    let acc = api.account("a");
    api.wallet(&acc, "ethereum");
    let got = wait_for(30, "a delivery", || receiver.received().into_iter().next());
    assert_eq!(got.header("x-webhook-key"), Some("plain-key-7f3a9c"));
    assert!(got.header("webhook-signature").is_some());
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    let bytes = file_bytes(&path);
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        !contains(b"plain-key-7f3a9c"),
        "the webhook key is in the database file"
    );
    assert!(
        !contains(secret.as_bytes()),
        "the signing secret is in the database file"
    );
    assert!(!contains(b"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    // The generated mnemonic is sealed too.
    let stored = master_secret(&db.url);
    assert!(stored.starts_with("sealed:v1:"), "{}", &stored[..12]);
    // A virtual card's full number is shown once: not in the idempotency row, not in a replay.
    let body = json!({"account_id": acc});
    let first = api.post_idem("/v1/virtual-cards", "vc-1", &body);
    assert_eq!(first.status, 201, "{}", first.text);
    let full = first.json["full_number"].as_str().unwrap().to_owned();
    let again = api.post_idem("/v1/virtual-cards", "vc-1", &body);
    assert_eq!(again.json["id"], first.json["id"]);
    assert!(again.json.get("full_number").is_none(), "{}", again.text);
    let bytes = file_bytes(&path);
    assert!(
        !bytes.windows(full.len()).any(|w| w == full.as_bytes()),
        "the full card number is in the database file"
    );
    // Idempotency rows expire: an old one is purged when the host starts.
    let key = s.key().to_owned();
    drop(s);
    make_old(&db.url, "vc-1");
    let s = support::Server::restart(&db, &Opts::default());
    let api = Api { s: &s, key: &key };
    wait_for(10, "the old idempotency row to go", || {
        let r = api.post_idem("/v1/virtual-cards", "vc-1", &body);
        // Forgotten: the key runs anew and issues another card.
        (r.status == 201 && r.json["id"] != first.json["id"]).then_some(())
    });
}

/// A live host without its master key from outside the database does not start, and creates
/// nothing.
#[test]
fn live_needs_key_material() {
    let path = std::env::temp_dir().join(format!("waas_live_{}.db", std::process::id()));
    let out = std::process::Command::new(support::bin())
        .args(["serve", "--mode", "live", "--listen", "127.0.0.1:0", "--db"])
        .arg(format!("sqlite://{}", path.display()))
        .env_remove("WAAS_MNEMONIC")
        .env_remove("WAAS_KEY_FILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error: MISSING_KEY: live mode needs the master key"),
        "{err}"
    );
    assert!(!path.exists(), "a database was created");
}

/// A client that sends half of its headers and stops is cut off after the header deadline; the
/// server goes on answering others.
fn slow_headers_are_cut_off(backend: Backend) {
    use std::io::{Read, Write};
    let opts = Opts {
        extra_args: vec!["--header-timeout-ms".into(), "500".into()],
        ..Opts::default()
    };
    let Some((_db, s)) = setup(backend, "tenancy_slow", &opts) else {
        return;
    };
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.write_all(b"GET /v1/accounts HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    // The server closes the connection (possibly after a 408 answer): the read ends.
    let _ = conn.read_to_end(&mut buf);
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(5),
        "a half-sent request stayed open {waited:?}"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(!text.contains("200 OK"), "{text}");
    // Others are still served (on a new connection: pooled ones idle past the deadline are gone).
    let mut fresh = std::net::TcpStream::connect(&addr).unwrap();
    fresh
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    fresh.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

macro_rules! suite {
    ($backend:ident, $variant:expr) => {
        mod $backend {
            use super::*;
            #[test]
            fn slow_headers_are_cut_off() {
                super::slow_headers_are_cut_off($variant);
            }
        }
    };
}

suite!(sqlite, Backend::Sqlite);
suite!(postgres, Backend::Postgres);
