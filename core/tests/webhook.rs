//! Webhook conformance vectors (tests/vectors/webhooks.json), published Standard Webhooks
//! examples, envelope rules, and property tests of signing and verification.

#![allow(clippy::unwrap_used)] // tests unwrap known-good values

use proptest::prelude::*;
use serde_json::Value;
use waas_core::webhook::{
    self, check_webhook_key, parse_signature_header, Envelope, Happening, Mode, SeenIds, Status,
    Subject, Verifier, WebhookSecret, OPERATIONS,
};
use waas_core::ErrorCode;

fn load(name: &str) -> Value {
    let path = format!("{}/../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("vector file is JSON")
}

fn body_of(case: &Value) -> Vec<u8> {
    match (case.get("body"), case.get("body_hex")) {
        (Some(Value::String(s)), _) => s.as_bytes().to_vec(),
        (_, Some(Value::String(h))) => hex::decode(h).unwrap(),
        _ => panic!("case without body: {case}"),
    }
}

fn run_verify_case(case: &Value) -> Result<(), waas_core::Error> {
    let secret = WebhookSecret::parse(case["secret"].as_str().unwrap())?;
    let mut verifier = Verifier::new(secret);
    if let Some(t) = case.get("tolerance") {
        verifier = verifier.tolerance(t.as_u64().unwrap());
    }
    verifier.verify(
        case["id"].as_str().unwrap(),
        case["timestamp"].as_str().unwrap(),
        case["signature"].as_str().unwrap(),
        &body_of(case),
        case["now"].as_i64().unwrap(),
    )
}

#[test]
fn every_signature_verification_vector() {
    let file = load("webhooks.json");
    let cases = file["verify"].as_array().unwrap();
    assert!(cases.len() >= 40);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let got = run_verify_case(case);
        match case["expected"]["result"].as_str().unwrap() {
            "valid" => assert!(got.is_ok(), "{name}: {got:?}"),
            "error" => {
                let e = got.expect_err(name);
                assert_eq!(
                    e.code().as_str(),
                    case["expected"]["code"].as_str().unwrap(),
                    "{name}: {e}"
                );
            }
            other => panic!("{name}: unknown result {other}"),
        }
    }
}

#[test]
fn every_signing_vector() {
    let file = load("webhooks.json");
    for case in file["sign"].as_array().unwrap() {
        let secret = WebhookSecret::parse(case["secret"].as_str().unwrap()).unwrap();
        let headers = webhook::sign(
            &secret,
            case["id"].as_str().unwrap(),
            case["timestamp"].as_i64().unwrap(),
            case["body"].as_str().unwrap().as_bytes(),
        )
        .unwrap();
        assert_eq!(
            headers.signature,
            case["expected_signature"].as_str().unwrap()
        );
    }
}

#[test]
fn every_envelope_vector() {
    let file = load("webhooks.json");
    let cases = file["envelopes"].as_array().unwrap();
    assert!(cases.len() >= 50);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mode = match case["mode"].as_str().unwrap() {
            "strict" => Mode::Strict,
            "lenient" => Mode::Lenient,
            other => panic!("{name}: mode {other}"),
        };
        let text = match case.get("input_text") {
            Some(Value::String(t)) => t.clone(),
            _ => serde_json::to_string(&case["input"]).unwrap(),
        };
        let got = Envelope::parse(text.as_bytes(), mode);
        let expected = &case["expected"];
        match expected["result"].as_str().unwrap() {
            "valid" => {
                let envelope = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                let normalized = envelope.to_json();
                assert_eq!(
                    normalized,
                    expected["normalized"].as_str().unwrap(),
                    "{name}"
                );
                // normalization is a fixed point, in both modes
                let again = Envelope::parse(normalized.as_bytes(), Mode::Strict)
                    .or_else(|_| Envelope::parse(normalized.as_bytes(), Mode::Lenient))
                    .unwrap();
                assert_eq!(again.to_json(), normalized, "{name}");
            }
            "error" => {
                let e = got.expect_err(name);
                assert_eq!(
                    e.code().as_str(),
                    expected["code"].as_str().unwrap(),
                    "{name}"
                );
                let field = expected["field"].as_str().unwrap();
                assert!(
                    e.message().starts_with(&format!("{field}: ")),
                    "{name}: message {:?} should name {field}",
                    e.message()
                );
            }
            other => panic!("{name}: unknown result {other}"),
        }
    }
}

#[test]
fn published_example_signs_and_verifies() {
    // Standard Webhooks reference libraries' signing example.
    let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let body = br#"{"test": 2432232314}"#;
    let headers =
        webhook::sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).unwrap();
    assert_eq!(
        headers.signature,
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
    let pairs = headers.pairs();
    assert_eq!(
        pairs[0],
        ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek".to_owned())
    );
    assert_eq!(pairs[1], ("webhook-timestamp", "1614265330".to_owned()));
    assert!(webhook::verify(
        &secret,
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "1614265330",
        &headers.signature,
        body,
        1_614_265_330 + 299,
    )
    .is_ok());
}

