#![allow(clippy::unwrap_used)]
//! `GET /v1/wallets/holding/{blockchain}` shows the account xpub, and every virtual wallet's
//! address is the one that xpub derives at the wallet's index (checked with `waas derive`, the
//! same derivation a dashboard runs in the browser).

mod support;

use support::api::{setup, Api};
use support::{Backend, Opts};

#[test]
fn deposit_addresses_derive_from_the_shown_xpub() {
    let Some((_db, s)) = setup(Backend::Sqlite, "holding_xpub", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("alice");
    for chain in ["ethereum", "tron"] {
        let wallets: Vec<(String, String)> = (0..3).map(|_| api.wallet(&acc, chain)).collect();
        let holding = api
            .get(&format!("/v1/wallets/holding/{chain}"))
            .ok(200)
            .clone();
        let xpub = holding["xpub"].as_str().unwrap().to_owned();
        assert!(xpub.starts_with("xpub"), "{holding}");
        for (id, address) in wallets {
            let w = api
                .get(&format!("/v1/wallets/virtual/{id}"))
                .ok(200)
                .clone();
            let index = w["index"].as_i64().unwrap().to_string();
            let out = std::process::Command::new(support::bin())
                .args([
                    "derive", "--chain", chain, "--xpub", &xpub, "--index", &index,
                ])
                .output()
                .unwrap();
            let line = String::from_utf8(out.stdout).unwrap();
            assert_eq!(
                line.trim(),
                format!("{index} {address}"),
                "{chain} wallet {id}"
            );
        }
    }
}
