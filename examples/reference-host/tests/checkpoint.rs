#![allow(clippy::unwrap_used)]
//! SQLite's WAL is copied into the database file beside the writer: a checkpoint through a
//! read-only connection copies every page the writer appended, and the host's checkpointer does
//! it on its own within moments (the writer's own checkpoint waits for thousands of pages).

use std::time::{Duration, Instant};
use waas_host::host::store::{checkpoint, Store};

/// A fresh SQLite store, its file, and a table of its own to fill.
async fn store(name: &str) -> (Store, std::path::PathBuf) {
    let file = std::env::temp_dir().join(format!("waas-ckpt-{}-{name}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let store = Store::open(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE filler (body TEXT NOT NULL)")
        .execute(store.pool())
        .await
        .unwrap();
    (store, file)
}

/// Appends about `pages` pages to the WAL (far below the writer's own checkpoint limit).
async fn fill(store: &Store, pages: usize) {
    let body = "x".repeat(3000);
    for _ in 0..pages {
        sqlx::query("INSERT INTO filler (body) VALUES ($1)")
            .bind(&body)
            .execute(store.pool())
            .await
            .unwrap();
    }
}

/// Closes the store and removes its files.
async fn remove(store: Store, file: &std::path::Path) {
    store.pool().close().await;
    store.reader().close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

fn size(file: &std::path::Path) -> u64 {
    std::fs::metadata(file).unwrap().len()
}

#[tokio::test]
async fn a_reader_copies_the_wal_into_the_database_file() {
    let (store, file) = store("copy").await;
    fill(&store, 300).await;
    let before = size(&file);
    let c = checkpoint::copy(store.reader()).await.unwrap();
    assert!(c.in_wal >= 300, "the WAL holds the new pages: {c:?}");
    assert_eq!(c.copied, c.in_wal, "every page is copied: {c:?}");
    assert!(
        size(&file) >= before + 300 * 3000,
        "the database file holds the pages: {before} -> {}",
        size(&file)
    );
    remove(store, &file).await;
}

#[tokio::test]
async fn the_checkpointer_copies_new_pages_within_moments() {
    let (store, file) = store("keep").await;
    let keeper = tokio::spawn(checkpoint::keep(store.reader().clone()));
    let before = size(&file);
    fill(&store, 300).await;
    let since = Instant::now();
    while size(&file) < before + 300 * 3000 {
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "the database file did not grow: {before} -> {}",
            size(&file)
        );
        tokio::time::sleep(checkpoint::EVERY).await;
    }
    keeper.abort();
    remove(store, &file).await;
}
