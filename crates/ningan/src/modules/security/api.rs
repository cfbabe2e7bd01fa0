//! Major-event security's API: plans, venues, posts, assignments, officers' check-ins, and
//! the event's board with its map.

use axum::extract::State;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::Serialize;

use super::service::{self, AssignInput, Board, CheckInInput, PlanInput, PostInput, VenueInput};
use super::store::plans::{self, Plan};
use crate::app::AppState;
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Created {
    pub id: i64,
}

pub async fn plans_list(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<Plan>>> {
    let me = ctx.user().map(|u| u.id).unwrap_or(0);
    Ok(axum::Json(plans::visible(&state.db, &ctx.scope(), me).await?))
}

pub async fn plan_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<PlanInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok((StatusCode::CREATED, axum::Json(Created { id: service::create_plan(&state, &ctx, &input).await? })))
}

pub async fn plan_get(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<axum::Json<Board>> {
    Ok(axum::Json(service::board(&state, &ctx, id).await?))
}

pub async fn venue_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<VenueInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok((StatusCode::CREATED, axum::Json(Created { id: service::add_venue(&state, &ctx, id, &input).await? })))
}

pub async fn post_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<PostInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok((StatusCode::CREATED, axum::Json(Created { id: service::add_post(&state, &ctx, id, &input).await? })))
}

pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<AssignInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok((StatusCode::CREATED, axum::Json(Created { id: service::assign(&state, &ctx, id, &input).await? })))
}

pub async fn unassign(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    service::unassign(&state, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckedIn {
    /// How far from the post the officer stood.
    pub metres: f64,
}

pub async fn check_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<CheckInInput>,
) -> ApiResult<axum::Json<CheckedIn>> {
    Ok(axum::Json(CheckedIn { metres: service::check_in(&state, &ctx, id, &input).await? }))
}

/// The board's map, in the shape `map.js` draws situations in: perimeters as areas, posts
/// as circles labelled checked-in/required, the incidents inside as rescues are.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MapDto {
    pub warnings: Vec<serde_json::Value>,
    pub shelters: Vec<serde_json::Value>,
    pub compounds: Vec<(f64, f64, i64, i64)>,
    pub closures: Vec<serde_json::Value>,
    pub rescues: Vec<serde_json::Value>,
    pub in_shelters: i64,
    pub outstanding: i64,
}

pub async fn map(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<axum::Json<MapDto>> {
    let b = service::board(&state, &ctx, id).await?;
    Ok(axum::Json(MapDto {
        warnings: b.venues.iter().map(|v| serde_json::json!({"level": "blue", "area_name": v.name, "ring": v.ring})).collect(),
        shelters: b
            .posts
            .iter()
            .map(|p| serde_json::json!({"id": p.id, "name": p.name, "lon": p.lon, "lat": p.lat, "capacity": p.required, "occupancy": p.checked_in}))
            .collect(),
        compounds: Vec::new(),
        closures: Vec::new(),
        rescues: b.incidents.iter().map(|i| serde_json::json!({"no": i.no, "lon": i.lon, "lat": i.lat, "stage": i.stage})).collect(),
        in_shelters: b.checked_in,
        outstanding: b.required - b.checked_in,
    }))
}
