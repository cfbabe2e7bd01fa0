//! The precise-control pages: venues with their codes, the case register, and a case's
//! investigation (exposure places on the map, close and secondary contacts, the rule used).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::Action;
use ningan_store::{CASE_STATUSES, OrgUnit, PageRequest, UnitKind};
use serde::{Deserialize, Serialize};

use super::tracer::VENUE_KINDS;
use crate::app::AppState;
use crate::http::dto::ts;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::{PreciseError, refuse};
use crate::modules::precise::{
    CaseDto, ContactDto, NewCaseRequest, NewVenueRequest, PlaceDto, RuleDto, VenueDto, contact_page, create_venue,
    exposure_places, rule_dto, run_investigation, status_zh,
};
use crate::web::page::{nonempty, opt_i64};
use crate::web::{FormState, Frame, PageError, PageResult, Pager, Tr, html};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    rule: Option<String>,
    status: Option<String>,
    page: Option<String>,
    tier: Option<String>,
    confirmed: Option<String>,
    published: Option<u64>,
    /// A hand-over refused on the investigation page: why, as the page's language says.
    handover_error: Option<String>,
}

#[derive(Template)]
#[template(path = "precise/venues.html")]
struct VenuesPage {
    frame: Frame,
    q: String,
    rows: Vec<VenueDto>,
    pager: Pager,
    stations: Vec<OrgUnit>,
    kinds: Vec<(&'static str, &'static str)>,
    may_manage: bool,
    error: Option<String>,
    form: VenueForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct VenueForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    lat: String,
}

impl VenuesPage {
    fn kind_selected(&self, k: &str) -> bool {
        self.form.kind == k
    }

    fn unit_selected(&self, id: &i64) -> bool {
        self.form.unit_id == id.to_string()
    }
}

async fn venues_page(state: &AppState, ctx: &Ctx, q: ListQuery, form: VenueForm, error: Option<String>) -> PageResult {
    let q_text = nonempty(&q.q);
    let page =
        state.db.venue_search(&ctx.scope(), q_text.as_deref(), PageRequest::new(opt_i64(&q.page), Some(20))).await?;
    let pager = Pager::new("/precise/venues", &[("q", q_text.clone().unwrap_or_default())], &page);
    let stations =
        state.db.units_in_scope(&ctx.scope()).await?.into_iter().filter(|u| u.kind == UnitKind::Station).collect();
    let frame = Frame::for_principal(ctx).crumb("/precise/venues", "nav.venues");
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let kinds = VENUE_KINDS.iter().map(|(k, zh)| (*k, if frame.tr.is_en() { *k } else { *zh })).collect();
    let page = VenuesPage {
        q: q_text.unwrap_or_default(),
        rows: page.items.into_iter().map(VenueDto::from).collect(),
        pager,
        stations,
        kinds,
        may_manage: ctx.may(Action::VenueManage),
        error,
        form,
        frame,
    };
    Ok(html(status, &page))
}

pub async fn venues(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    venues_page(&state, &ctx, q, VenueForm::default(), None).await
}

