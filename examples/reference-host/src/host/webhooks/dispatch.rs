//! The dispatcher: fair rounds over the clients with due events, a bounded number of attempts in
//! flight per endpoint and overall, each attempt in a task of its own, so an endpoint that hangs
//! or refuses holds only its own slots and no one else's deliveries wait on it.

use super::send::{self, Job};
use super::subscriptions;
use super::{Policy, CLIENTS_PER_ROUND, CLOSED, LEASE_MS, PARKED};
use crate::host::error::ApiError;
use crate::host::store::{col, now_ms};
use crate::host::{AppState, Settings};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Attempts in flight to one client's endpoint from this host, and whether its last one failed.
#[derive(Debug, Default, Clone, Copy)]
struct Slot {
    in_flight: usize,
    failing: bool,
}

/// What the dispatcher and its attempt tasks share.
pub struct Shared {
    /// The host.
    pub state: Arc<AppState>,
    /// The guarded HTTP client.
    pub http: reqwest::Client,
    /// Limits of delivery.
    pub policy: Policy,
    slots: Mutex<HashMap<String, Slot>>,
    /// Wakes the dispatcher when an attempt ends (its slot is free).
    done: tokio::sync::Notify,
}

/// Finds due events, claims them fairly, and starts their attempts.
pub struct Dispatcher {
    shared: Arc<Shared>,
}

/// Frees an attempt's slot when the attempt ends, however it ends, and wakes the dispatcher.
pub struct SlotGuard {
    shared: Arc<Shared>,
    client_id: String,
    /// Whether the attempt failed (the endpoint then gets one slot until an attempt succeeds).
    pub failed: bool,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.shared.slots.lock() {
            if let Some(slot) = slots.get_mut(&self.client_id) {
                slot.in_flight = slot.in_flight.saturating_sub(1);
                slot.failing = self.failed;
                if slot.in_flight == 0 && !slot.failing {
                    slots.remove(&self.client_id);
                }
            }
        }
        self.shared.done.notify_one();
    }
}

impl Dispatcher {
    /// A dispatcher over the host's outbox.
    pub fn new(state: Arc<AppState>, http: reqwest::Client, policy: Policy) -> Dispatcher {
        Dispatcher {
            shared: Arc::new(Shared {
                state,
                http,
                policy,
                slots: Mutex::new(HashMap::new()),
                done: tokio::sync::Notify::new(),
            }),
        }
    }

