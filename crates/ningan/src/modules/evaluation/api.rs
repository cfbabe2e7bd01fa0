//! Evaluation's API for officers: questionnaires and versions, waves, links, phone
//! interviews, results and their series; review rounds, ratings, replies and rankings; the
//! scenarios catalogue; the monthly reports.

use axum::extract::State;
use axum::http::StatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::reviews::{self, Ranked, RatingInput, RoundInput};
use super::scenarios::{self, ScenarioInput};
use super::service::{self, AnswerInput, QuestionnaireInput, Results, SeriesPoint, Viewer, WaveInput};
use super::store::reviews::{Comment, Round};
use super::store::scenarios::Scenario;
use super::store::surveys::{self, Questionnaire, Version, Wave};
use crate::app::AppState;
use crate::http::dto::PageDto;
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Created {
    pub id: i64,
}

fn created(id: i64) -> (StatusCode, axum::Json<Created>) {
    (StatusCode::CREATED, axum::Json(Created { id }))
}

pub async fn questionnaires(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<Questionnaire>>> {
    Ok(axum::Json(surveys::questionnaires(&state.db, &ctx.scope(), &ctx.unit.path).await?))
}

pub async fn questionnaire_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<QuestionnaireInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok(created(service::create_questionnaire(&state, &ctx, &input).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct QuestionnaireDto {
    pub questionnaire: Questionnaire,
    /// Newest first.
    pub versions: Vec<Version>,
    pub waves: Vec<Wave>,
}

pub async fn questionnaire_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<QuestionnaireDto>> {
    let questionnaire = surveys::questionnaire_get(&state.db, &ctx.scope(), &ctx.unit.path, id).await?;
    Ok(axum::Json(QuestionnaireDto {
        versions: surveys::versions(&state.db, id).await?,
        waves: surveys::waves(&state.db, &ctx.scope(), &ctx.unit.path, Some(id)).await?,
        questionnaire,
    }))
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct QuestionsInput {
    #[schemars(length(min = 1, max = 60))]
    pub questions: Vec<ningan_core::survey::Question>,
}

pub async fn version_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<QuestionsInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok(created(service::new_version(&state, &ctx, id, &input.questions).await?))
}

pub async fn version_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, version)): Path<(i64, i64)>,
    Json(input): Json<QuestionsInput>,
) -> ApiResult<StatusCode> {
    service::edit_version(&state, &ctx, id, version, &input.questions).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn wave_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<WaveInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok(created(service::plan_wave(&state, &ctx, id, &input).await?))
}

pub async fn waves(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<Wave>>> {
    Ok(axum::Json(surveys::waves(&state.db, &ctx.scope(), &ctx.unit.path, None).await?))
}

pub async fn wave_results(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Results>> {
    Ok(axum::Json(service::results(&state.db, &Viewer::of(&ctx), id).await?))
}

pub async fn series(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<SeriesPoint>>> {
    Ok(axum::Json(service::series(&state.db, &Viewer::of(&ctx), id).await?))
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct LinksInput {
    /// The district's code (GB/T 2260), e.g. 330203.
    #[schemars(schema_with = "crate::http::schema::district_code")]
    pub district: i64,
    /// 1 to 5000.
    #[schemars(range(min = 1, max = 5000))]
    pub count: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LinksDto {
    /// Each link's address, shown this once: only a digest is kept.
    pub links: Vec<String>,
}

fn addresses(tokens: Vec<String>) -> LinksDto {
    LinksDto { links: tokens.into_iter().map(|t| format!("/s/{t}")).collect() }
}

pub async fn wave_links(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<LinksInput>,
) -> ApiResult<(StatusCode, axum::Json<LinksDto>)> {
    let tokens = service::issue_links(&state, &ctx, id, input.district, input.count).await?;
    Ok((StatusCode::CREATED, axum::Json(addresses(tokens))))
}

pub async fn wave_interview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<AnswerInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok(created(service::answer_by_phone(&state, &ctx, id, &input).await?))
}

pub async fn rounds(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<Round>>> {
    Ok(axum::Json(super::store::reviews::list(&state.db, &ctx.scope(), &ctx.unit.path).await?))
}

pub async fn round_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<RoundInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok(created(reviews::create_round(&state, &ctx, &input).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RoundDto {
    pub round: Round,
    pub ranking: Vec<Ranked>,
}

pub async fn round_get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<RoundDto>> {
    let round = super::store::reviews::get(&state.db, &ctx.scope(), &ctx.unit.path, id).await?;
    Ok(axum::Json(RoundDto { ranking: reviews::ranking(&state.db, id).await?, round }))
}

pub async fn round_links(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<LinksInput>,
) -> ApiResult<(StatusCode, axum::Json<LinksDto>)> {
    let tokens = reviews::issue_links(&state, &ctx, id, input.district, input.count).await?;
    Ok((StatusCode::CREATED, axum::Json(addresses(tokens))))
}

pub async fn round_interview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<RatingInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok(created(reviews::rate_by_phone(&state, &ctx, id, &input).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn round_comments(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<Comment>>> {
    super::store::reviews::get(&state.db, &ctx.scope(), &ctx.unit.path, id).await?;
    let page = ningan_store::PageRequest::new(q.page, q.per_page);
    let found = super::store::reviews::comments(&state.db, id, &ctx.scope(), page).await?;
    Ok(axum::Json(PageDto::from_page(found, |c| c)))
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ReplyInput {
    pub body: String,
}

pub async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<ReplyInput>,
) -> ApiResult<StatusCode> {
    reviews::reply(&state, &ctx, id, &input.body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ScenarioQuery {
    /// planned | pilot | live | retired
    pub status: Option<String>,
}

pub async fn scenarios_list(
    State(state): State<AppState>,
    Query(q): Query<ScenarioQuery>,
) -> ApiResult<axum::Json<Vec<Scenario>>> {
    Ok(axum::Json(super::store::scenarios::list(&state.db, q.status.as_deref()).await?))
}

pub async fn scenario_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<ScenarioInput>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    Ok(created(scenarios::create(&state, &ctx, &input).await?))
}

pub async fn scenario_update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<ScenarioInput>,
) -> ApiResult<StatusCode> {
    scenarios::update(&state, &ctx, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}
