//! Refusals: stable codes, the figures of a rule's refusal, unknown routes and parameters.

use crate::app::App;
use serde_json::json;

async fn an_unknown_route_is_not_found_and_a_wrong_method_not_allowed(app: App) {
    app.get("/v1/nope").await.err(404, "NOT_FOUND");
    app.call("DELETE", "/v1/accounts", None)
        .await
        .err(405, "METHOD_NOT_ALLOWED");
}

async fn an_unknown_query_parameter_is_refused(app: App) {
    app.get("/v1/accounts?colour=red")
        .await
        .err(400, "INVALID_ARGUMENT");
}

async fn a_contract_limit_names_the_limit_and_the_use(app: App) {
    app.put(
        "/v1/management/contracted-products",
        json!({"max_virtual_wallets": 1}),
    )
    .await
    .ok(200);
    let acc = app.account("a").await;
    app.wallet(&acc, "ethereum").await;
    let r = app
        .post(
            "/v1/wallets/virtual",
            json!({"account_id": acc, "blockchain": "ethereum"}),
        )
        .await;
    let e = r.err(422, "CONTRACT_LIMIT_REACHED");
    assert_eq!(
        e["detail"],
        json!({"kind": "limit", "limit": "1", "value": "1"})
    );
}

async fn a_transfer_beyond_the_balance_names_what_is_missing(app: App) {
    let acc = app.account("a").await;
    let (from, addr) = app.wallet(&acc, "ethereum").await;
    let (to, _) = app.wallet(&acc, "ethereum").await;
    app.post(
        "/v1/simulate/deposit",
        json!({"address": addr, "token": "USDT", "amount": "5"}),
    )
    .await
    .ok(201);
    let r = app
        .post(
            &format!("/v1/wallets/virtual/{from}/transfer"),
            json!({"to_wallet_id": to, "token": "USDT", "amount": "7.5"}),
        )
        .await;
    let e = r.err(422, "INSUFFICIENT_FUNDS");
    assert_eq!(
        e["detail"],
        json!({"kind": "shortfall", "needed": "7.5", "available": "5"})
    );
    assert!(e["message"].as_str().unwrap().contains('5'));
}

async fn every_error_carries_a_request_id(app: App) {
    let r = app.get("/v1/accounts/acc_nope").await;
    assert!(r.err(404, "NOT_FOUND")["request_id"]
        .as_str()
        .unwrap()
        .starts_with("req_"));
}

crate::on_both!(
    an_unknown_route_is_not_found_and_a_wrong_method_not_allowed,
    an_unknown_query_parameter_is_refused,
    a_contract_limit_names_the_limit_and_the_use,
    a_transfer_beyond_the_balance_names_what_is_missing,
    every_error_carries_a_request_id,
);
