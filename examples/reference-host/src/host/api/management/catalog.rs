//! The catalogs of the platform: its API operations and its blockchains.

use crate::host::api::extract::auth;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::management::serde_text;
use crate::host::api::routes::{Route, Routes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Extension;
use axum::Json;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use waas_core::access::Operation;
use waas_core::access::{self};

/// One operation of the API.
#[derive(Serialize, ToSchema)]
pub(crate) struct OperationOut {
    /// Its stable id, e.g. `virtual_wallets.create`.
    pub(crate) id: String,
    /// Its HTTP method.
    pub(crate) method: String,
    /// Its route, with `{placeholders}`.
    pub(crate) path: String,
    /// The permission a key needs, e.g. `WALLETS_WRITE`.
    pub(crate) permission: String,
    /// Whether only sandbox keys may call it (the simulator).
    pub(crate) sandbox_only: bool,
    /// What it does.
    pub(crate) description: String,
}

impl OperationOut {
    fn of(o: &access::ApiOperation, route: &Route) -> OperationOut {
        OperationOut {
            id: o.id.to_owned(),
            method: route.method.clone(),
            path: route.path.clone(),
            permission: o.permission.as_str().to_owned(),
            sandbox_only: o.sandbox_only,
            description: o.description.to_owned(),
        }
    }
}

/// The catalog of operations.
#[derive(Serialize, ToSchema)]
pub(crate) struct Operations {
    /// Every operation of the API.
    pub(crate) operations: Vec<OperationOut>,
}

#[utoipa::path(get, path = "/v1/management/operations", operation_id = "management.operations.list", tag = "management",
    responses((status = 200, description = "The catalog of operations", body = Operations)))]
pub(crate) async fn operations(
    State(s): State<Shared>,
    Extension(routes): Extension<Arc<Routes>>,
    headers: HeaderMap,
) -> ApiResult {
    auth(&s, &headers, Operation::ManagementOperationsList).await?;
    Ok(Json(Operations {
        operations: routes
            .iter()
            .map(|(op, route)| OperationOut::of(op.spec(), route))
            .collect(),
    })
    .into_response())
}

/// A blockchain the platform operates on.
#[derive(Serialize, ToSchema)]
pub(crate) struct BlockchainOut {
    /// Its registry key, e.g. `ethereum`.
    pub(crate) id: String,
    /// Its human name.
    pub(crate) name: String,
    /// Its address and key family: `evm` or `tron`.
    pub(crate) family: String,
    /// Its EIP-155 chain id (EVM chains).
    pub(crate) evm_chain_id: Option<u64>,
    /// The symbol of its native coin.
    pub(crate) native_symbol: String,
    /// The decimals of its native coin.
    pub(crate) native_decimals: u8,
    /// Blocks after which a deposit counts as final.
    pub(crate) confirmations: u32,
    /// Whether it is a test network.
    pub(crate) testnet: bool,
}

impl From<&waas_core::chain::Blockchain> for BlockchainOut {
    fn from(c: &waas_core::chain::Blockchain) -> BlockchainOut {
        BlockchainOut {
            id: c.id.to_string(),
            name: c.name.clone(),
            family: serde_text(&c.family),
            evm_chain_id: c.evm_chain_id,
            native_symbol: c.native_symbol.clone(),
            native_decimals: c.native_decimals,
            confirmations: c.confirmations,
            testnet: c.testnet,
        }
    }
}

/// The blockchains available.
#[derive(Serialize, ToSchema)]
pub(crate) struct Blockchains {
    /// In the registry's order.
    pub(crate) blockchains: Vec<BlockchainOut>,
}

#[utoipa::path(get, path = "/v1/management/blockchains", operation_id = "management.blockchains.list", tag = "management",
    responses((status = 200, description = "The blockchains available", body = Blockchains)))]
pub(crate) async fn blockchains(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    auth(&s, &headers, Operation::ManagementBlockchainsList).await?;
    Ok(Json(Blockchains {
        blockchains: s
            .store
            .registry()
            .chains()
            .iter()
            .map(BlockchainOut::from)
            .collect(),
    })
    .into_response())
}
