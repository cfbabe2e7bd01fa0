//! The workbench pages of life first: the risk-point map, the list with its exports (CSV,
//! GeoJSON), recording a point (its place picked on the map), a point with the steps open to
//! the viewer and its evidence, helmet rates with a phone-sized sample form, and the
//! abnormal-death figures with the incident form.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::Action;
use ningan_store::PageRequest;
use serde::{Deserialize, Serialize};

use super::api::{self, DeathsDto, ListQuery, PointDto, RatesDto, YearQuery};
use super::model::{self, Category, Kind, Severity, State as PointState, Step};
use super::photos::Photo;
use super::service::{self, IncidentInput, PointInput, SampleInput, StepInput};
use super::store::points::{self, Event, Patrol};
use super::store::stats;
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::page::{form_required, form_value, nonempty};
use crate::web::{FormState, Frame, PageResult, Pager, Tr, html};

type Options = Vec<(&'static str, &'static str)>;

/// A stored instant in ms, however many references deep a template holds it.
pub trait Millis {
    fn ms(&self) -> i64;
}

impl Millis for i64 {
    fn ms(&self) -> i64 {
        *self
    }
}

impl<T: Millis + ?Sized> Millis for &T {
    fn ms(&self) -> i64 {
        (**self).ms()
    }
}

/// A stored instant as the pages show times.
pub fn at_text(ms: impl Millis) -> String {
    crate::web::fmt::when(ningan_core::time::rfc3339_ms(ms.ms()))
}

/// What is left until a stored deadline, or how late it is.
pub fn left_text(ms: impl Millis, tr: &Tr) -> String {
    crate::web::fmt::countdown(ningan_core::time::rfc3339_ms(ms.ms()), tr)
}

fn kinds(en: bool) -> Options {
    Kind::ALL.iter().map(|k| (k.as_str(), k.label(en))).collect()
}
fn states(en: bool) -> Options {
    PointState::ALL.iter().map(|s| (s.as_str(), s.label(en))).collect()
}
fn severities(en: bool) -> Options {
    Severity::ALL.iter().map(|s| (s.as_str(), s.label(en))).collect()
}
fn categories(en: bool) -> Options {
    Category::ALL.iter().map(|c| (c.as_str(), c.label(en))).collect()
}
fn named(list: &'static [model::Named], en: bool) -> Options {
    list.iter().map(|n| (n.0, if en { n.2 } else { n.1 })).collect()
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct Filters {
    q: Option<String>,
    category: Option<String>,
    kind: Option<String>,
    state: Option<String>,
    severity: Option<String>,
    overdue: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    size: Option<String>,
}

impl Filters {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("category", &self.category),
            ("kind", &self.kind),
            ("state", &self.state),
            ("severity", &self.severity),
            ("overdue", &self.overdue),
            ("sort", &self.sort),
        ] {
            if let Some(v) = nonempty(v) {
                out.push((k, v));
            }
        }
        out
    }

    fn list_query(&self) -> ListQuery {
        ListQuery {
            q: self.q.clone(),
            category: self.category.clone(),
            kind: self.kind.clone(),
            state: self.state.clone(),
            severity: self.severity.clone(),
            overdue: self.overdue.clone(),
            sort: self.sort.clone(),
            ..Default::default()
        }
    }

    fn value(v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "life/map.html")]
struct MapPage {
    frame: Frame,
    f: Filters,
    layer_url: String,
    counts: Vec<(&'static str, &'static str, i64)>,
    overdue: i64,
    escalated: i64,
    categories: Options,
    states: Options,
    severities: Options,
    may_work: bool,
}

impl MapPage {
    fn val(&self, v: &Option<String>) -> String {
        Filters::value(v)
    }
}

