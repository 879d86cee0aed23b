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
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use waas_core::access::{self, Environment, KeyBinding, KeyHash, Permission, StoredKey};
use waas_core::automation::RuleOutcome;
use waas_core::ledger::{Balance, Contract, Ledger, Route};
use waas_core::webhook::Status;
use waas_core::{Address, Amount, ErrorCode};

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

/// All routes of the API.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
        .route("/v1/management/operations", get(operations))
        .route("/v1/management/blockchains", get(blockchains))
        .route(
            "/v1/management/configurations",
            get(get_config).put(put_config),
        )
        .route(
            "/v1/management/contracted-products",
            get(get_contract).put(put_contract),
        )
        .route("/v1/management/api-keys", get(list_keys).post(create_key))
        .route("/v1/management/api-keys/{id}", delete(revoke_key))
        .route(
            "/v1/management/clients",
            get(list_clients).post(create_client),
        )
        .route("/v1/tokens", get(tokens))
        .route("/v1/accounts", get(list_accounts).post(create_account))
        .route("/v1/accounts/{id}", get(get_account))
        .route(
            "/v1/wallets/virtual",
            get(list_virtual).post(create_virtual),
        )
        .route("/v1/wallets/virtual/{id}", get(get_virtual))
        .route("/v1/wallets/virtual/{id}/balance", get(get_virtual_balance))
        .route("/v1/wallets/virtual/{id}/deactivate", post(deactivate))
        .route("/v1/wallets/virtual/{id}/activate", post(activate))
        .route("/v1/wallets/virtual/{id}/reactivate", post(reactivate))
        .route("/v1/wallets/virtual/{id}/transfer", post(transfer))
        .route("/v1/wallets/virtual/{id}/withdraw", post(withdraw))
        .route(
            "/v1/wallets/virtual/{id}/transactions",
            get(wallet_transactions),
        )
        .route(
            "/v1/wallets/virtual/{id}/rules",
            get(list_rules).post(add_rule),
        )
        .route(
            "/v1/wallets/virtual/{id}/rules/{rule_id}",
            delete(remove_rule),
        )
        .route("/v1/wallets/holding", get(list_holdings))
        .route("/v1/wallets/holding/{blockchain}", get(get_holding))
        .route("/v1/wallets/holding/{blockchain}/balance", get(get_holding))
        .route("/v1/wallets/holding/{blockchain}/reserve", get(get_reserve))
        .route(
            "/v1/wallets/holding/{blockchain}/withdraw",
            post(holding_withdraw),
        )
        .route(
            "/v1/wallets/holding/{blockchain}/transfer",
            post(holding_transfer),
        )
        .route("/v1/transactions", get(list_transactions))
        .route("/v1/transactions/{id}", get(get_transaction))
        .route("/v1/webhooks/deliveries", get(list_deliveries))
        .route("/v1/webhooks/deliveries/{id}/redeliver", post(redeliver))
        .route("/v1/simulate/deposit", post(simulate_deposit))
        .route("/v1/simulate/confirm", post(simulate_confirm))
        .route("/v1/simulate/reorg", post(simulate_reorg))
        .merge(super::api_more::routes())
        .merge(super::card_funding::routes())
        .merge(super::withdrawals::routes())
        .merge(super::edits::routes())
        .merge(super::freezes::routes())
        .merge(super::deposits::routes())
        .merge(super::holds::routes())
        .merge(super::journal::routes())
        .merge(super::virtual_batch::routes())
        .merge(super::api_mgmt::routes())
        .merge(super::ops::routes())
        .fallback(not_found_route)
        .layer(axum::middleware::from_fn(super::ops::route_label))
        // A path served for other methods: axum's 405 with its Allow header, given the JSON
        // envelope (METHOD_NOT_ALLOWED) by the protocol guard.
        .with_state(state)
}

async fn not_found_route() -> ApiError {
    ApiError::not_found("no such route")
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn openapi() -> Json<Value> {
    Json(super::openapi::document())
}

/// API keys with the permissions of the access level each follows (`level_permissions`: its own
/// level, else its user's; NULL for a client key, a user without a level, a user or level gone).
pub(super) const KEYS_WITH_LEVELS: &str = "SELECT k.id, k.client_id, k.record, k.created_at, \
     k.user_id, k.access_level_id, l.permissions AS level_permissions FROM api_keys k \
     LEFT JOIN users u ON u.id = k.user_id AND u.client_id = k.client_id \
     LEFT JOIN access_levels l ON l.id = COALESCE(k.access_level_id, u.access_level_id) \
     AND l.client_id = k.client_id";

/// The permissions of an access level as stored (a JSON list); CORRUPT_RECORD when it cannot
/// be read.
pub(super) fn level_set(text: &str) -> Result<BTreeSet<Permission>, ApiError> {
    super::store::stored(text, "access level permissions")
}

/// The record of a row of [`KEYS_WITH_LEVELS`] as the key acts now (its effective permissions);
/// `None` for a record that cannot be read.
fn acting_key(row: &sqlx::any::AnyRow) -> Result<Option<StoredKey>, ApiError> {
    let level = opt_col(row, "level_permissions")?
        .map(|t| level_set(&t))
        .transpose()?;
    let key: StoredKey = super::store::stored(&col(row, "record")?, "API key record")?;
    Ok(Some(key.acting(level.as_ref())))
}

/// Authorizes the request's X-API-Key for an operation of the core's catalog.
pub async fn auth(
    state: &AppState,
    headers: &HeaderMap,
    operation: &str,
) -> Result<Caller, ApiError> {
    let presented = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let mut stored: Option<StoredKey> = None;
    let mut client_id = String::new();
    let mut limit_key = None;
    if let Some(text) = presented.filter(|t| !t.is_empty()) {
        let hash = KeyHash::of(text).to_hex();
        let now = std::time::Instant::now();
        limit_key = Some((hash.clone(), now));
        if let Some((client, key)) = state.key_cache.get(&hash, now) {
            client_id = client;
            stored = Some(key);
        } else if let Some(row) = sqlx::query(&format!("{KEYS_WITH_LEVELS} WHERE k.hash = $1"))
            .bind(&hash)
            .fetch_optional(state.store.reader())
            .await?
        {
            client_id = col(&row, "client_id")?;
            stored = acting_key(&row)?;
            if let Some(key) = &stored {
                state
                    .key_cache
                    .put(hash, client_id.clone(), key.clone(), now);
            }
        }
    }
    access::authorize(presented, stored.as_ref(), operation)?;
    // A valid key: its requests count against its rate.
    if let Some((hash, now)) = &limit_key {
        state
            .limiter
            .take(hash, *now)
            .map_err(ApiError::rate_limited)?;
    }
    let environment = stored.as_ref().map_or(state.environment, |s| s.environment);
    if environment != state.environment {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "a {environment:?} key cannot touch {:?} data",
                state.environment
            )
            .to_lowercase(),
        ));
    }
    Ok(Caller {
        client_id,
        environment,
        permissions: stored.map(|s| s.permissions).unwrap_or_default(),
    })
}

/// The body of a POST that takes no parameters: empty or `{}`; anything else is refused, so a
/// malformed or misdirected request changes nothing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NoBody {}

/// Parses a JSON body strictly: malformed JSON and unknown fields are INVALID_ARGUMENT.
pub(super) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return serde_json::from_slice(b"{}")
            .map_err(|e| ApiError::bad_request(format!("body: {e}")));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("body: {e}")))
}

pub(super) fn amount(field: &str, text: &str) -> Result<Amount, ApiError> {
    Amount::parse(text, waas_core::amount::MAX_DECIMALS).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidAmount,
            format!("{field}: {}", e.message()),
        )
    })
}

/// The Idempotency-Key of a POST, with a hash of what it was sent with.
pub(super) struct Idem {
    key: String,
    hash: String,
}

impl Idem {
    /// The Idempotency-Key.
    pub(super) fn key(&self) -> &str {
        &self.key
    }

    /// The hash of the request it came with.
    pub(super) fn hash(&self) -> &str {
        &self.hash
    }
}

pub(super) fn idem(
    headers: &HeaderMap,
    route: &str,
    bytes: &Bytes,
) -> Result<Option<Idem>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .ok_or_else(|| {
            ApiError::bad_request("Idempotency-Key must be 1 to 128 visible characters")
        })?;
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update([0]);
    h.update(bytes);
    Ok(Some(Idem {
        key: key.to_owned(),
        hash: hex::encode(h.finalize()),
    }))
}

