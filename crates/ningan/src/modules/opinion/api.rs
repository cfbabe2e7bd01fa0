//! Public opinion's API: posts in (JSON and NDJSON), the topic board, stories (groups) with
//! their spread, alerts and their handling, the topic rules and their versions.

use crate::http::json::Query;
use axum::extract::State;
use ningan_core::opinion::AlertState;
use ningan_store::PageRequest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ingest::{self, IngestReport, PostIn};
use super::store::alerts::{self, Alert};
use super::store::posts::{self, Group, GroupQuery, Post, hour_of};
use crate::app::AppState;
use crate::http::dto::PageDto;
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PostsIn {
    /// At most 10,000.
    pub posts: Vec<PostIn>,
}

pub async fn post_json(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(body): Json<PostsIn>,
) -> ApiResult<axum::Json<IngestReport>> {
    let batch = body.posts.into_iter().enumerate().map(|(i, p)| (i + 1, p)).collect();
    Ok(axum::Json(ingest::ingest(&state, &ctx.actor(), batch, Vec::new()).await?))
}

/// One post per line; a broken line is refused by its number and the rest kept.
pub async fn post_ndjson(State(state): State<AppState>, ctx: Ctx, body: String) -> ApiResult<axum::Json<IngestReport>> {
    let (batch, refused) = ingest::parse_ndjson(&body);
    Ok(axum::Json(ingest::ingest(&state, &ctx.actor(), batch, refused).await?))
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TopicDto {
    pub id: String,
    pub name: String,
    /// Posts in each of the last `hours` hours, oldest first.
    pub by_hour: Vec<i64>,
    pub posts: i64,
    /// Of them, naming the city or the police.
    pub local: i64,
    pub negative: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BoardDto {
    pub rules_version: String,
    /// The first hour shown (RFC 3339).
    pub from: String,
    pub hours: i64,
    pub topics: Vec<TopicDto>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct BoardQuery {
    pub hours: Option<i64>,
}

pub async fn board_data(state: &AppState, hours: i64) -> ApiResult<BoardDto> {
    let engine = super::opinion(state).shared.engine(&state.db).await?;
    let now_hour = hour_of(ningan_core::time::now_ms());
    let from = now_hour - hours + 1;
    let rows = posts::all_hours(&state.db, from, now_hour + 1).await?;
    let topics = engine
        .analyzer
        .rules
        .topics
        .iter()
        .map(|t| {
            let mut by_hour = vec![0; hours as usize];
            let (mut local, mut negative) = (0, 0);
            for r in rows.iter().filter(|r| r.0 == t.id) {
                if let Some(slot) = by_hour.get_mut((r.1 - from) as usize) {
                    *slot += r.2;
                }
                local += r.3;
                negative += r.4;
            }
            TopicDto { id: t.id.clone(), name: t.name.clone(), posts: by_hour.iter().sum(), by_hour, local, negative }
        })
        .collect();
    Ok(BoardDto {
        rules_version: engine.version().to_string(),
        from: ningan_core::time::rfc3339_ms(from * 3_600_000),
        hours,
        topics,
    })
}

pub async fn board(State(state): State<AppState>, Query(q): Query<BoardQuery>) -> ApiResult<axum::Json<BoardDto>> {
    let hours = q.hours.unwrap_or(24);
    if !(1..=24 * 14).contains(&hours) {
        return Err(super::error::OpinionError::Field("hours", crate::http::rule::Rule::Range(1, 336)).into());
    }
    Ok(axum::Json(board_data(&state, hours).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct GroupsQuery {
    pub topic: Option<String>,
    pub q: Option<String>,
    /// `size` for the largest first; the latest first otherwise.
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn groups(
    State(state): State<AppState>,
    Query(q): Query<GroupsQuery>,
) -> ApiResult<axum::Json<PageDto<Group>>> {
    let query = GroupQuery { topic: q.topic, q: q.q, since: None, by_size: q.sort.as_deref() == Some("size") };
    let page = posts::groups(&state.db, &query, PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, |g| g).capped_at(ningan_store::sql::COUNT_CAP)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SpreadPoint {
    /// The hour's start (RFC 3339).
    pub hour: String,
    pub posts: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct GroupDetailDto {
    pub group: Group,
    pub spread: Vec<SpreadPoint>,
    /// The latest posts (at most 50).
    pub posts: Vec<Post>,
}

pub async fn group(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<axum::Json<GroupDetailDto>> {
    let group = posts::group(&state.db, id).await?;
    let spread = posts::spread(&state.db, id)
        .await?
        .into_iter()
        .map(|(h, n)| SpreadPoint { hour: ningan_core::time::rfc3339_ms(h * 3_600_000), posts: n })
        .collect();
    let latest = posts::posts_of(&state.db, id, PageRequest::new(Some(1), Some(50))).await?.items;
    Ok(axum::Json(GroupDetailDto { group, spread, posts: latest }))
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AlertDto {
    pub id: i64,
    pub topic: String,
    pub topic_name: String,
    /// The hour that spiked (RFC 3339).
    pub hour: String,
    pub count: i64,
    pub expected: f64,
    pub threshold: i64,
    pub p_value: f64,
    pub group_id: Option<i64>,
    pub group_title: Option<String>,
    pub state: String,
    pub state_name: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub reply: String,
    pub rules_version: String,
    pub created_at: String,
}

impl AlertDto {
    pub fn new(a: Alert, topic_name: &str, en: bool, now: i64) -> AlertDto {
        let state = AlertState::parse(&a.state);
        AlertDto {
            topic_name: topic_name.to_string(),
            hour: ningan_core::time::rfc3339_ms(a.hour * 3_600_000),
            state_name: state.map_or_else(|| a.state.clone(), |s| s.label(en).to_string()),
            unit_name: if en { a.unit_name_en } else { a.unit_name },
            deadline: a.deadline.map(ningan_core::time::rfc3339_ms),
            overdue: state == Some(AlertState::Assigned) && a.deadline.is_some_and(|d| d < now),
            created_at: ningan_core::time::rfc3339_ms(a.created_at),
            id: a.id,
            topic: a.topic,
            count: a.count,
            expected: a.expected,
            threshold: a.threshold,
            p_value: a.p_value,
            group_id: a.group_id,
            group_title: a.group_title,
            state: a.state,
            unit_id: a.unit_id,
            reply: a.reply,
            rules_version: a.rules_version,
        }
    }
}

/// The topic names of the rules in force, for showing alerts.
pub async fn topic_names(state: &AppState) -> ApiResult<std::collections::HashMap<String, String>> {
    let engine = super::opinion(state).shared.engine(&state.db).await?;
    Ok(engine.analyzer.rules.topics.iter().map(|t| (t.id.clone(), t.name.clone())).collect())
}

const ALERT_STATES: &[&str] = &["open", "assigned", "answered", "closed"];

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct AlertsQuery {
    #[schemars(extend("enum" = ALERT_STATES))]
    pub state: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn alerts(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AlertsQuery>,
) -> ApiResult<axum::Json<PageDto<AlertDto>>> {
    let st = q.state.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = st
        && AlertState::parse(s).is_none()
    {
        let rule = crate::http::rule::Rule::one_of("预警状态之一", ALERT_STATES);
        return Err(super::error::OpinionError::Field("state", rule).into());
    }
    let names = topic_names(&state).await?;
    let page = alerts::list(&state.db, &super::alerts::viewer(&ctx), st, PageRequest::new(q.page, q.per_page)).await?;
    let (en, now) = (ctx.language() == "en", ningan_core::time::now_ms());
    Ok(axum::Json(PageDto::from_page(page, |a| {
        let name = names.get(&a.topic).cloned().unwrap_or_else(|| a.topic.clone());
        AlertDto::new(a, &name, en, now)
    })))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct HourPoint {
    pub hour: String,
    /// Posts naming the city in that hour.
    pub local: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AlertDetailDto {
    pub alert: AlertDto,
    pub events: Vec<alerts::Event>,
    /// The topic's hourly local counts over the day before and after the spike.
    pub around: Vec<HourPoint>,
    /// Steps the caller may take now.
    pub steps: Vec<String>,
}

pub async fn alert_detail(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<AlertDetailDto> {
    let a = alerts::get(&state.db, &super::alerts::viewer(ctx), id).await?;
    let names = topic_names(state).await?;
    let rows = posts::hours(&state.db, &a.topic, a.hour - 24, a.hour + 7).await?;
    let around = (a.hour - 24..a.hour + 7)
        .filter(|h| *h <= hour_of(ningan_core::time::now_ms()))
        .map(|h| HourPoint {
            hour: ningan_core::time::rfc3339_ms(h * 3_600_000),
            local: rows.iter().find(|r| r.0 == h).map_or(0, |r| r.2),
        })
        .collect();
    let st = AlertState::parse(&a.state).unwrap_or(AlertState::Open);
    let manage = ctx.may(ningan_core::Action::OpinionManage);
    let mine =
        a.unit_path.as_deref().is_some_and(|p| ctx.scope().contains(p)) && ctx.may(ningan_core::Action::OpinionWork);
    let steps = st
        .steps()
        .into_iter()
        .filter(|s| match s {
            ningan_core::opinion::AlertStep::Answer => mine,
            _ => manage,
        })
        .map(|s| s.as_str().to_string())
        .collect();
    let name = names.get(&a.topic).cloned().unwrap_or_else(|| a.topic.clone());
    let events = alerts::events(&state.db, id).await?;
    Ok(AlertDetailDto {
        alert: AlertDto::new(a, &name, ctx.language() == "en", ningan_core::time::now_ms()),
        events,
        around,
        steps,
    })
}

pub async fn alert(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<AlertDetailDto>> {
    Ok(axum::Json(alert_detail(&state, &ctx, id).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StepDone {
    pub state: String,
}

pub async fn alert_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<super::alerts::StepInput>,
) -> ApiResult<axum::Json<StepDone>> {
    let to = super::alerts::step(&state, &ctx, id, &input).await?;
    Ok(axum::Json(StepDone { state: to.as_str().into() }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RulesDto {
    pub version: String,
    pub topics: Vec<TopicRuleDto>,
    /// The TOML in force.
    pub source: String,
    pub versions: Vec<super::store::rules::Version>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TopicRuleDto {
    pub id: String,
    pub name: String,
    pub any: Vec<String>,
    pub all: Vec<String>,
    pub none: Vec<String>,
    pub local: bool,
}

pub async fn rules_dto(state: &AppState) -> ApiResult<RulesDto> {
    let engine = super::opinion(state).shared.engine(&state.db).await?;
    let set = &engine.analyzer.rules;
    Ok(RulesDto {
        version: set.version.clone(),
        topics: set
            .topics
            .iter()
            .map(|t| TopicRuleDto {
                id: t.id.clone(),
                name: t.name.clone(),
                any: t.any.clone(),
                all: t.all.clone(),
                none: t.none.clone(),
                local: t.local,
            })
            .collect(),
        source: engine.source.clone(),
        versions: super::store::rules::versions(&state.db).await?,
    })
}

pub async fn rules(State(state): State<AppState>) -> ApiResult<axum::Json<RulesDto>> {
    Ok(axum::Json(rules_dto(&state).await?))
}

/// Checks a TOML rule set and puts it in force as a new version (posts already analysed
/// keep the version they were analysed with).
pub async fn replace_rules(state: &AppState, ctx: &Ctx, source: &str) -> ApiResult<RulesDto> {
    let set = ningan_opinion::RuleSet::parse(source).map_err(|e| super::error::OpinionError::Rules {
        line: e.line,
        zh: e.zh.clone(),
        en: e.en.clone(),
    })?;
    let (version, topics) = (set.version.clone(), set.topics.len() as i64);
    let engine = super::engine::build(&state.db, set, source.to_string()).await?;
    let mut w = state.db.write().await?;
    super::store::rules::insert(&mut w, &ctx.actor(), &version, source, topics, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    super::opinion(state).shared.replace(engine)?;
    rules_dto(state).await
}

pub async fn put_rules(State(state): State<AppState>, ctx: Ctx, body: String) -> ApiResult<axum::Json<RulesDto>> {
    Ok(axum::Json(replace_rules(&state, &ctx, &body).await?))
}
