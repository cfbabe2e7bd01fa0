//! The officers' API: the register, liaison assignment, the contact log and due list, and the
//! 11087 requests board with its actions. Contact phones are masked: the liaison officer
//! reaches the enterprise through its accounts, and nothing in an answer shows a whole number.

use crate::http::json::Query;
use axum::extract::State;
use axum::http::StatusCode;
use ningan_core::Action;
use ningan_store::PageRequest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::{self, Stage, Tier};
use super::service::{self, EnterpriseInput, RequestAction};
use super::store::{enterprises, portal, requests};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;

#[derive(Debug, Serialize, JsonSchema)]
pub struct EnterpriseDto {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub industry: String,
    pub industry_name: String,
    pub size: String,
    pub key_enterprise: bool,
    pub contact_name: String,
    /// Masked.
    pub contact_phone: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub officer_id: Option<i64>,
    pub officer_name: Option<String>,
    pub last_contact_at: Option<String>,
    pub last_visit_at: Option<String>,
    pub next_due_at: String,
    pub overdue: bool,
}

impl EnterpriseDto {
    pub fn new(e: enterprises::Enterprise, en: bool, now: i64) -> EnterpriseDto {
        let industry_name =
            model::named(model::INDUSTRIES, &e.industry).map(|n| if en { n.2 } else { n.1 }).unwrap_or("");
        EnterpriseDto {
            id: e.id,
            industry_name: industry_name.to_string(),
            contact_phone: ningan_core::Phone::parse(&e.contact_phone)
                .map(|p| p.masked())
                .unwrap_or_else(|_| "***".into()),
            unit_name: if en { e.unit_name_en } else { e.unit_name },
            last_contact_at: e.last_contact_at.map(ts),
            last_visit_at: e.last_visit_at.map(ts),
            next_due_at: ts(e.next_due_at),
            overdue: e.next_due_at < now,
            uscc: e.uscc,
            name: e.name,
            address: e.address,
            lon: e.lon,
            lat: e.lat,
            industry: e.industry,
            size: e.size,
            key_enterprise: e.key_enterprise,
            contact_name: e.contact_name,
            unit_id: e.unit_id,
            officer_id: e.officer_id,
            officer_name: e.officer_name,
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<EnterpriseInput>,
) -> ApiResult<(StatusCode, axum::Json<EnterpriseDto>)> {
    let id = service::register(&state, &ctx, &input).await?;
    let e = enterprises::get(&state.db, &ctx.scope(), id).await?;
    Ok((StatusCode::CREATED, axum::Json(EnterpriseDto::new(e, ctx.language() == "en", ningan_core::time::now_ms()))))
}

/// The due list shows what falls due within this many days, and everything overdue.
pub const DUE_WINDOW_DAYS: i64 = 3;

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListQuery {
    pub q: Option<String>,
    pub industry: Option<String>,
    /// `1`: key enterprises only.
    pub key: Option<String>,
    /// `1`: only those whose contact or visit is due.
    pub due: Option<String>,
    /// `1`: only mine (as liaison officer).
    pub mine: Option<String>,
    /// `1`: only those late for a contact or visit, by the viewer's tier's grace.
    #[serde(default)]
    pub late: Option<String>,
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl ListQuery {
    pub fn query(&self, ctx: &Ctx, now: i64) -> enterprises::EnterpriseQuery {
        let on = |v: &Option<String>| v.as_deref() == Some("1");
        enterprises::EnterpriseQuery {
            q: self.q.clone(),
            industry: self.industry.clone().filter(|i| model::named(model::INDUSTRIES, i).is_some()),
            key_only: on(&self.key),
            officer_id: if on(&self.mine) { ctx.user().map(|u| u.id) } else { None },
            due_before: if on(&self.late) {
                Some(now - model::late_grace(service::tier_of(&ctx.unit)))
            } else {
                on(&self.due).then_some(now + DUE_WINDOW_DAYS * model::DAY)
            },
            sort: self.sort.clone().or_else(|| (on(&self.due) || on(&self.late)).then(|| "due".to_string())),
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<EnterpriseDto>>> {
    let now = ningan_core::time::now_ms();
    let page =
        enterprises::search(&state.db, &ctx.scope(), &q.query(&ctx, now), PageRequest::new(q.page, q.per_page)).await?;
    let en = ctx.language() == "en";
    Ok(axum::Json(PageDto::from_page(page, |e| EnterpriseDto::new(e, en, now)).capped_at(super::store::COUNT_CAP)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FileEntryDto {
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub text: String,
    pub extra: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EnterpriseDetailDto {
    pub enterprise: EnterpriseDto,
    /// Contacts, visits, liaison changes and requests, newest first.
    pub file: Vec<FileEntryDto>,
    pub accounts: usize,
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<EnterpriseDetailDto>> {
    let e = enterprises::get(&state.db, &ctx.scope(), id).await?;
    let file = enterprises::file(&state.db, id, 200).await?;
    let accounts = portal::accounts_of(&state.db, id).await?.len();
    Ok(axum::Json(EnterpriseDetailDto {
        enterprise: EnterpriseDto::new(e, ctx.language() == "en", ningan_core::time::now_ms()),
        file: file
            .into_iter()
            .map(|f| FileEntryDto { at: ts(f.at), kind: f.kind, actor: f.actor, text: f.text, extra: f.extra })
            .collect(),
        accounts,
    }))
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct AssignRequest {
    pub officer_id: i64,
    #[schemars(schema_with = "crate::http::schema::note_2_200")]
    pub reason: String,
    /// The officer's work phone, shown to the enterprise (kept for all their enterprises).
    #[serde(default)]
    #[schemars(regex(pattern = r"^\s*(?=(?:-*[0-9]){7,12}-*\s*$)[0-9][0-9-]*\s*$"), extend("examples" = ["0574-87654321"]))]
    pub work_phone: Option<String>,
}

pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<AssignRequest>,
) -> ApiResult<StatusCode> {
    assign_officer(&state, &ctx, id, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn assign_officer(state: &AppState, ctx: &Ctx, id: i64, req: &AssignRequest) -> ApiResult<()> {
    let reason = ningan_core::text::note(&req.reason, 200).map_err(|e| ApiError::field_from("reason", e))?;
    if reason.as_str().chars().count() < 2 {
        return Err(super::error::refuse("reason", "请说明理由", "state a reason"));
    }
    let e = enterprises::get(&state.db, &ctx.scope(), id).await?;
    service::check_officer(state, &ningan_store::Scope::subtree(&e.unit_path), req.officer_id).await?;
    let phone = req.work_phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if phone.is_some_and(|p| !enterprises::valid_work_phone(p)) {
        return Err(super::error::refuse(
            "work_phone",
            "工作电话格式无效（如 0574-87654321）",
            "a work phone looks like 0574-87654321",
        ));
    }
    let mut w = state.db.write().await?;
    enterprises::assign(
        &mut w,
        &ctx.actor(),
        &ctx.scope(),
        id,
        req.officer_id,
        reason.as_str(),
        ningan_core::time::now_ms(),
    )
    .await?;
    if let Some(p) = phone {
        enterprises::work_phone_set(&mut w, req.officer_id, p).await?;
    }
    w.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ContactRequest {
    /// `contact` or `visit`.
    #[schemars(extend("enum" = ["contact", "visit"]))]
    pub kind: String,
    /// RFC 3339; now when absent.
    #[serde(default)]
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub at: Option<String>,
    #[schemars(schema_with = "crate::http::schema::line_2_500")]
    pub topics: String,
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::note_0_2000")]
    pub problems: String,
}

pub async fn contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<ContactRequest>,
) -> ApiResult<StatusCode> {
    log_contact(&state, &ctx, id, &req).await?;
    Ok(StatusCode::CREATED)
}

pub async fn log_contact(state: &AppState, ctx: &Ctx, id: i64, req: &ContactRequest) -> ApiResult<i64> {
    let Some(user) = ctx.user() else {
        return Err(ApiError::plain(crate::http::error::ErrorCode::Forbidden));
    };
    if !matches!(req.kind.as_str(), "contact" | "visit") {
        return Err(super::error::refuse("kind", "请选择联系或走访", "kind must be contact or visit"));
    }
    let now = ningan_core::time::now_ms();
    let at = match req.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .map_err(|_| super::error::refuse("at", "时间格式无效（RFC 3339）", "at must be RFC 3339"))?,
        None => now,
    };
    if at > now + 5 * 60_000 || at < now - 365 * model::DAY {
        let rule = crate::http::rule::Rule::context("时间须在过去一年内", "at must be within the past year");
        return Err(rule.refuse("enterprise", "at"));
    }
    let topics = ningan_core::text::line(&req.topics, 2, 500).map_err(|e| ApiError::field_from("topics", e))?;
    let problems = ningan_core::text::note(&req.problems, 2000).map_err(|e| ApiError::field_from("problems", e))?;
    let mut w = state.db.write().await?;
    let new = enterprises::NewContact {
        enterprise_id: id,
        officer_id: user.id,
        kind: req.kind.clone(),
        at,
        topics: topics.into_string(),
        problems: problems.into_string(),
    };
    let cid = enterprises::contact_insert(&mut w, &ctx.actor(), &ctx.scope(), &new, now).await?;
    w.commit().await?;
    Ok(cid)
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct AccountRequest {
    #[schemars(schema_with = "crate::http::schema::line_1_64")]
    pub name: String,
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub phone: String,
}

/// The bureau opens an enterprise's first portal account (its administrator).
pub async fn account(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<AccountRequest>,
) -> ApiResult<StatusCode> {
    enterprises::get(&state.db, &ctx.scope(), id).await?;
    let name = ningan_core::text::person_name(&req.name).map_err(|e| ApiError::field_from("name", e))?;
    let phone = ningan_core::Phone::parse(&req.phone).map_err(|e| ApiError::field_from("phone", e))?;
    let mut w = state.db.write().await?;
    portal::account_insert(&mut w, &ctx.actor(), id, name.as_str(), phone.as_str(), true, ningan_core::time::now_ms())
        .await?;
    w.commit().await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RequestDto {
    pub id: i64,
    pub no: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub category: String,
    pub category_name: String,
    pub title: String,
    pub body: String,
    pub stage: String,
    pub stage_name: String,
    pub tier: String,
    pub tier_name: String,
    pub unit_name: String,
    pub deadline: String,
    pub overdue: bool,
    pub supervised: bool,
    pub reply: Option<String>,
    pub rating: Option<i64>,
    pub rating_note: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
}

impl RequestDto {
    pub fn new(r: requests::Request, en: bool, now: i64) -> RequestDto {
        let stage = Stage::parse(&r.stage);
        let category_name = model::category(&r.category).map(|c| if en { c.en } else { c.zh }).unwrap_or("");
        RequestDto {
            id: r.id,
            no: r.no,
            enterprise_id: r.enterprise_id,
            enterprise_name: r.enterprise_name,
            category_name: category_name.to_string(),
            category: r.category,
            title: r.title,
            body: r.body,
            stage_name: stage.map(|s| s.label(en)).unwrap_or("").to_string(),
            overdue: stage.is_some_and(Stage::open) && r.deadline < now,
            stage: r.stage,
            tier_name: Tier::parse(&r.tier).map(|t| t.label(en)).unwrap_or("").to_string(),
            tier: r.tier,
            unit_name: if en { r.unit_name_en } else { r.unit_name },
            deadline: ts(r.deadline),
            supervised: r.supervised_at.is_some(),
            reply: r.reply,
            rating: r.rating,
            rating_note: r.rating_note,
            created_at: ts(r.created_at),
            closed_at: r.closed_at.map(ts),
        }
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct BoardQuery {
    pub stage: Option<String>,
    pub tier: Option<String>,
    pub category: Option<String>,
    /// `1`: only overdue ones (the supervision view).
    pub overdue: Option<String>,
    /// `1`: only those handled by this unit now.
    pub here: Option<String>,
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl BoardQuery {
    pub fn query(&self, now: i64) -> requests::RequestQuery {
        requests::RequestQuery {
            stage: self.stage.clone().filter(|s| Stage::parse(s).is_some()),
            tier: self.tier.clone().filter(|t| Tier::parse(t).is_some()),
            category: self.category.clone().filter(|c| model::category(c).is_some()),
            overdue_at: (self.overdue.as_deref() == Some("1")).then_some(now),
            handled_here: self.here.as_deref() == Some("1"),
            q: self.q.clone(),
        }
    }
}

pub async fn board(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<BoardQuery>,
) -> ApiResult<axum::Json<PageDto<RequestDto>>> {
    let now = ningan_core::time::now_ms();
    let page = requests::search(&state.db, &ctx.scope(), &q.query(now), PageRequest::new(q.page, q.per_page)).await?;
    let en = ctx.language() == "en";
    Ok(axum::Json(PageDto::from_page(page, |r| RequestDto::new(r, en, now)).capped_at(super::store::COUNT_CAP)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EventDto {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub tier: String,
    pub note: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RequestDetailDto {
    pub request: RequestDto,
    pub events: Vec<EventDto>,
    pub attachments: Vec<super::portal_api::AttachmentDto>,
    /// What the caller may do next.
    pub actions: Vec<String>,
}

pub async fn request_detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<RequestDetailDto>> {
    let now = ningan_core::time::now_ms();
    let r = requests::get(&state.db, &ctx.scope(), id).await?;
    let actions = if ctx.may(Action::EnterpriseWork) {
        service::actions_for(&r, &ctx.unit, now).iter().map(|a| a.as_str().to_string()).collect()
    } else {
        Vec::new()
    };
    let events = requests::events(&state.db, id).await?;
    let attachments = super::store::attachments::of_request(&state.db, id).await?;
    Ok(axum::Json(RequestDetailDto {
        attachments: attachments.into_iter().map(super::portal_api::attachment_dto).collect(),
        request: RequestDto::new(r, ctx.language() == "en", now),
        events: events
            .into_iter()
            .map(|e| EventDto { at: ts(e.at), actor: e.actor, kind: e.kind, tier: e.tier, note: e.note })
            .collect(),
        actions,
    }))
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ActRequest {
    /// accept, assign, reply, close, escalate, return or supervise.
    #[schemars(schema_with = "request_actions")]
    pub action: String,
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::note_0_2000")]
    pub note: String,
}

pub async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<ActRequest>,
) -> ApiResult<StatusCode> {
    let action = RequestAction::parse(&req.action).ok_or_else(|| {
        super::error::refuse(
            "action",
            "无此操作",
            "action must be accept, assign, reply, close, escalate, return or supervise",
        )
    })?;
    service::act(&state, &ctx, id, action, &req.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn request_actions(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(super::service::RequestAction::ALL.iter().map(|a| a.as_str()))
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct NoticeRequest {
    #[schemars(schema_with = "crate::http::schema::line_4_100")]
    pub title: String,
    #[schemars(schema_with = "crate::http::schema::note_0_5000")]
    pub body: String,
    /// A district code (GB/T 2260) to address only its enterprises.
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::district_code")]
    pub district: Option<i64>,
    /// A GB/T 4754 section to address only its enterprises.
    #[serde(default)]
    #[schemars(schema_with = "super::service::industries")]
    pub industry: Option<String>,
}

pub async fn notice(State(state): State<AppState>, ctx: Ctx, Json(req): Json<NoticeRequest>) -> ApiResult<StatusCode> {
    send_notice(&state, &ctx, &req).await?;
    Ok(StatusCode::CREATED)
}

/// Sends a notice to the enterprises of a district and/or industry (all when neither); a
/// district branch addresses its own district only.
pub async fn send_notice(state: &AppState, ctx: &Ctx, req: &NoticeRequest) -> ApiResult<()> {
    let title = ningan_core::text::line(&req.title, 4, 100).map_err(|e| ApiError::field_from("title", e))?;
    let body = ningan_core::text::note(&req.body, 5000).map_err(|e| ApiError::field_from("body", e))?;
    if let Some(d) = req.district
        && !ningan_core::DISTRICTS.iter().any(|x| i64::from(x.code) == d)
    {
        return Err(super::error::refuse(
            "district",
            "无此区县",
            "district must be one of Ningbo's ten district codes",
        ));
    }
    // A district branch addresses its own district only; the city bureau any.
    if let Some(own) = crate::modules::cockpit::panels::district_of(&ctx.unit.path)
        && req.district != Some(i64::from(own))
    {
        let rule = crate::http::rule::Rule::context(
            "分局只能向本区企业发布",
            "a district branch notifies its own district only",
        );
        return Err(rule.refuse("enterprise", "district"));
    }
    let industry = req.industry.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(i) = industry
        && model::named(model::INDUSTRIES, i).is_none()
    {
        return Err(super::error::refuse("industry", "行业门类无效", "industry must be a GB/T 4754 section A–T"));
    }
    let mut w = state.db.write().await?;
    portal::notice_insert(
        &mut w,
        &ctx.actor(),
        title.as_str(),
        body.as_str(),
        req.district,
        industry,
        (ctx.unit.id, &ctx.unit.path),
        ningan_core::time::now_ms(),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

/// Imports the register from the request body: CSV (`text/csv`) or XLSX.
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<super::import::ImportReport>> {
    let ct = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = super::import::Format::detect(ct, "")
        .ok_or_else(|| super::error::refuse("file", "请上传 CSV 或 XLSX 文件", "send a CSV (text/csv) or XLSX file"))?;
    Ok(axum::Json(super::import::import(&state, &ctx, &body, format).await?))
}

/// An attachment of a request the officer may see.
pub async fn attachment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    let (a, bytes) = super::store::attachments::get(&state.db, id).await?;
    requests::get(&state.db, &ctx.scope(), a.request_id).await?;
    Ok(super::attach::serve(&a, bytes))
}
