//! Control zones (封控区 / 管控区 / 防范区): drawn on the map or uploaded as GeoJSON, with a
//! level, a start and a planned end; relevelled or lifted with a reason, every change kept.
//! The gates and compounds inside are listed, and gate decisions follow at once.

use axum::extract::State;
use axum::http::StatusCode;
use ningan_core::gate::ZoneLevel;
use ningan_core::lifting::{LiftFacts, PRESETS, blockers};
use ningan_store::{NewZone, PageRequest, Zone};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::gates::{GateDto, gate_dto};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::ListQuery;
use crate::modules::precise::error::{PreciseError, refuse};
use crate::modules::precise::tracing::venues::in_ningbo;

/// The levels of a control zone.
const ZONE_LEVELS: &[&str] = &["sealed", "controlled", "precaution"];

#[derive(Debug, Serialize, JsonSchema)]
pub struct ZoneDto {
    pub id: i64,
    pub name: String,
    /// sealed | controlled | precaution
    pub level: String,
    pub level_zh: String,
    /// GeoJSON geometry.
    pub geometry: serde_json::Value,
    pub unit_id: i64,
    pub starts_at: String,
    pub planned_end: Option<String>,
    pub lifted_at: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CompoundInside {
    pub id: i64,
    pub name: String,
    pub residents: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ChangeDto {
    pub at: String,
    pub actor: String,
    pub change: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ZoneDetailDto {
    #[serde(flatten)]
    pub zone: ZoneDto,
    pub gates: Vec<GateDto>,
    pub compounds: Vec<CompoundInside>,
    pub residents_inside: i64,
    pub history: Vec<ChangeDto>,
    /// The lifting rule under each preset (14, 7, 5 days).
    pub lifting: Vec<LiftingDto>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LiftingDto {
    pub days: i64,
    /// Whether the zone may be proposed for lifting under this preset.
    pub proposed: bool,
    /// recent_case | recent_contact | open_contacts | too_soon
    pub blockers: Vec<String>,
    pub blockers_zh: Vec<String>,
    /// Checks the officer still makes (screening results are not held by ningan).
    pub manual_checks_zh: Vec<String>,
}

fn level_zh(level: &str) -> &'static str {
    ZoneLevel::parse(level).map_or("未知", ZoneLevel::label_zh)
}

impl From<Zone> for ZoneDto {
    fn from(z: Zone) -> Self {
        ZoneDto {
            level_zh: level_zh(&z.level).into(),
            geometry: serde_json::from_str(&z.geometry).unwrap_or(serde_json::Value::Null),
            id: z.id,
            name: z.name,
            level: z.level,
            unit_id: z.unit_id,
            starts_at: ts(z.starts_at),
            planned_end: z.planned_end.map(ts),
            lifted_at: z.lifted_at.map(ts),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewZoneRequest {
    #[schemars(length(min = 1, max = 100), regex(pattern = r"\S"))]
    pub name: String,
    /// sealed | controlled | precaution
    #[schemars(extend("enum" = ZONE_LEVELS))]
    pub level: String,
    /// A GeoJSON Polygon or MultiPolygon (a Feature holding one is accepted too).
    #[schemars(schema_with = "crate::http::schema::geojson_area")]
    pub geometry: serde_json::Value,
    /// The unit responsible (a station or district branch).
    pub unit_id: i64,
    /// RFC 3339; now when absent.
    pub starts_at: Option<String>,
    pub planned_end: Option<String>,
}

fn parse_level(level: &str) -> Result<ZoneLevel, PreciseError> {
    let zh = "sealed（封控区）、controlled（管控区）或 precaution（防范区）";
    let rule = || Rule::one_of(zh, ZONE_LEVELS);
    ZoneLevel::parse(level).ok_or_else(|| PreciseError::Field("level", rule()))
}

/// The geometry itself, checked: a (Multi)Polygon of closed rings of at least four points,
/// inside Ningbo.
fn checked_geometry(v: &serde_json::Value) -> Result<serde_json::Value, PreciseError> {
    let g = if v["type"] == "Feature" { &v["geometry"] } else { v };
    let bad = || {
        let zh = "区域须为宁波市范围内的 GeoJSON 多边形（闭合、至少4个点）";
        PreciseError::Field(
            "geometry",
            Rule::other(zh, "a GeoJSON Polygon or MultiPolygon of closed rings inside Ningbo"),
        )
    };
    let shape = crate::geo::geometry(g).ok_or_else(bad)?;
    // Closure and the city's boundary are the shape's geometry, which no schema states.
    let outside = || {
        let zh = "区域须为宁波市范围内的闭合多边形";
        PreciseError::Field("geometry", Rule::context(zh, "closed rings inside Ningbo"))
    };
    let rings = || shape.polygons.iter().flat_map(|p| p.rings.iter());
    let shaped = !shape.polygons.is_empty() && shape.polygons.iter().all(|p| !p.rings.is_empty());
    if !shaped || rings().any(|r| r.len() < 4) {
        return Err(bad());
    }
    let closed_inside = rings().all(|r| r.first() == r.last() && r.iter().all(|q| in_ningbo(q[0], q[1])));
    if closed_inside { Ok(g.clone()) } else { Err(outside()) }
}

fn time_field(field: &'static str, v: Option<&str>) -> Result<Option<i64>, PreciseError> {
    v.map(str::trim).filter(|s| !s.is_empty()).map(|s| crate::modules::precise::time_ms(field, s)).transpose()
}

pub(super) async fn detail(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<ZoneDetailDto> {
    state.precise.registry.ensure_loaded(&state.db).await?;
    let zone = state.db.zone_get(&ctx.scope(), id).await?;
    let geometry: serde_json::Value = serde_json::from_str(&zone.geometry).unwrap_or_default();
    let shape = crate::geo::geometry(&geometry).unwrap_or_default();
    let gates = state
        .db
        .gate_directory()
        .await?
        .into_iter()
        .filter(|g| ctx.scope().contains(&g.unit_path) && shape.contains(g.location))
        .map(|g| gate_dto(state, g))
        .collect();
    let compounds: Vec<CompoundInside> = state
        .db
        .compounds_with_counts(&ctx.scope())
        .await?
        .into_iter()
        .filter(|(c, _)| shape.contains(c.location))
        .map(|(c, n)| CompoundInside { id: c.id, name: c.name, residents: n })
        .collect();
    let ids: Vec<i64> = compounds.iter().map(|c| c.id).collect();
    let (last_case_ms, last_contact_exposure_ms, open_contacts) = state.db.zone_facts(&ids).await?;
    let facts = LiftFacts { zone_start_ms: zone.starts_at, last_case_ms, last_contact_exposure_ms, open_contacts };
    let now = ningan_core::time::now_ms();
    let lifting = PRESETS
        .iter()
        .map(|days| {
            let b = blockers(&facts, *days, now);
            LiftingDto {
                days: *days,
                proposed: b.is_empty() && zone.lifted_at.is_none(),
                blockers: b.iter().map(|x| x.code().to_string()).collect(),
                blockers_zh: b.iter().map(|x| x.zh().to_string()).collect(),
                manual_checks_zh: vec!["区内人员近2天核酸检测均为阴性".into()],
            }
        })
        .collect();
    let history = state
        .db
        .zone_history(id)
        .await?
        .into_iter()
        .map(|h| ChangeDto { at: ts(h.at), actor: h.actor, change: h.change })
        .collect();
    Ok(ZoneDetailDto {
        residents_inside: compounds.iter().map(|c| c.residents).sum(),
        zone: zone.into(),
        gates,
        compounds,
        history,
        lifting,
    })
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<ZoneDto>>> {
    let include_lifted = q.status.as_deref() == Some("all");
    let page = state.db.zone_search(&ctx.scope(), include_lifted, PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, ZoneDto::from)))
}

pub(super) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<ZoneDetailDto>> {
    Ok(axum::Json(detail(&state, &ctx, id).await?))
}

pub(super) async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewZoneRequest>,
) -> ApiResult<(StatusCode, axum::Json<ZoneDetailDto>)> {
    let id = create_zone(&state, &ctx, req).await?;
    Ok((StatusCode::CREATED, axum::Json(detail(&state, &ctx, id).await?)))
}

/// Validates and stores a zone; gate decisions follow at once.
pub async fn create_zone(state: &AppState, ctx: &Ctx, req: NewZoneRequest) -> ApiResult<i64> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(refuse("name", Rule::RequiredUpTo(100)));
    }
    let level = parse_level(&req.level)?;
    let geometry = checked_geometry(&req.geometry)?;
    let starts_at = time_field("starts_at", req.starts_at.as_deref())?.unwrap_or_else(ningan_core::time::now_ms);
    let planned_end = time_field("planned_end", req.planned_end.as_deref())?;
    if planned_end.is_some_and(|e| e <= starts_at) {
        return Err(refuse(
            "planned_end",
            Rule::other("计划解除时间须晚于开始时间", "the planned end must be after the start"),
        ));
    }
    let unit = state.db.unit_get(&ctx.scope(), req.unit_id).await.map_err(|_| refuse("unit_id", Rule::NotInScope))?;
    let new = NewZone {
        name,
        level: level.as_str().into(),
        geometry: geometry.to_string(),
        unit_id: unit.id,
        unit_path: unit.path,
        starts_at,
        planned_end,
    };
    state.precise.registry.ensure_loaded(&state.db).await?;
    let mut w = state.db.write().await?;
    let id = w.zone_insert(&ctx.actor(), &ctx.scope(), &new).await?;
    w.commit().await?;
    state.precise.registry.refresh_zones(&state.db).await?;
    Ok(id)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LevelRequest {
    #[schemars(extend("enum" = ZONE_LEVELS))]
    pub level: String,
    #[schemars(length(min = 2, max = 200))]
    pub reason: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LiftRequest {
    #[schemars(length(min = 2, max = 200))]
    pub reason: String,
}

fn reason(r: &str) -> Result<&str, PreciseError> {
    let r = r.trim();
    if (2..=200).contains(&r.chars().count()) {
        Ok(r)
    } else {
        Err(PreciseError::Field("reason", Rule::Reason(2, 200)))
    }
}

pub(super) async fn set_level(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<LevelRequest>,
) -> ApiResult<axum::Json<ZoneDetailDto>> {
    relevel_zone(&state, &ctx, id, &req.level, &req.reason).await?;
    Ok(axum::Json(detail(&state, &ctx, id).await?))
}

pub async fn relevel_zone(state: &AppState, ctx: &Ctx, id: i64, level: &str, why: &str) -> ApiResult<()> {
    let level = parse_level(level)?;
    let why = reason(why)?;
    state.precise.registry.ensure_loaded(&state.db).await?;
    let mut w = state.db.write().await?;
    w.zone_set_level(&ctx.actor(), &ctx.scope(), id, level.as_str(), why).await?;
    w.commit().await?;
    state.precise.registry.refresh_zones(&state.db).await?;
    Ok(())
}

pub(super) async fn lift(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<LiftRequest>,
) -> ApiResult<axum::Json<ZoneDetailDto>> {
    lift_zone(&state, &ctx, id, &req.reason).await?;
    Ok(axum::Json(detail(&state, &ctx, id).await?))
}

pub async fn lift_zone(state: &AppState, ctx: &Ctx, id: i64, why: &str) -> ApiResult<()> {
    let why = reason(why)?;
    state.precise.registry.ensure_loaded(&state.db).await?;
    let mut w = state.db.write().await?;
    w.zone_lift(&ctx.actor(), &ctx.scope(), id, why).await?;
    w.commit().await?;
    state.precise.registry.refresh_zones(&state.db).await?;
    Ok(())
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use crate::http::dto::PageDto;
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(
            Method::GET,
            "/api/zones",
            Access::Action(Action::CaseRead),
            "precise",
            "管控区域（status=all 含已解封）",
        )
        .query(&[("status", "all：含已解封"), ("page", "页码")])
        .response::<PageDto<ZoneDto>>()
        .query_type::<ListQuery>(),
        get(list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/zones",
            Access::Action(Action::ZoneManage),
            "precise",
            "划定封控区、管控区、防范区",
        )
        .request::<NewZoneRequest>()
        .response::<ZoneDetailDto>()
        .status(201),
        post(create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/zones/{id}",
            Access::Action(Action::CaseRead),
            "precise",
            "区域详情：门岗、小区、人数、变更记录",
        )
        .response::<ZoneDetailDto>(),
        get(show),
    )
    .add(
        Op::api(Method::POST, "/api/zones/{id}/level", Access::Action(Action::ZoneManage), "precise", "调整区域级别")
            .request::<LevelRequest>()
            .response::<ZoneDetailDto>(),
        post(set_level),
    )
    .add(
        Op::api(Method::POST, "/api/zones/{id}/lift", Access::Action(Action::ZoneManage), "precise", "解除管控")
            .request::<LiftRequest>()
            .response::<ZoneDetailDto>(),
        post(lift),
    )
}
