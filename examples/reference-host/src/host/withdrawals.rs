//! Withdrawals after their debit: each step of the core's lifecycle (broadcast, confirm, fail,
//! cancel) moves the withdrawal's record, its transaction row and its webhook together, in the
//! caller's [`Work`]. Chain back-ends (the simulated chain below, the EVM adapter) call
//! [`advance`] when they sign, see a receipt or see a failure; the API calls it to cancel.
//!
//! Webhooks keep the seed's envelope (status `SUCCESS`, `CANCELLED` or `FAILED`):
//! `WITHDRAWAL_PENDING` when the debit is taken, `WITHDRAWAL_BROADCAST` with the transaction hash,
//! then `WITHDRAWAL` once, with `SUCCESS` on confirmation, `FAILED` (and the reason) when it
//! failed and its debit came back, or `CANCELLED`.

use super::api::{auth, body, EmptyBody, NoBody};
use super::error::ApiError;
use super::store::{col, now_ms, opt_col, Work};
use super::AppState;
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
use waas_core::access::Environment;
use waas_core::ledger::{AddressOwner, Book, Movement, WithdrawalStatus};
use waas_core::webhook::Status;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Transaction types that are withdrawals.
pub const KINDS: [&str; 4] = [
    "withdrawal",
    "holding_withdrawal",
    "treasury_send",
    "deposit_refund",
];

/// A step of a withdrawal's life.
#[derive(Debug, Clone)]
pub enum Step {
    /// Signed and sent as this transaction hash.
    Broadcast(String),
    /// Final on chain.
    Confirm,
    /// Failed for this reason (its debit comes back).
    Fail(String),
    /// Cancelled while pending (its debit comes back).
    Cancel,
}

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
    super::api::edits::double_option::deserialize(d)
}

impl WithdrawalRecord {
    /// The record of a stored transaction body.
    fn of(body: Value) -> Result<WithdrawalRecord, ApiError> {
        serde_json::from_value(body)
            .map_err(|e| ApiError::internal(format!("withdrawal record: {e}")))
    }
}

/// The webhook operation of a withdrawal's transaction type.
pub fn operation_of(kind: &str) -> &'static str {
    match kind {
        "holding_withdrawal" => "HOLDING_WALLET",
        "treasury_send" => "TREASURY",
        _ => "VIRTUAL_WALLET",
    }
}

/// Moves a withdrawal one step: the core's record, the transaction row (status, `tx_hash`,
/// `reason`) and the webhook. Repeating a step already taken changes nothing and sends nothing.
pub async fn advance(w: &mut Work, id: &str, step: Step) -> Result<Value, ApiError> {
    let row =
        sqlx::query("SELECT type, status, body FROM transactions WHERE id = $1 AND client_id = $2")
            .bind(id)
            .bind(w.client_id.clone())
            .fetch_optional(w.conn().await?)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no withdrawal {id}")))?;
    let kind = col(&row, "type")?;
    if !KINDS.contains(&kind.as_str()) {
        return Err(ApiError::not_found(format!("no withdrawal {id}")));
    }
    let before = col(&row, "status")?;
    let mut body: Value = super::store::stored(&col(&row, "body")?, "transaction body")?;
    remember(w, id).await?;
    let record = match &step {
        Step::Broadcast(hash) => w.ledger.withdrawal_broadcast(id, hash)?,
        Step::Confirm => w.ledger.withdrawal_confirm(id)?,
        Step::Fail(reason) => w.ledger.withdrawal_fail(id, reason)?,
        Step::Cancel => w.ledger.withdrawal_cancel(id)?,
    }
    .clone();
    let status = record.status.as_str();
    body["status"] = json!(status);
    if let Some(h) = &record.tx_hash {
        body["tx_hash"] = json!(h);
    }
    if let Some(r) = &record.reason {
        body["reason"] = json!(r);
    }
    if before == status {
        return Ok(body);
    }
    w.upsert_transaction(id, None, &kind, status, None, None, &body)
        .await?;
    if let (
        WithdrawalStatus::Failed | WithdrawalStatus::Cancelled,
        Movement::DepositRefund { tx, .. },
    ) = (record.status, &record.movement)
    {
        // A refund from the deposit address that did not happen: its sweep may start again
        // (docs in evm/sends.rs; deposits of other chains have no such row).
        sqlx::query("UPDATE chain_deposits SET sweep = 'due', updated_at = $1 WHERE id = $2 AND client_id = $3 AND sweep = 'refund'")
            .bind(now_ms())
            .bind(tx)
            .bind(w.client_id.clone())
            .execute(w.conn().await?)
            .await?;
    }
    let (sub, st, reason) = match record.status {
        WithdrawalStatus::Broadcast => ("WITHDRAWAL_BROADCAST", Status::Success, None),
        WithdrawalStatus::Confirmed => ("WITHDRAWAL", Status::Success, None),
        WithdrawalStatus::Failed => ("WITHDRAWAL", Status::Failed, record.reason.as_deref()),
        WithdrawalStatus::Cancelled => ("WITHDRAWAL", Status::Cancelled, None),
        WithdrawalStatus::Pending => return Ok(body),
    };
    w.event(
        operation_of(&kind),
        sub,
        &format!("{id}:{status}"),
        st,
        reason,
        body.clone(),
    )?;
    Ok(body)
}