/// The stored status and body for this Idempotency-Key, or DUPLICATE_OPERATION when it came with
/// other contents.
pub(super) async fn stored(
    w: &mut Work,
    idem: &Option<Idem>,
) -> Result<Option<(StatusCode, Value)>, ApiError> {
    let Some(i) = idem else { return Ok(None) };
    let row = sqlx::query(
        "SELECT request_hash, status, response FROM idempotency WHERE client_id = $1 AND key = $2",
    )
    .bind(&w.client_id)
    .bind(&i.key)
    .fetch_optional(&mut *w.tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if col(&row, "request_hash")? != i.hash {
        return Err(ApiError::new(
            ErrorCode::DuplicateOperation,
            "Idempotency-Key was already used with another request",
        ));
    }
    let status: i64 = row.try_get("status")?;
    let body: Value = super::store::stored(&col(&row, "response")?, "idempotent answer")?;
    let status =
        StatusCode::from_u16(u16::try_from(status).unwrap_or(200)).unwrap_or(StatusCode::OK);
    Ok(Some((status, body)))
}

/// A stored answer for this Idempotency-Key, or DUPLICATE_OPERATION when it came with other contents.
pub(super) async fn replay(
    w: &mut Work,
    idem: &Option<Idem>,
) -> Result<Option<Response>, ApiError> {
    Ok(stored(w, idem)
        .await?
        .map(|(status, body)| (status, Json(body)).into_response()))
}

/// Fields of an answer shown once and never stored (idempotent replays leave them out).
const SHOWN_ONCE: &[&str] = &["full_number", "api_key", "secret"];

/// Commits the operation, storing its answer under the Idempotency-Key.
pub(super) async fn finish(
    mut w: Work,
    idem: &Option<Idem>,
    status: StatusCode,
    body: Value,
    state: &AppState,
) -> ApiResult {
    if let Some(i) = idem {
        // What is shown once (a virtual card's full number, a key, a secret) is not kept for
        // replays: a retry answers the rest.
        let mut kept = body.clone();
        if let Value::Object(o) = &mut kept {
            for field in SHOWN_ONCE {
                o.remove(*field);
            }
        }
        sqlx::query("INSERT INTO idempotency (client_id, key, request_hash, status, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&w.client_id)
            .bind(&i.key)
            .bind(&i.hash)
            .bind(i64::from(status.as_u16()))
            .bind(kept.to_string())
            .bind(now_ms())
            .execute(&mut *w.tx)
            .await?;
    }
    w.commit().await?;
    state.outbox_notify.notify_one();
    Ok((status, Json(body)).into_response())
}

pub(super) fn num(d: rust_decimal::Decimal) -> String {
    if d.is_zero() {
        "0".to_owned()
    } else {
        d.normalize().to_string()
    }
}

pub(super) fn balances_json(balances: &BTreeMap<String, Balance>) -> Value {
    held_balances_json(balances, &BTreeMap::new())
}

/// Balances per token with what holds set aside: `available` is `total` minus `held`.
pub(super) fn held_balances_json(
    balances: &BTreeMap<String, Balance>,
    held: &BTreeMap<String, rust_decimal::Decimal>,
) -> Value {
    balances
        .iter()
        .map(|(t, b)| {
            let h = held.get(t).copied().unwrap_or_default();
            (
                t.clone(),
                json!({"available": num(b.total() - h), "held": num(h), "confirmed": num(b.confirmed()), "unconfirmed": num(b.unconfirmed()), "total": num(b.total())}),
            )
        })
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

// ---------- management ----------

async fn operations(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    auth(&s, &headers, "management.operations.list").await?;
    Ok(Json(json!({"operations": access::OPERATIONS})).into_response())
}

async fn blockchains(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    auth(&s, &headers, "management.blockchains.list").await?;
    Ok(Json(json!({"blockchains": s.store.registry().chains()})).into_response())
}

/// The client's settings, read inside an operation (under the client's lock).
pub(super) async fn settings_in(w: &mut Work) -> Result<Settings, ApiError> {
    let row = sqlx::query("SELECT body FROM settings WHERE client_id = $1")
        .bind(&w.client_id)
        .fetch_optional(&mut *w.tx)
        .await?;
    Ok(match row {
        Some(r) => Settings::from_body(&col(&r, "body")?, w.sealer())?,
        None => Settings::default(),
    })
}

/// Writes the client's settings inside an operation.
pub(super) async fn save_settings_in(w: &mut Work, st: &Settings) -> Result<(), ApiError> {
    sqlx::query("UPDATE settings SET body = $1 WHERE client_id = $2")
        .bind(st.to_body(w.sealer())?)
        .bind(&w.client_id)
        .execute(&mut *w.tx)
        .await?;
    if st.webhook_url.is_some() {
        // Events kept while the client had no endpoint are due again.
        sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE client_id = $2 AND delivered_at IS NULL AND next_attempt_at = $3")
            .bind(now_ms())
            .bind(&w.client_id)
            .bind(super::webhooks::PARKED)
            .execute(&mut *w.tx)
            .await?;
    }
    Ok(())
}

pub(super) async fn load_settings(s: &AppState, client_id: &str) -> Result<Settings, ApiError> {
    let row = sqlx::query("SELECT body FROM settings WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(s.store.reader())
        .await?;
    Ok(match row {
        Some(r) => Settings::from_body(&col(&r, "body")?, s.store.sealer())?,
        None => Settings::default(),
    })
}

pub(super) fn settings_json(st: &Settings, ledger: &Ledger) -> Value {
    let c = ledger.config();
    json!({
        "webhook_url": st.webhook_url,
        "webhook_key_set": st.webhook_key.is_some(),
        "webhook_secret_set": st.webhook_secret.is_some(),
        "webhook_events": st.webhook_events.clone().unwrap_or_else(|| vec![super::webhooks::subscriptions::ALL.to_owned()]),
        "webhook_disabled": Value::Null,
        "payment_addresses": st.payment_addresses,
        "usd_prices": st.usd_prices,
        "withdrawal_fees": st.withdrawal_fees,
        "withdrawal_allowlist": c.withdrawal_allowlist.as_ref().map(waas_core::allowlist::Allowlist::lists),
        "min_reserve_ratio": num(c.min_reserve_ratio),
        "min_deposit_usd": {
            "virtual_wallet": num(c.min_deposit_usd.virtual_wallet),
            "treasury": num(c.min_deposit_usd.treasury),
            "card": num(c.min_deposit_usd.card),
        },
    })
}

async fn get_config(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, "management.configurations.get").await?;
    let st = load_settings(&s, &caller.client_id).await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let mut out = settings_json(&st, &ledger);
    out["webhook_disabled"] = super::webhooks::disabled_notice(&s, &caller.client_id).await?;
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MinDeposits {
    virtual_wallet: Option<String>,
    treasury: Option<String>,
    card: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigUpdate {
    webhook_url: Option<String>,
    webhook_key: Option<String>,
    webhook_secret: Option<String>,
    webhook_events: Option<Vec<String>>,
    payment_addresses: Option<BTreeMap<String, String>>,
    usd_prices: Option<BTreeMap<String, String>>,
    min_reserve_ratio: Option<String>,
    min_deposit_usd: Option<MinDeposits>,
    /// `{"blockchain": ["address", ...]}` turns the allowlist on (and replaces it); `null` turns
    /// it off.
    #[serde(default, with = "super::edits::double_option")]
    withdrawal_allowlist: Option<Option<BTreeMap<String, Vec<String>>>>,
}

async fn put_config(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "management.configurations.update").await?;
    let u: ConfigUpdate = body(&bytes)?;
    let has_parent = !super::api_mgmt::ancestors(&s, &caller.client_id)
        .await?
        .unwrap_or_default()
        .is_empty();
    if has_parent && u.usd_prices.is_some() && caller.environment == Environment::Live {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "live prices are set by the parent client",
        ));
    }
    // Read, change and write the settings under the client's lock: concurrent updates of
    // different fields both land.
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut st = settings_in(&mut w).await?;
    let registry = s.store.registry();
    if let Some(url) = u.webhook_url {
        super::endpoint::check(&url, &s.endpoint_policy)?;
        st.webhook_url = Some(url);
    }
    if let Some(key) = u.webhook_key {
        if key.is_empty() {
            return Err(ApiError::bad_request("webhook_key cannot be empty"));
        }
        st.webhook_key = Some(key);
    }
    if let Some(secret) = u.webhook_secret {
        waas_core::webhook::WebhookSecret::parse(&secret)?;
        st.webhook_secret = Some(secret);
    }
    if let Some(events) = u.webhook_events {
        st.webhook_events = super::webhooks::subscriptions::parse(&events)?;
    }
    if let Some(addresses) = u.payment_addresses {
        for (chain, address) in addresses {
            let c = registry.chain(&chain)?;
            let a = Address::parse(c.family, &address)?;
            st.payment_addresses.insert(c.id.to_string(), a.to_string());
        }
    }
    if let Some(prices) = u.usd_prices {
        for (token, price) in prices {
            let p = amount("usd_prices", &price)?;
            st.usd_prices
                .insert(token.to_ascii_uppercase(), p.to_string());
        }
    }
    let mut config = w.ledger.config().clone();
    if let Some(r) = u.min_reserve_ratio {
        let r = amount("min_reserve_ratio", &r)?.as_decimal();
        access::check_reserve_ratio(r, st.floor(has_parent))?;
        config.min_reserve_ratio = r;
    }
    if let Some(m) = u.min_deposit_usd {
        if let Some(v) = m.virtual_wallet {
            config.min_deposit_usd.virtual_wallet =
                amount("min_deposit_usd.virtual_wallet", &v)?.as_decimal();
        }
        if let Some(v) = m.treasury {
            config.min_deposit_usd.treasury = amount("min_deposit_usd.treasury", &v)?.as_decimal();
        }
        if let Some(v) = m.card {
            config.min_deposit_usd.card = amount("min_deposit_usd.card", &v)?.as_decimal();
        }
    }
    if let Some(list) = u.withdrawal_allowlist {
        config.withdrawal_allowlist = list
            .map(|l| waas_core::allowlist::Allowlist::new(registry, &l))
            .transpose()?;
    }
    w.ledger.set_config(config)?;
    // Saving the configuration re-enables a disabled webhook endpoint (its parked events are
    // due again).
    super::webhooks::enable_in(&mut w.tx, &caller.client_id).await?;
    save_settings_in(&mut w, &st).await?;
    let out = settings_json(&st, &w.ledger);
    finish(w, &None, StatusCode::OK, out, &s).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ContractUpdate {
    max_virtual_wallets: Option<u32>,
    max_cards: Option<u32>,
    max_treasury_wallets: Option<u32>,
}

/// A client's contract and its usage: the counters kept with its terms, and its virtual wallets
/// counted by their rows (`virtual_wallets`, inactive ones included).
fn contract_json(ledger: &Ledger, client: &str, virtual_wallets: i64) -> Value {
    let c = ledger.contract_of(client);
    let books = ledger.client_books(client).cloned().unwrap_or_default();
    let active = i64::from(books.active_virtual_wallets);
    json!({
        "max_virtual_wallets": c.max_virtual_wallets,
        "max_cards": c.max_cards,
        "max_treasury_wallets": c.max_treasury_wallets,
        "usage": {"active_virtual_wallets": active, "inactive_virtual_wallets": (virtual_wallets - active).max(0), "cards": books.cards, "treasury_wallets": books.treasuries},
    })
}

/// How many virtual wallets a client has (active or not).
async fn virtual_count(conn: &mut sqlx::AnyConnection, client: &str) -> Result<i64, ApiError> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM wallets WHERE client_id = $1 AND kind = 'virtual'")
            .bind(client)
            .fetch_one(conn)
            .await?;
    Ok(row.try_get::<i64, _>("n")?)
}

async fn get_contract(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, "management.contracted_products.get").await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let mut conn = s.store.reader().acquire().await?;
    let n = virtual_count(&mut conn, &caller.client_id).await?;
    Ok(Json(contract_json(&ledger, &caller.client_id, n)).into_response())
}

async fn put_contract(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "management.contracted_products.update").await?;
    let u: ContractUpdate = body(&bytes)?;
    // Only the root client sets its own; others' are set by the clients above them
    // (`PUT /v1/management/clients/{id}/contracted-products`).
    let up = super::api_mgmt::ancestors(&s, &caller.client_id)
        .await?
        .unwrap_or_default();
    access::check_policy_setter(&caller.client_id, &caller.client_id, &up)?;
    set_contract(&s, &caller.client_id, u).await
}

