//! Anti-fraud in the demo city: watchlists, a past week of signals (mostly benign noise with
//! victim courses of every shipped typology, and a few collecting accounts, hidden in it) scored by the real engine, most resulting tasks worked by the
//! stations, a year of fraud cases and lectures — and, while the demo serves, a live signal
//! stream in which a hidden journey raises a red warning every minute or so.

use std::time::Duration;

use anyhow::Result;
use ningan_fraud::{AccountVia, DEFAULT_RULES, EntryKind, RuleSet, SignalKind};
use ningan_store::{Actor, NewFraudCase, NewLecture, NewWatchEntry, Scope, TaskOutcome, TaskQuery};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::app::AppState;
use crate::demo::{DemoContext, pick};
use crate::modules::fraud::FraudService;
use crate::modules::fraud::wire::Incoming;

/// Fen in `n` yuan.
const fn yuan(n: i64) -> i64 {
    n * 100
}

const TYPOLOGIES: &[&str] = &["冒充客服", "刷单返利", "虚假投资理财", "虚假贷款", "冒充公检法"];
/// The typologies the bureau sees most, weighted by repetition as the public bulletins rank
/// them (刷单返利 and 虚假投资理财 first).
const CASE_TYPOLOGIES: &[&str] = &[
    "刷单返利",
    "刷单返利",
    "刷单返利",
    "虚假投资理财",
    "虚假投资理财",
    "虚假网络贷款",
    "冒充电商物流客服",
    "冒充公检法",
    "网络婚恋交友",
    "网络游戏虚假交易",
    "冒充领导熟人",
    "虚假征信",
];
const LISTED_PHONES: u64 = 2_000;
const LISTED_SITES: u64 = 300;
const LISTED_ACCOUNTS: u64 = 300;
const LISTED_APPS: u64 = 120;

/// Listed identifiers, derived from their index so the live stream can name them without
/// reading the database.
pub fn listed_phone(i: u64) -> String {
    match i % 3 {
        0 => format!("0574-6{:07}", 1_000_000 + i),
        1 => format!("170{:08}", 10_000_000 + i),
        _ => format!("400{:07}", 1_000_000 + i),
    }
}

pub fn listed_site(i: u64) -> String {
    format!("{}-{}.example", ["invest", "loan", "shop", "refund", "police-check"][(i % 5) as usize], i)
}

pub fn listed_account(i: u64) -> String {
    format!("6222{:012}", 300_000_000_000 + i)
}

pub fn listed_app(i: u64) -> String {
    format!("com.{}{}.app", ["meeting", "loanfast", "taskpay", "stockpro"][(i % 4) as usize], i)
}

fn watch_entries(rng: &mut impl Rng) -> Vec<NewWatchEntry> {
    let mut out = Vec::new();
    let mut add = |kind: EntryKind, raw: String, source: &str, rng: &mut dyn rand::RngCore| {
        if let Ok(value) = kind.normalize(&raw) {
            out.push(NewWatchEntry {
                kind: kind.as_str().into(),
                value,
                source: source.into(),
                confidence: rng.gen_range(70..100),
                typology: Some(TYPOLOGIES[rng.gen_range(0..TYPOLOGIES.len())].into()),
                expires_at: None,
            });
        }
    };
    for i in 0..LISTED_PHONES {
        add(EntryKind::Phone, listed_phone(i), "运营商涉诈号码库", rng);
    }
    for i in 0..LISTED_SITES {
        add(EntryKind::Domain, listed_site(i), "宁波市反诈中心", rng);
    }
    for i in 0..LISTED_ACCOUNTS {
        add(EntryKind::BankAccount, listed_account(i), "银行涉诈账户", rng);
    }
    for i in 0..LISTED_APPS {
        add(EntryKind::App, listed_app(i), "应用商店涉诈应用", rng);
    }
    out
}

