//! Backtesting a draft rule set: the logged signals of a past period are scored again under
//! the draft and under the rules in force, side by side from the same cold start, and the
//! warnings each would have raised are compared person by person and against the fraud cases
//! that followed. Facts are the ones logged, so the watchlist of the time is what counts.

use rustc_hash::FxHashMap;

use crate::rules::{Level, RuleSet};
use crate::{Engine, Fact, PersonId, Time, Watchlist};

/// Warnings by level, lowest first (`Level as usize`).
pub type ByLevel = [u64; 3];

/// One person's warnings under one rule set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Warned {
    first: Option<Time>,
    highest: Option<Level>,
}

impl Warned {
    fn add(&mut self, at: Time, level: Level) {
        self.first = Some(self.first.map_or(at, |f| f.min(at)));
        self.highest = self.highest.max(Some(level));
    }

    /// Warned before (or when) a case occurred: the warning could have prevented it.
    fn before(&self, at: Time) -> bool {
        self.first.is_some_and(|f| f <= at)
    }
}

/// A person the two sets judge differently: the warning one set raised and the other did not,
/// or raised at another highest level. `signal` is the first warning's, for looking it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub person: PersonId,
    pub signal: String,
    pub draft: Option<Level>,
    pub live: Option<Level>,
}

/// What a backtest found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub signals: u64,
    pub draft: ByLevel,
    pub live: ByLevel,
    /// People warned under each set.
    pub draft_persons: u64,
    pub live_persons: u64,
    /// People warned only under the draft, only under the live set, and under both.
    pub only_draft: u64,
    pub only_live: u64,
    pub both: u64,
    /// People warned under both whose highest level differs.
    pub level_changed: u64,
    /// The first differences in signal order, up to the sample size asked for.
    pub sample: Vec<Difference>,
    /// Cases given, and of them those whose victim each set had warned before the case.
    pub cases: u64,
    pub draft_caught: u64,
    pub live_caught: u64,
}

/// Scores a stream of logged signals under two rule sets at once.
pub struct Backtest {
    draft: Engine,
    live: Engine,
    warned: FxHashMap<PersonId, (Warned, Warned, Box<str>)>,
    report: Report,
}

impl Backtest {
    pub fn new(draft: RuleSet, live: RuleSet) -> Backtest {
        Backtest {
            draft: Engine::new(draft, Watchlist::default()),
            live: Engine::new(live, Watchlist::default()),
            warned: FxHashMap::default(),
            report: Report::default(),
        }
    }

    /// The next signal of the log, in log order.
    pub fn apply(&mut self, person: PersonId, at: Time, signal: &str, fact: Fact) {
        self.report.signals += 1;
        let (_, draft) = self.draft.apply(person, at, signal, fact);
        let (_, live) = self.live.apply(person, at, signal, fact);
        if draft.is_none() && live.is_none() {
            return;
        }
        let entry = self.warned.entry(person).or_default();
        if entry.2.is_empty() {
            entry.2 = signal.into();
        }
        if let Some(w) = draft {
            self.report.draft[w.level as usize] += 1;
            entry.0.add(at, w.level);
        }
        if let Some(w) = live {
            self.report.live[w.level as usize] += 1;
            entry.1.add(at, w.level);
        }
    }

    /// Compares the two sets over what was applied; `cases` are (victim, when) of the cases
    /// that followed, `sample` how many differences to list.
    pub fn finish(mut self, cases: &[(PersonId, Time)], sample: usize) -> Report {
        let mut r = std::mem::take(&mut self.report);
        let mut differing: Vec<(&str, Difference)> = Vec::new();
        for (&person, (draft, live, signal)) in &self.warned {
            let (d, l) = (draft.highest, live.highest);
            r.draft_persons += u64::from(d.is_some());
            r.live_persons += u64::from(l.is_some());
            match (d, l) {
                (Some(_), None) => r.only_draft += 1,
                (None, Some(_)) => r.only_live += 1,
                (Some(a), Some(b)) => {
                    r.both += 1;
                    r.level_changed += u64::from(a != b);
                }
                (None, None) => {}
            }
            if d != l {
                differing.push((signal, Difference { person, signal: signal.to_string(), draft: d, live: l }));
            }
        }
        // Signal ids are not ordered by time; the sample is ordered by id so it is the same
        // from run to run.
        differing.sort_by(|a, b| a.0.cmp(b.0));
        r.sample = differing.into_iter().take(sample).map(|(_, d)| d).collect();
        for &(person, at) in cases {
            r.cases += 1;
            if let Some((draft, live, _)) = self.warned.get(&person) {
                r.draft_caught += u64::from(draft.before(at));
                r.live_caught += u64::from(live.before(at));
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::SignalTag;
    use crate::{DEFAULT_RULES, RuleSet};

    fn listed_call(duration_s: u32) -> Fact {
        Fact::new(SignalTag::Call, true, 90, duration_s, 0)
    }

    fn run(draft: &str, cases: &[(PersonId, Time)]) -> Report {
        let live = RuleSet::from_toml(DEFAULT_RULES).unwrap();
        let draft = RuleSet::from_toml(draft).unwrap();
        let mut b = Backtest::new(draft, live);
        for p in 0..20u64 {
            // Even people take a long call from a listed number; odd ones a short one.
            let duration = if p % 2 == 0 { 900 } else { 20 };
            b.apply(p, 1_000 + p as i64, &format!("s{p}"), listed_call(duration));
        }
        b.finish(cases, 5)
    }

    #[test]
    fn the_rules_in_force_against_themselves_differ_in_nothing() {
        let r = run(DEFAULT_RULES, &[(0, 2_000), (1, 2_000)]);
        assert_eq!(r.signals, 20);
        assert_eq!(r.draft, r.live);
        assert!(r.live.iter().sum::<u64>() > 0, "the fixture raises warnings: {r:?}");
        assert_eq!((r.only_draft, r.only_live, r.level_changed), (0, 0, 0));
        assert!(r.sample.is_empty());
        assert_eq!(r.draft_caught, r.live_caught);
    }

    #[test]
    fn a_draft_with_thresholds_out_of_reach_warns_nobody_and_lists_whom_it_misses() {
        let unreachable =
            DEFAULT_RULES.replace("high = 80\nmedium = 50\nlow = 25", "high = 5000\nmedium = 4000\nlow = 3000");
        assert_ne!(unreachable, DEFAULT_RULES);
        // A case for every person, well after the signals.
        let cases: Vec<(PersonId, Time)> = (0..20).map(|p| (p, 5_000)).collect();
        let r = run(&unreachable, &cases);
        assert_eq!(r.draft, [0, 0, 0]);
        assert_eq!((r.draft_persons, r.only_draft, r.both), (0, 0, 0));
        assert_eq!(r.live_persons, 10, "the ten long calls from a listed number warn: {r:?}");
        assert_eq!(r.only_live, 10);
        assert_eq!(r.sample.len(), 5);
        assert!(r.sample.iter().all(|d| d.draft.is_none() && d.live.is_some() && d.person % 2 == 0));
        assert_eq!((r.cases, r.draft_caught, r.live_caught), (20, 0, 10));
        // A case before any warning is caught by no set.
        let early = run(DEFAULT_RULES, &[(0, 10)]);
        assert_eq!((early.cases, early.live_caught), (1, 0));
    }
}
