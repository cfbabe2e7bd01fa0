//! The workbench pages of evaluation: the overview, a questionnaire with its editor, versions
//! and waves, a wave's results (map, districts with intervals, each question, the trend,
//! links and phone interviews), review rounds with ranking and replies, and the scenarios
//! catalogue.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ningan_core::survey::{AgeBand, Index, Kind, Question, Sex, Value};
use ningan_core::{Action, DISTRICTS};
use serde_json::json;

use super::public::Field;
use super::reviews::{self, Ranked, RatingInput, RoundInput};
use super::scenarios::{self, ScenarioInput};
use super::service::{self, AnswerInput, QuestionnaireInput, Results, SeriesPoint, Viewer, WaveInput};
use super::store::reviews::{Comment, Round};
use super::store::scenarios::Scenario;
use super::store::surveys::{self, Questionnaire, Version, Wave};
use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::error::ApiError;
use crate::http::json::{Path, Query};
use crate::http::principal::Ctx;
use crate::web::page::form_required;
use crate::web::{FormState, Frame, PageResult, Pager, Tr, html};

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::EvaluationRead);
    let work = Access::Action(Action::EvaluationWork);
    let manage = Access::Action(Action::EvaluationManage);
    api.add(Op::page(Method::GET, "/evaluation", read, "群众测评与民主评议"), get(home))
        .add(Op::page(Method::GET, "/evaluation/questionnaires/new", manage, "新建问卷"), get(new_questionnaire))
        .add(Op::page(Method::POST, "/evaluation/questionnaires", manage, "保存新问卷"), post(create_questionnaire))
        .add(Op::page(Method::GET, "/evaluation/questionnaires/{id}", read, "问卷与测评轮次"), get(questionnaire))
        .add(
            Op::page(Method::POST, "/evaluation/questionnaires/{id}/versions", manage, "保存问卷（修改或另存新版本）"),
            post(save_version),
        )
        .add(Op::page(Method::POST, "/evaluation/questionnaires/{id}/waves", manage, "安排测评轮次"), post(plan_wave))
        .add(Op::page(Method::GET, "/evaluation/waves/{id}", read, "测评结果"), get(wave))
        .add(Op::page(Method::POST, "/evaluation/waves/{id}/links", manage, "生成一次性链接（CSV）"), post(wave_links))
        .add(
            Op::page(Method::POST, "/evaluation/waves/{id}/interviews", work, "录入电话访问答卷"),
            post(wave_interview),
        )
        .add(Op::page(Method::GET, "/evaluation/reviews", read, "民主评议"), get(rounds))
        .add(Op::page(Method::POST, "/evaluation/reviews", manage, "发起民主评议"), post(round_create))
        .add(Op::page(Method::GET, "/evaluation/reviews/{id}", read, "民主评议排名与意见"), get(round))
        .add(Op::page(Method::POST, "/evaluation/reviews/{id}/links", manage, "生成评议链接（CSV）"), post(round_links))
        .add(Op::page(Method::POST, "/evaluation/reviews/{id}/interviews", work, "录入电话评议"), post(round_interview))
        .add(Op::page(Method::POST, "/evaluation/ratings/{id}/reply", work, "回复评议意见"), post(reply))
        .add(Op::page(Method::GET, "/evaluation/scenarios", read, "应用场景目录"), get(scenarios_page))
        .add(Op::page(Method::POST, "/evaluation/scenarios", manage, "登记或修改应用场景"), post(scenario_save))
}

/// A form body as pairs, repeated names kept (checkboxes, the editor's blocks).
fn pairs(body: &Bytes) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn one(pairs: &[(String, String)], name: &str) -> String {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
}

