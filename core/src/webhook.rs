//! Webhooks: the seed's envelope, its catalog of operations, and how deliveries are authenticated.
//!
//! * [`Envelope`]: `operation`, `sub_operation`, `operation_id`, `status`, `reason`, `data`.
//!   [`Envelope::parse`] validates strictly by default ([`Mode::Strict`]); [`Mode::Lenient`] also
//!   takes the seed example's `FINISHED` status (as `SUCCESS`) and operations or sub-operations that
//!   are not in [`OPERATIONS`]. [`Envelope::to_json`] writes the normalized form.
//! * [`check_webhook_key`]: the seed's `X-Webhook-Key` header, compared in constant time.
//! * Standard Webhooks signatures ([`sign`], [`Verifier`], [`verify`]): headers `webhook-id`,
//!   `webhook-timestamp` and `webhook-signature` = `v1,` + base64(HMAC-SHA256(secret, `id.timestamp.body`)),
//!   several space-separated signatures for key rotation, a timestamp tolerance against replay. The
//!   current time is always an argument: the core reads no clock.
//! * [`SeenIds`]: a bounded set of processed operation ids, so a receiver handles each event once.

use crate::error::{err, Result};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashSet, VecDeque};
use std::fmt;
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// Standard base64 (RFC 4648 alphabet) that writes padding and accepts input with or without it.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

// ---------------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------------

/// One operation the platform emits and the sub-operations it can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct OperationSpec {
    /// The `operation` value, e.g. `VIRTUAL_WALLET`.
    pub name: &'static str,
    /// The `sub_operation` values allowed with it, e.g. `DEPOSIT`.
    pub sub_operations: &'static [&'static str],
    /// What the operation is about.
    pub description: &'static str,
}

impl OperationSpec {
    /// Whether `sub_operation` belongs to this operation.
    pub fn has_sub_operation(&self, sub_operation: &str) -> bool {
        self.sub_operations.contains(&sub_operation)
    }
}

/// The catalog of operations and sub-operations the platform emits, in a fixed order.
///
/// Money movements (deposits, withdrawals, transfers, sweeps) of virtual, holding and treasury
/// wallets; card and virtual-card transactions; account and wallet life-cycle events.
/// `VIRTUAL_WALLET`/`ALERT` is raised by user-flow automation rules.
pub const OPERATIONS: &[OperationSpec] = &[
    OperationSpec {
        name: "ACCOUNT",
        sub_operations: &["CREATED", "UPDATED", "DELETED"],
        description: "account life cycle",
    },
    OperationSpec {
        name: "VIRTUAL_WALLET",
        sub_operations: &[
            "CREATED",
            "DEACTIVATED",
            "REACTIVATED",
            "FROZEN",
            "UNFROZEN",
            "DEPOSIT",
            "DEPOSIT_CONFIRMED",
            "DEPOSIT_REVERSED",
            "BELOW_MINIMUM",
            "WITHDRAWAL_PENDING",
            "WITHDRAWAL_BROADCAST",
            "WITHDRAWAL",
            "TRANSFER",
            "SWEEP",
            "HOLD",
            "RELEASE",
            "CAPTURE",
            "ALERT",
        ],
        description: "virtual wallets: life cycle, deposits, withdrawals, transfers, sweeps, automation alerts",
    },
    OperationSpec {
        name: "HOLDING_WALLET",
        sub_operations: &[
            "CREATED",
            "DEPOSIT",
            "WITHDRAWAL_PENDING",
            "WITHDRAWAL_BROADCAST",
            "WITHDRAWAL",
            "TRANSFER",
            "SWEEP",
        ],
        description: "holding wallets: creation, deposits, partial withdrawals, transfers to virtual wallets, sweeps received",
    },
    OperationSpec {
        name: "TREASURY",
        sub_operations: &[
            "CREATED",
            "DEPOSIT",
            "DEPOSIT_CONFIRMED",
            "DEPOSIT_REVERSED",
            "BELOW_MINIMUM",
            "WITHDRAWAL_PENDING",
            "WITHDRAWAL_BROADCAST",
            "WITHDRAWAL",
            "TRANSFER",
            "SWEEP",
        ],
        description: "treasury wallets: creation, deposits, withdrawals, transfers, sweeps",
    },
    OperationSpec {
        name: "CARD",
        sub_operations: &[
            "CREATED",
            "ACTIVATED",
            "BLOCKED",
            "UNBLOCKED",
            "DELETED",
            "DEPOSIT",
            "BELOW_MINIMUM",
            "TRANSACTION",
            "REFUND",
        ],
        description: "cards: life cycle, deposits, point-of-sale transactions, refunds",
    },
    OperationSpec {
        name: "VIRTUAL_CARD",
        sub_operations: &[
            "CREATED",
            "BLOCKED",
            "UNBLOCKED",
            "DELETED",
            "DEPOSIT",
            "BELOW_MINIMUM",
            "TRANSACTION",
            "REFUND",
        ],
        description: "virtual cards: life cycle, deposits, transactions, refunds",
    },
];

