//! The OpenAPI 3.1 document served at /openapi.json: the paths, parameters, bodies and statuses
//! the handlers declare (utoipa, from their Rust types), with what the core's operations catalog
//! says of each (permission, sandbox only, summary) and what every operation shares (the API key,
//! `X-Request-Id`, `Idempotency-Key`, the error envelope with the core's codes).

use super::api::error_codes::{self, Takes};
use super::api::routes::{Route, Routes};
use super::api::schema::{ErrorBody, ErrorDetail};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::PartialSchema;
use waas_core::access::ApiOperation;
use waas_core::ErrorCode;

/// The document: the handlers' own declarations (`typed`, utoipa's document as JSON), completed
/// from the catalog for each operation's route.
pub fn document(typed: Value, routes: &Routes) -> Value {
    let mut paths = typed["paths"].as_object().cloned().unwrap_or_default();
    for (op, route) in routes.iter() {
        if let Some(declared) = declared(&mut paths, route) {
            complete(declared, op.spec());
        }
    }
    for (path, operation) in operator_paths() {
        paths.insert(path.into(), operation);
    }
    let mut schemas = typed["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for item in paths.values_mut() {
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|i| i.values_mut())
        {
            body_required(operation, &schemas);
        }
    }
    for (op, route) in routes.iter() {
        if let Some(operation) = declared(&mut paths, route) {
            let codes = error_codes::of(op.spec(), &route.path, &takes(operation, &schemas));
            if let Some(responses) = operation["responses"].as_object_mut() {
                add_errors(responses, &codes);
            }
        }
    }
    schemas.insert("ErrorBody".into(), json!(ErrorBody::schema()));
    let mut detail = json!(ErrorDetail::schema());
    detail["properties"]["code"]["enum"] = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    detail["properties"]["detail"] = detail_schema();
    schemas.insert("ErrorDetail".into(), detail);
    json!({
        "openapi": "3.1.0",
        "info": {"title": "waas reference host", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Wallet-as-a-service API. Amounts are decimal strings. Errors are {\"error\":{\"code\",\"message\",\"request_id\"}} with the core's stable codes."},
        "security": [{"ApiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "schemas": schemas,
            "responses": {"Error": {"description": "A refusal with a stable code",
                "headers": {"X-Request-Id": request_id_header()},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}},
        },
    })
}

/// The operation a handler declared at `route`.
fn declared<'p>(paths: &'p mut Map<String, Value>, route: &Route) -> Option<&'p mut Value> {
    paths
        .get_mut(&route.path)
        .and_then(|item| item.get_mut(route.method.to_ascii_lowercase()))
}

/// A JSON body is required exactly when its schema requires a field (or is one of several
/// forms): the host reads an empty body as `{}` (`extract::body`), so a body of optional fields
/// may be left out.
fn body_required(operation: &mut Value, schemas: &Map<String, Value>) {
    let Some(body) = operation.get_mut("requestBody") else {
        return;
    };
    let mut schema = &body["content"]["application/json"]["schema"];
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        schema = schemas.get(name).unwrap_or(&Value::Null);
    }
    let required = schema["required"].as_array().is_some_and(|r| !r.is_empty())
        || ["oneOf", "anyOf", "allOf"]
            .iter()
            .any(|k| schema[*k].is_array());
    body["required"] = Value::Bool(required);
}

