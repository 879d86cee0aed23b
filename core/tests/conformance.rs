//! Runs every file of tests/vectors/ against the core, through a per-file dispatcher.
//!
//! The same files are run by the Node suite (wasm) and the Python suite (uniffi); a file that no
//! runner knows fails here, so a new vector file cannot be silently skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests unwrap known-good vector data

use serde_json::Value;
use std::path::{Path, PathBuf};
use waas_core::keys::{account_xpub, ExtendedPublicKey, Mnemonic};
use waas_core::{Address, Amount, Family, Registry};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn n(v: &Value) -> u32 {
    u32::try_from(v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))).unwrap()
}

fn family(chain: &str) -> waas_core::Result<Family> {
    Ok(Registry::builtin().chain(chain)?.family)
}

/// Derivation: mnemonic -> account xpub -> addresses (single and batch), and refusals.
fn run_derivation(file: &Value) -> usize {
    let mut checks = 0;
    for case in file["cases"].as_array().unwrap() {
        let fam = family(s(&case["chain"])).unwrap();
        let mnemonic = Mnemonic::parse(s(&case["mnemonic"])).unwrap();
        let xpub =
            account_xpub(&mnemonic, s(&case["passphrase"]), fam, n(&case["account"])).unwrap();
        assert_eq!(xpub.to_string(), s(&case["xpub"]), "{}", case["path"]);
        let key = ExtendedPublicKey::parse(s(&case["xpub"])).unwrap();
        for a in case["addresses"].as_array().unwrap() {
            let got = key.derive_address(fam, n(&a["index"])).unwrap();
            assert_eq!(
                got.to_string(),
                s(&a["address"]),
                "{} index {}",
                case["path"],
                a["index"]
            );
            checks += 1;
        }
        let b = &case["batch"];
        let (start, count) = (n(&b["start"]), n(&b["count"]));
        let batch = key.derive_addresses(fam, start, count).unwrap();
        assert_eq!(batch.len(), count as usize);
        assert_eq!(batch[0].to_string(), s(&b["first"]));
        assert_eq!(batch[batch.len() - 1].to_string(), s(&b["last"]));
        for (i, addr) in batch.iter().enumerate() {
            let single = key
                .derive_address(fam, start + u32::try_from(i).unwrap())
                .unwrap();
            assert_eq!(*addr, single);
        }
        checks += 1;
    }
    for e in file["errors"].as_array().unwrap() {
        let result = family(s(&e["chain"])).and_then(|fam| {
            let key = ExtendedPublicKey::parse(s(&e["xpub"]))?;
            if e.get("count").is_some() {
                key.derive_addresses(fam, n(&e["start"]), n(&e["count"]))
                    .map(|_| ())
            } else {
                key.derive_address(fam, n(&e["index"])).map(|_| ())
            }
        });
        let err = result.expect_err(s(&e["what"]));
        assert_eq!(err.code().as_str(), s(&e["code"]), "{}", e["what"]);
        checks += 1;
    }
    checks
}

/// Addresses: canonical forms and refusals.
fn run_addresses(file: &Value) -> usize {
    let mut checks = 0;
    for v in file["valid"].as_array().unwrap() {
        let fam = family(s(&v["chain"])).unwrap();
        let a = Address::parse(fam, s(&v["input"])).unwrap();
        assert_eq!(a.to_string(), s(&v["canonical"]), "{v}");
        checks += 1;
    }
    for v in file["invalid"].as_array().unwrap() {
        let result = family(s(&v["chain"])).and_then(|fam| Address::parse(fam, s(&v["input"])));
        assert_eq!(
            result.expect_err("must fail").code().as_str(),
            s(&v["code"]),
            "{v}"
        );
        checks += 1;
    }
    checks
}

/// Amounts: decimal string <-> base units, and refusals.
fn run_amounts(file: &Value) -> usize {
    let mut checks = 0;
    let dec = |v: &Value| u8::try_from(n(v)).unwrap();
    for v in file["to_base_units"].as_array().unwrap() {
        let d = dec(&v["decimals"]);
        let units = Amount::parse(s(&v["amount"]), d)
            .unwrap()
            .to_base_units(d)
            .unwrap();
        assert_eq!(units.to_string(), s(&v["units"]), "{v}");
        checks += 1;
    }
    for v in file["from_base_units"].as_array().unwrap() {
        let a = Amount::from_base_units(s(&v["units"]), dec(&v["decimals"])).unwrap();
        assert_eq!(a.to_string(), s(&v["amount"]), "{v}");
        checks += 1;
    }
    for v in file["errors"].as_array().unwrap() {
        let d = dec(&v["decimals"]);
        let input = s(&v["input"]);
        let err = match s(&v["op"]) {
            "toBaseUnits" => Amount::parse(input, d)
                .and_then(|a| a.to_base_units(d))
                .map(|_| ()),
            "fromBaseUnits" => Amount::from_base_units(input, d).map(|_| ()),
            op => panic!("unknown op {op}"),
        }
        .expect_err("must fail");
        assert_eq!(err.code().as_str(), s(&v["code"]), "{v}");
        checks += 1;
    }
    checks
}

/// tests/vectors/journal.json: verifying each export gives `ok N entries` or the error and line.
fn run_journal(file: &Value) -> usize {
    let mut checks = 0;
    for c in file["cases"].as_array().unwrap() {
        let got = waas_core::ledger::journal::verify_report(s(&c["jsonl"]));
        let want = &c["expected"];
        match (got, want["ok"].as_str()) {
            (Ok(report), Some(ok)) => assert_eq!(report, ok, "{}", c["name"]),
            (Err(e), None) => {
                assert_eq!(e.code().as_str(), s(&want["error"]), "{}", c["name"]);
                let line = format!("line {}:", want["line"]);
                assert!(e.message().starts_with(&line), "{}: {}", c["name"], e);
            }
            (got, _) => panic!("{}: got {got:?}, want {want}", c["name"]),
        }
        checks += 1;
    }
    checks
}

#[test]
fn every_vector_file_is_run() {
    let mut names: Vec<String> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut total = 0;
    for name in &names {
        let path = vectors_dir().join(name);
        let checks = match name.as_str() {
            "derivation.json" => run_derivation(&load(&path)),
            "addresses.json" => run_addresses(&load(&path)),
            "amounts.json" => run_amounts(&load(&path)),
            "journal.json" => run_journal(&load(&path)),
            // Run with their own expectations by core/tests/bip_vectors.rs, webhook.rs,
            // ledger_vectors.rs (ledger/ and automation/) and tx_vectors.rs.
            "bip32.json" | "bip39.json" | "webhooks.json" | "ledger" | "automation"
            | "transactions.json" => continue,
            // Generator scripts of the vector files (not vectors).
            "tools" => continue,
            script if script.ends_with(".py") => continue,
            other => {
                panic!("tests/vectors/{other}: no runner knows this file; add one to every suite")
            }
        };
        assert!(checks > 0, "{name}: no case ran");
        println!("{name}: {checks} checks");
        total += checks;
    }
    assert!(total > 100, "only {total} checks ran");
}
