//! The anti-fraud scoring engine (反诈预警): signals about a person are matched against
//! watchlists, typology rules fire on single signals, counts in sliding windows and sequences
//! within a time limit, the fired rules add up to a risk score, and thresholds grade the
//! warning that sets how officers dissuade.
//!
//! Architecture invariant: no HTTP, no SQL, no identities. People are opaque `u64` ids the
//! application maps to subscribers; times are seconds since the Unix epoch.

pub mod backtest;
pub mod engine;
pub mod normalize;
pub mod rules;
pub mod signal;
pub mod watchlist;

pub use backtest::{Backtest, Difference, Report as BacktestReport};
pub use engine::{Engine, Firing, MAX_EVENTS_PER_PERSON, Outcome, SnapshotError, Warning};
pub use normalize::NormalizeError;
pub use rules::{Cond, DEFAULT_RULES, Level, Logic, Rule, RuleError, RuleSet};
pub use signal::{AccountVia, Signal, SignalBody, SignalError, SignalKind, SignalRecord, SignalTag, amount_fen};
pub use watchlist::{EntryKind, Hit, Listing, Watchlist};

pub type PersonId = u64;
pub type Time = i64;

/// What the rules see of a signal once it has been checked against the watchlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fact {
    pub tag: SignalTag,
    pub listed: bool,
    pub confidence: u8,
    pub duration_s: u32,
    pub amount_fen: i64,
}
