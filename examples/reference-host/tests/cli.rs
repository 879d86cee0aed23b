//! End-to-end tests of the `waas` command line as a process.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use std::io::Write;
use std::process::{Command, Output, Stdio};

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

fn waas(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waas"));
    cmd.args(args)
        .env_remove("WAAS_MNEMONIC")
        .env_remove("WAAS_PASSPHRASE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn waas");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        // The command may exit before reading all of its input (a broken pipe is fine then).
        let _ = input.write_all(text.as_bytes());
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

fn ok(args: &[&str]) -> String {
    let out = waas(args, None, &[]);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

/// Asserts exit status 2, one `error: CODE: message` line, and no panic.
fn fails(args: &[&str], stdin: Option<&str>, code: &str) {
    let out = waas(args, stdin, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.starts_with(&format!("error: {code}: ")),
        "{args:?}: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"));
    assert!(out.stdout.is_empty());
}

fn xpub_of(chain: &str, account: &str) -> String {
    let out = waas(
        &["xpub", "--chain", chain, "--account", account],
        Some(ABANDON),
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn xpub_from_stdin_and_env_agree_and_derive_known_addresses() {
    let from_stdin = xpub_of("ethereum", "0");
    let out = waas(
        &["xpub", "--chain", "polygon"],
        None,
        &[("WAAS_MNEMONIC", ABANDON)],
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        from_stdin,
        "every EVM chain uses coin 60"
    );
    let lines = ok(&[
        "derive",
        "--chain",
        "ethereum",
        "--xpub",
        &from_stdin,
        "--index",
        "0",
        "--count",
        "2",
    ]);
    assert_eq!(
        lines,
        "0 0x9858EfFD232B4033E47d90003D41EC34EcaEda94\n1 0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0\n"
    );
    let tron = xpub_of("tron", "0");
    assert_ne!(tron, from_stdin);
    assert_eq!(
        ok(&["derive", "--chain", "tron", "--xpub", &tron, "--index", "0"]),
        "0 TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH\n"
    );
    let last = ok(&[
        "derive",
        "--chain",
        "ethereum",
        "--xpub",
        &from_stdin,
        "--index",
        "2147483647",
    ]);
    assert!(last.starts_with("2147483647 0x"));
}

#[test]
fn passphrase_changes_the_xpub() {
    let plain = xpub_of("ethereum", "0");
    let out = waas(
        &["xpub", "--chain", "ethereum"],
        Some(ABANDON),
        &[("WAAS_PASSPHRASE", "TREZOR")],
    );
    assert_ne!(String::from_utf8(out.stdout).unwrap().trim(), plain);
}

#[test]
fn mnemonic_new_has_the_asked_length_and_is_valid() {
    for words in ["12", "24"] {
        let phrase = ok(&["mnemonic", "new", "--words", words]);
        assert_eq!(
            phrase.split_whitespace().count(),
            words.parse::<usize>().unwrap()
        );
        let out = waas(&["xpub", "--chain", "ethereum"], Some(&phrase), &[]);
        assert!(out.status.success());
    }
    fails(
        &["mnemonic", "new", "--words", "13"],
        None,
        "INVALID_ARGUMENT",
    );
}

#[test]
fn address_amount_and_registry() {
    assert_eq!(
        ok(&[
            "address",
            "--chain",
            "ethereum",
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        ]),
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n"
    );
    assert_eq!(
        ok(&[
            "address",
            "--chain",
            "tron",
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        ]),
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\n"
    );
    assert_eq!(
        ok(&["amount", "--decimals", "6", "--to-base", "12.5"]),
        "12500000\n"
    );
    assert_eq!(
        ok(&["amount", "--decimals", "18", "--from-base", "1"]),
        "0.000000000000000001\n"
    );
    assert_eq!(
        ok(&["amount", "--decimals", "6", "--from-base", "12500000"]),
        "12.5\n"
    );
    assert!(ok(&["chains"]).contains("tron-nile tron - TRX 6 19 testnet"));
    let tokens = ok(&["tokens", "--chain", "bsc"]);
    assert!(tokens.contains("bsc USDT 18 0x55d398326f99059fF775485246999027B3197955"));
    let json: serde_json::Value = serde_json::from_str(&ok(&["tokens", "--json"])).unwrap();
    assert!(json.as_array().unwrap().len() > 20);
}

/// Bad input to each command: (its arguments, `XPUB` standing for an account's xpub; its standard
/// input; the code it exits 2 with).
const BAD_INPUT: &[(&[&str], Option<&str>, &str)] = &[
    (
        &[
            "derive",
            "--chain",
            "ethereum",
            "--xpub",
            "XPUB",
            "--index",
            "2147483648",
        ],
        None,
        "INVALID_INDEX",
    ),
    (
        &[
            "derive",
            "--chain",
            "ethereum",
            "--xpub",
            "XPUB",
            "--index",
            "2147483647",
            "--count",
            "2",
        ],
        None,
        "INVALID_INDEX",
    ),
    (
        &[
            "derive", "--chain", "ethereum", "--xpub", "XPUB", "--index", "-1",
        ],
        None,
        "INVALID_ARGUMENT",
    ),
    (
        &[
            "derive", "--chain", "ethereum", "--xpub", "xpubjunk", "--index", "0",
        ],
        None,
        "INVALID_KEY",
    ),
    (
        &[
            "derive", "--chain", "dogecoin", "--xpub", "XPUB", "--index", "0",
        ],
        None,
        "UNKNOWN_CHAIN",
    ),
    (&["derive", "--chain", "ethereum"], None, "INVALID_ARGUMENT"),
    (
        &[
            "address",
            "--chain",
            "ethereum",
            "0x5aAeb6053f3E94C9b9A09f33669435E7Ef1BeAed",
        ],
        None,
        "INVALID_ADDRESS",
    ),
    (
        &[
            "address",
            "--chain",
            "tron",
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u",
        ],
        None,
        "INVALID_ADDRESS",
    ),
    (
        &["amount", "--decimals", "6", "--to-base", "1.1234567"],
        None,
        "INVALID_AMOUNT",
    ),
    (
        &["amount", "--decimals", "6", "--to-base", "-1"],
        None,
        "INVALID_AMOUNT",
    ),
    (
        &["amount", "--decimals", "6", "--to-base", "abc"],
        None,
        "INVALID_AMOUNT",
    ),
    (
        &[
            "amount",
            "--decimals",
            "6",
            "--to-base",
            "99999999999999999999999999999999",
        ],
        None,
        "INVALID_AMOUNT",
    ),
    (
        &["amount", "--decimals", "99", "--from-base", "1"],
        None,
        "INVALID_AMOUNT",
    ),
    (&["amount", "--decimals", "6"], None, "INVALID_ARGUMENT"),
    (
        &["xpub", "--chain", "ethereum"],
        Some("not a mnemonic"),
        "INVALID_MNEMONIC",
    ),
    (
        &["xpub", "--chain", "ethereum"],
        Some(""),
        "INVALID_MNEMONIC",
    ),
    (&["nonsense"], None, "INVALID_ARGUMENT"),
];

#[test]
fn bad_input_exits_2_with_a_code() {
    let xpub = xpub_of("ethereum", "0");
    for (args, stdin, code) in BAD_INPUT {
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "XPUB" { xpub.as_str() } else { a })
            .collect();
        fails(&args, *stdin, code);
    }
}

#[test]
fn ledger_replay_from_file_and_stdin_agree() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/ledger");
    let file = format!("{dir}/rule07_leverage.jsonl");
    let from_file = ok(&["ledger", "replay", &file]);
    let input = std::fs::read_to_string(&file).unwrap();
    let out = waas(&["ledger", "replay"], Some(&input), &[]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), from_file);
    let expected =
        std::fs::read_to_string(format!("{dir}/rule07_leverage.expected.jsonl")).unwrap();
    assert_eq!(from_file, expected);
    let last: serde_json::Value = serde_json::from_str(from_file.lines().last().unwrap()).unwrap();
    assert_eq!(
        last["state"]["reserves"]["c1/arbitrum/USDC"]["leverage"],
        "100"
    );
    fails(
        &["ledger", "replay", "/nonexistent/file.jsonl"],
        None,
        "INVALID_ARGUMENT",
    );
}