fn lines(v: &str) -> Vec<String> {
    v.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// The day of an instant in Ningbo, `2026-11-01`.
pub fn day(ms: &i64) -> String {
    ningan_core::time::format_ms(*ms).chars().take(10).collect()
}

/// The last day of a period ending (exclusive) at `ms`.
pub fn last_day(ms: &i64) -> String {
    day(&(ms - 1))
}

/// An instant to the minute.
pub fn minute(ms: &i64) -> String {
    ningan_core::time::format_ms(*ms).chars().take(16).collect()
}

fn pct(s: &Option<ningan_core::survey::Share>) -> String {
    s.map(|s| format!("{:.2}%", s.rate)).unwrap_or_else(|| "—".into())
}

fn interval(s: &Option<ningan_core::survey::Share>) -> String {
    s.map(|s| format!("{:.2}–{:.2}%", s.low, s.high)).unwrap_or_default()
}

// ---- overview ----

#[derive(Template)]
#[template(path = "evaluation/home.html")]
struct HomePage {
    frame: Frame,
    latest: Option<Results>,
    questionnaires: Vec<Questionnaire>,
    waves: Vec<Wave>,
    may_manage: bool,
    now: i64,
}

impl HomePage {
    fn head(&self) -> Option<&service::AreaResult> {
        self.latest.as_ref().and_then(|r| r.city.as_ref().or(r.districts.first()))
    }
    fn pct(&self, s: &Option<ningan_core::survey::Share>) -> String {
        pct(s)
    }
    fn interval(&self, s: &Option<ningan_core::survey::Share>) -> String {
        interval(s)
    }
}

async fn home(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/evaluation", "nav.evaluation");
    let v = Viewer::of(&ctx);
    let page = HomePage {
        latest: service::latest_results(&state.db, &v).await.map_err(ApiError::from)?,
        questionnaires: surveys::questionnaires(&state.db, &v.scope, &v.unit_path).await?,
        waves: surveys::waves(&state.db, &v.scope, &v.unit_path, None).await?.into_iter().take(30).collect(),
        may_manage: ctx.may(Action::EvaluationManage),
        now: ningan_core::time::now_ms(),
        frame,
    };
    Ok(html(StatusCode::OK, &page))
}

// ---- the questionnaire editor ----

/// One question block of the editor, as shown.
#[derive(Clone, Default)]
pub struct Block {
    pub n: usize,
    pub key: String,
    pub kind: String,
    pub text: String,
    pub text_en: String,
    pub options: String,
    pub options_en: String,
    pub index: String,
    pub positive_from: String,
    pub required: bool,
}

impl Block {
    fn of(n: usize, q: &Question) -> Block {
        let scale = q.kind == "scale";
        Block {
            n,
            key: q.key.clone(),
            kind: q.kind.clone(),
            text: q.text.clone(),
            text_en: q.text_en.clone(),
            options: if scale { q.scale.join("\n") } else { q.options.join("\n") },
            options_en: if scale { q.scale_en.join("\n") } else { q.options_en.join("\n") },
            index: q.index.clone().unwrap_or_default(),
            positive_from: q.positive_from.map(|p| p.to_string()).unwrap_or_default(),
            required: q.required,
        }
    }

    fn blank(n: usize) -> Block {
        Block { n, kind: "single".into(), required: true, ..Block::default() }
    }

    fn is_blank(&self) -> bool {
        self.key.is_empty() && self.text.is_empty() && self.options.is_empty()
    }

    fn question(&self) -> Question {
        let scale = self.kind == "scale";
        let (opts, opts_en) = (lines(&self.options), lines(&self.options_en));
        Question {
            key: self.key.clone(),
            kind: self.kind.clone(),
            text: self.text.clone(),
            text_en: self.text_en.clone(),
            options: if scale { Vec::new() } else { opts.clone() },
            options_en: if scale { Vec::new() } else { opts_en.clone() },
            scale: if scale { opts } else { Vec::new() },
            scale_en: if scale { opts_en } else { Vec::new() },
            required: self.required,
            index: Some(self.index.clone()).filter(|i| !i.is_empty()),
            positive_from: self.positive_from.parse().ok(),
        }
    }
}

/// The editor's blocks from a posted form: `key.N`, `kind.N`, … for N = 0, 1, …
fn blocks_of(p: &[(String, String)]) -> Vec<Block> {
    let mut out = Vec::new();
    for n in 0..ningan_core::survey::MAX_QUESTIONS + 5 {
        if !p.iter().any(|(k, _)| k == &format!("kind.{n}")) {
            break;
        }
        let g = |f: &str| one(p, &format!("{f}.{n}"));
        out.push(Block {
            n,
            key: g("key"),
            kind: g("kind"),
            text: g("text"),
            text_en: g("text_en"),
            options: p.iter().find(|(k, _)| k == &format!("options.{n}")).map(|(_, v)| v.clone()).unwrap_or_default(),
            options_en: p
                .iter()
                .find(|(k, _)| k == &format!("options_en.{n}"))
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            index: g("index"),
            positive_from: g("positive_from"),
            required: !g("required").is_empty(),
        });
    }
    out
}

#[derive(Template)]
#[template(path = "evaluation/questionnaire.html")]
struct QuestionnairePage {
    frame: Frame,
    /// None while a new one is being written.
    q: Option<Questionnaire>,
    versions: Vec<Version>,
    waves: Vec<Wave>,
    title: String,
    title_en: String,
    blocks: Vec<Block>,
    may_manage: bool,
    form: FormState,
    wave_form: FormState,
    /// Per block number, the error of that question.
    block_errors: BTreeMap<String, String>,
    kinds: Vec<(&'static str, &'static str)>,
    indices: Vec<(&'static str, &'static str)>,
}

impl QuestionnairePage {
    fn block_error(&self, b: &Block) -> Option<&String> {
        self.block_errors.get(&b.key).or_else(|| self.block_errors.get(&format!("#{}", b.n + 1)))
    }
    fn kind_is(&self, b: &Block, k: &&str) -> bool {
        b.kind == *k
    }
    fn index_is(&self, b: &Block, k: &&str) -> bool {
        b.index == *k
    }
    fn answered(&self) -> bool {
        self.versions.first().is_some_and(|v| v.answers > 0)
    }
}

fn kinds(tr: Tr) -> Vec<(&'static str, &'static str)> {
    Kind::ALL.iter().map(|k| (k.as_str(), k.label(tr.is_en()))).collect()
}

fn indices(tr: Tr) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("", tr.pick("（不计指数）", "(no index)"))];
    v.extend(Index::ALL.iter().map(|i| (i.as_str(), i.label(tr.is_en()))));
    v
}