/// The catalog entry of an operation name, if it is known.
pub fn operation(name: &str) -> Option<&'static OperationSpec> {
    OPERATIONS.iter().find(|op| op.name == name)
}

fn operation_names() -> String {
    OPERATIONS
        .iter()
        .map(|op| op.name)
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------------

/// The longest `operation_id`, in characters.
pub const MAX_OPERATION_ID_CHARS: usize = 128;

/// How strictly [`Envelope::parse`] reads an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The default. Operation and sub-operation must be in [`OPERATIONS`]; status must be
    /// `SUCCESS`, `CANCELLED` or `FAILED`; fields other than the six of the envelope are refused.
    #[default]
    Strict,
    /// For receivers that must not drop events from a newer or older platform: also accepts the
    /// status `FINISHED` (it appears in the seed's example) and reads it as `SUCCESS`; accepts
    /// operations and sub-operations that are not in the catalog (any non-empty string); ignores
    /// (drops) fields other than the six of the envelope. Every other rule still holds.
    Lenient,
}

/// The outcome an envelope reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// The operation completed.
    Success,
    /// The operation was cancelled.
    Cancelled,
    /// The operation failed; the envelope carries a reason.
    Failed,
}

impl Status {
    /// The wire form: `SUCCESS`, `CANCELLED` or `FAILED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::Cancelled => "CANCELLED",
            Self::Failed => "FAILED",
        }
    }

    /// Reads a status; `FINISHED` is taken (as `SUCCESS`) only in [`Mode::Lenient`].
    pub fn parse(text: &str, mode: Mode) -> Result<Self> {
        match (text, mode) {
            ("SUCCESS", _) => Ok(Self::Success),
            ("CANCELLED", _) => Ok(Self::Cancelled),
            ("FAILED", _) => Ok(Self::Failed),
            ("FINISHED", Mode::Lenient) => Ok(Self::Success),
            _ => Err(err::invalid_webhook(format!(
                "status: '{}' is not allowed; allowed: SUCCESS, CANCELLED, FAILED{}",
                clip(text),
                if mode == Mode::Strict {
                    " (FINISHED only in lenient mode)"
                } else {
                    ", FINISHED (read as SUCCESS)"
                }
            ))),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A webhook envelope: the common part of every notification and its operation-specific `data`.
///
/// Serializes (see [`Envelope::to_json`]) in the normalized form: the fields in the order
/// `operation, sub_operation, operation_id, status, reason, data`, `reason` omitted when absent,
/// `data` keys sorted, no whitespace.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Envelope {
    /// The operation being reported, e.g. `VIRTUAL_WALLET`.
    pub operation: String,
    /// The activity within the operation, e.g. `DEPOSIT`.
    pub sub_operation: String,
    /// The unique id of the operation (1 to 128 characters); the receiver's idempotency key.
    pub operation_id: String,
    /// The outcome.
    pub status: Status,
    /// Why it failed: required when `status` is `FAILED`, optional otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The operation-specific payload (a JSON object).
    #[serde(serialize_with = "serialize_sorted")]
    pub data: Map<String, Value>,
}

/// Writes an object with its keys (and those of nested objects) sorted, whatever map type
/// serde_json was built with (its `preserve_order` feature keeps insertion order).
fn serialize_sorted<S: serde::Serializer>(
    data: &Map<String, Value>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut entries: Vec<(&String, &Value)> = data.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut map = serializer.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        map.serialize_entry(k, &Sorted(v))?;
    }
    map.end()
}

