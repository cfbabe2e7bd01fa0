//! The workbench pages of typhoon and flood response: the events, an event's situation (live
//! figures and map, the commander's forms for warnings, road closures and rescues), the
//! printable situation report, a station's evacuation list and a household at its door, the
//! shelters and a shelter's check-in desk, and the needs a station keeps.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::Action;
use ningan_core::emergency::{Basis, Evacuation, EvacuationStep, EventKind, Need, WarningLevel};
use ningan_store::PageRequest;
use serde::{Deserialize, Serialize};

use super::api::{self, HouseholdDetail, HouseholdDto, HouseholdsQuery, NeedRow, ShelterDto, Situation, StayDto};
use super::service::{self, ArriveInput, ClosureInput, EventInput, ShelterInput, StepInput, WarningInput};
use super::store::events::{self, Event};
use super::store::{households, shelters};
use crate::app::AppState;
use crate::http::dto::PageDto;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::page::{drawn_points, form_place, form_required, nonempty, opt_i64, refield};
use crate::web::{FormState, Frame, PageResult, Pager, Tr, html};

/// Epoch milliseconds as the pages show them (Beijing time, to the minute).
pub fn at(ms: &i64) -> String {
    crate::modules::life::pages::at_text(*ms)
}

#[allow(clippy::result_large_err)]
fn ok<T: Template>(page: &T) -> PageResult {
    Ok(html(axum::http::StatusCode::OK, page))
}

fn kind_label(kind: &str, en: bool) -> &'static str {
    EventKind::parse(kind).map(|k| k.label(en)).unwrap_or("")
}

// ---- events ----

#[derive(Template)]
#[template(path = "emergency/events.html")]
struct EventsPage {
    frame: Frame,
    events: Vec<Event>,
    kinds: Vec<(&'static str, &'static str)>,
    may_command: bool,
    form: FormState,
}

impl EventsPage {
    fn kind(&self, k: &str) -> &'static str {
        kind_label(k, self.frame.tr.is_en())
    }
}

async fn events_page(state: &AppState, ctx: &Ctx, form: Option<FormState>) -> PageResult<EventsPage> {
    let frame = Frame::for_principal(ctx).crumb("/emergency", "nav.emergency");
    let en = frame.tr.is_en();
    Ok(EventsPage {
        events: events::list(&state.db).await?,
        kinds: EventKind::ALL.iter().map(|k| (k.as_str(), k.label(en))).collect(),
        may_command: ctx.may(Action::EmergencyCommand),
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        frame,
    })
}

pub async fn events(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    ok(&events_page(&state, &ctx, None).await?)
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct EventForm {
    name: String,
    kind: String,
}

pub async fn event_create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<EventForm>) -> PageResult<Response> {
    match service::start_event(&state, &ctx, &EventInput { name: f.name.clone(), kind: f.kind.clone() }).await {
        Ok(id) => Ok(Redirect::to(&format!("/emergency/events/{id}")).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["name", "kind"]);
            let page = events_page(&state, &ctx, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

// ---- one event ----

#[derive(Template)]
#[template(path = "emergency/event.html")]
struct EventPage {
    frame: Frame,
    s: Situation,
    levels: Vec<(&'static str, &'static str)>,
    may_command: bool,
    may_work: bool,
    /// The form a refusal came back on: warning, closure or rescue.
    failed: &'static str,
    form: FormState,
}

impl EventPage {
    fn level(&self, l: &str) -> &'static str {
        WarningLevel::parse(l).map(|x| x.label(self.frame.tr.is_en())).unwrap_or("")
    }
    fn kind(&self) -> &'static str {
        kind_label(&self.s.event.kind, self.frame.tr.is_en())
    }
    fn active(&self) -> bool {
        self.s.event.state == "active"
    }
    fn stage(&self, s: &str) -> &'static str {
        ningan_core::incident::Stage::parse(s).map(|x| x.label(self.frame.tr.is_en())).unwrap_or("")
    }
    fn form_for(&self, which: &str) -> FormState {
        if self.failed == which { self.form.clone() } else { FormState::new(self.frame.tr) }
    }
}

async fn event_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    failed: &'static str,
    form: Option<FormState>,
) -> PageResult<EventPage> {
    let s = api::situation(state, ctx, id).await?;
    let frame = Frame::for_principal(ctx)
        .crumb("/emergency", "nav.emergency")
        .crumb_text(&format!("/emergency/events/{id}"), &s.event.name);
    let en = frame.tr.is_en();
    Ok(EventPage {
        levels: WarningLevel::ALL.iter().rev().map(|l| (l.as_str(), l.label(en))).collect(),
        may_command: ctx.may(Action::EmergencyCommand),
        may_work: ctx.may(Action::EmergencyWork),
        failed,
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        frame,
        s,
    })
}

