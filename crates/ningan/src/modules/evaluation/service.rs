//! Surveys as the bureau runs them: questionnaires with versions (a version with answers is
//! never changed), waves planned from the register (targets per district in proportion to
//! its adults, the frame of adults by sex and age band frozen for weighting), one-time links,
//! answers from the public form or from interviewers' calls, and results raked to the
//! frame with intervals, by district and over the waves.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use ningan_core::DISTRICTS;
use ningan_core::survey::{self, AgeBand, Cell, Index, Margins, Question, Sex, Share, Value};
use ningan_store::{Actor, Db, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::{EvaluationError, field};
use super::store::links::{self, Target};
use super::store::surveys::{self, NewAnswer, NewQuestionnaire, NewWave, Questionnaire, Version, Wave};
use crate::app::AppState;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

pub type Result<T> = std::result::Result<T, EvaluationError>;

/// The city bureau's path: a viewer whose scope holds it sees the city's totals.
pub fn city_path() -> String {
    format!("/{}/", ningan_core::district::NINGBO_CODE)
}

pub fn district_path(code: u32) -> String {
    format!("/{}/{code}/", ningan_core::district::NINGBO_CODE)
}

/// Who reads survey figures: their scope, and the unit they work in.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub scope: Scope,
    pub unit_path: String,
}

impl Viewer {
    pub fn of(ctx: &Ctx) -> Viewer {
        Viewer { scope: ctx.scope(), unit_path: ctx.unit.path.clone() }
    }

    /// The cockpit's viewer: the scope's own unit.
    pub fn of_scope(scope: &Scope) -> Viewer {
        Viewer { scope: scope.clone(), unit_path: scope.path().to_string() }
    }

    /// Whether the viewer may read figures of a district: it is within their scope, or they
    /// work inside it.
    pub fn sees_district(&self, code: u32) -> bool {
        let path = district_path(code);
        self.scope.contains(&path) || self.unit_path.starts_with(&path)
    }

    pub fn sees_city(&self) -> bool {
        self.scope.contains(&city_path())
    }
}

fn text(name: &'static str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    match v.chars().count() {
        0 => Err(field(name, Rule::Required)),
        n if n > max => Err(field(name, Rule::TooLong(max))),
        _ => Ok(v.to_string()),
    }
}

/// `YYYY-MM-DD` as the first millisecond of that day in Ningbo.
pub fn day_start(name: &'static str, v: &str) -> Result<i64> {
    let d = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| field(name, Rule::Date))?;
    Ok(day_ms(d))
}

pub fn day_ms(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis() - 8 * 3_600_000).unwrap_or(0)
}

