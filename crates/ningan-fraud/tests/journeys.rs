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
    w.insert(EntryKind::Domain, "task-rebate.example", l("刷单返利")).unwrap();
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
    // The same course is also a first payment to someone new an hour after the call (the
    // edge counts) and a fee after a listed app: each counts once, the strongest names it.
    assert_eq!(
        rules_of(&w),
        ["call-app-transfer", "first-transfer-after-listed-call", "listed-app", "listed-call", "loan-app-fee"]
    );
    assert_eq!(w.score, 30 + 40 + 90 + 40 + 70);
    assert_eq!(w.typology, "冒充电商物流客服");
}

fn rules_of(w: &ningan_fraud::Warning) -> Vec<&str> {
    let mut r: Vec<&str> = w.trace.iter().map(|f| f.rule.as_str()).collect();
    r.sort();
    r
}

#[test]
fn the_same_journey_stretched_past_two_hours_is_not_the_customer_service_course() {
    let mut e = engine();
    e.score(&call());
    e.score(&app());
    let w = e.score(&transfer(T0 + 7201)).warning.unwrap();
    assert_eq!(rules_of(&w), ["listed-app", "listed-call", "loan-app-fee"]);
    assert_eq!(w.typology, "虚假网络贷款");
}

fn of(person: u64, id: &str, at: i64, kind: SignalKind) -> Signal {
    Signal { id: id.into(), person, at, kind }
}
fn sms() -> SignalKind {
    SignalKind::Sms { from: "0574-66660001".into() }
}
fn url(u: &str) -> SignalKind {
    SignalKind::Url { url: u.into() }
}
fn pay(account: &str, yuan: i64) -> SignalKind {
    SignalKind::Transfer { account: account.into(), via: AccountVia::Bank, amount_fen: yuan * 100 }
}
const DAY: i64 = 86_400;

/// Scores the steps of one person's course; the last warning raised.
fn course(e: &mut Engine, steps: &[(i64, SignalKind)]) -> ningan_fraud::Warning {
    let mut last = None;
    for (i, (at, kind)) in steps.iter().enumerate() {
        if let Some(w) = e.score(&of(7, &format!("s{i}"), *at, kind.clone())).warning {
            last = Some(w);
        }
    }
    last.expect("the course raises a warning")
}

#[test]
fn a_long_call_from_a_police_impersonator_then_a_safe_account_is_red() {
    let mut e = engine();
    let w = course(
        &mut e,
        &[
            (T0, SignalKind::Call { from: "0574-66660001".into(), duration_s: 900 }),
            (T0 + 2 * 3600, pay("6222 0000 3333 4444", 20_000)),
        ],
    );
    assert_eq!((w.level, w.typology.as_str()), (Level::High, "冒充公检法"));
    assert_eq!(rules_of(&w), ["listed-call", "safe-account"]);
}

#[test]
fn a_task_site_and_a_small_first_payment_is_the_paid_task_course() {
    let mut e = engine();
    let w = course(
        &mut e,
        &[
            (T0, sms()),
            (T0 + 600, url("https://task-rebate.example/join")),
            (T0 + 1200, pay("6222 0000 5555 0001", 100)),
        ],
    );
    assert_eq!(w.typology, "刷单返利");
    assert_eq!(rules_of(&w), ["game-trade", "listed-url", "task-scam-course"]);
    // Topping up: three fresh accounts within two hours.
    let mut e = engine();
    let w = course(
        &mut e,
        &[
            (T0, pay("6222 0000 5555 0001", 200)),
            (T0 + 1800, pay("6222 0000 5555 0002", 800)),
            (T0 + 3600, pay("6222 0000 5555 0003", 3000)),
        ],
    );
    assert_eq!(rules_of(&w), ["task-scam-topping-up"]);
    assert_eq!(w.level, Level::Low);
}

