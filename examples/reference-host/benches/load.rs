#![allow(clippy::unwrap_used, missing_docs)]
//! Load benchmark of the reference host on loopback: starts the built `waas` binary (bench profile)
//! on a fresh SQLite file and on a fresh PostgreSQL database, prepares funded wallets, and drives
//! internal transfers from N concurrent connections for a fixed time. Reports durable transfers
//! per second (each one committed before its answer) and p50/p99 latency.
//!
//!     cargo bench -p waas-host --bench load -- [--secs 10] [--conns 50] [--clients 1] [sqlite] [postgres]
//!
//! `WAAS_TEST_PG=postgres://user@host:port` makes the PostgreSQL databases on another server than
//! 127.0.0.1:5432 (one configured for a bench's data, say).
//!
//! `WAAS_BENCH_BIN=PATH` runs the bench against another `waas` binary (to compare two builds in
//! one session, alternating runs: figures on this machine move by 20% from one run to the next).
//!
//! `--clients K` spreads the connections over K clients (each with its own ledger row); the
//! default, one client, is the worst case: every transfer serializes on that client's books.
//! `--wallets N` gives each client N virtual wallets (made through the batch endpoint, 10,000 a
//! request) and sends each transfer from one of the first min(N, 200) wallets (funded) to a
//! random wallet of the N, so the books touched spread over the whole client; at the end the
//! wallets of each client still add up to what they were funded with.

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
    wallets: usize,
    backends: Vec<Backend>,
}

