//! Units and dispatch: registering a unit, binding its device token, positions reported by
//! the device (which move the unit and its incident on by themselves: under way when it
//! moves off, on scene when it comes within reach), proposals of the nearest available units
//! by travel time over the roads, and dispatch as the operator confirms it.

use ningan_core::incident::{Stage, Step, UnitStatus, UnitStep};
use ningan_route::{Candidate, Reach};
use ningan_store::{Scope, UnitKind};

use super::error::CommandError;
use super::store::incidents::{self, Move};
use super::store::units::{self, NewUnit, Unit};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::principal::{Ctx, Who};
use crate::http::rule::Rule;

/// Within this distance of the incident a unit is on scene.
pub const ARRIVE_M: f64 = 100.0;

pub const KINDS: &[(&str, &str, &str)] =
    &[("car", "巡逻车", "Patrol car"), ("motorcycle", "摩托车", "Motorcycle"), ("foot", "步巡", "Foot patrol")];

fn kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(KINDS.iter().map(|k| k.0))
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct UnitInput {
    /// A unique call sign, e.g. "海曙01".
    #[schemars(length(min = 1, max = 20), regex(pattern = r"\S"))]
    pub callsign: String,
    /// car | motorcycle | foot
    #[schemars(schema_with = "kinds")]
    pub kind: String,
    /// Officers aboard, 1–6.
    #[schemars(range(min = 1, max = 6))]
    pub crew: i64,
    /// The station the unit belongs to.
    pub unit_id: i64,
}

