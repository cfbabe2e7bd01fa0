//! The 11087 portal's pages (`/enterprise`), phone first: signing in with a texted code, the
//! enterprise's requests with their progress, filing one, rating a closed one, and the
//! bureau's notices. Errors are pages in the portal's frame and language.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ningan_store::PageRequest;
use serde::{Deserialize, Serialize};

use super::api::{EventDto, RequestDto};
use super::model::{self, Stage, Tier};
use super::portal::{self as session, MaybeMember, Member, MemberForm, MemberMultipart};
use super::portal_api::{self, NewRequestBody, NoticeDto, RatingBody};
use super::store::{enterprises, portal, requests};
use crate::app::AppState;
use crate::http::json::Path;
use crate::web::lang::Lang;
use crate::web::{FormState, PageResult, Tr, html, url_encode};

/// The portal's frame: language switch back to this page, and the member's CSRF token.
pub struct EFrame {
    pub tr: Tr,
    pub here: String,
    pub csrf: Option<String>,
}

impl EFrame {
    fn new(tr: Tr, m: Option<&Member>, here: &str) -> EFrame {
        EFrame { tr, here: here.to_string(), csrf: m.map(|m| m.csrf_token.clone()) }
    }

    pub fn lang_href(&self) -> String {
        format!("/language/{}?next={}", self.tr.other_lang(), url_encode(&self.here))
    }

    pub fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "enterprise/portal_login.html")]
struct LoginPage {
    frame: EFrame,
    form: FormState,
    code_sent: bool,
    demo_code: Option<String>,
}

#[derive(Template)]
#[template(path = "enterprise/portal_home.html")]
struct HomePage {
    frame: EFrame,
    enterprise: String,
    liaison: String,
    liaison_phone: Option<String>,
    station: String,
    is_admin: bool,
    rows: Vec<RequestDto>,
    notices: Vec<NoticeDto>,
}

fn login(tr: Tr, form: FormState, code_sent: bool, demo_code: Option<String>) -> Response {
    let status = form.status();
    html(status, &LoginPage { frame: EFrame::new(tr, None, "/enterprise"), form, code_sent, demo_code })
}

pub async fn home(State(state): State<AppState>, Lang(tr): Lang, MaybeMember(m): MaybeMember) -> PageResult<Response> {
    let Some(m) = m else { return Ok(login(tr, FormState::new(tr), false, None)) };
    let e = enterprises::get_any(&state.db, m.account.enterprise_id).await?;
    let now = ningan_core::time::now_ms();
    let en = tr.is_en();
    let rows = requests::of_enterprise(&state.db, e.id, PageRequest::new(Some(1), Some(50))).await?;
    let district = crate::modules::cockpit::panels::district_of(&e.unit_path).map(i64::from).unwrap_or(0);
    let notices = portal::notices_for(&state.db, district, &e.industry, PageRequest::new(Some(1), Some(5))).await?;
    let liaison_phone = match e.officer_id {
        Some(o) => enterprises::work_phone(&state.db, o).await?,
        None => None,
    };
    let page = HomePage {
        frame: EFrame::new(tr, Some(&m), "/enterprise"),
        liaison_phone,
        liaison: e.officer_name.clone().unwrap_or_else(|| tr.pick("待指定", "to be named").to_string()),
        station: if en { e.unit_name_en.clone() } else { e.unit_name.clone() },
        enterprise: e.name,
        is_admin: m.account.is_admin,
        rows: rows.items.into_iter().map(|r| RequestDto::new(r, en, now)).collect(),
        notices: notices
            .items
            .into_iter()
            .map(|n| NoticeDto {
                id: n.id,
                title: n.title,
                body: n.body,
                created_at: crate::http::dto::ts(n.created_at),
            })
            .collect(),
    };
    Ok(html(StatusCode::OK, &page))
}

#[derive(Deserialize, Serialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    uscc: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

