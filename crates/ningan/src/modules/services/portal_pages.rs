//! The citizen portal's pages, phone first in the manner of 浙里办: sign-in, service cards
//! with search and categories, a guide and a form per item, each application's steps and
//! status, the facts fetched and the agencies told, and the record of who looked at one's
//! data. Chinese by default with a complete English switch; every error is a page.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use ningan_store::UnitKind;
use serde::{Deserialize, Serialize};

use super::applications::{self, ApplicationDto};
use super::catalogue::{ItemDto, english, item_dto};
use super::error::ServicesError;
use super::portal::{
    AccessDto, MyApplicationDto, PageQuery, RateRequest, accesses, citizen_actor, flag, limited, my_application, rate,
    reject_fact, send_code, sign_in,
};
use crate::app::AppState;
use crate::http::dto::PageDto;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::{CITIZEN_COOKIE, Citizen};
use crate::web::lang::Lang;
use crate::web::{FormState, Tr, html, url_encode};

/// What every portal page's frame needs.
pub struct PortalFrame {
    pub tr: Tr,
    /// Present when a citizen is signed in (the forms' token).
    pub csrf: Option<String>,
    /// This page's path and query, to come back to after switching language.
    pub here: String,
}

impl PortalFrame {
    fn new(tr: Tr, citizen: Option<&Citizen>, uri: &Uri) -> PortalFrame {
        let here = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/portal".into());
        PortalFrame { tr, csrf: citizen.map(|c| c.csrf_token.clone()), here }
    }

    /// A page shown in answer to a form: the language switch returns to `path`, the page's
    /// own address, not the form's (which takes only POST).
    fn at(tr: Tr, citizen: Option<&Citizen>, path: &str) -> PortalFrame {
        PortalFrame { tr, csrf: citizen.map(|c| c.csrf_token.clone()), here: path.to_string() }
    }

    pub fn lang_href(&self) -> String {
        format!("/language/{}?next={}", self.tr.other_lang(), url_encode(&self.here))
    }

    pub fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or_default()
    }
}

/// A portal error shown as a portal page in the citizen's language (boxed: the error and
/// the frame are large, and handlers pass it up by value).
pub struct PortalError(Box<(ApiError, PortalFrame)>);

impl PortalError {
    fn new(e: impl Into<ApiError>, frame: PortalFrame) -> PortalError {
        PortalError(Box::new((e.into(), frame)))
    }
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage {
    frame: PortalFrame,
    status: u16,
    title: String,
    message: String,
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let (e, frame) = *self.0;
        if let Some(cause) = &e.cause {
            tracing::error!(code = e.code.slug(), %cause, "portal page failed");
        }
        let tr = frame.tr;
        let status = e.code.status();
        let title = match status.as_u16() {
            404 => tr.pick("没有找到这个页面或申请", "We could not find that page or application"),
            429 => tr.pick("操作过于频繁", "Too many attempts"),
            401 | 403 => tr.pick("请先登录", "Please sign in"),
            s if s >= 500 => tr.pick("系统繁忙，请稍后再试", "Something went wrong on our side"),
            _ => tr.pick("无法完成操作", "That could not be done"),
        }
        .to_string();
        let message = tr.pick(&e.detail_zh, &e.detail_en).to_string();
        html(status, &ErrorPage { frame, status: status.as_u16(), title, message })
    }
}

type PortalResult<T = Response> = Result<T, PortalError>;

trait OrPage<T> {
    fn or_page(self, frame: impl FnOnce() -> PortalFrame) -> PortalResult<T>;
}

impl<T, E: Into<ApiError>> OrPage<T> for Result<T, E> {
    fn or_page(self, frame: impl FnOnce() -> PortalFrame) -> PortalResult<T> {
        self.map_err(|e| PortalError::new(e, frame()))
    }
}

/// The steps an application goes through, and where this one is (1-based).
pub fn steps(tr: &Tr) -> Vec<&'static str> {
    vec![
        tr.pick("在线申请", "Apply"),
        tr.pick("部门核验", "Facts checked"),
        tr.pick("派出所受理", "Accepted"),
        tr.pick("办结", "Decided"),
    ]
}

