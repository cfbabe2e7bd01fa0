//! Follow-ups for visitors (外来人员密接管控): a visitor among a case's contacts, not matched
//! to the register, becomes a task for the station where they stay, worked notified →
//! transferred → in quarantine → released like a resident's follow-up. Confirming the
//! investigation again updates the figures and never lowers a close contact to secondary.

use axum::extract::State;
use axum::http::StatusCode;
use ningan_store::Migration;
use ningan_store::sql::{Row, RowExt as _, query};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::dto::ts;
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;

pub const MIGRATION: Migration = Migration {
    version: 38,
    name: "precise control: follow-up tasks for visitors, at the station where they stay",
    common: r#"
CREATE TABLE visitor_followups (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    visitor_id BIGINT NOT NULL REFERENCES visitors(id),
    tier TEXT NOT NULL,
    status TEXT NOT NULL,
    overlap_s BIGINT NOT NULL,
    first_exposure BIGINT NOT NULL,
    last_exposure BIGINT NOT NULL,
    note TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (case_id, visitor_id)
);
CREATE INDEX visitor_followups_scope ON visitor_followups (unit_path, id);
"#,
    sqlite: "",
    postgres: "",
};

/// A visitor contact an investigation found.
#[derive(Debug, Clone)]
pub struct FoundVisitor {
    pub visitor_id: i64,
    /// close | secondary
    pub tier: &'static str,
    pub overlap_s: i64,
    pub first_exposure: i64,
    pub last_exposure: i64,
}

