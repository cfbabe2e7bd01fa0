//! The audit pages for auditors: search the trail by actor, person, action and dates, and
//! verify the hash chain.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use ningan_store::{AuditFilter, ChainReport, PageRequest};
use serde::Deserialize;

use super::{AuditDto, day_start};
use crate::app::AppState;
use crate::http::principal::Ctx;
use crate::web::page::{nonempty, opt_i64};
use crate::web::{Frame, PageResult, Pager, html};

#[derive(Deserialize)]
pub struct SearchQuery {
    actor: Option<String>,
    person_id: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
    verify: Option<String>,
}

#[derive(Template)]
#[template(path = "audit/search.html")]
struct SearchPage {
    frame: Frame,
    actor: String,
    person_id: String,
    action: String,
    from: String,
    to: String,
    date_error: Option<String>,
    /// Entries with their time as officers read it (CST, to the second).
    rows: Vec<(AuditDto, String)>,
    pager: Pager,
    chain: Option<ChainReport>,
}

pub async fn search(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SearchQuery>) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/audit", "nav.audit");
    let (from, to) = (nonempty(&q.from), nonempty(&q.to));
    let mut date_error = None;
    let from_ms = from.as_deref().and_then(|s| day_start("from", s).map_err(|e| date_error = Some(e.detail_zh)).ok());
    let to_ms = to
        .as_deref()
        .and_then(|s| day_start("to", s).map(|t| t + 86_400_000).map_err(|e| date_error = Some(e.detail_zh)).ok());
    let filter = AuditFilter {
        actor: nonempty(&q.actor),
        person_id: opt_i64(&q.person_id),
        action: nonempty(&q.action),
        from_ms,
        to_ms,
    };
    let page = state.db.audit_search(&ctx.scope(), &filter, PageRequest::new(opt_i64(&q.page), Some(50))).await?;
    let filters = [
        ("actor", filter.actor.clone().unwrap_or_default()),
        ("person_id", filter.person_id.map(|p| p.to_string()).unwrap_or_default()),
        ("action", filter.action.clone().unwrap_or_default()),
        ("from", from.clone().unwrap_or_default()),
        ("to", to.clone().unwrap_or_default()),
    ];
    let pager = Pager::new("/audit", &filters, &page);
    let chain = if q.verify.is_some() { Some(state.db.verify_audit_chain().await?) } else { None };
    let page = SearchPage {
        frame,
        actor: filter.actor.unwrap_or_default(),
        person_id: filter.person_id.map(|p| p.to_string()).unwrap_or_default(),
        action: filter.action.unwrap_or_default(),
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
        date_error,
        rows: page
            .items
            .into_iter()
            .map(|r| {
                let shown = ningan_core::time::format_ms(r.at);
                (AuditDto::from(r), shown)
            })
            .collect(),
        pager,
        chain,
    };
    Ok(html(StatusCode::OK, &page))
}