pub async fn map(State(state): State<AppState>, ctx: Ctx, Query(f): Query<Filters>) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/life", "nav.life");
    let en = frame.tr.is_en();
    let viewer = service::viewer(&state, &ctx).await.map_err(ApiError::from)?;
    let s = stats::points(&state.db, &viewer, ningan_core::time::now_ms()).await?;
    let counts = PointState::ALL
        .iter()
        .map(|st| {
            (st.as_str(), st.label(en), s.by_state.iter().filter(|r| r.0 == st.as_str()).map(|r| r.1).sum::<i64>())
        })
        .collect();
    let layer_url = format!(
        "/api/life/map?{}",
        crate::web::page::query(&f.pairs().into_iter().filter(|(k, _)| *k != "q" && *k != "sort").collect::<Vec<_>>())
    );
    let page = MapPage {
        layer_url,
        counts,
        overdue: s.overdue,
        escalated: s.escalated,
        categories: categories(en),
        states: states(en),
        severities: severities(en),
        may_work: ctx.may(Action::LifeWork),
        f,
        frame,
    };
    Ok(html(axum::http::StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "life/list.html")]
struct ListPage {
    frame: Frame,
    f: Filters,
    rows: Vec<PointDto>,
    pager: Pager,
    categories: Options,
    kinds: Options,
    states: Options,
    severities: Options,
    may_work: bool,
}

impl ListPage {
    fn val(&self, v: &Option<String>) -> String {
        Filters::value(v)
    }
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(f): Query<Filters>) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/life", "nav.life").crumb("/life/points", "nav.life_points");
    let en = frame.tr.is_en();
    let viewer = service::viewer(&state, &ctx).await.map_err(ApiError::from)?;
    let now = ningan_core::time::now_ms();
    let request = PageRequest::new(crate::web::page::opt_i64(&f.page), Some(crate::web::page::page_size(&f.size)));
    let page = points::list(&state.db, &viewer, &f.list_query().query(now), request).await?;
    let mut pairs = f.pairs();
    if let Some(size) = nonempty(&f.size) {
        pairs.push(("size", size));
    }
    let pager = Pager::new("/life/points", &pairs, &page).sizable().capped_at(ningan_store::sql::COUNT_CAP);
    let rows = page.items.into_iter().map(|p| PointDto::new(p, en, now)).collect();
    let page = ListPage {
        rows,
        pager,
        categories: categories(en),
        kinds: kinds(en),
        states: states(en),
        severities: severities(en),
        may_work: ctx.may(Action::LifeWork),
        f,
        frame,
    };
    Ok(html(axum::http::StatusCode::OK, &page))
}

async fn gather(state: &AppState, ctx: &Ctx, f: &Filters) -> PageResult<Vec<PointDto>> {
    let viewer = service::viewer(state, ctx).await.map_err(ApiError::from)?;
    let now = ningan_core::time::now_ms();
    let q = f.list_query().query(now);
    let (q, viewer) = (&q, &viewer);
    let en = ctx.language() == "en";
    let found =
        crate::web::export::gather(
            |page| async move { points::list(&state.db, viewer, q, page).await.map(|p| p.items) },
        )
        .await?;
    Ok(found.into_iter().map(|p| PointDto::new(p, en, now)).collect())
}

pub async fn export_csv(State(state): State<AppState>, ctx: Ctx, Query(f): Query<Filters>) -> PageResult<Response> {
    use crate::web::export::{Format, Table, download};
    let tr = Tr::new(ctx.language());
    let rows = gather(&state, &ctx, &f)
        .await?
        .into_iter()
        .map(|p| {
            vec![
                p.id.to_string(),
                p.category_name,
                p.kind_name,
                p.severity_name,
                p.state_name,
                p.title,
                p.address,
                format!("{:.6}", p.lon),
                format!("{:.6}", p.lat),
                p.unit_name,
                p.department_name.unwrap_or_default(),
                p.deadline.map(at_text).unwrap_or_default(),
                if p.overdue { tr.pick("是", "yes") } else { "" }.to_string(),
            ]
        })
        .collect();
    let table = Table::new(
        "risk points",
        tr,
        &[
            ("编号", "No."),
            ("类别", "Category"),
            ("隐患类型", "Kind"),
            ("等级", "Severity"),
            ("状态", "State"),
            ("名称", "Title"),
            ("地址", "Address"),
            ("经度", "Longitude"),
            ("纬度", "Latitude"),
            ("所属单位", "Unit"),
            ("责任部门", "Department"),
            ("整改时限", "Deadline"),
            ("超期", "Overdue"),
        ],
        rows,
    );
    Ok(download(&table, Format::Csv)?)
}