/// Everyday traffic: calls from ordinary numbers, shopping sites, common apps, transfers to
/// ordinary accounts.
fn benign(rng: &mut impl Rng, id: String, phone: &str, at: i64) -> Incoming {
    let kind = match rng.gen_range(0..5) {
        0 => SignalKind::Call {
            from: format!("13{:09}", rng.gen_range(0..1_000_000_000u64)),
            duration_s: rng.gen_range(5..600),
        },
        1 => SignalKind::Sms { from: pick(rng, &["95588", "95533", "10086", "1069012345"]).into() },
        2 => SignalKind::Url {
            url: format!("https://www.shop{}.com/item/{}", rng.gen_range(0..500), rng.gen_range(0..100_000)),
        },
        3 => SignalKind::App {
            package: pick(rng, &["com.tencent.mm", "com.eg.android.AlipayGphone", "com.taobao.taobao"]).into(),
        },
        _ => SignalKind::Transfer {
            account: format!("6217{:012}", rng.gen_range(0..1_000_000_000_000u64)),
            via: AccountVia::Bank,
            amount_fen: rng.gen_range(100..yuan(50_000)),
        },
    };
    Incoming { id, phone: phone.into(), at, kind }
}

/// A victim journey: a call from a listed number, a listed app installed, then a transfer —
/// the sequence the shipped rules raise a red warning on. Steps `gap` seconds apart.
pub fn journey(rng: &mut impl Rng, prefix: &str, phone: &str, start: i64, gap: i64) -> Vec<Incoming> {
    let amount_fen = rng.gen_range(yuan(2_000)..yuan(200_000));
    let account = if rng.gen_bool(0.5) {
        listed_account(rng.gen_range(0..LISTED_ACCOUNTS))
    } else {
        format!("6217{:012}", rng.gen_range(0..1_000_000_000_000u64))
    };
    vec![
        Incoming {
            id: format!("{prefix}-call"),
            phone: phone.into(),
            at: start,
            kind: SignalKind::Call {
                from: listed_phone(rng.gen_range(0..LISTED_PHONES)),
                duration_s: rng.gen_range(120..1800),
            },
        },
        Incoming {
            id: format!("{prefix}-app"),
            phone: phone.into(),
            at: start + gap,
            kind: SignalKind::App { package: listed_app(rng.gen_range(0..LISTED_APPS)) },
        },
        Incoming {
            id: format!("{prefix}-transfer"),
            phone: phone.into(),
            at: start + 2 * gap,
            kind: SignalKind::Transfer { account, via: AccountVia::Bank, amount_fen },
        },
    ]
}

