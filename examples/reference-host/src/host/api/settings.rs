//! One token, webhook secret rotation, and the wallet configuration.

use super::*;

/// Routes of this module.
pub(crate) fn settings_routes() -> OpenApiRouter<Shared> {
    OpenApiRouter::new()
        .route("/v1/tokens/{blockchain}/{symbol}", get(get_token))
        .route("/v1/webhooks/secret/rotate", post(rotate_secret))
        .route(
            "/v1/wallets/configuration",
            get(get_wallet_config).put(put_wallet_config),
        )
}

pub(crate) async fn get_token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((chain, symbol)): Path<(String, String)>,
) -> ApiResult {
    auth(&s, &headers, "tokens.get").await?;
    let token = s.store.registry().token(&chain, &symbol)?;
    Ok(Json(json!(token)).into_response())
}

pub(crate) async fn rotate_secret(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "webhooks.secret.rotate").await?;
    let crate::host::api::NoBody {} = body(&bytes)?;
    let mut w = s.store.begin(&caller.client_id).await?;
    let mut st = crate::host::api::settings_in(&mut w).await?;
    let new = waas_core::webhook::WebhookSecret::generate()?;
    let text = new.expose().to_string();
    st.previous_webhook_secret = st.webhook_secret.take();
    st.previous_secret_until = st
        .previous_webhook_secret
        .as_ref()
        .map(|_| now_ms() + ROTATION_OVERLAP_MS);
    st.webhook_secret = Some(text.clone());
    crate::host::api::save_settings_in(&mut w, &st).await?;
    w.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"secret": text, "previous_signs_until": st.previous_secret_until})),
    )
        .into_response())
}

pub(crate) async fn get_wallet_config(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    let caller = auth(&s, &headers, "wallets.configuration.get").await?;
    let st = load_settings(&s, &caller.client_id).await?;
    let ledger = s.store.read_ledger(&caller.client_id).await?;
    Ok(Json(settings_json(&st, &ledger)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WalletConfig {
    pub(crate) min_reserve_ratio: Option<String>,
}

pub(crate) async fn put_wallet_config(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let caller = auth(&s, &headers, "wallets.configuration.update").await?;
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
        let r = crate::host::api::amount("min_reserve_ratio", &r)?.as_decimal();
        waas_core::access::check_reserve_ratio(r, st.floor(has_parent))?;
        config.min_reserve_ratio = r;
    }
    w.ledger.set_config(config)?;
    let out = settings_json(&st, &w.ledger);
    w.commit().await?;
    Ok(Json(out).into_response())
}
