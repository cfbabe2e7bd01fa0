//! The shipped rules on the journeys they were written for.

use ningan_fraud::{
    AccountVia, DEFAULT_RULES, Engine, EntryKind, Level, Listing, RuleSet, Signal, SignalKind, Watchlist,
};

fn engine() -> Engine {
    let mut w = Watchlist::default();
    let l =
        |t: &str| Listing { source: "反诈中心".into(), confidence: 95, typology: Some(t.into()), expires_at: None };
    w.insert(EntryKind::Phone, "0574-66660001", l("冒充客服")).unwrap();
    w.insert(EntryKind::App, "com.fake.meeting", l("冒充客服")).unwrap();
    w.insert(EntryKind::Domain, "invest-scam.example", l("虚假投资理财")).unwrap();
    Engine::new(RuleSet::from_toml(DEFAULT_RULES).unwrap(), w)
}

fn signal(id: &str, at: i64, kind: SignalKind) -> Signal {
    Signal { id: id.into(), person: 42, at, kind }
}

const T0: i64 = 1_790_000_000;

fn call() -> Signal {
    signal("c", T0, SignalKind::Call { from: "+86 574 6666 0001".into(), duration_s: 300 })
}
fn app() -> Signal {
    signal("a", T0 + 1200, SignalKind::App { package: "Com.Fake.Meeting".into() })
}
fn transfer(at: i64) -> Signal {
    signal(
        "t",
        at,
        SignalKind::Transfer { account: "6217 0000 1111 2222".into(), via: AccountVia::Bank, amount_fen: 500_000 },
    )
}

#[test]
fn call_app_transfer_within_two_hours_is_a_red_warning_with_its_trace() {
    let mut e = engine();
    assert_eq!(e.score(&call()).warning.unwrap().level, Level::Low);
    let w = e.score(&app()).warning.unwrap();
    assert_eq!(w.level, Level::Medium);
    let w = e.score(&transfer(T0 + 3600)).warning.unwrap();
    assert_eq!(w.level, Level::High);
    assert_eq!(w.signal, "t");
    let seq = w.trace.iter().find(|f| f.rule == "call-app-transfer").unwrap();
    assert_eq!(seq.signals, ["c", "a", "t"]);
    assert!(seq.detail.contains("用时60分钟"), "{}", seq.detail);
    assert_eq!(w.score, 30 + 40 + 90);
    assert_eq!(w.typology, "冒充客服");
}

#[test]
fn the_same_journey_stretched_past_two_hours_is_not_a_sequence() {
    let mut e = engine();
    e.score(&call());
    e.score(&app());
    let out = e.score(&transfer(T0 + 7201));
    assert_eq!(out.fired, 0);
    assert!(out.warning.is_none());
}

#[test]
fn a_restart_in_the_middle_of_a_sequence_keeps_the_sequence() {
    let mut e = engine();
    e.score(&call());
    e.score(&app());
    let snapshot = e.snapshot();
    let mut restarted = engine();
    restarted.restore(&snapshot).unwrap();
    let w = restarted.score(&transfer(T0 + 3600)).warning.unwrap();
    assert_eq!(w.level, Level::High);
}

#[test]
fn replacing_the_rules_mid_journey_keeps_the_windows() {
    let mut e = engine();
    e.score(&call());
    e.score(&app());
    let mut rules = RuleSet::from_toml(DEFAULT_RULES).unwrap();
    rules.version = "2026.12-1".into();
    e.replace_rules(rules);
    let w = e.score(&transfer(T0 + 3600)).warning.unwrap();
    assert_eq!((w.level, w.ruleset_version.as_str()), (Level::High, "2026.12-1"));
}

#[test]
fn a_listed_domain_catches_a_visit_and_benign_traffic_raises_nothing() {
    let mut e = engine();
    let benign = signal("b", T0, SignalKind::Url { url: "https://www.example.com/".into() });
    let out = e.score(&benign);
    assert_eq!((out.listed.is_none(), out.fired), (true, 0));
    assert_eq!(e.persons(), 0, "benign signals keep no state");
    let visit = signal("v", T0, SignalKind::Url { url: "HTTPS://App.Invest-Scam.Example./login?u=1".into() });
    let out = e.score(&visit);
    assert_eq!(out.listed.unwrap().1, "invest-scam.example");
    assert_eq!(out.warning.unwrap().level, Level::Low);
}

#[test]
fn state_of_people_quiet_past_every_window_is_dropped() {
    let mut e = engine();
    e.score(&call());
    assert_eq!(e.persons(), 1);
    assert_eq!(e.expire(T0 + 3600), 0);
    assert_eq!(e.expire(T0 + 2 * 86_400), 1);
}
