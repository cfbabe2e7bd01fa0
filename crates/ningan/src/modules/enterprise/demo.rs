//! Enterprise services in the demo city: the report's 5,906 enterprises (fewer in a small
//! city) over the ten districts, industries weighted like Ningbo's (manufacturing, port and
//! logistics, trade), each with a liaison officer at its station and a portal administrator,
//! a year of contacts and visits at its rhythm (with the misses real officers have), and a
//! year of 11087 requests in every stage of the loop, some sent up a tier, most rated.

use anyhow::{Context, Result};
use ningan_core::Role;
use ningan_store::sql::{RowExt as _, query};
use ningan_store::{Actor, NewUser, Scope};
use rand::Rng;

use super::model::{self, DAY, Stage};
use super::service::{RequestAction, move_request};
use super::store::{enterprises, portal, requests};
use super::uscc::Uscc;
use crate::demo::{DemoContext, names};

pub const DEMO: crate::demo::DemoPart = crate::demo::DemoPart { name: "enterprise services", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

const TRADES: &[(&str, &str, f64)] = &[
    ("C", "模具", 0.30),
    ("C", "电器", 0.15),
    ("G", "物流", 0.12),
    ("G", "港口服务", 0.05),
    ("F", "贸易", 0.18),
    ("E", "建设", 0.05),
    ("I", "科技", 0.05),
    ("H", "餐饮", 0.04),
    ("L", "商务服务", 0.06),
];

const TITLES: &[(&str, &str, &str)] = &[
    ("security_risk", "厂区周边夜间治安隐患", "厂区周边夜间常有不明人员逗留，担心盗窃，请求加强巡逻。"),
    ("dispute", "与相邻企业通道纠纷", "相邻企业长期占用共用通道，协商未果，请求协调处理。"),
    ("fraud", "财务人员疑遇冒充老板诈骗", "财务人员收到冒充老板的转账要求，请求核实并提醒员工防范。"),
    ("licence", "危险化学品运输通行证办理", "企业需办理危化品运输通行证，请求指导所需材料和流程。"),
    ("workforce", "外籍技术人员住宿登记", "新聘外籍技术人员入住员工宿舍，请求指导办理住宿登记。"),
    ("other", "企业开放日安保咨询", "企业计划举办开放日活动，请求提供安保方面的建议。"),
];

fn trade(rng: &mut impl Rng) -> (&'static str, &'static str) {
    let mut r = rng.gen_range(0.0..1.0);
    for (industry, word, w) in TRADES {
        if r < *w {
            return (industry, word);
        }
        r -= w;
    }
    ("C", "制造")
}

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let db = ctx.db;
    let mut rng = ctx.rng("enterprise");
    let count = (ctx.spec.people / 10).clamp(120, 5_906) as usize;
    let now = ningan_core::time::now_ms();
    let all = Scope::everything();
    let stations: Vec<_> = ctx.stations.iter().filter(|s| s.location.is_some()).collect();
    anyhow::ensure!(!stations.is_empty(), "enterprises need stations with seats");

    // One liaison officer per station; at the demo officer's own station it is the demo
    // officer, so signing in as `officer` shows a due list. Their password is never given out.
    let hash =
        crate::secrets::hash_password(&hex::encode(rand::random::<[u8; 16]>())).map_err(|e| anyhow::anyhow!("{e}"))?;
    let demo_officer = db.user_by_username("officer").await.ok();
    let mut liaisons = Vec::with_capacity(stations.len());
    let mut w = db.write().await?;
    for (i, s) in stations.iter().enumerate() {
        if let Some(u) = demo_officer.as_ref().filter(|u| u.unit_id == s.id) {
            liaisons.push(u.id);
            continue;
        }
        let name = format!(
            "{}{}{}",
            names::SURNAMES[rng.gen_range(0..names::SURNAMES.len())],
            names::GIVEN[rng.gen_range(0..names::GIVEN.len())],
            names::GIVEN[rng.gen_range(0..names::GIVEN.len())]
        );
        let id = w
            .user_insert(
                &ctx.actor,
                &all,
                &NewUser {
                    username: format!("liaison{:03}", i + 1),
                    display_name: name,
                    password_hash: hash.clone(),
                    unit_id: s.id,
                    roles: vec![Role::StationOfficer],
                },
            )
            .await?
            .id;
        liaisons.push(id);
    }
    for (i, officer) in liaisons.iter().enumerate() {
        enterprises::work_phone_set(&mut w, *officer, &format!("0574-8{:07}", 2_100_000 + i)).await?;
    }
    w.commit().await?;

    let mut made: Vec<(i64, bool, usize)> = Vec::with_capacity(count);
    let mut first_login = None;
    for batch in 0..count.div_ceil(200) {
        let mut w = db.write().await?;
        for n in (batch * 200)..((batch + 1) * 200).min(count) {
            // The first enterprise belongs to the demo officer's station, so that officer has
            // someone to serve and the printed portal sign-in leads to their desk.
            let home = demo_officer.as_ref().and_then(|u| stations.iter().position(|s| s.id == u.unit_id));
            let si = match (n, home) {
                (0, Some(h)) => h,
                _ => rng.gen_range(0..stations.len()),
            };
            let station = stations[si];
            let district = crate::modules::cockpit::panels::district_of(&station.path).unwrap_or(330203);
            let [slon, slat] = station.location.unwrap_or([121.55, 29.87]);
            let shape = crate::geo::district_shape(district).context("district shape")?;
            let mut at = [slon, slat];
            for _ in 0..10 {
                let p = [slon + rng.gen_range(-0.02..0.02), slat + rng.gen_range(-0.015..0.015)];
                if shape.shape.contains(p) {
                    at = p;
                    break;
                }
            }
            let (industry, word) = trade(&mut rng);
            let place = names::ROADS[rng.gen_range(0..names::ROADS.len())];
            let key = rng.gen_bool(0.15);
            let size = ["large", "medium", "small", "small", "micro", "micro"][rng.gen_range(0..6)];
            let phone = format!("1380574{:04}", n % 10_000);
            let uscc = Uscc::synthesize(district, 10_000 + n as u64);
            let registered = now - 365 * DAY - rng.gen_range(0..(700 * DAY));
            let new = enterprises::NewEnterprise {
                uscc: uscc.as_str().into(),
                name: format!("宁波{}{}{}有限公司", place.chars().take(2).collect::<String>(), word, n + 1),
                address: format!("{}{}号", place, rng.gen_range(1..900)),
                lon: at[0],
                lat: at[1],
                industry: industry.into(),
                size: size.into(),
                key_enterprise: key,
                contact_name: format!("{}经理", names::SURNAMES[rng.gen_range(0..names::SURNAMES.len())]),
                contact_phone: phone.clone(),
                unit_id: station.id,
                unit_path: station.path.clone(),
                officer_id: Some(liaisons[si]),
            };
            let id = enterprises::insert(&mut w, &ctx.actor, &all, &new, registered).await?;
            portal::account_insert(&mut w, &ctx.actor, id, &new.contact_name, &phone, true, registered).await?;
            if first_login.is_none() && demo_officer.as_ref().is_some_and(|u| u.unit_id == station.id) {
                first_login = Some((uscc.as_str().to_string(), phone.clone()));
            }
            made.push((id, key, si));
        }
        w.commit().await?;
    }
    contacts(ctx, &mut rng, &made, &liaisons, now).await?;
    let filed = file_requests(ctx, &mut rng, &made, now).await?;
    eprintln!("企业 {} 家，诉求 {} 件 / {} enterprises, {} requests", made.len(), filed, made.len(), filed);
    if let Some((uscc, phone)) = first_login {
        eprintln!("企业服务平台 /enterprise：信用代码 {uscc}，手机 {phone} / enterprise portal sign-in");
    }
    Ok(())
}

