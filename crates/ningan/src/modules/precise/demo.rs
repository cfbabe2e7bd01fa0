//! Precise control in the demo city: venues with codes around every station, two weeks of
//! venue-code check-ins by a sample of residents (dated back from today, so they are inside
//! the tracing engine's retention), a few confirmed cases to investigate, and carriers' cell
//! stays that give the cases companions.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use ningan_store::{FoundContact, NewEpiCase, NewSite, NewVenue, NewZone, Scope};
use ningan_trace::{Observation, SpaceKind, Time};
use rand::Rng;

use crate::demo::{DemoContext, pick, point_near};
use crate::modules::precise::tracing::tracer::{Tracer, engine_id, now_s};

/// Venues per station.
const VENUES_PER_STATION: usize = 12;
/// At most this many residents take part in the check-in stream.
const SAMPLED: i64 = 40_000;
const DAYS: u32 = 14;
const DAY: Time = 86_400;

const KINDS: &[(&str, &[&str], u32)] = &[
    ("restaurant", &["面馆", "小吃店", "海鲜酒家", "快餐店", "茶餐厅"], 35),
    ("shop", &["便利店", "超市", "药店", "水果店"], 30),
    ("market", &["菜市场", "农贸市场"], 10),
    ("office", &["写字楼", "产业园"], 10),
    ("school", &["小学", "中学"], 5),
    ("transport", &["公交总站", "地铁站"], 6),
    ("hospital", &["社区卫生服务中心"], 4),
];

fn weighted_kind(rng: &mut impl Rng) -> (&'static str, &'static [&'static str]) {
    let total: u32 = KINDS.iter().map(|k| k.2).sum();
    let mut r = rng.gen_range(0..total);
    for (kind, nouns, w) in KINDS {
        if r < *w {
            return (kind, nouns);
        }
        r -= w;
    }
    (KINDS[0].0, KINDS[0].1)
}

/// A printable code from the seed and the venue's place in the city.
fn venue_code(seed: u64, station: &str, i: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let h = crate::secrets::sha256_hex(format!("ningan-venue:{seed}:{station}:{i}").as_bytes());
    let body: String = h.bytes().take(10).map(|b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()])).collect();
    format!("NB{body}")
}

/// This module's part of the demo city.
pub const DEMO: crate::demo::DemoPart = crate::demo::DemoPart { name: "precise control", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx, ctx.spec.trace_dir.as_deref()))
}

