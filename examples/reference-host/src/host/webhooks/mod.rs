//! Webhook delivery from the outbox: at least once, fair across clients, bounded in time and
//! in attempts. Events are written in the same database transaction as the operation, so a crash
//! between commit and delivery loses nothing: the dispatcher picks them up after a restart.
//!
//! * [`dispatch`]: each round finds the clients with due events (grouped by client, so one
//!   client's backlog never fills a round), claims at most as many of a client's events as its
//!   endpoint has free slots, and sends each in a task of its own.
//! * [`send`]: one attempt (guard, headers, POST), its log row, and what follows: delivered, a
//!   retry after a jittered exponential backoff, or a dead letter that disables the endpoint.
//! * [`subscriptions`]: which operations a client wants (`webhook_events`).

pub mod dispatch;
pub mod send;
pub mod subscriptions;

use super::error::ApiError;
use super::AppState;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// First retry delay (before jitter).
pub const BACKOFF_BASE_MS: i64 = 250;
/// Longest delay between two attempts of one event (before jitter).
pub const BACKOFF_CAP_MS: i64 = 3_600_000;
/// Jitter of every retry delay: plus or minus this percentage, drawn uniformly.
pub const JITTER_PERCENT: i64 = 20;
/// Failed attempts after which an event is dead-lettered.
pub const MAX_ATTEMPTS: i64 = 20;
/// Age after which an event's next failed attempt dead-letters it (three days).
pub const MAX_AGE_MS: i64 = 3 * 24 * 3_600_000;
/// Attempts in flight at once to one client's endpoint, per host (one while it is failing).
pub const PER_ENDPOINT: usize = 4;
/// Attempts in flight at once over all endpoints, per host.
pub const IN_FLIGHT: usize = 64;
/// Clients with due events looked at per dispatcher round (the longest waiting first).
pub const CLIENTS_PER_ROUND: i64 = 256;
/// How long a claimed event is left to one host before another may take it.
pub const LEASE_MS: i64 = 30_000;

// A lease outlives the longest attempt (whole request timeout, connection included) twice over,
// so two hosts on one database never send the same event within a lease.
const _: () = assert!(LEASE_MS > 2 * (super::endpoint::RESPONSE_TIMEOUT.as_millis() as i64));

/// `next_attempt_at` of the events of a client without a webhook endpoint, or whose endpoint is
/// disabled (never due by time; saving the configuration makes them due again).
pub const PARKED: i64 = i64::MAX;
/// `next_attempt_at` of a closed event (dead-lettered or skipped): never due, never unparked.
pub const CLOSED: i64 = i64::MAX - 1;

/// Limits of delivery (the defaults above; tests shorten them from the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failed attempts after which an event is dead-lettered.
    pub max_attempts: i64,
    /// Age (ms) after which a failed attempt dead-letters the event.
    pub max_age_ms: i64,
    /// First retry delay (ms).
    pub backoff_base_ms: i64,
    /// Longest retry delay (ms).
    pub backoff_cap_ms: i64,
    /// Attempts in flight per endpoint.
    pub per_endpoint: usize,
    /// Attempts in flight overall.
    pub in_flight: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: MAX_ATTEMPTS,
            max_age_ms: MAX_AGE_MS,
            backoff_base_ms: BACKOFF_BASE_MS,
            backoff_cap_ms: BACKOFF_CAP_MS,
            per_endpoint: PER_ENDPOINT,
            in_flight: IN_FLIGHT,
        }
    }
}

impl Policy {
    /// The delay before the next attempt after `failed` failed attempts (1 or more), no jitter:
    /// the base doubled per failure, capped.
    pub fn backoff_ms(&self, failed: i64) -> i64 {
        let shift = u32::try_from((failed - 1).clamp(0, 40)).unwrap_or(40);
        self.backoff_base_ms
            .max(1)
            .saturating_mul(1i64 << shift)
            .min(self.backoff_cap_ms.max(1))
    }

    /// The jittered delay before the next attempt after `failed` failed attempts.
    pub fn retry_in_ms(&self, failed: i64) -> i64 {
        jittered(self.backoff_ms(failed), random_u64())
    }

    /// Whether an event that has just failed its `used`-th attempt of its budget, `age_ms` after
    /// it was created (or revived), is dead-lettered.
    pub fn is_dead(&self, used: i64, age_ms: i64) -> bool {
        used >= self.max_attempts || age_ms >= self.max_age_ms
    }
}

/// `delay` moved by up to ±[`JITTER_PERCENT`], uniformly by `random` (never below 1 ms).
pub fn jittered(delay: i64, random: u64) -> i64 {
    let spread = delay.max(0) / 100 * JITTER_PERCENT + delay.max(0) % 100 * JITTER_PERCENT / 100;
    let width = u64::try_from(spread.saturating_mul(2).saturating_add(1)).unwrap_or(1);
    let offset = i64::try_from(random % width).unwrap_or(0);
    delay.saturating_sub(spread).saturating_add(offset).max(1)
}

/// 64 random bits from the operating system (through uuid's v4 generator, already in the tree).
fn random_u64() -> u64 {
    let bits = uuid::Uuid::new_v4().as_u128();
    (bits as u64) ^ ((bits >> 64) as u64)
}

/// Delivers due events forever.
pub async fn run(
    state: Arc<AppState>,
    poll_ms: u64,
    policy: Policy,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let http = match super::endpoint::client(state.endpoint_policy) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook HTTP client");
            return;
        }
    };
    let dispatcher = dispatch::Dispatcher::new(state.clone(), http, policy);
    let poll = Duration::from_millis(poll_ms);
    while !*stop.borrow() {
        match dispatcher.round().await {
            Ok(0) => {
                tokio::select! {
                    () = dispatcher.idle(poll) => {}
                    _ = stop.changed() => {}
                }
            }
            Ok(_) => tokio::task::yield_now().await,
            Err(e) => {
                tracing::warn!(error = %e, "webhook dispatch");
                tokio::time::sleep(poll).await;
            }
        }
    }
    // Stopping: no new attempts; the ones in flight finish (their results are recorded).
    dispatcher.drain().await;
}

