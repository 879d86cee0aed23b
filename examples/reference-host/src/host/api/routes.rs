//! Where each operation of the core's catalog is served: its HTTP method and path, read from the
//! handlers' own declarations (utoipa's `path` and `operation_id`), so that the router, the
//! OpenAPI document and this table cannot disagree, and the core knows nothing of HTTP.

use serde_json::Value;
use std::collections::BTreeMap;
use waas_core::access::Operation;

/// The HTTP route of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Its method, upper case (`GET`, `POST`, ...).
    pub method: String,
    /// Its path, with `{placeholders}`.
    pub path: String,
}

/// The route of every operation of the catalog.
#[derive(Debug, Clone)]
pub struct Routes(BTreeMap<Operation, Route>);

/// The methods an OpenAPI path item may hold.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

impl Routes {
    /// Reads the routes from an OpenAPI document's `paths`: every `operationId` under `/v1/` must
    /// be an operation of the catalog, each once, and every operation of the catalog must be
    /// there (the handler of an operation is what declares its route).
    pub fn from_document(doc: &Value) -> Result<Routes, String> {
        let mut routes = BTreeMap::new();
        let paths = doc["paths"]
            .as_object()
            .ok_or("the document has no paths")?;
        for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/v1/")) {
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let id = operation["operationId"].as_str().unwrap_or_default();
                let op = Operation::from_id(id).ok_or_else(|| {
                    format!("{method} {path}: {id:?} is no operation of the catalog")
                })?;
                let route = Route {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                };
                if let Some(before) = routes.insert(op, route) {
                    return Err(format!(
                        "{id} is served twice ({} {} and {method} {path})",
                        before.method, before.path
                    ));
                }
            }
        }
        let missing: Vec<&str> = Operation::ALL
            .iter()
            .filter(|op| !routes.contains_key(op))
            .map(|op| op.id())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "operations of the catalog without a handler: {missing:?}"
            ));
        }
        Ok(Routes(routes))
    }

    /// The route of `op` (every operation has one: [`Routes::from_document`] checks it).
    pub fn of(&self, op: Operation) -> &Route {
        &self.0[&op]
    }

    /// Every operation with its route, in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = (Operation, &Route)> {
        self.0.iter().map(|(op, r)| (*op, r))
    }
}

/// The routes the API's handlers declare: what [`super::router`] serves.
pub fn operation_routes() -> Routes {
    let (_, typed) = super::api_routes().split_for_parts();
    Routes::from_document(&serde_json::to_value(&typed).unwrap_or_default())
        .unwrap_or_else(|e| panic!("the handlers and the catalog disagree: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_operation_has_one_route_and_every_route_an_operation() {
        let routes = operation_routes();
        assert_eq!(routes.iter().count(), Operation::ALL.len());
        let distinct: BTreeSet<(&str, &str)> = routes
            .iter()
            .map(|(_, r)| (r.method.as_str(), r.path.as_str()))
            .collect();
        assert_eq!(
            distinct.len(),
            Operation::ALL.len(),
            "one operation per route"
        );
        let r = routes.of(Operation::VirtualWalletsCreate);
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/v1/wallets/virtual")
        );
    }

    #[test]
    fn an_unknown_or_missing_operation_is_named() {
        let doc = serde_json::json!({"paths": {"/v1/x": {"get": {"operationId": "nope"}}}});
        assert!(Routes::from_document(&doc)
            .unwrap_err()
            .contains("\"nope\""));
        let doc = serde_json::json!({"paths": {"/v1/accounts": {"get": {"operationId": "accounts.list"}}}});
        assert!(Routes::from_document(&doc)
            .unwrap_err()
            .contains("without a handler"));
    }
}