/// Sets a client's contracted products (the caller has been checked).
pub(super) async fn set_contract(s: &AppState, client: &str, u: ContractUpdate) -> ApiResult {
    let mut w = s.store.begin(client).await?;
    let contract = Contract {
        max_virtual_wallets: u.max_virtual_wallets,
        max_cards: u.max_cards,
        max_treasury_wallets: u.max_treasury_wallets,
    };
    w.ledger.set_contract(client, contract)?;
    let n = virtual_count(&mut w.tx, client).await?;
    let out = contract_json(&w.ledger, client, n);
    finish(w, &None, StatusCode::OK, out, s).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyCreate {
    permissions: Option<Vec<String>>,
    user_id: Option<String>,
    access_level_id: Option<String>,
}

/// The permissions of the access level of a user of `client` (`None`: the user has none);
/// NOT_FOUND when the client has no such user.
async fn user_level(
    s: &AppState,
    client: &str,
    user: &str,
) -> Result<Option<BTreeSet<Permission>>, ApiError> {
    let row = sqlx::query(
        "SELECT u.id, l.permissions AS level_permissions FROM users u \
         LEFT JOIN access_levels l ON l.id = u.access_level_id AND l.client_id = u.client_id \
         WHERE u.id = $1 AND u.client_id = $2",
    )
    .bind(user)
    .bind(client)
    .fetch_optional(s.store.reader())
    .await?
    .ok_or_else(|| ApiError::not_found(format!("no user {user}")))?;
    opt_col(&row, "level_permissions")?
        .map(|t| level_set(&t))
        .transpose()
}

/// The permissions of an access level of `client`; NOT_FOUND when the client has no such level.
pub(super) async fn level_permissions(
    s: &AppState,
    client: &str,
    level: &str,
) -> Result<BTreeSet<Permission>, ApiError> {
    let row = sqlx::query("SELECT permissions FROM access_levels WHERE id = $1 AND client_id = $2")
        .bind(level)
        .bind(client)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no access level {level}")))?;
    level_set(&col(&row, "permissions")?)
}

/// A key as listed and created: its binding, its ceiling and what it acts with now.
fn key_json(id: &str, rec: &StoredKey, acting: &BTreeSet<Permission>) -> Value {
    json!({
        "id": id,
        "hint": rec.hint,
        "environment": rec.environment,
        "revoked": rec.revoked,
        "user_id": rec.binding.user_id(),
        "access_level_id": rec.binding.access_level_id(),
        "permissions": acting,
        "ceiling": rec.permissions,
    })
}

/// `POST /v1/management/api-keys` with exactly one of `permissions` (a client key with those),
/// `user_id` (a key of a user, following the user's level) or `access_level_id` (a key following
/// that level); a bound key's ceiling is what the calling key holds.
async fn create_key(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "management.api_keys.create").await?;
    let req: KeyCreate = body(&bytes)?;
    let given = [
        req.permissions.is_some(),
        req.user_id.is_some(),
        req.access_level_id.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(ApiError::bad_request(
            "give exactly one of permissions, user_id, access_level_id",
        ));
    }
    let (ceiling, binding, level) = if let Some(user_id) = req.user_id {
        let level = user_level(&s, &caller.client_id, &user_id).await?;
        access::levels::check_bound_key(&caller.permissions, level.as_ref())?;
        (
            caller.permissions.clone(),
            KeyBinding::User { user_id },
            level,
        )
    } else if let Some(access_level_id) = req.access_level_id {
        let level = level_permissions(&s, &caller.client_id, &access_level_id).await?;
        access::levels::check_bound_key(&caller.permissions, Some(&level))?;
        (
            caller.permissions.clone(),
            KeyBinding::Level { access_level_id },
            Some(level),
        )
    } else {
        let asked = req.permissions.unwrap_or_default();
        if asked.is_empty() {
            return Err(ApiError::bad_request("permissions: give at least one"));
        }
        let perms = asked
            .iter()
            .map(|p| Permission::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        access::check_grantable(&caller.permissions, &perms)?;
        (perms.into_iter().collect(), KeyBinding::Client, None)
    };
    let (key, mut record) = access::new_key(caller.environment, ceiling)?;
    record.binding = binding;
    let mut tx = s.store.pool().begin().await?;
    let id = super::insert_key(&mut tx, &caller.client_id, &record).await?;
    tx.commit().await?;
    let acting = access::effective_permissions(&record, level.as_ref());
    let mut out = key_json(&id, &record, &acting);
    out["key"] = json!(key.expose());
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

async fn list_keys(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, "management.api_keys.list").await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            &format!("SELECT * FROM ({KEYS_WITH_LEVELS}) keys WHERE client_id = $1"),
            &[&caller.client_id],
        )
        .await?;
    let mut keys = Vec::new();
    for r in rows {
        let rec: StoredKey = super::store::stored(&col(&r, "record")?, "API key record")?;
        let level = opt_col(&r, "level_permissions")?
            .map(|t| level_set(&t))
            .transpose()?;
        let acting = access::effective_permissions(&rec, level.as_ref());
        keys.push(key_json(&col(&r, "id")?, &rec, &acting));
    }
    Ok(Json(page::answer(keys, next)).into_response())
}

