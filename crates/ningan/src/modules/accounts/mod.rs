//! Officer accounts, for administrators: list and look up accounts of units in scope,
//! create them, reset passwords, change roles, disable and enable.

pub mod grants;
mod pages;
pub mod texts;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post, put};
use ningan_core::{Action, Role};
use ningan_store::{NewUser, PageRequest, User};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::auth::hash_blocking;
use crate::secrets;

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::UserRead);
    let manage = Access::Action(Action::UserManage);
    api.add(
        Op::api(Method::GET, "/api/users", read, "accounts", "账号列表")
            .query(&[("unit_id", "只看某单位"), ("q", "用户名或姓名前缀"), ("page", "页码"), ("per_page", "每页条数")])
            .response::<PageDto<UserDto>>()
            .query_type::<ListQuery>(),
        get(list),
    )
    .add(
        Op::api(Method::POST, "/api/users", manage, "accounts", "新建账号")
            .request::<NewUserRequest>()
            .response::<CreatedUser>()
            .status(201),
        post(create),
    )
    .add(Op::api(Method::GET, "/api/users/{id}", read, "accounts", "账号详情").response::<UserDto>(), get(show))
    .add(Op::api(Method::POST, "/api/users/{id}/disable", manage, "accounts", "停用账号").status(204), post(disable))
    .add(Op::api(Method::POST, "/api/users/{id}/enable", manage, "accounts", "启用账号").status(204), post(enable))
    .add(
        Op::api(
            Method::PUT,
            "/api/users/{id}/roles",
            manage,
            "accounts",
            "设置角色（新增涉及个人信息的角色须另一名管理员批准）",
        )
        .request::<RolesRequest>()
        .response::<RolesChanged>(),
        put(set_roles),
    )
    .add(
        Op::api(Method::GET, "/api/grants", manage, "accounts", "待审批与已审批的授权")
            .query(&[("status", "pending、approved 或 rejected")])
            .response::<Vec<grants::GrantDto>>()
            .query_type::<grants::GrantQuery>(),
        get(grants::list),
    )
    .add(
        Op::api(Method::POST, "/api/grants/{id}/approve", manage, "accounts", "第二名管理员批准授权")
            .response::<grants::GrantDto>(),
        post(grants::approve),
    )
    .add(
        Op::api(Method::POST, "/api/grants/{id}/reject", manage, "accounts", "第二名管理员驳回授权")
            .response::<grants::GrantDto>(),
        post(grants::reject),
    )
    .add(
        Op::api(Method::POST, "/api/users/{id}/password", manage, "accounts", "重置密码")
            .request::<ResetPasswordRequest>()
            .response::<ResetPasswordResponse>(),
        post(reset_password),
    )
    .add(Op::page(Method::GET, "/accounts", read, "账号列表页"), get(pages::list))
    .add(Op::page(Method::GET, "/accounts/new", manage, "新建账号页"), get(pages::new_form))
    .add(Op::page(Method::POST, "/accounts", manage, "提交新建账号"), post(pages::create))
    .add(Op::page(Method::GET, "/accounts/{id}", read, "账号详情页"), get(pages::detail))
    .add(Op::page(Method::POST, "/accounts/{id}/disable", manage, "停用账号"), post(pages::disable))
    .add(Op::page(Method::POST, "/accounts/{id}/enable", manage, "启用账号"), post(pages::enable))
    .add(Op::page(Method::POST, "/accounts/{id}/roles", manage, "设置角色"), post(pages::set_roles))
    .add(Op::page(Method::GET, "/accounts/grants", manage, "授权审批页"), get(pages::grants))
    .add(Op::page(Method::POST, "/accounts/grants/{id}/approve", manage, "批准授权"), post(pages::approve_grant))
    .add(Op::page(Method::POST, "/accounts/grants/{id}/reject", manage, "驳回授权"), post(pages::reject_grant))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UserDto {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_id: i64,
    pub roles: Vec<String>,
    pub language: String,
    pub disabled: bool,
    pub locked: bool,
    pub created_at: String,
}

