//! Card top-ups move money: a top-up debits a wallet of the same client and credits the card its
//! USD value (the 10 USD minimum checked on that value), a refund returns the card's USD to a
//! wallet, a removed card frees its contract slot, and the journal still verifies. A live host
//! values a card only at the platform's prices and funds it only from a wallet.

use crate::app::App;
use serde_json::json;

/// Registers the test card number under an account; its id.
async fn card(app: &App, account: &str) -> String {
    let body = json!({"account_id": account, "number": "4242424242424242", "expiry": "12/39"});
    let r = app.post("/v1/cards", body).await;
    r.ok(201)["id"].as_str().unwrap().to_owned()
}

/// An account with a wallet funded with 100 USDT and a card: (account, wallet, card).
async fn wallet_and_card(app: &App) -> (String, String, String) {
    let acc = app.account("alice").await;
    let (vw, _) = app.funded(&acc, "ethereum", "100").await;
    let card = card(app, &acc).await;
    (acc, vw, card)
}

async fn card_usd(app: &App, card: &str) -> String {
    let c = app.get(&format!("/v1/cards/{card}")).await;
    c.ok(200)["balance_usd"].as_str().unwrap().to_owned()
}

async fn liabilities(app: &App) -> String {
    let r = app.get("/v1/wallets/holding/ethereum/reserve").await;
    r.ok(200)["reserve"]["USDT"]["liabilities"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn top_up(app: &App, card: &str, from: &str, amount: &str) -> crate::app::Answer {
    let body = json!({"from_wallet_id": from, "token": "USDT", "amount": amount});
    app.post(&format!("/v1/cards/{card}/deposit"), body).await
}

async fn a_top_up_moves_the_usd_value_from_a_wallet_onto_the_card(app: App) {
    let (_, vw, card) = wallet_and_card(&app).await;
    assert_eq!(liabilities(&app).await, "100");
    // 30 USDT from the wallet onto the card: 30 USD (a stablecoin is worth 1 USD).
    let r = top_up(&app, &card, &vw, "30").await;
    assert_eq!(r.ok(201)["credited_usd"], "30");
    assert_eq!(app.total(&vw).await, "70");
    assert_eq!(card_usd(&app, &card).await, "30");
    assert_eq!(liabilities(&app).await, "70");
    for path in [
        format!("/v1/wallets/virtual/{vw}/transactions"),
        format!("/v1/cards/{card}/transactions"),
    ] {
        let list = app.get(&path).await;
        let listed = list.ok(200)["data"].as_array().unwrap();
        assert!(
            listed.iter().any(|t| t["id"] == r.json["id"]),
            "{path}: {}",
            list.json
        );
    }
}

async fn a_top_up_under_the_minimum_beyond_the_balance_or_across_clients_is_refused(app: App) {
    let (_, vw, card) = wallet_and_card(&app).await;
    top_up(&app, &card, &vw, "30").await.ok(201);
    top_up(&app, &card, &vw, "9.99")
        .await
        .err(422, "BELOW_MINIMUM_DEPOSIT");
    top_up(&app, &card, &vw, "70.01")
        .await
        .err(422, "INSUFFICIENT_FUNDS");
    let other = app
        .post("/v1/management/clients", json!({"name": "other"}))
        .await;
    let other_key = other.ok(201)["api_key"].as_str().unwrap().to_owned();
    let as_other =
        |path: &'static str, body| app.send(Some(&other_key), "POST", path, &[], Some(body));
    let other_acc = as_other("/v1/accounts", json!({"name": "bob"})).await;
    let other_acc = other_acc.ok(201)["id"].as_str().unwrap().to_owned();
    let body = json!({"account_id": other_acc, "blockchain": "ethereum"});
    let other_vw = as_other("/v1/wallets/virtual", body).await;
    let other_vw = other_vw.ok(201)["id"].as_str().unwrap().to_owned();
    top_up(&app, &card, &other_vw, "10")
        .await
        .err(404, "NOT_FOUND");
    let refund = json!({"to_wallet_id": other_vw, "token": "USDT"});
    let path = format!("/v1/cards/{card}/refund");
    app.send(Some(&other_key), "POST", &path, &[], Some(refund))
        .await
        .err(404, "NOT_FOUND");
    assert_eq!(app.total(&vw).await, "70");
    assert_eq!(card_usd(&app, &card).await, "30");
}

async fn a_refund_returns_the_card_usd_to_a_wallet(app: App) {
    let (_, vw, card) = wallet_and_card(&app).await;
    top_up(&app, &card, &vw, "30").await.ok(201);
    let refund = format!("/v1/cards/{card}/refund");
    let r = app
        .post(
            &refund,
            json!({"to_wallet_id": vw, "token": "USDT", "amount": "12.5"}),
        )
        .await;
    assert_eq!(r.ok(201)["amount"], "12.5");
    assert_eq!(card_usd(&app, &card).await, "17.5");
    // Without an amount: the rest.
    app.post(&refund, json!({"to_wallet_id": vw, "token": "USDT"}))
        .await
        .ok(201);
    assert_eq!(card_usd(&app, &card).await, "0");
    assert_eq!(app.total(&vw).await, "100");
    assert_eq!(liabilities(&app).await, "100");
}

async fn a_removed_card_frees_its_contract_slot(app: App) {
    app.put(
        "/v1/management/contracted-products",
        json!({"max_cards": 1}),
    )
    .await
    .ok(200);
    let (acc, _, first) = wallet_and_card(&app).await;
    let body = json!({"account_id": acc, "number": "4000056655665556", "expiry": "12/39"});
    app.post("/v1/cards", body)
        .await
        .err(422, "CONTRACT_LIMIT_REACHED");
    app.delete(&format!("/v1/cards/{first}")).await.ok(200);
    assert_ne!(card(&app, &acc).await, first);
}

async fn the_journal_with_card_funding_verifies(app: App) {
    let (_, vw, card) = wallet_and_card(&app).await;
    top_up(&app, &card, &vw, "30").await.ok(201);
    let body = json!({"to_wallet_id": vw, "token": "USDT"});
    app.post(&format!("/v1/cards/{card}/refund"), body)
        .await
        .ok(201);
    let export = app.get("/v1/journal/export").await;
    assert_eq!(export.status, 200);
    let text = export.json.as_str().unwrap();
    let verified = waas_core::ledger::journal::verify(text).expect("the export verifies");
    assert!(verified.entries > 0);
}

crate::on_both!(
    a_top_up_moves_the_usd_value_from_a_wallet_onto_the_card,
    a_top_up_under_the_minimum_beyond_the_balance_or_across_clients_is_refused,
    a_refund_returns_the_card_usd_to_a_wallet,
    a_removed_card_frees_its_contract_slot,
    the_journal_with_card_funding_verifies,
);

/// A live host values a card only at the platform's prices and funds it only from a wallet.
#[tokio::test]
async fn live_funds_cards_from_wallets_at_platform_prices() {
    let app = App::live().await;
    let acc = app.account("alice").await;
    let (vw, _) = app.wallet(&acc, "ethereum").await;
    let credit = json!({"to_wallet_id": vw, "token": "ETH", "amount": "1"});
    app.post("/v1/wallets/holding/ethereum/transfer", credit)
        .await
        .ok(201);
    let card = card(&app, &acc).await;
    let path = format!("/v1/cards/{card}/deposit");
    // A caller-chosen price is refused, and so is funding from nowhere.
    let priced =
        json!({"from_wallet_id": vw, "token": "ETH", "amount": "0.01", "usd_price": "100000000"});
    app.post(&path, priced).await.err(400, "INVALID_ARGUMENT");
    app.post(&path, json!({"token": "USDT", "amount": "1000000"}))
        .await
        .err(400, "INVALID_ARGUMENT");
    // No platform price for ETH yet: refused; with the root's own price list: funded at it.
    let top_up = json!({"from_wallet_id": vw, "token": "ETH", "amount": "0.01"});
    app.post(&path, top_up.clone())
        .await
        .err(400, "INVALID_ARGUMENT");
    let clients = app.get("/v1/management/clients").await;
    let root = clients.ok(200)["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.put(
        &format!("/v1/management/clients/{root}/policy"),
        json!({"usd_prices": {"ETH": "2000"}}),
    )
    .await
    .ok(200);
    let r = app.post(&path, top_up).await;
    assert_eq!(r.ok(201)["credited_usd"], "20");
    assert_eq!(card_usd(&app, &card).await, "20");
    let w = app.get(&format!("/v1/wallets/virtual/{vw}")).await;
    assert_eq!(w.ok(200)["balances"]["ETH"]["total"], "0.99");
}
