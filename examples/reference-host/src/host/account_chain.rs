//! An account's journal entries, newest first, through the number each entry keeps of its
//! account's previous one (`prev_seq`): statements and balances at a past time read the journal
//! this way, so that it needs no index by account and is only ever appended to.

use super::error::ApiError;
use super::journal::{entry_of, COLUMNS};
use sqlx::{AnyPool, Row};
use std::collections::{BTreeMap, BTreeSet};
use waas_core::ledger::journal::Entry;
use waas_core::ledger::Balance;

/// Entries read by one statement at most, after a walk's first page.
const PAGE: i64 = 500;

/// An entry read by a walk.
pub struct Walked {
    /// The entry.
    pub entry: Entry,
    /// When it was recorded, in milliseconds.
    pub at_ms: i64,
    /// The number of the previous entry of its account (none: its first).
    pub prev: Option<i64>,
}

/// The number of an account's last entry: the highest `seq` of its balance rows (none before
/// its first entry).
pub async fn head(pool: &AnyPool, client: &str, account: &str) -> Result<Option<i64>, ApiError> {
    let row = sqlx::query(
        "SELECT NULLIF(MAX(seq), 0) AS s FROM balances WHERE client_id = $1 AND account = $2",
    )
    .bind(client)
    .bind(account)
    .fetch_one(pool)
    .await?;
    Ok(row.try_get("s")?)
}

/// Where a page that follows `cursor` (the last entry of the page before) starts: the entry
/// before it when it is one of the account's, else the account's last entry (the walk then skips
/// what is not older than the cursor).
pub async fn after_cursor(
    pool: &AnyPool,
    client: &str,
    account: &str,
    cursor: i64,
) -> Result<Option<i64>, ApiError> {
    let row =
        sqlx::query("SELECT account, prev_seq FROM journal WHERE client_id = $1 AND seq = $2")
            .bind(client)
            .bind(cursor)
            .fetch_optional(pool)
            .await?;
    match row {
        Some(r) if r.try_get::<String, _>("account")? == account => Ok(r.try_get("prev_seq")?),
        _ => head(pool, client, account).await,
    }
}

/// Up to `max` entries of `account`, from entry `start` back, newest first (fewer at the
/// account's first entry). One statement: a recursive walk that stops after `max` entries.
pub async fn walk(
    pool: &AnyPool,
    client: &str,
    account: &str,
    start: i64,
    max: i64,
) -> Result<Vec<Walked>, ApiError> {
    let sql = format!(
        "WITH RECURSIVE chain(at_seq, back, n) AS ( \
             SELECT seq, prev_seq, 1 FROM journal WHERE client_id = $1 AND seq = $2 AND account = $3 \
             UNION ALL \
             SELECT j.seq, j.prev_seq, c.n + 1 FROM chain AS c \
             JOIN journal AS j ON j.client_id = $1 AND j.seq = c.back \
             WHERE c.n < $4 AND j.account = $3 \
         ) \
         SELECT {COLUMNS}, prev_seq FROM journal JOIN chain ON client_id = $1 AND seq = at_seq \
         ORDER BY seq DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(client)
        .bind(start)
        .bind(account)
        .bind(max)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Walked {
                entry: entry_of(row)?,
                at_ms: row.try_get("created_at")?,
                prev: row.try_get("prev_seq")?,
            })
        })
        .collect()
}

/// Where a walk goes on after a page of `page` entries read: the entry before its last, unless
/// the page ended early (the account's first entry was in it).
fn continues(entries: &[Walked], page: i64) -> Option<i64> {
    match entries.last() {
        Some(last) if entries.len() == usize::try_from(page).unwrap_or(0) => last.prev,
        _ => None,
    }
}

/// The entries of `account` from `start` back that `keep` accepts, newest first, until `want`
/// of them are found or the account's first entry is passed.
pub async fn collect(
    pool: &AnyPool,
    client: &str,
    account: &str,
    start: Option<i64>,
    want: usize,
    mut keep: impl FnMut(&Walked) -> bool,
) -> Result<Vec<Walked>, ApiError> {
    let mut found = Vec::new();
    let mut next = start;
    let mut page = i64::try_from(want).unwrap_or(PAGE).clamp(1, PAGE);
    while let Some(at) = next {
        let entries = walk(pool, client, account, at, page).await?;
        next = continues(&entries, page);
        for w in entries {
            if keep(&w) {
                found.push(w);
                if found.len() >= want {
                    return Ok(found);
                }
            }
        }
        page = PAGE;
    }
    Ok(found)
}

/// An account's balance per token after its last entry numbered `upto` or lower.
pub async fn balances_upto(
    pool: &AnyPool,
    client: &str,
    account: &str,
    upto: i64,
) -> Result<BTreeMap<String, Balance>, ApiError> {
    // The account's tokens and its last entry, from its balance rows.
    let rows = sqlx::query("SELECT token, seq FROM balances WHERE client_id = $1 AND account = $2")
        .bind(client)
        .bind(account)
        .fetch_all(pool)
        .await?;
    let mut tokens = BTreeSet::new();
    let mut last = 0;
    for row in rows {
        tokens.insert(row.try_get::<String, _>("token")?);
        last = last.max(row.try_get::<i64, _>("seq")?);
    }
    let start = Some(last).filter(|s| *s > 0);
    let want = tokens.len();
    let found = collect(pool, client, account, start, want, |w| {
        let older = i64::try_from(w.entry.seq).is_ok_and(|s| s <= upto);
        older && tokens.remove(&w.entry.token)
    })
    .await?;
    Ok(found
        .into_iter()
        .map(|w| {
            let balance = Balance {
                posted: w.entry.posted_after,
                pending: w.entry.pending_after,
            };
            (w.entry.token, balance)
        })
        .collect())
}
