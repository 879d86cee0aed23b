//! Management beyond keys: clients by id, users and access levels, account updates, one token,
//! webhook secret rotation, and the wallet configuration.

use super::api::{auth, body, load_settings, settings_json, Caller};
use super::error::ApiError;
use super::page::{self, Page, PageQuery};
use super::store::{col, new_id, now_ms, opt_col};
use super::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;
use std::sync::Arc;
use waas_core::access::levels::check_level_permissions;
use waas_core::access::{check_grantable, Permission, StoredKey};
use waas_core::ErrorCode;

type Shared = Arc<AppState>;
/// The query of a list without filters.
type PageQ = Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>;
type ApiResult = Result<Response, ApiError>;

/// How long the previous webhook secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 60 * 60 * 1000;

/// Routes of this module.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/v1/management/clients/{id}",
            get(get_client).patch(update_client).delete(delete_client),
        )
        .route(
            "/v1/management/clients/{id}/contracted-products",
            put(put_client_contract),
        )
        .route("/v1/management/clients/{id}/policy", put(put_client_policy))
        .route("/v1/management/users", get(list_users).post(create_user))
        .route(
            "/v1/management/users/{id}",
            patch(update_user).delete(delete_user),
        )
        .route(
            "/v1/management/access-levels",
            get(list_levels).post(create_level),
        )
        .route(
            "/v1/management/access-levels/{id}",
            patch(update_level).delete(delete_level),
        )
        .route(
            "/v1/accounts/{id}",
            patch(update_account).delete(delete_account),
        )
        .route("/v1/tokens/{blockchain}/{symbol}", get(get_token))
        .route("/v1/webhooks/secret/rotate", post(rotate_secret))
        .route(
            "/v1/wallets/configuration",
            get(get_wallet_config).put(put_wallet_config),
        )
}

fn name_ok(field: &str, name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.len() > 200 {
        return Err(ApiError::bad_request(format!(
            "{field} must be 1 to 200 characters"
        )));
    }
    Ok(())
}

fn permissions(list: &[String]) -> Result<Vec<Permission>, ApiError> {
    if list.is_empty() {
        return Err(ApiError::bad_request("permissions: give at least one"));
    }
    Ok(list
        .iter()
        .map(|p| Permission::parse(p))
        .collect::<Result<Vec<_>, _>>()?)
}

// ---------- clients ----------

async fn client_json(s: &AppState, id: &str) -> Result<Value, ApiError> {
    let row = sqlx::query("SELECT id, name, parent_id, created_at FROM clients WHERE id = $1")
        .bind(id)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no client {id}")))?;
    Ok(
        json!({"id": col(&row, "id")?, "name": col(&row, "name")?, "parent_id": opt_col(&row, "parent_id")?, "created_at": row.try_get::<i64, _>("created_at")?}),
    )
}