pub fn step_of(status: &str) -> usize {
    match status {
        "submitted" | "forwarding" => 2,
        "accepted" => 3,
        "approved" | "rejected" => 4,
        _ => 1,
    }
}

/// Who a fact comes from, in the page's language: the bureau's own register or an agency.
fn source_name(tr: &Tr, source: &str, agencies: &BTreeMap<String, String>) -> String {
    if source == "bureau" || source.is_empty() {
        return tr.pick("公安机关户籍登记", "The police household register").to_string();
    }
    match agencies.get(source) {
        Some(zh) => tr.pick(zh, english(zh)).to_string(),
        None => tr.pick("有关部门", "Another agency").to_string(),
    }
}

async fn agency_names(state: &AppState) -> Result<BTreeMap<String, String>, ApiError> {
    Ok(state.db.agencies().await?.into_iter().map(|a| (a.code, a.name)).collect())
}

// ----- sign-in -----

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage {
    frame: PortalFrame,
    step: &'static str,
    id_number: String,
    message: Option<String>,
    form: FormState,
    next: String,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/portal") && !n.starts_with("//") => n.to_string(),
        _ => "/portal".into(),
    }
}

pub(super) async fn login_page(Lang(tr): Lang, uri: Uri, Query(q): Query<LoginQuery>) -> Response {
    let page = LoginPage {
        frame: PortalFrame::new(tr, None, &uri),
        step: "code",
        id_number: String::new(),
        message: None,
        form: FormState::new(tr),
        next: safe_next(q.next.as_deref()),
    };
    html(StatusCode::OK, &page)
}

#[derive(Deserialize, Serialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

const LOGIN_FIELDS: &[&str] = &["id_number", "phone", "code"];

pub(super) async fn login_code(
    State(state): State<AppState>,
    Lang(tr): Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(Some(&form.next));
    let frame = PortalFrame::at(tr, None, "/portal/login");
    let sent = match limited(&state, addr) {
        Ok(()) => send_code(&state, &form.id_number, &form.phone).await,
        Err(e) => Err(e),
    };
    match sent {
        Ok(s) => {
            let mut message = tr
                .pick(
                    "如信息与户籍登记一致，验证码已发送至登记手机。",
                    "If these match the household register, a code is on its way to the registered phone.",
                )
                .to_string();
            if let Some(code) = s.demo_code {
                message.push_str(&format!(
                    "{}{code}",
                    tr.pick("（演示环境未接短信网关，验证码：", "(demo: no SMS gateway; the code is ")
                ));
                message.push_str(tr.pick("）", ")"));
            }
            let page = LoginPage {
                frame,
                step: "sign_in",
                id_number: form.id_number.clone(),
                message: Some(message),
                form: FormState::new(tr),
                next,
            };
            html(StatusCode::OK, &page)
        }
        Err(e) => {
            let status = e.code.status();
            let form_state = FormState::new(tr).with_values(&form).refused(&e, LOGIN_FIELDS);
            let page =
                LoginPage { frame, step: "code", id_number: form.id_number, message: None, form: form_state, next };
            html(status, &page)
        }
    }
}

pub(super) async fn login(
    State(state): State<AppState>,
    Lang(tr): Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(Some(&form.next));
    let signed = match limited(&state, addr) {
        Ok(()) => sign_in(&state, &form.id_number, &form.code).await,
        Err(e) => Err(e),
    };
    match signed {
        Ok((cookie, _)) => ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response(),
        Err(e) => {
            let status = e.code.status();
            let form_state = FormState::new(tr).with_values(&form).refused(&e, LOGIN_FIELDS);
            let page = LoginPage {
                frame: PortalFrame::at(tr, None, "/portal/login"),
                step: "sign_in",
                id_number: form.id_number,
                message: None,
                form: form_state,
                next,
            };
            html(status, &page)
        }
    }
}

pub(super) async fn logout(State(state): State<AppState>, Lang(tr): Lang, uri: Uri, citizen: Citizen) -> PortalResult {
    let frame = || PortalFrame::new(tr, None, &uri);
    let mut w = state.db.write().await.or_page(frame)?;
    w.citizen_session_delete(&citizen.session_hash).await.or_page(frame)?;
    w.commit().await.or_page(frame)?;
    let clear = format!("{CITIZEN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/portal/login")).into_response())
}

