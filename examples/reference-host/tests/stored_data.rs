#![allow(clippy::unwrap_used)]
//! Stored data that cannot be read back is an error with a code and a log line, never a silent
//! default: a transaction whose stored body was damaged answers 500 `CORRUPT_RECORD` (the server
//! logs what it could not read), damaged settings too, and everything else keeps working.

mod support;

use serde_json::json;
use support::api::{setup, Api};
use support::{rt, Backend, Opts};

/// Runs one statement on the test's database, behind the host's back.
fn damage(url: &str, sql: &str, id: &str) {
    rt().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await.unwrap();
        let done = sqlx::query(sql).bind(id).execute(&pool).await.unwrap();
        assert_eq!(done.rows_affected(), 1, "{sql}");
    });
}

#[test]
fn damaged_rows_answer_corrupt_record() {
    let Some((db, s)) = setup(Backend::Sqlite, "stored_data", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("alice");
    let (vw, _) = api.funded(&acc, "ethereum", "10");
    let wd = api
        .post(
            &format!("/v1/wallets/virtual/{vw}/withdraw"),
            json!({"to_address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "token": "USDT", "amount": "1"}),
        )
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.get(&format!("/v1/transactions/{wd}")).ok(200);

    damage(
        &db.url,
        "UPDATE transactions SET body = '{\"status\": ' WHERE id = $1",
        &wd,
    );
    api.get(&format!("/v1/transactions/{wd}"))
        .err(500, "CORRUPT_RECORD");
    assert!(
        s.log().contains("stored data cannot be read"),
        "the server logs the damaged row"
    );
    // The rest of the client's data still answers.
    api.get(&format!("/v1/wallets/virtual/{vw}")).ok(200);

    // Damaged settings are not replaced by defaults (which would drop the webhook URL and
    // secrets without a word).
    api.put(
        "/v1/management/configurations",
        json!({"payment_addresses": {"ethereum": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}}),
    )
    .ok(200);
    let client: String = rt().block_on(async {
        use sqlx::Row;
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        sqlx::query("SELECT client_id FROM settings")
            .fetch_one(&pool)
            .await
            .unwrap()
            .try_get("client_id")
            .unwrap()
    });
    damage(
        &db.url,
        "UPDATE settings SET body = 'not json' WHERE client_id = $1",
        &client,
    );
    api.get("/v1/management/configurations")
        .err(500, "CORRUPT_RECORD");
    api.get(&format!("/v1/wallets/virtual/{vw}")).ok(200);
}
