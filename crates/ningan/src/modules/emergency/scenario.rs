//! The demo's typhoon (`ningan demo --scenario typhoon`): Typhoon In-Fa comes ashore while
//! the demo serves. The commander starts the event, sends red warnings for the coastal
//! halves of Xiangshan and Ninghai (their households go on the stations' lists), closes a
//! flooded road and files a rescue; then, minute by minute, the stations' officers call at
//! the listed households — those with needs first — and most families walk into their
//! nearest shelter with room, where the desk scans each member's signed pass. Everything
//! goes through the same service functions as the workbench, as the demo's commander.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use ningan_core::emergency::EvacuationStep;
use ningan_store::PageRequest;
use rand::{Rng, SeedableRng};

use super::EmergencyConfig;
use super::service::{self, ArriveInput, ClosureInput, EventInput, StepInput, WarningInput};
use super::store::{events, households, shelters};
use crate::app::AppState;
use crate::http::principal::{Ctx, Principal, Who};

/// The event's name: a scenario started again finds its event and carries on.
pub const EVENT: &str = "台风“烟花”（演练）";
/// Xiangshan and Ninghai, where In-Fa's rain fell hardest on the Ningbo coast.
const COAST: [u32; 2] = [330225, 330226];

/// Acts as the demo's commander (the audit trail names them).
async fn commander(state: &AppState) -> Result<Ctx> {
    let user = state.db.user_by_username("commander").await.context("the demo city has no commander")?;
    let unit = state.db.unit_by_id(user.unit_id).await?;
    let who = Who::Officer { user, csrf_token: String::new(), session_hash: String::new() };
    Ok(Ctx(Arc::new(Principal { who, unit })))
}