struct Sorted<'a>(&'a Value);

impl serde::Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match self.0 {
            Value::Object(map) => serialize_sorted(map, serializer),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            other => serde::Serialize::serialize(other, serializer),
        }
    }
}

const ENVELOPE_FIELDS: [&str; 6] = [
    "operation",
    "sub_operation",
    "operation_id",
    "status",
    "reason",
    "data",
];

impl Envelope {
    /// Builds an envelope for sending and checks it strictly (known operation and so on).
    pub fn new(
        operation: &str,
        sub_operation: &str,
        operation_id: &str,
        status: Status,
        reason: Option<&str>,
        data: Map<String, Value>,
    ) -> Result<Self> {
        let envelope = Self {
            operation: operation.to_owned(),
            sub_operation: sub_operation.to_owned(),
            operation_id: operation_id.to_owned(),
            status,
            reason: reason.map(str::to_owned),
            data,
        };
        envelope.validate(Mode::Strict)?;
        Ok(envelope)
    }

    /// Parses and validates an envelope from JSON bytes. Each refusal is an `INVALID_WEBHOOK`
    /// error whose message starts with the field name and lists the allowed values.
    pub fn parse(json: &[u8], mode: Mode) -> Result<Self> {
        let value: Value = serde_json::from_slice(json)
            .map_err(|e| err::invalid_webhook(format!("envelope: not valid JSON: {e}")))?;
        Self::from_value(&value, mode)
    }

