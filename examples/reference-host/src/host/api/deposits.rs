//! Deposits under the minimum have an owner: `GET /v1/deposits?status=below_minimum` lists them
//! (with whether they were credited or refunded since); `POST /v1/deposits/{tx}/credit`
//! (MANAGEMENT) credits a confirmed one to its wallet by decision, once (the core's
//! `Ledger::credit_below_minimum`); `POST /v1/deposits/{tx}/refund {"to_address","fee"}`
//! (MANAGEMENT) sends it back less the network fee, as a withdrawal with its lifecycle
//! (`Ledger::refund_below_minimum`).

use super::schema::{IdempotencyKey, Listed};
use crate::host::api::extract;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::EmptyBody;
use crate::host::api::extract::NoBody;
use crate::host::api::virtual_wallets::movements;
use crate::host::api::virtual_wallets::movements::settle_movement;
use crate::host::api::virtual_wallets::movements::MovementRow;
use crate::host::api::virtual_wallets::movements::WithdrawalOut;
use crate::host::error::ApiError;
use crate::host::page::Page;
use crate::host::store::Work;
use crate::host::store::{col, opt_col};
use crate::host::withdrawals::WithdrawalKind;
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::Movement;
use waas_core::webhook::Subject;
use waas_core::webhook::{Event, Moved};
use waas_core::Amount;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(credit))
        .routes(routes!(refund))
}

/// `GET /v1/deposits` query: a page and `status` (`below_minimum`, or every deposit without it).
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DepositQuery {
    /// Rows wanted (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// `next_cursor` of the page before (a position in the list: every string of this form is one;
    /// empty: the first page).
    #[param(pattern = r"^(?:[0-9]{1,18}-(?:[0-9a-f]{2}){0,200})?$")]
    cursor: Option<String>,
    /// `below_minimum`: only the deposits under the minimum; absent: every deposit.
    #[param(value_type = Option<DepositStatusFilter>, inline)]
    status: Option<String>,
}

/// What a list of deposits filters by (the schema of `status`).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum DepositStatusFilter {
    /// The deposits under the minimum (waiting for a decision, or decided).
    BelowMinimum,
}

/// A deposit in the list.
#[derive(Serialize, ToSchema)]
struct DepositSummary {
    /// Its transaction (the same as `tx`).
    id: String,
    /// Its transaction.
    tx: String,
    /// The credited wallet.
    wallet_id: Option<String>,
    /// `pending`, `confirmed` or `dropped`.
    status: String,
    /// Token symbol.
    token: Option<String>,
    /// Decimal amount.
    amount: Option<String>,
    /// Under the minimum: not credited until an operator decides.
    below_minimum: bool,
    /// Credited by an operator's decision.
    credited_by_decision: bool,
    /// When it was seen, unix milliseconds.
    created_at: i64,
    /// For a deposit still pending: the confirmations its chain needs and how many it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    confirmations: Option<Confirmations>,
}

/// How far a pending deposit is from final.
#[derive(Serialize, ToSchema)]
struct Confirmations {
    /// Blocks on top of (and including) its block so far.
    seen: u32,
    /// Blocks its chain needs before the deposit is final.
    required: u32,
}

/// The confirmations of pending deposits (tx, confirmations required): on the simulated chain
/// from when each confirms, on an EVM chain from its block and the scanner's head. A deposit
/// neither knows is absent. Two statements for a whole page, whatever its length.
async fn confirmations(
    s: &AppState,
    pending: &[(String, u32)],
) -> Result<HashMap<String, Confirmations>, ApiError> {
    let mut out = HashMap::new();
    if pending.is_empty() {
        return Ok(out);
    }
    let reader = s.store.reader();
    let marks = (1..=pending.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut seen: HashMap<String, i64> = HashMap::new();
    let sql = format!("SELECT d.id AS tx, d.block_number, c.next_block FROM chain_deposits d JOIN chain_cursors c ON c.chain = d.chain WHERE d.id IN ({marks})");
    let mut q = sqlx::query(&sql);
    for (tx, _) in pending {
        q = q.bind(tx.as_str());
    }
    for row in q.fetch_all(reader).await? {
        let blocks =
            row.try_get::<i64, _>("next_block")? - row.try_get::<i64, _>("block_number")?;
        seen.insert(row.try_get("tx")?, blocks);
    }
    // The simulated chain's record wins where both know a deposit.
    let sql = format!("SELECT tx, confirm_at FROM sim_deposits WHERE tx IN ({marks})");
    let mut q = sqlx::query(&sql);
    for (tx, _) in pending {
        q = q.bind(tx.as_str());
    }
    let required_of: HashMap<&str, u32> = pending.iter().map(|(t, r)| (t.as_str(), *r)).collect();
    let block_ms = i64::try_from(s.sim_block_ms.max(1)).unwrap_or(1000);
    let now = crate::host::store::now_ms();
    for row in q.fetch_all(reader).await? {
        let tx: String = row.try_get("tx")?;
        let required = required_of.get(tx.as_str()).copied().unwrap_or(0);
        let left_ms = row.try_get::<i64, _>("confirm_at")? - now;
        // blocks still to come, rounded up
        let left = (left_ms.max(0) + block_ms - 1) / block_ms;
        seen.insert(tx, i64::from(required) - left);
    }
    for (tx, required) in pending {
        if let Some(blocks) = seen.get(tx) {
            let n = u32::try_from((*blocks).clamp(0, i64::from(*required))).unwrap_or(*required);
            out.insert(
                tx.clone(),
                Confirmations {
                    seen: n,
                    required: *required,
                },
            );
        }
    }
    Ok(out)
}

/// A deposit as its transaction row keeps it, after an operator's credit. A field shown `null`
/// was stored `null`. The fields below are typed; any other the record carries (chain details)
/// is passed through as stored.
#[derive(Serialize, Deserialize, ToSchema)]
struct DepositRecord {
    /// Its transaction.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    tx: Option<Option<String>>,
    /// The credited wallet.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    wallet_id: Option<Option<String>>,
    /// Token symbol.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    token: Option<Option<String>>,
    /// Decimal amount.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    amount: Option<Option<String>>,
    /// `confirmed`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<String>)]
    status: Option<Option<String>>,
    /// Under the minimum.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "maybe"
    )]
    #[schema(value_type = Option<bool>)]
    below_minimum: Option<Option<bool>>,
    /// Always `true`: credited by an operator's decision.
    credited_by_decision: bool,
    /// Any other field the record carries, as stored.
    #[serde(flatten)]
    #[schema(ignore)]
    other: Map<String, Value>,
}

