//! The journal in rows: writing the entries an operation made (chained after the client's head),
//! and the routes that read them: statements, balances at a past time, the JSON Lines export.

use super::api::schema::{self, Balances};
use super::api::{auth, wallet_row};
use super::error::ApiError;
use super::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row as _;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::ledger::journal::{Entry, Posting, GENESIS_HASH};
use waas_core::ledger::Balance;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Entries a statement page holds by default, and at most.
const PAGE_DEFAULT: i64 = 50;
const PAGE_MAX: i64 = 500;
/// Entries read per round trip while exporting.
const EXPORT_PAGE: i64 = 1000;
/// Rows of the journal written per statement.
const ROWS_PER_INSERT: usize = 64;

/// The head of a client's chain: its last entry's number and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Number of the last entry (0 before the first).
    pub seq: i64,
    /// Hash of the last entry ([`GENESIS_HASH`] before the first).
    pub hash: String,
}

impl Default for Head {
    fn default() -> Self {
        Head {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }
}

/// One entry to write, with its time in milliseconds.
pub struct Row {
    entry: Entry,
    at_ms: i64,
}

/// Chains an operation's postings after `head` (which moves to the last of them).
pub fn chain(client_id: &str, head: &mut Head, at_ms: i64, postings: &[Posting]) -> Vec<Row> {
    let created_at = rfc3339(at_ms);
    postings
        .iter()
        .map(|p| {
            head.seq += 1;
            let seq = u64::try_from(head.seq).unwrap_or_default();
            let entry = Entry::chain(client_id, seq, &created_at, &head.hash, p);
            head.hash.clone_from(&entry.hash);
            Row { entry, at_ms }
        })
        .collect()
}

/// Writes entries, several rows per statement.
pub async fn insert(conn: &mut sqlx::AnyConnection, rows: &[Row]) -> sqlx::Result<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from("INSERT INTO journal (client_id, seq, movement_id, account, token, posted, pending, posted_after, pending_after, created_at, prev_hash, hash) VALUES ");
        sql.push_str(&super::sql::Marks::on(conn, 1).rows(chunk.len(), 12));
        let mut q = sqlx::query(&sql);
        for r in chunk {
            let e = &r.entry;
            q = q
                .bind(&e.client_id)
                .bind(i64::try_from(e.seq).unwrap_or(i64::MAX))
                .bind(&e.movement_id)
                .bind(&e.account)
                .bind(&e.token)
                .bind(e.posted.to_string())
                .bind(e.pending.to_string())
                .bind(e.posted_after.to_string())
                .bind(e.pending_after.to_string())
                .bind(r.at_ms)
                .bind(&e.prev_hash)
                .bind(&e.hash);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Brings the balance rows up to the entries written: each (client, account, token) gets the
/// balance after its last entry among them.
pub async fn project_balances(conn: &mut sqlx::AnyConnection, rows: &[Row]) -> sqlx::Result<()> {
    let mut last: BTreeMap<(&str, &str, &str), &Entry> = BTreeMap::new();
    for r in rows {
        let e = &r.entry;
        last.insert((&e.client_id, &e.account, &e.token), e);
    }
    let latest: Vec<BalanceRow<'_>> = last
        .into_values()
        .map(|e| BalanceRow {
            client_id: &e.client_id,
            account: &e.account,
            token: &e.token,
            balance: Balance {
                posted: e.posted_after,
                pending: e.pending_after,
            },
            seq: i64::try_from(e.seq).unwrap_or(i64::MAX),
        })
        .collect();
    write_balances(conn, &latest).await
}

/// Writes a client's balances as the books hold them (filling the rows of books kept before).
pub async fn upsert_balances(
    conn: &mut sqlx::AnyConnection,
    client_id: &str,
    seq: i64,
    balances: &[(String, String, Balance)],
) -> sqlx::Result<()> {
    let rows: Vec<BalanceRow<'_>> = balances
        .iter()
        .map(|(account, token, balance)| BalanceRow {
            client_id,
            account,
            token,
            balance: *balance,
            seq,
        })
        .collect();
    write_balances(conn, &rows).await
}

/// One row of `balances`.
struct BalanceRow<'a> {
    client_id: &'a str,
    account: &'a str,
    token: &'a str,
    balance: Balance,
    seq: i64,
}

/// Upserts balance rows (each key at most once), several per statement.
async fn write_balances(
    conn: &mut sqlx::AnyConnection,
    rows: &[BalanceRow<'_>],
) -> sqlx::Result<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO balances (client_id, account, token, posted, pending, seq) VALUES ",
        );
        sql.push_str(&super::sql::Marks::on(conn, 1).rows(chunk.len(), 6));
        sql.push_str(" ON CONFLICT (client_id, account, token) DO UPDATE SET posted = excluded.posted, pending = excluded.pending, seq = excluded.seq");
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.client_id)
                .bind(r.account)
                .bind(r.token)
                .bind(r.balance.posted.normalize().to_string())
                .bind(r.balance.pending.normalize().to_string())
                .bind(r.seq);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The balances of accounts as their rows hold them: account -> token -> balance.
