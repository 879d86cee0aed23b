//! Official BIP-32 (vectors 1-3) and BIP-39 (English, passphrase "TREZOR") test vectors.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use serde_json::Value;
use waas_core::keys::{ExtendedPrivateKey, ExtendedPublicKey, Mnemonic};

fn load(name: &str) -> Value {
    let path = format!("{}/../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("vector file is JSON")
}

#[test]
fn bip32_test_vectors_1_to_3() {
    let file = load("bip32.json");
    let mut checked = 0;
    for vector in file["vectors"].as_array().unwrap() {
        let seed = hex::decode(vector["seed"].as_str().unwrap()).unwrap();
        let master = ExtendedPrivateKey::from_seed(&seed).unwrap();
        for chain in vector["chains"].as_array().unwrap() {
            let path = chain["path"].as_str().unwrap();
            let key = master.derive_path(path).unwrap();
            assert_eq!(
                key.to_xprv_string().as_str(),
                chain["xprv"].as_str().unwrap(),
                "{path}"
            );
            assert_eq!(
                key.xpub().to_string(),
                chain["xpub"].as_str().unwrap(),
                "{path}"
            );
            // the xpub parses back to itself
            let parsed = ExtendedPublicKey::parse(chain["xpub"].as_str().unwrap()).unwrap();
            assert_eq!(parsed, key.xpub());
            checked += 1;
        }
    }
    assert_eq!(checked, 14, "vectors 1 (6 chains), 2 (6) and 3 (2)");
}

#[test]
fn bip39_reference_vectors_with_trezor_passphrase() {
    let file = load("bip39.json");
    let passphrase = file["passphrase"].as_str().unwrap();
    let vectors = file["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 24);
    for v in vectors {
        let entropy = hex::decode(v["entropy"].as_str().unwrap()).unwrap();
        let phrase = v["mnemonic"].as_str().unwrap();
        let from_entropy = Mnemonic::from_entropy(&entropy).unwrap();
        assert_eq!(from_entropy.phrase().as_str(), phrase);
        let parsed = Mnemonic::parse(phrase).unwrap();
        assert_eq!(
            hex::encode(parsed.to_seed(passphrase).as_slice()),
            v["seed"].as_str().unwrap()
        );
    }
}

#[test]
fn xprv_is_not_an_xpub_and_junk_is_refused() {
    let file = load("bip32.json");
    let xprv = file["vectors"][0]["chains"][0]["xprv"].as_str().unwrap();
    assert_eq!(
        ExtendedPublicKey::parse(xprv).unwrap_err().code(),
        waas_core::ErrorCode::InvalidKey
    );
    for junk in ["", "xpub", "hello", "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet9"] {
        assert!(ExtendedPublicKey::parse(junk).is_err(), "{junk:?}");
    }
}