pub async fn venue_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<VenueForm>,
) -> PageResult<Response> {
    use crate::web::page::form_required;
    let parsed = (|| {
        Ok::<_, ApiError>(NewVenueRequest {
            name: form.name.clone(),
            kind: form.kind.clone(),
            address: form.address.clone(),
            unit_id: form_required("unit_id", "所属单位", "Unit", &form.unit_id)?,
            lon: form_required("lon", "经度", "Longitude", &form.lon)?,
            lat: form_required("lat", "纬度", "Latitude", &form.lat)?,
            code: None,
        })
    })();
    let created = match parsed {
        Ok(req) => create_venue(&state, &ctx, req).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(_) => Ok(Redirect::to("/precise/venues").into_response()),
        Err(e) => {
            let tr = Frame::for_principal(&ctx).tr;
            let message = tr.pick(&e.detail_zh, &e.detail_en).to_string();
            venues_page(&state, &ctx, ListQuery::default(), form, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "precise/cases.html")]
struct CasesPage {
    frame: Frame,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    rows: Vec<CaseDto>,
    pager: Pager,
    may_manage: bool,
    form: FormState,
}

impl CasesPage {
    fn status_is(&self, s: &str) -> bool {
        self.status == s
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct CaseForm {
    /// The case's ID number as on the lab report; the register is searched in the officer's
    /// area for it.
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    status: String,
    /// `datetime-local` input: China Standard Time without offset.
    #[serde(default)]
    onset_at: String,
    #[serde(default)]
    note: String,
}

async fn cases_page(state: &AppState, ctx: &Ctx, q: ListQuery, form: Option<FormState>) -> PageResult {
    let status = nonempty(&q.status).filter(|s| CASE_STATUSES.contains(&s.as_str()));
    let page =
        state.db.epi_case_search(&ctx.scope(), status.as_deref(), PageRequest::new(opt_i64(&q.page), Some(20))).await?;
    super::cases::audit_cases_shown(state, ctx, &page.items).await?;
    let pager = Pager::new("/precise/cases", &[("status", status.clone().unwrap_or_default())], &page);
    let frame = Frame::for_principal(ctx).crumb("/precise/cases", "nav.cases");
    let statuses = CASE_STATUSES
        .iter()
        .map(|s| (*s, frame.tr.pick(status_zh(s), ningan_core::labels::en(ningan_core::labels::CASE_STATUS, s))))
        .collect();
    let form = form.unwrap_or_else(|| FormState::new(frame.tr));
    let code = form.status();
    let page = CasesPage {
        status: status.unwrap_or_default(),
        statuses,
        rows: page.items.into_iter().map(CaseDto::from).collect(),
        pager,
        may_manage: ctx.may(Action::CaseManage),
        form,
        frame,
    };
    Ok(html(code, &page))
}

pub async fn cases(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    cases_page(&state, &ctx, q, None).await
}

#[derive(Deserialize, Default)]
pub struct CasesExportQuery {
    status: Option<String>,
    format: Option<String>,
}

/// The case line list as filtered on the page (status), as CSV, XLSX or Parquet, at most
/// [`EXPORT_CAP`] rows; every page of cases read is audited as the list's is, and the export
/// itself.
///
/// [`EXPORT_CAP`]: crate::web::export::EXPORT_CAP
async fn cases_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<CasesExportQuery>,
) -> PageResult<Response> {
    use crate::web::export::{Format, Table, download, gather};
    let tr = Tr::new(ctx.language());
    let framed = |e: ApiError| PageError::from(e).framed(&ctx);
    let format = match q.format.as_deref().unwrap_or("csv") {
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        "parquet" => Format::Parquet,
        _ => return Err(framed(refuse("format", Rule::one_of("csv、xlsx 或 parquet", &["csv", "xlsx", "parquet"])))),
    };
    let status = nonempty(&q.status);
    if let Some(s) = &status
        && !CASE_STATUSES.contains(&s.as_str())
    {
        return Err(framed(refuse("status", Rule::one_of("病例状态", CASE_STATUSES))));
    }
    let (state, ctx, status) = (&state, &ctx, status.as_deref());
    let cases = gather(|page| async move {
        let found = state.db.epi_case_search(&ctx.scope(), status, page).await?;
        super::cases::audit_cases_shown(state, ctx, &found.items).await?;
        Ok::<_, ApiError>(found.items)
    })
    .await
    .map_err(framed)?;
    let rows: Vec<Vec<String>> = cases
        .into_iter()
        .map(CaseDto::from)
        .map(|c| {
            vec![
                c.id.to_string(),
                c.resident_name,
                tr.pick(&c.status_zh, &c.status_en).to_string(),
                crate::web::fmt::when(&c.onset_at),
                crate::web::fmt::when(&c.created_at),
                c.unit_id.to_string(),
                c.note,
            ]
        })
        .collect();
    let headers = [
        ("病例编号", "Case no."),
        ("姓名", "Name"),
        ("状态", "Status"),
        ("发病/采样", "Onset"),
        ("登记时间", "Registered"),
        ("单位编号", "Unit no."),
        ("备注", "Note"),
    ];
    let mut w = state.db.write().await.map_err(|e| framed(e.into()))?;
    let detail = format!("{} cases as {}", rows.len(), format.ext());
    w.audit(ctx.actor().audit("case.export", "epi_case", 0, None, None, &detail))
        .await
        .map_err(|e| framed(e.into()))?;
    w.commit().await.map_err(|e| framed(e.into()))?;
    download(&Table::new("cases", tr, &headers, rows), format).map_err(framed)
}

pub async fn case_create(State(state): State<AppState>, ctx: Ctx, Form(form): Form<CaseForm>) -> PageResult<Response> {
    // The form's local time is China Standard Time.
    let onset = form.onset_at.trim();
    let onset = if onset.len() == 16 { format!("{onset}:00+08:00") } else { onset.to_string() };
    let result = async {
        let resident_id = resident_by_id_number(&state, &ctx, &form.id_number).await?;
        let req =
            NewCaseRequest { resident_id, status: form.status.clone(), onset_at: onset, note: Some(form.note.clone()) };
        Ok::<i64, ApiError>(super::cases::create_case(&state, &ctx, req).await?.id)
    }
    .await;
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/precise/cases/{id}")).into_response()),
        Err(e) if e.code.status().is_client_error() => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&form)
                .refused(&e, &["id_number", "status", "onset_at", "note"]);
            cases_page(&state, &ctx, ListQuery::default(), Some(form)).await
        }
        Err(e) => Err(PageError::from(e).framed(&ctx)),
    }
}

