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
pub use engine::{Engine, Firing, MAX_EVENTS_PER_PERSON, MAX_PAYEES_PER_PERSON, Outcome, SnapshotError, Warning};
pub use normalize::NormalizeError;
pub use rules::{Cond, DEFAULT_RULES, INFLOW_WINDOW, Level, Logic, Rule, RuleError, RuleSet, Uses};
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
    /// For a transfer, the payee account as a keyed hash (0 for anything else): enough to
    /// recognise the same account again, never the account itself.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub payee: u64,
    /// What the engine's memory adds when it scores the fact; empty until then, so the
    /// signal log (written before scoring) never holds it and a rebuild derives it again.
    #[serde(default, skip_serializing_if = "Aggregates::is_empty")]
    pub seen: Aggregates,
}

impl Fact {
    /// A fact with no payee and nothing derived yet.
    pub fn new(tag: SignalTag, listed: bool, confidence: u8, duration_s: u32, amount_fen: i64) -> Fact {
        Fact { tag, listed, confidence, duration_s, amount_fen, payee: 0, seen: Aggregates::default() }
    }
}

/// Behavioural aggregates of a transfer, in the order signals are scored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Aggregates {
    /// The person has not paid this account within the rule set's payee memory.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new_payee: bool,
    /// Transfers into this account from anyone in the hour up to and including this one:
    /// a collecting (mule) account receives from many victims at once.
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub payee_hourly: u32,
    /// Seconds since the person's latest call from a listed number, when this is their first
    /// transfer after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_listed_call: Option<Time>,
}

impl Aggregates {
    pub fn is_empty(&self) -> bool {
        *self == Aggregates::default()
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_zero32(v: &u32) -> bool {
    *v == 0
}
