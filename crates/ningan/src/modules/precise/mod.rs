//! Precise control (精密智控): venues people check in to with the venue code, the check-in
//! stream into the tracing engine, epidemiological cases, and the investigation of a case —
//! exposure places, close and secondary contacts under a named rule.

pub mod pages;
pub mod tracer;

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use chrono::DateTime;
use ningan_core::Action;
use ningan_store::{CASE_STATUSES, EpiCase, NewEpiCase, NewVenue, PageRequest, Venue};
use ningan_trace::{Observation, Time};
use rand::Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use tracer::{TraceError, blocking, engine_id, venue_kind, venue_kind_zh};

/// Check-ins one request may carry.
pub const MAX_BATCH: usize = 10_000;
/// The municipality's bounding box: venues lie inside it.
const NINGBO_LON: std::ops::RangeInclusive<f64> = 120.8..=122.5;
const NINGBO_LAT: std::ops::RangeInclusive<f64> = 28.8..=30.5;

pub fn routes(api: Api) -> Api {
    api.add(
        Op::api(Method::GET, "/api/venues", Access::Action(Action::VenueRead), "precise", "查询场所")
            .query(&[("q", "名称前缀或场所码"), ("page", "页码"), ("per_page", "每页条数（最多200）")])
            .response::<PageDto<VenueDto>>(),
        get(venue_list),
    )
    .add(
        Op::api(Method::POST, "/api/venues", Access::Action(Action::VenueManage), "precise", "登记场所（生成场所码）")
            .request::<NewVenueRequest>()
            .response::<VenueDto>()
            .status(201),
        post(venue_create),
    )
    .add(
        Op::api(Method::GET, "/api/venues/{id}", Access::Action(Action::VenueRead), "precise", "场所详情")
            .response::<VenueDto>(),
        get(venue_show),
    )
    .add(
        Op::api(Method::POST, "/api/checkins", Access::Action(Action::CheckinWrite), "precise", "批量上报场所码扫码")
            .request::<CheckinBatch>()
            .response::<CheckinReport>(),
        post(checkins),
    )
    .add(
        Op::api(Method::GET, "/api/cases", Access::Action(Action::CaseRead), "precise", "查询病例")
            .query(&[("status", "confirmed | asymptomatic | suspected | discharged"), ("page", "页码")])
            .response::<PageDto<CaseDto>>(),
        get(case_list),
    )
    .add(
        Op::api(Method::POST, "/api/cases", Access::Action(Action::CaseManage), "precise", "登记病例")
            .request::<NewCaseRequest>()
            .response::<CaseDto>()
            .status(201),
        post(case_create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/cases/{id}/investigation",
            Access::Action(Action::CaseRead),
            "precise",
            "流调：风险点位、密接与次密接人数及所用规则",
        )
        .query(&[("to", "流调截止时间（RFC 3339，默认现在）")])
        .response::<InvestigationDto>(),
        get(investigation),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/cases/{id}/contacts",
            Access::Action(Action::CaseRead),
            "precise",
            "流调：密接或次密接名单（分页）",
        )
        .query(&[("tier", "close | secondary"), ("to", "流调截止时间"), ("page", "页码"), ("per_page", "每页条数")])
        .response::<PageDto<ContactDto>>(),
        get(contacts),
    )
    .add(Op::page(Method::GET, "/precise/venues", Access::Action(Action::VenueRead), "场所列表"), get(pages::venues))
    .add(
        Op::page(Method::POST, "/precise/venues", Access::Action(Action::VenueManage), "登记场所"),
        post(pages::venue_create),
    )
    .add(Op::page(Method::GET, "/precise/cases", Access::Action(Action::CaseRead), "病例列表"), get(pages::cases))
    .add(
        Op::page(Method::POST, "/precise/cases", Access::Action(Action::CaseManage), "登记病例"),
        post(pages::case_create),
    )
    .add(
        Op::page(Method::GET, "/precise/cases/{id}", Access::Action(Action::CaseRead), "流调页"),
        get(pages::investigation),
    )
}