/// What every server has beside the API, without a key: liveness, readiness, metrics, this
/// document.
fn operator_paths() -> [(&'static str, Value); 4] {
    let status = |what: &str| {
        json!({"description": what, "headers": {"X-Request-Id": request_id_header()},
            "content": {"application/json": {"schema": {"type": "object",
                "required": ["status"], "properties": {"status": {"type": "string"}}}}}})
    };
    let error = json!({"$ref": "#/components/responses/Error"});
    [
        (
            "/healthz",
            json!({"get": {"operationId": "healthz", "summary": "Liveness: the process answers",
                "tags": ["operations"], "security": [],
                "responses": {"200": status("The process answers")}}}),
        ),
        (
            "/readyz",
            json!({"get": {"operationId": "readyz", "summary": "Readiness: the database answers",
                "tags": ["operations"], "security": [],
                "responses": {"200": status("Ready"), "503": error}}}),
        ),
        (
            "/metrics",
            json!({"get": {"operationId": "metrics",
                "summary": "Requests by route and status, latencies, batch sizes, outbox and chain scanner (Prometheus text)",
                "tags": ["operations"], "security": [],
                "responses": {"200": {"description": "The Prometheus text exposition format 0.0.4",
                    "headers": {"X-Request-Id": request_id_header()},
                    "content": {"text/plain": {"schema": {"type": "string"}}}}}}}),
        ),
        (
            "/openapi.json",
            json!({"get": {"operationId": "openapi", "summary": "This document (OpenAPI 3.1)",
                "tags": ["operations"], "security": [],
                "responses": {"200": {"description": "The document",
                    "headers": {"X-Request-Id": request_id_header()},
                    "content": {"application/json": {"schema": {"type": "object",
                        "required": ["openapi", "paths"],
                        "properties": {"openapi": {"type": "string"}, "paths": {"type": "object"}}}}}}}}}),
        ),
    ]
}

/// The figures of a rule's refusal (`waas_core::Detail`): one object per `kind`, amounts as
/// decimal strings.
fn detail_schema() -> Value {
    let kind = |name: &str, what: &str, fields: [(&str, &str); 2]| {
        let mut properties = Map::new();
        properties.insert("kind".into(), json!({"type": "string", "enum": [name]}));
        for (field, about) in fields {
            properties.insert(
                field.into(),
                json!({"type": "string", "description": about, "example": "10"}),
            );
        }
        json!({"type": "object", "description": what, "required": ["kind", fields[0].0, fields[1].0],
            "properties": properties})
    };
    json!({"description": "The figures of a rule's refusal, when it has them", "oneOf": [
        kind("shortfall", "An amount needed against what there is (INSUFFICIENT_FUNDS)",
            [("needed", "What the operation needs"), ("available", "What there is")]),
        kind("reserve", "The reserve a holding wallet must keep against what it would keep (RESERVE_RATIO_VIOLATION)",
            [("required", "min_reserve_ratio x liabilities"), ("would_keep", "What it would keep")]),
        kind("limit", "A limit and the figure that reached or passed it (CONTRACT_LIMIT_REACHED, SPENDING_LIMIT_EXCEEDED)",
            [("limit", "The limit"), ("value", "The figure asked for or in use")]),
        kind("minimum", "A minimum and the figure below it, in USD (BELOW_MINIMUM_DEPOSIT)",
            [("minimum", "The minimum"), ("value", "The figure below it")]),
    ]})
}

fn request_id_header() -> Value {
    json!({"description": "The request's id: the X-Request-Id sent, or one made by the host",
        "schema": {"type": "string"}})
}

/// Adds to an operation the handler declared what the catalog and the host say of it.
fn complete(operation: &mut Value, op: &ApiOperation) {
    let Some(o) = operation.as_object_mut() else {
        return;
    };
    o.entry("summary")
        .or_insert_with(|| Value::String(op.description.to_owned()));
    o.insert("x-permission".into(), json!(op.permission));
    o.insert("x-sandbox-only".into(), json!(op.sandbox_only));
    let params = o
        .entry("parameters")
        .or_insert_with(|| json!([]))
        .as_array_mut();
    if let Some(params) = params {
        params.extend(shared_parameters(op));
    }
    let responses = o.entry("responses").or_insert_with(|| json!({}));
    if let Some(responses) = responses.as_object_mut() {
        for answer in responses.values_mut() {
            if let Some(a) = answer.as_object_mut() {
                a.entry("headers")
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .map(|h| h.insert("X-Request-Id".into(), request_id_header()));
            }
        }
    }
}

/// What an operation takes, from its parameters and body (the body's fields resolved through
/// `$ref`s and `oneOf`/`anyOf`/`allOf`).
fn takes(o: &Value, schemas: &Map<String, Value>) -> Takes {
    let params = o["parameters"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let body = o.get("requestBody");
    let mut fields: BTreeSet<String> = params
        .iter()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    if let Some(body) = body {
        field_names(
            &body["content"]["application/json"]["schema"],
            schemas,
            &mut fields,
            0,
        );
    }
    Takes {
        idempotency_key: params.iter().any(|p| p["name"] == "Idempotency-Key"),
        input: body.is_some() || !fields.is_empty(),
        fields,
    }
}

/// The property names of a schema, following references and combinations a few levels deep.
fn field_names(
    schema: &Value,
    schemas: &Map<String, Value>,
    out: &mut BTreeSet<String>,
    depth: u8,
) {
    if depth > 8 {
        return;
    }
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        if let Some(target) = schemas.get(name) {
            field_names(target, schemas, out, depth + 1);
        }
        return;
    }
    out.extend(
        schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone()),
    );
    for key in ["oneOf", "anyOf", "allOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            field_names(part, schemas, out, depth + 1);
        }
    }
}

