//! The citizen portal: sign-in with a one-time code sent to the phone registered with the
//! bureau, the catalogue, applying, following an application and rating it, and the record of
//! every access to one's own data with the unit and purpose (officer names withheld), where an
//! access can be questioned.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ningan_store::PageRequest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::applications::{self, ApplicationDto, EventDto, event_dto};
use super::catalogue::{ItemDto, item_dto};
use super::error::{ServicesError, refuse};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path};
use crate::http::principal::{CITIZEN_COOKIE, Citizen};
use crate::http::rule::Rule;
use crate::secrets::sha256_hex;

const SESSION_HOURS: i64 = 2;

pub(super) fn code_hash(resident_id: i64, code: &str) -> String {
    sha256_hex(format!("ningan-citizen-code:{resident_id}:{}", code.trim()).as_bytes())
}

pub(super) fn limited(state: &AppState, addr: SocketAddr) -> Result<(), ApiError> {
    if state.portal_limiter.admit(addr.ip()) { Ok(()) } else { Err(ServicesError::TooManyAttempts.into()) }
}

pub(super) fn citizen_actor(c: &Citizen) -> ningan_store::Actor {
    ningan_store::Actor { name: format!("citizen:{}", c.resident_id), unit_id: None }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CodeRequest {
    #[schemars(extend("pattern" = crate::http::schema::ID_NUMBER_PATTERN, "format" = "gb11643", "examples" = [crate::http::schema::ID_NUMBER_EXAMPLE]))]
    pub id_number: String,
    /// The phone registered with the bureau.
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub phone: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CodeSent {
    pub message: String,
    /// Only in the demo (`portal.show_codes`): the code, since no SMS gateway is connected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo_code: Option<String>,
}

/// Sends a code when the number and phone match a registered resident; the answer is the
/// same either way, so the form reveals nobody's registration.
pub async fn send_code(state: &AppState, id_number: &str, phone: &str) -> ApiResult<CodeSent> {
    let id = ningan_core::IdNumber::parse(id_number.trim(), ningan_core::time::today_cst())
        .map_err(|e| ApiError::field_from("id_number", e))?;
    let phone = ningan_core::Phone::parse(phone).map_err(|e| ApiError::field_from("phone", e))?;
    let mut demo_code = None;
    if let Some(resident) = state.db.resident_for_sign_in(id.as_str(), phone.as_str()).await? {
        let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
        let text = format!("【宁波公安】您的登录验证码为{code}，5分钟内有效。如非本人操作，请忽略本短信。");
        let mut w = state.db.write().await?;
        w.citizen_code_issue(resident, phone.as_str(), &code_hash(resident, &code), &text).await?;
        w.commit().await?;
        if state.config.portal.show_codes {
            demo_code = Some(code);
        }
    }
    Ok(CodeSent { message: "如信息与户籍登记一致，验证码已发送至登记手机。".into(), demo_code })
}

pub(super) async fn code_api(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(req): Json<CodeRequest>,
) -> ApiResult<(StatusCode, axum::Json<CodeSent>)> {
    limited(&state, addr)?;
    Ok((StatusCode::ACCEPTED, axum::Json(send_code(&state, &req.id_number, &req.phone).await?)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SignInRequest {
    #[schemars(extend("pattern" = crate::http::schema::ID_NUMBER_PATTERN, "format" = "gb11643", "examples" = [crate::http::schema::ID_NUMBER_EXAMPLE]))]
    pub id_number: String,
    pub code: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SignedIn {
    /// Send as `X-CSRF-Token` on the portal's writes.
    pub csrf_token: String,
}

/// Checks the code and opens a session; returns the cookie header value and the CSRF token.
pub async fn sign_in(state: &AppState, id_number: &str, code: &str) -> ApiResult<(String, String)> {
    let wrong = || ApiError::from(ServicesError::SignInRefused);
    let id = ningan_core::IdNumber::parse(id_number.trim(), ningan_core::time::today_cst()).map_err(|_| wrong())?;
    let resident =
        state.db.resident_by_id_number(&ningan_store::Scope::everything(), id.as_str()).await?.ok_or_else(wrong)?;
    let mut w = state.db.write().await?;
    if !w.citizen_code_check(resident, &code_hash(resident, code)).await? {
        w.commit().await?;
        return Err(wrong());
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    let csrf = hex::encode(rand::random::<[u8; 16]>());
    let expires = ningan_core::time::now_ms() + SESSION_HOURS * 3_600_000;
    w.citizen_session_create(&sha256_hex(token.as_bytes()), resident, &csrf, expires).await?;
    w.commit().await?;
    let secure = if state.config.session.secure_cookie { "; Secure" } else { "" };
    let cookie = format!(
        "{CITIZEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    );
    Ok((cookie, csrf))
}

pub(super) async fn session_api(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(req): Json<SignInRequest>,
) -> ApiResult<Response> {
    limited(&state, addr)?;
    let (cookie, csrf_token) = sign_in(&state, &req.id_number, &req.code).await?;
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(SignedIn { csrf_token })).into_response())
}

pub(super) async fn catalogue(State(state): State<AppState>) -> ApiResult<axum::Json<Vec<ItemDto>>> {
    let facts = state.db.service_facts().await?;
    Ok(axum::Json(state.db.service_items(true).await?.into_iter().map(|i| item_dto(i, &facts)).collect()))
}

pub(super) async fn my_applications(
    State(state): State<AppState>,
    citizen: Citizen,
) -> ApiResult<axum::Json<Vec<ApplicationDto>>> {
    let now = ningan_core::time::now_ms();
    let apps = state.db.applications_of(citizen.resident_id).await?;
    Ok(axum::Json(apps.into_iter().map(|a| ApplicationDto::from_app(a, now)).collect()))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApplyRequest {
    pub item: String,
    #[serde(default)]
    pub details: BTreeMap<String, String>,
    /// For 全城通办 items: the station to handle it; the household station when absent.
    pub station_id: Option<i64>,
    /// Agreement to the facts being fetched from the agencies that hold them (recorded with
    /// every request).
    #[serde(default)]
    pub consent: bool,
}

pub(super) async fn apply_api(
    State(state): State<AppState>,
    citizen: Citizen,
    Json(req): Json<ApplyRequest>,
) -> ApiResult<(StatusCode, axum::Json<applications::FiledDto>)> {
    let filing = applications::Filing {
        citizen_signed: false,
        resident_id: citizen.resident_id,
        item_code: &req.item,
        details: &req.details,
        station: req.station_id,
        channel: "portal",
        consent: req.consent,
        origin: None,
    };
    let (id, no) = applications::file(&state, &citizen_actor(&citizen), filing).await?;
    Ok((StatusCode::CREATED, axum::Json(applications::FiledDto { id, no })))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MyApplicationDto {
    pub application: ApplicationDto,
    pub timeline: Vec<EventDto>,
    /// What was fetched about the citizen, to preview and, if wrong, reject.
    pub facts: Vec<super::exchange::FactView>,
    /// Identity changes and each agency's acknowledgement.
    pub changes: Vec<super::outbox::ChangeDto>,
}

pub(super) async fn my_application(state: &AppState, citizen: &Citizen, no: &str) -> ApiResult<MyApplicationDto> {
    let app = state.db.application_by_no(no).await?;
    if app.resident_id != citizen.resident_id {
        return Err(ServicesError::NotFound.into());
    }
    let timeline = state.db.application_events(app.id).await?.into_iter().map(event_dto).collect();
    let facts = super::exchange::fact_views(state, app.id, false).await?;
    let changes = super::outbox::changes_of(state, app.id).await?;
    Ok(MyApplicationDto {
        application: ApplicationDto::from_app(app, ningan_core::time::now_ms()),
        timeline,
        facts,
        changes,
    })
}

pub(super) async fn my_application_api(
    State(state): State<AppState>,
    citizen: Citizen,
    Path(no): Path<String>,
) -> ApiResult<axum::Json<MyApplicationDto>> {
    Ok(axum::Json(my_application(&state, &citizen, &no).await?))
}

pub(super) async fn reject_fact(state: &AppState, citizen: &Citizen, no: &str, fact: &str) -> ApiResult<()> {
    let app = state.db.application_by_no(no).await?;
    if app.resident_id != citizen.resident_id {
        return Err(ServicesError::NotFound.into());
    }
    let mut w = state.db.write().await?;
    w.fact_reject_by_citizen(citizen.resident_id, app.id, fact).await?;
    w.commit().await?;
    Ok(())
}

/// The citizen rejects a fetched fact: it is not used, and a clerk checks it by hand within 24 h.
pub(super) async fn reject_fact_api(
    State(state): State<AppState>,
    citizen: Citizen,
    Path((no, fact)): Path<(String, String)>,
) -> ApiResult<axum::Json<MyApplicationDto>> {
    reject_fact(&state, &citizen, &no, &fact).await?;
    Ok(axum::Json(my_application(&state, &citizen, &no).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RateRequest {
    /// 1 (非常不满意) to 5 (非常满意).
    pub rating: i64,
    #[serde(default)]
    pub comment: String,
}

pub(super) async fn rate(state: &AppState, citizen: &Citizen, no: &str, req: &RateRequest) -> ApiResult<()> {
    if !(1..=5).contains(&req.rating) {
        return Err(refuse("rating", Rule::Range(1, 5)));
    }
    if req.comment.chars().count() > 500 {
        return Err(refuse("comment", Rule::TooLong(500)));
    }
    let mut w = state.db.write().await?;
    w.application_rate(citizen.resident_id, no, req.rating, req.comment.trim()).await?;
    w.commit().await?;
    Ok(())
}

pub(super) async fn rate_api(
    State(state): State<AppState>,
    citizen: Citizen,
    Path(no): Path<String>,
    Json(req): Json<RateRequest>,
) -> ApiResult<StatusCode> {
    rate(&state, &citizen, &no, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AccessDto {
    pub seq: i64,
    pub at: String,
    /// The unit that looked; officers' names are withheld.
    pub unit: String,
    pub unit_en: String,
    pub what: String,
    pub what_en: String,
    pub purpose: Option<String>,
    pub flagged: bool,
    /// The auditor's answer to the question raised, once given.
    pub finding: Option<String>,
}

/// What an audited action means to the person it concerns, in Chinese and English.
pub fn access_label(action: &str) -> (&'static str, &'static str) {
    let zh = access_zh(action);
    let en = match action {
        "resident.view" => "Viewed your household record",
        "resident.reveal" => "Viewed your full identity details",
        "resident.search" | "resident.list" => "Found you in a search or list",
        "resident.create" => "Registered your household record",
        "resident.update" | "resident.label" => "Updated your record",
        "application.create" => "Filed an application",
        "application.list" => "Listed your application",
        "application.decide" => "Decided on your application",
        "fraud.subject.reveal" => "Viewed your phone number to warn you about fraud",
        "fraud.warning" => "Fraud warning",
        "fraud.task.outcome" => "Recorded a fraud dissuasion",
        "fraud.case" => "Registered a fraud case",
        "case.list" | "case.view" | "case.create" => "Epidemic case work",
        _ => "Other access",
    };
    (zh, en)
}

/// What an audited action means to the person it concerns.
pub fn access_zh(action: &str) -> &'static str {
    match action {
        "resident.list" => "在查询结果或名单中显示",
        "application.list" => "在办事申请列表中显示",
        "case.list" | "case.view" | "case.create" => "疫情防控病例工作",
        "resident.view" => "查看户籍信息",
        "resident.reveal" => "查看完整身份信息",
        "resident.search" => "人口查询",
        "resident.create" => "登记户籍信息",
        "resident.update" | "resident.label" => "更新人口信息",
        "application.create" => "提交办事申请",
        "application.decide" => "审批办事申请",
        "fraud.subject.reveal" => "反诈劝阻查看手机号",
        "fraud.warning" => "反诈预警",
        "fraud.task.outcome" => "反诈劝阻处置",
        "fraud.case" => "电诈案件登记",
        _ => "其他访问",
    }
}

pub async fn accesses(state: &AppState, citizen: &Citizen, page: Option<i64>) -> ApiResult<PageDto<AccessDto>> {
    let p = state.db.accesses_to(citizen.resident_id, PageRequest::new(page, Some(50))).await?;
    Ok(PageDto::from_page(p, |e| AccessDto {
        seq: e.seq,
        at: ts(e.at),
        unit: e.unit_name.clone().unwrap_or_else(|| "系统".into()),
        unit_en: e.unit_name_en.clone().unwrap_or_else(|| "System".into()),
        what: access_label(&e.action).0.into(),
        what_en: access_label(&e.action).1.into(),
        purpose: e.purpose,
        flagged: e.flagged,
        finding: e.finding,
    }))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PageQuery {
    pub page: Option<i64>,
}

pub(super) async fn accesses_api(
    State(state): State<AppState>,
    citizen: Citizen,
    crate::http::json::Query(q): crate::http::json::Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<AccessDto>>> {
    Ok(axum::Json(accesses(&state, &citizen, q.page).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FlagRequest {
    pub reason: String,
}

pub(super) async fn flag(state: &AppState, citizen: &Citizen, seq: i64, reason: &str) -> ApiResult<i64> {
    let reason = reason.trim();
    if !(2..=500).contains(&reason.chars().count()) {
        return Err(refuse("reason", Rule::Reason(2, 500)));
    }
    let mut w = state.db.write().await?;
    let id = w.access_flag(citizen.resident_id, seq, reason).await.map_err(|e| match e {
        ningan_store::StoreError::Conflict(_) => ServicesError::AlreadyFlagged,
        e => ServicesError::Store(e),
    })?;
    w.commit().await?;
    Ok(id)
}

pub(super) async fn flag_api(
    State(state): State<AppState>,
    citizen: Citizen,
    Path(seq): Path<i64>,
    Json(req): Json<FlagRequest>,
) -> ApiResult<(StatusCode, axum::Json<serde_json::Value>)> {
    let id = flag(&state, &citizen, seq, &req.reason).await?;
    Ok((StatusCode::CREATED, axum::Json(serde_json::json!({ "id": id }))))
}
