//! Client management: the operations catalog, blockchains, configuration, contract, API keys and child clients.

use crate::host::api::extract::Shared;
use crate::host::api::management::api_keys::__path_create_key;
use crate::host::api::management::api_keys::__path_list_keys;
use crate::host::api::management::api_keys::__path_revoke_key;
use crate::host::api::management::api_keys::create_key;
use crate::host::api::management::api_keys::list_keys;
use crate::host::api::management::api_keys::revoke_key;
use crate::host::api::management::catalog::__path_blockchains;
use crate::host::api::management::catalog::__path_operations;
use crate::host::api::management::catalog::blockchains;
use crate::host::api::management::catalog::operations;
use crate::host::api::management::child_clients::__path_create_client;
use crate::host::api::management::child_clients::__path_list_clients;
use crate::host::api::management::child_clients::create_client;
use crate::host::api::management::child_clients::list_clients;
use crate::host::api::management::configuration::__path_get_config;
use crate::host::api::management::configuration::__path_put_config;
use crate::host::api::management::configuration::get_config;
use crate::host::api::management::configuration::put_config;
use crate::host::api::management::contract::__path_get_contract;
use crate::host::api::management::contract::__path_put_contract;
use crate::host::api::management::contract::get_contract;
use crate::host::api::management::contract::put_contract;
use serde::Serialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Permission;

pub(crate) mod api_keys;
pub(crate) mod catalog;
pub(crate) mod child_clients;
pub(crate) mod configuration;
pub(crate) mod contract;

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