/// An editor form shown again: title, English title, the blocks as typed, the form's errors
/// and each question's.
type Edited = (String, String, Vec<Block>, FormState, BTreeMap<String, String>);

async fn questionnaire_view(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    edited: Option<Edited>,
    wave_form: Option<FormState>,
) -> PageResult<QuestionnairePage> {
    let tr = Tr::new(ctx.language());
    let v = Viewer::of(ctx);
    let (q, versions, waves) = match id {
        Some(id) => {
            let q = surveys::questionnaire_get(&state.db, &v.scope, &v.unit_path, id).await?;
            (
                Some(q),
                surveys::versions(&state.db, id).await?,
                surveys::waves(&state.db, &v.scope, &v.unit_path, Some(id)).await?,
            )
        }
        None => (None, Vec::new(), Vec::new()),
    };
    let mut frame = Frame::for_principal(ctx).crumb("/evaluation", "nav.evaluation");
    frame = match &q {
        Some(q) => frame.crumb_text(&format!("/evaluation/questionnaires/{}", q.id), tr.pick(&q.title, &q.title_en)),
        None => frame.crumb_text("/evaluation/questionnaires/new", tr.pick("新建问卷", "New questionnaire")),
    };
    let (title, title_en, mut blocks, form, block_errors) = match edited {
        Some(e) => e,
        None => {
            let blocks = versions
                .first()
                .map(|v| v.questions.iter().enumerate().map(|(i, q)| Block::of(i, q)).collect())
                .unwrap_or_default();
            let (t, te) = q.as_ref().map(|q| (q.title.clone(), q.title_en.clone())).unwrap_or_default();
            (t, te, blocks, FormState::new(tr), BTreeMap::new())
        }
    };
    // Room for new questions below the last.
    let have = blocks.iter().filter(|b| !b.is_blank()).count();
    blocks.retain(|b| !b.is_blank());
    for (i, b) in blocks.iter_mut().enumerate() {
        b.n = i;
    }
    for n in have..have + 3 {
        blocks.push(Block::blank(n));
    }
    Ok(QuestionnairePage {
        may_manage: ctx.may(Action::EvaluationManage) && q.as_ref().is_none_or(|q| ctx.scope().contains(&q.unit_path)),
        wave_form: wave_form.unwrap_or_else(|| {
            FormState::new(tr).set("version", q.as_ref().map(|q| q.latest.to_string()).unwrap_or_default())
        }),
        kinds: kinds(tr),
        indices: indices(tr),
        q,
        versions,
        waves,
        title,
        title_en,
        blocks,
        form,
        block_errors,
        frame,
    })
}

async fn new_questionnaire(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let mut page = questionnaire_view(&state, &ctx, None, None, None).await?;
    if page.blocks.iter().all(Block::is_blank) {
        // A new questionnaire starts with the two headline questions, worded as the bureau asks them.
        page.blocks = starter_questions().iter().enumerate().map(|(i, q)| Block::of(i, q)).collect();
        let n = page.blocks.len();
        page.blocks.extend((n..n + 3).map(Block::blank));
    }
    Ok(html(StatusCode::OK, &page))
}

/// The two questions every public-security survey asks, on five-point scales.
pub fn starter_questions() -> Vec<Question> {
    let scale = |key: &str, text: &str, text_en: &str, pts: [&str; 5], en: [&str; 5], index: &str| Question {
        key: key.into(),
        kind: "scale".into(),
        text: text.into(),
        text_en: text_en.into(),
        options: Vec::new(),
        options_en: Vec::new(),
        scale: pts.map(String::from).to_vec(),
        scale_en: en.map(String::from).to_vec(),
        required: true,
        index: Some(index.into()),
        positive_from: Some(3),
    };
    vec![
        scale(
            "security",
            "您觉得您居住的地方治安状况安全吗？",
            "How safe do you feel where you live?",
            ["不安全", "不太安全", "基本安全", "安全", "很安全"],
            ["Unsafe", "Not very safe", "Fairly safe", "Safe", "Very safe"],
            "security",
        ),
        scale(
            "approval",
            "您对公安机关的工作满意吗？",
            "How satisfied are you with the police's work?",
            ["不满意", "不太满意", "基本满意", "满意", "很满意"],
            ["Dissatisfied", "Not very satisfied", "Fairly satisfied", "Satisfied", "Very satisfied"],
            "approval",
        ),
    ]
}

