//! Accesses citizens questioned on the portal, for the auditors: who (the officer, which the
//! citizen does not see), what, when and for what stated purpose, and the citizen's question;
//! the auditors' queue page, and the answer the citizen then reads on the portal.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ningan_store::{AccessFlag, PageRequest};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::refuse;
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::web::{FormState, Frame, PageError, PageResult, Pager, Tr, html};

/// A flag's states, as the list filters them.
const FLAG_STATUSES: &[&str] = &["open", "resolved"];

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
    /// What the auditor found, as the citizen reads it.
    pub finding: Option<String>,
    pub resolved_at: Option<String>,
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
        finding: f.finding,
        resolved_at: f.resolved_at.map(ts),
    }
}

#[derive(Debug, Deserialize, JsonSchema, Default)]
pub struct FlagQuery {
    /// open | resolved
    #[schemars(extend("enum" = FLAG_STATUSES))]
    pub status: Option<String>,
    pub page: Option<i64>,
}

fn status_filter(s: &Option<String>) -> Result<Option<&str>, ApiError> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if FLAG_STATUSES.contains(&s) => Ok(Some(s)),
        Some(_) => Err(refuse("status", Rule::one_of("open（待核查）或 resolved（已核查）", FLAG_STATUSES))),
    }
}

async fn queue(state: &AppState, ctx: &Ctx, q: &FlagQuery) -> ApiResult<ningan_store::Page<AccessFlag>> {
    let page =
        state.db.access_flags(&ctx.scope(), status_filter(&q.status)?, PageRequest::new(q.page, Some(50))).await?;
    let ids: Vec<i64> = page.items.iter().map(|f| f.id).collect();
    let persons: Vec<i64> = page.items.iter().map(|f| f.resident_id).collect();
    crate::http::shown::audit_shown(state, ctx, "access.flag.list", "access_flag", &ids, &persons).await?;
    Ok(page)
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FlagQuery>,
) -> ApiResult<axum::Json<PageDto<FlagDto>>> {
    Ok(axum::Json(PageDto::from_page(queue(&state, &ctx, &q).await?, dto)))
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
    answer(&state, &ctx, id, &req.finding).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Closes a question with what the auditor found; the citizen reads it on the portal.
async fn answer(state: &AppState, ctx: &Ctx, id: i64, finding: &str) -> ApiResult<()> {
    let finding = finding.trim();
    if !(2..=500).contains(&finding.chars().count()) {
        return Err(refuse("finding", Rule::Length(2, 500)));
    }
    let mut w = state.db.write().await?;
    w.access_flag_resolve(&ctx.actor(), &ctx.scope(), id, finding).await?;
    w.commit().await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "services/questions.html")]
struct QueuePage {
    frame: Frame,
    rows: Vec<FlagDto>,
    pager: Pager,
    status: String,
    form: FormState,
    /// The question a refused answer was for.
    refused_id: Option<i64>,
}

impl QueuePage {
    /// Whether the refused answer on this page was for this question.
    fn refused(&self, id: &i64) -> bool {
        self.refused_id == Some(*id)
    }
}

async fn queue_page(state: &AppState, ctx: &Ctx, q: FlagQuery, refused: Option<(i64, FormState)>) -> PageResult {
    let page = queue(state, ctx, &q).await.map_err(|e| PageError::from(e).framed(ctx))?;
    let status = q.status.clone().unwrap_or_default();
    let pager = Pager::new("/audit/questions", &[("status", status.clone())], &page);
    let frame = Frame::for_principal(ctx).crumb("/audit/questions", "nav.questions");
    let (refused_id, form) = match refused {
        Some((id, f)) => (Some(id), f),
        None => (None, FormState::new(frame.tr)),
    };
    let code = form.status();
    let rows = page.items.into_iter().map(dto).collect();
    Ok(html(code, &QueuePage { frame, rows, pager, status, form, refused_id }))
}

pub(super) async fn page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<FlagQuery>) -> PageResult {
    queue_page(&state, &ctx, q, None).await
}

#[derive(Debug, Deserialize, Serialize, Default)]
pub struct AnswerForm {
    #[serde(default)]
    finding: String,
}

pub(super) async fn answer_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<AnswerForm>,
) -> PageResult<Response> {
    match answer(&state, &ctx, id, &form.finding).await {
        Ok(()) => Ok(Redirect::to("/audit/questions").into_response()),
        Err(e) if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND => {
            let refused = FormState::new(Tr::new(ctx.language())).with_values(&form).refused(&e, &["finding"]);
            queue_page(&state, &ctx, FlagQuery::default(), Some((id, refused))).await
        }
        Err(e) => Err(PageError::from(e).framed(&ctx)),
    }
}
