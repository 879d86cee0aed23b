//! Where a withdrawal may go and what it costs: its own address is refused, a sibling's or the
//! holding wallet's is settled inside, an allowlist limits outside addresses; fees come from the
//! platform's schedule and a quote changes nothing. (Withdrawals that move on the simulated
//! chain, fail or are cancelled are in tests/withdrawals.rs, with the chain's worker.)

use crate::app::{Answer, App};
use serde_json::{json, Value};

const OUT: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const OTHER: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

/// An account with a wallet funded with 100 USDT and a sibling: (account, wallet, its
/// address, sibling, the sibling's address).
async fn funded_pair(app: &App) -> (String, String, String, String, String) {
    let acc = app.account("alice").await;
    let (vw, own) = app.funded(&acc, "ethereum", "100").await;
    let (sibling, sibling_addr) = app.wallet(&acc, "ethereum").await;
    (acc, vw, own, sibling, sibling_addr)
}

async fn withdraw(app: &App, wallet: &str, to: &str, amount: &str, fee: &str) -> Answer {
    let body = json!({"to_address": to, "token": "USDT", "amount": amount, "fee": fee});
    app.post(&format!("/v1/wallets/virtual/{wallet}/withdraw"), body)
        .await
}

async fn holding_withdraw(app: &App, to: Option<&str>) -> Answer {
    let mut body = json!({"token": "USDT", "amount": "1"});
    if let Some(to) = to {
        body["to_address"] = json!(to);
    }
    app.post("/v1/wallets/holding/ethereum/withdraw", body)
        .await
}

async fn holding_address(app: &App) -> String {
    let h = app.get("/v1/wallets/holding/ethereum").await;
    h.ok(200)["address"].as_str().unwrap().to_owned()
}

async fn configure(app: &App, body: Value) -> Answer {
    app.put("/v1/management/configurations", body).await
}

async fn a_withdrawal_to_its_own_address_in_any_letter_case_is_refused(app: App) {
    let (_, vw, own, _, _) = funded_pair(&app).await;
    for to in [own.clone(), own.to_lowercase()] {
        withdraw(&app, &vw, &to, "5", "1")
            .await
            .err(422, "SAME_ADDRESS");
    }
    assert_eq!(app.total(&vw).await, "100");
}

async fn a_withdrawal_to_a_sibling_is_an_internal_transfer_final_at_once_without_fee(app: App) {
    let (_, vw, _, sibling, sibling_addr) = funded_pair(&app).await;
    let r = withdraw(&app, &vw, &sibling_addr.to_lowercase(), "30", "1").await;
    let r = r.ok(201);
    assert_eq!(
        (&r["internal"], &r["status"]),
        (&json!(true), &json!("confirmed"))
    );
    assert_eq!(r["to_wallet_id"], sibling.as_str());
    assert_eq!(app.total(&vw).await, "70");
    assert_eq!(app.total(&sibling).await, "30");
}

