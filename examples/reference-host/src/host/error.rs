//! API errors: the core's code and message as `{"error":{"code","message"}}` with its HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use waas_core::{Error, ErrorCode};

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    /// Seconds for a `Retry-After` header (429).
    retry_after: Option<u64>,
    /// The figures of a core rule's refusal (amounts, limits), answered as `error.detail`.
    detail: Option<Box<waas_core::Detail>>,
    /// Set when an operation met a row another batch holds: retried as the first operation of
    /// a batch of its own (`store::Hold::Wallets`), which waits for the row instead.
    contended: bool,
}

impl ApiError {
    /// From a code and a message, with the code's HTTP status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(http_status(code)).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            message: message.into(),
            retry_after: None,
            detail: None,
            contended: false,
        }
    }

    /// UNAVAILABLE (503): a row the operation needs is held by another batch; the operation
    /// is retried on its own (see [`ApiError::is_contended`]), so a client rarely sees it.
    pub fn contended(what: &str) -> ApiError {
        ApiError {
            contended: true,
            ..ApiError::new(
                ErrorCode::Unavailable,
                format!("{what} is in use by another operation; retry"),
            )
        }
    }

    /// Whether the operation met a row another batch holds.
    pub fn is_contended(&self) -> bool {
        self.contended
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
            code: http_code(status),
            message: message.into(),
            retry_after: None,
            detail: None,
            contended: false,
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
        ApiError::new(ErrorCode::Internal, message)
    }

    /// Stored data that cannot be read back (500, `CORRUPT_RECORD`), logged with what it was;
    /// never replaced by a default.
    pub fn corrupt(what: &str, detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(%what, %detail, "stored data cannot be read");
        ApiError::new(
            ErrorCode::CorruptRecord,
            format!("stored {what} cannot be read"),
        )
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The HTTP status the host answers with for a code of the core (HTTP is the host's business,
/// not the core's): 401/403 for keys and signatures, 404 for what does not exist, 409 for
/// conflicts, 422 for the rules over the books, 4xx/5xx for the request and the host itself,
/// 400 for every other malformed input.
pub const fn http_status(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::Unauthorized
        | ErrorCode::InvalidSignature
        | ErrorCode::TimestampOutOfTolerance => 401,
        ErrorCode::Forbidden => 403,
        ErrorCode::NotFound | ErrorCode::UnknownChain | ErrorCode::UnknownToken => 404,
        ErrorCode::AlreadyExists | ErrorCode::DuplicateOperation => 409,
        ErrorCode::InsufficientFunds
        | ErrorCode::BelowMinimumDeposit
        | ErrorCode::ReserveRatioViolation
        | ErrorCode::WalletInactive
        | ErrorCode::WalletFrozen
        | ErrorCode::ContractLimitReached
        | ErrorCode::StalePrice
        | ErrorCode::SameAddress
        | ErrorCode::DestinationNotAllowed
        | ErrorCode::SpendingLimitExceeded => 422,
        ErrorCode::MethodNotAllowed => 405,
        ErrorCode::RequestTimeout => 408,
        ErrorCode::PayloadTooLarge => 413,
        ErrorCode::UriTooLong => 414,
        ErrorCode::UnsupportedMediaType => 415,
        ErrorCode::HeadersTooLarge => 431,
        ErrorCode::RateLimited => 429,
        ErrorCode::KeyDerivation
        | ErrorCode::Entropy
        | ErrorCode::CorruptRecord
        | ErrorCode::Internal => 500,
        ErrorCode::Unavailable => 503,
        _ => 400,
    }
}

/// The stable code of an HTTP-level error status (docs/HOST.md, "Errors").
pub fn http_code(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        400 | 422 => ErrorCode::InvalidArgument,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        408 => ErrorCode::RequestTimeout,
        413 => ErrorCode::PayloadTooLarge,
        414 => ErrorCode::UriTooLong,
        415 => ErrorCode::UnsupportedMediaType,
        429 => ErrorCode::RateLimited,
        431 => ErrorCode::HeadersTooLarge,
        503 => ErrorCode::Unavailable,
        400..=499 => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError {
            detail: e.detail().cloned().map(Box::new),
            ..ApiError::new(e.code(), e.message())
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        tracing::error!(error = %e, "database error");
        let mut err = ApiError::internal("database error");
        if matches!(e, sqlx::Error::PoolTimedOut) {
            err = ApiError::new(ErrorCode::Unavailable, "the database is busy; retry");
        }
        err
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = super::api::schema::ErrorBody {
            error: super::api::schema::ErrorDetail {
                code: self.code,
                message: self.message,
                request_id: None,
                detail: self.detail,
            },
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_status_and_the_statuses_map_back() {
        assert_eq!(http_status(ErrorCode::InsufficientFunds), 422);
        assert_eq!(http_status(ErrorCode::NotFound), 404);
        assert_eq!(http_status(ErrorCode::InvalidAmount), 400);
        for code in ErrorCode::ALL {
            let status = StatusCode::from_u16(http_status(code)).unwrap();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code}"
            );
        }
        // The request-level codes round-trip through their status.
        for code in [
            ErrorCode::Unauthorized,
            ErrorCode::RateLimited,
            ErrorCode::Unavailable,
        ] {
            let status = StatusCode::from_u16(http_status(code)).unwrap();
            assert_eq!(http_code(status), code);
        }
    }
}
