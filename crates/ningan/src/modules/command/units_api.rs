//! Integrated command's API for units: registering them, binding a device's token, the
//! device's position reports, manual status changes, proposals and dispatch.

use crate::http::json::Query;
use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::store::units::{self, Unit};
use super::units::{self as service, PositionInput, Proposal, UnitInput};
use crate::app::AppState;
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UnitDto {
    pub id: i64,
    pub callsign: String,
    pub kind: String,
    pub crew: i64,
    pub station_id: i64,
    pub station: String,
    pub status: String,
    pub status_name: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub position_at: Option<String>,
    pub incident_id: Option<i64>,
    /// Whether a device token is bound (the token itself is never shown).
    pub device_bound: bool,
}

impl UnitDto {
    pub fn new(u: Unit, en: bool) -> UnitDto {
        UnitDto {
            status_name: ningan_core::incident::UnitStatus::parse(&u.status)
                .map_or_else(|| u.status.clone(), |s| s.label(en).to_string()),
            station: if en { u.unit_name_en } else { u.unit_name },
            position_at: u.position_at.map(ningan_core::time::rfc3339_ms),
            device_bound: u.device_token_id.is_some(),
            id: u.id,
            callsign: u.callsign,
            kind: u.kind,
            crew: u.crew,
            station_id: u.unit_id,
            status: u.status,
            lon: u.lon,
            lat: u.lat,
            incident_id: u.incident_id,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UnitCreated {
    pub id: i64,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<UnitInput>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<UnitCreated>)> {
    let id = service::create(&state, &ctx, &input).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(UnitCreated { id })))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct UnitQuery {
    #[serde(default)]
    #[schemars(schema_with = "unit_statuses")]
    pub status: Option<String>,
}

fn unit_statuses(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(ningan_core::incident::UnitStatus::ALL.iter().map(|s| s.as_str()))
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<UnitQuery>,
) -> ApiResult<axum::Json<Vec<UnitDto>>> {
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = status
        && ningan_core::incident::UnitStatus::parse(s).is_none()
    {
        let codes: Vec<&str> = ningan_core::incident::UnitStatus::ALL.iter().map(|s| s.as_str()).collect();
        let rule = crate::http::rule::Rule::one_of("警力状态之一", &codes);
        return Err(super::error::CommandError::Field("status", rule).into());
    }
    let en = ctx.language() == "en";
    let all = units::all(&state.db, &ctx.scope(), status).await?;
    Ok(axum::Json(all.into_iter().map(|u| UnitDto::new(u, en)).collect()))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeviceInput {
    /// An API token of the unit's station scoped to `command.position`; null unbinds.
    pub token_id: Option<i64>,
}

pub async fn bind_device(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<DeviceInput>,
) -> ApiResult<axum::http::StatusCode> {
    service::bind_device(&state, &ctx, id, input.token_id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UnitStatusDto {
    pub status: String,
}

pub async fn position(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<PositionInput>,
) -> ApiResult<axum::Json<UnitStatusDto>> {
    let status = service::report_position(&state, &ctx, id, &input).await?;
    Ok(axum::Json(UnitStatusDto { status: status.as_str().into() }))
}

fn unit_steps(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(super::units::MANUAL_STEPS.iter().map(|s| s.as_str()))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UnitStepInput {
    /// stand_down | resume | release
    #[schemars(schema_with = "unit_steps")]
    pub step: String,
}

pub async fn status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<UnitStepInput>,
) -> ApiResult<axum::Json<UnitStatusDto>> {
    let status = service::change_status(&state, &ctx, id, &input.step).await?;
    Ok(axum::Json(UnitStatusDto { status: status.as_str().into() }))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ProposalQuery {
    /// How many units to propose: 1 to 20, 5 when left out.
    #[schemars(extend("type" = "integer", "minimum" = 1, "maximum" = 20))]
    pub k: Option<String>,
}

pub async fn proposal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ProposalQuery>,
) -> ApiResult<axum::Json<Vec<Proposal>>> {
    let k = match q.k.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => 5,
        Some(k) => k
            .parse::<usize>()
            .ok()
            .filter(|k| (1..=20).contains(k))
            .ok_or_else(|| super::error::CommandError::Field("k", crate::http::rule::Rule::Range(1, 20)))?,
    };
    Ok(axum::Json(service::propose(&state, &ctx, id, k).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DispatchInput {
    /// The units sent, 1–5, each available.
    #[schemars(length(min = 1, max = 5))]
    pub unit_ids: Vec<i64>,
}

pub async fn dispatch(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<DispatchInput>,
) -> ApiResult<axum::Json<super::api::StepDone>> {
    let stage = service::dispatch(&state, &ctx, id, &input.unit_ids).await?;
    Ok(axum::Json(super::api::StepDone { stage: stage.as_str().into() }))
}
