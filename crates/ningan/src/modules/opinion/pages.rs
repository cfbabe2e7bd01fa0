//! The workbench pages of public opinion: the topic board (each topic's last day by hour, the
//! largest stories), a story's spread and posts, alerts with their handling, the topic
//! rules with their versions, and importing an NDJSON file.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::opinion::{AlertState, AlertStep};
use ningan_store::{PageRequest, UnitKind};
use serde::{Deserialize, Serialize};

use super::api::{self, AlertDetailDto, AlertDto, BoardDto, GroupDetailDto, RulesDto};
use super::ingest::IngestReport;
use super::store::posts::{self, Group, GroupQuery};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::page::nonempty;
use crate::web::{FormState, Frame, PageResult, Pager, Tr, html};

/// An RFC 3339 time as the pages show it.
pub fn when(t: &str) -> String {
    crate::web::fmt::when(t)
}

fn mood_label(m: &str, en: bool) -> &'static str {
    match (m, en) {
        ("positive", false) => "正面",
        ("positive", true) => "positive",
        ("negative", false) => "负面",
        ("negative", true) => "negative",
        (_, false) => "中性",
        (_, true) => "neutral",
    }
}

#[derive(Template)]
#[template(path = "opinion/board.html")]
struct BoardPage {
    frame: Frame,
    board: BoardDto,
    chart: String,
    stories: Vec<Group>,
    open_alerts: i64,
}

pub async fn board(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/opinion", "nav.opinion");
    let board = api::board_data(&state, 24).await?;
    let hours: Vec<String> = (0..board.hours)
        .map(|i| {
            let from = chrono::DateTime::parse_from_rfc3339(&board.from).map(|t| t.timestamp_millis()).unwrap_or(0);
            let t = ningan_core::time::rfc3339_ms(from + i * 3_600_000);
            t.get(11..13).unwrap_or("").to_string()
        })
        .collect();
    let series: Vec<serde_json::Value> = board
        .topics
        .iter()
        .map(|t| serde_json::json!({"type": "line", "name": t.name, "data": t.by_hour, "showSymbol": false}))
        .collect();
    let chart = serde_json::json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll"},
        "grid": {"left": 40, "right": 20, "top": 40, "bottom": 30},
        "xAxis": {"type": "category", "data": hours},
        "yAxis": {"type": "value"},
        "series": series,
    })
    .to_string();
    let since = ningan_core::time::now_ms() - 86_400_000;
    let query = GroupQuery { since: Some(since), by_size: true, ..Default::default() };
    let stories = posts::groups(&state.db, &query, PageRequest::new(Some(1), Some(10))).await?.items;
    let open_alerts = super::store::alerts::list(
        &state.db,
        &super::alerts::viewer(&ctx),
        Some(AlertState::Open.as_str()),
        PageRequest::new(Some(1), Some(1)),
    )
    .await?
    .total;
    Ok(html(axum::http::StatusCode::OK, &BoardPage { frame, board, chart, stories, open_alerts }))
}

#[derive(Template)]
#[template(path = "opinion/group.html")]
struct GroupPage {
    frame: Frame,
    d: GroupDetailDto,
    chart: String,
}

impl GroupPage {
    fn mood(&self, m: &str) -> &'static str {
        mood_label(m, self.frame.tr.is_en())
    }
}

pub async fn group(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let d = api::group(State(state), Path(id)).await?.0;
    let frame = Frame::for_principal(&ctx)
        .crumb("/opinion", "nav.opinion")
        .crumb_text(&format!("/opinion/groups/{id}"), &d.group.title);
    let chart = serde_json::json!({
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 20, "top": 20, "bottom": 50},
        "xAxis": {"type": "category", "data": d.spread.iter().map(|p| when(&p.hour)).collect::<Vec<_>>()},
        "yAxis": {"type": "value"},
        "series": [{"type": "bar", "name": frame.tr.pick("信息量", "posts"), "data": d.spread.iter().map(|p| p.posts).collect::<Vec<_>>()}],
    })
    .to_string();
    Ok(html(axum::http::StatusCode::OK, &GroupPage { frame, d, chart }))
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct AlertFilters {
    state: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "opinion/alerts.html")]
