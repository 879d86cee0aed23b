//! Keys and permissions over every route of the catalog.

use crate::app::App;
use waas_core::access::Operation;
use waas_host::host::api::routes::operation_routes;

async fn without_a_key_every_operation_is_unauthorized(app: App) {
    for (op, route) in operation_routes().iter() {
        let path = route.path.replace('{', "x").replace('}', "");
        let r = app.send(None, &route.method, &path, &[], None).await;
        assert_eq!(r.status, 401, "{op}: {}", r.json);
    }
}

async fn a_key_without_the_permission_is_forbidden(app: App) {
    let reader = app.key_with(&["ACCOUNTS_READ"]).await;
    app.send(Some(&reader), "GET", "/v1/accounts", &[], None)
        .await
        .ok(200);
    let r = app
        .send(
            Some(&reader),
            "POST",
            "/v1/accounts",
            &[],
            Some(serde_json::json!({"name": "x"})),
        )
        .await;
    r.err(403, "FORBIDDEN");
}

async fn the_served_catalog_names_each_operation_with_its_route(app: App) {
    let listed = app.get("/v1/management/operations").await;
    let listed = listed.ok(200)["operations"].as_array().unwrap().clone();
    assert_eq!(listed.len(), Operation::ALL.len());
    let create = listed
        .iter()
        .find(|o| o["id"] == "virtual_wallets.create")
        .unwrap();
    assert_eq!(
        (&create["method"], &create["path"]),
        (
            &serde_json::json!("POST"),
            &serde_json::json!("/v1/wallets/virtual")
        )
    );
    assert_eq!(create["permission"], "WALLETS_WRITE");
}

/// A path of `route` with every placeholder filled by an id that exists nowhere.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "x_unknown"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn every_operation_needs_its_permission_and_no_other(app: App) {
    // For each permission: a key with only it, and a key with every permission that does not
    // grant it.
    let mut exact = std::collections::BTreeMap::new();
    let mut all_but = std::collections::BTreeMap::new();
    for p in waas_core::access::Permission::ALL {
        exact.insert(p, app.key_with(&[p.as_str()]).await);
        let others: Vec<&str> = waas_core::access::Permission::ALL
            .iter()
            .filter(|q| !q.grants(p))
            .map(|q| q.as_str())
            .collect();
        all_but.insert(p, app.key_with(&others).await);
    }
    for (op, route) in operation_routes().iter() {
        let path = concrete(&route.path);
        let permission = op.spec().permission;
        let body = matches!(route.method.as_str(), "POST" | "PUT" | "PATCH")
            .then(|| serde_json::json!({}));
        let junk = app
            .send(
                Some("waas_test_nope"),
                &route.method,
                &path,
                &[],
                body.clone(),
            )
            .await;
        assert_eq!(junk.status, 401, "{op} with a junk key: {}", junk.json);
        let wrong = app
            .send(
                Some(&all_but[&permission]),
                &route.method,
                &path,
                &[],
                body.clone(),
            )
            .await;
        assert_eq!(
            (wrong.status, wrong.json["error"]["code"].as_str()),
            (403, Some("FORBIDDEN")),
            "{op} without {permission}: {}",
            wrong.json
        );
        let right = app
            .send(Some(&exact[&permission]), &route.method, &path, &[], body)
            .await;
        assert!(
            right.status != 401 && right.status != 403,
            "{op} with {permission}: {}",
            right.json
        );
        assert!(
            right.status < 300 || right.json["error"]["code"].is_string(),
            "{op} answered an error without a code: {} {}",
            right.status,
            right.json
        );
    }
}

async fn a_live_key_cannot_touch_a_sandbox_host(app: App) {
    let live = "waas_live_0000000000000000000000000000000000000000000000000000000000000000";
    app.send(Some(live), "GET", "/v1/wallets/virtual", &[], None)
        .await
        .err(401, "UNAUTHORIZED");
}

crate::on_both!(
    without_a_key_every_operation_is_unauthorized,
    a_key_without_the_permission_is_forbidden,
    the_served_catalog_names_each_operation_with_its_route,
    every_operation_needs_its_permission_and_no_other,
    a_live_key_cannot_touch_a_sandbox_host,
);
