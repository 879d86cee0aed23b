//! Contracted products: a client's limits and their usage (get and update).

use crate::host::api::clients;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::error::ApiError;
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use waas_core::access::Operation;
use waas_core::access::{self};
use waas_core::ledger::{Contract, Ledger};

/// Contracted limits; an absent (or `null`) limit is no limit.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContractUpdate {
    /// Active virtual wallets.
    #[schema(value_type = Option<u64>, maximum = 4294967295_u64, example = 1000)]
    pub(crate) max_virtual_wallets: Option<u32>,
    /// Cards and virtual cards.
    #[schema(value_type = Option<u64>, maximum = 4294967295_u64, example = 100)]
    pub(crate) max_cards: Option<u32>,
    /// Treasury wallets.
    #[schema(value_type = Option<u64>, maximum = 4294967295_u64, example = 5)]
    pub(crate) max_treasury_wallets: Option<u32>,
}

/// What a client uses of its contract.
#[derive(Serialize, ToSchema)]
pub(crate) struct ContractUsage {
    /// Active virtual wallets.
    pub(crate) active_virtual_wallets: u64,
    /// Inactive virtual wallets.
    pub(crate) inactive_virtual_wallets: u64,
    /// Cards and virtual cards.
    pub(crate) cards: u32,
    /// Treasury wallets.
    pub(crate) treasury_wallets: u32,
}

/// A client's contracted limits (`null`: no limit) and its usage.
#[derive(Serialize, ToSchema)]
pub(crate) struct ContractOut {
    /// Active virtual wallets.
    pub(crate) max_virtual_wallets: Option<u32>,
    /// Cards and virtual cards.
    pub(crate) max_cards: Option<u32>,
    /// Treasury wallets.
    pub(crate) max_treasury_wallets: Option<u32>,
    /// What it uses.
    pub(crate) usage: ContractUsage,
}

/// A client's contract and its usage: the counters kept with its terms, and its virtual wallets
/// counted by their rows (`virtual_wallets`, inactive ones included).
pub(crate) fn contract_out(ledger: &Ledger, client: &str, virtual_wallets: i64) -> ContractOut {
    let c = ledger.contract_of(client);
    let u = ledger.contract_usage(client, u64::try_from(virtual_wallets).unwrap_or(0));
    ContractOut {
        max_virtual_wallets: c.max_virtual_wallets,
        max_cards: c.max_cards,
        max_treasury_wallets: c.max_treasury_wallets,
        usage: ContractUsage {
            active_virtual_wallets: u.active_virtual_wallets,
            inactive_virtual_wallets: u.inactive_virtual_wallets,
            cards: u.cards,
            treasury_wallets: u.treasury_wallets,
        },
    }
}

/// How many virtual wallets a client has (active or not).
pub(crate) async fn virtual_count(
    conn: &mut sqlx::AnyConnection,
    client: &str,
) -> Result<i64, ApiError> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM wallets WHERE client_id = $1 AND kind = 'virtual'")
            .bind(client)
            .fetch_one(conn)
            .await?;
    Ok(row.try_get::<i64, _>("n")?)
}

#[utoipa::path(get, path = "/v1/management/contracted-products", operation_id = "management.contracted_products.get", tag = "management",
    responses((status = 200, description = "The contracted limits and their usage", body = ContractOut)))]
pub(crate) async fn get_contract(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementContractedProductsGet).await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let mut conn = s.store.reader().acquire().await?;
    let n = virtual_count(&mut conn, &caller.client_id).await?;
    Ok(Json(contract_out(&ledger, &caller.client_id, n)).into_response())
}

#[utoipa::path(put, path = "/v1/management/contracted-products", operation_id = "management.contracted_products.update", tag = "management",
    request_body(content = ContractUpdate, example = json!({"max_virtual_wallets": 1000, "max_cards": 100, "max_treasury_wallets": 5})),
    responses((status = 200, description = "The contracted limits as they are now, with their usage", body = ContractOut)))]
pub(crate) async fn put_contract(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementContractedProductsUpdate).await?;
    let u: ContractUpdate = body(&bytes)?;
    // Only the root client sets its own; others' are set by the clients above them
    // (`PUT /v1/management/clients/{id}/contracted-products`).
    let up = clients::ancestors(&s, &caller.client_id)
        .await?
        .unwrap_or_default();
    access::check_policy_setter(&caller.client_id, &caller.client_id, &up)?;
    set_contract(&s, &caller.client_id, u).await
}

/// Sets a client's contracted products (the caller has been checked).
pub(crate) async fn set_contract(s: &AppState, client: &str, u: ContractUpdate) -> ApiResult {
    let mut w = s.store.begin(client).await?;
    let contract = Contract {
        max_virtual_wallets: u.max_virtual_wallets,
        max_cards: u.max_cards,
        max_treasury_wallets: u.max_treasury_wallets,
    };
    w.ledger.set_contract(client, contract)?;
    let n = virtual_count(w.conn().await?, client).await?;
    let out = contract_out(&w.ledger, client, n);
    finish(w, &None, StatusCode::OK, out, s).await
}
