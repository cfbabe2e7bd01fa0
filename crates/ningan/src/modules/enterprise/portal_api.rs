//! The 11087 portal's API, for enterprises: sign in with a code, invite colleagues (the
//! administrator), file requests, follow them and rate the outcome, read the bureau's notices.
//! An enterprise sees only its own requests and the notices addressed to it.

use std::net::SocketAddr;

use crate::http::json::Query;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ningan_store::PageRequest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::api::{EventDto, RequestDto};
use super::attach::Upload;
use super::model::{self, Stage};
use super::portal::{self as session, Member, MemberWrite};
use super::store::{enterprises, portal, requests};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::json::{Json, Path};

/// Sign-in attempts per client address, shared with the citizen portal's allowance.
pub fn limited(state: &AppState, addr: SocketAddr) -> Result<(), ApiError> {
    if state.portal_limiter.admit(addr.ip()) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::TooManyAttempts,
            "操作过于频繁，请一分钟后再试",
            "too many attempts; wait a minute",
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CodeRequest {
    /// The enterprise's unified social credit code (GB 32100: 18 characters, check digit last).
    #[schemars(schema_with = "crate::http::schema::uscc")]
    pub uscc: String,
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub phone: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CodeSent {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo_code: Option<String>,
}

pub async fn code(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(req): Json<CodeRequest>,
) -> ApiResult<(StatusCode, axum::Json<CodeSent>)> {
    limited(&state, addr)?;
    let demo_code = session::send_code(&state, &req.uscc, &req.phone).await?;
    let message =
        "如信用代码与手机号已开通企业账号，验证码已发送。 / If the code and phone have an account, a code was sent.";
    Ok((StatusCode::ACCEPTED, axum::Json(CodeSent { message: message.into(), demo_code })))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SignInRequest {
    /// The enterprise's unified social credit code (GB 32100: 18 characters, check digit last).
    #[schemars(schema_with = "crate::http::schema::uscc")]
    pub uscc: String,
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub phone: String,
    pub code: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SignedIn {
    /// Send as `X-CSRF-Token` on the portal's writes.
    pub csrf_token: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(req): Json<SignInRequest>,
) -> ApiResult<Response> {
    limited(&state, addr)?;
    let (cookie, csrf_token) = session::sign_in(&state, &req.uscc, &req.phone, &req.code).await?;
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(SignedIn { csrf_token })).into_response())
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MeDto {
    pub enterprise: String,
    /// The enterprise's unified social credit code (GB 32100: 18 characters, check digit last).
    #[schemars(schema_with = "crate::http::schema::uscc")]
    pub uscc: String,
    pub account: String,
    pub is_admin: bool,
    /// The liaison officer and their unit, as the enterprise may reach them.
    pub liaison: Option<String>,
    /// The liaison officer's work phone.
    pub liaison_phone: Option<String>,
    pub station: String,
}

pub async fn me(State(state): State<AppState>, m: Member) -> ApiResult<axum::Json<MeDto>> {
    let e = enterprises::get_any(&state.db, m.account.enterprise_id).await?;
    let liaison_phone = match e.officer_id {
        Some(o) => enterprises::work_phone(&state.db, o).await?,
        None => None,
    };
    Ok(axum::Json(MeDto {
        liaison_phone,
        enterprise: e.name,
        uscc: e.uscc,
        account: m.account.name,
        is_admin: m.account.is_admin,
        liaison: e.officer_name,
        station: e.unit_name,
    }))
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct InviteRequest {
    pub name: String,
    pub phone: String,
}

pub async fn invite(
    State(state): State<AppState>,
    MemberWrite(m): MemberWrite,
    Json(req): Json<InviteRequest>,
) -> ApiResult<StatusCode> {
    invite_colleague(&state, &m, &req).await?;
    Ok(StatusCode::CREATED)
}

/// The enterprise's administrator opens an account for a colleague.
pub async fn invite_colleague(state: &AppState, m: &Member, req: &InviteRequest) -> ApiResult<()> {
    if !m.account.is_admin {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "仅企业管理员可邀请同事",
            "only the enterprise's administrator invites colleagues",
        ));
    }
    let name = ningan_core::text::person_name(&req.name).map_err(|e| ApiError::field_from("name", e))?;
    let phone = ningan_core::Phone::parse(&req.phone).map_err(|e| ApiError::field_from("phone", e))?;
    let mut w = state.db.write().await?;
    portal::account_insert(
        &mut w,
        &m.actor(),
        m.account.enterprise_id,
        name.as_str(),
        phone.as_str(),
        false,
        ningan_core::time::now_ms(),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct NewRequestBody {
    pub category: String,
    pub title: String,
    pub body: String,
    /// Photos (JPEG, PNG) or PDF scans, at most three of 1 MB each.
    #[serde(default)]
    pub attachments: Vec<AttachmentIn>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct AttachmentIn {
    pub name: String,
    /// The file, base64-encoded.
    pub content_base64: String,
}

/// Files a request at the enterprise's station with its attachments (`files`, plus any sent
/// base64-encoded in `req`), all checked before anything is written; returns its id and number.
pub async fn file_request(
    state: &AppState,
    m: &Member,
    req: &NewRequestBody,
    files: Vec<Upload>,
) -> ApiResult<(i64, String)> {
    use base64::Engine as _;
    let mut files = files;
    for a in &req.attachments {
        let bytes = base64::engine::general_purpose::STANDARD.decode(a.content_base64.trim()).map_err(|_| {
            super::error::refuse("files", "附件内容不是有效的 base64", "an attachment is not valid base64")
        })?;
        files.push(Upload { name: a.name.clone(), bytes });
    }
    let checked = super::attach::check(&files)?;
    let category = model::category(req.category.trim()).ok_or_else(|| {
        super::error::refuse(
            "category",
            "请选择诉求类别",
            "category must be security_risk, dispute, fraud, licence, workforce or other",
        )
    })?;
    let title = ningan_core::text::line(&req.title, 4, 100).map_err(|e| ApiError::field_from("title", e))?;
    let body = ningan_core::text::note(&req.body, 5000).map_err(|e| ApiError::field_from("body", e))?;
    if body.as_str().chars().count() < 10 {
        return Err(super::error::refuse(
            "body",
            "请具体描述诉求（至少10字）",
            "describe the request in at least 10 characters",
        ));
    }
    let e = enterprises::get_any(&state.db, m.account.enterprise_id).await?;
    let now = ningan_core::time::now_ms();
    let new = requests::NewRequest {
        enterprise_id: e.id,
        category: category.code.into(),
        title: title.into_string(),
        body: body.into_string(),
        unit_id: e.unit_id,
        unit_path: e.unit_path,
        deadline: Stage::Submitted.deadline(category, now),
    };
    let mut w = state.db.write().await?;
    let filed = requests::insert(&mut w, &m.actor(), &new, now).await?;
    for (f, kind) in checked {
        super::store::attachments::insert(&mut w, filed.0, &f.name, kind, &f.bytes, now).await?;
    }
    w.commit().await?;
    Ok(filed)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Filed {
    pub id: i64,
    pub no: String,
}

pub async fn create_request(
    State(state): State<AppState>,
    MemberWrite(m): MemberWrite,
    Json(req): Json<NewRequestBody>,
) -> ApiResult<(StatusCode, axum::Json<Filed>)> {
    let (id, no) = file_request(&state, &m, &req, Vec::new()).await?;
    Ok((StatusCode::CREATED, axum::Json(Filed { id, no })))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn my_requests(
    State(state): State<AppState>,
    m: Member,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<RequestDto>>> {
    let now = ningan_core::time::now_ms();
    let page =
        requests::of_enterprise(&state.db, m.account.enterprise_id, PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, |r| RequestDto::new(r, false, now))))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MyRequestDto {
    pub request: RequestDto,
    pub events: Vec<EventDto>,
    pub attachments: Vec<AttachmentDto>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AttachmentDto {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

pub fn attachment_dto(a: super::store::attachments::Attachment) -> AttachmentDto {
    AttachmentDto { id: a.id, name: a.name, content_type: a.content_type, size: a.size }
}

/// An attachment of one of this enterprise's requests.
pub async fn attachment(State(state): State<AppState>, m: Member, Path(id): Path<i64>) -> ApiResult<Response> {
    let (a, bytes) = super::store::attachments::get(&state.db, id).await?;
    requests::get_for_enterprise(&state.db, m.account.enterprise_id, a.request_id).await?;
    Ok(super::attach::serve(&a, bytes))
}

/// An event as the enterprise sees it: which tier did what, never which officer.
fn public_event(e: requests::Event) -> EventDto {
    let actor = if e.actor.starts_with("enterprise:") { "企业 / enterprise" } else { "公安机关 / police" };
    EventDto { at: ts(e.at), actor: actor.into(), kind: e.kind, tier: e.tier, note: e.note }
}

pub async fn my_request(
    State(state): State<AppState>,
    m: Member,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<MyRequestDto>> {
    let r = requests::get_for_enterprise(&state.db, m.account.enterprise_id, id).await?;
    let events = requests::events(&state.db, id).await?;
    let attachments = super::store::attachments::of_request(&state.db, id).await?;
    Ok(axum::Json(MyRequestDto {
        request: RequestDto::new(r, false, ningan_core::time::now_ms()),
        events: events.into_iter().map(public_event).collect(),
        attachments: attachments.into_iter().map(attachment_dto).collect(),
    }))
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct RatingBody {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub rating: i64,
    #[serde(default)]
    pub note: String,
}

pub async fn rate_request(state: &AppState, m: &Member, id: i64, body: &RatingBody) -> ApiResult<()> {
    if !(1..=5).contains(&body.rating) {
        return Err(super::error::refuse("rating", "请选择1–5星", "rating must be 1 to 5"));
    }
    let note = ningan_core::text::note(&body.note, 500).map_err(|e| ApiError::field_from("note", e))?;
    let r = requests::get_for_enterprise(&state.db, m.account.enterprise_id, id).await?;
    if r.stage != Stage::Closed.as_str() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "诉求办结后才能评价",
            "a request can be rated once it is closed",
        ));
    }
    let now = ningan_core::time::now_ms();
    let m2 = requests::Move {
        stage: Stage::Evaluated.as_str().into(),
        tier: r.tier.clone(),
        unit_id: r.unit_id,
        unit_path: r.unit_path.clone(),
        deadline: r.deadline,
        reply: None,
        supervised_at: r.supervised_at,
        closed_at: None,
        rating: Some((body.rating, note.as_str().to_string())),
    };
    let mut w = state.db.write().await?;
    requests::apply(
        &mut w,
        &m.actor(),
        id,
        (&r.stage, &r.tier),
        &m2,
        "rated",
        &format!("{}★ {}", body.rating, note.as_str()),
        now,
    )
    .await?;
    w.commit().await?;
    Ok(())
}

pub async fn rate(
    State(state): State<AppState>,
    MemberWrite(m): MemberWrite,
    Path(id): Path<i64>,
    Json(body): Json<RatingBody>,
) -> ApiResult<StatusCode> {
    rate_request(&state, &m, id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct NoticeDto {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub created_at: String,
}

pub async fn notices(
    State(state): State<AppState>,
    m: Member,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<NoticeDto>>> {
    let e = enterprises::get_any(&state.db, m.account.enterprise_id).await?;
    let district = crate::modules::cockpit::panels::district_of(&e.unit_path).map(i64::from).unwrap_or(0);
    let page = portal::notices_for(&state.db, district, &e.industry, PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, |n| NoticeDto {
        id: n.id,
        title: n.title,
        body: n.body,
        created_at: ts(n.created_at),
    })))
}
