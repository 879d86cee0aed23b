//! Bad input on every write route: junk bodies, bad amounts and addresses are refused with a 4xx
//! and a code, and a refused request changes nothing a client can read.

use crate::app::{Answer, App};
use serde_json::{json, Value};

const EVM_OUT: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";
const TRON_OUT: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";

/// A client with something behind every route: wallets (one funded, one with a pending deposit),
/// a rule, a treasury wallet, a card, a virtual card and a child client.
struct Fixture {
    acc: String,
    w1: String,
    w2: String,
    tr: String,
    card: String,
    vcard: String,
    child: String,
}

impl Fixture {
    async fn new(app: &App) -> Fixture {
        let acc = app.account("a").await;
        let (w1, _) = app.funded(&acc, "ethereum", "100").await;
        let (w2, addr2) = app.wallet(&acc, "ethereum").await;
        app.post(
            &format!("/v1/wallets/virtual/{w1}/rules"),
            json!({"rule": "keep", "on": "deposit", "token": "USDT", "action": {"type": "alert"}}),
        )
        .await
        .ok(201);
        let pending = app.deposit(&addr2, "USDT", "5", "pending-1").await;
        assert_eq!(pending["status"], "pending");
        let id = |a: Answer| a.ok(201)["id"].as_str().unwrap().to_owned();
        let tr = id(app
            .post(
                "/v1/treasury",
                json!({"account_id": acc, "blockchain": "ethereum"}),
            )
            .await);
        let card = id(app
            .post(
                "/v1/cards",
                json!({"account_id": acc, "number": "4242424242424242", "expiry": "12/39"}),
            )
            .await);
        let vcard = id(app
            .post("/v1/virtual-cards", json!({"account_id": acc}))
            .await);
        let child = id(app
            .post("/v1/management/clients", json!({"name": "child"}))
            .await);
        Fixture {
            acc,
            w1,
            w2,
            tr,
            card,
            vcard,
            child,
        }
    }

    /// (method, path, a valid body) for every POST and PUT route: [`WRITE_ROUTES`] filled in
    /// with the fixture's ids, and the wallet and virtual card actions.
    fn write_routes(&self) -> Vec<(&'static str, String, Value)> {
        let fill = |text: &str| {
            let w1p = format!("/v1/wallets/virtual/{}", self.w1);
            text.replace("{w1p}", &w1p)
                .replace("{acc}", &self.acc)
                .replace("{w2}", &self.w2)
                .replace("{tr}", &self.tr)
                .replace("{card}", &self.card)
                .replace("{vcard}", &self.vcard)
                .replace("{child}", &self.child)
                .replace("{out}", EVM_OUT)
        };
        let mut routes: Vec<_> = WRITE_ROUTES
            .iter()
            .map(|(method, path, body)| {
                let body = serde_json::from_str(&fill(body)).unwrap();
                (*method, fill(path), body)
            })
            .collect();
        for action in ["deactivate", "activate", "reactivate", "unfreeze"] {
            routes.push(("POST", fill(&format!("{{w1p}}/{action}")), json!({})));
        }
        for action in ["block", "unblock"] {
            routes.push((
                "POST",
                format!("/v1/virtual-cards/{}/{action}", self.vcard),
                json!({}),
            ));
        }
        routes
    }
}

