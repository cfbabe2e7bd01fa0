//! The window in which a revealed value stays shown to the officer who revealed it. A reveal
//! is audited once, with its purpose; a form on the same page refused a minute later shows
//! the value again without a second reveal (and a second audit entry) and without the value
//! itself being kept anywhere: only who revealed what record, and when.

use std::collections::HashMap;
use std::sync::Mutex;

/// How long a reveal covers the page it was made on.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

#[derive(Default)]
pub struct RevealWindow {
    /// (user, kind of record, record id) → when revealed.
    seen: Mutex<HashMap<(i64, &'static str, i64), i64>>,
}

impl RevealWindow {
    pub fn record(&self, user: i64, kind: &'static str, id: i64, now_ms: i64) {
        if let Ok(mut m) = self.seen.lock() {
            // Forget the expired ones as new ones come, so the map stays small.
            m.retain(|_, at| now_ms - *at < WINDOW_MS);
            m.insert((user, kind, id), now_ms);
        }
    }

    pub fn open(&self, user: i64, kind: &'static str, id: i64, now_ms: i64) -> bool {
        self.seen.lock().is_ok_and(|m| m.get(&(user, kind, id)).is_some_and(|at| now_ms - *at < WINDOW_MS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reveal_covers_its_record_for_its_viewer_for_the_window_only() {
        let w = RevealWindow::default();
        w.record(7, "fraud_task", 3, 1_000);
        assert!(w.open(7, "fraud_task", 3, 1_000 + WINDOW_MS - 1));
        assert!(!w.open(7, "fraud_task", 3, 1_000 + WINDOW_MS));
        assert!(!w.open(8, "fraud_task", 3, 2_000), "another officer");
        assert!(!w.open(7, "fraud_task", 4, 2_000), "another record");
    }
}
