//! Holds on virtual wallets: `POST /v1/wallets/virtual/{id}/holds` sets an amount of confirmed
//! funds aside (the available balance drops, the total does not), `.../holds/{hold_id}/release`
//! gives it back, `.../holds/{hold_id}/capture {"to_wallet_id"|"to_address"}` moves it to another
//! virtual wallet of the client (a transfer) or sends it out (a withdrawal with its lifecycle); a
//! hold with `expires_at` releases itself once that time has passed (a
//! sweep every second). The rules are the core's (`Ledger::place_hold` and friends).

use super::schema::Listed;
use crate::host::api::extract;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::EmptyBody;
use crate::host::api::extract::NoBody;
use crate::host::api::virtual_wallets::wallet_row;
use crate::host::error::ApiError;
use crate::host::page::{self, Page, PageQuery};
use crate::host::store::answer_of;
use crate::host::store::{col, now_ms, Work};
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;
use waas_core::ledger::{Hold, HoldStatus};
use waas_core::webhook::Event;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list, place))
        .routes(routes!(release))
        .routes(routes!(capture))
}

/// A hold: an amount of a virtual wallet set aside.
#[derive(Serialize, ToSchema)]
struct HoldOut {
    /// Its id (`hold_...`).
    id: String,
    /// The wallet whose funds it holds.
    wallet_id: String,
    /// Token symbol.
    token: String,
    /// Decimal amount held.
    amount: String,
    /// Why.
    reason: String,
    /// `active`, `released`, `captured` or `expired`.
    status: String,
    /// When it releases itself (RFC 3339), if ever.
    expires_at: Option<String>,
    /// Where it was captured to (a wallet id or an address), once captured.
    captured_to: Option<String>,
}

/// A hold as the API shows it.
fn hold_out(h: &Hold) -> HoldOut {
    HoldOut {
        id: h.id.clone(),
        wallet_id: h.wallet.clone(),
        token: h.token.clone(),
        amount: h.amount.to_string(),
        reason: h.reason.clone(),
        status: h.status.as_str().to_owned(),
        expires_at: h
            .expires_at
            .map(|t| crate::host::journal::rfc3339(t.saturating_mul(1000))),
        captured_to: h.captured_to.clone(),
    }
}

/// Records the hold's event (VIRTUAL_WALLET / HOLD, RELEASE or CAPTURE).
fn announce(w: &mut Work, h: &Hold) -> Result<HoldOut, ApiError> {
    let out = hold_out(h);
    w.emit(Event::Hold {
        id: h.id.clone(),
        status: h.status,
        answer: answer_of(&out)?,
    })?;
    Ok(out)
}

/// An amount to set aside.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct HoldReq {
    /// Token symbol.
    #[schema(example = "USDT")]
    token: String,
    /// Decimal amount, out of the confirmed funds.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "10.5")]
    amount: String,
    /// Why (kept with the hold; 1 to 512 characters, not only spaces).
    #[schema(
        min_length = 1,
        max_length = 512,
        pattern = r"[^\t\n\x0B\f\r ]",
        example = "order 1234"
    )]
    reason: String,
    /// When it releases itself, RFC 3339 (absent: never).
    #[schema(example = "2026-12-31T00:00:00Z")]
    expires_at: Option<String>,
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/holds", operation_id = "virtual_wallets.holds.create", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    request_body(content = HoldReq, example = json!({"token": "USDT", "amount": "10.5", "reason": "order 1234"})),
    responses((status = 201, description = "The hold, active", body = HoldOut)))]
async fn place(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsHoldsCreate).await?;
    let req: HoldReq = body(&bytes)?;
    let amount = extract::amount("amount", &req.amount)?;
    let expires_at = match &req.expires_at {
        Some(t) => Some(crate::host::journal::parse_time("expires_at", t)? / 1000),
        None => None,
    };
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let hold_id = crate::host::store::new_id("hold");
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_wallets(&[&id]).await?;
    let h = w
        .ledger
        .place_hold(
            &hold_id,
            &id,
            &req.token,
            amount,
            &req.reason,
            expires_at,
            now_ms() / 1000,
        )?
        .clone();
    let out = announce(&mut w, &h)?;
    finish(w, &None, StatusCode::CREATED, out, &s).await
}

/// Loads a hold of this wallet into the working set (404 for another wallet's or client's).
async fn load(w: &mut Work, wallet: &str, hold_id: &str) -> Result<(), ApiError> {
    if !w.remember_hold(hold_id).await? || w.ledger.hold(hold_id)?.wallet != wallet {
        return Err(ApiError::not_found(format!(
            "no hold {hold_id} on {wallet}"
        )));
    }
    Ok(())
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/holds/{hold_id}/release", operation_id = "virtual_wallets.holds.release", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id"),
        ("hold_id" = String, Path, description = "The hold's id")),
    responses((status = 200, description = "The hold, released (or as it was when no longer active)", body = HoldOut)))]
async fn release(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((id, hold_id)): Path<(String, String)>,
    bytes: EmptyBody,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsHoldsRelease).await?;
    let NoBody {} = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    load(&mut w, &id, &hold_id).await?;
    let before = w.ledger.hold(&hold_id)?.status;
    let h = w.ledger.release_hold(&hold_id)?.clone();
    let out = if before == HoldStatus::Active {
        announce(&mut w, &h)?
    } else {
        hold_out(&h)
    };
    finish(w, &None, StatusCode::OK, out, &s).await
}

