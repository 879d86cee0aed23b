//! The webhook configuration (URL, key, events).

use crate::host::api::extract::auth;
use crate::host::api::extract::body;
use crate::host::api::extract::{ApiResult, Shared};
use crate::host::api::management::configuration;
use crate::host::api::management::configuration::load_settings;
use crate::host::api::simulate;
use crate::host::webhooks::EndpointChange;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waas_core::access::Operation;

/// Routes of this module.
pub(crate) fn webhook_config_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().routes(routes!(get_webhooks, put_webhooks))
}

/// Why and since when the endpoint is disabled (after too many failed deliveries).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisabledOut {
    /// When it was disabled (unix milliseconds).
    pub(crate) at: i64,
    /// Why.
    pub(crate) reason: String,
}

/// The webhook configuration as shown: URL, whether a key and secret are set, the subscribed
/// events and the notice of a disabled endpoint (null while it is enabled).
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhooksOut {
    /// Where webhooks go.
    pub(crate) url: Option<String>,
    /// Whether an X-Webhook-Key is set.
    pub(crate) key_set: bool,
    /// Whether a signing secret is set.
    pub(crate) secret_set: bool,
    /// The subscribed events (`*`: all).
    pub(crate) events: Vec<String>,
    /// Set while the endpoint is disabled; `null` while it is enabled.
    pub(crate) disabled: Option<DisabledOut>,
}

/// The webhook configuration as shown.
pub(crate) fn webhooks_json(
    st: &crate::host::Settings,
    disabled: Option<DisabledOut>,
) -> WebhooksOut {
    WebhooksOut {
        url: st.webhook_url.clone(),
        key_set: st.webhook_key.is_some(),
        secret_set: st.webhook_secret.is_some(),
        events: st
            .webhook_events
            .clone()
            .unwrap_or_else(|| vec![crate::host::webhooks::subscriptions::ALL.to_owned()]),
        disabled,
    }
}

#[utoipa::path(get, path = "/v1/webhooks/configuration", operation_id = "webhooks.configuration.get", tag = "webhooks",
    responses((status = 200, description = "The webhook configuration", body = WebhooksOut)))]
pub(crate) async fn get_webhooks(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, Operation::WebhooksConfigurationGet).await?;
    let st = load_settings(&s, &caller.client_id).await?;
    let disabled = crate::host::webhooks::disabled_notice(&s, &caller.client_id).await?;
    let disabled = simulate::retype(disabled, "disabled notice")?;
    Ok(Json(webhooks_json(&st, disabled)).into_response())
}

/// Changes to the webhook configuration (absent fields stay); saving re-enables a disabled
/// endpoint.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookConfig {
    /// Where webhooks go (https; private addresses refused unless allowed by the operator).
    #[schema(example = "https://example.com/hooks/waas")]
    pub(crate) url: Option<String>,
    /// Sent as X-Webhook-Key (not empty).
    pub(crate) key: Option<String>,
    /// The Standard Webhooks signing secret (`whsec_...`).
    pub(crate) secret: Option<String>,
    /// The events to receive: operations or `OPERATION/SUB_OPERATION` pairs (`*`: all).
    #[schema(example = json!(["VIRTUAL_WALLET", "TREASURY/CREATED"]))]
    pub(crate) events: Option<Vec<String>>,
}

#[utoipa::path(put, path = "/v1/webhooks/configuration", operation_id = "webhooks.configuration.update", tag = "webhooks",
    request_body(content = WebhookConfig, example = json!({"url": "https://example.com/hooks/waas", "key": "my-webhook-key", "events": ["*"]})),
    responses((status = 200, description = "The webhook configuration as it is now", body = WebhooksOut)))]

pub(crate) async fn put_webhooks(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, Operation::WebhooksConfigurationUpdate).await?;
    let req: WebhookConfig = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut st = configuration::settings_in(&mut w).await?;
    let change = EndpointChange {
        url: req.url,
        key: req.key,
        secret: req.secret,
        events: req.events,
    };
    change.apply(&mut st, &s.endpoint_policy, "")?;
    // Saving the configuration re-enables a disabled endpoint (its parked events are due again).
    crate::host::webhooks::enable_in(w.conn().await?, &caller.client_id).await?;
    configuration::save_settings_in(&mut w, &st).await?;
    w.commit().await?;
    s.outbox_notify.notify_one();
    Ok(Json(webhooks_json(&st, None)).into_response())
}
