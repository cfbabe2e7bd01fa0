//! Per-person window state and scoring.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::rules::{INFLOW_WINDOW, Level, Logic, RuleSet};
use crate::signal::{AccountVia, Signal, SignalKind};
use crate::watchlist::{EntryKind, Watchlist};
use crate::{Fact, PersonId, Time, normalize};

/// The most signals kept per person; older ones fall out first. Real victims produce a
/// handful of relevant signals an hour, so this only bites on floods.
pub const MAX_EVENTS_PER_PERSON: usize = 64;

/// The most accounts remembered per person; the longest unpaid is forgotten first and would
/// count as new again, which errs on the side of a warning.
pub const MAX_PAYEES_PER_PERSON: usize = 32;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Event {
    at: Time,
    seq: u64,
    signal: Box<str>,
    fact: Fact,
}

impl Event {
    fn key(&self) -> (Time, u64) {
        (self.at, self.seq)
    }
}

/// One rule firing, with what it fired on: the decision trace of a warning is made of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firing {
    pub rule: String,
    pub rule_name: String,
    pub typology: String,
    pub score: u32,
    pub at: Time,
    pub seq: u64,
    pub signals: Vec<String>,
    /// The intermediate values, e.g. "3 条 ≥ 3，60 分钟窗口".
    pub detail: String,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct PersonState {
    events: VecDeque<Event>,
    fired: Vec<Firing>,
    last_warning: Option<(Time, Level)>,
    last_at: Time,
    /// Accounts paid, with when last.
    #[serde(default)]
    payees: Vec<(u64, Time)>,
    /// The latest call from a listed number, and whether a transfer has followed it.
    #[serde(default)]
    listed_call: Option<(Time, bool)>,
}

/// A graded warning for one person, raised by one signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub person: PersonId,
    pub at: Time,
    pub signal: String,
    pub level: Level,
    pub score: u32,
    /// The typology of the strongest contributing rule.
    pub typology: String,
    pub ruleset_version: String,
    /// Every firing that counts towards the score, strongest first.
    pub trace: Vec<Firing>,
    pub thresholds: [u32; 3],
}

/// What scoring one signal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The watchlist entry the signal's identifier matched, as `kind:value`.
    pub listed: Option<(EntryKind, String, u8)>,
    pub fired: usize,
    pub warning: Option<Warning>,
}

