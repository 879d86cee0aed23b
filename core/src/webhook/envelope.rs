//! The seed's webhook envelope: parsed strictly or leniently, written in its normalized form.

use super::catalog::operation;
use super::catalog::operation_names;
use super::catalog::OperationSpec;
use super::event::EventKind;
use crate::error::{err, Result};
use serde_json::{Map, Value};
use std::fmt;

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

impl Mode {
    /// `Lenient` when asked for, else `Strict` (the bindings' `lenient` flag).
    pub const fn lenient_if(lenient: bool) -> Mode {
        if lenient {
            Mode::Lenient
        } else {
            Mode::Strict
        }
    }
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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

impl<'de> serde::Deserialize<'de> for Envelope {
    /// Reads an envelope back from its JSON form, validated strictly ([`Mode::Strict`]).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Envelope::from_value(&value, Mode::Strict).map_err(serde::de::Error::custom)
    }
}

/// Writes an object with its keys (and those of nested objects) sorted, whatever map type
/// serde_json was built with (its `preserve_order` feature keeps insertion order).
pub(super) fn serialize_sorted<S: serde::Serializer>(
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

pub(super) struct Sorted<'a>(&'a Value);

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

pub(super) const ENVELOPE_FIELDS: [&str; 6] = [
    "operation",
    "sub_operation",
    "operation_id",
    "status",
    "reason",
    "data",
];

impl Envelope {
    /// Builds an envelope of `kind` for sending and checks it strictly.
    pub fn new(
        kind: EventKind,
        operation_id: &str,
        status: Status,
        reason: Option<&str>,
        data: Map<String, Value>,
    ) -> Result<Self> {
        let envelope = Self {
            operation: kind.subject().as_str().to_owned(),
            sub_operation: kind.happening().as_str().to_owned(),
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
            no_unknown_fields(fields)?;
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
        let reason = reason_of(fields)?;
        let data = data_of(fields)?;
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

pub(super) fn required_string<'a>(
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

pub(super) fn kind(value: &Value) -> &'static str {
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
pub(super) fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(64).collect();
    if text.chars().nth(64).is_some() {
        out.push_str("...");
    }
    out.escape_debug().to_string()
}

/// Strict mode: every field is one of the envelope's.
fn no_unknown_fields(fields: &Map<String, Value>) -> Result<()> {
    match fields
        .keys()
        .find(|k| !ENVELOPE_FIELDS.contains(&k.as_str()))
    {
        Some(extra) => Err(err::invalid_webhook(format!(
            "{}: unknown field; allowed: {} (unknown fields are dropped only in lenient mode)",
            clip(extra),
            ENVELOPE_FIELDS.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The optional `reason`: a string or null.
fn reason_of(fields: &Map<String, Value>) -> Result<Option<String>> {
    match fields.get("reason") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(err::invalid_webhook(format!(
            "reason: expected a string or null, found {}",
            kind(other)
        ))),
    }
}

/// The required `data`: a JSON object (may be empty).
fn data_of(fields: &Map<String, Value>) -> Result<Map<String, Value>> {
    match fields.get("data") {
        Some(Value::Object(map)) => Ok(map.clone()),
        None => Err(err::invalid_webhook(
            "data: required; allowed: a JSON object (may be empty: {})",
        )),
        Some(other) => Err(err::invalid_webhook(format!(
            "data: expected a JSON object, found {}",
            kind(other)
        ))),
    }
}
