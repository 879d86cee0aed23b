#![allow(clippy::unwrap_used)]
//! What operators expect of the server, over real HTTP: `/readyz` checks the database (503 once
//! it is gone), `X-Request-Id` is taken or made, echoed, logged and put in error bodies, every
//! request leaves an access-log line and is counted in `/metrics` (parsed here as Prometheus
//! text), a busy port is refused before any database is
//! created, and SIGTERM drains the requests in flight and exits 0. CORS runs in-process
//! (tests/api/host_settings.rs).

mod support;

use serde_json::json;
use std::collections::BTreeMap;
use support::api::{setup, Api};
use support::{Backend, Db, Opts, Server};

/// Parses the Prometheus text format: `name{labels} value` samples, every value a number, every
/// sample of a family declared by `# TYPE` (counters, gauges, histograms with their suffixes).
fn parse_prometheus(text: &str) -> BTreeMap<String, f64> {
    let mut types = BTreeMap::new();
    let mut samples = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut it = rest.split_whitespace();
            let (name, kind) = (it.next().unwrap(), it.next().unwrap());
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with('#') {
            assert!(line.starts_with("# HELP "), "unknown comment: {line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let name = series.split('{').next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|f| types.contains_key(*f)))
            .unwrap_or(name);
        assert!(types.contains_key(family), "no TYPE for {name}");
        if let Some(labels) = series.strip_prefix(name) {
            if !labels.is_empty() {
                assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            }
        }
        samples.insert(series.to_owned(), value);
    }
    samples
}

#[test]
fn request_ids_access_log_metrics_and_readiness() {
    let Some((_db, s)) = setup(Backend::Sqlite, "operations", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let r = s.call("GET", "/readyz", None, None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "ready");

    // The caller's id is echoed; an error body carries it; a made one is given otherwise.
    let r = s
        .try_call(
            "GET",
            "/v1/accounts/nope",
            Some(s.key()),
            None,
            &[("X-Request-Id", "trace-42:a")],
        )
        .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-request-id"), Some("trace-42:a"));
    assert_eq!(r.json["error"]["request_id"], "trace-42:a");
    assert_eq!(r.json["error"]["code"], "NOT_FOUND");
    let r = s
        .try_call(
            "GET",
            "/v1/accounts",
            Some(s.key()),
            None,
            &[("X-Request-Id", "no spaces")],
        )
        .unwrap();
    assert_eq!(r.status, 200);
    let made = r.header("x-request-id").unwrap().to_owned();
    assert!(made != "no spaces" && !made.is_empty(), "{made}");
    let wrong_method = s.call("DELETE", "/v1/accounts", Some(s.key()), None);
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.header("allow").is_some());
    assert!(wrong_method.json["error"]["request_id"].is_string());
    api.account("alice");

    // One access-log line per request, with its id.
    support::wait_for(5, "the access log line", || {
        let log = s.log();
        (log.contains("waas::access") && log.contains("trace-42:a") && log.contains(&made))
            .then_some(())
    });
    // An error's line carries its code.
    let log = s.log();
    let line = log
        .lines()
        .find(|l| l.contains("waas::access") && l.contains("trace-42:a"))
        .unwrap();
    assert!(line.contains("NOT_FOUND"), "{line}");

    requests_are_counted_in_the_metrics(&s);
}

/// Prometheus text: requests counted under their route template, the batch histogram, the
/// outbox depth.
fn requests_are_counted_in_the_metrics(s: &Server) {
    let r = s.call("GET", "/metrics", None, None);
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let m = parse_prometheus(&r.text);
    let get = |k: &str| {
        m.get(k)
            .copied()
            .unwrap_or_else(|| panic!("{k} in\n{}", r.text))
    };
    assert!(
        get(r#"waas_http_requests_total{method="GET",route="/v1/accounts/{id}",status="404"}"#)
            >= 1.0
    );
    assert!(
        get(r#"waas_http_requests_total{method="POST",route="/v1/accounts",status="201"}"#) >= 1.0
    );
    assert!(get("waas_commit_batch_operations_count") >= 1.0);
    assert!(get("waas_outbox_pending") >= 0.0);
    assert!(get(r#"waas_http_request_duration_seconds_count{route="/v1/accounts"}"#) >= 1.0);
}

#[test]
fn readyz_answers_503_when_the_database_is_gone() {
    let Some((db, s)) = setup(Backend::Postgres, "operations_ready", &Opts::default()) else {
        return;
    };
    assert_eq!(s.call("GET", "/readyz", None, None).status, 200);
    db.drop_database_now();
    support::wait_for(10, "readyz to answer 503", || {
        let r = s.call("GET", "/readyz", None, None);
        (r.status == 503).then_some(r)
    });
    assert_eq!(s.call("GET", "/healthz", None, None).status, 200);
}

#[test]
fn a_busy_port_is_refused_before_the_database_is_touched() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let file = std::env::temp_dir().join(format!("waas_busy_port_{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let out = std::process::Command::new(support::bin())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--db",
            &format!("sqlite://{}", file.display()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen"), "{err}");
    assert!(
        !file.exists(),
        "the database was created before the port was checked"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("waas_"),
        "a key was printed"
    );
    drop(listener);
}

#[test]
fn sigterm_drains_requests_in_flight_and_exits_zero() {
    let Some(db) = Db::fresh(Backend::Sqlite, "operations_sigterm") else {
        return;
    };
    let mut s = Server::start(&db, &Opts::default());
    let key = s.key().to_owned();
    let base = s.base.clone();
    // Requests keep arriving while the signal comes. Each one is either answered (and its account
    // exists) or fails without having been carried out (refused, or reset while still in the
    // kernel's accept queue): an account that exists was always answered.
    let workers: Vec<_> = (0..8)
        .map(|i| {
            let (base, key) = (base.clone(), key.clone());
            std::thread::spawn(move || support::rt().block_on(create_accounts(base, key, i)))
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let status = s.terminate(30).expect("the host exits after SIGTERM");
    assert_eq!(status.code(), Some(0), "exit status\n{}", s.log());
    let (mut answered, mut failed) = (Vec::new(), Vec::new());
    for w in workers {
        let (a, f) = w.join().unwrap();
        answered.extend(a);
        failed.extend(f);
    }
    assert!(!answered.is_empty());
    let s = Server::restart(&db, &Opts::default());
    let stored = account_names(Api { s: &s, key: &key });
    for name in &answered {
        assert!(
            stored.contains(name),
            "{name} was answered but is not stored"
        );
    }
    for name in &failed {
        assert!(
            !stored.contains(name),
            "{name} was carried out but its answer was lost"
        );
    }
}

/// Worker `i`: up to 400 accounts created one request at a time, until a request fails: the
/// names answered (201), and the name of the one that failed.
async fn create_accounts(base: String, key: String, i: usize) -> (Vec<String>, Vec<String>) {
    // A new connection per request: after the signal, a connect is refused.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let (mut answered, mut failed) = (Vec::new(), Vec::new());
    for n in 0..400 {
        let name = format!("w{i}-{n}");
        let r = client
            .post(format!("{base}/v1/accounts"))
            .header("X-API-Key", &key)
            .json(&json!({"name": name}))
            .send()
            .await;
        match r {
            Ok(r) => {
                assert_eq!(r.status().as_u16(), 201);
                r.text().await.unwrap();
                answered.push(name);
            }
            Err(_) => {
                failed.push(name);
                break;
            }
        }
    }
    (answered, failed)
}

/// The names of every account stored.
fn account_names(api: Api<'_>) -> std::collections::BTreeSet<String> {
    let mut stored = std::collections::BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let page = api
            .get(&format!("/v1/accounts?limit=500{cursor}"))
            .ok(200)
            .clone();
        for a in page["data"].as_array().unwrap() {
            stored.insert(a["name"].as_str().unwrap_or_default().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    stored
}
