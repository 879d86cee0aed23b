//! The served /openapi.json against the core's catalog and the router: every operation of the
//! catalog is documented at its path and method, nothing else is documented, every request body
//! and success response has a schema with properties, creates answer 201, and an operation that
//! honours Idempotency-Key declares it.

use crate::app::App;
use serde_json::Value;
use std::collections::BTreeSet;
use waas_host::host::api::routes::operation_routes;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// A schema with properties, following `$ref`s and `allOf`/`oneOf`/`anyOf`.
fn has_properties(doc: &Value, schema: &Value) -> bool {
    let mut s = schema;
    for _ in 0..20 {
        match s["$ref"].as_str() {
            Some(r) => s = &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
            None => break,
        }
    }
    if s["properties"].as_object().is_some_and(|p| !p.is_empty()) {
        return true;
    }
    ["allOf", "oneOf", "anyOf"].iter().any(|k| {
        s[*k].as_array().is_some_and(|parts| {
            parts
                .iter()
                .filter(|p| p["type"] != "null")
                .all(|p| has_properties(doc, p))
        })
    })
}

async fn the_document_is_the_catalog_typed(app: App) {
    let doc = app.send(None, "GET", "/openapi.json", &[], None).await;
    let doc = doc.ok(200);
    assert_eq!(doc["openapi"], "3.1.0");

    let catalog: BTreeSet<(String, String, String)> = operation_routes()
        .iter()
        .map(|(op, route)| {
            (
                route.path.clone(),
                route.method.to_ascii_lowercase(),
                op.id().to_owned(),
            )
        })
        .collect();
    let mut documented = BTreeSet::new();
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            // What every server has beside the API (no key, no catalog entry).
            if ["/healthz", "/readyz", "/metrics", "/openapi.json"].contains(&path.as_str()) {
                assert_eq!(op["security"], serde_json::json!([]), "{path}");
                continue;
            }
            documented.insert((path.clone(), method.to_owned(), id.clone()));
            typing_problems(doc, &id, op, &mut problems);
            error_problems(&id, op, &mut problems);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let missing: Vec<_> = catalog.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&catalog).collect();
    assert!(
        missing.is_empty(),
        "in the catalog, not documented: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "documented, not in the catalog: {extra:?}"
    );
}

/// What operation `id` (`op` of the document) lacks in its types: a request body or a success
/// response without properties, no success response, a create that does not answer 201.
fn typing_problems(doc: &Value, id: &str, op: &Value, problems: &mut Vec<String>) {
    if let Some(body) = op.get("requestBody") {
        let schema = &body["content"]["application/json"]["schema"];
        if !has_properties(doc, schema) {
            problems.push(format!("{id}: request body without properties"));
        }
    }
    let successes: Vec<(&String, &Value)> = op["responses"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(status, _)| status.starts_with('2'))
        .collect();
    if successes.is_empty() {
        problems.push(format!("{id}: no success response"));
    }
    for (status, answer) in successes {
        for (kind, content) in answer["content"].as_object().into_iter().flatten() {
            let schema = &content["schema"];
            let typed = if kind == "application/json" {
                has_properties(doc, schema)
            } else {
                // A stream of JSON Lines: each line's schema has properties.
                has_properties(doc, &schema["items"]) || has_properties(doc, schema)
            };
            if !typed {
                problems.push(format!("{id}: {status} {kind} without properties"));
            }
        }
    }
    let creates = id.ends_with(".create") || id.ends_with(".batch_create");
    if creates && op["responses"].get("201").is_none() {
        problems.push(format!("{id}: a create that does not answer 201"));
    }
}

/// Every keyed operation can be refused for its key, and each error status answers the envelope
/// with the codes of that status this operation can give: what operation `id` lacks of that.
fn error_problems(id: &str, op: &Value, problems: &mut Vec<String>) {
    for status in ["400", "401", "403", "429", "500"] {
        if op["responses"].get(status).is_none() {
            problems.push(format!("{id}: {status} not documented"));
        }
    }
    for (status, answer) in op["responses"].as_object().unwrap() {
        if status.starts_with('2') {
            continue;
        }
        let error = &answer["content"]["application/json"]["schema"]["properties"]["error"];
        let codes = error["allOf"][1]["properties"]["code"]["enum"].as_array();
        if error["allOf"][0]["$ref"] != "#/components/schemas/ErrorDetail"
            || codes.is_none_or(|c| c.is_empty())
        {
            problems.push(format!("{id}: {status} is not the envelope with its codes"));
        }
    }
}

crate::on_both!(the_document_is_the_catalog_typed);