/// A client's parent, grandparent, ... up to the root; `None` when there is no such client.
pub(super) async fn ancestors(s: &AppState, id: &str) -> Result<Option<Vec<String>>, ApiError> {
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
async fn reachable(s: &AppState, caller: &str, id: &str) -> Result<Vec<String>, ApiError> {
    let up = ancestors(s, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no client {id}")))?;
    waas_core::access::check_reach(caller, id, &up)?;
    Ok(up)
}

async fn get_client(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.clients.get").await?;
    reachable(&s, &caller.client_id, &id).await?;
    Ok(Json(client_json(&s, &id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameUpdate {
    name: String,
}

async fn update_client(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.clients.update").await?;
    let up = reachable(&s, &caller.client_id, &id).await?;
    waas_core::access::check_below(&caller.client_id, &id, &up)?;
    let req: NameUpdate = body(&bytes)?;
    name_ok("name", &req.name)?;
    sqlx::query("UPDATE clients SET name = $1 WHERE id = $2")
        .bind(&req.name)
        .bind(&id)
        .execute(s.store.pool())
        .await?;
    Ok(Json(client_json(&s, &id).await?).into_response())
}

/// `PUT /v1/management/clients/{id}/contracted-products`: a client above sets a client's limits.
async fn put_client_contract(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(
        &s,
        &headers,
        "management.clients.contracted_products.update",
    )
    .await?;
    let up = reachable(&s, &caller.client_id, &id).await?;
    waas_core::access::check_policy_setter(&caller.client_id, &id, &up)?;
    let u: super::api::ContractUpdate = body(&bytes)?;
    super::api::set_contract(&s, &id, u).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyUpdate {
    min_reserve_ratio: Option<String>,
    usd_prices: Option<std::collections::BTreeMap<String, String>>,
    /// `{"blockchain/TOKEN": {"fixed","percent"}}`; an entry of `null` removes a schedule.
    withdrawal_fees: Option<std::collections::BTreeMap<String, Option<FeeReq>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeeReq {
    fixed: Option<String>,
    percent: Option<String>,
}

/// `PUT /v1/management/clients/{id}/policy`: a client above sets a client's reserve floor (its
/// minimum reserve ratio rises to it; the client may raise it further, never lower it) and the
/// USD prices it is valued at.
async fn put_client_policy(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.clients.policy.update").await?;
    let up = reachable(&s, &caller.client_id, &id).await?;
    waas_core::access::check_policy_setter(&caller.client_id, &id, &up)?;
    let req: PolicyUpdate = body(&bytes)?;
    let mut w = s.store.begin(&id).await?;
    let mut st = super::api::settings_in(&mut w).await?;
    let mut config = w.ledger.config().clone();
    if let Some(r) = req.min_reserve_ratio {
        let floor = super::api::amount("min_reserve_ratio", &r)?.as_decimal();
        waas_core::access::check_reserve_ratio(floor, rust_decimal::Decimal::ZERO)?;
        st.reserve_floor = Some(floor.normalize().to_string());
        config.min_reserve_ratio = config.min_reserve_ratio.max(floor);
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
                        Some(t) => Ok(super::api::amount(name, &t)?.as_decimal()),
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
        for (token, price) in prices {
            let p = super::api::amount("usd_prices", &price)?;
            st.usd_prices
                .insert(token.to_ascii_uppercase(), p.to_string());
        }
    }
    w.ledger.set_config(config)?;
    super::api::save_settings_in(&mut w, &st).await?;
    let mut out = settings_json(&st, &w.ledger);
    out["reserve_floor"] = json!(st.reserve_floor);
    w.commit().await?;
    Ok(Json(out).into_response())
}

/// Retires a client: its keys are revoked; its books stay for audit. A client may not retire
/// itself, and one whose wallets still hold funds is refused.
async fn delete_client(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.clients.delete").await?;
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
            super::store::stored(&col(&r, "record")?, "API key record")?;
        rec.revoked = true;
        sqlx::query("UPDATE api_keys SET record = $1 WHERE id = $2")
            .bind(serde_json::to_string(&rec).map_err(|e| ApiError::internal(e.to_string()))?)
            .bind(col(&r, "id")?)
            .execute(s.store.pool())
            .await?;
    }
    s.key_cache.clear();
    Ok(Json(json!({"id": id, "retired": true})).into_response())
}

// ---------- access levels ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelReq {
    name: Option<String>,
    permissions: Option<Vec<String>>,
}

async fn level_json(s: &AppState, client: &str, id: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(
        "SELECT id, name, permissions FROM access_levels WHERE id = $1 AND client_id = $2",
    )
    .bind(id)
    .bind(client)
    .fetch_optional(s.store.reader())
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no access level {id}")))?;
    let perms: Value =
        super::store::stored(&col(&row, "permissions")?, "access level permissions")?;
    Ok(json!({"id": col(&row, "id")?, "name": col(&row, "name")?, "permissions": perms}))
}

/// Checks that the caller may put a user on a level of its client: the level exists (NOT_FOUND)
/// and the caller holds each of its permissions (FORBIDDEN), as for a level it creates.
async fn give_level(s: &AppState, caller: &Caller, level: &str) -> Result<(), ApiError> {
    let perms = super::api::level_permissions(s, &caller.client_id, level).await?;
    let list: Vec<Permission> = perms.into_iter().collect();
    check_grantable(&caller.permissions, &list)?;
    Ok(())
}

async fn create_level(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "management.access_levels.create").await?;
    let req: LevelReq = body(&bytes)?;
    let name = req
        .name
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    name_ok("name", &name)?;
    let perms = permissions(
        &req.permissions
            .ok_or_else(|| ApiError::bad_request("permissions are required"))?,
    )?;
    let perms = check_level_permissions(&caller.permissions, &perms)?;
    let id = new_id("lvl");
    sqlx::query("INSERT INTO access_levels (id, client_id, name, permissions, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(&caller.client_id)
        .bind(&name)
        .bind(json!(perms).to_string())
        .bind(now_ms())
        .execute(s.store.pool())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(level_json(&s, &caller.client_id, &id).await?),
    )
        .into_response())
}

async fn list_levels(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, "management.access_levels.list").await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "SELECT id, created_at FROM access_levels WHERE client_id = $1",
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(level_json(&s, &caller.client_id, &col(&r, "id")?).await?);
    }
    Ok(Json(page::answer(out, next)).into_response())
}

async fn update_level(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.access_levels.update").await?;
    let req: LevelReq = body(&bytes)?;
    level_json(&s, &caller.client_id, &id).await?;
    if let Some(name) = &req.name {
        name_ok("name", name)?;
    }
    let perms = req
        .permissions
        .as_deref()
        .map(permissions)
        .transpose()?
        .map(|p| check_level_permissions(&caller.permissions, &p))
        .transpose()?;
    if let Some(name) = &req.name {
        sqlx::query("UPDATE access_levels SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(&id)
            .execute(s.store.pool())
            .await?;
    }
    if let Some(p) = perms {
        sqlx::query("UPDATE access_levels SET permissions = $1 WHERE id = $2")
            .bind(json!(p).to_string())
            .bind(&id)
            .execute(s.store.pool())
            .await?;
        // The keys following the level act with its new permissions at once on this host (other
        // hosts within the key cache's TTL).
        s.key_cache.clear();
    }
    Ok(Json(level_json(&s, &caller.client_id, &id).await?).into_response())
}

async fn delete_level(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.access_levels.delete").await?;
    level_json(&s, &caller.client_id, &id).await?;
    let used: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE access_level_id = $1")
        .bind(&id)
        .fetch_one(s.store.reader())
        .await?
        .try_get("n")?;
    if used > 0 {
        return Err(ApiError::bad_request(format!(
            "access level {id} is held by {used} user(s)"
        )));
    }
    // Keys bound to the level directly: refused while one is live (revoke them first), as for
    // users, so that deleting a level never silently disables keys.
    let bound = sqlx::query("SELECT record FROM api_keys WHERE access_level_id = $1")
        .bind(&id)
        .fetch_all(s.store.reader())
        .await?;
    let mut live = 0usize;
    for r in bound {
        let rec: StoredKey = super::store::stored(&col(&r, "record")?, "API key record")?;
        live += usize::from(!rec.revoked);
    }
    if live > 0 {
        return Err(ApiError::bad_request(format!(
            "access level {id} is bound to {live} API key(s); revoke them first"
        )));
    }
    sqlx::query("DELETE FROM access_levels WHERE id = $1")
        .bind(&id)
        .execute(s.store.pool())
        .await?;
    Ok(Json(json!({"id": id, "deleted": true})).into_response())
}

// ---------- users ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserReq {
    email: Option<String>,
    name: Option<String>,
    access_level_id: Option<String>,
}

fn email_ok(email: &str) -> Result<(), ApiError> {
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if !ok {
        return Err(ApiError::bad_request(format!(
            "email: {email:?} is not an e-mail address"
        )));
    }
    Ok(())
}

async fn user_json(s: &AppState, client: &str, id: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(
        "SELECT id, email, name, access_level_id FROM users WHERE id = $1 AND client_id = $2",
    )
    .bind(id)
    .bind(client)
    .fetch_optional(s.store.reader())
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no user {id}")))?;
    Ok(
        json!({"id": col(&row, "id")?, "email": col(&row, "email")?, "name": col(&row, "name")?, "access_level_id": opt_col(&row, "access_level_id")?}),
    )
}

async fn create_user(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "management.users.create").await?;
    let req: UserReq = body(&bytes)?;
    let email = req
        .email
        .ok_or_else(|| ApiError::bad_request("email is required"))?
        .to_ascii_lowercase();
    email_ok(&email)?;
    let name = req.name.unwrap_or_else(|| email.clone());
    name_ok("name", &name)?;
    if let Some(level) = &req.access_level_id {
        give_level(&s, &caller, level).await?;
    }
    let taken = sqlx::query("SELECT id FROM users WHERE client_id = $1 AND email = $2")
        .bind(&caller.client_id)
        .bind(&email)
        .fetch_optional(s.store.reader())
        .await?;
    if taken.is_some() {
        return Err(ApiError::new(
            ErrorCode::AlreadyExists,
            format!("a user with e-mail {email} exists"),
        ));
    }
    let id = new_id("usr");
    sqlx::query("INSERT INTO users (id, client_id, email, name, access_level_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(&caller.client_id)
        .bind(&email)
        .bind(&name)
        .bind(&req.access_level_id)
        .bind(now_ms())
        .execute(s.store.pool())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(user_json(&s, &caller.client_id, &id).await?),
    )
        .into_response())
}