/// A year of contacts and visits at each enterprise's rhythm; one officer in ten lets a few
/// slip, so the due list and the station's overdue figure have something to show.
async fn contacts(
    ctx: &DemoContext<'_>,
    rng: &mut impl Rng,
    made: &[(i64, bool, usize)],
    liaisons: &[i64],
    now: i64,
) -> Result<()> {
    let topics = ["了解生产经营情况", "宣传防范电信诈骗", "排查消防和治安隐患", "听取企业意见建议", "外来务工人员管理"];
    for chunk in made.chunks(100) {
        let mut w = ctx.db.write().await?;
        for &(id, key, si) in chunk {
            let r = model::rhythm(key);
            let slack = if rng.gen_bool(0.1) { 2.5 } else { 0.9 };
            let (mut last_c, mut last_v) = (None, None);
            for (kind, days) in [("contact", r.contact_days), ("visit", r.visit_days)] {
                let step = ((days as f64) * slack * DAY as f64) as i64;
                let mut t = now - 365 * DAY + rng.gen_range(0..step.max(1));
                while t < now {
                    query(
                        "INSERT INTO enterprise_contacts (enterprise_id, officer_id, kind, at, topics, problems, created_at) \
                         VALUES ($1, $2, $3, $4, $5, '', $4)",
                    )
                    .bind(id)
                    .bind(liaisons[si])
                    .bind(kind)
                    .bind(t)
                    .bind(topics[rng.gen_range(0..topics.len())])
                    .execute(w.connection())
                    .await?;
                    if kind == "visit" {
                        last_v = Some(t)
                    } else {
                        last_c = Some(t)
                    }
                    t += step;
                }
            }
            let created: i64 = query("SELECT created_at FROM enterprises WHERE id = $1")
                .bind(id)
                .fetch_one(w.connection())
                .await?
                .try_get("created_at")?;
            query("UPDATE enterprises SET last_contact_at = $1, last_visit_at = $2, next_due_at = $3 WHERE id = $4")
                .bind(last_c)
                .bind(last_v)
                .bind(model::next_due(key, created, last_c, last_v))
                .bind(id)
                .execute(w.connection())
                .await?;
        }
        w.commit().await?;
    }
    Ok(())
}

