//! The OpenAPI document, generated from the core's operations catalog (paths, methods,
//! permissions) so that the document and the authorization rules cannot drift apart.

use serde_json::{json, Map, Value};
use waas_core::access::OPERATIONS;

/// The OpenAPI 3.1 document served at /openapi.json.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let params: Vec<Value> = op
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut operation = json!({
            "operationId": op.id,
            "summary": op.description,
            "tags": [op.id.split('.').next().unwrap_or("api")],
            "security": [{"ApiKey": []}],
            "x-permission": op.permission,
            "x-sandbox-only": op.sandbox_only,
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                "400": {"$ref": "#/components/responses/Error"},
                "401": {"$ref": "#/components/responses/Error"},
                "403": {"$ref": "#/components/responses/Error"},
                "404": {"$ref": "#/components/responses/Error"},
                "409": {"$ref": "#/components/responses/Error"},
                "422": {"$ref": "#/components/responses/Error"},
            },
        });
        if matches!(op.method, "POST" | "PUT" | "PATCH") {
            operation["requestBody"] =
                json!({"content": {"application/json": {"schema": {"type": "object"}}}});
            if let Some(p) = operation["parameters"].as_array_mut() {
                p.push(json!({"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}));
            }
        }
        let entry = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        entry[op.method.to_ascii_lowercase()] = operation;
    }
    paths.insert("/healthz".into(), json!({"get": {"operationId": "healthz", "summary": "Liveness", "responses": {"200": {"description": "OK"}}}}));
    json!({
        "openapi": "3.1.0",
        "info": {"title": "waas reference host", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Wallet-as-a-service API. Amounts are decimal strings. Errors are {\"error\":{\"code\",\"message\"}} with the core's stable codes."},
        "paths": paths,
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
            },
            "responses": {"Error": {"description": "An error with a stable code", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        },
    })
}
