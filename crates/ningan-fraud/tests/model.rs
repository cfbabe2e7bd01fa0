//! The engine against a brute-force model that keeps every signal forever and re-derives
//! every window, count and sequence from scratch: every warning the model raises, the engine
//! raises at the same signal with the same level, score and rules, and no other — also when
//! the engine is snapshotted and restored half-way. The behavioural aggregates (new payee,
//! transfers into the account in the hour, first transfer after a listed call) are derived
//! by the model from the whole history too.

use ningan_fraud::{Aggregates, Cond, Engine, Fact, INFLOW_WINDOW, Level, Logic, Rule, RuleSet, SignalTag, Watchlist};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct In {
    person: u64,
    at: i64,
    fact: Fact,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Out {
    signal: usize,
    person: u64,
    level: Level,
    score: u32,
    rules: Vec<String>,
}

/// The aggregates of signal `i`, from everything that arrived before it.
fn aggregates(rules: &RuleSet, input: &[In], i: usize) -> Aggregates {
    let s = &input[i];
    let uses = rules.uses();
    let mut seen = Aggregates::default();
    let transfer = |e: &&In| e.fact.tag == SignalTag::Transfer;
    if s.fact.tag != SignalTag::Transfer {
        return seen;
    }
    if uses.inflows && s.fact.payee != 0 {
        seen.payee_hourly = input[..=i]
            .iter()
            .filter(transfer)
            .filter(|e| e.fact.payee == s.fact.payee && e.at > s.at - INFLOW_WINDOW && e.at <= s.at)
            .count() as u32;
    }
    if uses.payees && s.fact.payee != 0 {
        seen.new_payee = !input[..i]
            .iter()
            .filter(transfer)
            .any(|e| e.person == s.person && e.fact.payee == s.fact.payee && e.at > s.at - rules.payee_memory);
    }
    if uses.listed_calls
        && let Some(c) =
            input[..i].iter().rposition(|e| e.person == s.person && e.fact.tag == SignalTag::Call && e.fact.listed)
    {
        let call = input[c].at;
        let paid = input[c + 1..i].iter().filter(transfer).any(|e| e.person == s.person && e.at >= call);
        if !paid && call <= s.at {
            seen.after_listed_call = Some(s.at - call);
        }
    }
    seen
}

/// All events of a person so far, as (at, seq, fact).
fn model(rules: &RuleSet, input: &[In]) -> Vec<Out> {
    let mut events: Vec<(u64, i64, usize, Fact)> = Vec::new();
    let mut firings: Vec<(u64, String, i64, usize)> = Vec::new();
    let mut warnings: Vec<(u64, i64, Level)> = Vec::new();
    let mut out = Vec::new();
    for (seq, s) in input.iter().enumerate() {
        let fact = Fact { seen: aggregates(rules, input, seq), ..s.fact };
        let s = &In { fact, ..s.clone() };
        events.push((s.person, s.at, seq, s.fact));
        let mine: Vec<(i64, usize, Fact)> =
            events.iter().filter(|e| e.0 == s.person).map(|e| (e.1, e.2, e.3)).collect();
        let key = (s.at, seq);
        let mut fired_now = false;
        for r in &rules.rules {
            let fires = match &r.logic {
                Logic::Single(c) => c.matches(&s.fact),
                Logic::Count { when, count, window } => {
                    when.matches(&s.fact)
                        && mine
                            .iter()
                            .filter(|e| e.0 > s.at - window && (e.0, e.1) <= key && when.matches(&e.2))
                            .count()
                            >= *count as usize
                }
                Logic::Sequence { steps, within } => {
                    let (last, head) = steps.split_last().unwrap();
                    let candidates: Vec<&(i64, usize, Fact)> =
                        mine.iter().filter(|e| e.0 > s.at - within && (e.0, e.1) < key).collect();
                    last.matches(&s.fact) && exists_sequence(head, &candidates, None)
                }
            };
            if fires {
                fired_now = true;
                firings.push((s.person, r.id.clone(), s.at, seq));
            }
        }
        if !fired_now {
            continue;
        }
        let mut contributing: Vec<&Rule> = rules
            .rules
            .iter()
            .filter(|r| firings.iter().any(|f| f.0 == s.person && f.1 == r.id && f.2 > s.at - rules.score_window))
            .collect();
        contributing.sort_by(|a, b| a.id.cmp(&b.id));
        let score: u32 = contributing.iter().map(|r| r.score).sum();
        let Some(level) = rules.level(score) else { continue };
        let suppressed = warnings.iter().any(|w| w.0 == s.person && w.1 > s.at - rules.dedup_window && w.2 >= level);
        if suppressed {
            continue;
        }
        warnings.push((s.person, s.at, level));
        out.push(Out {
            signal: seq,
            person: s.person,
            level,
            score,
            rules: contributing.iter().map(|r| r.id.clone()).collect(),
        });
    }
    out
}

/// Whether `steps` can be matched by events in increasing (at, seq) order after `after`.
fn exists_sequence(steps: &[Cond], events: &[&(i64, usize, Fact)], after: Option<(i64, usize)>) -> bool {
    let Some((first, rest)) = steps.split_first() else { return true };
    events.iter().any(|e| {
        after.is_none_or(|a| (e.0, e.1) > a) && first.matches(&e.2) && exists_sequence(rest, events, Some((e.0, e.1)))
    })
}

fn run_engine(rules: &RuleSet, input: &[In], restart_at: Option<usize>) -> Vec<Out> {
    let mut engine = Engine::new(rules.clone(), Watchlist::default());
    let mut out = Vec::new();
    for (seq, s) in input.iter().enumerate() {
        if restart_at == Some(seq) {
            let snap = engine.snapshot();
            engine = Engine::new(rules.clone(), Watchlist::default());
            engine.restore(&snap).unwrap();
            // A live rule-set swap to an equal set must not disturb any window either.
            engine.replace_rules(rules.clone());
        }
        let (_, warning) = engine.apply(s.person, s.at, &seq.to_string(), s.fact);
        if let Some(w) = warning {
            assert_eq!(w.signal, seq.to_string());
            let mut rules: Vec<String> = w.trace.iter().map(|f| f.rule.clone()).collect();
            rules.sort();
            out.push(Out { signal: seq, person: w.person, level: w.level, score: w.score, rules });
        }
    }
    out
}

fn tag() -> impl Strategy<Value = SignalTag> {
    prop_oneof![Just(SignalTag::Call), Just(SignalTag::Sms), Just(SignalTag::App), Just(SignalTag::Transfer)]
}

fn cond() -> impl Strategy<Value = Cond> {
    let behaviour = (
        prop::option::of(any::<bool>()),
        prop_oneof![Just(0u32), Just(2), Just(3)],
        prop::option::of((5i64..120).prop_map(|m| m * 60)),
    );
    (
        tag(),
        prop::option::of(any::<bool>()),
        prop_oneof![Just(0u32), Just(60)],
        prop_oneof![Just(0i64), Just(10_000)],
        behaviour,
    )
        .prop_map(|(signal, listed, min_duration, min_amount_fen, (new_payee, min_payee_hourly, after))| {
            let mut c = Cond { listed, min_duration, min_amount_fen, ..Cond::on(signal) };
            if signal == SignalTag::Transfer {
                (c.new_payee, c.min_payee_hourly, c.after_listed_call) = (new_payee, min_payee_hourly, after);
            }
            c
        })
}

fn logic() -> impl Strategy<Value = Logic> {
    prop_oneof![
        cond().prop_map(Logic::Single),
        (cond(), 2u32..4, 5i64..90).prop_map(|(when, count, m)| Logic::Count { when, count, window: m * 60 }),
        (prop::collection::vec(cond(), 2..4), 5i64..120)
            .prop_map(|(steps, m)| Logic::Sequence { steps, within: m * 60 }),
    ]
}

fn ruleset() -> impl Strategy<Value = RuleSet> {
    (prop::collection::vec((logic(), 5u32..60), 1..6), (10i64..240, 5i64..240, 5i64..600), 5u32..40, 0u32..40, 0u32..60)
        .prop_map(|(rules, (score_m, dedup_m, payee_m), low, dm, dh)| RuleSet {
            version: "p".into(),
            score_window: score_m * 60,
            dedup_window: dedup_m * 60,
            levels: [low, low + dm, low + dm + dh],
            rules: rules
                .into_iter()
                .enumerate()
                .map(|(i, (logic, score))| Rule {
                    id: format!("r{i}"),
                    name: format!("rule {i}"),
                    typology: "t".into(),
                    score,
                    logic,
                })
                .collect(),
            payee_memory: payee_m * 60,
        })
}

fn inputs() -> impl Strategy<Value = Vec<In>> {
    prop::collection::vec(
        (
            0u64..3,
            prop_oneof![0i64..900, (0i64..15).prop_map(|m| m * 60)],
            tag(),
            any::<bool>(),
            prop_oneof![Just(0u32), Just(120)],
            prop_oneof![Just(500i64), Just(50_000)],
            1u64..5,
        ),
        1..60,
    )
    // Whole-minute steps land signals exactly on window edges.
    .prop_map(|raw| {
        let mut at = 1_790_000_000;
        raw.into_iter()
            .map(|(person, step, tag, listed, duration_s, amount_fen, payee)| {
                at += step;
                let mut fact = Fact::new(tag, listed, if listed { 90 } else { 0 }, duration_s, amount_fen);
                if tag == SignalTag::Transfer {
                    fact.payee = payee;
                }
                In { person, at, fact }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn engine_raises_exactly_the_warnings_of_the_brute_force_model(rules in ruleset(), input in inputs()) {
        let expected = model(&rules, &input);
        prop_assert_eq!(run_engine(&rules, &input, None), expected);
    }

    #[test]
    fn every_aggregate_is_what_the_whole_history_says(rules in ruleset(), input in inputs(), cut in 0usize..60) {
        let mut engine = Engine::new(rules.clone(), Watchlist::default());
        for (i, s) in input.iter().enumerate() {
            if i == cut % input.len() {
                let snap = engine.snapshot();
                engine = Engine::new(rules.clone(), Watchlist::default());
                engine.restore(&snap).unwrap();
            }
            let (_, _, fact) = engine.apply_fact(s.person, s.at, &i.to_string(), s.fact);
            prop_assert_eq!(fact.seen, aggregates(&rules, &input, i), "signal {}", i);
        }
    }

    #[test]
    fn a_restart_anywhere_changes_no_warning(rules in ruleset(), input in inputs(), cut in 0usize..60) {
        let expected = model(&rules, &input);
        prop_assert_eq!(run_engine(&rules, &input, Some(cut % input.len())), expected);
    }
}
