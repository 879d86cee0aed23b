//! Runs every scenario under tests/vectors/{ledger,automation}/ and compares it with its
//! `.expected.jsonl`.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use serde_json::Value;
use std::path::PathBuf;
use waas_core::scenario::{replay, reserve_report};

fn vector_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors")
        .join(name)
}

/// Every `X.jsonl` with an `X.expected.jsonl` beside it in a folder of tests/vectors.
fn scenario_pairs(name: &str) -> Vec<(PathBuf, PathBuf)> {
    let mut pairs = Vec::new();
    for entry in std::fs::read_dir(vector_dir(name)).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if file.ends_with(".jsonl") && !file.ends_with(".expected.jsonl") {
            let expected = path.with_file_name(file.replace(".jsonl", ".expected.jsonl"));
            assert!(
                expected.exists(),
                "{} has no expected output",
                path.display()
            );
            pairs.push((path, expected));
        }
    }
    pairs.sort();
    pairs
}

fn run_folder(name: &str, at_least: usize) {
    let pairs = scenario_pairs(name);
    assert!(
        pairs.len() >= at_least,
        "expected {at_least}+ scenarios in {name}, found {}",
        pairs.len()
    );
    for (input, expected) in pairs {
        let got = replay(&std::fs::read_to_string(&input).unwrap());
        let want = std::fs::read_to_string(&expected).unwrap();
        let got: Vec<Value> = got
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let want: Vec<Value> = want
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(got.len(), want.len(), "{}", input.display());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{} line {}", input.display(), i + 1);
        }
        // reserve_report is the state line's reserves alone.
        let report = reserve_report(&std::fs::read_to_string(&input).unwrap()).unwrap();
        let report: Value = serde_json::from_str(&report).unwrap();
        assert_eq!(
            report,
            want.last().unwrap()["state"]["reserves"],
            "{}",
            input.display()
        );
    }
}

#[test]
fn every_ledger_scenario_gives_its_expected_output() {
    run_folder("ledger", 13);
}

#[test]
fn every_automation_scenario_gives_its_expected_output() {
    run_folder("automation", 8);
}

#[test]
fn wallet_kinds_read_back_their_stored_names() {
    use waas_core::ledger::WalletKind;
    for kind in [WalletKind::Virtual, WalletKind::Treasury, WalletKind::Card] {
        assert_eq!(WalletKind::parse(kind.as_str()).unwrap(), kind);
        // The stored name is the serde name.
        assert_eq!(
            serde_json::to_value(kind).unwrap(),
            serde_json::json!(kind.as_str())
        );
    }
    let refused = WalletKind::parse("Virtual").unwrap_err();
    assert_eq!(refused.code(), waas_core::ErrorCode::InvalidArgument);
}
