#![allow(clippy::unwrap_used)]
//! Fair, bounded webhook delivery over real `waas serve` processes: a dead endpoint (one that
//! accepts and never answers, one that refuses connections, one that answers 500) with hundreds
//! of queued events beside a live one does not delay the live one's deliveries. (Dead letters,
//! the endpoint they disable, redirects and per-event-type subscriptions are tested in-process:
//! tests/api/webhooks.rs.)

mod support;

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::api::{setup, Api};
use support::{rt, wait_for, Backend, Opts, Receiver};

/// Events queued for the dead endpoint.
const BACKLOG: u32 = 200;
/// The bound on the live endpoint's delivery delay.
const LIVE_BOUND: Duration = Duration::from_secs(3);

/// Creates a client below the caller's: (id, key).
fn child(api: Api<'_>, name: &str) -> (String, String) {
    let v = api
        .post("/v1/management/clients", json!({"name": name}))
        .ok(201)
        .clone();
    (
        v["id"].as_str().unwrap().to_owned(),
        v["api_key"].as_str().unwrap().to_owned(),
    )
}

/// How a dead endpoint fails.
#[derive(Clone, Copy, Debug)]
enum Dead {
    /// Accepts TCP connections, holds them open and never answers.
    Hangs,
    /// Refuses connections (nothing listens on the port).
    Refuses,
    /// Answers 500 to everything.
    Fails,
    /// No endpoint at all: the client's events are parked.
    NoUrl,
}

/// A dead endpoint: its URL, how many connections or requests it has seen, and what keeps it
/// alive (listener task or receiver).
struct DeadEndpoint {
    url: String,
    seen: Arc<AtomicUsize>,
    _receiver: Option<Receiver>,
}

fn dead_endpoint(kind: Dead) -> DeadEndpoint {
    match kind {
        Dead::Hangs => {
            let listener = rt()
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            let addr = listener.local_addr().unwrap();
            let seen = Arc::new(AtomicUsize::new(0));
            let seen2 = seen.clone();
            rt().spawn(async move {
                // Every socket is kept open (never read, never answered) for the test's life.
                let held = Arc::new(Mutex::new(Vec::new()));
                while let Ok((socket, _)) = listener.accept().await {
                    seen2.fetch_add(1, Ordering::SeqCst);
                    held.lock().unwrap().push(socket);
                }
            });
            DeadEndpoint {
                url: format!("http://{addr}/hook"),
                seen,
                _receiver: None,
            }
        }
        Dead::Refuses => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            drop(listener);
            DeadEndpoint {
                url: format!("http://{addr}/hook"),
                seen: Arc::new(AtomicUsize::new(0)),
                _receiver: None,
            }
        }
        Dead::NoUrl => DeadEndpoint {
            url: String::new(),
            seen: Arc::new(AtomicUsize::new(0)),
            _receiver: None,
        },
        Dead::Fails => {
            let r = Receiver::start(usize::MAX);
            DeadEndpoint {
                url: r.url.clone(),
                seen: Arc::new(AtomicUsize::new(0)),
                _receiver: Some(r),
            }
        }
    }
}

/// The delivery log of a client (up to 500 events), optionally filtered by status.
fn log(api: Api<'_>, status: Option<&str>) -> Vec<Value> {
    let path = match status {
        Some(s) => format!("/v1/webhooks/deliveries?limit=500&status={s}"),
        None => "/v1/webhooks/deliveries?limit=500".to_owned(),
    };
    api.get(&path).ok(200)["data"].as_array().unwrap().clone()
}

/// Attempts logged over a client's events.
fn attempts_logged(api: Api<'_>) -> usize {
    log(api, None)
        .iter()
        .map(|e| e["log"].as_array().map_or(0, Vec::len))
        .sum()
}

/// Whether the receiver got an event of this operation id.
fn got(r: &Receiver, operation_id: &str) -> bool {
    r.received()
        .iter()
        .any(|x| x.json()["operation_id"] == operation_id)
}

