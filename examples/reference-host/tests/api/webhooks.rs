//! Webhook delivery from the outbox worker to a live endpoint: retries until it answers, the
//! signature and the client's key on every attempt, the delivery log, redelivery, rule alerts,
//! per-event-type subscriptions; a redirect is not followed; an event past its attempt cap is
//! dead-lettered and its endpoint disabled until the configuration is saved again. (Fairness
//! beside dead endpoints needs a process of its own: tests/webhook_delivery.rs.)

use crate::app::App;
use crate::receiver::{Received, Receiver};
use serde_json::{json, Value};
use std::time::Duration;
use waas_core::webhook::{self, Envelope, Mode, WebhookSecret};
use waas_host::host::webhooks::Policy;

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

/// What `f` finds, polling every 10 ms for up to 30 s.
async fn eventually<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..3000 {
        if let Some(found) = f().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no {what} within 30 s");
}

/// Every event of the delivery log (up to 500), whatever its status.
async fn every_logged(app: &App) -> Vec<Value> {
    let d = app.get("/v1/webhooks/deliveries?limit=500").await;
    d.ok(200)["data"].as_array().unwrap().clone()
}

/// The first attempt logged for any event, once there is one.
async fn a_first_attempt(app: &App) -> Value {
    eventually("a delivery attempt", async || {
        let log = every_logged(app).await;
        log.iter()
            .find_map(|e| e["log"].as_array().and_then(|l| l.first()).cloned())
    })
    .await
}

/// Whether an event of this operation id is among the requests a receiver got.
fn got(seen: &[Received], operation_id: &str) -> bool {
    seen.iter()
        .any(|r| r.json()["operation_id"] == operation_id)
}

/// An endpoint on a free loopback port that answers every request with a 307 to `location`: its
/// URL.
async fn redirecting_to(location: String) -> String {
    use axum::http::{header::LOCATION, StatusCode};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let redirect = axum::Router::new().fallback(move || {
        let location = location.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, location)]) }
    });
    tokio::spawn(async move { axum::serve(listener, redirect).await });
    url
}

/// An endpoint that redirects elsewhere is not followed: the attempt counts as failed (its 307
/// logged with an error) and the target of the redirect never hears of the event (nor of its key
/// or signature).
async fn a_redirect_is_not_followed(app: App) {
    let app = app.with_outbox();
    let target = Receiver::start(0).await;
    let url = redirecting_to(target.url.clone()).await;
    app.put(
        "/v1/webhooks/configuration",
        json!({"url": url, "key": "k-1"}),
    )
    .await
    .ok(200);
    let acc = app.account("a").await;
    app.wallet(&acc, "ethereum").await;
    let attempt = a_first_attempt(&app).await;
    assert_eq!(attempt["status_code"], 307, "{attempt}");
    assert!(!attempt["error"].is_null());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(target.received().is_empty(), "the redirect was followed");
}

/// An event past its attempt cap (3, retried after 20 ms) is dead-lettered and its endpoint
/// disabled; new events are parked; saving the configuration again re-enables it and the parked
/// events are delivered; a redelivery revives the dead event.
async fn an_event_past_its_attempt_cap_is_dead_and_disables_its_endpoint(app: App) {
    let app = app.with_outbox_policy(Policy {
        max_attempts: 3,
        backoff_base_ms: 20,
        ..Policy::default()
    });
    let failing = Receiver::start(usize::MAX).await;
    app.put("/v1/webhooks/configuration", json!({"url": failing.url}))
        .await
        .ok(200);
    let (first, dead) = past_its_cap_an_event_is_dead_and_its_endpoint_disabled(&app).await;
    let second = a_disabled_endpoint_parks_new_events(&app, &failing).await;
    saving_re_enables_and_a_redelivery_revives(&app, (&first, &second), &dead).await;
}

