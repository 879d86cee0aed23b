//! Client management by id: read, update, delete, contracted products and policy of child clients.

use crate::host::api::extract;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::management::child_clients::ClientOut;
use crate::host::api::management::configuration;
use crate::host::api::management::configuration::config_out;
use crate::host::api::management::configuration::ConfigOut;
use crate::host::api::management::contract;
use crate::host::api::management::contract::ContractOut;
use crate::host::api::management::contract::ContractUpdate;
use crate::host::error::ApiError;
use crate::host::store::col;
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::access::Permission;

/// How long the previous webhook secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 60 * 60 * 1000;

/// A name: 1 to 200 characters, not only spaces, tabs and line breaks (the schema's
/// `minLength`, `maxLength` and `pattern` `[^\\t\\n\\x0B\\f\\r ]` say the same).
pub(crate) fn name_ok(field: &str, name: &str) -> Result<(), ApiError> {
    let blank = |c: char| matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ');
    if !(1..=200).contains(&name.chars().count()) || name.chars().all(blank) {
        return Err(ApiError::bad_request(format!(
            "{field} must be 1 to 200 characters, not only spaces"
        )));
    }
    Ok(())
}

pub(crate) fn permissions(list: &[String]) -> Result<Vec<Permission>, ApiError> {
    if list.is_empty() {
        return Err(ApiError::bad_request("permissions: give at least one"));
    }
    Ok(list
        .iter()
        .map(|p| Permission::parse(p))
        .collect::<Result<Vec<_>, _>>()?)
}

/// Routes of this module.
pub(crate) fn clients_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(get_client, update_client, delete_client))
        .routes(routes!(put_client_contract))
        .routes(routes!(put_client_policy))
}

/// A client by id, NOT_FOUND when there is none.
pub(crate) async fn client_out(s: &AppState, id: &str) -> Result<ClientOut, ApiError> {
    let row = sqlx::query("SELECT id, name, parent_id, created_at FROM clients WHERE id = $1")
        .bind(id)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no client {id}")))?;
    ClientOut::of(&row)
}

/// A client's parent, grandparent, ... up to the root; `None` when there is no such client.
pub(crate) async fn ancestors(s: &AppState, id: &str) -> Result<Option<Vec<String>>, ApiError> {
    let rows = sqlx::query(
        "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM clients WHERE id = $1 \
         UNION ALL SELECT c.id, c.parent_id, up.depth + 1 FROM clients c JOIN up ON c.id = up.parent_id WHERE up.depth < 64) \
         SELECT id FROM up ORDER BY depth",
    )
    .bind(id)
    .fetch_all(s.store.reader())
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        rows.iter()
            .skip(1)
            .map(|r| col(r, "id"))
            .collect::<Result<Vec<_>, _>>()?,
    ))
}

/// The client `id` if the caller may see it (itself or below it), else NOT_FOUND.
pub(crate) async fn reachable(
    s: &AppState,
    caller: &str,
    id: &str,
) -> Result<Vec<String>, ApiError> {
    let up = ancestors(s, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no client {id}")))?;
    waas_core::access::check_reach(caller, id, &up)?;
    Ok(up)
}

#[utoipa::path(get, path = "/v1/management/clients/{id}", operation_id = "management.clients.get", tag = "management",
    params(("id" = String, Path, description = "The client's id (the caller's or one below it)")),
    responses((status = 200, description = "The client", body = ClientOut)))]
pub(crate) async fn get_client(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementClientsGet).await?;
    reachable(&s, &caller.client_id, &id).await?;
    Ok(Json(client_out(&s, &id).await?).into_response())
}

/// A new name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NameUpdate {
    /// The name (1 to 200 characters, not only spaces).
    #[schema(min_length = 1, max_length = 200, pattern = r"[^\t\n\x0B\f\r ]")]
    pub(crate) name: String,
}

#[utoipa::path(patch, path = "/v1/management/clients/{id}", operation_id = "management.clients.update", tag = "management",
    params(("id" = String, Path, description = "The id of a client below the caller's")),
    request_body(content = NameUpdate, example = json!({"name": "Shop Ltd"})),
    responses((status = 200, description = "The client as it is now", body = ClientOut)))]