async fn list_users(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, "management.users.list").await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "SELECT id, created_at FROM users WHERE client_id = $1",
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(user_json(&s, &caller.client_id, &col(&r, "id")?).await?);
    }
    Ok(Json(page::answer(out, next)).into_response())
}

async fn update_user(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.users.update").await?;
    let req: UserReq = body(&bytes)?;
    user_json(&s, &caller.client_id, &id).await?;
    if req.email.is_some() {
        return Err(ApiError::bad_request(
            "email cannot be changed; create a new user",
        ));
    }
    if let Some(name) = &req.name {
        name_ok("name", name)?;
    }
    if let Some(level) = &req.access_level_id {
        give_level(&s, &caller, level).await?;
    }
    if let Some(name) = &req.name {
        sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(&id)
            .execute(s.store.pool())
            .await?;
    }
    if let Some(level) = &req.access_level_id {
        sqlx::query("UPDATE users SET access_level_id = $1 WHERE id = $2")
            .bind(level)
            .bind(&id)
            .execute(s.store.pool())
            .await?;
        // The user's keys follow the new level at once on this host.
        s.key_cache.clear();
    }
    Ok(Json(user_json(&s, &caller.client_id, &id).await?).into_response())
}

async fn delete_user(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.users.delete").await?;
    user_json(&s, &caller.client_id, &id).await?;
    // The user's keys are revoked with it (a key of a missing user would act with nothing anyway).
    let mut tx = s.store.pool().begin().await?;
    let keys = sqlx::query("SELECT id, record FROM api_keys WHERE user_id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_all(&mut *tx)
        .await?;
    let mut revoked = 0usize;
    for r in keys {
        let mut rec: StoredKey = super::store::stored(&col(&r, "record")?, "API key record")?;
        if rec.revoked {
            continue;
        }
        rec.revoked = true;
        revoked += 1;
        sqlx::query("UPDATE api_keys SET record = $1 WHERE id = $2")
            .bind(serde_json::to_string(&rec).map_err(|e| ApiError::internal(e.to_string()))?)
            .bind(col(&r, "id")?)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    s.key_cache.clear();
    Ok(Json(json!({"id": id, "deleted": true, "keys_revoked": revoked})).into_response())
}

// ---------- accounts ----------

async fn update_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "accounts.update").await?;
    let req: NameUpdate = body(&bytes)?;
    name_ok("name", &req.name)?;
    let done = sqlx::query("UPDATE accounts SET name = $1 WHERE id = $2 AND client_id = $3")
        .bind(&req.name)
        .bind(&id)
        .bind(&caller.client_id)
        .execute(s.store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found(format!("no account {id}")));
    }
    Ok(Json(json!({"id": id, "name": req.name})).into_response())
}

