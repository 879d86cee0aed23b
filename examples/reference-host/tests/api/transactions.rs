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

crate::on_both!(
    a_transfer_is_listed_under_both_wallets,
    settings_set_through_two_routes_are_both_kept,
);
