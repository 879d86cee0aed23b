//! The company configuration (get and update) and the client's settings it is read from and saved to.

use crate::host::api::clients;
use crate::host::api::extract::amount;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::finish;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::schema::num;
use crate::host::api::settings::MinDepositsOut;
use crate::host::error::ApiError;
use crate::host::store::{col, now_ms, Work};
use crate::host::webhooks::EndpointChange;
use crate::host::{AppState, Settings};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use waas_core::access;
use waas_core::access::Operation;
use waas_core::ledger::Ledger;
use waas_core::Address;

/// The client's settings, read inside an operation (under the client's lock).
pub(crate) async fn settings_in(w: &mut Work) -> Result<Settings, ApiError> {
    let row = sqlx::query("SELECT body FROM settings WHERE client_id = $1")
        .bind(w.client_id.clone())
        .fetch_optional(w.conn().await?)
        .await?;
    Ok(match row {
        Some(r) => Settings::from_body(&col(&r, "body")?, w.sealer())?,
        None => Settings::default(),
    })
}

/// Writes the client's settings inside an operation.
pub(crate) async fn save_settings_in(w: &mut Work, st: &Settings) -> Result<(), ApiError> {
    sqlx::query("UPDATE settings SET body = $1 WHERE client_id = $2")
        .bind(st.to_body(w.sealer())?)
        .bind(w.client_id.clone())
        .execute(w.conn().await?)
        .await?;
    w.set_hooked(st.webhook_url.is_some());
    if st.webhook_url.is_some() {
        // Events kept while the client had no endpoint are due again.
        sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE client_id = $2 AND delivered_at IS NULL AND next_attempt_at = $3")
            .bind(now_ms())
            .bind(w.client_id.clone())
            .bind(crate::host::webhooks::PARKED)
            .execute(w.conn().await?)
            .await?;
    }
    Ok(())
}

pub(crate) async fn load_settings(s: &AppState, client_id: &str) -> Result<Settings, ApiError> {
    let row = sqlx::query("SELECT body FROM settings WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(s.store.reader())
        .await?;
    Ok(match row {
        Some(r) => Settings::from_body(&col(&r, "body")?, s.store.sealer())?,
        None => Settings::default(),
    })
}

/// A withdrawal fee schedule: `fixed` token units plus `percent` of the amount.
#[derive(Serialize, ToSchema)]
pub(crate) struct FeeOut {
    /// Fixed part, in token units.
    #[schema(example = "1")]
    pub(crate) fixed: String,
    /// Percentage of the amount (0 to 100).
    #[schema(example = "0.5")]
    pub(crate) percent: String,
}

impl From<&waas_core::fees::FeeSchedule> for FeeOut {
    fn from(f: &waas_core::fees::FeeSchedule) -> FeeOut {
        FeeOut {
            fixed: f.fixed.to_string(),
            percent: f.percent.to_string(),
        }
    }
}

/// Why and when the webhook endpoint was disabled (after failing deliveries).
#[derive(Serialize, Deserialize, ToSchema)]
pub(crate) struct WebhookDisabled {
    /// When (milliseconds since the epoch).
    pub(crate) at: i64,
    /// Why.
    pub(crate) reason: String,
}

/// The company configuration. Secrets are never shown: only whether they are set.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConfigOut {
    /// Where webhooks are sent.
    pub(crate) webhook_url: Option<String>,
    /// Whether a webhook key (sent with each delivery) is set.
    pub(crate) webhook_key_set: bool,
    /// Whether a webhook signing secret is set.
    pub(crate) webhook_secret_set: bool,
    /// The events subscribed to (`*` for all).
    pub(crate) webhook_events: Vec<String>,
    /// Set when the endpoint was disabled after failing deliveries (saving the configuration
    /// enables it again); `null` otherwise (and always in the answer of an update).
    pub(crate) webhook_disabled: Option<WebhookDisabled>,
    /// Payment addresses by blockchain.
    pub(crate) payment_addresses: BTreeMap<String, String>,
    /// USD prices by token symbol, as decimal strings.
    pub(crate) usd_prices: BTreeMap<String, String>,
    /// Withdrawal fee schedules by `blockchain/TOKEN`.
    pub(crate) withdrawal_fees: BTreeMap<String, FeeOut>,
    /// The withdrawal allowlist (addresses by blockchain); `null` when withdrawals may go
    /// anywhere.
    pub(crate) withdrawal_allowlist: Option<BTreeMap<String, Vec<String>>>,
    /// The least ratio of reserves to liabilities.
    #[schema(example = "1")]
    pub(crate) min_reserve_ratio: String,
    /// The least USD value of a deposit.
    pub(crate) min_deposit_usd: MinDepositsOut,
}