#[derive(Debug, thiserror::Error)]
#[error("风险引擎状态快照无法读取 / engine snapshot unreadable: {0}")]
pub struct SnapshotError(#[from] serde_json::Error);

pub struct Engine {
    rules: RuleSet,
    watchlist: Watchlist,
    persons: FxHashMap<PersonId, PersonState>,
    /// Transfers of the last hour in the order scored, and how many of them went to each
    /// account: one queue for all accounts instead of a list per account, so a transfer to
    /// an account never seen before allocates nothing.
    inflows: Inflows,
    seq: u64,
    scratch: String,
    payee_key: [u8; 16],
    /// The rules' [`RuleSet::uses`], kept because every signal asks.
    uses: crate::Uses,
    /// Transfers into an account are counted outside (by whoever sees every partition) and
    /// arrive in the fact's `seen.payee_hourly`; see [`Engine::with_shared_inflows`].
    shared_inflows: bool,
}

impl Engine {
    pub fn new(rules: RuleSet, watchlist: Watchlist) -> Engine {
        Engine {
            uses: rules.uses(),
            rules,
            watchlist,
            persons: FxHashMap::default(),
            inflows: Inflows::default(),
            seq: 0,
            scratch: String::with_capacity(256),
            payee_key: [0; 16],
            shared_inflows: false,
        }
    }

    /// An engine that scores only some people (one process of several, each owning the
    /// people of some partitions) cannot count the transfers into an account from everyone:
    /// the caller counts them where all processes meet and passes the count in the fact's
    /// `seen.payee_hourly`, which the engine then takes as given.
    pub fn with_shared_inflows(mut self) -> Engine {
        self.shared_inflows = true;
        self
    }

    /// Forgets every person `keep` says no to: a process that gives a partition up drops
    /// its people, so that a later owner's replay is the only history they have.
    pub fn retain_persons(&mut self, mut keep: impl FnMut(PersonId) -> bool) {
        self.persons.retain(|person, _| keep(*person));
    }

    /// The secret that turns a payee account into its hash. Keyed, so that the hashes in
    /// the signal log cannot be reversed by hashing every plausible account number.
    pub fn with_payee_key(mut self, key: [u8; 16]) -> Engine {
        self.payee_key = key;
        self
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn watchlist(&self) -> &Watchlist {
        &self.watchlist
    }

    pub fn watchlist_mut(&mut self) -> &mut Watchlist {
        &mut self.watchlist
    }

    /// Swaps the rule set in place: window state, firings and the last warning of every
    /// person stay, so a sequence half-way through is still completed under the new rules.
    /// Firings of rules the new set no longer has stop counting.
    pub fn replace_rules(&mut self, rules: RuleSet) -> RuleSet {
        self.uses = rules.uses();
        std::mem::replace(&mut self.rules, rules)
    }

    pub fn persons(&self) -> usize {
        self.persons.len()
    }

    pub fn events(&self) -> usize {
        self.persons.values().map(|p| p.events.len()).sum()
    }

    /// Checks the signal's identifier against the watchlist.
    pub fn fact(&self, signal: &Signal) -> (Fact, Option<(EntryKind, String, u8)>) {
        let mut scratch = String::new();
        self.fact_with(signal, &mut scratch)
    }

    fn fact_with(&self, signal: &Signal, buf: &mut String) -> (Fact, Option<(EntryKind, String, u8)>) {
        let at = signal.at;
        let (tag, mut duration_s, mut amount_fen, mut payee) = (signal.kind.tag(), 0, 0, 0);
        let hit = match &signal.kind {
            SignalKind::Call { from, duration_s: d } => {
                duration_s = *d;
                normalize::phone_into(from, buf)
                    .ok()
                    .and_then(|()| self.watchlist.get(EntryKind::Phone, buf, at).map(own))
            }
            SignalKind::Sms { from } => normalize::phone_into(from, buf)
                .ok()
                .and_then(|()| self.watchlist.get(EntryKind::Phone, buf, at).map(own)),
            SignalKind::Url { url } => {
                normalize::url_into(url, buf).ok().and_then(|()| self.watchlist.get_url(buf, at).map(own))
            }
            SignalKind::App { package } => {
                normalize::app(package).ok().and_then(|p| self.watchlist.get(EntryKind::App, &p, at).map(own))
            }
            SignalKind::Transfer { account, via, amount_fen: a } => {
                amount_fen = *a;
                match via {
                    AccountVia::Bank => normalize::bank_account_into(account, buf).ok().and_then(|()| {
                        payee = self.payee_hash(*via, buf);
                        self.watchlist.get(EntryKind::BankAccount, buf, at).map(own)
                    }),
                    AccountVia::Pay => normalize::pay_account(account).ok().and_then(|n| {
                        payee = self.payee_hash(*via, &n);
                        self.watchlist.get(EntryKind::PayAccount, &n, at).map(own)
                    }),
                }
            }
            SignalKind::VictimReport { amount_fen: a } | SignalKind::BankAlert { amount_fen: a } => {
                amount_fen = *a;
                None
            }
        };
        let mut fact = Fact::new(tag, hit.is_some(), hit.as_ref().map_or(0, |h| h.2), duration_s, amount_fen);
        fact.payee = payee;
        (fact, hit)
    }

    /// Scores one signal: updates the person's windows, fires rules, and returns the warning
    /// if the score reaches a level not already warned of in the dedup window.
    pub fn score(&mut self, signal: &Signal) -> Outcome {
        let mut buf = std::mem::take(&mut self.scratch);
        let (fact, listed) = self.fact_with(signal, &mut buf);
        self.scratch = buf;
        let (fired, warning) = self.apply(signal.person, signal.at, &signal.id, fact);
        Outcome { listed, fired, warning }
    }

    /// The keyed hash (never 0) of a normalised payee account.
    fn payee_hash(&self, via: AccountVia, normal: &str) -> u64 {
        use std::hash::Hasher;
        let mut h = siphasher::sip::SipHasher13::new_with_key(&self.payee_key);
        h.write_u8(via as u8);
        h.write(normal.as_bytes());
        h.finish().max(1)
    }

    /// Scores a fact already checked against the watchlist.
    pub fn apply(&mut self, person: PersonId, at: Time, signal: &str, fact: Fact) -> (usize, Option<Warning>) {
        let (fired, warning, _) = self.apply_fact(person, at, signal, fact);
        (fired, warning)
    }

    /// Fills in what the engine remembers about the person and the payee (for the memories
    /// the rules read), and remembers this fact in turn.
    fn observe(&mut self, person: PersonId, at: Time, mut fact: Fact) -> Fact {
        let uses = self.uses;
        let listed_call = fact.tag == crate::SignalTag::Call && fact.listed;
        let transfer = fact.tag == crate::SignalTag::Transfer;
        if !(listed_call && uses.listed_calls || transfer && (uses.payees || uses.inflows || uses.listed_calls)) {
            return fact;
        }
        // A transfer needs a person's state only to remember its payee, or when a listed call
        // is already on record.
        let remember = listed_call && uses.listed_calls || transfer && fact.payee != 0 && uses.payees;
        let mut seen = crate::Aggregates::default();
        if transfer && fact.payee != 0 && uses.inflows {
            seen.payee_hourly =
                if self.shared_inflows { fact.seen.payee_hourly } else { self.inflows.add(at, fact.payee) };
        }
        let state = if remember {
            self.persons.entry(person).or_default()
        } else {
            match self.persons.get_mut(&person) {
                Some(state) => state,
                None => {
                    fact.seen = seen;
                    return fact;
                }
            }
        };
        state.last_at = state.last_at.max(at);
        if listed_call && uses.listed_calls {
            state.listed_call = Some((at, false));
        }
        if transfer
            && uses.listed_calls
            && let Some((call_at, paid)) = &mut state.listed_call
            && !*paid
            && *call_at <= at
        {
            seen.after_listed_call = Some(at - *call_at);
            *paid = true;
        }
        if transfer && fact.payee != 0 && uses.payees {
            let memory = self.rules.payee_memory;
            match state.payees.iter_mut().find(|(p, _)| *p == fact.payee) {
                Some((_, last)) => {
                    seen.new_payee = *last <= at - memory;
                    *last = (*last).max(at);
                }
                None => {
                    seen.new_payee = true;
                    if state.payees.len() >= MAX_PAYEES_PER_PERSON
                        && let Some(oldest) = state.payees.iter().enumerate().min_by_key(|(_, p)| p.1).map(|(i, _)| i)
                    {
                        state.payees.swap_remove(oldest);
                    }
                    state.payees.push((fact.payee, at));
                }
            }
        }
        fact.seen = seen;
        fact
    }

    /// [`Self::apply`], also giving the fact as the rules saw it, with its aggregates.
    pub fn apply_fact(
        &mut self,
        person: PersonId,
        at: Time,
        signal: &str,
        fact: Fact,
    ) -> (usize, Option<Warning>, Fact) {
        let fact = self.observe(person, at, fact);
        let (fired, warning) = self.score_fact(person, at, signal, fact);
        (fired, warning, fact)
    }

    fn score_fact(&mut self, person: PersonId, at: Time, signal: &str, fact: Fact) -> (usize, Option<Warning>) {
        let rules = &self.rules;
        let keep = rules.keeps(&fact);
        // Most traffic neither stays in a window nor fires alone; a sequence's last step can
        // only fire for someone who already has state. Such signals touch no memory.
        if !keep && !rules.fires_alone(&fact) && !self.persons.contains_key(&person) {
            return (0, None);
        }
        self.seq += 1;
        let seq = self.seq;
        let state = self.persons.entry(person).or_default();
        state.last_at = state.last_at.max(at);
        let horizon = rules.event_horizon();
        let oldest = state.last_at - horizon;
        while state.events.front().is_some_and(|e| e.at <= oldest) {
            state.events.pop_front();
        }
        let key = (at, seq);
        if keep {
            if state.events.len() >= MAX_EVENTS_PER_PERSON {
                state.events.pop_front();
            }
            state.events.push_back(Event { at, seq, signal: Box::from(signal), fact });
        }

        let mut fired = 0;
        for rule in &rules.rules {
            if !rule.logic.trigger().matches(&fact) {
                continue;
            }
            let found = match &rule.logic {
                Logic::Single(c) => Some((vec![signal.to_string()], single_detail(c, &fact))),
                Logic::Count { when, count, window } => {
                    let hits: Vec<&Event> = state
                        .events
                        .iter()
                        .filter(|e| e.at > at - window && e.key() <= key && when.matches(&e.fact))
                        .collect();
                    (hits.len() >= *count as usize).then(|| {
                        let ids = hits.iter().rev().take(20).rev().map(|e| e.signal.to_string()).collect();
                        (ids, format!("{}条 ≥ {}，{}分钟窗口", hits.len(), count, window / 60))
                    })
                }
                Logic::Sequence { steps, within } => {
                    let mut window: Vec<&Event> =
                        state.events.iter().filter(|e| e.at > at - within && e.key() < key).collect();
                    window.sort_unstable_by_key(|e| e.key());
                    let (head, _) = steps.split_at(steps.len() - 1);
                    let mut chosen: Vec<&Event> = Vec::with_capacity(steps.len());
                    let mut next = 0;
                    for e in window {
                        if next < head.len() && head[next].matches(&e.fact) {
                            chosen.push(e);
                            next += 1;
                        }
                    }
                    (next == head.len()).then(|| {
                        let first = chosen.first().map_or(at, |e| e.at);
                        let mut ids: Vec<String> = chosen.iter().map(|e| e.signal.to_string()).collect();
                        ids.push(signal.to_string());
                        let path: Vec<&str> = steps.iter().map(|s| s.signal.zh()).collect();
                        (ids, format!("{}，用时{}分钟（限{}分钟）", path.join("→"), (at - first) / 60, within / 60))
                    })
                }
            };
            if let Some((signals, detail)) = found {
                fired += 1;
                let firing = Firing {
                    rule: rule.id.clone(),
                    rule_name: rule.name.clone(),
                    typology: rule.typology.clone(),
                    score: rule.score,
                    at,
                    seq,
                    signals,
                    detail,
                };
                match state.fired.iter_mut().find(|f| f.rule == rule.id) {
                    Some(old) => *old = firing,
                    None => state.fired.push(firing),
                }
            }
        }
        let score_from = state.last_at - rules.score_window;
        state.fired.retain(|f| f.at > score_from && rules.rule(&f.rule).is_some());
        if fired == 0 {
            return (0, None);
        }

        let mut trace: Vec<Firing> = state
            .fired
            .iter()
            .filter(|f| f.at > at - rules.score_window && (f.at, f.seq) <= key)
            .map(|f| {
                let mut f = f.clone();
                // The current rule set's weight, so a replaced set scores consistently.
                f.score = rules.rule(&f.rule).map_or(f.score, |r| r.score);
                f
            })
            .collect();
        trace.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.rule.cmp(&b.rule)));
        let score: u32 = trace.iter().map(|f| f.score).sum();
        let Some(level) = rules.level(score) else { return (fired, None) };
        if let Some((last_at, last_level)) = state.last_warning
            && last_at > at - rules.dedup_window
            && level <= last_level
        {
            return (fired, None);
        }
        state.last_warning = Some((at, level));
        let typology = trace.first().map(|f| f.typology.clone()).unwrap_or_default();
        let warning = Warning {
            person,
            at,
            signal: signal.to_string(),
            level,
            score,
            typology,
            ruleset_version: rules.version.clone(),
            trace,
            thresholds: rules.levels,
        };
        (fired, Some(warning))
    }

    /// Forgets people with nothing left that could still count at `now`; returns how many.
    pub fn expire(&mut self, now: Time) -> usize {
        let horizon = self.rules.state_horizon();
        let before = self.persons.len();
        self.persons.retain(|_, p| p.last_at > now - horizon);
        self.inflows.forget_before(now - INFLOW_WINDOW);
        before - self.persons.len()
    }

    /// The per-person state, for restoring after a restart without replaying signals.
    pub fn snapshot(&self) -> Vec<u8> {
        let state = Snapshot {
            seq: self.seq,
            persons: self.persons.iter().map(|(k, v)| (*k, v.clone())).collect(),
            inflows: self.inflows.queue.iter().copied().collect(),
        };
        serde_json::to_vec(&state).unwrap_or_default()
    }

    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), SnapshotError> {
        let snap: Snapshot = serde_json::from_slice(bytes)?;
        self.seq = snap.seq;
        self.persons = snap.persons.into_iter().collect();
        self.inflows = Inflows::default();
        for (at, payee) in snap.inflows {
            self.inflows.add(at, payee);
        }
        Ok(())
    }
}

