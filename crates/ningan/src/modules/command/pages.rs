//! The workbench pages of integrated command: the live board (a map of incidents and units
//! that moves by itself), taking a call (the place found by name or picked on the map), the
//! incident list with its export, an incident with its intervals against the target, the
//! units proposed by road and dispatch, the units, duty and mobilisation, and a day's figures.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::Action;
use ningan_core::incident::{Category, Family, Priority, Stage, Step, UnitStatus};
use ningan_store::{PageRequest, UnitKind};
use serde::{Deserialize, Serialize};

use super::api::{FiguresDto, IncidentDto};
use super::service::{self, IncidentInput};
use super::store::incidents::{self, Event, IncidentQuery};
use super::store::units as unit_store;
use super::units::{self, Proposal};
use super::units_api::UnitDto;
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::page::{form_required, nonempty};
use crate::web::{FormState, Frame, PageResult, Pager, Tr, html};

type Options = Vec<(&'static str, &'static str)>;

/// A stored instant as the pages show times.
pub fn at_text(ms: &i64) -> String {
    crate::web::fmt::when(ningan_core::time::rfc3339_ms(*ms))
}

/// An RFC 3339 time as the pages show it.
pub fn when(t: &str) -> String {
    crate::web::fmt::when(t)
}

/// Seconds as minutes and seconds.
pub fn span(s: &i64, tr: &Tr) -> String {
    let (m, s) = (s / 60, s % 60);
    if tr.is_en() { format!("{m} min {s} s") } else { format!("{m}分{s:02}秒") }
}

fn stages(en: bool) -> Options {
    Stage::ALL.iter().map(|s| (s.as_str(), s.label(en))).collect()
}
fn families(en: bool) -> Options {
    Family::ALL.iter().map(|f| (f.as_str(), f.label(en))).collect()
}
fn priorities(en: bool) -> Options {
    Priority::ALL.iter().map(|p| (p.as_str(), p.label(en))).collect()
}
fn statuses(en: bool) -> Options {
    UnitStatus::ALL.iter().map(|s| (s.as_str(), s.label(en))).collect()
}
fn unit_kinds(en: bool) -> Options {
    units::KINDS.iter().map(|k| (k.0, if en { k.2 } else { k.1 })).collect()
}

/// The codes the board's script shows, with their labels in the page's language.
fn labels(en: bool) -> String {
    let map = |pairs: Options| pairs.into_iter().collect::<std::collections::BTreeMap<_, _>>();
    serde_json::json!({
        "stages": map(stages(en)),
        "priorities": map(priorities(en)),
        "statuses": map(statuses(en)),
        "categories": Category::ALL.iter().map(|c| (c.as_str(), c.label(en))).collect::<std::collections::BTreeMap<_, _>>(),
        "live": if en { "live" } else { "实时" },
        "reconnecting": if en { "reconnecting…" } else { "重新连接中…" },
    })
    .to_string()
}

#[derive(Template)]
#[template(path = "command/board.html")]
struct BoardPage {
    frame: Frame,
    labels: String,
    may_work: bool,
}

/// The live board: its script reads the snapshot and follows the event stream.
pub async fn board(ctx: Ctx) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/command", "nav.command");
    let page = BoardPage { labels: labels(frame.tr.is_en()), may_work: ctx.may(Action::CommandWork), frame };
    Ok(html(axum::http::StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "command/new.html")]
