//! The demo's units on the move (`[modules.command] patrols`): units without a device of
//! their own patrol the streets around their station while available and drive the road
//! route to their incident when dispatched, each position going through the same
//! [`apply_position`] a device's report does, so arriving puts unit and incident on scene by
//! itself. With `demo_calls_per_hour`, the simulation also takes calls of its own, sends the
//! nearest unit and clears the call after a while on scene; calls people take are left for
//! people to clear.

use std::collections::HashMap;
use std::time::Duration;

use ningan_core::incident::{Stage, Step, UnitStatus};
use ningan_store::{Actor, Scope, UnitKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::config::CommandConfig;
use super::store::incidents::{self, NewIncident};
use super::store::units::{self, Unit};
use super::units::apply_position;
use crate::app::AppState;
use crate::http::error::cause_chain;

/// A patrol car cruises at this share of the road's speed.
const CRUISE: f64 = 0.5;
/// Walking pace (m/s) for foot patrols.
const WALK_MPS: f64 = 1.4;
/// An available unit's position is written every this many ticks (staggered by unit), a
/// dispatched one's every tick.
const PATROL_EVERY: u64 = 5;
/// How far from home a patrol wanders (degrees, about 1.5 km).
const BEAT_DEG: f64 = 0.015;
/// A simulated call stays on scene this long (simulated seconds) before it is cleared.
const ON_SCENE_S: f64 = 600.0;

#[derive(Clone, Copy, PartialEq)]
enum Goal {
    Patrol,
    Incident(i64),
}

/// A way being driven: its points, the metres from the start to each, the pace, how far
/// along the unit is.
struct Leg {
    goal: Goal,
    points: Vec<[f64; 2]>,
    at_m: Vec<f64>,
    mps: f64,
    done_m: f64,
}

impl Leg {
    fn new(goal: Goal, points: Vec<[f64; 2]>, route_ms: u64, pace: f64, foot: bool) -> Leg {
        let plane = ningan_route::Plane::around(points.first().map_or(29.87, |p| p[1]));
        let mut at_m = Vec::with_capacity(points.len());
        let mut total = 0.0;
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                total += plane.metres(points[i - 1], *p);
            }
            at_m.push(total);
        }
        let road_mps = if route_ms > 0 { total / (route_ms as f64 / 1000.0) } else { 8.0 };
        let mps = if foot { WALK_MPS } else { (road_mps * pace).max(2.0) };
        Leg { goal, points, at_m, mps, done_m: 0.0 }
    }

    fn length(&self) -> f64 {
        self.at_m.last().copied().unwrap_or(0.0)
    }

    fn finished(&self) -> bool {
        self.done_m >= self.length()
    }

    /// Where the unit is after `seconds` more.
    fn advance(&mut self, seconds: f64) -> [f64; 2] {
        self.done_m = (self.done_m + self.mps * seconds).min(self.length());
        let i = self.at_m.partition_point(|m| *m <= self.done_m);
        if i == 0 {
            return self.points[0];
        }
        if i >= self.points.len() {
            return self.points[self.points.len() - 1];
        }
        let (a, b) = (self.points[i - 1], self.points[i]);
        let span = self.at_m[i] - self.at_m[i - 1];
        let t = if span > 0.0 { (self.done_m - self.at_m[i - 1]) / span } else { 1.0 };
        [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
    }
}

/// A call the simulation took, and the simulated seconds it has spent at its stage.
struct OwnCall {
    stage: Stage,
    stage_s: f64,
}

struct Patrols {
    legs: HashMap<i64, Leg>,
    /// Where each unit was first seen: its beat is around it.
    home: HashMap<i64, [f64; 2]>,
    calls: HashMap<i64, OwnCall>,
    rng: ChaCha8Rng,
    tick: u64,
}

fn actor() -> Actor {
    Actor { name: "demo:patrol".into(), unit_id: None }
}

/// Starts the patrols if the configuration asks for them.
pub fn start(state: &AppState) {
    let config: CommandConfig = state.config.module();
    if !config.patrols {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let mut p = Patrols {
            legs: HashMap::new(),
            home: HashMap::new(),
            calls: HashMap::new(),
            rng: ChaCha8Rng::seed_from_u64(ningan_core::time::now_ms() as u64),
            tick: 0,
        };
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = p.step(&state, &config).await {
                tracing::warn!(error = %cause_chain(&e), "demo patrols: a tick failed");
            }
        }
    });
}

