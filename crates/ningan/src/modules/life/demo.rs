//! Life first in the demo city: traffic hazard points at the generated streets' junctions
//! (about 15,000 at the default size, as the report found) and a few thousand water points
//! near them, in every state of the loop with their history and photo evidence, a year of
//! roadside helmet samples (higher on urban roads than on highways, as reported), a year
//! and the one before of incidents, and a department account for the Transport Bureau.

use anyhow::Result;
use ningan_core::hazard::{Kind, Severity, State, Step};
use ningan_core::quarantine::DAY_MS;
use ningan_store::sql::{RowExt as _, query};
use rand::Rng;

use super::service::district_at;
use super::store::stats::year_start;
use crate::demo::DemoContext;

pub const DEMO: crate::demo::DemoPart = crate::demo::DemoPart { name: "life first", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

const TRAFFIC: &[(Kind, &str)] = &[
    (Kind::BlackSpot, "事故多发"),
    (Kind::Signage, "标志标线缺失"),
    (Kind::SightLine, "绿化遮挡视线"),
    (Kind::Crossing, "无信号灯路口"),
    (Kind::Lighting, "夜间无照明"),
];
const WATER: &[(Kind, &str)] = &[
    (Kind::RiverSteps, "河埠头无护栏"),
    (Kind::Pond, "村口池塘"),
    (Kind::Reservoir, "水库库岸"),
    (Kind::Pit, "工地积水坑"),
    (Kind::Beach, "野泳海滩"),
];

/// The steps that bring a point from found to `state`.
fn path_to(state: State) -> &'static [Step] {
    match state {
        State::Found => &[],
        State::Assigned => &[Step::Assign],
        State::Rectified => &[Step::Assign, Step::Rectify],
        State::Verified => &[Step::Assign, Step::Rectify, Step::Verify],
        State::Closed => &[Step::Assign, Step::Rectify, Step::Verify, Step::Close],
    }
}