pub async fn generate(ctx: &DemoContext<'_>, trace_dir: Option<&Path>) -> Result<()> {
    let mut rng = ctx.rng("precise");
    // Venues near each station, inside its district.
    let mut new = Vec::new();
    for s in ctx.stations {
        let district: u32 = s.code.get(..6).and_then(|c| c.parse().ok()).unwrap_or(0);
        let Some(shape) = crate::geo::district_shape(district) else { continue };
        let around = s.location.unwrap_or([121.55, 29.87]);
        let place = s.name.trim_end_matches("派出所");
        for i in 0..VENUES_PER_STATION {
            let (kind, nouns) = weighted_kind(&mut rng);
            new.push(NewVenue {
                code: venue_code(ctx.spec.seed, &s.code, i),
                name: format!(
                    "{place}{}{}",
                    pick(&mut rng, nouns),
                    if i > 0 { format!("{i}号") } else { String::new() }
                ),
                kind: kind.into(),
                address: format!("{}{}号", s.name.trim_end_matches("派出所"), rng.gen_range(1..400)),
                unit_id: s.id,
                unit_path: s.path.clone(),
                location: point_near(&mut rng, &shape.shape, around, 0.02),
            });
        }
    }
    let mut w = ctx.db.write().await?;
    let ids = w.venues_insert(&ctx.actor, &Scope::everything(), &new).await?;
    w.commit().await?;
    eprintln!("  {} 个场所 / venues", ids.len());
    let Some(dir) = trace_dir else { return places(ctx, &[]).await };

    // Venues by station, for drawing visits near home.
    let mut by_station: HashMap<i64, Vec<(u32, SpaceKind)>> = HashMap::new();
    for (id, v) in ids.iter().zip(&new) {
        if let (Ok(space), Some(kind)) = (engine_id(*id), crate::modules::precise::tracing::tracer::venue_kind(&v.kind))
        {
            by_station.entry(v.unit_id).or_default().push((space, kind));
        }
    }
    let tracer = Tracer::open(dir, 28, 8)?;
    let directory: Vec<(i64, String, String)> =
        ids.iter().zip(&new).map(|(id, v)| (*id, v.kind.clone(), v.code.clone())).collect();
    tracer.sync_venues(&directory)?;
    let residents = ctx.db.resident_homes(SAMPLED).await?;
    let now = now_s();
    let today = now - now % DAY;
    let mut batch = Vec::with_capacity(50_000);
    let mut total = 0usize;
    let mut recent: Vec<i64> = Vec::new();
    for (resident, unit) in &residents {
        let Ok(person) = engine_id(*resident) else { continue };
        let Some(venues) = by_station.get(unit) else { continue };
        for day in (1..=DAYS).rev() {
            let scans = match rng.gen_range(0..10) {
                0..=3 => 0,
                4..=8 => 1,
                _ => 2,
            };
            for _ in 0..scans {
                // A few popular places per station draw most visits.
                let v = ((rng.gen_range(0.0f64..1.0).powi(2)) * venues.len() as f64) as usize;
                let (space, kind) = venues[v.min(venues.len() - 1)];
                // 08:00–21:00 China time is 00:00–13:00 UTC.
                let start = today - day * DAY + rng.gen_range(0..13 * 3600);
                let dwell = kind.default_dwell();
                let end = rng.gen_bool(0.7).then(|| start + rng.gen_range(dwell / 2..=dwell * 3 / 2));
                batch.push(Observation { person, space, start, end });
                if day <= 3 && recent.len() < 50 && rng.gen_bool(0.01) {
                    recent.push(*resident);
                }
            }
        }
        if batch.len() >= 40_000 {
            total += tracer.ingest(&batch)?.accepted;
            batch.clear();
        }
    }
    total += tracer.ingest(&batch)?.accepted;
    tracer.housekeep()?;
    eprintln!("  {total} 条场所码扫码记录 / check-ins");

    // Three cases among people seen at venues in the last three days; the first case's
    // contacts become follow-up tasks, some of them already further along.
    let all = Scope::everything();
    let mut w = ctx.db.write().await?;
    recent.sort_unstable();
    recent.dedup();
    let mut cases = Vec::new();
    for (i, resident) in recent.iter().take(3).enumerate() {
        let status = if i == 1 { "asymptomatic" } else { "confirmed" };
        let onset = i64::from(now - DAY / 2) * 1000;
        let note = "演示病例（合成数据）".to_string();
        let case = NewEpiCase { resident_id: *resident, status: status.into(), onset_at: onset, note };
        cases.push((w.epi_case_insert(&ctx.actor, &all, &case).await?, *resident));
    }
    w.commit().await?;
    if let Some(&(case_id, resident)) = cases.first() {
        let inv = tracer.investigate(
            engine_id(resident)?,
            now - DAY / 2,
            now,
            ningan_trace::ExposureRule::ninth_edition(),
        )?;
        let found: Vec<FoundContact> = inv
            .close
            .iter()
            .take(60)
            .map(|c| FoundContact {
                resident_id: i64::from(c.person),
                tier: "close",
                via_resident_id: None,
                overlap_s: i64::from(c.total_overlap),
                first_exposure: i64::from(c.first_exposure),
                last_exposure: i64::from(c.last_exposure),
            })
            .collect();
        let mut w = ctx.db.write().await?;
        w.followups_confirm(&ctx.actor, case_id, &found).await?;
        w.commit().await?;
        eprintln!("  {} 名密接转为管控任务 / contacts became follow-ups", found.len());
    }
    let visitors = visitors(ctx, &tracer, &cases, &residents, &mut rng).await?;
    eprintln!("  {visitors} 名外来人员 / visitors");
    let stays = cell_stays(ctx, &tracer, &cases, &residents, &mut rng).await?;
    tracer.housekeep()?;
    eprintln!("  {stays} 条手机信令驻留 / cell stays (时空伴随)");
    places(ctx, &cases).await
}

