//! Deposits under the minimum have an owner: `GET /v1/deposits?status=below_minimum` lists them
//! (with whether they were credited or refunded since); `POST /v1/deposits/{tx}/credit`
//! (MANAGEMENT) credits a confirmed one to its wallet by decision, once (the core's
//! `Ledger::credit_below_minimum`); `POST /v1/deposits/{tx}/refund {"to_address","fee"}`
//! (MANAGEMENT) sends it back less the network fee, as a withdrawal with its lifecycle
//! (`Ledger::refund_below_minimum`).

use super::api::{auth, body, finish, NoBody};
use super::error::ApiError;
use super::page::{self, Page};
use super::store::{col, opt_col};
use super::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use waas_core::ledger::WalletKind;
use waas_core::webhook::Status;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .route("/v1/deposits", get(list))
        .route("/v1/deposits/{tx}/credit", post(credit))
        .route("/v1/deposits/{tx}/refund", post(refund))
}

/// `GET /v1/deposits` query: a page and `status` (`below_minimum`, or every deposit without it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepositQuery {
    limit: Option<i64>,
    cursor: Option<String>,
    status: Option<String>,
}

async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<DepositQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, "deposits.list").await?;
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
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let body: Value = super::store::stored(&col(&r, "body")?, "transaction body")?;
        out.push(json!({
            "id": col(&r, "id")?, "tx": col(&r, "id")?, "wallet_id": opt_col(&r, "wallet_id")?,
            "status": col(&r, "status")?, "token": opt_col(&r, "token")?, "amount": opt_col(&r, "amount")?,
            "below_minimum": body["below_minimum"].as_bool().unwrap_or(false),
            "credited_by_decision": body["credited_by_decision"].as_bool().unwrap_or(false),
            "created_at": r.try_get::<i64, _>("created_at")?,
        }));
    }
    Ok(Json(page::answer(out, next)).into_response())
}

/// `POST /v1/deposits/{tx}/credit`: a confirmed below-minimum deposit credited to its wallet.
async fn credit(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(tx): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "deposits.credit").await?;
    let NoBody {} = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let row = sqlx::query("SELECT wallet_id, status, body FROM transactions WHERE id = $1 AND client_id = $2 AND type = 'deposit'")
        .bind(&tx)
        .bind(&caller.client_id)
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no deposit {tx}")))?;
    let status = col(&row, "status")?;
    let mut out: Value = super::store::stored(&col(&row, "body")?, "transaction body")?;
    w.remember_deposit(&tx).await?;
    let record = w.ledger.credit_below_minimum(&tx)?;
    let wallet = record.request.to.clone();
    let (token, amount) = (
        record.result.token.clone(),
        record.request.amount.to_string(),
    );
    let already = out["credited_by_decision"].as_bool().unwrap_or(false);
    out["credited_by_decision"] = json!(true);
    if !already {
        w.upsert_transaction(&tx, None, "deposit", &status, None, None, &out)
            .await?;
        let operation = match w.ledger.wallet(&wallet)?.kind {
            WalletKind::Treasury => "TREASURY",
            WalletKind::Card => "CARD",
            WalletKind::Virtual => "VIRTUAL_WALLET",
        };
        w.event(
            operation,
            "DEPOSIT",
            &format!("{tx}:credit"),
            Status::Success,
            None,
            json!({"tx": tx, "wallet_id": wallet, "token": token, "amount": amount, "credited_by_decision": true}),
        )?;
    }
    finish(w, &None, StatusCode::OK, out, &s).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundReq {
    to_address: String,
    /// Kept from the deposit for the network fee (default 0).
    fee: Option<String>,
}

/// `POST /v1/deposits/{tx}/refund`: a confirmed below-minimum deposit sent back to an outside
/// address less the fee, as a withdrawal (pending, then broadcast and confirmed, or failed and
/// waiting for a decision again).
async fn refund(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(tx): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "deposits.refund").await?;
    let req: RefundReq = body(&bytes)?;
    let fee = match &req.fee {
        Some(f) => super::api::amount("fee", f)?,
        None => waas_core::Amount::ZERO,
    };
    let idem = super::api::idem(&headers, &format!("deposit_refund:{tx}"), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = super::api::replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let known = sqlx::query(
        "SELECT id FROM transactions WHERE id = $1 AND client_id = $2 AND type = 'deposit'",
    )
    .bind(&tx)
    .bind(&caller.client_id)
    .fetch_optional(&mut *w.tx)
    .await?;
    if known.is_none() {
        return Err(ApiError::not_found(format!("no deposit {tx}")));
    }
    let mid = super::api::movement_id(&mut w, &idem)?;
    w.remember_deposit(&tx).await?;
    w.remember_withdrawal(&mid).await?;
    let m = w
        .ledger
        .refund_below_minimum(&mid, &tx, &req.to_address, fee)?;
    // On an EVM chain, a refund from the deposit address and the sweep of the same funds are
    // kept apart (a sweep in flight refuses the refund for now).
    let from = super::evm::sends::refund_source(&w.ledger.withdrawal(&mid)?.legs);
    super::evm::sends::refund_vs_sweep(&mut w, &tx, &from).await?;
    let waas_core::ledger::Movement::DepositRefund {
        to_address,
        token,
        amount,
        fee,
        ..
    } = &m
    else {
        return Err(ApiError::internal("a refund made another movement"));
    };
    let wallet = w
        .ledger
        .deposit_record(&tx)
        .map(|d| d.request.to.clone())
        .unwrap_or_default();
    let chain = w.ledger.wallet(&wallet)?.blockchain.clone();
    let out = json!({
        "id": mid, "type": "deposit_refund", "deposit_tx": tx, "wallet_id": wallet, "blockchain": chain,
        "to_address": to_address, "token": token, "amount": amount.to_string(), "fee": fee.to_string(),
        "status": "pending",
    });
    let row = super::api::MovementRow {
        wallet: &wallet,
        counterparty: None,
        kind: "deposit_refund",
        status: "pending",
        operation: "VIRTUAL_WALLET",
        sub_operation: "WITHDRAWAL_PENDING",
    };
    let amt = *amount;
    super::api::settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}