pub async fn create(state: &AppState, ctx: &Ctx, input: &UnitInput) -> ApiResult<i64> {
    let callsign = input.callsign.trim();
    if callsign.is_empty() || callsign.chars().count() > 20 {
        return Err(CommandError::Field("callsign", Rule::RequiredUpTo(20)).into());
    }
    if !KINDS.iter().any(|k| k.0 == input.kind) {
        let zh = "car（巡逻车）、motorcycle（摩托车）或 foot（步巡）";
        return Err(CommandError::Field("kind", Rule::one_of(zh, &["car", "motorcycle", "foot"])).into());
    }
    if !(1..=6).contains(&input.crew) {
        return Err(CommandError::Field("crew", Rule::Range(1, 6)).into());
    }
    let station = state
        .db
        .unit_get(&ctx.scope(), input.unit_id)
        .await
        .ok()
        .filter(|u| u.kind == UnitKind::Station)
        .ok_or(CommandError::Field("unit_id", Rule::NotInScope))?;
    let mut w = state.db.write().await?;
    let new = NewUnit { callsign, kind: &input.kind, crew: input.crew, unit_id: station.id, unit_path: &station.path };
    let id = units::insert(&mut w, &ctx.actor(), &new, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    publish_units(state, &[id]).await;
    Ok(id)
}

/// Binds the API token a unit's device signs in with (or unbinds it with `None`). The token
/// must carry the position scope and belong to the unit's station.
pub async fn bind_device(state: &AppState, ctx: &Ctx, id: i64, token_id: Option<i64>) -> ApiResult<()> {
    let unit = units::get(&state.db, &ctx.scope(), id).await?;
    if let Some(t) = token_id {
        let tokens = state.db.tokens_in_scope(&ctx.scope()).await?;
        let token = tokens.iter().find(|k| k.id == t).ok_or(CommandError::Field("token_id", Rule::NotInScope))?;
        if !token.scopes.contains(&ningan_core::Action::UnitPosition) || token.unit_id != unit.unit_id {
            let rule = Rule::other(
                "令牌须为本单位、带“上报警力位置”权限",
                "the token must be the station's, scoped to command.position",
            );
            return Err(CommandError::Field("token_id", rule).into());
        }
    }
    let mut w = state.db.write().await?;
    units::bind_device(&mut w, &ctx.actor(), id, token_id, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct PositionInput {
    pub lon: f64,
    pub lat: f64,
    /// When the device took the fix (RFC 3339); now when left out. Older fixes than the
    /// last one kept are ignored.
    #[serde(default)]
    pub at: Option<String>,
}

/// A device reports where its unit is. Refused unless the calling token is the one bound to
/// this unit.
pub async fn report_position(state: &AppState, ctx: &Ctx, id: i64, input: &PositionInput) -> ApiResult<UnitStatus> {
    let bound = match &ctx.who {
        Who::Device { token } => Some(token.id),
        Who::Officer { .. } => None,
    };
    let unit = units::get(&state.db, &ctx.scope(), id).await?;
    if bound.is_none() || unit.device_token_id != bound {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "该令牌未绑定此警力，不能上报其位置",
            "this token is not bound to the unit: it cannot report the unit's position",
        ));
    }
    if crate::geo::district_at(input.lon, input.lat).is_none() {
        return Err(CommandError::Field("lon", Rule::OutsideCity).into());
    }
    let now = ningan_core::time::now_ms();
    let at = super::error::time_or("at", input.at.as_deref(), now)?;
    if at > now + 60_000 {
        return Err(CommandError::Field("at", Rule::Future).into());
    }
    Ok(apply_position(state, &ctx.actor(), &unit, [input.lon, input.lat], at).await?)
}

/// Moves a unit to `at_point` as of `at`, and moves it and its incident on: under way when a
/// dispatched unit moves off, on scene when it comes within [`ARRIVE_M`]. The device's report
/// and the demo's patrols both come through here.
pub async fn apply_position(
    state: &AppState,
    actor: &ningan_store::Actor,
    unit: &Unit,
    at_point: [f64; 2],
    at: i64,
) -> ningan_store::Result<UnitStatus> {
    let id = unit.id;
    let input = PositionInput { lon: at_point[0], lat: at_point[1], at: None };
    let status = UnitStatus::parse(&unit.status).unwrap_or(UnitStatus::Available);
    let on_the_way = unit.incident_id.is_some() && matches!(status, UnitStatus::Dispatched | UnitStatus::EnRoute);
    if !on_the_way {
        // Nothing moves on with it: committed with the other reports of the moment.
        let command = super::command(state);
        let fixes = command.fixes.get_or_init(|| super::fixes::Fixes::start(state.db.clone()));
        fixes.put(id, at_point, at).await?;
        super::publish_unit(state, unit, status.as_str(), Some(at_point));
        return Ok(status);
    }
    let mut w = state.db.write().await?;
    units::set_position(&mut w, id, input.lon, input.lat, at).await?;
    let mut now_status = status;
    let mut moved_incident = None;
    if let (Some(incident_id), UnitStatus::Dispatched | UnitStatus::EnRoute) = (unit.incident_id, status) {
        let incident = incidents::get(&state.db, &Scope::everything(), incident_id).await?;
        let stage = Stage::parse(&incident.stage).unwrap_or(Stage::Received);
        let metres = metres([input.lon, input.lat], [incident.lon, incident.lat]);
        let (unit_step, incident_step) =
            if metres <= ARRIVE_M { (UnitStep::Reach, Step::Arrive) } else { (UnitStep::Move, Step::Depart) };
        if let Ok(next) = status.after(unit_step) {
            units::set_status(&mut w, actor, id, status, next, Some(incident_id), at).await?;
            now_status = next;
        }
        // The first unit on scene puts the incident on scene; the first to move off, under way.
        if let Ok(to) = stage.after(incident_step) {
            let note = unit.callsign.as_str();
            let m = Move { step: incident_step, from: stage, to, note, at };
            incidents::step(&mut w, actor, &Scope::everything(), incident_id, m).await?;
            moved_incident = Some((incident, to));
        }
    }
    w.commit().await?;
    super::publish_unit(state, unit, now_status.as_str(), Some([input.lon, input.lat]));
    if let Some((incident, to)) = moved_incident {
        super::publish_incident(state, &incident, to.as_str());
    }
    Ok(now_status)
}

/// Metres between two points, in the routing plane.
fn metres(a: [f64; 2], b: [f64; 2]) -> f64 {
    ningan_route::Plane::around((a[1] + b[1]) / 2.0).metres(a, b)
}

/// A unit proposed for an incident, with its travel time by road.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Proposal {
    pub unit_id: i64,
    pub callsign: String,
    pub station: String,
    /// Seconds by road from its last position.
    pub eta_s: f64,
    pub lon: f64,
    pub lat: f64,
}

/// The `k` available units in the caller's scope that reach the incident first by road.
pub async fn propose(state: &AppState, ctx: &Ctx, incident_id: i64, k: usize) -> ApiResult<Vec<Proposal>> {
    let incident = incidents::get(&state.db, &ctx.scope(), incident_id).await?;
    // Closed roads (a flood, a typhoon) are driven round.
    let Some(router) = crate::modules::emergency::routing(state) else { return Ok(Vec::new()) };
    let Some(target) = router.snap([incident.lon, incident.lat]) else { return Ok(Vec::new()) };
    let available = units::all(&state.db, &ctx.scope(), Some(UnitStatus::Available.as_str())).await?;
    let candidates: Vec<Candidate> =
        available.iter().filter_map(|u| Some(Candidate { id: u.id, at: router.snap([u.lon?, u.lat?])? })).collect();
    let best: Vec<Reach> = router.nearest(target, &candidates, k.clamp(1, 20));
    let en = ctx.language() == "en";
    Ok(best
        .into_iter()
        .filter_map(|r| {
            let u: &Unit = available.iter().find(|u| u.id == r.id)?;
            Some(Proposal {
                unit_id: u.id,
                callsign: u.callsign.clone(),
                station: if en { u.unit_name_en.clone() } else { u.unit_name.clone() },
                eta_s: r.ms as f64 / 1000.0,
                lon: u.lon?,
                lat: u.lat?,
            })
        })
        .collect())
}