pub fn today() -> String {
    ningan_core::time::today_cst().format("%Y-%m-%d").to_string()
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct QuestionnaireInput {
    #[schemars(length(min = 1, max = 100), regex(pattern = r"\S"))]
    pub title: String,
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub title_en: String,
    #[schemars(length(min = 1, max = 60))]
    pub questions: Vec<Question>,
}

fn checked_questions(questions: &[Question]) -> Result<()> {
    survey::check_questions(questions).map_err(EvaluationError::Questions)
}

pub async fn create_questionnaire(state: &AppState, ctx: &Ctx, input: &QuestionnaireInput) -> Result<i64> {
    let title = text("title", &input.title, 100)?;
    let title_en =
        if input.title_en.trim().is_empty() { title.clone() } else { text("title_en", &input.title_en, 200)? };
    checked_questions(&input.questions)?;
    let mut w = state.db.write().await?;
    let new = NewQuestionnaire { title: &title, title_en: &title_en, unit_id: ctx.unit.id, unit_path: &ctx.unit.path };
    let id = surveys::questionnaire_insert(&mut w, &ctx.actor(), &new, &input.questions, ningan_core::time::now_ms())
        .await?;
    w.commit().await?;
    Ok(id)
}

/// A questionnaire the caller may change: made within their scope.
async fn owned(state: &AppState, ctx: &Ctx, id: i64) -> Result<Questionnaire> {
    let q = surveys::questionnaire_get(&state.db, &ctx.scope(), &ctx.unit.path, id).await?;
    if !ctx.scope().contains(&q.unit_path) {
        return Err(ningan_store::StoreError::NotFound.into());
    }
    Ok(q)
}

pub async fn new_version(state: &AppState, ctx: &Ctx, id: i64, questions: &[Question]) -> Result<i64> {
    owned(state, ctx, id).await?;
    checked_questions(questions)?;
    let mut w = state.db.write().await?;
    let v = surveys::version_insert(&mut w, &ctx.actor(), id, questions, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(v)
}

/// Changes a version's questions while no answer has arrived under it.
pub async fn edit_version(state: &AppState, ctx: &Ctx, id: i64, version: i64, questions: &[Question]) -> Result<()> {
    owned(state, ctx, id).await?;
    let v = version_of(state, id, version).await?;
    checked_questions(questions)?;
    let mut w = state.db.write().await?;
    if !surveys::version_replace(&mut w, &ctx.actor(), v.id, questions).await? {
        return Err(EvaluationError::VersionAnswered);
    }
    w.commit().await?;
    Ok(())
}

pub async fn version_of(state: &AppState, questionnaire: i64, number: i64) -> Result<Version> {
    surveys::versions(&state.db, questionnaire)
        .await?
        .into_iter()
        .find(|v| v.version == number)
        .ok_or_else(|| ningan_store::StoreError::NotFound.into())
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct WaveInput {
    #[schemars(length(min = 1, max = 100), regex(pattern = r"\S"))]
    pub name: String,
    /// The questionnaire version asked (its number); the newest when absent.
    #[serde(default)]
    pub version: Option<i64>,
    /// First day answers are taken, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date", "pattern" = crate::http::schema::DATE_PATTERN))]
    pub opens_on: String,
    /// Last day answers are taken, `YYYY-MM-DD`.
    #[schemars(extend("format" = "date", "pattern" = crate::http::schema::DATE_PATTERN, "examples" = ["2026-12-30"]))]
    pub closes_on: String,
    /// Interviews wanted across the city, shared among districts by their adults.
    #[schemars(range(min = 300, max = 100_000))]
    pub sample_size: i64,
}

/// Plans a wave: the register's adults per district, sex and age band (as of the opening
/// day) become its frame, and the sample is shared among districts in proportion, at
/// least 30 each.
pub async fn plan_wave(state: &AppState, ctx: &Ctx, questionnaire: i64, input: &WaveInput) -> Result<i64> {
    let q = owned(state, ctx, questionnaire).await?;
    let name = text("name", &input.name, 100)?;
    let opens = day_start("opens_on", &input.opens_on)?;
    let closes = day_start("closes_on", &input.closes_on)? + 86_400_000;
    if closes <= opens {
        return Err(field(
            "closes_on",
            Rule::context("结束日期不能早于开始日期", "the last day cannot be before the first"),
        ));
    }
    if closes - opens > 92 * 86_400_000 {
        return Err(field("closes_on", Rule::context("一轮测评最长92天", "a wave runs at most 92 days")));
    }
    if !(300..=100_000).contains(&input.sample_size) {
        return Err(field("sample_size", Rule::Range(300, 100_000)));
    }
    let version = match input.version {
        Some(n) => version_of(state, questionnaire, n).await.map_err(|_| field("version", Rule::NotInScope))?,
        None => version_of(state, questionnaire, q.latest).await?,
    };
    let year = NaiveDate::parse_from_str(input.opens_on.trim(), "%Y-%m-%d").map(|d| d.year() as i64).unwrap_or(2026);
    let mut cells: BTreeMap<(u32, Sex, AgeBand), i64> = BTreeMap::new();
    for (district, gender, born, n) in surveys::register_adults(&state.db).await? {
        let (Some(sex), Some(band)) = (Sex::of_register(&gender), AgeBand::of_age(year - born)) else { continue };
        if DISTRICTS.iter().any(|d| d.code as i64 == district) {
            *cells.entry((district as u32, sex, band)).or_default() += n;
        }
    }
    let mut adults: BTreeMap<u32, i64> = DISTRICTS.iter().map(|d| (d.code, 0)).collect();
    for ((d, _, _), n) in &cells {
        *adults.entry(*d).or_default() += n;
    }
    let per_district: Vec<(u32, i64)> = adults.into_iter().collect();
    let targets = survey::allocate(input.sample_size, &per_district, 30);
    let frame: Vec<(u32, &str, &str, i64)> =
        cells.iter().map(|((d, s, a), n)| (*d, s.as_str(), a.as_str(), *n)).collect();
    let mut w = state.db.write().await?;
    let new = NewWave {
        questionnaire_id: questionnaire,
        version_id: version.id,
        name: &name,
        opens_at: opens,
        closes_at: closes,
        sample_size: input.sample_size,
        unit_id: ctx.unit.id,
        unit_path: &ctx.unit.path,
    };
    let id = surveys::wave_insert(&mut w, &ctx.actor(), &new, &frame, &targets, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(id)
}

pub fn district_code(name: &'static str, v: i64) -> Result<u32> {
    DISTRICTS
        .iter()
        .find(|d| d.code as i64 == v)
        .map(|d| d.code)
        .ok_or_else(|| field(name, Rule::one_of("宁波市的区县（市）代码", &["330203", "330205", "…"])))
}

/// Issues one-time links of a wave for a district; the tokens are returned once.
pub async fn issue_links(state: &AppState, ctx: &Ctx, wave: i64, district: i64, count: i64) -> Result<Vec<String>> {
    let w = surveys::wave_get(&state.db, &ctx.scope(), &ctx.unit.path, wave).await?;
    issue(state, ctx, Target::Wave(wave), (&w.unit_path, w.closes_at), district, count).await
}

/// One-time links for a wave or a review round, issued by a caller whose units own it
/// (`owner`: its unit path and when it closes) while it is still open.
pub async fn issue(
    state: &AppState,
    ctx: &Ctx,
    target: Target,
    (owner, closes_at): (&str, i64),
    district: i64,
    count: i64,
) -> Result<Vec<String>> {
    if !ctx.scope().contains(owner) {
        return Err(ningan_store::StoreError::NotFound.into());
    }
    let district = district_code("district", district)?;
    if !(1..=5000).contains(&count) {
        return Err(field("count", Rule::Range(1, 5000)));
    }
    let now = ningan_core::time::now_ms();
    if closes_at <= now {
        return Err(EvaluationError::NotOpen);
    }
    let mut w = state.db.write().await?;
    let tokens = links::issue(&mut w, &ctx.actor(), &target, district, count as usize, now).await?;
    w.commit().await?;
    Ok(tokens)
}

fn sexes(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Sex::ALL.iter().map(|s| s.as_str()))
}

fn age_bands(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(AgeBand::ALL.iter().map(|s| s.as_str()))
}

/// A respondent's answers: who they are only as the weighting needs (sex and age band), and
/// their district when an interviewer enters them (a link knows its own).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct AnswerInput {
    /// Required when an interviewer enters the answers (a link knows its own district).
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::district_code")]
    pub district: Option<i64>,
    #[schemars(schema_with = "sexes")]
    pub sex: String,
    #[schemars(schema_with = "age_bands")]
    pub age_band: String,
    pub answers: BTreeMap<String, Value>,
}

/// The respondent's sex and age band and their checked answers, or every problem at once
/// (the form marks each beside its question).
fn checked(input: &AnswerInput, questions: &[Question]) -> Result<(Sex, AgeBand, BTreeMap<String, Value>)> {
    let mut problems = Vec::new();
    let sex = Sex::parse(&input.sex);
    if sex.is_none() {
        problems.push(survey::Problem {
            at: "sex".into(),
            zh: "请选择性别（男或女）".into(),
            en: "choose male or female".into(),
        });
    }
    let band = AgeBand::parse(&input.age_band);
    if band.is_none() {
        problems.push(survey::Problem {
            at: "age_band".into(),
            zh: "请选择年龄段（18–29、30–44、45–59、60岁及以上）".into(),
            en: "choose an age band: 18-29, 30-44, 45-59 or 60+".into(),
        });
    }
    let answers = survey::check_answers(questions, &input.answers).map_err(|p| problems.extend(p)).ok();
    match (sex, band, answers) {
        (Some(s), Some(b), Some(a)) if problems.is_empty() => Ok((s, b, a)),
        _ => Err(EvaluationError::Answers(problems)),
    }
}

async fn record(
    state: &AppState,
    actor: &Actor,
    wave: &Wave,
    district: u32,
    channel: &str,
    input: &AnswerInput,
    link: Option<i64>,
) -> Result<i64> {
    let now = ningan_core::time::now_ms();
    if now < wave.opens_at || now >= wave.closes_at {
        return Err(EvaluationError::NotOpen);
    }
    let version = surveys::version_get(&state.db, wave.version_id).await?;
    let (sex, band, answers) = checked(input, &version.questions)?;
    let body = serde_json::to_string(&answers).map_err(|e| ningan_store::StoreError::State(e.to_string()))?;
    let day = today();
    let mut w = state.db.write().await?;
    if let Some(link) = link
        && !links::spend(&mut w, link, &day).await?
    {
        return Err(EvaluationError::LinkUsed);
    }
    let new = NewAnswer {
        wave_id: wave.id,
        district,
        sex: sex.as_str(),
        age_band: band.as_str(),
        channel,
        answers: &body,
        received_on: &day,
    };
    let id = surveys::answer_insert(&mut w, actor, &new).await?;
    w.commit().await?;
    Ok(id)
}

/// What a link opens: its wave (or round) if still usable.
pub enum Opened {
    Wave(Box<(links::Link, Wave, Version)>),
    Round(links::Link, super::store::reviews::Round),
}

pub async fn open_link(state: &AppState, token: &str) -> Result<Opened> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ningan_store::StoreError::NotFound.into());
    }
    let link = links::by_token(&state.db, token).await?;
    if link.used_on.is_some() {
        return Err(EvaluationError::LinkUsed);
    }
    let now = ningan_core::time::now_ms();
    if let Some(wave) = link.wave_id {
        let wave = surveys::wave_by_id(&state.db, wave).await?;
        if now < wave.opens_at || now >= wave.closes_at {
            return Err(EvaluationError::NotOpen);
        }
        let version = surveys::version_get(&state.db, wave.version_id).await?;
        return Ok(Opened::Wave(Box::new((link, wave, version))));
    }
    let round = super::store::reviews::by_id(&state.db, link.round_id.unwrap_or(0)).await?;
    if now < round.opens_at || now >= round.closes_at {
        return Err(EvaluationError::NotOpen);
    }
    Ok(Opened::Round(link, round))
}

