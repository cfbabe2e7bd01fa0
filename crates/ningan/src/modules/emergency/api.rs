//! Typhoon and flood response's API: events and their situation, warnings (with their CAP
//! XML), the map, evacuation lists and a household's door steps, shelters and check-ins,
//! road closures, rescues, and the needs that put households first.

use crate::http::json::Query;
use axum::extract::State;
use axum::http::StatusCode;
use ningan_core::emergency::{Basis, Evacuation, Need};
use ningan_core::time::now_ms;
use ningan_store::{PageRequest, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::EmergencyError;
use super::service::{
    self, ArriveInput, Arrived, ClosureInput, EventInput, ShelterInput, StepInput, WarningInput, WarningSent,
};
use super::store::events::{self, Closure, Event, Rescue, Warning};
use super::store::households::{self, Household, ListQuery, NO_NEED, NeedRecord};
use super::store::shelters::{self, Shelter};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Created {
    pub id: i64,
}

pub async fn events_list(State(state): State<AppState>) -> ApiResult<axum::Json<Vec<Event>>> {
    Ok(axum::Json(events::list(&state.db).await?))
}

pub async fn event_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<EventInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    let id = service::start_event(&state, &ctx, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id })))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct CloseInput {
    /// Why the event is over (2–200 characters), kept in the audit trail.
    pub reason: String,
}

