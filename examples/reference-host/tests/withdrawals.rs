#![allow(clippy::unwrap_used)]
//! Withdrawals finish or come back, over real HTTP on SQLite and PostgreSQL: on the simulated
//! chain a withdrawal is pending, then broadcast with a hash, then confirmed, and its SUCCESS
//! webhook comes only then; a failed one (`POST /v1/simulate/withdrawal-failure`) gives its
//! amount and fee back and is announced FAILED with its reason; a pending one can be cancelled.
//! (Destinations, allowlists and fees, which need no chain, are in tests/api/withdrawals.rs.)

mod support;

use serde_json::{json, Value};
use support::api::{d, dec, setup, Api};
use support::{wait_for, Backend, Opts, Receiver};

const OUT: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

/// The (operation, sub_operation, status, operation_id) of every event received, in order.
fn events(r: &Receiver) -> Vec<(String, String, String, String)> {
    r.received()
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
        .collect()
}

fn withdraw(api: Api<'_>, wallet: &str, amount: &str, fee: &str) -> Value {
    api.post(
        &format!("/v1/wallets/virtual/{wallet}/withdraw"),
        json!({"to_address": OUT, "token": "USDT", "amount": amount, "fee": fee}),
    )
    .ok(201)
    .clone()
}

fn reserve(api: Api<'_>) -> Value {
    api.get("/v1/wallets/holding/ethereum/reserve").ok(200)["reserve"]["USDT"].clone()
}