/// Who owns `address` among the client's wallets on `chain`: one of its wallets, its holding
/// wallet, or nobody (an outside address). The address is compared in its canonical form; an
/// owning wallet joins the working set.
pub async fn owner_of(
    w: &mut Work,
    registry: &waas_core::Registry,
    chain: &str,
    address: &str,
) -> Result<AddressOwner, ApiError> {
    let family = registry.chain(chain)?.family;
    let canonical = waas_core::Address::parse(family, address)?.to_string();
    let wallet = sqlx::query(
        "SELECT id FROM wallets WHERE client_id = $1 AND address = $2 AND blockchain = $3",
    )
    .bind(w.client_id.clone())
    .bind(&canonical)
    .bind(chain)
    .fetch_optional(w.conn().await?)
    .await?;
    if let Some(r) = wallet {
        // The core decides with the owner in the working set.
        let id = col(&r, "id")?;
        w.need_wallets(&[&id]).await?;
        return Ok(AddressOwner::Wallet(id));
    }
    let holding = sqlx::query(
        "SELECT blockchain FROM holdings WHERE client_id = $1 AND address = $2 AND blockchain = $3",
    )
    .bind(w.client_id.clone())
    .bind(&canonical)
    .bind(chain)
    .fetch_optional(w.conn().await?)
    .await?;
    Ok(match holding {
        Some(r) => AddressOwner::Holding(col(&r, "blockchain")?),
        None => AddressOwner::Outside,
    })
}

