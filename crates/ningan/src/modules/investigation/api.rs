//! The investigation API: cases and their teams, log, evidence, tasks, imports, records,
//! link analysis and charts. Routes under a case are open only to its team and supervisors
//! (the route table's guard); every answer that names a person is audited under them.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ningan_store::PageRequest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::InvestigationState;
use super::analysis::{self, FilterQuery, View};
use super::service::entity_kinds;
use super::service::{self, CaseInput, EvidenceInput, MemberInput, NoteInput, StageInput, TaskDoneInput, TaskInput};
use super::store::cases::{self, Case, CaseQuery, Member};
use super::store::records::{self, Import, RecordQuery, mask_key};
use super::store::{charts, evidence, tasks};
use crate::app::AppState;
use crate::http::dto::PageDto;
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::shown::audit_shown;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Created {
    pub id: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Opened {
    pub id: i64,
    pub no: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ListQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub organised: Option<bool>,
    #[serde(default)]
    pub page: Option<i64>,
    #[serde(default)]
    pub per_page: Option<i64>,
}

pub fn supervised(ctx: &Ctx) -> Option<ningan_store::Scope> {
    ctx.may(ningan_core::Action::InvestigationSupervise).then(|| ctx.scope())
}

pub async fn cases_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<Case>>> {
    let query = CaseQuery { q: q.q, stage: q.stage.filter(|s| !s.is_empty()), organised: q.organised };
    let page = PageRequest::new(q.page, q.per_page);
    let found = cases::list(&state.db, service::user_id(&ctx), supervised(&ctx).as_ref(), &query, page).await?;
    Ok(axum::Json(PageDto::from_page(found, |c| c)))
}

pub async fn case_open(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<CaseInput>,
) -> ApiResult<(StatusCode, axum::Json<Opened>)> {
    let (id, no) = service::open(&state, &ctx, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(Opened { id, no })))
}

