//! Transactions and settings: where a movement is listed, and settings set through two routes.

use crate::app::App;
use serde_json::json;

async fn a_transfer_is_listed_under_both_wallets(app: App) {
    let acc = app.account("a").await;
    let (a, _) = app.funded(&acc, "ethereum", "20").await;
    let (b, _) = app.wallet(&acc, "ethereum").await;
    let t = app
        .post(
            &format!("/v1/wallets/virtual/{a}/transfer"),
            json!({"to_wallet_id": b, "token": "USDT", "amount": "3"}),
        )
        .await;
    let t = t.ok(201)["id"].as_str().unwrap().to_owned();
    for w in [&a, &b] {
        let list = app
            .get(&format!("/v1/wallets/virtual/{w}/transactions"))
            .await;
        let ids: Vec<&str> = list.ok(200)["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x["id"].as_str())
            .collect();
        assert!(
            ids.contains(&t.as_str()),
            "transfer {t} missing under {w}: {ids:?}"
        );
    }
}

async fn settings_set_through_two_routes_are_both_kept(app: App) {
    app.put(
        "/v1/webhooks/configuration",
        json!({"url": "http://127.0.0.1:9/a"}),
    )
    .await
    .ok(200);
    app.put(
        "/v1/management/configurations",
        json!({"usd_prices": {"ETH": "3000"}}),
    )
    .await
    .ok(200);
    let cfg = app.get("/v1/management/configurations").await;
    assert_eq!(cfg.ok(200)["webhook_url"], "http://127.0.0.1:9/a");
    assert_eq!(cfg.ok(200)["usd_prices"]["ETH"], "3000");
}

async fn a_stored_price_that_cannot_be_read_is_corrupt_record_not_a_default(app: App) {
    app.put(
        "/v1/management/configurations",
        json!({"usd_prices": {"ETH": "3000"}}),
    )
    .await
    .ok(200);
    sqlx::query("UPDATE settings SET body = REPLACE(body, '\"3000\"', '\"3,000\"')")
        .execute(app.state().store.pool())
        .await
        .unwrap();
    app.get("/v1/management/configurations")
        .await
        .err(500, "CORRUPT_RECORD");
}

async fn the_list_pages_filters_and_refuses_bad_queries(app: App) {
    let acc = app.account("a").await;
    let (w1, _) = app.funded(&acc, "ethereum", "20").await;
    let (w2, a2) = app.wallet(&acc, "ethereum").await;
    app.deposit(&a2, "USDT", "3", "dep-pending").await;
    for i in 0..7 {
        app.transfer(&w1, &w2, &format!("0.{}", i + 1))
            .await
            .ok(201);
    }
    let all = app.get("/v1/transactions?limit=500").await;
    let all_ids: Vec<String> = all.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    // the funding deposit, the pending one, seven transfers (sweeps are not listed as their own)
    assert!(all_ids.len() >= 9, "{all_ids:?}");
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/v1/transactions?limit=3&cursor={cursor}"))
            .await;
        let page = page.ok(200).clone();
        let items = page["data"].as_array().unwrap();
        assert!(items.len() <= 3);
        paged.extend(items.iter().map(|t| t["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
        assert!(paged.len() <= all_ids.len(), "pagination does not end");
    }
    assert_eq!(paged, all_ids);
    let transfers = app
        .get(&format!("/v1/transactions?type=transfer&wallet_id={w1}"))
        .await;
    let list = transfers.ok(200)["data"].as_array().unwrap().clone();
    assert_eq!(list.len(), 7);
    assert!(list.iter().all(|t| t["type"] == "transfer"));
    let pending = app
        .get("/v1/transactions?type=deposit&status=pending")
        .await;
    let ids: Vec<&str> = pending.ok(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["dep-pending"]);
    let none = app.get("/v1/transactions?from=0&to=1").await;
    assert_eq!(none.ok(200)["data"].as_array().unwrap().len(), 0);
    for bad in ["limit=0", "cursor=abc", "bogus=1"] {
        app.get(&format!("/v1/transactions?{bad}"))
            .await
            .err(400, "INVALID_ARGUMENT");
    }
    let one = app.get(&format!("/v1/transactions/{}", all_ids[0])).await;
    assert_eq!(one.ok(200)["id"], all_ids[0].as_str());
    app.get("/v1/transactions/nope").await.err(404, "NOT_FOUND");
}

crate::on_both!(
    the_list_pages_filters_and_refuses_bad_queries,
    a_transfer_is_listed_under_both_wallets,
    settings_set_through_two_routes_are_both_kept,
    a_stored_price_that_cannot_be_read_is_corrupt_record_not_a_default,
);
