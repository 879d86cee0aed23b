//! Client management: the operations catalog, blockchains, configuration, contract, API keys and child clients.

use super::*;

mod api_keys;
mod catalog;
mod child_clients;
mod configuration;
mod contract;

pub(crate) use api_keys::*;
pub(crate) use catalog::*;
pub(crate) use child_clients::*;
pub(crate) use configuration::*;
pub(crate) use contract::*;

/// Routes of this module.
pub(crate) fn management_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(operations))
        .routes(routes!(blockchains))
        .routes(routes!(get_config, put_config))
        .routes(routes!(get_contract, put_contract))
        .routes(routes!(list_keys, create_key))
        .routes(routes!(revoke_key))
        .routes(routes!(list_clients, create_client))
}

/// A value of the core as its JSON text (e.g. an enum's serde name).
pub(crate) fn serde_text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(t)) => t,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Permissions as their names.
pub(crate) fn permission_names<'a>(p: impl IntoIterator<Item = &'a Permission>) -> Vec<String> {
    p.into_iter().map(|p| p.as_str().to_owned()).collect()
}
