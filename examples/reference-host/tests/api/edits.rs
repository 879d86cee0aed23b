//! What a client edits: a virtual wallet's alias, a virtual card's alias and spending limit, an
//! operator's freeze; deposits under the minimum credited by a decision.

use crate::app::{Answer, App};
use serde_json::json;

const OUT: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

async fn a_wallet_alias_is_set_and_bad_edits_are_refused(app: App) {
    let acc = app.account("alice").await;
    let (vw, _) = app.wallet(&acc, "ethereum").await;
    let path = format!("/v1/wallets/virtual/{vw}");
    let v = app.patch(&path, json!({"alias": "savings"})).await;
    assert_eq!(v.ok(200)["alias"], "savings");
    assert_eq!(app.get(&path).await.ok(200)["alias"], "savings");
    for bad in [json!({"alias": ""}), json!({"nick": "x"})] {
        app.patch(&path, bad).await.err(400, "INVALID_ARGUMENT");
    }
    app.patch("/v1/wallets/virtual/nope", json!({"alias": "x"}))
        .await
        .err(404, "NOT_FOUND");
    assert_eq!(app.get(&path).await.ok(200)["alias"], "savings");
}

async fn a_card_spending_limit_declines_a_payment_over_it_until_lifted(app: App) {
    let acc = app.account("alice").await;
    let (vw, _) = app.funded(&acc, "ethereum", "100").await;
    let card = app
        .post("/v1/virtual-cards", json!({"account_id": acc}))
        .await;
    let card = card.ok(201)["id"].as_str().unwrap().to_owned();
    let fund = json!({"from_wallet_id": vw, "token": "USDT", "amount": "50"});
    app.post(&format!("/v1/virtual-cards/{card}/deposit"), fund)
        .await
        .ok(201);
    let path = format!("/v1/virtual-cards/{card}");
    let c = app
        .patch(&path, json!({"alias": "travel", "spending_limit": "20"}))
        .await;
    let c = c.ok(200);
    assert_eq!(
        (&c["alias"], &c["spending_limit"]),
        (&json!("travel"), &json!("20"))
    );
    let pay = |amount: &str| {
        let body = json!({"card_id": card, "amount": amount});
        app.post("/v1/simulate/card-transaction", body)
    };
    pay("20").await.ok(201);
    let declined = pay("20.01").await;
    assert!(
        declined
            .json
            .to_string()
            .contains("SPENDING_LIMIT_EXCEEDED"),
        "{}",
        declined.json
    );
    app.patch(&path, json!({"spending_limit": "-1"}))
        .await
        .err(400, "INVALID_AMOUNT");
    // null lifts the limit.
    let c = app.patch(&path, json!({"spending_limit": null})).await;
    assert!(c.ok(200)["spending_limit"].is_null());
    pay("25").await.ok(201);
}

async fn a_new_treasury_wallet_lists_no_transactions(app: App) {
    let acc = app.account("alice").await;
    let body = json!({"account_id": acc, "blockchain": "ethereum"});
    let tr = app.post("/v1/treasury", body).await;
    let tr = tr.ok(201)["id"].as_str().unwrap().to_owned();
    let list = app.get(&format!("/v1/treasury/{tr}/transactions")).await;
    assert_eq!(list.ok(200)["data"], json!([]));
    assert!(list.json["next_cursor"].is_null());
    app.get("/v1/treasury/nope/transactions")
        .await
        .err(404, "NOT_FOUND");
}