/// The filtered points as a GeoJSON FeatureCollection (RFC 7946: longitude first, WGS-84).
pub async fn export_geojson(State(state): State<AppState>, ctx: Ctx, Query(f): Query<Filters>) -> PageResult<Response> {
    let features: Vec<serde_json::Value> = gather(&state, &ctx, &f)
        .await?
        .into_iter()
        .map(|p| {
            serde_json::json!({
                "type": "Feature",
                "id": p.id,
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                "properties": {
                    "kind": p.kind, "category": p.category, "severity": p.severity, "state": p.state,
                    "title": p.title, "address": p.address, "unit": p.unit_name, "department": p.department,
                    "deadline": p.deadline, "overdue": p.overdue,
                }
            })
        })
        .collect();
    let body = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/geo+json"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"risk-points.geojson\""),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "life/new.html")]
struct NewPage {
    frame: Frame,
    form: FormState,
    kinds: Options,
    severities: Options,
}

fn new_page(ctx: &Ctx, form: Option<FormState>) -> NewPage {
    let frame = Frame::for_principal(ctx).crumb("/life", "nav.life").crumb("/life/points/new", "life.new_point");
    let en = frame.tr.is_en();
    NewPage {
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        kinds: kinds(en),
        severities: severities(en),
        frame,
    }
}

pub async fn new_form(ctx: Ctx) -> PageResult {
    Ok(html(axum::http::StatusCode::OK, &new_page(&ctx, None)))
}

/// Fields left out arrive empty and are refused beside themselves, not as a bare 422.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct NewForm {
    kind: String,
    severity: String,
    title: String,
    address: String,
    description: String,
    lon: String,
    lat: String,
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<NewForm>) -> PageResult<Response> {
    let result = async {
        let (lon, lat) = crate::web::page::form_place(&f.lon, &f.lat)?;
        let input = PointInput {
            kind: f.kind.clone(),
            severity: f.severity.clone(),
            title: f.title.clone(),
            description: f.description.clone(),
            address: f.address.clone(),
            lon,
            lat,
            water: None,
        };
        service::create_point(&state, &ctx, &input).await.map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/life/points/{id}?done=created")).into_response()),
        Err(e) => {
            let tr = Tr::new(ctx.language());
            let form = FormState::new(tr)
                .with_values(&f)
                .refused(&e, &["kind", "severity", "title", "address", "description", "lon", "lat"]);
            let page = new_page(&ctx, Some(form));
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "life/point.html")]
struct PointPage {
    frame: Frame,
    p: PointDto,
    point_json: String,
    events: Vec<Event>,
    photos: Vec<points::Photo>,
    patrols: Vec<Patrol>,
    steps: Vec<(&'static str, &'static str)>,
    departments: Options,
    measures: Vec<(&'static str, &'static str, &'static str)>,
    form: FormState,
    may_patrol: bool,
    may_work: bool,
}

impl PointPage {
    fn opt_f64(&self, v: &Option<f64>) -> String {
        v.map(|v| v.to_string()).unwrap_or_default()
    }
    fn opt_i64(&self, v: &Option<i64>) -> String {
        v.map(|v| v.to_string()).unwrap_or_default()
    }
    fn opt_text(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
    fn state_label(&self, s: &str) -> &'static str {
        PointState::parse(s).map(|s| s.label(self.frame.tr.is_en())).unwrap_or("")
    }
    fn step_label(&self, s: &str) -> &'static str {
        Step::parse(s).map(|s| s.label(self.frame.tr.is_en())).unwrap_or("")
    }
    fn measures_text(&self, v: &serde_json::Value) -> String {
        let en = self.frame.tr.is_en();
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| {
                        let kind = m.get("kind")?.as_str()?;
                        let q = m.get("quantity")?.as_f64()?;
                        let (zh, e, unit) = model::MEASURES
                            .iter()
                            .find(|x| x.0 == kind)
                            .map(|x| (x.1, x.2, x.3))
                            .unwrap_or((kind, kind, ""));
                        Some(format!("{} {q}{}", if en { e } else { zh }, if unit == "m" { " m" } else { "" }))
                    })
                    .collect::<Vec<_>>()
                    .join(if en { ", " } else { "、" })
            })
            .unwrap_or_default()
    }
    fn has_step(&self, s: &str) -> bool {
        self.steps.iter().any(|x| x.0 == s)
    }
}

