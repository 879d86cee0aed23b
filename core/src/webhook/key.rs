//! The seed's `X-Webhook-Key` header, compared in constant time.

use crate::error::{err, Result};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

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
