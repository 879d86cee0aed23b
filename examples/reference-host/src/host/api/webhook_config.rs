//! The webhook configuration (URL, key, events).

use super::*;

/// Routes of this module.
pub(crate) fn webhook_config_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new().route(
        "/v1/webhooks/configuration",
        get(get_webhooks).put(put_webhooks),
    )
}

/// The webhook configuration as shown: URL, whether a key and secret are set, the subscribed
/// events and the notice of a disabled endpoint (null while it is enabled).
pub(crate) fn webhooks_json(st: &crate::host::Settings, disabled: Value) -> Value {
    json!({
        "url": st.webhook_url,
        "key_set": st.webhook_key.is_some(),
        "secret_set": st.webhook_secret.is_some(),
        "events": st.webhook_events.clone().unwrap_or_else(|| vec![crate::host::webhooks::subscriptions::ALL.to_owned()]),
        "disabled": disabled,
    })
}

pub(crate) async fn get_webhooks(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, "webhooks.configuration.get").await?;
    let st = load_settings(&s, &caller.client_id).await?;
    let disabled = crate::host::webhooks::disabled_notice(&s, &caller.client_id).await?;
    Ok(Json(webhooks_json(&st, disabled)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookConfig {
    pub(crate) url: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) secret: Option<String>,
    pub(crate) events: Option<Vec<String>>,
}

pub(crate) async fn put_webhooks(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "webhooks.configuration.update").await?;
    let req: WebhookConfig = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut st = crate::host::api::settings_in(&mut w).await?;
    if let Some(url) = req.url {
        crate::host::endpoint::check(&url, &s.endpoint_policy)?;
        st.webhook_url = Some(url);
    }
    if let Some(key) = req.key {
        if key.is_empty() {
            return Err(ApiError::bad_request("key cannot be empty"));
        }
        st.webhook_key = Some(key);
    }
    if let Some(secret) = req.secret {
        waas_core::webhook::WebhookSecret::parse(&secret)?;
        st.webhook_secret = Some(secret);
    }
    if let Some(events) = req.events {
        st.webhook_events = crate::host::webhooks::subscriptions::parse(&events)?;
    }
    // Saving the configuration re-enables a disabled endpoint (its parked events are due again).
    crate::host::webhooks::enable_in(&mut w.tx, &caller.client_id).await?;
    crate::host::api::save_settings_in(&mut w, &st).await?;
    w.commit().await?;
    s.outbox_notify.notify_one();
    Ok(Json(webhooks_json(&st, Value::Null)).into_response())
}