async fn revoke_key(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "management.api_keys.revoke").await?;
    let row = sqlx::query("SELECT record FROM api_keys WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no API key {id}")))?;
    let mut rec: StoredKey = super::store::stored(&col(&row, "record")?, "API key record")?;
    rec.revoked = true;
    sqlx::query("UPDATE api_keys SET record = $1 WHERE id = $2")
        .bind(serde_json::to_string(&rec).map_err(|e| ApiError::internal(e.to_string()))?)
        .bind(&id)
        .execute(s.store.pool())
        .await?;
    s.key_cache.clear();
    Ok(Json(json!({"id": id, "revoked": true})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientCreate {
    name: String,
    permissions: Option<Vec<String>>,
}

async fn create_client(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "management.clients.create").await?;
    let req: ClientCreate = body(&bytes)?;
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(ApiError::bad_request("name must be 1 to 200 characters"));
    }
    let asked = match req.permissions {
        Some(p) => Some(
            p.iter()
                .map(|p| Permission::parse(p))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let perms = access::new_client_permissions(&caller.permissions, asked.as_deref())?;
    let (id, key) = super::create_client(
        &s.store,
        Some(&caller.client_id),
        &req.name,
        caller.environment,
        perms.clone(),
        Settings::default(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "name": req.name, "parent_id": caller.client_id, "api_key": key.expose(), "permissions": perms})),
    )
        .into_response())
}

/// The caller's client and every client below it, in order of creation.
async fn list_clients(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, "management.clients.list").await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "WITH RECURSIVE tree(id) AS (SELECT id FROM clients WHERE id = $1 \
             UNION ALL SELECT c.id FROM clients c JOIN tree t ON c.parent_id = t.id) \
             SELECT id, name, parent_id, created_at FROM clients WHERE id IN (SELECT id FROM tree)",
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(json!({"id": col(&r, "id")?, "name": col(&r, "name")?, "parent_id": opt_col(&r, "parent_id")?, "created_at": r.try_get::<i64, _>("created_at")?}));
    }
    Ok(Json(page::answer(out, next)).into_response())
}

// ---------- tokens and accounts ----------

#[derive(Deserialize)]
struct TokenQuery {
    blockchain: Option<String>,
}

async fn tokens(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> ApiResult {
    auth(&s, &headers, "tokens.list").await?;
    let registry = s.store.registry();
    let tokens = registry.tokens(q.blockchain.as_deref())?;
    Ok(Json(json!({"tokens": tokens})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountCreate {
    name: String,
}

async fn create_account(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "accounts.create").await?;
    let req: AccountCreate = body(&bytes)?;
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(ApiError::bad_request("name must be 1 to 200 characters"));
    }
    let idem = idem(&headers, "accounts.create", &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let id = new_id("acc");
    w.ledger.create_account(&caller.client_id, &id)?;
    sqlx::query("INSERT INTO accounts (id, client_id, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(&caller.client_id)
        .bind(&req.name)
        .bind(now_ms())
        .execute(&mut *w.tx)
        .await?;
    w.event(
        "ACCOUNT",
        "CREATED",
        &id,
        Status::Success,
        None,
        json!({"account_id": id, "name": req.name}),
    )?;
    finish(
        w,
        &idem,
        StatusCode::CREATED,
        json!({"id": id, "name": req.name}),
        &s,
    )
    .await
}

async fn list_accounts(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, "accounts.list").await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "SELECT id, name, created_at FROM accounts WHERE client_id = $1",
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(json!({"id": col(&r, "id")?, "name": col(&r, "name")?}));
    }
    Ok(Json(page::answer(out, next)).into_response())
}

async fn get_account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "accounts.get").await?;
    let row = sqlx::query("SELECT id, name FROM accounts WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no account {id}")))?;
    let wallets = sqlx::query("SELECT id, kind, blockchain, address FROM wallets WHERE account_id = $1 ORDER BY created_at")
        .bind(&id)
        .fetch_all(s.store.reader())
        .await?;
    let mut ws = Vec::new();
    for r in wallets {
        ws.push(json!({"id": col(&r, "id")?, "kind": col(&r, "kind")?, "blockchain": opt_col(&r, "blockchain")?, "address": opt_col(&r, "address")?}));
    }
    Ok(
        Json(json!({"id": col(&row, "id")?, "name": col(&row, "name")?, "wallets": ws}))
            .into_response(),
    )
}

// ---------- virtual wallets ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VirtualCreate {
    account_id: String,
    blockchain: String,
    alias: Option<String>,
}

