//! Per-client throttling of failed logins, in memory: a client address that fails too often
//! in a window is refused before any password is checked. Account lock-out, which must
//! survive restarts, is kept in the database instead.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Bounds memory under a flood from many addresses.
const MAX_TRACKED: usize = 100_000;

pub struct LoginThrottle {
    limit: u32,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl LoginThrottle {
    pub fn new(limit: u32) -> LoginThrottle {
        LoginThrottle { limit, failures: Mutex::new(HashMap::new()) }
    }

    pub fn allowed(&self, ip: IpAddr) -> bool {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&ip) {
            Some((n, since)) if since.elapsed() < WINDOW => *n < self.limit,
            _ => true,
        }
    }

    pub fn failed(&self, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, ip: IpAddr) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_limit_and_forgets_on_success() {
        let t = LoginThrottle::new(3);
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        for _ in 0..3 {
            assert!(t.allowed(ip));
            t.failed(ip);
        }
        assert!(!t.allowed(ip));
        assert!(t.allowed("127.0.0.10".parse().unwrap()), "other clients unaffected");
        t.succeeded(ip);
        assert!(t.allowed(ip));
    }
}