/// A present field, `null` or not (absent fields stay `None`).
fn maybe<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    super::edits::double_option::deserialize(d)
}

#[utoipa::path(get, path = "/v1/deposits", operation_id = "deposits.list", tag = "deposits",
    params(DepositQuery),
    responses((status = 200, description = "A page of deposits, oldest first", body = Listed<DepositSummary>)))]
async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<DepositQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::DepositsList).await?;
    let Query(q) = q.map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    // The deposit's transaction row carries `below_minimum` in its body: an operator's list,
    // read by a scan of the client's deposit rows.
    let filter = match q.status.as_deref() {
        None => "",
        Some("below_minimum") => " AND body LIKE '%\"below_minimum\":true%'",
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status: {other}: use below_minimum, or leave it out for every deposit"
            )))
        }
    };
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            &format!("SELECT id, wallet_id, status, token, amount, body, created_at FROM transactions WHERE client_id = $1 AND type = 'deposit'{filter}"),
            &[&caller.client_id],
        )
        .await?;
    let mut read = Vec::with_capacity(rows.len());
    let mut pending = Vec::new();
    for r in rows {
        let body: StoredDeposit =
            crate::host::store::stored(&col(&r, "body")?, "transaction body")?;
        let status: String = col(&r, "status")?;
        if let (Some(required), "pending") = (body.confirmations, status.as_str()) {
            pending.push((col(&r, "id")?, required));
        }
        read.push((r, body, status));
    }
    let mut progress = confirmations(&s, &pending).await?;
    let mut out = Vec::with_capacity(read.len());
    for (r, body, status) in read {
        let tx: String = col(&r, "id")?;
        out.push(DepositSummary {
            confirmations: if status == "pending" {
                progress.remove(&tx)
            } else {
                None
            },
            id: col(&r, "id")?,
            tx: col(&r, "id")?,
            wallet_id: opt_col(&r, "wallet_id")?,
            status,
            token: opt_col(&r, "token")?,
            amount: opt_col(&r, "amount")?,
            below_minimum: body.below_minimum,
            credited_by_decision: body.credited_by_decision,
            created_at: r.try_get::<i64, _>("created_at")?,
        });
    }
    Ok(Json(Listed::new(out, next)).into_response())
}

/// What a deposit's listing reads of its stored body: flags a body may lack (then false), and the
/// confirmations a pending one needs. A field of the wrong type is CORRUPT_RECORD.
#[derive(Deserialize)]
struct StoredDeposit {
    #[serde(default)]
    below_minimum: bool,
    #[serde(default)]
    credited_by_decision: bool,
    #[serde(default)]
    confirmations: Option<u32>,
}

/// `POST /v1/deposits/{tx}/credit`: a confirmed below-minimum deposit credited to its wallet.
#[utoipa::path(post, path = "/v1/deposits/{id}/credit", operation_id = "deposits.credit", tag = "deposits",
    params(("id" = String, Path, description = "The deposit's transaction")),
    responses((status = 200, description = "The deposit, credited", body = DepositRecord)))]