/// The holding wallet of a client on a chain, created on first use: (account number, created).
pub(super) async fn ensure_holding(
    s: &AppState,
    w: &mut Work,
    chain: &str,
) -> Result<(u32, bool), ApiError> {
    let row =
        sqlx::query("SELECT account_number FROM holdings WHERE client_id = $1 AND blockchain = $2")
            .bind(&w.client_id)
            .bind(chain)
            .fetch_optional(&mut *w.tx)
            .await?;
    if let Some(r) = row {
        let n: i64 = r.try_get("account_number")?;
        return Ok((
            u32::try_from(n).map_err(|_| ApiError::internal("account number"))?,
            false,
        ));
    }
    let n: i64 = sqlx::query(
        "UPDATE counters SET value = value + 1 WHERE name = 'account_number' RETURNING value",
    )
    .fetch_one(&mut *w.tx)
    .await?
    .try_get("value")?;
    let account =
        u32::try_from(n - 1).map_err(|_| ApiError::internal("account numbers exhausted"))?;
    let family = s.store.registry().chain(chain)?.family;
    let address = s.keys.holding_address(family, account)?;
    let id = new_id("hld");
    sqlx::query("INSERT INTO holdings (client_id, blockchain, id, account_number, address, alias, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&w.client_id)
        .bind(chain)
        .bind(&id)
        .bind(n - 1)
        .bind(address.to_string())
        .bind(format!("{chain} holding wallet"))
        .bind(now_ms())
        .execute(&mut *w.tx)
        .await?;
    w.event(
        "HOLDING_WALLET",
        "CREATED",
        &id,
        Status::Success,
        None,
        json!({"id": id, "blockchain": chain, "address": address.to_string()}),
    )?;
    Ok((account, true))
}

async fn create_virtual(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.create").await?;
    let req: VirtualCreate = body(&bytes)?;
    let chain = s.store.registry().chain(&req.blockchain)?.clone();
    let idem = idem(&headers, "virtual_wallets.create", &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let id = new_id("vw");
    w.need_account(&req.account_id).await?;
    let created = w
        .ledger
        .create_virtual_wallet(&req.account_id, &id, chain.id.as_str())?;
    let (account, _) = ensure_holding(&s, &mut w, chain.id.as_str()).await?;
    let address = s
        .keys
        .deposit_address(chain.family, account, created.index)?;
    sqlx::query("INSERT INTO wallets (id, client_id, account_id, kind, blockchain, address, derivation_index, alias, created_at) VALUES ($1, $2, $3, 'virtual', $4, $5, $6, $7, $8)")
        .bind(&id)
        .bind(&caller.client_id)
        .bind(&req.account_id)
        .bind(chain.id.as_str())
        .bind(address.to_string())
        .bind(i64::from(created.index))
        .bind(&req.alias)
        .bind(now_ms())
        .execute(&mut *w.tx)
        .await?;
    let out = json!({
        "id": id, "address": address.to_string(), "index": created.index, "blockchain": chain.id.as_str(),
        "account_id": req.account_id, "alias": req.alias, "status": "active", "holding_created": created.holding_created,
    });
    w.event(
        "VIRTUAL_WALLET",
        "CREATED",
        &id,
        Status::Success,
        None,
        out.clone(),
    )?;
    let client_id = w.client_id.clone();
    let response = finish(w, &idem, StatusCode::CREATED, out, &s).await?;
    // Committed: the chain adapter watches the new address from now on.
    if let Some(evm) = s.evm.as_ref().filter(|e| e.chain_id() == chain.id.as_str()) {
        evm.watch(
            &address.to_string(),
            super::evm::index::Watched {
                client_id,
                wallet_id: id,
                kind: "virtual".to_owned(),
            },
        );
    }
    Ok(response)
}

pub(super) async fn wallet_row(
    s: &AppState,
    client_id: &str,
    id: &str,
    kind: &str,
) -> Result<sqlx::any::AnyRow, ApiError> {
    sqlx::query("SELECT id, account_id, blockchain, address, derivation_index, alias, status, flags, held FROM wallets WHERE id = $1 AND client_id = $2 AND kind = $3")
        .bind(id)
        .bind(client_id)
        .bind(kind)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no {kind} wallet {id}")))
}

/// A wallet as its row and balance rows hold it.
pub(super) fn wallet_json(
    row: &sqlx::any::AnyRow,
    balances: Option<&BTreeMap<String, Balance>>,
) -> Result<Value, ApiError> {
    let empty = BTreeMap::new();
    let flags: Value = super::store::stored(&col(row, "flags")?, "wallet flags")?;
    let held: BTreeMap<String, rust_decimal::Decimal> = opt_col(row, "held")?
        .map(|h| super::store::stored(&h, "held amounts"))
        .transpose()?
        .unwrap_or_default();
    Ok(json!({
        "id": col(row, "id")?,
        "account_id": opt_col(row, "account_id")?,
        "blockchain": opt_col(row, "blockchain")?,
        "address": opt_col(row, "address")?,
        "index": row.try_get::<Option<i64>, _>("derivation_index")?,
        "alias": opt_col(row, "alias")?,
        "status": col(row, "status")?,
        "flags": flags,
        "balances": held_balances_json(balances.unwrap_or(&empty), &held),
    }))
}

/// The balances (token -> balance) of wallets, from their balance rows.
pub(super) async fn wallet_balances(
    s: &AppState,
    client: &str,
    ids: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, Balance>>, ApiError> {
    let accounts: Vec<String> = ids.iter().map(|id| format!("wallet:{id}")).collect();
    let mut rows = super::journal::balances_of(s.store.reader(), client, &accounts).await?;
    Ok(ids
        .iter()
        .filter_map(|id| {
            rows.remove(&format!("wallet:{id}"))
                .map(|b| (id.clone(), b))
        })
        .collect())
}

async fn get_virtual(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.get").await?;
    let row = wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    let balances = wallet_balances(&s, &caller.client_id, std::slice::from_ref(&id)).await?;
    Ok(Json(wallet_json(&row, balances.get(&id))?).into_response())
}

async fn get_virtual_balance(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<super::journal::AtQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.balance").await?;
    let at = super::journal::at_query(q)?;
    let row = wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    if let Some(at) = at {
        let account = format!("wallet:{id}");
        let balances = super::journal::balances_at(&s, &caller.client_id, &account, at).await?;
        let at = super::journal::rfc3339(at);
        return Ok(Json(json!({"id": id, "at": at, "balances": balances})).into_response());
    }
    let balances = wallet_balances(&s, &caller.client_id, std::slice::from_ref(&id)).await?;
    let empty = BTreeMap::new();
    let held: BTreeMap<String, rust_decimal::Decimal> = opt_col(&row, "held")?
        .map(|h| super::store::stored(&h, "held amounts"))
        .transpose()?
        .unwrap_or_default();
    Ok(Json(json!({
        "id": id, "status": col(&row, "status")?,
        "balances": held_balances_json(balances.get(&id).unwrap_or(&empty), &held),
    }))
    .into_response())
}

/// `GET /v1/wallets/virtual` query: a page, and the filters of virtual wallets.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VirtualListQuery {
    limit: Option<i64>,
    cursor: Option<String>,
    blockchain: Option<String>,
    status: Option<String>,
    account_id: Option<String>,
}

async fn list_virtual(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<VirtualListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.list").await?;
    let q = page::query(q)?;
    let page = Page::new(q.limit, q.cursor.as_deref())?;
    let chain = match &q.blockchain {
        Some(c) => s.store.registry().chain(c)?.id.to_string(),
        None => String::new(),
    };
    let status = q.status.clone().unwrap_or_default();
    if !matches!(status.as_str(), "" | "active" | "inactive" | "frozen") {
        return Err(ApiError::bad_request(
            "status must be active, inactive or frozen",
        ));
    }
    let account = q.account_id.clone().unwrap_or_default();
    let (rows, next) = page
        .fetch(
            s.store.reader(),
            "SELECT id, account_id, blockchain, address, derivation_index, alias, status, flags, held, created_at FROM wallets \
             WHERE client_id = $1 AND kind = 'virtual' AND ($2 = '' OR blockchain = $2) AND ($3 = '' OR status = $3) AND ($4 = '' OR account_id = $4)",
            &[&caller.client_id, &chain, &status, &account],
        )
        .await?;
    let ids = rows
        .iter()
        .map(|r| col(r, "id"))
        .collect::<Result<Vec<_>, _>>()?;
    let balances = wallet_balances(&s, &caller.client_id, &ids).await?;
    let mut out = Vec::new();
    for (r, id) in rows.iter().zip(&ids) {
        out.push(wallet_json(r, balances.get(id))?);
    }
    Ok(Json(page::answer(out, next)).into_response())
}

async fn lifecycle(
    s: Shared,
    headers: HeaderMap,
    id: String,
    bytes: Bytes,
    op: &str,
    activate: bool,
) -> ApiResult {
    let caller = auth(&s, &headers, op).await?;
    let NoBody {} = body(&bytes)?;
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_wallets(&[&id]).await?;
    if activate {
        w.ledger.activate(&id)?;
    } else {
        w.ledger.deactivate(&id)?;
    }
    let status = w.ledger.wallet(&id)?.status.as_str();
    let sub = if activate {
        "REACTIVATED"
    } else {
        "DEACTIVATED"
    };
    w.event(
        "VIRTUAL_WALLET",
        sub,
        &new_id("op"),
        Status::Success,
        None,
        json!({"wallet_id": id, "status": status}),
    )?;
    finish(
        w,
        &None,
        StatusCode::OK,
        json!({"id": id, "status": status}),
        &s,
    )
    .await
}

async fn deactivate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    lifecycle(s, headers, id, bytes, "virtual_wallets.deactivate", false).await
}

async fn activate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    lifecycle(s, headers, id, bytes, "virtual_wallets.activate", true).await
}

async fn reactivate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    lifecycle(s, headers, id, bytes, "virtual_wallets.reactivate", true).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferReq {
    to_wallet_id: String,
    token: String,
    amount: String,
}

/// The movement id: the Idempotency-Key when given (reserved `rule:` prefix refused), else new.
pub(super) fn movement_id(w: &mut Work, idem: &Option<Idem>) -> Result<String, ApiError> {
    match idem {
        Some(i) if i.key.starts_with("rule:") => Err(ApiError::bad_request(
            "Idempotency-Key may not start with 'rule:' (reserved for automation)",
        )),
        Some(i) => Ok(i.key.clone()),
        None => Ok(w.fresh_movement_id()),
    }
}

async fn transfer(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.transfer").await?;
    let req: TransferReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let idem = idem(&headers, &format!("transfer:{id}"), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, &idem)?;
    w.remember_movement(&mid).await?;
    w.need_wallets(&[&id, &req.to_wallet_id]).await?;
    let m = w
        .ledger
        .transfer(&mid, &id, &req.to_wallet_id, &req.token, amt)?;
    let out = json!({"id": mid, "type": "transfer", "from_wallet_id": id, "to_wallet_id": req.to_wallet_id, "token": token_of(&m), "amount": amt.to_string(), "status": "completed"});
    let row = MovementRow {
        wallet: &id,
        counterparty: Some(&req.to_wallet_id),
        kind: "transfer",
        status: "completed",
        operation: "VIRTUAL_WALLET",
        sub_operation: "TRANSFER",
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}

/// Where a money movement is listed and announced.
pub(super) struct MovementRow<'a> {
    /// The wallet the transaction row belongs to.
    pub wallet: &'a str,
    /// The receiving wallet, listed too.
    pub counterparty: Option<&'a str>,
    /// Transaction type.
    pub kind: &'a str,
    /// Transaction status.
    pub status: &'a str,
    /// Webhook operation.
    pub operation: &'a str,
    /// Webhook sub-operation.
    pub sub_operation: &'a str,
}

