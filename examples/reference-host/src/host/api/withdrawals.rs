//! The withdrawal routes: a withdrawal read back, cancelled, quoted, or failed in the sandbox. Each
//! step goes through the lifecycle in `host/withdrawals.rs`.

use crate::host::api::extract;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::EmptyBody;
use crate::host::api::extract::NoBody;
use crate::host::api::virtual_wallets;
use crate::host::error::ApiError;
use crate::host::store::{col, opt_col};
use crate::host::withdrawals::{advance, fee_for, owner_of, Step, WithdrawalKind};
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::Row;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(get_withdrawal))
        .routes(routes!(cancel))
        .routes(routes!(quote))
        .routes(routes!(simulate_failure))
}

/// A withdrawal as its transaction row keeps it (any kind: `withdrawal`, `holding_withdrawal`,
/// `treasury_send`, `deposit_refund`). A field shown `null` was stored `null`; a field a kind does
/// not have is absent. The answer is the stored record read back: the fields below are typed, any
/// other the record carries is passed through as stored.
#[derive(Serialize, Deserialize, ToSchema)]
pub(crate) struct WithdrawalRecord {
    /// The withdrawal's id.
    pub(crate) id: String,
    /// `withdrawal`, `holding_withdrawal`, `treasury_send` or `deposit_refund`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// `pending`, `broadcast`, `confirmed`, `failed` or `cancelled`.
    pub(crate) status: String,
    /// The paying wallet (`null` for a holding wallet's).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) wallet_id: Option<Option<String>>,
    /// The paying holding wallet (`holding_withdrawal`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) holding_id: Option<Option<String>>,
    /// The refunded deposit's transaction (`deposit_refund`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) deposit_tx: Option<Option<String>>,
    /// The hold it captured, if it comes from one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) hold_id: Option<Option<String>>,
    /// Its blockchain.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) blockchain: Option<Option<String>>,
    /// The receiving address.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) to_address: Option<Option<String>>,
    /// The receiving wallet of an internal withdrawal (`null` for the holding wallet).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) to_wallet_id: Option<Option<String>>,
    /// Whether an internal withdrawal went to the client's holding wallet.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<bool>)]
    pub(crate) to_holding: Option<Option<bool>>,
    /// `true`: settled internally, no chain transaction.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<bool>)]
    pub(crate) internal: Option<Option<bool>>,
    /// Token symbol.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) token: Option<Option<String>>,
    /// Decimal amount.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) amount: Option<Option<String>>,
    /// The network fee, decimal.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) fee: Option<Option<String>>,
    /// The transaction hash, once broadcast.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) tx_hash: Option<Option<String>>,
    /// Why it failed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) reason: Option<Option<String>>,
    /// The EVM transaction signed for it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) chain_tx: Option<Option<String>>,
    /// The EVM nonce of that transaction.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<u64>)]
    pub(crate) nonce: Option<Option<u64>>,
    /// The address that signed it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    pub(crate) from_address: Option<Option<String>>,
    /// When it was made, unix milliseconds (`GET` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) created_at: Option<i64>,
    /// When it last changed, unix milliseconds (`GET` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) updated_at: Option<i64>,
    /// Any other field the record carries, as stored.
    #[serde(flatten)]
    #[schema(ignore)]
    pub(crate) other: Map<String, Value>,
}

/// A present field, `null` or not (absent fields stay `None`).
fn maybe<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    super::edits::double_option::deserialize(d)
}

impl WithdrawalRecord {
    /// The record of a stored transaction body.
    fn of(body: Value) -> Result<WithdrawalRecord, ApiError> {
        serde_json::from_value(body)
            .map_err(|e| ApiError::internal(format!("withdrawal record: {e}")))
    }
}

/// A withdrawal to price.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct QuoteReq {
    /// Token symbol.
    #[schema(example = "USDT")]
    token: String,
    /// Decimal amount.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "10.5")]
    amount: String,
    /// The receiving address, to learn whether it would settle internally (without fee).
    to_address: Option<String>,
}

/// What a withdrawal would cost.
#[derive(Serialize, ToSchema)]
struct QuoteOut {
    /// The paying wallet.
    wallet_id: String,
    /// Its blockchain.
    blockchain: String,
    /// Token symbol.
    token: String,
    /// Decimal amount.
    amount: String,
    /// The configured network fee (`0` internally).
    fee: String,
    /// What leaves the wallet: amount plus fee.
    total: String,
    /// What arrives.
    arrives: String,
    /// Whether it would settle internally (an address of the client's own).
    internal: bool,
}

/// `POST /v1/wallets/virtual/{id}/withdraw/quote {"token","amount"[,"to_address"]}`: what a
/// withdrawal would cost (the configured fee), what arrives, and whether it would settle
/// internally. Changes nothing.
#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/withdraw/quote", operation_id = "virtual_wallets.withdraw_quote", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The paying virtual wallet's id")),
    request_body(content = QuoteReq, example = json!({"token": "USDT", "amount": "10.5"})),
    responses((status = 200, description = "The price of the withdrawal", body = QuoteOut)))]
