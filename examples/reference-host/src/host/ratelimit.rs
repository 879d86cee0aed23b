//! A per-key rate limit: a token bucket per API key (by hash), refilled at `rate` requests a
//! second up to a burst of twice that; a request finding the bucket empty is answered 429
//! RATE_LIMITED with `Retry-After`. Kept in memory per host (several hosts each allow the rate).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets kept before idle full ones are dropped.
const PRUNE_AT: usize = 10_000;

/// One key's bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The limiter of one host.
#[derive(Debug)]
pub struct RateLimiter {
    /// Requests a second per key (0: no limit).
    rate: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter allowing `rate` requests a second per key with bursts of `2 * rate` (0: off).
    pub fn new(rate: u32) -> RateLimiter {
        RateLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request's token for a key at `now`: `Ok`, or the whole seconds to wait.
    pub fn take(&self, key_hash: &str, now: Instant) -> Result<(), u64> {
        if self.rate == 0 {
            return Ok(());
        }
        let rate = f64::from(self.rate);
        let burst = rate * 2.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= PRUNE_AT {
            // Idle long enough to be full again: the same as no bucket at all.
            buckets.retain(|_, b| {
                (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate) < burst
            });
        }
        let b = buckets.entry(key_hash.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - b.tokens) / rate;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bursts_then_the_rate() {
        let l = RateLimiter::new(100);
        let t0 = Instant::now();
        for i in 0..200 {
            assert!(l.take("k", t0).is_ok(), "request {i} of the burst");
        }
        assert_eq!(l.take("k", t0), Err(1));
        // another key has its own bucket
        assert!(l.take("other", t0).is_ok());
        // 50 ms later: 5 more
        let t1 = t0 + Duration::from_millis(50);
        for _ in 0..5 {
            assert!(l.take("k", t1).is_ok());
        }
        assert!(l.take("k", t1).is_err());
        assert!(RateLimiter::new(0).take("k", t0).is_ok());
    }
}