/// A dead endpoint beside a live one: the live one's fresh events arrive within [`LIVE_BOUND`],
/// however many events wait for the dead one; the dead one never has more than 4 attempts in
/// flight.
fn dead_beside_live(backend: Backend, kind: Dead) {
    let Some((_db, s)) = setup(
        backend,
        &format!("delivery_fair_{kind:?}"),
        &Opts::default(),
    ) else {
        return;
    };
    let root = Api {
        s: &s,
        key: s.key(),
    };
    let (_, a_key) = child(root, "a");
    let (_, b_key) = child(root, "b");
    let a = Api { s: &s, key: &a_key };
    let b = Api { s: &s, key: &b_key };
    let dead = dead_endpoint(kind);
    let live = Receiver::start(0);
    let queued = a_backlog_for_the_dead_endpoint(a, b, kind, &dead, &live);
    let measure = |i: usize| live_delay(b, &live, (backend, kind), queued, i);
    let mut worst = (0..3).map(measure).max().unwrap();
    assert!(
        worst < LIVE_BOUND,
        "{kind:?}: the live endpoint waited {worst:?} (bound {LIVE_BOUND:?})"
    );
    // Bounded: the hanging endpoint holds at most 4 connections of this host (the attempts
    // take 10 s each, so none has ended yet).
    if let Dead::Hangs = kind {
        let held = dead.seen.load(Ordering::SeqCst);
        assert!(
            (1..=4).contains(&held),
            "{held} connections to the dead endpoint"
        );
    }
    if let Dead::NoUrl = kind {
        // Parked: never tried, still pending.
        assert_eq!(attempts_logged(a), 0);
        assert_eq!(log(a, Some("pending")).len(), queued);
        assert!(worst < LIVE_BOUND, "the live endpoint waited {worst:?}");
        return;
    }
    the_first_attempt_ends_as_its_endpoint_fails(a, kind);
    // And once the dead endpoint's attempts have failed (it is retried, one at a time).
    worst = worst.max(measure(3));
    assert!(
        worst < LIVE_BOUND,
        "{kind:?}: the live endpoint waited {worst:?} (bound {LIVE_BOUND:?})"
    );
    // The backlog is still there, pending, not lost.
    let pending = log(a, Some("pending")).len();
    assert!(
        pending > 100,
        "{pending} events of the dead endpoint pending"
    );
}

/// Client `a` on the dead endpoint (none for [`Dead::NoUrl`]) with more than [`BACKLOG`] events
/// queued and already being tried; client `b` on the live one. The number of `a`'s events.
fn a_backlog_for_the_dead_endpoint(
    a: Api<'_>,
    b: Api<'_>,
    kind: Dead,
    dead: &DeadEndpoint,
    live: &Receiver,
) -> usize {
    if !dead.url.is_empty() {
        a.put("/v1/webhooks/configuration", json!({"url": dead.url}))
            .ok(200);
    }
    b.put("/v1/webhooks/configuration", json!({"url": live.url}))
        .ok(200);
    let acc = a.account("backlog");
    a.post(
        "/v1/wallets/virtual/batch",
        json!({"account_id": acc, "blockchain": "ethereum", "count": BACKLOG}),
    )
    .ok(201);
    // The dead endpoint is being tried before the live client does anything.
    wait_for(30, "attempts at the dead endpoint", || {
        let busy = match kind {
            Dead::Hangs => dead.seen.load(Ordering::SeqCst) > 0,
            Dead::Refuses | Dead::Fails => attempts_logged(a) > 0,
            Dead::NoUrl => true,
        };
        busy.then_some(())
    });
    let queued = log(a, None).len();
    assert!(
        queued > BACKLOG as usize,
        "{queued} events of the dead endpoint's client"
    );
    queued
}

/// How long the live endpoint's event of a new account (the `i`th) takes to arrive.
fn live_delay(
    b: Api<'_>,
    live: &Receiver,
    (backend, kind): (Backend, Dead),
    queued: usize,
    i: usize,
) -> Duration {
    let started = Instant::now();
    let acc_b = b.post("/v1/accounts", json!({"name": format!("live-{i}")}));
    let id = acc_b.ok(201)["id"].as_str().unwrap().to_owned();
    wait_for(60, "the live endpoint's event", || {
        got(live, &id).then_some(())
    });
    let delay = started.elapsed();
    println!(
        "{backend:?} {kind:?}: live event {i} delivered {} ms after the request ({} events queued for the dead endpoint)",
        delay.as_millis(),
        queued
    );
    delay
}

/// The hanging endpoint's attempts end at the 10 s response timeout; the refusing one's at once;
/// the failing one's with its 500.
fn the_first_attempt_ends_as_its_endpoint_fails(a: Api<'_>, kind: Dead) {
    let first = wait_for(40, "a finished attempt at the dead endpoint", || {
        log(a, None)
            .iter()
            .find_map(|e| e["log"].as_array().and_then(|l| l.first()).cloned())
    });
    let error = first["error"].as_str().unwrap_or("");
    let took = first["duration_ms"].as_i64().unwrap();
    match kind {
        Dead::Hangs => {
            assert!(error.starts_with("timeout: "), "{first}");
            assert!((9_000..=20_000).contains(&took), "{first}");
        }
        Dead::Refuses => {
            assert!(error.starts_with("connect: "), "{first}");
            assert!(took < 5_000, "{first}");
        }
        Dead::Fails | Dead::NoUrl => assert_eq!(first["status_code"], 500, "{first}"),
    }
}

macro_rules! suite {
    ($backend:ident, $variant:expr) => {
        mod $backend {
            use super::*;
            #[test]
            fn hanging_endpoint_beside_live() {
                super::dead_beside_live($variant, Dead::Hangs);
            }
            #[test]
            fn refusing_endpoint_beside_live() {
                super::dead_beside_live($variant, Dead::Refuses);
            }
            #[test]
            fn failing_endpoint_beside_live() {
                super::dead_beside_live($variant, Dead::Fails);
            }
            #[test]
            fn client_without_url_beside_live() {
                super::dead_beside_live($variant, Dead::NoUrl);
            }
        }
    };
}

suite!(sqlite, Backend::Sqlite);
suite!(postgres, Backend::Postgres);
