//! HTTP routes: authorize with the core's catalog, run the operation in one database transaction
//! around the core's ledger, answer JSON. No business rule lives here.

use super::error::ApiError;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;

pub(crate) mod access_levels;
pub(crate) mod accounts;
pub(crate) mod card_funding;
pub(crate) mod cards;
pub(crate) mod clients;
pub(crate) mod deposits;
pub(crate) mod edits;
pub(crate) mod error_codes;
pub(crate) mod extract;
pub(crate) mod freezes;
pub(crate) mod holding;
pub(crate) mod holds;
pub(crate) mod journal;
pub(crate) mod management;
pub mod routes;
pub(crate) mod rules;
pub(crate) mod schema;
pub(crate) mod settings;
pub(crate) mod simulate;
pub(crate) mod transactions;
pub(crate) mod treasury;
pub(crate) mod users;
pub(crate) mod virtual_batch;
pub(crate) mod virtual_cards;
pub(crate) mod virtual_wallets;
pub(crate) mod webhook_config;
pub(crate) mod webhooks;
pub(crate) mod withdrawals;

/// Every operation's handler, with the OpenAPI declarations utoipa keeps of them.
pub(crate) fn api_routes() -> OpenApiRouter<extract::Shared> {
    OpenApiRouter::new()
        .merge(management::management_routes())
        .merge(accounts::accounts_routes())
        .merge(virtual_wallets::virtual_wallets_routes())
        .merge(transactions::transactions_routes())
        .merge(rules::rules_routes())
        .merge(holding::holding_routes())
        .merge(webhooks::webhooks_routes())
        .merge(simulate::simulate_routes())
        .merge(treasury::treasury_routes())
        .merge(cards::cards_routes())
        .merge(virtual_cards::virtual_cards_routes())
        .merge(webhook_config::webhook_config_routes())
        .merge(card_funding::routes())
        .merge(withdrawals::routes())
        .merge(edits::routes())
        .merge(freezes::routes())
        .merge(deposits::routes())
        .merge(holds::routes())
        .merge(journal::routes())
        .merge(virtual_batch::routes())
        .merge(clients::clients_routes())
        .merge(access_levels::access_levels_routes())
        .merge(users::users_routes())
        .merge(settings::settings_routes())
}

/// All routes of the API, with the OpenAPI document their handlers declare.
pub fn router(state: extract::Shared) -> Router {
    let (routes, typed) = api_routes().split_for_parts();
    let typed = serde_json::to_value(&typed).unwrap_or_default();
    // A handler whose operation id is not the catalog's, or an operation without a handler, is a
    // bug this refuses to start with (routes::tests proves the tree has none).
    let table = Arc::new(
        routes::Routes::from_document(&typed)
            .unwrap_or_else(|e| panic!("the handlers and the catalog disagree: {e}")),
    );
    let document = Arc::new(super::openapi::document(typed, &table));
    routes
        .route("/healthz", get(healthz))
        .route(
            "/openapi.json",
            get(move || {
                let document = Arc::clone(&document);
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .merge(super::ops::routes())
        .merge(super::dashboard::routes())
        .fallback(not_found_route)
        .layer(axum::Extension(table))
        .layer(axum::middleware::from_fn(super::ops::route_label))
        // A path served for other methods: axum's 405 with its Allow header, given the JSON
        // envelope (METHOD_NOT_ALLOWED) by the protocol guard.
        .with_state(state)
}

pub(crate) async fn not_found_route() -> ApiError {
    ApiError::not_found("no such route")
}

pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}
