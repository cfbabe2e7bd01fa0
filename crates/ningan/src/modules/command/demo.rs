//! Integrated command in the demo city: patrol units at every station (two to four cars and a
//! foot patrol, a few standing down), placed on the roads near their station; and a day of
//! 110 calls so far today and all of yesterday, shaped by the hour (quiet before dawn, busy in
//! the morning and evening) and by each district's population, with the call-taker's answer,
//! dispatch, the drive and the clearance timed as such calls are — most on scene within the
//! target, some late, the last hour's still open at every stage — and a few duplicate calls
//! linked to the first report.

use anyhow::Result;
use ningan_core::incident::{Category, Priority, Stage, Step};
use ningan_store::Scope;
use rand::Rng;

use super::store::incidents::{self, Move, NewIncident};
use super::store::units::{self, NewUnit};
use crate::demo::DemoContext;

pub const DEMO: crate::demo::DemoPart = crate::demo::DemoPart { name: "integrated command", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

/// Relative call volume by hour of the day (Ningbo time).
const BY_HOUR: [u32; 24] = [4, 3, 2, 2, 2, 3, 5, 7, 9, 10, 10, 9, 8, 8, 8, 9, 9, 10, 11, 12, 12, 10, 8, 6];

/// Relative frequency of each category, roughly as 110 centres see them.
pub(super) fn category(rng: &mut impl Rng) -> Category {
    let weighted: [(Category, u32); 19] = [
        (Category::Theft, 8),
        (Category::Robbery, 1),
        (Category::Assault, 2),
        (Category::Fraud, 5),
        (Category::Fight, 5),
        (Category::Noise, 6),
        (Category::Gambling, 1),
        (Category::Collision, 14),
        (Category::Congestion, 4),
        (Category::DrunkDriving, 1),
        (Category::Fire, 1),
        (Category::Rescue, 2),
        (Category::Drowning, 1),
        (Category::Family, 6),
        (Category::Neighbour, 6),
        (Category::Labour, 3),
        (Category::LostPerson, 3),
        (Category::LostProperty, 6),
        (Category::Medical, 4),
    ];
    let total: u32 = weighted.iter().map(|w| w.1).sum();
    let mut pick = rng.gen_range(0..total);
    for (c, w) in weighted {
        if pick < w {
            return c;
        }
        pick -= w;
    }
    Category::Collision
}

/// The priority a call-taker gives a call of this kind.
pub(super) fn priority_of(c: Category) -> Priority {
    match c {
        Category::Fire | Category::Drowning | Category::Robbery | Category::Assault | Category::Rescue => {
            Priority::Urgent
        }
        Category::Noise | Category::LostProperty | Category::Congestion => Priority::Routine,
        _ => Priority::High,
    }
}

pub(super) fn narrative(c: Category) -> &'static str {
    match c {
        Category::Theft => "报警人称电动车在小区楼下被盗",
        Category::Robbery => "报警人称在路边被抢走手机",
        Category::Assault => "报警人称被人殴打，面部受伤",
        Category::Fraud => "报警人称接到冒充客服电话后转账",
        Category::Fight => "饭店门口多人争吵推搡",
        Category::Noise => "楼上深夜装修噪声扰民",
        Category::Gambling => "棋牌室内疑似聚众赌博",
        Category::Collision => "两车刮擦，双方争执，车辆占道",
        Category::Congestion => "路口车辆拥堵，信号灯故障",
        Category::DrunkDriving => "报警人称有司机疑似酒后驾车",
        Category::Fire => "居民楼阳台冒烟",
        Category::Rescue => "有人被困电梯",
        Category::Drowning => "河边有人落水",
        Category::Family => "夫妻争吵，一方要求民警到场",
        Category::Neighbour => "邻居因停车位发生纠纷",
        Category::Labour => "工人讨要工资聚集在工地门口",
        Category::LostPerson => "老人外出未归，家属报警",
        Category::LostProperty => "乘客在出租车上遗失背包",
        Category::Medical => "路人晕倒，需要帮助",
    }
}

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let db = ctx.db;
    let mut rng = ctx.rng("command");
    let now = ningan_core::time::now_ms();
    let nodes = &crate::geo::roads().nodes;
    anyhow::ensure!(!nodes.is_empty(), "units and calls need the demo streets");
    let everything = Scope::everything();
    let near = |rng: &mut rand_chacha::ChaCha8Rng, at: [f64; 2], spread: f64| -> Option<[f64; 2]> {
        let p = [at[0] + rng.gen_range(-spread..spread), at[1] + rng.gen_range(-spread..spread)];
        crate::geo::district_at(p[0], p[1]).map(|_| p)
    };

    // Units: cars and a foot patrol per station, on the road near it.
    let mut w = db.write().await?;
    let mut made_units = 0;
    for station in ctx.stations.iter().filter(|s| s.location.is_some()) {
        let Some(home) = station.location else { continue };
        let cars = rng.gen_range(2..=4);
        let short = station.name.trim_end_matches("派出所");
        for n in 0..=cars {
            let (kind, crew) = if n == cars { ("foot", 2) } else { ("car", rng.gen_range(2..=3)) };
            let callsign = format!("{short}{:02}", n + 1);
            let new = NewUnit { callsign: &callsign, kind, crew, unit_id: station.id, unit_path: &station.path };
            let id = units::insert(&mut w, &ctx.actor, &new, now).await?;
            // Somewhere on the roads near the station (a coastal station's random spot may
            // be at sea: tried again, then the station's own door).
            let spot = (0..10).find_map(|_| near(&mut rng, home, 0.01)).unwrap_or(home);
            let router = crate::geo::router();
            let [lon, lat] = router.and_then(|r| r.point(r.snap(spot)?.node)).unwrap_or(spot);
            units::set_position(&mut w, id, lon, lat, now - rng.gen_range(0..60_000)).await?;
            if rng.gen_range(0..10) == 0 {
                use ningan_core::incident::UnitStatus;
                units::set_status(&mut w, &ctx.actor, id, UnitStatus::Available, UnitStatus::OutOfService, None, now)
                    .await?;
            }
            made_units += 1;
        }
    }
    w.commit().await?;

    // Calls: yesterday's and today's so far.
    let per_day = (ctx.spec.people * 3 / 1000).clamp(60, 3_000) as u32;
    let today = crate::modules::command::panel::day_start(now);
    let weight: u32 = BY_HOUR.iter().sum();
    let stations: Vec<&ningan_store::OrgUnit> = ctx.stations.iter().filter(|s| s.location.is_some()).collect();
    anyhow::ensure!(!stations.is_empty(), "calls need stations with a seat");
    let mut w = db.write().await?;
    let mut made = 0;
    for day_start in [today - 86_400_000, today] {
        let mut before = 0;
        for (hour, share) in BY_HOUR.iter().enumerate() {
            // Shares rounded on the running total, so a day holds exactly `per_day` calls
            // (rounding each hour down lost a sixth of a small city's).
            let upto = (per_day * (before + share) + weight / 2) / weight;
            let calls = upto - (per_day * before + weight / 2) / weight;
            before += share;
            for _ in 0..calls {
                let received = day_start + hour as i64 * 3_600_000 + rng.gen_range(0..3_600_000);
                if received > now {
                    continue;
                }
                let station = stations[rng.gen_range(0..stations.len())];
                let Some(home) = station.location else { continue };
                // A coastal station's random spot may be at sea: tried again a few times.
                let Some(place) = (0..8).find_map(|_| near(&mut rng, home, 0.03)) else { continue };
                let Some(owner) = crate::geo::owning_station(ctx.stations, place[0], place[1]) else { continue };
                let Some(district) = crate::geo::district_at(place[0], place[1]) else { continue };
                let c = category(&mut rng);
                let priority = priority_of(c);
                let new = NewIncident {
                    category: c.as_str().into(),
                    priority: priority.as_str().into(),
                    caller_phone: format!("13{:09}", rng.gen_range(0..1_000_000_000u64)),
                    address: format!("{}辖区 {:.4},{:.4}", owner.name, place[0], place[1]),
                    lon: place[0],
                    lat: place[1],
                    district: i64::from(district),
                    urban: crate::geo::urban(place[0], place[1]),
                    narrative: narrative(c).into(),
                    unit_id: owner.id,
                    unit_path: owner.path.clone(),
                    received_at: received,
                };
                let (id, _) = incidents::insert(&mut w, &ctx.actor, &new, received).await?;
                // Each stage after the one before, as long as it is already past.
                let answered = received + rng.gen_range(3_000..40_000);
                let dispatched = answered + rng.gen_range(20_000..150_000);
                let en_route = dispatched + rng.gen_range(10_000..60_000);
                let target = ningan_core::incident::arrival_target_s(new.urban) * 1000;
                // Four in five arrive within the target.
                let on_scene = if rng.gen_range(0..5) < 4 {
                    received + rng.gen_range(target / 3..target)
                } else {
                    received + rng.gen_range(target..target * 3)
                }
                .max(en_route + 30_000);
                let cleared = on_scene + rng.gen_range(600_000..3_600_000);
                let plan = [
                    (Step::Answer, Stage::Received, Stage::Answered, answered, ""),
                    (Step::Dispatch, Stage::Answered, Stage::Dispatched, dispatched, "巡逻组"),
                    (Step::Depart, Stage::Dispatched, Stage::EnRoute, en_route, ""),
                    (Step::Arrive, Stage::EnRoute, Stage::OnScene, on_scene, ""),
                    (Step::Clear, Stage::OnScene, Stage::Cleared, cleared, "已处置"),
                ];
                for (step, from, to, at, note) in plan {
                    if at > now {
                        break;
                    }
                    incidents::step(&mut w, &ctx.actor, &everything, id, Move { step, from, to, note, at }).await?;
                }
                made += 1;
                // One call in thirty has a second caller a minute later: answered, linked to
                // the first report and cancelled as a duplicate.
                let again = received + 60_000;
                if rng.gen_range(0..30) == 0 && again + 30_000 <= now {
                    let dup = NewIncident {
                        caller_phone: format!("13{:09}", rng.gen_range(0..1_000_000_000u64)),
                        received_at: again,
                        ..new
                    };
                    let (second, _) = incidents::insert(&mut w, &ctx.actor, &dup, again).await?;
                    let steps = [
                        (Step::Answer, Stage::Received, Stage::Answered, again + 10_000, ""),
                        (Step::Cancel, Stage::Answered, Stage::Cancelled, again + 30_000, "重复报警"),
                    ];
                    for (step, from, to, at, note) in steps {
                        incidents::step(&mut w, &ctx.actor, &everything, second, Move { step, from, to, note, at })
                            .await?;
                    }
                    incidents::link(&mut w, &ctx.actor, id, second, "同一事件多人报警", again).await?;
                    made += 1;
                }
            }
        }
    }
    w.commit().await?;
    tracing::info!(units = made_units, calls = made, "demo: integrated command");
    Ok(())
}
