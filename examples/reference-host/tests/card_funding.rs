#![allow(clippy::unwrap_used)]
//! Card top-ups on a live host (a process started in live mode with a key file): it takes prices
//! only from the platform and funds cards only from wallets. The sandbox stories of card funding
//! run in-process (tests/api/card_funding.rs).

mod support;

use serde_json::json;
use support::api::{d, dec, setup, Api};
use support::{Backend, Opts};

fn card_usd(api: Api<'_>, card: &str) -> rust_decimal::Decimal {
    dec(&api.get(&format!("/v1/cards/{card}")).ok(200)["balance_usd"])
}

/// A live host values a card only at the platform's prices and funds it only from a wallet.
#[test]
fn live_funds_cards_from_wallets_at_platform_prices() {
    let key_file = std::env::temp_dir().join(format!("waas_live_key_{}.txt", std::process::id()));
    std::fs::write(
        &key_file,
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    )
    .unwrap();
    let opts = Opts {
        extra_args: vec![
            "--mode".into(),
            "live".into(),
            "--key-file".into(),
            key_file.display().to_string(),
        ],
        ..Opts::default()
    };
    let Some((_db, s)) = setup(Backend::Sqlite, "card_funding_live", &opts) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("alice");
    let (vw, _) = api.wallet(&acc, "ethereum");
    api.post(
        "/v1/wallets/holding/ethereum/transfer",
        json!({"to_wallet_id": vw, "token": "ETH", "amount": "1"}),
    )
    .ok(201);
    let card = api.card(&acc);
    let path = format!("/v1/cards/{card}/deposit");
    // A caller-chosen price is refused, and so is funding from nowhere.
    api.post(
        &path,
        json!({"from_wallet_id": vw, "token": "ETH", "amount": "0.01", "usd_price": "100000000"}),
    )
    .err(400, "INVALID_ARGUMENT");
    api.post(&path, json!({"token": "USDT", "amount": "1000000"}))
        .err(400, "INVALID_ARGUMENT");
    // No platform price for ETH yet: refused; with the root's own price list: funded at it.
    api.post(
        &path,
        json!({"from_wallet_id": vw, "token": "ETH", "amount": "0.01"}),
    )
    .err(400, "INVALID_ARGUMENT");
    let root = api.get("/v1/management/clients").ok(200)["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.put(
        &format!("/v1/management/clients/{root}/policy"),
        json!({"usd_prices": {"ETH": "2000"}}),
    )
    .ok(200);
    let r = api
        .post(
            &path,
            json!({"from_wallet_id": vw, "token": "ETH", "amount": "0.01"}),
        )
        .ok(201)
        .clone();
    assert_eq!(r["credited_usd"], "20");
    assert_eq!(card_usd(api, &card), d("20"));
    assert_eq!(api.balance(&vw, "ETH").2, d("0.99"));
    let _ = std::fs::remove_file(&key_file);
}