pub async fn run(state: &AppState, cfg: &EmergencyConfig) -> Result<()> {
    // The server starts before the demo city is generated on a first run: wait for the city
    // (its seed is stored last).
    while state.db.setting("demo.seed").await?.is_none() {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let ctx = commander(state).await?;
    let event = match events::list(&state.db).await?.into_iter().find(|e| e.state == "active" && e.name == EVENT) {
        Some(e) => e.id,
        None => open(state, &ctx).await?,
    };
    tracing::info!(event, "typhoon scenario: evacuating the coast");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(event as u64);
    // Every two seconds, this many households.
    let per_tick = (cfg.households_per_minute as usize).div_ceil(30).max(1);
    loop {
        if events::get(&state.db, event).await?.state != "active" {
            return Ok(());
        }
        let q = households::ListQuery { outstanding: true, by_rank: true, ..Default::default() };
        let page =
            households::list(&state.db, &ctx.scope(), event, &q, PageRequest::new(Some(1), Some(per_tick as i64 * 4)))
                .await?;
        if page.items.is_empty() {
            tracing::info!(event, "typhoon scenario: every listed household has been called at");
            return Ok(());
        }
        for h in page.items.iter().take(per_tick) {
            if let Err(e) = call_at(state, &ctx, event, h, &mut rng).await {
                tracing::debug!(household = h.id, error = %e, "typhoon scenario: a household was not moved");
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Starts the event: the warnings, a closed road and a rescue.
async fn open(state: &AppState, ctx: &Ctx) -> Result<i64> {
    let event = service::start_event(state, ctx, &EventInput { name: EVENT.into(), kind: "typhoon".into() })
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail_en))?;
    for code in COAST {
        let Some(ring) = coastal_ring(state, code).await? else { continue };
        let d = ningan_core::district::by_code(code).map(|d| d.name).unwrap_or("");
        let input = WarningInput {
            level: "red".into(),
            area_name: format!("{d}沿海"),
            ring,
            evacuate: true,
            headline: None,
            instruction: None,
        };
        let sent =
            service::send_warning(state, ctx, event, &input).await.map_err(|e| anyhow::anyhow!("{}", e.detail_en))?;
        tracing::info!(households = sent.households, area = %input.area_name, "typhoon scenario: warning sent");
    }
    if let Some(shape) = crate::geo::district_shape(COAST[0]) {
        let c = shape.center;
        let road = ClosureInput {
            name: "沿海公路（积水路段）".into(),
            reason: "暴雨积水深度超过40厘米，禁止通行".into(),
            points: vec![c, [c[0] + 0.02, c[1] + 0.005]],
        };
        if let Err(e) = service::close_road(state, ctx, event, &road).await {
            tracing::info!(error = %e.detail_en, "typhoon scenario: no road to close");
        }
        let rescue = crate::modules::command::service::IncidentInput {
            category: String::new(),
            priority: "urgent".into(),
            caller_phone: "13957400110".into(),
            address: format!("{}沿海低洼处", shape.district.name),
            lon: c[0] + 0.01,
            lat: c[1],
            narrative: "民房进水，一名老人被困二楼，请求救援".into(),
            received_at: None,
        };
        if let Err(e) = service::rescue(state, ctx, event, &rescue).await {
            tracing::info!(error = %e.detail_en, "typhoon scenario: the rescue was not filed");
        }
    }
    Ok(event)
}

/// The coastal (eastern) half of a district's compounds and those of its first station (the
/// demo's `coast` officer works there), as their convex hull, a little widened: the area a
/// red warning evacuates.
pub async fn coastal_ring(state: &AppState, code: u32) -> Result<Option<Vec<[f64; 2]>>> {
    let prefix = format!("/{}/{code}/", ningan_core::district::NINGBO_CODE);
    let all = compounds_under(state, &prefix).await?;
    if all.len() < 3 {
        return Ok(None);
    }
    let first = match state.db.unit_by_code(&format!("{code}001")).await {
        Ok(u) => compounds_under(state, &u.path).await?,
        Err(_) => Vec::new(),
    };
    let mut lons: Vec<f64> = all.iter().map(|p| p[0]).collect();
    lons.sort_by(f64::total_cmp);
    let median = lons[lons.len() / 2];
    let east: Vec<[f64; 2]> = all.into_iter().filter(|p| p[0] >= median).chain(first).collect();
    let hull = hull(&east);
    if hull.len() < 3 {
        return Ok(None);
    }
    let cx = hull.iter().map(|p| p[0]).sum::<f64>() / hull.len() as f64;
    let cy = hull.iter().map(|p| p[1]).sum::<f64>() / hull.len() as f64;
    let mut ring: Vec<[f64; 2]> = hull
        .iter()
        .map(|p| {
            let round = |v: f64| (v * 1e5).round() / 1e5;
            [round(cx + (p[0] - cx) * 1.08), round(cy + (p[1] - cy) * 1.08)]
        })
        .collect();
    ring.push(ring[0]);
    Ok(Some(ring))
}

async fn compounds_under(state: &AppState, prefix: &str) -> Result<Vec<[f64; 2]>> {
    use ningan_store::sql::{RowExt as _, query};
    let (lo, hi) = ningan_store::Scope::subtree(prefix).range();
    let rows = query("SELECT lon, lat FROM compounds WHERE unit_path >= $1 AND unit_path < $2")
        .bind(lo)
        .bind(hi)
        .fetch_all(state.db.reader())
        .await?;
    rows.iter().map(|r| Ok([r.try_get("lon")?, r.try_get("lat")?])).collect()
}

/// Andrew's monotone chain: the convex hull, counter-clockwise, without repeating the first.
pub fn hull(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut p = points.to_vec();
    p.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    p.dedup();
    if p.len() < 3 {
        return p;
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    let mut lower: Vec<[f64; 2]> = Vec::new();
    for &q in &p {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], q) <= 0.0 {
            lower.pop();
        }
        lower.push(q);
    }
    let mut upper: Vec<[f64; 2]> = Vec::new();
    for &q in p.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], q) <= 0.0 {
            upper.pop();
        }
        upper.push(q);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

/// An officer at the door: most households go to the nearest shelter with room, every
/// member checked in by pass; some are out, a few refuse for now.
async fn call_at(
    state: &AppState,
    ctx: &Ctx,
    event: i64,
    h: &households::Household,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Result<()> {
    let roll = rng.gen_range(0..100);
    let step = |s: EvacuationStep, note: &str| StepInput { step: s.as_str().into(), note: note.into() };
    let err = |e: crate::http::error::ApiError| anyhow::anyhow!("{}", e.detail_en);
    // A household that refused is visited again: half of them come round each time.
    let roll = if h.state == "refused" && roll < 50 { 99 } else { roll };
    if h.state == "refused" && roll < 99 {
        return Ok(());
    }
    if roll < 4 {
        let input = step(EvacuationStep::Refuse, "户主表示房屋坚固不愿转移，已告知风险，稍后再次劝导");
        service::household_step(state, ctx, h.id, &input).await.map_err(err)?;
        return Ok(());
    }
    if roll < 7 {
        service::household_step(state, ctx, h.id, &step(EvacuationStep::Away, "")).await.map_err(err)?;
        return Ok(());
    }
    if h.state == "listed" && roll < 20 {
        // Told to go; they will be back on the list's next round.
        service::household_step(state, ctx, h.id, &step(EvacuationStep::Notify, "")).await.map_err(err)?;
        return Ok(());
    }
    let members = households::members(&state.db, &h.household_no).await?;
    let key = state.precise.registry.signing_key(&state.db).await?;
    let now = (ningan_core::time::now_ms() / 1000) as u32;
    let mut open: Vec<shelters::Shelter> = shelters::all(&state.db, event)
        .await?
        .into_iter()
        .filter(|s| s.capacity - s.occupancy >= members.len() as i64)
        .collect();
    let d = |s: &shelters::Shelter| (s.lon - h.lon).powi(2) + ((s.lat - h.lat) * 1.15).powi(2);
    open.sort_by(|a, b| d(a).total_cmp(&d(b)));
    let Some(shelter) = open.first() else { anyhow::bail!("every shelter is full") };
    for m in members {
        let pass = ningan_core::pass::Pass {
            person: u32::try_from(m.resident_id)?,
            compound: h.compound_id,
            issued: now,
            expires: now + 86_400,
        };
        let input = ArriveInput { shelter_id: shelter.id, pass: Some(pass.sign(key)), resident_id: None };
        service::arrive(state, ctx, event, &input).await.map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hull_of_a_square_with_a_point_inside_is_its_four_corners() {
        let pts = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.5, 0.5], [1.0, 0.0]];
        let h = hull(&pts);
        assert_eq!(h.len(), 4);
        let mut ring = h.clone();
        ring.push(h[0]);
        assert!(ningan_core::cap::Ring(ring).check().is_ok(), "a hull is a simple polygon");
    }
}