impl Patrols {
    async fn step(&mut self, state: &AppState, config: &CommandConfig) -> Result<(), crate::http::error::ApiError> {
        // Closed roads (a flood, a typhoon) are driven round.
        let Some(router) = crate::modules::emergency::routing(state) else { return Ok(()) };
        self.tick += 1;
        let dt = config.patrol_speedup;
        let now = ningan_core::time::now_ms();
        let everything = Scope::everything();
        let all = units::all(&state.db, &everything, None).await?;
        let mut patrol_fixes: Vec<(&Unit, [f64; 2])> = Vec::new();
        for u in all.iter().filter(|u| u.device_token_id.is_none()) {
            let (Some(lon), Some(lat)) = (u.lon, u.lat) else { continue };
            let here = [lon, lat];
            let home = *self.home.entry(u.id).or_insert(here);
            let goal = match (UnitStatus::parse(&u.status), u.incident_id) {
                (Some(UnitStatus::Available), _) => Goal::Patrol,
                (Some(UnitStatus::Dispatched | UnitStatus::EnRoute), Some(i)) => Goal::Incident(i),
                _ => {
                    self.legs.remove(&u.id);
                    continue;
                }
            };
            let stale = self.legs.get(&u.id).is_none_or(|l| l.goal != goal || (goal == Goal::Patrol && l.finished()));
            if stale {
                let foot = u.kind == "foot";
                let leg = match goal {
                    Goal::Patrol => {
                        let to = [
                            home[0] + self.rng.gen_range(-BEAT_DEG..BEAT_DEG),
                            home[1] + self.rng.gen_range(-BEAT_DEG..BEAT_DEG),
                        ];
                        let to = router.snap(to).and_then(|s| router.point(s.node)).unwrap_or(home);
                        router.route(here, to).map(|r| Leg::new(goal, r.points, r.ms, CRUISE, foot))
                    }
                    Goal::Incident(id) => {
                        let i = incidents::get(&state.db, &everything, id).await?;
                        router.route(here, [i.lon, i.lat]).map(|r| Leg::new(goal, r.points, r.ms, 1.0, foot))
                    }
                };
                match leg {
                    Some(l) => self.legs.insert(u.id, l),
                    None => self.legs.remove(&u.id),
                };
            }
            let Some(leg) = self.legs.get_mut(&u.id) else { continue };
            let to = leg.advance(dt);
            match goal {
                Goal::Incident(_) => {
                    apply_position(state, &actor(), u, to, now).await?;
                }
                Goal::Patrol if (self.tick + u.id as u64).is_multiple_of(PATROL_EVERY) => patrol_fixes.push((u, to)),
                Goal::Patrol => {}
            }
        }
        if !patrol_fixes.is_empty() {
            let mut w = state.db.write().await?;
            for (u, p) in &patrol_fixes {
                units::set_position(&mut w, u.id, p[0], p[1], now).await?;
            }
            w.commit().await?;
            for (u, p) in patrol_fixes {
                super::publish_unit(state, u, &u.status, Some(p));
            }
        }
        if config.demo_calls_per_hour > 0 {
            self.own_calls(state, config, &all).await?;
        }
        Ok(())
    }

