#![allow(clippy::unwrap_used)]
//! End-to-end tests of lists and the batch endpoint over real HTTP, on SQLite and PostgreSQL:
//! wallets made a thousand at a time (all or none, within the contract, idempotent), every list
//! paged with `limit`/`cursor` (complete, no overlap, stable under inserts), filters, unknown
//! parameters refused, and balances and statuses read from rows (filled at start for books kept
//! before the rows existed).

mod support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use support::api::{d, dec, setup, Api};
use support::{Backend, Opts};

/// Every item of a list, page by page; checks each page's shape and cursor.
fn all_pages(api: Api<'_>, path: &str, limit: usize) -> Vec<Value> {
    pages_from(api, path, limit, None)
}

/// The same, starting after a cursor.
fn pages_from(api: Api<'_>, path: &str, limit: usize, start: Option<String>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = start;
    let sep = if path.contains('?') { '&' } else { '?' };
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let page = api.get(&url).ok(200).clone();
        let data = page["data"]
            .as_array()
            .unwrap_or_else(|| panic!("{url}: {page}"));
        assert!(data.len() <= limit);
        out.extend(data.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(data.len(), limit, "{url}: short page with a next cursor");
                cursor = Some(c.to_owned());
            }
            None => {
                assert!(page["next_cursor"].is_null(), "{url}");
                return out;
            }
        }
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

fn batch(api: Api<'_>, account: &str, chain: &str, count: u32) -> Value {
    api.post(
        "/v1/wallets/virtual/batch",
        json!({"account_id": account, "blockchain": chain, "count": count}),
    )
    .ok(201)
    .clone()
}