/// The resident in the officer's area with this ID number, or an error on the field.
async fn resident_by_id_number(state: &AppState, ctx: &Ctx, typed: &str) -> Result<i64, ApiError> {
    if typed.trim().is_empty() {
        return Err(refuse("id_number", Rule::Required));
    }
    let id = ningan_core::IdNumber::parse(typed, ningan_core::time::today_cst())
        .map_err(|e| ApiError::field_from("id_number", e))?;
    state.db.resident_by_id_number(&ctx.scope(), id.as_str()).await?.ok_or_else(|| PreciseError::NotRegistered.into())
}

#[derive(Template)]
#[template(path = "precise/investigation.html")]
struct InvestigationPage {
    frame: Frame,
    case: CaseDto,
    rule: RuleDto,
    from: String,
    to: String,
    places: Vec<PlaceDto>,
    places_json: String,
    close_count: usize,
    secondary_count: usize,
    companion_count: usize,
    tier: String,
    /// The rule editions to choose from: key and name.
    editions: Vec<(String, String)>,
    /// What the interview added, and the form to add more.
    trajectory: Vec<super::trajectory::TrajectoryEntry>,
    form: FormState,
    status: StatusCode,
    contacts: Vec<ContactDto>,
    pager: Pager,
    graph_json: String,
    graph_nodes: usize,
    may_manage: bool,
    confirmed: Option<String>,
    /// Contacts handed over to other cities, with their progress there.
    handovers: Vec<super::handover::HandoverDto>,
    handover_error: Option<String>,
}

impl InvestigationPage {
    fn tier_is(&self, t: &str) -> bool {
        self.tier == t
    }
}

/// Nodes the transmission graph draws at most, per tier.
const GRAPH_CLOSE: usize = 150;
const GRAPH_SECONDARY: usize = 300;
const GRAPH_COMPANIONS: usize = 150;