impl From<TraceError> for ApiError {
    fn from(e: TraceError) -> Self {
        ApiError::internal(e)
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VenueDto {
    pub id: i64,
    /// The printed venue code (场所码) people scan.
    pub code: String,
    pub name: String,
    pub kind: String,
    pub kind_zh: String,
    pub address: String,
    pub unit_id: i64,
    pub lon: f64,
    pub lat: f64,
    pub created_at: String,
}

impl From<Venue> for VenueDto {
    fn from(v: Venue) -> Self {
        VenueDto {
            kind_zh: venue_kind_zh(&v.kind).into(),
            id: v.id,
            code: v.code,
            name: v.name,
            kind: v.kind,
            address: v.address,
            unit_id: v.unit_id,
            lon: v.location[0],
            lat: v.location[1],
            created_at: ts(v.created_at),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewVenueRequest {
    pub name: String,
    /// restaurant | market | shop | office | school | hospital | transport | gate
    pub kind: String,
    pub address: String,
    /// The station (派出所) the venue belongs to.
    pub unit_id: i64,
    pub lon: f64,
    pub lat: f64,
    /// A code to print; generated when absent.
    pub code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let body: String = (0..10).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect();
    format!("NB{body}")
}

/// Validates a venue request; each wrong field is named.
pub fn validate_venue(req: NewVenueRequest) -> Result<(NewVenue, i64), ApiError> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field("name", "场所名称必填，最多100字", "name is required, at most 100 characters"));
    }
    if venue_kind(&req.kind).is_none() {
        let kinds: Vec<&str> = tracer::VENUE_KINDS.iter().map(|k| k.0).collect();
        return Err(ApiError::field(
            "kind",
            format!("场所类型无效，可选：{}", kinds.join("、")),
            format!("kind must be one of {}", kinds.join(", ")),
        ));
    }
    if req.address.trim().is_empty() {
        return Err(ApiError::field("address", "地址必填", "address is required"));
    }
    if !NINGBO_LON.contains(&req.lon) || !NINGBO_LAT.contains(&req.lat) {
        return Err(ApiError::field("lon", "坐标不在宁波市范围内", "the location is outside Ningbo"));
    }
    let code = match req.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => new_code(),
        Some(c) if (4..=32).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') => {
            c.to_ascii_uppercase()
        }
        Some(_) => {
            return Err(ApiError::field(
                "code",
                "场所码为4–32位字母、数字或连字符",
                "code: 4–32 letters, digits or '-'",
            ));
        }
    };
    let venue = NewVenue {
        code,
        name,
        kind: req.kind,
        address: req.address.trim().to_string(),
        unit_id: req.unit_id,
        unit_path: String::new(),
        location: [req.lon, req.lat],
    };
    Ok((venue, req.unit_id))
}

/// Registers a venue in the database and with the engine.
pub async fn create_venue(state: &AppState, ctx: &Ctx, req: NewVenueRequest) -> ApiResult<Venue> {
    let (mut venue, unit_id) = validate_venue(req)?;
    let unit = state
        .db
        .unit_get(&ctx.scope(), unit_id)
        .await
        .map_err(|_| ApiError::field("unit_id", "辖区内无此派出所", "unit_id: no such station in your scope"))?;
    venue.unit_path = unit.path;
    let mut w = state.db.write().await?;
    let ids = w.venues_insert(&ctx.actor(), &ctx.scope(), std::slice::from_ref(&venue)).await?;
    w.commit().await?;
    let id = ids.first().copied().ok_or_else(|| ApiError::internal("venue insert returned no id"))?;
    let entry = vec![(id, venue.kind.clone(), venue.code.clone())];
    blocking(&state.tracer, move |t| t.sync_venues(&entry)).await?;
    Ok(state.db.venue_get(&ctx.scope(), id).await?)
}

async fn venue_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<VenueDto>>> {
    let page = state.db.venue_search(&ctx.scope(), q.q.as_deref(), PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, VenueDto::from)))
}

async fn venue_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewVenueRequest>,
) -> ApiResult<(StatusCode, axum::Json<VenueDto>)> {
    let v = create_venue(&state, &ctx, req).await?;
    Ok((StatusCode::CREATED, axum::Json(v.into())))
}