/// Records a movement's transaction row and webhook event, then commits with the answer.
#[allow(clippy::too_many_arguments)]
pub(super) async fn settle_movement(
    s: &AppState,
    mut w: Work,
    idem: &Option<Idem>,
    mid: &str,
    m: &waas_core::ledger::Movement,
    amt: Amount,
    row: MovementRow<'_>,
    out: Value,
) -> ApiResult {
    let token = token_of(m);
    w.upsert_transaction_to(
        mid,
        Some(row.wallet),
        row.counterparty,
        row.kind,
        row.status,
        Some(&token),
        Some(&amt.to_string()),
        &out,
    )
    .await?;
    w.event(
        row.operation,
        row.sub_operation,
        mid,
        Status::Success,
        None,
        out.clone(),
    )?;
    finish(w, idem, StatusCode::CREATED, out, s).await
}

pub(super) fn token_of(m: &waas_core::ledger::Movement) -> String {
    m.token().to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WithdrawReq {
    to_address: String,
    token: String,
    amount: String,
    fee: Option<String>,
}

async fn withdraw(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.withdraw").await?;
    let req: WithdrawReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let fee = match &req.fee {
        Some(f) => amount("fee", f)?,
        None => Amount::ZERO,
    };
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    let idem = idem(&headers, &format!("withdraw:{id}"), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, &idem)?;
    w.remember_movement(&mid).await?;
    w.need_wallets(&[&id]).await?;
    let chain = w.ledger.wallet(&id)?.blockchain.clone().unwrap_or_default();
    let registry = s.store.registry();
    let owner = super::withdrawals::owner_of(&mut w, registry, &chain, &req.to_address).await?;
    match w.ledger.withdrawal_route(&id, &owner)? {
        Route::Chain => {}
        route => {
            return settle_internally(&s, w, &idem, &mid, &id, &req, amt, route).await;
        }
    }
    let fee = super::withdrawals::fee_for(&mut w, registry, &chain, &req.token, Some(fee), amt)
        .await?
        .fee;
    let m = w
        .ledger
        .withdraw(&mid, &id, &req.to_address, &req.token, amt, fee)?;
    let to = match &m {
        waas_core::ledger::Movement::Withdraw { to_address, .. } => to_address.clone(),
        _ => req.to_address.clone(),
    };
    let out = json!({"id": mid, "type": "withdrawal", "wallet_id": id, "blockchain": chain, "to_address": to, "token": token_of(&m), "amount": amt.to_string(), "fee": fee.to_string(), "status": "pending"});
    let row = MovementRow {
        wallet: &id,
        counterparty: None,
        kind: "withdrawal",
        status: "pending",
        operation: "VIRTUAL_WALLET",
        sub_operation: "WITHDRAWAL_PENDING",
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}

/// A withdrawal to an address of the client's own (another virtual wallet, its holding wallet)
/// settled at once without a chain transaction or network fee, marked `internal`.
#[allow(clippy::too_many_arguments)]
async fn settle_internally(
    s: &AppState,
    mut w: Work,
    idem: &Option<Idem>,
    mid: &str,
    id: &str,
    req: &WithdrawReq,
    amt: Amount,
    route: Route,
) -> ApiResult {
    let (m, to_wallet) = match &route {
        Route::Transfer(to) => {
            w.need_wallets(&[to]).await?;
            (
                w.ledger.transfer(mid, id, to, &req.token, amt)?,
                Some(to.clone()),
            )
        }
        _ => (w.ledger.return_to_holding(mid, id, &req.token, amt)?, None),
    };
    let chain = w.ledger.wallet(id)?.blockchain.clone();
    let out = json!({"id": mid, "type": "withdrawal", "wallet_id": id, "blockchain": chain, "to_address": req.to_address, "to_wallet_id": to_wallet, "to_holding": matches!(route, Route::Holding), "token": token_of(&m), "amount": amt.to_string(), "fee": "0", "status": "confirmed", "internal": true});
    let row = MovementRow {
        wallet: id,
        counterparty: to_wallet.as_deref(),
        kind: "withdrawal",
        status: "confirmed",
        operation: "VIRTUAL_WALLET",
        sub_operation: "WITHDRAWAL",
    };
    settle_movement(s, w, idem, mid, &m, amt, row, out).await
}

// ---------- automation rules ----------

async fn list_rules(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.rules.list").await?;
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    let rows =
        sqlx::query("SELECT body FROM rules WHERE client_id = $1 AND wallet_id = $2 ORDER BY seq")
            .bind(&caller.client_id)
            .bind(&id)
            .fetch_all(s.store.reader())
            .await?;
    let mut rules = Vec::with_capacity(rows.len());
    for r in rows {
        let rule: waas_core::automation::Rule =
            super::store::stored(&col(&r, "body")?, "ledger record")?;
        rules.push(waas_core::scenario::rule_json(&rule));
    }
    Ok(Json(json!({"rules": rules})).into_response())
}

async fn add_rule(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.rules.create").await?;
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    let mut v: Value = body(&bytes)?;
    let obj = v
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("body: a rule is a JSON object"))?;
    if obj.contains_key("wallet") {
        return Err(ApiError::new(
            ErrorCode::InvalidRule,
            "the wallet is the one in the path",
        ));
    }
    if !obj.contains_key("rule") {
        obj.insert("rule".into(), Value::String(new_id("rule")));
    }
    obj.insert("wallet".into(), Value::String(id.clone()));
    let rule = waas_core::scenario::parse_rule(v)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let target = waas_core::ledger::parts::rule_target(&rule).map(str::to_owned);
    w.need_wallets(&[&id, target.as_deref().unwrap_or(&id)])
        .await?;
    w.need_rule(&rule.id).await?;
    let rule = w.ledger.add_rule(rule)?;
    let out = waas_core::scenario::rule_json(&rule);
    finish(w, &None, StatusCode::CREATED, out, &s).await
}

async fn remove_rule(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((id, rule_id)): Path<(String, String)>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.rules.delete").await?;
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    let mut w = s.store.begin(&caller.client_id).await?;
    w.need_rule(&rule_id).await?;
    if !w
        .ledger
        .rules()
        .iter()
        .any(|r| *r.id == *rule_id && r.wallet == id)
    {
        return Err(ApiError::not_found(format!(
            "no rule {rule_id} on wallet {id}"
        )));
    }
    let rule = w.ledger.remove_rule(&rule_id)?;
    finish(
        w,
        &None,
        StatusCode::OK,
        json!({"removed": waas_core::scenario::rule_json(&rule)}),
        &s,
    )
    .await
}

// ---------- holding wallets ----------

async fn holding_row(
    s: &AppState,
    client_id: &str,
    chain: &str,
) -> Result<sqlx::any::AnyRow, ApiError> {
    let chain = s.store.registry().chain(chain)?.id.to_string();
    sqlx::query("SELECT id, blockchain, address, alias, account_number FROM holdings WHERE client_id = $1 AND blockchain = $2")
        .bind(client_id)
        .bind(&chain)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no holding wallet on {chain} yet: it opens with the first virtual wallet")))
}

fn reserve_json(r: &waas_core::reserve::ReserveReport) -> Value {
    json!({
        "holding": num(r.holding), "in_transit": num(r.in_transit), "liabilities": num(r.liabilities),
        "ratio": r.ratio.map(num), "leverage": num(r.leverage), "withdrawable": num(r.withdrawable),
    })
}

fn holding_reports(ledger: &Ledger, client: &str, chain: &str) -> Result<(Value, Value), ApiError> {
    let prefix = format!("{client}/{chain}/");
    let mut balances = serde_json::Map::new();
    let mut reserve = serde_json::Map::new();
    for (key, r) in ledger.reserves()? {
        if let Some(token) = key.strip_prefix(&prefix) {
            balances.insert(token.to_owned(), Value::String(num(r.holding)));
            reserve.insert(token.to_owned(), reserve_json(&r));
        }
    }
    Ok((balances.into(), reserve.into()))
}

async fn get_holding(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.get").await?;
    let row = holding_row(&s, &caller.client_id, &chain).await?;
    let chain = col(&row, "blockchain")?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let (balances, reserve) = holding_reports(&ledger, &caller.client_id, &chain)?;
    // The account xpub the deposit addresses of its virtual wallets derive from (index = the
    // wallet's `index`): anyone can check an address the API shows; it never reveals a key.
    let family = s.store.registry().chain(&chain)?.family;
    let account = u32::try_from(sqlx::Row::try_get::<i64, _>(&row, "account_number")?)
        .map_err(|_| ApiError::internal("account number out of range"))?;
    let xpub = s.keys.xpub(family, account)?.to_string();
    Ok(Json(json!({
        "id": col(&row, "id")?, "alias": col(&row, "alias")?, "address": col(&row, "address")?,
        "blockchain": chain, "balances": balances, "reserve": reserve, "xpub": xpub,
    }))
    .into_response())
}

async fn get_reserve(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.reserve").await?;
    let row = holding_row(&s, &caller.client_id, &chain).await?;
    let chain = col(&row, "blockchain")?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let (_, reserve) = holding_reports(&ledger, &caller.client_id, &chain)?;
    Ok(Json(json!({"blockchain": chain, "reserve": reserve})).into_response())
}

async fn list_holdings(State(s): State<Shared>, headers: HeaderMap, q: PageQ) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.list").await?;
    let q = page::query(q)?;
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            "SELECT id, blockchain, address, alias, created_at FROM holdings WHERE client_id = $1",
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(json!({"id": col(&r, "id")?, "blockchain": col(&r, "blockchain")?, "address": col(&r, "address")?, "alias": col(&r, "alias")?}));
    }
    Ok(Json(page::answer(out, next)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldingWithdrawReq {
    token: String,
    amount: String,
    /// Without it, the client's payment destination for the chain.
    to_address: Option<String>,
}

async fn holding_withdraw(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.withdraw").await?;
    let req: HoldingWithdrawReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let row = holding_row(&s, &caller.client_id, &chain).await?;
    let chain = col(&row, "blockchain")?;
    let holding_id = col(&row, "id")?;
    let idem = idem(&headers, &format!("holding_withdraw:{chain}"), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, &idem)?;
    w.remember_movement(&mid).await?;
    let client = w.client_id.clone();
    let settings = settings_in(&mut w).await?;
    let to_address = waas_core::ledger::holding_destination(
        req.to_address.as_deref(),
        settings.payment_addresses.get(&chain).map(String::as_str),
    )?;
    let registry = s.store.registry();
    let owner = super::withdrawals::owner_of(&mut w, registry, &chain, &to_address).await?;
    waas_core::ledger::check_holding_route(&chain, &owner)?;
    let m = w
        .ledger
        .holding_withdraw(&mid, &client, &chain, &req.token, amt, &to_address)?;
    let to = match &m {
        waas_core::ledger::Movement::HoldingWithdraw { to_address, .. } => to_address.clone(),
        _ => to_address.clone(),
    };
    let out = json!({"id": mid, "type": "holding_withdrawal", "holding_id": holding_id, "blockchain": chain, "to_address": to, "token": token_of(&m), "amount": amt.to_string(), "status": "pending"});
    let row = MovementRow {
        wallet: &holding_id,
        counterparty: None,
        kind: "holding_withdrawal",
        status: "pending",
        operation: "HOLDING_WALLET",
        sub_operation: "WITHDRAWAL_PENDING",
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}

async fn holding_transfer(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(chain): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "holding_wallets.transfer").await?;
    let req: TransferReq = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let row = holding_row(&s, &caller.client_id, &chain).await?;
    let chain = col(&row, "blockchain")?;
    let target = wallet_row(&s, &caller.client_id, &req.to_wallet_id, "virtual").await?;
    if opt_col(&target, "blockchain")?.as_deref() != Some(chain.as_str()) {
        return Err(ApiError::bad_request(format!(
            "wallet {} is not on {chain}",
            req.to_wallet_id
        )));
    }
    let idem = idem(&headers, &format!("holding_transfer:{chain}"), &bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    if let Some(r) = replay(&mut w, &idem).await? {
        return Ok(r);
    }
    let mid = movement_id(&mut w, &idem)?;
    w.remember_movement(&mid).await?;
    w.need_wallets(&[&req.to_wallet_id]).await?;
    let m = w
        .ledger
        .holding_credit(&mid, &req.to_wallet_id, &req.token, amt)?;
    let out = json!({"id": mid, "type": "holding_transfer", "blockchain": chain, "to_wallet_id": req.to_wallet_id, "token": token_of(&m), "amount": amt.to_string(), "status": "completed"});
    let row = MovementRow {
        wallet: &req.to_wallet_id,
        counterparty: None,
        kind: "holding_transfer",
        status: "completed",
        operation: "HOLDING_WALLET",
        sub_operation: "TRANSFER",
    };
    settle_movement(&s, w, &idem, &mid, &m, amt, row, out).await
}

// ---------- transactions ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TxQuery {
    /// The wallet (or card) whose transactions are listed.
    pub(super) wallet_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    limit: Option<i64>,
    cursor: Option<String>,
    blockchain: Option<String>,
    account_id: Option<String>,
    token: Option<String>,
}

pub(super) async fn query_transactions(
    s: &AppState,
    client: &str,
    q: TxQuery,
) -> Result<Value, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("limit must be 1 to 500"));
    }
    let before = match &q.cursor {
        Some(c) => c
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request("cursor is not valid"))?,
        None => i64::MAX,
    };
    let chain = match &q.blockchain {
        Some(c) => s.store.registry().chain(c)?.id.to_string(),
        None => String::new(),
    };
    let rows = sqlx::query(
        "SELECT id, seq, wallet_id, type, status, token, amount, created_at, updated_at, body FROM transactions \
         WHERE client_id = $1 AND seq < $2 AND ($3 = '' OR wallet_id = $4 OR counterparty_id = $5) \
         AND ($6 = '' OR type = $7) AND ($8 = '' OR status = $9) AND created_at >= $10 AND created_at <= $11 \
         AND ($13 = '' OR token = $13) \
         AND ($14 = '' OR wallet_id IN (SELECT id FROM wallets WHERE client_id = $1 AND blockchain = $14)) \
         AND ($15 = '' OR wallet_id IN (SELECT id FROM wallets WHERE client_id = $1 AND account_id = $15)) \
         ORDER BY seq DESC LIMIT $12",
    )
    .bind(client)
    .bind(before)
    .bind(q.wallet_id.clone().unwrap_or_default())
    .bind(q.wallet_id.clone().unwrap_or_default())
    .bind(q.wallet_id.clone().unwrap_or_default())
    .bind(q.kind.clone().unwrap_or_default())
    .bind(q.kind.clone().unwrap_or_default())
    .bind(q.status.clone().unwrap_or_default())
    .bind(q.status.clone().unwrap_or_default())
    .bind(q.from.unwrap_or(0))
    .bind(q.to.unwrap_or(i64::MAX))
    .bind(limit)
    .bind(q.token.as_deref().map(str::to_ascii_uppercase).unwrap_or_default())
    .bind(chain)
    .bind(q.account_id.clone().unwrap_or_default())
    .fetch_all(s.store.reader())
    .await?;
    let mut out = Vec::new();
    let mut last = None;
    for r in &rows {
        last = Some(r.try_get::<i64, _>("seq")?);
        out.push(tx_json(r)?);
    }
    let next = if i64::try_from(rows.len()).unwrap_or(0) == limit {
        last.map(|l| l.to_string())
    } else {
        None
    };
    Ok(page::answer(out, next))
}

