//! An operator's freeze: a MANAGEMENT key freezes a virtual wallet with a reason (it still
//! receives, it never sends) and lifts it again; the reorg freeze is lifted the same way once
//! the wallet's balances are back at or above zero. The rules are the core's
//! (`Ledger::freeze`, `Ledger::unfreeze`).

use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::EmptyBody;
use crate::host::api::extract::NoBody;
use crate::host::api::virtual_wallets::wallet_row;
use crate::host::api::virtual_wallets::WalletStatus;
use crate::host::error::ApiError;
use crate::host::store::new_id;
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;
use waas_core::webhook::Event;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;

/// Routes of this module.
pub fn routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(freeze))
        .routes(routes!(unfreeze))
}

/// Why a wallet is frozen.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FreezeReq {
    /// The reason, kept with the freeze and sent in its webhook (1 to 512 characters, not only
    /// spaces).
    #[schema(
        min_length = 1,
        max_length = 512,
        pattern = r"[^\t\n\x0B\f\r ]",
        example = "fraud review"
    )]
    reason: String,
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/freeze", operation_id = "virtual_wallets.freeze", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    request_body(content = FreezeReq, example = json!({"reason": "fraud review"})),
    responses((status = 200, description = "The wallet, frozen", body = WalletStatus)))]
async fn freeze(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsFreeze).await?;
    let req: FreezeReq = body(&bytes)?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_wallets(&[&id]).await?;
    w.ledger.freeze(&id, &req.reason)?;
    let out = WalletStatus {
        id: id.clone(),
        status: "frozen".to_owned(),
        reason: Some(req.reason.clone()),
    };
    w.emit(Event::Frozen {
        wallet: id.clone(),
        reason: req.reason.clone(),
        operation_id: new_id("op"),
    })?;
    finish(w, &None, StatusCode::OK, out, &s).await
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/unfreeze", operation_id = "virtual_wallets.unfreeze", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    responses((status = 200, description = "The wallet's status now", body = WalletStatus)))]
async fn unfreeze(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::VirtualWalletsUnfreeze).await?;
    let NoBody {} = body(&bytes)?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_wallets(&[&id]).await?;
    w.ledger.unfreeze(&id)?;
    let status = w.ledger.wallet(&id)?.status.as_str();
    w.emit(Event::Unfrozen {
        wallet: id.clone(),
        status: status.to_owned(),
        operation_id: new_id("op"),
    })?;
    let out = WalletStatus {
        id,
        status: status.to_owned(),
        reason: None,
    };
    finish(w, &None, StatusCode::OK, out, &s).await
}