/// Makes the visitors tasks at their stations: (added, updated).
pub async fn confirm(
    w: &mut ningan_store::Write,
    case_id: i64,
    found: &[FoundVisitor],
) -> Result<(u64, u64), ningan_store::StoreError> {
    let now = ningan_core::time::now_ms();
    let (mut added, mut updated) = (0, 0);
    for f in found {
        let held = query("SELECT tier FROM visitor_followups WHERE case_id = $1 AND visitor_id = $2")
            .bind(case_id)
            .bind(f.visitor_id)
            .fetch_optional(w.connection())
            .await?;
        match held {
            None => {
                let inserted = query(
                    "INSERT INTO visitor_followups (case_id, visitor_id, tier, status, overlap_s, first_exposure, \
                     last_exposure, note, unit_id, unit_path, created_at, updated_at) \
                     SELECT $1, v.id, $2, 'notified', $3, $4, $5, '', v.unit_id, v.unit_path, $6, $6 \
                     FROM visitors v WHERE v.id = $7",
                )
                .bind(case_id)
                .bind(f.tier)
                .bind(f.overlap_s)
                .bind(f.first_exposure)
                .bind(f.last_exposure)
                .bind(now)
                .bind(f.visitor_id)
                .execute(w.connection())
                .await?;
                added += inserted.rows_affected();
            }
            Some(row) => {
                let tier: String = row.try_get("tier")?;
                // A close contact stays close.
                let tier = if tier == "close" { "close" } else { f.tier };
                query(
                    "UPDATE visitor_followups SET tier = $1, overlap_s = $2, first_exposure = $3, last_exposure = $4, \
                     updated_at = $5 WHERE case_id = $6 AND visitor_id = $7",
                )
                .bind(tier)
                .bind(f.overlap_s)
                .bind(f.first_exposure)
                .bind(f.last_exposure)
                .bind(now)
                .bind(case_id)
                .bind(f.visitor_id)
                .execute(w.connection())
                .await?;
                updated += 1;
            }
        }
    }
    Ok((added, updated))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VisitorFollowupDto {
    pub id: i64,
    pub case_id: i64,
    pub visitor_id: i64,
    pub visitor_name: String,
    pub staying_address: String,
    /// close | secondary
    pub tier: String,
    /// notified | transferred | quarantined | released
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    pub last_exposure: String,
    pub note: String,
}

fn dto(r: &Row) -> ningan_store::Result<VisitorFollowupDto> {
    let status: String = r.try_get("status")?;
    Ok(VisitorFollowupDto {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        visitor_id: r.try_get("visitor_id")?,
        visitor_name: r.try_get("visitor_name")?,
        staying_address: r.try_get("staying_address")?,
        tier: r.try_get("tier")?,
        status_zh: ningan_core::labels::zh(ningan_core::labels::FOLLOWUP_STATUS, &status).into(),
        status_en: ningan_core::labels::en(ningan_core::labels::FOLLOWUP_STATUS, &status).into(),
        status,
        last_exposure: ts(r.try_get::<i64, _>("last_exposure")? * 1000),
        note: r.try_get("note")?,
    })
}

/// The visitor tasks of the caller's stations, open ones first, newest first (audited).
pub async fn list(state: &AppState, ctx: &Ctx) -> ApiResult<Vec<VisitorFollowupDto>> {
    let (lo, hi) = ctx.scope().range();
    let rows = query(
        "SELECT f.*, v.name AS visitor_name, v.staying_address FROM visitor_followups f \
         JOIN visitors v ON v.id = f.visitor_id WHERE f.unit_path >= $1 AND f.unit_path < $2 \
         ORDER BY CASE WHEN f.status = 'released' THEN 1 ELSE 0 END, f.id DESC LIMIT 200",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(state.db.reader())
    .await
    .map_err(ningan_store::StoreError::from)?;
    let items = rows.iter().map(dto).collect::<ningan_store::Result<Vec<_>>>()?;
    if !items.is_empty() {
        let ids: Vec<String> = items.iter().map(|f| f.visitor_id.to_string()).collect();
        let mut w = state.db.write().await?;
        let detail = format!("visitor follow-ups; shown visitors {}", ids.join(","));
        w.audit(ctx.actor().audit("visitor.followups", "visitor_followup", 0, None, None, &detail)).await?;
        w.commit().await?;
    }
    Ok(items)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(extend("required" = ["status"], "allOf" = [{
    "if": {"properties": {"status": {"const": "released"}}, "required": ["status"]},
    "then": {"required": ["note"], "properties": {"note": {"minLength": 2, "pattern": "\\S[\\s\\S]*\\S"}}}
}]))]
pub struct StatusRequest {
    /// transferred | quarantined | released (forward only)
    #[serde(default)]
    #[schemars(extend("enum" = ningan_store::FOLLOWUP_STATUSES))]
    pub status: String,
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub note: String,
}

/// The statuses a task in `status` may move to, with their names in the page's language.
pub fn next_statuses(tr: &crate::web::Tr, status: &str) -> Vec<(&'static str, &'static str)> {
    let labels = ningan_core::labels::FOLLOWUP_STATUS;
    ningan_store::FOLLOWUP_STATUSES
        .iter()
        .filter(|to| ningan_store::followup_transition_allowed(status, to))
        .map(|to| (*to, tr.pick(ningan_core::labels::zh(labels, to), ningan_core::labels::en(labels, to))))
        .collect()
}

/// Refuses a move a follow-up may not make (forward only), on the `status` field.
pub fn check_move(current: &str, to: &str) -> ApiResult<()> {
    if ningan_store::followup_transition_allowed(current, to) {
        return Ok(());
    }
    let rule = Rule::other(format!("不能从“{current}”变为“{to}”"), format!("cannot go from {current} to {to}"));
    Err(refuse("status", rule))
}

/// Where a task page's status form goes after the move: back to `back`, with the refusal
/// as `param` in the page's language when the move was refused.
pub fn back_to(ctx: &Ctx, moved: ApiResult<()>, back: &str, param: &str) -> axum::response::Response {
    use axum::response::{IntoResponse, Redirect};
    match moved {
        Ok(()) => Redirect::to(back).into_response(),
        Err(e) if e.code.status().is_client_error() => {
            let tr = crate::web::Tr::new(ctx.language());
            let query = serde_urlencoded::to_string([(param, tr.pick(&e.detail_zh, &e.detail_en))]).unwrap_or_default();
            let (path, anchor) = back.split_once('#').map_or((back, String::new()), |(p, a)| (p, format!("#{a}")));
            Redirect::to(&format!("{path}?{query}{anchor}")).into_response()
        }
        Err(e) => crate::web::PageError::from(e).framed(ctx).into_response(),
    }
}

/// Moves a visitor task of the caller's stations forward.
pub async fn advance(state: &AppState, ctx: &Ctx, id: i64, req: &StatusRequest) -> ApiResult<()> {
    if req.note.chars().count() > 500 {
        return Err(refuse("note", Rule::TooLong(500)));
    }
    let (lo, hi) = ctx.scope().range();
    let current: String =
        query("SELECT status FROM visitor_followups WHERE id = $1 AND unit_path >= $2 AND unit_path < $3")
            .bind(id)
            .bind(&lo)
            .bind(&hi)
            .fetch_optional(state.db.reader())
            .await
            .map_err(ningan_store::StoreError::from)?
            .ok_or(ningan_store::StoreError::NotFound)?
            .try_get("status")
            .map_err(ningan_store::StoreError::from)?;
    check_move(&current, &req.status)?;
    let mut w = state.db.write().await?;
    query("UPDATE visitor_followups SET status = $1, note = $2, updated_at = $3 WHERE id = $4")
        .bind(&req.status)
        .bind(req.note.trim())
        .bind(ningan_core::time::now_ms())
        .bind(id)
        .execute(w.connection())
        .await
        .map_err(ningan_store::StoreError::from)?;
    let detail = format!("{current} → {}", req.status);
    w.audit(ctx.actor().audit("visitor.followup.status", "visitor_followup", id, None, None, &detail)).await?;
    w.commit().await?;
    Ok(())
}

pub(super) async fn get_list(
    State(state): State<AppState>,
    ctx: Ctx,
) -> ApiResult<axum::Json<Vec<VisitorFollowupDto>>> {
    Ok(axum::Json(list(&state, &ctx).await?))
}

pub(super) async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<StatusRequest>,
) -> ApiResult<StatusCode> {
    advance(&state, &ctx, id, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn page_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<StatusRequest>,
) -> crate::web::PageResult<axum::response::Response> {
    Ok(back_to(&ctx, advance(&state, &ctx, id, &form).await, "/precise/visitors#tasks", "task_error"))
}

/// This capability's routes.
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(
            Method::GET,
            "/api/visitor-followups",
            Access::Action(Action::CaseRead),
            "precise",
            "外来人员密接管控任务（暂住地派出所）",
        )
        .response::<Vec<VisitorFollowupDto>>(),
        get(get_list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/visitor-followups/{id}/status",
            Access::Action(Action::FollowupWrite),
            "precise",
            "处置外来人员管控任务（只进不退）",
        )
        .request::<StatusRequest>()
        .status(204),
        post(set_status),
    )
    .add(
        Op::page(
            Method::POST,
            "/precise/visitor-followups/{id}/status",
            Access::Action(Action::FollowupWrite),
            "处置外来人员管控任务",
        ),
        post(page_status),
    )
}