async fn point_page(state: &AppState, ctx: &Ctx, id: i64, form: Option<FormState>) -> PageResult<PointPage> {
    let viewer = service::viewer(state, ctx).await.map_err(ApiError::from)?;
    let p = points::get(&state.db, &viewer, id).await?;
    let frame = Frame::for_principal(ctx)
        .crumb("/life", "nav.life")
        .crumb("/life/points", "nav.life_points")
        .crumb_text(&format!("/life/points/{id}"), &p.title);
    let en = frame.tr.is_en();
    let steps = service::steps_for(ctx, &viewer, &p).into_iter().map(|s| (s.as_str(), s.label(en))).collect();
    let point_json = serde_json::json!([{"name": p.title, "lon": p.lon, "lat": p.lat}]).to_string();
    Ok(PointPage {
        events: points::events(&state.db, id).await?,
        photos: points::photos(&state.db, id).await?,
        patrols: points::patrols(&state.db, id).await?,
        may_patrol: ctx.may(Action::LifeWork) && p.category == Category::Water.as_str(),
        may_work: ctx.may(Action::LifeWork),
        p: PointDto::new(p, en, ningan_core::time::now_ms()),
        point_json,
        steps,
        departments: named(model::DEPARTMENTS, en),
        measures: model::MEASURES.iter().map(|m| (m.0, if en { m.2 } else { m.1 }, m.3)).collect(),
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        frame,
    })
}

pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let page = point_page(&state, &ctx, id, None).await?;
    Ok(html(axum::http::StatusCode::OK, &page))
}

