//! Counting limiters in memory: events per key per window. Keyed by client address for the
//! anonymous endpoints (the public fraud check and report, citizens' sign-in), by address and
//! by address + account for officers' failed logins, and by caller for searches by a full
//! identifier.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Bounds memory under a flood from many keys.
const MAX_TRACKED: usize = 100_000;

/// Events per key per fixed window; a key's window starts at its first event.
pub struct RateLimiter<K> {
    limit: u32,
    window: Duration,
    seen: Mutex<HashMap<K, (u32, Instant)>>,
}

/// Requests per client address per minute.
pub type ClientLimiter = RateLimiter<IpAddr>;

impl RateLimiter<IpAddr> {
    pub fn new(limit: u32) -> ClientLimiter {
        RateLimiter::with_window(limit, Duration::from_secs(60))
    }
}

impl<K: Hash + Eq> RateLimiter<K> {
    pub fn with_window(limit: u32, window: Duration) -> RateLimiter<K> {
        RateLimiter { limit, window, seen: Mutex::new(HashMap::new()) }
    }

    /// Counts the event; false once the key is over its limit for this window.
    pub fn admit(&self, key: K) -> bool {
        self.count(key) <= self.limit
    }

    /// Counts the event without deciding anything (failures that a later [`Self::allowed`]
    /// weighs).
    pub fn count(&self, key: K) -> u32 {
        let mut map = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED {
            let window = self.window;
            map.retain(|_, (_, since)| since.elapsed() < window);
        }
        let entry = map.entry(key).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
        entry.0
    }

    /// Whether the key is still under its limit, without counting.
    pub fn allowed(&self, key: &K) -> bool {
        let map = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(key) {
            Some((n, since)) if since.elapsed() < self.window => *n < self.limit,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_limit_is_refused_and_others_are_not() {
        let l = ClientLimiter::new(2);
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        assert!(l.admit(a) && l.admit(a));
        assert!(!l.admit(a));
        assert!(l.admit(b));
    }

    #[test]
    fn counted_failures_close_the_key_without_closing_others() {
        let l: RateLimiter<(u8, &str)> = RateLimiter::with_window(2, Duration::from_secs(60));
        assert!(l.allowed(&(1, "a")));
        l.count((1, "a"));
        l.count((1, "a"));
        assert!(!l.allowed(&(1, "a")));
        assert!(l.allowed(&(1, "b")) && l.allowed(&(2, "a")));
    }
}