    /// Validates an already-parsed JSON value as an envelope (see [`Envelope::parse`]).
    pub fn from_value(value: &Value, mode: Mode) -> Result<Self> {
        let Value::Object(fields) = value else {
            return Err(err::invalid_webhook(format!(
                "envelope: expected a JSON object with the fields {}, found {}",
                ENVELOPE_FIELDS.join(", "),
                kind(value)
            )));
        };
        if mode == Mode::Strict {
            if let Some(extra) = fields
                .keys()
                .find(|k| !ENVELOPE_FIELDS.contains(&k.as_str()))
            {
                return Err(err::invalid_webhook(format!(
                    "{}: unknown field; allowed: {} (unknown fields are dropped only in lenient mode)",
                    clip(extra),
                    ENVELOPE_FIELDS.join(", ")
                )));
            }
        }
        let op_name = required_string(fields, "operation", || {
            format!("one of {}", operation_names())
        })?;
        let sub_operation = required_string(fields, "sub_operation", || {
            operation(op_name).map_or_else(
                || "a sub-operation of the operation".to_owned(),
                |op| format!("one of {}", op.sub_operations.join(", ")),
            )
        })?;
        let operation_id = required_string(fields, "operation_id", || {
            format!("a non-empty string of at most {MAX_OPERATION_ID_CHARS} characters")
        })?;
        let status_text = required_string(fields, "status", || {
            "one of SUCCESS, CANCELLED, FAILED".to_owned()
        })?;
        let status = Status::parse(status_text, mode)?;
        let reason = match fields.get("reason") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(err::invalid_webhook(format!(
                    "reason: expected a string or null, found {}",
                    kind(other)
                )))
            }
        };
        let data = match fields.get("data") {
            Some(Value::Object(map)) => map.clone(),
            None => {
                return Err(err::invalid_webhook(
                    "data: required; allowed: a JSON object (may be empty: {})",
                ))
            }
            Some(other) => {
                return Err(err::invalid_webhook(format!(
                    "data: expected a JSON object, found {}",
                    kind(other)
                )))
            }
        };
        let envelope = Self {
            operation: op_name.to_owned(),
            sub_operation: sub_operation.to_owned(),
            operation_id: operation_id.to_owned(),
            status,
            reason,
            data,
        };
        envelope.validate(mode)?;
        Ok(envelope)
    }

    /// Checks the rules on an envelope's values (see [`Mode`] for what lenient mode relaxes).
    pub fn validate(&self, mode: Mode) -> Result<()> {
        match (operation(&self.operation), mode) {
            (Some(op), _) => {
                if !op.has_sub_operation(&self.sub_operation)
                    && (mode == Mode::Strict || self.sub_operation.trim().is_empty())
                {
                    return Err(err::invalid_webhook(format!(
                        "sub_operation: '{}' is not a sub-operation of {}; allowed: {}",
                        clip(&self.sub_operation),
                        op.name,
                        op.sub_operations.join(", ")
                    )));
                }
            }
            (None, Mode::Strict) => {
                return Err(err::invalid_webhook(format!(
                "operation: unknown '{}'; allowed: {} (unknown operations only in lenient mode)",
                clip(&self.operation),
                operation_names()
            )))
            }
            (None, Mode::Lenient) => {
                if self.operation.trim().is_empty() {
                    return Err(err::invalid_webhook(format!(
                        "operation: must not be empty; allowed: {} or, in lenient mode, any non-empty name",
                        operation_names()
                    )));
                }
                if self.sub_operation.trim().is_empty() {
                    return Err(err::invalid_webhook(
                        "sub_operation: must not be empty; allowed: any non-empty name for an unknown operation",
                    ));
                }
            }
        }
        let id_chars = self.operation_id.chars().count();
        if self.operation_id.trim().is_empty() {
            return Err(err::invalid_webhook(format!(
                "operation_id: must not be empty or blank; allowed: a non-empty string of at most {MAX_OPERATION_ID_CHARS} characters"
            )));
        }
        if id_chars > MAX_OPERATION_ID_CHARS {
            return Err(err::invalid_webhook(format!(
                "operation_id: {id_chars} characters is too long; allowed: a non-empty string of at most {MAX_OPERATION_ID_CHARS} characters"
            )));
        }
        if self.status == Status::Failed
            && self.reason.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            return Err(err::invalid_webhook(
                "reason: required when status is FAILED; allowed: a non-empty string",
            ));
        }
        Ok(())
    }

    /// The catalog entry of this envelope's operation (`None` for an unknown one in lenient mode).
    pub fn spec(&self) -> Option<&'static OperationSpec> {
        operation(&self.operation)
    }

    /// The normalized JSON form (one line, fixed field order, sorted `data` keys).
    pub fn to_json(&self) -> String {
        // Serializing strings, an enum and a Map<String, Value> cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn required_string<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
    allowed: impl Fn() -> String,
) -> Result<&'a str> {
    match fields.get(name) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(err::invalid_webhook(format!(
            "{name}: required; allowed: {}",
            allowed()
        ))),
        Some(other) => Err(err::invalid_webhook(format!(
            "{name}: expected a string, found {}; allowed: {}",
            kind(other),
            allowed()
        ))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// At most 64 characters of untrusted text, for error messages.
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(64).collect();
    if text.chars().nth(64).is_some() {
        out.push_str("...");
    }
    out.escape_debug().to_string()
}

// ---------------------------------------------------------------------------------------------
// X-Webhook-Key
// ---------------------------------------------------------------------------------------------

/// The seed's header carrying the configured webhook key.
pub const HEADER_WEBHOOK_KEY: &str = "X-Webhook-Key";

