//! Native side of the wasm-versus-native benchmark (bindings/bench.sh runs both in one go):
//! the same calls as wasm/bench.mjs, through this crate's functions (strings in, strings out).
//! Prints one JSON line per measurement: {"side":"native","op":...,"per_sec":...}.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

const XPUB: &str = "xpub6EF8jXqFeFEW5bwMU7RpQtHkzE4KJxcqJtvkCjJumzW8CPpacXkb92ek4WzLQXjL93HycJwTPUAcuNxCqFPKKU5m5Z2Vq4nCyh5CyPeBFFr";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TS: i64 = 1_700_000_000;
const BUDGET: Duration = Duration::from_secs(2);

/// Runs `f` (which does `per_call` operations) for about BUDGET and prints operations per second.
fn measure(op: &str, per_call: u32, mut f: impl FnMut(u32)) {
    for i in 0..3 {
        f(i); // warm-up
    }
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < BUDGET {
        f(calls);
        calls += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let per_sec = f64::from(calls) * f64::from(per_call) / secs;
    println!("{{\"side\":\"native\",\"op\":\"{op}\",\"per_sec\":{per_sec:.0}}}");
}

fn main() {
    measure("deriveAddress evm", 1, |i| {
        black_box(
            waas_ffi::derive_address("ethereum".into(), XPUB.into(), i64::from(i % 100_000))
                .unwrap(),
        );
    });
    measure("deriveAddress tron", 1, |i| {
        black_box(
            waas_ffi::derive_address("tron".into(), XPUB.into(), i64::from(i % 100_000)).unwrap(),
        );
    });
    measure("deriveAddresses evm x1000", 1000, |i| {
        black_box(
            waas_ffi::derive_addresses(
                "ethereum".into(),
                XPUB.into(),
                i64::from((i % 1000) * 1000),
                1000,
            )
            .unwrap(),
        );
    });
    measure("canonicalAddress evm", 1, |_| {
        black_box(
            waas_ffi::canonical_address(
                "ethereum".into(),
                "0x9858effd232b4033e47d90003d41ec34ecaeda94".into(),
            )
            .unwrap(),
        );
    });
    let body = r#"{"operation":"VIRTUAL_WALLET","sub_operation":"DEPOSIT","operation_id":"op-1","status":"SUCCESS","data":{"amount":"12.5","token":"USDT","wallet_id":"vw_1"}}"#;
    let sig = waas_ffi::sign_webhook(SECRET.into(), "msg_1".into(), TS, body.into()).unwrap();
    measure("verifyWebhook", 1, |_| {
        waas_ffi::verify_webhook(
            SECRET.into(),
            "msg_1".into(),
            TS,
            body.into(),
            sig.clone(),
            TS + 1,
        )
        .unwrap();
    });
    let verifier = waas_ffi::WebhookVerifier::new(vec![SECRET.into()], 300).unwrap();
    measure("WebhookVerifier.verify", 1, |_| {
        verifier
            .verify(
                "msg_1".into(),
                TS.to_string(),
                body.as_bytes().to_vec(),
                sig.clone(),
                TS + 1,
            )
            .unwrap();
    });
    let key = waas_ffi::DepositKey::new("ethereum".into(), XPUB.into()).unwrap();
    measure("DepositKey.deriveAddress evm", 1, |i| {
        black_box(key.derive_address(i64::from(i % 100_000)).unwrap());
    });
}