async fn quote(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsWithdrawQuote).await?;
    let req: QuoteReq = body(&bytes)?;
    let amt = extract::amount("amount", &req.amount)?;
    virtual_wallets::wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_wallets(&[&id]).await?;
    let chain = w.ledger.wallet(&id)?.blockchain.clone().unwrap_or_default();
    let registry = s.store.registry();
    let internal = match &req.to_address {
        Some(to) => {
            let owner = owner_of(&mut w, registry, &chain, to).await?;
            w.ledger.withdrawal_route(&id, &owner)? != waas_core::ledger::Route::Chain
        }
        None => false,
    };
    let t = registry.token(&chain, &req.token)?;
    let q = if internal {
        waas_core::fees::quote(None, None, amt, t.decimals)?
    } else {
        fee_for(&mut w, registry, &chain, &req.token, None, amt).await?
    };
    let token = t.symbol.clone();
    // A quote writes nothing: the working set is dropped, its transaction rolled back.
    drop(w);
    Ok(Json(QuoteOut {
        wallet_id: id,
        blockchain: chain,
        token,
        amount: q.amount.to_string(),
        fee: q.fee.to_string(),
        total: q.total.to_string(),
        arrives: q.amount.to_string(),
        internal,
    })
    .into_response())
}

#[utoipa::path(get, path = "/v1/withdrawals/{id}", operation_id = "withdrawals.get", tag = "withdrawals",
    params(("id" = String, Path, description = "The withdrawal's id")),
    responses((status = 200, description = "The withdrawal and where it stands", body = WithdrawalRecord)))]
async fn get_withdrawal(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::WithdrawalsGet).await?;
    let row = sqlx::query("SELECT type, wallet_id, created_at, updated_at, body FROM transactions WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?
        .filter(|r| col(r, "type").is_ok_and(|k| WithdrawalKind::parse(&k).is_some()))
        .ok_or_else(|| ApiError::not_found(format!("no withdrawal {id}")))?;
    let mut body: Value = crate::host::store::stored(&col(&row, "body")?, "transaction body")?;
    body["wallet_id"] = json!(opt_col(&row, "wallet_id")?);
    body["created_at"] = json!(row.try_get::<i64, _>("created_at")?);
    body["updated_at"] = json!(row.try_get::<i64, _>("updated_at")?);
    if body["status"] == "submitted" {
        // Written by a version before the lifecycle: debited and handed to the chain.
        body["status"] = json!("pending");
    }
    Ok(Json(WithdrawalRecord::of(body)?).into_response())
}

/// `POST /v1/withdrawals/{id}/cancel`: a pending withdrawal is cancelled and its debit given back.
#[utoipa::path(post, path = "/v1/withdrawals/{id}/cancel", operation_id = "withdrawals.cancel", tag = "withdrawals",
    params(("id" = String, Path, description = "The withdrawal's id")),
    responses((status = 200, description = "The withdrawal, cancelled", body = WithdrawalRecord)))]
async fn cancel(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::WithdrawalsCancel).await?;
    let _: NoBody = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let out = WithdrawalRecord::of(advance(&mut w, &id, Step::Cancel).await?)?;
    w.commit().await?;
    s.outbox_notify.notify_one();
    Ok(Json(out).into_response())
}

/// The withdrawal the simulated chain rejects.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FailureReq {
    /// The withdrawal's id.
    id: String,
    /// Why it failed (default: the simulated chain rejected the transaction).
    reason: Option<String>,
}

/// `POST /v1/simulate/withdrawal-failure {"id","reason"}` (sandbox): the chain rejects a
/// withdrawal that is pending or broadcast; its debit comes back.
#[utoipa::path(post, path = "/v1/simulate/withdrawal-failure", operation_id = "simulate.withdrawal_failure", tag = "simulate",
    request_body(content = FailureReq, example = json!({"id": "op_01HZX5", "reason": "out of gas"})),
    responses((status = 200, description = "The withdrawal, failed", body = WithdrawalRecord)))]
async fn simulate_failure(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, Operation::SimulateWithdrawalFailure).await?;
    let req: FailureReq = body(&bytes)?;
    let reason = req
        .reason
        .unwrap_or_else(|| "the simulated chain rejected the transaction".to_owned());
    let mut w = s.store.begin(&caller.client_id).await?;
    let out = WithdrawalRecord::of(advance(&mut w, &req.id, Step::Fail(reason)).await?)?;
    w.commit().await?;
    s.outbox_notify.notify_one();
    Ok(Json(out).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withdrawal_record_reads_back_as_stored() {
        // Nulls stay null, absent fields stay absent, fields the type does not name pass through.
        let stored = json!({
            "id": "mv_1", "type": "withdrawal", "status": "confirmed", "wallet_id": "vw_1",
            "blockchain": null, "to_address": "0xabc", "to_wallet_id": null, "to_holding": true,
            "internal": true, "token": "USDT", "amount": "1.5", "fee": "0", "nonce": 7,
            "block_number": 12, "dropped": false,
        });
        let record = WithdrawalRecord::of(stored.clone()).map_err(|e| e.to_string());
        let back = record.and_then(|r| serde_json::to_value(r).map_err(|e| e.to_string()));
        assert_eq!(back, Ok(stored));
    }
}