/// The transmission graph (case → close contacts → secondary contacts, and the case's
/// cell-stay companions) as the JSON the page's script draws; names only for people in the
/// caller's units (the listing is audited), visitors as visitors, unregistered numbers by
/// pseudonym.
async fn graph(
    state: &AppState,
    ctx: &Ctx,
    case_id: i64,
    case: &CaseDto,
    inv: &super::tracer::Investigation,
) -> Result<(String, usize), PageError> {
    use super::cellstays::Who;
    let close: Vec<&ningan_trace::CloseContact> = inv.close.iter().take(GRAPH_CLOSE).collect();
    let shown: std::collections::HashSet<u32> = close.iter().map(|c| c.person).collect();
    let secondary: Vec<&ningan_trace::SecondaryContact> =
        inv.secondary.iter().filter(|s| shown.contains(&s.via)).take(GRAPH_SECONDARY).collect();
    let companions: Vec<&ningan_trace::CloseContact> = inv.companions.iter().take(GRAPH_COMPANIONS).collect();
    let people: Vec<u32> = close
        .iter()
        .map(|c| c.person)
        .chain(secondary.iter().map(|s| s.contact.person))
        .chain(companions.iter().map(|c| c.person))
        .collect();
    let who = super::cellstays::who(state, &people).await.map_err(ApiError::from)?;
    let ids: Vec<i64> = who.values().filter_map(|w| if let Who::Resident(r) = w { Some(*r) } else { None }).collect();
    let mut w = state.db.write().await?;
    let labels =
        w.resident_labels(&ctx.actor(), &ctx.scope(), &ids, &format!("case {case_id} transmission graph")).await?;
    w.commit().await?;
    let names: std::collections::HashMap<i64, String> = labels.into_iter().map(|l| (l.id, l.name)).collect();
    let visitor_names = visitor_names_in_scope(state, ctx, case_id, &who).await?;
    let statuses: std::collections::HashMap<i64, String> =
        state.db.followup_statuses(case_id).await?.into_iter().collect();
    // Where each contact met its source: the first venue they shared, for the map layout.
    let venue_ids: Vec<i64> = close
        .iter()
        .map(|c| &c.spaces)
        .chain(secondary.iter().map(|s| &s.contact.spaces))
        .filter_map(|s| s.first().map(|v| i64::from(*v)))
        .collect();
    let places: std::collections::HashMap<i64, [f64; 2]> =
        state.db.venues_by_ids(&venue_ids).await?.into_iter().map(|v| (v.id, v.location)).collect();
    let date = |t: u32| ningan_core::time::format_ms(i64::from(t) * 1000).chars().take(10).collect::<String>();
    // A node's id, name and link: residents by record id, visitors ("v…") and unregistered
    // numbers ("p…") apart, so the three never meet.
    let identity = |person: u32| -> Option<(serde_json::Value, String, String, Option<i64>)> {
        Some(match who.get(&person)? {
            Who::Resident(r) => (
                serde_json::json!(r),
                names.get(r).cloned().unwrap_or_else(|| format!("#{r}")),
                format!("/residents/{r}"),
                Some(*r),
            ),
            Who::Visitor(v) => (
                serde_json::json!(format!("v{v}")),
                visitor_names.get(v).cloned().unwrap_or_else(|| format!("外来人员 #{v}")),
                "/precise/visitors".to_string(),
                None,
            ),
            Who::Unregistered(row) => {
                (serde_json::json!(format!("p{row}")), super::cellstays::Who::pseudonym(*row), String::new(), None)
            }
        })
    };
    let case_place = inv.windows.first().and_then(|w| places.get(&i64::from(w.space)).copied());
    let mut nodes = vec![serde_json::json!({
        "id": case.resident_id, "name": case.resident_name, "tier": "case",
        "href": format!("/residents/{}", case.resident_id), "day": i64::from(inv.from) / 86_400,
        "date": date(inv.from), "status": "case", "lonlat": case_place,
    })];
    let mut links = Vec::new();
    let mut drawn = std::collections::HashSet::new();
    let mut add = |tier: &str, c: &ningan_trace::CloseContact, from: serde_json::Value, at: Option<[f64; 2]>| {
        let Some((id, name, href, resident)) = identity(c.person) else { return };
        links.push(serde_json::json!([from, id.clone()]));
        if !drawn.insert(id.to_string()) {
            return;
        }
        nodes.push(serde_json::json!({
            "id": id, "name": name, "tier": tier, "href": href,
            "day": i64::from(c.first_exposure) / 86_400, "date": date(c.first_exposure),
            "status": resident.and_then(|r| statuses.get(&r).cloned()).unwrap_or_else(|| "untracked".into()),
            "lonlat": at,
        }));
    };
    let venue_at = |c: &ningan_trace::CloseContact| c.spaces.first().and_then(|v| places.get(&i64::from(*v)).copied());
    for c in &close {
        add("close", c, serde_json::json!(case.resident_id), venue_at(c));
    }
    for s in &secondary {
        let via = identity(s.via).map_or(serde_json::Value::Null, |i| i.0);
        add("secondary", &s.contact, via, venue_at(&s.contact));
    }
    // A companion who is also a close or secondary contact is drawn once, as the contact.
    for c in &companions {
        let at = c.spaces.first().and_then(|s| state.precise.tracer.cell_center(*s)).map(|(lat, lng)| [lng, lat]);
        add("companion", c, serde_json::json!(case.resident_id), at);
    }
    let count = nodes.len();
    let tr = Tr::new(ctx.language());
    let categories = [
        tr.pick("病例", "Case"),
        tr.pick("密接", "Close contacts"),
        tr.pick("次密接", "Secondary contacts"),
        tr.pick("时空伴随", "Companions"),
    ];
    let json = serde_json::json!({"nodes": nodes, "links": links, "categories": categories});
    Ok((json.to_string(), count))
}

