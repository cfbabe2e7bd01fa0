//! The accounts pages for administrators: list and filter accounts, open one, create one
//! with errors shown beside the fields, disable and enable.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::{Action, Role};
use ningan_store::{NewUser, OrgUnit, PageRequest, User};
use serde::Deserialize;

use super::grants::{self, change_roles};
use super::{create_user, parse_roles, password_or_generated};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::page::{nonempty, opt_i64};
use crate::web::{Frame, PageError, PageResult, Pager, html};

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    unit_id: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "accounts/list.html")]
struct ListPage {
    frame: Frame,
    q: String,
    unit_id: Option<i64>,
    units: Vec<OrgUnit>,
    rows: Vec<(User, String)>,
    pager: Pager,
    can_manage: bool,
    pending_grants: i64,
}

impl ListPage {
    fn unit_selected(&self, id: &i64) -> bool {
        self.unit_id == Some(*id)
    }
}

fn role_labels(frame: &Frame, roles: &[Role]) -> String {
    roles.iter().map(|r| frame.tr.pick(r.label_zh(), r.as_str())).collect::<Vec<_>>().join("、")
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    let unit_id = opt_i64(&q.unit_id);
    let text = nonempty(&q.q);
    let page = state
        .db
        .users_in_scope(&ctx.scope(), unit_id, text.as_deref(), PageRequest::new(opt_i64(&q.page), Some(20)))
        .await?;
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let frame = Frame::for_principal(&ctx).crumb("/accounts", "nav.accounts");
    let filters =
        [("q", text.clone().unwrap_or_default()), ("unit_id", unit_id.map(|u| u.to_string()).unwrap_or_default())];
    let pager = Pager::new("/accounts", &filters, &page);
    let en = ctx.language() == "en";
    let unit_name = |id: i64| {
        units
            .iter()
            .find(|u| u.id == id)
            .map(|u| if en { u.name_en.clone() } else { u.name.clone() })
            .unwrap_or_default()
    };
    let rows = page
        .items
        .into_iter()
        .map(|u| {
            let n = unit_name(u.unit_id);
            (u, n)
        })
        .collect();
    let can_manage = ctx.may(Action::UserManage);
    let pending_grants = if can_manage { state.db.grants_pending_count(&ctx.scope()).await? } else { 0 };
    let page = ListPage { pending_grants, q: text.unwrap_or_default(), unit_id, units, rows, pager, can_manage, frame };
    Ok(html(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "accounts/detail.html")]
struct DetailPage {
    frame: Frame,
    user: User,
    unit: String,
    roles: String,
    /// Every role with whether the account holds it, for the roles form.
    role_choices: Vec<(&'static str, &'static str, bool)>,
    roles_error: Option<String>,
    locked: bool,
    can_manage: bool,
    password: Option<String>,
    /// Roles that wait for a second administrator, by grant.
    waiting: Vec<(i64, String)>,
}

/// A refused roles form: the error and the roles as they were ticked.
type RolesRefusal = (String, Vec<String>);

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    password: Option<String>,
    refused: Option<RolesRefusal>,
) -> PageResult {
    let user = state.db.user_get(&ctx.scope(), id).await.map_err(|e| PageError::from(e).framed(ctx))?;
    let unit = state.db.unit_by_id(user.unit_id).await.map(|u| u.name).unwrap_or_default();
    let frame = Frame::for_principal(ctx).crumb("/accounts", "nav.accounts").crumb_text("", &user.username);
    let roles = role_labels(&frame, &user.roles);
    // After a refused submission the boxes show what was ticked, not what is stored.
    let ticked = |r: &Role| match &refused {
        Some((_, chosen)) => chosen.iter().any(|c| c == r.as_str()),
        None => user.roles.contains(r),
    };
    let role_choices =
        Role::ALL.iter().map(|r| (r.as_str(), frame.tr.pick(r.label_zh(), r.as_str()), ticked(r))).collect();
    let locked = user.locked_until > ningan_core::time::now_ms();
    let status = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let can_manage = ctx.may(Action::UserManage);
    let roles_error = refused.map(|(e, _)| e);
    let waiting = state
        .db
        .grants_pending_for_user(user.id)
        .await?
        .into_iter()
        .filter_map(|g| match g.subject {
            ningan_store::GrantSubject::Roles { roles, .. } => Some((g.id, role_labels(&frame, &roles))),
            ningan_store::GrantSubject::Token { .. } => None,
        })
        .collect();
    let page =
        DetailPage { frame, unit, roles, role_choices, roles_error, locked, user, can_manage, password, waiting };
    Ok(html(status, &page))
}

pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    detail_page(&state, &ctx, id, None, None).await
}