fn editor_errors(e: &ApiError) -> BTreeMap<String, String> {
    e.errors
        .iter()
        .filter_map(|fe| fe.field.strip_prefix("questions.").map(|k| (k.to_string(), fe.message.clone())))
        .collect()
}

async fn refused_editor(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    p: &[(String, String)],
    e: ApiError,
) -> PageResult<Response> {
    let tr = Tr::new(ctx.language());
    let values: BTreeMap<String, String> = [("title", one(p, "title")), ("title_en", one(p, "title_en"))]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let block_errors = editor_errors(&e)
        .into_iter()
        .map(|(k, m)| {
            let (zh, en) = crate::http::error::split_bilingual(&m);
            (k, tr.pick(zh, en).to_string())
        })
        .collect();
    let form = FormState::new(tr).with_values(&values).refused(&e, &["title", "title_en", "questions"]);
    let edited = (one(p, "title"), one(p, "title_en"), blocks_of(p), form, block_errors);
    let page = questionnaire_view(state, ctx, id, Some(edited), None).await?;
    Ok(html(page.form.status(), &page))
}

async fn create_questionnaire(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> PageResult<Response> {
    let p = pairs(&body);
    let questions: Vec<Question> = blocks_of(&p).iter().filter(|b| !b.is_blank()).map(Block::question).collect();
    let input = QuestionnaireInput { title: one(&p, "title"), title_en: one(&p, "title_en"), questions };
    match service::create_questionnaire(&state, &ctx, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/evaluation/questionnaires/{id}")).into_response()),
        Err(e) => refused_editor(&state, &ctx, None, &p, e.into()).await,
    }
}

async fn questionnaire(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let page = questionnaire_view(&state, &ctx, Some(id), None, None).await?;
    Ok(html(StatusCode::OK, &page))
}

async fn save_version(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult<Response> {
    let p = pairs(&body);
    let questions: Vec<Question> = blocks_of(&p).iter().filter(|b| !b.is_blank()).map(Block::question).collect();
    let outcome = if one(&p, "mode") == "replace" {
        let latest = surveys::questionnaire_get(&state.db, &ctx.scope(), &ctx.unit.path, id).await?.latest;
        service::edit_version(&state, &ctx, id, latest, &questions).await.map(|_| ())
    } else {
        service::new_version(&state, &ctx, id, &questions).await.map(|_| ())
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/evaluation/questionnaires/{id}")).into_response()),
        Err(e) => refused_editor(&state, &ctx, Some(id), &p, e.into()).await,
    }
}

#[derive(serde::Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct WaveForm {
    name: String,
    version: String,
    opens_on: String,
    closes_on: String,
    sample_size: String,
}

async fn plan_wave(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<WaveForm>,
) -> PageResult<Response> {
    let result = async {
        let sample_size = form_required("sample_size", "样本量", "sample size", &f.sample_size)?;
        let version = crate::web::page::form_value("version", "版本", "version", &f.version)?;
        let input = WaveInput {
            name: f.name.clone(),
            version,
            opens_on: f.opens_on.clone(),
            closes_on: f.closes_on.clone(),
            sample_size,
        };
        service::plan_wave(&state, &ctx, id, &input).await.map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(w) => Ok(Redirect::to(&format!("/evaluation/waves/{w}")).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["name", "version", "opens_on", "closes_on", "sample_size"]);
            let page = questionnaire_view(&state, &ctx, Some(id), None, Some(form)).await?;
            Ok(html(page.wave_form.status(), &page))
        }
    }
}

// ---- a wave's results ----