/// The configuration the settings and the ledger's configuration make.
pub(crate) fn config_out(st: &Settings, ledger: &Ledger) -> ConfigOut {
    let c = ledger.config();
    ConfigOut {
        webhook_url: st.webhook_url.clone(),
        webhook_key_set: st.webhook_key.is_some(),
        webhook_secret_set: st.webhook_secret.is_some(),
        webhook_events: st
            .webhook_events
            .clone()
            .unwrap_or_else(|| vec![crate::host::webhooks::subscriptions::ALL.to_owned()]),
        webhook_disabled: None,
        payment_addresses: st.payment_addresses.clone(),
        usd_prices: st
            .usd_prices
            .iter()
            .map(|(k, p)| (k.clone(), p.to_string()))
            .collect(),
        withdrawal_fees: st
            .withdrawal_fees
            .iter()
            .map(|(k, f)| (k.clone(), FeeOut::from(f)))
            .collect(),
        withdrawal_allowlist: c.withdrawal_allowlist.as_ref().map(|a| {
            a.lists()
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().cloned().collect()))
                .collect()
        }),
        min_reserve_ratio: num(c.min_reserve_ratio),
        min_deposit_usd: MinDepositsOut {
            virtual_wallet: num(c.min_deposit_usd.virtual_wallet),
            treasury: num(c.min_deposit_usd.treasury),
            card: num(c.min_deposit_usd.card),
        },
    }
}

/// [`config_out`] as JSON.
pub(crate) fn settings_json(st: &Settings, ledger: &Ledger) -> Value {
    json!(config_out(st, ledger))
}

#[utoipa::path(get, path = "/v1/management/configurations", operation_id = "management.configurations.get", tag = "management",
    responses((status = 200, description = "The company configuration", body = ConfigOut)))]
pub(crate) async fn get_config(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementConfigurationsGet).await?;
    let st = load_settings(&s, &caller.client_id).await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let mut out = config_out(&st, &ledger);
    let notice = crate::host::webhooks::disabled_notice(&s, &caller.client_id).await?;
    out.webhook_disabled =
        serde_json::from_value(notice).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(out).into_response())
}

/// New least USD values of deposits (each optional), as decimal strings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MinDeposits {
    /// Into a virtual wallet.
    #[schema(example = "10")]
    pub(crate) virtual_wallet: Option<String>,
    /// Into a treasury wallet.
    pub(crate) treasury: Option<String>,
    /// Onto a card.
    pub(crate) card: Option<String>,
}

/// What to change in the company configuration; absent fields keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigUpdate {
    /// Where webhooks are sent (an https URL the host's endpoint policy accepts).
    #[schema(example = "https://example.com/hooks")]
    pub(crate) webhook_url: Option<String>,
    /// A key sent with each delivery (not empty).
    pub(crate) webhook_key: Option<String>,
    /// The signing secret of webhooks.
    pub(crate) webhook_secret: Option<String>,
    /// The events to subscribe to (`*` for all).
    pub(crate) webhook_events: Option<Vec<String>>,
    /// Payment addresses by blockchain (merged into the present ones).
    pub(crate) payment_addresses: Option<BTreeMap<String, String>>,
    /// USD prices by token symbol, as decimal strings (merged; a live client with a parent
    /// cannot set them).
    pub(crate) usd_prices: Option<BTreeMap<String, String>>,
    /// The least ratio of reserves to liabilities (not under the floor a parent set).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "1.1")]
    pub(crate) min_reserve_ratio: Option<String>,
    /// The least USD values of deposits.
    pub(crate) min_deposit_usd: Option<MinDeposits>,
    /// `{"blockchain": ["address", ...]}` turns the allowlist on (and replaces it); `null` turns
    /// it off.
    #[serde(default, with = "crate::host::api::edits::double_option")]
    #[schema(value_type = Option<BTreeMap<String, Vec<String>>>)]
    pub(crate) withdrawal_allowlist: Option<Option<BTreeMap<String, Vec<String>>>>,
}