/// Checks an `X-Webhook-Key` header against the configured key, in constant time.
///
/// Both are hashed with SHA-256 first and the digests compared with `subtle`, so the time taken
/// reveals neither the bytes nor the length of the configured key. A missing (empty) header, an
/// empty configured key or a mismatch is `INVALID_SIGNATURE`.
pub fn check_webhook_key(configured: &str, presented: Option<&str>) -> Result<()> {
    let Some(presented) = presented else {
        return Err(err::invalid_signature(format!(
            "{HEADER_WEBHOOK_KEY}: header missing"
        )));
    };
    let a: [u8; 32] = Sha256::digest(configured.as_bytes()).into();
    let b: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    let same: bool = a.ct_eq(&b).into();
    if same && !configured.is_empty() {
        Ok(())
    } else {
        Err(err::invalid_signature(format!(
            "{HEADER_WEBHOOK_KEY}: does not match the configured key"
        )))
    }
}

// ---------------------------------------------------------------------------------------------
// Standard Webhooks signatures
// ---------------------------------------------------------------------------------------------

/// Header with the message id (stable across retries: the receiver's idempotency key).
pub const HEADER_ID: &str = "webhook-id";
/// Header with the attempt's time, in whole seconds since the Unix epoch.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Header with one or more space-separated `version,base64` signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// The prefix of a serialized symmetric secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// The signature version of HMAC-SHA256 signatures.
pub const SIGNATURE_VERSION: &str = "v1";
/// The default tolerance between `webhook-timestamp` and now, either side: 5 minutes.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;
/// Size of a freshly generated secret, in bytes (the spec asks for 24 to 64).
pub const GENERATED_SECRET_BYTES: usize = 32;
/// The longest `webhook-id` accepted, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// The longest decoded secret accepted, in bytes.
pub const MAX_SECRET_BYTES: usize = 1024;

/// A symmetric signing secret. Its `Debug` shows no key material; the key bytes are wiped on drop.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Zeroizing<Vec<u8>>,
    /// HMAC state after absorbing the key (saves two SHA-256 blocks per signature).
    mac: HmacSha256,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookSecret {
    /// Reads a secret in its serialized form, `whsec_` + base64 of the key bytes.
    ///
    /// As the Standard Webhooks reference libraries do, bare base64 (without the prefix) is
    /// accepted too. Padding is optional. Empty, non-base64 or over-long (above
    /// [`MAX_SECRET_BYTES`]) secrets are `INVALID_SECRET`.
    pub fn parse(text: &str) -> Result<Self> {
        let encoded = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        if encoded.is_empty() {
            return Err(err::invalid_secret(
                "webhook secret: empty; expected whsec_ followed by base64",
            ));
        }
        if encoded.len() > MAX_SECRET_BYTES * 4 / 3 + 4 {
            return Err(err::invalid_secret(format!(
                "webhook secret: longer than {MAX_SECRET_BYTES} bytes"
            )));
        }
        let key = Zeroizing::new(B64.decode(encoded).map_err(|_| {
            err::invalid_secret("webhook secret: not base64; expected whsec_ followed by base64")
        })?);
        Self::from_bytes(&key)
    }

    /// Uses raw key bytes (1 to [`MAX_SECRET_BYTES`]).
    pub fn from_bytes(key: &[u8]) -> Result<Self> {
        if key.is_empty() || key.len() > MAX_SECRET_BYTES {
            return Err(err::invalid_secret(format!(
                "webhook secret: {} bytes; allowed: 1 to {MAX_SECRET_BYTES}",
                key.len()
            )));
        }
        let mac = HmacSha256::new_from_slice(key)
            .map_err(|_| err::invalid_secret("webhook secret: unusable as an HMAC key"))?;
        Ok(Self {
            key: Zeroizing::new(key.to_vec()),
            mac,
        })
    }

    /// A new random secret of [`GENERATED_SECRET_BYTES`] bytes (through [`crate::random::fill`]).
    pub fn generate() -> Result<Self> {
        let mut key = Zeroizing::new([0u8; GENERATED_SECRET_BYTES]);
        crate::random::fill(key.as_mut())?;
        Self::from_bytes(key.as_ref())
    }

    /// The serialized form `whsec_...`, to show once to whoever configures the receiver.
    pub fn expose(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{SECRET_PREFIX}{}",
            B64.encode(self.key.as_slice())
        ))
    }

    /// The raw HMAC-SHA256 tag over `id.timestamp.body`.
    fn tag(&self, id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        let mut ts = itoa_buf();
        let ts = fmt_i64(timestamp, &mut ts);
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(ts);
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }

    /// The signature `v1,` + base64 tag for a message (the `id` must be a valid `webhook-id`).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> Result<String> {
        check_id(id)?;
        Ok(format!(
            "{SIGNATURE_VERSION},{}",
            B64.encode(self.tag(id, timestamp, body))
        ))
    }
}