#[test]
fn rotation_on_both_sides() {
    let old = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let new = WebhookSecret::generate().unwrap();
    let headers =
        webhook::sign_with_all(&[new.clone(), old.clone()], "evt_1", 1000, b"{}").unwrap();
    assert_eq!(headers.signature.split(' ').count(), 2);
    for s in [&old, &new] {
        assert!(webhook::verify(s, "evt_1", "1000", &headers.signature, b"{}", 1000).is_ok());
    }
    // a receiver holding both secrets accepts a delivery signed with either alone
    let both = Verifier::with_secrets(vec![old.clone(), new.clone()]).unwrap();
    let only_new = webhook::sign(&new, "evt_1", 1000, b"{}").unwrap();
    assert!(both
        .verify("evt_1", "1000", &only_new.signature, b"{}", 1000)
        .is_ok());
    let stranger = WebhookSecret::generate().unwrap();
    let bad = webhook::sign(&stranger, "evt_1", 1000, b"{}").unwrap();
    assert_eq!(
        both.verify("evt_1", "1000", &bad.signature, b"{}", 1000)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidSignature
    );
    assert!(webhook::sign_with_all(&[], "evt_1", 1000, b"{}").is_err());
    assert!(Verifier::with_secrets(vec![]).is_err());
}

#[test]
fn generated_secret_round_trips_through_its_text() {
    let s = WebhookSecret::generate().unwrap();
    let text = s.expose();
    assert!(text.starts_with("whsec_"));
    let back = WebhookSecret::parse(&text).unwrap();
    let a = webhook::sign(&s, "i", 1, b"x").unwrap();
    let b = webhook::sign(&back, "i", 1, b"x").unwrap();
    assert_eq!(a, b);
    assert_ne!(WebhookSecret::generate().unwrap().expose(), text);
}

#[test]
fn signature_header_parser_shapes() {
    let entries = parse_signature_header("v1,abc  v1a,def junk v2,").unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].version, "v1");
    assert_eq!(entries[1].value, "def");
    for bad in ["", "   ", "junk", "v1,", ",abc", "v1 abc"] {
        assert_eq!(
            parse_signature_header(bad).unwrap_err().code(),
            ErrorCode::InvalidSignature,
            "{bad:?}"
        );
    }
}

#[test]
fn timestamp_extremes_do_not_overflow() {
    let s = WebhookSecret::generate().unwrap();
    let h = webhook::sign(&s, "i", i64::MAX, b"").unwrap();
    let ts = i64::MAX.to_string();
    assert!(webhook::verify(&s, "i", &ts, &h.signature, b"", i64::MAX).is_ok());
    assert_eq!(
        webhook::verify(&s, "i", &ts, &h.signature, b"", i64::MIN)
            .unwrap_err()
            .code(),
        ErrorCode::TimestampOutOfTolerance
    );
    let z = webhook::sign(&s, "i", 0, b"").unwrap();
    assert_eq!(
        webhook::verify(&s, "i", "0", &z.signature, b"", i64::MAX)
            .unwrap_err()
            .code(),
        ErrorCode::TimestampOutOfTolerance
    );
    assert!(webhook::verify(&s, "i", "0", &z.signature, b"", 0).is_ok());
}

#[test]
fn envelope_builder_and_catalog() {
    let e = Envelope::new(
        Subject::VirtualWallet.on(Happening::Alert).unwrap(),
        "op-9",
        Status::Success,
        None,
        serde_json::Map::new(),
    )
    .unwrap();
    assert_eq!(e.spec().unwrap().name, "VIRTUAL_WALLET");
    // A pair outside the catalog cannot even be named, and an over-long id is refused.
    assert!(Subject::Account.on(Happening::Sweep).is_err());
    assert!(Envelope::new(
        Subject::Account.on(Happening::Created).unwrap(),
        &"x".repeat(10_000),
        Status::Success,
        None,
        serde_json::Map::new()
    )
    .is_err());
    let names: Vec<_> = OPERATIONS.iter().map(|o| o.name).collect();
    for needed in [
        "ACCOUNT",
        "VIRTUAL_WALLET",
        "HOLDING_WALLET",
        "TREASURY",
        "CARD",
        "VIRTUAL_CARD",
    ] {
        assert!(names.contains(&needed), "{needed}");
    }
    for op in OPERATIONS {
        assert!(!op.sub_operations.is_empty());
    }
    for op in ["VIRTUAL_WALLET", "HOLDING_WALLET", "TREASURY"] {
        let spec = webhook::operation(op).unwrap();
        for sub in ["DEPOSIT", "WITHDRAWAL", "TRANSFER", "SWEEP", "CREATED"] {
            assert!(spec.has_sub_operation(sub), "{op}/{sub}");
        }
    }
    for op in ["CARD", "VIRTUAL_CARD"] {
        assert!(webhook::operation(op)
            .unwrap()
            .has_sub_operation("TRANSACTION"));
    }
}