#[utoipa::path(put, path = "/v1/management/configurations", operation_id = "management.configurations.update", tag = "management",
    request_body(content = ConfigUpdate, example = json!({"webhook_url": "https://example.com/hooks", "usd_prices": {"ETH": "3000"}, "min_deposit_usd": {"virtual_wallet": "10"}})),
    responses((status = 200, description = "The company configuration as it is now", body = ConfigOut)))]
pub(crate) async fn put_config(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::ManagementConfigurationsUpdate).await?;
    let u: ConfigUpdate = body(&bytes)?;
    let has_parent = !clients::ancestors(&s, &caller.client_id)
        .await?
        .unwrap_or_default()
        .is_empty();
    if u.usd_prices.is_some() {
        waas_core::pricing::check_price_list_setter(caller.environment, has_parent)?;
    }
    // Read, change and write the settings under the client's lock: concurrent updates of
    // different fields both land.
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut st = settings_in(&mut w).await?;
    let mut u = u;
    update_settings(&s, &mut st, &mut u)?;
    let mut config = w.ledger.config().clone();
    update_rules(s.store.registry(), &mut config, u, st.floor(has_parent))?;
    w.ledger.set_config(config)?;
    // Saving the configuration re-enables a disabled webhook endpoint (its parked events are
    // due again).
    crate::host::webhooks::enable_in(w.conn().await?, &caller.client_id).await?;
    save_settings_in(&mut w, &st).await?;
    let out = config_out(&st, &w.ledger);
    finish(w, &None, StatusCode::OK, out, &s).await
}

/// The host-side settings a configuration update changes: the webhook endpoint, its key,
/// secret and subscriptions, payment addresses and USD prices (taken out of `u`).
fn update_settings(s: &AppState, st: &mut Settings, u: &mut ConfigUpdate) -> Result<(), ApiError> {
    let registry = s.store.registry();
    let change = EndpointChange {
        url: u.webhook_url.take(),
        key: u.webhook_key.take(),
        secret: u.webhook_secret.take(),
        events: u.webhook_events.take(),
    };
    change.apply(st, &s.endpoint_policy, "webhook_")?;
    if let Some(addresses) = u.payment_addresses.take() {
        for (chain, address) in addresses {
            let c = registry.chain(&chain)?;
            let a = Address::parse(c.family, &address)?;
            st.payment_addresses.insert(c.id.to_string(), a.to_string());
        }
    }
    if let Some(prices) = u.usd_prices.take() {
        st.set_usd_prices("usd_prices", prices)?;
    }
    Ok(())
}

/// The ledger's rules a configuration update changes: the reserve ratio (not below the
/// client's floor), the minimum deposits and the withdrawal allowlist.
fn update_rules(
    registry: &waas_core::Registry,
    config: &mut waas_core::ledger::Config,
    u: ConfigUpdate,
    floor: rust_decimal::Decimal,
) -> Result<(), ApiError> {
    if let Some(r) = u.min_reserve_ratio {
        let r = amount("min_reserve_ratio", &r)?.as_decimal();
        access::check_reserve_ratio(r, floor)?;
        config.min_reserve_ratio = r;
    }
    if let Some(m) = u.min_deposit_usd {
        let minimums = &mut config.min_deposit_usd;
        if let Some(v) = m.virtual_wallet {
            minimums.virtual_wallet = amount("min_deposit_usd.virtual_wallet", &v)?.as_decimal();
        }
        if let Some(v) = m.treasury {
            minimums.treasury = amount("min_deposit_usd.treasury", &v)?.as_decimal();
        }
        if let Some(v) = m.card {
            minimums.card = amount("min_deposit_usd.card", &v)?.as_decimal();
        }
    }
    if let Some(list) = u.withdrawal_allowlist {
        config.withdrawal_allowlist = list
            .map(|l| waas_core::allowlist::Allowlist::new(registry, &l))
            .transpose()?;
    }
    Ok(())
}
