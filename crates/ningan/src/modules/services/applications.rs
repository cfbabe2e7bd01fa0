//! Applications: filed by the citizen on the portal or by a clerk at any station, handled by
//! the station they are routed to (the applicant's household station, or for 全城通办 items
//! the station that took them or the citizen chose), worked submitted → accepted → approved or
//! rejected within the item's time limit, every step on a timeline the citizen follows.

use std::collections::BTreeMap;

use axum::extract::State;
use ningan_store::{
    Application, ApplicationEvent, ApplicationQuery, NewApplication, PageRequest, ServiceItem, UnitKind,
    application_status_zh,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationDto {
    pub id: i64,
    /// The number the citizen quotes.
    pub no: String,
    pub item_code: String,
    pub item_name: String,
    pub resident_id: i64,
    pub applicant: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// portal | counter
    pub channel: String,
    pub status: String,
    pub status_zh: String,
    pub details: BTreeMap<String, String>,
    pub deadline: String,
    pub overdue: bool,
    pub decision_note: Option<String>,
    pub decided_at: Option<String>,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    pub created_at: String,
}

impl ApplicationDto {
    pub fn from_app(a: Application, now: i64) -> ApplicationDto {
        ApplicationDto {
            overdue: !a.is_final() && a.deadline < now,
            status_zh: application_status_zh(&a.status).into(),
            details: serde_json::from_str(&a.details).unwrap_or_default(),
            deadline: ts(a.deadline),
            decided_at: a.decided_at.map(ts),
            created_at: ts(a.created_at),
            id: a.id,
            no: a.no,
            item_code: a.item_code,
            item_name: a.item_name,
            resident_id: a.resident_id,
            applicant: a.resident_name,
            unit_id: a.unit_id,
            unit_name: a.unit_name,
            channel: a.channel,
            status: a.status,
            decision_note: a.decision_note,
            rating: a.rating,
            rating_comment: a.rating_comment,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EventDto {
    pub at: String,
    pub status: String,
    pub status_zh: String,
    pub unit_name: String,
    pub note: String,
}

pub fn event_dto(e: ApplicationEvent) -> EventDto {
    EventDto {
        at: ts(e.at),
        status_zh: application_status_zh(&e.status).into(),
        status: e.status,
        unit_name: e.unit_name,
        note: e.note,
    }
}

/// What an application says, checked against the item: every field filled, nothing else.
pub fn check_details(item: &ServiceItem, details: &BTreeMap<String, String>) -> Result<String, ApiError> {
    for (key, label) in &item.fields {
        let v = details.get(key).map(|v| v.trim()).unwrap_or_default();
        if v.is_empty() || v.chars().count() > 200 {
            return Err(ApiError::field(
                &format!("details.{key}"),
                format!("请填写{label}（最多200字）"),
                format!("{key} is required"),
            ));
        }
    }
    if let Some(extra) = details.keys().find(|k| !item.fields.iter().any(|(f, _)| f == *k)) {
        return Err(ApiError::field(&format!("details.{extra}"), "该事项不需要此项", "this item has no such field"));
    }
    let trimmed: BTreeMap<&str, &str> = details.iter().map(|(k, v)| (k.as_str(), v.trim())).collect();
    serde_json::to_string(&trimmed).map_err(ApiError::internal)
}

/// Files an application for `resident_id`. `station` is where it is handled: for a
/// 全城通办 item any station (the one that took it, or the citizen's choice), otherwise only
/// the applicant's household station.
pub async fn file(
    state: &AppState,
    actor: &ningan_store::Actor,
    resident_id: i64,
    item_code: &str,
    details: &BTreeMap<String, String>,
    station: Option<i64>,
    channel: &str,
) -> ApiResult<(i64, String)> {
    let item = match state.db.service_item(item_code).await {
        Ok(i) if i.active => i,
        Ok(_) | Err(ningan_store::StoreError::NotFound) => {
            return Err(ApiError::field("item", "办事事项不存在或已停办", "no such item"));
        }
        Err(e) => return Err(e.into()),
    };
    let details = check_details(&item, details)?;
    let home = state.db.resident_unit(resident_id).await?;
    let unit_id = match station {
        Some(s) if s != home && !item.citywide => {
            return Err(ApiError::field(
                "station",
                "该事项不属于全城通办，须由户籍所在地派出所办理",
                "this item is handled only by the household station",
            ));
        }
        Some(s) => s,
        None => home,
    };
    let unit = state
        .db
        .unit_by_id(unit_id)
        .await
        .map_err(|_| ApiError::field("station", "派出所不存在", "no such station"))?;
    if unit.kind != UnitKind::Station {
        return Err(ApiError::field("station", "请选择派出所", "choose a police station"));
    }
    let now = ningan_core::time::now_ms();
    let mut w = state.db.write().await?;
    let filed = w
        .application_insert(
            actor,
            &NewApplication {
                item_id: item.id,
                resident_id,
                unit_id: unit.id,
                unit_path: unit.path.clone(),
                channel: channel.into(),
                details,
                deadline: now + item.time_limit_days * 86_400_000,
                unit_name: unit.name.clone(),
            },
        )
        .await?;
    w.commit().await?;
    Ok(filed)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListQuery {
    /// submitted | accepted | approved | rejected
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub fn status_filter(s: Option<String>) -> Result<Option<String>, ApiError> {
    let s = s.filter(|s| !s.is_empty());
    if let Some(v) = &s
        && !ningan_store::APPLICATION_STATUSES.iter().any(|x| x.0 == v)
    {
        return Err(ApiError::field("status", "状态应为 submitted/accepted/approved/rejected", "unknown status"));
    }
    Ok(s)
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<ApplicationDto>>> {
    let query = ApplicationQuery { status: status_filter(q.status)?, resident_id: None };
    let page = state.db.applications(&ctx.scope(), &query, PageRequest::new(q.page, q.per_page)).await?;
    let now = ningan_core::time::now_ms();
    Ok(axum::Json(PageDto::from_page(page, |a| ApplicationDto::from_app(a, now))))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationDetailDto {
    pub application: ApplicationDto,
    pub timeline: Vec<EventDto>,
}

pub async fn detail_in_scope(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<ApplicationDetailDto> {
    let app = state.db.application_in_scope(&ctx.scope(), id).await?;
    let timeline = state.db.application_events(app.id).await?.into_iter().map(event_dto).collect();
    Ok(ApplicationDetailDto { application: ApplicationDto::from_app(app, ningan_core::time::now_ms()), timeline })
}

pub(super) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<ApplicationDetailDto>> {
    Ok(axum::Json(detail_in_scope(&state, &ctx, id).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CounterRequest {
    /// The applicant's citizen ID number, read from their card.
    pub id_number: String,
    pub item: String,
    #[serde(default)]
    pub details: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FiledDto {
    pub id: i64,
    pub no: String,
}

/// A clerk enters an application at the counter; a 全城通办 item stays with this station.
pub(super) async fn counter(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<CounterRequest>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<FiledDto>)> {
    let (id, no) = counter_file(&state, &ctx, &req).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(FiledDto { id, no })))
}

pub async fn counter_file(state: &AppState, ctx: &Ctx, req: &CounterRequest) -> ApiResult<(i64, String)> {
    let id = ningan_core::IdNumber::parse(req.id_number.trim(), ningan_core::time::today_cst())
        .map_err(|e| ApiError::field_from("id_number", e))?;
    let resident =
        state.db.resident_by_id_number(&ningan_store::Scope::everything(), id.as_str()).await?.ok_or_else(|| {
            ApiError::field("id_number", "未找到该公民的户籍登记", "no registered resident with this number")
        })?;
    if ctx.unit.kind != UnitKind::Station {
        return Err(ApiError::field("station", "窗口受理须在派出所账号下进行", "counter entry is made at a station"));
    }
    let item = state
        .db
        .service_item(&req.item)
        .await
        .map_err(|_| ApiError::field("item", "办事事项不存在", "no such item"))?;
    let station = if item.citywide { Some(ctx.unit.id) } else { None };
    let filed = file(state, &ctx.actor(), resident, &req.item, &req.details, station, "counter").await?;
    let home = state.db.resident_unit(resident).await?;
    if !item.citywide && home != ctx.unit.id {
        // Entered here for another station: it is routed there; the clerk sees the number.
        tracing::info!(item = %req.item, "application routed to the household station");
    }
    Ok(filed)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DecideRequest {
    /// accepted | approved | rejected
    pub status: String,
    #[serde(default)]
    pub note: String,
}

pub async fn decide(state: &AppState, ctx: &Ctx, id: i64, req: &DecideRequest) -> ApiResult<Application> {
    if !["accepted", "approved", "rejected"].contains(&req.status.as_str()) {
        return Err(ApiError::field(
            "status",
            "应为 accepted/approved/rejected",
            "status must be accepted, approved or rejected",
        ));
    }
    let note = req.note.trim();
    if req.status == "rejected" && note.chars().count() < 2 {
        return Err(ApiError::field("note", "不予办理须说明理由", "say why the application is refused"));
    }
    let mut w = state.db.write().await?;
    let app = w.application_decide(&ctx.actor(), &ctx.scope(), id, &req.status, note, &ctx.unit.name).await?;
    w.commit().await?;
    state.cockpit.invalidate();
    Ok(app)
}

pub(super) async fn decide_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<DecideRequest>,
) -> ApiResult<axum::Json<ApplicationDetailDto>> {
    decide(&state, &ctx, id, &req).await?;
    Ok(axum::Json(detail_in_scope(&state, &ctx, id).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RatingDto {
    pub unit_id: i64,
    pub unit_name: String,
    pub handled: i64,
    pub rated: i64,
    /// 1–5.
    pub average: f64,
    /// Ratings of 1 or 2 (差评).
    pub poor: i64,
}

pub(super) async fn ratings(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<RatingDto>>> {
    let rows = state.db.station_ratings(&ctx.scope()).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|r| RatingDto {
                unit_id: r.unit_id,
                unit_name: r.unit_name,
                handled: r.handled,
                rated: r.rated,
                average: r.average,
                poor: r.poor,
            })
            .collect(),
    ))
}
