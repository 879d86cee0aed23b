#![allow(clippy::unwrap_used)]
//! The server defends itself at the HTTP level, and says so in the API's JSON error envelope:
//! a method a route does not serve (405), a body over the limit (413, declared or streamed), a
//! request target over the limit (414), too many or too large headers (431), a request whose
//! body never finishes (408). Raw sockets on loopback, so nothing is smoothed over by a client.

mod support;

use serde_json::Value;
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use support::api::setup;
use support::{Backend, Opts};

/// Sends `request` on a fresh connection and reads the answer until the server closes.
fn raw(addr: &str, request: &[u8]) -> String {
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // The server may answer and close before the whole request is written (a refused body).
    let _ = conn.write_all(request);
    let mut buf = Vec::new();
    let _ = conn.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The status and the error code of a raw answer; panics unless the body is the JSON envelope.
fn status_and_code(answer: &str) -> (u16, String) {
    let status: u16 = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer:.200}"));
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "not JSON: {head}"
    );
    let v: Value = serde_json::from_str(body.trim())
        .unwrap_or_else(|e| panic!("bad JSON envelope ({e}): {body:.200}"));
    let code = v["error"]["code"].as_str().unwrap().to_owned();
    assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    (status, code)
}

fn close(req: &str) -> Vec<u8> {
    req.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

#[test]
fn protocol_errors_are_json() {
    let opts = Opts {
        extra_args: vec!["--request-timeout-ms".into(), "700".into()],
        ..Opts::default()
    };
    let Some((_db, s)) = setup(Backend::Sqlite, "protocol_errors", &opts) else {
        return;
    };
    let addr = s.base.trim_start_matches("http://").to_owned();
    let key = s.key().to_owned();
    a_wrong_method_or_route(&addr);
    a_body_over_the_limit(&addr, &key);
    a_target_or_headers_over_the_limit(&addr);
    a_body_that_never_finishes(&addr, &key);

    // A malformed body is still the API's own error, and a good request still works.
    let a = raw(
        &addr,
        &close(&format!(
            "POST /v1/accounts HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\nContent-Length: 3\r\n\r\n{{x}}"
        )),
    );
    assert_eq!(status_and_code(&a), (400, "INVALID_ARGUMENT".into()));
    let a = raw(&addr, &close("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert!(a.starts_with("HTTP/1.1 200"), "{a}");
}

/// 405 with the methods the route serves; 404 for a route that does not exist.
fn a_wrong_method_or_route(addr: &str) {
    let a = raw(
        addr,
        &close("DELETE /v1/accounts HTTP/1.1\r\nHost: x\r\n\r\n"),
    );
    assert_eq!(status_and_code(&a), (405, "METHOD_NOT_ALLOWED".into()));
    assert!(a.to_ascii_lowercase().contains("allow: "), "{a}");
    let a = raw(addr, &close("GET /v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_eq!(status_and_code(&a), (404, "NOT_FOUND".into()));
}

/// 413: declared too large (refused before the body is read), and streamed without a length
/// (chunked), cut at the limit.
fn a_body_over_the_limit(addr: &str, key: &str) {
    let a = raw(
        addr,
        &close(&format!(
            "POST /v1/accounts HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\nContent-Length: 5000000\r\n\r\n"
        )),
    );
    assert_eq!(status_and_code(&a), (413, "PAYLOAD_TOO_LARGE".into()));
    let mut req = close(&format!(
        "POST /v1/accounts HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ));
    for _ in 0..40 {
        req.extend_from_slice(format!("{:x}\r\n", 65_536).as_bytes());
        req.extend(std::iter::repeat_n(b'a', 65_536));
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let a = raw(addr, &req);
    assert_eq!(status_and_code(&a), (413, "PAYLOAD_TOO_LARGE".into()));
}

/// 414: a request target over 8 KiB. 431: one header too large, and too many headers.
fn a_target_or_headers_over_the_limit(addr: &str) {
    let long = "a".repeat(20_000);
    let a = raw(
        addr,
        &close(&format!(
            "GET /v1/accounts?x={long} HTTP/1.1\r\nHost: x\r\n\r\n"
        )),
    );
    assert_eq!(status_and_code(&a), (414, "URI_TOO_LONG".into()));
    let big = "b".repeat(50_000);
    let a = raw(
        addr,
        &close(&format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n"
        )),
    );
    assert_eq!(status_and_code(&a), (431, "HEADERS_TOO_LARGE".into()));
    let many: String = (0..150).map(|i| format!("X-H{i}: 1\r\n")).collect();
    let a = raw(
        addr,
        &close(&format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n")),
    );
    assert_eq!(status_and_code(&a), (431, "HEADERS_TOO_LARGE".into()));
}

/// 408: the body never finishes; the answer comes at the request deadline, not later.
fn a_body_that_never_finishes(addr: &str, key: &str) {
    let started = Instant::now();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    conn.write_all(
        format!("POST /v1/accounts HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\nContent-Length: 100\r\n\r\n{{\"na")
            .as_bytes(),
    )
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = conn.read(&mut buf).unwrap();
    let waited = started.elapsed();
    let a = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert_eq!(status_and_code(&a), (408, "REQUEST_TIMEOUT".into()));
    assert!(
        waited >= Duration::from_millis(600) && waited < Duration::from_secs(10),
        "answered after {waited:?}"
    );
}
