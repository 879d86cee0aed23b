//! Child clients: create one below the caller's, list the caller's tree.

use crate::host::api::clients::name_ok;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::{ApiResult, PageQ, Shared};
use crate::host::api::management::permission_names;
use crate::host::api::schema::{Listed, PermissionName};
use crate::host::error::ApiError;
use crate::host::page::{self, Page, PageQuery};
use crate::host::store::{col, opt_col};
use crate::host::Settings;
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
use waas_core::access::{self, Permission};

/// A new client below the caller's.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientCreate {
    /// Its name (1 to 200 characters).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\x0B\f\r ]",
        example = "Shop Ltd"
    )]
    pub(crate) name: String,
    /// The permissions of its first API key (each held by the calling key); the caller's when
    /// absent.
    #[schema(value_type = Option<Vec<PermissionName>>, min_items = 1, example = json!(["WALLETS_READ", "WALLETS_WRITE"]))]
    pub(crate) permissions: Option<Vec<String>>,
}

/// A new client, with its first API key shown this once.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClientCreated {
    /// Its id (`cli_...`).
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// The client above it (the caller's).
    pub(crate) parent_id: String,
    /// Its first API key: shown in this answer only, never again.
    pub(crate) api_key: String,
    /// The permissions of that key.
    pub(crate) permissions: Vec<String>,
}

/// A client.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClientOut {
    /// Its id (`cli_...`).
    pub(crate) id: String,
    /// Its name.
    pub(crate) name: String,
    /// The client above it; `null` for a root client.
    pub(crate) parent_id: Option<String>,
    /// Created at (milliseconds since the epoch).
    pub(crate) created_at: i64,
}

impl ClientOut {
    /// A client from its row (`id`, `name`, `parent_id`, `created_at`).
    pub(crate) fn of(r: &sqlx::any::AnyRow) -> Result<ClientOut, ApiError> {
        Ok(ClientOut {
            id: col(r, "id")?,
            name: col(r, "name")?,
            parent_id: opt_col(r, "parent_id")?,
            created_at: r.try_get::<i64, _>("created_at")?,
        })
    }
}

#[utoipa::path(post, path = "/v1/management/clients", operation_id = "management.clients.create", tag = "management",
    request_body(content = ClientCreate, example = json!({"name": "Shop Ltd", "permissions": ["WALLETS_READ", "WALLETS_WRITE"]})),
    responses((status = 201, description = "The client, with its first API key shown this once", body = ClientCreated)))]
pub(crate) async fn create_client(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementClientsCreate).await?;
    let req: ClientCreate = body(&bytes)?;
    name_ok("name", &req.name)?;
    let asked = match req.permissions {
        Some(p) => Some(
            p.iter()
                .map(|p| Permission::parse(p))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let perms = access::new_client_permissions(&caller.permissions, asked.as_deref())?;
    let (id, key) = crate::host::create_client(
        &s.store,
        Some(&caller.client_id),
        &req.name,
        caller.environment,
        perms.clone(),
        Settings::default(),
    )
    .await?;
    let out = ClientCreated {
        id,
        name: req.name,
        parent_id: caller.client_id,
        api_key: key.expose().to_owned(),
        permissions: permission_names(&perms),
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(get, path = "/v1/management/clients", operation_id = "management.clients.list", tag = "management",
    params(PageQuery),
    responses((status = 200, description = "A page of clients: the caller's and those below it, oldest first", body = Listed<ClientOut>)))]
/// The caller's client and every client below it, in order of creation.
pub(crate) async fn list_clients(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: PageQ,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementClientsList).await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "WITH RECURSIVE tree(id) AS (SELECT id FROM clients WHERE id = $1 \
             UNION ALL SELECT c.id FROM clients c JOIN tree t ON c.parent_id = t.id) \
             SELECT id, name, parent_id, created_at FROM clients WHERE id IN (SELECT id FROM tree)",
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(ClientOut::of(&r)?);
    }
    Ok(Json(Listed::new(out, next)).into_response())
}