pub async fn event(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    ok(&event_page(&state, &ctx, id, "", None).await?)
}

async fn refused_on(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    which: &'static str,
    values: &impl Serialize,
    e: &ApiError,
    fields: &[&str],
) -> PageResult<Response> {
    let form = FormState::new(Tr::new(ctx.language())).with_values(values).refused(e, fields);
    let page = event_page(state, ctx, id, which, Some(form)).await?;
    Ok(html(page.form.status(), &page))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct WarningForm {
    level: String,
    area_name: String,
    area: String,
    evacuate: String,
    instruction: String,
}

pub async fn warning_send(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<WarningForm>,
) -> PageResult<Response> {
    let result = async {
        let ring = drawn_points(
            "area",
            &f.area,
            "请在地图上依次点击预警区域的各个顶点（至少三个）",
            "click the corners of the warning area on the map (three or more)",
        )?;
        let input = WarningInput {
            level: f.level.clone(),
            area_name: f.area_name.clone(),
            ring,
            evacuate: f.evacuate == "1",
            headline: None,
            instruction: Some(f.instruction.clone()),
        };
        service::send_warning(&state, &ctx, id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/emergency/events/{id}")).into_response()),
        Err(e) => {
            // A refusal of the ring is shown beside the drawing.
            let e = refield(e, "ring", "area");
            refused_on(&state, &ctx, id, "warning", &f, &e, &["level", "area_name", "area", "instruction"]).await
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct ClosureForm {
    name: String,
    reason: String,
    line: String,
}

pub async fn closure_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ClosureForm>,
) -> PageResult<Response> {
    let result = async {
        let points = drawn_points(
            "line",
            &f.line,
            "请沿道路在地图上点击封闭路段的起点和终点",
            "click where the closure starts and ends along the road",
        )?;
        let input = ClosureInput { name: f.name.clone(), reason: f.reason.clone(), points };
        service::close_road(&state, &ctx, id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/emergency/events/{id}#closures")).into_response()),
        Err(e) => {
            let e = refield(e, "points", "line");
            refused_on(&state, &ctx, id, "closure", &f, &e, &["name", "reason", "line"]).await
        }
    }
}

pub async fn closure_reopen(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult<Response> {
    let c = events::closure_get(&state.db, id).await?;
    service::reopen_road(&state, &ctx, id).await?;
    Ok(Redirect::to(&format!("/emergency/events/{}#closures", c.event_id)).into_response())
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct CloseForm {
    reason: String,
}

pub async fn event_close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CloseForm>,
) -> PageResult<Response> {
    service::close_event(&state, &ctx, id, &f.reason).await?;
    Ok(Redirect::to(&format!("/emergency/events/{id}")).into_response())
}

// ---- the printable report ----

#[derive(Template)]
#[template(path = "emergency/report.html")]
struct ReportPage {
    frame: Frame,
    s: Situation,
}

impl ReportPage {
    fn level(&self, l: &str) -> &'static str {
        WarningLevel::parse(l).map(|x| x.label(self.frame.tr.is_en())).unwrap_or("")
    }
    fn kind(&self) -> &'static str {
        kind_label(&self.s.event.kind, self.frame.tr.is_en())
    }
    fn stage(&self, s: &str) -> &'static str {
        ningan_core::incident::Stage::parse(s).map(|x| x.label(self.frame.tr.is_en())).unwrap_or("")
    }
}

pub async fn report(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let s = api::situation(&state, &ctx, id).await?;
    let frame = Frame::for_principal(&ctx)
        .crumb("/emergency", "nav.emergency")
        .crumb_text(&format!("/emergency/events/{id}"), &s.event.name)
        .crumb(&format!("/emergency/events/{id}/report"), "emergency.report");
    ok(&ReportPage { frame, s })
}

// ---- the evacuation list ----

#[derive(Template)]
#[template(path = "emergency/households.html")]
struct HouseholdsPage {
    frame: Frame,
    event: Event,
    rows: Vec<HouseholdDto>,
    pager: Pager,
    states: Vec<(&'static str, &'static str)>,
    f: HouseholdsQuery,
}

impl HouseholdsPage {
    fn val(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
}

pub async fn households(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(f): Query<HouseholdsQuery>,
) -> PageResult<Response> {
    let event = events::get(&state.db, id).await?;
    let frame = Frame::for_principal(&ctx)
        .crumb("/emergency", "nav.emergency")
        .crumb_text(&format!("/emergency/events/{id}"), &event.name)
        .crumb(&format!("/emergency/events/{id}/households"), "emergency.households");
    let en = frame.tr.is_en();
    // A state the page does not know (an old bookmark) is no filter, not an error.
    let mut f = f;
    f.state = nonempty(&f.state).filter(|s| Evacuation::parse(s).is_some());
    let mut lq = f.list_query()?;
    lq.by_rank = ctx.unit.kind == ningan_store::UnitKind::Station && ctx.may(Action::EmergencyWork);
    let path = format!("/emergency/events/{id}/households");
    if f.page.as_deref() == Some("csv") {
        return export(&state, &ctx, &event, &lq).await;
    }
    let page = households::list(&state.db, &ctx.scope(), id, &lq, PageRequest::new(opt_i64(&f.page), Some(30))).await?;
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (k, v) in [("state", &f.state), ("outstanding", &f.outstanding), ("priority", &f.priority), ("q", &f.q)] {
        if let Some(v) = nonempty(v) {
            pairs.push((k, v));
        }
    }
    let pager = Pager::new(&path, &pairs, &page);
    let rows = page.items.into_iter().map(|h| api::household_dto(h, en)).collect();
    let states = Evacuation::ALL.iter().map(|s| (s.as_str(), s.label(en))).collect();
    Ok(html(axum::http::StatusCode::OK, &HouseholdsPage { frame, event, rows, pager, states, f }).into_response())
}

/// The list as CSV, as filtered (households, never names).
async fn export(state: &AppState, ctx: &Ctx, event: &Event, lq: &households::ListQuery) -> PageResult<Response> {
    use crate::web::export::{Format, Table, download};
    let tr = Tr::new(ctx.language());
    let en = tr.is_en();
    let (scope, db, eid) = (ctx.scope(), &state.db, event.id);
    let (scope, lq) = (&scope, lq);
    let found =
        crate::web::export::gather(
            |page| async move { households::list(db, scope, eid, lq, page).await.map(|p| p.items) },
        )
        .await?;
    let rows = found
        .into_iter()
        .map(|h| {
            let d = api::household_dto(h, en);
            let h = &d.household;
            vec![
                h.household_no.clone(),
                h.compound.clone(),
                h.address.clone(),
                if en { h.station_en.clone() } else { h.station.clone() },
                h.members.to_string(),
                if d.first { tr.pick("是", "yes") } else { "" }.to_string(),
                d.state_name.clone(),
                h.shelter.clone().unwrap_or_default(),
                at(&h.updated_at),
            ]
        })
        .collect();
    let table = Table::new(
        "evacuation",
        tr,
        &[
            ("户号", "Household"),
            ("小区", "Compound"),
            ("地址", "Address"),
            ("派出所", "Station"),
            ("人数", "People"),
            ("优先", "First"),
            ("状态", "State"),
            ("安置点", "Shelter"),
            ("更新时间", "Updated"),
        ],
        rows,
    );
    Ok(download(&table, Format::Csv)?)
}

// ---- one household ----

#[derive(Template)]
#[template(path = "emergency/household.html")]
struct HouseholdPage {
    frame: Frame,
    d: HouseholdDetail,
    shelters: Vec<(i64, String)>,
    may_work: bool,
    form: FormState,
}

impl HouseholdPage {
    fn step_label(&self, s: &str) -> &'static str {
        EvacuationStep::parse(s).map(|x| x.label(self.frame.tr.is_en())).unwrap_or("")
    }
}

async fn household_page(state: &AppState, ctx: &Ctx, id: i64, form: Option<FormState>) -> PageResult<HouseholdPage> {
    let d = api::household_detail(state, ctx, id).await?;
    let event = events::get(&state.db, d.household.household.event_id).await?;
    let frame = Frame::for_principal(ctx)
        .crumb("/emergency", "nav.emergency")
        .crumb_text(&format!("/emergency/events/{}", event.id), &event.name)
        .crumb(&format!("/emergency/events/{}/households", event.id), "emergency.households")
        .crumb_text(&format!("/emergency/households/{id}"), &d.household.household.household_no);
    let mut open: Vec<shelters::Shelter> =
        shelters::all(&state.db, event.id).await?.into_iter().filter(|s| s.occupancy < s.capacity).collect();
    let h = &d.household.household;
    let dist = |s: &shelters::Shelter| (s.lon - h.lon).powi(2) + ((s.lat - h.lat) * 1.15).powi(2);
    open.sort_by(|a, b| dist(a).total_cmp(&dist(b)));
    let shelters = open
        .into_iter()
        .filter(|s| ctx.scope().contains(&s.unit_path))
        .take(10)
        .map(|s| (s.id, format!("{}（{}/{}）", s.name, s.occupancy, s.capacity)))
        .collect();
    Ok(HouseholdPage {
        may_work: ctx.may(Action::EmergencyWork) && event.state == "active",
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        frame,
        d,
        shelters,
    })
}

pub async fn household(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    ok(&household_page(&state, &ctx, id, None).await?)
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct HouseholdForm {
    step: String,
    note: String,
    /// With `step=shelter`: the whole household arrived at this shelter.
    shelter_id: String,
}

pub async fn household_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<HouseholdForm>,
) -> PageResult<Response> {
    let result = async {
        if f.step == "shelter" {
            let h = households::get(&state.db, &ctx.scope(), id).await?;
            let shelter_id: i64 = form_required("shelter_id", "安置点", "shelter", &f.shelter_id)?;
            // Members already staying somewhere are left as they are.
            for m in households::members(&state.db, &h.household_no).await? {
                let input = ArriveInput { shelter_id, pass: None, resident_id: Some(m.resident_id) };
                match service::arrive(&state, &ctx, h.event_id, &input).await {
                    Err(e) if e.errors.iter().any(|x| x.code.as_deref() == Some("emergency.staying")) => {}
                    Err(e) if e.detail_en.contains("staying at") => {}
                    other => {
                        other?;
                    }
                }
            }
            Ok(())
        } else {
            service::household_step(&state, &ctx, id, &StepInput { step: f.step.clone(), note: f.note.clone() })
                .await
                .map(|_| ())
        }
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/emergency/households/{id}")).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language())).refused(&e, &["note", "shelter_id", "pass"]);
            let form = form.set("note", f.note.clone());
            let page = household_page(&state, &ctx, id, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

// ---- shelters ----

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct SheltersFilters {
    q: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "emergency/shelters.html")]
struct SheltersPage {
    frame: Frame,
    event: Option<Event>,
    rows: Vec<ShelterDto>,
    pager: Pager,
    f: SheltersFilters,
    may_command: bool,
    may_work: bool,
    form: FormState,
}

impl SheltersPage {
    fn val(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
}

async fn shelters_page(
    state: &AppState,
    ctx: &Ctx,
    f: SheltersFilters,
    form: Option<FormState>,
) -> PageResult<SheltersPage> {
    let frame = Frame::for_principal(ctx).crumb("/emergency/shelters", "nav.emergency_shelters");
    let event = events::list(&state.db).await?.into_iter().find(|e| e.state == "active");
    let page = shelters::list(
        &state.db,
        &ctx.scope(),
        event.as_ref().map(|e| e.id),
        f.q.as_deref(),
        PageRequest::new(opt_i64(&f.page), Some(30)),
    )
    .await?;
    let pairs: Vec<(&str, String)> = nonempty(&f.q).map(|q| vec![("q", q)]).unwrap_or_default();
    let pager = Pager::new("/emergency/shelters", &pairs, &page);
    let rows = page.items.into_iter().map(ShelterDto::from).collect();
    Ok(SheltersPage {
        may_command: ctx.may(Action::EmergencyCommand),
        may_work: ctx.may(Action::EmergencyWork),
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        frame,
        event,
        rows,
        pager,
        f,
    })
}

pub async fn shelters(State(state): State<AppState>, ctx: Ctx, Query(f): Query<SheltersFilters>) -> PageResult {
    ok(&shelters_page(&state, &ctx, f, None).await?)
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct ShelterForm {
    name: String,
    address: String,
    capacity: String,
    lon: String,
    lat: String,
}

pub async fn shelter_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ShelterForm>,
) -> PageResult<Response> {
    let result = async {
        let (lon, lat) = form_place(&f.lon, &f.lat)?;
        let capacity = form_required("capacity", "容纳人数", "places", &f.capacity)?;
        let input = ShelterInput { name: f.name.clone(), address: f.address.clone(), lon, lat, capacity };
        service::create_shelter(&state, &ctx, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/emergency/shelters").into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["name", "address", "capacity", "lon", "lat"]);
            let page = shelters_page(&state, &ctx, SheltersFilters::default(), Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

// ---- a shelter's desk ----

#[derive(Template)]
#[template(path = "emergency/desk.html")]
struct DeskPage {
    frame: Frame,
    event: Event,
    shelter: shelters::Shelter,
    stays: PageDto<StayDto>,
    pager_path: String,
    arrived: Option<String>,
    form: FormState,
}

#[derive(Deserialize, Default)]
pub struct DeskQuery {
    page: Option<String>,
    arrived: Option<String>,
}

async fn desk_page(
    state: &AppState,
    ctx: &Ctx,
    (event_id, shelter_id): (i64, i64),
    page: Option<i64>,
    arrived: Option<String>,
    form: Option<FormState>,
) -> PageResult<DeskPage> {
    let event = events::get(&state.db, event_id).await?;
    let (shelter, stays) = api::stays_page(state, ctx, event_id, shelter_id, PageRequest::new(page, Some(30))).await?;
    let frame = Frame::for_principal(ctx)
        .crumb("/emergency/shelters", "nav.emergency_shelters")
        .crumb_text(&format!("/emergency/events/{event_id}/shelters/{shelter_id}"), &shelter.name);
    Ok(DeskPage {
        pager_path: format!("/emergency/events/{event_id}/shelters/{shelter_id}"),
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        frame,
        event,
        shelter,
        stays,
        arrived,
    })
}

pub async fn desk(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(ids): Path<(i64, i64)>,
    Query(q): Query<DeskQuery>,
) -> PageResult {
    ok(&desk_page(&state, &ctx, ids, opt_i64(&q.page), nonempty(&q.arrived), None).await?)
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct DeskForm {
    pass: String,
    /// A stay to close instead.
    leave: String,
}

pub async fn desk_arrive(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((event_id, shelter_id)): Path<(i64, i64)>,
    Form(f): Form<DeskForm>,
) -> PageResult<Response> {
    let base = format!("/emergency/events/{event_id}/shelters/{shelter_id}");
    if let Some(stay) = nonempty(&Some(f.leave.clone())) {
        let stay: i64 = form_required("leave", "登记", "stay", &stay)?;
        service::leave(&state, &ctx, stay).await?;
        return Ok(Redirect::to(&base).into_response());
    }
    let input = ArriveInput { shelter_id, pass: Some(f.pass.clone()), resident_id: None };
    match service::arrive(&state, &ctx, event_id, &input).await {
        Ok(a) => {
            let q = crate::web::page::query(&[("arrived", a.name)]);
            Ok(Redirect::to(&format!("{base}?{q}")).into_response())
        }
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language())).refused(&e, &["pass"]);
            let page = desk_page(&state, &ctx, (event_id, shelter_id), None, None, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

// ---- needs ----

#[derive(Template)]
#[template(path = "emergency/needs.html")]
struct NeedsPage {
    frame: Frame,
    rows: Option<PageDto<NeedRow>>,
    needs: Vec<(&'static str, &'static str)>,
    bases: Vec<(&'static str, &'static str)>,
    form: FormState,
}

async fn needs_page(state: &AppState, ctx: &Ctx, page: Option<i64>, form: Option<FormState>) -> PageResult<NeedsPage> {
    let frame = Frame::for_principal(ctx).crumb("/emergency/needs", "nav.emergency_needs");
    let en = frame.tr.is_en();
    let rows = if api::station_only(ctx).is_ok() {
        Some(api::needs_page(state, ctx, PageRequest::new(page, Some(30))).await?)
    } else {
        None
    };
    Ok(NeedsPage {
        rows,
        needs: Need::ALL.iter().map(|n| (n.as_str(), n.label(en))).collect(),
        bases: Basis::ALL.iter().map(|b| (b.as_str(), b.label(en))).collect(),
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        frame,
    })
}

pub async fn needs(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DeskQuery>) -> PageResult {
    ok(&needs_page(&state, &ctx, opt_i64(&q.page), None).await?)
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct NeedForm {
    resident_id: String,
    need: String,
    basis: String,
    source: String,
    /// A need to erase instead.
    erase: String,
}

pub async fn need_create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<NeedForm>) -> PageResult<Response> {
    let result = async {
        if let Some(id) = nonempty(&Some(f.erase.clone())) {
            let id: i64 = form_required("erase", "需求", "need", &id)?;
            api::station_only(&ctx)?;
            let mut w = state.db.write().await?;
            households::need_delete(&mut w, &ctx.actor(), &ctx.scope(), id).await?;
            w.commit().await?;
            return Ok(());
        }
        let resident_id = form_required("resident_id", "居民编号", "resident number", &f.resident_id)?;
        let input =
            api::NeedInput { resident_id, need: f.need.clone(), basis: f.basis.clone(), source: f.source.clone() };
        api::record_need(&state, &ctx, &input).await.map(|_| ())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/emergency/needs").into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["resident_id", "need", "basis", "source"]);
            let page = needs_page(&state, &ctx, None, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}
