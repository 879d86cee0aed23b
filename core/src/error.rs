//! The one error type of waas, with a stable machine code per variant.

use std::fmt;

/// Result alias used across waas-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Stable machine codes: bindings and hosts expose them unchanged. New codes may be added in a
/// minor version, so a `match` outside this crate needs a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    /// An argument is malformed or out of range.
    InvalidArgument,
    /// An amount is negative, over-precise, too large or not a number.
    InvalidAmount,
    /// An address is malformed or its checksum does not verify.
    InvalidAddress,
    /// A mnemonic has a bad word, length or checksum.
    InvalidMnemonic,
    /// An extended key is malformed or of the wrong kind.
    InvalidKey,
    /// A derivation index is hardened or out of range.
    InvalidIndex,
    /// Key derivation hit an invalid child (probability below 2^-127).
    KeyDerivation,
    /// The blockchain is not in the registry.
    UnknownChain,
    /// The token is not in the registry for that blockchain.
    UnknownToken,
    /// A price quote is older than the configured limit.
    StalePrice,
    /// Not enough funds for the movement.
    InsufficientFunds,
    /// A deposit is under the configured minimum.
    BelowMinimumDeposit,
    /// A holding-wallet withdrawal would break the minimum reserve ratio.
    ReserveRatioViolation,
    /// The wallet is deactivated.
    WalletInactive,
    /// The wallet is frozen after a reorg removed funds already spent.
    WalletFrozen,
    /// The client's contracted products do not allow more.
    ContractLimitReached,
    /// The same operation id was used with different contents.
    DuplicateOperation,
    /// An entity does not exist.
    NotFound,
    /// An entity already exists.
    AlreadyExists,
    /// A scenario or API command is malformed.
    InvalidCommand,
    /// A webhook envelope breaks a rule.
    InvalidWebhook,
    /// A webhook signature or key does not verify.
    InvalidSignature,
    /// A webhook timestamp is outside the tolerance.
    TimestampOutOfTolerance,
    /// A webhook signing secret or API key is malformed (bad prefix, encoding or length).
    InvalidSecret,
    /// No valid credentials were presented.
    Unauthorized,
    /// The credentials lack the needed permission.
    Forbidden,
    /// An automation rule is malformed.
    InvalidRule,
    /// Randomness could not be obtained from the platform.
    Entropy,
    /// A transaction is malformed, inconsistent or cannot be signed.
    InvalidTransaction,
    /// A required private key was not supplied.
    MissingKey,
    /// A journal's hash chain or a running balance in it does not verify.
    JournalMismatch,
    /// A webhook URL is malformed or points at an address the platform does not deliver to.
    InvalidWebhookUrl,
    /// Too many requests from one key; retry later.
    RateLimited,
    /// A withdrawal's destination is its source's own address.
    SameAddress,
    /// A holding withdrawal without an address, and no payment destination configured.
    NoPaymentDestination,
    /// The destination is not on the client's allowlist.
    DestinationNotAllowed,
    /// A card payment is over the card's spending limit.
    SpendingLimitExceeded,
    /// A request a host cannot read (neither a known command nor a JSON body it accepts).
    BadRequest,
    /// The HTTP method is not served on that path.
    MethodNotAllowed,
    /// The request did not arrive in time.
    RequestTimeout,
    /// The request body is over the host's limit.
    PayloadTooLarge,
    /// The request target is over the host's limit.
    UriTooLong,
    /// The request body is not in a media type the host reads.
    UnsupportedMediaType,
    /// The request headers are over the host's limit.
    HeadersTooLarge,
    /// Stored data could not be read back (a defect or a damaged database); nothing was changed.
    CorruptRecord,
    /// A service the host depends on (its database, a chain node) is not answering.
    Unavailable,
    /// An unexpected failure of a host.
    Internal,
}

/// Calls `$callback! { InvalidArgument, InvalidAmount, .. }` with the name of every [`ErrorCode`]
/// variant, in declaration order: for code that must spell the list out (`ErrorCode::ALL`, the
/// uniffi bindings' declaration of the enum).
#[macro_export]
macro_rules! error_code_variants {
    ($callback:ident) => {
        $callback! {
            InvalidArgument,
            InvalidAmount,
            InvalidAddress,
            InvalidMnemonic,
            InvalidKey,
            InvalidIndex,
            KeyDerivation,
            UnknownChain,
            UnknownToken,
            StalePrice,
            InsufficientFunds,
            BelowMinimumDeposit,
            ReserveRatioViolation,
            WalletInactive,
            WalletFrozen,
            ContractLimitReached,
            DuplicateOperation,
            NotFound,
            AlreadyExists,
            InvalidCommand,
            InvalidWebhook,
            InvalidSignature,
            TimestampOutOfTolerance,
            InvalidSecret,
            Unauthorized,
            Forbidden,
            InvalidRule,
            Entropy,
            InvalidTransaction,
            MissingKey,
            JournalMismatch,
            InvalidWebhookUrl,
            RateLimited,
            SameAddress,
            NoPaymentDestination,
            DestinationNotAllowed,
            SpendingLimitExceeded,
            BadRequest,
            MethodNotAllowed,
            RequestTimeout,
            PayloadTooLarge,
            UriTooLong,
            UnsupportedMediaType,
            HeadersTooLarge,
            CorruptRecord,
            Unavailable,
            Internal,
        }
    };
}

