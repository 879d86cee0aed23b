//! End-to-end tests of `waas tx sign` and `waas erc20 transfer` as a process: every registry
//! vector of tests/vectors/transactions.json (signed by eth-account) through the binary, and bad
//! input refused with exit status 2 and a code.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use serde_json::Value;
use std::process::{Command, Output, Stdio};

const KEY46: &str = "0x4646464646464646464646464646464646464646464646464646464646464646";

fn waas(args: &[&str], key: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waas"));
    cmd.args(args).env_remove("WAAS_PRIVATE_KEY");
    if let Some(key) = key {
        cmd.env("WAAS_PRIVATE_KEY", key);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run waas")
}

fn ok(args: &[&str], key: Option<&str>) -> String {
    let out = waas(args, key);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts exit status 2, one `error: CODE: message` line, no panic, no output, no key echoed.
fn fails(args: &[&str], key: Option<&str>, code: &str) {
    let out = waas(args, key);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.starts_with(&format!("error: {code}: ")),
        "{args:?}: expected {code}, got {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"));
    assert!(out.stdout.is_empty());
    if let Some(key) = key {
        let body = key.trim().trim_start_matches("0x");
        if body.len() >= 8 {
            assert!(!stderr.contains(body), "the key is echoed: {stderr}");
        }
    }
}

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/transactions.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap()
}

/// The `waas tx sign` arguments of a vector.
fn sign_args(v: &Value) -> Vec<String> {
    let mut args: Vec<String> = [
        "tx",
        "sign",
        "--chain",
        s(v, "chain"),
        "--nonce",
        s(v, "nonce"),
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    for (flag, key) in [
        ("--to", "to"),
        ("--gas-limit", "gas_limit"),
        ("--value", "value"),
        ("--data", "data"),
    ] {
        args.push(flag.into());
        args.push(s(v, key).into());
    }
    if s(v, "type") == "legacy" {
        args.extend(["--gas-price".into(), s(v, "gas_price").into()]);
    } else {
        args.extend([
            "--max-fee-per-gas".into(),
            s(v, "max_fee_per_gas").into(),
            "--max-priority-fee-per-gas".into(),
            s(v, "max_priority_fee_per_gas").into(),
        ]);
    }
    args
}

#[test]
fn registry_vectors_sign_byte_for_byte_through_the_binary() {
    let file = vectors();
    let mut run = 0;
    for v in file["transactions"].as_array().unwrap() {
        if v["chain"].is_null() || v["to"].is_null() {
            continue; // chain ids outside the registry and contract creation: library only
        }
        let args = sign_args(v);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ok(&args, Some(s(v, "private_key")));
        let expected = format!(
            "raw {}\nhash {}\n",
            s(&v["expected"], "raw"),
            s(&v["expected"], "hash")
        );
        assert_eq!(out, expected, "{}", s(v, "name"));
        run += 1;
    }
    assert!(run >= 60, "only {run} vectors ran");
}

#[test]
fn erc20_transfer_vectors_through_the_binary() {
    let file = vectors();
    for v in file["erc20_transfers"].as_array().unwrap() {
        let out = ok(
            &[
                "erc20",
                "transfer",
                "--to",
                s(v, "to"),
                "--amount",
                s(v, "amount"),
            ],
            None,
        );
        assert_eq!(out, format!("{}\n", s(v, "expected")));
    }
    // ERC-20 data pipes into tx sign (token contract as recipient)
    let data = ok(
        &[
            "erc20",
            "transfer",
            "--to",
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            "--amount",
            "1000000",
        ],
        None,
    );
    let out = ok(
        &[
            "tx",
            "sign",
            "--chain",
            "eth",
            "--nonce",
            "0",
            "--to",
            "0xdAC17F958D2ee523a2206206994597C13D831ec7",
            "--gas-limit",
            "65000",
            "--data",
            data.trim(),
            "--max-fee-per-gas",
            "30000000000",
            "--max-priority-fee-per-gas",
            "1000000000",
        ],
        Some(KEY46),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("raw 0x02f8"), "{out}");
    assert!(lines[0].contains(&data.trim()[2..]));
    assert!(lines[1].starts_with("hash 0x") && lines[1].len() == 5 + 2 + 64);
}

#[test]
fn eip155_example_through_the_binary() {
    let base = [
        "tx",
        "sign",
        "--chain",
        "ethereum",
        "--nonce",
        "9",
        "--to",
        "0x3535353535353535353535353535353535353535",
        "--gas-limit",
        "21000",
        "--value",
        "1000000000000000000",
        "--gas-price",
        "20000000000",
    ];
    let out = ok(&base, Some(KEY46));
    assert!(out.starts_with(
        "raw 0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83\nhash 0x"
    ));
    // key without 0x and with a trailing newline is the same key
    assert_eq!(ok(&base, Some(&format!("{}\n", &KEY46[2..]))), out);
}

/// The recipient of the transfers the bad-input tests sign.
const TO: &str = "0x3535353535353535353535353535353535353535";
/// The fee flags of a legacy transaction.
const LEGACY: [&str; 2] = ["--gas-price", "1"];
/// 2^256: one more than any amount holds.
const TWO_256: &str =
    "115792089237316195423570985008687907853269984665640564039457584007913129639936";

/// `waas tx sign` of a transfer on ethereum with no fee flags, then `extra`.
fn sign(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "tx",
        "sign",
        "--chain",
        "ethereum",
        "--nonce",
        "1",
        "--to",
        TO,
        "--gas-limit",
        "21000",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args
}

/// [`fails`] on owned arguments.
fn fails_with(args: &[String], key: Option<&str>, code: &str) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails(&args, key, code);
}