/// Visitors staying at each case's station, recorded as a station would; three of them at a
/// place and time the case was, so the investigation finds visitors among its contacts.
async fn visitors(
    ctx: &DemoContext<'_>,
    tracer: &Tracer,
    cases: &[(i64, i64)],
    residents: &[(i64, i64)],
    rng: &mut impl Rng,
) -> Result<usize> {
    use crate::modules::precise::tracing::visitors::{NewVisitor, insert, visitor_person};
    const NAMES: &[&str] = &["赵", "钱", "孙", "李", "周", "吴", "郑", "王"];
    let now = now_s();
    let mut batch = Vec::new();
    let mut recorded = 0;
    for (n, &(_, resident)) in cases.iter().enumerate() {
        let Some(unit) = residents.iter().find(|(r, _)| *r == resident).map(|r| r.1) else { continue };
        let Some(station) = ctx.stations.iter().find(|s| s.id == unit) else { continue };
        let inv = tracer.investigate(
            engine_id(resident)?,
            now - DAY / 2,
            now,
            ningan_trace::ExposureRule::ninth_edition(),
        )?;
        let mut w = ctx.db.write().await?;
        for i in 0..6 {
            let v = NewVisitor {
                name: format!("{}{}（访客）", pick(rng, NAMES), ["一", "二", "三", "四", "五", "六"][i]),
                document_type: "passport".into(),
                document_number: format!("E{:02}{:06}", n, rng.gen_range(0..1_000_000)),
                phone: Some(format!("171{:08}", rng.gen_range(0..100_000_000u32))),
                staying_address: format!("{}宾馆{}室", station.name.trim_end_matches("派出所"), 200 + i),
                unit: ningan_store::OrgUnit::clone(station),
            };
            let id = insert(&mut w, &v, None, &ctx.actor.name).await?;
            recorded += 1;
            // The first three shared a place with the case.
            if let Some(window) = inv.windows.get(i).filter(|_| i < 3) {
                let start = window.from + (window.to - window.from) / 2;
                batch.push(Observation {
                    person: visitor_person(id)?,
                    space: window.space,
                    start,
                    end: Some(start + 1200),
                });
            }
        }
        w.commit().await?;
    }
    tracer.ingest(&batch)?;
    Ok(recorded)
}

/// Carriers' cell stays around the cases, as a carrier would send them (number, cell
/// position, times) and resolved the way the server does: each case at home and at work
/// every day of the last two weeks; per case, 20 residents of the same station and 8 numbers
/// not in the register sharing the home cell for a quarter to an hour and a half on one day
/// (companions), a colleague at work every day (30 hours and more), and 20 residents passing
/// through for a few minutes (not companions).
async fn cell_stays(
    ctx: &DemoContext<'_>,
    tracer: &Tracer,
    cases: &[(i64, i64)],
    residents: &[(i64, i64)],
    rng: &mut impl Rng,
) -> Result<usize> {
    use crate::modules::precise::tracing::cellstays;
    let now = now_s();
    let today = now - now % DAY;
    // (number, latitude, longitude, start, end)
    let mut stays: Vec<(String, f64, f64, Time, Time)> = Vec::new();
    for &(_, resident) in cases {
        let Some(unit) = residents.iter().find(|(r, _)| *r == resident).map(|r| r.1) else { continue };
        let Some([lon, lat]) = ctx.stations.iter().find(|s| s.id == unit).and_then(|s| s.location) else { continue };
        let (work_lat, work_lon) = (lat + 0.02, lon + 0.03);
        let neighbours: Vec<i64> =
            residents.iter().filter(|(r, u)| *u == unit && *r != resident).map(|r| r.0).take(41).collect();
        let mut ids = neighbours.clone();
        ids.push(resident);
        let phones: HashMap<i64, String> = cellstays::phones_of(ctx.db, &ids).await?.into_iter().collect();
        let Some(own) = phones.get(&resident) else { continue };
        let colleague = neighbours.first().and_then(|n| phones.get(n));
        for day in 1..=DAYS {
            let midnight = today - day * DAY;
            // 19:00–07:00 and 09:00–17:00 China time (UTC+8).
            stays.push((own.clone(), lat, lon, midnight + 11 * 3600, midnight + 23 * 3600));
            stays.push((own.clone(), work_lat, work_lon, midnight + 3600, midnight + 9 * 3600));
            if let Some(c) = colleague {
                stays.push((c.clone(), work_lat, work_lon, midnight + 3600, midnight + 9 * 3600));
            }
        }
        for (i, n) in neighbours.iter().skip(1).enumerate() {
            let Some(phone) = phones.get(n) else { continue };
            let midnight = today - rng.gen_range(1..=DAYS) * DAY;
            // Evenings at home, 19:00–23:00 China time.
            let start = midnight + 11 * 3600 + rng.gen_range(0..3 * 3600);
            let minutes = if i < 20 { rng.gen_range(15..=90) } else { rng.gen_range(2..=8) };
            stays.push((phone.clone(), lat, lon, start, start + minutes * 60));
        }
        for _ in 0..8 {
            let phone = format!("170{:08}", rng.gen_range(0..100_000_000u32));
            let midnight = today - rng.gen_range(1..=DAYS) * DAY;
            let start = midnight + 11 * 3600 + rng.gen_range(0..3 * 3600);
            stays.push((phone, lat, lon, start, start + rng.gen_range(15..=90) * 60));
        }
    }
    let secret = cellstays::key_secret(ctx.db).await?;
    let mut phones: Vec<String> = stays.iter().map(|s| s.0.clone()).collect();
    phones.sort_unstable();
    phones.dedup();
    let persons = cellstays::persons_for(ctx.db, &secret, &phones).await?;
    let mut batch = Vec::with_capacity(stays.len());
    for (phone, lat, lng, start, end) in stays {
        let (Some(person), Ok(space)) = (persons.get(&phone), tracer.cell_space(lat, lng)) else { continue };
        batch.push(Observation { person: *person, space, start, end: Some(end.min(now)) });
    }
    Ok(tracer.ingest(&batch)?.accepted)
}