pub async fn code(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Lang(tr): Lang,
    Form(f): Form<SignInForm>,
) -> Response {
    if let Err(e) = portal_api::limited(&state, addr) {
        return login(tr, FormState::new(tr).with_values(&f).refused(&e, &[]), false, None);
    }
    match session::send_code(&state, &f.uscc, &f.phone).await {
        Ok(demo) => login(tr, FormState::new(tr).with_values(&f), true, demo),
        Err(e) => login(tr, FormState::new(tr).with_values(&f).refused(&e, &["uscc", "phone"]), false, None),
    }
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Lang(tr): Lang,
    Form(f): Form<SignInForm>,
) -> Response {
    if let Err(e) = portal_api::limited(&state, addr) {
        return login(tr, FormState::new(tr).with_values(&f).refused(&e, &[]), true, None);
    }
    match session::sign_in(&state, &f.uscc, &f.phone, &f.code).await {
        Ok((cookie, _)) => ([(header::SET_COOKIE, cookie)], Redirect::to("/enterprise")).into_response(),
        Err(e) => {
            let e = if e.errors.is_empty() { super::error::refuse("code", &e.detail_zh, &e.detail_en) } else { e };
            login(tr, FormState::new(tr).with_values(&f).refused(&e, &["uscc", "phone", "code"]), true, None)
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    MemberForm(m, _): MemberForm<serde_json::Value>,
) -> PageResult<Response> {
    let mut w = state.db.write().await?;
    portal::session_delete(&mut w, &m.session_hash).await?;
    w.commit().await?;
    let clear = format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", session::COOKIE);
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/enterprise")).into_response())
}

#[derive(Deserialize, Serialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
}

/// The enterprise's administrator opens an account for a colleague.
pub async fn invite(State(state): State<AppState>, MemberForm(m, f): MemberForm<InviteForm>) -> PageResult<Response> {
    let req = portal_api::InviteRequest { name: f.name, phone: f.phone };
    portal_api::invite_colleague(&state, &m, &req).await?;
    Ok(Redirect::to("/enterprise").into_response())
}

#[derive(Template)]
#[template(path = "enterprise/portal_new.html")]
struct NewPage {
    frame: EFrame,
    form: FormState,
    categories: Vec<(&'static str, &'static str)>,
}

fn categories(tr: Tr) -> Vec<(&'static str, &'static str)> {
    model::CATEGORIES.iter().map(|c| (c.code, tr.pick(c.zh, c.en))).collect()
}

pub async fn new_form(Lang(tr): Lang, MaybeMember(m): MaybeMember) -> Response {
    let Some(m) = m else { return Redirect::to("/enterprise").into_response() };
    let page = NewPage {
        frame: EFrame::new(tr, Some(&m), "/enterprise/requests/new"),
        form: FormState::new(tr),
        categories: categories(tr),
    };
    html(StatusCode::OK, &page)
}

#[derive(Deserialize, Serialize, Default)]
pub struct NewForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

pub async fn create(State(state): State<AppState>, Lang(tr): Lang, form: MemberMultipart) -> Response {
    let MemberMultipart { member: m, fields, files } = form;
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let f = NewForm { category: field("category"), title: field("title"), body: field("body") };
    let body = NewRequestBody {
        category: f.category.clone(),
        title: f.title.clone(),
        body: f.body.clone(),
        attachments: Vec::new(),
    };
    match portal_api::file_request(&state, &m, &body, files).await {
        Ok((id, _)) => Redirect::to(&format!("/enterprise/requests/{id}")).into_response(),
        Err(e) => {
            let form = FormState::new(tr).with_values(&f).refused(&e, &["category", "title", "body", "files"]);
            let page = NewPage {
                frame: EFrame::new(tr, Some(&m), "/enterprise/requests/new"),
                form,
                categories: categories(tr),
            };
            html(page.form.status(), &page)
        }
    }
}

#[derive(Template)]
#[template(path = "enterprise/portal_request.html")]
struct RequestPage {
    frame: EFrame,
    r: RequestDto,
    events: Vec<EventDto>,
    attachments: Vec<portal_api::AttachmentDto>,
    may_rate: bool,
    form: FormState,
}

impl RequestPage {
    fn step_done(&self, stage: &str) -> bool {
        match (Stage::parse(&self.r.stage), Stage::parse(stage)) {
            (Some(now), Some(s)) => now >= s,
            _ => false,
        }
    }

    fn stage_label(&self, stage: &str) -> &'static str {
        Stage::parse(stage).map(|s| s.label(self.frame.tr.is_en())).unwrap_or("")
    }

    fn tier_label(&self, tier: &str) -> &'static str {
        Tier::parse(tier).map(|t| t.label(self.frame.tr.is_en())).unwrap_or("")
    }
}

async fn request_page(state: &AppState, tr: Tr, m: &Member, id: i64, form: Option<FormState>) -> PageResult<Response> {
    let r = requests::get_for_enterprise(&state.db, m.account.enterprise_id, id).await?;
    let events = requests::events(&state.db, id).await?;
    let here = format!("/enterprise/requests/{id}");
    let may_rate = r.stage == Stage::Closed.as_str();
    let attachments = super::store::attachments::of_request(&state.db, id).await?;
    let en = tr.is_en();
    let page = RequestPage {
        frame: EFrame::new(tr, Some(m), &here),
        r: RequestDto::new(r, en, ningan_core::time::now_ms()),
        events: events
            .into_iter()
            .map(|e| {
                let actor = if e.actor.starts_with("enterprise:") {
                    tr.pick("本企业", "Your enterprise")
                } else {
                    tr.pick("公安机关", "Police")
                };
                EventDto {
                    at: crate::http::dto::ts(e.at),
                    actor: actor.into(),
                    kind: e.kind,
                    tier: e.tier,
                    note: e.note,
                }
            })
            .collect(),
        attachments: attachments.into_iter().map(portal_api::attachment_dto).collect(),
        may_rate,
        form: form.unwrap_or_else(|| FormState::new(tr)),
    };
    Ok(html(page.form.status(), &page))
}

pub async fn request(
    State(state): State<AppState>,
    Lang(tr): Lang,
    MaybeMember(m): MaybeMember,
    Path(id): Path<i64>,
) -> PageResult<Response> {
    let Some(m) = m else { return Ok(Redirect::to("/enterprise").into_response()) };
    request_page(&state, tr, &m, id, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct RateForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    note: String,
}

pub async fn rate(
    State(state): State<AppState>,
    Lang(tr): Lang,
    Path(id): Path<i64>,
    MemberForm(m, f): MemberForm<RateForm>,
) -> PageResult<Response> {
    let result = match crate::web::page::form_required::<i64>("rating", "评价", "Rating", &f.rating) {
        Ok(rating) => portal_api::rate_request(&state, &m, id, &RatingBody { rating, note: f.note.clone() }).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/enterprise/requests/{id}")).into_response()),
        Err(e) => {
            let form = FormState::new(tr).with_values(&f).refused(&e, &["rating", "note"]);
            request_page(&state, tr, &m, id, Some(form)).await
        }
    }
}
