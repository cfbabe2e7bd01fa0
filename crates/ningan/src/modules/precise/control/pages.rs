//! The control pages: a station's follow-up tasks, control zones with their map and history,
//! and resident passes shown as QR codes.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::Action;
use ningan_core::gate::ZoneLevel;
use ningan_store::{FOLLOWUP_STATUSES, PageRequest};
use serde::{Deserialize, Serialize};

use super::gates::{PassDto, issue_pass};
use super::zones::{ZoneDetailDto, ZoneDto};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;
use crate::modules::precise::tracing::followups::{FollowupDto, status_zh};
use crate::web::page::{nonempty, opt_i64};
use crate::web::{FormState, Frame, PageError, PageResult, Pager, Tr, html};

/// A list page's page number, its only query.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<String>,
}

/// The follow-up list's query: filters, page size, and what the last bulk move did.
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct FollowupFilter {
    status: Option<String>,
    tier: Option<String>,
    case_id: Option<String>,
    size: Option<String>,
    page: Option<String>,
    /// After a bulk move: how many moved, and the ids left as they were.
    moved: Option<String>,
    refused: Option<String>,
}

impl FollowupFilter {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let v = |o: &Option<String>| nonempty(o).unwrap_or_default();
        vec![("status", v(&self.status)), ("tier", v(&self.tier)), ("case_id", v(&self.case_id))]
    }

    fn query(&self) -> Result<ningan_store::FollowupQuery, ApiError> {
        let raw = self.case_id.clone().unwrap_or_default();
        let case_id = crate::web::page::form_value::<i64>("case_id", "病例编号", "case number", &raw)?;
        crate::modules::precise::tracing::followups::followup_query(
            self.status.as_deref(),
            case_id,
            self.tier.as_deref(),
        )
    }
}

#[derive(Template)]
#[template(path = "precise/followups.html")]
struct FollowupsPage {
    frame: Frame,
    filter: FollowupFilter,
    statuses: Vec<(&'static str, &'static str)>,
    rows: Vec<(FollowupDto, Option<(&'static str, &'static str)>)>,
    pager: Pager,
    may_write: bool,
    /// The query form's and the bulk form's errors, beside their fields.
    form: FormState,
    /// What the last bulk move did, in the page's language.
    notice: Option<String>,
}

impl FollowupsPage {
    fn status_is(&self, s: &str) -> bool {
        self.filter.status.as_deref() == Some(s)
    }
}

/// The next step of a follow-up and its label, if any.
fn next_step(status: &str) -> Option<(&'static str, &'static str)> {
    let i = FOLLOWUP_STATUSES.iter().position(|s| *s == status)?;
    let next = FOLLOWUP_STATUSES.get(i + 1)?;
    Some((next, status_zh(next)))
}

pub async fn followups(State(state): State<AppState>, ctx: Ctx, Query(q): Query<FollowupFilter>) -> PageResult {
    followups_page(&state, &ctx, q, None).await
}

async fn followups_page(state: &AppState, ctx: &Ctx, q: FollowupFilter, refused: Option<ApiError>) -> PageResult {
    let frame = Frame::for_principal(ctx).crumb("/precise/followups", "nav.followups");
    let tr = frame.tr;
    let mut form = FormState::new(tr);
    let query = match q.query() {
        Ok(query) => query,
        Err(e) => {
            form = form.refused(&e, &["status", "tier", "case_id"]);
            ningan_store::FollowupQuery::default()
        }
    };
    if let Some(e) = &refused {
        form = form.refused(e, &["ids", "bulk_status", "reason"]);
    }
    let size = crate::web::page::page_size(&q.size);
    let mut w = state.db.write().await?;
    let page =
        w.followup_search(&ctx.actor(), &ctx.scope(), &query, PageRequest::new(opt_i64(&q.page), Some(size))).await?;
    w.commit().await?;
    let pager =
        Pager::new("/precise/followups", &q.pairs(), &page).sizable().capped_at(ningan_store::FOLLOWUP_COUNT_CAP);
    let statuses = FOLLOWUP_STATUSES
        .iter()
        .map(|s| (*s, tr.pick(status_zh(s), ningan_core::labels::en(ningan_core::labels::FOLLOWUP_STATUS, s))))
        .collect();
    let rows = page
        .items
        .into_iter()
        .map(FollowupDto::from)
        .map(|f| {
            let next = next_step(&f.status);
            (f, next)
        })
        .collect();
    let notice = q.moved.as_deref().and_then(|m| m.parse::<usize>().ok()).map(|moved| {
        let left = q.refused.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()).count();
        if left == 0 {
            tr.pick(&format!("已更新{moved}人"), &format!("{moved} moved")).to_string()
        } else {
            tr.pick(
                &format!("已更新{moved}人；{left}人未更新（已是该状态或之后的状态，或不在本单位辖区）"),
                &format!("{moved} moved; {left} left as they were (already there or past it, or outside your area)"),
            )
            .to_string()
        }
    });
    let page = FollowupsPage {
        statuses,
        rows,
        pager,
        may_write: ctx.may(Action::FollowupWrite),
        filter: q,
        form,
        notice,
        frame,
    };
    Ok(html(page.form.status(), &page))
}

