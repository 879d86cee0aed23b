#![allow(clippy::unwrap_used)]
//! End-to-end tests of the reference host over real HTTP, for what needs a running process (crash
//! and restart, concurrency): each test starts
//! the built `waas` binary on a fresh database (a SQLite temp file, or a new PostgreSQL database created for the
//! test and dropped after it) and drives it as a client would. Every test runs on both backends.
//!
//! PostgreSQL: 127.0.0.1:5432, user postgres, trust auth, database `test` (used only to create and
//! drop the per-test databases). Unreachable, the PostgreSQL tests fail, unless
//! WAAS_SKIP_POSTGRES=1 (then they print a SKIPPED line).

mod support;

use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use support::api::{d, dec, setup, Api};
use support::{wait_for, Backend, Db, Opts, Receiver, Server};

/// An outside EVM address.
const EVM_OUT: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

fn crash_restart(backend: Backend) {
    let opts = Opts::default();
    let Some(db) = Db::fresh(backend, "crash_restart") else {
        return;
    };
    let receiver = Receiver::start(0);
    let mut s = Server::start(&db, &opts);
    let key = s.key().to_owned();
    let (w1, w2, w3, a3) = {
        let api = Api { s: &s, key: &key };
        api.put(
            "/v1/management/configurations",
            json!({"webhook_url": receiver.url}),
        )
        .ok(200);
        let acc = api.account("a");
        let (w1, _) = api.funded(&acc, "ethereum", "100000");
        let (w2, _) = api.wallet(&acc, "ethereum");
        let (w3, a3) = api.wallet(&acc, "ethereum");
        (w1, w2, w3, a3)
    };
    // Load: transfer threads and a deposit thread, each request with its own key; the server
    // is killed once enough requests were acknowledged.
    let acked = Arc::new(AtomicUsize::new(0));
    let attempted: Arc<Mutex<Vec<(String, String, Value)>>> = Arc::new(Mutex::new(Vec::new()));
    let s_ref = &s;
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (acked, attempted, key, w1, w2) = (
                acked.clone(),
                attempted.clone(),
                key.clone(),
                w1.clone(),
                w2.clone(),
            );
            scope.spawn(move || {
                for i in 0..2000 {
                    let idem = format!("t{t}-{i}");
                    let path = format!("/v1/wallets/virtual/{w1}/transfer");
                    let body = json!({"to_wallet_id": w2, "token": "USDT", "amount": "1"});
                    attempted
                        .lock()
                        .unwrap()
                        .push((path.clone(), idem.clone(), body.clone()));
                    let r = s_ref.try_call(
                        "POST",
                        &path,
                        Some(&key),
                        Some(&body.to_string()),
                        &[("Idempotency-Key", &idem)],
                    );
                    match r {
                        Ok(r) if r.status == 201 => {
                            acked.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(r) => panic!("transfer refused: {}", r.text),
                        Err(_) => break,
                    }
                }
            });
        }
        {
            let (acked, attempted, key, a3) =
                (acked.clone(), attempted.clone(), key.clone(), a3.clone());
            scope.spawn(move || {
                for i in 0..2000 {
                    let body = json!({"address": a3, "token": "USDT", "amount": "1", "tx": format!("crash-dep-{i}")});
                    attempted.lock().unwrap().push((
                        "/v1/simulate/deposit".to_owned(),
                        String::new(),
                        body.clone(),
                    ));
                    let r = s_ref.try_call("POST", "/v1/simulate/deposit", Some(&key), Some(&body.to_string()), &[]);
                    match r {
                        Ok(r) if r.status == 201 => {
                            acked.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(r) => panic!("deposit refused: {}", r.text),
                        Err(_) => break,
                    }
                }
            });
        }
        wait_for(120, "acknowledged requests", || {
            (acked.load(Ordering::SeqCst) >= 80).then_some(())
        });
        // kill -9 by pid: `s` is borrowed by the load threads.
        let pid = s_ref.pid();
        let status = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    });
    s.kill();
    let attempted = attempted.lock().unwrap().clone();
    let n_acked = acked.load(Ordering::SeqCst);
    assert!(attempted.len() >= n_acked && n_acked >= 80);
    drop(s);

    // Restart on the same database: retry every attempted request; each applies exactly once.
    let s = Server::restart(&db, &opts);
    let api = Api { s: &s, key: &key };
    let mut transfers = 0;
    let mut deposits = 0;
    for (path, idem, body) in &attempted {
        if idem.is_empty() {
            api.post(path, body.clone()).ok(201);
            deposits += 1;
        } else {
            let r = api.post_idem(path, idem, body);
            assert_eq!(r.status, 201, "retry of {idem}: {}", r.text);
            assert_eq!(r.json["id"], idem.as_str());
            transfers += 1;
        }
    }
    assert_eq!(api.total(&w2), Decimal::from(transfers));
    assert_eq!(api.total(&w1), d("100000") - Decimal::from(transfers));
    assert_eq!(api.total(&w3), Decimal::from(deposits));
    let tx = api
        .get("/v1/transactions?type=transfer&limit=500")
        .ok(200)
        .clone();
    assert_eq!(tx["data"].as_array().unwrap().len(), transfers);
    // Every outbox event is delivered after the restart (events of the killed host included).
    let events = wait_for(120, "every event delivered", || {
        let d = api.get("/v1/webhooks/deliveries?limit=500").ok(200).clone();
        let list = d["data"].as_array().unwrap().clone();
        list.iter()
            .all(|e| !e["delivered_at"].is_null())
            .then_some(list)
    });
    assert!(events.len() < 500, "one page holds every event");
    let received: BTreeSet<String> = receiver
        .received()
        .iter()
        .filter_map(|r| r.header("webhook-id").map(str::to_owned))
        .collect();
    for e in &events {
        assert!(
            received.contains(e["id"].as_str().unwrap()),
            "never received: {e}"
        );
    }
}