/// `ErrorCode::ALL` from the list, and a match that does not compile when the list misses a variant.
macro_rules! every_code {
    ($($variant:ident,)*) => {
        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: [ErrorCode; [$(ErrorCode::$variant),*].len()] = [$(ErrorCode::$variant),*];
        }

        const _: fn(ErrorCode) = |code| match code {
            $(ErrorCode::$variant => (),)*
        };
    };
}

error_code_variants!(every_code);

impl ErrorCode {
    /// The stable text form, e.g. `INSUFFICIENT_FUNDS`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "INVALID_ARGUMENT",
            Self::InvalidAmount => "INVALID_AMOUNT",
            Self::InvalidAddress => "INVALID_ADDRESS",
            Self::InvalidMnemonic => "INVALID_MNEMONIC",
            Self::InvalidKey => "INVALID_KEY",
            Self::InvalidIndex => "INVALID_INDEX",
            Self::KeyDerivation => "KEY_DERIVATION",
            Self::UnknownChain => "UNKNOWN_CHAIN",
            Self::UnknownToken => "UNKNOWN_TOKEN",
            Self::StalePrice => "STALE_PRICE",
            Self::InsufficientFunds => "INSUFFICIENT_FUNDS",
            Self::BelowMinimumDeposit => "BELOW_MINIMUM_DEPOSIT",
            Self::ReserveRatioViolation => "RESERVE_RATIO_VIOLATION",
            Self::WalletInactive => "WALLET_INACTIVE",
            Self::WalletFrozen => "WALLET_FROZEN",
            Self::ContractLimitReached => "CONTRACT_LIMIT_REACHED",
            Self::DuplicateOperation => "DUPLICATE_OPERATION",
            Self::NotFound => "NOT_FOUND",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::InvalidCommand => "INVALID_COMMAND",
            Self::InvalidWebhook => "INVALID_WEBHOOK",
            Self::InvalidSignature => "INVALID_SIGNATURE",
            Self::TimestampOutOfTolerance => "TIMESTAMP_OUT_OF_TOLERANCE",
            Self::InvalidSecret => "INVALID_SECRET",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Forbidden => "FORBIDDEN",
            Self::InvalidRule => "INVALID_RULE",
            Self::Entropy => "ENTROPY",
            Self::InvalidTransaction => "INVALID_TRANSACTION",
            Self::MissingKey => "MISSING_KEY",
            Self::JournalMismatch => "JOURNAL_MISMATCH",
            Self::InvalidWebhookUrl => "INVALID_WEBHOOK_URL",
            Self::RateLimited => "RATE_LIMITED",
            Self::SameAddress => "SAME_ADDRESS",
            Self::NoPaymentDestination => "NO_PAYMENT_DESTINATION",
            Self::DestinationNotAllowed => "DESTINATION_NOT_ALLOWED",
            Self::SpendingLimitExceeded => "SPENDING_LIMIT_EXCEEDED",
            Self::BadRequest => "BAD_REQUEST",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UriTooLong => "URI_TOO_LONG",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::HeadersTooLarge => "HEADERS_TOO_LARGE",
            Self::CorruptRecord => "CORRUPT_RECORD",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }

    /// The code of a stable text form (`None` for a text that is no code).
    pub fn parse(text: &str) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Figures a caller may act on, beside an error's message (decimal strings in JSON, under
/// `kind`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Detail {
    /// An amount needed against what there is to cover it (INSUFFICIENT_FUNDS).
    Shortfall {
        /// What the operation needs.
        needed: rust_decimal::Decimal,
        /// What there is.
        available: rust_decimal::Decimal,
    },
    /// The reserve a holding wallet must keep against what it would keep
    /// (RESERVE_RATIO_VIOLATION).
    Reserve {
        /// `min_reserve_ratio x liabilities`.
        required: rust_decimal::Decimal,
        /// What the holding wallet would keep after the operation.
        would_keep: rust_decimal::Decimal,
    },
    /// A limit and the figure that reached or passed it (CONTRACT_LIMIT_REACHED,
    /// SPENDING_LIMIT_EXCEEDED).
    Limit {
        /// The limit.
        limit: rust_decimal::Decimal,
        /// The figure asked for (or already in use).
        value: rust_decimal::Decimal,
    },
    /// A minimum and the figure below it (BELOW_MINIMUM_DEPOSIT; USD values).
    Minimum {
        /// The minimum.
        minimum: rust_decimal::Decimal,
        /// The figure below it.
        value: rust_decimal::Decimal,
    },
}