impl From<User> for UserDto {
    fn from(u: User) -> UserDto {
        UserDto {
            id: u.id,
            locked: u.locked_until > ningan_core::time::now_ms(),
            roles: u.roles.iter().map(|r| r.as_str().to_string()).collect(),
            username: u.username,
            display_name: u.display_name,
            unit_id: u.unit_id,
            language: u.language,
            disabled: u.disabled,
            created_at: ts(u.created_at),
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct ListQuery {
    unit_id: Option<i64>,
    q: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewUserRequest {
    #[schemars(regex(pattern = r"^[a-z0-9._-]{3,32}$"), extend("examples" = ["wang.li"]))]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    pub unit_id: i64,
    #[schemars(schema_with = "role_list")]
    pub roles: Vec<String>,
    /// Omit to have one generated and returned once.
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::password")]
    pub password: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedUser {
    pub user: UserDto,
    /// Present only when the password was generated; shown this once.
    pub password: Option<String>,
    /// Roles that show personal data wait here for a second administrator; until then the
    /// account holds only the others.
    pub pending_grant: Option<grants::GrantDto>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RolesChanged {
    /// What the account holds now.
    pub roles: Vec<String>,
    /// Added roles that show personal data, waiting for a second administrator.
    pub pending_grant: Option<grants::GrantDto>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RolesRequest {
    #[schemars(schema_with = "role_list")]
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ResetPasswordRequest {
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::password")]
    pub password: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ResetPasswordResponse {
    pub password: Option<String>,
}

/// One or more of the roles an account may hold.
fn role_list(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let item = crate::http::schema::enum_of(Role::ALL.iter().map(|r| r.as_str()));
    schemars::json_schema!({"type": "array", "minItems": 1, "items": item})
}

pub fn parse_roles(names: &[String]) -> Result<Vec<Role>, ApiError> {
    if names.is_empty() {
        return Err(Rule::other("至少一个角色", "at least one role").refuse("accounts", "roles"));
    }
    names
        .iter()
        .map(|n| {
            n.parse::<Role>().map_err(|_| {
                let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                Rule::one_of(format!("已有角色之一（“{n}”不是）"), &known).refuse("accounts", "roles")
            })
        })
        .collect()
}

/// The given password checked against the policy, or a generated one to show once.
async fn password_or_generated(given: Option<String>) -> Result<(String, Option<String>), ApiError> {
    let (password, shown) = match given.filter(|p| !p.is_empty()) {
        Some(p) => {
            secrets::check_password_policy(&p).map_err(|e| ApiError::field_from("password", e))?;
            (p, None)
        }
        None => {
            let p = secrets::generate_password();
            (p.clone(), Some(p))
        }
    };
    Ok((hash_blocking(password).await?, shown))
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<UserDto>>> {
    let page =
        state.db.users_in_scope(&ctx.scope(), q.unit_id, q.q.as_deref(), PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, UserDto::from)))
}

async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<axum::Json<UserDto>> {
    Ok(axum::Json(state.db.user_get(&ctx.scope(), id).await?.into()))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewUserRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreatedUser>)> {
    let roles = parse_roles(&req.roles)?;
    let (password_hash, shown) = password_or_generated(req.password).await?;
    let new = NewUser {
        username: req.username.trim().to_string(),
        display_name: req.display_name,
        password_hash,
        unit_id: req.unit_id,
        roles,
    };
    let (user, pending) = create_user(&state, &ctx, new).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedUser { user: user.into(), password: shown, pending_grant: pending.map(Into::into) }),
    ))
}

/// Creates the account with the roles that apply at once and files the personal-data roles
/// for a second administrator, in one transaction.
pub(crate) async fn create_user(
    state: &AppState,
    ctx: &Ctx,
    mut new: NewUser,
) -> Result<(User, Option<ningan_store::Grant>), ApiError> {
    let requester =
        ctx.user().map(|u| u.id).ok_or_else(|| ApiError::plain(crate::http::error::ErrorCode::Forbidden))?;
    let (now, later) = grants::split_roles(&[], &new.roles);
    new.roles = now;
    let mut w = state.db.write().await?;
    let user = w.user_insert(&ctx.actor(), &ctx.scope(), &new).await?;
    let pending = if later.is_empty() {
        None
    } else {
        Some(w.grant_request_roles(&ctx.actor(), requester, user.id, &later).await?)
    };
    w.commit().await?;
    Ok((user, pending))
}

async fn set_disabled(state: &AppState, ctx: &Ctx, id: i64, disabled: bool) -> ApiResult<StatusCode> {
    state.db.user_get(&ctx.scope(), id).await?;
    if disabled && ctx.user().is_some_and(|u| u.id == id) {
        return Err(ApiError::field("id", "不能停用自己的账号", "you cannot disable your own account"));
    }
    let mut w = state.db.write().await?;
    w.user_set_disabled(&ctx.actor(), id, disabled).await?;
    w.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn disable(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    set_disabled(&state, &ctx, id, true).await
}

async fn enable(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    set_disabled(&state, &ctx, id, false).await
}

async fn set_roles(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<RolesRequest>,
) -> ApiResult<axum::Json<RolesChanged>> {
    let roles = parse_roles(&req.roles)?;
    let target = state.db.user_get(&ctx.scope(), id).await?;
    let change = grants::change_roles(&state, &ctx, &target, &roles).await?;
    Ok(axum::Json(RolesChanged {
        roles: change.roles.iter().map(|r| r.as_str().to_string()).collect(),
        pending_grant: change.pending.map(Into::into),
    }))
}

async fn reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<ResetPasswordRequest>,
) -> ApiResult<axum::Json<ResetPasswordResponse>> {
    state.db.user_get(&ctx.scope(), id).await?;
    let (hash, shown) = password_or_generated(req.password).await?;
    let mut w = state.db.write().await?;
    w.user_set_password(&ctx.actor(), id, &hash).await?;
    w.commit().await?;
    Ok(axum::Json(ResetPasswordResponse { password: shown }))
}
