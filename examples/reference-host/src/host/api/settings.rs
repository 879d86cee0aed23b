//! One token, webhook secret rotation, and the wallet configuration.

use crate::host::api::accounts::TokenOut;
use crate::host::api::clients::ancestors;
use crate::host::api::clients::ROTATION_OVERLAP_MS;
use crate::host::api::extract;
use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::EmptyBody;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::management::configuration;
use crate::host::api::management::configuration::load_settings;
use crate::host::api::management::configuration::settings_json;
use crate::host::api::simulate::retype;
use crate::host::api::webhook_config::DisabledOut;
use crate::host::store::now_ms;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;

/// Routes of this module.
pub(crate) fn settings_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .routes(routes!(get_token))
        .routes(routes!(rotate_secret))
        .routes(routes!(get_wallet_config, put_wallet_config))
}

#[utoipa::path(get, path = "/v1/tokens/{blockchain}/{symbol}", operation_id = "tokens.get", tag = "tokens",
    params(("blockchain" = String, Path, description = "The blockchain (e.g. `ethereum`)"),
           ("symbol" = String, Path, description = "The token's symbol (e.g. `USDT`)")),
    responses((status = 200, description = "The token", body = TokenOut)))]
pub(crate) async fn get_token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((chain, symbol)): Path<(String, String)>,
) -> ApiResult {
    auth(&s, &headers, Operation::TokensGet).await?;
    let token = s.store.registry().token(&chain, &symbol)?;
    Ok(Json(TokenOut::from(token)).into_response())
}

/// A new signing secret.
#[derive(Serialize, ToSchema)]
pub(crate) struct RotatedSecret {
    /// The new Standard Webhooks secret (`whsec_...`): shown once.
    pub(crate) secret: String,
    /// Until when the previous secret still signs too (unix milliseconds); `null` without one.
    pub(crate) previous_signs_until: Option<i64>,
}

#[utoipa::path(post, path = "/v1/webhooks/secret/rotate", operation_id = "webhooks.secret.rotate", tag = "webhooks",
    responses((status = 201, description = "The new secret (no body, or `{}`)", body = RotatedSecret)))]
pub(crate) async fn rotate_secret(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: EmptyBody,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::WebhooksSecretRotate).await?;
    let extract::NoBody {} = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut st = configuration::settings_in(&mut w).await?;
    let new = waas_core::webhook::WebhookSecret::generate()?;
    let text = new.expose().to_string();
    st.previous_webhook_secret = st.webhook_secret.take();
    st.previous_secret_until = st
        .previous_webhook_secret
        .as_ref()
        .map(|_| now_ms() + ROTATION_OVERLAP_MS);
    st.webhook_secret = Some(text.clone());
    configuration::save_settings_in(&mut w, &st).await?;
    w.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(RotatedSecret {
            secret: text,
            previous_signs_until: st.previous_secret_until,
        }),
    )
        .into_response())
}

/// A withdrawal fee schedule: `fixed` (token units) plus `percent` of the amount.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeeScheduleOut {
    /// Fixed part, in token units (decimal string).
    pub(crate) fixed: String,
    /// Percentage of the amount, 0 to 100 (decimal string).
    pub(crate) percent: String,
}

/// The minimum deposits in USD by kind of wallet (decimal strings).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MinDepositsOut {
    /// For virtual wallets.
    pub(crate) virtual_wallet: String,
    /// For treasury wallets.
    pub(crate) treasury: String,
    /// For cards.
    pub(crate) card: String,
}

/// The client's configuration: webhooks, payment destinations, prices, fees, allowlist, reserve
/// ratio and minimum deposits.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WalletConfigurationOut {
    /// Where webhooks go.
    pub(crate) webhook_url: Option<String>,
    /// Whether an X-Webhook-Key is set.
    pub(crate) webhook_key_set: bool,
    /// Whether a signing secret is set.
    pub(crate) webhook_secret_set: bool,
    /// The subscribed events (`*`: all).
    pub(crate) webhook_events: Vec<String>,
    /// Why and since when the endpoint is disabled; `null` here.
    pub(crate) webhook_disabled: Option<DisabledOut>,
    /// Payment destination address per blockchain.
    pub(crate) payment_addresses: BTreeMap<String, String>,
    /// USD prices per token symbol (decimal strings).
    pub(crate) usd_prices: BTreeMap<String, String>,
    /// Withdrawal fee schedules per `blockchain/TOKEN`, set by the parent.
    pub(crate) withdrawal_fees: BTreeMap<String, FeeScheduleOut>,
    /// Allowed withdrawal destinations per blockchain; `null`: any destination.
    pub(crate) withdrawal_allowlist: Option<BTreeMap<String, Vec<String>>>,
    /// The minimum reserve ratio of holding wallets (decimal string).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128)]
    pub(crate) min_reserve_ratio: String,
    /// The minimum deposits in USD.
    pub(crate) min_deposit_usd: MinDepositsOut,
}

#[utoipa::path(get, path = "/v1/wallets/configuration", operation_id = "wallets.configuration.get", tag = "wallets",
    responses((status = 200, description = "The configuration", body = WalletConfigurationOut)))]
pub(crate) async fn get_wallet_config(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, Operation::WalletsConfigurationGet).await?;
    let st = load_settings(&s, &caller.client_id).await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    let out: WalletConfigurationOut = retype(settings_json(&st, &ledger), "configuration")?;
    Ok(Json(out).into_response())
}

/// Changes to the wallet configuration (absent fields stay).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WalletConfig {
    /// The minimum reserve ratio of holding wallets (decimal string), not below the floor the
    /// parent set.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", max_length = 128, example = "0.2")]
    pub(crate) min_reserve_ratio: Option<String>,
}

#[utoipa::path(put, path = "/v1/wallets/configuration", operation_id = "wallets.configuration.update", tag = "wallets",
    request_body(content = WalletConfig, example = json!({"min_reserve_ratio": "0.2"})),
    responses((status = 200, description = "The configuration as it is now", body = WalletConfigurationOut)))]

pub(crate) async fn put_wallet_config(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::WalletsConfigurationUpdate).await?;
    let req: WalletConfig = body(&bytes)?;
    // Read before the operation: on SQLite the operation holds the only connection.
    let st = load_settings(&s, &caller.client_id).await?;
    let has_parent = !ancestors(&s, &caller.client_id)
        .await?
        .unwrap_or_default()
        .is_empty();
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut config = w.ledger.config().clone();
    if let Some(r) = req.min_reserve_ratio {
        let r = extract::amount("min_reserve_ratio", &r)?.as_decimal();
        waas_core::access::check_reserve_ratio(r, st.floor(has_parent))?;
        config.min_reserve_ratio = r;
    }
    w.ledger.set_config(config)?;
    let out: WalletConfigurationOut = retype(settings_json(&st, &w.ledger), "configuration")?;
    w.commit().await?;
    Ok(Json(out).into_response())
}