/// Every POST and PUT route but the wallet and virtual card actions, with a valid body:
/// (method, path, body). In both, `{w1p}` stands for the funded wallet's path, `{acc}`, `{w2}`,
/// `{tr}`, `{card}`, `{vcard}` and `{child}` for the fixture's ids, `{out}` for [`EVM_OUT`].
const WRITE_ROUTES: &[(&str, &str, &str)] = &[
    (
        "PUT",
        "/v1/management/clients/{child}/contracted-products",
        r#"{"max_virtual_wallets": 3}"#,
    ),
    (
        "PUT",
        "/v1/management/clients/{child}/policy",
        r#"{"min_reserve_ratio": "1"}"#,
    ),
    (
        "PUT",
        "/v1/management/configurations",
        r#"{"webhook_url": "http://127.0.0.1:9/x"}"#,
    ),
    (
        "PUT",
        "/v1/management/contracted-products",
        r#"{"max_virtual_wallets": 10}"#,
    ),
    (
        "POST",
        "/v1/management/api-keys",
        r#"{"permissions": ["WALLETS_READ"]}"#,
    ),
    ("POST", "/v1/management/clients", r#"{"name": "c"}"#),
    ("POST", "/v1/accounts", r#"{"name": "n"}"#),
    (
        "POST",
        "/v1/wallets/virtual",
        r#"{"account_id": "{acc}", "blockchain": "ethereum"}"#,
    ),
    (
        "POST",
        "/v1/wallets/virtual/batch",
        r#"{"account_id": "{acc}", "blockchain": "ethereum", "count": 2}"#,
    ),
    (
        "POST",
        "{w1p}/transfer",
        r#"{"token": "USDT", "amount": "1", "to_wallet_id": "{w2}"}"#,
    ),
    (
        "POST",
        "{w1p}/withdraw",
        r#"{"token": "USDT", "amount": "1", "to_address": "{out}", "fee": "0"}"#,
    ),
    (
        "POST",
        "{w1p}/rules",
        r#"{"rule": "r9", "on": "deposit", "token": "USDT", "action": {"type": "forward", "to": "{w2}", "percent": "50"}}"#,
    ),
    (
        "POST",
        "/v1/wallets/holding/ethereum/withdraw",
        r#"{"token": "USDT", "amount": "0", "to_address": "{out}"}"#,
    ),
    (
        "POST",
        "/v1/wallets/holding/ethereum/transfer",
        r#"{"token": "USDT", "amount": "1", "to_wallet_id": "{w2}"}"#,
    ),
    ("POST", "/v1/webhooks/deliveries/evt_nope/redeliver", "{}"),
    (
        "POST",
        "/v1/simulate/deposit",
        r#"{"token": "USDT", "amount": "1", "address": "{out}"}"#,
    ),
    ("POST", "/v1/simulate/confirm", r#"{"tx": "pending-1"}"#),
    ("POST", "/v1/simulate/reorg", r#"{"tx": "pending-1"}"#),
    (
        "POST",
        "/v1/treasury",
        r#"{"account_id": "{acc}", "blockchain": "ethereum"}"#,
    ),
    (
        "POST",
        "/v1/treasury/{tr}/send",
        r#"{"token": "USDT", "amount": "1", "to_address": "{out}", "fee": "0"}"#,
    ),
    (
        "POST",
        "/v1/cards",
        r#"{"account_id": "{acc}", "number": "4242424242424242", "expiry": "12/39"}"#,
    ),
    (
        "POST",
        "/v1/cards/{card}/deposit",
        r#"{"token": "USDT", "amount": "5"}"#,
    ),
    (
        "POST",
        "/v1/cards/{card}/refund",
        r#"{"to_wallet_id": "nope", "token": "USDT", "amount": "5"}"#,
    ),
    ("POST", "/v1/virtual-cards", r#"{"account_id": "{acc}"}"#),
    (
        "POST",
        "/v1/virtual-cards/{vcard}/refund",
        r#"{"to_wallet_id": "nope", "token": "USDT"}"#,
    ),
    (
        "POST",
        "/v1/virtual-cards/{vcard}/deposit",
        r#"{"token": "USDT", "amount": "5"}"#,
    ),
    (
        "PUT",
        "/v1/webhooks/configuration",
        r#"{"url": "http://127.0.0.1:9/x"}"#,
    ),
    (
        "POST",
        "/v1/simulate/card-transaction",
        r#"{"card_id": "{card}", "amount": "1"}"#,
    ),
    (
        "POST",
        "/v1/management/users",
        r#"{"email": "new@example.com", "name": "N"}"#,
    ),
    (
        "POST",
        "/v1/management/access-levels",
        r#"{"name": "ops", "permissions": ["WALLETS_READ"]}"#,
    ),
    ("POST", "/v1/webhooks/secret/rotate", "{}"),
    ("POST", "/v1/withdrawals/nope/cancel", "{}"),
    ("POST", "/v1/deposits/nope/credit", "{}"),
    (
        "POST",
        "/v1/deposits/nope/refund",
        r#"{"to_address": "{out}"}"#,
    ),
    (
        "POST",
        "{w1p}/holds",
        r#"{"token": "USDT", "amount": "1", "reason": "r"}"#,
    ),
    ("POST", "{w1p}/holds/nope/release", "{}"),
    (
        "POST",
        "{w1p}/holds/nope/capture",
        r#"{"to_wallet_id": "{w2}"}"#,
    ),
    (
        "POST",
        "{w1p}/withdraw/quote",
        r#"{"token": "USDT", "amount": "1"}"#,
    ),
    ("POST", "{w1p}/freeze", r#"{"reason": "review"}"#),
    (
        "POST",
        "/v1/simulate/withdrawal-failure",
        r#"{"id": "nope", "reason": "x"}"#,
    ),
    (
        "PUT",
        "/v1/wallets/configuration",
        r#"{"min_reserve_ratio": "1"}"#,
    ),
];

/// Everything a client can read, to compare before and after refused requests.
async fn snapshot(app: &App, f: &Fixture) -> Value {
    let mut out = serde_json::Map::new();
    let mut paths: Vec<String> = [
        "/v1/accounts",
        "/v1/wallets/virtual",
        "/v1/wallets/holding",
        "/v1/wallets/holding/ethereum",
        "/v1/transactions?limit=500",
        "/v1/management/configurations",
        "/v1/management/contracted-products",
        "/v1/management/api-keys",
        "/v1/management/clients",
        "/v1/treasury",
        "/v1/cards",
        "/v1/virtual-cards",
        "/v1/webhooks/deliveries?limit=500",
    ]
    .map(str::to_owned)
    .into();
    paths.extend([&f.w1, &f.w2].map(|w| format!("/v1/wallets/virtual/{w}/rules")));
    for p in paths {
        let body = app.get(&p).await.ok(200).clone();
        out.insert(p, body);
    }
    Value::Object(out)
}

/// Asserts a 4xx with a code.
#[track_caller]
fn refused(what: &str, method: &str, path: &str, body: &str, r: &Answer) {
    assert!(
        (400..500).contains(&r.status) && r.json["error"]["code"].as_str().is_some(),
        "{what}: {method} {path} {body} answered {} {}",
        r.status,
        r.json
    );
}

/// The junk variants of a valid body: what each route must refuse.
fn junk_bodies(valid: &Value) -> Vec<(&'static str, String)> {
    let mut junk = vec![
        ("malformed JSON", "{\"a\":".to_owned()),
        ("not an object", "[1,2]".to_owned()),
    ];
    let mut unknown = valid.clone();
    unknown["surprise"] = json!(1);
    junk.push(("unknown field", unknown.to_string()));
    let with = |field: &str, bad: Value| {
        let mut b = valid.clone();
        b[field] = bad;
        b.to_string()
    };
    for field in ["amount", "fee"]
        .into_iter()
        .filter(|f| valid.get(f).is_some())
    {
        for bad in ["-1", "1.0000001", "1e3", "", "abc", " 1", "0x10"] {
            junk.push(("bad amount", with(field, json!(bad))));
        }
        junk.push(("amount as a number", with(field, json!(1))));
    }
    for field in ["to_address", "address"]
        .into_iter()
        .filter(|f| valid.get(f).is_some())
    {
        for bad in [
            "0x123",
            "0x9858EfFD232B4033E47d90003D41EC34EcaEda95",
            "0x9858eFFD232B4033E47d90003D41EC34EcaEda94",
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u",
            "",
        ] {
            junk.push(("bad address", with(field, json!(bad))));
        }
    }
    junk
}

async fn every_write_route_refuses_junk_with_a_code_and_changes_nothing(app: App) {
    let f = Fixture::new(&app).await;
    let routes = f.write_routes();
    let before = snapshot(&app, &f).await;
    let mut checked = 0;
    for (method, path, valid) in &routes {
        for (what, body) in junk_bodies(valid) {
            let r = app.send_raw(method, path, &body).await;
            refused(what, method, path, &body, &r);
            checked += 1;
        }
    }
    assert_eq!(
        snapshot(&app, &f).await,
        before,
        "a refused request changed the state"
    );
    assert!(checked > 150, "{checked}");
}

async fn the_bad_input_routes_cover_every_write_operation_of_the_catalog(app: App) {
    let f = Fixture::new(&app).await;
    let routes = f.write_routes();
    let served = waas_host::host::api::routes::operation_routes();
    let mut uncovered = Vec::new();
    for (op, route) in served.iter() {
        if !matches!(route.method.as_str(), "POST" | "PUT") {
            continue;
        }
        let matches = |p: &String| {
            p.split('/').count() == route.path.split('/').count()
                && p.split('/')
                    .zip(route.path.split('/'))
                    .all(|(a, b)| a == b || b.starts_with('{'))
        };
        if !routes
            .iter()
            .any(|(m, p, _)| *m == route.method && matches(p))
        {
            uncovered.push(format!("{} {} ({})", route.method, route.path, op.id()));
        }
    }
    assert!(uncovered.is_empty(), "bad-input routes lack {uncovered:?}");
}

/// A path with every placeholder filled by an id that exists nowhere.
fn concrete(path: &str) -> String {
    let seg = |s: &str| if s.starts_with('{') { "x_unknown" } else { s }.to_owned();
    path.split('/').map(seg).collect::<Vec<_>>().join("/")
}

async fn every_operation_of_the_catalog_is_served(app: App) {
    let mut missing = Vec::new();
    for (op, route) in waas_host::host::api::routes::operation_routes().iter() {
        let path = concrete(&route.path);
        // An invalid body: the probe only asks whether the route exists, and changes nothing.
        let r = match route.method.as_str() {
            "GET" | "DELETE" => app.call(&route.method, &path, None).await,
            method => app.send_raw(method, &path, "null").await,
        };
        let no_route = r.status == 404 && r.json.to_string().contains("no such route");
        if no_route || r.status == 405 {
            missing.push(format!("{} {} ({})", route.method, route.path, op.id()));
        }
    }
    assert!(
        missing.is_empty(),
        "operations without a route: {missing:?}"
    );
}

async fn a_transfer_of_a_negative_zero_or_too_precise_amount_is_invalid_amount(app: App) {
    let acc = app.account("a").await;
    let (w1, _) = app.funded(&acc, "ethereum", "100").await;
    let (w2, _) = app.wallet(&acc, "ethereum").await;
    for amount in ["-1", "0.0000001", "0"] {
        app.transfer(&w1, &w2, amount)
            .await
            .err(400, "INVALID_AMOUNT");
    }
    assert_eq!(app.total(&w1).await, "100");
}

async fn a_transfer_names_an_unknown_token_and_refuses_another_chain(app: App) {
    let acc = app.account("a").await;
    let (w1, _) = app.funded(&acc, "ethereum", "100").await;
    let (w2, _) = app.wallet(&acc, "ethereum").await;
    let (t1, _) = app.wallet(&acc, "tron").await;
    let transfer = format!("/v1/wallets/virtual/{w1}/transfer");
    app.post(
        &transfer,
        json!({"to_wallet_id": w2, "token": "NOPE", "amount": "1"}),
    )
    .await
    .err(404, "UNKNOWN_TOKEN");
    let r = app
        .post(
            &transfer,
            json!({"to_wallet_id": t1, "token": "USDT", "amount": "1"}),
        )
        .await;
    refused("to another chain", "POST", &transfer, "", &r);
    assert_eq!(app.total(&w1).await, "100");
}

async fn a_withdrawal_to_a_malformed_or_foreign_address_is_invalid_address(app: App) {
    let acc = app.account("a").await;
    let (w1, _) = app.funded(&acc, "ethereum", "100").await;
    for to in ["0x123", TRON_OUT] {
        app.post(
            &format!("/v1/wallets/virtual/{w1}/withdraw"),
            json!({"to_address": to, "token": "USDT", "amount": "1"}),
        )
        .await
        .err(400, "INVALID_ADDRESS");
    }
    app.post(
        "/v1/wallets/holding/ethereum/withdraw",
        json!({"token": "USDT", "amount": "1", "to_address": "0x12"}),
    )
    .await
    .err(400, "INVALID_ADDRESS");
}

async fn an_unknown_chain_is_named(app: App) {
    let acc = app.account("a").await;
    app.post(
        "/v1/wallets/virtual",
        json!({"account_id": acc, "blockchain": "nochain"}),
    )
    .await
    .err(404, "UNKNOWN_CHAIN");
}

async fn a_simulated_deposit_needs_a_valid_address_of_a_wallet(app: App) {
    let deposit = |address: &str| json!({"address": address, "token": "USDT", "amount": "1"});
    app.post("/v1/simulate/deposit", deposit("0x123"))
        .await
        .err(400, "INVALID_ADDRESS");
    app.post("/v1/simulate/deposit", deposit(EVM_OUT))
        .await
        .err(404, "NOT_FOUND");
}

async fn bad_configuration_values_are_refused_with_their_codes(app: App) {
    let config = "/v1/management/configurations";
    app.put(config, json!({"payment_addresses": {"ethereum": "0x12"}}))
        .await
        .err(400, "INVALID_ADDRESS");
    app.put(config, json!({"min_reserve_ratio": "-1"}))
        .await
        .err(400, "INVALID_AMOUNT");
    app.put(
        config,
        json!({"webhook_url": "http://ok.invalid/", "min_reserve_ratio": "x"}),
    )
    .await
    .err(400, "INVALID_AMOUNT");
    app.put(
        "/v1/management/contracted-products",
        json!({"max_virtual_wallets": -1}),
    )
    .await
    .err(400, "INVALID_ARGUMENT");
}

async fn a_route_without_a_body_refuses_one_that_is_not_an_empty_object(app: App) {
    let acc = app.account("a").await;
    let (w1, _) = app.wallet(&acc, "ethereum").await;
    let wallet = format!("/v1/wallets/virtual/{w1}");
    let before = app.get(&wallet).await.ok(200).clone();
    let path = format!("{wallet}/deactivate");
    let r = app.send_raw("POST", &path, "junk").await;
    refused("a junk body", "POST", &path, "junk", &r);
    assert_eq!(app.get(&wallet).await.ok(200), &before);
}

async fn an_idempotency_key_too_long_or_reserved_is_refused(app: App) {
    let acc = app.account("a").await;
    let (w1, _) = app.funded(&acc, "ethereum", "100").await;
    let (w2, _) = app.wallet(&acc, "ethereum").await;
    let transfer = json!({"to_wallet_id": w2, "token": "USDT", "amount": "1"});
    let path = format!("/v1/wallets/virtual/{w1}/transfer");
    for key in ["k".repeat(200), "rule:x".to_owned()] {
        app.post_idem(&path, &key, transfer.clone())
            .await
            .err(400, "INVALID_ARGUMENT");
    }
    assert_eq!(app.total(&w1).await, "100");
}

crate::on_both!(
    every_write_route_refuses_junk_with_a_code_and_changes_nothing,
    the_bad_input_routes_cover_every_write_operation_of_the_catalog,
    every_operation_of_the_catalog_is_served,
    a_transfer_of_a_negative_zero_or_too_precise_amount_is_invalid_amount,
    a_transfer_names_an_unknown_token_and_refuses_another_chain,
    a_withdrawal_to_a_malformed_or_foreign_address_is_invalid_address,
    an_unknown_chain_is_named,
    a_simulated_deposit_needs_a_valid_address_of_a_wallet,
    bad_configuration_values_are_refused_with_their_codes,
    a_route_without_a_body_refuses_one_that_is_not_an_empty_object,
    an_idempotency_key_too_long_or_reserved_is_refused,
);