#[derive(Template)]
#[template(path = "accounts/new.html")]
struct NewPage {
    frame: Frame,
    units: Vec<OrgUnit>,
    roles: Vec<(&'static str, &'static str, bool)>,
    form: NewForm,
    errors: Vec<(String, String)>,
}

impl NewPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    fn unit_selected(&self, id: &i64) -> bool {
        self.form.unit_id.as_deref() == Some(id.to_string().as_str())
    }
}

/// The form as typed, kept to re-show it after an error.
#[derive(Deserialize, Default)]
pub struct NewForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    unit_id: Option<String>,
    #[serde(default)]
    password: String,
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    form: NewForm,
    chosen: &[String],
    errors: Vec<(String, String)>,
) -> PageResult {
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let frame = Frame::for_principal(ctx).crumb("/accounts", "nav.accounts").crumb("/accounts/new", "acc.new");
    let roles = Role::ALL
        .iter()
        .map(|r| (r.as_str(), frame.tr.pick(r.label_zh(), r.as_str()), chosen.iter().any(|c| c == r.as_str())))
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(html(status, &NewPage { frame, units, roles, form, errors }))
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    new_page(&state, &ctx, NewForm::default(), &[], Vec::new()).await
}

/// Role checkboxes arrive as repeated `role` fields, which `Form` cannot gather into a
/// vector, so the body is read as pairs.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let chosen: Vec<String> = pairs.iter().filter(|(n, _)| n == "role").map(|(_, v)| v.clone()).collect();
    let form = NewForm {
        username: get("username").unwrap_or_default().trim().to_string(),
        display_name: get("display_name").unwrap_or_default(),
        unit_id: get("unit_id"),
        password: get("password").unwrap_or_default(),
    };
    let tr = Frame::for_principal(&ctx).tr;
    let mut errors = Vec::new();
    let roles = match parse_roles(&chosen) {
        Ok(r) => r,
        Err(e) => {
            errors.push(("roles".to_string(), field_message(tr, &e)));
            Vec::new()
        }
    };
    let unit_id = form.unit_id.as_deref().and_then(|u| u.parse::<i64>().ok());
    if unit_id.is_none() {
        errors.push(("unit_id".into(), tr.pick("请选择单位", "choose a unit").into()));
    }
    if !ningan_store::valid_username(&form.username) {
        errors.push((
            "username".into(),
            tr.pick("3–32位小写字母、数字或 . _ -", "3–32 lowercase letters, digits, . _ -").into(),
        ));
    }
    let hashed = if errors.is_empty() {
        match password_or_generated(Some(form.password.clone())).await {
            Ok(h) => Some(h),
            Err(e) => {
                errors.push(("password".into(), field_message(tr, &e)));
                None
            }
        }
    } else {
        None
    };
    let (Some((password_hash, shown)), Some(unit_id)) = (hashed, unit_id) else {
        return new_page(&state, &ctx, form, &chosen, errors).await;
    };
    let new = NewUser {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password_hash,
        unit_id,
        roles,
    };
    match create_user(&state, &ctx, new).await {
        Ok((user, _)) => detail_page(&state, &ctx, user.id, shown, None).await,
        Err(e) => {
            let field = e.errors.first().map(|f| f.field.clone()).unwrap_or_default();
            let msg = match field.as_str() {
                "username" => tr.pick("用户名已存在", "username already exists").to_string(),
                "unit_id" => tr.pick("不能在您的管辖范围外创建账号", "that unit is outside your scope").to_string(),
                _ => field_message(tr, &e),
            };
            new_page(&state, &ctx, form, &chosen, vec![(field, msg)]).await
        }
    }
}

fn field_message(tr: crate::web::Tr, e: &ApiError) -> String {
    let m = e.errors.first().map(|f| f.message.clone()).unwrap_or_else(|| e.detail_zh.clone());
    let (zh, en) = crate::http::error::split_bilingual(&m);
    tr.pick(zh, en).to_string()
}

async fn set_disabled(state: &AppState, ctx: &Ctx, id: i64, disabled: bool) -> PageResult<Response> {
    let user = state.db.user_get(&ctx.scope(), id).await.map_err(|e| PageError::from(e).framed(ctx))?;
    if disabled && ctx.user().is_some_and(|u| u.id == user.id) {
        return Err(PageError::from(ApiError::field(
            "id",
            "不能停用自己的账号",
            "you cannot disable your own account",
        ))
        .framed(ctx));
    }
    let mut w = state.db.write().await?;
    w.user_set_disabled(&ctx.actor(), id, disabled).await?;
    w.commit().await?;
    Ok(Redirect::to(&format!("/accounts/{id}")).into_response())
}