/// Deletes an account that has no wallet (wallets keep their history, so an account with wallets stays).
async fn delete_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "accounts.delete").await?;
    let exists = sqlx::query("SELECT id FROM accounts WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?;
    if exists.is_none() {
        return Err(ApiError::not_found(format!("no account {id}")));
    }
    // The account's wallets and cards (the core judges whether it may go).
    s.store
        .read_with_wallets(
            &caller.client_id,
            "SELECT id FROM wallets WHERE client_id = $1 AND account_id = $2 \
             UNION SELECT id FROM cards WHERE client_id = $1 AND account_id = $2",
            &[&id],
        )
        .await?
        .check_delete_account(&id)?;
    sqlx::query("DELETE FROM accounts WHERE id = $1")
        .bind(&id)
        .execute(s.store.pool())
        .await?;
    Ok(Json(json!({"id": id, "deleted": true})).into_response())
}

// ---------- tokens, webhook secret, wallet configuration ----------

async fn get_token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((chain, symbol)): Path<(String, String)>,
) -> ApiResult {
    auth(&s, &headers, "tokens.get").await?;
    let token = s.store.registry().token(&chain, &symbol)?;
    Ok(Json(json!(token)).into_response())
}

async fn rotate_secret(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "webhooks.secret.rotate").await?;
    let super::api::NoBody {} = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut st = super::api::settings_in(&mut w).await?;
    let new = waas_core::webhook::WebhookSecret::generate()?;
    let text = new.expose().to_string();
    st.previous_webhook_secret = st.webhook_secret.take();
    st.previous_secret_until = st
        .previous_webhook_secret
        .as_ref()
        .map(|_| now_ms() + ROTATION_OVERLAP_MS);
    st.webhook_secret = Some(text.clone());
    super::api::save_settings_in(&mut w, &st).await?;
    w.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"secret": text, "previous_signs_until": st.previous_secret_until})),
    )
        .into_response())
}

async fn get_wallet_config(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, "wallets.configuration.get").await?;
    let st = load_settings(&s, &caller.client_id).await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    Ok(Json(settings_json(&st, &ledger)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WalletConfig {
    min_reserve_ratio: Option<String>,
}

async fn put_wallet_config(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "wallets.configuration.update").await?;
    let req: WalletConfig = body(&bytes)?;
    // Read before the operation: on SQLite the operation holds the only connection.
    let st = load_settings(&s, &caller.client_id).await?;
    let has_parent = !ancestors(&s, &caller.client_id)
        .await?
        .unwrap_or_default()
        .is_empty();
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut config = w.ledger.config().clone();
    if let Some(r) = req.min_reserve_ratio {
        let r = super::api::amount("min_reserve_ratio", &r)?.as_decimal();
        waas_core::access::check_reserve_ratio(r, st.floor(has_parent))?;
        config.min_reserve_ratio = r;
    }
    w.ledger.set_config(config)?;
    let out = settings_json(&st, &w.ledger);
    w.commit().await?;
    Ok(Json(out).into_response())
}
