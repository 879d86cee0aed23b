//! Standard Webhooks signatures: signing, verification with several secrets and a timestamp tolerance.

use super::envelope::clip;
use super::{HmacSha256, B64};
use crate::error::{err, Result};
use base64::Engine as _;
use hmac::Mac;
use std::fmt;
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

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

pub(super) fn itoa_buf() -> [u8; 20] {
    [0u8; 20]
}

/// Decimal form of an i64 into a stack buffer (no allocation on the verification path).
pub(super) fn fmt_i64(value: i64, buf: &mut [u8; 20]) -> &[u8] {
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

pub(super) fn check_id(id: &str) -> Result<()> {
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

pub(super) fn verify_with(
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
