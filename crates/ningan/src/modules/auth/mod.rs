//! Signing in and out, the signed-in officer's own account (password, language), and the
//! workbench home page.

mod service;
pub mod texts;
pub mod throttle;

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use service::hash_blocking;

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::json::Json;
use crate::http::principal::{Ctx, MaybePrincipal, Who, is_cross_site};
use crate::http::rule::Rule;
use crate::web::{Frame, Tr, html, safe_next};

/// The interface languages.
const LANGUAGES: &[&str] = &["zh", "en"];

pub fn routes(api: Api) -> Api {
    use Access::*;
    api.add(
        Op::api(Method::POST, "/api/auth/login", Public, "auth", "登录，建立会话")
            .request::<LoginRequest>()
            .response::<LoginResponse>()
            .answers(&[429]),
        post(api_login),
    )
    .add(Op::api(Method::POST, "/api/auth/logout", SignedIn, "auth", "退出登录").status(204), post(api_logout))
    .add(
        Op::api(Method::POST, "/api/auth/password", SignedIn, "auth", "修改本人密码")
            .request::<PasswordRequest>()
            .status(204),
        post(api_password),
    )
    .add(Op::api(Method::GET, "/api/me", SignedIn, "auth", "当前登录者").response::<Me>(), get(api_me))
    .add(
        Op::api(Method::POST, "/api/me/language", SignedIn, "auth", "设置界面语言")
            .request::<LanguageRequest>()
            .status(204),
        post(api_language),
    )
    .add(Op::page(Method::GET, "/login", Public, "登录页"), get(login_page))
    .add(Op::page(Method::POST, "/login", Public, "提交登录"), post(login_submit))
    .add(Op::page(Method::POST, "/logout", SignedIn, "退出"), post(logout_submit))
    .add(Op::page(Method::GET, "/", SignedIn, "工作台首页"), get(home_page))
    .add(Op::page(Method::GET, "/account/password", SignedIn, "修改密码页"), get(password_page))
    .add(Op::page(Method::POST, "/account/password", SignedIn, "提交修改密码"), post(password_submit))
    .add(Op::page(Method::POST, "/account/language", SignedIn, "切换语言"), post(language_submit))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LoginRequest {
    #[schemars(length(min = 1))]
    pub username: String,
    #[schemars(length(min = 1))]
    pub password: String,
}

/// The signed-in principal as the API shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Me {
    pub kind: &'static str,
    pub name: String,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub roles: Vec<String>,
    /// Every action this principal may take.
    pub actions: Vec<String>,
    pub language: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LoginResponse {
    pub me: Me,
    /// Send as `X-CSRF-Token` on every state-changing request made with the session cookie.
    pub csrf_token: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PasswordRequest {
    pub current: String,
    #[schemars(schema_with = "crate::http::schema::password")]
    pub new: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LanguageRequest {
    /// `zh` or `en`.
    #[schemars(extend("enum" = LANGUAGES))]
    pub language: String,
}

fn me(p: &crate::http::principal::Principal) -> Me {
    let (kind, name) = match &p.who {
        Who::Officer { user, .. } => ("officer", user.username.clone()),
        Who::Device { token } => ("token", token.name.clone()),
    };
    Me {
        kind,
        name,
        unit_id: p.unit.id,
        unit_code: p.unit.code.clone(),
        unit_name: p.unit.name.clone(),
        roles: p.roles().iter().map(|r| r.as_str().to_string()).collect(),
        actions: ningan_core::Action::ALL.iter().filter(|a| p.may(**a)).map(|a| a.as_str().to_string()).collect(),
        language: p.language().to_string(),
    }
}

async fn api_login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    if is_cross_site(&headers) {
        return Err(cross_site_refused());
    }
    let s = service::login(&state, &req.username, &req.password, addr.ip()).await?;
    let unit = state.db.unit_by_id(s.user.unit_id).await?;
    let principal = crate::http::principal::Principal {
        who: Who::Officer { user: s.user, csrf_token: s.csrf_token.clone(), session_hash: String::new() },
        unit,
    };
    let body = LoginResponse { me: me(&principal), csrf_token: s.csrf_token };
    let cookie = service::session_cookie(&state, &s.token, s.max_age_secs);
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response())
}

fn cross_site_refused() -> ApiError {
    ApiError::new(ErrorCode::Forbidden, "不接受来自其他网站的登录请求", "sign-in requests from other sites are refused")
}

async fn end_session(state: &AppState, ctx: &Ctx) -> ApiResult<()> {
    if let Who::Officer { session_hash, user, .. } = &ctx.who {
        let mut w = state.db.write().await?;
        w.session_delete(session_hash).await?;
        w.audit(ctx.actor().audit("auth.logout", "user", user.id, None, None, "")).await?;
        w.commit().await?;
    }
    Ok(())
}

async fn api_logout(State(state): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    end_session(&state, &ctx).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, service::clear_cookie())]).into_response())
}

