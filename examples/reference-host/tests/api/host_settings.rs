//! Settings the host is started with: browser origins (CORS), where webhooks may go, and the
//! rate limit per key. The flags that set them are checked in `cli::serve`'s unit tests.

use crate::app::App;
use serde_json::json;

#[tokio::test]
async fn cors_answers_only_the_allowed_origins() {
    let app = App::with_config(|c| c.cors_origins = vec!["http://dash.test".into()]).await;
    let preflight = |origin: &'static str| {
        let headers = [
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "x-api-key,content-type"),
        ];
        let app = &app;
        async move {
            app.send(None, "OPTIONS", "/v1/accounts", &headers, None)
                .await
        }
    };
    let ok = preflight("http://dash.test").await;
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("http://dash.test")
    );
    let allowed = ok.header("access-control-allow-headers").unwrap_or("");
    assert!(allowed.contains("x-api-key"), "{allowed}");
    let no = preflight("http://evil.test").await;
    assert_eq!(no.header("access-control-allow-origin"), None);
    let r = app
        .send(
            Some(app.key()),
            "GET",
            "/v1/accounts",
            &[("Origin", "http://dash.test")],
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://dash.test")
    );
    let exposed = r.header("access-control-expose-headers").unwrap_or("");
    assert!(exposed.contains("x-request-id"), "{exposed}");
}

/// Webhook URLs that point inside are refused at configuration (every numeric form of loopback,
/// userinfo, private and metadata addresses), on a host that does not allow loopback.
#[tokio::test]
async fn webhook_urls_inside_are_refused_where_loopback_is_not_allowed() {
    let app = App::with_config(|c| c.endpoint_policy.allow_loopback = false).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://0.0.0.0:9/",
        "http://2130706433:9/",
        "http://0x7f.1:9/",
        "http://[::1]:9/",
        "http://[::ffff:127.0.0.1]:9/",
        "http://user:pass@127.0.0.1:9/",
        "http://user:pass@hooks.example.com/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd12::1]/",
        "gopher://hooks.example.com/",
        "hooks.example.com",
    ] {
        app.put("/v1/webhooks/configuration", json!({"url": url}))
            .await
            .err(400, "INVALID_WEBHOOK_URL");
        app.put("/v1/management/configurations", json!({"webhook_url": url}))
            .await
            .err(400, "INVALID_WEBHOOK_URL");
    }
    let conf = app.get("/v1/webhooks/configuration").await;
    assert!(conf.ok(200)["url"].is_null(), "{}", conf.json);
    // A public name is accepted (it is resolved, and checked again, only when delivering).
    app.put(
        "/v1/webhooks/configuration",
        json!({"url": "https://hooks.example.com/waas"}),
    )
    .await
    .ok(200);
}

/// A burst from one key: 429 RATE_LIMITED with Retry-After beyond the burst, other keys go on,
/// and the key is served again after waiting.
#[tokio::test]
async fn a_burst_from_one_key_is_limited_and_other_keys_go_on() {
    let app = App::with_config(|c| c.rate_limit = 5).await;
    let other = app
        .post(
            "/v1/management/api-keys",
            json!({"permissions": ["ACCOUNTS_READ"]}),
        )
        .await;
    let other = other.ok(201)["key"].as_str().unwrap().to_owned();
    let mut answers = Vec::new();
    for _ in 0..40 {
        answers.push(app.get("/v1/accounts").await);
    }
    let served = answers.iter().filter(|r| r.status == 200).count();
    assert!(served >= 9, "the burst is served: {served}");
    let limited: Vec<_> = answers.iter().filter(|r| r.status == 429).collect();
    assert!(!limited.is_empty(), "no 429 after 40 requests at 5/s");
    for r in &limited {
        r.err(429, "RATE_LIMITED");
        let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=2).contains(&wait), "Retry-After {wait}");
    }
    // Another key has its own budget.
    app.send(Some(&other), "GET", "/v1/accounts", &[], None)
        .await
        .ok(200);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    app.get("/v1/accounts").await.ok(200);
}
