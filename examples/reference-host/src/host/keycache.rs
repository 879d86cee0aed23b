//! API keys recently read, by hash, so that authenticating a request costs no database round trip.
//!
//! An entry is a key's record as it acts (its effective permissions, after its access level) and
//! lives [`TTL`] at most. A key revoked, a client retired, a level changed or a user moved or
//! deleted through this host empties its cache at once; a lookup that raced with the change, or
//! another host sharing the database, honours it within [`TTL`] (under a second; docs/SECURITY.md).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use waas_core::access::StoredKey;

/// How long a key read from the database is trusted without reading it again: half a second, so a
/// change made on any host shows on every host within one.
pub const TTL: Duration = Duration::from_millis(500);

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

    /// Forgets every key (after a revocation, a retirement or a change of levels on this host).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_within_a_second() {
        assert!(TTL < Duration::from_secs(1));
        let cache = KeyCache::default();
        let (_, key) =
            waas_core::access::new_key(waas_core::access::Environment::Sandbox, []).expect("key");
        let t = Instant::now();
        cache.put("h".into(), "cli".into(), key, t);
        assert!(cache.get("h", t + TTL / 2).is_some());
        assert!(cache.get("h", t + TTL).is_none());
        cache.clear();
        assert!(cache.get("h", t).is_none());
    }
}