/// Names of the visitors among `who` staying in the caller's area (the reading audited).
async fn visitor_names_in_scope(
    state: &AppState,
    ctx: &Ctx,
    case_id: i64,
    who: &std::collections::HashMap<u32, super::cellstays::Who>,
) -> Result<std::collections::HashMap<i64, String>, PageError> {
    let ids: Vec<i64> =
        who.values().filter_map(|w| if let super::cellstays::Who::Visitor(v) = w { Some(*v) } else { None }).collect();
    let names =
        super::visitors::names_in_scope(state, ctx, &ids, &format!("case {case_id} transmission graph")).await?;
    Ok(names)
}

#[derive(Deserialize)]
pub struct HandoverForm {
    #[serde(default)]
    visitor_id: String,
}

/// A visitor contact handed over from the investigation page; a refusal comes back to the
/// page as a message.
pub async fn handover(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<HandoverForm>,
) -> PageResult<Response> {
    let handed = match form.visitor_id.trim().parse::<i64>() {
        Ok(visitor) => super::handover::hand_over(&state, &ctx, id, visitor).await,
        Err(_) => Err(refuse("visitor_id", Rule::other("请选择外来人员", "choose a visitor"))),
    };
    match handed {
        Ok(_) => Ok(Redirect::to(&format!("/precise/cases/{id}#handovers")).into_response()),
        Err(e) if e.code.status().is_client_error() => {
            let tr = Tr::new(ctx.language());
            let message = tr.pick(&e.detail_zh, &e.detail_en).to_string();
            let query = serde_urlencoded::to_string([("handover_error", message)]).unwrap_or_default();
            Ok(Redirect::to(&format!("/precise/cases/{id}?{query}#handovers")).into_response())
        }
        Err(e) => Err(PageError::from(e).framed(&ctx)),
    }
}

