//! What operators expect of a server, around every route: a request id (the caller's
//! `X-Request-Id` when it is a sane token, else a new one) echoed in the answer, carried by every
//! log line of the request and put in every error body; one access-log line per request; the
//! request counted in `/metrics` under its route template; CORS for the allowed origins only;
//! `/readyz` (the database answers) and `/metrics` (Prometheus text).

use super::error::ApiError;
use super::store::new_id;
use super::AppState;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;
use waas_core::ErrorCode;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest request id taken from a caller.
pub const MAX_REQUEST_ID: usize = 128;
/// Largest error body the id is added to (error bodies are small; others pass untouched).
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Time `/readyz` gives the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The route template a request matched (`unmatched` when none did), handed from the router to
/// the outer layer.
#[derive(Debug, Clone)]
struct Route(String);

/// Routes of this module.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Inside the router: records the matched route template on the answer.
pub async fn route_label(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let mut response = next.run(req).await;
    if let Some(r) = route {
        response.extensions_mut().insert(Route(r));
    }
    response
}

/// Outside everything: the request id, the access log and the request metrics.
pub async fn observe(state: Arc<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_token(v))
        .map_or_else(|| new_id("req"), str::to_owned);
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID, v);
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // At the highest level so that every filter that lets a warning through keeps the span: the
    // request id then prefixes every log line of the request, whatever its level.
    let span = tracing::error_span!("request", request_id = %id);
    let mut response = next.run(req).instrument(span.clone()).await;
    let route = response
        .extensions()
        .get::<Route>()
        .map_or_else(|| "unmatched".to_owned(), |r| r.0.clone());
    let status = response.status();
    let mut code = None;
    if status.is_client_error() || status.is_server_error() {
        (response, code) = with_request_id(response, &id).await;
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    let seconds = started.elapsed().as_secs_f64();
    state
        .store
        .metrics()
        .request(method.as_str(), &route, status.as_u16(), seconds);
    span.in_scope(|| {
        tracing::info!(
            target: "waas::access",
            request_id = %id,
            method = %method,
            path = %path,
            route = %route,
            status = status.as_u16(),
            code = code.map(ErrorCode::as_str),
            ms = (seconds * 1000.0).round() as u64,
            "request"
        );
    });
    response
}

/// Whether a caller's request id can be used as it is: 1 to 128 visible ASCII characters of a
/// token (letters, digits, `-`, `_`, `.`, `:`), so it cannot forge log lines or headers.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_REQUEST_ID
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// An error answer in the JSON envelope gets `error.request_id`; its code comes back for the
/// access log (none when the answer is not in the envelope).
async fn with_request_id(response: Response, id: &str) -> (Response, Option<ErrorCode>) {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return (response, None);
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        let error = ApiError::internal("error answer too large");
        let code = error.code();
        return (error.into_response(), Some(code));
    };
    let mut value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return (Response::from_parts(parts, Body::from(bytes)), None),
    };
    let mut code = None;
    if let Some(error) = value.get_mut("error").and_then(Value::as_object_mut) {
        // Every error envelope the host writes carries one of the core's codes.
        code = error
            .get("code")
            .and_then(|c| serde_json::from_value::<ErrorCode>(c.clone()).ok());
        error.insert("request_id".into(), Value::String(id.to_owned()));
    }
    let text = value.to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    (Response::from_parts(parts, Body::from(text)), code)
}

/// CORS for the given origins (none: no CORS headers at all, browsers keep the same-origin rule).
pub fn cors(origins: &[String]) -> Result<Option<tower_http::cors::CorsLayer>, ApiError> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return Ok(None);
    }
    let list = origins
        .iter()
        .map(|o| {
            HeaderValue::from_str(o.trim_end_matches('/'))
                .map_err(|_| ApiError::config(format!("--cors-origin {o}: not a header value")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(list))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::CONTENT_TYPE,
                HeaderName::from_static("x-api-key"),
                HeaderName::from_static("idempotency-key"),
                REQUEST_ID,
            ])
            .expose_headers([REQUEST_ID, header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    ))
}

/// `GET /readyz`: 200 when the database answers within 2 s, else 503 `UNAVAILABLE`.
async fn readyz(State(s): State<Arc<AppState>>) -> Response {
    let probe = sqlx::query("SELECT 1").fetch_one(s.store.reader());
    match tokio::time::timeout(READY_TIMEOUT, probe).await {
        Ok(Ok(_)) => Json(json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            ApiError::new(
                waas_core::ErrorCode::Unavailable,
                "the database does not answer",
            )
            .into_response()
        }
        Err(_) => ApiError::new(
            waas_core::ErrorCode::Unavailable,
            "the database did not answer in time",
        )
        .into_response(),
    }
}

/// `GET /metrics`: the Prometheus text exposition.
async fn metrics(State(s): State<Arc<AppState>>) -> Response {
    use sqlx::Row;
    // Parked events (a client without a working endpoint) wait for a configuration, not for
    // delivery, and may be many: counting them would read all of them at every scrape.
    let pending = sqlx::query(
        "SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL AND next_attempt_at < $1",
    )
    .bind(crate::host::webhooks::PARKED)
    .fetch_one(s.store.reader())
    .await
    .and_then(|r| r.try_get::<i64, _>("n"))
    .unwrap_or(-1);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.store.metrics().render(pending),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_tokens_are_taken_as_request_ids() {
        assert!(is_token("abc-123_x.y:z"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("a\nb"));
        assert!(!is_token(&"x".repeat(MAX_REQUEST_ID + 1)));
        assert!(is_token(&"x".repeat(MAX_REQUEST_ID)));
    }
}