#[test]
fn a_loan_app_then_a_fee_to_a_new_account_is_a_fake_loan() {
    let mut e = engine();
    let w = course(&mut e, &[(T0, app().kind), (T0 + 3 * 3600, pay("6222 0000 6666 0001", 300))]);
    assert_eq!((w.level, w.typology.as_str()), (Level::High, "虚假网络贷款"));
}

#[test]
fn an_investment_site_its_app_and_a_deposit_within_three_days() {
    let mut e = engine();
    let w = course(
        &mut e,
        &[
            (T0, url("https://invest-scam.example/")),
            (T0 + 3600, app().kind),
            (T0 + DAY, pay("6222 0000 7777 0001", 8_000)),
        ],
    );
    assert_eq!(w.typology, "虚假投资理财");
    assert!(rules_of(&w).contains(&"investment-platform-deposit"), "{:?}", rules_of(&w));
}

#[test]
fn a_dating_site_and_a_deposit_days_later_is_romance_fraud() {
    let mut e = engine();
    let w = course(
        &mut e,
        &[
            (T0, url("https://invest-scam.example/chat")),
            (T0 + 3 * DAY, app().kind),
            (T0 + 5 * DAY, pay("6222 0000 8888 0001", 20_000)),
        ],
    );
    assert_eq!((w.level, w.typology.as_str()), (Level::Medium, "网络婚恋交友"));
    assert_eq!(rules_of(&w), ["romance-platform"]);
}

#[test]
fn a_boss_by_message_and_an_urgent_large_transfer() {
    let mut e = engine();
    let w = course(&mut e, &[(T0, sms()), (T0 + 1800, pay("6222 0000 9999 0001", 50_000))]);
    assert_eq!((w.level, w.typology.as_str()), (Level::Medium, "冒充领导熟人"));
}

#[test]
fn a_game_trading_site_and_a_small_payment_minutes_later() {
    let mut e = engine();
    let w =
        course(&mut e, &[(T0, url("https://task-rebate.example/item")), (T0 + 300, pay("6222 0000 1234 0001", 200))]);
    assert_eq!((w.level, w.typology.as_str()), (Level::Medium, "网络游戏虚假交易"));
}

#[test]
fn the_fifth_payer_into_one_account_within_the_hour_is_warned() {
    let mut e = engine();
    let mut warned = vec![];
    for p in 0..6u64 {
        let out = e.score(&of(100 + p, &format!("m{p}"), T0 + p as i64 * 600, pay("6222 0000 4444 9999", 600)));
        warned.push(out.warning.map(|w| rules_of(&w).join(",")));
    }
    assert_eq!(warned[..4], [None, None, None, None]);
    assert_eq!(warned[4].as_deref(), Some("collecting-account"));
    let w = e.score(&of(200, "m-last", T0 + 3000, pay("6222 0000 4444 9999", 900))).warning.unwrap();
    assert!(w.trace[0].detail.contains("新收款人；该账户1小时内第7笔转入"), "{}", w.trace[0].detail);
    // Any number of pay-outs of the same account but the first: a payee already known.
    let out = e.score(&of(104, "again", T0 + 3000, pay("6222 0000 4444 9999", 600)));
    assert!(out.warning.is_none());
}