async fn venue_show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<axum::Json<VenueDto>> {
    Ok(axum::Json(state.db.venue_get(&ctx.scope(), id).await?.into()))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckinBatch {
    pub checkins: Vec<CheckinRequest>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckinRequest {
    /// The resident's record id (the venue-code app's back end resolves the person).
    pub resident_id: i64,
    pub venue_code: String,
    /// When the code was scanned (RFC 3339).
    pub at: String,
    /// When the person left, if known; otherwise the venue kind's usual stay is assumed.
    pub left_at: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckinReport {
    pub accepted: usize,
    pub rejected: Vec<CheckinRejection>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckinRejection {
    /// Position in the batch, from 0.
    pub index: usize,
    pub reason: String,
    pub reason_zh: String,
}

fn reason_zh(reason: &str) -> &'static str {
    match reason {
        "unknown venue code" => "场所码不存在",
        "unknown resident" => "人员不存在",
        "bad time" => "时间格式无效（应为 RFC 3339）",
        "unknown space" => "场所未登记",
        "end before start" => "离开时间早于到达时间",
        "stay longer than 24 hours" => "停留超过24小时",
        "start in the future" => "时间晚于当前时间",
        "older than the retention period" => "超出数据保留期",
        _ => "无法接收",
    }
}

fn parse_time(s: &str) -> Option<Time> {
    let t = DateTime::parse_from_rfc3339(s.trim()).ok()?.timestamp();
    Time::try_from(t).ok()
}

/// Resolves codes and residents, then hands the batch to the engine: durable when this
/// returns. Refused check-ins are reported with their position and reason; the rest are kept.
pub async fn ingest_checkins(state: &AppState, ctx: &Ctx, batch: Vec<CheckinRequest>) -> ApiResult<CheckinReport> {
    if batch.is_empty() || batch.len() > MAX_BATCH {
        return Err(ApiError::field(
            "checkins",
            format!("每批1–{MAX_BATCH}条"),
            format!("send 1 to {MAX_BATCH} check-ins per batch"),
        ));
    }
    let mut ids: Vec<i64> = batch.iter().map(|c| c.resident_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let known = state.db.residents_existing(&ids).await?;
    let mut codes: HashMap<String, Option<u32>> = HashMap::new();
    for c in &batch {
        if codes.contains_key(&c.venue_code) {
            continue;
        }
        let space = match state.tracer.venue_by_code(&c.venue_code) {
            Some(s) => Some(s),
            // A venue registered by another process since this one started.
            None => match state.db.venue_by_code(&c.venue_code).await {
                Ok(v) => {
                    let entry = vec![(v.id, v.kind.clone(), v.code.clone())];
                    blocking(&state.tracer, move |t| t.sync_venues(&entry)).await?;
                    state.tracer.venue_by_code(&c.venue_code)
                }
                Err(ningan_store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
        };
        codes.insert(c.venue_code.clone(), space);
    }
    let mut rejected = Vec::new();
    let mut observations = Vec::with_capacity(batch.len());
    let mut positions = Vec::with_capacity(batch.len());
    for (index, c) in batch.iter().enumerate() {
        let reject =
            |reason: &str| CheckinRejection { index, reason: reason.into(), reason_zh: reason_zh(reason).into() };
        let Some(Some(space)) = codes.get(&c.venue_code) else {
            rejected.push(reject("unknown venue code"));
            continue;
        };
        let person = match engine_id(c.resident_id) {
            Ok(p) if known.binary_search(&c.resident_id).is_ok() => p,
            _ => {
                rejected.push(reject("unknown resident"));
                continue;
            }
        };
        let (Some(start), end) = (parse_time(&c.at), c.left_at.as_deref().map(parse_time)) else {
            rejected.push(reject("bad time"));
            continue;
        };
        let end = match end {
            None => None,
            Some(Some(e)) => Some(e),
            Some(None) => {
                rejected.push(reject("bad time"));
                continue;
            }
        };
        observations.push(Observation { person, space: *space, start, end });
        positions.push(index);
    }
    let report = if observations.is_empty() {
        ningan_trace::IngestReport::default()
    } else {
        blocking(&state.tracer, move |t| t.ingest(&observations)).await?
    };
    for r in &report.rejected {
        let index = positions[r.index];
        rejected.push(CheckinRejection { index, reason: r.reason.into(), reason_zh: reason_zh(r.reason).into() });
    }
    rejected.sort_by_key(|r| r.index);
    let mut w = state.db.write().await?;
    let detail = format!("{} accepted, {} refused", report.accepted, rejected.len());
    w.audit(ctx.actor().audit("checkin.ingest", "checkin", 0, None, None, &detail)).await?;
    w.commit().await?;
    Ok(CheckinReport { accepted: report.accepted, rejected })
}

async fn checkins(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<CheckinBatch>,
) -> ApiResult<axum::Json<CheckinReport>> {
    Ok(axum::Json(ingest_checkins(&state, &ctx, req.checkins).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CaseDto {
    pub id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    /// confirmed | asymptomatic | suspected | discharged
    pub status: String,
    pub status_zh: String,
    /// Onset, or the first positive sample for an asymptomatic case.
    pub onset_at: String,
    pub note: String,
    pub unit_id: i64,
    pub created_at: String,
}

pub fn status_zh(s: &str) -> &'static str {
    match s {
        "confirmed" => "确诊",
        "asymptomatic" => "无症状感染者",
        "suspected" => "疑似",
        "discharged" => "已出院",
        _ => "未知",
    }
}

impl From<EpiCase> for CaseDto {
    fn from(c: EpiCase) -> Self {
        CaseDto {
            status_zh: status_zh(&c.status).into(),
            id: c.id,
            resident_id: c.resident_id,
            resident_name: c.resident_name,
            status: c.status,
            onset_at: ts(c.onset_at),
            note: c.note,
            unit_id: c.unit_id,
            created_at: ts(c.created_at),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewCaseRequest {
    pub resident_id: i64,
    /// confirmed | asymptomatic | suspected
    pub status: String,
    /// Onset or sampling time (RFC 3339); tracing looks back from here.
    pub onset_at: String,
    pub note: Option<String>,
}

pub fn validate_case(req: NewCaseRequest) -> Result<NewEpiCase, ApiError> {
    if !CASE_STATUSES.contains(&req.status.as_str()) {
        return Err(ApiError::field(
            "status",
            "病例类型无效：confirmed（确诊）、asymptomatic（无症状）、suspected（疑似）、discharged（已出院）",
            format!("status must be one of {}", CASE_STATUSES.join(", ")),
        ));
    }
    let onset = parse_time(&req.onset_at)
        .ok_or_else(|| ApiError::field("onset_at", "发病时间格式无效（RFC 3339）", "onset_at must be RFC 3339"))?;
    if i64::from(onset) * 1000 > ningan_core::time::now_ms() + 300_000 {
        return Err(ApiError::field("onset_at", "发病时间不能晚于现在", "onset_at is in the future"));
    }
    let note = req.note.unwrap_or_default().trim().to_string();
    if note.chars().count() > 500 {
        return Err(ApiError::field("note", "备注最多500字", "note: at most 500 characters"));
    }
    Ok(NewEpiCase { resident_id: req.resident_id, status: req.status, onset_at: i64::from(onset) * 1000, note })
}

async fn case_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<CaseDto>>> {
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let page = state.db.epi_case_search(&ctx.scope(), status, PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, CaseDto::from)))
}

async fn case_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewCaseRequest>,
) -> ApiResult<(StatusCode, axum::Json<CaseDto>)> {
    let new = validate_case(req)?;
    let mut w = state.db.write().await?;
    let id = w.epi_case_insert(&ctx.actor(), &ctx.scope(), &new).await?;
    let case = w.epi_case_open(&ctx.actor(), &ctx.scope(), id).await?;
    w.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(case.into())))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleDto {
    pub version: String,
    pub lookback_hours: u32,
    pub buffer_minutes: u32,
    pub min_overlap_minutes: u32,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PlaceDto {
    pub venue_id: i64,
    pub name: String,
    pub code: String,
    pub kind_zh: String,
    pub lon: f64,
    pub lat: f64,
    /// The exposure window to publish, buffers included.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct InvestigationDto {
    pub case: CaseDto,
    pub rule: RuleDto,
    pub from: String,
    pub to: String,
    pub exposure_places: Vec<PlaceDto>,
    pub close_contacts: usize,
    pub secondary_contacts: usize,
}

#[derive(Debug, Deserialize)]
struct InvestigationQuery {
    to: Option<String>,
    tier: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The case (read, audited) and its tracing up to `to` (default now).
pub async fn run_investigation(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    to: Option<&str>,
) -> ApiResult<(EpiCase, tracer::Investigation)> {
    let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
        None => tracer::now_s(),
        Some(t) => parse_time(t).ok_or_else(|| ApiError::field("to", "截止时间格式无效", "to must be RFC 3339"))?,
    };
    let mut w = state.db.write().await?;
    let case = w.epi_case_open(&ctx.actor(), &ctx.scope(), id).await?;
    w.commit().await?;
    let person = engine_id(case.resident_id)?;
    let onset = Time::try_from(case.onset_at / 1000).unwrap_or(0);
    let inv = blocking(&state.tracer, move |t| t.investigate(person, onset, to)).await?;
    Ok((case, inv))
}

pub async fn exposure_places(state: &AppState, inv: &tracer::Investigation) -> ApiResult<Vec<PlaceDto>> {
    let ids: Vec<i64> = inv.windows.iter().map(|w| i64::from(w.space)).collect();
    let venues: HashMap<i64, Venue> = state.db.venues_by_ids(&ids).await?.into_iter().map(|v| (v.id, v)).collect();
    Ok(inv
        .windows
        .iter()
        .filter_map(|w| {
            let v = venues.get(&i64::from(w.space))?;
            Some(PlaceDto {
                venue_id: v.id,
                name: v.name.clone(),
                code: v.code.clone(),
                kind_zh: venue_kind_zh(&v.kind).into(),
                lon: v.location[0],
                lat: v.location[1],
                from: ts(i64::from(w.from) * 1000),
                to: ts(i64::from(w.to) * 1000),
            })
        })
        .collect())
}

pub fn rule_dto(inv: &tracer::Investigation) -> RuleDto {
    RuleDto {
        version: inv.rule.version.clone(),
        lookback_hours: inv.rule.lookback / 3600,
        buffer_minutes: inv.rule.buffer_before / 60,
        min_overlap_minutes: inv.rule.min_overlap / 60,
    }
}

async fn investigation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<InvestigationQuery>,
) -> ApiResult<axum::Json<InvestigationDto>> {
    let (case, inv) = run_investigation(&state, &ctx, id, q.to.as_deref()).await?;
    let places = exposure_places(&state, &inv).await?;
    Ok(axum::Json(InvestigationDto {
        rule: rule_dto(&inv),
        from: ts(i64::from(inv.from) * 1000),
        to: ts(i64::from(inv.to) * 1000),
        exposure_places: places,
        close_contacts: inv.close.len(),
        secondary_contacts: inv.secondary.len(),
        case: case.into(),
    }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ContactDto {
    pub resident_id: i64,
    /// Absent when the person lives outside the caller's area.
    pub name: Option<String>,
    pub unit_id: Option<i64>,
    /// Seconds shared with the case's (or the close contact's) exposure windows.
    pub total_overlap_s: u32,
    pub shared_visits: u32,
    pub first_exposure: String,
    pub last_exposure: String,
    pub venue_ids: Vec<i64>,
    /// For a secondary contact: the close contact it came through.
    pub via_resident_id: Option<i64>,
}

/// One page of a case's close or secondary contacts, with names from the register.
pub async fn contact_page(
    state: &AppState,
    ctx: &Ctx,
    case_id: i64,
    inv: &tracer::Investigation,
    secondary: bool,
    page: PageRequest,
) -> ApiResult<ningan_store::Page<ContactDto>> {
    let rows: Vec<(&ningan_trace::CloseContact, Option<u32>)> = if secondary {
        inv.secondary.iter().map(|s| (&s.contact, Some(s.via))).collect()
    } else {
        inv.close.iter().map(|c| (c, None)).collect()
    };
    let total = rows.len() as i64;
    let start = usize::try_from(page.offset()).unwrap_or(usize::MAX).min(rows.len());
    let shown = &rows[start..(start + page.per_page as usize).min(rows.len())];
    let ids: Vec<i64> = shown.iter().map(|(c, _)| i64::from(c.person)).collect();
    let tier = if secondary { "secondary" } else { "close" };
    let mut w = state.db.write().await?;
    let labels =
        w.resident_labels(&ctx.actor(), &ctx.scope(), &ids, &format!("case {case_id} {tier} contacts")).await?;
    w.commit().await?;
    let labels: HashMap<i64, ningan_store::ResidentLabel> = labels.into_iter().map(|l| (l.id, l)).collect();
    let items = shown
        .iter()
        .map(|(c, via)| {
            let label = labels.get(&i64::from(c.person));
            ContactDto {
                resident_id: i64::from(c.person),
                name: label.map(|l| l.name.clone()),
                unit_id: label.map(|l| l.unit_id),
                total_overlap_s: c.total_overlap,
                shared_visits: c.shared_visits,
                first_exposure: ts(i64::from(c.first_exposure) * 1000),
                last_exposure: ts(i64::from(c.last_exposure) * 1000),
                venue_ids: c.spaces.iter().map(|s| i64::from(*s)).collect(),
                via_resident_id: via.map(i64::from),
            }
        })
        .collect();
    Ok(ningan_store::Page { items, page: page.page, per_page: page.per_page, total })
}

async fn contacts(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<InvestigationQuery>,
) -> ApiResult<axum::Json<PageDto<ContactDto>>> {
    let secondary = match q.tier.as_deref().unwrap_or("close") {
        "close" => false,
        "secondary" => true,
        _ => return Err(ApiError::field("tier", "名单类型为 close 或 secondary", "tier must be close or secondary")),
    };
    let (_, inv) = run_investigation(&state, &ctx, id, q.to.as_deref()).await?;
    let page = contact_page(&state, &ctx, id, &inv, secondary, PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, |c| c)))
}