async fn api_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<PasswordRequest>,
) -> ApiResult<StatusCode> {
    let user = ctx.user().ok_or_else(|| ApiError::plain(ErrorCode::Forbidden))?;
    service::change_password(&state, user, &req.current, &req.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn api_me(ctx: Ctx) -> axum::Json<Me> {
    axum::Json(me(&ctx))
}

async fn set_language(state: &AppState, ctx: &Ctx, language: &str) -> ApiResult<()> {
    if !LANGUAGES.contains(&language) {
        return Err(Rule::one_of("zh（中文）或 en（English）", LANGUAGES).refuse("auth", "language"));
    }
    let user = ctx.user().ok_or_else(|| ApiError::plain(ErrorCode::Forbidden))?;
    let mut w = state.db.write().await?;
    w.user_set_language(&ctx.actor(), user.id, language).await?;
    w.commit().await?;
    Ok(())
}

async fn api_language(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<LanguageRequest>,
) -> ApiResult<StatusCode> {
    set_language(&state, &ctx, &req.language).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    tr: Tr,
    next: String,
    username: String,
    error: Option<String>,
}

impl LoginPage {
    /// The other language, coming back to this page with the same `next`.
    fn lang_href(&self) -> String {
        let back = format!("/login?next={}", crate::web::url_encode(&self.next));
        format!("/language/{}?next={}", self.tr.other_lang(), crate::web::url_encode(&back))
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    lang: Option<String>,
}

async fn login_page(
    MaybePrincipal(p): MaybePrincipal,
    crate::web::lang::Lang(chosen): crate::web::lang::Lang,
    Query(q): Query<NextQuery>,
) -> Response {
    if p.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    let page = LoginPage {
        tr: q.lang.as_deref().map(Tr::new).unwrap_or(chosen),
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: None,
    };
    html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    crate::web::lang::Lang(tr): crate::web::lang::Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    if is_cross_site(&headers) {
        return cross_site_refused().into_response();
    }
    match service::login(&state, &f.username, &f.password, addr.ip()).await {
        Ok(s) => {
            let cookie = service::session_cookie(&state, &s.token, s.max_age_secs);
            ([(header::SET_COOKIE, cookie)], Redirect::to(&safe_next(f.next.as_deref()))).into_response()
        }
        Err(e) => {
            let page = LoginPage {
                tr,
                next: safe_next(f.next.as_deref()),
                username: f.username,
                error: Some(tr.pick(&e.detail_zh, &e.detail_en).to_string()),
            };
            html(e.code.status(), &page)
        }
    }
}

async fn logout_submit(State(state): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    end_session(&state, &ctx).await?;
    Ok(([(header::SET_COOKIE, service::clear_cookie())], Redirect::to("/login")).into_response())
}

#[derive(Deserialize)]
struct HomeQuery {
    figure: Option<String>,
    /// A unit under the viewer's, drilled into on the cockpit.
    unit: Option<i64>,
}

#[derive(Template)]
#[template(path = "auth/home.html")]
struct HomePage {
    frame: Frame,
    roles: String,
}

async fn home_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<HomeQuery>) -> Response {
    if ctx.may(ningan_core::Action::CockpitView) {
        return match crate::modules::cockpit::page(&state, &ctx, q.figure, q.unit).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
    }
    let frame = Frame::for_principal(&ctx);
    let roles = ctx
        .roles()
        .iter()
        .map(|r| if frame.tr.is_en() { r.as_str() } else { r.label_zh() })
        .collect::<Vec<_>>()
        .join("、");
    html(StatusCode::OK, &HomePage { frame, roles })
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    frame: Frame,
    current_error: Option<String>,
    new_error: Option<String>,
}

async fn password_page(ctx: Ctx) -> Response {
    html(StatusCode::OK, &PasswordPage { frame: Frame::for_principal(&ctx), current_error: None, new_error: None })
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
}

async fn password_submit(State(state): State<AppState>, ctx: Ctx, Form(f): Form<PasswordForm>) -> Response {
    let Some(user) = ctx.user() else {
        return ApiError::plain(ErrorCode::Forbidden).into_response();
    };
    match service::change_password(&state, user, &f.current, &f.new).await {
        Ok(()) => ([(header::SET_COOKIE, service::clear_cookie())], Redirect::to("/login")).into_response(),
        Err(e) if e.code == ErrorCode::Validation => {
            let msg = e.errors.first().map(|fe| fe.message.clone());
            let field = e.errors.first().map(|fe| fe.field.as_str()).unwrap_or("");
            let page = PasswordPage {
                frame: Frame::for_principal(&ctx),
                current_error: msg.clone().filter(|_| field == "current"),
                new_error: msg.filter(|_| field == "new"),
            };
            html(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct LanguageForm {
    language: String,
}

async fn language_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(f): Form<LanguageForm>,
) -> ApiResult<Redirect> {
    set_language(&state, &ctx, &f.language).await?;
    // Back to the page the switch was pressed on, if it was ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_string()));
    Ok(Redirect::to(&safe_next(back.as_deref())))
}
