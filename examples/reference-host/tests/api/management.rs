//! Management: the catalogs, the company configuration, contracted products, API keys and
//! client isolation.

use crate::app::App;
use serde_json::json;

const EVM_OUT: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";
const TRON_OUT: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn the_blockchains_include_ethereum_and_tron(app: App) {
    let chains = app.get("/v1/management/blockchains").await;
    let ids: Vec<&str> = chains.ok(200)["blockchains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"ethereum") && ids.contains(&"tron"),
        "{ids:?}"
    );
}

async fn the_configuration_keeps_its_secrets_out_of_answers(app: App) {
    let body = json!({"webhook_url": "http://127.0.0.1:9/hook", "webhook_key": "k-123", "webhook_secret": SECRET,
        "payment_addresses": {"ethereum": EVM_OUT.to_lowercase(), "tron": TRON_OUT}, "min_reserve_ratio": "1"});
    app.put("/v1/management/configurations", body).await.ok(200);
    let c = app.get("/v1/management/configurations").await;
    let c = c.ok(200);
    assert_eq!(c["webhook_url"], "http://127.0.0.1:9/hook");
    assert_eq!(
        (&c["webhook_key_set"], &c["webhook_secret_set"]),
        (&json!(true), &json!(true))
    );
    // payment addresses are kept in their canonical (checksummed) form
    assert_eq!(c["payment_addresses"]["ethereum"], EVM_OUT);
    assert_eq!(c["payment_addresses"]["tron"], TRON_OUT);
    assert!(
        !c.to_string().contains("k-123"),
        "the webhook key leaks: {c}"
    );
    assert!(!c.to_string().contains(SECRET), "the secret leaks: {c}");
}

/// `waas_outbox_pending` as `/metrics` shows it.
async fn outbox_pending(app: &App) -> i64 {
    let r = app.get("/metrics").await;
    let text = r.ok(200).as_str().unwrap().to_owned();
    let line = text
        .lines()
        .find(|l| l.starts_with("waas_outbox_pending "))
        .unwrap_or_else(|| panic!("no waas_outbox_pending in\n{text}"));
    line["waas_outbox_pending ".len()..].trim().parse().unwrap()
}

async fn parked_events_are_not_counted_as_pending_until_an_endpoint_is_set(app: App) {
    // No endpoint: the account's event is written parked.
    app.account("a").await;
    assert_eq!(outbox_pending(&app).await, 0);
    // An endpoint makes the parked events due (no dispatcher runs in this process, so none
    // is sent), and the next event is written due.
    let body = json!({"webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": SECRET});
    app.put("/v1/management/configurations", body).await.ok(200);
    let due = outbox_pending(&app).await;
    assert!(due >= 1, "the parked event is due now: {due}");
    app.account("b").await;
    assert_eq!(outbox_pending(&app).await, due + 1);
}

async fn a_bad_secret_or_url_is_refused_with_its_code(app: App) {
    app.put(
        "/v1/management/configurations",
        json!({"webhook_secret": "whsec_!!!"}),
    )
    .await
    .err(400, "INVALID_SECRET");
    app.put(
        "/v1/management/configurations",
        json!({"webhook_url": "ftp://x"}),
    )
    .await
    .err(400, "INVALID_WEBHOOK_URL");
}

async fn contracted_products_are_set_and_read_back(app: App) {
    let r = app
        .put(
            "/v1/management/contracted-products",
            json!({"max_virtual_wallets": 2, "max_cards": 1}),
        )
        .await;
    assert_eq!(r.ok(200)["max_virtual_wallets"], 2);
    let c = app.get("/v1/management/contracted-products").await;
    assert_eq!(
        (&c.ok(200)["max_virtual_wallets"], &c.ok(200)["max_cards"]),
        (&json!(2), &json!(1))
    );
}

async fn a_key_is_shown_once_works_within_its_permissions_and_dies_when_revoked(app: App) {
    let made = app
        .post(
            "/v1/management/api-keys",
            json!({"permissions": ["WALLETS_READ"]}),
        )
        .await;
    let made = made.ok(201).clone();
    let reader = made["key"].as_str().unwrap().to_owned();
    assert!(reader.starts_with("waas_test_"));
    let keys = app.get("/v1/management/api-keys").await;
    assert_eq!(keys.ok(200)["data"].as_array().unwrap().len(), 2);
    assert!(
        !keys.json.to_string().contains(&reader),
        "a listed key shows its secret"
    );
    let as_reader = |method: &'static str, path: &'static str| {
        let reader = reader.clone();
        let app = &app;
        async move { app.send(Some(&reader), method, path, &[], None).await }
    };
    as_reader("GET", "/v1/wallets/virtual").await.ok(200);
    as_reader("GET", "/v1/management/api-keys")
        .await
        .err(403, "FORBIDDEN");
    app.delete(&format!(
        "/v1/management/api-keys/{}",
        made["id"].as_str().unwrap()
    ))
    .await
    .ok(200);
    as_reader("GET", "/v1/wallets/virtual")
        .await
        .err(401, "UNAUTHORIZED");
}

async fn a_key_with_an_unknown_or_no_permission_is_refused(app: App) {
    app.post(
        "/v1/management/api-keys",
        json!({"permissions": ["WALLETS_READ", "ROOT"]}),
    )
    .await
    .err(400, "INVALID_ARGUMENT");
    app.post("/v1/management/api-keys", json!({"permissions": []}))
        .await
        .err(400, "INVALID_ARGUMENT");
}

async fn a_second_client_sees_nothing_of_the_first(app: App) {
    let acc = app.account("first").await;
    let r = app
        .post("/v1/management/clients", json!({"name": "second"}))
        .await;
    let other = r.ok(201)["api_key"].as_str().unwrap().to_owned();
    let clients = app.get("/v1/management/clients").await;
    assert_eq!(clients.ok(200)["data"].as_array().unwrap().len(), 2);
    let accounts = app
        .send(Some(&other), "GET", "/v1/accounts", &[], None)
        .await;
    assert_eq!(accounts.ok(200)["data"].as_array().unwrap().len(), 0);
    let path = format!("/v1/accounts/{acc}");
    app.send(Some(&other), "GET", &path, &[], None)
        .await
        .err(404, "NOT_FOUND");
    let body = json!({"account_id": acc, "blockchain": "ethereum"});
    app.send(Some(&other), "POST", "/v1/wallets/virtual", &[], Some(body))
        .await
        .err(404, "NOT_FOUND");
}

async fn health_and_the_document_need_no_key(app: App) {
    app.send(None, "GET", "/healthz", &[], None).await.ok(200);
    let doc = app.send(None, "GET", "/openapi.json", &[], None).await;
    assert!(doc.ok(200)["paths"]["/v1/wallets/virtual/{id}/transfer"]["post"].is_object());
}

crate::on_both!(
    the_blockchains_include_ethereum_and_tron,
    the_configuration_keeps_its_secrets_out_of_answers,
    parked_events_are_not_counted_as_pending_until_an_endpoint_is_set,
    a_bad_secret_or_url_is_refused_with_its_code,
    contracted_products_are_set_and_read_back,
    a_key_is_shown_once_works_within_its_permissions_and_dies_when_revoked,
    a_key_with_an_unknown_or_no_permission_is_refused,
    a_second_client_sees_nothing_of_the_first,
    health_and_the_document_need_no_key,
);
