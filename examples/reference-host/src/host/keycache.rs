//! API keys recently read, by hash, so that authenticating a request costs no database round trip.
//!
//! An entry lives [`TTL`] at most. A key revoked (or a client retired) through this host is
//! dropped from its cache at once; a lookup that raced with the revocation, or another host
//! sharing the database, honours it for at most [`TTL`] more (docs/HOST.md).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use waas_core::access::StoredKey;

/// How long a key read from the database is trusted without reading it again.
pub const TTL: Duration = Duration::from_secs(1);

/// Entries kept at most; the cache empties when full (keys are read again).
const CAPACITY: usize = 10_000;

/// The cache: key hash (hex SHA-256, never the key) to the owning client and the stored record.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (Instant, String, StoredKey)>>,
}

impl KeyCache {
    /// The client and record of a key hash read less than [`TTL`] ago.
    pub fn get(&self, hash: &str, now: Instant) -> Option<(String, StoredKey)> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(hash)
            .filter(|(read, _, _)| now.saturating_duration_since(*read) < TTL)
            .map(|(_, client, key)| (client.clone(), key.clone()))
    }

    /// Remembers a key as read now.
    pub fn put(&self, hash: String, client: String, key: StoredKey, now: Instant) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(hash, (now, client, key));
    }

    /// Forgets every key (after a revocation or a client's retirement on this host).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}