/// What a single signal fired on, with the remembered behaviour the condition asked for.
fn single_detail(c: &crate::Cond, fact: &Fact) -> String {
    let mut parts = vec!["单条信号命中".to_string()];
    if c.new_payee == Some(true) {
        parts.push("新收款人".into());
    }
    if c.min_payee_hourly > 0 {
        parts.push(format!("该账户1小时内第{}笔转入", fact.seen.payee_hourly));
    }
    if let Some(d) = fact.seen.after_listed_call.filter(|_| c.after_listed_call.is_some()) {
        parts.push(format!("涉诈来电后{}分钟首次转账", d / 60));
    }
    parts.join("；")
}

fn own(hit: crate::watchlist::Hit<'_>) -> (EntryKind, String, u8) {
    (hit.kind, hit.value.to_string(), hit.listing.confidence)
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    seq: u64,
    persons: Vec<(PersonId, PersonState)>,
    #[serde(default)]
    inflows: Vec<(Time, u64)>,
}

/// Transfers into accounts within the last hour, in the order scored. Counts follow arrival:
/// a signal dated well before the newest one sees what arrived since too.
#[derive(Default)]
struct Inflows {
    queue: VecDeque<(Time, u64)>,
    counts: FxHashMap<u64, u32>,
    newest: Time,
}

impl Inflows {
    /// Adds a transfer; how many the account has received within the hour, this one included.
    fn add(&mut self, at: Time, payee: u64) -> u32 {
        self.newest = self.newest.max(at);
        self.forget_before(self.newest - INFLOW_WINDOW);
        self.queue.push_back((at, payee));
        let n = self.counts.entry(payee).or_default();
        *n += 1;
        *n
    }

    /// Forgets transfers at or before `t`, from the front of the queue.
    fn forget_before(&mut self, t: Time) {
        while let Some(&(at, payee)) = self.queue.front() {
            if at > t {
                break;
            }
            self.queue.pop_front();
            if let Some(n) = self.counts.get_mut(&payee) {
                *n -= 1;
                if *n == 0 {
                    self.counts.remove(&payee);
                }
            }
        }
    }
}