#[test]
fn a_payee_is_new_again_once_the_memory_has_passed_and_only_the_first_transfer_follows_a_call() {
    let rules = RuleSet::from_toml(DEFAULT_RULES).unwrap();
    let mut e = engine();
    let acct = "6222 0000 2468 0001";
    let seen = |e: &mut Engine, id: &str, at: i64| {
        let (fact, _) = e.fact(&of(9, id, at, pay(acct, 100)));
        e.apply_fact(9, at, id, fact).2.seen
    };
    assert!(seen(&mut e, "p1", T0).new_payee);
    assert!(!seen(&mut e, "p2", T0 + rules.payee_memory - 1).new_payee);
    assert!(!seen(&mut e, "p3", T0 + 2 * rules.payee_memory - 2).new_payee, "the memory runs from the last payment");
    assert!(seen(&mut e, "p4", T0 + 3 * rules.payee_memory - 2).new_payee, "exactly the memory later");

    // Transfers into one account count over the hour up to each: exactly an hour before is out.
    let mut e = engine();
    let into = |e: &mut Engine, person: u64, at: i64| {
        let (fact, _) = e.fact(&of(person, "x", at, pay("6222 0000 1357 0001", 100)));
        e.apply_fact(person, at, "x", fact).2.seen.payee_hourly
    };
    assert_eq!(into(&mut e, 1, T0), 1);
    assert_eq!(into(&mut e, 2, T0 + 1800), 2);
    assert_eq!(into(&mut e, 3, T0 + 3599), 3);
    assert_eq!(into(&mut e, 4, T0 + 3600), 3, "the first has left the hour");
    assert_eq!(into(&mut e, 5, T0 + 5400), 3, "as has the second");
    let snapshot = e.snapshot();
    let mut restarted = engine();
    restarted.restore(&snapshot).unwrap();
    assert_eq!(into(&mut restarted, 6, T0 + 5400), 4, "the hour survives a restart");

    let mut e = engine();
    let call = |e: &mut Engine, at: i64| {
        e.score(&of(9, "c", at, SignalKind::Call { from: "0574-66660001".into(), duration_s: 5 }));
    };
    let t = T0 + 4 * rules.payee_memory;
    call(&mut e, t);
    assert_eq!(seen(&mut e, "q1", t + 60).after_listed_call, Some(60));
    assert_eq!(seen(&mut e, "q2", t + 120).after_listed_call, None, "only the first transfer after the call");
    call(&mut e, t + 600);
    assert_eq!(seen(&mut e, "q3", t + 600).after_listed_call, Some(0), "the same second counts");
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
    rules.version = "2027.01-1".into();
    e.replace_rules(rules);
    let w = e.score(&transfer(T0 + 3600)).warning.unwrap();
    assert_eq!((w.level, w.ruleset_version.as_str()), (Level::High, "2027.01-1"));
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
    let horizon = e.rules().state_horizon();
    assert!(horizon >= 7 * DAY, "the romance course and the payee memory reach a week");
    assert_eq!(e.expire(T0 + horizon - 1), 0);
    assert_eq!(e.expire(T0 + horizon), 1);
}

#[test]
fn engines_sharing_the_people_by_partition_and_counting_inflows_together_warn_as_one_engine() {
    // Six people paying one account, spread over three engines by person: each engine alone
    // sees two payers, the shared count sees all six, as the single engine does.
    let mut one = engine();
    let mut parts: Vec<Engine> = (0..3).map(|_| engine().with_shared_inflows()).collect();
    let mut counted: Vec<i64> = Vec::new();
    for p in 0..6u64 {
        let s = of(100 + p, &format!("m{p}"), T0 + p as i64 * 600, pay("6222 0000 4444 9999", 600));
        let alone = one.score(&s).warning.map(|w| rules_of(&w).join(","));
        let e = &mut parts[(s.person % 3) as usize];
        let (mut fact, _) = e.fact(&s);
        counted.push(s.at);
        fact.seen.payee_hourly = counted.iter().filter(|&&at| at > s.at - ningan_fraud::INFLOW_WINDOW).count() as u32;
        let shared = e.apply(s.person, s.at, &s.id, fact).1.map(|w| rules_of(&w).join(","));
        assert_eq!(shared, alone, "payer {p}");
    }
    // Giving a partition up forgets its people and nobody else.
    let e = &mut parts[0];
    let before = e.persons();
    assert!(before > 0);
    e.retain_persons(|person| person % 3 != 0);
    assert_eq!(e.persons(), 0);
    let e = &mut parts[1];
    let kept = e.persons();
    e.retain_persons(|person| person % 3 != 0);
    assert_eq!(e.persons(), kept);
}
