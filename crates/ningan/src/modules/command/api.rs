//! Integrated command's API: the category tree, taking calls, the incident list and detail
//! (every interval, measured against the 110 targets), steps and links.

use crate::http::json::Query;
use axum::extract::State;
use ningan_core::incident::{Category, Family, Priority, Stage, arrival_target_s};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::service::{self, IncidentInput, StepInput};
use super::store::incidents::{self, Event, Incident, IncidentQuery};
use crate::app::AppState;
use crate::http::dto::PageDto;
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use ningan_store::PageRequest;

fn ts(ms: Option<i64>) -> Option<String> {
    ms.map(ningan_core::time::rfc3339_ms)
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IncidentDto {
    pub id: i64,
    /// `110` + the day + a sequence.
    pub no: String,
    pub category: String,
    pub category_name: String,
    pub family: String,
    pub family_name: String,
    pub priority: String,
    pub priority_name: String,
    pub stage: String,
    pub stage_name: String,
    /// Masked: 138****0001.
    pub caller_phone: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub district: i64,
    /// In a built-up centre: the 5-minute target applies, else 10.
    pub urban: bool,
    pub narrative: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub received_at: String,
    pub answered_at: Option<String>,
    pub dispatched_at: Option<String>,
    pub en_route_at: Option<String>,
    pub on_scene_at: Option<String>,
    pub cleared_at: Option<String>,
    pub cancelled_at: Option<String>,
    /// Seconds from the call to its answer.
    pub answer_s: Option<i64>,
    /// Seconds from the call to the first unit on scene.
    pub arrival_s: Option<i64>,
    pub target_s: i64,
    /// Whether the arrival met the target; null until someone is on scene.
    pub on_target: Option<bool>,
    pub taken_by: String,
}

impl IncidentDto {
    pub fn new(i: Incident, en: bool) -> IncidentDto {
        let category = Category::parse(&i.category);
        let family = category.map(Category::family);
        let stage = Stage::parse(&i.stage);
        IncidentDto {
            category_name: category.map_or_else(|| i.category.clone(), |c| c.label(en).to_string()),
            family: family.map(|f| f.as_str().to_string()).unwrap_or_default(),
            family_name: family.map(|f| f.label(en).to_string()).unwrap_or_default(),
            priority_name: Priority::parse(&i.priority).map_or_else(|| i.priority.clone(), |p| p.label(en).to_string()),
            stage_name: stage.map_or_else(|| i.stage.clone(), |s| s.label(en).to_string()),
            caller_phone: ningan_core::phone::mask_phone_str(&i.caller_phone),
            unit_name: if en { i.unit_name_en.clone() } else { i.unit_name.clone() },
            received_at: ningan_core::time::rfc3339_ms(i.intervals.received),
            answered_at: ts(i.intervals.answered),
            dispatched_at: ts(i.intervals.dispatched),
            en_route_at: ts(i.intervals.en_route),
            on_scene_at: ts(i.intervals.on_scene),
            cleared_at: ts(i.intervals.cleared),
            cancelled_at: ts(i.cancelled_at),
            answer_s: i.intervals.answer_s(),
            arrival_s: i.intervals.arrival_s(),
            target_s: arrival_target_s(i.urban),
            on_target: i.intervals.on_target(i.urban),
            id: i.id,
            no: i.no,
            category: i.category,
            priority: i.priority,
            stage: i.stage,
            address: i.address,
            lon: i.lon,
            lat: i.lat,
            district: i.district,
            urban: i.urban,
            narrative: i.narrative,
            unit_id: i.unit_id,
            taken_by: i.taken_by,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CategoryNode {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub categories: Vec<CategoryLeaf>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CategoryLeaf {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// The category tree a call-taker picks from.
pub async fn categories() -> axum::Json<Vec<CategoryNode>> {
    axum::Json(
        Family::ALL
            .iter()
            .map(|f| CategoryNode {
                code: f.as_str().into(),
                name: f.label(false).into(),
                name_en: f.label(true).into(),
                categories: Category::of(*f)
                    .map(|c| CategoryLeaf {
                        code: c.as_str().into(),
                        name: c.label(false).into(),
                        name_en: c.label(true).into(),
                    })
                    .collect(),
            })
            .collect(),
    )
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Created {
    pub id: i64,
    pub no: String,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<IncidentInput>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<Created>)> {
    let (id, no) = service::create(&state, &ctx, &input).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(Created { id, no })))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListQuery {
    #[serde(default)]
    #[schemars(schema_with = "stages")]
    pub stage: Option<String>,
    pub category: Option<String>,
    pub open: Option<String>,
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn stages(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Stage::ALL.iter().map(|s| s.as_str()))
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<IncidentDto>>> {
    if let Some(s) = q.stage.as_deref().filter(|s| !s.is_empty())
        && Stage::parse(s).is_none()
    {
        let codes: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
        return Err(super::error::CommandError::Field(
            "stage",
            crate::http::rule::Rule::one_of("警情环节之一", &codes),
        )
        .into());
    }
    let query = IncidentQuery {
        stage: q.stage,
        category: q.category,
        open: matches!(q.open.as_deref(), Some("1" | "true")),
        q: q.q,
    };
    let page = incidents::list(&state.db, &ctx.scope(), &query, PageRequest::new(q.page, q.per_page)).await?;
    let en = ctx.language() == "en";
    Ok(axum::Json(PageDto::from_page(page, |i| IncidentDto::new(i, en)).capped_at(ningan_store::sql::COUNT_CAP)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct IncidentDetailDto {
    pub incident: IncidentDto,
    pub events: Vec<Event>,
    /// Steps the incident's stage allows now.
    pub steps: Vec<String>,
    pub linked: Vec<LinkedDto>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkedDto {
    pub id: i64,
    pub no: String,
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<IncidentDetailDto>> {
    let i = incidents::get(&state.db, &ctx.scope(), id).await?;
    let steps = Stage::parse(&i.stage).map(Stage::steps).unwrap_or_default();
    // The caller is a person, even masked: who opened the incident is on record.
    let mut w = state.db.write().await?;
    w.audit(ctx.actor().audit("command.incident.view", "cmd_incident", id, None, None, &i.no)).await?;
    w.commit().await?;
    Ok(axum::Json(IncidentDetailDto {
        events: incidents::events(&state.db, id).await?,
        linked: incidents::links(&state.db, &ctx.scope(), id)
            .await?
            .into_iter()
            .map(|(id, no)| LinkedDto { id, no })
            .collect(),
        steps: steps.iter().map(|s| s.as_str().to_string()).collect(),
        incident: IncidentDto::new(i, ctx.language() == "en"),
    }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StepDone {
    pub stage: String,
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<StepInput>,
) -> ApiResult<axum::Json<StepDone>> {
    let to = service::step(&state, &ctx, id, &input).await?;
    Ok(axum::Json(StepDone { stage: to.as_str().into() }))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LinkInput {
    pub other_id: i64,
    #[serde(default)]
    pub note: String,
}

pub async fn link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<LinkInput>,
) -> ApiResult<axum::http::StatusCode> {
    service::link(&state, &ctx, id, input.other_id, &input.note).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BoardDto {
    /// The board's sequence at this snapshot: subscribe to the events after it.
    pub head: u64,
    /// Open incidents in scope, newest first (at most 500).
    pub incidents: Vec<IncidentDto>,
    pub units: Vec<super::units_api::UnitDto>,
}

/// The board as it stands, with the sequence number to follow it from.
pub async fn board(
    State(state): State<AppState>,
    State(command): State<super::CommandState>,
    ctx: Ctx,
) -> ApiResult<axum::Json<BoardDto>> {
    // Taken first: a change between the snapshot and the subscription is then replayed.
    let head = command.board.head();
    let query = IncidentQuery { open: true, ..Default::default() };
    let page = incidents::list(&state.db, &ctx.scope(), &query, PageRequest::new(Some(1), Some(500))).await?;
    let en = ctx.language() == "en";
    let units = super::store::units::all(&state.db, &ctx.scope(), None).await?;
    Ok(axum::Json(BoardDto {
        head,
        incidents: page.items.into_iter().map(|i| IncidentDto::new(i, en)).collect(),
        units: units.into_iter().map(|u| super::units_api::UnitDto::new(u, en)).collect(),
    }))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct EventsQuery {
    /// The last sequence seen, for clients that cannot set `Last-Event-ID`.
    #[schemars(extend("type" = "integer", "minimum" = 0))]
    pub after: Option<String>,
}

/// Server-sent events of every change in scope after `Last-Event-ID` (or `after`); with
/// neither, from now on.
pub async fn events(
    State(command): State<super::CommandState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Query(q): Query<EventsQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse as _;
    let given = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_string).or(q.after);
    let last = match given.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => command.board.head(),
        Some(s) => s.parse::<u64>().map_err(|_| {
            super::error::CommandError::Field(
                "after",
                crate::http::rule::Rule::other("应为事件序号", "must be an event number"),
            )
        })?,
    };
    Ok(super::board::stream(command.board.clone(), ctx.scope(), last).into_response())
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DistrictFigures {
    pub code: u32,
    pub name: String,
    pub calls: i64,
    pub answered: i64,
    pub mean_answer_s: Option<i64>,
    pub arrived: i64,
    pub on_target: i64,
    pub on_target_pct: Option<i64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Counted {
    pub code: String,
    pub name: String,
    pub n: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FiguresDto {
    pub date: String,
    pub calls: i64,
    pub open: i64,
    pub on_target_pct: Option<i64>,
    pub mean_answer_s: Option<i64>,
    /// Calls received in each hour of the day (Ningbo time), 0–23.
    pub by_hour: Vec<i64>,
    pub by_family: Vec<Counted>,
    pub by_district: Vec<DistrictFigures>,
    pub units: Vec<Counted>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FiguresQuery {
    /// YYYY-MM-DD; today when left out.
    #[schemars(extend("format" = "date", "pattern" = crate::http::schema::DATE_PATTERN))]
    pub date: Option<String>,
}

/// A day's calls by hour and kind, answer and arrival times per district against the
/// targets, and the units by status now.
pub async fn figures(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FiguresQuery>,
) -> ApiResult<axum::Json<FiguresDto>> {
    let date = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => ningan_core::time::today_cst(),
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| super::error::CommandError::Field("date", crate::http::rule::Rule::Date))?,
    };
    let start =
        super::panel::day_start(date.and_hms_opt(12, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or_default());
    let day = super::store::stats::day(&state.db, &ctx.scope(), start, start + 86_400_000).await?;
    let units = super::store::stats::units_by_status(&state.db, &ctx.scope()).await?;
    let en = ctx.language() == "en";
    Ok(axum::Json(FiguresDto {
        date: date.format("%Y-%m-%d").to_string(),
        calls: day.calls(),
        open: day.open,
        on_target_pct: day.on_target_pct(),
        mean_answer_s: day.mean_answer_s(),
        by_hour: day.by_hour.to_vec(),
        by_family: day
            .by_family
            .iter()
            .map(|(f, n)| Counted { code: f.as_str().into(), name: f.label(en).into(), n: *n })
            .collect(),
        by_district: day
            .by_district
            .iter()
            .map(|(code, d)| DistrictFigures {
                code: *code,
                name: ningan_core::district::DISTRICTS
                    .iter()
                    .find(|x| x.code == *code)
                    .map(|x| if en { x.name_en.to_string() } else { x.name.to_string() })
                    .unwrap_or_default(),
                calls: d.calls,
                answered: d.answered,
                mean_answer_s: (d.answered > 0).then(|| d.answer_s / d.answered),
                arrived: d.arrived,
                on_target: d.on_target,
                on_target_pct: (d.arrived > 0).then(|| d.on_target * 100 / d.arrived),
            })
            .collect(),
        units: units
            .iter()
            .map(|(s, n)| Counted { code: s.as_str().into(), name: s.label(en).into(), n: *n })
            .collect(),
    }))
}

/// The incident as an EIDO-shaped document (the callback number masked).
pub async fn eido_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let i = incidents::get(&state.db, &ctx.scope(), id).await?;
    let mut w = state.db.write().await?;
    w.audit(ctx.actor().audit("command.incident.export", "cmd_incident", id, None, None, &i.no)).await?;
    w.commit().await?;
    let events = incidents::events(&state.db, id).await?;
    let linked = incidents::links(&state.db, &ctx.scope(), id).await?;
    Ok(axum::Json(super::eido::export(&i, &events, &linked)))
}

/// Files a call received as an EIDO-shaped document, checked as one typed in.
pub async fn eido_import(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(doc): Json<super::eido::EidoIn>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<Created>)> {
    let input = super::eido::import(&doc);
    let (id, no) = service::create(&state, &ctx, &input).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(Created { id, no })))
}

pub async fn add_shift(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<super::duty::ShiftInput>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<super::units_api::UnitCreated>)> {
    let id = super::duty::add_shift(&state, &ctx, &input).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(super::units_api::UnitCreated { id })))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DutyQuery {
    /// RFC 3339; now when left out.
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub at: Option<String>,
}

pub async fn duty(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DutyQuery>,
) -> ApiResult<axum::Json<Vec<super::duty::StationDuty>>> {
    let at = super::error::time_or("at", q.at.as_deref(), ningan_core::time::now_ms())?;
    Ok(axum::Json(super::duty::on_duty(&state, &ctx, at).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct PlacesQuery {
    #[schemars(length(min = 2, max = 50), regex(pattern = r"\S[\s\S]*\S"))]
    pub q: Option<String>,
}

/// Compounds whose name or address holds `q`, for the call-taker to put the call on the map.
pub async fn places(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PlacesQuery>,
) -> ApiResult<axum::Json<Vec<super::store::places::Place>>> {
    let text = q.q.as_deref().map(str::trim).unwrap_or_default();
    let n = text.chars().count();
    if !(2..=50).contains(&n) {
        return Err(super::error::CommandError::Field("q", crate::http::rule::Rule::Length(2, 50)).into());
    }
    Ok(axum::Json(super::store::places::search(&state.db, &ctx.scope(), text, 10).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Mobilised {
    pub id: i64,
    /// Off-duty officers called.
    pub called: usize,
}

pub async fn mobilise(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<super::mobilise::MobiliseInput>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<Mobilised>)> {
    let (id, called) = super::mobilise::mobilise(&state, &ctx, &input).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(Mobilised { id, called })))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn mobilisations(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<super::store::mobilise::Mobilisation>>> {
    let page = super::store::mobilise::list(&state.db, &ctx.scope(), PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, |m| m)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MobilisationDto {
    pub mobilisation: super::store::mobilise::Mobilisation,
    pub called: Vec<super::store::mobilise::Called>,
}

/// A mobilisation in the caller's scope, or one that called the caller.
pub async fn mobilisation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<MobilisationDto>> {
    let me = ctx.user().map(|u| u.id);
    let mobilisation = super::store::mobilise::get(&state.db, &ctx.scope(), me, id).await?;
    let mut called = super::store::mobilise::called(&state.db, id).await?;
    // An officer called sees their own line; the list is the issuer's.
    if !ctx.scope().contains(&mobilisation.unit_path) {
        called.retain(|c| Some(c.user_id) == me);
    }
    Ok(axum::Json(MobilisationDto { mobilisation, called }))
}

/// The call-ups the caller has not answered yet.
pub async fn my_call_ups(
    State(state): State<AppState>,
    ctx: Ctx,
) -> ApiResult<axum::Json<Vec<super::store::mobilise::Mobilisation>>> {
    let Some(me) = ctx.user() else { return Ok(axum::Json(Vec::new())) };
    Ok(axum::Json(super::store::mobilise::pending_for(&state.db, me.id).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AnswerInput {
    /// Coming (true) or not (false).
    pub accept: bool,
    #[serde(default)]
    pub note: String,
}

pub async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<AnswerInput>,
) -> ApiResult<axum::http::StatusCode> {
    super::mobilise::answer(&state, &ctx, id, input.accept, &input.note).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