/// A MANAGEMENT key freezes a wallet with a reason: it receives, never sends, until unfrozen.
async fn a_frozen_wallet_receives_and_does_not_send_until_unfrozen(app: App) {
    let acc = app.account("alice").await;
    let (vw, addr) = app.funded(&acc, "ethereum", "100").await;
    let (other, _) = app.wallet(&acc, "ethereum").await;
    let freeze = format!("/v1/wallets/virtual/{vw}/freeze");
    let reason = json!({"reason": "fraud review"});
    let writer = app.key_with(&["WALLETS_READ", "WALLETS_WRITE"]).await;
    app.send(Some(&writer), "POST", &freeze, &[], Some(reason.clone()))
        .await
        .err(403, "FORBIDDEN");
    let r = app.post(&freeze, reason).await;
    assert_eq!(r.ok(200)["status"], "frozen");
    let wallet = app.get(&format!("/v1/wallets/virtual/{vw}")).await;
    assert_eq!(wallet.ok(200)["status"], "frozen");
    let t = app.transfer(&vw, &other, "1").await;
    assert!(t.err(422, "WALLET_FROZEN")["message"]
        .as_str()
        .unwrap()
        .contains("fraud review"));
    let withdraw = json!({"to_address": OUT, "token": "USDT", "amount": "1"});
    app.post(&format!("/v1/wallets/virtual/{vw}/withdraw"), withdraw)
        .await
        .err(422, "WALLET_FROZEN");
    app.deposit(&addr, "USDT", "5", "in-while-frozen").await;
    assert_eq!(app.total(&vw).await, "105");
    app.post(&freeze, json!({}))
        .await
        .err(400, "INVALID_ARGUMENT");
    app.post(&format!("/v1/wallets/virtual/{vw}/unfreeze"), json!({}))
        .await
        .ok(200);
    app.transfer(&vw, &other, "1").await.ok(201);
}

/// A MANAGEMENT decision to credit a deposit under the minimum.
async fn credit(app: &App, tx: &str) -> Answer {
    app.post(&format!("/v1/deposits/{tx}/credit"), json!({}))
        .await
}

/// Deposits under the minimum are listed and can be credited by a MANAGEMENT decision, once.
async fn a_deposit_under_the_minimum_is_credited_once_by_a_decision(app: App) {
    let acc = app.account("alice").await;
    let (vw, addr) = app.wallet(&acc, "ethereum").await;
    let r = app.deposit(&addr, "USDT", "0.5", "small:0").await;
    assert_eq!(r["below_minimum"], true);
    app.deposit(&addr, "USDT", "5", "normal:0").await;
    let list = app.get("/v1/deposits?status=below_minimum").await;
    let txs: Vec<&str> = list.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["tx"].as_str().unwrap())
        .collect();
    assert_eq!(txs, ["small:0"]);
    let all = app.get("/v1/deposits").await;
    assert_eq!(all.ok(200)["data"].as_array().unwrap().len(), 2);
    app.get("/v1/deposits?status=weird")
        .await
        .err(400, "INVALID_ARGUMENT");
    // Not before the chain confirmed it; not without MANAGEMENT; not a normal deposit.
    credit(&app, "small:0").await.err(400, "INVALID_ARGUMENT");
    app.confirm("small:0").await;
    app.confirm("normal:0").await;
    let writer = app.key_with(&["WALLETS_WRITE", "TRANSACTIONS_READ"]).await;
    let path = "/v1/deposits/small:0/credit";
    app.send(Some(&writer), "POST", path, &[], Some(json!({})))
        .await
        .err(403, "FORBIDDEN");
    credit(&app, "normal:0").await.err(400, "INVALID_ARGUMENT");
    credit(&app, "nope").await.err(404, "NOT_FOUND");
    assert_eq!(app.total(&vw).await, "5");
    assert_eq!(
        credit(&app, "small:0").await.ok(200)["credited_by_decision"],
        true
    );
    assert_eq!(app.total(&vw).await, "5.5");
    credit(&app, "small:0").await.ok(200);
    assert_eq!(app.total(&vw).await, "5.5");
    let list = app.get("/v1/deposits?status=below_minimum").await;
    assert_eq!(list.ok(200)["data"][0]["credited_by_decision"], true);
}

crate::on_both!(
    a_wallet_alias_is_set_and_bad_edits_are_refused,
    a_card_spending_limit_declines_a_payment_over_it_until_lifted,
    a_new_treasury_wallet_lists_no_transactions,
    a_frozen_wallet_receives_and_does_not_send_until_unfrozen,
    a_deposit_under_the_minimum_is_credited_once_by_a_decision,
);