    /// The simulation's own calls: a new one now and then, each answered, sent the nearest
    /// unit and, after a while on scene, cleared.
    async fn own_calls(
        &mut self,
        state: &AppState,
        config: &CommandConfig,
        all: &[Unit],
    ) -> Result<(), crate::http::error::ApiError> {
        let dt = config.patrol_speedup;
        let everything = Scope::everything();
        let chance = (f64::from(config.demo_calls_per_hour) * dt / 3600.0).min(1.0);
        if self.rng.gen_bool(chance)
            && let Some(id) = self.take_call(state, all).await?
        {
            self.calls.insert(id, OwnCall { stage: Stage::Received, stage_s: 0.0 });
        }
        let ids: Vec<i64> = self.calls.keys().copied().collect();
        for id in ids {
            let Ok(i) = incidents::get(&state.db, &everything, id).await else {
                self.calls.remove(&id);
                continue;
            };
            let stage = Stage::parse(&i.stage).unwrap_or(Stage::Received);
            let Some(call) = self.calls.get_mut(&id) else { continue };
            // Time is counted at each stage from when the call reached it.
            if call.stage != stage {
                *call = OwnCall { stage, stage_s: 0.0 };
            }
            call.stage_s += dt;
            match (stage, call.stage_s) {
                (Stage::Received, s) if s >= 15.0 => {
                    super::service::step_as(state, &actor(), &everything, id, Step::Answer, "").await?;
                }
                (Stage::Answered, s) if s >= 30.0 => self.send_nearest(state, &i).await?,
                (Stage::OnScene, s) if s >= ON_SCENE_S => {
                    super::service::step_as(state, &actor(), &everything, id, Step::Clear, "已处置").await?;
                }
                (Stage::Cleared | Stage::Cancelled, _) => {
                    self.calls.remove(&id);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A call somewhere near a random station, stored as received.
    async fn take_call(&mut self, state: &AppState, all: &[Unit]) -> Result<Option<i64>, crate::http::error::ApiError> {
        let Some(u) = all.get(self.rng.gen_range(0..all.len().max(1))) else { return Ok(None) };
        let Some(home) = self.home.get(&u.id).copied() else { return Ok(None) };
        let place = [home[0] + self.rng.gen_range(-0.02..0.02), home[1] + self.rng.gen_range(-0.02..0.02)];
        let Some(district) = crate::geo::district_at(place[0], place[1]) else { return Ok(None) };
        let stations: Vec<ningan_store::OrgUnit> = state
            .db
            .units_in_scope(&Scope::everything())
            .await?
            .into_iter()
            .filter(|s| s.kind == UnitKind::Station)
            .collect();
        let Some(owner) = crate::geo::owning_station(&stations, place[0], place[1]) else { return Ok(None) };
        let c = super::demo::category(&mut self.rng);
        let now = ningan_core::time::now_ms();
        let new = NewIncident {
            category: c.as_str().into(),
            priority: super::demo::priority_of(c).as_str().into(),
            caller_phone: format!("13{:09}", self.rng.gen_range(0..1_000_000_000u64)),
            address: format!("{}辖区 {:.4},{:.4}", owner.name, place[0], place[1]),
            lon: place[0],
            lat: place[1],
            district: i64::from(district),
            urban: crate::geo::urban(place[0], place[1]),
            narrative: super::demo::narrative(c).into(),
            unit_id: owner.id,
            unit_path: owner.path.clone(),
            received_at: now,
        };
        let mut w = state.db.write().await?;
        let (id, _) = incidents::insert(&mut w, &actor(), &new, now).await?;
        w.commit().await?;
        if let Ok(i) = incidents::get(&state.db, &Scope::everything(), id).await {
            super::publish_incident(state, &i, &i.stage);
        }
        Ok(Some(id))
    }

    /// Sends the unit that reaches the incident first by road, if any is free.
    async fn send_nearest(
        &mut self,
        state: &AppState,
        i: &incidents::Incident,
    ) -> Result<(), crate::http::error::ApiError> {
        let everything = Scope::everything();
        // Closed roads (a flood, a typhoon) are driven round.
        let Some(router) = crate::modules::emergency::routing(state) else { return Ok(()) };
        let Some(target) = router.snap([i.lon, i.lat]) else { return Ok(()) };
        let free = units::all(&state.db, &everything, Some(UnitStatus::Available.as_str())).await?;
        let candidates: Vec<ningan_route::Candidate> = free
            .iter()
            .filter_map(|u| Some(ningan_route::Candidate { id: u.id, at: router.snap([u.lon?, u.lat?])? }))
            .collect();
        if let Some(best) = router.nearest(target, &candidates, 1).first() {
            super::units::dispatch_as(state, &actor(), &everything, i.id, &[best.id]).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leg_is_driven_at_its_pace_and_stops_at_its_end() {
        // 1 km east in 100 s: 10 m/s.
        let d = 1000.0 / (111_320.0 * 29.87f64.to_radians().cos());
        let mut leg = Leg::new(Goal::Patrol, vec![[121.5, 29.87], [121.5 + d, 29.87]], 100_000, 1.0, false);
        assert!((leg.mps - 10.0).abs() < 0.1, "{}", leg.mps);
        let half = leg.advance(50.0);
        assert!((half[0] - (121.5 + d / 2.0)).abs() < 1e-4, "{half:?}");
        assert!(!leg.finished());
        let end = leg.advance(500.0);
        assert_eq!(end, [121.5 + d, 29.87]);
        assert!(leg.finished());
    }

    #[test]
    fn a_foot_patrol_walks_whatever_the_road() {
        let leg = Leg::new(Goal::Patrol, vec![[121.5, 29.87], [121.51, 29.87]], 10_000, 1.0, true);
        assert_eq!(leg.mps, WALK_MPS);
    }
}
