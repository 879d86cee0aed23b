//! One delivery attempt of a claimed event: the endpoint guard, the POST with its authentication
//! headers (bounded by the client's connect and response timeouts), a log row, and what follows:
//! delivered; a retry after a jittered exponential backoff; or, past the attempt or age cap, a
//! dead letter that disables the client's endpoint (its events are then parked).

use super::dispatch::{Shared, SlotGuard};
use super::CLOSED;
use crate::host::error::ApiError;
use crate::host::store::{new_id, now_ms};
use crate::host::Settings;
use std::sync::Arc;
use std::time::Instant;

/// A claimed event and where it goes.
pub struct Job {
    /// The event's client.
    pub client_id: String,
    /// The event id (also `webhook-id`).
    pub id: String,
    /// The envelope as stored.
    pub event: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// Attempts made before the event was last revived (a redelivery starts a fresh budget).
    pub attempt_base: i64,
    /// When the event was created or last revived (its age counts from there).
    pub since: i64,
    /// The endpoint.
    pub url: String,
    /// The client's settings (key, secrets).
    pub settings: Arc<Settings>,
}

/// Runs one attempt; errors of the database are logged (the lease then expires and the event is
/// tried again: at least once).
pub async fn attempt(shared: Arc<Shared>, job: Job, mut guard: SlotGuard) {
    match run(&shared, &job).await {
        Ok(ok) => guard.failed = !ok,
        Err(e) => {
            guard.failed = true;
            tracing::warn!(error = %e, event = %job.id, "webhook attempt");
        }
    }
}

/// The attempt and its bookkeeping; whether the event was delivered.
async fn run(shared: &Shared, job: &Job) -> Result<bool, ApiError> {
    let state = &shared.state;
    let started = Instant::now();
    // Checked again at every delivery: the policy may have changed since the URL was set.
    let result = match crate::host::endpoint::check(&job.url, &state.endpoint_policy) {
        Ok(()) => post(&shared.http, job).await,
        Err(e) => Err(format!("{}: {}", e.code(), e.message())),
    };
    let duration = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let attempt = job.attempts + 1;
    let (status_code, error) = match &result {
        Ok(code) if (200..300).contains(code) => (Some(i64::from(*code)), None),
        Ok(code) => (Some(i64::from(*code)), Some(format!("HTTP {code}"))),
        Err(e) => (None, Some(e.clone())),
    };
    let pool = state.store.pool();
    sqlx::query("INSERT INTO deliveries (id, outbox_id, client_id, attempt, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(new_id("dlv"))
        .bind(&job.id)
        .bind(&job.client_id)
        .bind(attempt)
        .bind(now_ms())
        .bind(status_code)
        .bind(&error)
        .bind(duration)
        .execute(pool)
        .await?;
    let Some(error) = error else {
        sqlx::query(
            "UPDATE outbox SET delivered_at = $1, attempts = $2, last_error = NULL WHERE id = $3",
        )
        .bind(now_ms())
        .bind(attempt)
        .bind(&job.id)
        .execute(pool)
        .await?;
        state.store.metrics().delivery("delivered");
        return Ok(true);
    };
    let used = attempt - job.attempt_base;
    let now = now_ms();
    if !shared.policy.is_dead(used, now - job.since) {
        sqlx::query("UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4 AND delivered_at IS NULL")
            .bind(attempt)
            .bind(now + shared.policy.retry_in_ms(used))
            .bind(&error)
            .bind(&job.id)
            .execute(pool)
            .await?;
        state.store.metrics().delivery("failed");
        return Ok(false);
    }
    dead_letter(shared, job, attempt, used, &error, now).await?;
    Ok(false)
}

/// Dead letter: the event is closed, in the log with status `dead`; the endpoint is disabled,
/// so the client's other events are parked instead of failing one by one.
async fn dead_letter(
    shared: &Shared,
    job: &Job,
    attempt: i64,
    used: i64,
    error: &str,
    now: i64,
) -> Result<(), ApiError> {
    let state = &shared.state;
    let reason = format!(
        "event {} dead-lettered after {used} failed attempts: {error}",
        job.id
    );
    let mut tx = state.store.pool().begin().await?;
    sqlx::query("UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3, outcome = 'dead' WHERE id = $4 AND delivered_at IS NULL")
        .bind(attempt)
        .bind(CLOSED)
        .bind(error)
        .bind(&job.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO webhook_endpoints (client_id, disabled_at, reason) VALUES ($1, $2, $3) ON CONFLICT (client_id) DO NOTHING")
        .bind(&job.client_id)
        .bind(now)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    state.store.metrics().delivery("dead");
    tracing::warn!(client = %job.client_id, event = %job.id, "webhook endpoint disabled after a dead letter");
    Ok(())
}

/// Posts one event with its authentication headers; the HTTP status or a transport error.
async fn post(http: &reqwest::Client, job: &Job) -> Result<u16, String> {
    let settings = &job.settings;
    let mut request = http
        .post(&job.url)
        .header("content-type", "application/json")
        .body(job.event.clone());
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
        let signed =
            waas_core::webhook::sign_with_all(&secrets, &job.id, timestamp, job.event.as_bytes())
                .map_err(|e| e.to_string())?;
        for (name, value) in signed.pairs() {
            request = request.header(name, value);
        }
    } else {
        request = request.header("webhook-id", &job.id);
    }
    let response = request.send().await.map_err(|e| {
        // The kind first, so the delivery log tells a hanging endpoint from a refusing one.
        let kind = if e.is_timeout() {
            "timeout"
        } else if e.is_connect() {
            "connect"
        } else {
            "transport"
        };
        format!("{kind}: {e}")
    })?;
    Ok(response.status().as_u16())
}
