//! The lifecycle of a virtual wallet: deactivate, activate and reactivate.

use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::EmptyBody;
use crate::host::api::extract::NoBody;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::virtual_wallets::wallet_row;
use crate::host::api::virtual_wallets::WalletStatus;
use crate::host::store::new_id;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use waas_core::access::Operation;
use waas_core::ledger::WalletKind;
use waas_core::webhook::Event;

pub(crate) async fn lifecycle(
    s: Shared,
    headers: HeaderMap,
    id: String,
    bytes: Bytes,
    op: Operation,
    activate: bool,
) -> ApiResult {
    let caller = auth(&s, &headers, op).await?;
    let NoBody {} = body(&bytes)?;
    wallet_row(&s, &caller.client_id, &id, WalletKind::Virtual).await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_wallets(&[&id]).await?;
    if activate {
        w.ledger.activate(&id)?;
    } else {
        w.ledger.deactivate(&id)?;
    }
    let status = w.ledger.wallet(&id)?.status.as_str();
    w.emit(Event::WalletActive {
        wallet: id.clone(),
        active: activate,
        status: status.to_owned(),
        operation_id: new_id("op"),
    })?;
    finish(
        w,
        &None,
        StatusCode::OK,
        WalletStatus {
            id,
            status: status.to_owned(),
            reason: None,
        },
        &s,
    )
    .await
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/deactivate", operation_id = "virtual_wallets.deactivate", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    responses((status = 200, description = "The wallet's status now", body = WalletStatus)))]
pub(crate) async fn deactivate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    lifecycle(
        s,
        headers,
        id,
        bytes,
        Operation::VirtualWalletsDeactivate,
        false,
    )
    .await
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/activate", operation_id = "virtual_wallets.activate", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    responses((status = 200, description = "The wallet's status now", body = WalletStatus)))]
pub(crate) async fn activate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    lifecycle(
        s,
        headers,
        id,
        bytes,
        Operation::VirtualWalletsActivate,
        true,
    )
    .await
}

#[utoipa::path(post, path = "/v1/wallets/virtual/{id}/reactivate", operation_id = "virtual_wallets.reactivate", tag = "virtual_wallets",
    params(("id" = String, Path, description = "The virtual wallet's id")),
    responses((status = 200, description = "The wallet's status now", body = WalletStatus)))]
pub(crate) async fn reactivate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: EmptyBody,
) -> ApiResult {
    lifecycle(
        s,
        headers,
        id,
        bytes,
        Operation::VirtualWalletsReactivate,
        true,
    )
    .await
}