fn public_actor(what: &str) -> Actor {
    Actor { name: format!("public:{what}"), unit_id: None }
}

/// An answer through a one-time link: the link is spent in the answer's transaction.
pub async fn answer_by_link(state: &AppState, token: &str, input: &AnswerInput) -> Result<()> {
    let Opened::Wave(opened) = open_link(state, token).await? else {
        return Err(ningan_store::StoreError::NotFound.into());
    };
    let (link, wave, _) = *opened;
    record(state, &public_actor("survey"), &wave, link.district as u32, "link", input, Some(link.id)).await?;
    Ok(())
}

/// An answer an interviewer took by phone.
pub async fn answer_by_phone(state: &AppState, ctx: &Ctx, wave: i64, input: &AnswerInput) -> Result<i64> {
    let wave = surveys::wave_get(&state.db, &ctx.scope(), &ctx.unit.path, wave).await?;
    let district = district_code(
        "district",
        input.district.ok_or_else(|| {
            field("district", Rule::context("电话访问须填写区县", "a phone interview names the district"))
        })?,
    )?;
    if !Viewer::of(ctx).sees_district(district) && !ctx.scope().contains(&wave.unit_path) {
        return Err(field("district", Rule::NotInScope));
    }
    record(state, &ctx.actor(), &wave, district, "phone", input, None).await
}

