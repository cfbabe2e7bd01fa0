//! What a call-taker and a dispatcher do with an incident, shared by the API and (later) the
//! pages: take a call (every field checked, the owning station found from the place), move it
//! through its stages, link it to others.

use ningan_core::incident::{Category, Priority, Stage, Step};
use ningan_store::{OrgUnit, UnitKind};

use super::error::CommandError;
use super::store::incidents::{self, Move, NewIncident};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

/// A call as the call-taker enters it.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct IncidentInput {
    /// A category code, e.g. `traffic.collision` (see `GET /api/command/categories`).
    #[schemars(schema_with = "categories")]
    pub category: String,
    /// urgent | high | routine
    #[schemars(schema_with = "priorities")]
    pub priority: String,
    /// The caller's mobile number.
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub caller_phone: String,
    #[schemars(schema_with = "crate::http::schema::line_2_200")]
    pub address: String,
    #[schemars(extend("examples" = [crate::http::schema::LON_EXAMPLE]))]
    pub lon: f64,
    #[schemars(extend("examples" = [crate::http::schema::LAT_EXAMPLE]))]
    pub lat: f64,
    /// What the caller says happened.
    #[schemars(schema_with = "crate::http::schema::note_2_2000")]
    pub narrative: String,
    /// When the call came in (RFC 3339); now when left out.
    #[serde(default)]
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub received_at: Option<String>,
}

pub(super) fn categories(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Category::ALL.iter().map(|c| c.as_str()))
}

pub(super) fn priorities(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Priority::ALL.iter().map(|c| c.as_str()))
}

fn steps(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Step::ALL.iter().map(|c| c.as_str()))
}

/// How far back a call may be entered late (a radio report typed up after the event).
const LATE_MS: i64 = 24 * 3_600_000;

/// Checks a call and finds its station among the caller's units.
pub fn validate(input: &IncidentInput, units: &[OrgUnit], now: i64) -> Result<NewIncident, ApiError> {
    let category = Category::parse(&input.category).ok_or_else(|| {
        let codes: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        CommandError::Field("category", Rule::one_of("警情类别之一（见类别树）", &codes))
    })?;
    let priority = Priority::parse(&input.priority).ok_or(CommandError::Field(
        "priority",
        Rule::one_of("urgent（紧急）、high（较急）或 routine（一般）", &["urgent", "high", "routine"]),
    ))?;
    let phone = ningan_core::Phone::parse(&input.caller_phone).map_err(|e| ApiError::field_from("caller_phone", e))?;
    let address = ningan_core::text::address(&input.address)
        .map_err(|e| crate::modules::residents::text_error("address", "地址", "address", e))?;
    let narrative = ningan_core::text::note(&input.narrative, 2000)
        .map_err(|e| crate::modules::residents::text_error("narrative", "警情描述", "narrative", e))?;
    if narrative.as_str().chars().count() < 2 {
        return Err(CommandError::Field("narrative", Rule::Length(2, 2000)).into());
    }
    let district =
        crate::geo::district_at(input.lon, input.lat).ok_or(CommandError::Field("lon", Rule::OutsideCity))?;
    let station = crate::geo::owning_station(units, input.lon, input.lat)
        .filter(|u| u.kind == UnitKind::Station)
        .ok_or(CommandError::Field(
            "lon",
            Rule::context("该位置不在本单位辖区内", "the place is outside your units' area"),
        ))?;
    let received_at = super::error::time_or("received_at", input.received_at.as_deref(), now)?;
    if received_at > now + 60_000 {
        return Err(CommandError::Field("received_at", Rule::Future).into());
    }
    if received_at < now - LATE_MS {
        let rule = Rule::context("只能补录24小时内的警情", "only calls of the last 24 hours are entered late");
        return Err(CommandError::Field("received_at", rule).into());
    }
    Ok(NewIncident {
        category: category.as_str().into(),
        priority: priority.as_str().into(),
        caller_phone: phone.as_str().into(),
        address: address.into_string(),
        lon: input.lon,
        lat: input.lat,
        district: i64::from(district),
        urban: crate::geo::urban(input.lon, input.lat),
        narrative: narrative.into_string(),
        unit_id: station.id,
        unit_path: station.path.clone(),
        received_at,
    })
}

