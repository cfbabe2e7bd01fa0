//! Citizen services in the demo city: a past quarter of applications in every state, filed on
//! the portal and at the counters, with their facts verified through the exchange or by hand,
//! the citizens' ratings, name changes delivered to the partner agencies (and one dead
//! letter waiting for an administrator to send it again).

use anyhow::{Context, Result};
use ningan_store::{Decision, NewApplication, NewFact, Scope};
use rand::Rng;

use crate::demo::DemoContext;

const COMMENTS: &[&str] = &["办得很快", "民警态度很好", "一次都没跑", "材料说明清楚", "等待时间有点长", ""];
const POOR_COMMENTS: &[&str] = &["等待时间有点长", "材料要求没说清楚，跑了两次", "窗口人少排队久", ""];
const REPLIES: &[&str] = &[
    "您好，已核实当日窗口等候较久的情况，现已在高峰时段增开窗口，感谢您的监督。",
    "您好，已完善办事指南中的材料说明，并安排专人电话回访，欢迎继续监督。",
];

/// What a generated application becomes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Waiting,
    Accepted,
    Approved,
    Rejected,
}

fn fate(r: f64) -> Fate {
    match r {
        r if r < 0.10 => Fate::Waiting,
        r if r < 0.22 => Fate::Accepted,
        r if r < 0.90 => Fate::Approved,
        _ => Fate::Rejected,
    }
}