/// Sends the chosen units: each goes from available to dispatched on this incident, and the
/// incident from answered to dispatched, in one transaction.
pub async fn dispatch(state: &AppState, ctx: &Ctx, incident_id: i64, unit_ids: &[i64]) -> ApiResult<Stage> {
    dispatch_as(state, &ctx.actor(), &ctx.scope(), incident_id, unit_ids).await
}

/// [`dispatch`] by `actor` within `scope` (the demo's own calls are dispatched by it).
pub async fn dispatch_as(
    state: &AppState,
    actor: &ningan_store::Actor,
    scope: &Scope,
    incident_id: i64,
    unit_ids: &[i64],
) -> ApiResult<Stage> {
    let mut ids = unit_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > 5 {
        return Err(CommandError::Field("unit_ids", Rule::other("请选择1–5个警力", "choose 1 to 5 units")).into());
    }
    let incident = incidents::get(&state.db, scope, incident_id).await?;
    let stage = Stage::parse(&incident.stage).unwrap_or(Stage::Received);
    let to = stage.after(Step::Dispatch).map_err(CommandError::Step)?;
    let mut chosen = Vec::new();
    for id in &ids {
        let u =
            units::get(&state.db, scope, *id).await.map_err(|_| CommandError::Field("unit_ids", Rule::NotInScope))?;
        let status = UnitStatus::parse(&u.status).unwrap_or(UnitStatus::OutOfService);
        let next = status.after(UnitStep::Assign).map_err(|e| {
            let rule = Rule::context(format!("{}：{}", u.callsign, e.zh()), format!("{}: {e}", u.callsign));
            CommandError::Field("unit_ids", rule)
        })?;
        chosen.push((u, status, next));
    }
    let now = ningan_core::time::now_ms();
    let names: Vec<&str> = chosen.iter().map(|c| c.0.callsign.as_str()).collect();
    let note = names.join("、");
    let mut w = state.db.write().await?;
    for (u, from, next) in &chosen {
        units::set_status(&mut w, actor, u.id, *from, *next, Some(incident_id), now).await?;
    }
    incidents::step(
        &mut w,
        actor,
        scope,
        incident_id,
        Move { step: Step::Dispatch, from: stage, to, note: &note, at: now },
    )
    .await?;
    w.commit().await?;
    super::publish_incident(state, &incident, to.as_str());
    for (u, _, next) in &chosen {
        super::publish_unit_on(state, u, next.as_str(), None, Some(incident_id));
    }
    Ok(to)
}

/// Releases the units of an incident that was cleared or cancelled, in the caller's
/// transaction; returns those released.
pub async fn release_all(
    w: &mut ningan_store::Write,
    actor: &ningan_store::Actor,
    incident_id: i64,
    now: i64,
) -> ningan_store::Result<Vec<i64>> {
    let mut released = Vec::new();
    for (id, status) in units::on_incident(w, incident_id).await? {
        let from = UnitStatus::parse(&status).unwrap_or(UnitStatus::Dispatched);
        if let Ok(to) = from.after(UnitStep::Release) {
            units::set_status(w, actor, id, from, to, None, now).await?;
            released.push(id);
        }
    }
    Ok(released)
}

/// Puts the committed state of `ids` on the live board (a unit that cannot be read is left
/// for its next change to show).
pub async fn publish_units(state: &AppState, ids: &[i64]) {
    for id in ids {
        if let Ok(u) = units::get(&state.db, &Scope::everything(), *id).await {
            super::publish_unit(state, &u, &u.status, None);
        }
    }
}

/// The steps an operator takes by hand; the others happen by themselves.
pub const MANUAL_STEPS: [UnitStep; 3] = [UnitStep::StandDown, UnitStep::Resume, UnitStep::Release];

/// A manual change of a unit's status: standing down, back on duty, released by the
/// operator.
pub async fn change_status(state: &AppState, ctx: &Ctx, id: i64, step: &str) -> ApiResult<UnitStatus> {
    let step = UnitStep::parse(step).filter(|s| MANUAL_STEPS.contains(s)).ok_or_else(|| {
        let codes: Vec<&str> = MANUAL_STEPS.iter().map(|s| s.as_str()).collect();
        CommandError::Field("step", Rule::one_of("stand_down（下线）、resume（上线）或 release（归队）", &codes))
    })?;
    let unit = units::get(&state.db, &ctx.scope(), id).await?;
    let from = UnitStatus::parse(&unit.status).unwrap_or(UnitStatus::OutOfService);
    let to = from.after(step).map_err(|e| ApiError::new(ErrorCode::Conflict, e.zh(), e.to_string()))?;
    let incident = if to == UnitStatus::Available { None } else { unit.incident_id };
    let mut w = state.db.write().await?;
    units::set_status(&mut w, &ctx.actor(), id, from, to, incident, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    super::publish_unit_on(state, &unit, to.as_str(), None, incident);
    Ok(to)
}
