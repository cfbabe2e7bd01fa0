//! Life first's API: risk points and their steps, the map layer, incidents, helmet samples
//! and rates, abnormal-death figures, department accounts.

use crate::http::json::Query;
use axum::extract::State;
use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::LifeError;
use super::index::{Layer, PinFilter};
use super::model::{self, Kind, Severity, State as PointState};
use super::photos::Photo;
use super::service::{self, IncidentInput, IncidentOutcome, PointInput, SampleInput, StepInput};
use super::store::points::{self, Event, Patrol, Point, PointQuery, Water};
use super::store::records::{self, Incident};
use super::store::stats;
use crate::app::AppState;
use crate::http::dto::PageDto;
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use ningan_store::PageRequest;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PointDto {
    pub id: i64,
    pub kind: String,
    pub kind_name: String,
    pub category: String,
    pub category_name: String,
    pub severity: String,
    pub severity_name: String,
    pub state: String,
    pub state_name: String,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub unit_name: String,
    pub department: Option<String>,
    pub department_name: Option<String>,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339_opt")]
    #[schemars(with = "Option<String>")]
    pub deadline: Option<i64>,
    pub overdue: bool,
    pub escalated: bool,
    pub reopened: i64,
    pub found_by: String,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub found_at: i64,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339_opt")]
    #[schemars(with = "Option<String>")]
    pub closed_at: Option<i64>,
    pub water: Water,
}

