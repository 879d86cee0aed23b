//! Reading virtual wallets: one, its balances (now or at a time), and a filtered list.

use crate::host::api::extract::auth;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::journal;
use crate::host::api::schema;
use crate::host::api::schema::Listed;
use crate::host::api::virtual_wallets::held_of;
use crate::host::api::virtual_wallets::wallet_balances;
use crate::host::api::virtual_wallets::wallet_out;
use crate::host::api::virtual_wallets::wallet_row;
use crate::host::api::virtual_wallets::VirtualWalletOut;
use crate::host::error::ApiError;
use crate::host::page::{self, Page};
use crate::host::store::col;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;

#[utoipa::path(get, path = "/v1/wallets/virtual/{id}", operation_id = "virtual_wallets.get", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    responses((status = 200, description = "The wallet and its balances", body = VirtualWalletOut)))]
pub(crate) async fn get_virtual(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsGet).await?;
    let row = wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let balances = wallet_balances(&s, &caller.client_id, std::slice::from_ref(&id)).await?;
    Ok(Json(wallet_out(&row, balances.get(&id))?).into_response())
}

/// A wallet's balances, now or at a time.
#[derive(Serialize, ToSchema)]
pub(crate) struct WalletBalance {
    /// The wallet's id.
    pub(crate) id: String,
    /// Its status (answers for now only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<String>,
    /// The time asked for, RFC 3339 (answers for `at` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) at: Option<String>,
    /// Balances per token (for now, with what holds set aside).
    #[schema(value_type = BTreeMap<String, schema::BalanceOut>)]
    pub(crate) balances: schema::Balances,
}

#[utoipa::path(get, path = "/v1/wallets/virtual/{id}/balance", operation_id = "virtual_wallets.balance", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id"),
        ("at" = Option<String>, Query, format = DateTime, description = "RFC 3339 time the balances are asked for (absent: now)")),
    responses((status = 200, description = "The wallet's balances per token", body = WalletBalance)))]
pub(crate) async fn get_virtual_balance(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<journal::AtQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsBalance).await?;
    let at = journal::at_query(q)?;
    let row = wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    if let Some(at) = at {
        let account = waas_core::ledger::journal::wallet_account(&id);
        let balances = journal::balances_at(&s, &caller.client_id, &account, at).await?;
        let at = crate::host::journal::rfc3339(at);
        return Ok(Json(WalletBalance {
            id,
            status: None,
            at: Some(at),
            balances,
        })
        .into_response());
    }
    let balances = wallet_balances(&s, &caller.client_id, std::slice::from_ref(&id)).await?;
    let empty = BTreeMap::new();
    let held = held_of(&row)?;
    let balances = schema::held_balances(balances.get(&id).unwrap_or(&empty), &held);
    Ok(Json(WalletBalance {
        status: Some(col(&row, "status")?),
        id,
        at: None,
        balances,
    })
    .into_response())
}

/// `GET /v1/wallets/virtual` query: a page, and the filters of virtual wallets.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct VirtualListQuery {
    /// Rows wanted (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub(crate) limit: Option<i64>,
    /// `next_cursor` of the page before (a position in the list: every string of this form is one;
    /// empty: the first page).
    #[param(pattern = r"^(?:[0-9]{1,18}-(?:[0-9a-f]{2}){0,200})?$")]
    pub(crate) cursor: Option<String>,
    /// Only the wallets of this blockchain.
    pub(crate) blockchain: Option<String>,
    /// Only the wallets in this status: `active`, `inactive` or `frozen` (empty: every status).
    #[param(pattern = r"^(?:active|inactive|frozen)?$", example = "active")]
    pub(crate) status: Option<String>,
    /// Only the wallets of this account.
    pub(crate) account_id: Option<String>,
}

#[utoipa::path(get, path = "/v1/wallets/virtual", operation_id = "virtual_wallets.list", tag = "virtual_wallets",
    params(VirtualListQuery),
    responses((status = 200, description = "A page of virtual wallets, oldest first", body = Listed<VirtualWalletOut>)))]
pub(crate) async fn list_virtual(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<VirtualListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsList).await?;
    let q = page::query(q)?;
    let page = Page::new(q.limit, q.cursor.as_deref())?;
    let chain = match &q.blockchain {
        Some(c) => s.store.registry().chain(c)?.id.to_string(),
        None => String::new(),
    };
    let status = q.status.clone().unwrap_or_default();
    if !matches!(status.as_str(), "" | "active" | "inactive" | "frozen") {
        return Err(ApiError::bad_request(
            "status must be active, inactive or frozen",
        ));
    }
    let account = q.account_id.clone().unwrap_or_default();
    let (rows, next) = page
        .fetch(
            s.store.reader(),
            &list_select(!account.is_empty()),
            &[&caller.client_id, &chain, &status, &account],
        )
        .await?;
    let ids = rows
        .iter()
        .map(|r| col(r, "id"))
        .collect::<Result<Vec<_>, _>>()?;
    let balances = wallet_balances(&s, &caller.client_id, &ids).await?;
    let mut out = Vec::new();
    for (r, id) in rows.iter().zip(&ids) {
        out.push(wallet_out(r, balances.get(id))?);
    }
    Ok(Json(Listed::new(out, next)).into_response())
}

/// The virtual wallets list's statement ($1 client, $2 chain, $3 status, $4 account or empty).
/// With an account it says a plain `account_id = $4`, so that the index by account (migration
/// 0018) finds the account's wallets instead of the client's being read until a page is full.
pub(crate) fn list_select(by_account: bool) -> String {
    let account = if by_account {
        "account_id = $4"
    } else {
        "$4 = ''"
    };
    format!(
        "SELECT id, account_id, blockchain, address, derivation_index, alias, status, flags, held, created_at FROM wallets \
         WHERE client_id = $1 AND kind = 'virtual' AND ($2 = '' OR blockchain = $2) AND ($3 = '' OR status = $3) AND {account}"
    )
}