/// The first event, tried three times, is dead-lettered; the configuration shows the endpoint
/// disabled. The event's operation id, and its delivery.
async fn past_its_cap_an_event_is_dead_and_its_endpoint_disabled(app: &App) -> (String, Value) {
    let first = app.account("first").await;
    let dead = eventually("a dead letter", async || {
        logged(app, "dead").await.into_iter().next()
    })
    .await;
    assert_eq!(dead["status"], "dead", "{dead}");
    assert_eq!(dead["event"]["operation_id"], first.as_str(), "{dead}");
    assert_eq!(dead["attempts"], 3, "{dead}");
    assert_eq!(dead["log"].as_array().unwrap().len(), 3, "{dead}");
    assert_eq!(dead["last_error"], "HTTP 500", "{dead}");
    assert!(logged(app, "pending").await.is_empty());
    let conf = app.get("/v1/management/configurations").await;
    let conf = conf.ok(200);
    let notice = &conf["webhook_disabled"];
    assert!(notice["at"].as_i64().unwrap() > 0, "{conf}");
    assert!(
        notice["reason"].as_str().unwrap().contains("dead-lettered"),
        "{conf}"
    );
    let hooks = app.get("/v1/webhooks/configuration").await;
    let hooks = hooks.ok(200);
    assert_eq!(&hooks["disabled"], notice, "{hooks}");
    (first, dead)
}

/// Disabled: a new event is parked, not tried. Its operation id.
async fn a_disabled_endpoint_parks_new_events(app: &App, failing: &Receiver) -> String {
    let second = app.account("second").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        failing.received().len(),
        3,
        "the disabled endpoint was called"
    );
    let waiting = logged(app, "pending").await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["event"]["operation_id"], second.as_str());
    assert_eq!(waiting[0]["attempts"], 0);
    second
}

/// Saving the configuration (here with a working endpoint) clears the notice; the parked event
/// goes out, the dead one stays dead until redelivered.
async fn saving_re_enables_and_a_redelivery_revives(
    app: &App,
    (first, second): (&str, &str),
    dead: &Value,
) {
    let live = Receiver::start(0).await;
    let saved = app
        .put(
            "/v1/management/configurations",
            json!({"webhook_url": live.url}),
        )
        .await;
    assert!(
        saved.ok(200)["webhook_disabled"].is_null(),
        "{}",
        saved.json
    );
    live.wait_for("the parked event", |seen| got(seen, second).then_some(()))
        .await;
    let conf = app.get("/v1/management/configurations").await;
    assert!(conf.ok(200)["webhook_disabled"].is_null());
    assert!(!got(&live.received(), first));
    assert_eq!(logged(app, "dead").await.len(), 1);
    let id = dead["id"].as_str().unwrap();
    app.post(
        &format!("/v1/webhooks/deliveries/{id}/redeliver"),
        json!({}),
    )
    .await
    .ok(202);
    live.wait_for("the revived event", |seen| got(seen, first).then_some(()))
        .await;
    // The receiver has it before the worker logs its answer: waited for in the log.
    let revived = eventually("the revived event delivered in the log", async || {
        let delivered = logged(app, "delivered").await;
        delivered.into_iter().find(|e| e["id"] == id)
    })
    .await;
    assert!(logged(app, "dead").await.is_empty());
    assert_eq!(revived["status"], "delivered");
    assert_eq!(revived["log"].as_array().unwrap().len(), 4, "{revived}");
    app.get("/v1/webhooks/deliveries?status=gone")
        .await
        .err(400, "INVALID_ARGUMENT");
}

crate::on_both!(
    a_redirect_is_not_followed,
    an_event_past_its_attempt_cap_is_dead_and_disables_its_endpoint,
    only_subscribed_events_are_sent_and_the_others_are_logged_skipped,
    a_bad_subscription_list_is_refused_and_changes_nothing,
    a_failing_endpoint_gets_the_same_event_until_it_answers,
    an_event_is_signed_for_the_client_and_carries_its_key,
    a_redelivery_sends_a_delivered_event_once_more,
    a_rule_alert_goes_out_as_an_event,
);