pub async fn balances_of(
    pool: &sqlx::AnyPool,
    client: &str,
    accounts: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, Balance>>, ApiError> {
    let mut out: BTreeMap<String, BTreeMap<String, Balance>> = BTreeMap::new();
    for chunk in accounts.chunks(ROWS_PER_INSERT * 4) {
        let mut sql = String::from(
            "SELECT account, token, posted, pending FROM balances WHERE client_id = $1 AND account IN (",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", i + 2));
        }
        sql.push(')');
        let mut q = sqlx::query(&sql).bind(client);
        for a in chunk {
            q = q.bind(a);
        }
        for row in q.fetch_all(pool).await? {
            let account: String = row.try_get("account")?;
            let token: String = row.try_get("token")?;
            let b = Balance {
                posted: decimal(&row, "posted")?,
                pending: decimal(&row, "pending")?,
            };
            out.entry(account).or_default().insert(token, b);
        }
    }
    Ok(out)
}

/// A time in milliseconds as the journal writes it: RFC 3339, UTC, milliseconds, `Z`.
pub fn rfc3339(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ),
        Err(_) => "1970-01-01T00:00:00.000Z".to_owned(),
    }
}

/// Reads an RFC 3339 time given in a query (e.g. `2026-12-01T10:00:00Z`) as milliseconds.
pub fn parse_time(name: &str, text: &str) -> Result<i64, ApiError> {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| {
            ApiError::bad_request(format!("{name} must be an RFC 3339 time ({text:?}: {e})"))
        })?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| ApiError::bad_request(format!("{name} is out of range")))
}

fn decimal(row: &AnyRow, name: &str) -> Result<Decimal, ApiError> {
    let text: String = row.try_get(name)?;
    Decimal::from_str(&text)
        .map_err(|e| ApiError::internal(format!("journal column {name} holds {text:?}: {e}")))
}

/// An entry as its row stores it.
fn entry_of(row: &AnyRow) -> Result<Entry, ApiError> {
    let seq: i64 = row.try_get("seq")?;
    let posted = decimal(row, "posted")?;
    let pending = decimal(row, "pending")?;
    let posted_after = decimal(row, "posted_after")?;
    let pending_after = decimal(row, "pending_after")?;
    Ok(Entry {
        seq: u64::try_from(seq).unwrap_or_default(),
        id: seq.to_string(),
        client_id: row.try_get("client_id")?,
        movement_id: row.try_get("movement_id")?,
        account: row.try_get("account")?,
        token: row.try_get("token")?,
        amount: posted + pending,
        posted,
        pending,
        balance_after: posted_after + pending_after,
        posted_after,
        pending_after,
        created_at: rfc3339(row.try_get("created_at")?),
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str = "client_id, seq, movement_id, account, token, posted, pending, posted_after, pending_after, created_at, prev_hash, hash";

/// The journal's routes.
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(export))
        .routes(routes!(virtual_statement))
        .routes(routes!(holding_statement))
        .routes(routes!(treasury_statement))
}

/// `?from=&to=` of an export.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct Period {
    /// Entries recorded at or after this time (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
    #[param(format = DateTime)]
    from: Option<String>,
    /// Entries recorded before this time (RFC 3339).
    #[param(format = DateTime)]
    to: Option<String>,
}

