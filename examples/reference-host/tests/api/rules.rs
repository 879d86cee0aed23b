//! Automation rules and the idempotency of money movements.

use crate::app::App;
use serde_json::json;

const EVM_OUT: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

/// A client with three Ethereum wallets: (w1 and its address, w2, w3).
async fn three_wallets(app: &App) -> ((String, String), String, String) {
    let acc = app.account("a").await;
    let w1 = app.wallet(&acc, "ethereum").await;
    let (w2, _) = app.wallet(&acc, "ethereum").await;
    let (w3, _) = app.wallet(&acc, "ethereum").await;
    (w1, w2, w3)
}

async fn a_forward_rule_splits_each_deposit_once(app: App) {
    let ((w1, a1), w2, _) = three_wallets(&app).await;
    let rules = format!("/v1/wallets/virtual/{w1}/rules");
    let rule = json!({"rule": "r1", "on": "deposit", "token": "USDT", "action": {"type": "forward", "to": w2, "percent": "50"}});
    assert_eq!(app.post(&rules, rule).await.ok(201)["rule"], "r1");
    let dep = app.deposit(&a1, "USDT", "10.000001", "rule-dep-1").await;
    assert_eq!(dep["automation"][0]["ok"], true, "{dep}");
    // half, cut at the token's six decimals
    assert_eq!(
        (app.total(&w1).await, app.total(&w2).await),
        ("5.000001".into(), "5".into())
    );
    // the same deposit again fires nothing
    app.deposit(&a1, "USDT", "10.000001", "rule-dep-1").await;
    assert_eq!(app.total(&w2).await, "5");
    let forward = app.get("/v1/transactions/rule:r1:rule-dep-1").await;
    assert_eq!(forward.ok(200)["details"]["to_wallet_id"], w2.as_str());
    assert_eq!(forward.ok(200)["amount"], "5");
}

async fn a_rule_that_cannot_be_kept_is_refused(app: App) {
    let ((w1, _), w2, _) = three_wallets(&app).await;
    let rules = format!("/v1/wallets/virtual/{w1}/rules");
    let too_much = json!({"rule": "r2", "on": "deposit", "token": "USDT", "action": {"type": "forward", "to": w2, "percent": "150"}});
    app.post(&rules, too_much).await.err(400, "INVALID_RULE");
    // a payout to an outside address waits for confirmation
    let early = json!({"rule": "r3", "on": "deposit", "token": "USDT", "action": {"type": "withdraw", "to_address": EVM_OUT, "percent": "10", "fee": "0"}});
    app.post(&rules, early).await.err(400, "INVALID_RULE");
    assert_eq!(
        app.get(&rules).await.ok(200)["rules"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

async fn a_removed_rule_fires_no_more(app: App) {
    let ((w1, a1), w2, _) = three_wallets(&app).await;
    let rules = format!("/v1/wallets/virtual/{w1}/rules");
    let rule = json!({"rule": "r1", "on": "deposit", "token": "USDT", "action": {"type": "forward", "to": w2, "percent": "50"}});
    app.post(&rules, rule).await.ok(201);
    app.delete(&format!("{rules}/r1")).await.ok(200);
    app.delete(&format!("{rules}/r1"))
        .await
        .err(404, "NOT_FOUND");
    app.deposit(&a1, "USDT", "4", "dep-2").await;
    assert_eq!(
        (app.total(&w1).await, app.total(&w2).await),
        ("4".into(), "0".into())
    );
}

async fn a_transfer_retried_with_its_key_applies_once(app: App) {
    let ((w1, _), _, w3) = three_wallets(&app).await;
    let (_, a1) = (
        w1.clone(),
        app.get(&format!("/v1/wallets/virtual/{w1}")).await,
    );
    let addr = a1.ok(200)["address"].as_str().unwrap().to_owned();
    app.deposit(&addr, "USDT", "10", "dep-1").await;
    let path = format!("/v1/wallets/virtual/{w1}/transfer");
    let body = json!({"to_wallet_id": w3, "token": "USDT", "amount": "2"});
    let first = app.post_idem(&path, "idem-1", body.clone()).await;
    let again = app.post_idem(&path, "idem-1", body).await;
    assert_eq!((again.status, &again.json), (201, first.ok(201)));
    assert_eq!(app.total(&w3).await, "2");
    let other = json!({"to_wallet_id": w3, "token": "USDT", "amount": "3"});
    app.post_idem(&path, "idem-1", other)
        .await
        .err(409, "DUPLICATE_OPERATION");
    assert_eq!(app.total(&w3).await, "2");
    let listed = app
        .get(&format!("/v1/wallets/virtual/{w3}/transactions"))
        .await;
    assert_eq!(listed.ok(200)["data"].as_array().unwrap().len(), 1);
}

async fn a_deposit_replayed_after_its_confirmation_changes_nothing(app: App) {
    let ((w1, a1), _, _) = three_wallets(&app).await;
    app.deposit(&a1, "USDT", "4", "dep-2").await;
    app.confirm("dep-2").await;
    let events = app.get("/v1/webhooks/deliveries?limit=500").await.ok(200)["data"]
        .as_array()
        .unwrap()
        .len();
    let replay = app.deposit(&a1, "USDT", "4", "dep-2").await;
    assert_eq!(replay["status"], "confirmed", "{replay}");
    assert_eq!(
        app.get("/v1/transactions/dep-2").await.ok(200)["status"],
        "confirmed"
    );
    let after = app.get("/v1/webhooks/deliveries?limit=500").await.ok(200)["data"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(events, after, "no new event");
    assert_eq!(app.total(&w1).await, "4");
    // the same transaction with other contents
    app.post(
        "/v1/simulate/deposit",
        json!({"address": a1, "token": "USDT", "amount": "5", "tx": "dep-2"}),
    )
    .await
    .err(409, "DUPLICATE_OPERATION");
}

crate::on_both!(
    a_forward_rule_splits_each_deposit_once,
    a_rule_that_cannot_be_kept_is_refused,
    a_removed_rule_fires_no_more,
    a_transfer_retried_with_its_key_applies_once,
    a_deposit_replayed_after_its_confirmation_changes_nothing,
);
