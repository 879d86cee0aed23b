//! The simulated chain's worker in-process: deposits confirm after their confirmations and are
//! swept. Withdrawals finish or come back on it: a withdrawal is pending, then
//! broadcast with a hash, then confirmed, and its SUCCESS webhook comes only then; a failed one
//! (`POST /v1/simulate/withdrawal-failure`) gives its amount and fee back and is announced FAILED
//! with its reason; a pending one can be cancelled. (Destinations, allowlists and fees, which
//! need no chain, are in withdrawals.rs.)

use crate::app::App;
use crate::receiver::Receiver;
use serde_json::{json, Value};
use std::time::Duration;

const OUT: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

crate::on_both!(failures_and_cancels_give_the_money_back);
// A block every 20 ms: a story finishes in moments.
crate::on_chain!(20;
    deposits_confirm_and_are_swept,
    a_withdrawal_is_broadcast_then_confirmed,
    below_minimum_refunds_finish_or_wait_again,
);

/// The (operation, sub_operation, status, operation_id) of every withdrawal event received, in
/// order.
fn withdrawal_events(receiver: &Receiver) -> Vec<(String, String, String, String)> {
    receiver
        .received()
        .iter()
        .map(|x| {
            let v = x.json();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (
                s("operation"),
                s("sub_operation"),
                s("status"),
                s("operation_id"),
            )
        })
        .filter(|e| e.1.starts_with("WITHDRAWAL"))
        .collect()
}

/// The app with its webhook worker, sending to a receiver.
async fn hooked(app: App) -> (App, Receiver) {
    let app = app.with_outbox();
    let receiver = Receiver::start(0).await;
    app.put(
        "/v1/management/configurations",
        json!({"webhook_url": receiver.url}),
    )
    .await
    .ok(200);
    (app, receiver)
}

async fn withdraw(app: &App, wallet: &str, amount: &str, fee: &str) -> Value {
    app.post(
        &format!("/v1/wallets/virtual/{wallet}/withdraw"),
        json!({"to_address": OUT, "token": "USDT", "amount": amount, "fee": fee}),
    )
    .await
    .ok(201)
    .clone()
}