/// The filtered follow-ups as a file (CSV, XLSX or Parquet), at most [`EXPORT_CAP`] rows; the search
/// audits every person it reads, as the list does.
///
/// [`EXPORT_CAP`]: crate::web::export::EXPORT_CAP
async fn followups_export(
    state: &AppState,
    ctx: &Ctx,
    q: FollowupFilter,
    format: crate::web::export::Format,
) -> PageResult<Response> {
    use crate::web::export::{Table, download, gather};
    let query = q.query().map_err(|e| PageError::from(e).framed(ctx))?;
    let tr = Tr::new(ctx.language());
    let query = &query;
    // Each page is read in its own write, so the search's audit of the people shown commits.
    let found = gather(|page| async move {
        let mut w = state.db.write().await?;
        let found = w.followup_search(&ctx.actor(), &ctx.scope(), query, page).await?;
        w.commit().await?;
        Ok::<_, ningan_store::StoreError>(found.items)
    })
    .await?;
    let rows = found
        .into_iter()
        .map(FollowupDto::from)
        .map(|f| {
            vec![
                f.resident_name.clone(),
                if f.tier == "close" { tr.pick("密接", "close") } else { tr.pick("次密接", "secondary") }.to_string(),
                f.case_id.to_string(),
                crate::web::fmt::when(&f.first_exposure),
                crate::web::fmt::when(&f.last_exposure),
                tr.pick(&f.status_zh, &f.status_en).to_string(),
                crate::web::fmt::when(&f.updated_at),
            ]
        })
        .collect();
    let headers = [
        ("姓名", "Name"),
        ("类别", "Tier"),
        ("病例编号", "Case no."),
        ("首次暴露", "First exposure"),
        ("末次暴露", "Last exposure"),
        ("状态", "Status"),
        ("更新时间", "Updated"),
    ];
    let table = Table::new("followups", tr, &headers, rows);
    Ok(download(&table, format)?)
}

pub async fn followups_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FollowupFilter>,
) -> PageResult<Response> {
    followups_export(&state, &ctx, q, crate::web::export::Format::Csv).await
}

pub async fn followups_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FollowupFilter>,
) -> PageResult<Response> {
    followups_export(&state, &ctx, q, crate::web::export::Format::Xlsx).await
}

pub async fn followups_parquet(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FollowupFilter>,
) -> PageResult<Response> {
    followups_export(&state, &ctx, q, crate::web::export::Format::Parquet).await
}

