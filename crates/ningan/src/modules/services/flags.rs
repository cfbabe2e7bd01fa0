//! Accesses citizens questioned on the portal, for the auditors: who (the officer, which the
//! citizen does not see), what, when and for what stated purpose, and the citizen's question.

use axum::extract::State;
use axum::http::StatusCode;
use ningan_store::{AccessFlag, PageRequest};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;

#[derive(Debug, Serialize, JsonSchema)]
pub struct FlagDto {
    pub id: i64,
    pub audit_seq: i64,
    pub resident_id: i64,
    pub question: String,
    /// open | resolved
    pub status: String,
    pub raised_at: String,
    pub actor: String,
    pub action: String,
    pub purpose: Option<String>,
    pub accessed_at: String,
}

fn dto(f: AccessFlag) -> FlagDto {
    FlagDto {
        id: f.id,
        audit_seq: f.audit_seq,
        resident_id: f.resident_id,
        question: f.reason,
        status: f.status,
        raised_at: ts(f.created_at),
        actor: f.actor,
        action: f.action,
        purpose: f.purpose,
        accessed_at: ts(f.at),
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FlagQuery {
    pub page: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FlagQuery>,
) -> ApiResult<axum::Json<PageDto<FlagDto>>> {
    let page = state.db.access_flags(&ctx.scope(), PageRequest::new(q.page, Some(50))).await?;
    let ids: Vec<i64> = page.items.iter().map(|f| f.id).collect();
    let persons: Vec<i64> = page.items.iter().map(|f| f.resident_id).collect();
    crate::http::shown::audit_shown(&state, &ctx, "access.flag.list", "access_flag", &ids, &persons).await?;
    Ok(axum::Json(PageDto::from_page(page, dto)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ResolveRequest {
    /// What the auditor found (2–500 characters).
    pub finding: String,
}

pub(super) async fn resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<ResolveRequest>,
) -> ApiResult<StatusCode> {
    let finding = req.finding.trim();
    if !(2..=500).contains(&finding.chars().count()) {
        return Err(ApiError::field("finding", "请填写核查结论（2–500字）", "state the finding (2–500 characters)"));
    }
    let mut w = state.db.write().await?;
    w.access_flag_resolve(&ctx.actor(), &ctx.scope(), id, finding).await?;
    w.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