#[derive(Template)]
#[template(path = "evaluation/wave.html")]
struct WavePage {
    frame: Frame,
    r: Results,
    map: String,
    trend: String,
    fields: Vec<Field>,
    districts: Vec<(u32, &'static str)>,
    sexes: Vec<(&'static str, &'static str)>,
    bands: Vec<(&'static str, &'static str)>,
    may_manage: bool,
    may_work: bool,
    open: bool,
    form: FormState,
    links_form: FormState,
    ticked: Vec<(String, String)>,
    saved: bool,
}

impl WavePage {
    fn pct(&self, s: &Option<ningan_core::survey::Share>) -> String {
        pct(s)
    }
    fn interval(&self, s: &Option<ningan_core::survey::Share>) -> String {
        interval(s)
    }
    fn progress(&self, d: &service::AreaResult) -> i64 {
        if d.target > 0 { (d.answers * 100 / d.target).min(100) } else { 0 }
    }
    fn is_ticked(&self, name: &str, v: &u32) -> bool {
        let v = v.to_string();
        self.ticked.iter().any(|(n, x)| n == name && *x == v)
    }
}

/// The district map's configuration for `app.js`, coloured by the sense of security.
fn security_map(r: &Results, tr: Tr) -> String {
    let label = |d: &ningan_core::District| if tr.is_en() { d.name_en } else { d.name };
    let data: Vec<serde_json::Value> = r
        .districts
        .iter()
        .filter_map(|a| {
            let d = DISTRICTS.iter().find(|d| d.code == a.code)?;
            Some(json!({"name": label(d), "value": a.security.map(|s| s.rate)}))
        })
        .collect();
    let rates: Vec<f64> = r.districts.iter().filter_map(|d| d.security.map(|s| s.rate)).collect();
    let min = rates.iter().copied().fold(100.0f64, f64::min).floor().min(95.0);
    json!({
        "title": tr.pick("群众安全感（%）", "Sense of security (%)"),
        "data": data,
        "min": min,
        "max": 100,
        "high": tr.pick("高", "high"),
        "low": tr.pick("低", "low"),
        "back": tr.pick("← 返回全市", "← Whole city"),
        "names": DISTRICTS.iter().map(|d| (d.name, label(d))).collect::<BTreeMap<_, _>>(),
        "stations": [],
    })
    .to_string()
}

fn trend_chart(series: &[SeriesPoint], tr: Tr) -> String {
    let names: Vec<&str> = series.iter().map(|p| p.name.as_str()).collect();
    let line = |f: fn(&SeriesPoint) -> Option<ningan_core::survey::Share>| -> Vec<serde_json::Value> {
        series.iter().map(|p| f(p).map(|s| json!(s.rate)).unwrap_or(json!(null))).collect()
    };
    let band = |f: fn(&SeriesPoint) -> Option<ningan_core::survey::Share>, lo: bool| -> Vec<serde_json::Value> {
        series
            .iter()
            .map(|p| f(p).map(|s| json!(if lo { s.low } else { s.high - s.low })).unwrap_or(json!(null)))
            .collect()
    };
    let (sec, app) = (tr.pick("安全感", "Security"), tr.pick("满意度", "Approval"));
    json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [sec, app]},
        "xAxis": {"type": "category", "data": names},
        "yAxis": {"type": "value", "min": 85, "max": 100},
        "series": [
            {"name": "lo", "type": "line", "stack": "ci", "data": band(|p| p.security, true), "lineStyle": {"opacity": 0}, "symbol": "none", "tooltip": {"show": false}},
            {"name": "ci", "type": "line", "stack": "ci", "data": band(|p| p.security, false), "lineStyle": {"opacity": 0}, "symbol": "none", "areaStyle": {"opacity": 0.15}, "tooltip": {"show": false}},
            {"name": sec, "type": "line", "data": line(|p| p.security)},
            {"name": app, "type": "line", "data": line(|p| p.approval)},
        ]
    })
    .to_string()
}

async fn wave_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: Option<(FormState, Vec<(String, String)>)>,
    links_form: Option<FormState>,
) -> PageResult<WavePage> {
    let tr = Tr::new(ctx.language());
    let v = Viewer::of(ctx);
    let r = service::results(&state.db, &v, id).await.map_err(ApiError::from)?;
    let version = surveys::version_get(&state.db, r.wave.version_id).await?;
    let series = service::series(&state.db, &v, r.wave.questionnaire_id).await.map_err(ApiError::from)?;
    let frame = Frame::for_principal(ctx)
        .crumb("/evaluation", "nav.evaluation")
        .crumb_text(
            &format!("/evaluation/questionnaires/{}", r.wave.questionnaire_id),
            tr.pick(&r.questionnaire, &r.questionnaire_en),
        )
        .crumb_text(&format!("/evaluation/waves/{id}"), &r.wave.name);
    let now = ningan_core::time::now_ms();
    let (form, ticked) = form.unwrap_or_else(|| (FormState::new(tr), Vec::new()));
    Ok(WavePage {
        map: security_map(&r, tr),
        trend: trend_chart(&series, tr),
        fields: super::public::fields_of(&version.questions, tr),
        districts: DISTRICTS
            .iter()
            .filter(|d| v.sees_district(d.code))
            .map(|d| (d.code, if tr.is_en() { d.name_en } else { d.name }))
            .collect(),
        sexes: Sex::ALL.iter().map(|s| (s.as_str(), s.label(tr.is_en()))).collect(),
        bands: AgeBand::ALL.iter().map(|a| (a.as_str(), a.label(tr.is_en()))).collect(),
        may_manage: ctx.may(Action::EvaluationManage) && ctx.scope().contains(&r.wave.unit_path),
        may_work: ctx.may(Action::EvaluationWork),
        open: r.wave.opens_at <= now && now < r.wave.closes_at,
        links_form: links_form.unwrap_or_else(|| FormState::new(tr)),
        form,
        ticked,
        saved: false,
        r,
        frame,
    })
}

#[derive(serde::Deserialize, Default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn wave(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, Query(q): Query<SavedQuery>) -> PageResult {
    let mut page = wave_view(&state, &ctx, id, None, None).await?;
    page.saved = q.saved.is_some();
    Ok(html(StatusCode::OK, &page))
}

#[derive(serde::Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct LinksForm {
    district: String,
    count: String,
}