fn args() -> Args {
    let mut a = Args {
        secs: 10,
        conns: 50,
        clients: 1,
        wallets: 2,
        backends: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--secs" => a.secs = it.next().unwrap().parse().unwrap(),
            "--conns" => a.conns = it.next().unwrap().parse().unwrap(),
            "--clients" => a.clients = it.next().unwrap().parse().unwrap(),
            "--wallets" => a.wallets = it.next().unwrap().parse::<usize>().unwrap().max(2),
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

/// Funding of each funded wallet.
const FUNDING: u64 = 1_000_000_000;

/// One client's wallets: its key, the funded wallets (the senders) and all its wallets.
struct Books {
    key: String,
    funded: Vec<String>,
    all: Vec<String>,
}

/// One client with `wallets` virtual wallets, the first min(wallets, 200) funded.
fn prepare(s: &Server, admin: &str, n: usize, wallets: usize) -> Books {
    let key = client_key(s, admin, n, wallets);
    let acc = post(s, &key, "/v1/accounts", json!({"name": "bench"}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let all = make_wallets(s, &key, &acc, n, wallets);
    let funded = all.len().min(200);
    for (i, (_, address)) in all.iter().take(funded).enumerate() {
        let tx = format!("bench-fund-{n}-{i}");
        post(
            s,
            &key,
            "/v1/simulate/deposit",
            json!({"address": address, "token": "USDT", "amount": FUNDING.to_string(), "tx": tx}),
        );
        post(s, &key, "/v1/simulate/confirm", json!({"tx": tx}));
    }
    Books {
        key,
        funded: all.iter().take(funded).map(|(id, _)| id.clone()).collect(),
        all: all.into_iter().map(|(id, _)| id).collect(),
    }
}

/// The key of client `n`: the root's for the first, else a new client's below the root.
fn client_key(s: &Server, admin: &str, n: usize, wallets: usize) -> String {
    // The root's contract is unlimited; a client below it gets room for its wallets from it.
    if n == 0 {
        return admin.to_owned();
    }
    let made = post(
        s,
        admin,
        "/v1/management/clients",
        json!({"name": format!("bench{n}")}),
    );
    let id = made["id"].as_str().unwrap();
    let r = s.call(
        "PUT",
        &format!("/v1/management/clients/{id}/contracted-products"),
        Some(admin),
        Some(&json!({"max_virtual_wallets": wallets + 10})),
    );
    assert!(r.status < 300, "contracted products: {}", r.text);
    made["api_key"].as_str().unwrap().to_owned()
}

/// `wallets` virtual wallets of `acc` made through the batch endpoint: (id, address) each. Prints
/// how fast, and whether creation slows as the client grows.
fn make_wallets(
    s: &Server,
    key: &str,
    acc: &str,
    n: usize,
    wallets: usize,
) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = Vec::new();
    let started = Instant::now();
    // Seconds each batch request took, to tell whether creation slows as the client grows.
    let mut batches: Vec<f64> = Vec::new();
    while all.len() < wallets {
        let count = (wallets - all.len()).min(10_000);
        let batch_started = Instant::now();
        let made = post(
            s,
            key,
            "/v1/wallets/virtual/batch",
            json!({"account_id": acc, "blockchain": "ethereum", "count": count}),
        );
        for w in made["data"].as_array().unwrap() {
            all.push((
                w["id"].as_str().unwrap().to_owned(),
                w["address"].as_str().unwrap().to_owned(),
            ));
        }
        batches.push(batch_started.elapsed().as_secs_f64() / count as f64);
    }
    if wallets > 2 {
        let secs = started.elapsed().as_secs_f64();
        println!(
            "client {n}: {wallets} wallets made in {secs:.1} s ({:.0} wallets/s)",
            wallets as f64 / secs
        );
    }
    if batches.len() >= 20 {
        // The first and the last tenth of the requests, in wallets a second.
        let tenth = batches.len() / 10;
        let rate = |b: &[f64]| b.len() as f64 / b.iter().sum::<f64>();
        println!(
            "client {n}: creation {:.0} wallets/s over the first tenth, {:.0} over the last",
            rate(&batches[..tenth]),
            rate(&batches[batches.len() - tenth..])
        );
    }
    all
}

/// A small deterministic generator (xorshift64*), so each run draws the same pairs.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn run(backend: Backend, a: &Args) {
    let Some(db) = Db::fresh(backend, "load") else {
        return;
    };
    // WAAS_BENCH_BIN runs another build of `waas` (an earlier commit, say) under the same load.
    let opts = Opts {
        outbox_poll_ms: 500,
        release_bin: std::env::var_os("WAAS_BENCH_BIN").map(std::path::PathBuf::from),
        ..Opts::default()
    };
    let s = Server::start(&db, &opts);
    let admin = s.key().to_owned();
    let clients: Vec<_> = (0..a.clients)
        .map(|n| prepare(&s, &admin, n, a.wallets))
        .collect();
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
                rt().spawn(drive(
                    http.clone(),
                    s.base.clone(),
                    clients.clone(),
                    c,
                    deadline,
                ))
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
        if measured {
            report(backend, a, elapsed, lat, errors);
            report_host(&s);
        }
    }
    assert_balanced(&s, &clients);
}

/// Connection `c`: transfers of 1 USDT from a funded wallet of its client to another of its
/// wallets until `deadline`; the latency of each transfer made and the number that failed.
async fn drive(
    http: reqwest::Client,
    base: String,
    clients: Arc<Vec<Books>>,
    c: usize,
    deadline: Instant,
) -> (Vec<Duration>, u64) {
    let books = &clients[c % clients.len()];
    let key = &books.key;
    let mut lat = Vec::new();
    let mut errors = 0u64;
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64 ^ (c as u64 + 1);
    while Instant::now() < deadline {
        let pick = |r: u64, n: usize| (r % n as u64) as usize;
        // Funded wallets are the first of `all`: a receiver equal to its sender becomes the next
        // wallet.
        let f = pick(next(&mut seed), books.funded.len());
        let mut t = pick(next(&mut seed), books.all.len());
        if t == f {
            t = (t + 1) % books.all.len();
        }
        let (from, to) = (&books.funded[f], &books.all[t]);
        let t0 = Instant::now();
        let r = http
            .post(format!("{base}/v1/wallets/virtual/{from}/transfer"))
            .header("X-API-Key", key)
            .header("content-type", "application/json")
            .body(json!({"to_wallet_id": to, "token": "USDT", "amount": "1"}).to_string())
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
}

/// Prints the measured run: transfers a second, latency percentiles, errors.
fn report(backend: Backend, a: &Args, elapsed: f64, mut lat: Vec<Duration>, errors: u64) {
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{backend:?}: {} transfers in {elapsed:.1} s = {:.0} transfers/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {errors} errors; {} connections, {} client(s), {} wallets each",
        lat.len(),
        lat.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        pct(1.0),
        a.conns,
        a.clients,
        a.wallets,
    );
}

/// Prints what the host saw: how many operations a commit carried, and how many transfers met a
/// wallet row held by another batch and ran again (PostgreSQL).
fn report_host(s: &Server) {
    let metrics = s.call("GET", "/metrics", None, None).text;
    let figure = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let (batches, ops) = (
        figure("waas_commit_batch_operations_count "),
        figure("waas_commit_batch_operations_sum "),
    );
    println!(
        "  host: {batches:.0} commits of {:.1} operations on average; {:.0} transfers ran again after a collision; {:.0} wallets loaded ahead",
        ops / batches.max(1.0),
        figure("waas_contended_operations_total "),
        figure("waas_wallets_loaded_ahead_total "),
    );
}

/// The books still balance: the wallets of each client hold what they were funded with.
fn assert_balanced(s: &Server, clients: &[Books]) {
    for books in clients {
        let mut sum = rust_decimal::Decimal::ZERO;
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/wallets/virtual?limit=500&cursor={c}"),
                None => "/v1/wallets/virtual?limit=500".to_owned(),
            };
            let v = s.call("GET", &path, Some(&books.key), None).json;
            for w in v["data"].as_array().unwrap() {
                if let Some(t) = w["balances"]["USDT"]["total"].as_str() {
                    sum += rust_decimal::Decimal::from_str_exact(t).unwrap();
                }
            }
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(
            sum,
            rust_decimal::Decimal::from(FUNDING) * rust_decimal::Decimal::from(books.funded.len())
        );
    }
}

fn main() {
    let a = args();
    for b in a.backends.clone() {
        run(b, &a);
    }
}
