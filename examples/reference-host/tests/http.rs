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
use std::sync::Mutex;
use support::api::{d, dec, setup, Api};
use support::{wait_for, Backend, Db, Opts, Receiver, Resp, Server};

/// An outside EVM address.
const EVM_OUT: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

/// What a load thread made: (path, Idempotency-Key, body) of each request it attempted, the key
/// empty for a deposit.
type Attempted = Mutex<Vec<(String, String, Value)>>;

/// A host killed (kill -9) under load and restarted: every attempted request retried applies
/// exactly once, and every outbox event is delivered.
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
    let acked = AtomicUsize::new(0);
    let attempted: Attempted = Mutex::new(Vec::new());
    let s_ref = &s;
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (acked, attempted, key, w1, w2) = (&acked, &attempted, &key, &w1, &w2);
            scope.spawn(move || transfer_load(s_ref, key, t, (w1, w2), acked, attempted));
        }
        let (acked, attempted, key, a3) = (&acked, &attempted, &key, &a3);
        scope.spawn(move || deposit_load(s_ref, key, a3, acked, attempted));
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
    each_retry_applies_once(api, &attempted, [&w1, &w2, &w3]);
    every_event_is_delivered(api, &receiver);
}

/// Load thread `t`: up to 2000 keyed transfers of 1 USDT from `w1` to `w2`, each recorded before
/// it is sent, until the host stops answering.
fn transfer_load(
    s: &Server,
    key: &str,
    t: usize,
    (w1, w2): (&str, &str),
    acked: &AtomicUsize,
    attempted: &Attempted,
) {
    for i in 0..2000 {
        let idem = format!("t{t}-{i}");
        let path = format!("/v1/wallets/virtual/{w1}/transfer");
        let body = json!({"to_wallet_id": w2, "token": "USDT", "amount": "1"});
        attempted
            .lock()
            .unwrap()
            .push((path.clone(), idem.clone(), body.clone()));
        let r = s.try_call(
            "POST",
            &path,
            Some(key),
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
}

/// The deposit thread: up to 2000 simulated deposits of 1 USDT to `a3`, each recorded before it
/// is sent, until the host stops answering.
fn deposit_load(s: &Server, key: &str, a3: &str, acked: &AtomicUsize, attempted: &Attempted) {
    for i in 0..2000 {
        let body =
            json!({"address": a3, "token": "USDT", "amount": "1", "tx": format!("crash-dep-{i}")});
        attempted.lock().unwrap().push((
            "/v1/simulate/deposit".to_owned(),
            String::new(),
            body.clone(),
        ));
        let r = s.try_call(
            "POST",
            "/v1/simulate/deposit",
            Some(key),
            Some(&body.to_string()),
            &[],
        );
        match r {
            Ok(r) if r.status == 201 => {
                acked.fetch_add(1, Ordering::SeqCst);
            }
            Ok(r) => panic!("deposit refused: {}", r.text),
            Err(_) => break,
        }
    }
}

/// Retries every attempted request on the restarted host: each applies exactly once, so the
/// balances of the sender, the receiver and the deposit wallet count them, and so does the list.
fn each_retry_applies_once(
    api: Api<'_>,
    attempted: &[(String, String, Value)],
    wallets: [&str; 3],
) {
    let [w1, w2, w3] = wallets;
    let mut transfers = 0;
    let mut deposits = 0;
    for (path, idem, body) in attempted {
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
    assert_eq!(api.total(w2), Decimal::from(transfers));
    assert_eq!(api.total(w1), d("100000") - Decimal::from(transfers));
    assert_eq!(api.total(w3), Decimal::from(deposits));
    let tx = api
        .get("/v1/transactions?type=transfer&limit=500")
        .ok(200)
        .clone();
    assert_eq!(tx["data"].as_array().unwrap().len(), transfers);
}

/// Every outbox event is delivered after the restart (events of the killed host included).
fn every_event_is_delivered(api: Api<'_>, receiver: &Receiver) {
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

/// A keyed transfer of 1 USDT.
fn keyed(api: &Api, key: &str, from: &str, to: &str) -> Resp {
    api.post_idem(
        &format!("/v1/wallets/virtual/{from}/transfer"),
        key,
        &json!({"to_wallet_id": to, "token": "USDT", "amount": "1"}),
    )
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
    let moved = transfers_under_load(api, &a, &b);
    the_listed_transfers_make_the_balances(api, &a, moved);
    assert_eq!(other.total(&o1), d("4"));
    assert_eq!(other.total(&o2), d("1"));
    only_the_affordable_withdrawals_pass(api, &c);
}

/// Eight threads move money back and forth between `a` and `b` (the first four also try the
/// card's transaction id, refused) while a reader checks that their sum stays 100 and neither
/// goes below zero. The number of transfers made (the keyed one before included).
fn transfers_under_load(api: Api<'_>, a: &str, b: &str) -> usize {
    let negative = AtomicUsize::new(0);
    let moved = AtomicUsize::new(1);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let moved = &moved;
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
        let negative = &negative;
        scope.spawn(move || {
            for _ in 0..20 {
                let list = api.get("/v1/wallets/virtual").ok(200).clone();
                let mut sum = Decimal::ZERO;
                for w in list["data"].as_array().unwrap() {
                    if w["id"] == a || w["id"] == b {
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
    assert_eq!(api.total(a) + api.total(b), d("100"));
    assert!(api.total(a) >= Decimal::ZERO && api.total(b) >= Decimal::ZERO);
    let moved = moved.load(Ordering::Relaxed);
    assert!(moved > 0);
    moved
}

/// Every transfer made is listed, and the balances are what the listed transfers make of the
/// funding, and nothing else.
fn the_listed_transfers_make_the_balances(api: Api<'_>, a: &str, moved: usize) {
    let listed = api
        .get("/v1/transactions?type=transfer&limit=500")
        .ok(200)
        .clone();
    assert_eq!(listed["data"].as_array().unwrap().len(), moved);
    let mut expected_a = d("50");
    for t in listed["data"].as_array().unwrap() {
        let body = &t["details"];
        let amount = dec(&t["amount"]);
        if body["from_wallet_id"] == a {
            expected_a -= amount;
        }
        if body["to_wallet_id"] == a {
            expected_a += amount;
        }
    }
    assert_eq!(api.total(a), expected_a, "{listed}");
}

/// Parallel withdrawals that together exceed the balance: exactly the affordable ones pass.
fn only_the_affordable_withdrawals_pass(api: Api<'_>, c: &str) {
    let ok = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..12 {
            let ok = &ok;
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
    assert_eq!(api.total(c), d("1"));
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
