#![allow(clippy::unwrap_used)]
//! Card top-ups move money, over real HTTP on SQLite and PostgreSQL: a top-up debits a wallet of
//! the same client and credits the card its USD value (the 10 USD minimum checked on that
//! value), a refund returns the card's USD to a wallet, a removed card frees its contract slot,
//! and the journal still verifies. A live host takes prices only from the platform and funds
//! cards only from wallets.

mod support;

use serde_json::json;
use support::api::{d, dec, setup, Api};
use support::{Backend, Opts};

fn card_usd(api: Api<'_>, card: &str) -> rust_decimal::Decimal {
    dec(&api.get(&format!("/v1/cards/{card}")).ok(200)["balance_usd"])
}

fn top_up_and_refund(backend: Backend) {
    let Some((_db, s)) = setup(backend, "card_funding", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    api.put(
        "/v1/management/contracted-products",
        json!({"max_cards": 1}),
    )
    .ok(200);
    let acc = api.account("alice");
    let (vw, _) = api.funded(&acc, "ethereum", "100");
    let card = api.card(&acc);
    let liabilities = |api: Api<'_>| {
        dec(
            &api.get("/v1/wallets/holding/ethereum/reserve").ok(200)["reserve"]["USDT"]
                ["liabilities"],
        )
    };
    let before = liabilities(api);

    // 30 USDT from the wallet onto the card: 30 USD (a stablecoin is worth 1 USD).
    let r = api
        .post(
            &format!("/v1/cards/{card}/deposit"),
            json!({"from_wallet_id": vw, "token": "USDT", "amount": "30"}),
        )
        .ok(201)
        .clone();
    assert_eq!(r["credited_usd"], "30");
    assert_eq!(api.total(&vw), d("70"));
    assert_eq!(card_usd(api, &card), d("30"));
    assert_eq!(liabilities(api), before - d("30"));
    // Listed under the wallet and under the card.
    for path in [
        format!("/v1/wallets/virtual/{vw}/transactions"),
        format!("/v1/cards/{card}/transactions"),
    ] {
        let list = api.get(&path).ok(200).clone();
        assert!(
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == r["id"]),
            "{path}: {list}"
        );
    }

    // Refused: under the minimum, more than the wallet holds, a wallet of another client, a
    // card of another kind's route.
    api.post(
        &format!("/v1/cards/{card}/deposit"),
        json!({"from_wallet_id": vw, "token": "USDT", "amount": "9.99"}),
    )
    .err(422, "BELOW_MINIMUM_DEPOSIT");
    api.post(
        &format!("/v1/cards/{card}/deposit"),
        json!({"from_wallet_id": vw, "token": "USDT", "amount": "70.01"}),
    )
    .err(422, "INSUFFICIENT_FUNDS");
    let other = api
        .post("/v1/management/clients", json!({"name": "other"}))
        .ok(201)
        .clone();
    let other_api = Api {
        s: &s,
        key: other["api_key"].as_str().unwrap(),
    };
    let other_acc = other_api.account("bob");
    let (other_vw, _) = other_api.wallet(&other_acc, "ethereum");
    api.post(
        &format!("/v1/cards/{card}/deposit"),
        json!({"from_wallet_id": other_vw, "token": "USDT", "amount": "10"}),
    )
    .err(404, "NOT_FOUND");
    other_api
        .post(
            &format!("/v1/cards/{card}/refund"),
            json!({"to_wallet_id": other_vw, "token": "USDT"}),
        )
        .err(404, "NOT_FOUND");
    assert_eq!(api.total(&vw), d("70"));

    // 12.5 USD back to the wallet, then the rest.
    let r = api
        .post(
            &format!("/v1/cards/{card}/refund"),
            json!({"to_wallet_id": vw, "token": "USDT", "amount": "12.5"}),
        )
        .ok(201)
        .clone();
    assert_eq!(r["amount"], "12.5");
    assert_eq!(card_usd(api, &card), d("17.5"));
    api.post(
        &format!("/v1/cards/{card}/refund"),
        json!({"to_wallet_id": vw, "token": "USDT"}),
    )
    .ok(201);
    assert_eq!(card_usd(api, &card), d("0"));
    assert_eq!(api.total(&vw), d("100"));
    assert_eq!(liabilities(api), before);

    // Removing the card frees its slot under a contract of one card.
    api.post(
        "/v1/cards",
        json!({"account_id": acc, "number": "4000056655665556", "expiry": "12/39"}),
    )
    .err(422, "CONTRACT_LIMIT_REACHED");
    api.delete(&format!("/v1/cards/{card}")).ok(200);
    let again = api.card(&acc);
    assert_ne!(again, card);

    // The journal with the card-funding accounts still verifies offline.
    let export = s
        .try_call("GET", "/v1/journal/export", Some(s.key()), None, &[])
        .unwrap();
    let (code, _, err) = support::verify_journal(&export.text);
    assert_eq!(code, 0, "{err}");
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

#[test]
fn sqlite() {
    top_up_and_refund(Backend::Sqlite);
}

#[test]
fn postgres() {
    top_up_and_refund(Backend::Postgres);
}
