//! Accounts: create, read, list, rename, delete, and what each refuses.

use crate::app::App;
use serde_json::json;

async fn an_account_is_created_and_read_back(app: App) {
    let id = app.account("alice").await;
    assert!(id.starts_with("acc_"), "{id}");
    let a = app.get(&format!("/v1/accounts/{id}")).await;
    assert_eq!(a.ok(200)["name"], "alice");
}

async fn the_list_pages_with_cursors_and_misses_nothing(app: App) {
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(app.account(&format!("a{i}")).await);
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/v1/accounts?limit=2&cursor={cursor}"))
            .await;
        let page = page.ok(200);
        assert!(page["data"].as_array().unwrap().len() <= 2);
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, made, "oldest first, each once");
}

async fn an_unknown_account_is_not_found(app: App) {
    app.get("/v1/accounts/acc_nope").await.err(404, "NOT_FOUND");
}

async fn an_account_is_renamed_and_deleted(app: App) {
    let id = app.account("old").await;
    let r = app
        .patch(&format!("/v1/accounts/{id}"), json!({"name": "new"}))
        .await;
    assert_eq!(r.ok(200)["name"], "new");
    app.delete(&format!("/v1/accounts/{id}")).await.ok(200);
    app.get(&format!("/v1/accounts/{id}"))
        .await
        .err(404, "NOT_FOUND");
}

async fn an_account_with_hundreds_of_wallets_is_judged_not_failed(app: App) {
    // Its wallets are loaded in one statement per 1,000 (once 500 per statement of 1,000
    // branches, more than SQLite compounds: a 500 "database error").
    let id = app.account("big").await;
    let made = app
        .post(
            "/v1/wallets/virtual/batch",
            json!({"account_id": id, "blockchain": "ethereum", "count": 600}),
        )
        .await;
    assert_eq!(made.ok(201)["data"].as_array().unwrap().len(), 600);
    let r = app.delete(&format!("/v1/accounts/{id}")).await;
    let e = r.err(400, "INVALID_ARGUMENT");
    assert!(
        e["message"].as_str().unwrap().contains("has wallets"),
        "{e}"
    );
}

async fn a_retry_with_the_same_idempotency_key_answers_the_first_answer(app: App) {
    let first = app
        .post_idem("/v1/accounts", "acc-1", json!({"name": "b"}))
        .await;
    let again = app
        .post_idem("/v1/accounts", "acc-1", json!({"name": "b"}))
        .await;
    assert_eq!(first.ok(201), again.ok(201));
    app.post_idem("/v1/accounts", "acc-1", json!({"name": "c"}))
        .await
        .err(409, "DUPLICATE_OPERATION");
    let list = app.get("/v1/accounts").await;
    assert_eq!(list.ok(200)["data"].as_array().unwrap().len(), 1);
}

async fn an_unknown_field_is_refused_with_a_code(app: App) {
    let r = app
        .post("/v1/accounts", json!({"name": "x", "colour": "red"}))
        .await;
    r.err(400, "INVALID_ARGUMENT");
}

crate::on_both!(
    an_account_is_created_and_read_back,
    the_list_pages_with_cursors_and_misses_nothing,
    an_unknown_account_is_not_found,
    an_account_is_renamed_and_deleted,
    an_account_with_hundreds_of_wallets_is_judged_not_failed,
    a_retry_with_the_same_idempotency_key_answers_the_first_answer,
    an_unknown_field_is_refused_with_a_code,
);