/// The notice of a disabled endpoint (`{"at", "reason"}`), or null.
pub async fn disabled_notice(state: &AppState, client_id: &str) -> Result<Value, ApiError> {
    use sqlx::Row;
    let row = sqlx::query("SELECT disabled_at, reason FROM webhook_endpoints WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(state.store.reader())
        .await?;
    Ok(match row {
        Some(r) => json!({
            "at": r.try_get::<i64, _>("disabled_at")?,
            "reason": r.try_get::<String, _>("reason")?,
        }),
        None => Value::Null,
    })
}

/// Re-enables the client's endpoint inside an operation (a save of its webhook configuration);
/// `save_settings_in` then makes the parked events due again.
pub async fn enable_in(conn: &mut sqlx::AnyConnection, client_id: &str) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM webhook_endpoints WHERE client_id = $1")
        .bind(client_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A change of a client's webhook endpoint as either configuration route takes it (absent
/// fields stay): checked and written by [`EndpointChange::apply`], the one place both routes use.
pub struct EndpointChange {
    /// Where webhooks go: checked against the endpoint policy.
    pub url: Option<String>,
    /// Sent as X-Webhook-Key: not empty.
    pub key: Option<String>,
    /// The Standard Webhooks signing secret: a valid `whsec_` secret.
    pub secret: Option<String>,
    /// The events subscribed to: known operations or pairs (`*`: all).
    pub events: Option<Vec<String>>,
}

impl EndpointChange {
    /// Checks each given field and writes it into the client's settings; `prefix` is how the
    /// route names the fields (`webhook_` on the company configuration).
    pub fn apply(
        self,
        st: &mut super::Settings,
        policy: &waas_core::endpoint::EndpointPolicy,
        prefix: &str,
    ) -> Result<(), ApiError> {
        if let Some(url) = self.url {
            super::endpoint::check(&url, policy)?;
            st.webhook_url = Some(url);
        }
        if let Some(key) = self.key {
            if key.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "{prefix}key cannot be empty"
                )));
            }
            st.webhook_key = Some(key);
        }
        if let Some(secret) = self.secret {
            waas_core::webhook::WebhookSecret::parse(&secret)?;
            st.webhook_secret = Some(secret);
        }
        if let Some(events) = self.events {
            st.webhook_events = subscriptions::parse(&events)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let p = Policy::default();
        assert_eq!(p.backoff_ms(1), BACKOFF_BASE_MS);
        assert_eq!(p.backoff_ms(2), 2 * BACKOFF_BASE_MS);
        assert_eq!(p.backoff_ms(5), 16 * BACKOFF_BASE_MS);
        assert_eq!(p.backoff_ms(0), BACKOFF_BASE_MS);
        for failed in 1..200 {
            let d = p.backoff_ms(failed);
            assert!(
                (BACKOFF_BASE_MS..=BACKOFF_CAP_MS).contains(&d),
                "{failed}: {d}"
            );
            assert!(d >= p.backoff_ms(failed - 1));
        }
        assert_eq!(p.backoff_ms(40), BACKOFF_CAP_MS);
        assert_eq!(p.backoff_ms(i64::MAX), BACKOFF_CAP_MS);
        let small = Policy {
            backoff_base_ms: 10,
            backoff_cap_ms: 100,
            ..Policy::default()
        };
        assert_eq!(
            (1..8).map(|f| small.backoff_ms(f)).collect::<Vec<_>>(),
            vec![10, 20, 40, 80, 100, 100, 100]
        );
    }

    #[test]
    fn jitter_stays_within_twenty_percent_and_spreads() {
        for delay in [1i64, 7, 99, 250, 1_000, 60_000, BACKOFF_CAP_MS] {
            let low = delay - delay * JITTER_PERCENT / 100;
            let high = delay + delay * JITTER_PERCENT / 100;
            for random in [0u64, 1, 2, 17, u64::MAX / 2, u64::MAX - 1, u64::MAX] {
                let j = jittered(delay, random);
                assert!(j >= low.max(1) && j <= high, "{delay} {random}: {j}");
            }
        }
        assert_eq!(jittered(1_000, 0), 800);
        assert_eq!(jittered(1_000, 400), 1_200);
        assert_eq!(jittered(1_000, 401), 800);
        // Real randomness spreads the delays (200 draws of 401 values: not all alike).
        let draws: std::collections::BTreeSet<i64> =
            (0..200).map(|_| jittered(1_000, random_u64())).collect();
        assert!(draws.len() > 20, "{draws:?}");
        assert!(draws.iter().all(|d| (800..=1_200).contains(d)));
        let p = Policy::default();
        for failed in 1..40 {
            let r = p.retry_in_ms(failed);
            assert!(r <= BACKOFF_CAP_MS + BACKOFF_CAP_MS / 5, "{failed}: {r}");
        }
    }

    #[test]
    fn an_event_dies_at_the_attempt_or_age_cap() {
        let p = Policy::default();
        assert!(!p.is_dead(1, 0));
        assert!(!p.is_dead(MAX_ATTEMPTS - 1, MAX_AGE_MS - 1));
        assert!(p.is_dead(MAX_ATTEMPTS, 0));
        assert!(p.is_dead(1, MAX_AGE_MS));
    }
}
