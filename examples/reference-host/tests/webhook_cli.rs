//! End-to-end tests of `waas webhook ...` and `waas apikey new` as a process.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use std::io::Write;
use std::process::{Command, Output, Stdio};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS: &str = "1614265330";
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn waas(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waas"));
    cmd.args(args).env_remove("WAAS_WEBHOOK_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn waas");
    let mut input = child.stdin.take().expect("stdin");
    // A command that fails before reading its input closes the pipe: a broken pipe here is fine.
    if let Err(e) = input.write_all(stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

fn ok(args: &[&str], stdin: &[u8]) -> String {
    let out = waas(args, stdin, &[]);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts exit status 2, one `error: CODE: message` line, nothing on stdout; returns the message.
fn fails(args: &[&str], stdin: &[u8], code: &str) -> String {
    let out = waas(args, stdin, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    let prefix = format!("error: {code}: ");
    assert!(stderr.starts_with(&prefix), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"));
    assert!(out.stdout.is_empty());
    stderr[prefix.len()..].trim_end().to_owned()
}

fn verify_args<'a>(sig: &'a str, now: &'a str) -> Vec<&'a str> {
    vec![
        "webhook",
        "verify",
        "--secret",
        SECRET,
        "--id",
        ID,
        "--timestamp",
        TS,
        "--signature",
        sig,
        "--now",
        now,
    ]
}

#[test]
fn sign_prints_the_three_headers_of_the_published_example() {
    let out = ok(
        &[
            "webhook",
            "sign",
            "--secret",
            SECRET,
            "--id",
            ID,
            "--timestamp",
            TS,
        ],
        BODY,
    );
    assert_eq!(
        out,
        format!("webhook-id: {ID}\nwebhook-timestamp: {TS}\nwebhook-signature: {SIG}\n")
    );
}

#[test]
fn sign_uses_the_exact_stdin_bytes() {
    let with_newline = ok(
        &[
            "webhook",
            "sign",
            "--secret",
            SECRET,
            "--id",
            ID,
            "--timestamp",
            TS,
        ],
        &[BODY, b"\n"].concat(),
    );
    assert!(
        !with_newline.contains(SIG),
        "a trailing newline is part of the body"
    );
    // and verify agrees with sign on arbitrary bytes
    let body = b"\x00\xff binary \r\n";
    let out = ok(
        &[
            "webhook",
            "sign",
            "--secret",
            SECRET,
            "--id",
            "e1",
            "--timestamp",
            "5",
        ],
        body,
    );
    let sig = out
        .lines()
        .nth(2)
        .unwrap()
        .strip_prefix("webhook-signature: ")
        .unwrap();
    let verified = ok(
        &[
            "webhook",
            "verify",
            "--secret",
            SECRET,
            "--id",
            "e1",
            "--timestamp",
            "5",
            "--signature",
            sig,
            "--now",
            "5",
        ],
        body,
    );
    assert_eq!(verified, "valid\n");
}

#[test]
fn verify_valid_and_rotation() {
    assert_eq!(ok(&verify_args(SIG, TS), BODY), "valid\n");
    let rotated = format!("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= {SIG}");
    assert_eq!(ok(&verify_args(&rotated, "1614265630"), BODY), "valid\n");
}

#[test]
fn verify_secret_from_environment() {
    let args = [
        "webhook",
        "verify",
        "--id",
        ID,
        "--timestamp",
        TS,
        "--signature",
        SIG,
        "--now",
        TS,
    ];
    let out = waas(&args, BODY, &[("WAAS_WEBHOOK_SECRET", SECRET)]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "valid\n");
    fails(&args, BODY, "INVALID_ARGUMENT"); // neither --secret nor the variable
}

#[test]
fn verify_refusals() {
    fails(
        &verify_args(SIG, TS),
        br#"{"test": 2432232315}"#,
        "INVALID_SIGNATURE",
    );
    fails(
        &verify_args(SIG, TS),
        &[BODY, b"\n"].concat(),
        "INVALID_SIGNATURE",
    );
    fails(
        &verify_args(SIG, "1614265631"),
        BODY,
        "TIMESTAMP_OUT_OF_TOLERANCE",
    );
    fails(
        &verify_args(SIG, "1614265029"),
        BODY,
        "TIMESTAMP_OUT_OF_TOLERANCE",
    );
    assert_eq!(ok(&verify_args(SIG, "1614265630"), BODY), "valid\n");
    fails(&verify_args("v1,bogus", TS), BODY, "INVALID_SIGNATURE");
    fails(&verify_args("", TS), BODY, "INVALID_SIGNATURE");
    fails(&verify_args(SIG, "soon"), BODY, "INVALID_ARGUMENT");
    let mut tampered_id = verify_args(SIG, TS);
    tampered_id[5] = "msg_other";
    fails(&tampered_id, BODY, "INVALID_SIGNATURE");
    let mut tampered_ts = verify_args(SIG, TS);
    tampered_ts[7] = "1614265331";
    fails(&tampered_ts, BODY, "INVALID_SIGNATURE");
    let mut bad_secret = verify_args(SIG, TS);
    bad_secret[3] = "whsec_%%%";
    fails(&bad_secret, BODY, "INVALID_SECRET");
}

#[test]
fn verify_without_now_uses_the_clock() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let out = ok(
        &[
            "webhook",
            "sign",
            "--secret",
            SECRET,
            "--id",
            "evt",
            "--timestamp",
            &now,
        ],
        b"{}",
    );
    let sig = out
        .lines()
        .nth(2)
        .unwrap()
        .strip_prefix("webhook-signature: ")
        .unwrap();
    let args = [
        "webhook",
        "verify",
        "--secret",
        SECRET,
        "--id",
        "evt",
        "--timestamp",
        &now,
        "--signature",
        sig,
    ];
    assert_eq!(ok(&args, b"{}"), "valid\n");
    // the published example is years old
    let stale = [
        "webhook",
        "verify",
        "--secret",
        SECRET,
        "--id",
        ID,
        "--timestamp",
        TS,
        "--signature",
        SIG,
    ];
    fails(&stale, BODY, "TIMESTAMP_OUT_OF_TOLERANCE");
}

const SEED: &[u8] = br#"{"operation": "TREASURY","sub_operation": "DEPOSIT","operation_id": "ca0c57d2-b1c9-4bcd-9d5d-8d361cad6fddds1c","status": "FINISHED","data": { }}"#;

#[test]
fn check_normalizes_and_names_the_field() {
    let msg = fails(&["webhook", "check"], SEED, "INVALID_WEBHOOK");
    assert!(msg.starts_with("status: "), "{msg}");
    assert!(msg.contains("SUCCESS, CANCELLED, FAILED"), "{msg}");
    assert_eq!(
        ok(&["webhook", "check", "--lenient"], SEED),
        "{\"operation\":\"TREASURY\",\"sub_operation\":\"DEPOSIT\",\"operation_id\":\"ca0c57d2-b1c9-4bcd-9d5d-8d361cad6fddds1c\",\"status\":\"SUCCESS\",\"data\":{}}\n"
    );
    let good = br#" {"data":{"b":1,"a":2},"status":"FAILED","reason":"no funds","operation_id":"x1","sub_operation":"WITHDRAWAL","operation":"VIRTUAL_WALLET"} "#;
    assert_eq!(
        ok(&["webhook", "check"], good),
        "{\"operation\":\"VIRTUAL_WALLET\",\"sub_operation\":\"WITHDRAWAL\",\"operation_id\":\"x1\",\"status\":\"FAILED\",\"reason\":\"no funds\",\"data\":{\"a\":2,\"b\":1}}\n"
    );
    let cases: [(&[u8], &str); 6] = [
        (br#"{"operation":"X","sub_operation":"DEPOSIT","operation_id":"1","status":"SUCCESS","data":{}}"#, "operation"),
        (br#"{"operation":"CARD","sub_operation":"SWEEP","operation_id":"1","status":"SUCCESS","data":{}}"#, "sub_operation"),
        (br#"{"operation":"CARD","sub_operation":"TRANSACTION","operation_id":"","status":"SUCCESS","data":{}}"#, "operation_id"),
        (br#"{"operation":"CARD","sub_operation":"TRANSACTION","operation_id":"1","status":"FAILED","data":{}}"#, "reason"),
        (br#"{"operation":"CARD","sub_operation":"TRANSACTION","operation_id":"1","status":"SUCCESS","data":[]}"#, "data"),
        (b"not json", "envelope"),
    ];
    for (input, field) in cases {
        let msg = fails(&["webhook", "check"], input, "INVALID_WEBHOOK");
        assert!(msg.starts_with(&format!("{field}: ")), "{msg}");
    }
}

#[test]
fn apikey_new_prints_key_once_and_its_hash() {
    for (env, prefix) in [("sandbox", "waas_test_"), ("live", "waas_live_")] {
        let out = ok(&["apikey", "new", "--env", env], b"");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        let key = lines[0].strip_prefix("key: ").unwrap();
        let hash = lines[1].strip_prefix("hash: ").unwrap();
        assert!(key.starts_with(prefix), "{key}");
        assert_eq!(key.len(), prefix.len() + 64);
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            hash,
            waas_core::access::KeyHash::of(key).to_hex(),
            "the hash is SHA-256 of the key text"
        );
        let again = ok(&["apikey", "new", "--env", env], b"");
        assert_ne!(again, out);
    }
    fails(&["apikey", "new", "--env", "prod"], b"", "INVALID_ARGUMENT");
    fails(&["apikey", "new"], b"", "INVALID_ARGUMENT");
}
