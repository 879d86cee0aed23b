//! Webhook delivery from the outbox: at least once, exponential backoff with a cap, both the
//! X-Webhook-Key header and the Standard Webhooks signature headers, a log row per attempt.
//! Events are written in the same database transaction as the operation, so a crash between
//! commit and delivery loses nothing: the worker picks them up after a restart.

use super::error::ApiError;
use super::store::{col, new_id, now_ms};
use super::{AppState, Settings};
use sqlx::Row;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// First retry delay.
pub const BACKOFF_BASE_MS: i64 = 250;
/// Longest delay between attempts.
pub const BACKOFF_CAP_MS: i64 = 60_000;
/// How long a claimed event is left to one worker before another may take it.
pub const LEASE_MS: i64 = 30_000;

/// `next_attempt_at` of the events of a client without a webhook endpoint (never due by time).
pub const PARKED: i64 = i64::MAX;

/// The delay before attempt `attempts + 1`.
pub fn backoff_ms(attempts: i64) -> i64 {
    let shift = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    BACKOFF_BASE_MS
        .saturating_mul(1i64 << shift)
        .min(BACKOFF_CAP_MS)
}

/// Delivers due events forever.
pub async fn run(state: Arc<AppState>, poll_ms: u64) {
    let client = match super::endpoint::client(state.endpoint_policy) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook HTTP client");
            return;
        }
    };
    loop {
        match deliver_due(&state, &client).await {
            Ok(0) => {
                let _ = tokio::time::timeout(
                    Duration::from_millis(poll_ms),
                    state.outbox_notify.notified(),
                )
                .await;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "webhook delivery");
                tokio::time::sleep(Duration::from_millis(poll_ms)).await;
            }
        }
    }
}

async fn deliver_due(state: &AppState, http: &reqwest::Client) -> Result<usize, ApiError> {
    let now = now_ms();
    let rows = sqlx::query("SELECT id, client_id, event, attempts, next_attempt_at FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 ORDER BY created_at, seq LIMIT 32")
        .bind(now)
        .fetch_all(state.store.pool())
        .await?;
    let mut sent = 0;
    for r in rows {
        let id = col(&r, "id")?;
        let client_id = col(&r, "client_id")?;
        let attempts: i64 = r.try_get("attempts")?;
        let due: i64 = r.try_get("next_attempt_at")?;
        let settings = settings_of(state, &client_id).await?;
        let Some(url) = settings.webhook_url.clone() else {
            // No endpoint yet: the client's due events are kept, parked in one statement, until
            // one is configured (saving the settings makes them due again). Nothing is scanned
            // or written for them in the meantime, however many there are.
            sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE client_id = $2 AND delivered_at IS NULL AND next_attempt_at <= $3")
                .bind(PARKED)
                .bind(&client_id)
                .bind(now)
                .execute(state.store.pool())
                .await?;
            continue;
        };
        // Claim it (another worker on the same database may be looking at it too).
        let claimed = sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND delivered_at IS NULL")
            .bind(now + LEASE_MS)
            .bind(&id)
            .bind(due)
            .execute(state.store.pool())
            .await?;
        if claimed.rows_affected() == 0 {
            continue;
        }
        let event = col(&r, "event")?;
        let started = Instant::now();
        // Checked again at every delivery: the policy may have changed since the URL was set.
        let result = match super::endpoint::check(&url, &state.endpoint_policy) {
            Ok(()) => send(http, &url, &settings, &id, &event).await,
            Err(e) => Err(format!("{}: {}", e.code(), e.message())),
        };
        let duration = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let attempt = attempts + 1;
        let (status_code, error) = match &result {
            Ok(code) if (200..300).contains(code) => (Some(i64::from(*code)), None),
            Ok(code) => (Some(i64::from(*code)), Some(format!("HTTP {code}"))),
            Err(e) => (None, Some(e.clone())),
        };
        sqlx::query("INSERT INTO deliveries (id, outbox_id, client_id, attempt, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(new_id("dlv"))
            .bind(&id)
            .bind(&client_id)
            .bind(attempt)
            .bind(now_ms())
            .bind(status_code)
            .bind(&error)
            .bind(duration)
            .execute(state.store.pool())
            .await?;
        if error.is_none() {
            sqlx::query("UPDATE outbox SET delivered_at = $1, attempts = $2, last_error = NULL WHERE id = $3")
                .bind(now_ms())
                .bind(attempt)
                .bind(&id)
                .execute(state.store.pool())
                .await?;
            sent += 1;
        } else {
            sqlx::query("UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4")
                .bind(attempt)
                .bind(now_ms() + backoff_ms(attempts))
                .bind(&error)
                .bind(&id)
                .execute(state.store.pool())
                .await?;
        }
    }
    Ok(sent)
}

async fn settings_of(state: &AppState, client_id: &str) -> Result<Settings, ApiError> {
    let row = sqlx::query("SELECT body FROM settings WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(state.store.pool())
        .await?;
    Ok(match row {
        Some(r) => Settings::from_body(&col(&r, "body")?, state.store.sealer())?,
        None => Settings::default(),
    })
}

/// Posts one event with its authentication headers; the HTTP status or a transport error.
async fn send(
    http: &reqwest::Client,
    url: &str,
    settings: &Settings,
    id: &str,
    event: &str,
) -> Result<u16, String> {
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .body(event.to_owned());
    if let Some(key) = &settings.webhook_key {
        request = request.header("X-Webhook-Key", key);
    }
    if let Some(secret) = &settings.webhook_secret {
        // During a rotation the previous secret signs too, so receivers can switch at leisure.
        let mut secrets =
            vec![waas_core::webhook::WebhookSecret::parse(secret).map_err(|e| e.to_string())?];
        if let (Some(previous), Some(until)) = (
            &settings.previous_webhook_secret,
            settings.previous_secret_until,
        ) {
            if now_ms() < until {
                secrets.push(
                    waas_core::webhook::WebhookSecret::parse(previous)
                        .map_err(|e| e.to_string())?,
                );
            }
        }
        let timestamp = now_ms() / 1000;
        let signed = waas_core::webhook::sign_with_all(&secrets, id, timestamp, event.as_bytes())
            .map_err(|e| e.to_string())?;
        for (name, value) in signed.pairs() {
            request = request.header(name, value);
        }
    } else {
        request = request.header("webhook-id", id);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    Ok(response.status().as_u16())
}
