#![allow(clippy::unwrap_used)]
//! Holds over real HTTP, on SQLite and PostgreSQL: a hold lowers the available balance and not
//! the total, spends count only what is available, a hold is released, captured to a sibling
//! wallet, or releases itself once its expiry has passed.

mod support;

use rust_decimal::Decimal;
use serde_json::{json, Value};
use support::api::{d, dec, setup, Api};
use support::{wait_for, Backend, Opts};

const OUT: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

fn usdt(api: Api<'_>, wallet: &str) -> (Decimal, Decimal, Decimal) {
    let v = api
        .get(&format!("/v1/wallets/virtual/{wallet}"))
        .ok(200)
        .clone();
    let b = &v["balances"]["USDT"];
    (dec(&b["available"]), dec(&b["held"]), dec(&b["total"]))
}

fn holds(backend: Backend) {
    let Some((_db, s)) = setup(backend, "holds", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("alice");
    let (vw, _) = api.funded(&acc, "ethereum", "100");
    let (sibling, _) = api.wallet(&acc, "ethereum");
    let hold = |body: Value| api.post(&format!("/v1/wallets/virtual/{vw}/holds"), body);
    let h1 = hold(json!({"token": "USDT", "amount": "60", "reason": "dispute"}))
        .ok(201)
        .clone();
    assert_eq!(h1["status"], "active");
    assert_eq!(usdt(api, &vw), (d("40"), d("60"), d("100")));
    api.transfer(&vw, &sibling, "50")
        .err(422, "INSUFFICIENT_FUNDS");
    api.post(
        &format!("/v1/wallets/virtual/{vw}/withdraw"),
        json!({"to_address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "token": "USDT", "amount": "41"}),
    )
    .err(422, "INSUFFICIENT_FUNDS");
    api.transfer(&vw, &sibling, "10").ok(201);
    assert_eq!(usdt(api, &vw), (d("30"), d("60"), d("90")));
    hold(json!({"token": "USDT", "amount": "30.01", "reason": "more"}))
        .err(422, "INSUFFICIENT_FUNDS");
    hold(json!({"token": "USDT", "amount": "1", "reason": "x", "expires_at": "2001-01-01T00:00:00Z"}))
        .err(400, "INVALID_ARGUMENT");
    hold(json!({"token": "USDT", "amount": "1", "reason": "x", "expires_at": "soon"}))
        .err(400, "INVALID_ARGUMENT");

    // Released by a decision (twice is the same), then the money is available again.
    let id1 = h1["id"].as_str().unwrap();
    let path = |id: &str, what: &str| format!("/v1/wallets/virtual/{vw}/holds/{id}/{what}");
    api.post(&path(id1, "release"), json!({})).ok(200);
    let again = api.post(&path(id1, "release"), json!({})).ok(200).clone();
    assert_eq!(again["status"], "released");
    assert_eq!(usdt(api, &vw), (d("90"), d("0"), d("90")));
    // Another wallet's path does not reach it.
    api.post(
        &format!("/v1/wallets/virtual/{sibling}/holds/{id1}/release"),
        json!({}),
    )
    .err(404, "NOT_FOUND");

    // Captured to a sibling wallet: a transfer of the held amount.
    let h2 = hold(json!({"token": "USDT", "amount": "25", "reason": "chargeback"}))
        .ok(201)
        .clone();
    let id2 = h2["id"].as_str().unwrap();
    let c = api
        .post(&path(id2, "capture"), json!({"to_wallet_id": sibling}))
        .ok(200)
        .clone();
    assert_eq!(c["status"], "captured");
    api.post(&path(id2, "capture"), json!({"to_wallet_id": sibling}))
        .ok(200);
    assert_eq!(usdt(api, &vw), (d("65"), d("0"), d("65")));
    assert_eq!(api.total(&sibling), d("35"));
    api.post(&path(id2, "release"), json!({}))
        .err(400, "INVALID_ARGUMENT");

    // Captured to an outside address: a withdrawal (pending on this slow chain) of the amount.
    let own_addr = api.get(&format!("/v1/wallets/virtual/{vw}")).ok(200)["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let h4 = hold(json!({"token": "USDT", "amount": "15", "reason": "payout"}))
        .ok(201)
        .clone();
    let id4 = h4["id"].as_str().unwrap();
    api.post(&path(id4, "capture"), json!({"to_address": own_addr}))
        .err(422, "SAME_ADDRESS");
    api.post(
        &path(id4, "capture"),
        json!({"to_address": OUT, "to_wallet_id": sibling}),
    )
    .err(400, "INVALID_ARGUMENT");
    let c = api
        .post(&path(id4, "capture"), json!({"to_address": OUT}))
        .ok(200)
        .clone();
    assert_eq!(c["captured_to"], OUT);
    assert_eq!(usdt(api, &vw), (d("50"), d("0"), d("50")));
    let wd = api
        .get(&format!("/v1/withdrawals/{id4}:capture"))
        .ok(200)
        .clone();
    assert_eq!(wd["status"], "pending");
    assert_eq!(wd["amount"], "15");

    // Expiring by itself.
    let soon = time_in(2);
    let h3 = hold(json!({"token": "USDT", "amount": "5", "reason": "short", "expires_at": soon}))
        .ok(201)
        .clone();
    assert_eq!(usdt(api, &vw).1, d("5"));
    let id3 = h3["id"].as_str().unwrap().to_owned();
    wait_for(15, "the hold to expire", || {
        let list = api
            .get(&format!("/v1/wallets/virtual/{vw}/holds"))
            .ok(200)
            .clone();
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == id3.as_str() && h["status"] == "expired")
            .then_some(())
    });
    assert_eq!(usdt(api, &vw), (d("50"), d("0"), d("50")));
}

/// An RFC 3339 time `secs` seconds from now.
fn time_in(secs: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::seconds(secs))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[test]
fn sqlite() {
    holds(Backend::Sqlite);
}

#[test]
fn postgres() {
    holds(Backend::Postgres);
}