/// The fee of a withdrawal of `amount` of `token` on `chain`: the schedule the platform set for
/// the client (it replaces the caller's offer), else the offer.
pub async fn fee_for(
    w: &mut Work,
    registry: &waas_core::Registry,
    chain: &str,
    token: &str,
    offered: Option<waas_core::Amount>,
    amount: waas_core::Amount,
) -> Result<waas_core::fees::Quote, ApiError> {
    let t = registry.token(chain, token)?;
    let settings = super::api::settings_in(w).await?;
    let schedule = settings
        .withdrawal_fees
        .get(&format!("{chain}/{}", t.symbol));
    Ok(waas_core::fees::quote(
        schedule, offered, amount, t.decimals,
    )?)
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
    let caller = auth(&s, &headers, "virtual_wallets.withdraw_quote").await?;
    let req: QuoteReq = body(&bytes)?;
    let amt = super::api::amount("amount", &req.amount)?;
    super::api::wallet_row(&s, &caller.client_id, &id, "virtual").await?;
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

/// Loads a withdrawal's record and the wallets its debit touched into the working set.
async fn remember(w: &mut Work, id: &str) -> Result<(), ApiError> {
    if !w.remember_withdrawal(id).await? {
        return Err(ApiError::not_found(format!(
            "withdrawal {id} has no lifecycle record (made by an older version; it stays as it is)"
        )));
    }
    // A refund that fails leaves its deposit waiting again: the deposit joins the working set.
    if let Movement::DepositRefund { tx, .. } = &w.ledger.withdrawal(id)?.movement {
        let tx = tx.clone();
        w.remember_deposit(&tx).await?;
    }
    let wallets: Vec<String> = w
        .ledger
        .withdrawal(id)?
        .legs
        .iter()
        .flat_map(|l| [&l.from, &l.to])
        .filter_map(|b| match b {
            Book::Wallet(wallet, _) => Some(wallet.clone()),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = wallets.iter().map(String::as_str).collect();
    w.need_wallets(&names).await
}

#[utoipa::path(get, path = "/v1/withdrawals/{id}", operation_id = "withdrawals.get", tag = "withdrawals",
    params(("id" = String, Path, description = "The withdrawal's id")),
    responses((status = 200, description = "The withdrawal and where it stands", body = WithdrawalRecord)))]
async fn get_withdrawal(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "withdrawals.get").await?;
    let row = sqlx::query("SELECT type, wallet_id, created_at, updated_at, body FROM transactions WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?
        .filter(|r| col(r, "type").is_ok_and(|k| KINDS.contains(&k.as_str())))
        .ok_or_else(|| ApiError::not_found(format!("no withdrawal {id}")))?;
    let mut body: Value = super::store::stored(&col(&row, "body")?, "transaction body")?;
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
    let caller = auth(&s, &headers, "withdrawals.cancel").await?;
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
    let caller = auth(&s, &headers, "simulate.withdrawal_failure").await?;
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

// ---------- the simulated chain's withdrawals ----------

/// Sandbox: signs pending withdrawals of chains no real back-end serves one block after their
/// debit (a hash made from the id) and confirms them after the chain's confirmations at the
/// simulated block time.
pub async fn simulate_due(state: &AppState, served: Option<&str>) -> Result<(), ApiError> {
    if state.environment != Environment::Sandbox {
        return Ok(());
    }
    let rows = sqlx::query("SELECT id, client_id, type, status, updated_at, body FROM transactions WHERE status IN ('pending', 'broadcast') AND type IN ('withdrawal', 'holding_withdrawal', 'treasury_send', 'deposit_refund') ORDER BY updated_at LIMIT 100")
        .fetch_all(state.store.pool())
        .await?;
    let block_ms = i64::try_from(state.sim_block_ms).unwrap_or(1000);
    for r in rows {
        let (id, client, status) = (col(&r, "id")?, col(&r, "client_id")?, col(&r, "status")?);
        // A row that cannot be read is logged (CORRUPT_RECORD) and left for an operator; the
        // others go on.
        let Ok(body) = super::store::stored::<Value>(&col(&r, "body")?, "transaction body") else {
            continue;
        };
        let chain = body["blockchain"].as_str().unwrap_or_default().to_owned();
        if served.is_some_and(|c| c == chain) {
            continue;
        }
        // Sent one block after the debit; final after the chain's confirmations.
        let blocks = if status == "pending" {
            1
        } else {
            state
                .store
                .registry()
                .chain(&chain)
                .map_or(1, |c| i64::from(c.confirmations))
        };
        if now_ms() < r.try_get::<i64, _>("updated_at")? + blocks * block_ms {
            continue;
        }
        let step = if status == "pending" {
            Step::Broadcast(sim_hash(&id))
        } else {
            Step::Confirm
        };
        let mut w = state.store.begin(&client).await?;
        match advance(&mut w, &id, step).await {
            Ok(_) => {
                w.commit().await?;
                state.outbox_notify.notify_one();
            }
            Err(e) => tracing::warn!(%id, error = %e, "simulated withdrawal"),
        }
    }
    Ok(())
}

/// The simulated chain's transaction hash of a withdrawal: SHA-256 of its id, as 0x + hex.
fn sim_hash(id: &str) -> String {
    use sha2::Digest;
    format!("0x{}", hex::encode(sha2::Sha256::digest(id.as_bytes())))
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