// ----- home: my applications and the service cards -----

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    frame: PortalFrame,
    name: String,
    apps: Vec<ApplicationDto>,
    items: Vec<ItemDto>,
    categories: Vec<(String, String)>,
    category: String,
    q: String,
}

impl HomePage {
    fn step(&self, status: &str) -> usize {
        step_of(status)
    }
}

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    q: Option<String>,
    category: Option<String>,
}

/// Whether an item matches a search typed by a citizen (in either language).
fn matches(i: &ItemDto, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    q.is_empty() || [&i.name, &i.name_en, &i.category, &i.category_en].iter().any(|t| t.to_lowercase().contains(&q))
}

pub(super) async fn home(
    State(state): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    citizen: Citizen,
    Query(hq): Query<HomeQuery>,
) -> PortalResult {
    let frame = || PortalFrame::new(tr, Some(&citizen), &uri);
    let now = ningan_core::time::now_ms();
    let apps = state
        .db
        .applications_of(citizen.resident_id)
        .await
        .or_page(frame)?
        .into_iter()
        .map(|a| ApplicationDto::from_app(a, now))
        .collect();
    let facts = state.db.service_facts().await.or_page(frame)?;
    let all: Vec<ItemDto> =
        state.db.service_items(true).await.or_page(frame)?.into_iter().map(|i| item_dto(i, &facts)).collect();
    let mut categories: Vec<(String, String)> = Vec::new();
    for i in &all {
        if !categories.iter().any(|(c, _)| c == &i.category) {
            categories.push((i.category.clone(), i.category_en.clone()));
        }
    }
    let category = hq.category.unwrap_or_default();
    let q = hq.q.unwrap_or_default();
    let items =
        all.into_iter().filter(|i| category.is_empty() || i.category == category).filter(|i| matches(i, &q)).collect();
    let name = state.db.resident_name(citizen.resident_id).await.or_page(frame)?;
    Ok(html(StatusCode::OK, &HomePage { frame: frame(), name, apps, items, categories, category, q }))
}

// ----- one item: its guide and the form -----

#[derive(Template)]
#[template(path = "portal/apply.html")]
struct ApplyPage {
    frame: PortalFrame,
    item: ItemDto,
    /// Each fact with who it is fetched from, in the page's language.
    sources: Vec<(String, String)>,
    stations: Vec<(i64, String)>,
    home_station: i64,
    form: FormState,
    /// Whether approving it tells other agencies (an identity change).
    tells_agencies: bool,
}

async fn apply_page(
    state: &AppState,
    frame: PortalFrame,
    citizen: &Citizen,
    code: &str,
    form: Option<FormState>,
) -> PortalResult {
    let tr = frame.tr;
    let facts = match state.db.service_facts().await {
        Ok(f) => f,
        Err(e) => return Err(PortalError::new(e, frame)),
    };
    let loaded = async {
        let item = match state.db.service_item(code).await {
            Ok(i) if i.active => i,
            Ok(_) | Err(ningan_store::StoreError::NotFound) => {
                let mut e = ApiError::from(ServicesError::NotFound);
                (e.detail_zh, e.detail_en) = (
                    "没有这个办事事项，或该事项已停办".into(),
                    "There is no such service, or it is no longer offered".into(),
                );
                return Err(e);
            }
            Err(e) => return Err(e.into()),
        };
        let item = item_dto(item, &facts);
        let agencies = agency_names(state).await?;
        let home_station = state.db.resident_unit(citizen.resident_id).await?;
        let stations: Vec<(i64, String)> = if item.citywide {
            state
                .db
                .units_in_scope(&ningan_store::Scope::everything())
                .await?
                .into_iter()
                .filter(|u| u.kind == UnitKind::Station)
                .map(|u| (u.id, if tr.is_en() { u.name_en } else { u.name }))
                .collect()
        } else {
            Vec::new()
        };
        Ok((item, agencies, home_station, stations))
    }
    .await;
    let (item, agencies, home_station, stations) = match loaded {
        Ok(x) => x,
        Err(e) => return Err(PortalError::new(e, frame)),
    };
    let sources = item
        .facts
        .iter()
        .map(|f| (tr.pick(&f.name, &f.name_en).to_string(), source_name(&tr, &f.source, &agencies)))
        .collect();
    let form = form.unwrap_or_else(|| FormState::new(tr));
    let status = form.status();
    let tells_agencies = super::outbox::change_of(&item.code).is_some();
    Ok(html(status, &ApplyPage { frame, item, sources, stations, home_station, form, tells_agencies }))
}

