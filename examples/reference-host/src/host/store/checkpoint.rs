//! Checkpoints of SQLite's WAL, made beside the writer. The writer appends each batch's pages
//! to the WAL; SQLite copies them back into the database file (a checkpoint) in the connection
//! whose commit takes the WAL past its limit (`wal_autocheckpoint`), while that connection holds
//! the lane: every few dozen batches one of them waited for thousands of pages to be copied and
//! the file synced, and its operations' answers with it (p99 34 ms at 100,000 wallets, 21 ms at 2,
//! against 21 and 8 ms with this; docs/BENCHMARKS.md, "checkpoints beside the writer").
//!
//! A reader connection copies what the WAL holds every [`EVERY`] in PASSIVE mode (it never
//! waits for the writer and never stops it), so the writer's own checkpoint, still due at the
//! same limit, finds almost nothing left to copy, then restarts the WAL at its next batch: the
//! WAL stays bounded. Durability is unchanged (see `durable.rs`): in `synchronous = NORMAL` or
//! `FULL` (the reader's) a checkpoint syncs the WAL before it copies and the database file after,
//! whichever connection runs it. PostgreSQL needs none of this.

use sqlx::{AnyPool, Row};
use std::time::Duration;

/// How often the WAL's new pages are copied into the database file.
pub const EVERY: Duration = Duration::from_millis(50);

/// What one checkpoint found: the WAL's pages, and how many of them the database file now holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Pages in the WAL.
    pub in_wal: i64,
    /// Of those, pages copied into the database file.
    pub copied: i64,
}

/// Copies the WAL's pages that no reader still needs into the database file, without waiting.
pub async fn copy(reader: &AnyPool) -> sqlx::Result<Copied> {
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(reader)
        .await?;
    Ok(Copied {
        in_wal: row.try_get(1)?,
        copied: row.try_get(2)?,
    })
}

/// Checkpoints the WAL every [`EVERY`] through `reader`, for as long as the host runs.
pub async fn keep(reader: AnyPool) {
    loop {
        tokio::time::sleep(EVERY).await;
        if let Err(e) = copy(&reader).await {
            tracing::warn!(error = %e, "checkpointing the WAL");
        }
    }
}
