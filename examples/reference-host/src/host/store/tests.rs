//! The writer connection's durability setting as batches and other writers take turns on it.

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

/// A batch runs at NORMAL (the WAL syncer makes it durable before its answers); any other writer
/// that takes the connection after it finds FULL again, and a run of batches keeps NORMAL.
#[tokio::test]
async fn other_writers_find_full_sync_after_a_batch() {
    let dir = std::env::temp_dir().join(format!("waas-store-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.join("s.db").display()))
        .await
        .unwrap();
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