/// A waas error: a stable code, a human message and, where a caller needs them, its figures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    code: ErrorCode,
    message: String,
    detail: Option<Box<Detail>>,
}

impl Error {
    /// Builds an error from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: None,
        }
    }

    /// The same error carrying its figures.
    #[must_use]
    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = Some(Box::new(detail));
        self
    }

    /// The figures a caller may act on, when the error has them.
    pub fn detail(&self) -> Option<&Detail> {
        self.detail.as_deref()
    }

    /// The stable machine code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human message (without the code).
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A number given to a binding that is not a whole number from 0 to `max`: `code`, with the same
/// message in every language (`index must be a whole number from 0 to 4294967295, not -1`).
pub fn not_whole(code: ErrorCode, what: &str, max: u64, value: impl fmt::Display) -> Error {
    Error::new(
        code,
        format!("{what} must be a whole number from 0 to {max}, not {value}"),
    )
}

/// Shorthand constructors, one per code, e.g. `err::invalid_amount("...")`.
pub mod err {
    use super::{Error, ErrorCode};

    macro_rules! ctor {
        ($($name:ident => $code:ident),* $(,)?) => {$(
            #[doc = concat!("An error with code `", stringify!($code), "`.")]
            pub fn $name(message: impl Into<String>) -> Error {
                Error::new(ErrorCode::$code, message)
            }
        )*};
    }

    ctor! {
        invalid_argument => InvalidArgument,
        invalid_amount => InvalidAmount,
        invalid_address => InvalidAddress,
        invalid_mnemonic => InvalidMnemonic,
        invalid_key => InvalidKey,
        invalid_index => InvalidIndex,
        key_derivation => KeyDerivation,
        unknown_chain => UnknownChain,
        unknown_token => UnknownToken,
        stale_price => StalePrice,
        insufficient_funds => InsufficientFunds,
        below_minimum_deposit => BelowMinimumDeposit,
        reserve_ratio_violation => ReserveRatioViolation,
        wallet_inactive => WalletInactive,
        wallet_frozen => WalletFrozen,
        contract_limit_reached => ContractLimitReached,
        duplicate_operation => DuplicateOperation,
        not_found => NotFound,
        already_exists => AlreadyExists,
        invalid_command => InvalidCommand,
        invalid_webhook => InvalidWebhook,
        invalid_signature => InvalidSignature,
        timestamp_out_of_tolerance => TimestampOutOfTolerance,
        invalid_secret => InvalidSecret,
        unauthorized => Unauthorized,
        forbidden => Forbidden,
        invalid_rule => InvalidRule,
        entropy => Entropy,
        invalid_transaction => InvalidTransaction,
        missing_key => MissingKey,
        journal_mismatch => JournalMismatch,
        invalid_webhook_url => InvalidWebhookUrl,
        rate_limited => RateLimited,
        same_address => SameAddress,
        no_payment_destination => NoPaymentDestination,
        destination_not_allowed => DestinationNotAllowed,
        spending_limit_exceeded => SpendingLimitExceeded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_refusal_carries_its_figures() {
        let e = crate::ledger::rules::check_internal_transfer(
            rust_decimal::Decimal::new(25, 1),
            crate::amount::Amount::parse("4", 6).expect("amount"),
        )
        .expect_err("short");
        assert_eq!(e.code(), ErrorCode::InsufficientFunds);
        let json = serde_json::to_value(e.detail().expect("detail")).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"kind": "shortfall", "needed": "4", "available": "2.5"})
        );
        assert_eq!(err::not_found("x").detail(), None);
    }

    #[test]
    fn codes_are_screaming_snake_and_serde_agrees() {
        let code = ErrorCode::ReserveRatioViolation;
        assert_eq!(code.as_str(), "RESERVE_RATIO_VIOLATION");
        let json = serde_json::to_string(&code).expect("serialize");
        assert_eq!(json, "\"RESERVE_RATIO_VIOLATION\"");
        let e = err::insufficient_funds("need 5 USDT");
        assert_eq!(e.to_string(), "INSUFFICIENT_FUNDS: need 5 USDT");
    }

    #[test]
    fn every_code_is_listed_once_and_parses_back() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).expect("serialize");
            assert_eq!(json, format!("\"{c}\""));
        }
        assert_eq!(ErrorCode::parse("NOPE"), None);
    }
}