pub async fn confirm(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult<Response> {
    let (c, _) =
        super::followups::confirm_contacts(&state, &ctx, id).await.map_err(|e| PageError::from(e).framed(&ctx))?;
    let r = c.report;
    let summary = format!(
        "{},{},{},{},{},{}",
        r.added_close, r.added_secondary, r.updated, r.promoted, r.unchanged, c.added_visitors
    );
    Ok(Redirect::to(&format!("/precise/cases/{id}?confirmed={summary}")).into_response())
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

pub async fn publish(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> PageResult<Response> {
    let r = super::notices::publish_case(&state, &ctx, id, &form.reason)
        .await
        .map_err(|e| PageError::from(e).framed(&ctx))?;
    Ok(Redirect::to(&format!("/precise/cases/{id}?published={}", r.published)).into_response())
}

pub async fn investigation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let form = FormState::new(Tr::new(ctx.language()));
    investigation_page(&state, &ctx, id, q, form).await
}

/// An interview entry added from the investigation page; refused fields are shown beside
/// themselves with what was typed.
pub async fn trajectory_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<super::trajectory::TrajectoryForm>,
) -> PageResult<Response> {
    let parsed = input.parsed();
    match super::trajectory::add(&state, &ctx, id, &parsed).await {
        Ok(_) => Ok(Redirect::to(&format!("/precise/cases/{id}#trajectory")).into_response()),
        Err(e) => {
            let fields = ["venue_code", "address", "lon", "from", "to", "note"];
            let form = FormState::new(Tr::new(ctx.language())).with_values(&input).refused(&e, &fields);
            Ok(investigation_page(&state, &ctx, id, ListQuery::default(), form).await?.into_response())
        }
    }
}

async fn investigation_page(state: &AppState, ctx: &Ctx, id: i64, q: ListQuery, form: FormState) -> PageResult {
    let (state, ctx) = (state.clone(), ctx.clone());
    let (case, inv) = run_investigation(&state, &ctx, id, None, q.rule.as_deref())
        .await
        .map_err(|e| PageError::from(e).framed(&ctx))?;
    let mut places = exposure_places(&state, &inv).await?;
    places.extend(super::trajectory::interview_places(&state.db, id).await?);
    let trajectory = super::trajectory::entries(&state.db, id).await?;
    places.sort_by(|a, b| a.from.cmp(&b.from));
    // An unknown tier in a typed address shows the close contacts.
    let shown_tier = super::cases::Tier::parse(q.tier.as_deref()).unwrap_or(super::cases::Tier::Close);
    let tier = shown_tier.key();
    let page_req = PageRequest::new(opt_i64(&q.page), Some(50));
    let contacts = contact_page(&state, &ctx, id, &inv, shown_tier, page_req).await?;
    let href = format!("/precise/cases/{id}");
    let pager = Pager::new(&href, &[("tier", tier.to_string()), ("rule", inv.key.clone())], &contacts);
    let editions = ningan_trace::ExposureRule::EDITIONS
        .iter()
        .filter_map(|k| ningan_trace::ExposureRule::edition(k).map(|r| (k.to_string(), r.version)))
        .collect();
    let places_json = serde_json::to_string(&places).unwrap_or_else(|_| "[]".into());
    let case = CaseDto::from(case);
    let (graph_json, graph_nodes) = graph(&state, &ctx, id, &case, &inv).await?;
    let frame = Frame::for_principal(&ctx).crumb("/precise/cases", "nav.cases").crumb_text(&href, &case.resident_name);
    // "added close, added secondary, updated, promoted, unchanged, added visitors" after a
    // confirmation.
    let confirmed = q.confirmed.as_deref().and_then(|c| {
        let n: Vec<u64> = c.split(',').filter_map(|x| x.parse().ok()).collect();
        (n.len() == 6).then(|| {
            frame
                .tr
                .pick(
                    &format!(
                        "已转为管控任务：新增密接 {}、次密接 {}；更新 {}；升为密接 {}；无变化 {}；外来人员交暂住地派出所 {}",
                        n[0], n[1], n[2], n[3], n[4], n[5]
                    ),
                    &format!(
                        "Follow-ups: {} new close, {} new secondary; {} updated; {} promoted; {} unchanged; {} visitors to the stations where they stay",
                        n[0], n[1], n[2], n[3], n[4], n[5]
                    ),
                )
                .to_string()
        })
    });
    let confirmed = confirmed.or_else(|| {
        q.published.map(|n| {
            frame
                .tr
                .pick(
                    &format!("已发布新风险点位 {n} 个（公众页面 /public/exposure）"),
                    &format!("{n} new exposure places published (/public/exposure)"),
                )
                .to_string()
        })
    });
    let handovers = super::handover::of_case(&state, &ctx, id).await?;
    let page = InvestigationPage {
        handovers,
        handover_error: q.handover_error.clone(),
        frame,
        editions,
        rule: rule_dto(&inv),
        from: ts(i64::from(inv.from) * 1000),
        to: ts(i64::from(inv.to) * 1000),
        close_count: inv.close.len(),
        secondary_count: inv.secondary.len(),
        companion_count: inv.companions.len(),
        places,
        places_json,
        tier: tier.into(),
        contacts: contacts.items,
        pager,
        graph_json,
        graph_nodes,
        may_manage: ctx.may(Action::CaseManage),
        confirmed,
        case,
        trajectory,
        status: form.status(),
        form,
    };
    Ok(html(page.status, &page))
}

#[derive(Template)]
#[template(path = "precise/common.html")]
struct CommonPage {
    frame: Frame,
    names: Vec<String>,
    rows: Vec<super::cases::CommonSourceDto>,
    error: Option<String>,
}

/// The common-source search over the cases ticked on the case list.
pub async fn common(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q.as_deref().unwrap_or_default()).unwrap_or_default();
    let ids: Vec<i64> = pairs.iter().filter(|(k, _)| k == "case").filter_map(|(_, v)| v.parse().ok()).collect();
    let frame =
        Frame::for_principal(&ctx).crumb("/precise/cases", "nav.cases").crumb("/precise/common", "common.title");
    let (names, rows, error) = match super::cases::common(&state, &ctx, &ids, 2).await {
        Ok((cases, rows)) => (cases.into_iter().map(|c| c.resident_name).collect(), rows, None),
        Err(e) => (Vec::new(), Vec::new(), Some(frame.tr.pick(&e.detail_zh, &e.detail_en).to_string())),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(html(status, &CommonPage { frame, names, rows, error }))
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::page(Method::GET, "/precise/common", Access::Action(Action::CaseRead), "溯源：所选病例的共同暴露"),
        get(common),
    )
    .add(
        Op::page(
            Method::POST,
            "/precise/cases/{id}/confirm",
            Access::Action(Action::CaseManage),
            "流调结果转为管控任务",
        ),
        post(confirm),
    )
    .add(
        Op::page(Method::POST, "/precise/cases/{id}/publish", Access::Action(Action::CaseManage), "发布风险点位"),
        post(publish),
    )
    .add(
        Op::page(
            Method::POST,
            "/precise/cases/{id}/handovers",
            Access::Action(Action::CaseManage),
            "协查移交外市户籍接触者",
        ),
        post(handover),
    )
    .add(Op::page(Method::GET, "/precise/venues", Access::Action(Action::VenueRead), "场所列表"), get(venues))
    .add(Op::page(Method::POST, "/precise/venues", Access::Action(Action::VenueManage), "登记场所"), post(venue_create))
    .add(Op::page(Method::GET, "/precise/cases", Access::Action(Action::CaseRead), "病例列表"), get(cases))
    .add(Op::page(Method::POST, "/precise/cases", Access::Action(Action::CaseManage), "登记病例"), post(case_create))
    .add(Op::page(Method::GET, "/precise/cases/{id}", Access::Action(Action::CaseRead), "流调页"), get(investigation))
    .add(
        Op::page(Method::POST, "/precise/cases/{id}/trajectory", Access::Action(Action::CaseManage), "补录访谈轨迹"),
        post(trajectory_add),
    )
    .add(
        Op::page(
            Method::GET,
            "/precise/cases/export",
            Access::Action(Action::CaseRead),
            "病例名单导出（CSV、XLSX、Parquet）",
        )
        .query(&[("status", "病例状态（可选）"), ("format", "csv、xlsx 或 parquet")]),
        get(cases_export),
    )
    .add(
        Op::page(
            Method::GET,
            "/precise/cases/{id}/contacts/export",
            Access::Action(Action::CaseRead),
            "密接、次密接、时空伴随名单导出（CSV、XLSX、Parquet）",
        )
        .query(&[
            ("tier", "close、secondary 或 companion"),
            ("format", "csv、xlsx 或 parquet"),
            ("rule", "研判规则版本：ninth（缺省）、eighth、sixth"),
        ]),
        get(contacts_export),
    )
}

