//! Webhook delivery from the outbox worker to a live endpoint: retries until it answers, the
//! signature and the client's key on every attempt, the delivery log, redelivery, rule alerts,
//! per-event-type subscriptions.

use crate::app::App;
use crate::receiver::{Received, Receiver};
use serde_json::{json, Value};
use std::time::Duration;
use waas_core::webhook::{self, Envelope, Mode, WebhookSecret};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The app with its worker, sending to a receiver that fails `fail_first` requests first.
async fn hooked(app: App, fail_first: usize) -> (App, Receiver) {
    let app = app.with_outbox();
    let receiver = Receiver::start(fail_first).await;
    app.put(
        "/v1/management/configurations",
        json!({"webhook_url": receiver.url, "webhook_key": "hook-key-1", "webhook_secret": SECRET}),
    )
    .await
    .ok(200);
    (app, receiver)
}

/// The attempts at the event of an account's creation, once one was answered 200.
async fn account_created(receiver: &Receiver, account: &str) -> Vec<Received> {
    let of_account = |r: &&Received| r.json()["data"]["account_id"] == account;
    receiver
        .wait_for("ACCOUNT CREATED event answered 200", |seen| {
            let tries: Vec<Received> = seen.iter().filter(of_account).cloned().collect();
            tries.iter().any(|r| r.answered == 200).then_some(tries)
        })
        .await
}

