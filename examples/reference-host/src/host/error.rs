//! API errors: the core's code and message as `{"error":{"code","message"}}` with its HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use waas_core::{Error, ErrorCode};

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
    /// Seconds for a `Retry-After` header (429).
    retry_after: Option<u64>,
}

impl ApiError {
    /// From a code and a message, with the code's HTTP status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            code: code.as_str().to_owned(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// RATE_LIMITED (429), to be retried after `seconds`.
    pub fn rate_limited(seconds: u64) -> ApiError {
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                ErrorCode::RateLimited,
                format!("too many requests for this key; retry in {seconds} s"),
            )
        }
    }

    /// An HTTP-level refusal (limits, timeouts, methods) with the stable code of its status.
    pub fn http(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: http_code(status).to_owned(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// NOT_FOUND.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, message)
    }

    /// INVALID_ARGUMENT (a malformed request).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InvalidArgument, message)
    }

    /// A start-up configuration problem.
    pub fn config(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InvalidArgument, message)
    }

    /// An unexpected failure of the host (500, `INTERNAL`).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "INTERNAL".to_owned(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// The code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The stable code of an HTTP-level error status (docs/HOST.md, "Errors").
pub fn http_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "INVALID_ARGUMENT",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        408 => "REQUEST_TIMEOUT",
        413 => "PAYLOAD_TOO_LARGE",
        414 => "URI_TOO_LONG",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        429 => "RATE_LIMITED",
        431 => "HEADERS_TOO_LARGE",
        503 => "UNAVAILABLE",
        400..=499 => "BAD_REQUEST",
        _ => "INTERNAL",
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError::new(e.code(), e.message())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        tracing::error!(error = %e, "database error");
        let mut err = ApiError::internal("database error");
        if matches!(e, sqlx::Error::PoolTimedOut) {
            err.status = StatusCode::SERVICE_UNAVAILABLE;
            err.code = "UNAVAILABLE".to_owned();
            err.message = "the database is busy; retry".to_owned();
        }
        err
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}
