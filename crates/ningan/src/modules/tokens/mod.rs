//! API tokens for gate devices and partner agencies: created with scopes and an expiry,
//! shown once, listed without their secret, revoked.

mod pages;
pub mod texts;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{delete, get, post};
use ningan_core::Action;
use ningan_core::time::now_ms;
use ningan_store::{ApiToken, NewApiToken};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::ts;
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::secrets;

pub fn routes(api: Api) -> Api {
    let manage = Access::Action(Action::TokenManage);
    api.add(
        Op::api(Method::GET, "/api/tokens", manage, "tokens", "接口令牌列表").response::<Vec<TokenDto>>(),
        get(list),
    )
    .add(
        Op::api(Method::POST, "/api/tokens", manage, "tokens", "新建接口令牌（仅显示一次）")
            .request::<NewTokenRequest>()
            .response::<CreatedToken>()
            .status(201),
        post(create),
    )
    .add(Op::api(Method::DELETE, "/api/tokens/{id}", manage, "tokens", "吊销接口令牌").status(204), delete(revoke))
    .add(Op::page(Method::GET, "/tokens", manage, "接口令牌页"), get(pages::list))
    .add(Op::page(Method::POST, "/tokens", manage, "新建接口令牌"), post(pages::create))
    .add(Op::page(Method::POST, "/tokens/{id}/revoke", manage, "吊销接口令牌"), post(pages::revoke))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TokenDto {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub unit_id: i64,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub live: bool,
    /// Reads personal data beyond one station: works only once a second administrator
    /// approves it (see `/api/grants`).
    pub pending_approval: bool,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> TokenDto {
        TokenDto {
            id: t.id,
            live: t.is_live(now_ms()),
            pending_approval: !t.approved && t.revoked_at.is_none(),
            scopes: t.scopes.iter().map(|a| a.as_str().to_string()).collect(),
            name: t.name,
            prefix: t.prefix,
            unit_id: t.unit_id,
            created_at: ts(t.created_at),
            expires_at: ts(t.expires_at),
            revoked_at: t.revoked_at.map(ts),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewTokenRequest {
    pub name: String,
    /// Defaults to the caller's own unit.
    pub unit_id: Option<i64>,
    /// Actions the token may take, e.g. `resident.read`.
    #[schemars(schema_with = "scope_list")]
    pub scopes: Vec<String>,
    /// 1–366; default 90.
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedToken {
    pub token: TokenDto,
    /// The bearer token; it is not stored and cannot be shown again.
    pub secret: String,
    /// Present when the token waits for a second administrator before it works.
    pub pending_grant: Option<crate::modules::accounts::grants::GrantDto>,
}

/// One or more of the actions a token may carry.
fn scope_list(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let item = crate::http::schema::enum_of(Action::ALL.iter().filter(|a| a.token_scopable()).map(|a| a.as_str()));
    schemars::json_schema!({"type": "array", "minItems": 1, "items": item})
}

pub fn parse_scopes(names: &[String]) -> Result<Vec<Action>, ApiError> {
    if names.is_empty() {
        return Err(Rule::other("至少一个权限", "at least one scope").refuse("tokens", "scopes"));
    }
    names
        .iter()
        .map(|n| match n.parse::<Action>() {
            Ok(a) if a.token_scopable() => Ok(a),
            _ => {
                let allowed: Vec<&str> =
                    Action::ALL.iter().filter(|a| a.token_scopable()).map(|a| a.as_str()).collect();
                Err(Rule::one_of(format!("可授予令牌的权限之一（“{n}”不能）"), &allowed).refuse("tokens", "scopes"))
            }
        })
        .collect()
}

/// What a new token is for.
pub struct TokenSpec {
    pub name: String,
    pub unit_id: i64,
    pub scopes: Vec<Action>,
    pub days: i64,
    pub created_by: Option<i64>,
}

/// Creates a token and returns it with its one-time secret. A token an officer makes that
/// reads personal data beyond one station waits for a second administrator; the command line
/// (the operator of the machine, who holds the database anyway) is not asked.
pub async fn create_token(
    db: &ningan_store::Db,
    actor: &ningan_store::Actor,
    scope: &ningan_store::Scope,
    spec: TokenSpec,
) -> ApiResult<CreatedToken> {
    let TokenSpec { name, unit_id, scopes, days, created_by } = spec;
    if !(1..=366).contains(&days) {
        return Err(Rule::Range(1, 366).refuse("tokens", "expires_in_days"));
    }
    let (secret, prefix, secret_hash) = secrets::new_api_token();
    let new = NewApiToken {
        name,
        prefix,
        secret_hash,
        unit_id,
        scopes,
        created_by,
        expires_at: now_ms() + days * 86_400_000,
    };
    let unit = db.unit_by_id(unit_id).await.map_err(|_| Rule::NotInScope.refuse("tokens", "unit_id"))?;
    let wide = crate::modules::accounts::grants::token_needs_second_admin(&new.scopes, &unit);
    let mut w = db.write().await?;
    let mut token = w.token_insert(actor, scope, &new).await?;
    let pending_grant = match created_by {
        Some(requester) if wide => {
            let grant = w.grant_request_token(actor, requester, token.id).await?;
            token.approved = false;
            Some(grant.into())
        }
        _ => None,
    };
    w.commit().await?;
    Ok(CreatedToken { token: token.into(), secret, pending_grant })
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<TokenDto>>> {
    Ok(axum::Json(state.db.tokens_in_scope(&ctx.scope()).await?.into_iter().map(TokenDto::from).collect()))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewTokenRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreatedToken>)> {
    let scopes = parse_scopes(&req.scopes)?;
    let unit_id = req.unit_id.unwrap_or(ctx.unit.id);
    let spec = TokenSpec {
        name: req.name,
        unit_id,
        scopes,
        days: req.expires_in_days.unwrap_or(90),
        created_by: ctx.user().map(|u| u.id),
    };
    let created = create_token(&state.db, &ctx.actor(), &ctx.scope(), spec).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

async fn revoke(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let mut w = state.db.write().await?;
    w.token_revoke(&ctx.actor(), &ctx.scope(), id).await?;
    w.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