pub(crate) async fn update_client(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementClientsUpdate).await?;
    let up = reachable(&s, &caller.client_id, &id).await?;
    waas_core::access::check_below(&caller.client_id, &id, &up)?;
    let req: NameUpdate = body(&bytes)?;
    name_ok("name", &req.name)?;
    sqlx::query("UPDATE clients SET name = $1 WHERE id = $2")
        .bind(&req.name)
        .bind(&id)
        .execute(s.store.pool())
        .await?;
    Ok(Json(client_out(&s, &id).await?).into_response())
}

#[utoipa::path(put, path = "/v1/management/clients/{id}/contracted-products", operation_id = "management.clients.contracted_products.update", tag = "management",
    params(("id" = String, Path, description = "The id of a client below the caller's")),
    request_body(content = ContractUpdate, example = json!({"max_virtual_wallets": 100, "max_cards": 10, "max_treasury_wallets": 1})),
    responses((status = 200, description = "The client's contracted limits as they are now, with their usage", body = ContractOut)))]
/// `PUT /v1/management/clients/{id}/contracted-products`: a client above sets a client's limits.
pub(crate) async fn put_client_contract(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(
        &s,
        &headers,
        Operation::ManagementClientsContractedProductsUpdate,
    )
    .await?;
    let up = reachable(&s, &caller.client_id, &id).await?;
    waas_core::access::check_policy_setter(&caller.client_id, &id, &up)?;
    let u: contract::ContractUpdate = body(&bytes)?;
    contract::set_contract(&s, &id, u).await
}

/// A child client's policy; absent fields keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyUpdate {
    /// The client's reserve floor: its minimum reserve ratio rises to it, and the client may
    /// raise it further, never lower it.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "1.1")]
    pub(crate) min_reserve_ratio: Option<String>,
    /// USD prices by token symbol, as decimal strings (merged into the present ones).
    #[schema(example = json!({"ETH": "3000"}))]
    pub(crate) usd_prices: Option<std::collections::BTreeMap<String, String>>,
    /// `{"blockchain/TOKEN": {"fixed","percent"}}`; an entry of `null` removes a schedule.
    #[schema(value_type = Option<BTreeMap<String, FeeReq>>)]
    pub(crate) withdrawal_fees: Option<std::collections::BTreeMap<String, Option<FeeReq>>>,
}

/// A withdrawal fee schedule; an absent part is zero.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeeReq {
    /// Fixed part, in token units.
    #[schema(example = "1")]
    pub(crate) fixed: Option<String>,
    /// Percentage of the amount (0 to 100).
    #[schema(example = "0.5")]
    pub(crate) percent: Option<String>,
}

/// A child client's configuration with the reserve floor its parent set.
#[derive(Serialize, ToSchema)]
pub(crate) struct PolicyOut {
    /// The client's configuration.
    #[serde(flatten)]
    pub(crate) config: ConfigOut,
    /// The reserve floor set by the client above; `null` when none is set.
    pub(crate) reserve_floor: Option<String>,
}

#[utoipa::path(put, path = "/v1/management/clients/{id}/policy", operation_id = "management.clients.policy.update", tag = "management",
    params(("id" = String, Path, description = "The id of a client below the caller's")),
    request_body(content = PolicyUpdate, example = json!({"min_reserve_ratio": "1.1", "usd_prices": {"ETH": "3000"}, "withdrawal_fees": {"ethereum/USDT": {"fixed": "1", "percent": "0.5"}}})),
    responses((status = 200, description = "The client's configuration as it is now, with its reserve floor", body = PolicyOut)))]
