#![allow(clippy::unwrap_used)]
//! What a client edits, over real HTTP: a virtual wallet's alias, a virtual card's alias and
//! spending limit (a payment over it is declined with SPENDING_LIMIT_EXCEEDED), and the
//! transaction list of a treasury wallet; an operator's freeze of a wallet.

mod support;

use serde_json::json;
use support::api::{setup, Api};
use support::{Backend, Opts};

#[test]
fn aliases_limits_and_treasury_transactions() {
    let Some((_db, s)) = setup(Backend::Sqlite, "edits", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("alice");
    let (vw, _) = api.funded(&acc, "ethereum", "100");

    // A virtual wallet's alias.
    let v = api
        .s
        .try_call(
            "PATCH",
            &format!("/v1/wallets/virtual/{vw}"),
            Some(s.key()),
            Some(&json!({"alias": "savings"}).to_string()),
            &[],
        )
        .unwrap();
    assert_eq!(v.ok(200)["alias"], "savings");
    assert_eq!(
        api.get(&format!("/v1/wallets/virtual/{vw}")).ok(200)["alias"],
        "savings"
    );
    let patch = |path: &str, body: serde_json::Value| {
        s.try_call("PATCH", path, Some(s.key()), Some(&body.to_string()), &[])
            .unwrap()
    };
    patch(&format!("/v1/wallets/virtual/{vw}"), json!({"alias": ""})).err(400, "INVALID_ARGUMENT");
    patch(&format!("/v1/wallets/virtual/{vw}"), json!({"nick": "x"})).err(400, "INVALID_ARGUMENT");
    patch("/v1/wallets/virtual/nope", json!({"alias": "x"})).err(404, "NOT_FOUND");

    // A virtual card: alias and a spending limit the core enforces.
    let card = api
        .post("/v1/virtual-cards", json!({"account_id": acc}))
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(
        &format!("/v1/virtual-cards/{card}/deposit"),
        json!({"from_wallet_id": vw, "token": "USDT", "amount": "50"}),
    )
    .ok(201);
    let c = patch(
        &format!("/v1/virtual-cards/{card}"),
        json!({"alias": "travel", "spending_limit": "20"}),
    );
    let c = c.ok(200).clone();
    assert_eq!(c["alias"], "travel");
    assert_eq!(c["spending_limit"], "20");
    let pay = |amount: &str| {
        api.post(
            "/v1/simulate/card-transaction",
            json!({"card_id": card, "amount": amount}),
        )
    };
    pay("20").ok(201);
    let declined = pay("20.01");
    assert!(
        declined.text.contains("SPENDING_LIMIT_EXCEEDED"),
        "{}",
        declined.text
    );
    patch(
        &format!("/v1/virtual-cards/{card}"),
        json!({"spending_limit": "-1"}),
    )
    .err(400, "INVALID_AMOUNT");
    // null lifts the limit.
    let c = patch(
        &format!("/v1/virtual-cards/{card}"),
        json!({"spending_limit": null}),
    );
    assert!(c.ok(200)["spending_limit"].is_null());
    pay("25").ok(201);

    // A treasury wallet's transactions.
    let tr = api
        .post(
            "/v1/treasury",
            json!({"account_id": acc, "blockchain": "ethereum"}),
        )
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = api
        .get(&format!("/v1/treasury/{tr}/transactions"))
        .ok(200)
        .clone();
    assert_eq!(list["data"], json!([]));
    assert!(list["next_cursor"].is_null());
    api.get("/v1/treasury/nope/transactions")
        .err(404, "NOT_FOUND");
}

/// A MANAGEMENT key freezes a wallet with a reason: it receives, never sends, until unfrozen.
#[test]
fn operator_freeze() {
    let Some((_db, s)) = setup(Backend::Sqlite, "edits_freeze", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("alice");
    let (vw, addr) = api.funded(&acc, "ethereum", "100");
    let (other, _) = api.wallet(&acc, "ethereum");
    let writer = api
        .post(
            "/v1/management/api-keys",
            json!({"permissions": ["WALLETS_READ", "WALLETS_WRITE"]}),
        )
        .ok(201)["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let writer = Api {
        s: &s,
        key: &writer,
    };
    writer
        .post(
            &format!("/v1/wallets/virtual/{vw}/freeze"),
            json!({"reason": "fraud review"}),
        )
        .err(403, "FORBIDDEN");
    let r = api
        .post(
            &format!("/v1/wallets/virtual/{vw}/freeze"),
            json!({"reason": "fraud review"}),
        )
        .ok(200)
        .clone();
    assert_eq!(r["status"], "frozen");
    assert_eq!(
        api.get(&format!("/v1/wallets/virtual/{vw}")).ok(200)["status"],
        "frozen"
    );
    let t = api.transfer(&vw, &other, "1");
    t.err(422, "WALLET_FROZEN");
    assert!(t.text.contains("fraud review"), "{}", t.text);
    api.post(
        &format!("/v1/wallets/virtual/{vw}/withdraw"),
        json!({"to_address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "token": "USDT", "amount": "1"}),
    )
    .err(422, "WALLET_FROZEN");
    // It still receives.
    api.deposit(&addr, "USDT", "5", "in-while-frozen");
    assert_eq!(api.total(&vw), support::api::d("105"));
    api.post(&format!("/v1/wallets/virtual/{vw}/freeze"), json!({}))
        .err(400, "INVALID_ARGUMENT");
    api.post(&format!("/v1/wallets/virtual/{vw}/unfreeze"), json!({}))
        .ok(200);
    api.transfer(&vw, &other, "1").ok(201);
}

/// Deposits under the minimum are listed and can be credited by a MANAGEMENT decision, once.
#[test]
fn below_minimum_deposits() {
    let Some((_db, s)) = setup(Backend::Sqlite, "edits_below_min", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("alice");
    let (vw, addr) = api.wallet(&acc, "ethereum");
    let r = api.deposit(&addr, "USDT", "0.5", "small:0");
    assert_eq!(r["below_minimum"], true);
    api.deposit(&addr, "USDT", "5", "normal:0");
    let list = api.get("/v1/deposits?status=below_minimum").ok(200).clone();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["tx"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["small:0"]);
    assert_eq!(
        api.get("/v1/deposits").ok(200)["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    api.get("/v1/deposits?status=weird")
        .err(400, "INVALID_ARGUMENT");
    // Not before the chain confirmed it; not without MANAGEMENT; not a normal deposit.
    api.post("/v1/deposits/small:0/credit", json!({}))
        .err(400, "INVALID_ARGUMENT");
    api.confirm("small:0");
    api.confirm("normal:0");
    let writer = api
        .post(
            "/v1/management/api-keys",
            json!({"permissions": ["WALLETS_WRITE", "TRANSACTIONS_READ"]}),
        )
        .ok(201)["key"]
        .as_str()
        .unwrap()
        .to_owned();
    Api {
        s: &s,
        key: &writer,
    }
    .post("/v1/deposits/small:0/credit", json!({}))
    .err(403, "FORBIDDEN");
    api.post("/v1/deposits/normal:0/credit", json!({}))
        .err(400, "INVALID_ARGUMENT");
    api.post("/v1/deposits/nope/credit", json!({}))
        .err(404, "NOT_FOUND");
    assert_eq!(api.total(&vw), support::api::d("5"));
    let c = api
        .post("/v1/deposits/small:0/credit", json!({}))
        .ok(200)
        .clone();
    assert_eq!(c["credited_by_decision"], true);
    assert_eq!(api.total(&vw), support::api::d("5.5"));
    api.post("/v1/deposits/small:0/credit", json!({})).ok(200);
    assert_eq!(api.total(&vw), support::api::d("5.5"));
    let list = api.get("/v1/deposits?status=below_minimum").ok(200).clone();
    assert_eq!(list["data"][0]["credited_by_decision"], true);
}
