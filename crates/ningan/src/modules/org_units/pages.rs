//! The org-unit pages: the tree of the viewer's units, and a unit with its officers and
//! sub-units.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use ningan_store::{OrgUnit, PageRequest, User};
use serde::Deserialize;

use crate::app::AppState;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::page::opt_i64;
use crate::web::{Frame, PageError, PageResult, Pager, html};

pub struct TreeRow {
    pub unit: OrgUnit,
    pub depth: usize,
    pub kind: &'static str,
}

fn rows(frame: &Frame, units: Vec<OrgUnit>, base_depth: usize) -> Vec<TreeRow> {
    units
        .into_iter()
        .map(|u| TreeRow {
            depth: u.path.matches('/').count().saturating_sub(2 + base_depth),
            kind: frame.tr.pick(u.kind.label_zh(), u.kind.as_str()),
            unit: u,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "org_units/tree.html")]
struct TreePage {
    frame: Frame,
    rows: Vec<TreeRow>,
}

pub async fn tree(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let frame = Frame::for_principal(&ctx).crumb("/units", "nav.units");
    let base = ctx.unit.path.matches('/').count().saturating_sub(2);
    let rows = rows(&frame, units, base);
    Ok(html(StatusCode::OK, &TreePage { frame, rows }))
}

#[derive(Template)]
#[template(path = "org_units/detail.html")]
struct DetailPage {
    frame: Frame,
    unit: OrgUnit,
    kind: &'static str,
    children: Vec<TreeRow>,
    officers: Vec<User>,
    pager: Pager,
    show_officers: bool,
}

#[derive(Deserialize)]
pub struct DetailQuery {
    page: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    let unit = state.db.unit_get(&ctx.scope(), id).await.map_err(|e| PageError::from(e).framed(&ctx))?;
    let frame = Frame::for_principal(&ctx).crumb("/units", "nav.units").crumb_text("", &unit.name);
    let children: Vec<OrgUnit> =
        state.db.units_in_scope(&unit.scope()).await?.into_iter().filter(|u| u.parent_id == Some(unit.id)).collect();
    let show_officers = ctx.may(ningan_core::Action::UserRead);
    let officers = if show_officers {
        state.db.users_in_scope(&ctx.scope(), Some(unit.id), None, PageRequest::new(opt_i64(&q.page), Some(50))).await?
    } else {
        ningan_store::Page { items: Vec::new(), page: 1, per_page: 50, total: 0 }
    };
    let pager = Pager::new(&format!("/units/{id}"), &[], &officers);
    let children = rows(&frame, children, 0);
    let kind = frame.tr.pick(unit.kind.label_zh(), unit.kind.as_str());
    Ok(html(
        StatusCode::OK,
        &DetailPage { frame, kind, unit, children, officers: officers.items, pager, show_officers },
    ))
}
