//! Schema adjustments made at start that portable migrations cannot express.

use super::super::error::ApiError;
use sqlx::{AnyPool, Row};

/// Makes PostgreSQL compare balance accounts byte by byte, as SQLite does: a working set reads
/// the accounts of a kind as a range (`'system:' <= account < 'system;'`), which a locale's
/// collation (one that skips punctuation) would get wrong. Done once; the index is rebuilt.
pub(super) async fn byte_order_accounts(pool: &AnyPool) -> Result<(), ApiError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(collation_name, '') AS TEXT) AS c FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = 'balances' AND column_name = 'account'",
    )
    .fetch_one(pool)
    .await?;
    if row.try_get::<String, _>("c")? != "C" {
        sqlx::query("ALTER TABLE balances ALTER COLUMN account TYPE TEXT COLLATE \"C\"")
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// SQLite tables whose rows live in their primary key's B-tree (`WITHOUT ROWID`): a row written
/// touches one B-tree instead of two. These tables are written with every operation, at keys spread
/// over the whole client when its operations touch many wallets, so the pages an operation dirties
/// (and the WAL writes) nearly halve. Rebuilt once from the tables the migrations made, which stay
/// portable SQL; PostgreSQL keeps its heap tables.
pub(super) const CLUSTERED: &[(&str, &str, &str, &[&str])] = &[
    (
        "balances",
        "client_id TEXT NOT NULL, account TEXT NOT NULL, token TEXT NOT NULL, posted TEXT NOT NULL, pending TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (client_id, account, token)",
        "client_id, account, token, posted, pending, seq",
        &[],
    ),
    (
        "books",
        "client_id TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (client_id, kind, key)",
        "client_id, kind, key, body",
        &[],
    ),
    (
        "journal",
        "client_id TEXT NOT NULL, seq BIGINT NOT NULL, movement_id TEXT NOT NULL, account TEXT NOT NULL, token TEXT NOT NULL, posted TEXT NOT NULL, pending TEXT NOT NULL, posted_after TEXT NOT NULL, pending_after TEXT NOT NULL, created_at BIGINT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, prev_seq BIGINT, PRIMARY KEY (client_id, seq)",
        "client_id, seq, movement_id, account, token, posted, pending, posted_after, pending_after, created_at, prev_hash, hash, prev_seq",
        &[
            "CREATE INDEX journal_by_time ON journal (client_id, created_at)",
        ],
    ),
];

/// Rebuilds the [`CLUSTERED`] tables as `WITHOUT ROWID` tables on SQLite, once.
pub(super) async fn clustered_books(pool: &AnyPool) -> Result<(), ApiError> {
    for (table, columns, names, indexes) in CLUSTERED {
        let row = sqlx::query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1")
            .bind(*table)
            .fetch_one(pool)
            .await?;
        let sql: String = row.try_get("sql")?;
        if sql.to_ascii_uppercase().contains("WITHOUT ROWID") {
            continue;
        }
        let mut tx = pool.begin().await?;
        let mut statements = vec![
            format!("CREATE TABLE {table}_clustered ({columns}) WITHOUT ROWID"),
            format!("INSERT INTO {table}_clustered ({names}) SELECT {names} FROM {table}"),
            format!("DROP TABLE {table}"),
            format!("ALTER TABLE {table}_clustered RENAME TO {table}"),
        ];
        statements.extend(indexes.iter().map(|i| (*i).to_owned()));
        for statement in statements {
            sqlx::query(&statement).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
