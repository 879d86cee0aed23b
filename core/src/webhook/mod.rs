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

mod catalog;
mod envelope;
mod event;
pub mod events;
mod key;
mod seen;
mod signature;
pub mod subscriptions;

pub use catalog::*;
pub use envelope::*;
pub use event::{EventKind, Happening, Subject};
pub use events::{Answer, Event, Moved};
pub use key::*;
pub use seen::*;
pub use signature::*;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::Hmac;
use sha2::Sha256;

/// HMAC with SHA-256, as Standard Webhooks signs.
type HmacSha256 = Hmac<Sha256>;

/// Standard base64 (RFC 4648 alphabet) that writes padding and accepts input with or without it.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

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
