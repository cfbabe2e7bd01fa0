//! Investigation in the demo city: cases of the Yinzhou criminal investigation brigade led
//! by the demo's `detective` — one organised-crime case ready to analyse, with a large
//! synthetic call and transfer graph (ten records per resident, up to a million) in which a
//! few gangs are hidden; one just opened, waiting for its records; and solved and closed
//! cases across the districts for the figures. `detective2`, of the same unit, is on none.

use anyhow::Result;
use ningan_core::time::now_ms;
use ningan_link::{Kind, synth};
use ningan_store::sql::{RowExt as _, query};

use super::store::cases::{self, NewCase};
use super::store::evidence::{self, NewItem};
use super::store::records::{self, NewImport, NewRelation};
use super::store::tasks::{self, NewTask};
use crate::demo::DemoContext;

pub const DEMO: crate::demo::DemoPart =
    crate::demo::DemoPart { name: "synthesized investigation", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

/// The demo graph's phone number and bank account of synthetic entity `i`.
pub fn phone_of(i: u32) -> String {
    format!("13{:09}", 100_000_000 + i as u64)
}

pub fn account_of(i: u32) -> String {
    format!("6222{:012}", 300_000_000_000u64 + i as u64)
}

/// Solved and closed cases for the figures: (district, title, category, organised, stage, gangs).
const HISTORY: [(u32, &str, &str, bool, &str, i64); 8] = [
    (330203, "海曙“强哥”恶势力团伙强迫交易案", "强迫交易", true, "closed", 1),
    (330203, "鼓楼夜市寻衅滋事案", "寻衅滋事", false, "prosecution", 0),
    (330206, "北仑港区非法拘禁讨债团伙案", "非法拘禁", true, "prosecution", 1),
    (330211, "镇海地下赌场案", "开设赌场", true, "solved", 2),
    (330212, "鄞州“套路贷”恶势力集团案", "诈骗", true, "closed", 1),
    (330213, "奉化砂石行业垄断涉黑案", "强迫交易", true, "closed", 1),
    (330281, "余姚入室盗窃系列案", "盗窃", false, "solved", 0),
    (330282, "慈溪故意伤害案", "故意伤害", false, "investigating", 0),
];

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let brigade = ctx.db.unit_by_code("330212").await?;
    let lead = ctx.db.user_by_username("detective").await?.id;
    let now = now_ms();
    let actor = &ctx.actor;
    for (i, (district, title, category, organised, stage, gangs)) in HISTORY.iter().enumerate() {
        let unit = ctx.db.unit_by_code(&district.to_string()).await?;
        let mut w = ctx.db.write().await?;
        let opened = now - (200 - i as i64 * 15) * 86_400_000;
        let new = NewCase {
            title,
            summary: "",
            category,
            organised: *organised,
            unit_id: unit.id,
            unit_code: &unit.code,
            unit_path: &unit.path,
            lead,
        };
        let (id, _) = cases::insert(&mut w, actor, &new, opened).await?;
        let mut at = opened;
        for s in ["investigating", "solved", "prosecution", "closed"] {
            at += 20 * 86_400_000;
            let g = (s == "solved" && *organised).then_some(*gangs);
            cases::set_stage(&mut w, actor, id, s, g, "", at).await?;
            if s == *stage {
                break;
            }
        }
        w.commit().await?;
    }

    // The case ready to analyse.
    let new = NewCase {
        title: "“阿龙”涉恶团伙寻衅滋事、敲诈勒索案",
        summary: "群众举报某团伙在鄞州、海曙多处娱乐场所周边寻衅滋事、收取“保护费”。已调取涉案手机号话单与银行账户流水，待研判团伙结构与组织者。",
        category: "敲诈勒索",
        organised: true,
        unit_id: brigade.id,
        unit_code: &brigade.code,
        unit_path: &brigade.path,
        lead,
    };
    let mut w = ctx.db.write().await?;
    let (case_id, _) = cases::insert(&mut w, actor, &new, now - 30 * 86_400_000).await?;
    cases::set_stage(&mut w, actor, case_id, "investigating", None, "成立专案组", now - 29 * 86_400_000).await?;
    let item = NewItem {
        kind: "testimony",
        title: "举报人询问笔录",
        body: "举报人称多次被索要“保护费”，对方自称“龙哥的人”。",
        source: "鄞州区刑侦大队询问室",
        corrects: None,
    };
    evidence::file(&mut w, actor, case_id, &item, now - 28 * 86_400_000).await?;
    let task = NewTask {
        team: "analysis",
        title: "研判话单与资金流水，摸清团伙结构",
        detail: "重点：组织者、资金归集账户。",
        assignee: Some(lead),
        due_at: now + 7 * 86_400_000,
    };
    tasks::insert(&mut w, actor, case_id, &task, now - 28 * 86_400_000).await?;
    w.commit().await?;
    let relations = (ctx.spec.people * 10).clamp(20_000, 1_000_000) as usize;
    load_graph(ctx, case_id, relations, now).await?;

    // A case just opened, waiting for its records.
    let new = NewCase {
        title: "某团伙开设赌场案",
        summary: "线索：某棋牌室涉嫌组织赌博，已调取相关人员话单、流水待导入。",
        category: "开设赌场",
        organised: true,
        unit_id: brigade.id,
        unit_code: &brigade.code,
        unit_path: &brigade.path,
        lead,
    };
    let mut w = ctx.db.write().await?;
    cases::insert(&mut w, actor, &new, now - 86_400_000).await?;
    w.commit().await?;
    Ok(())
}