pub(super) async fn apply_form(
    State(state): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    citizen: Citizen,
    Path(code): Path<String>,
) -> PortalResult {
    let frame = PortalFrame::new(tr, Some(&citizen), &uri);
    apply_page(&state, frame, &citizen, &code, None).await
}

pub(super) async fn apply_submit(
    State(state): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    citizen: Citizen,
    Path(code): Path<String>,
    Form(mut form): Form<BTreeMap<String, String>>,
) -> PortalResult {
    form.remove("csrf_token");
    let typed = form.clone();
    let station = form.remove("station_id").and_then(|s| s.parse().ok());
    let consent = form.remove("consent").is_some_and(|v| v == "yes");
    let details: BTreeMap<String, String> =
        form.iter().filter_map(|(k, v)| k.strip_prefix("d_").map(|k| (k.to_string(), v.clone()))).collect();
    let filed = applications::file(
        &state,
        &citizen_actor(&citizen),
        applications::Filing {
            citizen_signed: false,
            resident_id: citizen.resident_id,
            item_code: &code,
            details: &details,
            station,
            channel: "portal",
            consent,
            origin: None,
        },
    )
    .await;
    let frame = PortalFrame::new(tr, Some(&citizen), &uri);
    match filed {
        Ok((_, no)) => Ok(Redirect::to(&format!("/portal/applications/{no}")).into_response()),
        Err(e) if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND => {
            // The form names item fields `d_<key>`; the service names them `details.<key>`.
            let mut e = e;
            for fe in &mut e.errors {
                if let Some(k) = fe.field.strip_prefix("details.") {
                    fe.field = format!("d_{k}");
                }
                if fe.field == "station" {
                    fe.field = "station_id".into();
                }
            }
            let fields: Vec<String> = typed.keys().cloned().chain(["consent".into(), "station_id".into()]).collect();
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            let state_form = FormState::new(tr).with_values(&typed).refused(&e, &fields);
            apply_page(&state, frame, &citizen, &code, Some(state_form)).await
        }
        Err(e) => Err(PortalError::new(e, frame)),
    }
}

// ----- one application -----

#[derive(Template)]
#[template(path = "portal/application.html")]
struct ApplicationPage {
    frame: PortalFrame,
    d: MyApplicationDto,
    /// Each fact's source and answer, readable: (source, [(key, value)]).
    facts: Vec<(String, Vec<(String, String)>)>,
    form: FormState,
}

impl ApplicationPage {
    fn step(&self) -> usize {
        step_of(&self.d.application.status)
    }

    fn steps(&self) -> Vec<&'static str> {
        steps(&self.frame.tr)
    }

    fn open(&self) -> bool {
        matches!(self.d.application.status.as_str(), "submitted" | "accepted")
    }
}

/// A fetched value as text, without JSON's quotes.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

async fn application_view(
    state: &AppState,
    frame: PortalFrame,
    citizen: &Citizen,
    no: &str,
    form: Option<FormState>,
) -> PortalResult {
    let tr = frame.tr;
    let loaded = async {
        let d = my_application(state, citizen, no).await?;
        let agencies = agency_names(state).await?;
        Ok::<_, ApiError>((d, agencies))
    }
    .await;
    let (d, agencies) = match loaded {
        Ok(x) => x,
        Err(e) => return Err(PortalError::new(e, frame)),
    };
    let facts = d
        .facts
        .iter()
        .map(|f| {
            let values = f.value.iter().flatten().map(|(k, v)| (k.clone(), plain(v))).collect();
            (source_name(&tr, &f.source, &agencies), values)
        })
        .collect();
    let form = form.unwrap_or_else(|| FormState::new(tr));
    let status = form.status();
    Ok(html(status, &ApplicationPage { frame, d, facts, form }))
}

