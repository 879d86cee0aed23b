//! Signature-header parser and full verification on arbitrary headers: never panics, never
//! accepts a forged signature.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waas_core::webhook::{self, parse_signature_header, Verifier, WebhookSecret};
use waas_core::ErrorCode;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(entries) = parse_signature_header(text) {
        assert!(!entries.is_empty());
        for e in &entries {
            assert!(!e.version.is_empty() && !e.value.is_empty());
            assert!(!e.version.contains(' ') && !e.value.contains(' '));
        }
    }
    let _ = webhook::parse_timestamp(text);
    let _ = WebhookSecret::parse(text);

    // Split the input into id, timestamp, signature header and body on the first three newlines.
    let mut parts = text.splitn(4, '\n');
    let (Some(id), Some(ts), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let body = parts.next().unwrap_or("").as_bytes();
    let Ok(secret) = WebhookSecret::parse(SECRET) else {
        return;
    };
    let verifier = Verifier::new(secret.clone());
    let now = webhook::parse_timestamp(ts).unwrap_or(0);
    match verifier.verify(id, ts, sig, body, now) {
        Ok(()) => {
            // only a header carrying the true signature can pass
            let expected = secret.sign(id, now, body).expect("id was accepted");
            let expected_tag = &expected[3..];
            // padding is optional on input
            let decode = |v: &str| v.trim_end_matches('=').to_owned();
            assert!(
                parse_signature_header(sig)
                    .expect("accepted header parses")
                    .iter()
                    .any(|e| e.version == "v1" && decode(e.value) == decode(expected_tag)),
                "accepted a signature that is not the expected one"
            );
        }
        Err(e) => assert!(matches!(
            e.code(),
            ErrorCode::InvalidSignature | ErrorCode::TimestampOutOfTolerance
        )),
    }
});