fn tx_json(r: &sqlx::any::AnyRow) -> Result<Value, ApiError> {
    Ok(json!({
        "id": col(r, "id")?, "wallet_id": opt_col(r, "wallet_id")?, "type": col(r, "type")?, "status": col(r, "status")?,
        "token": opt_col(r, "token")?, "amount": opt_col(r, "amount")?,
        "created_at": r.try_get::<i64, _>("created_at")?, "updated_at": r.try_get::<i64, _>("updated_at")?,
        "details": super::store::stored::<Value>(&col(r, "body")?, "transaction body")?,
    }))
}

async fn list_transactions(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<TxQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, "transactions.list").await?;
    let Query(q) = q.map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    Ok(Json(query_transactions(&s, &caller.client_id, q).await?).into_response())
}

async fn wallet_transactions(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<TxQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, "virtual_wallets.transactions").await?;
    wallet_row(&s, &caller.client_id, &id, "virtual").await?;
    let Query(mut q) = q.map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    q.wallet_id = Some(id);
    Ok(Json(query_transactions(&s, &caller.client_id, q).await?).into_response())
}

async fn get_transaction(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let caller = auth(&s, &headers, "transactions.get").await?;
    let row = sqlx::query("SELECT id, seq, wallet_id, type, status, token, amount, created_at, updated_at, body FROM transactions WHERE id = $1 AND client_id = $2")
        .bind(&id)
        .bind(&caller.client_id)
        .fetch_optional(s.store.reader())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no transaction {id}")))?;
    Ok(Json(tx_json(&row)?).into_response())
}

