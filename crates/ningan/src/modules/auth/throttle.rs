//! Throttling of failed officer logins, in memory, built so that it cannot be turned against
//! the officers it protects:
//!
//! - per client address: failures in a window, never reset by a success (an address that
//!   alternates guesses with a right login on its own account is still counted);
//! - per address and account name: after a few failures that pair is refused for the window.
//!   Another address — the officer at their own desk — is not affected, so nobody can lock an
//!   officer out at will; unknown names are counted the same way, so the answer does not tell
//!   whether an account exists;
//! - per account, from any address: past the limit each further wrong attempt is answered
//!   late, which slows guessing spread over many addresses without refusing the right password.

use std::net::IpAddr;
use std::time::Duration;

use crate::http::limit::RateLimiter;

/// How long a wrong attempt on an account under distributed guessing is held before answering.
pub const SLOW_ANSWER: Duration = Duration::from_secs(2);

pub struct LoginThrottle {
    client: RateLimiter<IpAddr>,
    pair: RateLimiter<(IpAddr, String)>,
    account: RateLimiter<String>,
}

impl LoginThrottle {
    /// `per_client` failures per address per 15 minutes; `per_pair` failures per address and
    /// account per `pair_window`.
    pub fn new(per_client: u32, per_pair: u32, pair_window: Duration) -> LoginThrottle {
        LoginThrottle {
            client: RateLimiter::with_window(per_client, Duration::from_secs(15 * 60)),
            pair: RateLimiter::with_window(per_pair, pair_window),
            account: RateLimiter::with_window(per_pair.saturating_mul(4), pair_window),
        }
    }

    /// Whether this address may try this account name now.
    pub fn allowed(&self, ip: IpAddr, username: &str) -> bool {
        self.client.allowed(&ip) && self.pair.allowed(&(ip, normalise(username)))
    }

    /// Counts a failure; true when the account is under guessing from many places and the
    /// answer should be slowed.
    pub fn failed(&self, ip: IpAddr, username: &str) -> bool {
        let name = normalise(username);
        self.client.count(ip);
        self.pair.count((ip, name.clone()));
        !self.account.admit(name)
    }
}

fn normalise(username: &str) -> String {
    username.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn guesses_from_one_address_close_that_address_and_account_only() {
        let t = LoginThrottle::new(100, 3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(t.allowed(ip("10.0.0.1"), "officer"));
            t.failed(ip("10.0.0.1"), "Officer ");
        }
        assert!(!t.allowed(ip("10.0.0.1"), "officer"));
        assert!(t.allowed(ip("10.0.0.2"), "officer"), "the officer's own desk still signs in");
        assert!(t.allowed(ip("10.0.0.1"), "someone-else"));
    }

    #[test]
    fn an_address_is_closed_by_its_failures_whatever_succeeds_between() {
        let t = LoginThrottle::new(4, 100, Duration::from_secs(60));
        for i in 0..4 {
            assert!(t.allowed(ip("10.0.0.1"), &format!("guess{i}")));
            t.failed(ip("10.0.0.1"), &format!("guess{i}"));
            // A right login on the attacker's own account changes nothing here.
        }
        assert!(!t.allowed(ip("10.0.0.1"), "own-account"));
    }

    #[test]
    fn guessing_one_account_from_many_addresses_is_slowed_not_locked() {
        let t = LoginThrottle::new(100, 2, Duration::from_secs(60));
        let slowed: Vec<bool> = (0..10).map(|i| t.failed(ip(&format!("10.0.1.{i}")), "officer")).collect();
        assert_eq!(slowed.iter().filter(|s| **s).count(), 2, "{slowed:?}");
        assert!(t.allowed(ip("10.0.0.9"), "officer"));
    }
}
