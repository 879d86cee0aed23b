//! Access levels: named sets of permissions for users and keys.

use crate::host::api::clients::name_ok;
use crate::host::api::clients::permissions;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::{ApiResult, Caller, PageQ, Shared};
use crate::host::api::management::api_keys;
use crate::host::api::schema::{Deleted, Listed, PermissionName};
use crate::host::error::ApiError;
use crate::host::page::{self, Page, PageQuery};
use crate::host::store::{col, new_id, now_ms};
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::check_grantable;
use waas_core::access::levels::check_level_permissions;
use waas_core::access::Operation;
use waas_core::access::{Permission, StoredKey};

/// Routes of this module.
pub(crate) fn access_levels_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_levels, create_level))
        .routes(routes!(update_level, delete_level))
}

/// An access level to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LevelCreate {
    /// Its name (1 to 200 characters, not only spaces).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0B\f\r ]",
        example = "support"
    )]
    pub(crate) name: String,
    /// Its permissions (at least one, each held by the caller).
    #[schema(value_type = Vec<PermissionName>, min_items = 1, example = json!(["WALLETS_READ", "ACCOUNTS_READ"]))]
    pub(crate) permissions: Vec<String>,
}

/// A change of an access level (each field optional).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LevelReq {
    /// Its name (1 to 200 characters).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0B\f\r ]",
        example = "support"
    )]
    pub(crate) name: Option<String>,
    /// Its permissions (at least one, each held by the caller).
    #[schema(value_type = Option<Vec<PermissionName>>, min_items = 1, example = json!(["WALLETS_READ", "ACCOUNTS_READ"]))]
    pub(crate) permissions: Option<Vec<String>>,
}

/// An access level: a named set of permissions for users and keys.
#[derive(Serialize, ToSchema)]
pub(crate) struct LevelOut {
    /// Its id (`lvl_...`).
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// Its permissions.
    pub(crate) permissions: Vec<String>,
}

/// An access level of `client`, NOT_FOUND when there is none.
pub(crate) async fn level_out(s: &AppState, client: &str, id: &str) -> Result<LevelOut, ApiError> {
    let row = sqlx::query(
        "SELECT id, name, permissions FROM access_levels WHERE id = $1 AND client_id = $2",
    )
    .bind(id)
    .bind(client)
    .fetch_optional(s.store.reader())
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no access level {id}")))?;
    let permissions: Vec<String> =
        crate::host::store::stored(&col(&row, "permissions")?, "access level permissions")?;
    Ok(LevelOut {
        id: col(&row, "id")?,
        name: col(&row, "name")?,
        permissions,
    })
}

/// Checks that the caller may put a user on a level of its client: the level exists (NOT_FOUND)
/// and the caller holds each of its permissions (FORBIDDEN), as for a level it creates.
pub(crate) async fn give_level(s: &AppState, caller: &Caller, level: &str) -> Result<(), ApiError> {
    let perms = api_keys::level_permissions(s, &caller.client_id, level).await?;
    let list: Vec<Permission> = perms.into_iter().collect();
    check_grantable(&caller.permissions, &list)?;
    Ok(())
}

#[utoipa::path(post, path = "/v1/management/access-levels", operation_id = "management.access_levels.create", tag = "management",
    request_body(content = LevelCreate, example = json!({"name": "support", "permissions": ["WALLETS_READ", "ACCOUNTS_READ"]})),
    responses((status = 201, description = "The access level", body = LevelOut)))]
pub(crate) async fn create_level(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementAccessLevelsCreate).await?;
    let req: LevelCreate = body(&bytes)?;
    let name = req.name;
    name_ok("name", &name)?;
    let perms = permissions(&req.permissions)?;
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
        Json(level_out(&s, &caller.client_id, &id).await?),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/management/access-levels", operation_id = "management.access_levels.list", tag = "management",
    params(PageQuery),
    responses((status = 200, description = "A page of access levels, oldest first", body = Listed<LevelOut>)))]
pub(crate) async fn list_levels(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementAccessLevelsList).await?;
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
        out.push(level_out(&s, &caller.client_id, &col(&r, "id")?).await?);
    }
    Ok(Json(Listed::new(out, next)).into_response())
}

#[utoipa::path(patch, path = "/v1/management/access-levels/{id}", operation_id = "management.access_levels.update", tag = "management",
    params(("id" = String, Path, description = "The access level's id")),
    request_body(content = LevelReq, example = json!({"permissions": ["WALLETS_READ"]})),
    responses((status = 200, description = "The access level as it is now (keys following it act with it at once)", body = LevelOut)))]
pub(crate) async fn update_level(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementAccessLevelsUpdate).await?;
    let req: LevelReq = body(&bytes)?;
    level_out(&s, &caller.client_id, &id).await?;
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
    Ok(Json(level_out(&s, &caller.client_id, &id).await?).into_response())
}

#[utoipa::path(delete, path = "/v1/management/access-levels/{id}", operation_id = "management.access_levels.delete", tag = "management",
    params(("id" = String, Path, description = "The access level's id")),
    responses((status = 200, description = "The access level is gone", body = Deleted)))]
pub(crate) async fn delete_level(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementAccessLevelsDelete).await?;
    level_out(&s, &caller.client_id, &id).await?;
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
        let rec: StoredKey = crate::host::store::stored(&col(&r, "record")?, "API key record")?;
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
    Ok(Json(Deleted::of(id)).into_response())
}
