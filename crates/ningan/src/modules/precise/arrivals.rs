//! Inbound travellers (来甬人员排查): risk areas kept with their dates; arrival lists (CSV)
//! screened against the areas in force when each person arrived, routed to the station of
//! their residence (or the one named in the list), and followed up there.
//!
//! CSV columns: `name,id_number,phone,origin,arrived_at,station_code`.

use axum::extract::State;
use axum::http::StatusCode;
use ningan_core::idnumber::mask_id_str;
use ningan_core::{IdNumber, Phone};
use ningan_store::{ARRIVAL_STATUSES, Arrival, NewArrival, PageRequest, RiskArea};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;

/// The levels a risk area is declared at.
const RISK_LEVELS: &[&str] = &["high", "medium"];

pub const HEADER: &str = "name,id_number,phone,origin,arrived_at,station_code";
/// A risk area counts for people arriving up to 14 days after it ended.
const AFTER_END_MS: i64 = 14 * 86_400_000;

/// The highest risk among the areas whose name the origin contains and that were in force
/// when the person arrived: (risk, area name); `low` when none.
pub fn screen(origin: &str, arrived_at: i64, areas: &[RiskArea]) -> (&'static str, Option<String>) {
    let mut best: Option<(&'static str, &RiskArea)> = None;
    for a in areas {
        let in_force = a.starts_at <= arrived_at && a.ends_at.is_none_or(|e| arrived_at < e + AFTER_END_MS);
        if !in_force || a.name.is_empty() || !origin.contains(a.name.as_str()) {
            continue;
        }
        let level = if a.level == "high" { "high" } else { "medium" };
        if best.is_none_or(|(b, _)| b == "medium" && level == "high") {
            best = Some((level, a));
        }
    }
    best.map_or(("low", None), |(l, a)| (l, Some(a.name.clone())))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewRiskArea {
    /// As origins are written, e.g. 上海市浦东新区.
    #[schemars(length(min = 2, max = 60))]
    pub name: String,
    /// high | medium
    #[schemars(extend("enum" = RISK_LEVELS))]
    pub level: String,
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub starts_at: Option<String>,
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub ends_at: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RiskAreaDto {
    pub id: i64,
    pub name: String,
    pub level: String,
    pub starts_at: String,
    pub ends_at: Option<String>,
}

pub(super) async fn risk_areas(State(state): State<AppState>) -> ApiResult<axum::Json<Vec<RiskAreaDto>>> {
    Ok(axum::Json(
        state
            .db
            .risk_areas()
            .await?
            .into_iter()
            .map(|a| RiskAreaDto {
                id: a.id,
                name: a.name,
                level: a.level,
                starts_at: ts(a.starts_at),
                ends_at: a.ends_at.map(ts),
            })
            .collect(),
    ))
}

pub(super) async fn risk_area_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewRiskArea>,
) -> ApiResult<StatusCode> {
    let name = req.name.trim();
    if name.chars().count() < 2 || name.chars().count() > 60 {
        return Err(refuse("name", Rule::Length(2, 60)));
    }
    if !RISK_LEVELS.contains(&req.level.as_str()) {
        return Err(refuse("level", Rule::one_of("high（高风险）或 medium（中风险）", RISK_LEVELS)));
    }
    let starts = match req.starts_at.as_deref() {
        Some(s) => super::time_ms("starts_at", s)?,
        None => ningan_core::time::now_ms(),
    };
    let ends = req.ends_at.as_deref().map(|s| super::time_ms("ends_at", s)).transpose()?;
    let mut w = state.db.write().await?;
    w.risk_area_insert(&ctx.actor(), name, &req.level, starts, ends).await?;
    w.commit().await?;
    Ok(StatusCode::CREATED)
}

fn csv_body(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::csv_with_header(HEADER)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ArrivalsImport {
    #[schemars(schema_with = "csv_body")]
    pub csv: String,
}

#[derive(Debug, Serialize, JsonSchema, Default)]
pub struct ArrivalsReport {
    pub rows: usize,
    pub added: u64,
    /// Already recorded (same ID number and arrival time).
    pub duplicates: u64,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub rejected: Vec<super::tracing::import::RowError>,
}

pub async fn import_arrivals(state: &AppState, ctx: &Ctx, csv: &str) -> ApiResult<ArrivalsReport> {
    let mut lines = csv.lines();
    if lines.next().map(str::trim) != Some(HEADER) {
        return Err(refuse("csv", Rule::CsvHeader(HEADER)));
    }
    let areas = state.db.risk_areas().await?;
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let mut report = ArrivalsReport::default();
    let mut rows = Vec::new();
    let today = ningan_core::time::today_cst();
    for (i, text) in lines.enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        report.rows += 1;
        let line = i + 2;
        let reject = |reason: String| super::tracing::import::RowError { line, reason };
        let f: Vec<&str> = text.split(',').map(str::trim).collect();
        if f.len() != 6 {
            report.rejected.push(reject(format!("需要6列 / expected 6 columns, found {}", f.len())));
            continue;
        }
        if f[0].is_empty() || f[3].is_empty() {
            report.rejected.push(reject("姓名和来源地必填 / name and origin are required".into()));
            continue;
        }
        let id = match IdNumber::parse(f[1], today) {
            Ok(id) => id,
            Err(e) => {
                report.rejected.push(reject(format!("id_number: {e}")));
                continue;
            }
        };
        let phone = match f[2] {
            "" => None,
            p => match Phone::parse(p) {
                Ok(p) => Some(p.as_str().to_string()),
                Err(e) => {
                    report.rejected.push(reject(format!("phone: {e}")));
                    continue;
                }
            },
        };
        let Ok(arrived) = chrono::DateTime::parse_from_rfc3339(f[4]).map(|t| t.timestamp_millis()) else {
            report.rejected.push(reject("arrived_at: RFC 3339".into()));
            continue;
        };
        // The station of residence when the person is registered, else the one named.
        let resident = state.db.resident_by_id_number(&ctx.scope(), id.as_str()).await?;
        let resident_unit = match resident {
            Some(r) => state.db.resident_homes_of(&[r]).await?.first().map(|(_, u)| *u),
            None => None,
        };
        let unit = resident_unit
            .and_then(|u| units.iter().find(|x| x.id == u))
            .or_else(|| units.iter().find(|x| x.code == f[5]));
        let Some(unit) = unit else {
            report
                .rejected
                .push(reject("station_code: 辖区内无此派出所，且非本辖区居民 / no station to route to".into()));
            continue;
        };
        let (risk, area) = screen(f[3], arrived, &areas);
        rows.push(NewArrival {
            name: f[0].into(),
            id_number: id.as_str().into(),
            phone,
            origin: f[3].into(),
            arrived_at: arrived,
            risk: risk.into(),
            risk_area: area,
            resident_id: resident,
            unit_id: unit.id,
            unit_path: unit.path.clone(),
        });
    }
    for r in &rows {
        match r.risk.as_str() {
            "high" => report.high += 1,
            "medium" => report.medium += 1,
            _ => report.low += 1,
        }
    }
    let mut w = state.db.write().await?;
    let (added, duplicates) = w.arrivals_insert(&ctx.actor(), &rows).await?;
    w.commit().await?;
    report.added = added;
    report.duplicates = duplicates;
    Ok(report)
}

pub(super) async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<ArrivalsImport>,
) -> ApiResult<axum::Json<ArrivalsReport>> {
    Ok(axum::Json(import_arrivals(&state, &ctx, &req.csv).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ArrivalDto {
    pub id: i64,
    pub name: String,
    /// Masked.
    pub id_number: String,
    pub origin: String,
    pub arrived_at: String,
    /// high | medium | low
    pub risk: String,
    pub risk_area: Option<String>,
    pub resident_id: Option<i64>,
    /// pending | contacted | quarantined | cleared
    pub status: String,
    pub unit_id: i64,
}

impl From<Arrival> for ArrivalDto {
    fn from(a: Arrival) -> Self {
        ArrivalDto {
            id_number: mask_id_str(&a.id_number),
            id: a.id,
            name: a.name,
            origin: a.origin,
            arrived_at: ts(a.arrived_at),
            risk: a.risk,
            risk_area: a.risk_area,
            resident_id: a.resident_id,
            status: a.status,
            unit_id: a.unit_id,
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(super) struct ArrivalQuery {
    risk: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ArrivalQuery>,
) -> ApiResult<axum::Json<PageDto<ArrivalDto>>> {
    let risk = q.risk.as_deref().filter(|r| !r.is_empty());
    let mut w = state.db.write().await?;
    let page = w.arrival_search(&ctx.actor(), &ctx.scope(), risk, PageRequest::new(q.page, q.per_page)).await?;
    w.commit().await?;
    Ok(axum::Json(PageDto::from_page(page, ArrivalDto::from)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ArrivalStatus {
    /// pending | contacted | quarantined | cleared
    #[schemars(extend("enum" = ARRIVAL_STATUSES))]
    pub status: String,
}

pub(super) async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<ArrivalStatus>,
) -> ApiResult<StatusCode> {
    move_on(&state, &ctx, id, &req.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records how far an arrival's screening has got, for the API and the page.
pub async fn move_on(state: &AppState, ctx: &Ctx, id: i64, status: &str) -> ApiResult<()> {
    if !ARRIVAL_STATUSES.contains(&status) {
        return Err(refuse("status", Rule::one_of(ARRIVAL_STATUSES.join("、"), ARRIVAL_STATUSES)));
    }
    let mut w = state.db.write().await?;
    w.arrival_set_status(&ctx.actor(), &ctx.scope(), id, status).await?;
    w.commit().await?;
    Ok(())
}

#[derive(askama::Template)]
#[template(path = "precise/arrivals.html")]
struct ArrivalsPage {
    frame: crate::web::Frame,
    rows: Vec<ArrivalDto>,
    pager: crate::web::Pager,
    risk: String,
    may_work: bool,
}

/// A status in the page's language.
pub fn status_label(tr: &crate::web::Tr, status: &str) -> &'static str {
    match status {
        "pending" => tr.pick("待核查", "To check"),
        "contacted" => tr.pick("已联系", "Contacted"),
        "quarantined" => tr.pick("已隔离", "Quarantined"),
        "cleared" => tr.pick("已排除", "Cleared"),
        _ => tr.pick("未知", "Unknown"),
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct ArrivalPageQuery {
    risk: Option<String>,
    page: Option<String>,
}

/// Arrivals from risk areas, the highest risk first, each moved on in place.
pub(super) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<ArrivalPageQuery>,
) -> crate::web::PageResult {
    let risk = crate::web::page::nonempty(&q.risk).filter(|r| ["high", "medium", "low"].contains(&r.as_str()));
    let req = PageRequest::new(crate::web::page::opt_i64(&q.page), Some(50));
    let mut w = state.db.write().await?;
    let page = w.arrival_search(&ctx.actor(), &ctx.scope(), risk.as_deref(), req).await?;
    w.commit().await?;
    let pager = crate::web::Pager::new("/precise/arrivals", &[("risk", risk.clone().unwrap_or_default())], &page);
    let frame = crate::web::Frame::for_principal(&ctx).crumb("/precise/arrivals", "nav.arrivals");
    let rows = page.items.into_iter().map(ArrivalDto::from).collect();
    let may_work = ctx.may(ningan_core::Action::FollowupWrite);
    let page = ArrivalsPage { frame, rows, pager, risk: risk.unwrap_or_default(), may_work };
    Ok(crate::web::html(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct StatusForm {
    #[serde(default)]
    status: String,
}

pub(super) async fn page_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<StatusForm>,
) -> crate::web::PageResult<axum::response::Response> {
    use axum::response::IntoResponse;
    move_on(&state, &ctx, id, &form.status).await.map_err(|e| crate::web::PageError::from(e).framed(&ctx))?;
    Ok(axum::response::Redirect::to("/precise/arrivals").into_response())
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use crate::http::dto::PageDto;
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(Method::GET, "/api/risk-areas", Access::Action(Action::CaseRead), "precise", "中高风险地区")
            .response::<Vec<RiskAreaDto>>(),
        get(risk_areas),
    )
    .add(
        Op::api(Method::POST, "/api/risk-areas", Access::Action(Action::ZoneManage), "precise", "登记中高风险地区")
            .request::<NewRiskArea>()
            .status(201),
        post(risk_area_create),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/arrivals/import",
            Access::Action(Action::CaseManage),
            "precise",
            "导入来甬人员名单（CSV）并按风险地区筛查、分派",
        )
        .request::<ArrivalsImport>()
        .response::<ArrivalsReport>(),
        post(import),
    )
    .add(
        Op::api(Method::GET, "/api/arrivals", Access::Action(Action::CaseRead), "precise", "来甬人员（高风险在前）")
            .query(&[("risk", "high | medium | low"), ("page", "页码")])
            .response::<PageDto<ArrivalDto>>()
            .query_type::<ArrivalQuery>(),
        get(list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/arrivals/{id}/status",
            Access::Action(Action::FollowupWrite),
            "precise",
            "来甬人员核查状态",
        )
        .request::<ArrivalStatus>()
        .status(204),
        post(set_status),
    )
    .add(Op::page(Method::GET, "/precise/arrivals", Access::Action(Action::CaseRead), "来甬人员核查"), get(page))
    .add(
        Op::page(
            Method::POST,
            "/precise/arrivals/{id}/status",
            Access::Action(Action::FollowupWrite),
            "来甬人员核查状态",
        ),
        post(page_status),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(name: &str, level: &str, starts: i64, ends: Option<i64>) -> RiskArea {
        RiskArea { id: 0, name: name.into(), level: level.into(), starts_at: starts, ends_at: ends }
    }

    #[test]
    fn screening_takes_the_highest_area_in_force_on_arrival() {
        let day = 86_400_000;
        let areas = vec![area("上海市", "medium", 0, None), area("上海市浦东新区", "high", 10 * day, Some(20 * day))];
        assert_eq!(screen("上海市浦东新区张江镇", 5 * day, &areas), ("medium", Some("上海市".into())));
        assert_eq!(screen("上海市浦东新区张江镇", 15 * day, &areas), ("high", Some("上海市浦东新区".into())));
        assert_eq!(screen("上海市浦东新区张江镇", 30 * day, &areas).0, "high", "within 14 days of the end");
        assert_eq!(screen("上海市浦东新区张江镇", 40 * day, &areas).0, "medium");
        assert_eq!(screen("杭州市西湖区", 15 * day, &areas), ("low", None));
    }
}
