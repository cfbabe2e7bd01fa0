//! Signals scored per second on one core against the shipped rule set, compared in the same
//! run with only parsing the same NDJSON lines (the ceiling scoring cannot beat).
//!
//! `cargo bench -p ningan-fraud --bench score -- [--signals N] [--persons N]`

use std::time::Instant;

use ningan_fraud::{DEFAULT_RULES, Engine, EntryKind, Listing, RuleSet, SignalRecord, Watchlist};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn main() {
    let signals = arg("--signals", 2_000_000);
    let persons = arg("--persons", 1_000_000) as u64;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut watch = Watchlist::default();
    let listing = |c| Listing { source: "bench".into(), confidence: c, typology: None, expires_at: None };
    for i in 0..100_000u64 {
        watch.insert(EntryKind::Phone, &format!("170{:08}", i), listing(90)).expect("phone");
    }
    for i in 0..20_000 {
        watch.insert(EntryKind::Domain, &format!("scam{i}.example"), listing(80)).expect("domain");
        watch.insert(EntryKind::BankAccount, &format!("62220000{:08}", i), listing(95)).expect("account");
    }
    for i in 0..2_000 {
        watch.insert(EntryKind::App, &format!("com.fake{i}.loan"), listing(85)).expect("app");
    }
    let rules = RuleSet::from_toml(DEFAULT_RULES).expect("rules");

    // Mostly benign traffic; one signal in twenty touches a listing.
    let start = 1_790_000_000i64;
    let mut lines = Vec::with_capacity(signals);
    for n in 0..signals {
        let person = rng.gen_range(0..persons);
        let at = start + (n as i64) / 50;
        let listed = rng.gen_ratio(1, 20);
        let mut r =
            SignalRecord { id: Some(format!("s{n}")), person: Some(person), at: Some(at), ..Default::default() };
        match rng.gen_range(0..5) {
            0 => {
                r.kind = Some("call".into());
                r.from = Some(if listed {
                    format!("170{:08}", rng.gen_range(0..100_000))
                } else {
                    format!("13{:09}", rng.gen_range(0..1_000_000_000u64))
                });
                r.duration = Some(rng.gen_range(0..600));
            }
            1 => {
                r.kind = Some("sms".into());
                r.from = Some(format!("1069{:07}", rng.gen_range(0..10_000_000)));
            }
            2 => {
                r.kind = Some("url".into());
                r.url = Some(if listed {
                    format!("https://pay.scam{}.example/login?id={n}", rng.gen_range(0..20_000))
                } else {
                    format!("https://www.shop{}.com/item/{n}", rng.gen_range(0..50_000))
                });
            }
            3 => {
                r.kind = Some("app".into());
                r.package = Some(if listed {
                    format!("com.fake{}.loan", rng.gen_range(0..2000))
                } else {
                    "com.tencent.mm".into()
                });
            }
            _ => {
                r.kind = Some("transfer".into());
                r.account = Some(if listed {
                    format!("62220000{:08}", rng.gen_range(0..20_000))
                } else {
                    format!("6217{:012}", rng.gen_range(0..1_000_000_000_000u64))
                });
                r.amount = Some(f64::from(rng.gen_range(1..500_000)) / 100.0);
            }
        }
        lines.push(serde_json::to_string(&r).expect("serialise"));
    }
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    println!(
        "signals {signals}, persons {persons}, watchlist {} entries, {} rules, {:.1} MB NDJSON",
        watch.len(),
        rules.rules.len(),
        bytes as f64 / 1e6
    );

    let parse_only = || {
        let t = Instant::now();
        let mut ok = 0usize;
        for l in &lines {
            let rec: SignalRecord = serde_json::from_str(l).expect("parse");
            ok += usize::from(rec.into_signal().is_ok());
        }
        assert_eq!(ok, lines.len());
        t.elapsed().as_secs_f64()
    };
    let score = |engine: &mut Engine| {
        let t = Instant::now();
        let mut warnings = 0usize;
        for l in &lines {
            let rec: SignalRecord = serde_json::from_str(l).expect("parse");
            let signal = rec.into_signal().expect("valid");
            warnings += usize::from(engine.score(&signal).warning.is_some());
        }
        (t.elapsed().as_secs_f64(), warnings)
    };
    let match_only = |engine: &Engine| {
        let t = Instant::now();
        let mut listed = 0usize;
        for l in &lines {
            let rec: SignalRecord = serde_json::from_str(l).expect("parse");
            let signal = rec.into_signal().expect("valid");
            listed += usize::from(engine.fact(&signal).0.listed);
        }
        (t.elapsed().as_secs_f64(), listed)
    };
    let mut best_parse = f64::MAX;
    let mut best_match = f64::MAX;
    let mut best_score = f64::MAX;
    let mut warnings = 0;
    for round in 0..3 {
        best_parse = best_parse.min(parse_only());
        let mut engine = Engine::new(rules.clone(), watch.clone());
        best_match = best_match.min(match_only(&engine).0);
        let (s, w) = score(&mut engine);
        best_score = best_score.min(s);
        warnings = w;
        println!("round {round}: persons in state {}, events {}", engine.persons(), engine.events());
    }
    let parse_rate = signals as f64 / best_parse;
    let score_rate = signals as f64 / best_score;
    println!("parse only     {:>10.0} signals/s  (best of 3)", parse_rate);
    println!("parse + match  {:>10.0} signals/s  (watchlist only)", signals as f64 / best_match);
    println!("parse + score  {:>10.0} signals/s  (best of 3), {warnings} warnings", score_rate);
    println!("ratio score/parse-only = {:.2}", score_rate / parse_rate);
}