pub async fn event_close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<CloseInput>,
) -> ApiResult<StatusCode> {
    service::close_event(&state, &ctx, id, &input.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One station's (or the whole scope's) evacuation in figures.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Progress {
    pub unit_path: String,
    pub station: String,
    pub households: i64,
    pub people: i64,
    pub listed: i64,
    pub notified: i64,
    pub evacuated: i64,
    pub refused: i64,
    pub away: i64,
    /// Households still needing someone at the door (listed, notified, refused).
    pub outstanding: i64,
    /// Of them, with a member's recorded need.
    pub outstanding_priority: i64,
    /// Evacuated or nobody home, of all, in per cent.
    pub done_pct: i64,
}

impl Progress {
    fn add(&mut self, state: &str, needy: bool, n: i64, people: i64) {
        self.households += n;
        self.people += people;
        match Evacuation::parse(state) {
            Some(Evacuation::Listed) => self.listed += n,
            Some(Evacuation::Notified) => self.notified += n,
            Some(Evacuation::Evacuated) => self.evacuated += n,
            Some(Evacuation::Refused) => self.refused += n,
            Some(Evacuation::Away) => self.away += n,
            None => {}
        }
        if Evacuation::parse(state).is_some_and(Evacuation::outstanding) {
            self.outstanding += n;
            if needy {
                self.outstanding_priority += n;
            }
        }
        self.done_pct = if self.households > 0 { (self.evacuated + self.away) * 100 / self.households } else { 0 };
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ShelterDto {
    #[serde(flatten)]
    pub shelter: Shelter,
    /// Occupancy in per cent of capacity.
    pub full_pct: i64,
}

impl From<Shelter> for ShelterDto {
    fn from(s: Shelter) -> ShelterDto {
        let full_pct = if s.capacity > 0 { s.occupancy * 100 / s.capacity } else { 0 };
        ShelterDto { shelter: s, full_pct }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Situation {
    pub event: Event,
    pub generated_at: String,
    pub warnings: Vec<Warning>,
    /// The caller's whole scope.
    pub total: Progress,
    /// Per station, the most outstanding first.
    pub stations: Vec<Progress>,
    pub shelters: Vec<ShelterDto>,
    pub in_shelters: i64,
    pub shelter_capacity: i64,
    pub closures: Vec<Closure>,
    pub rescues: Vec<Rescue>,
    /// Arrivals at shelters per hour: (hour start, RFC 3339; people).
    pub arrivals: Vec<(String, i64)>,
}

/// The commander's picture of an event, within the caller's scope.
pub async fn situation(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<Situation> {
    let event = events::get(&state.db, id).await?;
    let scope = ctx.scope();
    let counts = households::counts(&state.db, &scope, id).await?;
    let units = state.db.units_in_scope(&scope).await?;
    let en = ctx.language() == "en";
    let mut total = Progress { unit_path: scope.path().to_string(), station: String::new(), ..Default::default() };
    let mut by: std::collections::BTreeMap<String, Progress> = Default::default();
    for (path, st, needy, n, people) in &counts {
        total.add(st, *needy, *n, *people);
        let p = by.entry(path.clone()).or_insert_with(|| {
            let station =
                units.iter().find(|u| &u.path == path).map(|u| if en { u.name_en.clone() } else { u.name.clone() });
            Progress { unit_path: path.clone(), station: station.unwrap_or_default(), ..Default::default() }
        });
        p.add(st, *needy, *n, *people);
    }
    let mut stations: Vec<Progress> = by.into_values().collect();
    stations.sort_by(|a, b| b.outstanding.cmp(&a.outstanding).then(a.station.cmp(&b.station)));
    let shelters: Vec<ShelterDto> = shelters::all(&state.db, id)
        .await?
        .into_iter()
        .filter(|s| scope.contains(&s.unit_path))
        .map(ShelterDto::from)
        .collect();
    let in_shelters = shelters.iter().map(|s| s.shelter.occupancy).sum();
    let shelter_capacity = shelters.iter().map(|s| s.shelter.capacity).sum();
    let arrivals = shelters::arrivals_by_hour(&state.db, id)
        .await?
        .into_iter()
        .map(|(h, n)| (ningan_core::time::rfc3339_ms(h * 3_600_000), n))
        .collect();
    Ok(Situation {
        warnings: events::warnings(&state.db, id).await?,
        closures: events::closures(&state.db, id).await?,
        rescues: events::rescues(&state.db, &scope, id).await?,
        event,
        generated_at: ts(now_ms()),
        total,
        stations,
        shelters,
        in_shelters,
        shelter_capacity,
        arrivals,
    })
}

pub async fn event_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Situation>> {
    Ok(axum::Json(situation(&state, &ctx, id).await?))
}

pub async fn warning_send(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<WarningInput>,
) -> ApiResult<(StatusCode, axum::Json<WarningSent>)> {
    Ok((StatusCode::CREATED, axum::Json(service::send_warning(&state, &ctx, id, &input).await?)))
}

pub async fn warnings(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<axum::Json<Vec<Warning>>> {
    events::get(&state.db, id).await?;
    Ok(axum::Json(events::warnings(&state.db, id).await?))
}

/// The warning as its CAP 1.2 XML, as sent.
pub async fn warning_cap(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let (w, xml) = events::warning_cap(&state.db, id).await?;
    let disposition = format!("attachment; filename=\"{}.xml\"", w.identifier);
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/cap+xml; charset=utf-8".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        xml,
    )
        .into_response())
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MapDto {
    pub warnings: Vec<MapWarning>,
    pub shelters: Vec<MapShelter>,
    /// Compounds with households on the list: [lon, lat, still to move, all].
    pub compounds: Vec<(f64, f64, i64, i64)>,
    pub closures: Vec<MapClosure>,
    pub rescues: Vec<Rescue>,
    pub in_shelters: i64,
    pub outstanding: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MapWarning {
    pub level: String,
    pub area_name: String,
    pub ring: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MapShelter {
    pub id: i64,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    pub capacity: i64,
    pub occupancy: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MapClosure {
    pub id: i64,
    pub name: String,
    /// Each closed stretch as two [lon, lat] ends.
    pub lines: Vec<[[f64; 2]; 2]>,
}

/// What the commander's map draws, refreshed every few seconds: cheap aggregate reads.
pub async fn map_data(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<MapDto> {
    events::get(&state.db, id).await?;
    let scope = ctx.scope();
    let warnings = events::warnings(&state.db, id)
        .await?
        .into_iter()
        .map(|w| MapWarning { level: w.level, area_name: w.area_name, ring: w.ring })
        .collect();
    let shelters: Vec<MapShelter> = shelters::all(&state.db, id)
        .await?
        .into_iter()
        .map(|s| MapShelter {
            id: s.id,
            name: s.name,
            lon: s.lon,
            lat: s.lat,
            capacity: s.capacity,
            occupancy: s.occupancy,
        })
        .collect();
    let compounds: Vec<(f64, f64, i64, i64)> =
        households::by_compound(&state.db, &scope, id).await?.into_iter().map(|c| (c.1, c.2, c.3, c.4)).collect();
    let router = crate::geo::router();
    let closures = events::closures(&state.db, id)
        .await?
        .into_iter()
        .filter(|c| c.reopened_at.is_none())
        .map(|c| MapClosure {
            id: c.id,
            name: c.name,
            lines: c.arcs.iter().filter_map(|&a| router.and_then(|r| r.arc_line(a))).collect(),
        })
        .collect();
    Ok(MapDto {
        in_shelters: shelters.iter().map(|s| s.occupancy).sum(),
        outstanding: compounds.iter().map(|c| c.2).sum(),
        warnings,
        shelters,
        compounds,
        closures,
        rescues: events::rescues(&state.db, &scope, id).await?,
    })
}

pub async fn map(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<axum::Json<MapDto>> {
    Ok(axum::Json(map_data(&state, &ctx, id).await?))
}

#[derive(Debug, Deserialize, Default, Clone, Serialize, schemars::JsonSchema)]
pub struct HouseholdsQuery {
    #[serde(default)]
    #[schemars(schema_with = "evacuation_states")]
    pub state: Option<String>,
    /// `1`: only those still needing someone at the door.
    pub outstanding: Option<String>,
    /// `1`: only those with a member's recorded need.
    pub priority: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<i64>,
}

impl HouseholdsQuery {
    pub fn list_query(&self) -> ApiResult<ListQuery> {
        let state = crate::web::page::nonempty(&self.state);
        if state.as_deref().is_some_and(|s| Evacuation::parse(s).is_none()) {
            let codes: Vec<&str> = Evacuation::ALL.iter().map(|e| e.as_str()).collect();
            return Err(EmergencyError::Field("state", Rule::one_of("转移状态之一", &codes)).into());
        }
        Ok(ListQuery {
            state,
            outstanding: self.outstanding.as_deref() == Some("1"),
            priority: self.priority.as_deref() == Some("1"),
            q: self.q.clone(),
            by_rank: false,
        })
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HouseholdDto {
    #[serde(flatten)]
    pub household: Household,
    /// A member has a recorded need: served first. Which need, only the evacuating station sees.
    pub first: bool,
    pub state_name: String,
    pub steps: Vec<String>,
}

pub fn household_dto(h: Household, en: bool) -> HouseholdDto {
    let st = Evacuation::parse(&h.state).unwrap_or(Evacuation::Listed);
    HouseholdDto {
        first: h.priority < NO_NEED,
        state_name: st.label(en).into(),
        steps: st.steps().iter().map(|s| s.as_str().to_string()).collect(),
        household: h,
    }
}

pub async fn households_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<HouseholdsQuery>,
) -> ApiResult<axum::Json<PageDto<HouseholdDto>>> {
    events::get(&state.db, id).await?;
    let mut lq = q.list_query()?;
    lq.by_rank = ctx.unit.kind == ningan_store::UnitKind::Station && ctx.may(ningan_core::Action::EmergencyWork);
    let page = households::list(
        &state.db,
        &ctx.scope(),
        id,
        &lq,
        PageRequest::new(crate::web::page::opt_i64(&q.page), q.per_page),
    )
    .await?;
    let en = ctx.language() == "en";
    Ok(axum::Json(PageDto::from_page(page, |h| household_dto(h, en))))
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MemberDto {
    pub resident_id: i64,
    pub name: String,
    pub gender: String,
    pub age_band: String,
    /// Masked.
    pub phone: Option<String>,
    /// Recorded needs, each with its basis — only to the station evacuating the household.
    pub needs: Vec<NeedDto>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NeedDto {
    pub id: i64,
    pub need: String,
    pub need_name: String,
    pub basis: String,
    pub basis_name: String,
    pub source: String,
}

fn need_dto(n: &NeedRecord, en: bool) -> NeedDto {
    NeedDto {
        id: n.id,
        need: n.need.clone(),
        need_name: Need::parse(&n.need).map(|x| x.label(en)).unwrap_or("").into(),
        basis: n.basis.clone(),
        basis_name: Basis::parse(&n.basis).map(|x| x.label(en)).unwrap_or("").into(),
        source: n.source.clone(),
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HouseholdDetail {
    #[serde(flatten)]
    pub household: HouseholdDto,
    pub members: Vec<MemberDto>,
    /// Whether the needs were shown (the caller works at the evacuating station).
    pub needs_shown: bool,
}

/// Whether `ctx` evacuates households of the station at `unit_path`: they work there (or in
/// a unit under it) and do this work. A commander above the station sees that a household
/// comes first, never why.
pub fn evacuates(ctx: &Ctx, unit_path: &str) -> bool {
    ctx.may(ningan_core::Action::EmergencyWork) && Scope::subtree(unit_path).contains(&ctx.unit.path)
}

/// A household with its members; every member shown is audited under their own id.
pub async fn household_detail(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<HouseholdDetail> {
    let h = households::get(&state.db, &ctx.scope(), id).await?;
    let en = ctx.language() == "en";
    let members = households::members(&state.db, &h.household_no).await?;
    let ids: Vec<i64> = members.iter().map(|m| m.resident_id).collect();
    let needs_shown = evacuates(ctx, &h.unit_path);
    let needs = if needs_shown { households::needs_of(&state.db, &ids).await? } else { Vec::new() };
    let today = ningan_core::time::today_cst();
    let members = members
        .into_iter()
        .map(|m| MemberDto {
            needs: needs.iter().filter(|n| n.resident_id == m.resident_id).map(|n| need_dto(n, en)).collect(),
            resident_id: m.resident_id,
            name: m.name,
            gender: m.gender,
            age_band: ningan_core::idnumber::age_band(&m.birth_date, today),
            phone: m.phone.as_deref().map(ningan_core::phone::mask_phone_str),
        })
        .collect();
    let action = if needs_shown { "emergency.household.view_needs" } else { "emergency.household.view" };
    crate::http::shown::audit_shown(state, ctx, action, "em_household", &[id], &ids).await?;
    Ok(HouseholdDetail { household: household_dto(h, en), members, needs_shown })
}

pub async fn household_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<HouseholdDetail>> {
    Ok(axum::Json(household_detail(&state, &ctx, id).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StepDone {
    pub state: String,
}

pub async fn household_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<StepInput>,
) -> ApiResult<axum::Json<StepDone>> {
    let to = service::household_step(&state, &ctx, id, &input).await?;
    Ok(axum::Json(StepDone { state: to.as_str().into() }))
}

#[derive(Debug, Deserialize, Default, Clone, Serialize, schemars::JsonSchema)]
pub struct SheltersQuery {
    /// The event whose occupancy to show.
    pub event: Option<i64>,
    pub q: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<i64>,
}

pub async fn shelters_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SheltersQuery>,
) -> ApiResult<axum::Json<PageDto<ShelterDto>>> {
    let page = shelters::list(
        &state.db,
        &ctx.scope(),
        q.event,
        q.q.as_deref(),
        PageRequest::new(crate::web::page::opt_i64(&q.page), q.per_page),
    )
    .await?;
    Ok(axum::Json(PageDto::from_page(page, ShelterDto::from)))
}

pub async fn shelter_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<ShelterInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok((StatusCode::CREATED, axum::Json(Created { id: service::create_shelter(&state, &ctx, &input).await? })))
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StayDto {
    pub id: i64,
    pub resident_id: i64,
    pub name: String,
    pub gender: String,
    pub age_band: String,
    pub household_no: Option<String>,
    pub method: String,
    pub arrived_at: String,
}

#[derive(Debug, Deserialize, Default, schemars::JsonSchema)]
pub struct PageQuery {
    pub page: Option<String>,
    pub per_page: Option<i64>,
}

/// The people staying at a shelter now, for its desk; audited under each person shown.
pub async fn stays_page(
    state: &AppState,
    ctx: &Ctx,
    event_id: i64,
    shelter_id: i64,
    page: PageRequest,
) -> ApiResult<(Shelter, PageDto<StayDto>)> {
    let shelter = shelters::get(&state.db, event_id, shelter_id).await?;
    if !ctx.scope().contains(&shelter.unit_path) {
        return Err(ningan_store::StoreError::NotFound.into());
    }
    let p = shelters::staying(&state.db, event_id, shelter_id, page).await?;
    let ids: Vec<i64> = p.items.iter().map(|s| s.resident_id).collect();
    let stays: Vec<i64> = p.items.iter().map(|s| s.id).collect();
    crate::http::shown::audit_shown(state, ctx, "emergency.stay.list", "em_stay", &stays, &ids).await?;
    let today = ningan_core::time::today_cst();
    let dto = PageDto::from_page(p, |s| StayDto {
        id: s.id,
        resident_id: s.resident_id,
        name: s.name,
        gender: s.gender,
        age_band: ningan_core::idnumber::age_band(&s.birth_date, today),
        household_no: s.household_no,
        method: s.method,
        arrived_at: ts(s.arrived_at),
    });
    Ok((shelter, dto))
}

pub async fn stays(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((event_id, shelter_id)): Path<(i64, i64)>,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<StayDto>>> {
    events::get(&state.db, event_id).await?;
    let page = PageRequest::new(crate::web::page::opt_i64(&q.page), q.per_page);
    Ok(axum::Json(stays_page(&state, &ctx, event_id, shelter_id, page).await?.1))
}

pub async fn arrive(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<ArriveInput>,
) -> ApiResult<(StatusCode, axum::Json<Arrived>)> {
    Ok((StatusCode::CREATED, axum::Json(service::arrive(&state, &ctx, id, &input).await?)))
}

pub async fn leave(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    service::leave(&state, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ClosureDone {
    pub id: i64,
    /// Road stretches closed.
    pub stretches: usize,
}

pub async fn closure_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<ClosureInput>,
) -> ApiResult<(StatusCode, axum::Json<ClosureDone>)> {
    let (cid, stretches) = service::close_road(&state, &ctx, id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(ClosureDone { id: cid, stretches })))
}

pub async fn closure_reopen(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    service::reopen_road(&state, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RescueFiled {
    pub incident_id: i64,
    pub no: String,
}

/// A call for help in the event: a 110 call whose category is always rescue.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct RescueInput {
    /// urgent | high | routine
    pub priority: String,
    pub caller_phone: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub narrative: String,
}

pub async fn rescue_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(r): Json<RescueInput>,
) -> ApiResult<(StatusCode, axum::Json<RescueFiled>)> {
    let input = crate::modules::command::service::IncidentInput {
        category: ningan_core::incident::Category::Rescue.as_str().into(),
        priority: r.priority,
        caller_phone: r.caller_phone,
        address: r.address,
        lon: r.lon,
        lat: r.lat,
        narrative: r.narrative,
        received_at: None,
    };
    let (incident_id, no) = service::rescue(&state, &ctx, id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(RescueFiled { incident_id, no })))
}

fn need_kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Need::ALL.iter().map(|n| n.as_str()))
}

fn bases(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Basis::ALL.iter().map(|n| n.as_str()))
}

fn evacuation_states(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Evacuation::ALL.iter().map(|e| e.as_str()))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct NeedInput {
    pub resident_id: i64,
    /// dialysis | disabled | elderly_alone | pregnancy
    #[schemars(schema_with = "need_kinds")]
    pub need: String,
    /// consent | agency
    #[schemars(schema_with = "bases")]
    pub basis: String,
    /// The agency that supplied it, or how the consent was taken (form number, officer).
    #[schemars(schema_with = "crate::http::schema::line_2_100")]
    pub source: String,
}

/// Records a need for a resident of the caller's units.
pub async fn record_need(state: &AppState, ctx: &Ctx, input: &NeedInput) -> ApiResult<i64> {
    station_only(ctx)?;
    let codes: Vec<&str> = Need::ALL.iter().map(|n| n.as_str()).collect();
    let need = Need::parse(&input.need).ok_or(EmergencyError::Field("need", Rule::one_of("需求类别之一", &codes)))?;
    let basis = Basis::parse(&input.basis).ok_or(EmergencyError::Field(
        "basis",
        Rule::one_of("consent（本人同意）或 agency（部门提供）", &["consent", "agency"]),
    ))?;
    let source = service_text("source", "来源", "source", &input.source)?;
    let actor = ctx.actor();
    let mut w = state.db.write().await?;
    let r = w.resident_get(&actor, &ctx.scope(), input.resident_id, None).await?;
    let unit = state.db.unit_by_id(r.unit_id).await?;
    let new =
        households::NewNeed { resident_id: r.id, need, basis, source: &source, unit_path: &unit.path, at: now_ms() };
    let id = households::need_insert(&mut w, &actor, &new).await.map_err(|e| match e {
        ningan_store::StoreError::Conflict(_) => crate::http::error::ApiError::new(
            crate::http::error::ErrorCode::Conflict,
            "此人的该项需求已登记".to_string(),
            "this need of this person is recorded already".to_string(),
        ),
        other => other.into(),
    })?;
    w.commit().await?;
    Ok(id)
}

fn service_text(field: &'static str, zh: &str, en: &str, input: &str) -> ApiResult<String> {
    ningan_core::text::line(input, 2, 100)
        .map(|t| t.into_string())
        .map_err(|e| crate::modules::residents::text_error(field, zh, en, e))
}

pub async fn need_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<NeedInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok((StatusCode::CREATED, axum::Json(Created { id: record_need(&state, &ctx, &input).await? })))
}

pub async fn need_delete(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    station_only(&ctx)?;
    let mut w = state.db.write().await?;
    households::need_delete(&mut w, &ctx.actor(), &ctx.scope(), id).await?;
    w.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NeedRow {
    #[serde(flatten)]
    pub need: NeedDto,
    pub resident_id: i64,
    pub recorded_at: String,
    pub recorded_by: String,
}

/// Needs are seen by the station that evacuates the people they concern, not by the units
/// above it: a commander sees that a household comes first, never why.
pub fn station_only(ctx: &Ctx) -> ApiResult<()> {
    if ctx.unit.kind == ningan_store::UnitKind::Station {
        return Ok(());
    }
    Err(crate::http::error::ApiError::new(
        crate::http::error::ErrorCode::Forbidden,
        "困难群众需求仅由负责转移的派出所查看和维护".to_string(),
        "needs are seen and kept only by the station that evacuates the people concerned".to_string(),
    ))
}

/// Needs recorded within the caller's station; audited under each person shown.
pub async fn needs_page(state: &AppState, ctx: &Ctx, page: PageRequest) -> ApiResult<PageDto<NeedRow>> {
    station_only(ctx)?;
    let p = households::needs(&state.db, &ctx.scope(), page).await?;
    let ids: Vec<i64> = p.items.iter().map(|n| n.resident_id).collect();
    let recs: Vec<i64> = p.items.iter().map(|n| n.id).collect();
    crate::http::shown::audit_shown(state, ctx, "emergency.need.list", "em_need", &recs, &ids).await?;
    let en = ctx.language() == "en";
    Ok(PageDto::from_page(p, |n| NeedRow {
        need: need_dto(&n, en),
        resident_id: n.resident_id,
        recorded_at: ts(n.recorded_at),
        recorded_by: n.recorded_by,
    }))
}

pub async fn needs(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<NeedRow>>> {
    let page = PageRequest::new(crate::web::page::opt_i64(&q.page), q.per_page);
    Ok(axum::Json(needs_page(&state, &ctx, page).await?))
}