/// `X-Request-Id` on every operation (an operation that honours `Idempotency-Key` declares it:
/// [`IdempotencyKey`](super::api::schema::IdempotencyKey)).
fn shared_parameters(_op: &ApiOperation) -> Vec<Value> {
    vec![
        json!({"name": "X-Request-Id", "in": "header", "required": false,
        "description": "An id for this request, echoed and logged: taken when it is 1 to 128 letters, digits, `-`, `_` or `.`, made up otherwise",
        "schema": {"type": "string"}}),
    ]
}

/// One response per error status the operation can answer, each naming its codes: the envelope
/// with `error.code` limited to them.
fn add_errors(responses: &mut Map<String, Value>, codes: &[ErrorCode]) {
    let mut by_status: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for code in codes {
        by_status
            .entry(super::error::http_status(*code))
            .or_default()
            .push(code.as_str());
    }
    for (status, codes) in by_status {
        responses.entry(status.to_string()).or_insert_with(|| {
            json!({
                "description": format!("Refused: {}", codes.join(", ")),
                "headers": {"X-Request-Id": request_id_header()},
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"allOf": [
                        {"$ref": "#/components/schemas/ErrorDetail"},
                        {"type": "object", "properties": {"code": {"type": "string", "enum": codes}}},
                    ]}},
                }}},
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document the router serves.
    fn served() -> Value {
        let (_, typed) = crate::host::api::api_routes().split_for_parts();
        let typed = serde_json::to_value(&typed).expect("json");
        let routes = Routes::from_document(&typed).expect("routes");
        document(typed, &routes)
    }

    #[test]
    fn every_error_code_is_in_the_envelope() {
        let doc = served();
        let codes = doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["enum"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
    }

    /// The codes an error response allows, by status.
    fn documented(op: &Value) -> BTreeMap<String, Vec<String>> {
        op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(status, _)| !status.starts_with('2'))
            .map(|(status, answer)| {
                let schema = &answer["content"]["application/json"]["schema"];
                let codes = schema["properties"]["error"]["allOf"][1]["properties"]["code"]["enum"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect();
                (status.clone(), codes)
            })
            .collect()
    }

    #[test]
    fn each_operation_names_its_own_codes_under_their_statuses() {
        let doc = served();
        let create = documented(&doc["paths"]["/v1/accounts"]["post"]);
        assert!(create["409"].contains(&"ALREADY_EXISTS".to_owned()));
        assert!(create["401"].contains(&"UNAUTHORIZED".to_owned()));
        let catalog = documented(&doc["paths"]["/v1/management/operations"]["get"]);
        assert!(
            !catalog.contains_key("404"),
            "it names nothing that could be missing"
        );
        let transfer = documented(&doc["paths"]["/v1/wallets/virtual/{id}/transfer"]["post"]);
        assert!(transfer["422"].contains(&"INSUFFICIENT_FUNDS".to_owned()));
        assert!(!transfer["422"].contains(&"RESERVE_RATIO_VIOLATION".to_owned()));
        assert!(transfer["404"].contains(&"NOT_FOUND".to_owned()));
        let holding =
            documented(&doc["paths"]["/v1/wallets/holding/{blockchain}/withdraw"]["post"]);
        assert!(holding["422"].contains(&"RESERVE_RATIO_VIOLATION".to_owned()));
        for (status, codes) in &transfer {
            for code in codes {
                let known = ErrorCode::ALL.iter().find(|c| c.as_str() == code).unwrap();
                assert_eq!(
                    crate::host::error::http_status(*known).to_string(),
                    *status,
                    "{code}"
                );
            }
        }
    }
}