/// The step form, sent as multipart (photos) by `app.js` with the CSRF header.
async fn read_step(
    mut form: axum::extract::Multipart,
) -> Result<(StepInput, Vec<Photo>, Vec<(String, String)>), ApiError> {
    let mut input = StepInput::default();
    let mut photos = Vec::new();
    let mut kinds = Vec::new();
    let mut qtys = Vec::new();
    let mut kept = Vec::new();
    let broke = |e: axum::extract::multipart::MultipartError| {
        super::error::refuse("photos", format!("上传中断：{e}"), format!("the upload broke off: {e}"))
    };
    while let Some(field) = form.next_field().await.map_err(broke)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "photos" {
            let file = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(broke)?;
            if !bytes.is_empty() {
                photos.push(Photo { name: file, bytes: bytes.to_vec() });
            }
            continue;
        }
        let value = field.text().await.map_err(broke)?;
        match name.as_str() {
            "step" => input.step = value.clone(),
            "department" => input.department = Some(value.clone()),
            "note" => input.note = value.clone(),
            "measure_kind" => kinds.push(value.clone()),
            "measure_qty" => qtys.push(value.clone()),
            _ => {}
        }
        kept.push((name, value));
    }
    for (kind, qty) in kinds.iter().zip(qtys.iter()) {
        if kind.is_empty() && qty.trim().is_empty() {
            continue;
        }
        let quantity = form_required::<f64>("measures", "措施数量", "a measure's quantity", qty)?;
        input.measures.push(service::Measure { kind: kind.clone(), quantity });
    }
    Ok((input, photos, kept))
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    form: axum::extract::Multipart,
) -> PageResult<Response> {
    let (result, kept) = match read_step(form).await {
        Ok((input, photos, kept)) => {
            (service::take_step(&state, &ctx, id, &input, &photos).await.map_err(ApiError::from), kept)
        }
        Err(e) => (Err(e), Vec::new()),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/life/points/{id}?done=step")).into_response()),
        Err(e) => {
            let tr = Tr::new(ctx.language());
            let values: std::collections::BTreeMap<String, String> = kept.into_iter().collect();
            let form = FormState::new(tr)
                .with_values(&values)
                .refused(&e, &["step", "department", "note", "measures", "photos"]);
            let page = point_page(&state, &ctx, id, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

/// Fields left out arrive empty and are refused beside themselves, not as a bare 422.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct PatrolForm {
    note: String,
}

pub async fn patrol(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<PatrolForm>,
) -> PageResult<Response> {
    match service::add_patrol(&state, &ctx, id, None, &f.note).await {
        Ok(_) => Ok(Redirect::to(&format!("/life/points/{id}?done=patrol")).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            let form = FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["note"]);
            let page = point_page(&state, &ctx, id, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "life/helmets.html")]
struct HelmetsPage {
    frame: Frame,
    rates: RatesDto,
    form: FormState,
    roads: Options,
    may_work: bool,
    /// District rates for the map: `[name, rate, low, high, n]`.
    map_json: String,
    year: i32,
}

impl HelmetsPage {
    fn road_label(&self, r: &str) -> String {
        model::label(model::ROAD_TYPES, r, self.frame.tr.is_en())
    }
}

async fn helmets_page(state: &AppState, ctx: &Ctx, year: i32, form: Option<FormState>) -> PageResult<HelmetsPage> {
    let frame = Frame::for_principal(ctx).crumb("/life", "nav.life").crumb("/life/helmets", "nav.life_helmets");
    let h = stats::helmets(&state.db, &ctx.scope(), stats::year_start(year), stats::year_start(year + 1)).await?;
    let en = frame.tr.is_en();
    let rates = api::rates_from(&h, year, en);
    let map: Vec<serde_json::Value> = h
        .per_district()
        .iter()
        .filter_map(|(code, c)| {
            let (yes, n) = c.riders();
            let r = model::wilson(yes, n)?;
            let d = ningan_core::DISTRICTS.iter().find(|d| d.code == *code)?;
            let centre = crate::geo::district_shape(*code)?.center;
            Some(serde_json::json!({
                "code": code, "name": if en { d.name_en } else { d.name }, "lon": centre[0], "lat": centre[1],
                "rate": r.rate, "low": r.low, "high": r.high, "n": r.n,
            }))
        })
        .collect();
    Ok(HelmetsPage {
        rates,
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        roads: named(model::ROAD_TYPES, en),
        may_work: ctx.may(Action::LifeWork),
        map_json: serde_json::Value::Array(map).to_string(),
        year,
        frame,
    })
}

pub async fn helmets(State(state): State<AppState>, ctx: Ctx, Query(q): Query<YearQuery>) -> PageResult {
    let year = api::year_of(&q)?;
    Ok(html(axum::http::StatusCode::OK, &helmets_page(&state, &ctx, year, None).await?))
}

/// Fields left out arrive empty and are refused beside themselves, not as a bare 422.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct SampleForm {
    place: String,
    lon: String,
    lat: String,
    road_type: String,
    drivers: String,
    drivers_helmet: String,
    passengers: String,
    passengers_helmet: String,
}

pub async fn sample(State(state): State<AppState>, ctx: Ctx, Form(f): Form<SampleForm>) -> PageResult<Response> {
    let result = async {
        let count =
            |field: &str, zh: &str, en: &str, raw: &str| form_value::<i64>(field, zh, en, raw).map(|v| v.unwrap_or(0));
        let input = SampleInput {
            at: None,
            place: f.place.clone(),
            lon: form_required("lon", "经度", "longitude", &f.lon)?,
            lat: form_required("lat", "纬度", "latitude", &f.lat)?,
            road_type: f.road_type.clone(),
            drivers: form_required("drivers", "驾驶人数", "drivers", &f.drivers)?,
            drivers_helmet: form_required("drivers_helmet", "戴头盔驾驶人数", "helmeted drivers", &f.drivers_helmet)?,
            passengers: count("passengers", "乘员数", "passengers", &f.passengers)?,
            passengers_helmet: count("passengers_helmet", "戴头盔乘员数", "helmeted passengers", &f.passengers_helmet)?,
        };
        service::record_sample(&state, &ctx, &input).await.map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/life/helmets?done=sample").into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language())).with_values(&f).refused(
                &e,
                &["place", "lon", "lat", "road_type", "drivers", "drivers_helmet", "passengers", "passengers_helmet"],
            );
            let year = stats::month_of(ningan_core::time::now_ms()).0;
            let page = helmets_page(&state, &ctx, year, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "life/deaths.html")]
struct DeathsPage {
    frame: Frame,
    d: DeathsDto,
    form: FormState,
    kinds: Options,
    may_work: bool,
    years: Vec<i32>,
    chart_json: String,
    config: std::sync::Arc<super::LifeConfig>,
}

impl DeathsPage {
    fn change(&self, now: &i64, before: &i64) -> String {
        let (now, before) = (*now, *before);
        if before == 0 {
            return if now == 0 { "—".into() } else { "+".into() };
        }
        format!("{:+.0}%", (now - before) as f64 * 100.0 / before as f64)
    }
}

async fn deaths_page(state: &AppState, ctx: &Ctx, year: i32, form: Option<FormState>) -> PageResult<DeathsPage> {
    let frame = Frame::for_principal(ctx).crumb("/life", "nav.life").crumb("/life/deaths", "nav.life_deaths");
    let d = api::deaths_for(state, ctx, year).await?;
    let en = frame.tr.is_en();
    let months: Vec<String> = (1..=12).map(|m| if en { format!("{m}") } else { format!("{m}月") }).collect();
    let series: Vec<serde_json::Value> = d
        .by_kind
        .iter()
        .flat_map(|r| {
            [
                serde_json::json!({"type": "bar", "stack": "now", "name": format!("{} {}", year, r.kind_name), "data": r.months}),
                serde_json::json!({"type": "line", "name": format!("{} {}", year - 1, r.kind_name), "data": r.months_before}),
            ]
        })
        .collect();
    let chart = serde_json::json!({
        "tooltip": {"trigger": "axis"}, "legend": {"type": "scroll"},
        "grid": {"left": 40, "right": 20, "top": 40, "bottom": 30},
        "xAxis": {"type": "category", "data": months}, "yAxis": {"type": "value"}, "series": series
    });
    let this = stats::month_of(ningan_core::time::now_ms()).0;
    Ok(DeathsPage {
        d,
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        kinds: named(model::INCIDENT_KINDS, en),
        may_work: ctx.may(Action::LifeWork),
        years: (this - 4..=this).rev().collect(),
        chart_json: chart.to_string(),
        config: super::life(state).config,
        frame,
    })
}

pub async fn deaths(State(state): State<AppState>, ctx: Ctx, Query(q): Query<YearQuery>) -> PageResult {
    let year = api::year_of(&q)?;
    Ok(html(axum::http::StatusCode::OK, &deaths_page(&state, &ctx, year, None).await?))
}

/// Fields left out arrive empty and are refused beside themselves, not as a bare 422.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct IncidentForm {
    kind: String,
    deaths: String,
    injuries: String,
    /// `YYYY-MM-DDTHH:MM` from a datetime-local field, China Standard Time.
    at: String,
    place: String,
    lon: String,
    lat: String,
    note: String,
}

fn parse_local(field: &'static str, raw: &str) -> Result<i64, ApiError> {
    use chrono::TimeZone as _;
    chrono::NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| ningan_core::time::cst().from_local_datetime(&t).single())
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| super::error::refuse(field, "请填写发生时间", "give the time it happened"))
}

