//! Webhook verification throughput: waas-core against the Standard Webhooks reference library
//! (`standardwebhooks`, the verification code of `svix` without its HTTP client).
//!
//! `cargo bench -p waas-core --bench webhook`

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use waas_core::webhook::{self, Verifier, WebhookSecret};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";

fn body(len: usize) -> Vec<u8> {
    // a JSON-looking envelope padded to `len` bytes (the peer requires UTF-8)
    let mut b = br#"{"operation":"VIRTUAL_WALLET","sub_operation":"DEPOSIT","operation_id":"op-1","status":"SUCCESS","data":{"pad":""#.to_vec();
    while b.len() + 3 < len {
        b.push(b'x');
    }
    b.extend_from_slice(br#""}}"#);
    b
}

/// Now, in Unix seconds: the peer reads the system clock, so the bench signs with the current
/// time (valid for 5 minutes).
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The headers of a delivery signed with `signature` at `ts`.
fn signed_headers(ts: &str, signature: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert("webhook-id", ID.parse().unwrap());
    headers.insert("webhook-timestamp", ts.parse().unwrap());
    headers.insert("webhook-signature", signature.parse().unwrap());
    headers
}

fn verification(c: &mut Criterion) {
    let now = now();
    let secret = WebhookSecret::parse(SECRET).unwrap();
    let verifier = Verifier::new(secret.clone());
    let peer = standardwebhooks::Webhook::new(SECRET).unwrap();

    let mut group = c.benchmark_group("webhook_verify");
    group
        .sample_size(60)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));
    for len in [256usize, 4096, 65536] {
        let body = body(len);
        let signed = webhook::sign(&secret, ID, now, &body).unwrap();
        let ts = now.to_string();
        // sanity: both accept the same delivery
        verifier
            .verify(ID, &ts, &signed.signature, &body, now)
            .unwrap();
        let headers = signed_headers(&ts, &signed.signature);
        peer.verify(&body, &headers).unwrap();

        group.bench_with_input(BenchmarkId::new("waas", len), &body, |b, body| {
            b.iter(|| {
                verifier
                    .verify(
                        black_box(ID),
                        black_box(&ts),
                        black_box(&signed.signature),
                        black_box(body),
                        black_box(now),
                    )
                    .unwrap()
            })
        });
        group.bench_with_input(
            BenchmarkId::new("standardwebhooks", len),
            &body,
            |b, body| b.iter(|| peer.verify(black_box(body), black_box(&headers)).unwrap()),
        );
        // rotation: two signatures in the header, the matching one last
        let other = WebhookSecret::generate().unwrap();
        let rotated = webhook::sign_with_all(&[other, secret.clone()], ID, now, &body).unwrap();
        let rot_headers = signed_headers(&ts, &rotated.signature);
        group.bench_with_input(BenchmarkId::new("waas_2sigs", len), &body, |b, body| {
            b.iter(|| {
                verifier
                    .verify(ID, &ts, black_box(&rotated.signature), black_box(body), now)
                    .unwrap()
            })
        });
        group.bench_with_input(
            BenchmarkId::new("standardwebhooks_2sigs", len),
            &body,
            |b, body| {
                b.iter(|| {
                    peer.verify(black_box(body), black_box(&rot_headers))
                        .unwrap()
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