/// Failures and cancels give the money back; nothing moves on a chain that never advances.
fn fail_and_cancel(backend: Backend) {
    let receiver = Receiver::start(0);
    let Some((_db, s)) = setup(backend, "withdrawals_back", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    api.put(
        "/v1/management/configurations",
        json!({"webhook_url": receiver.url}),
    )
    .ok(200);
    let acc = api.account("alice");
    let (vw, _) = api.funded(&acc, "ethereum", "100");
    let before = reserve(api);

    // A withdrawal is pending at first: debited, no hash, announced as WITHDRAWAL_PENDING.
    let w1 = withdraw(api, &vw, "20", "2");
    let id1 = w1["id"].as_str().unwrap().to_owned();
    assert_eq!(w1["status"], "pending");
    assert_eq!(api.total(&vw), d("78"));
    let got = api.get(&format!("/v1/withdrawals/{id1}")).ok(200).clone();
    assert_eq!(got["status"], "pending");
    assert!(got["tx_hash"].is_null());

    // The chain rejects it: amount and fee come back, and the holding position with them.
    let failed = api
        .post(
            "/v1/simulate/withdrawal-failure",
            json!({"id": id1, "reason": "nonce too low"}),
        )
        .ok(200)
        .clone();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["reason"], "nonce too low");
    assert_eq!(api.total(&vw), d("100"));
    assert_eq!(reserve(api), before);
    // Repeating it changes nothing; a failed one can be neither cancelled nor failed anew.
    api.post(
        "/v1/simulate/withdrawal-failure",
        json!({"id": id1, "reason": "nonce too low"}),
    )
    .ok(200);
    assert_eq!(api.total(&vw), d("100"));
    api.post(&format!("/v1/withdrawals/{id1}/cancel"), json!({}))
        .err(400, "INVALID_ARGUMENT");
    let tx = api.get(&format!("/v1/transactions/{id1}")).ok(200).clone();
    assert_eq!(tx["status"], "failed");

    // A pending withdrawal is cancelled; twice is the same answer.
    let w2 = withdraw(api, &vw, "5", "0");
    let id2 = w2["id"].as_str().unwrap().to_owned();
    assert_eq!(api.total(&vw), d("95"));
    let c = api
        .post(&format!("/v1/withdrawals/{id2}/cancel"), json!({}))
        .ok(200)
        .clone();
    assert_eq!(c["status"], "cancelled");
    api.post(&format!("/v1/withdrawals/{id2}/cancel"), json!({}))
        .ok(200);
    assert_eq!(api.total(&vw), d("100"));

    // Ids that are not withdrawals of this client: 404.
    api.post("/v1/withdrawals/nope/cancel", json!({}))
        .err(404, "NOT_FOUND");
    let other = api
        .post("/v1/management/clients", json!({"name": "other"}))
        .ok(201)
        .clone();
    let other_api = Api {
        s: &s,
        key: other["api_key"].as_str().unwrap(),
    };
    other_api
        .post(&format!("/v1/withdrawals/{id2}/cancel"), json!({}))
        .err(404, "NOT_FOUND");
    other_api
        .get(&format!("/v1/withdrawals/{id2}"))
        .err(404, "NOT_FOUND");

    // The journal shows the debits and their reversals, and still verifies.
    let export = s
        .try_call("GET", "/v1/journal/export", Some(s.key()), None, &[])
        .unwrap();
    assert!(export.text.contains(&format!("{id1}:reversal")));
    let (code, _, err) = support::verify_journal(&export.text);
    assert_eq!(code, 0, "{err}");

    // Webhooks: PENDING notices, then FAILED with its reason and CANCELLED; never SUCCESS.
    let want = [
        ("WITHDRAWAL_PENDING", "SUCCESS", id1.clone()),
        ("WITHDRAWAL", "FAILED", format!("{id1}:failed")),
        ("WITHDRAWAL_PENDING", "SUCCESS", id2.clone()),
        ("WITHDRAWAL", "CANCELLED", format!("{id2}:cancelled")),
    ];
    let seen = wait_for(30, "the withdrawal webhooks", || {
        let e: Vec<_> = events(&receiver)
            .into_iter()
            .filter(|e| e.1.starts_with("WITHDRAWAL"))
            .collect();
        (e.len() >= want.len()).then_some(e)
    });
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

/// On a chain with short blocks a withdrawal is broadcast with a hash, then confirmed; its
/// SUCCESS webhook comes only after it is confirmed.
fn confirms(backend: Backend) {
    let receiver = Receiver::start(0);
    let opts = Opts {
        sim_block_ms: 20,
        ..Opts::default()
    };
    let Some((_db, s)) = setup(backend, "withdrawals_confirm", &opts) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    api.put(
        "/v1/management/configurations",
        json!({"webhook_url": receiver.url}),
    )
    .ok(200);
    let acc = api.account("alice");
    let (vw, _) = api.funded(&acc, "ethereum", "50");
    let w = withdraw(api, &vw, "10", "1");
    let id = w["id"].as_str().unwrap().to_owned();
    let mut statuses = vec!["pending".to_owned()];
    let done = wait_for(30, "the withdrawal to confirm", || {
        let v = api.get(&format!("/v1/withdrawals/{id}")).ok(200).clone();
        let st = v["status"].as_str().unwrap().to_owned();
        if statuses.last() != Some(&st) {
            statuses.push(st.clone());
        }
        (st == "confirmed").then_some(v)
    });
    let hash = done["tx_hash"].as_str().unwrap();
    assert!(hash.starts_with("0x") && hash.len() == 66, "{done}");
    assert!(
        statuses
            .iter()
            .all(|s| ["pending", "broadcast", "confirmed"].contains(&s.as_str())),
        "{statuses:?}"
    );
    assert_eq!(api.total(&vw), d("39"));
    assert_eq!(
        dec(&api.get(&format!("/v1/transactions/{id}")).ok(200)["details"]["amount"]),
        d("10")
    );
    // A confirmed withdrawal cannot be cancelled or failed.
    api.post(&format!("/v1/withdrawals/{id}/cancel"), json!({}))
        .err(400, "INVALID_ARGUMENT");
    api.post(
        "/v1/simulate/withdrawal-failure",
        json!({"id": id, "reason": "late"}),
    )
    .err(400, "INVALID_ARGUMENT");
    let seen = wait_for(30, "the SUCCESS webhook", || {
        let e: Vec<_> = events(&receiver)
            .into_iter()
            .filter(|e| e.1.starts_with("WITHDRAWAL"))
            .collect();
        (e.len() >= 3).then_some(e)
    });
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
fn below_minimum_refunds(backend: Backend) {
    let opts = Opts {
        sim_block_ms: 20,
        ..Opts::default()
    };
    let Some((_db, s)) = setup(backend, "withdrawals_refund", &opts) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("alice");
    let (vw, addr) = api.wallet(&acc, "ethereum");
    api.deposit(&addr, "USDT", "0.5", "small:0");
    api.confirm("small:0");
    let r = api
        .post(
            "/v1/deposits/small:0/refund",
            json!({"to_address": OUT, "fee": "0.1"}),
        )
        .ok(201)
        .clone();
    assert_eq!(
        (r["amount"].as_str(), r["fee"].as_str()),
        (Some("0.4"), Some("0.1"))
    );
    let id = r["id"].as_str().unwrap().to_owned();
    wait_for(30, "the refund to confirm", || {
        let v = api.get(&format!("/v1/withdrawals/{id}")).ok(200).clone();
        (v["status"] == "confirmed").then_some(())
    });
    api.post("/v1/deposits/small:0/credit", json!({}))
        .err(400, "INVALID_ARGUMENT");
    assert_eq!(api.total(&vw), d("0"));

    // A refund that fails: the deposit waits again, and is credited instead.
    api.deposit(&addr, "USDT", "0.25", "other:0");
    api.confirm("other:0");
    let r = api
        .post("/v1/deposits/other:0/refund", json!({"to_address": OUT}))
        .ok(201)
        .clone();
    let id = r["id"].as_str().unwrap().to_owned();
    let failed = api.post(
        "/v1/simulate/withdrawal-failure",
        json!({"id": id, "reason": "rejected"}),
    );
    // The simulated chain may have confirmed it already (short blocks): then it cannot fail.
    if failed.status == 200 {
        api.post("/v1/deposits/other:0/credit", json!({})).ok(200);
        assert_eq!(api.total(&vw), d("0.25"));
    } else {
        failed.err(400, "INVALID_ARGUMENT");
    }
    api.post("/v1/deposits/nope/refund", json!({"to_address": OUT}))
        .err(404, "NOT_FOUND");
}

#[test]
fn sqlite_below_minimum_refunds() {
    below_minimum_refunds(Backend::Sqlite);
}

#[test]
fn postgres_below_minimum_refunds() {
    below_minimum_refunds(Backend::Postgres);
}

#[test]
fn sqlite_fail_and_cancel() {
    fail_and_cancel(Backend::Sqlite);
}

#[test]
fn postgres_fail_and_cancel() {
    fail_and_cancel(Backend::Postgres);
}

#[test]
fn sqlite_confirms() {
    confirms(Backend::Sqlite);
}

#[test]
fn postgres_confirms() {
    confirms(Backend::Postgres);
}