pub async fn incident(State(state): State<AppState>, ctx: Ctx, Form(f): Form<IncidentForm>) -> PageResult<Response> {
    let result = async {
        let input = IncidentInput {
            kind: f.kind.clone(),
            deaths: form_required("deaths", "死亡人数", "deaths", &f.deaths)?,
            injuries: form_value("injuries", "受伤人数", "injuries", &f.injuries)?.unwrap_or(0),
            at: parse_local("at", &f.at)?,
            place: f.place.clone(),
            lon: form_required("lon", "经度", "longitude", &f.lon)?,
            lat: form_required("lat", "纬度", "latitude", &f.lat)?,
            note: f.note.clone(),
        };
        service::record_incident(&state, &ctx, &input).await.map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(o) => Ok(Redirect::to(&format!("/life/deaths?done=incident&reopened={}", o.reopened.len())).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["kind", "deaths", "injuries", "at", "place", "lon", "lat", "note"]);
            let year = stats::month_of(ningan_core::time::now_ms()).0;
            let page = deaths_page(&state, &ctx, year, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "life/import.html")]
struct ImportPage {
    frame: Frame,
    what: String,
    report: Option<crate::web::import::ImportReport>,
    error: Option<String>,
}

fn import_frame(ctx: &Ctx) -> Frame {
    Frame::for_principal(ctx).crumb("/life", "nav.life").crumb("/life/import", "life.import")
}

#[derive(Deserialize, Default)]
pub struct ImportQuery {
    what: Option<String>,
}

pub async fn import_form(ctx: Ctx, Query(q): Query<ImportQuery>) -> PageResult {
    let what = q.what.filter(|w| w == "samples").unwrap_or_else(|| "points".into());
    Ok(html(axum::http::StatusCode::OK, &ImportPage { frame: import_frame(&ctx), what, report: None, error: None }))
}

/// The upload form's file, sent as multipart by `app.js` with the CSRF header.
pub async fn import(State(state): State<AppState>, ctx: Ctx, mut form: axum::extract::Multipart) -> PageResult {
    let frame = import_frame(&ctx);
    let mut what = "points".to_string();
    let mut file = None;
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("what") => what = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_string();
                let ct = field.content_type().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    super::error::refuse("file", format!("上传中断：{e}"), format!("the upload broke off: {e}"))
                })?;
                file = Some((name, ct, bytes));
            }
            _ => {}
        }
    }
    let result = match file {
        Some((name, ct, bytes)) => match crate::web::import::Format::detect(&ct, &name) {
            Some(format) if what == "samples" => super::import::samples(&state, &ctx, &bytes, format).await,
            Some(format) => super::import::points(&state, &ctx, &bytes, format).await,
            None => Err(super::error::refuse("file", "请上传 CSV 或 XLSX 文件", "choose a CSV or XLSX file")),
        },
        None => Err(super::error::refuse("file", "请选择文件", "choose a file")),
    };
    let (status, report, error) = match result {
        Ok(r) => (axum::http::StatusCode::OK, Some(r), None),
        Err(e) => {
            (axum::http::StatusCode::UNPROCESSABLE_ENTITY, None, Some(crate::web::import::error_text(&e, frame.tr)))
        }
    };
    Ok(html(status, &ImportPage { frame, what, report, error }))
}