/// One index's estimate for an area.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AreaResult {
    /// District code; 0 for the whole city.
    pub code: u32,
    pub name: String,
    pub name_en: String,
    pub target: i64,
    pub answers: i64,
    pub links_issued: i64,
    pub links_used: i64,
    pub security: Option<Share>,
    pub approval: Option<Share>,
}

/// A question's answers, weighted, in per cent of those who answered it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QuestionResult {
    pub key: String,
    pub text: String,
    pub text_en: String,
    pub kind: String,
    pub answered: i64,
    /// `(label, English label, weighted per cent, respondents)` per choice or scale point.
    pub choices: Vec<(String, String, f64, i64)>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Results {
    pub wave: Wave,
    pub questionnaire: String,
    pub questionnaire_en: String,
    pub version: i64,
    /// The city's row, for viewers who see the whole city.
    pub city: Option<AreaResult>,
    pub districts: Vec<AreaResult>,
    /// Over the districts the viewer sees.
    pub questions: Vec<QuestionResult>,
}

struct Respondent {
    district: u32,
    cell: Cell,
    answers: BTreeMap<String, Value>,
    weight: f64,
}

/// Loads a wave's answers and weights each within its district to the wave's frame.
async fn weighted(db: &Db, wave: i64) -> Result<Vec<Respondent>> {
    let mut margins: BTreeMap<u32, BTreeMap<Cell, f64>> = BTreeMap::new();
    for (d, sex, age, n) in surveys::frame(db, wave).await? {
        if let (Some(s), Some(a)) = (Sex::parse(&sex), AgeBand::parse(&age)) {
            *margins.entry(d as u32).or_default().entry((s, a)).or_default() += n as f64;
        }
    }
    let mut people: Vec<Respondent> = Vec::new();
    for (d, sex, age, _, body) in surveys::answers(db, wave).await? {
        let (Some(s), Some(a)) = (Sex::parse(&sex), AgeBand::parse(&age)) else { continue };
        let answers = serde_json::from_str(&body).unwrap_or_default();
        people.push(Respondent { district: d as u32, cell: (s, a), answers, weight: 0.0 });
    }
    for (d, cells) in &margins {
        let m = Margins::of_cells(cells);
        let idx: Vec<usize> = (0..people.len()).filter(|i| people[*i].district == *d).collect();
        let sample: Vec<Cell> = idx.iter().map(|i| people[*i].cell).collect();
        for (i, w) in idx.iter().zip(survey::rake(&sample, &m)) {
            people[*i].weight = w;
        }
    }
    Ok(people)
}