fn department_for(kind: Kind, rng: &mut impl Rng) -> &'static str {
    match kind {
        Kind::Signage | Kind::Crossing => "traffic_police",
        Kind::BlackSpot => ["transport", "traffic_police"][rng.gen_range(0..2)],
        Kind::Lighting | Kind::SightLine => ["housing", "transport"][rng.gen_range(0..2)],
        Kind::RiverSteps | Kind::Reservoir => "water",
        Kind::Pond => ["agriculture", "town"][rng.gen_range(0..2)],
        Kind::Pit => "housing",
        Kind::Beach => "marine",
    }
}

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let db = ctx.db;
    let mut rng = ctx.rng("life");
    let now = ningan_core::time::now_ms();
    let traffic = (ctx.spec.people * 3 / 20).clamp(300, 15_000) as usize;
    let water = traffic / 5;
    let nodes = &crate::geo::roads().nodes;
    anyhow::ensure!(!nodes.is_empty(), "risk points need the demo streets");
    let units = db.units_in_scope(&ningan_store::Scope::everything()).await?;
    let photo = png([90, 140, 90]);
    let photo_b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&photo)
    };
    let photo_sha = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(&photo))
    };
    let actor = "user:officer";
    let mut w = db.write().await?;
    let mut made = 0usize;
    let mut tries = 0usize;
    while made < traffic + water && tries < (traffic + water) * 4 {
        tries += 1;
        let is_water = made >= traffic;
        let n = nodes[rng.gen_range(0..nodes.len())];
        // Water lies a little off the street; hazards sit on it.
        let off = if is_water { 0.0015 } else { 0.0002 };
        let (lon, lat) = (n[0] + rng.gen_range(-off..off), n[1] + rng.gen_range(-off..off));
        if district_at(lon, lat).is_none() {
            continue;
        }
        let Some(station) = crate::geo::owning_station(&units, lon, lat) else { continue };
        let (kind, word) =
            if is_water { WATER[rng.gen_range(0..WATER.len())] } else { TRAFFIC[rng.gen_range(0..TRAFFIC.len())] };
        let severity = match rng.gen_range(0..100) {
            0..10 => Severity::Major,
            10..40 => Severity::Serious,
            _ => Severity::General,
        };
        // Most were put right, as the report says; the rest are spread over the loop, and a
        // share of those being rectified are past their deadline.
        let state = match rng.gen_range(0..100) {
            0..8 => State::Found,
            8..20 => State::Assigned,
            20..26 => State::Rectified,
            26..32 => State::Verified,
            _ => State::Closed,
        };
        let found_at = now - rng.gen_range(1..365) * DAY_MS - rng.gen_range(0..DAY_MS);
        let department = department_for(kind, &mut rng);
        let steps = path_to(state);
        let mut at = found_at;
        let mut deadline = None;
        let title = format!("{}{}", station.name.trim_end_matches("派出所"), word);
        let address = format!("{}辖区 {:.4},{:.4}", station.name, lon, lat);
        let water_cols: (Option<f64>, Option<i64>, Option<i64>, Option<&str>) = if is_water {
            (
                Some(rng.gen_range(0..300) as f64),
                Some(rng.gen_range(1..6)),
                Some(rng.gen_range(0..4)),
                Some("每日 16:00–18:00"),
            )
        } else {
            (None, None, None, None)
        };
        let id: i64 = query(
            "INSERT INTO life_points (kind, category, severity, state, title, description, address, lon, lat, unit_id, \
             unit_path, reopened, found_by, found_at, updated_at, railing_m, signs, buoys, patrol, party_government, \
             party_school, party_family, party_society) VALUES ($1, $2, $3, 'found', $4, '', $5, $6, $7, $8, $9, 0, \
             $10, $11, $11, CAST($12 AS DOUBLE PRECISION), $13, $14, $15, $16, $17, $18, $19) RETURNING id",
        )
        .bind(kind.as_str())
        .bind(kind.category().as_str())
        .bind(severity.as_str())
        .bind(&title)
        .bind(&address)
        .bind(lon)
        .bind(lat)
        .bind(station.id)
        .bind(&station.path)
        .bind(actor)
        .bind(found_at)
        .bind(super::store::points::real(water_cols.0))
        .bind(water_cols.1)
        .bind(water_cols.2)
        .bind(water_cols.3)
        .bind(is_water.then_some("属地镇街"))
        .bind(is_water.then_some("就近中小学"))
        .bind(is_water.then_some("周边住户"))
        .bind(is_water.then_some("村级护水志愿队"))
        .fetch_one(w.connection())
        .await?
        .try_get("id")?;
        let mut from = State::Found;
        for step in steps {
            at += rng.gen_range(DAY_MS / 4..severity.deadline_days() * DAY_MS / 2);
            let at_now = at.min(now - 60_000);
            if *step == Step::Assign {
                // Some of those still being rectified ran out of time.
                deadline = Some(if state == State::Assigned && rng.gen_bool(0.3) {
                    now - rng.gen_range(1..20) * DAY_MS
                } else {
                    severity.deadline_from(at_now)
                });
            }
            let to = from.after(*step).map_err(|e| anyhow::anyhow!("{e}"))?;
            let (note, measures) = match step {
                Step::Rectify if is_water => {
                    ("已加装护栏和警示牌", r#"[{"kind":"railing","quantity":60.0},{"kind":"sign","quantity":2.0}]"#)
                }
                Step::Rectify => {
                    ("已完成整改", r#"[{"kind":"sign","quantity":2.0},{"kind":"lighting","quantity":3.0}]"#)
                }
                Step::Verify => ("现场核查整改到位", "[]"),
                _ => ("", "[]"),
            };
            let event: i64 = query(
                "INSERT INTO life_point_events (point_id, step, from_state, to_state, note, measures, actor, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(id)
            .bind(step.as_str())
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(note)
            .bind(measures)
            .bind(if *step == Step::Rectify { "user:dept" } else { actor })
            .bind(at_now)
            .fetch_one(w.connection())
            .await?
            .try_get("id")?;
            if *step == Step::Rectify {
                query(
                    "INSERT INTO life_photos (point_id, event_id, name, content_type, size, sha256, body, created_at) \
                     VALUES ($1, $2, 'rectified.png', 'image/png', $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(event)
                .bind(photo.len() as i64)
                .bind(&photo_sha)
                .bind(&photo_b64)
                .bind(at_now)
                .execute(w.connection())
                .await?;
            }
            from = to;
            at = at_now;
        }
        let overdue = state == State::Assigned && deadline.is_some_and(|d| d < now);
        query(
            "UPDATE life_points SET state = $1, department = $2, deadline = $3, closed_at = $4, updated_at = $5, \
             escalated_at = $6 WHERE id = $7",
        )
        .bind(state.as_str())
        .bind((state != State::Found).then_some(department))
        .bind(deadline)
        .bind((state == State::Closed).then_some(at))
        .bind(at)
        .bind(overdue.then_some(now - DAY_MS))
        .bind(id)
        .execute(w.connection())
        .await?;
        made += 1;
    }
    w.commit().await?;

    helmets_and_incidents(ctx, &mut rng, &units, now).await?;

    // The Transport Bureau's account speaks for its department.
    if let Ok(dept) = db.user_by_username("dept").await {
        let mut w = db.write().await?;
        super::store::records::set_department(&mut w, &ctx.actor, dept.id, "transport", now).await?;
        w.commit().await?;
    }
    Ok(())
}

async fn helmets_and_incidents(
    ctx: &DemoContext<'_>,
    rng: &mut impl Rng,
    units: &[ningan_store::OrgUnit],
    now: i64,
) -> Result<()> {
    let nodes = &crate::geo::roads().nodes;
    let samples = (ctx.spec.people / 50).clamp(200, 3_000) as usize;
    let this_year = super::store::stats::month_of(now).0;
    let start = year_start(this_year - 1);
    let mut w = ctx.db.write().await?;
    let mut made = 0;
    while made < samples {
        let n = nodes[rng.gen_range(0..nodes.len())];
        let Some(station) = crate::geo::owning_station(units, n[0], n[1]) else { continue };
        let highway = rng.gen_bool(0.3);
        // Wearing rose over the two years: about 88 → 95 % in town, 82 → 90 % on highways.
        let at = rng.gen_range(start..now);
        let progress = (at - start) as f64 / (now - start).max(1) as f64;
        let p = if highway { 0.82 + 0.08 * progress } else { 0.88 + 0.07 * progress };
        let drivers = rng.gen_range(20..80);
        let passengers = rng.gen_range(0..20);
        let helmeted = |n: i64, rng: &mut dyn rand::RngCore| (0..n).filter(|_| rng.gen_bool(p)).count() as i64;
        let dh = helmeted(drivers, rng);
        let ph = helmeted(passengers, rng);
        query(
            "INSERT INTO life_helmet_samples (at, place, lon, lat, road_type, drivers, drivers_helmet, passengers, \
             passengers_helmet, unit_id, unit_path, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'user:officer', $1)",
        )
        .bind(at)
        .bind(format!("{}路口", station.name))
        .bind(n[0])
        .bind(n[1])
        .bind(if highway { "highway" } else { "urban" })
        .bind(drivers)
        .bind(dh)
        .bind(passengers)
        .bind(ph)
        .bind(station.id)
        .bind(&station.path)
        .execute(w.connection())
        .await?;
        made += 1;
    }
    // Incidents of two years, scaled to the city: fewer this year than last, as reported.
    let scale = (ctx.spec.people as f64 / 100_000.0).clamp(0.05, 1.0);
    for (year, traffic, drowning, other) in [(this_year - 1, 160.0, 40.0, 30.0), (this_year, 130.0, 28.0, 25.0)] {
        let from = year_start(year);
        let to = year_start(year + 1).min(now);
        for (kind, count) in [("traffic", traffic), ("drowning", drowning), ("other", other)] {
            for _ in 0..((count * scale) as usize).max(2) {
                let n = nodes[rng.gen_range(0..nodes.len())];
                let Some(station) = crate::geo::owning_station(units, n[0], n[1]) else {
                    continue;
                };
                // Drownings cluster in the summer months.
                let at = if kind == "drowning" {
                    let summer = from + 150 * DAY_MS;
                    (summer + rng.gen_range(0..100) * DAY_MS).min(to - 1)
                } else {
                    rng.gen_range(from..to)
                };
                query(
                    "INSERT INTO life_incidents (kind, deaths, injuries, at, place, lon, lat, unit_id, unit_path, note, \
                     created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', 'user:officer', $4)",
                )
                .bind(kind)
                .bind(if rng.gen_bool(0.9) { 1i64 } else { 2 })
                .bind(rng.gen_range(0..3i64))
                .bind(at)
                .bind(format!("{}辖区", station.name))
                .bind(n[0])
                .bind(n[1])
                .bind(station.id)
                .bind(&station.path)
                .execute(w.connection())
                .await?;
            }
        }
    }
    w.commit().await?;
    Ok(())
}

/// A small solid-colour PNG, the demo's stand-in for a photo of the work done.
pub fn png(rgb: [u8; 3]) -> Vec<u8> {
    use std::io::Write as _;
    let (width, height) = (32u32, 24u32);
    // Each scanline: filter type 0, then the pixels.
    let line: Vec<u8> = std::iter::once(0).chain(rgb.iter().copied().cycle().take(3 * width as usize)).collect();
    let raw = line.repeat(height as usize);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", ihdr.as_slice()), (b"IDAT", idat.as_slice()), (b"IEND", &[][..])] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for b in bytes {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stand_in_photo_is_a_png_with_sound_checksums() {
        // The CRC of "IEND" with no data is the well-known AE 42 60 82.
        let p = png([1, 2, 3]);
        assert!(p.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&p[p.len() - 4..], &[0xAE, 0x42, 0x60, 0x82]);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