/// The water form's fields as typed.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct WaterForm {
    railing_m: String,
    signs: String,
    buoys: String,
    patrol: String,
    party_government: String,
    party_school: String,
    party_family: String,
    party_society: String,
}

pub async fn water(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<WaterForm>,
) -> PageResult<Response> {
    let result = async {
        let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        let water = points::Water {
            railing_m: form_value("railing_m", "护栏长度", "railing length", &f.railing_m)?,
            signs: form_value("signs", "警示牌数量", "signs", &f.signs)?,
            buoys: form_value("buoys", "救生圈数量", "life buoys", &f.buoys)?,
            patrol: text(&f.patrol),
            party_government: text(&f.party_government),
            party_school: text(&f.party_school),
            party_family: text(&f.party_family),
            party_society: text(&f.party_society),
        };
        service::set_water(&state, &ctx, id, &water).await.map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/life/points/{id}?done=water")).into_response()),
        Err(e) => {
            let fields = [
                "railing_m",
                "signs",
                "buoys",
                "patrol",
                "party_government",
                "party_school",
                "party_family",
                "party_society",
            ];
            let form = FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &fields);
            let page = point_page(&state, &ctx, id, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

/// Photos of the place added outside a step (as found, on a patrol).
pub async fn photos(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    form: axum::extract::Multipart,
) -> PageResult<Response> {
    let result = match read_step(form).await {
        Ok((_, photos, _)) => service::add_photos(&state, &ctx, id, &photos).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/life/points/{id}?done=photos")).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language())).refused(&e, &["photos"]);
            let page = point_page(&state, &ctx, id, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}