/// One victim's course under one of the typologies the shipped rules know (see
/// `crates/ningan-fraud/rules/default.toml`), starting at `start`: the signals carriers, app
/// stores and banks would report, each step a plausible while after the one before. `n`
/// picks the typology; courses span at most five days.
pub fn course(rng: &mut impl Rng, n: usize, prefix: &str, phone: &str, start: i64) -> Vec<Incoming> {
    let fresh = |rng: &mut dyn rand::RngCore| format!("6217{:012}", rng.gen_range(0..1_000_000_000_000u64));
    let call = |rng: &mut dyn rand::RngCore, min_s: u32, max_s: u32| SignalKind::Call {
        from: listed_phone(rng.gen_range(0..LISTED_PHONES)),
        duration_s: rng.gen_range(min_s..max_s),
    };
    let sms = |rng: &mut dyn rand::RngCore| SignalKind::Sms { from: listed_phone(rng.gen_range(0..LISTED_PHONES)) };
    let url = |rng: &mut dyn rand::RngCore| SignalKind::Url {
        url: format!("https://www.{}/login", listed_site(rng.gen_range(0..LISTED_SITES))),
    };
    let app = |rng: &mut dyn rand::RngCore| SignalKind::App { package: listed_app(rng.gen_range(0..LISTED_APPS)) };
    let pay = |rng: &mut dyn rand::RngCore, lo: i64, hi: i64| SignalKind::Transfer {
        account: fresh(rng),
        via: AccountVia::Bank,
        amount_fen: rng.gen_range(yuan(lo)..yuan(hi)),
    };
    const H: i64 = 3_600;
    let steps: Vec<(i64, SignalKind)> = match n % 8 {
        // 冒充电商物流客服
        0 => {
            let gap = rng.gen_range(300..1_800);
            return journey(rng, prefix, phone, start, gap);
        }
        // 冒充公检法: a long call, then the "safe account" hours later.
        1 => vec![(0, call(rng, 900, 3_600)), (rng.gen_range(H..5 * H), pay(rng, 20_000, 300_000))],
        // 刷单返利: message, task site, then ever larger payments to fresh accounts.
        2 => vec![
            (0, sms(rng)),
            (600, url(rng)),
            (1_200, pay(rng, 100, 500)),
            (H, pay(rng, 800, 3_000)),
            (2 * H, pay(rng, 3_000, 20_000)),
        ],
        // 虚假投资理财: the platform's site, its app, a deposit the next day.
        3 => vec![(0, url(rng)), (H, app(rng)), (rng.gen_range(20 * H..40 * H), pay(rng, 5_000, 100_000))],
        // 虚假网络贷款: a loan app, then a "fee".
        4 => vec![(0, app(rng)), (rng.gen_range(H..5 * H), pay(rng, 200, 2_000))],
        // 网络婚恋交友: a dating site, an app days later, a deposit days after that.
        5 => vec![(0, url(rng)), (2 * 86_400, app(rng)), (4 * 86_400, pay(rng, 10_000, 200_000))],
        // 网络游戏虚假交易: a trading site and a small payment minutes later.
        6 => vec![(0, url(rng)), (rng.gen_range(300..1_500), pay(rng, 50, 800))],
        // 冒充领导熟人: a message from the "boss", an urgent large transfer.
        _ => vec![(0, sms(rng)), (rng.gen_range(600..5_400), pay(rng, 10_000, 100_000))],
    };
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (offset, kind))| Incoming {
            id: format!("{prefix}-{i}"),
            phone: phone.into(),
            at: start + offset,
            kind,
        })
        .collect()
}

/// A collecting account: several people pay the same fresh account within the hour.
fn collecting(rng: &mut impl Rng, prefix: &str, phones: &[&str], start: i64) -> Vec<Incoming> {
    let account = format!("6230{:012}", rng.gen_range(0..1_000_000_000_000u64));
    phones
        .iter()
        .enumerate()
        .map(|(i, phone)| Incoming {
            id: format!("{prefix}-{i}"),
            phone: (*phone).into(),
            at: start + i as i64 * rng.gen_range(60..600),
            kind: SignalKind::Transfer {
                account: account.clone(),
                via: AccountVia::Bank,
                amount_fen: rng.gen_range(yuan(600)..yuan(5_000)),
            },
        })
        .collect()
}

