//! The writer connection's durability setting as batches and other writers take turns on it, and
//! the indexes reads of one account's wallets go through.

use super::Store;
use sqlx::Row;

/// `PRAGMA synchronous` of the connection: 1 is NORMAL, 2 is FULL.
async fn synchronous(conn: &mut sqlx::AnyConnection) -> i64 {
    sqlx::query("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

/// A store on a new SQLite file in a directory of its own (removed by the test at its end).
async fn store_in(name: &str) -> (Store, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("waas-store-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.join("s.db").display()))
        .await
        .unwrap();
    (store, dir)
}

/// A batch runs at NORMAL (the WAL syncer makes it durable before its answers); any other writer
/// that takes the connection after it finds FULL again, and a run of batches keeps NORMAL.
#[tokio::test]
async fn other_writers_find_full_sync_after_a_batch() {
    let (store, dir) = store_in("sync").await;
    let mut other = store.pool().acquire().await.unwrap();
    assert_eq!(synchronous(&mut other).await, 2, "a new connection is FULL");
    drop(other);
    for _ in 0..2 {
        let mut batch = store.begin_batch().await.unwrap();
        assert_eq!(synchronous(&mut batch).await, 1, "a batch runs at NORMAL");
        batch.commit().await.unwrap();
    }
    let mut other = store.pool().acquire().await.unwrap();
    assert_eq!(
        synchronous(&mut other).await,
        2,
        "another writer finds FULL"
    );
    drop(other);
    let mut batch = store.begin_batch().await.unwrap();
    assert_eq!(synchronous(&mut batch).await, 1);
    batch.commit().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// SQLite's plan for a statement (its parameters unbound), its steps joined.
async fn plan(store: &Store, sql: &str) -> String {
    let rows = sqlx::raw_sql(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(store.reader())
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String, _>("detail").unwrap())
        .collect::<Vec<_>>()
        .join("; ")
}

/// An account's page and the wallet list filtered by account read the account's wallets
/// through the index by account, not by scanning the client's (or every) wallet.
#[tokio::test]
async fn an_accounts_wallets_are_read_through_its_index() {
    let (store, dir) = store_in("plan").await;
    let list = format!(
        "{} AND (created_at, id) > ($5, $6) ORDER BY created_at, id LIMIT $7",
        crate::host::api::virtual_wallets::reads::list_select(true)
    );
    for sql in [crate::host::api::accounts::ACCOUNT_WALLETS, list.as_str()] {
        let got = plan(&store, sql).await;
        assert!(
            got.contains("USING INDEX wallets_by_account"),
            "{sql}\nplan: {got}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