/// This module's part of the demo city.
pub const DEMO: crate::demo::DemoPart = crate::demo::DemoPart { name: "citizen services", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let db = ctx.db;
    let mut rng = ctx.rng("services");
    // Every server start seeds the catalogue; a city generated on a bare database needs it too.
    use crate::modules::services::shipped;
    db.ensure_service_catalogue(&shipped::facts(), &shipped::items()).await?;
    let mut w = db.write().await?;
    // The partner simulator's agencies, so the generated identity changes have someone to be
    // delivered to; `ningan demo` re-points them at the simulator it starts each time
    // (`demo::start_partner_sim`), until then they answer nowhere.
    crate::demo::register_sim_agencies(&mut w, &ctx.actor, "http://127.0.0.1:9", &format!("demo-{}", ctx.spec.seed))
        .await?;
    w.commit().await?;

    // Items whose fields are ID numbers are left to live use: a demo value would not be one.
    let items: Vec<_> =
        db.service_items(true).await?.into_iter().filter(|i| !i.fields.iter().any(|f| f.kind == "id_number")).collect();
    let facts = db.service_facts().await?;
    let people = db.residents_with_phone(20_000).await?;
    anyhow::ensure!(!items.is_empty() && !people.is_empty(), "services need the catalogue and residents");
    let total = (ctx.spec.people / 8).clamp(200, 3_000);
    let now = ningan_core::time::now_ms();
    let all = Scope::everything();
    let mut renamed = Vec::new();
    // A hundred applications per transaction: the register's write lock is taken 30 times,
    // not 3,000.
    for batch in 0..total.div_ceil(100) {
        let mut w = db.write().await?;
        for _ in (batch * 100)..((batch + 1) * 100).min(total) {
            let person = &people[rng.gen_range(0..people.len())];
            let (resident_id, home) = (person.0, person.2);
            // Most citizens apply at home; 全城通办 items also at another station.
            let item = &items[rng.gen_range(0..items.len())];
            let station = if item.citywide && rng.gen_bool(0.3) {
                &ctx.stations[rng.gen_range(0..ctx.stations.len())]
            } else {
                match ctx.stations.iter().find(|s| s.id == home) {
                    Some(s) => s,
                    None => continue,
                }
            };
            let portal = rng.gen_bool(0.6);
            let details: serde_json::Map<String, serde_json::Value> = item
                .fields
                .iter()
                .filter_map(|f| {
                    let answered = f.required || rng.gen_bool(0.5);
                    answered.then(|| (f.key.clone(), serde_json::Value::String(detail_value(f, &mut rng))))
                })
                .collect();
            let new_name = details.get("new_name").and_then(|v| v.as_str()).map(str::to_string);
            let fate = fate(rng.r#gen::<f64>());
            // Decided ones over the past quarter; open ones recent, most still within their time
            // limit (a few overdue, for the supervisors' lists).
            let filed_at = match fate {
                Fate::Approved | Fate::Rejected => {
                    now - rng.gen_range(1..90i64) * 86_400_000 - rng.gen_range(0..86_400_000i64)
                }
                Fate::Waiting | Fate::Accepted => {
                    let limit = item.time_limit_days.max(1) * 86_400_000;
                    now - rng.gen_range(0..limit + limit / 8)
                }
            };
            let (id, no) = w
                .application_insert(
                    &ctx.actor,
                    &NewApplication {
                        prefix: "NB",
                        item_id: item.id,
                        item_version: item.version,
                        resident_id,
                        unit_id: station.id,
                        unit_path: station.path.clone(),
                        channel: if portal { "portal" } else { "counter" }.into(),
                        citizen_signed: !portal,
                        details: serde_json::Value::Object(details).to_string(),
                        deadline: now + item.time_limit_days * 86_400_000,
                        unit_name: station.name.clone(),
                    },
                )
                .await?;
            // Facts: the bureau's own at once, the agencies' through the exchange, about one in
            // ten checked by hand when an agency had no record.
            let mut by_hand = Vec::new();
            let new_facts: Vec<NewFact> = item
                .facts
                .iter()
                .map(|code| {
                    let source = facts.iter().find(|f| &f.code == code).map_or("bureau", |f| f.source.as_str());
                    let agency = crate::sim::AGENCIES.iter().find(|a| a.0 == source).map_or("宁波市公安局", |a| a.1);
                    let electronic = source == "bureau" || rng.gen_bool(0.9);
                    if !electronic {
                        by_hand.push(code.clone());
                    }
                    NewFact {
                        fact_code: code.clone(),
                        source: source.into(),
                        verified: electronic
                            .then(|| (serde_json::json!({"核验结果": "一致"}).to_string(), agency.to_string())),
                    }
                })
                .collect();
            w.application_facts_insert(id, &new_facts, filed_at).await?;
            for code in &by_hand {
                w.fact_manual_verify(&ctx.actor, id, code, "窗口查验原件并留存复印件", &station.name).await?;
            }
            let decide = |to| Decision { to, note: "", unit_name: &station.name, changes_register: |_| false };
            let mut decided_at = None;
            if fate != Fate::Waiting {
                w.application_decide(&ctx.actor, &all, id, &decide("accepted")).await?;
            }
            if matches!(fate, Fate::Approved | Fate::Rejected) {
                let to = if fate == Fate::Approved { "approved" } else { "rejected" };
                w.application_decide(&ctx.actor, &all, id, &decide(to)).await?;
                let days = (item.time_limit_days * 86_400_000).max(3_600_000);
                decided_at = Some((filed_at + rng.gen_range(3_600_000..=days)).min(now));
            }
            w.application_backdate(id, filed_at, decided_at).await?;
            if decided_at.is_some() && rng.gen_bool(0.55) {
                let rating = [5, 5, 5, 4, 4, 3, 2][rng.gen_range(0..7)];
                let comment = if rating <= ningan_store::POOR_RATING {
                    POOR_COMMENTS[rng.gen_range(0..POOR_COMMENTS.len())]
                } else {
                    COMMENTS[rng.gen_range(0..COMMENTS.len())]
                };
                w.application_rate(resident_id, &no, rating, comment).await?;
                // Most poor ratings are answered already; the rest wait on the stations' lists.
                if rating <= ningan_store::POOR_RATING && rng.gen_bool(0.7) {
                    w.application_reply(&ctx.actor, &all, id, REPLIES[rng.gen_range(0..REPLIES.len())]).await?;
                }
            }
            if let (Fate::Approved, Some(new_name)) = (fate, &new_name)
                && renamed.len() < 40
            {
                renamed.push(w.identity_change(&ctx.actor, resident_id, "name", new_name, Some(id)).await?);
            }
        }
        w.commit().await.with_context(|| format!("application batch {batch}"))?;
    }
    // Every agency acknowledged the name changes, except one that never answered for the
    // last change: a dead letter for the deliveries page.
    for (i, change) in renamed.iter().enumerate() {
        let mut w = db.write().await?;
        for d in db.deliveries_of_change(change).await? {
            let dead = i + 1 == renamed.len() && d.agency_code == "hrss";
            let outcome = if dead { Err("connection refused") } else { Ok("acknowledged") };
            w.delivery_result(&d, outcome, if dead { 1 } else { 8 }).await?;
        }
        w.commit().await?;
    }
    eprintln!(
        "办事申请 {total} 件，姓名变更推送 {} 次 / {total} applications, {} name changes",
        renamed.len(),
        renamed.len()
    );
    Ok(())
}

/// A plausible value for an application field, by its key.
/// A plausible answer for a demo application, of the field's kind.
fn detail_value(f: &ningan_store::ServiceField, rng: &mut impl Rng) -> String {
    if let Some(o) = f.options.get(rng.gen_range(0..f.options.len().max(1))) {
        return o.clone();
    }
    let day = |rng: &mut dyn rand::RngCore, from: i64, to: i64| {
        format!("{}-{:02}-{:02}", rng.gen_range(from..to), rng.gen_range(1..13), rng.gen_range(1..29))
    };
    match (f.kind.as_str(), f.key.as_str()) {
        ("text", "child_name" | "new_name" | "former_name" | "relative_name") => {
            let surname = crate::demo::pick(rng, crate::demo::names::SURNAMES);
            crate::modules::residents::demo::person_name(rng, surname)
        }
        ("long_text", _) => ["随父姓改为随母姓", "原名用字生僻", "登记时笔误"][rng.gen_range(0..3)].into(),
        ("date", "correct_date") => day(rng, 1960, 1999),
        ("date", _) => day(rng, 2020, 2026),
        ("number", "height_cm") => rng.gen_range(150..190).to_string(),
        ("number", _) => rng.gen_range(1..4).to_string(),
        ("phone", _) => format!("13{:09}", rng.gen_range(0..1_000_000_000u64)),
        ("text", "lost_at") => "上月在地铁站附近丢失".into(),
        ("text", "to_city") => ["杭州", "上海", "温州"][rng.gen_range(0..3)].into(),
        ("text", "employer") => "宁波某科技有限公司".into(),
        ("text", "school") => "宁波某职业技术学院".into(),
        ("text", "correct_ethnicity") => "汉族".into(),
        ("text", "born_in" | "settled_in") => ["新加坡", "加拿大", "澳大利亚"][rng.gen_range(0..3)].into(),
        ("text", _) => format!("演示{}", rng.gen_range(1..1000)),
        _ => format!("宁波市海曙区演示路{}号", rng.gen_range(1..400)),
    }
}