pub async fn figures(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<cases::Figures>> {
    Ok(axum::Json(cases::figures(&state.db, &ctx.scope()).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CaseDto {
    #[serde(flatten)]
    pub case: Case,
    pub team: Vec<Member>,
    /// Whether the caller leads it or supervises its unit.
    pub may_direct: bool,
    pub evidence: i64,
    pub open_tasks: i64,
    pub imports: i64,
    pub relations: i64,
    pub entities: i64,
}

pub async fn case_dto(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<CaseDto> {
    let case = cases::get(&state.db, id).await?;
    let may_direct = service::may_direct(state, ctx, &case).await?;
    let team = cases::members(&state.db, id).await?;
    let counts = cases::counts(&state.db, id).await?;
    // A view of a case is on the trail whoever opens it.
    audit_shown(state, ctx, "investigation.case.view", "inv_case", &[id], &[]).await?;
    Ok(CaseDto {
        case,
        team,
        may_direct,
        evidence: counts.0,
        open_tasks: counts.1,
        imports: counts.2,
        relations: counts.3,
        entities: counts.4,
    })
}

pub async fn case_get(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<axum::Json<CaseDto>> {
    Ok(axum::Json(case_dto(&state, &ctx, id).await?))
}

pub async fn stage(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<StageInput>,
) -> ApiResult<StatusCode> {
    service::set_stage(&state, &ctx, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn member_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<MemberInput>,
) -> ApiResult<StatusCode> {
    service::add_member(&state, &ctx, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn member_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, user)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    service::remove_member(&state, &ctx, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PageQuery {
    #[serde(default)]
    pub page: Option<i64>,
    #[serde(default)]
    pub per_page: Option<i64>,
}

pub async fn log(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<cases::LogEntry>>> {
    audit_shown(&state, &ctx, "investigation.log.view", "inv_case", &[id], &[]).await?;
    Ok(axum::Json(PageDto::from_page(
        cases::log_page(&state.db, id, PageRequest::new(q.page, q.per_page)).await?,
        |e| e,
    )))
}

pub async fn note(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<NoteInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok((StatusCode::CREATED, axum::Json(Created { id: service::note(&state, &ctx, id, &input).await? })))
}

pub async fn evidence_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<evidence::Item>>> {
    audit_shown(&state, &ctx, "investigation.evidence.view", "inv_case", &[id], &[]).await?;
    Ok(axum::Json(evidence::list(&state.db, id).await?))
}

pub async fn evidence_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<EvidenceInput>,
) -> ApiResult<(StatusCode, axum::Json<evidence::Item>)> {
    Ok((StatusCode::CREATED, axum::Json(service::file_evidence(&state, &ctx, id, &input).await?)))
}

pub async fn evidence_verify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<evidence::Verification>> {
    audit_shown(&state, &ctx, "investigation.evidence.verify", "inv_case", &[id], &[]).await?;
    let case = cases::get(&state.db, id).await?;
    Ok(axum::Json(evidence::verify(&state.db, id, case.created_at).await?))
}

pub async fn tasks_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<tasks::Task>>> {
    audit_shown(&state, &ctx, "investigation.tasks.view", "inv_case", &[id], &[]).await?;
    Ok(axum::Json(tasks::list(&state.db, id).await?))
}

pub async fn task_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<TaskInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok((StatusCode::CREATED, axum::Json(Created { id: service::add_task(&state, &ctx, id, &input).await? })))
}

pub async fn task_done(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, task)): Path<(i64, i64)>,
    Json(input): Json<TaskDoneInput>,
) -> ApiResult<StatusCode> {
    service::finish_task(&state, &ctx, id, task, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct UploadQuery {
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// The request body is the file itself (CSV or Parquet), streamed to disk.
pub async fn import_upload(
    State(state): State<AppState>,
    State(inv): State<InvestigationState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<UploadQuery>,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, axum::Json<Import>)> {
    let name = q.name.unwrap_or_default();
    let imp = super::import::receive(&state, &inv, &ctx, id, &q.kind, &name, body.into_data_stream()).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(imp)))
}

pub async fn imports_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<Import>>> {
    audit_shown(&state, &ctx, "investigation.imports.view", "inv_case", &[id], &[]).await?;
    Ok(axum::Json(records::imports(&state.db, id).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ImportDto {
    #[serde(flatten)]
    pub import: Import,
    /// Refused rows (the first thousand kept): line and reason.
    pub refusals: Vec<(i64, String)>,
}

pub async fn import_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, import)): Path<(i64, i64)>,
) -> ApiResult<axum::Json<ImportDto>> {
    audit_shown(&state, &ctx, "investigation.import.view", "inv_case", &[id], &[]).await?;
    let import = records::import_get(&state.db, id, import).await?;
    let refusals = records::refusals(&state.db, import.id, 1000).await?;
    Ok(axum::Json(ImportDto { import, refusals }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EntityDto {
    pub id: i64,
    pub kind: String,
    /// Masked.
    pub label: String,
    pub holder: Option<i64>,
    pub in_register: bool,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct EntityQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    #[schemars(schema_with = "entity_kinds")]
    pub kind: Option<String>,
    #[serde(default)]
    pub page: Option<i64>,
    #[serde(default)]
    pub per_page: Option<i64>,
}

pub async fn entities(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<EntityQuery>,
) -> ApiResult<axum::Json<PageDto<EntityDto>>> {
    let kind = q.kind.as_deref().filter(|k| !k.is_empty());
    if let Some(k) = kind
        && !records::ENTITY_KINDS.iter().any(|e| e.0 == k)
    {
        return Err(ApiError::field("kind", "对象类型无效", "unknown entity kind"));
    }
    let page = records::search(&state.db, id, q.q.as_deref().unwrap_or(""), kind, PageRequest::new(q.page, q.per_page))
        .await?;
    let persons: Vec<i64> = page.items.iter().filter_map(|e| e.resident_id).collect();
    audit_shown(&state, &ctx, "investigation.entities.view", "inv_case", &[id], &persons).await?;
    Ok(axum::Json(PageDto::from_page(page, |e| EntityDto {
        id: e.id,
        label: mask_key(&e.kind, &e.key),
        kind: e.kind,
        holder: e.holder,
        in_register: e.resident_id.is_some(),
    })))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct RecordsQuery {
    #[serde(default)]
    pub entity: Option<i64>,
    #[serde(default)]
    pub other: Option<i64>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub from: Option<i64>,
    #[serde(default)]
    pub to: Option<i64>,
    #[serde(default)]
    pub page: Option<i64>,
    #[serde(default)]
    pub per_page: Option<i64>,
}

/// Records behind a node or a link. A node that is a person stands for the phones and
/// accounts they hold, so its records are theirs.
pub async fn records(
    State(state): State<AppState>,
    State(inv): State<InvestigationState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<RecordsQuery>,
) -> ApiResult<axum::Json<PageDto<RecordDto>>> {
    let g = analysis::graph(&state, &inv, id).await?;
    let stands_for = |e: Option<i64>| e.map(|e| g.stands_for(e)).unwrap_or_default();
    let query = RecordQuery {
        entity: stands_for(q.entity),
        other: stands_for(q.other),
        kind: q.kind.filter(|k| !k.is_empty()),
        from: q.from,
        to: q.to,
    };
    let page = records::records(&state.db, id, &query, PageRequest::new(q.page, q.per_page)).await?;
    let mut ids: Vec<i64> = page.items.iter().flat_map(|r| [r.src, r.dst]).collect();
    ids.sort_unstable();
    ids.dedup();
    let known: std::collections::HashMap<i64, records::Entity> =
        records::entities_by_id(&state.db, id, &ids).await?.into_iter().map(|e| (e.id, e)).collect();
    let label = |e: i64| known.get(&e).map(|x| mask_key(&x.kind, &x.key)).unwrap_or_default();
    let persons: Vec<i64> = known.values().filter_map(|e| e.resident_id).collect();
    audit_shown(&state, &ctx, "investigation.records.view", "inv_case", &[id], &persons).await?;
    Ok(axum::Json(PageDto::from_page(page, |r| RecordDto {
        src_label: label(r.src),
        dst_label: label(r.dst),
        record: r,
    })))
}

/// A source record with its two ends as the team sees them (masked).
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordDto {
    #[serde(flatten)]
    pub record: records::Record,
    pub src_label: String,
    pub dst_label: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ExpandQuery {
    /// Entity ids, comma-separated.
    #[schemars(regex(pattern = r"^\d+(,\d+)*$"), extend("examples" = ["1,2"]))]
    pub seeds: String,
    #[serde(default)]
    pub hops: Option<u32>,
    #[serde(default)]
    pub per_node: Option<usize>,
    #[serde(default)]
    pub max_nodes: Option<usize>,
    #[serde(flatten)]
    pub filter: FilterQuery,
}

fn en(ctx: &Ctx) -> bool {
    ctx.language() == "en"
}

async fn shown(state: &AppState, ctx: &Ctx, id: i64, view: View) -> ApiResult<axum::Json<View>> {
    audit_shown(state, ctx, "investigation.graph.view", "inv_case", &[id], &analysis::persons(&view)).await?;
    Ok(axum::Json(view))
}

pub async fn expand(
    State(state): State<AppState>,
    State(inv): State<InvestigationState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ExpandQuery>,
) -> ApiResult<axum::Json<View>> {
    let seeds: Vec<i64> = q
        .seeds
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| ApiError::field("seeds", "应为对象编号，以逗号分隔", "entity ids, comma-separated"))
        })
        .collect::<ApiResult<_>>()?;
    if seeds.is_empty() || seeds.len() > 50 {
        return Err(ApiError::field("seeds", "请选择1–50个对象", "choose 1 to 50 entities"));
    }
    let hops = q.hops.unwrap_or(1);
    if !(1..=3).contains(&hops) {
        return Err(ApiError::field("hops", "扩展层数应为1–3", "hops are 1 to 3"));
    }
    let per_node = q.per_node.unwrap_or(25).clamp(1, 500);
    let max_nodes = q.max_nodes.unwrap_or(150).clamp(1, 2000);
    let f = q.filter.filter()?;
    let g = analysis::graph(&state, &inv, id).await?;
    let view = analysis::expand(&g, &seeds, hops, &f, per_node, max_nodes, en(&ctx))?;
    shown(&state, &ctx, id, view).await
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PathsQuery {
    pub a: i64,
    pub b: i64,
    /// Follow money (transfers in time order) instead of any link.
    #[serde(default)]
    pub money: bool,
    #[serde(flatten)]
    pub filter: FilterQuery,
}

pub async fn paths(
    State(state): State<AppState>,
    State(inv): State<InvestigationState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<PathsQuery>,
) -> ApiResult<axum::Json<View>> {
    let f = q.filter.filter()?;
    let g = analysis::graph(&state, &inv, id).await?;
    let view = analysis::paths(&g, q.a, q.b, &f, q.money, en(&ctx))?;
    shown(&state, &ctx, id, view).await
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct GroupsQuery {
    /// The group to draw (1 = the tightest).
    #[serde(default)]
    #[schemars(range(max = 1_000_000))]
    pub group: Option<usize>,
    #[serde(flatten)]
    pub filter: FilterQuery,
}

pub async fn groups(
    State(state): State<AppState>,
    State(inv): State<InvestigationState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<GroupsQuery>,
) -> ApiResult<axum::Json<View>> {
    let f = q.filter.filter()?;
    let g = analysis::graph(&state, &inv, id).await?;
    let (g2, fq, lang) = (g.clone(), q.filter.clone(), en(&ctx));
    let found =
        tokio::task::spawn_blocking(move || analysis::groups(&g2, &fq, lang)).await.map_err(ApiError::internal)??;
    let view = analysis::group_view(&g, &found, q.group.or(Some(1)), &f, en(&ctx));
    shown(&state, &ctx, id, view).await
}

pub async fn charts(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<charts::Version>>> {
    audit_shown(&state, &ctx, "investigation.charts.view", "inv_case", &[id], &[]).await?;
    Ok(axum::Json(charts::versions(&state.db, id).await?))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct ChartInput {
    #[schemars(schema_with = "crate::http::schema::line_2_80")]
    pub title: String,
    /// Nodes (entity ids) and their positions, links, the filter: as the chart page keeps them.
    pub body: ChartBody,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct ChartBody {
    #[schemars(length(min = 1, max = 2000))]
    pub nodes: Vec<ChartNode>,
    #[serde(default)]
    #[schemars(length(max = 20_000))]
    pub links: Vec<ChartLink>,
    #[serde(default)]
    pub filter: FilterQuery,
    #[serde(default)]
    #[schemars(length(max = 2000))]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct ChartNode {
    pub id: i64,
    #[serde(default)]
    pub x: Option<f64>,
    #[serde(default)]
    pub y: Option<f64>,
    #[serde(default)]
    pub group: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct ChartLink {
    pub a: i64,
    pub b: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Saved {
    pub version: i64,
}

/// Saves the chart: only the entities of this case, by id; labels are drawn again on load,
/// so a saved chart holds no personal data of its own.
pub async fn save_chart(
    state: &AppState,
    inv: &InvestigationState,
    ctx: &Ctx,
    id: i64,
    input: &ChartInput,
) -> ApiResult<i64> {
    let title = ningan_core::text::line(&input.title, 2, 80)
        .map(|t| t.into_string())
        .map_err(|e| crate::modules::residents::text_error("title", "关系图名称", "title", e))?;
    if input.body.nodes.is_empty() || input.body.nodes.len() > 2000 || input.body.links.len() > 20_000 {
        return Err(ApiError::field("body", "关系图应有1–2000个对象", "a chart holds 1 to 2000 entities"));
    }
    input.body.filter.filter()?;
    let g = analysis::graph(state, inv, id).await?;
    if let Some(bad) = input.body.nodes.iter().find(|n| g.node(n.id).is_none()) {
        let rule = crate::http::rule::Rule::context(
            format!("对象 {} 不属于本案", bad.id),
            format!("entity {} is not in this case", bad.id),
        );
        return Err(rule.refuse("investigation", "body"));
    }
    if input.body.nodes.iter().any(|n| n.x.is_some_and(|x| !x.is_finite()) || n.y.is_some_and(|y| !y.is_finite())) {
        return Err(ApiError::field("body", "坐标无效", "positions must be numbers"));
    }
    let note = input.body.note.trim();
    if note.chars().count() > 2000 {
        return Err(ApiError::field("body", "说明最多2000字", "the note is at most 2000 characters"));
    }
    let body = serde_json::to_value(&input.body).map_err(ApiError::internal)?;
    let mut w = state.db.write().await?;
    let v = charts::save(&mut w, &ctx.actor(), id, &title, &body, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(v)
}

pub async fn chart_save(
    State(state): State<AppState>,
    State(inv): State<InvestigationState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<ChartInput>,
) -> ApiResult<(StatusCode, axum::Json<Saved>)> {
    let version = save_chart(&state, &inv, &ctx, id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(Saved { version })))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ChartQuery {
    #[serde(default)]
    pub format: Option<String>,
}

/// A saved chart with its nodes labelled again and its links summed again under its filter:
/// as JSON for the page, or as GraphML or CSV for other tools.
pub async fn chart_get(
    State(state): State<AppState>,
    State(inv): State<InvestigationState>,
    ctx: Ctx,
    Path((id, version)): Path<(i64, i64)>,
    Query(q): Query<ChartQuery>,
) -> ApiResult<Response> {
    let chart = charts::get(&state.db, id, version).await?;
    let body: ChartBody = serde_json::from_value(chart.body.clone()).map_err(ApiError::internal)?;
    let g = analysis::graph(&state, &inv, id).await?;
    let f = body.filter.filter()?;
    let ids: Vec<i64> = body.nodes.iter().map(|n| n.id).collect();
    let view = analysis::view_of(&g, &ids, &f, en(&ctx));
    audit_shown(&state, &ctx, "investigation.chart.view", "inv_case", &[id], &analysis::persons(&view)).await?;
    let name = format!("case-{id}-chart-v{version}");
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(axum::Json(serde_json::json!({"chart": chart, "view": view})).into_response()),
        "graphml" => Ok(download(&format!("{name}.graphml"), "application/graphml+xml", super::export::graphml(&view))),
        "csv" => Ok(download(&format!("{name}.csv"), "text/csv; charset=utf-8", super::export::csv(&view))),
        _ => Err(ApiError::field("format", "格式应为 json、graphml 或 csv", "format is json, graphml or csv")),
    }
}

fn download(name: &str, content_type: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

pub async fn copresence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<super::copresence::CoPresenceInput>,
) -> ApiResult<(StatusCode, axum::Json<Import>)> {
    Ok((StatusCode::CREATED, axum::Json(super::copresence::from_tracing(&state, &ctx, id, &input).await?)))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct EntityInput {
    /// person (ID number), phone, account, vehicle (plate), address or org (name).
    #[schemars(schema_with = "entity_kinds")]
    pub kind: String,
    pub key: String,
    /// The person it belongs to (an entity of this case), tying it to them.
    #[serde(default)]
    pub holder: Option<i64>,
}

pub async fn entity_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<EntityInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok((StatusCode::CREATED, axum::Json(Created { id: super::service::add_entity(&state, &ctx, id, &input).await? })))
}
