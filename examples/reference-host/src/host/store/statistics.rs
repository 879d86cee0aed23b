//! Planner statistics on PostgreSQL. The write path reads rows by key ranges of a client
//! (its holding and system balances at each batch, a transfer's two wallets); PostgreSQL plans
//! those by the statistics it took when the table was last analyzed. A client that grows fast
//! (a batch of 100,000 wallets, then their first credits) leaves statistics that describe a
//! table a hundred times smaller, and the planner then reads every balance row of the client
//! in each batch until autovacuum next looks (a minute or more, on its own schedule). The host
//! checks every few seconds and analyzes a table that grew by a fifth since its statistics.
//! SQLite plans by its indexes and needs none of this.

use super::super::error::ApiError;
use sqlx::{AnyPool, Row};
use std::time::Duration;

/// How often the host checks the tables.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// The tables whose plans follow their size: the write path's key ranges (`balances`, `books`),
/// the dispatcher's poll (`outbox`) and the wallet lists (`wallets`). The journal and the
/// transactions are read by sequence ranges of one index whatever their size, and grow with
/// every operation: analyzing them this often would cost more than it saves.
const TABLES: [&str; 4] = ["balances", "books", "outbox", "wallets"];

/// A table is analyzed again once its live rows exceed the rows its statistics counted by this
/// many rows, plus a fifth of them.
const GROWN_BY: i64 = 1_000;

/// The host's tables that grew since their statistics were taken.
async fn grown(pool: &AnyPool) -> Result<Vec<&'static str>, ApiError> {
    let rows = sqlx::query(
        "SELECT s.relname::text AS name FROM pg_stat_user_tables s \
         JOIN pg_class c ON c.oid = s.relid \
         WHERE s.schemaname = current_schema() \
         AND s.n_live_tup > $1 + 1.2 * GREATEST(c.reltuples, 0)",
    )
    .bind(GROWN_BY)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let name: String = r.try_get("name")?;
        if let Some(t) = TABLES.iter().find(|t| **t == name) {
            out.push(*t);
        }
    }
    Ok(out)
}

/// Whether `wallets` made in bulk since the statistics were last refreshed for such wallets are
/// news to the planner: at least a fifth of the rows its statistics count in `wallets`, or a
/// table it never counted. (The planner scales what it counted by the table's current size, so
/// a table that grew by a few percent is planned as it is.)
pub async fn bulk_is_news(pool: &AnyPool, wallets: u64) -> Result<bool, ApiError> {
    let row =
        sqlx::query("SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'wallets'::regclass")
            .fetch_one(pool)
            .await?;
    let counted: f64 = row.try_get("n")?;
    // Exact below 2^53 wallets.
    #[allow(clippy::cast_precision_loss)]
    let made = wallets as f64;
    Ok(counted < 1.0 || made * 5.0 >= counted)
}

/// Analyzes the host's tables that grew since their statistics were taken; returns them.
pub async fn refresh(pool: &AnyPool) -> Result<Vec<&'static str>, ApiError> {
    let tables = grown(pool).await?;
    for t in &tables {
        // The name is one of TABLES, never text from outside.
        sqlx::query(&format!("ANALYZE {t}")).execute(pool).await?;
        tracing::debug!(table = t, "planner statistics refreshed");
    }
    Ok(tables)
}

/// Keeps the statistics of the host's tables fresh, for as long as the host runs.
pub async fn keep(pool: AnyPool) {
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        if let Err(e) = refresh(&pool).await {
            tracing::warn!(error = %e.message(), "refreshing planner statistics");
        }
    }
}