fn index_question(questions: &[Question], index: Index) -> Option<&Question> {
    questions.iter().find(|q| q.index.as_deref() == Some(index.as_str()))
}

fn index_share<'a>(
    questions: &[Question],
    index: Index,
    people: impl Iterator<Item = &'a Respondent>,
) -> Option<Share> {
    let q = index_question(questions, index)?;
    let obs: Vec<(f64, bool)> =
        people.filter_map(|p| survey::counts_towards(q, p.answers.get(&q.key)).map(|yes| (p.weight, yes))).collect();
    survey::share(&obs)
}

pub async fn results(db: &Db, v: &Viewer, wave: i64) -> Result<Results> {
    let wave = surveys::wave_get(db, &v.scope, &v.unit_path, wave).await?;
    let q = surveys::questionnaire_get(db, &v.scope, &v.unit_path, wave.questionnaire_id).await?;
    let version = surveys::version_get(db, wave.version_id).await?;
    let people = weighted(db, wave.id).await?;
    let targets: BTreeMap<i64, i64> = surveys::targets(db, wave.id).await?.into_iter().collect();
    let tally: BTreeMap<i64, (i64, i64)> =
        links::tally(db, &Target::Wave(wave.id)).await?.into_iter().map(|(d, i, u)| (d, (i, u))).collect();
    let qs = &version.questions;
    let mut districts = Vec::new();
    for d in DISTRICTS.iter().filter(|d| v.sees_district(d.code)) {
        let here = || people.iter().filter(|p| p.district == d.code);
        let (issued, used) = tally.get(&(d.code as i64)).copied().unwrap_or((0, 0));
        districts.push(AreaResult {
            code: d.code,
            name: d.name.into(),
            name_en: d.name_en.into(),
            target: targets.get(&(d.code as i64)).copied().unwrap_or(0),
            answers: here().count() as i64,
            links_issued: issued,
            links_used: used,
            security: index_share(qs, Index::Security, here()),
            approval: index_share(qs, Index::Approval, here()),
        });
    }
    let seen: Vec<u32> = districts.iter().map(|d| d.code).collect();
    let visible = || people.iter().filter(|p| seen.contains(&p.district));
    let city = v.sees_city().then(|| AreaResult {
        code: 0,
        name: "宁波市".into(),
        name_en: "Ningbo".into(),
        target: targets.values().sum(),
        answers: people.len() as i64,
        links_issued: tally.values().map(|t| t.0).sum(),
        links_used: tally.values().map(|t| t.1).sum(),
        security: index_share(qs, Index::Security, people.iter()),
        approval: index_share(qs, Index::Approval, people.iter()),
    });
    let questions = qs.iter().map(|q| question_result(q, visible())).collect();
    Ok(Results {
        questionnaire: q.title,
        questionnaire_en: q.title_en,
        version: version.version,
        wave,
        city,
        districts,
        questions,
    })
}

