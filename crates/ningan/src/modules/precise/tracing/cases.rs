//! Cases and their investigation: exposure places, close and secondary contacts under the
//! rule used, cell-stay companions, pages of contacts with names for the caller's units.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use ningan_store::{CASE_STATUSES, EpiCase, NewEpiCase, PageRequest, Venue};
use ningan_trace::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::tracer::{self, blocking, venue_kind_zh};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::{PreciseError, refuse};
use crate::modules::precise::{ListQuery, parse_time};

#[derive(Debug, Serialize, JsonSchema)]
pub struct CaseDto {
    pub id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    /// confirmed | asymptomatic | suspected | discharged
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    /// Onset, or the first positive sample for an asymptomatic case.
    pub onset_at: String,
    pub note: String,
    pub unit_id: i64,
    pub created_at: String,
}

pub fn status_zh(s: &str) -> &'static str {
    ningan_core::labels::zh(ningan_core::labels::CASE_STATUS, s)
}

impl From<EpiCase> for CaseDto {
    fn from(c: EpiCase) -> Self {
        CaseDto {
            status_zh: status_zh(&c.status).into(),
            status_en: ningan_core::labels::en(ningan_core::labels::CASE_STATUS, &c.status).into(),
            id: c.id,
            resident_id: c.resident_id,
            resident_name: c.resident_name,
            status: c.status,
            onset_at: ts(c.onset_at),
            note: c.note,
            unit_id: c.unit_id,
            created_at: ts(c.created_at),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewCaseRequest {
    pub resident_id: i64,
    /// confirmed | asymptomatic | suspected | discharged
    #[schemars(extend("enum" = CASE_STATUSES))]
    pub status: String,
    /// Onset or sampling time (RFC 3339); tracing looks back from here.
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub onset_at: String,
    pub note: Option<String>,
}

pub fn validate_case(req: NewCaseRequest) -> Result<NewEpiCase, PreciseError> {
    if !CASE_STATUSES.contains(&req.status.as_str()) {
        let zh = "confirmed（确诊）、asymptomatic（无症状）、suspected（疑似）或 discharged（已出院）";
        return Err(PreciseError::Field("status", Rule::one_of(zh, CASE_STATUSES)));
    }
    let onset = parse_time(&req.onset_at).ok_or(PreciseError::Field("onset_at", Rule::Time))?;
    if i64::from(onset) * 1000 > ningan_core::time::now_ms() + 300_000 {
        return Err(PreciseError::Field("onset_at", Rule::Future));
    }
    let note = req.note.unwrap_or_default().trim().to_string();
    if note.chars().count() > 500 {
        return Err(PreciseError::Field("note", Rule::TooLong(500)));
    }
    Ok(NewEpiCase { resident_id: req.resident_id, status: req.status, onset_at: i64::from(onset) * 1000, note })
}

/// A case list names the cases: audited under each of them.
pub async fn audit_cases_shown(state: &AppState, ctx: &Ctx, cases: &[ningan_store::EpiCase]) -> ApiResult<()> {
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let persons: Vec<i64> = cases.iter().map(|c| c.resident_id).collect();
    crate::http::shown::audit_shown(state, ctx, "case.list", "epi_case", &ids, &persons).await
}

pub(super) async fn case_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<CaseDto>>> {
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let page = state.db.epi_case_search(&ctx.scope(), status, PageRequest::new(q.page, q.per_page)).await?;
    audit_cases_shown(&state, &ctx, &page.items).await?;
    Ok(axum::Json(PageDto::from_page(page, CaseDto::from)))
}

/// Registers a case: the one use case behind the API and the cases page. The gate registry
/// learns the person's new status at once.
pub async fn create_case(state: &AppState, ctx: &Ctx, req: NewCaseRequest) -> ApiResult<EpiCase> {
    let new = validate_case(req)?;
    let mut w = state.db.write().await?;
    let id = w.epi_case_insert(&ctx.actor(), &ctx.scope(), &new).await?;
    let case = w.epi_case_open(&ctx.actor(), &ctx.scope(), id).await?;
    w.commit().await?;
    state.precise.registry.refresh_person(&state.db, new.resident_id).await?;
    Ok(case)
}

pub(super) async fn case_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewCaseRequest>,
) -> ApiResult<(StatusCode, axum::Json<CaseDto>)> {
    let case = create_case(&state, &ctx, req).await?;
    Ok((StatusCode::CREATED, axum::Json(case.into())))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleDto {
    /// The edition's key, to ask for it again (`?rule=`).
    pub key: String,
    pub version: String,
    pub lookback_hours: u32,
    pub buffer_minutes: u32,
    pub min_overlap_minutes: u32,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PlaceDto {
    pub venue_id: i64,
    pub name: String,
    pub code: String,
    pub kind_zh: String,
    pub lon: f64,
    pub lat: f64,
    /// The exposure window to publish, buffers included.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct InvestigationDto {
    pub case: CaseDto,
    pub rule: RuleDto,
    pub from: String,
    pub to: String,
    pub exposure_places: Vec<PlaceDto>,
    pub close_contacts: usize,
    pub secondary_contacts: usize,
    /// Cell-stay companions (时空伴随), 14 days back from onset.
    pub companions: usize,
    /// Close contacts' windows at places too crowded to trace person by person (more than
    /// `trace.crowd_cap` presences): among the exposure places.
    pub crowded_places: usize,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(super) struct InvestigationQuery {
    /// RFC 3339; now when left out.
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    to: Option<String>,
    /// The rule edition: ninth (default), eighth or sixth.
    #[schemars(extend("enum" = ningan_trace::ExposureRule::EDITIONS))]
    rule: Option<String>,
    #[schemars(extend("enum" = Tier::KEYS))]
    tier: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The rule edition `key` names (the 9th edition when none), or a refusal of the field.
pub fn rule_edition(key: Option<&str>) -> Result<(String, ningan_trace::ExposureRule), PreciseError> {
    let key = key.map(str::trim).filter(|k| !k.is_empty()).unwrap_or("ninth");
    ningan_trace::ExposureRule::edition(key).map(|r| (key.to_string(), r)).ok_or_else(|| {
        PreciseError::Field("rule", Rule::one_of("第九版、第八版或第六版", ningan_trace::ExposureRule::EDITIONS))
    })
}

/// The case (read, audited) and its tracing up to `to` (default now) under the rule edition
/// `rule` (default the 9th).
pub async fn run_investigation(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    to: Option<&str>,
    rule: Option<&str>,
) -> ApiResult<(EpiCase, tracer::Investigation)> {
    let (key, rule) = rule_edition(rule)?;
    let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
        None => tracer::now_s(),
        Some(t) => parse_time(t).ok_or(PreciseError::Field("to", Rule::Time))?,
    };
    let mut w = state.db.write().await?;
    let case = w.epi_case_open(&ctx.actor(), &ctx.scope(), id).await?;
    w.commit().await?;
    let person = tracer::resident_person(case.resident_id)?;
    let onset = Time::try_from(case.onset_at / 1000).unwrap_or(0);
    let mut inv = blocking(&state.precise.tracer, move |t| t.investigate(person, onset, to, rule)).await?;
    inv.key = key;
    super::cellstays::attach_companions(state, &case, &mut inv).await?;
    Ok((case, inv))
}

/// The case's exposure places in time order: the timeline of where the case was, then the
/// places too crowded to trace secondary contacts person by person (mass venues), marked so.
pub async fn exposure_places(state: &AppState, inv: &tracer::Investigation) -> ApiResult<Vec<PlaceDto>> {
    let mut places = case_places(state, inv).await?;
    let ids: Vec<i64> = inv.crowded.iter().map(|w| i64::from(w.space)).collect();
    let venues: HashMap<i64, Venue> = state.db.venues_by_ids(&ids).await?.into_iter().map(|v| (v.id, v)).collect();
    places.extend(inv.crowded.iter().filter_map(|w| {
        let v = venues.get(&i64::from(w.space))?;
        Some(PlaceDto {
            venue_id: v.id,
            name: v.name.clone(),
            code: v.code.clone(),
            kind_zh: format!("人员密集场所（{} 人次，次密接未逐人追踪）", w.presences),
            lon: v.location[0],
            lat: v.location[1],
            from: ts(i64::from(w.from) * 1000),
            to: ts(i64::from(w.to) * 1000),
        })
    }));
    Ok(places)
}

async fn case_places(state: &AppState, inv: &tracer::Investigation) -> ApiResult<Vec<PlaceDto>> {
    let ids: Vec<i64> = inv.windows.iter().map(|w| i64::from(w.space)).collect();
    let venues: HashMap<i64, Venue> = state.db.venues_by_ids(&ids).await?.into_iter().map(|v| (v.id, v)).collect();
    let mut windows: Vec<&ningan_trace::ExposureWindow> = inv.windows.iter().collect();
    windows.sort_by_key(|w| (w.from, w.space));
    Ok(windows
        .into_iter()
        .filter_map(|w| {
            let v = venues.get(&i64::from(w.space))?;
            Some(PlaceDto {
                venue_id: v.id,
                name: v.name.clone(),
                code: v.code.clone(),
                kind_zh: venue_kind_zh(&v.kind).into(),
                lon: v.location[0],
                lat: v.location[1],
                from: ts(i64::from(w.from) * 1000),
                to: ts(i64::from(w.to) * 1000),
            })
        })
        .collect())
}

pub fn rule_dto(inv: &tracer::Investigation) -> RuleDto {
    RuleDto {
        key: inv.key.clone(),
        version: inv.rule.version.clone(),
        lookback_hours: inv.rule.lookback / 3600,
        buffer_minutes: inv.rule.buffer_before / 60,
        min_overlap_minutes: inv.rule.min_overlap / 60,
    }
}

pub(super) async fn investigation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<InvestigationQuery>,
) -> ApiResult<axum::Json<InvestigationDto>> {
    let (case, inv) = run_investigation(&state, &ctx, id, q.to.as_deref(), q.rule.as_deref()).await?;
    let mut places = exposure_places(&state, &inv).await?;
    places.extend(super::trajectory::interview_places(&state.db, id).await?);
    places.sort_by(|a, b| a.from.cmp(&b.from));
    Ok(axum::Json(InvestigationDto {
        rule: rule_dto(&inv),
        from: ts(i64::from(inv.from) * 1000),
        to: ts(i64::from(inv.to) * 1000),
        exposure_places: places,
        close_contacts: inv.close.len(),
        secondary_contacts: inv.secondary.len(),
        companions: inv.companions.len(),
        crowded_places: inv.crowded.len(),
        case: case.into(),
    }))
}

/// Which list of a case's contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Close,
    Secondary,
    /// Cell-stay companions (时空伴随).
    Companion,
}

impl Tier {
    pub const KEYS: &'static [&'static str] = &["close", "secondary", "companion"];

    /// The tier a query names (close when none), or a refusal of the field.
    pub fn parse(key: Option<&str>) -> Result<Tier, PreciseError> {
        match key.map(str::trim).filter(|k| !k.is_empty()).unwrap_or("close") {
            "close" => Ok(Tier::Close),
            "secondary" => Ok(Tier::Secondary),
            "companion" => Ok(Tier::Companion),
            _ => Err(PreciseError::Field(
                "tier",
                Rule::one_of("close（密接）、secondary（次密接）或 companion（时空伴随）", Tier::KEYS),
            )),
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Tier::Close => "close",
            Tier::Secondary => "secondary",
            Tier::Companion => "companion",
        }
    }

    pub fn label(self, tr: &crate::web::i18n::Tr) -> &'static str {
        match self {
            Tier::Close => tr.pick("密接", "close"),
            Tier::Secondary => tr.pick("次密接", "secondary"),
            Tier::Companion => tr.pick("时空伴随", "companion"),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ContactDto {
    /// The register's record; absent for a companion whose number is not registered.
    pub resident_id: Option<i64>,
    /// A visitor or floating person not matched to the register (`/api/visitors/{id}`).
    pub visitor_id: Option<i64>,
    /// A companion whose number is not registered, by pseudonym (`P-000042`): the carrier's
    /// number is kept only as a keyed hash.
    pub pseudonym: Option<String>,
    /// Absent when the person lives outside the caller's area.
    pub name: Option<String>,
    pub unit_id: Option<i64>,
    /// Seconds shared with the case's (or the close contact's) exposure windows; for a
    /// companion, seconds in the case's cells.
    pub total_overlap_s: u32,
    pub shared_visits: u32,
    pub first_exposure: String,
    pub last_exposure: String,
    pub venue_ids: Vec<i64>,
    /// For a companion: the centres (longitude, latitude) of the cells shared.
    pub cells: Vec<[f64; 2]>,
    /// For a secondary contact: the close contact it came through (the strongest link).
    pub via_resident_id: Option<i64>,
    /// For a secondary contact: how many close contacts link them.
    pub links: Option<u32>,
}

/// One page of a case's contacts of one tier, with names from the register.
pub async fn contact_page(
    state: &AppState,
    ctx: &Ctx,
    case_id: i64,
    inv: &tracer::Investigation,
    tier: Tier,
    page: PageRequest,
) -> ApiResult<ningan_store::Page<ContactDto>> {
    // (contact, through whom, links)
    type Row<'a> = (&'a ningan_trace::CloseContact, Option<u32>, Option<u32>);
    let rows: Vec<Row<'_>> = match tier {
        Tier::Close => inv.close.iter().map(|c| (c, None, None)).collect(),
        Tier::Secondary => inv
            .secondary
            .iter()
            .enumerate()
            .map(|(i, s)| (&s.contact, Some(s.via), inv.links.get(i).copied()))
            .collect(),
        Tier::Companion => inv.companions.iter().map(|c| (c, None, None)).collect(),
    };
    let total = rows.len() as i64;
    let start = usize::try_from(page.offset()).unwrap_or(usize::MAX).min(rows.len());
    let shown = &rows[start..(start + page.per_page as usize).min(rows.len())];
    let engine_ids: Vec<u32> = shown.iter().map(|(c, _, _)| c.person).collect();
    let vias: Vec<u32> = shown.iter().filter_map(|(_, via, _)| *via).collect();
    let who = super::cellstays::who(state, &[engine_ids.as_slice(), vias.as_slice()].concat()).await?;
    let resident_of = |p: u32| match who.get(&p) {
        Some(super::cellstays::Who::Resident(r)) => Some(*r),
        _ => None,
    };
    let ids: Vec<i64> = engine_ids.iter().filter_map(|p| resident_of(*p)).collect();
    let mut w = state.db.write().await?;
    let labels =
        w.resident_labels(&ctx.actor(), &ctx.scope(), &ids, &format!("case {case_id} {} contacts", tier.key())).await?;
    w.commit().await?;
    let labels: HashMap<i64, ningan_store::ResidentLabel> = labels.into_iter().map(|l| (l.id, l)).collect();
    let visitor_ids: Vec<i64> =
        who.values().filter_map(|w| if let super::cellstays::Who::Visitor(v) = w { Some(*v) } else { None }).collect();
    let why = format!("case {case_id} {} contacts", tier.key());
    let visitor_names = super::visitors::names_in_scope(state, ctx, &visitor_ids, &why).await?;
    let items = shown
        .iter()
        .map(|(c, via, links)| {
            let resident = resident_of(c.person);
            let label = resident.and_then(|r| labels.get(&r));
            let pseudonym = match who.get(&c.person) {
                Some(super::cellstays::Who::Unregistered(row)) => Some(super::cellstays::Who::pseudonym(*row)),
                _ => None,
            };
            let visitor = match who.get(&c.person) {
                Some(super::cellstays::Who::Visitor(v)) => Some(*v),
                _ => None,
            };
            let name = match visitor {
                Some(v) => visitor_names.get(&v).cloned(),
                None => label.map(|l| l.name.clone()),
            };
            let (venue_ids, cells) = if tier == Tier::Companion {
                let cells = c
                    .spaces
                    .iter()
                    .filter_map(|s| state.precise.tracer.cell_center(*s))
                    .map(|(lat, lng)| [lng, lat])
                    .collect();
                (Vec::new(), cells)
            } else {
                (c.spaces.iter().map(|s| i64::from(*s)).collect(), Vec::new())
            };
            ContactDto {
                resident_id: resident,
                visitor_id: visitor,
                pseudonym,
                name,
                unit_id: label.map(|l| l.unit_id),
                total_overlap_s: c.total_overlap,
                shared_visits: c.shared_visits,
                first_exposure: ts(i64::from(c.first_exposure) * 1000),
                last_exposure: ts(i64::from(c.last_exposure) * 1000),
                venue_ids,
                cells,
                via_resident_id: via.and_then(resident_of),
                links: *links,
            }
        })
        .collect();
    Ok(ningan_store::Page { items, page: page.page, per_page: page.per_page, total })
}

pub(super) async fn contacts(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<InvestigationQuery>,
) -> ApiResult<axum::Json<PageDto<ContactDto>>> {
    let tier = Tier::parse(q.tier.as_deref())?;
    let (_, inv) = run_investigation(&state, &ctx, id, q.to.as_deref(), q.rule.as_deref()).await?;
    let page = contact_page(&state, &ctx, id, &inv, tier, PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, |c| c)))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(super) struct CommonQuery {
    /// Case ids, comma-separated: 2 to 50 of them.
    #[schemars(regex(pattern = r"^\d+(,\d+){1,49}$"), extend("examples" = ["1,2"]))]
    cases: Option<String>,
    /// How many of them must have been there together (default 2).
    m: Option<usize>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CommonSourceDto {
    pub venue_id: i64,
    pub venue_name: Option<String>,
    pub from: String,
    pub to: String,
    /// The cases present together then.
    pub case_ids: Vec<i64>,
}

/// Common source (溯源): venues and times where at least `m` of the chosen cases were
/// present together, from the earliest look-back among them until now; most cases first.
pub(super) async fn common_sources(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<CommonQuery>,
) -> ApiResult<axum::Json<Vec<CommonSourceDto>>> {
    let ids: Vec<i64> = q
        .cases
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| refuse("cases", Rule::other("病例编号以逗号分隔", "case ids separated by commas")))?;
    Ok(axum::Json(common(&state, &ctx, &ids, q.m.unwrap_or(2)).await?.1))
}

/// Common sources of the chosen cases (2–50), at least `m` of them together, with the cases
/// as read (each read audited once).
pub async fn common(
    state: &AppState,
    ctx: &Ctx,
    ids: &[i64],
    m: usize,
) -> ApiResult<(Vec<EpiCase>, Vec<CommonSourceDto>)> {
    if !(2..=50).contains(&ids.len()) {
        return Err(refuse("cases", Rule::other("请选择2–50个病例", "choose 2 to 50 cases")));
    }
    let m = m.clamp(2, ids.len());
    let mut w = state.db.write().await?;
    let mut people = Vec::new();
    let mut case_of = HashMap::new();
    let mut opened = Vec::with_capacity(ids.len());
    let mut from = tracer::now_s();
    for id in ids {
        let case = w.epi_case_open(&ctx.actor(), &ctx.scope(), *id).await?;
        let person = tracer::resident_person(case.resident_id)?;
        let onset = Time::try_from(case.onset_at / 1000).unwrap_or(0);
        from = from.min(onset.saturating_sub(ningan_trace::ExposureRule::ninth_edition().lookback));
        people.push(person);
        case_of.insert(person, *id);
        opened.push(case);
    }
    w.commit().await?;
    let to = tracer::now_s();
    let sources = blocking(&state.precise.tracer, move |t| t.common_sources(&people, from, to, m)).await?;
    let venue_ids: Vec<i64> = sources.iter().map(|s| i64::from(s.space)).collect();
    let names: HashMap<i64, String> =
        state.db.venues_by_ids(&venue_ids).await?.into_iter().map(|v| (v.id, v.name)).collect();
    let rows = sources
        .into_iter()
        .take(200)
        .map(|s| CommonSourceDto {
            venue_id: i64::from(s.space),
            venue_name: names.get(&i64::from(s.space)).cloned(),
            from: ts(i64::from(s.from) * 1000),
            to: ts(i64::from(s.to) * 1000),
            case_ids: s.cases.iter().filter_map(|p| case_of.get(p).copied()).collect(),
        })
        .collect();
    Ok((opened, rows))
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use crate::http::dto::PageDto;
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(Method::GET, "/api/cases", Access::Action(Action::CaseRead), "precise", "查询病例")
            .query(&[("status", "confirmed | asymptomatic | suspected | discharged"), ("page", "页码")])
            .response::<PageDto<CaseDto>>()
            .query_type::<ListQuery>(),
        get(case_list),
    )
    .add(
        Op::api(Method::POST, "/api/cases", Access::Action(Action::CaseManage), "precise", "登记病例")
            .request::<NewCaseRequest>()
            .response::<CaseDto>()
            .status(201),
        post(case_create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/cases/{id}/investigation",
            Access::Action(Action::CaseRead),
            "precise",
            "流调：风险点位、密接与次密接人数及所用规则",
        )
        .query(&[("to", "流调截止时间（RFC 3339，默认现在）"), ("rule", "研判规则版本：ninth（缺省）、eighth、sixth")])
        .response::<InvestigationDto>()
        .query_type::<InvestigationQuery>(),
        get(investigation),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/cases/{id}/contacts",
            Access::Action(Action::CaseRead),
            "precise",
            "流调：密接、次密接或时空伴随名单（分页）",
        )
        .query(&[
            ("tier", "close | secondary | companion"),
            ("to", "流调截止时间"),
            ("page", "页码"),
            ("per_page", "每页条数"),
        ])
        .response::<PageDto<ContactDto>>()
        .query_type::<InvestigationQuery>(),
        get(contacts),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/common-sources",
            Access::Action(Action::CaseRead),
            "precise",
            "溯源：多个病例共同到过的场所与时段",
        )
        .query(&[("cases", "病例编号，逗号分隔（2–50个）"), ("m", "至少几个病例同时在场（默认2）")])
        .response::<Vec<CommonSourceDto>>()
        .query_type::<CommonQuery>()
        .answers(&[404]),
        get(common_sources),
    )
}