/// A quarantine hotel per district seat, a risk area, a gate at the first compounds and a
/// control zone around the first case's compound: the control pages have something to show.
async fn places(ctx: &DemoContext<'_>, cases: &[(i64, i64)]) -> Result<()> {
    let all = Scope::everything();
    let mut w = ctx.db.write().await?;
    for (i, s) in ctx.stations.iter().filter(|s| s.code.ends_with("001")).take(4).enumerate() {
        let rooms = (1..=40).map(|n| (format!("{}{:02}", 1 + n / 20, n % 20), 1 + i64::from(n % 3 == 0))).collect();
        let site = NewSite {
            name: format!("{}集中隔离点", s.name.trim_end_matches("派出所")),
            address: format!("{}{}号", s.name.trim_end_matches("派出所"), 100 + i),
            unit_id: s.id,
            unit_path: s.path.clone(),
            location: s.location.unwrap_or([121.55, 29.87]),
            rooms,
        };
        w.site_insert(&ctx.actor, &all, &site).await?;
    }
    let now = ningan_core::time::now_ms();
    w.risk_area_insert(&ctx.actor, "上海市浦东新区", "high", now - 7 * 86_400_000, None).await?;
    w.risk_area_insert(&ctx.actor, "杭州市拱墅区", "medium", now - 3 * 86_400_000, None).await?;
    let compounds = ctx.db.compounds_with_counts(&all).await?;
    for (c, _) in compounds.iter().take(6) {
        w.gate_insert(&ctx.actor, &all, c.id, "东门", None).await?;
    }
    if let Some(&(_, resident)) = cases.first()
        && let Some(compound) = ctx.db.resident_compound(resident).await?
        && let Some((c, _)) = compounds.iter().find(|(c, _)| c.id == compound)
    {
        let [lon, lat] = c.location;
        let d = 0.004;
        let ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]];
        let geometry = serde_json::json!({"type": "Polygon", "coordinates": [ring]}).to_string();
        let station = ctx.stations.iter().find(|s| s.id == c.unit_id);
        if let Some(station) = station {
            let zone = NewZone {
                name: format!("{}封控区", c.name),
                level: "sealed".into(),
                geometry,
                unit_id: station.id,
                unit_path: station.path.clone(),
                starts_at: now - 86_400_000 / 2,
                planned_end: Some(now + 7 * 86_400_000),
            };
            w.zone_insert(&ctx.actor, &all, &zone).await?;
        }
    }
    w.commit().await?;
    Ok(())
}