fn batch_and_pages(backend: Backend) {
    let Some((_db, s)) = setup(backend, "lists_batch", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    api.put(
        "/v1/management/contracted-products",
        json!({"max_virtual_wallets": 1500}),
    )
    .ok(200);
    let acc = api.account("a");
    let acc2 = api.account("b");
    let single = api.wallet(&acc, "ethereum");
    let made = batch(api, &acc, "ethereum", 1200);
    let data = made["data"].as_array().unwrap();
    assert_eq!(data.len(), 1200);
    for (i, w) in data.iter().enumerate() {
        assert_eq!(
            w["index"].as_u64(),
            Some(i as u64 + 1),
            "indices follow the single wallet"
        );
        for key in [
            "id",
            "address",
            "index",
            "blockchain",
            "account_id",
            "status",
        ] {
            assert!(!w[key].is_null(), "batch wallet without {key}");
        }
    }
    let addresses: BTreeSet<&str> = data
        .iter()
        .map(|w| w["address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses.len(), 1200);
    assert!(!addresses.contains(single.1.as_str()));
    // Each address is the one the wallet answers with on its own.
    for w in [&data[0], &data[599], &data[1199]] {
        let one = api
            .get(&format!(
                "/v1/wallets/virtual/{}",
                w["id"].as_str().unwrap()
            ))
            .ok(200)
            .clone();
        assert_eq!(one["address"], w["address"]);
        assert_eq!(one["index"], w["index"]);
    }
    // Beyond the contract: all or none.
    api.post(
        "/v1/wallets/virtual/batch",
        json!({"account_id": acc, "blockchain": "ethereum", "count": 300}),
    )
    .err(422, "CONTRACT_LIMIT_REACHED");
    let listed = all_pages(api, "/v1/wallets/virtual", 500);
    assert_eq!(listed.len(), 1201);
    // Bad batches.
    for count in [0, 10_001] {
        api.post(
            "/v1/wallets/virtual/batch",
            json!({"account_id": acc, "blockchain": "ethereum", "count": count}),
        )
        .err(400, "INVALID_ARGUMENT");
    }
    api.post(
        "/v1/wallets/virtual/batch",
        json!({"account_id": "acc_nope", "blockchain": "ethereum", "count": 2}),
    )
    .err(404, "NOT_FOUND");
    // Idempotent: the same key and body answer the same wallets; another body is a conflict.
    let body = json!({"account_id": acc2, "blockchain": "tron", "count": 5});
    let first = api.post_idem("/v1/wallets/virtual/batch", "b-1", &body);
    assert_eq!(first.status, 201, "{}", first.text);
    let again = api.post_idem("/v1/wallets/virtual/batch", "b-1", &body);
    assert_eq!(again.status, 201);
    let parse = |t: &str| serde_json::from_str::<Value>(t).unwrap();
    assert_eq!(parse(&first.text)["data"], parse(&again.text)["data"]);
    let other = json!({"account_id": acc2, "blockchain": "tron", "count": 6});
    api.post_idem("/v1/wallets/virtual/batch", "b-1", &other)
        .err(409, "DUPLICATE_OPERATION");
    let listed = all_pages(api, "/v1/wallets/virtual", 500);
    assert_eq!(listed.len(), 1206);

    // Pages of different sizes give the same list, in order of creation, without overlap.
    let by_7 = all_pages(api, "/v1/wallets/virtual", 7);
    assert_eq!(ids(&by_7), ids(&listed));
    let unique: BTreeSet<String> = ids(&listed).into_iter().collect();
    assert_eq!(unique.len(), listed.len());
    assert_eq!(listed[0]["id"].as_str(), Some(single.0.as_str()));
    // Stable under inserts: a cursor taken before new wallets goes on where it was, and the new
    // wallets come at the end.
    let page = api.get("/v1/wallets/virtual?limit=100").ok(200).clone();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let newer = batch(api, &acc2, "ethereum", 3);
    let rest = pages_from(api, "/v1/wallets/virtual", 500, Some(cursor));
    let mut want = ids(&listed)[100..].to_vec();
    want.extend(ids(newer["data"].as_array().unwrap()));
    assert_eq!(ids(&rest), want);

    // Filters.
    let tron = all_pages(api, "/v1/wallets/virtual?blockchain=tron", 500);
    assert_eq!(tron.len(), 5);
    assert!(tron.iter().all(|w| w["blockchain"] == "tron"));
    let of_b = all_pages(api, &format!("/v1/wallets/virtual?account_id={acc2}"), 500);
    assert_eq!(of_b.len(), 8);
    let victim = data[10]["id"].as_str().unwrap();
    api.post(
        &format!("/v1/wallets/virtual/{victim}/deactivate"),
        json!({}),
    )
    .ok(200);
    let inactive = all_pages(api, "/v1/wallets/virtual?status=inactive", 500);
    assert_eq!(ids(&inactive), [victim.to_owned()]);
    let active = all_pages(
        api,
        "/v1/wallets/virtual?status=active&blockchain=ethereum",
        500,
    );
    assert_eq!(active.len(), 1201 + 3 - 1);
    // Unknown parameters and bad values: 400 with a code, never ignored.
    for bad in [
        "/v1/wallets/virtual?colour=red",
        "/v1/wallets/virtual?status=sleeping",
        "/v1/wallets/virtual?limit=0",
        "/v1/wallets/virtual?limit=501",
        "/v1/wallets/virtual?cursor=nonsense",
        "/v1/accounts?sort=name",
        "/v1/transactions?colour=red",
        "/v1/webhooks/deliveries?status=lost",
    ] {
        api.get(bad).err(400, "INVALID_ARGUMENT");
    }
    api.get("/v1/wallets/virtual?blockchain=narnia")
        .err(404, "UNKNOWN_CHAIN");
}

fn every_list_pages(backend: Backend) {
    let Some((_db, s)) = setup(backend, "lists_all", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let accounts: Vec<String> = (0..5).map(|i| api.account(&format!("acc{i}"))).collect();
    for acc in &accounts[..3] {
        api.post(
            "/v1/treasury",
            json!({"account_id": acc, "blockchain": "ethereum"}),
        )
        .ok(201);
        api.card(acc);
        api.post("/v1/virtual-cards", json!({"account_id": acc}))
            .ok(201);
    }
    let (w, addr) = api.wallet(&accounts[0], "ethereum");
    api.wallet(&accounts[0], "tron");
    for i in 0..4 {
        api.deposit(&addr, "USDT", "5", &format!("dep-{i}"));
    }
    for i in 0..3 {
        api.post(
            "/v1/management/api-keys",
            json!({"permissions": ["WALLETS_READ"]}),
        )
        .ok(201);
        api.post(
            "/v1/management/access-levels",
            json!({"name": format!("level{i}"), "permissions": ["WALLETS_READ"]}),
        )
        .ok(201);
    }
    for (path, want) in [
        ("/v1/accounts", 5),
        ("/v1/treasury", 3),
        ("/v1/cards", 3),
        ("/v1/virtual-cards", 3),
        ("/v1/wallets/holding", 2),
        ("/v1/management/api-keys", 4),
        ("/v1/management/access-levels", 3),
        ("/v1/transactions?type=deposit", 4),
        ("/v1/webhooks/deliveries", 0),
    ] {
        let by_1 = all_pages(api, path, 1);
        let by_500 = all_pages(api, path, 500);
        assert_eq!(by_1, by_500, "{path}");
        if want > 0 {
            assert_eq!(by_500.len(), want, "{path}");
        }
        api.get(&format!(
            "{path}{}unknown=1",
            if path.contains('?') { '&' } else { '?' }
        ))
        .err(400, "INVALID_ARGUMENT");
    }
    // Deliveries: every event listed once, pending or delivered (no endpoint is configured).
    let events = all_pages(api, "/v1/webhooks/deliveries", 3);
    assert!(events.len() >= 10, "{}", events.len());
    let pending = all_pages(api, "/v1/webhooks/deliveries?status=pending", 500);
    let delivered = all_pages(api, "/v1/webhooks/deliveries?status=delivered", 500);
    assert_eq!(pending.len() + delivered.len(), events.len());
    // Transactions filtered by chain, account and token.
    let eth = all_pages(api, "/v1/transactions?type=deposit&blockchain=ethereum", 2);
    assert_eq!(eth.len(), 4);
    let tron = all_pages(api, "/v1/transactions?type=deposit&blockchain=tron", 2);
    assert_eq!(tron.len(), 0);
    let of_acc = all_pages(
        api,
        &format!("/v1/transactions?type=deposit&account_id={}", accounts[0]),
        2,
    );
    assert_eq!(of_acc.len(), 4);
    assert_eq!(
        all_pages(api, "/v1/transactions?type=deposit&token=usdc", 2).len(),
        0
    );
    assert_eq!(
        all_pages(api, "/v1/transactions?type=deposit&token=USDT", 2).len(),
        4
    );
    // Balances come from rows and agree with the wallet's statement.
    let statement = api
        .get(&format!("/v1/wallets/virtual/{w}/statement?limit=1"))
        .ok(200)
        .clone();
    assert_eq!(
        dec(&statement["data"][0]["balance_after"]),
        api.balance(&w, "USDT").2
    );
    assert_eq!(api.balance(&w, "USDT").2, d("20"));
}

macro_rules! suite {
    ($backend:ident, $variant:expr) => {
        mod $backend {
            use super::*;
            #[test]
            fn batch_and_pages() {
                super::batch_and_pages($variant);
            }
            #[test]
            fn every_list_pages() {
                super::every_list_pages($variant);
            }
        }
    };
}

suite!(sqlite, Backend::Sqlite);
suite!(postgres, Backend::Postgres);
