//! Tenancy with three levels of clients (root -> A -> A1, and root -> B): a key reaches only its
//! own client and the clients below it (anything else is 404), keys and new clients never get a
//! permission their creator lacks, retiring a client retires the keys of its whole subtree, and
//! platform policy (contracted products, the reserve floor) is set by the parent.

use crate::app::{Answer, App};
use serde_json::{json, Value};

/// A key of one client, calling the same app.
struct Caller<'a> {
    app: &'a App,
    key: String,
}

impl<'a> Caller<'a> {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.app
            .send(Some(&self.key), method, path, &[], body)
            .await
    }

    async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None).await
    }

    async fn put(&self, path: &str, body: Value) -> Answer {
        self.call("PUT", path, Some(body)).await
    }

    /// The ids of the clients this key lists.
    async fn clients(&self) -> Vec<String> {
        let r = self.get("/v1/management/clients").await;
        let data = r.ok(200)["data"].as_array().unwrap();
        data.iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Creates a client below this one: (id, its key's caller, the answer).
    async fn child(&self, name: &str, permissions: Option<&[&str]>) -> (String, Caller<'a>, Value) {
        let mut body = json!({"name": name});
        if let Some(p) = permissions {
            body["permissions"] = json!(p);
        }
        let v = self
            .call("POST", "/v1/management/clients", Some(body))
            .await;
        let v = v.ok(201).clone();
        let key = v["api_key"].as_str().unwrap().to_owned();
        (
            v["id"].as_str().unwrap().to_owned(),
            Caller { app: self.app, key },
            v,
        )
    }
}

/// The tree: root -> A (every permission named) -> A1 (MANAGEMENT, WALLETS_READ); root -> B.
struct Tree<'a> {
    root: Caller<'a>,
    root_id: String,
    a: (String, Caller<'a>),
    b: (String, Caller<'a>),
    a1: (String, Caller<'a>),
}

async fn tree(app: &App) -> Tree<'_> {
    let root = Caller {
        app,
        key: app.key().to_owned(),
    };
    let root_id = root.clients().await.remove(0);
    let all = ["MANAGEMENT", "WALLETS_WRITE", "ACCOUNTS_WRITE"];
    let (a, a_key, _) = root.child("A", Some(&all)).await;
    let (b, b_key, _) = root.child("B", Some(&all)).await;
    let (a1, a1_key, _) = a_key
        .child("A1", Some(&["MANAGEMENT", "WALLETS_READ"]))
        .await;
    Tree {
        root,
        root_id,
        a: (a, a_key),
        b: (b, b_key),
        a1: (a1, a1_key),
    }
}

async fn each_key_lists_its_own_client_and_the_ones_below(app: App) {
    let t = tree(&app).await;
    let mut seen = t.root.clients().await;
    seen.sort();
    let mut want = vec![
        t.root_id.clone(),
        t.a.0.clone(),
        t.b.0.clone(),
        t.a1.0.clone(),
    ];
    want.sort();
    assert_eq!(seen, want);
    assert_eq!(t.a.1.clients().await, [t.a.0.clone(), t.a1.0.clone()]);
    assert_eq!(t.b.1.clients().await, std::slice::from_ref(&t.b.0));
    assert_eq!(t.a1.1.clients().await, std::slice::from_ref(&t.a1.0));
}

async fn reaching_outside_the_tree_is_not_found_and_changes_nothing(app: App) {
    let t = tree(&app).await;
    let (a, b, a1, root) = (&t.a.0, &t.b.0, &t.a1.0, &t.root_id);
    for (caller, target) in [
        (&t.b.1, a),
        (&t.b.1, a1),
        (&t.b.1, root),
        (&t.a.1, b),
        (&t.a.1, root),
        (&t.a1.1, a),
        (&t.a1.1, b),
    ] {
        let path = format!("/v1/management/clients/{target}");
        caller.get(&path).await.err(404, "NOT_FOUND");
        let rename = Some(json!({"name": "taken"}));
        caller
            .call("PATCH", &path, rename)
            .await
            .err(404, "NOT_FOUND");
        caller
            .call("DELETE", &path, None)
            .await
            .err(404, "NOT_FOUND");
    }
    let a_seen = t.root.get(&format!("/v1/management/clients/{a}")).await;
    assert_eq!(a_seen.ok(200)["name"], "A");
}

async fn a_parent_manages_its_child_and_no_client_renames_itself(app: App) {
    let t = tree(&app).await;
    let (a, a1) = (&t.a.0, &t.a1.0);
    let child = format!("/v1/management/clients/{a1}");
    let rename = Some(json!({"name": "A1 renamed"}));
    t.a.1.call("PATCH", &child, rename).await.ok(200);
    let seen = t.a.1.get(&child).await;
    assert_eq!(
        (&seen.ok(200)["parent_id"], &seen.json["name"]),
        (&json!(a), &json!("A1 renamed"))
    );
    let itself = format!("/v1/management/clients/{a}");
    t.a.1
        .call("PATCH", &itself, Some(json!({"name": "self"})))
        .await
        .err(403, "FORBIDDEN");
}

async fn keys_and_new_clients_never_get_a_permission_their_creator_lacks(app: App) {
    let t = tree(&app).await;
    let a1 = &t.a1.1;
    let key = |p: &str| Some(json!({"permissions": [p]}));
    a1.call("POST", "/v1/management/api-keys", key("WALLETS_WRITE"))
        .await
        .err(403, "FORBIDDEN");
    let client = Some(json!({"name": "x", "permissions": ["SIMULATE"]}));
    a1.call("POST", "/v1/management/clients", client)
        .await
        .err(403, "FORBIDDEN");
    let k = a1
        .call("POST", "/v1/management/api-keys", key("WALLETS_READ"))
        .await;
    assert_eq!(k.ok(201)["permissions"], json!(["WALLETS_READ"]));
}

async fn a_new_client_without_named_permissions_gets_its_creators_less_management(app: App) {
    let t = tree(&app).await;
    let (_, a2, v) = t.a.1.child("A2", None).await;
    let mut perms: Vec<&str> = v["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    perms.sort_unstable();
    assert_eq!(perms, ["ACCOUNTS_WRITE", "WALLETS_WRITE"]);
    a2.get("/v1/management/clients").await.err(403, "FORBIDDEN");
}

async fn retiring_a_client_retires_the_keys_of_its_subtree(app: App) {
    let t = tree(&app).await;
    let a = &t.a.0;
    t.root
        .call("DELETE", &format!("/v1/management/clients/{a}"), None)
        .await
        .ok(200);
    t.a.1.get("/v1/accounts").await.err(401, "UNAUTHORIZED");
    t.a1.1
        .get("/v1/management/clients")
        .await
        .err(401, "UNAUTHORIZED");
    t.b.1.get("/v1/management/clients").await.ok(200);
}

/// Platform policy belongs to the parent, its contracted products: a child cannot set its own,
/// the parent sets them (and they hold), a sibling cannot.
async fn policy_belongs_to_the_parent_contracted_products(app: App) {
    let t = tree(&app).await;
    let (a, a_api, b_api) = (&t.a.0, &t.a.1, &t.b.1);
    let products = format!("/v1/management/clients/{a}/contracted-products");
    a_api
        .put(
            "/v1/management/contracted-products",
            json!({"max_virtual_wallets": 1000}),
        )
        .await
        .err(403, "FORBIDDEN");
    t.root
        .put(&products, json!({"max_virtual_wallets": 1}))
        .await
        .ok(200);
    b_api
        .put(&products, json!({"max_virtual_wallets": 1000}))
        .await
        .err(404, "NOT_FOUND");
    let acc = json!({"name": "x"});
    let acc = a_api.call("POST", "/v1/accounts", Some(acc)).await;
    let acc = acc.ok(201)["id"].as_str().unwrap().to_owned();
    let wallet = json!({"account_id": acc, "blockchain": "ethereum"});
    let first = a_api
        .call("POST", "/v1/wallets/virtual", Some(wallet.clone()))
        .await;
    first.ok(201);
    a_api
        .call("POST", "/v1/wallets/virtual", Some(wallet))
        .await
        .err(422, "CONTRACT_LIMIT_REACHED");
}

/// A reserve floor a child may not set: (ratio, status, code), on either path a child sets it.
/// The default for a child is 1; it can raise it, not lower it, nor set an absurd ratio.
const REFUSED_RATIOS: [(&str, u16, &str); 4] = [
    ("0", 403, "FORBIDDEN"),
    ("0.99", 403, "FORBIDDEN"),
    ("11", 400, "INVALID_ARGUMENT"),
    ("9990000000000000000000000000", 400, "INVALID_ARGUMENT"),
];

/// Platform policy belongs to the parent, the reserve floor: a child cannot lower its own or set
/// an absurd ratio; the parent sets it; a child can raise it above, but not set its own policy,
/// and a sibling cannot; the root sets its own.
async fn policy_belongs_to_the_parent_reserve_floor(app: App) {
    let t = tree(&app).await;
    let (a, a_api, b_api) = (&t.a.0, &t.a.1, &t.b.1);
    let ratio = |r: &str| json!({"min_reserve_ratio": r});
    for (r, status, code) in REFUSED_RATIOS {
        for path in ["/v1/wallets/configuration", "/v1/management/configurations"] {
            a_api.put(path, ratio(r)).await.err(status, code);
        }
    }
    let own = "/v1/wallets/configuration";
    a_api.put(own, ratio("1.5")).await.ok(200);
    let policy = format!("/v1/management/clients/{a}/policy");
    t.root.put(&policy, ratio("2")).await.ok(200);
    let conf = a_api.get(own).await;
    let conf = conf.ok(200);
    assert_eq!(conf["min_reserve_ratio"], "2", "{conf}");
    a_api.put(own, ratio("1.5")).await.err(403, "FORBIDDEN");
    a_api.put(own, ratio("3")).await.ok(200);
    a_api.put(&policy, ratio("0")).await.err(403, "FORBIDDEN");
    b_api.put(&policy, ratio("0")).await.err(404, "NOT_FOUND");
    // The root sets its own.
    t.root.put(own, ratio("0")).await.ok(200);
}

/// Seven holding credits near the limit of Decimal, then a deposit: a 400 INVALID_AMOUNT with
/// the books unchanged, never a dropped connection.
async fn an_amount_beyond_what_the_books_hold_is_refused_and_changes_nothing(app: App) {
    let acc = app.account("a").await;
    let (w1, a1) = app.wallet(&acc, "ethereum").await;
    let (w2, _) = app.wallet(&acc, "ethereum").await;
    let huge = "9990000000000000000000000000";
    for i in 0..7 {
        let to = if i % 2 == 0 { &w1 } else { &w2 };
        let body = json!({"to_wallet_id": to, "token": "USDT", "amount": huge});
        let r = app
            .post("/v1/wallets/holding/ethereum/transfer", body)
            .await;
        assert!(r.status == 201 || r.status == 400, "{}", r.json);
    }
    let before = (app.total(&w1).await, app.total(&w2).await);
    let deposit = json!({"address": a1, "token": "USDT", "amount": huge, "tx": "big"});
    app.post("/v1/simulate/deposit", deposit)
        .await
        .err(400, "INVALID_AMOUNT");
    assert_eq!((app.total(&w1).await, app.total(&w2).await), before);
    app.get("/v1/wallets/holding/ethereum/reserve")
        .await
        .ok(200);
}

crate::on_both!(
    each_key_lists_its_own_client_and_the_ones_below,
    reaching_outside_the_tree_is_not_found_and_changes_nothing,
    a_parent_manages_its_child_and_no_client_renames_itself,
    keys_and_new_clients_never_get_a_permission_their_creator_lacks,
    a_new_client_without_named_permissions_gets_its_creators_less_management,
    retiring_a_client_retires_the_keys_of_its_subtree,
    policy_belongs_to_the_parent_contracted_products,
    policy_belongs_to_the_parent_reserve_floor,
    an_amount_beyond_what_the_books_hold_is_refused_and_changes_nothing,
);
