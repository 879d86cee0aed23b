//! What every handler takes from a request: the API key and its permission (`auth`), a strict
//! JSON body, amounts, and the Idempotency-Key with its stored answer.

use crate::host::error::ApiError;
use crate::host::page::PageQuery;
use crate::host::store::{col, now_ms, opt_col, Work};
use crate::host::AppState;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::BTreeSet;
use std::sync::Arc;
use waas_core::access::Environment;
use waas_core::access::Operation;
use waas_core::access::{self, KeyHash, Permission, StoredKey};
use waas_core::{Amount, ErrorCode};

/// The host's state as handlers take it.
pub(crate) type Shared = Arc<AppState>;
/// What a handler answers.
pub(crate) type ApiResult = Result<Response, ApiError>;
/// The query of a list without filters.
pub(crate) type PageQ = Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>;

/// Who is calling: the client the key belongs to.
pub struct Caller {
    /// The key's client.
    pub client_id: String,
    /// The key's environment.
    pub environment: Environment,
    /// What the key may do.
    pub permissions: std::collections::BTreeSet<Permission>,
}

/// API keys with the permissions of the access level each follows (`level_permissions`: its own
/// level, else its user's; NULL for a client key, a user without a level, a user or level gone).
pub(crate) const KEYS_WITH_LEVELS: &str = "SELECT k.id, k.client_id, k.record, k.created_at, \
     k.user_id, k.access_level_id, l.permissions AS level_permissions FROM api_keys k \
     LEFT JOIN users u ON u.id = k.user_id AND u.client_id = k.client_id \
     LEFT JOIN access_levels l ON l.id = COALESCE(k.access_level_id, u.access_level_id) \
     AND l.client_id = k.client_id";

/// The permissions of an access level as stored (a JSON list); CORRUPT_RECORD when it cannot
/// be read.
pub(crate) fn level_set(text: &str) -> Result<BTreeSet<Permission>, ApiError> {
    crate::host::store::stored(text, "access level permissions")
}

/// The record of a row of [`KEYS_WITH_LEVELS`] as the key acts now (its effective permissions);
/// `None` for a record that cannot be read.
pub(crate) fn acting_key(row: &sqlx::any::AnyRow) -> Result<Option<StoredKey>, ApiError> {
    let level = opt_col(row, "level_permissions")?
        .map(|t| level_set(&t))
        .transpose()?;
    let key: StoredKey = crate::host::store::stored(&col(row, "record")?, "API key record")?;
    Ok(Some(key.acting(level.as_ref())))
}

/// Authorizes the request's X-API-Key for an operation of the core's catalog.
pub async fn auth(
    state: &AppState,
    headers: &HeaderMap,
    operation: Operation,
) -> Result<Caller, ApiError> {
    let presented = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let mut stored: Option<StoredKey> = None;
    let mut client_id = String::new();
    let mut limit_key = None;
    if let Some(text) = presented.filter(|t| !t.is_empty()) {
        let hash = KeyHash::of(text).to_hex();
        let now = std::time::Instant::now();
        limit_key = Some((hash.clone(), now));
        if let Some((client, key)) = state.key_cache.get(&hash, now) {
            client_id = client;
            stored = Some(key);
        } else if let Some(row) = sqlx::query(&format!("{KEYS_WITH_LEVELS} WHERE k.hash = $1"))
            .bind(&hash)
            .fetch_optional(state.store.reader())
            .await?
        {
            client_id = col(&row, "client_id")?;
            stored = acting_key(&row)?;
            if let Some(key) = &stored {
                state
                    .key_cache
                    .put(hash, client_id.clone(), key.clone(), now);
            }
        }
    }
    access::authorize(presented, stored.as_ref(), operation)?;
    // A valid key: its requests count against its rate.
    if let Some((hash, now)) = &limit_key {
        state
            .limiter
            .take(hash, *now)
            .map_err(ApiError::rate_limited)?;
    }
    let environment = stored.as_ref().map_or(state.environment, |s| s.environment);
    if environment != state.environment {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "a {environment:?} key cannot touch {:?} data",
                state.environment
            )
            .to_lowercase(),
        ));
    }
    Ok(Caller {
        client_id,
        environment,
        permissions: stored.map(|s| s.permissions).unwrap_or_default(),
    })
}

/// The body of a POST that takes no parameters: empty or `{}`; anything else is refused, so a
/// malformed or misdirected request changes nothing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoBody {}

/// The raw body of a POST that takes none (empty or `{}`, see [`NoBody`]): named apart from
/// `Bytes`, which utoipa would declare as a binary request body.
pub(crate) type EmptyBody = Bytes;

/// Parses a JSON body strictly: it must be an object (or empty, read as `{}`); malformed JSON,
/// another JSON type and unknown fields are INVALID_ARGUMENT. A number with a zero fraction
/// (`612.0`) is the integer it equals, as JSON and JSON Schema say; amounts are strings, never
/// numbers, so no amount is touched.
pub(crate) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    let bad = |e: serde_json::Error| ApiError::bad_request(format!("body: {e}"));
    let mut value: Value = if bytes.is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(bytes).map_err(bad)?
    };
    if !value.is_object() {
        return Err(ApiError::bad_request("body: a JSON object is expected"));
    }
    integral_numbers(&mut value);
    serde_json::from_value(value).map_err(bad)
}

