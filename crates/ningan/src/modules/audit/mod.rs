//! The audit trail for auditors: search by actor, person, action and time; verify the hash
//! chain.

mod pages;
pub mod texts;

use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use chrono::{NaiveDate, TimeZone};
use ningan_core::Action;
use ningan_store::{AuditFilter, AuditRecord, PageRequest};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::Query;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::AuditRead);
    api.add(
        Op::api(Method::GET, "/api/audit", read, "audit", "检索审计日志")
            .query(&[
                ("actor", "操作者，如 user:zhangsan"),
                ("person_id", "被查询人员编号"),
                ("action", "操作，如 resident.reveal"),
                ("from", "起始日期 YYYY-MM-DD（含）"),
                ("to", "截止日期 YYYY-MM-DD（含）"),
                ("page", "页码"),
                ("per_page", "每页条数"),
            ])
            .response::<PageDto<AuditDto>>()
            .query_type::<SearchQuery>(),
        get(search),
    )
    .add(
        Op::api(Method::GET, "/api/audit/verify", read, "audit", "校验审计日志哈希链").response::<ChainDto>(),
        get(verify),
    )
    .add(Op::page(Method::GET, "/audit", read, "审计日志页"), get(pages::search))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditDto {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub actor_unit_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub person_id: Option<i64>,
    pub purpose: Option<String>,
    pub detail: String,
    pub hash: String,
}

impl From<AuditRecord> for AuditDto {
    fn from(r: AuditRecord) -> AuditDto {
        AuditDto {
            seq: r.seq,
            at: ts(r.at),
            actor: r.entry.actor,
            actor_unit_id: r.entry.actor_unit_id,
            action: r.entry.action,
            object_type: r.entry.object_type,
            object_id: r.entry.object_id,
            person_id: r.entry.person_id,
            purpose: r.entry.purpose,
            detail: r.entry.detail,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ChainDto {
    pub entries: i64,
    pub head: String,
    pub intact: bool,
    pub first_broken_seq: Option<i64>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct SearchQuery {
    actor: Option<String>,
    person_id: Option<i64>,
    action: Option<String>,
    #[schemars(extend("format" = "date", "pattern" = crate::http::schema::DATE_PATTERN))]
    from: Option<String>,
    #[schemars(extend("format" = "date", "pattern" = crate::http::schema::DATE_PATTERN))]
    to: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// Midnight CST of a `YYYY-MM-DD` date, in epoch milliseconds.
pub(crate) fn day_start(field: &str, s: &str) -> Result<i64, ApiError> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| Rule::Date.refuse("audit", field))?;
    let t = ningan_core::time::cst()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .ok_or_else(|| Rule::Date.refuse("audit", field))?;
    Ok(t.timestamp_millis())
}

async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> ApiResult<axum::Json<PageDto<AuditDto>>> {
    let nonempty = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let from_ms = nonempty(q.from).map(|s| day_start("from", &s)).transpose()?;
    let to_ms = nonempty(q.to).map(|s| day_start("to", &s).map(|t| t + 86_400_000)).transpose()?;
    let filter =
        AuditFilter { actor: nonempty(q.actor), person_id: q.person_id, action: nonempty(q.action), from_ms, to_ms };
    let page = state.db.audit_search(&ctx.scope(), &filter, PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, AuditDto::from)))
}

async fn verify(State(state): State<AppState>) -> ApiResult<axum::Json<ChainDto>> {
    let r = state.db.verify_audit_chain().await?;
    Ok(axum::Json(ChainDto {
        entries: r.entries,
        head: r.head,
        intact: r.first_broken.is_none(),
        first_broken_seq: r.first_broken.as_ref().map(|(s, _)| *s),
        reason: r.first_broken.map(|(_, why)| why),
    }))
}
