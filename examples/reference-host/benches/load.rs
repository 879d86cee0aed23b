#![allow(clippy::unwrap_used, missing_docs)]
//! Load benchmark of the reference host on loopback: starts the built `waas` binary (bench profile)
//! on a fresh SQLite file and on a fresh PostgreSQL database, prepares funded wallets, and drives
//! internal transfers from N concurrent connections for a fixed time. Reports durable transfers
//! per second (each one committed before its answer) and p50/p99 latency.
//!
//!     cargo bench -p waas-host --bench load -- [--secs 10] [--conns 50] [--clients 1] [sqlite] [postgres]
//!
//! `--clients K` spreads the connections over K clients (each with its own ledger row); the
//! default, one client, is the worst case: every transfer serializes on that client's books.

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{rt, Backend, Db, Opts, Server};

struct Args {
    secs: u64,
    conns: usize,
    clients: usize,
    backends: Vec<Backend>,
}

fn args() -> Args {
    let mut a = Args {
        secs: 10,
        conns: 50,
        clients: 1,
        backends: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--secs" => a.secs = it.next().unwrap().parse().unwrap(),
            "--conns" => a.conns = it.next().unwrap().parse().unwrap(),
            "--clients" => a.clients = it.next().unwrap().parse().unwrap(),
            "sqlite" => a.backends.push(Backend::Sqlite),
            "postgres" => a.backends.push(Backend::Postgres),
            _ => {} // cargo bench passes --bench
        }
    }
    if a.backends.is_empty() {
        a.backends = vec![Backend::Sqlite, Backend::Postgres];
    }
    a
}

fn post(s: &Server, key: &str, path: &str, body: Value) -> Value {
    let r = s.call("POST", path, Some(key), Some(&body));
    assert!(r.status < 300, "{path}: {}", r.text);
    r.json
}

/// One client's two funded wallets: (key, wallet a, wallet b).
fn prepare(s: &Server, admin: &str, n: usize) -> (String, String, String) {
    let key = if n == 0 {
        admin.to_owned()
    } else {
        post(
            s,
            admin,
            "/v1/management/clients",
            json!({"name": format!("bench{n}")}),
        )["api_key"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let acc = post(s, &key, "/v1/accounts", json!({"name": "bench"}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = Vec::new();
    for i in 0..2 {
        let w = post(
            s,
            &key,
            "/v1/wallets/virtual",
            json!({"account_id": acc, "blockchain": "ethereum"}),
        );
        let tx = format!("bench-fund-{n}-{i}");
        post(
            s,
            &key,
            "/v1/simulate/deposit",
            json!({"address": w["address"], "token": "USDT", "amount": "1000000000", "tx": tx}),
        );
        post(s, &key, "/v1/simulate/confirm", json!({"tx": tx}));
        ids.push(w["id"].as_str().unwrap().to_owned());
    }
    (key, ids[0].clone(), ids[1].clone())
}

fn run(backend: Backend, a: &Args) {
    let Some(db) = Db::fresh(backend, "load") else {
        return;
    };
    let opts = Opts {
        outbox_poll_ms: 500,
        ..Opts::default()
    };
    let s = Server::start(&db, &opts);
    let admin = s.key().to_owned();
    let clients: Vec<_> = (0..a.clients).map(|n| prepare(&s, &admin, n)).collect();
    let base = s.base.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.conns * 2)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let clients = Arc::new(clients);
    // Warm-up: one second, not measured.
    for (secs, measured) in [(1, false), (a.secs, true)] {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let started = Instant::now();
        let tasks: Vec<_> = (0..a.conns)
            .map(|c| {
                let (http, base, clients) = (http.clone(), base.clone(), clients.clone());
                rt().spawn(async move {
                    let (key, wa, wb) = &clients[c % clients.len()];
                    let mut lat = Vec::new();
                    let mut errors = 0u64;
                    let mut i = 0u64;
                    while Instant::now() < deadline {
                        let (from, to) = if (i + c as u64) % 2 == 0 {
                            (wa, wb)
                        } else {
                            (wb, wa)
                        };
                        i += 1;
                        let t0 = Instant::now();
                        let r = http
                            .post(format!("{base}/v1/wallets/virtual/{from}/transfer"))
                            .header("X-API-Key", key)
                            .header("content-type", "application/json")
                            .body(
                                json!({"to_wallet_id": to, "token": "USDT", "amount": "1"})
                                    .to_string(),
                            )
                            .send()
                            .await;
                        let ok = match r {
                            Ok(r) => {
                                let st = r.status().as_u16();
                                let _ = r.bytes().await;
                                st == 201
                            }
                            Err(_) => false,
                        };
                        if ok {
                            lat.push(t0.elapsed());
                        } else {
                            errors += 1;
                        }
                    }
                    (lat, errors)
                })
            })
            .collect();
        let mut lat = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = rt().block_on(t).unwrap();
            lat.extend(l);
            errors += e;
        }
        let elapsed = started.elapsed().as_secs_f64();
        if !measured {
            continue;
        }
        lat.sort();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "{backend:?}: {} transfers in {elapsed:.1} s = {:.0} transfers/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {errors} errors; {} connections, {} client(s)",
            lat.len(),
            lat.len() as f64 / elapsed,
            pct(0.50),
            pct(0.99),
            pct(1.0),
            a.conns,
            a.clients,
        );
    }
    // The books still balance: the two wallets of each client hold what they were funded with.
    for (key, wa, wb) in clients.iter() {
        let total = |w: &str| {
            let v = s.call("GET", &format!("/v1/wallets/virtual/{w}"), Some(key), None);
            rust_decimal::Decimal::from_str_exact(
                v.json["balances"]["USDT"]["total"].as_str().unwrap(),
            )
            .unwrap()
        };
        assert_eq!(
            total(wa) + total(wb),
            rust_decimal::Decimal::from(2_000_000_000u64)
        );
    }
}

fn main() {
    let a = args();
    for b in a.backends.clone() {
        run(b, &a);
    }
}