/// Turns every number with a zero fraction that fits 64 bits into that integer.
fn integral_numbers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                // Exact in both types below 2^53; past that a float is no count anyone sends.
                if f.abs() < 9_007_199_254_740_992.0 {
                    #[allow(clippy::cast_possible_truncation)]
                    let i = f as i64;
                    *value = Value::from(i);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

pub(crate) fn amount(field: &str, text: &str) -> Result<Amount, ApiError> {
    Amount::parse(text, waas_core::amount::MAX_DECIMALS).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidAmount,
            format!("{field}: {}", e.message()),
        )
    })
}

/// An amount that may be left out (zero then), such as a caller's fee.
pub(crate) fn optional_amount(field: &str, text: Option<&str>) -> Result<Amount, ApiError> {
    text.map_or(Ok(Amount::ZERO), |t| amount(field, t))
}

/// The Idempotency-Key of a POST, with a hash of what it was sent with.
pub(crate) struct Idem {
    pub(crate) key: String,
    pub(crate) hash: String,
}

impl Idem {
    /// The Idempotency-Key.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The hash of the request it came with.
    pub(crate) fn hash(&self) -> &str {
        &self.hash
    }
}

/// The Idempotency-Key of a request, with the hash of `scope` and the body (a key reused with other
/// contents is DUPLICATE_OPERATION). `scope` is the operation's stable id (`Operation::id`), or
/// for an operation on one resource the text it has always been (`transfer:{wallet}`): the hash is
/// stored, so a scope never changes.
pub(crate) fn idem(
    headers: &HeaderMap,
    scope: &str,
    bytes: &Bytes,
) -> Result<Option<Idem>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .ok_or_else(|| {
            ApiError::bad_request("Idempotency-Key must be 1 to 128 visible characters")
        })?;
    let mut h = Sha256::new();
    h.update(scope.as_bytes());
    h.update([0]);
    h.update(bytes);
    Ok(Some(Idem {
        key: key.to_owned(),
        hash: hex::encode(h.finalize()),
    }))
}

/// The stored status and body for this Idempotency-Key, or DUPLICATE_OPERATION when it came with
/// other contents.
pub(crate) async fn stored(
    w: &mut Work,
    idem: &Option<Idem>,
) -> Result<Option<(StatusCode, Value)>, ApiError> {
    let Some(i) = idem else { return Ok(None) };
    let row = sqlx::query(
        "SELECT request_hash, status, response FROM idempotency WHERE client_id = $1 AND key = $2",
    )
    .bind(w.client_id.clone())
    .bind(&i.key)
    .fetch_optional(w.conn().await?)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if col(&row, "request_hash")? != i.hash {
        return Err(ApiError::new(
            ErrorCode::DuplicateOperation,
            "Idempotency-Key was already used with another request",
        ));
    }
    let status: i64 = row.try_get("status")?;
    let body: Value = crate::host::store::stored(&col(&row, "response")?, "idempotent answer")?;
    let status =
        StatusCode::from_u16(u16::try_from(status).unwrap_or(200)).unwrap_or(StatusCode::OK);
    Ok(Some((status, body)))
}

/// A stored answer for this Idempotency-Key, or DUPLICATE_OPERATION when it came with other contents.
pub(crate) async fn replay(
    w: &mut Work,
    idem: &Option<Idem>,
) -> Result<Option<Response>, ApiError> {
    Ok(stored(w, idem)
        .await?
        .map(|(status, body)| (status, Json(body)).into_response()))
}

/// Fields of an answer shown once and never stored (idempotent replays leave them out).
pub(crate) const SHOWN_ONCE: &[&str] = &["full_number", "api_key", "secret"];

/// Commits the operation, storing its answer under the Idempotency-Key.
pub(crate) async fn finish(
    mut w: Work,
    idem: &Option<Idem>,
    status: StatusCode,
    body: impl serde::Serialize,
    state: &AppState,
) -> ApiResult {
    let body = serde_json::to_value(body)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("answer: {e}")))?;
    if let Some(i) = idem {
        // What is shown once (a virtual card's full number, a key, a secret) is not kept for
        // replays: a retry answers the rest.
        let mut kept = body.clone();
        if let Value::Object(o) = &mut kept {
            for field in SHOWN_ONCE {
                o.remove(*field);
            }
        }
        sqlx::query("INSERT INTO idempotency (client_id, key, request_hash, status, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(w.client_id.clone())
            .bind(&i.key)
            .bind(&i.hash)
            .bind(i64::from(status.as_u16()))
            .bind(kept.to_string())
            .bind(now_ms())
            .execute(w.conn().await?)
            .await?;
    }
    if w.commit().await?.announces {
        state.outbox_notify.notify_one();
    }
    Ok((status, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Limits {
        max: Option<u32>,
    }

    fn parse(text: &str) -> Result<Limits, ApiError> {
        body(&Bytes::from(text.to_owned()))
    }

    #[test]
    fn a_body_is_an_object_or_nothing() {
        assert_eq!(parse("").unwrap(), Limits { max: None });
        assert_eq!(parse("{}").unwrap(), Limits { max: None });
        // serde would read a struct from a sequence: the body refuses it first.
        assert!(parse("[null]").is_err());
        assert!(parse("null").is_err());
        assert!(parse("\"x\"").is_err());
        assert!(parse("{\"other\": 1}").is_err());
    }

    #[test]
    fn an_integral_number_is_its_integer() {
        assert_eq!(
            parse("{\"max\": 612.0}").unwrap(),
            Limits { max: Some(612) }
        );
        assert_eq!(
            parse("{\"max\": 6.12e2}").unwrap(),
            Limits { max: Some(612) }
        );
        assert!(parse("{\"max\": 612.5}").is_err());
        assert!(parse("{\"max\": -1.0}").is_err());
        assert!(parse("{\"max\": 1e300}").is_err());
    }
}