/// This module's part of the demo city.
pub const DEMO: crate::demo::DemoPart = crate::demo::DemoPart { name: "anti-fraud", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let mut rng = ctx.rng("fraud");
    let db = ctx.db;
    let entries = watch_entries(&mut rng);
    let mut w = db.write().await?;
    w.watchlist_upsert(&ctx.actor, &entries).await?;
    w.commit().await?;

    let people = db.residents_with_phone(20_000).await?;
    if people.is_empty() {
        return Ok(());
    }
    let service = FraudService::with_rules(RuleSet::from_toml(DEFAULT_RULES)?);
    let api = anyhow::Error::new::<crate::http::error::ApiError>;
    service.ensure_loaded(db).await.map_err(api)?;
    let now = ningan_core::time::now_ms() / 1000;
    let start = now - 6 * 86_400;
    // A week of traffic, in time order: 40 benign signals for each victim journey, one
    // journey for every fifty residents (at least five, at most six hundred).
    let journeys = (ctx.spec.people / 50).clamp(5, 600);
    let mut stream: Vec<Incoming> = Vec::new();
    for n in 0..journeys * 40 {
        let (_, phone, _) = &people[rng.gen_range(0..people.len())];
        let at = start + rng.gen_range(0..6 * 86_400 - 3_600);
        stream.push(benign(&mut rng, format!("demo-n{n}"), phone, at));
    }
    // Every typology in turn; courses (up to five days long) start early enough to finish.
    for v in 0..journeys {
        let (_, phone, _) = &people[rng.gen_range(0..people.len())];
        let at = start + rng.gen_range(0..86_400);
        stream.extend(course(&mut rng, v as usize, &format!("demo-v{v}"), phone, at));
    }
    for m in 0..(journeys / 20).max(1) {
        let phones: Vec<&str> = (0..6).map(|_| people[rng.gen_range(0..people.len())].1.as_str()).collect();
        let at = start + rng.gen_range(0..5 * 86_400);
        stream.extend(collecting(&mut rng, &format!("demo-m{m}"), &phones, at));
    }
    stream.sort_by_key(|s| s.at);
    let mut warnings = 0;
    for chunk in stream.chunks(5_000) {
        let s = service.ingest_at(db, &ctx.actor, "demo", chunk.to_vec(), true).await.map_err(api)?;
        warnings += s.warnings.len();
    }
    eprintln!(
        "反诈：{} 条信号，{warnings} 条预警 / fraud: {} signals, {warnings} warnings",
        stream.len(),
        stream.len()
    );

    // Stations work the week's tasks; the last few hours' stay open, some of them late.
    let scope = Scope::everything();
    let query = TaskQuery { status: Some("open".into()), ..Default::default() };
    let mut open = Vec::new();
    for page in 1.. {
        let p = db.fraud_tasks(&scope, &query, ningan_store::PageRequest::new(Some(page), Some(200))).await?;
        let last = page >= p.pages();
        open.extend(p.items);
        if last {
            break;
        }
    }
    let mut w = db.write().await?;
    let mut worked = 0;
    for t in &open {
        if t.warned_at > (now - 3 * 3_600) * 1000 {
            continue;
        }
        let roll = rng.gen_range(0..100);
        let (outcome, lost, protected) = match roll {
            0..=79 => ("dissuaded", 0, rng.gen_range(yuan(1_000)..yuan(150_000))),
            80..=87 => ("dissuaded", rng.gen_range(yuan(500)..yuan(30_000)), rng.gen_range(0..yuan(20_000))),
            88..=92 => ("unreachable", 0, 0),
            93..=96 => ("mismatch", 0, 0),
            _ => ("duplicate", 0, 0),
        };
        // Most are worked within the deadline; one in ten is late.
        let minutes = if rng.gen_ratio(1, 10) { rng.gen_range(70..240) } else { rng.gen_range(5..28) };
        let at = t.warned_at + minutes * 60_000;
        let o = TaskOutcome {
            outcome: outcome.into(),
            note: String::new(),
            money_lost_fen: lost,
            amount_protected_fen: protected,
            watch_until: (outcome == "dissuaded").then_some(at + 7 * 86_400_000),
        };
        w.fraud_task_record(&ctx.actor, &scope, t.id, &o, at).await?;
        worked += 1;
    }
    w.commit().await?;
    eprintln!("反诈：{worked} 条劝阻任务已处置 / fraud: {worked} tasks worked");

    // A year of fraud cases across the stations, falling as dissuasion took hold; a few of
    // them victims who had been warned.
    let mut w = db.write().await?;
    let year_ago = (now - 360 * 86_400) * 1000;
    for i in 0..1_500 {
        let age = rng.gen_range(0.0f64..1.0).powf(0.8);
        let occurred_at = year_ago + ((1.0 - age) * 355.0 * 86_400_000.0) as i64;
        let station = &ctx.stations[rng.gen_range(0..ctx.stations.len())];
        // Cases come in every common typology, not only those the watchlist is tagged with.
        let typology = CASE_TYPOLOGIES[rng.gen_range(0..CASE_TYPOLOGIES.len())];
        let id = w
            .fraud_case_add(
                &ctx.actor,
                &NewFraudCase {
                    subject: None,
                    occurred_at,
                    amount_fen: rng.gen_range(yuan(1_000)..yuan(300_000)),
                    typology: typology.into(),
                    unit_id: station.id,
                    unit_path: station.path.clone(),
                    report_id: None,
                    note: format!("演示案件 {i}"),
                },
            )
            .await?;
        // More cases are solved as the year goes on (the report's 破获案件数大幅上升), each
        // some weeks after it occurred; the rest are under investigation or just filed.
        let solved_share = 0.2 + 0.5 * (1.0 - age);
        let solved_at = occurred_at + rng.gen_range(5..80) * 86_400_000;
        if rng.gen_bool(solved_share) && solved_at < now * 1000 {
            w.fraud_case_stage(&ctx.actor, &scope, id, "solved", Some(solved_at)).await?;
        } else if rng.gen_ratio(1, 2) {
            w.fraud_case_stage(&ctx.actor, &scope, id, "investigating", None).await?;
        }
    }
    for t in open.iter().take(40) {
        if rng.gen_ratio(1, 4) {
            let subject = db.fraud_subject(t.subject_id).await?;
            w.fraud_case_add(
                &ctx.actor,
                &NewFraudCase {
                    occurred_at: t.warned_at + rng.gen_range(1..48) * 3_600_000,
                    amount_fen: rng.gen_range(yuan(1_000)..yuan(80_000)),
                    typology: t.typology.clone(),
                    unit_id: subject.unit_id,
                    unit_path: subject.unit_path.clone(),
                    subject: Some(subject),
                    report_id: None,
                    note: "预警对象发案（演示）".into(),
                },
            )
            .await?;
        }
    }
    for s in ctx.stations {
        for _ in 0..rng.gen_range(0..5) {
            let day = ningan_core::time::today_cst() - chrono::Duration::days(rng.gen_range(0..90));
            w.fraud_lecture_add(
                &ctx.actor,
                &NewLecture {
                    held_on: day.format("%Y-%m-%d").to_string(),
                    unit_id: s.id,
                    unit_path: s.path.clone(),
                    venue: pick(&mut rng, &["社区文化家园", "老年活动中心", "中学礼堂", "企业食堂", "菜市场门口"])
                        .into(),
                    audience: rng.gen_range(20..400),
                    topic: pick(&mut rng, &["识破刷单返利", "谨防冒充客服", "养老防骗", "校园反诈", "投资理财防骗"])
                        .into(),
                },
            )
            .await?;
        }
    }
    w.commit().await?;
    Ok(())
}