/// A transfer lists under the sender and the receiver; settings updates of different fields
/// both land.
fn concurrency(backend: Backend) {
    let Some((_db, s)) = setup(backend, "concurrency", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("a");
    let (a, _) = api.funded(&acc, "ethereum", "50");
    let (b, _) = api.funded(&acc, "ethereum", "50");
    let (c, _) = api.funded(&acc, "ethereum", "10");
    // Idempotency-Keys (transaction ids) belong to a client: another client's use of one does not
    // stop this client from using it.
    let other_key = api
        .post("/v1/management/clients", json!({"name": "other"}))
        .ok(201)["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = Api {
        s: &s,
        key: &other_key,
    };
    let other_acc = other.account("o");
    let (o1, _) = other.funded(&other_acc, "ethereum", "5");
    let (o2, _) = other.wallet(&other_acc, "ethereum");
    let keyed = |api: &Api, key: &str, from: &str, to: &str| {
        api.post_idem(
            &format!("/v1/wallets/virtual/{from}/transfer"),
            key,
            &json!({"to_wallet_id": to, "token": "USDT", "amount": "1"}),
        )
    };
    keyed(&other, "shared-key", &o1, &o2).ok(201);
    keyed(&api, "shared-key", &a, &b).ok(201);
    // A card deposit takes the transaction id "card-key". When a transfer with that key runs amid
    // the load, the core has already moved the funds when its transaction row is refused: the
    // operation must roll back alone while the rest of its batch commits.
    let card = api.card(&acc);
    api.post_idem(
        &format!("/v1/cards/{card}/deposit"),
        "card-key",
        &json!({"token": "USDT", "amount": "20"}),
    )
    .ok(201);
    let negative = AtomicUsize::new(0);
    let moved = AtomicUsize::new(1);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (a, b, api, moved) = (&a, &b, api, &moved);
            scope.spawn(move || {
                for i in 0..25 {
                    if t < 4 && i % 6 == 3 {
                        keyed(&api, "card-key", a, b).err(409, "DUPLICATE_OPERATION");
                    }
                    let (from, to) = if (t + i) % 2 == 0 { (a, b) } else { (b, a) };
                    let amount = format!("{}", 3 + (t * 7 + i) % 9);
                    let r = api.transfer(from, to, &amount);
                    match r.status {
                        201 => {
                            moved.fetch_add(1, Ordering::Relaxed);
                        }
                        422 => assert_eq!(r.code(), "INSUFFICIENT_FUNDS", "{}", r.text),
                        _ => panic!("transfer: {}", r.text),
                    }
                }
            });
        }
        // A reader checks the invariants while the transfers run.
        let (a, b, api, negative) = (&a, &b, api, &negative);
        scope.spawn(move || {
            for _ in 0..20 {
                let list = api.get("/v1/wallets/virtual").ok(200).clone();
                let mut sum = Decimal::ZERO;
                for w in list["data"].as_array().unwrap() {
                    if w["id"] == a.as_str() || w["id"] == b.as_str() {
                        let t = dec(&w["balances"]["USDT"]["total"]);
                        if t < Decimal::ZERO {
                            negative.fetch_add(1, Ordering::Relaxed);
                        }
                        sum += t;
                    }
                }
                assert_eq!(sum, d("100"), "the sum of the balances moved");
            }
        });
    });
    assert_eq!(negative.load(Ordering::Relaxed), 0);
    assert_eq!(api.total(&a) + api.total(&b), d("100"));
    assert!(api.total(&a) >= Decimal::ZERO && api.total(&b) >= Decimal::ZERO);
    assert!(moved.load(Ordering::Relaxed) > 0);
    let listed = api
        .get("/v1/transactions?type=transfer&limit=500")
        .ok(200)
        .clone();
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        moved.load(Ordering::Relaxed)
    );
    // The balances are what the listed transfers make of the funding, and nothing else.
    let mut expected_a = d("50");
    for t in listed["data"].as_array().unwrap() {
        let body = &t["details"];
        let amount = dec(&t["amount"]);
        if body["from_wallet_id"] == a.as_str() {
            expected_a -= amount;
        }
        if body["to_wallet_id"] == a.as_str() {
            expected_a += amount;
        }
    }
    assert_eq!(api.total(&a), expected_a, "{listed}");
    assert_eq!(other.total(&o1), d("4"));
    assert_eq!(other.total(&o2), d("1"));

    // Parallel withdrawals that together exceed the balance: exactly the affordable ones pass.
    let ok = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..12 {
            let (c, api, ok) = (&c, api, &ok);
            scope.spawn(move || {
                let r = api.post(
                    &format!("/v1/wallets/virtual/{c}/withdraw"),
                    json!({"to_address": EVM_OUT, "token": "USDT", "amount": "3"}),
                );
                match r.status {
                    201 => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    422 => assert_eq!(r.code(), "INSUFFICIENT_FUNDS", "{}", r.text),
                    _ => panic!("withdraw: {}", r.text),
                }
            });
        }
    });
    assert_eq!(ok.load(Ordering::Relaxed), 3);
    assert_eq!(api.total(&c), d("1"));
}

macro_rules! suite {
    ($backend:ident, $variant:expr) => {
        mod $backend {
            use super::*;
            #[test]
            fn crash_restart() {
                super::crash_restart($variant);
            }
            #[test]
            fn concurrency() {
                super::concurrency($variant);
            }
        }
    };
}

suite!(sqlite, Backend::Sqlite);
suite!(postgres, Backend::Postgres);
