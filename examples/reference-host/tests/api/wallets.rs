//! Virtual wallets: creation, deposit addresses, the batch endpoint, filters and balances.

use crate::app::App;
use serde_json::json;

async fn the_first_wallet_of_a_chain_makes_its_holding_wallet(app: App) {
    let acc = app.account("a").await;
    let first = app
        .post(
            "/v1/wallets/virtual",
            json!({"account_id": acc, "blockchain": "ethereum"}),
        )
        .await;
    assert_eq!(first.ok(201)["holding_created"], true);
    assert_eq!(first.ok(201)["index"], 0);
    let second = app
        .post(
            "/v1/wallets/virtual",
            json!({"account_id": acc, "blockchain": "ethereum"}),
        )
        .await;
    assert_eq!(second.ok(201)["holding_created"], false);
    assert_eq!(second.ok(201)["index"], 1);
    let holding = app.get("/v1/wallets/holding/ethereum").await;
    assert!(holding.ok(200)["xpub"]
        .as_str()
        .unwrap()
        .starts_with("xpub"));
}

async fn a_batch_makes_every_wallet_with_consecutive_indexes(app: App) {
    let acc = app.account("a").await;
    let r = app
        .post(
            "/v1/wallets/virtual/batch",
            json!({"account_id": acc, "blockchain": "tron", "count": 25}),
        )
        .await;
    let data = r.ok(201)["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 25);
    for (i, w) in data.iter().enumerate() {
        assert_eq!(w["index"], i);
        assert!(w["address"].as_str().unwrap().starts_with('T'));
    }
}

async fn the_list_filters_by_blockchain(app: App) {
    let acc = app.account("a").await;
    app.wallet(&acc, "ethereum").await;
    let (tron, _) = app.wallet(&acc, "tron").await;
    let r = app.get("/v1/wallets/virtual?blockchain=tron").await;
    let data = r.ok(200)["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], tron.as_str());
}

async fn a_deposit_is_credited_pending_at_once(app: App) {
    let acc = app.account("a").await;
    let (id, addr) = app.wallet(&acc, "ethereum").await;
    let d = app
        .post(
            "/v1/simulate/deposit",
            json!({"address": addr, "token": "USDT", "amount": "25"}),
        )
        .await;
    assert_eq!(d.ok(201)["credited"], "25");
    let w = app.get(&format!("/v1/wallets/virtual/{id}")).await;
    let usdt = &w.ok(200)["balances"]["USDT"];
    assert_eq!(
        (&usdt["total"], &usdt["unconfirmed"]),
        (&json!("25"), &json!("25"))
    );
}

async fn a_frozen_wallet_receives_but_does_not_send(app: App) {
    let acc = app.account("a").await;
    let (id, addr) = app.wallet(&acc, "ethereum").await;
    let (other, _) = app.wallet(&acc, "ethereum").await;
    app.post(
        &format!("/v1/wallets/virtual/{id}/freeze"),
        json!({"reason": "review"}),
    )
    .await
    .ok(200);
    app.post(
        "/v1/simulate/deposit",
        json!({"address": addr, "token": "USDT", "amount": "5"}),
    )
    .await
    .ok(201);
    app.post(
        &format!("/v1/wallets/virtual/{id}/transfer"),
        json!({"to_wallet_id": other, "token": "USDT", "amount": "1"}),
    )
    .await
    .err(422, "WALLET_FROZEN");
}

async fn tokens_are_listed_per_blockchain(app: App) {
    let t = app.get("/v1/tokens?blockchain=tron").await;
    let tokens = t.ok(200)["tokens"].as_array().unwrap().clone();
    assert!(tokens.iter().all(|t| t["blockchain"] == "tron"));
    assert!(tokens.iter().any(|t| t["symbol"] == "USDT"
        && t["contract"] == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        && t["decimals"] == 6));
    app.get("/v1/tokens?blockchain=nochain")
        .await
        .err(404, "UNKNOWN_CHAIN");
}

async fn the_contract_caps_active_wallets_and_a_deactivated_one_frees_a_slot(app: App) {
    app.put(
        "/v1/management/contracted-products",
        json!({"max_virtual_wallets": 2}),
    )
    .await
    .ok(200);
    let acc = app.account("a").await;
    let (a, _) = app.wallet(&acc, "ethereum").await;
    app.wallet(&acc, "tron").await;
    let third = json!({"account_id": acc, "blockchain": "ethereum"});
    app.post("/v1/wallets/virtual", third.clone())
        .await
        .err(422, "CONTRACT_LIMIT_REACHED");
    let r = app
        .post(&format!("/v1/wallets/virtual/{a}/deactivate"), json!({}))
        .await;
    assert_eq!(r.ok(200)["status"], "inactive");
    let (b, _) = app.wallet(&acc, "ethereum").await;
    let got = app.get(&format!("/v1/wallets/virtual/{b}")).await;
    assert_eq!(got.ok(200)["index"], 1, "indexes are never reused");
    app.post(&format!("/v1/wallets/virtual/{a}/activate"), json!({}))
        .await
        .err(422, "CONTRACT_LIMIT_REACHED");
    app.post(&format!("/v1/wallets/virtual/{b}/deactivate"), json!({}))
        .await
        .ok(200);
    let r = app
        .post(&format!("/v1/wallets/virtual/{a}/activate"), json!({}))
        .await;
    assert_eq!(r.ok(200)["status"], "active");
    let c = app.get("/v1/management/contracted-products").await;
    let usage = &c.ok(200)["usage"];
    assert_eq!(
        (
            &usage["active_virtual_wallets"],
            &usage["inactive_virtual_wallets"]
        ),
        (&json!(2), &json!(1))
    );
}

/// Every deposit address is the one the holding wallet's shown xpub derives at the wallet's
/// index (checked with `waas derive`, the derivation a dashboard runs in the browser).
async fn deposit_addresses_derive_from_the_holding_xpub(app: App) {
    let acc = app.account("alice").await;
    for chain in ["ethereum", "tron"] {
        let mut wallets = Vec::new();
        for _ in 0..3 {
            wallets.push(app.wallet(&acc, chain).await);
        }
        let holding = app.get(&format!("/v1/wallets/holding/{chain}")).await;
        let xpub = holding.ok(200)["xpub"].as_str().unwrap().to_owned();
        assert!(xpub.starts_with("xpub"), "{}", holding.json);
        for (id, address) in wallets {
            let w = app.get(&format!("/v1/wallets/virtual/{id}")).await;
            let index = w.ok(200)["index"].as_i64().unwrap().to_string();
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_waas"))
                .args([
                    "derive", "--chain", chain, "--xpub", &xpub, "--index", &index,
                ])
                .output()
                .unwrap();
            let line = String::from_utf8(out.stdout).unwrap();
            assert_eq!(
                line.trim(),
                format!("{index} {address}"),
                "{chain} wallet {id}"
            );
        }
    }
}

crate::on_both!(
    deposit_addresses_derive_from_the_holding_xpub,
    tokens_are_listed_per_blockchain,
    the_contract_caps_active_wallets_and_a_deactivated_one_frees_a_slot,
    the_first_wallet_of_a_chain_makes_its_holding_wallet,
    a_batch_makes_every_wallet_with_consecutive_indexes,
    the_list_filters_by_blockchain,
    a_deposit_is_credited_pending_at_once,
    a_frozen_wallet_receives_but_does_not_send,
);