/// One line of the journal export: an entry of the client's hash-chained journal, exactly as
/// hashed (the core's `Entry`; amounts are decimal strings, signed).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // Describes the lines the export writes from the core's `Entry`.
struct JournalEntry {
    /// Position in the client's chain, from 1, without gaps.
    seq: u64,
    /// The entry's id (its sequence number as text).
    id: String,
    /// The client whose books these are.
    client_id: String,
    /// The movement that made the change.
    movement_id: String,
    /// The account changed (e.g. `wallet:vw_...`, `holding:client/chain`).
    account: String,
    /// The token's symbol.
    token: String,
    /// The signed change of the balance (posted + pending).
    #[schema(example = "-10.5")]
    amount: String,
    /// The signed change of the posted part.
    posted: String,
    /// The signed change of the pending part.
    pending: String,
    /// The balance after the change (posted + pending).
    balance_after: String,
    /// The posted part after the change.
    posted_after: String,
    /// The pending part after the change.
    pending_after: String,
    /// When the host recorded it (RFC 3339, UTC, milliseconds), as hashed.
    created_at: String,
    /// Hash of the client's previous entry (64 zeros before the first).
    prev_hash: String,
    /// SHA-256 (hex) over this entry's fields and `prev_hash`.
    hash: String,
}

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

fn query<T>(q: QueryResult<T>) -> Result<T, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(format!("query: {e}")))
}

/// Bounds of a period in milliseconds (`to` exclusive); both optional.
fn bounds(from: Option<&str>, to: Option<&str>) -> Result<(i64, i64), ApiError> {
    let from = from.map(|t| parse_time("from", t)).transpose()?;
    let to = to.map(|t| parse_time("to", t)).transpose()?;
    Ok((from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX)))
}

/// `GET /v1/journal/export`: the client's entries in order, one JSON object a line, streamed.
#[utoipa::path(get, path = "/v1/journal/export", operation_id = "journal.export", tag = "journal",
    params(Period),
    responses((status = 200, description = "The entries of the period in chain order, one JSON object (a `JournalEntry`) per line",
        content_type = "application/x-ndjson", body = JournalEntry)))]
