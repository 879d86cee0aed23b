//! The journal's routes: statements with running balances, balances at a past time, and the
//! JSON Lines export (the entries are written by `host/journal.rs`).

use super::schema::{self, Balances};
use crate::host::account_chain;
use crate::host::api::extract::auth;
use crate::host::api::virtual_wallets::wallet_row;
use crate::host::error::ApiError;
use crate::host::journal::{entry_of, parse_time, COLUMNS};
use crate::host::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row as _;
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Entries a statement page holds by default, and at most.
const PAGE_DEFAULT: i64 = 50;
const PAGE_MAX: i64 = 500;
/// Entries read per round trip while exporting.
const EXPORT_PAGE: i64 = 1000;

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
    let caller = auth(&s, &headers, Operation::JournalExport).await?;
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
    let pool = s.store.reader();
    let start = match q.cursor {
        Some(_) => account_chain::after_cursor(pool, client, account, before).await?,
        None => account_chain::head(pool, client, account).await?,
    };
    let want = usize::try_from(limit).unwrap_or(usize::MAX);
    let rows = account_chain::collect(pool, client, account, start, want + 1, |w| {
        i64::try_from(w.entry.seq).is_ok_and(|seq| seq < before)
            && (from..to).contains(&w.at_ms)
            && token.as_ref().is_none_or(|t| *t == w.entry.token)
    })
    .await?;
    let more = rows.len() > want;
    let mut data = Vec::new();
    let mut last = None;
    for w in rows.into_iter().take(want) {
        let e = w.entry;
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
    let caller = auth(&s, &headers, Operation::VirtualWalletsStatement).await?;
    let q = query(q)?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    statement(
        &s,
        &caller.client_id,
        &waas_core::ledger::journal::wallet_account(&id),
        q,
    )
    .await
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
    let caller = auth(&s, &headers, Operation::TreasuryStatement).await?;
    let q = query(q)?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Treasury).await?;
    statement(
        &s,
        &caller.client_id,
        &waas_core::ledger::journal::wallet_account(&id),
        q,
    )
    .await
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
    let caller = auth(&s, &headers, Operation::HoldingWalletsStatement).await?;
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
    let account = waas_core::ledger::journal::holding_account(&caller.client_id, &chain);
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
    let balances = match upto {
        Some(upto) => account_chain::balances_upto(s.store.reader(), client, account, upto).await?,
        None => BTreeMap::new(),
    };
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
    use crate::host::journal::rfc3339;
    use rust_decimal::Decimal;
    use std::collections::BTreeSet;
    use waas_core::ledger::journal::{Entry, GENESIS_HASH};

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