#[derive(Deserialize, Default)]
pub struct ContactsExportQuery {
    tier: Option<String>,
    rule: Option<String>,
    format: Option<String>,
}

/// A case's close or secondary contacts as a line list (at most [`EXPORT_CAP`] rows), each
/// row naming the rule the tracing followed; the names are read, and audited, as the page's
/// are, and the export itself is audited with the rule.
///
/// [`EXPORT_CAP`]: crate::web::export::EXPORT_CAP
async fn contacts_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ContactsExportQuery>,
) -> PageResult<Response> {
    use crate::web::export::{Format, Table, download, gather};
    let tr = Tr::new(ctx.language());
    let framed = |e: ApiError| PageError::from(e).framed(&ctx);
    let tier = super::cases::Tier::parse(q.tier.as_deref()).map_err(|e| framed(e.into()))?;
    let format = match q.format.as_deref().unwrap_or("csv") {
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        "parquet" => Format::Parquet,
        _ => return Err(framed(refuse("format", Rule::one_of("csv、xlsx 或 parquet", &["csv", "xlsx", "parquet"])))),
    };
    let (_, inv) = run_investigation(&state, &ctx, id, None, q.rule.as_deref()).await.map_err(framed)?;
    let (state, ctx, inv) = (&state, &ctx, &inv);
    let contacts = gather(|page| async move { contact_page(state, ctx, id, inv, tier, page).await.map(|p| p.items) })
        .await
        .map_err(framed)?;
    let rule = rule_dto(inv);
    let rule_text = match tier {
        super::cases::Tier::Companion => ningan_trace::CompanionRule::standard().version,
        _ => format!(
            "{}（{} h / ±{} min / ≥{} min）",
            rule.version, rule.lookback_hours, rule.buffer_minutes, rule.min_overlap_minutes
        ),
    };
    let tier_label = tier.label(&tr);
    let rows: Vec<Vec<String>> = contacts
        .iter()
        .map(|c| {
            let unnamed = match &c.pseudonym {
                Some(_) => tr.pick("（未登记号码）", "(number not registered)"),
                None => tr.pick("（辖区外）", "(outside your area)"),
            };
            vec![
                c.resident_id.map(|r| r.to_string()).or_else(|| c.pseudonym.clone()).unwrap_or_default(),
                c.name.clone().unwrap_or_else(|| unnamed.to_string()),
                tier_label.to_string(),
                c.via_resident_id.map(|v| v.to_string()).unwrap_or_default(),
                (c.total_overlap_s / 60).to_string(),
                c.shared_visits.to_string(),
                crate::web::fmt::when(&c.first_exposure),
                crate::web::fmt::when(&c.last_exposure),
                (c.venue_ids.len() + c.cells.len()).to_string(),
                rule_text.clone(),
            ]
        })
        .collect();
    let headers = [
        ("人员编号", "Person no."),
        ("姓名", "Name"),
        ("类别", "Tier"),
        ("经由（密接编号）", "Via (close contact no.)"),
        ("共同停留（分钟）", "Shared (minutes)"),
        ("共同到访次数", "Shared visits"),
        ("首次暴露", "First exposure"),
        ("末次暴露", "Last exposure"),
        ("场所（基站网格）数", "Places (cells)"),
        ("研判规则", "Rule"),
    ];
    let mut w = state.db.write().await.map_err(|e| framed(e.into()))?;
    let detail = format!("{} {} contacts as {}, rule {}", rows.len(), tier.key(), format.ext(), rule.version);
    w.audit(ctx.actor().audit("case.contacts.export", "epi_case", id, None, None, &detail))
        .await
        .map_err(|e| framed(e.into()))?;
    w.commit().await.map_err(|e| framed(e.into()))?;
    let name = match tier {
        super::cases::Tier::Close => "close-contacts",
        super::cases::Tier::Secondary => "secondary-contacts",
        super::cases::Tier::Companion => "companions",
    };
    download(&Table::new(name, tr, &headers, rows), format).map_err(framed)
}
