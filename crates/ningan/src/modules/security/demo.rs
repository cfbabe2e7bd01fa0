//! Major-event security in the demo city: the centenary celebrations' security plan (建党
//! 百年庆祝活动安保, as the report tells), under way while the demo serves — Tianyi Square in
//! Haishu with its perimeter, six posts with the strength each needs, Haishu's officers
//! posted (most already checked in; the demo's `officer` not yet, to try it), and a missing
//! child reported inside the perimeter on the board.

use anyhow::Result;
use ningan_core::Role;
use ningan_store::{PageRequest, Scope};

use super::store::plans::{self, NewPlan, NewPost};
use crate::demo::DemoContext;

pub const DEMO: crate::demo::DemoPart = crate::demo::DemoPart { name: "major-event security", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

/// Posts: name, duty, offset from the square's centre (metres east, north), strength.
const POSTS: [(&str, &str, f64, f64, i64); 6] = [
    ("东门安检口", "安检", 300.0, 0.0, 4),
    ("西门安检口", "安检", -300.0, 0.0, 4),
    ("南门疏导岗", "疏导", 0.0, -220.0, 3),
    ("北门疏导岗", "疏导", 0.0, 220.0, 3),
    ("中心舞台", "守护", 0.0, 0.0, 4),
    ("钟楼制高点", "制高点", 150.0, 120.0, 2),
];

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let Some(haishu) = crate::geo::district_shape(330203) else { return Ok(()) };
    let c = haishu.center;
    let at = |east: f64, north: f64| [c[0] + east / (111_320.0 * c[1].to_radians().cos()), c[1] + north / 111_320.0];
    let now = ningan_core::time::now_ms();
    let district = ctx.db.unit_by_code("330203").await?;
    let mut w = ctx.db.write().await?;
    let new = NewPlan {
        name: "建党百年庆祝活动安保（演练）",
        starts_at: now - 3_600_000,
        ends_at: now + 8 * 3_600_000,
        unit_id: district.id,
        unit_path: &district.path,
    };
    let plan = plans::insert(&mut w, &ctx.actor, &new, now).await?;
    let mut ring: Vec<[f64; 2]> =
        [(-400.0, -300.0), (400.0, -300.0), (400.0, 300.0), (-400.0, 300.0)].iter().map(|&(e, n)| at(e, n)).collect();
    ring.push(ring[0]);
    let venue = plans::venue_insert(&mut w, &ctx.actor, plan, "天一广场", &ring, now).await?;
    let mut posts = Vec::new();
    for (name, duty, e, n, required) in POSTS {
        let p = at(e, n);
        let new = NewPost { plan_id: plan, venue_id: venue, name, duty, lon: p[0], lat: p[1], required };
        posts.push((plans::post_insert(&mut w, &ctx.actor, &new, now).await?, required));
    }
    // Haishu's station officers, the demo's own officer last (left to check in by hand).
    let officers = ctx
        .db
        .users_in_scope(&Scope::subtree(&district.path), None, None, PageRequest::new(Some(1), Some(200)))
        .await?;
    let mut people: Vec<_> = officers
        .items
        .into_iter()
        .filter(|u| u.roles.contains(&Role::StationOfficer) && u.username != "officer")
        .collect();
    people.truncate(16);
    let demo_officer = ctx.db.user_by_username("officer").await.ok();
    let mut slots = posts.iter().flat_map(|&(id, required)| std::iter::repeat_n(id, required as usize));
    for u in &people {
        let Some(post) = slots.next() else { break };
        let a = plans::assign(&mut w, &ctx.actor, plan, post, u.id, now).await?;
        plans::check_in(&mut w, &ctx.actor, a, now - 30 * 60_000, 20.0).await?;
    }
    if let (Some(u), Some(post)) = (demo_officer, slots.next()) {
        plans::assign(&mut w, &ctx.actor, plan, post, u.id, now).await?;
    }
    // A child separated from their parents near the east gate, reported to 110.
    let station = crate::geo::owning_station(ctx.stations, c[0], c[1]).cloned();
    if let Some(station) = station {
        let p = at(250.0, 40.0);
        let call = crate::modules::command::store::incidents::NewIncident {
            category: ningan_core::incident::Category::LostPerson.as_str().into(),
            priority: "high".into(),
            caller_phone: "13957400123".into(),
            address: "海曙区天一广场东门".into(),
            lon: p[0],
            lat: p[1],
            district: 330203,
            urban: true,
            narrative: "观看庆祝活动时与6岁孩子走散，孩子穿红色外套".into(),
            unit_id: station.id,
            unit_path: station.path.clone(),
            received_at: now - 10 * 60_000,
        };
        crate::modules::command::store::incidents::insert(&mut w, &ctx.actor, &call, now).await?;
    }
    w.commit().await?;
    eprintln!(
        "已生成重大活动安保方案（{} 名民警在岗）/ a major-event security plan ({} officers posted)",
        people.len(),
        people.len()
    );
    Ok(())
}
