//! Users of a client's dashboard.

use crate::host::api::access_levels::give_level;
use crate::host::api::clients::name_ok;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::{ApiResult, PageQ, Shared};
use crate::host::api::schema::Listed;
use crate::host::error::ApiError;
use crate::host::page::{self, Page, PageQuery};
use crate::host::store::{col, new_id, now_ms, opt_col};
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;
use waas_core::access::StoredKey;
use waas_core::ErrorCode;

/// Routes of this module.
pub(crate) fn users_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user, delete_user))
}

/// A user to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserCreate {
    /// The user's e-mail address (kept in lowercase, unique in the client; `email_ok`'s rule).
    #[schema(
        max_length = 254,
        pattern = r"^[^@\t\n\x0B\f\r ]+@[^.\t\n\x0B\f\r ][^\t\n\x0B\f\r ]*\.[^\t\n\x0B\f\r ]*$",
        example = "alice@example.com"
    )]
    pub(crate) email: String,
    /// The user's name (1 to 200 characters; the e-mail address when absent).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0B\f\r ]",
        example = "Alice"
    )]
    pub(crate) name: Option<String>,
    /// The access level the user acts with (the caller must hold each of its permissions).
    pub(crate) access_level_id: Option<String>,
}

/// A change of a user (its e-mail address cannot change: create a new user).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserReq {
    /// Refused: read only to say so clearly.
    #[schema(ignore)]
    pub(crate) email: Option<String>,
    /// The user's name (1 to 200 characters; the e-mail address when absent on creation).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0B\f\r ]",
        example = "Alice"
    )]
    pub(crate) name: Option<String>,
    /// The access level the user acts with (the caller must hold each of its permissions).
    pub(crate) access_level_id: Option<String>,
}

/// A user of the client's dashboard.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserOut {
    /// Its id (`usr_...`).
    pub(crate) id: String,
    /// Its e-mail address.
    pub(crate) email: String,
    /// Its name.
    pub(crate) name: String,
    /// The access level it acts with; `null` for none.
    pub(crate) access_level_id: Option<String>,
}

/// A deleted user.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserDeleted {
    /// The user's id.
    pub(crate) id: String,
    /// Always `true`.
    pub(crate) deleted: bool,
    /// How many of its API keys were revoked with it.
    pub(crate) keys_revoked: usize,
}

/// An e-mail address as the schema's `pattern` says: at most 254 characters, no spaces, tabs or
/// line breaks, something before the first `@`, and after it a domain with a dot that does not
/// start with one.
pub(crate) fn email_ok(email: &str) -> Result<(), ApiError> {
    let blank = |c: char| matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ');
    let ok = email.chars().count() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(blank);
    if !ok {
        return Err(ApiError::bad_request(format!(
            "email: {email:?} is not an e-mail address"
        )));
    }
    Ok(())
}

/// A user of `client`, NOT_FOUND when there is none.
pub(crate) async fn user_out(s: &AppState, client: &str, id: &str) -> Result<UserOut, ApiError> {
    let row = sqlx::query(
        "SELECT id, email, name, access_level_id FROM users WHERE id = $1 AND client_id = $2",
    )
    .bind(id)
    .bind(client)
    .fetch_optional(s.store.reader())
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no user {id}")))?;
    Ok(UserOut {
        id: col(&row, "id")?,
        email: col(&row, "email")?,
        name: col(&row, "name")?,
        access_level_id: opt_col(&row, "access_level_id")?,
    })
}

#[utoipa::path(post, path = "/v1/management/users", operation_id = "management.users.create", tag = "management",
    request_body(content = UserCreate, example = json!({"email": "alice@example.com", "name": "Alice", "access_level_id": "lvl_01"})),
    responses((status = 201, description = "The user", body = UserOut)))]
pub(crate) async fn create_user(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementUsersCreate).await?;
    let req: UserCreate = body(&bytes)?;
    let email = req.email.to_ascii_lowercase();
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
        Json(user_out(&s, &caller.client_id, &id).await?),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/management/users", operation_id = "management.users.list", tag = "management",
    params(PageQuery),
    responses((status = 200, description = "A page of users, oldest first", body = Listed<UserOut>)))]
pub(crate) async fn list_users(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementUsersList).await?;
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
        out.push(user_out(&s, &caller.client_id, &col(&r, "id")?).await?);
    }
    Ok(Json(Listed::new(out, next)).into_response())
}

#[utoipa::path(patch, path = "/v1/management/users/{id}", operation_id = "management.users.update", tag = "management",
    params(("id" = String, Path, description = "The user's id")),
    request_body(content = UserReq, example = json!({"name": "Alice Doe", "access_level_id": "lvl_02"})),
    responses((status = 200, description = "The user as it is now", body = UserOut)))]
pub(crate) async fn update_user(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementUsersUpdate).await?;
    let req: UserReq = body(&bytes)?;
    user_out(&s, &caller.client_id, &id).await?;
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
    Ok(Json(user_out(&s, &caller.client_id, &id).await?).into_response())
}

#[utoipa::path(delete, path = "/v1/management/users/{id}", operation_id = "management.users.delete", tag = "management",
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "The user is gone, its API keys revoked", body = UserDeleted)))]
pub(crate) async fn delete_user(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementUsersDelete).await?;
    user_out(&s, &caller.client_id, &id).await?;
    // The user's keys are revoked with it (a key of a missing user would act with nothing anyway).
    let mut tx = s.store.pool().begin().await?;
    let keys = sqlx::query("SELECT id, record FROM api_keys WHERE user_id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_all(&mut *tx)
        .await?;
    let mut revoked = 0usize;
    for r in keys {
        let mut rec: StoredKey = crate::host::store::stored(&col(&r, "record")?, "API key record")?;
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
    Ok(Json(UserDeleted {
        id,
        deleted: true,
        keys_revoked: revoked,
    })
    .into_response())
}