/// `PUT /v1/management/clients/{id}/policy`: a client above sets a client's reserve floor (its
/// minimum reserve ratio rises to it; the client may raise it further, never lower it) and the
/// USD prices it is valued at.
pub(crate) async fn put_client_policy(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementClientsPolicyUpdate).await?;
    let up = reachable(&s, &caller.client_id, &id).await?;
    waas_core::access::check_policy_setter(&caller.client_id, &id, &up)?;
    let req: PolicyUpdate = body(&bytes)?;
    let mut w = s.store.begin(&id).await?;
    let mut st = configuration::settings_in(&mut w).await?;
    let mut config = w.ledger.config().clone();
    if let Some(r) = req.min_reserve_ratio {
        let floor = extract::amount("min_reserve_ratio", &r)?;
        waas_core::access::check_reserve_ratio(floor.as_decimal(), rust_decimal::Decimal::ZERO)?;
        st.reserve_floor = Some(floor);
        config.min_reserve_ratio = config.min_reserve_ratio.max(floor.as_decimal());
    }
    if let Some(fees) = req.withdrawal_fees {
        for (key, fee) in fees {
            let (chain, token) = key.split_once('/').ok_or_else(|| {
                ApiError::bad_request(format!("withdrawal_fees: {key}: keys are blockchain/TOKEN"))
            })?;
            let registry = s.store.registry();
            let chain = registry.chain(chain)?.id.as_str().to_owned();
            let token = registry.token(&chain, token)?.symbol.clone();
            let key = format!("{chain}/{token}");
            match fee {
                None => {
                    st.withdrawal_fees.remove(&key);
                }
                Some(f) => {
                    let part = |v: Option<String>, name: &str| match v {
                        Some(t) => Ok(extract::amount(name, &t)?.as_decimal()),
                        None => Ok::<_, ApiError>(rust_decimal::Decimal::ZERO),
                    };
                    let schedule = waas_core::fees::FeeSchedule::new(
                        part(f.fixed, "fixed")?,
                        part(f.percent, "percent")?,
                    )?;
                    st.withdrawal_fees.insert(key, schedule);
                }
            }
        }
    }
    if let Some(prices) = req.usd_prices {
        st.set_usd_prices("usd_prices", prices)?;
    }
    w.ledger.set_config(config)?;
    configuration::save_settings_in(&mut w, &st).await?;
    let out = PolicyOut {
        config: config_out(&st, &w.ledger),
        reserve_floor: st.reserve_floor.map(|f| f.to_string()),
    };
    w.commit().await?;
    Ok(Json(out).into_response())
}

/// A retired client.
#[derive(Serialize, ToSchema)]
pub(crate) struct Retired {
    /// The client's id.
    pub(crate) id: String,
    /// Always `true`.
    pub(crate) retired: bool,
}

#[utoipa::path(delete, path = "/v1/management/clients/{id}", operation_id = "management.clients.delete", tag = "management",
    params(("id" = String, Path, description = "The id of a client below the caller's")),
    responses((status = 200, description = "The client is retired (its keys and those below it are revoked; its books stay)", body = Retired)))]
/// Retires a client: its keys are revoked; its books stay for audit. A client may not retire
/// itself, and one whose wallets still hold funds is refused.
pub(crate) async fn delete_client(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementClientsDelete).await?;
    let up = reachable(&s, &caller.client_id, &id).await?;
    waas_core::access::check_retire_client(&caller.client_id, &id)?;
    waas_core::access::check_below(&caller.client_id, &id, &up)?;
    // The wallets with a balance row that is not zero, for the core to judge.
    s.store
        .read_with_wallets(
            &id,
            "SELECT DISTINCT substr(account, 8) AS id FROM balances WHERE client_id = $1 \
             AND account >= 'wallet:' AND account < 'wallet;' AND (posted <> '0' OR pending <> '0')",
            &[],
        )
        .await?
        .check_retire()?;
    // Retiring a client retires its subtree: every key of it and of the clients below it.
    let rows = sqlx::query(
        "WITH RECURSIVE tree(id) AS (SELECT id FROM clients WHERE id = $1 \
         UNION ALL SELECT c.id FROM clients c JOIN tree t ON c.parent_id = t.id) \
         SELECT id, record FROM api_keys WHERE client_id IN (SELECT id FROM tree)",
    )
    .bind(&id)
    .fetch_all(s.store.reader())
    .await?;
    for r in rows {
        let mut rec: waas_core::access::StoredKey =
            crate::host::store::stored(&col(&r, "record")?, "API key record")?;
        rec.revoked = true;
        sqlx::query("UPDATE api_keys SET record = $1 WHERE id = $2")
            .bind(serde_json::to_string(&rec).map_err(|e| ApiError::internal(e.to_string()))?)
            .bind(col(&r, "id")?)
            .execute(s.store.pool())
            .await?;
    }
    s.key_cache.clear();
    Ok(Json(Retired { id, retired: true }).into_response())
}
