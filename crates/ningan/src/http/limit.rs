//! Requests per client address per minute, in memory, for the anonymous endpoints (the
//! public fraud check and report, citizens' sign-in). Failed officer logins have their own
//! throttle in `modules::auth`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
const MAX_TRACKED: usize = 100_000;

/// Requests per client address per minute.
pub struct ClientLimiter {
    limit: u32,
    seen: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl ClientLimiter {
    pub fn new(limit: u32) -> ClientLimiter {
        ClientLimiter { limit, seen: Mutex::new(HashMap::new()) }
    }

    /// Counts the request; false once the client is over its limit for this minute.
    pub fn admit(&self, ip: IpAddr) -> bool {
        let mut map = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
        entry.0 <= self.limit
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
}