fn question_result<'a>(q: &Question, people: impl Iterator<Item = &'a Respondent>) -> QuestionResult {
    let (labels, labels_en) = match survey::Kind::parse(&q.kind) {
        Some(survey::Kind::Scale) => (&q.scale, &q.scale_en),
        _ => (&q.options, &q.options_en),
    };
    let mut total = 0.0;
    let mut answered = 0;
    let mut sums = vec![(0.0f64, 0i64); labels.len()];
    for p in people {
        let chosen: Vec<u32> = match p.answers.get(&q.key) {
            Some(Value::One(v)) => vec![*v],
            Some(Value::Many(vs)) => vs.clone(),
            Some(Value::Text(_)) => {
                answered += 1;
                continue;
            }
            None => continue,
        };
        answered += 1;
        total += p.weight;
        for c in chosen {
            if let Some(s) = sums.get_mut(c as usize - 1) {
                s.0 += p.weight;
                s.1 += 1;
            }
        }
    }
    let choices = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let en = labels_en.get(i).cloned().unwrap_or_else(|| l.clone());
            let pct = if total > 0.0 { (sums[i].0 / total * 1000.0).round() / 10.0 } else { 0.0 };
            (l.clone(), en, pct, sums[i].1)
        })
        .collect();
    QuestionResult {
        key: q.key.clone(),
        text: q.text.clone(),
        text_en: if q.text_en.is_empty() { q.text.clone() } else { q.text_en.clone() },
        kind: q.kind.clone(),
        answered,
        choices,
    }
}

/// A questionnaire's waves in order, with the headline figures of each.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SeriesPoint {
    pub wave_id: i64,
    pub name: String,
    pub opens_at: i64,
    pub answers: i64,
    /// The city's, for viewers who see the whole city; else their first district's.
    pub security: Option<Share>,
    pub approval: Option<Share>,
    /// Per district the viewer sees: code and security share.
    pub districts: Vec<(u32, Option<Share>)>,
}

pub async fn series(db: &Db, v: &Viewer, questionnaire: i64) -> Result<Vec<SeriesPoint>> {
    surveys::questionnaire_get(db, &v.scope, &v.unit_path, questionnaire).await?;
    let mut waves = surveys::waves(db, &v.scope, &v.unit_path, Some(questionnaire)).await?;
    waves.sort_by_key(|w| (w.opens_at, w.id));
    let mut out = Vec::new();
    for wave in waves.into_iter().rev().take(24).rev() {
        let version = surveys::version_get(db, wave.version_id).await?;
        let people = weighted(db, wave.id).await?;
        let qs = &version.questions;
        let seen: Vec<u32> = DISTRICTS.iter().filter(|d| v.sees_district(d.code)).map(|d| d.code).collect();
        let pool: Vec<&Respondent> = if v.sees_city() {
            people.iter().collect()
        } else {
            people.iter().filter(|p| seen.contains(&p.district)).collect()
        };
        out.push(SeriesPoint {
            wave_id: wave.id,
            name: wave.name.clone(),
            opens_at: wave.opens_at,
            answers: pool.len() as i64,
            security: index_share(qs, Index::Security, pool.iter().copied()),
            approval: index_share(qs, Index::Approval, pool.iter().copied()),
            districts: seen
                .iter()
                .map(|d| (*d, index_share(qs, Index::Security, people.iter().filter(|p| p.district == *d))))
                .collect(),
        });
    }
    Ok(out)
}

/// The newest wave that has answers among those the viewer sees, with its results: the
/// cockpit's and the report's headline.
pub async fn latest_results(db: &Db, v: &Viewer) -> Result<Option<Results>> {
    let waves = surveys::waves(db, &v.scope, &v.unit_path, None).await?;
    match waves.into_iter().find(|w| w.answers > 0) {
        Some(w) => Ok(Some(results(db, v, w.id).await?)),
        None => Ok(None),
    }
}