/// The withdrawal `id` once `done` accepts it, polled every 10 ms for up to 30 s.
async fn until(app: &App, id: &str, mut done: impl FnMut(&Value) -> bool) -> Value {
    for _ in 0..3000 {
        let v = app
            .get(&format!("/v1/withdrawals/{id}"))
            .await
            .ok(200)
            .clone();
        if done(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("withdrawal {id} did not get there within 30 s");
}

/// Deposits confirm on their own after the chain's confirmations and are swept to the holding
/// wallet, one below the minimum too (confirmed, not credited).
async fn deposits_confirm_and_are_swept(app: App) {
    let acc = app.account("a").await;
    let (w, addr) = app.wallet(&acc, "ethereum").await;
    app.deposit(&addr, "USDT", "25", "auto-1").await;
    app.deposit(&addr, "USDT", "0.5", "auto-small").await;
    let mut swept = 0;
    for _ in 0..3000 {
        let t = app.get("/v1/transactions?type=sweep").await;
        swept = t.ok(200)["data"].as_array().unwrap().len();
        if swept == 2 && app.usdt(&w).await == ("25".into(), "0".into(), "25".into()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(swept, 2, "both deposits swept within 30 s");
    assert_eq!(app.usdt(&w).await, ("25".into(), "0".into(), "25".into()));
    let reserve = app.reserve("ethereum").await;
    assert_eq!(
        (reserve["holding"].as_str(), reserve["liabilities"].as_str()),
        (Some("25.5"), Some("25"))
    );
    let t = app.get("/v1/transactions/auto-small").await;
    assert_eq!(t.ok(200)["status"], "confirmed");
    assert_eq!(t.json["details"]["below_minimum"], true);
}

/// Failures and cancels give the money back; nothing moves on a chain that never advances (the
/// app runs no chain worker).
async fn failures_and_cancels_give_the_money_back(app: App) {
    let (app, receiver) = hooked(app).await;
    let acc = app.account("alice").await;
    let (vw, _) = app.funded(&acc, "ethereum", "100").await;
    let id1 = a_failed_withdrawal_gives_its_money_back(&app, &vw).await;
    let id2 = a_pending_withdrawal_is_cancelled(&app, &vw).await;
    others_withdrawals_are_not_found(&app, &id2).await;

    // The journal shows the debits and their reversals, and still verifies.
    let (status, export) = app.get_text(app.key(), "/v1/journal/export").await;
    assert_eq!(status, 200);
    assert!(export.contains(&format!("{id1}:reversal")));
    let verified = waas_core::ledger::journal::verify(&export);
    assert!(verified.is_ok(), "{verified:?}");

    // Webhooks: PENDING notices, then FAILED with its reason and CANCELLED; never SUCCESS.
    let want = [
        ("WITHDRAWAL_PENDING", "SUCCESS", id1.clone()),
        ("WITHDRAWAL", "FAILED", format!("{id1}:failed")),
        ("WITHDRAWAL_PENDING", "SUCCESS", id2.clone()),
        ("WITHDRAWAL", "CANCELLED", format!("{id2}:cancelled")),
    ];
    let seen = receiver
        .wait_for("the withdrawal webhooks", |_| {
            let e = withdrawal_events(&receiver);
            (e.len() >= want.len()).then_some(e)
        })
        .await;
    assert_eq!(seen.len(), want.len(), "{seen:?}");
    for (got, (sub, status, op_id)) in seen.iter().zip(&want) {
        assert_eq!(
            (got.1.as_str(), got.2.as_str()),
            (*sub, *status),
            "{seen:?}"
        );
        assert_eq!(&got.3, op_id);
    }
    let failed_event = receiver
        .received()
        .into_iter()
        .map(|r| r.json())
        .find(|v| v["status"] == "FAILED")
        .unwrap();
    assert_eq!(failed_event["reason"], "nonce too low");
}

/// A withdrawal is pending at first: debited, no hash. The chain rejects it: amount and fee come
/// back, and the holding position with them; repeating the failure changes nothing, and a failed
/// one can be neither cancelled nor failed anew. Its id.
async fn a_failed_withdrawal_gives_its_money_back(app: &App, vw: &str) -> String {
    let before = app.reserve("ethereum").await;
    let w1 = withdraw(app, vw, "20", "2").await;
    let id1 = w1["id"].as_str().unwrap().to_owned();
    assert_eq!(w1["status"], "pending");
    assert_eq!(app.total(vw).await, "78");
    let got = app.get(&format!("/v1/withdrawals/{id1}")).await;
    assert_eq!(got.ok(200)["status"], "pending");
    assert!(got.json["tx_hash"].is_null());

    let fail = json!({"id": id1, "reason": "nonce too low"});
    let failed = app
        .post("/v1/simulate/withdrawal-failure", fail.clone())
        .await;
    assert_eq!(failed.ok(200)["status"], "failed");
    assert_eq!(failed.json["reason"], "nonce too low");
    assert_eq!(app.total(vw).await, "100");
    assert_eq!(app.reserve("ethereum").await, before);
    app.post("/v1/simulate/withdrawal-failure", fail)
        .await
        .ok(200);
    assert_eq!(app.total(vw).await, "100");
    app.post(&format!("/v1/withdrawals/{id1}/cancel"), json!({}))
        .await
        .err(400, "INVALID_ARGUMENT");
    let tx = app.get(&format!("/v1/transactions/{id1}")).await;
    assert_eq!(tx.ok(200)["status"], "failed");
    id1
}

/// A pending withdrawal is cancelled; twice is the same answer. Its id.
async fn a_pending_withdrawal_is_cancelled(app: &App, vw: &str) -> String {
    let w2 = withdraw(app, vw, "5", "0").await;
    let id2 = w2["id"].as_str().unwrap().to_owned();
    assert_eq!(app.total(vw).await, "95");
    let cancel = format!("/v1/withdrawals/{id2}/cancel");
    let c = app.post(&cancel, json!({})).await;
    assert_eq!(c.ok(200)["status"], "cancelled");
    app.post(&cancel, json!({})).await.ok(200);
    assert_eq!(app.total(vw).await, "100");
    id2
}

/// Ids that are not withdrawals of this client (none, or the withdrawal `id2` asked by another
/// client): 404.
async fn others_withdrawals_are_not_found(app: &App, id2: &str) {
    let cancel = format!("/v1/withdrawals/{id2}/cancel");
    app.post("/v1/withdrawals/nope/cancel", json!({}))
        .await
        .err(404, "NOT_FOUND");
    let other = app
        .post("/v1/management/clients", json!({"name": "other"}))
        .await;
    let other_key = other.ok(201)["api_key"].as_str().unwrap().to_owned();
    app.send(Some(&other_key), "POST", &cancel, &[], Some(json!({})))
        .await
        .err(404, "NOT_FOUND");
    app.send(
        Some(&other_key),
        "GET",
        &format!("/v1/withdrawals/{id2}"),
        &[],
        None,
    )
    .await
    .err(404, "NOT_FOUND");
}

/// On a chain with short blocks a withdrawal is broadcast with a hash, then confirmed; its
/// SUCCESS webhook comes only after it is confirmed.
async fn a_withdrawal_is_broadcast_then_confirmed(app: App) {
    let (app, receiver) = hooked(app).await;
    let acc = app.account("alice").await;
    let (vw, _) = app.funded(&acc, "ethereum", "50").await;
    let w = withdraw(&app, &vw, "10", "1").await;
    let id = w["id"].as_str().unwrap().to_owned();
    let mut statuses = vec!["pending".to_owned()];
    let done = until(&app, &id, |v| {
        let st = v["status"].as_str().unwrap().to_owned();
        if statuses.last() != Some(&st) {
            statuses.push(st.clone());
        }
        st == "confirmed"
    })
    .await;
    let hash = done["tx_hash"].as_str().unwrap();
    assert!(hash.starts_with("0x") && hash.len() == 66, "{done}");
    assert!(
        statuses
            .iter()
            .all(|s| ["pending", "broadcast", "confirmed"].contains(&s.as_str())),
        "{statuses:?}"
    );
    assert_eq!(app.total(&vw).await, "39");
    let tx = app.get(&format!("/v1/transactions/{id}")).await;
    assert_eq!(tx.ok(200)["details"]["amount"], "10");
    // A confirmed withdrawal cannot be cancelled or failed.
    app.post(&format!("/v1/withdrawals/{id}/cancel"), json!({}))
        .await
        .err(400, "INVALID_ARGUMENT");
    let late = json!({"id": id, "reason": "late"});
    app.post("/v1/simulate/withdrawal-failure", late)
        .await
        .err(400, "INVALID_ARGUMENT");
    let seen = receiver
        .wait_for("the SUCCESS webhook", |_| {
            let e = withdrawal_events(&receiver);
            (e.len() >= 3).then_some(e)
        })
        .await;
    let subs: Vec<(&str, &str)> = seen.iter().map(|e| (e.1.as_str(), e.2.as_str())).collect();
    assert_eq!(
        subs,
        [
            ("WITHDRAWAL_PENDING", "SUCCESS"),
            ("WITHDRAWAL_BROADCAST", "SUCCESS"),
            ("WITHDRAWAL", "SUCCESS"),
        ]
    );
    assert_eq!(seen[2].3, format!("{id}:confirmed"));
}

/// A below-minimum deposit refunded to an outside address less the fee finishes on the
/// simulated chain; one whose refund fails waits for a decision again and can be credited.
async fn below_minimum_refunds_finish_or_wait_again(app: App) {
    let acc = app.account("alice").await;
    let (vw, addr) = app.wallet(&acc, "ethereum").await;
    app.deposit(&addr, "USDT", "0.5", "small:0").await;
    app.confirm("small:0").await;
    let refund = json!({"to_address": OUT, "fee": "0.1"});
    let r = app.post("/v1/deposits/small:0/refund", refund).await;
    let r = r.ok(201);
    assert_eq!(
        (r["amount"].as_str(), r["fee"].as_str()),
        (Some("0.4"), Some("0.1"))
    );
    let id = r["id"].as_str().unwrap().to_owned();
    until(&app, &id, |v| v["status"] == "confirmed").await;
    app.post("/v1/deposits/small:0/credit", json!({}))
        .await
        .err(400, "INVALID_ARGUMENT");
    assert_eq!(app.total(&vw).await, "0");

    // A refund that fails: the deposit waits again, and is credited instead.
    app.deposit(&addr, "USDT", "0.25", "other:0").await;
    app.confirm("other:0").await;
    let r = app
        .post("/v1/deposits/other:0/refund", json!({"to_address": OUT}))
        .await;
    let id = r.ok(201)["id"].as_str().unwrap().to_owned();
    let failed = app
        .post(
            "/v1/simulate/withdrawal-failure",
            json!({"id": id, "reason": "rejected"}),
        )
        .await;
    // The simulated chain may have confirmed it already (short blocks): then it cannot fail.
    if failed.status == 200 {
        app.post("/v1/deposits/other:0/credit", json!({}))
            .await
            .ok(200);
        assert_eq!(app.total(&vw).await, "0.25");
    } else {
        failed.err(400, "INVALID_ARGUMENT");
    }
    app.post("/v1/deposits/nope/refund", json!({"to_address": OUT}))
        .await
        .err(404, "NOT_FOUND");
}