    /// Waits for new events, a freed slot, or the poll interval.
    pub async fn idle(&self, poll: Duration) {
        tokio::select! {
            _ = self.shared.state.outbox_notify.notified() => {}
            _ = self.shared.done.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }

    /// Waits until no attempt is in flight.
    pub async fn drain(&self) {
        loop {
            let done = self.shared.done.notified();
            let busy: usize = self
                .shared
                .slots
                .lock()
                .map(|s| s.values().map(|x| x.in_flight).sum())
                .unwrap_or(0);
            if busy == 0 {
                return;
            }
            done.await;
        }
    }

    /// Free slots of a client's endpoint, within the global cap.
    fn free(&self, client_id: &str) -> usize {
        let Ok(slots) = self.shared.slots.lock() else {
            return 0;
        };
        let total: usize = slots.values().map(|s| s.in_flight).sum();
        let global = self.shared.policy.in_flight.saturating_sub(total);
        let slot = slots.get(client_id).copied().unwrap_or_default();
        let cap = if slot.failing {
            1
        } else {
            self.shared.policy.per_endpoint.max(1)
        };
        cap.saturating_sub(slot.in_flight).min(global)
    }

    /// Takes a slot of the client's endpoint.
    fn reserve(&self, client_id: &str) -> SlotGuard {
        if let Ok(mut slots) = self.shared.slots.lock() {
            slots.entry(client_id.to_owned()).or_default().in_flight += 1;
        }
        SlotGuard {
            shared: self.shared.clone(),
            client_id: client_id.to_owned(),
            failed: false,
        }
    }

    /// One round: the clients with due events, longest waiting first, each given at most its
    /// endpoint's free slots. Returns how many events it started, skipped or parked.
    pub async fn round(&self) -> Result<usize, ApiError> {
        let state = &self.shared.state;
        let now = now_ms();
        let clients = sqlx::query("SELECT client_id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 GROUP BY client_id ORDER BY MIN(next_attempt_at) LIMIT $2")
            .bind(now)
            .bind(CLIENTS_PER_ROUND)
            .fetch_all(state.store.pool())
            .await?;
        let mut progress = 0;
        for r in clients {
            let client_id = col(&r, "client_id")?;
            let free = self.free(&client_id);
            if free == 0 {
                continue;
            }
            progress += self.client_round(&client_id, free, now).await?;
        }
        Ok(progress)
    }

    /// Parks, skips or starts the due events of one client (at most `free` started).
    async fn client_round(
        &self,
        client_id: &str,
        free: usize,
        now: i64,
    ) -> Result<usize, ApiError> {
        let state = &self.shared.state;
        let settings = settings_of(state, client_id).await?;
        let disabled = sqlx::query("SELECT client_id FROM webhook_endpoints WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(state.store.pool())
            .await?
            .is_some();
        let url = match (&settings.webhook_url, disabled) {
            (Some(url), false) => url.clone(),
            _ => return self.park(client_id, now).await,
        };
        let settings = Arc::new(settings);
        // A few more rows than slots, so events skipped for the subscriptions do not waste the
        // round.
        let want = i64::try_from(free)
            .unwrap_or(1)
            .saturating_mul(2)
            .saturating_add(8);
        let rows = sqlx::query("SELECT id, event, attempts, attempt_base, created_at, revived_at, next_attempt_at FROM outbox WHERE client_id = $1 AND delivered_at IS NULL AND next_attempt_at <= $2 ORDER BY created_at, seq LIMIT $3")
            .bind(client_id)
            .bind(now)
            .bind(want)
            .fetch_all(state.store.pool())
            .await?;
        let mut progress = 0;
        let mut started = 0;
        for r in rows {
            if started == free {
                break;
            }
            // An event whose kind cannot be read (logged as CORRUPT_RECORD) is still delivered
            // as it was stored: leaving it out would lose it.
            let wanted = subscriptions::kind_of(&col(&r, "event")?).map_or(true, |(op, sub)| {
                subscriptions::wants(settings.webhook_events.as_deref(), &op, &sub)
            });
            if !wanted {
                progress += self.skip(&r).await?;
            } else if self.start(client_id, &r, &url, &settings).await? {
                started += 1;
                progress += 1;
            }
        }
        Ok(progress)
    }

    /// No endpoint, or a disabled one: the client's due events are parked in one statement
    /// until the configuration is saved (which makes them due again). Nothing is scanned or
    /// written for them in the meantime, however many there are.
    async fn park(&self, client_id: &str, now: i64) -> Result<usize, ApiError> {
        let parked = sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE client_id = $2 AND delivered_at IS NULL AND next_attempt_at <= $3")
            .bind(PARKED)
            .bind(client_id)
            .bind(now)
            .execute(self.shared.state.store.pool())
            .await?;
        Ok(usize::try_from(parked.rows_affected()).unwrap_or(0))
    }

    /// An event the client did not subscribe to: closed as skipped, in the log, never sent.
    async fn skip(&self, r: &sqlx::any::AnyRow) -> Result<usize, ApiError> {
        let due: i64 = r.try_get("next_attempt_at")?;
        let skipped = sqlx::query("UPDATE outbox SET outcome = 'skipped', next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND delivered_at IS NULL")
            .bind(CLOSED)
            .bind(col(r, "id")?)
            .bind(due)
            .execute(self.shared.state.store.pool())
            .await?;
        Ok(usize::try_from(skipped.rows_affected()).unwrap_or(0))
    }

    /// Claims a due event for a lease (another host on the same database may be looking at it)
    /// and starts its attempt; false when another host claimed it first.
    async fn start(
        &self,
        client_id: &str,
        r: &sqlx::any::AnyRow,
        url: &str,
        settings: &Arc<Settings>,
    ) -> Result<bool, ApiError> {
        let id = col(r, "id")?;
        let due: i64 = r.try_get("next_attempt_at")?;
        let claimed = sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND delivered_at IS NULL")
            .bind(now_ms() + LEASE_MS)
            .bind(&id)
            .bind(due)
            .execute(self.shared.state.store.pool())
            .await?;
        if claimed.rows_affected() == 0 {
            return Ok(false);
        }
        let created_at: i64 = r.try_get("created_at")?;
        let revived_at: Option<i64> = r.try_get("revived_at")?;
        let job = Job {
            client_id: client_id.to_owned(),
            id,
            event: col(r, "event")?,
            attempts: r.try_get("attempts")?,
            attempt_base: r.try_get("attempt_base")?,
            since: revived_at.unwrap_or(created_at),
            url: url.to_owned(),
            settings: Arc::clone(settings),
        };
        let guard = self.reserve(client_id);
        tokio::spawn(send::attempt(self.shared.clone(), job, guard));
        Ok(true)
    }
}

/// The client's settings as stored (defaults when there are none).
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