/// Takes a call: stored as received, numbered and audited.
pub async fn create(state: &AppState, ctx: &Ctx, input: &IncidentInput) -> ApiResult<(i64, String)> {
    let now = ningan_core::time::now_ms();
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let new = validate(input, &units, now)?;
    let mut w = state.db.write().await?;
    let created = incidents::insert(&mut w, &ctx.actor(), &new, now).await?;
    w.commit().await?;
    if let Ok(i) = incidents::get(&state.db, &ctx.scope(), created.0).await {
        super::publish_incident(state, &i, &i.stage);
    }
    Ok(created)
}

/// A step on an incident with the operator's note.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct StepInput {
    /// answer | dispatch | depart | arrive | clear | cancel
    #[schemars(schema_with = "steps")]
    pub step: String,
    /// Required to dispatch (who was sent, e.g. "巡逻一组") and to cancel (why).
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::note_0_500")]
    pub note: String,
}

pub async fn step(state: &AppState, ctx: &Ctx, id: i64, input: &StepInput) -> ApiResult<Stage> {
    let step = Step::parse(&input.step).ok_or_else(|| {
        let codes: Vec<&str> = Step::ALL.iter().map(|s| s.as_str()).collect();
        CommandError::Field("step", Rule::one_of("受理、派警、出发、到场、处结或撤销", &codes))
    })?;
    let note = ningan_core::text::note(&input.note, 500)
        .map_err(|e| crate::modules::residents::text_error("note", "备注", "note", e))?;
    if matches!(step, Step::Dispatch | Step::Cancel) && note.as_str().chars().count() < 2 {
        let rule = match step {
            Step::Dispatch => Rule::context("派警须注明派出的警力（如“巡逻一组”）", "to dispatch, name the units sent"),
            _ => Rule::context("撤销须说明理由（2–500字）", "to cancel, state a reason of 2–500 characters"),
        };
        return Err(CommandError::Field("note", rule).into());
    }
    step_as(state, &ctx.actor(), &ctx.scope(), id, step, note.as_str()).await
}

/// [`step`] by `actor` within `scope`, its note already checked (the demo's own calls are
/// answered and cleared by it).
pub async fn step_as(
    state: &AppState,
    actor: &ningan_store::Actor,
    scope: &ningan_store::Scope,
    id: i64,
    step: Step,
    note: &str,
) -> ApiResult<Stage> {
    let incident = incidents::get(&state.db, scope, id).await?;
    let from = Stage::parse(&incident.stage).unwrap_or(Stage::Received);
    let to = from.after(step).map_err(CommandError::Step)?;
    let mut w = state.db.write().await?;
    let at = ningan_core::time::now_ms();
    incidents::step(&mut w, actor, scope, id, Move { step, from, to, note, at }).await?;
    let released = if to.open() {
        Vec::new()
    } else {
        // Cleared or cancelled: its units are free for the next call.
        super::units::release_all(&mut w, actor, id, at).await?
    };
    w.commit().await?;
    super::publish_incident(state, &incident, to.as_str());
    super::units::publish_units(state, &released).await;
    Ok(to)
}

/// Links two incidents both in the caller's scope.
pub async fn link(state: &AppState, ctx: &Ctx, id: i64, other: i64, note: &str) -> ApiResult<()> {
    if id == other {
        return Err(CommandError::SelfLink.into());
    }
    let note = ningan_core::text::note(note, 200)
        .map_err(|e| crate::modules::residents::text_error("note", "备注", "note", e))?;
    incidents::get(&state.db, &ctx.scope(), id).await?;
    incidents::get(&state.db, &ctx.scope(), other)
        .await
        .map_err(|_| CommandError::Field("other_id", Rule::NotInScope))?;
    let mut w = state.db.write().await?;
    incidents::link(&mut w, &ctx.actor(), id, other, note.as_str(), ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(())
}