/// While the demo serves: every second a handful of benign signals; every minute or so a
/// hidden victim journey whose steps arrive seconds apart, half of them at the first station
/// of Haishu (where the demo officer works), so red warnings keep arriving.
pub fn spawn_live_stream(state: AppState, seed: u64) {
    tokio::spawn(async move {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ningan_core::time::now_ms() as u64);
        let people = match state.db.residents_with_phone(20_000).await {
            Ok(p) if !p.is_empty() => p,
            _ => return,
        };
        let home = state.db.unit_by_code("330203001").await.map(|u| u.id).ok();
        let local: Vec<&(i64, String, i64)> = people.iter().filter(|p| Some(p.2) == home).collect();
        let actor = Actor { name: "demo:stream".into(), unit_id: None };
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut pending: Vec<Incoming> = Vec::new();
        let mut n = 0u64;
        loop {
            tick.tick().await;
            let now = ningan_core::time::now_ms() / 1000;
            let mut batch: Vec<Incoming> = (0..rng.gen_range(5..20))
                .map(|_| {
                    n += 1;
                    let (_, phone, _) = &people[rng.gen_range(0..people.len())];
                    benign(&mut rng, format!("live-{now}-{n}"), phone, now)
                })
                .collect();
            if pending.is_empty() && rng.gen_ratio(1, 60) {
                let who = if !local.is_empty() && rng.gen_bool(0.5) {
                    local[rng.gen_range(0..local.len())]
                } else {
                    &people[rng.gen_range(0..people.len())]
                };
                pending = journey(&mut rng, &format!("live-v{now}"), &who.1, now, 5);
                pending.reverse();
            }
            if let Some(step) = pending.last()
                && step.at <= now
            {
                batch.extend(pending.pop());
            }
            match crate::modules::fraud::signals::ingest_items(&state, &actor, "demo", batch).await {
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "demo signal stream"),
            }
        }
    });
}
