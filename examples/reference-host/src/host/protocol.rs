//! HTTP-level defences around every route: a whole-request deadline, limits on the request line,
//! the header section and the body, and one JSON error envelope for every error answer, also
//! those produced outside a handler (axum's body limit, a path that does not parse, a method the
//! route does not serve).
//!
//! Requests whose header section is larger than hyper's read buffer (about 400 KiB) never reach
//! this layer: hyper answers them with a bare 431 and closes the connection (docs/SECURITY.md).

use super::error::ApiError;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::time::Duration;

/// Longest request target (path and query) accepted, in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest header section accepted (names, values and separators), in bytes.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Most header fields accepted in one request.
pub const MAX_HEADERS: usize = 100;
/// Largest request body accepted, in bytes (the biggest API body, a batch request, is tiny).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default time a request has from its first byte to its answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Wraps `app` in the limits and the error envelope, `timeout` being the whole-request deadline.
pub fn guard(app: Router, timeout: Duration) -> Router {
    app.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| limit(req, next, timeout),
    ))
    .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn limit(req: Request, next: Next, timeout: Duration) -> Response {
    if let Err(e) = check_head(&req) {
        return e.into_response();
    }
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => envelope(response),
        // The handler's future is dropped: an open database transaction rolls back.
        Err(_) => ApiError::http(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request took longer than {} ms to arrive and be answered",
                timeout.as_millis()
            ),
        )
        .into_response(),
    }
}

/// Refuses a request line, header section or declared body over the limits.
fn check_head(req: &Request) -> Result<(), ApiError> {
    let uri = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return Err(ApiError::http(
            StatusCode::URI_TOO_LONG,
            format!("the request target is {uri} bytes; at most {MAX_URI_BYTES} are accepted"),
        ));
    }
    check_headers(req.headers())?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    Ok(())
}

fn check_headers(headers: &HeaderMap) -> Result<(), ApiError> {
    if headers.len() > MAX_HEADERS {
        return Err(ApiError::http(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "{} header fields; at most {MAX_HEADERS} are accepted",
                headers.len()
            ),
        ));
    }
    let size: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if size > MAX_HEADER_BYTES {
        return Err(ApiError::http(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("the headers are {size} bytes; at most {MAX_HEADER_BYTES} are accepted"),
        ));
    }
    Ok(())
}

fn too_large() -> ApiError {
    ApiError::http(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// An error answer that is not already JSON (axum's own rejections) gets the API's envelope.
fn envelope(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    drop(Body::new(body));
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => return too_large().into_response(),
        StatusCode::METHOD_NOT_ALLOWED => "the route does not serve this method".to_owned(),
        _ => status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_lowercase(),
    };
    let mut answer = ApiError::http(status, message).into_response();
    // Keep what the original answer said about the protocol (Allow on a 405, for example).
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&name) {
            answer.headers_mut().insert(name, v.clone());
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn header_limits() {
        let mut h = HeaderMap::new();
        h.insert("x-a", HeaderValue::from_static("1"));
        assert!(check_headers(&h).is_ok());
        let big = "a".repeat(MAX_HEADER_BYTES);
        h.insert("x-big", HeaderValue::from_str(&big).unwrap());
        assert_eq!(
            check_headers(&h).unwrap_err().code().as_str(),
            "HEADERS_TOO_LARGE"
        );
        let mut many = HeaderMap::new();
        for i in 0..=MAX_HEADERS {
            many.insert(
                axum::http::HeaderName::from_bytes(format!("x-{i}").as_bytes()).unwrap(),
                HeaderValue::from_static("1"),
            );
        }
        assert!(check_headers(&many).is_err());
    }
}