struct AlertsPage {
    frame: Frame,
    rows: Vec<AlertDto>,
    pager: Pager,
    states: Vec<(&'static str, &'static str)>,
    f: AlertFilters,
}

impl AlertsPage {
    fn val(&self, v: &Option<String>) -> String {
        v.clone().unwrap_or_default()
    }
}

pub async fn alerts(State(state): State<AppState>, ctx: Ctx, Query(f): Query<AlertFilters>) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/opinion/alerts", "nav.opinion_alerts");
    let en = frame.tr.is_en();
    let st = nonempty(&f.state).filter(|s| AlertState::parse(s).is_some());
    let names = api::topic_names(&state).await?;
    let page = super::store::alerts::list(
        &state.db,
        &super::alerts::viewer(&ctx),
        st.as_deref(),
        PageRequest::new(crate::web::page::opt_i64(&f.page), Some(20)),
    )
    .await?;
    let pairs: Vec<(&str, String)> = st.iter().map(|s| ("state", s.clone())).collect();
    let pager = Pager::new("/opinion/alerts", &pairs, &page);
    let now = ningan_core::time::now_ms();
    let rows = page
        .items
        .into_iter()
        .map(|a| {
            let name = names.get(&a.topic).cloned().unwrap_or_else(|| a.topic.clone());
            AlertDto::new(a, &name, en, now)
        })
        .collect();
    let states = AlertState::ALL.iter().map(|s| (s.as_str(), s.label(en))).collect();
    Ok(html(axum::http::StatusCode::OK, &AlertsPage { frame, rows, pager, states, f }))
}

#[derive(Template)]
#[template(path = "opinion/alert.html")]
struct AlertPage {
    frame: Frame,
    d: AlertDetailDto,
    chart: String,
    units: Vec<(String, String)>,
    form: FormState,
}

impl AlertPage {
    fn has(&self, s: &str) -> bool {
        self.d.steps.iter().any(|x| x == s)
    }
    fn step_label(&self, s: &str) -> &'static str {
        AlertStep::parse(s).map(|s| s.label(self.frame.tr.is_en())).unwrap_or("")
    }
    fn state_label(&self, s: &str) -> &'static str {
        AlertState::parse(s).map(|s| s.label(self.frame.tr.is_en())).unwrap_or("")
    }
}

async fn alert_page(state: &AppState, ctx: &Ctx, id: i64, form: Option<FormState>) -> PageResult<AlertPage> {
    let d = api::alert_detail(state, ctx, id).await?;
    let frame = Frame::for_principal(ctx)
        .crumb("/opinion/alerts", "nav.opinion_alerts")
        .crumb_text(&format!("/opinion/alerts/{id}"), &d.alert.topic_name);
    let en = frame.tr.is_en();
    let chart = serde_json::json!({
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 20, "top": 30, "bottom": 50},
        "xAxis": {"type": "category", "data": d.around.iter().map(|p| when(&p.hour)).collect::<Vec<_>>()},
        "yAxis": {"type": "value"},
        "series": [
            {"type": "bar", "name": frame.tr.pick("涉本地信息量", "local posts"), "data": d.around.iter().map(|p| p.local).collect::<Vec<_>>()},
            {"type": "line", "name": frame.tr.pick("预警阈值", "threshold"), "data": d.around.iter().map(|_| d.alert.threshold).collect::<Vec<_>>(), "showSymbol": false},
        ],
    })
    .to_string();
    let units = if d.steps.iter().any(|s| s == "assign") {
        state
            .db
            .units_in_scope(&ctx.scope())
            .await?
            .into_iter()
            .filter(|u| matches!(u.kind, UnitKind::Station | UnitKind::District))
            .map(|u| (u.id.to_string(), if en { u.name_en } else { u.name }))
            .collect()
    } else {
        Vec::new()
    };
    Ok(AlertPage { form: form.unwrap_or_else(|| FormState::new(frame.tr)), frame, d, chart, units })
}