/// The synthetic graph as the case's records: each entity a phone and an account; the
/// gangs' members and a fifth of everyone else with a known holder (the gangs' from the
/// register), so folding by holder shows them as people.
async fn load_graph(ctx: &DemoContext<'_>, case_id: i64, relations: usize, now: i64) -> Result<()> {
    let started = std::time::Instant::now();
    let city = synth::city(relations, 3, now - 90 * 86_400_000, 90, ctx.spec.seed ^ 0x11_1e);
    let members: Vec<u32> = city.gangs.iter().flat_map(|g| g.members.iter().copied()).collect();
    let register: Vec<(i64, String)> =
        query("SELECT id, id_number FROM residents WHERE id % 7 = 3 ORDER BY id LIMIT $1")
            .bind(members.len() as i64)
            .fetch_all(ctx.db.reader())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("id_number")?)))
            .collect::<Result<_, ningan_store::sql::Error>>()?;
    let mut rng = synth::Rng(ctx.spec.seed ^ 0x40_1d);
    let mut holder: Vec<Option<(String, Option<i64>)>> = vec![None; city.entities as usize];
    for (k, &m) in members.iter().enumerate() {
        holder[m as usize] = register.get(k).map(|(id, no)| (no.clone(), Some(*id)));
    }
    let birth = chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap_or_default();
    for (i, h) in holder.iter_mut().enumerate() {
        if h.is_none() && rng.below(5) == 0 {
            let id = ningan_core::idnumber::IdNumber::synthesize(
                330212,
                birth + chrono::Duration::days((i % 7000) as i64),
                (i % 999) as u16,
            );
            *h = Some((id.as_str().to_string(), None));
        }
    }
    let mut w = ctx.db.write().await?;
    let mut people: Vec<(&str, String, Option<i64>, Option<i64>)> =
        holder.iter().flatten().map(|(no, res)| ("person", no.clone(), None, *res)).collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    people.dedup_by(|a, b| a.1 == b.1);
    records::entities_bulk(&mut w, case_id, &people).await?;
    let person_ids = records::ids_of_kind(&mut w, case_id, "person").await?;
    let held = |i: usize| holder[i].as_ref().and_then(|(no, _)| person_ids.get(no).copied());
    let phones: Vec<_> = (0..city.entities).map(|i| ("phone", phone_of(i), held(i as usize), None)).collect();
    records::entities_bulk(&mut w, case_id, &phones).await?;
    let accounts: Vec<_> = (0..city.entities).map(|i| ("account", account_of(i), held(i as usize), None)).collect();
    records::entities_bulk(&mut w, case_id, &accounts).await?;
    let phone_ids = records::ids_of_kind(&mut w, case_id, "phone").await?;
    let account_ids = records::ids_of_kind(&mut w, case_id, "account").await?;
    w.commit().await?;
    let phone: Vec<i64> = (0..city.entities).map(|i| phone_ids.get(&phone_of(i)).copied().unwrap_or(0)).collect();
    let account: Vec<i64> = (0..city.entities).map(|i| account_ids.get(&account_of(i)).copied().unwrap_or(0)).collect();

    let actor = &ctx.actor;
    let mut imports = Vec::new();
    for (kind, name) in [("calls", "话单-移动公司调取.csv"), ("transfers", "银行流水-调取.csv")] {
        let mut w = ctx.db.write().await?;
        let new = NewImport { case_id, kind, file_name: name, format: "csv", sha256: "", bytes: 0 };
        imports.push(records::import_insert(&mut w, actor, &new, now - 20 * 86_400_000).await?);
        w.commit().await?;
    }
    let (mut calls, mut transfers) = (Vec::new(), Vec::new());
    for r in &city.relations {
        if r.kind == Kind::Transfer {
            let line = transfers.len() as i64 + 2;
            transfers.push(NewRelation {
                line,
                src: account[r.from as usize],
                dst: account[r.to as usize],
                kind: "transfer",
                at: r.at,
                amount: r.amount,
                duration: 0,
            });
        } else {
            let line = calls.len() as i64 + 2;
            let duration = 10 + (r.record % 600) as i64;
            calls.push(NewRelation {
                line,
                src: phone[r.from as usize],
                dst: phone[r.to as usize],
                kind: "call",
                at: r.at,
                amount: 0,
                duration,
            });
        }
    }
    for (import, rows) in imports.iter().zip([&calls, &transfers]) {
        for (n, chunk) in rows.chunks(20_000).enumerate() {
            let mut w = ctx.db.write().await?;
            records::batch(&mut w, case_id, *import, chunk, &[], ((n + 1) * 20_000).min(rows.len()) as i64).await?;
            w.commit().await?;
            if (n + 1) % 25 == 0 {
                eprintln!("  关系记录 / case records: {} ({:.0} s)", (n + 1) * 20_000, started.elapsed().as_secs_f64());
            }
        }
        let mut w = ctx.db.write().await?;
        records::import_loaded(&mut w, *import, rows.len() as i64, now - 20 * 86_400_000).await?;
        w.commit().await?;
    }
    tracing::info!(
        relations = city.relations.len(),
        seconds = started.elapsed().as_secs_f64(),
        "demo case records loaded"
    );
    Ok(())
}