pub async fn disable(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult<Response> {
    set_disabled(&state, &ctx, id, true).await
}

pub async fn enable(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult<Response> {
    set_disabled(&state, &ctx, id, false).await
}

/// Replaces an account's roles with the checked ones; added roles that show personal data
/// wait for a second administrator, and one's own account gets none.
pub async fn set_roles(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let target = state.db.user_get(&ctx.scope(), id).await.map_err(|e| PageError::from(e).framed(&ctx))?;
    let chosen: Vec<String> = pairs.into_iter().filter(|(n, _)| n == "role").map(|(_, v)| v).collect();
    let tr = Frame::for_principal(&ctx).tr;
    let result = match parse_roles(&chosen) {
        Ok(roles) => change_roles(&state, &ctx, &target, &roles).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{id}")).into_response()),
        Err(e) => {
            let message = if e.errors.is_empty() {
                tr.pick(&e.detail_zh, &e.detail_en).to_string()
            } else {
                field_message(tr, &e)
            };
            detail_page(&state, &ctx, id, None, Some((message, chosen))).await.map(IntoResponse::into_response)
        }
    }
}

#[derive(Template)]
#[template(path = "accounts/grants.html")]
struct GrantsPage {
    frame: Frame,
    rows: Vec<GrantRow>,
    status: String,
}

struct GrantRow {
    id: i64,
    status: String,
    status_label: &'static str,
    subject: String,
    subject_href: String,
    gives: String,
    unit: String,
    requested_by: String,
    requested_at: String,
    decided_by: String,
    /// Whether the viewer may decide it: pending, and neither asked for it nor gains by it.
    can_decide: bool,
}

#[derive(Deserialize)]
pub struct GrantsQuery {
    status: Option<String>,
}

async fn username(state: &AppState, id: Option<i64>) -> String {
    match id {
        Some(id) => state.db.user_by_id(id).await.map(|u| u.username).unwrap_or_else(|_| format!("#{id}")),
        None => String::new(),
    }
}

/// Pending grants first (newest first), then the recent decisions, for a second administrator.
pub async fn grants(State(state): State<AppState>, ctx: Ctx, Query(q): Query<GrantsQuery>) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/accounts", "nav.accounts").crumb("/accounts/grants", "grant.title");
    let status = grants::parse_status(q.status.as_deref()).map_err(|e| PageError::from(e).framed(&ctx))?;
    let listed = state.db.grants_in_scope(&ctx.scope(), status, 200).await?;
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let tokens = state.db.tokens_in_scope(&ctx.scope()).await?;
    let me = ctx.user().map(|u| u.id);
    let mut rows = Vec::with_capacity(listed.len());
    for g in listed {
        let (subject, subject_href, gives) = match &g.subject {
            ningan_store::GrantSubject::Roles { user_id, roles } => {
                (username(&state, Some(*user_id)).await, format!("/accounts/{user_id}"), role_labels(&frame, roles))
            }
            ningan_store::GrantSubject::Token { token_id } => {
                let t = tokens.iter().find(|t| t.id == *token_id);
                let name = t.map(|t| format!("{} ({})", t.name, t.prefix)).unwrap_or_else(|| format!("#{token_id}"));
                let scopes = t.map(|t| t.scopes.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", "));
                (name, "/tokens".to_string(), format!("{} · {}", frame.tr.t("grant.token"), scopes.unwrap_or_default()))
            }
        };
        let can_decide = g.status == "pending" && me.is_some_and(|m| m != g.requested_by && g.user_id() != Some(m));
        rows.push(GrantRow {
            id: g.id,
            subject,
            subject_href,
            gives,
            unit: units
                .iter()
                .find(|u| u.id == g.unit_id)
                .map(|u| if ctx.language() == "en" { u.name_en.clone() } else { u.name.clone() })
                .unwrap_or_default(),
            requested_by: username(&state, Some(g.requested_by)).await,
            requested_at: crate::http::dto::ts(g.requested_at),
            decided_by: username(&state, g.decided_by).await,
            can_decide,
            status_label: frame.tr.t(match g.status.as_str() {
                "approved" => "grant.approved",
                "rejected" => "grant.rejected",
                _ => "grant.pending",
            }),
            status: g.status,
        });
    }
    let status = status.unwrap_or_default().to_string();
    Ok(html(StatusCode::OK, &GrantsPage { frame, rows, status }))
}

async fn decide_page(state: &AppState, ctx: &Ctx, id: i64, approve: bool) -> PageResult<Response> {
    grants::decide(state, ctx, id, approve).await.map_err(|e| PageError::from(e).framed(ctx))?;
    Ok(Redirect::to("/accounts/grants").into_response())
}

pub async fn approve_grant(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult<Response> {
    decide_page(&state, &ctx, id, true).await
}

pub async fn reject_grant(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult<Response> {
    decide_page(&state, &ctx, id, false).await
}