#[test]
fn envelope_errors_list_allowed_values() {
    let e = Envelope::parse(
        br#"{"operation":"NOPE","sub_operation":"X","operation_id":"1","status":"SUCCESS","data":{}}"#,
        Mode::Strict,
    )
    .unwrap_err();
    assert!(e.message().contains("VIRTUAL_WALLET") && e.message().contains("TREASURY"));
    let e = Envelope::parse(
        br#"{"operation":"TREASURY","sub_operation":"DEPOSIT","operation_id":"1","status":"DONE","data":{}}"#,
        Mode::Strict,
    )
    .unwrap_err();
    assert!(e.message().contains("SUCCESS, CANCELLED, FAILED"), "{e}");
    let e = Envelope::parse(
        br#"{"operation":"TREASURY","sub_operation":"ALERT","operation_id":"1","status":"SUCCESS","data":{}}"#,
        Mode::Strict,
    )
    .unwrap_err();
    assert!(e.message().contains("DEPOSIT"), "{e}");
}

#[test]
fn webhook_key_header() {
    assert!(check_webhook_key("configured-key", Some("configured-key")).is_ok());
    assert!(check_webhook_key("configured-key", Some("configured-kez")).is_err());
    assert!(check_webhook_key("configured-key", None).is_err());
}

#[test]
fn seen_ids_process_each_event_once() {
    let mut seen = SeenIds::new(3);
    let deliveries = ["a", "b", "a", "c", "b", "d", "a"];
    let processed: Vec<_> = deliveries
        .iter()
        .filter(|id| seen.first_time(id))
        .copied()
        .collect();
    // "a" is evicted by "d" (capacity 3: b, c, d) and so processed a second time at the end
    assert_eq!(processed, ["a", "b", "c", "d", "a"]);
    assert_eq!(seen.len(), 3);
    assert_eq!(seen.capacity(), 3);
    assert_eq!(SeenIds::new(0).capacity(), 1);
}

fn arb_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.:-]{1,64}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify_passes(
        key in proptest::collection::vec(any::<u8>(), 1..80),
        id in arb_id(),
        ts in 0i64..=4_102_444_800,
        skew in -300i64..=300,
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let secret = WebhookSecret::from_bytes(&key).unwrap();
        let h = webhook::sign(&secret, &id, ts, &body).unwrap();
        let parsed = WebhookSecret::parse(&secret.expose()).unwrap();
        prop_assert!(webhook::verify(&parsed, &h.id, &h.timestamp.to_string(), &h.signature, &body, ts + skew).is_ok());
    }

    #[test]
    fn any_single_byte_change_of_the_body_fails(
        key in proptest::collection::vec(any::<u8>(), 16..64),
        id in arb_id(),
        body in proptest::collection::vec(any::<u8>(), 1..512),
        pos in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let secret = WebhookSecret::from_bytes(&key).unwrap();
        let h = webhook::sign(&secret, &id, 1_700_000_000, &body).unwrap();
        let mut tampered = body.clone();
        let i = pos.index(tampered.len());
        tampered[i] = tampered[i].wrapping_add(delta);
        let e = webhook::verify(&secret, &id, "1700000000", &h.signature, &tampered, 1_700_000_000).unwrap_err();
        prop_assert_eq!(e.code(), ErrorCode::InvalidSignature);
    }

    #[test]
    fn any_change_of_id_or_timestamp_fails(
        id in arb_id(),
        other_id in arb_id(),
        dt in 1i64..=300,
    ) {
        prop_assume!(id != other_id);
        let secret = WebhookSecret::from_bytes(b"0123456789abcdef0123456789abcdef").unwrap();
        let body: &[u8] = b"[]";
        let h = webhook::sign(&secret, &id, 1_700_000_000, body).unwrap();
        let wrong_id = webhook::verify(&secret, &other_id, "1700000000", &h.signature, body, 1_700_000_000);
        prop_assert!(wrong_id.is_err());
        let moved = (1_700_000_000 + dt).to_string();
        let wrong_ts = webhook::verify(&secret, &id, &moved, &h.signature, body, 1_700_000_000);
        prop_assert!(wrong_ts.is_err());
    }

    #[test]
    fn parsers_never_panic(text in ".{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_signature_header(&text);
        let _ = webhook::parse_timestamp(&text);
        let _ = WebhookSecret::parse(&text);
        let _ = Envelope::parse(&bytes, Mode::Strict);
        let _ = Envelope::parse(text.as_bytes(), Mode::Lenient);
    }
}