/// Where a held amount goes: exactly one of `to_wallet_id` and `to_address`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CaptureReq {
    /// Another virtual wallet of the client (a transfer).
    #[schema(example = "vw_01HZX4")]
    to_wallet_id: Option<String>,
    /// An outside address (a withdrawal with its lifecycle).
    to_address: Option<String>,
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/holds/{hold_id}/capture", operation_id = "virtual_wallets.holds.capture", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id"),
        ("hold_id" = String, Path, description = "The hold's id")),
    request_body(content = CaptureReq, example = json!({"to_wallet_id": "vw_01HZX4"})),
    responses((status = 200, description = "The hold, captured (or as it was when no longer active)", body = HoldOut)))]
async fn capture(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((id, hold_id)): Path<(String, String)>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsHoldsCapture).await?;
    let req: CaptureReq = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    load(&mut w, &id, &hold_id).await?;
    let before = w.ledger.hold(&hold_id)?.status;
    let mid = format!("{hold_id}:capture");
    w.remember_movement(&mid).await?;
    let h = match (&req.to_wallet_id, &req.to_address) {
        (Some(to), None) => {
            w.need_wallets(&[to]).await?;
            w.ledger.capture_hold(&hold_id, to)?.clone()
        }
        (None, Some(address)) => {
            // An address of the client's own is captured to by wallet (to_wallet_id).
            let chain = w.ledger.wallet(&id)?.blockchain.clone().unwrap_or_default();
            let registry = s.store.registry();
            let owner =
                crate::host::withdrawals::owner_of(&mut w, registry, &chain, address).await?;
            if w.ledger.withdrawal_route(&id, &owner)? != waas_core::ledger::Route::Chain {
                return Err(ApiError::bad_request(
                    "to_address belongs to a wallet of the client: capture to it with to_wallet_id",
                ));
            }
            w.ledger.capture_hold_to_address(&hold_id, address)?.clone()
        }
        _ => {
            return Err(ApiError::bad_request(
                "give to_wallet_id (a wallet of the client) or to_address, not both",
            ))
        }
    };
    if before != HoldStatus::Active {
        return finish(w, &None, StatusCode::OK, hold_out(&h), &s).await;
    }
    let (kind, status, body) = match &req.to_wallet_id {
        Some(to) => (
            "transfer",
            "completed",
            json!({"id": mid, "type": "transfer", "from_wallet_id": id, "to_wallet_id": to, "token": h.token, "amount": h.amount.to_string(), "status": "completed", "hold_id": hold_id}),
        ),
        None => {
            let chain = w.ledger.wallet(&id)?.blockchain.clone();
            (
                crate::host::withdrawals::WithdrawalKind::Withdrawal.as_str(),
                "pending",
                json!({"id": mid, "type": "withdrawal", "wallet_id": id, "blockchain": chain, "to_address": h.captured_to, "token": h.token, "amount": h.amount.to_string(), "fee": "0", "status": "pending", "hold_id": hold_id}),
            )
        }
    };
    w.upsert_transaction_to(
        &mid,
        Some(&id),
        req.to_wallet_id.as_deref(),
        kind,
        status,
        Some(&h.token),
        Some(&h.amount.to_string()),
        &body,
    )
    .await?;
    let out = announce(&mut w, &h)?;
    finish(w, &None, StatusCode::OK, out, &s).await
}

#[utoipa::path(get, path = "/v1/wallets/virtual/{id}/holds", operation_id = "virtual_wallets.holds.list", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id"), PageQuery),
    responses((status = 200, description = "A page of the wallet's holds, oldest first", body = Listed<HoldOut>)))]
async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsHoldsList).await?;
    let q = page::query(q)?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "SELECT id, body, created_at FROM holds WHERE client_id = $1 AND wallet_id = $2",
            &[&caller.client_id, &id],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let h: Hold = crate::host::store::stored(&col(&r, "body")?, "ledger record")?;
        out.push(hold_out(&h));
    }
    Ok(Json(Listed::new(out, next)).into_response())
}

/// Releases the holds whose expiry has passed, every second, forever.
pub async fn expire_forever(state: Arc<AppState>) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Err(e) = expire_due(&state).await {
            tracing::warn!(error = %e, "expiring holds");
        }
    }
}

async fn expire_due(state: &AppState) -> Result<(), ApiError> {
    let now = now_ms() / 1000;
    let rows = sqlx::query("SELECT client_id, id FROM holds WHERE status = 'active' AND expires_at <= $1 ORDER BY expires_at LIMIT 100")
        .bind(now)
        .fetch_all(state.store.pool())
        .await?;
    for r in rows {
        let (client, id) = (col(&r, "client_id")?, col(&r, "id")?);
        let mut w = state.store.begin(&client).await?;
        if !w.remember_hold(&id).await? {
            continue;
        }
        let h = w.ledger.expire_hold(&id, now)?.clone();
        if h.status == HoldStatus::Expired {
            announce(&mut w, &h)?;
            w.commit().await?;
            state.outbox_notify.notify_one();
        }
    }
    Ok(())
}