#[test]
fn json_on_every_command_that_prints_data() {
    let xpub = xpub_of("ethereum", "0");
    let parse = |args: &[&str]| -> serde_json::Value {
        let text = ok(args);
        assert_eq!(text.lines().count(), 1, "{args:?}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
    };
    let v = parse(&["mnemonic", "new", "--words", "12", "--json"]);
    assert_eq!(v["mnemonic"].as_str().unwrap().split(' ').count(), 12);
    let v = parse(&[
        "--json",
        "address",
        "--chain",
        "ethereum",
        "0x9858effd232b4033e47d90003d41ec34ecaeda94",
    ]);
    assert_eq!(v["address"], "0x9858EfFD232B4033E47d90003D41EC34EcaEda94");
    let v = parse(&["amount", "--decimals", "6", "--to-base", "1.5", "--json"]);
    assert_eq!(v["base_units"], "1500000");
    let v = parse(&[
        "amount",
        "--decimals",
        "6",
        "--from-base",
        "1500000",
        "--json",
    ]);
    assert_eq!(v["amount"], "1.5");
    let v = parse(&["apikey", "new", "--env", "sandbox", "--json"]);
    assert!(v["key"].as_str().unwrap().starts_with("waas_test_"));
    assert_eq!(v["hash"].as_str().unwrap().len(), 64);
    let v = parse(&[
        "erc20",
        "transfer",
        "--to",
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94",
        "--amount",
        "1",
        "--json",
    ]);
    assert!(v["data"].as_str().unwrap().starts_with("0xa9059cbb"));
    let out = waas(
        &["xpub", "--chain", "ethereum", "--json"],
        Some(ABANDON),
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["xpub"], xpub.as_str());
}

/// derive: JSON Lines, the same addresses as the text form.
#[test]
fn json_lines_from_derive_match_its_text() {
    let xpub = xpub_of("ethereum", "0");
    let text = ok(&[
        "derive", "--chain", "tron", "--xpub", &xpub, "--index", "3", "--count", "4",
    ]);
    let json = ok(&[
        "derive", "--chain", "tron", "--xpub", &xpub, "--index", "3", "--count", "4", "--json",
    ]);
    for (t, j) in text.lines().zip(json.lines()) {
        let v: serde_json::Value = serde_json::from_str(j).unwrap();
        assert_eq!(
            t,
            format!("{} {}", v["index"], v["address"].as_str().unwrap())
        );
    }
    assert_eq!(json.lines().count(), 4);
}

/// Errors under --json: one JSON object on standard error, exit 2 for bad input.
#[test]
fn json_errors_are_one_object_on_standard_error() {
    let out = waas(
        &["--json", "address", "--chain", "ethereum", "0x12"],
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let e: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(e["error"]["code"], "INVALID_ADDRESS");
    assert!(out.stdout.is_empty());
}

#[test]
fn derive_streams_its_first_lines_at_once() {
    let xpub = xpub_of("ethereum", "0");
    let mut child = Command::new(env!("CARGO_BIN_EXE_waas"))
        .args([
            "derive", "--chain", "ethereum", "--xpub", &xpub, "--index", "0",
        ])
        .args(["--count", "1000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("0 0x"), "{first}");
    // A million addresses take far longer than the first chunk: the process is still working.
    assert!(
        child.try_wait().unwrap().is_none(),
        "the output came only at the end"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn completions_for_each_shell() {
    assert!(ok(&["completions", "bash"]).contains("_waas"));
    assert!(ok(&["completions", "zsh"]).contains("#compdef waas"));
    assert!(ok(&["completions", "fish"]).contains("complete -c waas"));
    fails(&["completions", "tcsh"], None, "INVALID_ARGUMENT");
}
