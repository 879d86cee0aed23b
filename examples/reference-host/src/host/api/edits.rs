//! What a client edits on its wallets and cards: a virtual wallet's alias, a card's alias and
//! spending limit (the largest payment it may make, enforced by the core); and the transaction
//! list of a treasury wallet.

use super::schema::Listed;
use crate::host::api::cards::card_out;
use crate::host::api::cards::CardKind;
use crate::host::api::cards::CardOut;
use crate::host::api::extract;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::transactions::query_transactions;
use crate::host::api::transactions::TxOut;
use crate::host::api::transactions::TxQuery;
use crate::host::api::treasury::treasury_json;
use crate::host::api::virtual_wallets;
use crate::host::api::virtual_wallets::wallet_row;
use crate::host::api::virtual_wallets::VirtualWalletOut;
use crate::host::error::ApiError;
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Longest alias accepted, in characters (the schema's `maxLength`).
pub const MAX_ALIAS_LEN: usize = 200;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(update_virtual))
        .routes(routes!(update_vcard))
        .routes(routes!(treasury_transactions))
}

fn check_alias(alias: &str) -> Result<(), ApiError> {
    if alias.trim().is_empty()
        || alias.chars().count() > MAX_ALIAS_LEN
        || alias.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(format!(
            "alias must be 1 to {MAX_ALIAS_LEN} printable characters"
        )));
    }
    Ok(())
}

/// What changes on a virtual wallet.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WalletUpdate {
    /// Its new alias (1 to 200 characters, no control characters, not only blanks); absent:
    /// unchanged.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "savings"
    )]
    alias: Option<String>,
}

/// `PATCH /v1/wallets/virtual/{id} {"alias"}`.
#[utoipa::path(patch, path = "/v1/wallets/virtual/{id}", operation_id = "virtual_wallets.update", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    request_body(content = WalletUpdate, example = json!({"alias": "savings"})),
    responses((status = 200, description = "The wallet as it is now", body = VirtualWalletOut)))]
async fn update_virtual(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsUpdate).await?;
    let req: WalletUpdate = body(&bytes)?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    if let Some(alias) = &req.alias {
        check_alias(alias)?;
        sqlx::query("UPDATE wallets SET alias = $1 WHERE id = $2 AND client_id = $3")
            .bind(alias)
            .bind(&id)
            .bind(&caller.client_id)
            .execute(s.store.pool())
            .await?;
    }
    let row = wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let balances =
        virtual_wallets::wallet_balances(&s, &caller.client_id, std::slice::from_ref(&id)).await?;
    Ok(Json(virtual_wallets::wallet_out(&row, balances.get(&id))?).into_response())
}

/// What changes on a virtual card.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VirtualCardUpdate {
    /// Its new alias (1 to 200 characters, no control characters, not only blanks); absent:
    /// unchanged.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "travel"
    )]
    alias: Option<String>,
    /// Its spending limit (the largest payment it may make): a decimal USD amount, `null` to
    /// lift it; absent: unchanged.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>, example = "500")]
    spending_limit: Option<Option<String>>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(crate) mod double_option {
    use serde::{Deserialize, Deserializer};

    /// `Some(None)` for `null`, `Some(Some(v))` for a value (absent fields stay `None` by
    /// `#[serde(default)]`).
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// `PATCH /v1/virtual-cards/{id} {"alias", "spending_limit"}`.
#[utoipa::path(patch, path = "/v1/virtual-cards/{id}", operation_id = "virtual_cards.update", tag = "virtual_cards",
    params(("id" = String, Path, description = "The virtual card's id")),
    request_body(content = VirtualCardUpdate, example = json!({"alias": "travel", "spending_limit": "500"})),
    responses((status = 200, description = "The virtual card as it is now (its number masked)", body = CardOut)))]
async fn update_vcard(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualCardsUpdate).await?;
    let req: VirtualCardUpdate = body(&bytes)?;
    card_out(&s, &caller.client_id, &id, CardKind::Virtual).await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(alias) = &req.alias {
        check_alias(alias)?;
        sqlx::query("UPDATE cards SET label = $1 WHERE id = $2 AND client_id = $3")
            .bind(alias)
            .bind(&id)
            .bind(&caller.client_id)
            .execute(w.conn().await?)
            .await?;
    }
    if let Some(limit) = &req.spending_limit {
        let amount = limit
            .as_deref()
            .map(|l| extract::amount("spending_limit", l))
            .transpose()?;
        w.need_wallets(&[&id]).await?;
        w.ledger.set_card_spending_limit(&id, amount)?;
        sqlx::query("UPDATE cards SET spending_limit = $1 WHERE id = $2 AND client_id = $3")
            .bind(amount.map(|a| a.to_string()))
            .bind(&id)
            .bind(&caller.client_id)
            .execute(w.conn().await?)
            .await?;
    }
    w.commit().await?;
    Ok(Json(card_out(&s, &caller.client_id, &id, CardKind::Virtual).await?).into_response())
}

type TxQ = Result<Query<TxQuery>, axum::extract::rejection::QueryRejection>;

/// `GET /v1/treasury/{id}/transactions`: paginated and filtered as `/v1/transactions`.
#[utoipa::path(get, path = "/v1/treasury/{id}/transactions", operation_id = "treasury.transactions", tag = "treasury",
    params(("id" = String, Path, description = "The treasury wallet's id"), TxQuery),
    responses((status = 200, description = "A page of the treasury wallet's transactions, newest first (`wallet_id` is the path's)", body = Listed<TxOut>)))]
async fn treasury_transactions(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: TxQ,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::TreasuryTransactions).await?;
    treasury_json(&s, &caller.client_id, &id).await?;
    let Query(mut q) = q.map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    q.wallet_id = Some(id);
    Ok(Json(query_transactions(&s, &caller.client_id, q).await?).into_response())
}
