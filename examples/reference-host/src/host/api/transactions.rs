//! Transactions: lists and reads.

use crate::host::api::extract::auth;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::schema::Listed;
use crate::host::api::virtual_wallets::wallet_row;
use crate::host::error::ApiError;
use crate::host::store::{col, opt_col};
use crate::host::AppState;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;

/// Routes of this module.
pub(crate) fn transactions_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(wallet_transactions))
        .routes(routes!(list_transactions))
        .routes(routes!(get_transaction))
}

/// Filters and page of a list of transactions (newest first).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct TxQuery {
    /// The wallet (or card) whose transactions are listed (as sender or counterparty).
    pub(crate) wallet_id: Option<String>,
    /// Only transactions of this type (e.g. `deposit`, `withdrawal`, `transfer`).
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    /// Only transactions in this status (e.g. `pending`, `confirmed`, `completed`).
    pub(crate) status: Option<String>,
    /// Created at or after this time (unix milliseconds).
    pub(crate) from: Option<i64>,
    /// Created at or before this time (unix milliseconds).
    pub(crate) to: Option<i64>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub(crate) limit: Option<i64>,
    /// The `next_cursor` of the previous page (a position: every string of this form is one;
    /// empty: the first page).
    #[param(pattern = r"^[0-9]{0,18}$")]
    pub(crate) cursor: Option<String>,
    /// Only transactions of wallets on this blockchain.
    pub(crate) blockchain: Option<String>,
    /// Only transactions of wallets of this account.
    pub(crate) account_id: Option<String>,
    /// Only transactions of this token (symbol, any case).
    pub(crate) token: Option<String>,
}

/// A transaction: a movement of funds as recorded, with its details.
#[derive(Serialize, ToSchema)]
pub(crate) struct TxOut {
    /// Its id (the movement's id, or the chain transaction of a deposit).
    pub(crate) id: String,
    /// The wallet (or card) it belongs to.
    pub(crate) wallet_id: Option<String>,
    /// Its type (e.g. `deposit`, `withdrawal`, `transfer`, `treasury_send`).
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// Its status (e.g. `pending`, `confirmed`, `completed`, `failed`).
    pub(crate) status: String,
    /// The token's symbol.
    pub(crate) token: Option<String>,
    /// The amount, a decimal string.
    pub(crate) amount: Option<String>,
    /// When it was recorded (unix milliseconds).
    pub(crate) created_at: i64,
    /// When it last changed (unix milliseconds).
    pub(crate) updated_at: i64,
    /// The operation's answer as last recorded (its fields depend on the type).
    #[schema(value_type = Object)]
    pub(crate) details: Value,
}

pub(crate) async fn query_transactions(
    s: &AppState,
    client: &str,
    q: TxQuery,
) -> Result<Listed<TxOut>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("limit must be 1 to 500"));
    }
    let before = crate::host::page::sequence_cursor(q.cursor.as_deref())?;
    let chain = match &q.blockchain {
        Some(c) => s.store.registry().chain(c)?.id.to_string(),
        None => String::new(),
    };
    let rows = sqlx::query(
        "SELECT id, seq, wallet_id, type, status, token, amount, created_at, updated_at, body FROM transactions \
         WHERE client_id = $1 AND seq < $2 AND ($3 = '' OR wallet_id = $4 OR counterparty_id = $5) \
         AND ($6 = '' OR type = $7) AND ($8 = '' OR status = $9) AND created_at >= $10 AND created_at <= $11 \
         AND ($13 = '' OR token = $13) \
         AND ($14 = '' OR wallet_id IN (SELECT id FROM wallets WHERE client_id = $1 AND blockchain = $14)) \
         AND ($15 = '' OR wallet_id IN (SELECT id FROM wallets WHERE client_id = $1 AND account_id = $15)) \
         ORDER BY seq DESC LIMIT $12",
    )
    .bind(client)
    .bind(before)
    .bind(q.wallet_id.clone().unwrap_or_default())
    .bind(q.wallet_id.clone().unwrap_or_default())
    .bind(q.wallet_id.clone().unwrap_or_default())
    .bind(q.kind.clone().unwrap_or_default())
    .bind(q.kind.clone().unwrap_or_default())
    .bind(q.status.clone().unwrap_or_default())
    .bind(q.status.clone().unwrap_or_default())
    .bind(q.from.unwrap_or(0))
    .bind(q.to.unwrap_or(i64::MAX))
    .bind(limit)
    .bind(q.token.as_deref().map(str::to_ascii_uppercase).unwrap_or_default())
    .bind(chain)
    .bind(q.account_id.clone().unwrap_or_default())
    .fetch_all(s.store.reader())
    .await?;
    let mut out = Vec::new();
    let mut last = None;
    for r in &rows {
        last = Some(r.try_get::<i64, _>("seq")?);
        out.push(tx_json(r)?);
    }
    let next = if i64::try_from(rows.len()).unwrap_or(0) == limit {
        last.map(|l| l.to_string())
    } else {
        None
    };
    Ok(Listed::new(out, next))
}

pub(crate) fn tx_json(r: &sqlx::any::AnyRow) -> Result<TxOut, ApiError> {
    Ok(TxOut {
        id: col(r, "id")?,
        wallet_id: opt_col(r, "wallet_id")?,
        kind: col(r, "type")?,
        status: col(r, "status")?,
        token: opt_col(r, "token")?,
        amount: opt_col(r, "amount")?,
        created_at: r.try_get::<i64, _>("created_at")?,
        updated_at: r.try_get::<i64, _>("updated_at")?,
        details: crate::host::store::stored::<Value>(&col(r, "body")?, "transaction body")?,
    })
}

#[utoipa::path(get, path = "/v1/transactions", operation_id = "transactions.list", tag = "transactions",
    params(TxQuery),
    responses((status = 200, description = "A page of transactions, newest first", body = Listed<TxOut>)))]

pub(crate) async fn list_transactions(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<TxQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::TransactionsList).await?;
    let Query(q) = q.map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    Ok(Json(query_transactions(&s, &caller.client_id, q).await?).into_response())
}

#[utoipa::path(get, path = "/v1/wallets/virtual/{id}/transactions", operation_id = "virtual_wallets.transactions", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id"), TxQuery),
    responses((status = 200, description = "A page of the wallet's transactions, newest first (`wallet_id` is the path's)", body = Listed<TxOut>)))]
pub(crate) async fn wallet_transactions(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<TxQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsTransactions).await?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let Query(mut q) = q.map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    q.wallet_id = Some(id);
    Ok(Json(query_transactions(&s, &caller.client_id, q).await?).into_response())
}

#[utoipa::path(get, path = "/v1/transactions/{id}", operation_id = "transactions.get", tag = "transactions",
    params(("id" = String, Path, description = "The transaction's id")),
    responses((status = 200, description = "The transaction", body = TxOut)))]
pub(crate) async fn get_transaction(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::TransactionsGet).await?;
    let row = sqlx::query("SELECT id, seq, wallet_id, type, status, token, amount, created_at, updated_at, body FROM transactions WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no transaction {id}")))?;
    Ok(Json(tx_json(&row)?).into_response())
}