pub async fn alert(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let page = alert_page(&state, &ctx, id, None).await?;
    Ok(html(axum::http::StatusCode::OK, &page))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct StepForm {
    step: String,
    unit_id: String,
    hours: String,
    note: String,
}

pub async fn alert_step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> PageResult<Response> {
    let result = async {
        let input = super::alerts::StepInput {
            step: f.step.clone(),
            unit_id: crate::web::page::form_value::<i64>("unit_id", "单位", "unit", &f.unit_id)?,
            hours: crate::web::page::form_value::<i64>("hours", "时限", "hours", &f.hours)?,
            note: f.note.clone(),
        };
        super::alerts::step(&state, &ctx, id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/opinion/alerts/{id}")).into_response()),
        Err(e) => {
            let e: ApiError = e;
            let form =
                FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["unit_id", "hours", "note"]);
            let page = alert_page(&state, &ctx, id, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "opinion/rules.html")]
struct RulesPage {
    frame: Frame,
    r: RulesDto,
    form: FormState,
    done: bool,
}

fn rules_frame(ctx: &Ctx) -> Frame {
    Frame::for_principal(ctx).crumb("/opinion", "nav.opinion").crumb("/opinion/rules", "opinion.rules")
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn rules(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DoneQuery>) -> PageResult {
    let frame = rules_frame(&ctx);
    let r = api::rules_dto(&state).await?;
    let form = FormState::new(frame.tr).set("rules", r.source.clone());
    Ok(html(axum::http::StatusCode::OK, &RulesPage { frame, r, form, done: q.done.is_some() }))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct RulesForm {
    rules: String,
}

pub async fn put_rules(State(state): State<AppState>, ctx: Ctx, Form(f): Form<RulesForm>) -> PageResult<Response> {
    match api::replace_rules(&state, &ctx, &f.rules).await {
        Ok(_) => Ok(Redirect::to("/opinion/rules?done=1").into_response()),
        Err(e) => {
            let frame = rules_frame(&ctx);
            let form = FormState::new(frame.tr).with_values(&f).refused(&e, &["rules"]);
            let r = api::rules_dto(&state).await?;
            let status = form.status();
            Ok(html(status, &RulesPage { frame, r, form, done: false }))
        }
    }
}

#[derive(Template)]
#[template(path = "opinion/import.html")]
struct ImportPage {
    frame: Frame,
    report: Option<IngestReport>,
    error: Option<String>,
}

fn import_frame(ctx: &Ctx) -> Frame {
    Frame::for_principal(ctx).crumb("/opinion/import", "opinion.import")
}

pub async fn import_form(ctx: Ctx) -> PageResult {
    Ok(html(axum::http::StatusCode::OK, &ImportPage { frame: import_frame(&ctx), report: None, error: None }))
}

/// The NDJSON file, sent as multipart by `app.js` with the CSRF header.
pub async fn import(State(state): State<AppState>, ctx: Ctx, mut form: axum::extract::Multipart) -> PageResult {
    let frame = import_frame(&ctx);
    let mut file = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            file = field.bytes().await.ok();
        }
    }
    let tr = frame.tr;
    let (status, report, error) = match file.filter(|b| !b.is_empty()) {
        None => (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(tr.pick("请选择文件", "choose a file").to_string()),
        ),
        Some(bytes) => match std::str::from_utf8(&bytes) {
            Err(_) => (
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(tr.pick("文件应为 UTF-8 编码的 NDJSON", "the file must be NDJSON in UTF-8").to_string()),
            ),
            Ok(text) => {
                let (batch, refused) = super::ingest::parse_ndjson(text);
                match super::ingest::ingest(&state, &ctx.actor(), batch, refused).await {
                    Ok(r) => (axum::http::StatusCode::OK, Some(r), None),
                    Err(e) => (
                        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                        None,
                        Some(if tr.is_en() { e.detail_en } else { e.detail_zh }),
                    ),
                }
            }
        },
    };
    Ok(html(status, &ImportPage { frame, report, error }))
}