struct NewPage {
    frame: Frame,
    form: FormState,
    tree: Vec<(&'static str, Options)>,
    priorities: Options,
}

fn new_page(ctx: &Ctx, form: Option<FormState>) -> NewPage {
    let frame =
        Frame::for_principal(ctx).crumb("/command", "nav.command").crumb("/command/incidents/new", "command.new_call");
    let en = frame.tr.is_en();
    NewPage {
        // The call was picked up when the form opened: that is when it was received.
        form: form.unwrap_or_else(|| {
            FormState::new(frame.tr).set("opened_at", ningan_core::time::rfc3339_ms(ningan_core::time::now_ms()))
        }),
        tree: Family::ALL
            .iter()
            .map(|f| (f.label(en), Category::of(*f).map(|c| (c.as_str(), c.label(en))).collect()))
            .collect(),
        priorities: priorities(en),
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
    caller_phone: String,
    category: String,
    priority: String,
    address: String,
    lon: String,
    lat: String,
    narrative: String,
    opened_at: String,
}

pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<NewForm>) -> PageResult<Response> {
    let result = async {
        let (lon, lat) = crate::web::page::form_place(&f.lon, &f.lat)?;
        let input = IncidentInput {
            category: f.category.clone(),
            priority: f.priority.clone(),
            caller_phone: f.caller_phone.clone(),
            address: f.address.clone(),
            lon,
            lat,
            narrative: f.narrative.clone(),
            // When the form opened, if it says so plausibly (else now).
            received_at: Some(f.opened_at.clone()).filter(|t| {
                super::error::time_ms("opened_at", t)
                    .is_ok_and(|ms| (0..3_600_000).contains(&(ningan_core::time::now_ms() - ms)))
            }),
        };
        let (id, no) = service::create(&state, &ctx, &input).await?;
        // Taking down the details is accepting the call (受理): its proposal is next.
        let answer = service::StepInput { step: Step::Answer.as_str().into(), note: String::new() };
        service::step(&state, &ctx, id, &answer).await?;
        Ok((id, no))
    }
    .await;
    match result {
        Ok((id, _)) => Ok(Redirect::to(&format!("/command/incidents/{id}?done=created")).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["caller_phone", "category", "priority", "address", "lon", "lat", "narrative"]);
            let page = new_page(&ctx, Some(form));
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct Filters {
    q: Option<String>,
    stage: Option<String>,
    family: Option<String>,
    open: Option<String>,
    page: Option<String>,
    size: Option<String>,
}

impl Filters {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        [("q", &self.q), ("stage", &self.stage), ("family", &self.family), ("open", &self.open)]
            .into_iter()
            .filter_map(|(k, v)| nonempty(v).map(|v| (k, v)))
            .collect()
    }

    fn query(&self) -> IncidentQuery {
        IncidentQuery {
            stage: nonempty(&self.stage).filter(|s| Stage::parse(s).is_some()),
            category: nonempty(&self.family).filter(|f| Family::parse(f).is_some()),
            open: nonempty(&self.open).as_deref() == Some("1"),
            q: nonempty(&self.q),
        }
    }
}

#[derive(Template)]
#[template(path = "command/list.html")]
struct ListPage {
    frame: Frame,
    f: Filters,
    rows: Vec<IncidentDto>,
    pager: Pager,
    stages: Options,
    families: Options,
    may_work: bool,
}

impl ListPage {
    fn val(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(f): Query<Filters>) -> PageResult {
    let frame = Frame::for_principal(&ctx)
        .crumb("/command", "nav.command")
        .crumb("/command/incidents", "nav.command_incidents");
    let en = frame.tr.is_en();
    let request = PageRequest::new(crate::web::page::opt_i64(&f.page), Some(crate::web::page::page_size(&f.size)));
    let page = incidents::list(&state.db, &ctx.scope(), &f.query(), request).await?;
    let mut pairs = f.pairs();
    if let Some(size) = nonempty(&f.size) {
        pairs.push(("size", size));
    }
    let pager = Pager::new("/command/incidents", &pairs, &page).sizable().capped_at(ningan_store::sql::COUNT_CAP);
    let page = ListPage {
        rows: page.items.into_iter().map(|i| IncidentDto::new(i, en)).collect(),
        pager,
        stages: stages(en),
        families: families(en),
        may_work: ctx.may(Action::CommandWork),
        f,
        frame,
    };
    Ok(html(axum::http::StatusCode::OK, &page))
}

pub async fn export_csv(State(state): State<AppState>, ctx: Ctx, Query(f): Query<Filters>) -> PageResult<Response> {
    use crate::web::export::{Format, Table, download};
    let tr = Tr::new(ctx.language());
    let en = tr.is_en();
    let (q, scope) = (f.query(), ctx.scope());
    let (q, scope, db) = (&q, &scope, &state.db);
    let found =
        crate::web::export::gather(|page| async move { incidents::list(db, scope, q, page).await.map(|p| p.items) })
            .await?;
    let opt = |v: &Option<i64>| v.map(|s| s.to_string()).unwrap_or_default();
    let rows = found
        .into_iter()
        .map(|i| IncidentDto::new(i, en))
        .map(|i| {
            vec![
                i.no,
                i.family_name,
                i.category_name,
                i.priority_name,
                i.stage_name,
                i.address,
                format!("{:.6}", i.lon),
                format!("{:.6}", i.lat),
                i.unit_name,
                when(&i.received_at),
                opt(&i.answer_s),
                opt(&i.arrival_s),
                i.target_s.to_string(),
                match i.on_target {
                    Some(true) => tr.pick("是", "yes"),
                    Some(false) => tr.pick("否", "no"),
                    None => "",
                }
                .to_string(),
            ]
        })
        .collect();
    let table = Table::new(
        "incidents",
        tr,
        &[
            ("警情编号", "No."),
            ("类", "Kind"),
            ("类别", "Category"),
            ("等级", "Priority"),
            ("环节", "Stage"),
            ("地址", "Address"),
            ("经度", "Longitude"),
            ("纬度", "Latitude"),
            ("管辖单位", "Station"),
            ("接警时间", "Received"),
            ("受理用时（秒）", "Answer (s)"),
            ("到场用时（秒）", "Arrival (s)"),
            ("到场时限（秒）", "Target (s)"),
            ("按时到场", "On target"),
        ],
        rows,
    );
    Ok(download(&table, Format::Csv)?)
}

/// One interval of an incident: its name, when, and how long after the call.
pub struct Interval {
    pub key: &'static str,
    pub label: &'static str,
    pub at: Option<String>,
    pub after_s: Option<i64>,
}

#[derive(Template)]
#[template(path = "command/incident.html")]
struct IncidentPage {
    frame: Frame,
    i: IncidentDto,
    intervals: Vec<Interval>,
    events: Vec<Event>,
    linked: Vec<(i64, String)>,
    steps: Options,
    proposals: Vec<Proposal>,
    assigned: Vec<UnitDto>,
    map_json: String,
    form: FormState,
    may_work: bool,
    done: String,
}

impl IncidentPage {
    fn stage_label(&self, s: &str) -> &'static str {
        Stage::parse(s).map(|s| s.label(self.frame.tr.is_en())).unwrap_or("")
    }
    fn has_step(&self, s: &str) -> bool {
        self.steps.iter().any(|x| x.0 == s)
    }
    fn minutes(&self, s: &f64) -> String {
        let whole = s.round() as i64;
        span(&whole, &self.frame.tr)
    }
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    done: Option<String>,
}

async fn incident_page(state: &AppState, ctx: &Ctx, id: i64, form: Option<FormState>) -> PageResult<IncidentPage> {
    let i = incidents::get(&state.db, &ctx.scope(), id).await?;
    // The caller is a person, even masked: who opened the incident is on record.
    let mut w = state.db.write().await?;
    w.audit(ctx.actor().audit("command.incident.view", "cmd_incident", id, None, None, &i.no)).await?;
    w.commit().await?;
    let frame = Frame::for_principal(ctx)
        .crumb("/command", "nav.command")
        .crumb("/command/incidents", "nav.command_incidents")
        .crumb_text(&format!("/command/incidents/{id}"), &i.no);
    let en = frame.tr.is_en();
    let stage = Stage::parse(&i.stage).unwrap_or(Stage::Received);
    let may_work = ctx.may(Action::CommandWork);
    // Dispatch has its own form, with the units proposed by road.
    let steps: Options =
        stage.steps().into_iter().filter(|s| *s != Step::Dispatch).map(|s| (s.as_str(), s.label(en))).collect();
    let proposals = if may_work && stage.after(Step::Dispatch).is_ok() {
        units::propose(state, ctx, id, 5).await?
    } else {
        Vec::new()
    };
    let assigned: Vec<UnitDto> = unit_store::all(&state.db, &ningan_store::Scope::everything(), None)
        .await?
        .into_iter()
        .filter(|u| u.incident_id == Some(id))
        .map(|u| UnitDto::new(u, en))
        .collect();
    let iv = &i.intervals;
    let mut intervals = Vec::new();
    for (key, when_ms) in [
        (Stage::Received, Some(iv.received)),
        (Stage::Answered, iv.answered),
        (Stage::Dispatched, iv.dispatched),
        (Stage::EnRoute, iv.en_route),
        (Stage::OnScene, iv.on_scene),
        (Stage::Cleared, iv.cleared),
    ] {
        intervals.push(Interval {
            key: key.as_str(),
            label: key.label(en),
            at: when_ms.map(|ms| at_text(&ms)),
            after_s: when_ms.map(|ms| (ms - iv.received) / 1000),
        });
    }
    let mut pins = vec![serde_json::json!({"kind": "incident", "id": i.id, "lon": i.lon, "lat": i.lat, "label": i.no})];
    pins.extend(assigned.iter().filter_map(|u| {
        Some(serde_json::json!({"kind": "unit", "id": u.id, "lon": u.lon?, "lat": u.lat?, "label": u.callsign}))
    }));
    pins.extend(proposals.iter().map(
        |p| serde_json::json!({"kind": "proposal", "id": p.unit_id, "lon": p.lon, "lat": p.lat, "label": p.callsign}),
    ));
    Ok(IncidentPage {
        events: incidents::events(&state.db, id).await?,
        linked: incidents::links(&state.db, &ctx.scope(), id).await?,
        map_json: serde_json::Value::Array(pins).to_string(),
        i: IncidentDto::new(i, en),
        intervals,
        steps,
        proposals,
        assigned,
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        may_work,
        done: String::new(),
        frame,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    let mut page = incident_page(&state, &ctx, id, None).await?;
    page.done = match q.done.as_deref() {
        Some("created") => page.frame.tr.pick("已接警登记。", "Call recorded.").to_string(),
        Some("dispatched") => page.frame.tr.pick("已派警。", "Units sent.").to_string(),
        Some("step") => page.frame.tr.pick("已办理。", "Done.").to_string(),
        Some("linked") => page.frame.tr.pick("已关联。", "Linked.").to_string(),
        _ => String::new(),
    };
    Ok(html(axum::http::StatusCode::OK, &page))
}

async fn refused_detail(state: &AppState, ctx: &Ctx, id: i64, e: ApiError, fields: &[&str]) -> PageResult<Response> {
    let form = FormState::new(Tr::new(ctx.language())).refused(&e, fields);
    let page = incident_page(state, ctx, id, Some(form)).await?;
    Ok(html(page.form.status(), &page))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct StepForm {
    step: String,
    note: String,
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> PageResult<Response> {
    let input = service::StepInput { step: f.step.clone(), note: f.note.clone() };
    match service::step(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/command/incidents/{id}?done=step")).into_response()),
        Err(e) => refused_detail(&state, &ctx, id, e, &["step", "note"]).await,
    }
}

/// The dispatch form: the proposed units ticked, as repeated `unit_ids` fields.
pub async fn dispatch(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let ids: Result<Vec<i64>, ApiError> = pairs
        .iter()
        .filter(|(k, _)| k == "unit_ids")
        .map(|(_, v)| form_required::<i64>("unit_ids", "警力", "unit", v))
        .collect();
    let result = match ids {
        Ok(ids) => units::dispatch(&state, &ctx, id, &ids).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/command/incidents/{id}?done=dispatched")).into_response()),
        Err(e) => refused_detail(&state, &ctx, id, e, &["unit_ids"]).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct LinkForm {
    other_no: String,
    note: String,
}

pub async fn link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<LinkForm>,
) -> PageResult<Response> {
    let no = f.other_no.trim();
    let result = async {
        let query = IncidentQuery { q: Some(no.to_string()), ..Default::default() };
        let found = if no.is_empty() {
            None
        } else {
            incidents::list(&state.db, &ctx.scope(), &query, PageRequest::new(Some(1), Some(20)))
                .await?
                .items
                .into_iter()
                .find(|i| i.no == no)
        };
        let other = found.ok_or_else(|| {
            super::error::CommandError::Field(
                "other_no",
                crate::http::rule::Rule::other("没有这个警情编号", "no incident has this number"),
            )
        })?;
        service::link(&state, &ctx, id, other.id, &f.note).await
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/command/incidents/{id}?done=linked")).into_response()),
        Err(e) => refused_detail(&state, &ctx, id, e, &["other_no", "note"]).await,
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct UnitFilters {
    status: Option<String>,
    station: Option<String>,
    q: Option<String>,
    page: Option<String>,
    size: Option<String>,
}

#[derive(Template)]
#[template(path = "command/units.html")]
struct UnitsPage {
    frame: Frame,
    rows: Vec<UnitDto>,
    pager: Pager,
    stations: Vec<(String, String)>,
    statuses: Options,
    kinds: Options,
    f: UnitFilters,
    form: FormState,
    may_work: bool,
}

impl UnitsPage {
    fn val(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
    fn kind_label(&self, k: &str) -> &'static str {
        self.kinds.iter().find(|x| x.0 == k).map(|x| x.1).unwrap_or("")
    }
}

async fn units_page(state: &AppState, ctx: &Ctx, f: UnitFilters, form: Option<FormState>) -> PageResult<UnitsPage> {
    let frame = Frame::for_principal(ctx).crumb("/command", "nav.command").crumb("/command/units", "nav.command_units");
    let en = frame.tr.is_en();
    let status = nonempty(&f.status).filter(|s| UnitStatus::parse(s).is_some());
    let station = crate::web::page::opt_i64(&f.station);
    let q = nonempty(&f.q);
    // A city's units are a few thousand at most: filtered and paged here.
    let matching: Vec<_> = unit_store::all(&state.db, &ctx.scope(), status.as_deref())
        .await?
        .into_iter()
        .filter(|u| station.is_none_or(|s| u.unit_id == s))
        .filter(|u| q.as_deref().is_none_or(|q| u.callsign.contains(q)))
        .collect();
    let request = PageRequest::new(crate::web::page::opt_i64(&f.page), Some(crate::web::page::page_size(&f.size)));
    let page = ningan_store::Page {
        total: matching.len() as i64,
        items: matching
            .into_iter()
            .skip(request.offset().max(0) as usize)
            .take(request.per_page as usize)
            .map(|u| UnitDto::new(u, en))
            .collect::<Vec<_>>(),
        page: request.page,
        per_page: request.per_page,
    };
    let mut pairs: Vec<(&str, String)> = [("status", &f.status), ("station", &f.station), ("q", &f.q)]
        .into_iter()
        .filter_map(|(k, v)| nonempty(v).map(|v| (k, v)))
        .collect();
    if let Some(size) = nonempty(&f.size) {
        pairs.push(("size", size));
    }
    let pager = Pager::new("/command/units", &pairs, &page).sizable();
    let rows = page.items;
    let stations = state
        .db
        .units_in_scope(&ctx.scope())
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::Station)
        .map(|u| (u.id.to_string(), if en { u.name_en } else { u.name }))
        .collect();
    Ok(UnitsPage {
        rows,
        pager,
        stations,
        statuses: statuses(en),
        kinds: unit_kinds(en),
        f,
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        may_work: ctx.may(Action::CommandWork),
        frame,
    })
}

pub async fn units_list(State(state): State<AppState>, ctx: Ctx, Query(f): Query<UnitFilters>) -> PageResult {
    let page = units_page(&state, &ctx, f, None).await?;
    Ok(html(axum::http::StatusCode::OK, &page))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct UnitForm {
    callsign: String,
    kind: String,
    crew: String,
    unit_id: String,
}

pub async fn unit_create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<UnitForm>) -> PageResult<Response> {
    let result = async {
        let crew = form_required::<i64>("crew", "人数", "crew", &f.crew)?;
        let unit_id = form_required::<i64>("unit_id", "所属派出所", "station", &f.unit_id)?;
        let input = units::UnitInput { callsign: f.callsign.clone(), kind: f.kind.clone(), crew, unit_id };
        units::create(&state, &ctx, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/command/units?done=created").into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["callsign", "kind", "crew", "unit_id"]);
            let page = units_page(&state, &ctx, UnitFilters::default(), Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct UnitStepForm {
    step: String,
}

pub async fn unit_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<UnitStepForm>,
) -> PageResult<Response> {
    match units::change_status(&state, &ctx, id, &f.step).await {
        Ok(_) => Ok(Redirect::to("/command/units").into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language())).refused(&e, &[]);
            let page = units_page(&state, &ctx, UnitFilters::default(), Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "command/figures.html")]
struct FiguresPage {
    frame: Frame,
    d: FiguresDto,
    peak: i64,
}

impl FiguresPage {
    fn bar(&self, n: &i64) -> i64 {
        if self.peak > 0 { n * 100 / self.peak } else { 0 }
    }
}

#[derive(Deserialize, Default)]
pub struct DateQuery {
    date: Option<String>,
}

pub async fn figures(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DateQuery>) -> PageResult<Response> {
    let frame =
        Frame::for_principal(&ctx).crumb("/command", "nav.command").crumb("/command/figures", "nav.command_figures");
    let query = super::api::FiguresQuery { date: q.date };
    let d = super::api::figures(State(state), ctx, crate::http::json::Query(query)).await?.0;
    let peak = d.by_hour.iter().copied().max().unwrap_or(0);
    Ok(html(axum::http::StatusCode::OK, &FiguresPage { frame, d, peak }))
}