/// A year of requests: each walks the loop as far as its fate says, at the times it would
/// have, through the same `move_request` the officers use; a tenth climb to the district.
async fn file_requests(
    ctx: &DemoContext<'_>,
    rng: &mut impl Rng,
    made: &[(i64, bool, usize)],
    now: i64,
) -> Result<usize> {
    let desk = Actor { name: "user:demo-desk".into(), unit_id: None };
    let firm = Actor { name: "enterprise:demo".into(), unit_id: None };
    let total = made.len() / 3;
    for chunk_start in (0..total).step_by(100) {
        let mut w = ctx.db.write().await?;
        for _ in chunk_start..(chunk_start + 100).min(total) {
            let (eid, _, _) = made[rng.gen_range(0..made.len())];
            let (cat, title, body) = TITLES[rng.gen_range(0..TITLES.len())];
            let category = model::category(cat).context("category")?;
            let e = enterprises::get(ctx.db, &Scope::everything(), eid).await?;
            // Recent ones are still moving; older ones are done.
            let filed_at = now - rng.gen_range(0..(365 * DAY));
            let new = requests::NewRequest {
                enterprise_id: eid,
                category: cat.into(),
                title: title.into(),
                body: body.into(),
                unit_id: e.unit_id,
                unit_path: e.unit_path.clone(),
                deadline: Stage::Submitted.deadline(category, filed_at),
            };
            let (rid, _) = requests::insert(&mut w, &firm, &new, filed_at).await?;
            let age_days = (now - filed_at) / DAY;
            let steps: &[RequestAction] = match (age_days, rng.gen_range(0..10)) {
                (0..=1, _) => &[],
                (2..=5, 0..=4) => &[RequestAction::Accept],
                (2..=5, _) => &[RequestAction::Accept, RequestAction::Assign],
                (_, 0) => &[
                    RequestAction::Accept,
                    RequestAction::Escalate,
                    RequestAction::Accept,
                    RequestAction::Reply,
                    RequestAction::Close,
                ],
                (6..=10, _) => &[RequestAction::Accept, RequestAction::Reply],
                _ => &[RequestAction::Accept, RequestAction::Assign, RequestAction::Reply, RequestAction::Close],
            };
            let mut t = filed_at;
            for a in steps {
                t += rng.gen_range(2..20) * 3_600_000;
                let r = requests::get_in(&mut w, rid).await?;
                let note = match a {
                    RequestAction::Escalate => "涉及多个部门，提请分局协调",
                    RequestAction::Reply => "已联系企业负责人，问题已处理并反馈",
                    RequestAction::Assign => "转社区民警上门核实",
                    _ => "",
                };
                move_request(&mut w, &desk, &r, *a, note, t.min(now)).await?;
            }
            if steps.last() == Some(&RequestAction::Close) && rng.gen_bool(0.8) {
                let r = requests::get_in(&mut w, rid).await?;
                let stars = [5, 5, 5, 4, 4, 3][rng.gen_range(0..6)];
                let m = requests::Move {
                    stage: Stage::Evaluated.as_str().into(),
                    tier: r.tier.clone(),
                    unit_id: r.unit_id,
                    unit_path: r.unit_path.clone(),
                    deadline: r.deadline,
                    reply: None,
                    supervised_at: r.supervised_at,
                    closed_at: None,
                    rating: Some((stars, String::new())),
                };
                requests::apply(
                    &mut w,
                    &firm,
                    rid,
                    (&r.stage, &r.tier),
                    &m,
                    "rated",
                    &format!("{stars}★"),
                    (t + DAY).min(now),
                )
                .await?;
            }
        }
        w.commit().await?;
    }
    Ok(total)
}
