//! API keys: create (client, user or access-level keys), list and revoke.

use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::level_set;
use crate::host::api::extract::KEYS_WITH_LEVELS;
use crate::host::api::extract::{ApiResult, PageQ, Shared};
use crate::host::api::management::permission_names;
use crate::host::api::schema::{Listed, PermissionName};
use crate::host::error::ApiError;
use crate::host::page::{self, Page, PageQuery};
use crate::host::store::{col, opt_col};
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use std::collections::BTreeSet;
use utoipa::ToSchema;
use waas_core::access::Operation;
use waas_core::access::{self, KeyBinding, Permission, StoredKey};

/// A new API key: give exactly one of `permissions`, `user_id`, `access_level_id` (its schema,
/// a `oneOf` of the three, is [`KeyCreate::schema`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyCreate {
    /// A client key with these permissions (each held by the calling key).
    pub(crate) permissions: Option<Vec<String>>,
    /// A key of this user, acting with the user's access level.
    pub(crate) user_id: Option<String>,
    /// A key following this access level.
    pub(crate) access_level_id: Option<String>,
}

impl utoipa::PartialSchema for KeyCreate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::AdditionalProperties;
        use utoipa::openapi::{ObjectBuilder, OneOfBuilder, Type};
        let null = || ObjectBuilder::new().schema_type(Type::Null);
        let id = |what: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(what.to_owned()))
        };
        let permissions = || {
            utoipa::openapi::ArrayBuilder::new()
                .items(PermissionName::schema())
                .min_items(Some(1))
                .description(Some(
                    "A client key with these permissions (each held by the calling key)",
                ))
        };
        let variant = |field: &str| {
            let mut o = ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .required(field);
            for other in ["permissions", "user_id", "access_level_id"] {
                o = match (other == field, other) {
                    (true, "permissions") => o.property(other, permissions()),
                    (true, "user_id") => o.property(
                        other,
                        id("A key of this user, acting with the user's access level"),
                    ),
                    (true, _) => o.property(other, id("A key following this access level")),
                    (false, _) => o.property(other, null()),
                };
            }
            o
        };
        OneOfBuilder::new()
            .item(variant("permissions"))
            .item(variant("user_id"))
            .item(variant("access_level_id"))
            .description(Some(
                "A new API key: exactly one of permissions, user_id, access_level_id",
            ))
            .into()
    }
}

impl ToSchema for KeyCreate {}

/// The permissions of the access level of a user of `client` (`None`: the user has none);
/// NOT_FOUND when the client has no such user.
pub(crate) async fn user_level(
    s: &AppState,
    client: &str,
    user: &str,
) -> Result<Option<BTreeSet<Permission>>, ApiError> {
    let row = sqlx::query(
        "SELECT u.id, l.permissions AS level_permissions FROM users u \
         LEFT JOIN access_levels l ON l.id = u.access_level_id AND l.client_id = u.client_id \
         WHERE u.id = $1 AND u.client_id = $2",
    )
    .bind(user)
    .bind(client)
    .fetch_optional(s.store.reader())
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no user {user}")))?;
    opt_col(&row, "level_permissions")?
        .map(|t| level_set(&t))
        .transpose()
}

/// The permissions of an access level of `client`; NOT_FOUND when the client has no such level.
pub(crate) async fn level_permissions(
    s: &AppState,
    client: &str,
    level: &str,
) -> Result<BTreeSet<Permission>, ApiError> {
    let row = sqlx::query("SELECT permissions FROM access_levels WHERE id = $1 AND client_id = $2")
        .bind(level)
        .bind(client)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no access level {level}")))?;
    level_set(&col(&row, "permissions")?)
}

/// An API key (never its secret): its binding, its ceiling and what it acts with now.
#[derive(Serialize, ToSchema)]
pub(crate) struct KeyOut {
    /// Its id.
    pub(crate) id: String,
    /// A non-secret hint: the prefix and the first 8 characters, e.g. `waas_live_1a2b3c4d`.
    #[schema(example = "waas_live_1a2b3c4d")]
    pub(crate) hint: String,
    /// `sandbox` or `live`.
    pub(crate) environment: String,
    /// Whether it is revoked.
    pub(crate) revoked: bool,
    /// The user it belongs to, if any (it acts with the user's access level).
    pub(crate) user_id: Option<String>,
    /// The access level it follows, if any.
    pub(crate) access_level_id: Option<String>,
    /// What it acts with now.
    pub(crate) permissions: Vec<String>,
    /// The most it may act with.
    pub(crate) ceiling: Vec<String>,
}

/// A key as listed and created.
pub(crate) fn key_out(id: &str, rec: &StoredKey, acting: &BTreeSet<Permission>) -> KeyOut {
    KeyOut {
        id: id.to_owned(),
        hint: rec.hint.clone(),
        environment: rec.environment.as_str().to_owned(),
        revoked: rec.revoked,
        user_id: rec.binding.user_id().map(str::to_owned),
        access_level_id: rec.binding.access_level_id().map(str::to_owned),
        permissions: permission_names(acting),
        ceiling: permission_names(&rec.permissions),
    }
}

