#![allow(clippy::unwrap_used)]
//! The host keeps PostgreSQL's planner statistics fresh: a table that grew by thousands of rows
//! since it was analyzed is analyzed again at the next check, and one that did not is left alone;
//! after a batch of wallets, the tables are analyzed only once such wallets are a fifth of them.

mod support;

use sqlx::Row;
use support::{rt, Backend, Db};
use waas_host::host::store::{statistics, Store};

/// Rows the planner believes `table` holds (its statistics).
async fn believed(store: &Store, table: &str) -> f64 {
    let row = sqlx::query("SELECT reltuples::float8 AS n FROM pg_class WHERE relname = $1")
        .bind(table)
        .fetch_one(store.pool())
        .await
        .unwrap();
    row.try_get("n").unwrap()
}

#[test]
fn a_table_that_grew_is_analyzed_again_and_a_still_one_is_not() {
    // The database is dropped with `db`, after the store is closed.
    let Some(db) = Db::fresh(Backend::Postgres, "statistics") else {
        return;
    };
    rt().block_on(grows(&db.url));
}

async fn grows(url: &str) {
    let store = Store::open(url).await.unwrap();
    sqlx::query("ANALYZE balances")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(believed(&store, "balances").await < 1.0);
    // A client's first credits after a batch of wallets: 5,000 new balance rows.
    sqlx::query(
        "INSERT INTO balances (client_id, account, token, posted, pending, seq) \
         SELECT 'c1', 'wallet:w' || i, 'USDT', '1', '0', i FROM generate_series(1, 5000) AS i",
    )
    .execute(store.pool())
    .await
    .unwrap();
    // The server counts live rows a moment after the commit: check until it has.
    let mut analyzed = Vec::new();
    for _ in 0..40 {
        analyzed = statistics::refresh(store.pool()).await.unwrap();
        if analyzed.contains(&"balances") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        analyzed.contains(&"balances"),
        "balances grew by 5,000 rows and was not analyzed"
    );
    assert!(believed(&store, "balances").await >= 5000.0);
    // Nothing grew since: the next check analyzes nothing.
    let again = statistics::refresh(store.pool()).await.unwrap();
    assert!(
        again.is_empty(),
        "analyzed tables that did not grow: {again:?}"
    );
}

/// Adds `n` wallet rows straight to the table (as a batch of wallets would).
async fn add_wallets(store: &Store, from: i64, n: i64) {
    sqlx::query(
        "INSERT INTO wallets (id, client_id, kind, created_at) \
         SELECT 'vw_' || i, 'c1', 'virtual', i FROM generate_series($1::bigint, $2::bigint) AS i",
    )
    .bind(from)
    .bind(from + n - 1)
    .execute(store.pool())
    .await
    .unwrap();
}

#[test]
fn wallets_made_in_bulk_are_analyzed_once_they_are_a_fifth_of_the_table() {
    let Some(db) = Db::fresh(Backend::Postgres, "bulk_statistics") else {
        return;
    };
    rt().block_on(bulk(&db.url));
}

async fn bulk(url: &str) {
    let store = Store::open(url).await.unwrap();
    // A table the planner never counted: analyzed after the first batch.
    add_wallets(&store, 0, 5_000).await;
    store.analyze_after_bulk(5_000).await.unwrap();
    assert_eq!(believed(&store, "wallets").await, 5_000.0);
    // 500 more are a tenth of it: left to the planner's scaling (no ANALYZE of tables that may
    // hold millions of rows after each batch).
    add_wallets(&store, 5_000, 500).await;
    store.analyze_after_bulk(500).await.unwrap();
    assert_eq!(believed(&store, "wallets").await, 5_000.0);
    // 600 after those make 1,100 since: more than a fifth, analyzed.
    add_wallets(&store, 5_500, 600).await;
    store.analyze_after_bulk(600).await.unwrap();
    assert_eq!(believed(&store, "wallets").await, 6_100.0);
}