impl LinksForm {
    /// The district and how many links, each required and a number.
    fn parsed(&self) -> Result<(i64, i64), ApiError> {
        Ok((
            form_required("district", "区县", "district", &self.district)?,
            form_required("count", "数量", "count", &self.count)?,
        ))
    }
}

/// The links as a CSV download: the only time their tokens exist outside the respondents' messages.
fn links_csv(tokens: Vec<String>, district: &str, name: &str) -> Response {
    let mut body = String::from("district,link\n");
    for t in tokens {
        body.push_str(&format!("{district},/s/{t}\n"));
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}-{district}-links.csv\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

async fn wave_links(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<LinksForm>,
) -> PageResult<Response> {
    let result = async {
        let (district, count) = f.parsed()?;
        service::issue_links(&state, &ctx, id, district, count).await.map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(tokens) => Ok(links_csv(tokens, &f.district, &format!("wave-{id}"))),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["district", "count"]);
            let page = wave_view(&state, &ctx, id, None, Some(form)).await?;
            Ok(html(page.links_form.status(), &page))
        }
    }
}

/// Answers from a form of `q.<key>` fields (the public form's shape).
pub fn answers_of(questions: &[Question], p: &[(String, String)]) -> BTreeMap<String, Value> {
    let mut answers = BTreeMap::new();
    for q in questions {
        let name = format!("q.{}", q.key);
        let given: Vec<&str> =
            p.iter().filter(|(k, v)| *k == name && !v.trim().is_empty()).map(|(_, v)| v.trim()).collect();
        // A choice that is not a number goes on as text, which the check refuses for that
        // question by name.
        let value = match Kind::parse(&q.kind) {
            Some(Kind::Text) => given.first().map(|t| Value::Text(t.to_string())),
            Some(Kind::Multi) if !given.is_empty() => Some(
                given
                    .iter()
                    .map(|v| v.parse::<u32>())
                    .collect::<Result<Vec<u32>, _>>()
                    .map(Value::Many)
                    .unwrap_or_else(|_| Value::Text(given.join(","))),
            ),
            _ => given.first().map(|v| v.parse::<u32>().map(Value::One).unwrap_or_else(|_| Value::Text(v.to_string()))),
        };
        if let Some(v) = value {
            answers.insert(q.key.clone(), v);
        }
    }
    answers
}

/// An answer error's field as the form names it: `q.<key>` for a question.
pub fn form_fields(e: &mut ApiError, questions: &[Question]) {
    for fe in &mut e.errors {
        if questions.iter().any(|q| q.key == fe.field) {
            fe.field = format!("q.{}", fe.field);
        }
    }
}