/// The delivery log's entry of an event, once it is delivered.
async fn delivered(app: &App, id: &str) -> Value {
    for _ in 0..3000 {
        let d = app.get("/v1/webhooks/deliveries?limit=500").await;
        let found = d.ok(200)["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id && !e["delivered_at"].is_null())
            .cloned();
        if let Some(entry) = found {
            return entry;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("event {id} not delivered within 30 s");
}

fn now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    i64::try_from(since.unwrap().as_secs()).unwrap()
}

async fn a_failing_endpoint_gets_the_same_event_until_it_answers(app: App) {
    let (app, receiver) = hooked(app, 2).await;
    let acc = app.account("hooked").await;
    let tries = account_created(&receiver, &acc).await;
    let answered: Vec<u16> = tries.iter().map(|r| r.answered).collect();
    assert_eq!(answered, [500, 500, 200]);
    let id = tries[2].header("webhook-id").unwrap();
    assert!(tries.iter().all(|r| r.header("webhook-id") == Some(id)));
    let entry = delivered(&app, id).await;
    assert_eq!(entry["attempts"], 3);
    let codes: Vec<i64> = entry["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 500, 200]);
    assert_eq!(entry["log"][0]["error"], "HTTP 500");
}

async fn an_event_is_signed_for_the_client_and_carries_its_key(app: App) {
    let (app, receiver) = hooked(app, 0).await;
    let acc = app.account("hooked").await;
    let got = account_created(&receiver, &acc).await.remove(0);
    assert_eq!(got.json()["operation"], "ACCOUNT");
    let secret = WebhookSecret::parse(SECRET).unwrap();
    let id = got.header("webhook-id").unwrap();
    let at = got.header("webhook-timestamp").unwrap();
    let signature = got.header("webhook-signature").unwrap();
    webhook::verify(&secret, id, at, signature, &got.body, now()).unwrap();
    let mut tampered = got.body.clone();
    tampered.push(b' ');
    assert!(webhook::verify(&secret, id, at, signature, &tampered, now()).is_err());
    Envelope::parse(&got.body, Mode::Strict).unwrap();
    webhook::check_webhook_key("hook-key-1", got.header("x-webhook-key")).unwrap();
}

async fn a_redelivery_sends_a_delivered_event_once_more(app: App) {
    let (app, receiver) = hooked(app, 0).await;
    let acc = app.account("hooked").await;
    let first = account_created(&receiver, &acc).await.remove(0);
    let id = first.header("webhook-id").unwrap().to_owned();
    delivered(&app, &id).await;
    let before = receiver.received().len();
    app.post(
        &format!("/v1/webhooks/deliveries/{id}/redeliver"),
        json!({}),
    )
    .await
    .ok(202);
    let again = receiver
        .wait_for("the redelivery", |seen| {
            let again = seen[before..]
                .iter()
                .find(|r| r.header("webhook-id") == Some(&id));
            again.cloned()
        })
        .await;
    assert_eq!(again.body, first.body);
}

async fn a_rule_alert_goes_out_as_an_event(app: App) {
    let (app, receiver) = hooked(app, 0).await;
    let acc = app.account("hooked").await;
    let (w, addr) = app.wallet(&acc, "ethereum").await;
    app.post(
        &format!("/v1/wallets/virtual/{w}/rules"),
        json!({"rule": "a1", "on": "deposit", "token": "USDT", "action": {"type": "alert"}}),
    )
    .await
    .ok(201);
    app.deposit(&addr, "USDT", "3", "alerted").await;
    let alert = receiver
        .wait_for("the alert", |seen| {
            let alert = seen.iter().find(|r| {
                let e = r.json();
                e["operation"] == "VIRTUAL_WALLET" && e["sub_operation"] == "ALERT"
            });
            alert.cloned()
        })
        .await;
    let data = &alert.json()["data"];
    assert_eq!((&data["rule"], &data["wallet"]), (&json!("a1"), &json!(w)));
}

/// `OPERATION/SUB_OPERATION` of every event received, sorted.
fn kinds(seen: &[Received]) -> Vec<String> {
    let mut k: Vec<String> = seen
        .iter()
        .map(|r| {
            let e = r.json();
            format!(
                "{}/{}",
                e["operation"].as_str().unwrap_or(""),
                e["sub_operation"].as_str().unwrap_or("")
            )
        })
        .collect();
    k.sort();
    k
}

/// The delivery log's events with `status`.
async fn logged(app: &App, status: &str) -> Vec<Value> {
    let path = format!("/v1/webhooks/deliveries?limit=500&status={status}");
    app.get(&path).await.ok(200)["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn only_subscribed_events_are_sent_and_the_others_are_logged_skipped(app: App) {
    let (app, receiver) = hooked(app, 0).await;
    let conf = app
        .put(
            "/v1/management/configurations",
            json!({"webhook_events": ["ACCOUNT", "VIRTUAL_WALLET/DEACTIVATED"]}),
        )
        .await;
    assert_eq!(
        conf.ok(200)["webhook_events"],
        json!(["ACCOUNT", "VIRTUAL_WALLET/DEACTIVATED"])
    );
    let acc = app.account("subs").await;
    let (wallet, _) = app.wallet(&acc, "ethereum").await;
    app.post(
        &format!("/v1/wallets/virtual/{wallet}/deactivate"),
        json!({}),
    )
    .await
    .ok(200);
    receiver
        .wait_for("the two subscribed events", |seen| {
            (kinds(seen).len() >= 2).then_some(())
        })
        .await;
    for _ in 0..3000 {
        if logged(&app, "pending").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        logged(&app, "pending").await.is_empty(),
        "events still pending"
    );
    assert_eq!(
        kinds(&receiver.received()),
        vec!["ACCOUNT/CREATED", "VIRTUAL_WALLET/DEACTIVATED"]
    );
    let skipped = logged(&app, "skipped").await;
    assert!(
        skipped
            .iter()
            .any(|e| e["event"]["operation"] == "VIRTUAL_WALLET"
                && e["event"]["sub_operation"] == "CREATED"
                && e["log"].as_array().unwrap().is_empty()),
        "{skipped:?}"
    );
    assert_eq!(logged(&app, "delivered").await.len(), 2);
    // Back to every event: a wallet's creation goes out again.
    app.put("/v1/webhooks/configuration", json!({"events": ["*"]}))
        .await
        .ok(200);
    app.wallet(&acc, "ethereum").await;
    receiver
        .wait_for("a wallet's creation once subscribed again", |seen| {
            kinds(seen)
                .contains(&"VIRTUAL_WALLET/CREATED".to_owned())
                .then_some(())
        })
        .await;
}

async fn a_bad_subscription_list_is_refused_and_changes_nothing(app: App) {
    app.put(
        "/v1/webhooks/configuration",
        json!({"events": ["ACCOUNT", "VIRTUAL_WALLET/DEACTIVATED"]}),
    )
    .await
    .ok(200);
    for bad in [
        json!([]),
        json!(["NOPE"]),
        json!(["ACCOUNT/NOPE"]),
        json!(["ACCOUNT/CREATED/MORE"]),
        json!(["*", "ACCOUNT"]),
        json!([""]),
        json!("ACCOUNT"),
    ] {
        app.put(
            "/v1/management/configurations",
            json!({"webhook_events": bad}),
        )
        .await
        .err(400, "INVALID_ARGUMENT");
        app.put("/v1/webhooks/configuration", json!({"events": bad}))
            .await
            .err(400, "INVALID_ARGUMENT");
    }
    assert_eq!(
        app.get("/v1/webhooks/configuration").await.ok(200)["events"],
        json!(["ACCOUNT", "VIRTUAL_WALLET/DEACTIVATED"])
    );
}

crate::on_both!(
    only_subscribed_events_are_sent_and_the_others_are_logged_skipped,
    a_bad_subscription_list_is_refused_and_changes_nothing,
    a_failing_endpoint_gets_the_same_event_until_it_answers,
    an_event_is_signed_for_the_client_and_carries_its_key,
    a_redelivery_sends_a_delivered_event_once_more,
    a_rule_alert_goes_out_as_an_event,
);