// ---------- webhooks ----------

/// `GET /v1/webhooks/deliveries` query: a page, and `status` (`delivered`, `pending`, `dead` or
/// `skipped`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryQuery {
    limit: Option<i64>,
    cursor: Option<String>,
    status: Option<String>,
}

/// The status of an event in the delivery log: delivered, pending (waiting, retrying or parked),
/// dead (dead-lettered) or skipped (not subscribed).
fn delivery_status(delivered_at: Option<i64>, outcome: Option<&str>) -> &str {
    match (delivered_at, outcome) {
        (Some(_), _) => "delivered",
        (None, Some(o)) => o,
        (None, None) => "pending",
    }
}

async fn list_deliveries(
    State(s): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<DeliveryQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let caller = auth(&s, &headers, "webhooks.deliveries.list").await?;
    let q = page::query(q)?;
    let filter = match q.status.as_deref() {
        None => "",
        Some("delivered") => " AND delivered_at IS NOT NULL",
        Some("pending") => " AND delivered_at IS NULL AND outcome IS NULL",
        Some("dead") => " AND delivered_at IS NULL AND outcome = 'dead'",
        Some("skipped") => " AND delivered_at IS NULL AND outcome = 'skipped'",
        Some(_) => {
            return Err(ApiError::bad_request(
                "status must be delivered, pending, dead or skipped",
            ))
        }
    };
    let (rows, next) = Page::new(q.limit, q.cursor.as_deref())?
        .fetch(
            s.store.reader(),
            &format!("SELECT id, event, created_at, attempts, delivered_at, last_error, outcome FROM outbox WHERE client_id = $1{filter}"),
            &[&caller.client_id],
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let id = col(&r, "id")?;
        let attempts = sqlx::query("SELECT attempt, at, status_code, error, duration_ms FROM deliveries WHERE outbox_id = $1 ORDER BY attempt, at")
            .bind(&id)
            .fetch_all(s.store.reader())
            .await?;
        let mut log = Vec::new();
        for a in attempts {
            log.push(json!({
                "attempt": a.try_get::<i64, _>("attempt")?, "at": a.try_get::<i64, _>("at")?,
                "status_code": a.try_get::<Option<i64>, _>("status_code")?, "error": opt_col(&a, "error")?,
                "duration_ms": a.try_get::<i64, _>("duration_ms")?,
            }));
        }
        let delivered_at = r.try_get::<Option<i64>, _>("delivered_at")?;
        let outcome = opt_col(&r, "outcome")?;
        out.push(json!({
            "id": id, "event": super::store::stored::<Value>(&col(&r, "event")?, "outbox event")?,
            "created_at": r.try_get::<i64, _>("created_at")?, "attempts": r.try_get::<i64, _>("attempts")?,
            "delivered_at": delivered_at, "last_error": opt_col(&r, "last_error")?,
            "status": delivery_status(delivered_at, outcome.as_deref()),
            "log": log,
        }));
    }
    Ok(Json(page::answer(out, next)).into_response())
}

/// Queues an event again, whatever its state: a delivered, dead or skipped event is reopened
/// with a fresh budget of attempts and age (the log keeps every earlier attempt).
async fn redeliver(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "webhooks.deliveries.redeliver").await?;
    let NoBody {} = body(&bytes)?;
    let now = now_ms();
    let done = sqlx::query("UPDATE outbox SET delivered_at = NULL, outcome = NULL, attempt_base = attempts, revived_at = $1, next_attempt_at = $2 WHERE id = $3 AND client_id = $4")
        .bind(now)
        .bind(now)
        .bind(&id)
        .bind(&caller.client_id)
        .execute(s.store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found(format!("no event {id}")));
    }
    s.outbox_notify.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"id": id, "status": "queued"})),
    )
        .into_response())
}

// ---------- simulate (sandbox) ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SimDeposit {
    address: String,
    token: String,
    amount: String,
    blockchain: Option<String>,
    usd_price: Option<String>,
    tx: Option<String>,
}

/// Webhook events for the outcomes of automation rules (alerts, and each movement's result).
pub fn rule_events(
    w: &mut Work,
    wallet: &str,
    outcomes: &[RuleOutcome],
    tx: &str,
) -> Result<(), ApiError> {
    for o in outcomes {
        if let Some(event) = &o.event {
            let data = event.get("data").cloned().unwrap_or(Value::Null);
            w.event(
                "VIRTUAL_WALLET",
                o.sub_operation(),
                &waas_core::automation::movement_id(&o.rule, tx),
                Status::Success,
                None,
                data,
            )?;
            continue;
        }
        let sub = o.sub_operation();
        let id = waas_core::automation::movement_id(&o.rule, tx);
        let data = json!({"wallet_id": wallet, "rule": o.rule, "action": o.action.as_str(), "deposit_tx": tx, "amount": o.amount.map(num), "code": o.code});
        let status = if o.ok() {
            Status::Success
        } else {
            Status::Failed
        };
        w.event(
            "VIRTUAL_WALLET",
            sub,
            &id,
            status,
            o.message.as_deref(),
            data,
        )?;
    }
    Ok(())
}

async fn simulate_deposit(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "simulate.deposit").await?;
    let req: SimDeposit = body(&bytes)?;
    let amt = amount("amount", &req.amount)?;
    let registry = s.store.registry();
    // Find the wallet by its (canonical) address.
    let mut candidates = Vec::new();
    for family in [waas_core::Family::Evm, waas_core::Family::Tron] {
        if let Ok(a) = Address::parse(family, &req.address) {
            candidates.push(a.to_string());
        }
    }
    if candidates.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidAddress,
            format!(
                "address: {:?} is neither an EVM nor a Tron address",
                req.address
            ),
        ));
    }
    let mut found = None;
    for a in &candidates {
        let rows = sqlx::query(
            "SELECT id, blockchain, kind FROM wallets WHERE address = $1 AND client_id = $2",
        )
        .bind(a)
        .bind(&caller.client_id)
        .fetch_all(s.store.reader())
        .await?;
        for r in rows {
            let chain = opt_col(&r, "blockchain")?.unwrap_or_default();
            if req.blockchain.as_deref().is_none_or(|b| {
                registry.chain(b).map(|c| c.id.to_string()).ok().as_deref() == Some(chain.as_str())
            }) {
                found = Some((col(&r, "id")?, chain, col(&r, "kind")?));
            }
        }
    }
    let (wallet, chain, kind) = found.ok_or_else(|| {
        ApiError::not_found(format!("no wallet of yours has address {}", req.address))
    })?;
    let settings = load_settings(&s, &caller.client_id).await?;
    let symbol = req.token.to_ascii_uppercase();
    let parse = |p: &String| amount("usd_price", p).map(|a| a.as_decimal());
    let given = req.usd_price.as_ref().map(parse).transpose()?;
    let configured = settings.usd_prices.get(&symbol).map(parse).transpose()?;
    let price = waas_core::pricing::usd_price(&symbol, given, configured).ok_or_else(|| {
        ApiError::bad_request(format!("usd_price: no USD price for {symbol}; give usd_price or set usd_prices in the configuration"))
    })?;
    let tx = req
        .tx
        .clone()
        .unwrap_or_else(|| format!("sim:{}:0", uuid::Uuid::new_v4().simple()));
    let confirmations = registry.chain(&chain)?.confirmations;
    let incoming = super::chain::Incoming {
        tx,
        wallet,
        chain,
        kind,
        token: req.token.clone(),
        amount: amt,
        usd_price: price,
        confirmations,
        extra: Value::Null,
    };
    let (w, out) = super::chain::simulate_deposit(&s, &caller.client_id, &incoming).await?;
    finish(w, &None, StatusCode::CREATED, out, &s).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SimTx {
    tx: String,
}

async fn simulate_confirm(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "simulate.confirm").await?;
    let req: SimTx = body(&bytes)?;
    let out = super::chain::confirm(&s, &caller.client_id, &req.tx).await?;
    Ok(Json(out).into_response())
}

async fn simulate_reorg(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let caller = auth(&s, &headers, "simulate.reorg").await?;
    let req: SimTx = body(&bytes)?;
    let out = super::chain::reorg(&s, &caller.client_id, &req.tx).await?;
    Ok(Json(out).into_response())
}