impl PointDto {
    pub fn new(p: Point, en: bool, now: i64) -> PointDto {
        let kind = Kind::parse(&p.kind);
        let state = PointState::parse(&p.state);
        PointDto {
            kind_name: kind.map(|k| k.label(en)).unwrap_or(&p.kind).to_string(),
            category_name: kind.map(|k| k.category().label(en)).unwrap_or(&p.category).to_string(),
            severity_name: Severity::parse(&p.severity).map(|s| s.label(en)).unwrap_or(&p.severity).to_string(),
            state_name: state.map(|s| s.label(en)).unwrap_or(&p.state).to_string(),
            overdue: state.is_some_and(PointState::counts_deadline) && p.deadline.is_some_and(|d| d < now),
            escalated: p.escalated_at.is_some(),
            department_name: p.department.as_deref().map(|d| model::label(model::DEPARTMENTS, d, en)),
            unit_name: if en { p.unit_name_en } else { p.unit_name },
            id: p.id,
            kind: p.kind,
            category: p.category,
            severity: p.severity,
            state: p.state,
            title: p.title,
            description: p.description,
            address: p.address,
            lon: p.lon,
            lat: p.lat,
            department: p.department,
            deadline: p.deadline,
            reopened: p.reopened,
            found_by: p.found_by,
            found_at: p.found_at,
            closed_at: p.closed_at,
            water: p.water,
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<PointInput>,
) -> ApiResult<axum::Json<PointDto>> {
    let id = service::create_point(&state, &ctx, &input).await?;
    let p = points::get(&state.db, &service::viewer(&state, &ctx).await?, id).await?;
    Ok(axum::Json(PointDto::new(p, ctx.language() == "en", ningan_core::time::now_ms())))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
pub struct ListQuery {
    pub q: Option<String>,
    pub category: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub severity: Option<String>,
    pub department: Option<String>,
    pub overdue: Option<String>,
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl ListQuery {
    pub fn query(&self, now: i64) -> PointQuery {
        let nonempty = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        PointQuery {
            q: nonempty(&self.q),
            category: nonempty(&self.category),
            kind: nonempty(&self.kind),
            state: nonempty(&self.state),
            severity: nonempty(&self.severity),
            department: nonempty(&self.department),
            overdue_at: (self.overdue.as_deref() == Some("1")).then_some(now),
            sort: nonempty(&self.sort),
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<PointDto>>> {
    let viewer = service::viewer(&state, &ctx).await?;
    let now = ningan_core::time::now_ms();
    let page = points::list(&state.db, &viewer, &q.query(now), PageRequest::new(q.page, q.per_page)).await?;
    let en = ctx.language() == "en";
    Ok(axum::Json(PageDto::from_page(page, |p| PointDto::new(p, en, now)).capped_at(ningan_store::sql::COUNT_CAP)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PointDetailDto {
    pub point: PointDto,
    pub events: Vec<Event>,
    pub photos: Vec<points::Photo>,
    pub patrols: Vec<Patrol>,
    /// The steps the caller may take now.
    pub steps: Vec<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<PointDetailDto>> {
    let viewer = service::viewer(&state, &ctx).await?;
    let p = points::get(&state.db, &viewer, id).await?;
    let steps = service::steps_for(&ctx, &viewer, &p).iter().map(|s| s.as_str().to_string()).collect();
    Ok(axum::Json(PointDetailDto {
        events: points::events(&state.db, id).await?,
        photos: points::photos(&state.db, id).await?,
        patrols: points::patrols(&state.db, id).await?,
        point: PointDto::new(p, ctx.language() == "en", ningan_core::time::now_ms()),
        steps,
    }))
}

/// The patrol just logged.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PatrolLogged {
    pub id: i64,
}

/// How many photos were added.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PhotosAdded {
    pub added: usize,
}

/// A 1×1 PNG, the example of a photo's data.
const PHOTO_EXAMPLE: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct PhotoUpload {
    #[schemars(extend("examples" = ["现场.png"]))]
    pub name: String,
    /// The file's bytes in base64.
    #[schemars(regex(pattern = r"^\s*([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\s*$"), extend("contentEncoding" = "base64", "examples" = [PHOTO_EXAMPLE]))]
    pub data: String,
}

/// What each step needs beside its name: assigning names the department; sending back,
/// verifying and reopening say why in a note; reporting a rectification lists its
/// measures and at least one photo.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[schemars(extend(
    "examples" = [{"step": "assign", "department": "transport", "note": "请限期整改"}],
    "allOf" = [
        {"if": {"properties": {"step": {"const": "assign"}}, "required": ["step"]}, "then": {"required": ["department"]}},
        {
            "if": {"properties": {"step": {"enum": ["reject", "verify", "reopen"]}}, "required": ["step"]},
            "then": {"required": ["note"], "properties": {"note": {"pattern": "[0-9A-Za-z\\u4e00-\\u9fff][\\s\\S]*[0-9A-Za-z\\u4e00-\\u9fff]"}}}
        },
        {
            "if": {"properties": {"step": {"const": "rectify"}}, "required": ["step"]},
            "then": {"required": ["measures", "photos"], "properties": {"measures": {"minItems": 1}, "photos": {"minItems": 1}}}
        }
    ]
))]
pub struct StepRequest {
    #[serde(flatten)]
    pub step: StepInput,
    #[serde(default)]
    #[schemars(length(max = 4))]
    pub photos: Vec<PhotoUpload>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StepDone {
    pub state: String,
}

fn decode(photos: &[PhotoUpload]) -> Result<Vec<Photo>, LifeError> {
    photos
        .iter()
        .map(|p| {
            base64::engine::general_purpose::STANDARD
                .decode(p.data.trim())
                .map(|bytes| Photo { name: p.name.clone(), bytes })
                .map_err(|_| LifeError::field_of("photos", "照片内容不是有效的 base64", "a photo's data is not base64"))
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct PhotosRequest {
    #[schemars(length(min = 1, max = 4))]
    pub photos: Vec<PhotoUpload>,
}

pub async fn photos(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<PhotosRequest>,
) -> ApiResult<axum::Json<PhotosAdded>> {
    let n = service::add_photos(&state, &ctx, id, &decode(&req.photos)?).await?;
    Ok(axum::Json(PhotosAdded { added: n }))
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<StepRequest>,
) -> ApiResult<axum::Json<StepDone>> {
    let to = service::take_step(&state, &ctx, id, &req.step, &decode(&req.photos)?).await?;
    Ok(axum::Json(StepDone { state: to.as_str().into() }))
}

pub async fn water(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(w): Json<Water>,
) -> ApiResult<()> {
    service::set_water(&state, &ctx, id, &w).await?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct PatrolRequest {
    #[serde(default)]
    pub at: Option<i64>,
    #[schemars(schema_with = "crate::http::schema::line_2_500")]
    pub note: String,
}

pub async fn patrol(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(p): Json<PatrolRequest>,
) -> ApiResult<axum::Json<PatrolLogged>> {
    let pid = service::add_patrol(&state, &ctx, id, p.at, &p.note).await?;
    Ok(axum::Json(PatrolLogged { id: pid }))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
pub struct MapQuery {
    /// West, south, east and north in degrees.
    #[schemars(extend("examples" = ["121.4,29.7,121.8,30.0"]))]
    pub bbox: Option<String>,
    /// 0 to 22; 10 when left out.
    #[schemars(extend("type" = "number", "minimum" = 0, "maximum" = 22))]
    pub zoom: Option<String>,
    pub category: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub severity: Option<String>,
    pub overdue: Option<String>,
}

/// `west,south,east,north`, each a finite degree, west ≤ east and south ≤ north.
pub fn parse_bbox(raw: Option<&str>) -> Result<[f64; 4], ApiError> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else { return Ok([120.5, 28.8, 122.5, 30.5]) };
    let bad =
        || super::error::refuse("bbox", "视窗应为“西,南,东,北”四个经纬度", "bbox is west,south,east,north in degrees");
    let v: Vec<f64> = raw.split(',').map(|s| s.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad())?;
    match v.as_slice() {
        [w, s, e, n] if [*w, *s, *e, *n].iter().all(|x| x.is_finite()) && w <= e && s <= n => Ok([*w, *s, *e, *n]),
        _ => Err(bad()),
    }
}

pub async fn map(State(state): State<AppState>, ctx: Ctx, Query(q): Query<MapQuery>) -> ApiResult<axum::Json<Layer>> {
    let bbox = parse_bbox(q.bbox.as_deref())?;
    let zoom = match q.zoom.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
        None => 10.0,
        Some(z) => z
            .parse::<f64>()
            .ok()
            .filter(|z| (0.0..=22.0).contains(z))
            .ok_or_else(|| super::error::refuse("zoom", "缩放级别应为0至22", "zoom is 0 to 22"))?,
    };
    let viewer = service::viewer(&state, &ctx).await?;
    let now = ningan_core::time::now_ms();
    let filter = PinFilter {
        category: q.category,
        kind: q.kind,
        state: q.state,
        severity: q.severity,
        overdue_at: (q.overdue.as_deref() == Some("1")).then_some(now),
    };
    let mut layer = super::with_index(&state, |i| i.layer(&viewer, bbox, zoom, &filter, now)).await?;
    let en = ctx.language() == "en";
    for p in &mut layer.points {
        p.label = Kind::parse(&p.kind).map(|k| k.label(en)).unwrap_or_default().to_string();
    }
    Ok(axum::Json(layer))
}

pub async fn photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    let (p, bytes) = points::photo(&state.db, id).await?;
    points::get(&state.db, &service::viewer(&state, &ctx).await?, p.point_id).await?;
    Ok(crate::http::files::download(&p.name, &p.content_type, bytes))
}

pub async fn incident(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<IncidentInput>,
) -> ApiResult<axum::Json<IncidentOutcome>> {
    Ok(axum::Json(service::record_incident(&state, &ctx, &input).await?))
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct IncidentQuery {
    pub kind: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn incidents(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<IncidentQuery>,
) -> ApiResult<axum::Json<PageDto<Incident>>> {
    let page =
        records::incidents(&state.db, &ctx.scope(), q.kind.as_deref(), PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, |i| i)))
}

pub async fn sample(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<SampleInput>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let id = service::record_sample(&state, &ctx, &input).await?;
    Ok(axum::Json(serde_json::json!({ "id": id })))
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct YearQuery {
    /// From 2000 to this year; this year when left out.
    #[schemars(extend("type" = "integer", "minimum" = 2000))]
    pub year: Option<String>,
}

pub fn year_of(q: &YearQuery) -> Result<i32, ApiError> {
    let this = stats::month_of(ningan_core::time::now_ms()).0;
    match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => Ok(this),
        Some(y) => y.parse::<i32>().ok().filter(|y| (2000..=this).contains(y)).ok_or_else(|| {
            // The last year is this one: the clock's, not the document's to state.
            super::error::LifeError::context_of(
                "year",
                &format!("年份应为2000至{this}"),
                &format!("year is 2000 to {this}"),
            )
            .into()
        }),
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RateRow {
    /// A district's name, a road type's or a month (`2026-05`).
    pub key: String,
    pub road_type: String,
    /// All riders, then drivers and passengers apart.
    pub riders: Option<model::Rate>,
    pub drivers: Option<model::Rate>,
    pub passengers: Option<model::Rate>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RatesDto {
    pub year: i32,
    pub by_road: Vec<RateRow>,
    pub by_district: Vec<RateRow>,
    pub by_month: Vec<RateRow>,
}

fn rate_row(key: String, road: &str, c: &stats::Counts) -> RateRow {
    let (yes, n) = c.riders();
    RateRow {
        key,
        road_type: road.to_string(),
        riders: model::wilson(yes, n),
        drivers: model::wilson(c.drivers_helmet, c.drivers),
        passengers: model::wilson(c.passengers_helmet, c.passengers),
    }
}

pub async fn rates_for(state: &AppState, ctx: &Ctx, year: i32) -> Result<RatesDto, ApiError> {
    let h = stats::helmets(&state.db, &ctx.scope(), stats::year_start(year), stats::year_start(year + 1)).await?;
    Ok(rates_from(&h, year, ctx.language() == "en"))
}

/// The year's samples as rates with their intervals.
pub fn rates_from(h: &stats::Helmets, year: i32, en: bool) -> RatesDto {
    let road = |r: &str| model::label(model::ROAD_TYPES, r, en);
    let district = |code: u32| {
        ningan_core::DISTRICTS
            .iter()
            .find(|d| d.code == code)
            .map(|d| if en { d.name_en } else { d.name })
            .unwrap_or_default()
            .to_string()
    };
    RatesDto {
        year,
        by_road: h.by_road.iter().map(|(r, c)| rate_row(road(r), r, c)).collect(),
        by_district: h.by_district.iter().map(|((d, r), c)| rate_row(district(*d), r, c)).collect(),
        by_month: h.by_month.iter().map(|((y, m, r), c)| rate_row(format!("{y}-{m:02}"), r, c)).collect(),
    }
}

pub async fn rates(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> ApiResult<axum::Json<RatesDto>> {
    Ok(axum::Json(rates_for(&state, &ctx, year_of(&q)?).await?))
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeathRow {
    /// `traffic`, `drowning` or `other`.
    pub kind: String,
    pub kind_name: String,
    /// Deaths in each month of the year, January first.
    pub months: Vec<i64>,
    /// The same months a year earlier.
    pub months_before: Vec<i64>,
    pub total: i64,
    pub total_before: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DistrictDeaths {
    pub district: String,
    /// `(kind, this year, the year before)`.
    pub by_kind: Vec<(String, i64, i64)>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeathsDto {
    pub year: i32,
    pub by_kind: Vec<DeathRow>,
    pub by_district: Vec<DistrictDeaths>,
}

pub async fn deaths_for(state: &AppState, ctx: &Ctx, year: i32) -> Result<DeathsDto, ApiError> {
    let d = stats::deaths(&state.db, &ctx.scope(), year).await?;
    let en = ctx.language() == "en";
    let by_kind = model::INCIDENT_KINDS
        .iter()
        .map(|(k, zh, e)| {
            let months = |y: i32| -> Vec<i64> {
                (1..=12).map(|m| d.by_month.get(&(k.to_string(), y, m)).copied().unwrap_or(0)).collect()
            };
            let (now, before) = (months(year), months(year - 1));
            DeathRow {
                kind: k.to_string(),
                kind_name: (if en { *e } else { *zh }).to_string(),
                total: now.iter().sum(),
                total_before: before.iter().sum(),
                months: now,
                months_before: before,
            }
        })
        .collect();
    let by_district = ningan_core::DISTRICTS
        .iter()
        .filter(|dist| crate::modules::cockpit::panels::district_of(&ctx.unit.path).is_none_or(|own| own == dist.code))
        .map(|dist| DistrictDeaths {
            district: (if en { dist.name_en } else { dist.name }).to_string(),
            by_kind: model::INCIDENT_KINDS
                .iter()
                .map(|(k, _, _)| {
                    let get = |y: i32| d.by_district.get(&(k.to_string(), dist.code, y)).copied().unwrap_or(0);
                    (k.to_string(), get(year), get(year - 1))
                })
                .collect(),
        })
        .collect();
    Ok(DeathsDto { year, by_kind, by_district })
}

pub async fn deaths(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> ApiResult<axum::Json<DeathsDto>> {
    Ok(axum::Json(deaths_for(&state, &ctx, year_of(&q)?).await?))
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct DepartmentRequest {
    #[schemars(schema_with = "super::service::departments")]
    pub department: String,
}

pub async fn department(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(user_id): Path<i64>,
    Json(r): Json<DepartmentRequest>,
) -> ApiResult<()> {
    service::set_department(&state, &ctx, user_id, &r.department).await?;
    Ok(())
}

fn format_of(headers: &axum::http::HeaderMap) -> Result<crate::web::import::Format, ApiError> {
    let ct = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    crate::web::import::Format::detect(ct, "")
        .ok_or_else(|| super::error::refuse("file", "请上传 CSV 或 XLSX 文件", "send a CSV (text/csv) or XLSX file"))
}

pub async fn import_points(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<crate::web::import::ImportReport>> {
    Ok(axum::Json(super::import::points(&state, &ctx, &body, format_of(&headers)?).await?))
}

pub async fn import_samples(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<crate::web::import::ImportReport>> {
    Ok(axum::Json(super::import::samples(&state, &ctx, &body, format_of(&headers)?).await?))
}