pub(super) async fn application_page(
    State(state): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    citizen: Citizen,
    Path(no): Path<String>,
) -> PortalResult {
    let frame = PortalFrame::new(tr, Some(&citizen), &uri);
    application_view(&state, frame, &citizen, &no, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct RateForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

pub(super) async fn rate_form(
    State(state): State<AppState>,
    Lang(tr): Lang,
    citizen: Citizen,
    Path(no): Path<String>,
    Form(form): Form<RateForm>,
) -> PortalResult {
    let rated = crate::web::page::form_required::<i64>("rating", "评分", "Rating", &form.rating);
    let result = match rated {
        Ok(rating) => rate(&state, &citizen, &no, &RateRequest { rating, comment: form.comment.clone() }).await,
        Err(e) => Err(e),
    };
    let frame = PortalFrame::at(tr, Some(&citizen), &format!("/portal/applications/{no}"));
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/portal/applications/{no}")).into_response()),
        Err(e) if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND => {
            let refused = FormState::new(tr).with_values(&form).refused(&e, &["rating", "comment"]);
            application_view(&state, frame, &citizen, &no, Some(refused)).await
        }
        Err(e) => Err(PortalError::new(e, frame)),
    }
}

pub(super) async fn reject_fact_form(
    State(state): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    citizen: Citizen,
    Path((no, fact)): Path<(String, String)>,
) -> PortalResult {
    reject_fact(&state, &citizen, &no, &fact).await.or_page(|| PortalFrame::new(tr, Some(&citizen), &uri))?;
    Ok(Redirect::to(&format!("/portal/applications/{no}")).into_response())
}

// ----- who looked at my data -----

#[derive(Template)]
#[template(path = "portal/access.html")]
struct AccessPage {
    frame: PortalFrame,
    rows: PageDto<AccessDto>,
    form: FormState,
}

async fn access_view(
    state: &AppState,
    frame: PortalFrame,
    citizen: &Citizen,
    page: Option<i64>,
    form: Option<FormState>,
) -> PortalResult {
    let tr = frame.tr;
    let rows = match accesses(state, citizen, page).await {
        Ok(r) => r,
        Err(e) => return Err(PortalError::new(e, frame)),
    };
    let form = form.unwrap_or_else(|| FormState::new(tr));
    let status = form.status();
    Ok(html(status, &AccessPage { frame, rows, form }))
}

pub(super) async fn access_page(
    State(state): State<AppState>,
    Lang(tr): Lang,
    uri: Uri,
    citizen: Citizen,
    Query(q): Query<PageQuery>,
) -> PortalResult {
    let frame = PortalFrame::new(tr, Some(&citizen), &uri);
    access_view(&state, frame, &citizen, q.page, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct FlagForm {
    #[serde(default)]
    reason: String,
}

pub(super) async fn flag_form(
    State(state): State<AppState>,
    Lang(tr): Lang,
    citizen: Citizen,
    Path(seq): Path<i64>,
    Form(form): Form<FlagForm>,
) -> PortalResult {
    let frame = PortalFrame::at(tr, Some(&citizen), "/portal/data-access");
    match flag(&state, &citizen, seq, &form.reason).await {
        Ok(_) => Ok(Redirect::to("/portal/data-access").into_response()),
        Err(e) if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND => {
            let refused = FormState::new(tr).with_values(&form).refused(&e, &["reason"]);
            access_view(&state, frame, &citizen, None, Some(refused)).await
        }
        Err(e) => Err(PortalError::new(e, frame)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_moves_through_four_steps() {
        assert_eq!(step_of("submitted"), 2);
        assert_eq!(step_of("accepted"), 3);
        assert_eq!(step_of("approved"), 4);
        assert_eq!(step_of("rejected"), 4);
        assert_eq!(steps(&Tr::new("en")).len(), 4);
    }

    #[test]
    fn fetched_values_read_without_quotes() {
        assert_eq!(plain(&serde_json::json!("张三")), "张三");
        assert_eq!(plain(&serde_json::json!(3)), "3");
    }
}