/// A new API key, with its secret shown this once.
#[derive(Serialize, ToSchema)]
pub(crate) struct KeyCreated {
    /// The key.
    #[serde(flatten)]
    pub(crate) key: KeyOut,
    /// The API key itself (send it as `X-API-Key`): shown in this answer only, never again.
    #[serde(rename = "key")]
    #[schema(rename = "key")]
    pub(crate) secret: String,
}

/// `POST /v1/management/api-keys` with exactly one of `permissions` (a client key with those),
/// `user_id` (a key of a user, following the user's level) or `access_level_id` (a key following
/// that level); a bound key's ceiling is what the calling key holds.
#[utoipa::path(post, path = "/v1/management/api-keys", operation_id = "management.api_keys.create", tag = "management",
    request_body(content = KeyCreate, example = json!({"permissions": ["WALLETS_READ", "ACCOUNTS_READ"]})),
    responses((status = 201, description = "The key, with its secret shown this once", body = KeyCreated)))]
pub(crate) async fn create_key(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementApiKeysCreate).await?;
    let req: KeyCreate = body(&bytes)?;
    let given = [
        req.permissions.is_some(),
        req.user_id.is_some(),
        req.access_level_id.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(ApiError::bad_request(
            "give exactly one of permissions, user_id, access_level_id",
        ));
    }
    let (ceiling, binding, level) = if let Some(user_id) = req.user_id {
        let level = user_level(&s, &caller.client_id, &user_id).await?;
        access::levels::check_bound_key(&caller.permissions, level.as_ref())?;
        (
            caller.permissions.clone(),
            KeyBinding::User { user_id },
            level,
        )
    } else if let Some(access_level_id) = req.access_level_id {
        let level = level_permissions(&s, &caller.client_id, &access_level_id).await?;
        access::levels::check_bound_key(&caller.permissions, Some(&level))?;
        (
            caller.permissions.clone(),
            KeyBinding::Level { access_level_id },
            Some(level),
        )
    } else {
        let asked = req.permissions.unwrap_or_default();
        if asked.is_empty() {
            return Err(ApiError::bad_request("permissions: give at least one"));
        }
        let perms = asked
            .iter()
            .map(|p| Permission::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        access::check_grantable(&caller.permissions, &perms)?;
        (perms.into_iter().collect(), KeyBinding::Client, None)
    };
    let (key, mut record) = access::new_key(caller.environment, ceiling)?;
    record.binding = binding;
    let mut tx = s.store.pool().begin().await?;
    let id = crate::host::insert_key(&mut tx, &caller.client_id, &record).await?;
    tx.commit().await?;
    let acting = access::effective_permissions(&record, level.as_ref());
    let out = KeyCreated {
        key: key_out(&id, &record, &acting),
        secret: key.expose().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(get, path = "/v1/management/api-keys", operation_id = "management.api_keys.list", tag = "management",
    params(PageQuery),
    responses((status = 200, description = "A page of API keys (hints only), oldest first", body = Listed<KeyOut>)))]
pub(crate) async fn list_keys(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementApiKeysList).await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            &format!("SELECT * FROM ({KEYS_WITH_LEVELS}) keys WHERE client_id = $1"),
            &[&caller.client_id],
        )
        .await?;
    let mut keys = Vec::new();
    for r in rows {
        let rec: StoredKey = crate::host::store::stored(&col(&r, "record")?, "API key record")?;
        let level = opt_col(&r, "level_permissions")?
            .map(|t| level_set(&t))
            .transpose()?;
        let acting = access::effective_permissions(&rec, level.as_ref());
        keys.push(key_out(&col(&r, "id")?, &rec, &acting));
    }
    Ok(Json(Listed::new(keys, next)).into_response())
}

/// A revoked API key.
#[derive(Serialize, ToSchema)]
pub(crate) struct Revoked {
    /// The key's id.
    pub(crate) id: String,
    /// Always `true`.
    pub(crate) revoked: bool,
}

#[utoipa::path(delete, path = "/v1/management/api-keys/{id}", operation_id = "management.api_keys.revoke", tag = "management",
    params(("id" = String, Path, description = "The API key's id")),
    responses((status = 200, description = "The key is revoked", body = Revoked)))]
pub(crate) async fn revoke_key(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementApiKeysRevoke).await?;
    let row = sqlx::query("SELECT record FROM api_keys WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no API key {id}")))?;
    let mut rec: StoredKey = crate::host::store::stored(&col(&row, "record")?, "API key record")?;
    rec.revoked = true;
    sqlx::query("UPDATE api_keys SET record = $1 WHERE id = $2")
        .bind(serde_json::to_string(&rec).map_err(|e| ApiError::internal(e.to_string()))?)
        .bind(&id)
        .execute(s.store.pool())
        .await?;
    s.key_cache.clear();
    Ok(Json(Revoked { id, revoked: true }).into_response())
}