async fn export(State(s): State<Shared>, headers: HeaderMap, q: QueryResult<Period>) -> ApiResult {
    let caller = auth(&s, &headers, "journal.export").await?;
    let q = query(q)?;
    let (from, to) = bounds(q.from.as_deref(), q.to.as_deref())?;
    let pool = s.store.reader().clone();
    let client = caller.client_id;
    // The first entry of the period, found by time; then pages by number.
    let start: Option<i64> =
        sqlx::query("SELECT MIN(seq) AS s FROM journal WHERE client_id = $1 AND created_at >= $2")
            .bind(&client)
            .bind(from)
            .fetch_one(&pool)
            .await?
            .try_get("s")?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(4);
    tokio::spawn(async move {
        let Some(mut after) = start.map(|s| s - 1) else {
            return;
        };
        loop {
            let page = sqlx::query(&format!("SELECT {COLUMNS} FROM journal WHERE client_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"))
                .bind(&client)
                .bind(after)
                .bind(EXPORT_PAGE)
                .fetch_all(&pool)
                .await;
            let rows = match page {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            let mut chunk = String::new();
            let mut done = rows.len() < usize::try_from(EXPORT_PAGE).unwrap_or(usize::MAX);
            for row in &rows {
                let at: i64 = row.try_get("created_at").unwrap_or(i64::MAX);
                if at >= to {
                    done = true;
                    break;
                }
                match entry_of(row) {
                    Ok(e) => {
                        after = i64::try_from(e.seq).unwrap_or(i64::MAX);
                        chunk.push_str(&serde_json::to_string(&e).unwrap_or_default());
                        chunk.push('\n');
                    }
                    Err(e) => {
                        let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                        return;
                    }
                }
            }
            if !chunk.is_empty() && tx.send(Ok(chunk)).await.is_err() {
                return;
            }
            if done {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `?token=&from=&to=&limit=&cursor=` of a statement.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct StatementQuery {
    /// Only entries of this token (symbol, any case).
    token: Option<String>,
    /// Entries recorded at or after this time (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
    #[param(format = DateTime)]
    from: Option<String>,
    /// Entries recorded before this time (RFC 3339).
    #[param(format = DateTime)]
    to: Option<String>,
    /// Entries per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page (a position: every string of this form is one;
    /// empty: the first page).
    #[param(pattern = r"^[0-9]{0,18}$")]
    cursor: Option<String>,
}

/// An entry of a statement, with the running balance after it.
#[derive(Serialize, ToSchema)]
struct StatementEntry {
    /// The entry's id (its sequence number as text).
    id: String,
    /// Position in the client's journal.
    seq: u64,
    /// The token's symbol.
    token: String,
    /// The signed change, a decimal string.
    #[schema(example = "-10.5")]
    amount: String,
    /// The balance after it (confirmed + pending).
    balance_after: String,
    /// The confirmed part after it.
    confirmed_after: String,
    /// The pending part after it.
    pending_after: String,
    /// The movement that made it.
    movement_id: String,
    /// When it was recorded (RFC 3339).
    created_at: String,
    /// Its hash in the client's chain.
    hash: String,
}

/// A page of an account's statement, newest first.
#[derive(Serialize, ToSchema)]
struct Statement {
    /// The journal account (e.g. `wallet:vw_...`, `holding:client/chain`).
    account: String,
    /// The entries of this page, newest first.
    data: Vec<StatementEntry>,
    /// Pass as `cursor` for the next page; `null` when there is none.
    next_cursor: Option<String>,
}

/// One page of an account's entries, newest first, with the running balance after each.
async fn statement(s: &AppState, client: &str, account: &str, q: StatementQuery) -> ApiResult {
    let (from, to) = bounds(q.from.as_deref(), q.to.as_deref())?;
    let limit = q.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be 1 to {PAGE_MAX}"
        )));
    }
    let before = crate::host::page::sequence_cursor(q.cursor.as_deref())?;
    let token = q.token.map(|t| t.to_ascii_uppercase());
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM journal WHERE client_id = $1 AND account = $2 AND seq < $3 AND created_at >= $4 AND created_at < $5 AND ($6 = '' OR token = $6) ORDER BY seq DESC LIMIT $7"
    ))
    .bind(client)
    .bind(account)
    .bind(before)
    .bind(from)
    .bind(to)
    .bind(token.clone().unwrap_or_default())
    .bind(limit + 1)
    .fetch_all(s.store.reader())
    .await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let mut data = Vec::new();
    let mut last = None;
    for row in rows
        .iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
    {
        let e = entry_of(row)?;
        last = Some(e.seq);
        data.push(StatementEntry {
            id: e.id,
            seq: e.seq,
            token: e.token,
            amount: e.amount.to_string(),
            balance_after: e.balance_after.to_string(),
            confirmed_after: e.posted_after.to_string(),
            pending_after: e.pending_after.to_string(),
            movement_id: e.movement_id,
            created_at: e.created_at,
            hash: e.hash,
        });
    }
    let next = if more {
        last.map(|s| s.to_string())
    } else {
        None
    };
    Ok(Json(Statement {
        account: account.to_owned(),
        data,
        next_cursor: next,
    })
    .into_response())
}

#[utoipa::path(get, path = "/v1/wallets/virtual/{id}/statement", operation_id = "virtual_wallets.statement", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id"), StatementQuery),
    responses((status = 200, description = "A page of the wallet's journal entries, newest first", body = Statement)))]
async fn virtual_statement(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: QueryResult<StatementQuery>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.statement").await?;
    let q = query(q)?;
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    statement(&s, &caller.client_id, &format!("wallet:{id}"), q).await
}

#[utoipa::path(get, path = "/v1/treasury/{id}/statement", operation_id = "treasury.statement", tag = "treasury",
    params(("id" = String, Path, description = "The treasury wallet's id"), StatementQuery),
    responses((status = 200, description = "A page of the wallet's journal entries, newest first", body = Statement)))]
async fn treasury_statement(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: QueryResult<StatementQuery>,
) -> ApiResult {
    let caller = auth(&s, &headers, "treasury.statement").await?;
    let q = query(q)?;
    wallet_row(&s, &caller.client_id, &id, "treasury").await?;
    statement(&s, &caller.client_id, &format!("wallet:{id}"), q).await
}

