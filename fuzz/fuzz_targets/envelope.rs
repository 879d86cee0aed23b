//! Envelope parser: never panics; whatever it accepts normalizes to a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waas_core::webhook::{Envelope, Mode};
use waas_core::ErrorCode;

fuzz_target!(|data: &[u8]| {
    for mode in [Mode::Strict, Mode::Lenient] {
        match Envelope::parse(data, mode) {
            Ok(envelope) => {
                let normalized = envelope.to_json();
                let again = Envelope::parse(normalized.as_bytes(), mode)
                    .expect("normalized form parses in the same mode");
                assert_eq!(again, envelope, "normalization changes the envelope");
                assert_eq!(
                    again.to_json(),
                    normalized,
                    "normalization is not a fixed point"
                );
                if mode == Mode::Strict {
                    // strict acceptance implies lenient acceptance, with the same result
                    let lenient = Envelope::parse(data, Mode::Lenient).expect("lenient accepts");
                    assert_eq!(lenient, envelope);
                }
            }
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::InvalidWebhook);
                // every refusal names a field: "<field>: ..."
                assert!(e.message().split_once(": ").is_some(), "{}", e.message());
            }
        }
    }
});
