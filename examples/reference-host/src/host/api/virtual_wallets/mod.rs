//! Virtual wallets: their routes, and the wallet row, answer, balances and status the operations share.

use crate::host::api::extract::Shared;
use crate::host::api::schema;
use crate::host::api::virtual_wallets::create::__path_create_virtual;
use crate::host::api::virtual_wallets::create::create_virtual;
use crate::host::api::virtual_wallets::lifecycle::__path_activate;
use crate::host::api::virtual_wallets::lifecycle::__path_deactivate;
use crate::host::api::virtual_wallets::lifecycle::__path_reactivate;
use crate::host::api::virtual_wallets::lifecycle::activate;
use crate::host::api::virtual_wallets::lifecycle::deactivate;
use crate::host::api::virtual_wallets::lifecycle::reactivate;
use crate::host::api::virtual_wallets::movements::__path_transfer;
use crate::host::api::virtual_wallets::movements::__path_withdraw;
use crate::host::api::virtual_wallets::movements::transfer;
use crate::host::api::virtual_wallets::movements::withdraw;
use crate::host::api::virtual_wallets::reads::__path_get_virtual;
use crate::host::api::virtual_wallets::reads::__path_get_virtual_balance;
use crate::host::api::virtual_wallets::reads::__path_list_virtual;
use crate::host::api::virtual_wallets::reads::get_virtual;
use crate::host::api::virtual_wallets::reads::get_virtual_balance;
use crate::host::api::virtual_wallets::reads::list_virtual;
use crate::host::error::ApiError;
use crate::host::store::{col, opt_col};
use crate::host::AppState;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::ledger::Balance;
use waas_core::ledger::WalletKind;
use waas_core::ErrorCode;

pub(crate) mod create;
pub(crate) mod lifecycle;
pub(crate) mod movements;
pub(crate) mod reads;

/// Routes of this module.
pub(crate) fn virtual_wallets_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_virtual, create_virtual))
        .routes(routes!(get_virtual))
        .routes(routes!(get_virtual_balance))
        .routes(routes!(deactivate))
        .routes(routes!(activate))
        .routes(routes!(reactivate))
        .routes(routes!(transfer))
        .routes(routes!(withdraw))
}

/// An answer as JSON (for events and stored transaction bodies).
pub(crate) fn value_of(out: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(out)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("answer: {e}")))
}

pub(crate) async fn wallet_row(
    s: &AppState,
    client_id: &str,
    id: &str,
    kind: WalletKind,
) -> Result<sqlx::any::AnyRow, ApiError> {
    let kind = kind.as_str();
    sqlx::query("SELECT id, account_id, blockchain, address, derivation_index, alias, status, flags, held FROM wallets WHERE id = $1 AND client_id = $2 AND kind = $3")
        .bind(id)
        .bind(client_id)
        .bind(kind)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no {kind} wallet {id}")))
}

/// A virtual wallet with its balances.
#[derive(Serialize, ToSchema)]
pub(crate) struct VirtualWalletOut {
    /// Its id (`vw_...`).
    pub(crate) id: String,
    /// The account that owns it.
    pub(crate) account_id: Option<String>,
    /// Its blockchain.
    pub(crate) blockchain: Option<String>,
    /// Its deposit address.
    pub(crate) address: Option<String>,
    /// Its derivation index.
    pub(crate) index: Option<i64>,
    /// Its alias.
    pub(crate) alias: Option<String>,
    /// `active`, `inactive` or `frozen`.
    pub(crate) status: String,
    /// Notes an operator must look at (deposits while inactive, reorg after spending).
    pub(crate) flags: Vec<String>,
    /// Its balances per token, with what holds set aside.
    #[schema(value_type = BTreeMap<String, schema::BalanceOut>)]
    pub(crate) balances: schema::Balances,
}

/// The amounts holds set aside, per token, from a wallet row.
fn held_of(row: &sqlx::any::AnyRow) -> Result<BTreeMap<String, rust_decimal::Decimal>, ApiError> {
    Ok(opt_col(row, "held")?
        .map(|h| crate::host::store::stored(&h, "held amounts"))
        .transpose()?
        .unwrap_or_default())
}

/// A wallet as its row and balance rows hold it.
pub(crate) fn wallet_out(
    row: &sqlx::any::AnyRow,
    balances: Option<&BTreeMap<String, Balance>>,
) -> Result<VirtualWalletOut, ApiError> {
    let empty = BTreeMap::new();
    let flags: Vec<String> = crate::host::store::stored(&col(row, "flags")?, "wallet flags")?;
    let held = held_of(row)?;
    Ok(VirtualWalletOut {
        id: col(row, "id")?,
        account_id: opt_col(row, "account_id")?,
        blockchain: opt_col(row, "blockchain")?,
        address: opt_col(row, "address")?,
        index: row.try_get::<Option<i64>, _>("derivation_index")?,
        alias: opt_col(row, "alias")?,
        status: col(row, "status")?,
        flags,
        balances: schema::held_balances(balances.unwrap_or(&empty), &held),
    })
}

/// The balances (token -> balance) of wallets, from their balance rows.
pub(crate) async fn wallet_balances(
    s: &AppState,
    client: &str,
    ids: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, Balance>>, ApiError> {
    let accounts: Vec<String> = ids
        .iter()
        .map(|id| waas_core::ledger::journal::wallet_account(id))
        .collect();
    let mut rows = crate::host::journal::balances_of(s.store.reader(), client, &accounts).await?;
    Ok(ids
        .iter()
        .filter_map(|id| {
            rows.remove(&waas_core::ledger::journal::wallet_account(id))
                .map(|b| (id.clone(), b))
        })
        .collect())
}

/// A wallet's status after a change of it.
#[derive(Serialize, ToSchema)]
pub(crate) struct WalletStatus {
    /// The wallet's id.
    pub(crate) id: String,
    /// `active`, `inactive` or `frozen`.
    pub(crate) status: String,
    /// Why it was frozen (answers of a freeze only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}