fn itoa_buf() -> [u8; 20] {
    [0u8; 20]
}

/// Decimal form of an i64 into a stack buffer (no allocation on the verification path).
fn fmt_i64(value: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = value.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if value < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// The three Standard Webhooks headers of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp` (seconds since the Unix epoch).
    pub timestamp: i64,
    /// `webhook-signature`: one `v1,...` per secret, space-separated.
    pub signature: String,
}

impl SignedHeaders {
    /// The headers as `(name, value)` pairs, in the order id, timestamp, signature.
    pub fn pairs(&self) -> [(&'static str, String); 3] {
        [
            (HEADER_ID, self.id.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }
}

/// Signs a delivery with one secret.
pub fn sign(
    secret: &WebhookSecret,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<SignedHeaders> {
    sign_with_all(std::slice::from_ref(secret), id, timestamp, body)
}

/// Signs a delivery with every secret given (during a key rotation: the new one and the old one),
/// giving a space-separated `webhook-signature`. At least one secret is needed.
pub fn sign_with_all(
    secrets: &[WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<SignedHeaders> {
    if secrets.is_empty() {
        return Err(err::invalid_secret("no webhook secret to sign with"));
    }
    check_id(id)?;
    let signature = secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Result<Vec<_>>>()?
        .join(" ");
    Ok(SignedHeaders {
        id: id.to_owned(),
        timestamp,
        signature,
    })
}

/// One `version,value` entry of a `webhook-signature` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureEntry<'a> {
    /// The scheme, e.g. `v1` (HMAC-SHA256) or `v1a` (ed25519, not verified here).
    pub version: &'a str,
    /// The base64 signature.
    pub value: &'a str,
}

/// Splits a `webhook-signature` header into its entries.
///
/// Entries are separated by one or more spaces; each is `version,value` with both parts non-empty.
/// Tokens that are not of that shape are skipped (as the reference libraries do), but a header
/// with no well-formed entry at all is `INVALID_SIGNATURE`.
pub fn parse_signature_header(header: &str) -> Result<Vec<SignatureEntry<'_>>> {
    if header.trim().is_empty() {
        return Err(err::invalid_signature(format!("{HEADER_SIGNATURE}: empty")));
    }
    let entries: Vec<SignatureEntry<'_>> = header
        .split(' ')
        .filter_map(|token| token.split_once(','))
        .filter(|(v, s)| !v.is_empty() && !s.is_empty())
        .map(|(version, value)| SignatureEntry { version, value })
        .collect();
    if entries.is_empty() {
        return Err(err::invalid_signature(format!(
            "{HEADER_SIGNATURE}: malformed; expected space-separated 'v1,<base64>' entries"
        )));
    }
    Ok(entries)
}

/// Parses a `webhook-timestamp` header: decimal seconds since the Unix epoch, digits only, no
/// leading zero (so the signed text and the number agree).
pub fn parse_timestamp(header: &str) -> Result<i64> {
    let bad = || {
        err::invalid_signature(format!(
            "{HEADER_TIMESTAMP}: '{}' is not a whole number of seconds since the Unix epoch",
            clip(header)
        ))
    };
    let bytes = header.as_bytes();
    if bytes.is_empty()
        || bytes.len() > 19
        || !bytes.iter().all(u8::is_ascii_digit)
        || (bytes.len() > 1 && bytes[0] == b'0')
    {
        return Err(bad());
    }
    header.parse::<i64>().map_err(|_| bad())
}

fn check_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(err::invalid_signature(format!("{HEADER_ID}: empty")));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(err::invalid_signature(format!(
            "{HEADER_ID}: longer than {MAX_ID_BYTES} bytes"
        )));
    }
    if id.chars().any(char::is_control) {
        return Err(err::invalid_signature(format!(
            "{HEADER_ID}: contains control characters"
        )));
    }
    Ok(())
}

/// Verifies Standard Webhooks deliveries against one or more secrets with a timestamp tolerance.
#[derive(Clone)]
pub struct Verifier {
    secrets: Vec<WebhookSecret>,
    tolerance_secs: u64,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &self.secrets.len())
            .field("tolerance_secs", &self.tolerance_secs)
            .finish()
    }
}