async fn wave_interview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult<Response> {
    let p = pairs(&body);
    let w = surveys::wave_get(&state.db, &ctx.scope(), &ctx.unit.path, id).await?;
    let version = surveys::version_get(&state.db, w.version_id).await?;
    let input = AnswerInput {
        district: one(&p, "district").parse().ok(),
        sex: one(&p, "sex"),
        age_band: one(&p, "age_band"),
        answers: answers_of(&version.questions, &p),
    };
    match service::answer_by_phone(&state, &ctx, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/evaluation/waves/{id}?saved=1#interview")).into_response()),
        Err(e) => {
            let mut e = ApiError::from(e);
            form_fields(&mut e, &version.questions);
            let mut names: Vec<String> = version.questions.iter().map(|q| format!("q.{}", q.key)).collect();
            names.extend(["district", "sex", "age_band"].map(String::from));
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let values: BTreeMap<String, String> = p.iter().cloned().collect();
            let form = FormState::new(Tr::new(ctx.language())).with_values(&values).refused(&e, &refs);
            let page = wave_view(&state, &ctx, id, Some((form, p)), None).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

// ---- review rounds ----

#[derive(Template)]
#[template(path = "evaluation/rounds.html")]
struct RoundsPage {
    frame: Frame,
    rounds: Vec<Round>,
    may_manage: bool,
    form: FormState,
    now: i64,
}

async fn rounds_view(state: &AppState, ctx: &Ctx, form: Option<FormState>) -> PageResult<RoundsPage> {
    let frame = Frame::for_principal(ctx)
        .crumb("/evaluation", "nav.evaluation")
        .crumb("/evaluation/reviews", "evaluation.reviews");
    Ok(RoundsPage {
        rounds: super::store::reviews::list(&state.db, &ctx.scope(), &ctx.unit.path).await?,
        may_manage: ctx.may(Action::EvaluationManage),
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        now: ningan_core::time::now_ms(),
        frame,
    })
}

async fn rounds(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let page = rounds_view(&state, &ctx, None).await?;
    Ok(html(StatusCode::OK, &page))
}

#[derive(serde::Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct RoundForm {
    name: String,
    opens_on: String,
    closes_on: String,
}

async fn round_create(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<RoundForm>,
) -> PageResult<Response> {
    let input = RoundInput {
        name: f.name.clone(),
        opens_on: f.opens_on.clone(),
        closes_on: f.closes_on.clone(),
        units: Vec::new(),
    };
    match reviews::create_round(&state, &ctx, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/evaluation/reviews/{id}")).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e.into(), &["name", "opens_on", "closes_on", "units"]);
            let page = rounds_view(&state, &ctx, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "evaluation/round.html")]
struct RoundPage {
    frame: Frame,
    round: Round,
    ranking: Vec<Ranked>,
    comments: Vec<Comment>,
    pager: Pager,
    districts: Vec<(u32, &'static str)>,
    may_manage: bool,
    may_work: bool,
    open: bool,
    form: FormState,
    links_form: FormState,
    saved: bool,
}

impl RoundPage {
    fn mean(&self, r: &Ranked) -> String {
        r.mean.map(|m| format!("{m:.2}")).unwrap_or_else(|| "—".into())
    }
    fn ci(&self, r: &Ranked) -> String {
        match (r.low, r.high) {
            (Some(l), Some(h)) => format!("{l:.2}–{h:.2}"),
            _ => String::new(),
        }
    }
    fn may_reply(&self, c: &Comment) -> bool {
        self.may_work && c.reply.is_none()
    }
}

#[derive(serde::Deserialize, Default)]
struct RoundQuery {
    page: Option<i64>,
    saved: Option<String>,
}

async fn round_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    page: Option<i64>,
    form: Option<FormState>,
    links_form: Option<FormState>,
) -> PageResult<RoundPage> {
    let tr = Tr::new(ctx.language());
    let round = super::store::reviews::get(&state.db, &ctx.scope(), &ctx.unit.path, id).await?;
    let found =
        super::store::reviews::comments(&state.db, id, &ctx.scope(), ningan_store::PageRequest::new(page, Some(20)))
            .await?;
    let pager = Pager::new(&format!("/evaluation/reviews/{id}"), &[], &found);
    let frame = Frame::for_principal(ctx)
        .crumb("/evaluation", "nav.evaluation")
        .crumb("/evaluation/reviews", "evaluation.reviews")
        .crumb_text(&format!("/evaluation/reviews/{id}"), &round.name);
    let now = ningan_core::time::now_ms();
    let v = Viewer::of(ctx);
    Ok(RoundPage {
        ranking: reviews::ranking(&state.db, id).await.map_err(ApiError::from)?,
        comments: found.items,
        pager,
        districts: DISTRICTS
            .iter()
            .filter(|d| v.sees_district(d.code))
            .map(|d| (d.code, if tr.is_en() { d.name_en } else { d.name }))
            .collect(),
        may_manage: ctx.may(Action::EvaluationManage) && ctx.scope().contains(&round.unit_path),
        may_work: ctx.may(Action::EvaluationWork),
        open: round.opens_at <= now && now < round.closes_at,
        form: form.unwrap_or_else(|| FormState::new(tr)),
        links_form: links_form.unwrap_or_else(|| FormState::new(tr)),
        saved: false,
        round,
        frame,
    })
}

async fn round(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<RoundQuery>,
) -> PageResult {
    let mut page = round_view(&state, &ctx, id, q.page, None, None).await?;
    page.saved = q.saved.is_some();
    Ok(html(StatusCode::OK, &page))
}

async fn round_links(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<LinksForm>,
) -> PageResult<Response> {
    let result = async {
        let (district, count) = f.parsed()?;
        reviews::issue_links(&state, &ctx, id, district, count).await.map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(tokens) => Ok(links_csv(tokens, &f.district, &format!("review-{id}"))),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["district", "count"]);
            let page = round_view(&state, &ctx, id, None, None, Some(form)).await?;
            Ok(html(page.links_form.status(), &page))
        }
    }
}

#[derive(serde::Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct RatingForm {
    unit_id: String,
    score: String,
    comment: String,
}