async fn credit(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(tx): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::DepositsCredit).await?;
    let NoBody {} = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let row = sqlx::query("SELECT wallet_id, status, body FROM transactions WHERE id = $1 AND client_id = $2 AND type = 'deposit'")
        .bind(&tx)
        .bind(&caller.client_id)
        .fetch_optional(w.conn().await?)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no deposit {tx}")))?;
    let status = col(&row, "status")?;
    let text = col(&row, "body")?;
    let mut out: Value = crate::host::store::stored(&text, "transaction body")?;
    let already = crate::host::store::stored::<StoredDeposit>(&text, "transaction body")?
        .credited_by_decision;
    w.remember_deposit(&tx).await?;
    let record = w.ledger.credit_below_minimum(&tx)?;
    let wallet = record.request.to.clone();
    let (token, amount) = (
        record.result.token.clone(),
        record.request.amount.to_string(),
    );
    out["credited_by_decision"] = json!(true);
    if !already {
        w.upsert_transaction(&tx, None, "deposit", &status, None, None, &out)
            .await?;
        w.emit(Event::DepositCredited {
            kind: w.ledger.wallet(&wallet)?.kind,
            tx: tx.clone(),
            wallet,
            token,
            amount,
        })?;
    }
    let out: DepositRecord = serde_json::from_value(out)
        .map_err(|e| ApiError::internal(format!("deposit record: {e}")))?;
    finish(w, &None, StatusCode::OK, out, &s).await
}

/// Where a below-minimum deposit goes back to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefundReq {
    /// An outside address.
    #[schema(example = "0x52908400098527886E0F7030069857D2E4169EE7")]
    to_address: String,
    /// Kept from the deposit for the network fee (default 0).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "0.1")]
    fee: Option<String>,
}

/// `POST /v1/deposits/{tx}/refund`: a confirmed below-minimum deposit sent back to an outside
/// address less the fee, as a withdrawal (pending, then broadcast and confirmed, or failed and
/// waiting for a decision again).
#[utoipa::path(post, path = "/v1/deposits/{id}/refund", operation_id = "deposits.refund", tag = "deposits",
    params(("id" = String, Path, description = "The deposit's transaction"), IdempotencyKey),
    request_body(content = RefundReq, example = json!({"to_address": "0x52908400098527886E0F7030069857D2E4169EE7", "fee": "0.1"})),
    responses((status = 201, description = "The refund, a pending withdrawal", body = WithdrawalOut)))]
async fn refund(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(tx): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::DepositsRefund).await?;
    let req: RefundReq = body(&bytes)?;
    let fee = extract::optional_amount("fee", req.fee.as_deref())?;
    let idem = extract::idem(&headers, &format!("deposit_refund:{tx}"), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = extract::replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let known = sqlx::query(
        "SELECT id FROM transactions WHERE id = $1 AND client_id = $2 AND type = 'deposit'",
    )
    .bind(&tx)
    .bind(&caller.client_id)
    .fetch_optional(w.conn().await?)
    .await?;
    if known.is_none() {
        return Err(ApiError::not_found(format!("no deposit {tx}")));
    }
    let mid = movements::movement_id(&mut w, &idem)?;
    w.remember_deposit(&tx).await?;
    w.remember_withdrawal(&mid).await?;
    let m = w
        .ledger
        .refund_below_minimum(&mid, &tx, &req.to_address, fee)?;
    // On an EVM chain, a refund from the deposit address and the sweep of the same funds are
    // kept apart (a sweep in flight refuses the refund for now).
    let from = crate::host::evm::sends::refund_source(&w.ledger.withdrawal(&mid)?.legs);
    crate::host::evm::sends::refund_vs_sweep(&mut w, &tx, &from).await?;
    let (out, amt) = refund_out(&w, &mid, &tx, &m)?;
    let wallet = out.wallet_id.clone();
    let row = MovementRow {
        wallet: &wallet,
        counterparty: None,
        kind: WithdrawalKind::DepositRefund.as_str(),
        status: "pending",
        of: Subject::VirtualWallet,
        moved: Moved::WithdrawalPending,
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}

/// The answer of a refund (the withdrawal `mid` that sends deposit `tx` back) and the amount
/// it sends.
fn refund_out(
    w: &Work,
    mid: &str,
    tx: &str,
    m: &Movement,
) -> Result<(WithdrawalOut, Amount), ApiError> {
    let Movement::DepositRefund {
        to_address,
        token,
        amount,
        fee,
        ..
    } = m
    else {
        return Err(ApiError::internal("a refund made another movement"));
    };
    let wallet = w
        .ledger
        .deposit_record(tx)
        .map(|d| d.request.to.clone())
        .unwrap_or_default();
    let chain = w.ledger.wallet(&wallet)?.blockchain.clone();
    let out = WithdrawalOut {
        id: mid.to_owned(),
        kind: WithdrawalKind::DepositRefund.as_str().to_owned(),
        deposit_tx: Some(tx.to_owned()),
        wallet_id: wallet,
        blockchain: chain,
        to_address: to_address.to_string(),
        to_wallet_id: None,
        to_holding: None,
        token: token.to_string(),
        amount: amount.to_string(),
        fee: fee.to_string(),
        status: "pending".to_owned(),
        internal: None,
    };
    Ok((out, *amount))
}