impl Verifier {
    /// A verifier for one secret with the default tolerance (5 minutes either side).
    pub fn new(secret: WebhookSecret) -> Self {
        Self {
            secrets: vec![secret],
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
        }
    }

    /// A verifier that accepts a signature made with any of these secrets (receiver-side
    /// rotation); at least one is needed.
    pub fn with_secrets(secrets: Vec<WebhookSecret>) -> Result<Self> {
        if secrets.is_empty() {
            return Err(err::invalid_secret("no webhook secret to verify with"));
        }
        Ok(Self {
            secrets,
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
        })
    }

    /// Sets the tolerance, in seconds either side of `now`.
    pub fn tolerance(mut self, secs: u64) -> Self {
        self.tolerance_secs = secs;
        self
    }

    /// Verifies one delivery: the three header values as received, the body bytes exactly as
    /// received, and the current time in seconds since the Unix epoch.
    ///
    /// In order: `webhook-id` well formed (non-empty, at most [`MAX_ID_BYTES`], no control
    /// characters), `webhook-timestamp` well formed and within the tolerance of `now`
    /// (`TIMESTAMP_OUT_OF_TOLERANCE` otherwise), `webhook-signature` well formed, and at least
    /// one of its `v1` entries equal, in constant time, to the HMAC of one of the secrets.
    /// Entries of other versions are ignored. Failures are `INVALID_SIGNATURE`.
    pub fn verify(
        &self,
        id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        now: i64,
    ) -> Result<()> {
        verify_with(
            &self.secrets,
            self.tolerance_secs,
            id,
            timestamp,
            signature,
            body,
            now,
        )
    }
}

fn verify_with(
    secrets: &[WebhookSecret],
    tolerance_secs: u64,
    id: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
) -> Result<()> {
    check_id(id)?;
    let ts = parse_timestamp(timestamp)?;
    let age = i128::from(now) - i128::from(ts);
    let tolerance = i128::from(tolerance_secs);
    if age > tolerance {
        return Err(err::timestamp_out_of_tolerance(format!(
            "{HEADER_TIMESTAMP}: {ts} is {age} s before now ({now}); tolerance is {tolerance} s"
        )));
    }
    if -age > tolerance {
        return Err(err::timestamp_out_of_tolerance(format!(
            "{HEADER_TIMESTAMP}: {ts} is {} s after now ({now}); tolerance is {tolerance} s",
            -age
        )));
    }
    let entries = parse_signature_header(signature)?;
    let mut candidates: Vec<[u8; 32]> = Vec::with_capacity(entries.len());
    let mut saw_v1 = false;
    for entry in entries.iter().filter(|e| e.version == SIGNATURE_VERSION) {
        saw_v1 = true;
        let mut buf = [0u8; 48];
        if let Ok(32) = B64.decode_slice(entry.value, &mut buf) {
            let mut tag = [0u8; 32];
            tag.copy_from_slice(&buf[..32]);
            candidates.push(tag);
        }
    }
    if !saw_v1 {
        return Err(err::invalid_signature(format!(
            "{HEADER_SIGNATURE}: no {SIGNATURE_VERSION} signature"
        )));
    }
    let mut matched = Choice::from(0u8);
    for secret in secrets {
        let expected = secret.tag(id, ts, body);
        for candidate in &candidates {
            matched |= expected.ct_eq(candidate);
        }
    }
    if bool::from(matched) {
        Ok(())
    } else {
        Err(err::invalid_signature(format!(
            "{HEADER_SIGNATURE}: no signature matches"
        )))
    }
}