#[utoipa::path(get, path = "/v1/wallets/holding/{blockchain}/statement", operation_id = "holding_wallets.statement", tag = "holding_wallets",
    params(("blockchain" = String, Path, description = "The blockchain (e.g. `ethereum`)"), StatementQuery),
    responses((status = 200, description = "A page of the holding position's journal entries, newest first", body = Statement)))]
async fn holding_statement(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
    q: QueryResult<StatementQuery>,
) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.statement").await?;
    let q = query(q)?;
    let chain = s.store.registry().chain(&chain)?.id.to_string();
    let held: Option<AnyRow> =
        sqlx::query("SELECT id FROM holdings WHERE client_id = $1 AND blockchain = $2")
            .bind(&caller.client_id)
            .bind(&chain)
            .fetch_optional(s.store.reader())
            .await?;
    if held.is_none() {
        return Err(ApiError::not_found(format!(
            "no holding wallet on {chain} yet"
        )));
    }
    let account = format!("holding:{}/{chain}", caller.client_id);
    statement(&s, &caller.client_id, &account, q).await
}

/// An account's balances per token as they stood at `at_ms` (after every entry made by then).
pub async fn balances_at(
    s: &AppState,
    client: &str,
    account: &str,
    at_ms: i64,
) -> Result<Balances, ApiError> {
    // The last entry of the client by then; an account's balance then is its last entry up to it.
    let upto: Option<i64> =
        sqlx::query("SELECT MAX(seq) AS s FROM journal WHERE client_id = $1 AND created_at <= $2")
            .bind(client)
            .bind(at_ms)
            .fetch_one(s.store.reader())
            .await?
            .try_get("s")?;
    let mut balances: BTreeMap<String, Balance> = BTreeMap::new();
    if let Some(upto) = upto {
        let tokens = sqlx::query(
            "SELECT DISTINCT token FROM journal WHERE client_id = $1 AND account = $2 AND seq <= $3",
        )
        .bind(client)
        .bind(account)
        .bind(upto)
        .fetch_all(s.store.reader())
        .await?;
        for t in tokens {
            let token: String = t.try_get("token")?;
            let row = sqlx::query(&format!("SELECT {COLUMNS} FROM journal WHERE client_id = $1 AND account = $2 AND token = $3 AND seq <= $4 ORDER BY seq DESC LIMIT 1"))
                .bind(client)
                .bind(account)
                .bind(&token)
                .bind(upto)
                .fetch_one(s.store.reader())
                .await?;
            let e = entry_of(&row)?;
            balances.insert(
                token,
                Balance {
                    posted: e.posted_after,
                    pending: e.pending_after,
                },
            );
        }
    }
    Ok(schema::balances(&balances))
}

/// `?at=RFC3339` of a balance.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AtQuery {
    /// The time the balances are asked for (absent: now).
    pub at: Option<String>,
}

/// Reads an `at` query.
pub fn at_query(q: QueryResult<AtQuery>) -> Result<Option<i64>, ApiError> {
    query(q)?.at.map(|t| parse_time("at", &t)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The export's documented line (`JournalEntry`) has exactly the fields of the core's `Entry`.
    #[test]
    fn export_schema_lists_the_entry_fields() {
        let e = Entry {
            seq: 1,
            id: "1".into(),
            client_id: "c".into(),
            movement_id: "m".into(),
            account: "wallet:w".into(),
            token: "USDT".into(),
            amount: Decimal::ONE,
            posted: Decimal::ONE,
            pending: Decimal::ZERO,
            balance_after: Decimal::ONE,
            posted_after: Decimal::ONE,
            pending_after: Decimal::ZERO,
            created_at: rfc3339(0),
            prev_hash: GENESIS_HASH.into(),
            hash: "h".into(),
        };
        let line = serde_json::to_value(&e).unwrap();
        let schema =
            serde_json::to_value(<JournalEntry as utoipa::PartialSchema>::schema()).unwrap();
        let props = schema["properties"].as_object().unwrap();
        let keys: BTreeSet<&String> = line.as_object().unwrap().keys().collect();
        assert_eq!(keys, props.keys().collect::<BTreeSet<_>>());
        for (k, v) in line.as_object().unwrap() {
            let ty = if v.is_string() { "string" } else { "integer" };
            assert_eq!(props[k]["type"], ty, "{k}");
        }
    }
}