async fn round_interview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<RatingForm>,
) -> PageResult<Response> {
    let result = async {
        let unit_id = form_required("unit_id", "评议单位", "unit", &f.unit_id)?;
        let score = form_required("score", "评分", "score", &f.score)?;
        let input = RatingInput { unit_id, score, comment: Some(f.comment.clone()) };
        reviews::rate_by_phone(&state, &ctx, id, &input).await.map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/evaluation/reviews/{id}?saved=1#interview")).into_response()),
        Err(e) => {
            let form =
                FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["unit_id", "score", "comment"]);
            let page = round_view(&state, &ctx, id, None, Some(form), None).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(serde::Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct ReplyForm {
    body: String,
}

async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ReplyForm>,
) -> PageResult<Response> {
    let (round, _, _) = super::store::reviews::rating_unit(&state.db, id).await?;
    match reviews::reply(&state, &ctx, id, &f.body).await {
        Ok(()) => Ok(Redirect::to(&format!("/evaluation/reviews/{round}#comment-{id}")).into_response()),
        Err(e) => {
            let mut e = ApiError::from(e);
            for fe in &mut e.errors {
                fe.field = format!("body.{id}");
            }
            let form = FormState::new(Tr::new(ctx.language())).refused(&e, &[format!("body.{id}").as_str()]);
            let page = round_view(&state, &ctx, round, None, Some(form), None).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

// ---- the scenarios catalogue ----

#[derive(Template)]
#[template(path = "evaluation/scenarios.html")]
struct ScenariosPage {
    frame: Frame,
    scenarios: Vec<Scenario>,
    live_values: BTreeMap<String, i64>,
    may_manage: bool,
    form: FormState,
    editing: Option<i64>,
    modules: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
}

impl ScenariosPage {
    fn status(&self, s: &str) -> &'static str {
        scenarios::status_label(s, self.frame.tr.is_en())
    }
    fn module(&self, m: &str) -> &'static str {
        super::texts::module_label(m, self.frame.tr.is_en())
    }
    fn live(&self, s: &Scenario) -> Option<i64> {
        s.counter.as_ref().and_then(|c| self.live_values.get(c)).copied()
    }
    fn live_count(&self) -> usize {
        self.scenarios.iter().filter(|s| s.status == "live").count()
    }
}

#[derive(serde::Deserialize, Default)]
struct EditQuery {
    edit: Option<i64>,
}

async fn scenarios_view(
    state: &AppState,
    ctx: &Ctx,
    edit: Option<i64>,
    form: Option<FormState>,
) -> PageResult<ScenariosPage> {
    let tr = Tr::new(ctx.language());
    let frame = Frame::for_principal(ctx).crumb("/evaluation/scenarios", "nav.scenarios");
    let panels = crate::modules::cockpit::panels(state, ctx, tr).await?;
    let live_values = panels.iter().flat_map(|p| &p.counters).map(|c| (c.key.to_string(), c.value)).collect();
    let all = super::store::scenarios::list(&state.db, None).await?;
    let form = match (form, edit.and_then(|id| all.iter().find(|s| s.id == id))) {
        (Some(f), _) => f,
        (None, Some(s)) => FormState::new(tr)
            .set("name", &s.name)
            .set("name_en", &s.name_en)
            .set("owner_unit_id", s.owner_unit_id.to_string())
            .set("partners", s.partners.join("\n"))
            .set("module", &s.module)
            .set("status", &s.status)
            .set("counter", s.counter.clone().unwrap_or_default())
            .set("figures", &s.figures)
            .set("launched_on", s.launched_on.clone().unwrap_or_default()),
        (None, None) => FormState::new(tr),
    };
    let units = state
        .db
        .units_in_scope(&ctx.scope())
        .await?
        .into_iter()
        .filter(|u| !matches!(u.kind, ningan_store::UnitKind::Community))
        .map(|u| (u.id.to_string(), tr.pick(&u.name, &u.name_en).to_string()))
        .collect();
    Ok(ScenariosPage {
        scenarios: all,
        live_values,
        may_manage: ctx.may(Action::EvaluationManage),
        form,
        editing: edit,
        modules: scenarios::MODULES.iter().map(|m| (*m, super::texts::module_label(m, tr.is_en()))).collect(),
        statuses: scenarios::STATUSES.iter().map(|s| (*s, scenarios::status_label(s, tr.is_en()))).collect(),
        units,
        frame,
    })
}

async fn scenarios_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<EditQuery>) -> PageResult {
    let page = scenarios_view(&state, &ctx, q.edit, None).await?;
    Ok(html(StatusCode::OK, &page))
}

#[derive(serde::Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct ScenarioForm {
    id: String,
    name: String,
    name_en: String,
    owner_unit_id: String,
    partners: String,
    module: String,
    status: String,
    counter: String,
    figures: String,
    launched_on: String,
}

async fn scenario_save(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<ScenarioForm>,
) -> PageResult<Response> {
    let id: Option<i64> = f.id.trim().parse().ok();
    let result = async {
        let owner = crate::web::page::form_value("owner_unit_id", "牵头单位", "owner", &f.owner_unit_id)?;
        let input = ScenarioInput {
            name: f.name.clone(),
            name_en: f.name_en.clone(),
            owner_unit_id: owner,
            partners: lines(&f.partners.replace('、', "\n")),
            module: f.module.clone(),
            status: f.status.clone(),
            counter: Some(f.counter.clone()),
            figures: f.figures.clone(),
            launched_on: Some(f.launched_on.clone()),
        };
        match id {
            Some(id) => scenarios::update(&state, &ctx, id, &input).await.map(|_| id),
            None => scenarios::create(&state, &ctx, &input).await,
        }
        .map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/evaluation/scenarios#scenario-{id}")).into_response()),
        Err(e) => {
            let fields = [
                "name",
                "name_en",
                "owner_unit_id",
                "partners",
                "module",
                "status",
                "counter",
                "figures",
                "launched_on",
            ];
            let form = FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &fields);
            let page = scenarios_view(&state, &ctx, id, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}