/// Verifies one delivery with one secret and the default tolerance (see [`Verifier::verify`]).
pub fn verify(
    secret: &WebhookSecret,
    id: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
) -> Result<()> {
    verify_with(
        std::slice::from_ref(secret),
        DEFAULT_TOLERANCE_SECS,
        id,
        timestamp,
        signature,
        body,
        now,
    )
}

// ---------------------------------------------------------------------------------------------
// Idempotent consumer
// ---------------------------------------------------------------------------------------------

/// A bounded set of seen operation ids: the newest `capacity` are remembered, the oldest is
/// forgotten first. A receiver calls [`SeenIds::first_time`] and processes the event only when
/// it returns `true`, so redeliveries (at-least-once) are processed once.
#[derive(Debug, Clone)]
pub struct SeenIds {
    capacity: usize,
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenIds {
    /// An empty set remembering at most `capacity` ids (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            set: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
        }
    }

    /// Records `id`; `true` if it was not remembered (process the event), `false` if it was
    /// (a duplicate: skip it). Recording a new id beyond capacity forgets the oldest.
    pub fn first_time(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
        self.set.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }

    /// Like [`SeenIds::first_time`], but a duplicate is a `DUPLICATE_OPERATION` error.
    pub fn record(&mut self, id: &str) -> Result<()> {
        if self.first_time(id) {
            Ok(())
        } else {
            Err(err::duplicate_operation(format!(
                "operation_id '{}' was already processed",
                clip(id)
            )))
        }
    }

    /// Whether `id` is remembered.
    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The most ids remembered at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn fmt_i64_matches_to_string() {
        for v in [0i64, 1, 9, 10, 1_614_265_330, -1, -10, i64::MAX, i64::MIN] {
            let mut buf = itoa_buf();
            assert_eq!(fmt_i64(v, &mut buf), v.to_string().as_bytes());
        }
    }

    #[test]
    fn debug_hides_secret() {
        let s = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let shown = format!("{s:?} {:?}", Verifier::new(s.clone()));
        assert!(!shown.contains("MfKQ"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn seen_ids_evicts_oldest() {
        let mut seen = SeenIds::new(2);
        assert!(seen.first_time("a"));
        assert!(seen.first_time("b"));
        assert!(!seen.first_time("a"));
        assert!(seen.first_time("c")); // evicts a
        assert!(!seen.contains("a"));
        assert_eq!(seen.len(), 2);
        assert!(seen.first_time("a")); // forgotten, so new again; evicts b
        assert_eq!(
            seen.record("c").map_err(|e| e.code()),
            Err(ErrorCode::DuplicateOperation)
        );
        assert!(!seen.contains("b"));
    }

    #[test]
    fn webhook_key_is_compared_exactly() {
        assert!(check_webhook_key("k3y", Some("k3y")).is_ok());
        for bad in [Some("k3Y"), Some("k3y "), Some(""), None] {
            assert_eq!(
                check_webhook_key("k3y", bad).map_err(|e| e.code()),
                Err(ErrorCode::InvalidSignature)
            );
        }
        assert!(check_webhook_key("", Some("")).is_err());
    }
}
