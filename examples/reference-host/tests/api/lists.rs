//! Lists and the batch endpoint: wallets made a thousand at a time (all or none, within the
//! contract, idempotent), every list paged with `limit`/`cursor` (complete, no overlap, stable
//! under inserts), filters, unknown parameters refused, balances read from rows.

use crate::app::{Answer, App};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn ids(items: &[Value]) -> Vec<String> {
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    items.iter().map(id).collect()
}

async fn batch(app: &App, account: &str, chain: &str, count: u32) -> Answer {
    let body = json!({"account_id": account, "blockchain": chain, "count": count});
    app.post("/v1/wallets/virtual/batch", body).await
}

async fn a_batch_makes_wallets_with_the_next_indices_and_their_own_addresses(app: App) {
    let acc = app.account("a").await;
    let (_, single) = app.wallet(&acc, "ethereum").await;
    let made = batch(&app, &acc, "ethereum", 1200).await;
    let data = made.ok(201)["data"].as_array().unwrap();
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
    assert!(!addresses.contains(single.as_str()));
    // Each address is the one the wallet answers with on its own.
    for w in [&data[0], &data[599], &data[1199]] {
        let one = app
            .get(&format!(
                "/v1/wallets/virtual/{}",
                w["id"].as_str().unwrap()
            ))
            .await;
        let one = one.ok(200);
        assert_eq!(
            (&one["address"], &one["index"]),
            (&w["address"], &w["index"])
        );
    }
}

async fn a_batch_beyond_the_contract_makes_no_wallet(app: App) {
    let contract = json!({"max_virtual_wallets": 10});
    app.put("/v1/management/contracted-products", contract)
        .await
        .ok(200);
    let acc = app.account("a").await;
    batch(&app, &acc, "ethereum", 8).await.ok(201);
    batch(&app, &acc, "ethereum", 3)
        .await
        .err(422, "CONTRACT_LIMIT_REACHED");
    assert_eq!(app.all_pages("/v1/wallets/virtual", 500).await.len(), 8);
}

async fn a_batch_of_no_wallet_too_many_or_for_no_account_is_refused(app: App) {
    let acc = app.account("a").await;
    for count in [0, 10_001] {
        batch(&app, &acc, "ethereum", count)
            .await
            .err(400, "INVALID_ARGUMENT");
    }
    batch(&app, "acc_nope", "ethereum", 2)
        .await
        .err(404, "NOT_FOUND");
    assert!(app.all_pages("/v1/wallets/virtual", 500).await.is_empty());
}

async fn a_batch_retried_under_its_key_answers_the_same_wallets(app: App) {
    let acc = app.account("b").await;
    let body = json!({"account_id": acc, "blockchain": "tron", "count": 5});
    let first = app
        .post_idem("/v1/wallets/virtual/batch", "b-1", body.clone())
        .await;
    let again = app
        .post_idem("/v1/wallets/virtual/batch", "b-1", body)
        .await;
    assert_eq!(first.ok(201)["data"], again.ok(201)["data"]);
    let other = json!({"account_id": acc, "blockchain": "tron", "count": 6});
    app.post_idem("/v1/wallets/virtual/batch", "b-1", other)
        .await
        .err(409, "DUPLICATE_OPERATION");
    assert_eq!(app.all_pages("/v1/wallets/virtual", 500).await.len(), 5);
}

async fn pages_of_any_size_give_the_list_in_order_and_a_cursor_survives_inserts(app: App) {
    let acc = app.account("a").await;
    let (first, _) = app.wallet(&acc, "ethereum").await;
    batch(&app, &acc, "ethereum", 40).await.ok(201);
    let listed = app.all_pages("/v1/wallets/virtual", 500).await;
    assert_eq!(listed.len(), 41);
    assert_eq!(listed[0]["id"].as_str(), Some(first.as_str()));
    let by_7 = app.all_pages("/v1/wallets/virtual", 7).await;
    assert_eq!(ids(&by_7), ids(&listed));
    let unique: BTreeSet<String> = ids(&listed).into_iter().collect();
    assert_eq!(unique.len(), listed.len());
    // A cursor taken before new wallets goes on where it was; the new ones come at the end.
    let page = app.get("/v1/wallets/virtual?limit=10").await;
    let cursor = page.ok(200)["next_cursor"].as_str().unwrap().to_owned();
    let newer = batch(&app, &acc, "ethereum", 3).await;
    let rest = app
        .pages_from("/v1/wallets/virtual", 500, Some(cursor))
        .await;
    let mut want = ids(&listed)[10..].to_vec();
    want.extend(ids(newer.ok(201)["data"].as_array().unwrap()));
    assert_eq!(ids(&rest), want);
}

async fn wallet_lists_filter_by_chain_account_and_status(app: App) {
    let (a, b) = (app.account("a").await, app.account("b").await);
    let made = batch(&app, &a, "ethereum", 6).await;
    let victim = made.ok(201)["data"][2]["id"].as_str().unwrap().to_owned();
    batch(&app, &b, "tron", 5).await.ok(201);
    batch(&app, &b, "ethereum", 3).await.ok(201);
    let tron = app
        .all_pages("/v1/wallets/virtual?blockchain=tron", 500)
        .await;
    assert_eq!(tron.len(), 5);
    assert!(tron.iter().all(|w| w["blockchain"] == "tron"));
    let of_b = app
        .all_pages(&format!("/v1/wallets/virtual?account_id={b}"), 500)
        .await;
    assert_eq!(of_b.len(), 8);
    app.post(
        &format!("/v1/wallets/virtual/{victim}/deactivate"),
        json!({}),
    )
    .await
    .ok(200);
    let inactive = app
        .all_pages("/v1/wallets/virtual?status=inactive", 500)
        .await;
    assert_eq!(ids(&inactive), [victim]);
    let active = "/v1/wallets/virtual?status=active&blockchain=ethereum";
    assert_eq!(app.all_pages(active, 500).await.len(), 6 + 3 - 1);
}