async fn a_withdrawal_to_the_holding_address_stops_the_amount_being_owed(app: App) {
    let (_, vw, _, _, _) = funded_pair(&app).await;
    let before = app.reserve("ethereum").await;
    let r = withdraw(&app, &vw, &holding_address(&app).await, "20", "1").await;
    let r = r.ok(201);
    assert_eq!(
        (&r["internal"], &r["to_holding"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(app.total(&vw).await, "80");
    let after = app.reserve("ethereum").await;
    assert_eq!(num(&after["holding"]), num(&before["holding"]));
    let owed = (num(&before["liabilities"]), num(&after["liabilities"]));
    assert_eq!(
        (owed.0.to_string(), owed.1.to_string()),
        ("100".into(), "80".into())
    );
}

async fn a_holding_withdrawal_needs_a_destination_other_than_itself(app: App) {
    let (_, vw, _, _, _) = funded_pair(&app).await;
    // 20 given back to the holding wallet: it holds more than it owes, and may send the rest.
    let holding = holding_address(&app).await;
    withdraw(&app, &vw, &holding, "20", "0").await.ok(201);
    holding_withdraw(&app, None)
        .await
        .err(400, "NO_PAYMENT_DESTINATION");
    holding_withdraw(&app, Some(&holding))
        .await
        .err(422, "SAME_ADDRESS");
    configure(&app, json!({"payment_addresses": {"ethereum": OUT}}))
        .await
        .ok(200);
    let r = holding_withdraw(&app, None).await;
    assert_eq!(
        (&r.ok(201)["to_address"], &r.json["status"]),
        (&json!(OUT), &json!("pending"))
    );
}

async fn a_treasury_wallet_cannot_send_to_its_own_address(app: App) {
    let acc = app.account("alice").await;
    let body = json!({"account_id": acc, "blockchain": "ethereum"});
    let tr = app.post("/v1/treasury", body).await;
    let tr = tr.ok(201);
    let send = json!({"to_address": tr["address"], "token": "USDT", "amount": "1"});
    app.post(
        &format!("/v1/treasury/{}/send", tr["id"].as_str().unwrap()),
        send,
    )
    .await
    .err(422, "SAME_ADDRESS");
}

async fn an_allowlist_refuses_outside_addresses_not_on_it_until_lifted(app: App) {
    let (_, vw, _, _, sibling_addr) = funded_pair(&app).await;
    configure(
        &app,
        json!({"withdrawal_allowlist": {"ethereum": ["0x12"]}}),
    )
    .await
    .err(400, "INVALID_ADDRESS");
    configure(&app, json!({"withdrawal_allowlist": {"nochain": [OUT]}}))
        .await
        .err(404, "UNKNOWN_CHAIN");
    let set = configure(
        &app,
        json!({"withdrawal_allowlist": {"ethereum": [OUT.to_lowercase()]}}),
    )
    .await;
    assert_eq!(
        set.ok(200)["withdrawal_allowlist"],
        json!({"ethereum": [OUT]})
    );
    withdraw(&app, &vw, OTHER, "5", "1")
        .await
        .err(422, "DESTINATION_NOT_ALLOWED");
    holding_withdraw(&app, Some(OTHER))
        .await
        .err(422, "DESTINATION_NOT_ALLOWED");
    assert_eq!(app.total(&vw).await, "100");
    assert_eq!(
        withdraw(&app, &vw, OUT, "5", "1").await.ok(201)["status"],
        "pending"
    );
    assert_eq!(
        holding_withdraw(&app, Some(OUT)).await.ok(201)["to_address"],
        OUT
    );
    // Internal settlements never leave: the list does not apply to them.
    let r = withdraw(&app, &vw, &sibling_addr, "1", "1").await;
    assert_eq!(r.ok(201)["internal"], true);
    // Every other field of the configuration is kept; `null` lifts the list.
    configure(&app, json!({"webhook_events": ["*"]}))
        .await
        .ok(200);
    let got = app.get("/v1/management/configurations").await;
    assert_eq!(
        got.ok(200)["withdrawal_allowlist"],
        json!({"ethereum": [OUT]})
    );
    configure(&app, json!({"withdrawal_allowlist": null}))
        .await
        .ok(200);
    let got = app.get("/v1/management/configurations").await;
    assert_eq!(got.ok(200)["withdrawal_allowlist"], Value::Null);
    assert_eq!(
        withdraw(&app, &vw, OTHER, "5", "1").await.ok(201)["status"],
        "pending"
    );
}

/// What a withdrawal of 10 USDT to `to` would cost.
async fn quote(app: &App, wallet: &str, to: &str) -> Answer {
    let body = json!({"token": "USDT", "amount": "10", "to_address": to});
    app.post(
        &format!("/v1/wallets/virtual/{wallet}/withdraw/quote"),
        body,
    )
    .await
}

/// A decimal string's value, normalized.
fn num(v: &Value) -> rust_decimal::Decimal {
    let d: rust_decimal::Decimal = v.as_str().unwrap().parse().unwrap();
    d.normalize()
}

/// The root client's policy path.
async fn policy(app: &App) -> String {
    let clients = app.get("/v1/management/clients").await;
    let root = clients.ok(200)["data"][0]["id"].as_str().unwrap();
    format!("/v1/management/clients/{root}/policy")
}

async fn a_fee_schedule_out_of_range_or_without_a_token_is_refused(app: App) {
    let policy = policy(&app).await;
    for (schedule, code) in [
        (
            json!({"ethereum/USDT": {"percent": "101"}}),
            "INVALID_AMOUNT",
        ),
        (json!({"ethereum": {"percent": "1"}}), "INVALID_ARGUMENT"),
    ] {
        app.put(&policy, json!({"withdrawal_fees": schedule}))
            .await
            .err(400, code);
    }
}

async fn a_fee_schedule_replaces_the_caller_fee_and_a_quote_changes_nothing(app: App) {
    let policy = policy(&app).await;
    let schedule = json!({"ethereum/usdt": {"fixed": "0.5", "percent": "1"}});
    app.put(&policy, json!({"withdrawal_fees": schedule}))
        .await
        .ok(200);
    let config = app.get("/v1/management/configurations").await;
    assert_eq!(
        config.ok(200)["withdrawal_fees"]["ethereum/USDT"]["percent"],
        "1"
    );
    let (_, vw, _, _, sibling_addr) = funded_pair(&app).await;
    let q = quote(&app, &vw, OUT).await;
    let q = q.ok(200);
    assert_eq!(
        (&q["fee"], &q["total"], &q["arrives"]),
        (&json!("0.6"), &json!("10.6"), &json!("10"))
    );
    assert_eq!(q["internal"], false);
    let q = quote(&app, &vw, &sibling_addr).await;
    assert_eq!(
        (&q.ok(200)["fee"], &q.json["internal"]),
        (&json!("0"), &json!(true))
    );
    assert_eq!(app.total(&vw).await, "100");
    let w = withdraw(&app, &vw, OUT, "10", "0").await;
    assert_eq!(w.ok(201)["fee"], "0.6");
    assert_eq!(app.total(&vw).await, "89.4");
    // Without a schedule the caller's fee stands.
    let lifted = json!({"withdrawal_fees": {"ethereum/USDT": null}});
    app.put(&policy, lifted).await.ok(200);
    let w = withdraw(&app, &vw, OUT, "10", "0.25").await;
    assert_eq!(w.ok(201)["fee"], "0.25");
    assert_eq!(app.total(&vw).await, "79.15");
}

crate::on_both!(
    a_withdrawal_to_its_own_address_in_any_letter_case_is_refused,
    a_withdrawal_to_a_sibling_is_an_internal_transfer_final_at_once_without_fee,
    a_withdrawal_to_the_holding_address_stops_the_amount_being_owed,
    a_holding_withdrawal_needs_a_destination_other_than_itself,
    a_treasury_wallet_cannot_send_to_its_own_address,
    an_allowlist_refuses_outside_addresses_not_on_it_until_lifted,
    a_fee_schedule_out_of_range_or_without_a_token_is_refused,
    a_fee_schedule_replaces_the_caller_fee_and_a_quote_changes_nothing,
);
