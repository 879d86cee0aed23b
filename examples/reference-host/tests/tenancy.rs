#![allow(clippy::unwrap_used)]
//! Tenancy over real HTTP, on SQLite and PostgreSQL, with three levels of clients (root -> A ->
//! A1, and root -> B): a key reaches only its own client and the clients below it (anything else
//! is 404), keys and new clients never get a permission their creator lacks, and retiring a
//! client retires the keys of its whole subtree.

mod support;

use serde_json::{json, Value};
use support::api::{setup, Api};
use support::{Backend, Opts};

/// Creates a client below the caller's: (id, key).
fn child(api: Api<'_>, name: &str, permissions: Option<&[&str]>) -> (String, String) {
    let mut body = json!({"name": name});
    if let Some(p) = permissions {
        body["permissions"] = json!(p);
    }
    let v = api.post("/v1/management/clients", body).ok(201).clone();
    (
        v["id"].as_str().unwrap().to_owned(),
        v["api_key"].as_str().unwrap().to_owned(),
    )
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn tree(backend: Backend) {
    let Some((_db, s)) = setup(backend, "tenancy_tree", &Opts::default()) else {
        return;
    };
    let root = Api {
        s: &s,
        key: s.key(),
    };
    let root_id = root.get("/v1/management/clients").ok(200)["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let all = ["MANAGEMENT", "WALLETS_WRITE", "ACCOUNTS_WRITE"];
    let (a, a_key) = child(root, "A", Some(&all));
    let (b, b_key) = child(root, "B", Some(&all));
    let a_api = Api { s: &s, key: &a_key };
    let b_api = Api { s: &s, key: &b_key };
    let (a1, a1_key) = child(a_api, "A1", Some(&["MANAGEMENT", "WALLETS_READ"]));
    let a1_api = Api {
        s: &s,
        key: &a1_key,
    };

    // Each key lists its own client and the ones below it.
    let mut seen = ids(&root.get("/v1/management/clients").ok(200).clone());
    seen.sort();
    let mut want = vec![root_id.clone(), a.clone(), b.clone(), a1.clone()];
    want.sort();
    assert_eq!(seen, want);
    assert_eq!(
        ids(&a_api.get("/v1/management/clients").ok(200).clone()),
        [a.clone(), a1.clone()]
    );
    assert_eq!(
        ids(&b_api.get("/v1/management/clients").ok(200).clone()),
        std::slice::from_ref(&b)
    );
    assert_eq!(
        ids(&a1_api.get("/v1/management/clients").ok(200).clone()),
        std::slice::from_ref(&a1)
    );

    // Reaching outside the tree: 404, never 403, and nothing changes.
    for (api, target) in [
        (b_api, &a),
        (b_api, &a1),
        (b_api, &root_id),
        (a_api, &b),
        (a_api, &root_id),
        (a1_api, &a),
        (a1_api, &b),
    ] {
        api.get(&format!("/v1/management/clients/{target}"))
            .err(404, "NOT_FOUND");
        api.s
            .call(
                "PATCH",
                &format!("/v1/management/clients/{target}"),
                Some(api.key),
                Some(&json!({"name": "taken"})),
            )
            .err(404, "NOT_FOUND");
        api.delete(&format!("/v1/management/clients/{target}"))
            .err(404, "NOT_FOUND");
    }
    assert_eq!(
        root.get(&format!("/v1/management/clients/{a}")).ok(200)["name"],
        "A"
    );
    // A parent manages its child; a client does not rename or retire itself.
    a_api
        .s
        .call(
            "PATCH",
            &format!("/v1/management/clients/{a1}"),
            Some(a_api.key),
            Some(&json!({"name": "A1 renamed"})),
        )
        .ok(200);
    assert_eq!(
        a_api.get(&format!("/v1/management/clients/{a1}")).ok(200)["parent_id"],
        a.as_str()
    );
    a_api
        .s
        .call(
            "PATCH",
            &format!("/v1/management/clients/{a}"),
            Some(a_api.key),
            Some(&json!({"name": "self"})),
        )
        .err(403, "FORBIDDEN");

    // Keys never grow: not through a new key, not through a new client.
    a1_api
        .post(
            "/v1/management/api-keys",
            json!({"permissions": ["WALLETS_WRITE"]}),
        )
        .err(403, "FORBIDDEN");
    a1_api
        .post(
            "/v1/management/clients",
            json!({"name": "x", "permissions": ["SIMULATE"]}),
        )
        .err(403, "FORBIDDEN");
    let k = a1_api
        .post(
            "/v1/management/api-keys",
            json!({"permissions": ["WALLETS_READ"]}),
        )
        .ok(201)
        .clone();
    assert_eq!(k["permissions"], json!(["WALLETS_READ"]));
    // A new client without named permissions gets the creator's, less MANAGEMENT.
    let v = a_api
        .post("/v1/management/clients", json!({"name": "A2"}))
        .ok(201)
        .clone();
    let mut perms: Vec<&str> = v["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    perms.sort_unstable();
    assert_eq!(perms, ["ACCOUNTS_WRITE", "WALLETS_WRITE"]);
    let a2_key = v["api_key"].as_str().unwrap().to_owned();
    Api {
        s: &s,
        key: &a2_key,
    }
    .get("/v1/management/clients")
    .err(403, "FORBIDDEN");

    // Retiring A retires its subtree's keys (A's and A1's); B goes on.
    root.delete(&format!("/v1/management/clients/{a}")).ok(200);
    a_api.get("/v1/accounts").err(401, "UNAUTHORIZED");
    a1_api
        .get("/v1/management/clients")
        .err(401, "UNAUTHORIZED");
    b_api.get("/v1/management/clients").ok(200);
}

/// Seven holding credits near the limit of Decimal, then a deposit: a 400 INVALID_AMOUNT with
/// the books unchanged, never a dropped connection.
fn amount_overflow(backend: Backend) {
    let Some((_db, s)) = setup(backend, "tenancy_overflow", &Opts::default()) else {
        return;
    };
    let api = Api {
        s: &s,
        key: s.key(),
    };
    let acc = api.account("a");
    let (w1, a1) = api.wallet(&acc, "ethereum");
    let (w2, _) = api.wallet(&acc, "ethereum");
    for i in 0..7 {
        let to = if i % 2 == 0 { &w1 } else { &w2 };
        let r = api.post(
            "/v1/wallets/holding/ethereum/transfer",
            json!({"to_wallet_id": to, "token": "USDT", "amount": "9990000000000000000000000000"}),
        );
        assert!(r.status == 201 || r.status == 400, "{}", r.text);
    }
    let before = (api.total(&w1), api.total(&w2));
    let r = api.post(
        "/v1/simulate/deposit",
        json!({"address": a1, "token": "USDT", "amount": "9990000000000000000000000000", "tx": "big"}),
    );
    r.err(400, "INVALID_AMOUNT");
    assert_eq!((api.total(&w1), api.total(&w2)), before);
    api.get("/v1/wallets/holding/ethereum/reserve").ok(200);
}

macro_rules! suite {
    ($backend:ident, $variant:expr) => {
        mod $backend {
            use super::*;
            #[test]
            fn tree() {
                super::tree($variant);
            }
            #[test]
            fn amount_overflow() {
                super::amount_overflow($variant);
            }
        }
    };
}

suite!(sqlite, Backend::Sqlite);
suite!(postgres, Backend::Postgres);
