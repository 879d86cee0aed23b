//! HTTP routes: authorize with the core's catalog, run the operation in one database transaction
//! around the core's ledger, answer JSON. No business rule lives here.

use super::error::ApiError;
use super::page::{self, Page, PageQuery};
use super::store::{col, new_id, now_ms, opt_col, Work};
use super::{AppState, Settings};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use schema::{Deleted, IdempotencyKey, Listed, PermissionName};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::{self, Environment, KeyBinding, KeyHash, Permission, StoredKey};
use waas_core::automation::RuleOutcome;
use waas_core::ledger::{Balance, Contract, Ledger, Route};
use waas_core::webhook::Status;
use waas_core::{Address, Amount, ErrorCode};

mod access_levels;
mod accounts;
mod card_funding;
mod cards;
mod clients;
mod deposits;
pub(crate) mod edits;
mod extract;
mod freezes;
mod holding;
pub(crate) mod holds;
pub(crate) mod journal;
mod management;
mod rules;
pub(crate) mod schema;
mod settings;
mod simulate;
mod transactions;
mod treasury;
mod users;
mod virtual_batch;
mod virtual_wallets;
mod webhook_config;
mod webhooks;
mod withdrawals;

pub(crate) use access_levels::*;
pub(crate) use accounts::*;
pub(crate) use cards::*;
pub(crate) use clients::*;
pub(crate) use extract::*;
pub(crate) use holding::*;
pub(crate) use management::*;
pub(crate) use rules::*;
pub(crate) use settings::*;
pub(crate) use simulate::*;
pub(crate) use transactions::*;
pub(crate) use treasury::*;
pub(crate) use users::*;
pub(crate) use virtual_wallets::*;
pub(crate) use webhook_config::*;
pub(crate) use webhooks::*;

type Shared = Arc<AppState>;
type ApiResult = Result<Response, ApiError>;
/// The query of a list without filters.
type PageQ = Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>;

/// Who is calling: the client the key belongs to.
pub struct Caller {
    /// The key's client.
    pub client_id: String,
    /// The key's environment.
    pub environment: Environment,
    /// What the key may do.
    pub permissions: std::collections::BTreeSet<Permission>,
}

/// All routes of the API, with the OpenAPI document their handlers declare.
pub fn router(state: Shared) -> Router {
    let (routes, typed) = OpenApiRouter::new()
        .merge(management_routes())
        .merge(accounts_routes())
        .merge(virtual_wallets_routes())
        .merge(transactions_routes())
        .merge(rules_routes())
        .merge(holding_routes())
        .merge(webhooks_routes())
        .merge(simulate_routes())
        .merge(treasury_routes())
        .merge(cards_routes())
        .merge(webhook_config_routes())
        .merge(card_funding::routes())
        .merge(withdrawals::routes())
        .merge(edits::routes())
        .merge(freezes::routes())
        .merge(deposits::routes())
        .merge(holds::routes())
        .merge(journal::routes())
        .merge(virtual_batch::routes())
        .merge(clients_routes())
        .merge(access_levels_routes())
        .merge(users_routes())
        .merge(settings_routes())
        .split_for_parts();
    let document = Arc::new(super::openapi::document(typed));
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
        .fallback(not_found_route)
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

pub(crate) fn num(d: rust_decimal::Decimal) -> String {
    if d.is_zero() {
        "0".to_owned()
    } else {
        d.normalize().to_string()
    }
}
