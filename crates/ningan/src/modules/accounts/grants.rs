//! Four eyes on personal-data rights: roles that show people's records, and tokens that read
//! them across more than one station, take effect only when a second administrator approves.
//! Nobody adds such a role to their own account.

use axum::extract::State;
use ningan_core::{Action, Role};
use ningan_store::{Grant, GrantSubject, OrgUnit, UnitKind, User};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::dto::ts;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::json::{Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

/// A requested role set split into what applies now (removals and roles without personal
/// data) and what waits for a second administrator (added personal-data roles).
pub fn split_roles(current: &[Role], requested: &[Role]) -> (Vec<Role>, Vec<Role>) {
    let waits = |r: &Role| r.grants_personal_data() && !current.contains(r);
    let mut now: Vec<Role> = requested.iter().copied().filter(|r| !waits(r)).collect();
    let mut later: Vec<Role> = requested.iter().copied().filter(waits).collect();
    now.sort_unstable();
    now.dedup();
    later.sort_unstable();
    later.dedup();
    (now, later)
}

/// Whether a token with these scopes on this unit waits for a second administrator: it reads
/// personal data beyond a single station's residents.
pub fn token_needs_second_admin(scopes: &[Action], unit: &OrgUnit) -> bool {
    scopes.iter().any(|a| a.personal_data()) && matches!(unit.kind, UnitKind::City | UnitKind::District)
}

pub fn refuse_own_account() -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        "不能给自己的账号增加可查看个人信息的角色，请由另一名管理员办理",
        "you cannot add roles that show personal data to your own account; another administrator must",
    )
}

/// The outcome of a roles form: what the account holds now and what waits.
pub struct RoleChange {
    pub roles: Vec<Role>,
    pub pending: Option<Grant>,
}

/// Applies what may apply at once and files the rest for a second administrator, in one
/// transaction.
pub async fn change_roles(state: &AppState, ctx: &Ctx, target: &User, requested: &[Role]) -> ApiResult<RoleChange> {
    let (now, later) = split_roles(&target.roles, requested);
    let me = ctx.user().map(|u| u.id);
    if !later.is_empty() && me == Some(target.id) {
        return Err(refuse_own_account());
    }
    let requester = me.ok_or_else(|| ApiError::plain(ErrorCode::Forbidden))?;
    let mut held = target.roles.clone();
    held.sort_unstable();
    held.dedup();
    let mut w = state.db.write().await?;
    // Only a real change is written (and audited); `now` is sorted like `held`.
    if now != held {
        w.user_set_roles(&ctx.actor(), target.id, &now).await?;
    }
    let pending = if later.is_empty() {
        None
    } else {
        Some(w.grant_request_roles(&ctx.actor(), requester, target.id, &later).await?)
    };
    w.commit().await?;
    Ok(RoleChange { roles: now, pending })
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct GrantDto {
    pub id: i64,
    /// `roles` or `token`.
    pub kind: &'static str,
    pub user_id: Option<i64>,
    pub token_id: Option<i64>,
    /// The roles added on approval (for `roles`).
    pub roles: Vec<String>,
    pub unit_id: i64,
    pub requested_by: i64,
    pub requested_at: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
}

impl From<Grant> for GrantDto {
    fn from(g: Grant) -> GrantDto {
        let (kind, user_id, token_id, roles) = match g.subject {
            GrantSubject::Roles { user_id, roles } => {
                ("roles", Some(user_id), None, roles.iter().map(|r| r.as_str().to_string()).collect())
            }
            GrantSubject::Token { token_id } => ("token", None, Some(token_id), Vec::new()),
        };
        GrantDto {
            id: g.id,
            kind,
            user_id,
            token_id,
            roles,
            unit_id: g.unit_id,
            requested_by: g.requested_by,
            requested_at: ts(g.requested_at),
            status: g.status,
            decided_by: g.decided_by,
            decided_at: g.decided_at.map(ts),
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct GrantQuery {
    #[schemars(extend("enum" = ningan_store::GRANT_STATUSES))]
    status: Option<String>,
}

pub fn parse_status(status: Option<&str>) -> ApiResult<Option<&str>> {
    match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if ningan_store::GRANT_STATUSES.contains(&s) => Ok(Some(s)),
        Some(_) => {
            Err(Rule::one_of("待审批、已批准或已驳回", ningan_store::GRANT_STATUSES).refuse("accounts", "status"))
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<GrantQuery>,
) -> ApiResult<axum::Json<Vec<GrantDto>>> {
    let status = parse_status(q.status.as_deref())?;
    let grants = state.db.grants_in_scope(&ctx.scope(), status, 200).await?;
    Ok(axum::Json(grants.into_iter().map(GrantDto::from).collect()))
}

/// Approves or rejects; the decider must be another administrator than the one who asked, and
/// not the account that gains the roles.
pub async fn decide(state: &AppState, ctx: &Ctx, id: i64, approve: bool) -> ApiResult<Grant> {
    let grant = state.db.grant_get(&ctx.scope(), id).await?;
    let me = ctx.user().map(|u| u.id).ok_or_else(|| ApiError::plain(ErrorCode::Forbidden))?;
    if grant.requested_by == me || grant.user_id() == Some(me) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "须由另一名管理员审批",
            "a second administrator must decide: not the one who asked, nor the account concerned",
        ));
    }
    if matches!(grant.subject, GrantSubject::Token { .. }) && !ctx.may(Action::TokenManage) {
        return Err(ApiError::plain(ErrorCode::Forbidden));
    }
    let mut w = state.db.write().await?;
    let decided = w.grant_decide(&ctx.actor(), &ctx.scope(), id, me, approve).await?;
    w.commit().await?;
    Ok(decided)
}

pub async fn approve(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<axum::Json<GrantDto>> {
    Ok(axum::Json(decide(&state, &ctx, id, true).await?.into()))
}

pub async fn reject(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<axum::Json<GrantDto>> {
    Ok(axum::Json(decide(&state, &ctx, id, false).await?.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals_and_plain_roles_apply_now_and_new_personal_data_roles_wait() {
        let current = [Role::StationOfficer];
        let (now, later) = split_roles(&current, &[Role::Administrator, Role::Investigator]);
        assert_eq!(now, vec![Role::Administrator], "station officer removed at once, administrator added at once");
        assert_eq!(later, vec![Role::Investigator]);
        let (now, later) = split_roles(&current, &[Role::StationOfficer]);
        assert_eq!((now, later), (vec![Role::StationOfficer], vec![]));
    }
}