/// `sign(extra)` with `key` exits 2 with `code`.
fn run(extra: &[&str], key: Option<&str>, code: &str) {
    fails_with(&sign(extra), key, code);
}

/// A legacy `sign` with the argument after `flag` replaced by `bad` exits 2 with `code`.
fn run_with(flag: &str, bad: &str, code: &str) {
    let mut args = sign(&LEGACY);
    let at = args.iter().position(|a| a == flag).unwrap();
    args[at + 1] = bad.to_owned();
    fails_with(&args, Some(KEY46), code);
}

/// The key: missing, empty, too short or long, not hex, zero or past the curve's order, or given
/// as a flag; the same transaction with a good key signs.
#[test]
fn bad_input_exits_2_with_a_code() {
    let args = sign(&LEGACY);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(ok(&args, Some(KEY46)).starts_with("raw 0xf8"));

    run(&LEGACY, None, "MISSING_KEY");
    run(&LEGACY, Some(""), "MISSING_KEY");
    run(&LEGACY, Some(&KEY46[..64]), "INVALID_KEY"); // 31.5 bytes
    run(&LEGACY, Some(&format!("{KEY46}46")), "INVALID_KEY"); // 33 bytes
    run(
        &LEGACY,
        Some(&format!("0x{}zz", "46".repeat(31))),
        "INVALID_KEY",
    );
    run(&LEGACY, Some(&"00".repeat(32)), "INVALID_KEY");
    run(&LEGACY, Some(&"ff".repeat(32)), "INVALID_KEY");
    run(
        &[&LEGACY[..], &["--private-key", KEY46]].concat(),
        Some(KEY46),
        "INVALID_ARGUMENT",
    );
}

/// Fee flags that name no fee mode, or two of them: INVALID_ARGUMENT.
const BAD_FEE_MODES: [&[&str]; 5] = [
    &[],
    &[
        "--gas-price",
        "1",
        "--max-fee-per-gas",
        "2",
        "--max-priority-fee-per-gas",
        "1",
    ],
    &["--gas-price", "1", "--max-fee-per-gas", "2"],
    &["--max-fee-per-gas", "2"],
    &["--max-priority-fee-per-gas", "2"],
];

#[test]
fn bad_input_exits_2_with_a_code_for_fee_modes() {
    for extra in BAD_FEE_MODES {
        run(extra, Some(KEY46), "INVALID_ARGUMENT");
    }
}

#[test]
fn bad_input_exits_2_with_a_code_for_numbers() {
    let huge = "9".repeat(5000);
    for bad in [
        TWO_256,
        huge.as_str(),
        "-1",
        "1.5",
        "1e18",
        "0x10",
        "",
        "abc",
    ] {
        run(
            &[&LEGACY[..], &["--value", bad]].concat(),
            Some(KEY46),
            "INVALID_AMOUNT",
        );
        run(&["--gas-price", bad], Some(KEY46), "INVALID_AMOUNT");
        run(
            &["--max-fee-per-gas", bad, "--max-priority-fee-per-gas", "0"],
            Some(KEY46),
            "INVALID_AMOUNT",
        );
    }
    for (flag, bad) in [
        ("--nonce", "18446744073709551616"),
        ("--nonce", "-1"),
        ("--nonce", "x"),
        ("--gas-limit", "18446744073709551616"),
        ("--gas-limit", huge.as_str()),
    ] {
        run_with(flag, bad, "INVALID_ARGUMENT");
    }
}

#[test]
fn bad_input_exits_2_with_a_code_for_data_and_addresses() {
    for data in ["0xabc", "0xzz"] {
        run(
            &[&LEGACY[..], &["--data", data]].concat(),
            Some(KEY46),
            "INVALID_ARGUMENT",
        );
    }
    for to in [
        "0x5aAeb6053f3E94C9b9A09f33669435E7Ef1BeAed", // bad EIP-55
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    ] {
        run_with("--to", to, "INVALID_ADDRESS");
    }
}

#[test]
fn bad_input_exits_2_with_a_code_for_chains() {
    for (chain, code) in [
        ("tron", "INVALID_ARGUMENT"),
        ("tron-nile", "INVALID_ARGUMENT"),
        ("dogecoin", "UNKNOWN_CHAIN"),
    ] {
        run_with("--chain", chain, code);
    }
    fails(
        &["tx", "sign", "--chain", "ethereum"],
        Some(KEY46),
        "INVALID_ARGUMENT",
    );
}

#[test]
fn bad_input_exits_2_with_a_code_for_erc20() {
    for (to, amount, code) in [
        (
            "0x5aAeb6053f3E94C9b9A09f33669435E7Ef1BeAed",
            "1",
            "INVALID_ADDRESS",
        ),
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "1", "INVALID_ADDRESS"),
        (TO, TWO_256, "INVALID_AMOUNT"),
        (TO, "-5", "INVALID_AMOUNT"),
        (TO, "1.5", "INVALID_AMOUNT"),
    ] {
        fails(
            &["erc20", "transfer", "--to", to, "--amount", amount],
            None,
            code,
        );
    }
    fails(&["erc20", "transfer", "--to", TO], None, "INVALID_ARGUMENT");
}