/// Moves the ticked follow-ups one way, then back to the same list with what happened.
pub async fn followups_bulk(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let one = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let back = FollowupFilter {
        status: one("status"),
        tier: one("tier"),
        case_id: one("case_id"),
        size: one("size"),
        ..Default::default()
    };
    let mut ids = Vec::new();
    for (_, v) in fields.iter().filter(|(k, _)| k == "ids") {
        match v.trim().parse::<i64>() {
            Ok(id) => ids.push(id),
            Err(_) => {
                let e = refuse("ids", Rule::other("所选人员编号无效", "a selected row is not a follow-up"));
                return Ok(followups_page(&state, &ctx, back, Some(e)).await?.into_response());
            }
        }
    }
    let target = one("bulk_status").unwrap_or_default();
    let reason = one("reason").unwrap_or_default();
    match crate::modules::precise::tracing::followups::change_status_many(&state, &ctx, &ids, &target, &reason).await {
        Ok(report) => {
            let refused: Vec<String> = report.refused.iter().map(|r| r.id.to_string()).collect();
            let mut pairs = back.pairs();
            pairs.push(("size", back.size.clone().unwrap_or_default()));
            pairs.push(("moved", report.moved.len().to_string()));
            pairs.push(("refused", refused.join(",")));
            Ok(Redirect::to(&format!("/precise/followups?{}", crate::web::page::query(&pairs))).into_response())
        }
        Err(e) => {
            // The request's own field names are the bulk form's.
            let mut e = e;
            for f in &mut e.errors {
                if f.field == "status" {
                    f.field = "bulk_status".into();
                } else if f.field == "note" {
                    f.field = "reason".into();
                }
            }
            Ok(followups_page(&state, &ctx, back, Some(e)).await?.into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    status: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
}

pub async fn followup_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> PageResult<Response> {
    // The page's confirmation dialog sends its reason as `reason`; the API calls it `note`.
    let note = if form.note.trim().is_empty() { form.reason.as_str() } else { form.note.as_str() };
    crate::modules::precise::tracing::followups::change_status(&state, &ctx, id, &form.status, note)
        .await
        .map_err(|e| PageError::from(e).framed(&ctx))?;
    Ok(Redirect::to("/precise/followups").into_response())
}

#[derive(Template)]
#[template(path = "precise/zones.html")]
struct ZonesPage {
    frame: Frame,
    rows: Vec<ZoneDto>,
    pager: Pager,
    levels: Vec<(&'static str, &'static str)>,
    unit_options: Vec<(i64, String)>,
    may_manage: bool,
    form: FormState,
}

/// The zone form's fields, for placing a refusal beside the right one.
const ZONE_FIELDS: &[&str] = &["name", "level", "unit_id", "geometry", "planned_end"];

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct ZoneForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    geometry: String,
    #[serde(default)]
    planned_end: String,
}

fn levels(frame: &Frame) -> Vec<(&'static str, &'static str)> {
    ZoneLevel::ALL
        .iter()
        .rev()
        .map(|l| (l.as_str(), if frame.tr.is_en() { l.as_str() } else { l.label_zh() }))
        .collect()
}

async fn zones_page(state: &AppState, ctx: &Ctx, page: Option<i64>, form: Option<FormState>) -> PageResult {
    let page = state.db.zone_search(&ctx.scope(), true, PageRequest::new(page, Some(20))).await?;
    let pager = Pager::new("/precise/zones", &[], &page);
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let frame = Frame::for_principal(ctx).crumb("/precise/zones", "nav.zones");
    let form = form.unwrap_or_else(|| FormState::new(frame.tr));
    let page = ZonesPage {
        rows: page.items.into_iter().map(ZoneDto::from).collect(),
        pager,
        unit_options: units.iter().map(|u| (u.id, frame.tr.pick(&u.name, &u.name_en).to_string())).collect(),
        levels: levels(&frame),
        may_manage: ctx.may(Action::ZoneManage),
        form,
        frame,
    };
    Ok(html(page.form.status(), &page))
}

pub async fn zones(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PageQuery>) -> PageResult {
    zones_page(&state, &ctx, opt_i64(&q.page), None).await
}

pub async fn zone_create(State(state): State<AppState>, ctx: Ctx, Form(form): Form<ZoneForm>) -> PageResult<Response> {
    let planned_end = form.planned_end.trim();
    let parsed = serde_json::from_str::<serde_json::Value>(&form.geometry)
        .map_err(|_| refuse("geometry", Rule::other("请在地图上画出区域", "draw the zone on the map")))
        .and_then(|geometry| {
            let unit_id = crate::web::page::form_required::<i64>("unit_id", "责任单位", "Unit", &form.unit_id)?;
            Ok(super::zones::NewZoneRequest {
                name: form.name.clone(),
                level: form.level.clone(),
                geometry,
                unit_id,
                starts_at: None,
                planned_end: (!planned_end.is_empty()).then(|| format!("{planned_end}:00+08:00")),
            })
        });
    let created = match parsed {
        Ok(req) => super::zones::create_zone(&state, &ctx, req).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(id) => Ok(Redirect::to(&format!("/precise/zones/{id}")).into_response()),
        Err(e) => {
            let kept = FormState::new(Tr::new(ctx.language())).with_values(&form).refused(&e, ZONE_FIELDS);
            zones_page(&state, &ctx, None, Some(kept)).await
        }
    }
}

#[derive(Template)]
#[template(path = "precise/zone.html")]
struct ZonePage {
    frame: Frame,
    zone: ZoneDetailDto,
    map_json: String,
    levels: Vec<(&'static str, &'static str)>,
    may_manage: bool,
    error: Option<String>,
}

async fn zone_page(state: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> PageResult {
    let zone = super::zones::detail(state, ctx, id).await.map_err(|e| PageError::from(e).framed(ctx))?;
    let map = serde_json::json!({
        "geometry": zone.zone.geometry,
        "level": zone.zone.level,
        "points": zone.gates.iter().map(|g| serde_json::json!({"name": g.name, "lon": g.lon, "lat": g.lat})).collect::<Vec<_>>(),
    });
    let href = format!("/precise/zones/{id}");
    let frame = Frame::for_principal(ctx).crumb("/precise/zones", "nav.zones").crumb_text(&href, &zone.zone.name);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ZonePage {
        map_json: map.to_string(),
        levels: levels(&frame),
        may_manage: ctx.may(Action::ZoneManage) && zone.zone.lifted_at.is_none(),
        error,
        zone,
        frame,
    };
    Ok(html(status, &page))
}

pub async fn zone(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    zone_page(&state, &ctx, id, None).await
}

#[derive(Deserialize)]
pub struct ZoneActionForm {
    action: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    reason: String,
}

pub async fn zone_action(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ZoneActionForm>,
) -> PageResult<Response> {
    let result = match form.action.as_str() {
        "lift" => super::zones::lift_zone(&state, &ctx, id, &form.reason).await,
        _ => super::zones::relevel_zone(&state, &ctx, id, &form.level, &form.reason).await,
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/precise/zones/{id}")).into_response()),
        Err(e) => {
            let tr = Frame::for_principal(&ctx).tr;
            let message = tr.pick(&e.detail_zh, &e.detail_en).to_string();
            zone_page(&state, &ctx, id, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "precise/pass.html")]
struct PassPage {
    frame: Frame,
    resident_id: i64,
    pass: PassDto,
}

pub async fn pass(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let pass = issue_pass(&state, &ctx, id).await.map_err(|e| PageError::from(e).framed(&ctx))?;
    let frame = Frame::for_principal(&ctx)
        .crumb("/residents", "nav.residents")
        .crumb_text(&format!("/residents/{id}"), &format!("#{id}"))
        .crumb("", "pass.title");
    Ok(html(StatusCode::OK, &PassPage { frame, resident_id: id, pass }))
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::page(Method::GET, "/precise/followups", Access::Action(Action::CaseRead), "密接次密接管控任务"),
        get(followups),
    )
    .add(
        Op::page(Method::POST, "/precise/followups/{id}/status", Access::Action(Action::FollowupWrite), "推进管控状态"),
        post(followup_step),
    )
    .add(
        Op::page(Method::GET, "/precise/followups.csv", Access::Action(Action::CaseRead), "密接管控导出（CSV）"),
        get(followups_csv),
    )
    .add(
        Op::page(Method::GET, "/precise/followups.xlsx", Access::Action(Action::CaseRead), "密接管控导出（XLSX）"),
        get(followups_xlsx),
    )
    .add(
        Op::page(
            Method::GET,
            "/precise/followups.parquet",
            Access::Action(Action::CaseRead),
            "密接管控导出（Parquet）",
        ),
        get(followups_parquet),
    )
    .add(
        Op::page(Method::POST, "/precise/followups/bulk", Access::Action(Action::FollowupWrite), "批量推进管控状态"),
        post(followups_bulk),
    )
    .add(Op::page(Method::GET, "/precise/zones", Access::Action(Action::CaseRead), "管控区域"), get(zones))
    .add(
        Op::page(Method::POST, "/precise/zones", Access::Action(Action::ZoneManage), "划定管控区域"),
        post(zone_create),
    )
    .add(Op::page(Method::GET, "/precise/zones/{id}", Access::Action(Action::CaseRead), "区域详情"), get(zone))
    .add(
        Op::page(Method::POST, "/precise/zones/{id}", Access::Action(Action::ZoneManage), "调整或解除区域"),
        post(zone_action),
    )
    .add(
        Op::page(Method::POST, "/precise/residents/{id}/pass", Access::Action(Action::PassIssue), "签发通行码"),
        post(pass),
    )
}