async fn unknown_list_parameters_and_bad_values_are_refused(app: App) {
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
        app.get(bad).await.err(400, "INVALID_ARGUMENT");
    }
    app.get("/v1/wallets/virtual?blockchain=narnia")
        .await
        .err(404, "UNKNOWN_CHAIN");
}

/// Five accounts, three with a treasury wallet, a card and a virtual card; two wallets of the
/// first (Ethereum and Tron) and four USDT deposits to its Ethereum wallet; three keys and three
/// access levels. The Ethereum wallet: (id, address).
async fn a_client_with_a_bit_of_everything(app: &App) -> (Vec<String>, String) {
    let mut accounts = Vec::new();
    for i in 0..5 {
        accounts.push(app.account(&format!("acc{i}")).await);
    }
    for acc in &accounts[..3] {
        let treasury = json!({"account_id": acc, "blockchain": "ethereum"});
        app.post("/v1/treasury", treasury).await.ok(201);
        let card = json!({"account_id": acc, "number": "4242424242424242", "expiry": "12/39"});
        app.post("/v1/cards", card).await.ok(201);
        let vcard = json!({"account_id": acc});
        app.post("/v1/virtual-cards", vcard).await.ok(201);
    }
    let (w, addr) = app.wallet(&accounts[0], "ethereum").await;
    app.wallet(&accounts[0], "tron").await;
    for i in 0..4 {
        app.deposit(&addr, "USDT", "5", &format!("dep-{i}")).await;
    }
    for i in 0..3 {
        app.key_with(&["WALLETS_READ"]).await;
        let level = json!({"name": format!("level{i}"), "permissions": ["WALLETS_READ"]});
        app.post("/v1/management/access-levels", level)
            .await
            .ok(201);
    }
    (accounts, w)
}

async fn every_list_pages_the_same_at_any_size_and_refuses_unknown_parameters(app: App) {
    a_client_with_a_bit_of_everything(&app).await;
    for (path, want) in [
        ("/v1/accounts", 5),
        ("/v1/treasury", 3),
        ("/v1/cards", 3),
        ("/v1/virtual-cards", 3),
        ("/v1/wallets/holding", 2),
        ("/v1/management/api-keys", 4),
        ("/v1/management/access-levels", 3),
        ("/v1/transactions?type=deposit", 4),
    ] {
        let by_1 = app.all_pages(path, 1).await;
        let by_500 = app.all_pages(path, 500).await;
        assert_eq!(by_1, by_500, "{path}");
        assert_eq!(by_500.len(), want, "{path}");
        let sep = if path.contains('?') { '&' } else { '?' };
        app.get(&format!("{path}{sep}unknown=1"))
            .await
            .err(400, "INVALID_ARGUMENT");
    }
}

async fn deliveries_list_every_event_once_by_status(app: App) {
    a_client_with_a_bit_of_everything(&app).await;
    let events = app.all_pages("/v1/webhooks/deliveries", 3).await;
    assert!(events.len() >= 10, "{}", events.len());
    assert_eq!(events, app.all_pages("/v1/webhooks/deliveries", 500).await);
    let pending = app
        .all_pages("/v1/webhooks/deliveries?status=pending", 500)
        .await;
    let delivered = app
        .all_pages("/v1/webhooks/deliveries?status=delivered", 500)
        .await;
    assert_eq!(pending.len() + delivered.len(), events.len());
}

async fn transactions_filter_by_chain_account_and_token(app: App) {
    let (accounts, _) = a_client_with_a_bit_of_everything(&app).await;
    let of_acc = format!("/v1/transactions?type=deposit&account_id={}", accounts[0]);
    let other = format!("/v1/transactions?type=deposit&account_id={}", accounts[1]);
    for (path, want) in [
        ("/v1/transactions?type=deposit&blockchain=ethereum", 4),
        ("/v1/transactions?type=deposit&blockchain=tron", 0),
        (of_acc.as_str(), 4),
        (other.as_str(), 0),
        ("/v1/transactions?type=deposit&token=usdc", 0),
        ("/v1/transactions?type=deposit&token=USDT", 4),
    ] {
        assert_eq!(app.all_pages(path, 2).await.len(), want, "{path}");
    }
}

async fn a_balance_from_rows_agrees_with_the_statement(app: App) {
    let (_, w) = a_client_with_a_bit_of_everything(&app).await;
    let statement = app
        .get(&format!("/v1/wallets/virtual/{w}/statement?limit=1"))
        .await;
    let after = statement.ok(200)["data"][0]["balance_after"].clone();
    assert_eq!(after, "20");
    assert_eq!(app.total(&w).await, "20");
}

crate::on_both!(
    a_batch_makes_wallets_with_the_next_indices_and_their_own_addresses,
    a_batch_beyond_the_contract_makes_no_wallet,
    a_batch_of_no_wallet_too_many_or_for_no_account_is_refused,
    a_batch_retried_under_its_key_answers_the_same_wallets,
    pages_of_any_size_give_the_list_in_order_and_a_cursor_survives_inserts,
    wallet_lists_filter_by_chain_account_and_status,
    unknown_list_parameters_and_bad_values_are_refused,
    every_list_pages_the_same_at_any_size_and_refuses_unknown_parameters,
    deliveries_list_every_event_once_by_status,
    transactions_filter_by_chain_account_and_token,
    a_balance_from_rows_agrees_with_the_statement,
);
