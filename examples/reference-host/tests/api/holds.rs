//! Holds: a hold lowers the available balance and not the total, spends count only what is
//! available; a hold is released, captured to a sibling wallet or an outside address, or
//! releases itself once its expiry has passed.

use crate::app::{Answer, App};
use serde_json::{json, Value};
use std::time::Duration;

const OUT: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

/// An account with a wallet funded with 100 USDT and a sibling: (wallet, sibling).
async fn funded_pair(app: &App) -> (String, String) {
    let acc = app.account("alice").await;
    let (vw, _) = app.funded(&acc, "ethereum", "100").await;
    let (sibling, _) = app.wallet(&acc, "ethereum").await;
    (vw, sibling)
}

async fn hold(app: &App, wallet: &str, body: Value) -> Answer {
    app.post(&format!("/v1/wallets/virtual/{wallet}/holds"), body)
        .await
}

/// A hold of `amount` USDT: its id.
async fn held(app: &App, wallet: &str, amount: &str) -> String {
    let body = json!({"token": "USDT", "amount": amount, "reason": "test"});
    let h = hold(app, wallet, body).await;
    assert_eq!(h.ok(201)["status"], "active");
    h.json["id"].as_str().unwrap().to_owned()
}

async fn decide(app: &App, wallet: &str, hold: &str, what: &str, body: Value) -> Answer {
    let path = format!("/v1/wallets/virtual/{wallet}/holds/{hold}/{what}");
    app.post(&path, body).await
}

/// A wallet's USDT (available, held, total).
async fn usdt(app: &App, wallet: &str) -> (String, String, String) {
    let v = app.get(&format!("/v1/wallets/virtual/{wallet}")).await;
    let b = &v.ok(200)["balances"]["USDT"];
    let s = |f: &str| b[f].as_str().unwrap_or("0").to_owned();
    (s("available"), s("held"), s("total"))
}

fn triple(a: &str, h: &str, t: &str) -> (String, String, String) {
    (a.to_owned(), h.to_owned(), t.to_owned())
}

/// An RFC 3339 time `secs` seconds from now.
fn time_in(secs: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::seconds(secs))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

async fn a_hold_lowers_what_is_available_and_not_the_total(app: App) {
    let (vw, sibling) = funded_pair(&app).await;
    held(&app, &vw, "60").await;
    assert_eq!(usdt(&app, &vw).await, triple("40", "60", "100"));
    app.transfer(&vw, &sibling, "50")
        .await
        .err(422, "INSUFFICIENT_FUNDS");
    app.post(
        &format!("/v1/wallets/virtual/{vw}/withdraw"),
        json!({"to_address": OUT, "token": "USDT", "amount": "41"}),
    )
    .await
    .err(422, "INSUFFICIENT_FUNDS");
    app.transfer(&vw, &sibling, "10").await.ok(201);
    assert_eq!(usdt(&app, &vw).await, triple("30", "60", "90"));
    let more = json!({"token": "USDT", "amount": "30.01", "reason": "more"});
    hold(&app, &vw, more).await.err(422, "INSUFFICIENT_FUNDS");
}

async fn a_hold_with_an_expiry_in_the_past_or_unreadable_is_refused(app: App) {
    let (vw, _) = funded_pair(&app).await;
    for expires_at in ["2001-01-01T00:00:00Z", "soon"] {
        let body = json!({"token": "USDT", "amount": "1", "reason": "x", "expires_at": expires_at});
        hold(&app, &vw, body).await.err(400, "INVALID_ARGUMENT");
    }
    assert_eq!(usdt(&app, &vw).await, triple("100", "0", "100"));
}

async fn a_released_hold_gives_the_money_back_and_a_second_release_answers_the_same(app: App) {
    let (vw, sibling) = funded_pair(&app).await;
    let id = held(&app, &vw, "60").await;
    // Another wallet's path does not reach it.
    decide(&app, &sibling, &id, "release", json!({}))
        .await
        .err(404, "NOT_FOUND");
    decide(&app, &vw, &id, "release", json!({})).await.ok(200);
    let again = decide(&app, &vw, &id, "release", json!({})).await;
    assert_eq!(again.ok(200)["status"], "released");
    assert_eq!(usdt(&app, &vw).await, triple("100", "0", "100"));
}

async fn a_hold_captured_to_a_sibling_moves_the_held_amount_once(app: App) {
    let (vw, sibling) = funded_pair(&app).await;
    let id = held(&app, &vw, "25").await;
    let to = json!({"to_wallet_id": sibling});
    let c = decide(&app, &vw, &id, "capture", to.clone()).await;
    assert_eq!(c.ok(200)["status"], "captured");
    decide(&app, &vw, &id, "capture", to).await.ok(200);
    assert_eq!(usdt(&app, &vw).await, triple("75", "0", "75"));
    assert_eq!(app.total(&sibling).await, "25");
    decide(&app, &vw, &id, "release", json!({}))
        .await
        .err(400, "INVALID_ARGUMENT");
}

async fn a_hold_captured_to_an_outside_address_is_a_pending_withdrawal(app: App) {
    let (vw, sibling) = funded_pair(&app).await;
    let own = app.get(&format!("/v1/wallets/virtual/{vw}")).await;
    let own = own.ok(200)["address"].as_str().unwrap().to_owned();
    let id = held(&app, &vw, "15").await;
    decide(&app, &vw, &id, "capture", json!({"to_address": own}))
        .await
        .err(422, "SAME_ADDRESS");
    let both = json!({"to_address": OUT, "to_wallet_id": sibling});
    decide(&app, &vw, &id, "capture", both)
        .await
        .err(400, "INVALID_ARGUMENT");
    let c = decide(&app, &vw, &id, "capture", json!({"to_address": OUT})).await;
    assert_eq!(c.ok(200)["captured_to"], OUT);
    assert_eq!(usdt(&app, &vw).await, triple("85", "0", "85"));
    let wd = app.get(&format!("/v1/withdrawals/{id}:capture")).await;
    assert_eq!(
        (&wd.ok(200)["status"], &wd.json["amount"]),
        (&json!("pending"), &json!("15"))
    );
}

async fn a_hold_releases_itself_once_its_expiry_has_passed(app: App) {
    let app = app.with_hold_expiry();
    let (vw, _) = funded_pair(&app).await;
    let body = json!({"token": "USDT", "amount": "5", "reason": "short", "expires_at": time_in(2)});
    let id = hold(&app, &vw, body).await.ok(201)["id"].clone();
    assert_eq!(usdt(&app, &vw).await, triple("95", "5", "100"));
    for _ in 0..150 {
        let list = app.get(&format!("/v1/wallets/virtual/{vw}/holds")).await;
        let holds = list.ok(200)["data"].as_array().unwrap().clone();
        if holds
            .iter()
            .any(|h| h["id"] == id && h["status"] == "expired")
        {
            assert_eq!(usdt(&app, &vw).await, triple("100", "0", "100"));
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the hold did not expire within 15 s");
}

crate::on_both!(
    a_hold_lowers_what_is_available_and_not_the_total,
    a_hold_with_an_expiry_in_the_past_or_unreadable_is_refused,
    a_released_hold_gives_the_money_back_and_a_second_release_answers_the_same,
    a_hold_captured_to_a_sibling_moves_the_held_amount_once,
    a_hold_captured_to_an_outside_address_is_a_pending_withdrawal,
    a_hold_releases_itself_once_its_expiry_has_passed,
);
