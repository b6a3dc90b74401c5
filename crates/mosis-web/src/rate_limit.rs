//! Token-bucket rate limits per key (an IP address, an API token).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets are forgotten once this many exist and they are full again.
const PRUNE_AT: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Allows `per_minute` requests a minute per key, in bursts of up to `per_minute`.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter of `per_minute` requests per key (0 disables it).
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: f64::from(per_minute),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket at `now`; `Err(seconds)` to wait when empty.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        if self.per_minute <= 0.0 {
            return Ok(());
        }
        let rate = self.per_minute / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= PRUNE_AT {
            let full = self.per_minute;
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < full
            });
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.per_minute,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(self.per_minute);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            // Whole seconds until one token is back, at least one.
            let wait = ((1.0 - bucket.tokens) / rate).ceil();
            Err(if wait.is_finite() && wait >= 1.0 {
                wait as u64
            } else {
                1
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_is_allowed_then_refused_then_refilled_at_the_rate() {
        let limiter = RateLimiter::new(60);
        let t0 = Instant::now();
        for _ in 0..60 {
            limiter.check("ip", t0).unwrap();
        }
        assert_eq!(limiter.check("ip", t0), Err(1), "the bucket is empty");
        assert!(limiter.check("other", t0).is_ok(), "keys are independent");
        assert!(
            limiter.check("ip", t0 + Duration::from_secs(1)).is_ok(),
            "one a second comes back"
        );
        assert!(limiter.check("ip", t0 + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn zero_disables_the_limit() {
        let limiter = RateLimiter::new(0);
        let now = Instant::now();
        assert!((0..10_000).all(|_| limiter.check("k", now).is_ok()));
    }
}
