//! Managing what the engine works with and what the work adds up to: watchlists, the rule
//! set, fraud cases, citizens' reports under review, lectures, the supervision board and the
//! figures.

use axum::extract::State;
use ningan_fraud::EntryKind;
use ningan_store::{
    FraudCase, FraudFigures, Lecture, NewFraudCase, NewLecture, NewWatchEntry, PageRequest, Report, SupervisionBoard,
    UnitRank, WatchEntry,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::{FraudError, refuse};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

const REPORT_STATUSES: &[&str] = &["pending", "accepted", "rejected"];

/// A watch-list kind, as the document states it.
pub(super) fn kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(EntryKind::ALL.iter().map(|k| k.as_str()))
}

/// What a watch-list kind may be, as a refusal names it.
pub(super) fn kinds_rule() -> Rule {
    let codes: Vec<&str> = EntryKind::ALL.iter().map(|k| k.as_str()).collect();
    Rule::one_of(
        "phone（电话）、url（网址）、domain（域名）、bank_account（银行账户）、pay_account（支付账户）或 app（应用）",
        &codes,
    )
}

fn parse_time_ms(field: &str, s: &str) -> Result<i64, FraudError> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.timestamp_millis())
        .map_err(|_| FraudError::Field(field.to_string().into(), Rule::Time))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct WatchEntryDto {
    pub id: i64,
    pub kind: String,
    pub kind_zh: String,
    pub kind_en: String,
    pub value: String,
    pub source: String,
    pub confidence: i64,
    pub typology: Option<String>,
    pub expires_at: Option<String>,
    pub created_at: String,
}

impl From<WatchEntry> for WatchEntryDto {
    fn from(e: WatchEntry) -> Self {
        WatchEntryDto {
            kind_zh: EntryKind::parse(&e.kind).map_or("", |k| k.zh()).into(),
            kind_en: EntryKind::parse(&e.kind).map_or("", |k| k.en()).into(),
            id: e.id,
            kind: e.kind,
            value: e.value,
            source: e.source,
            confidence: e.confidence,
            typology: e.typology,
            expires_at: e.expires_at.map(ts),
            created_at: ts(e.created_at),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WatchListQuery {
    /// phone | url | domain | bank_account | pay_account | app
    #[serde(default)]
    #[schemars(schema_with = "kinds")]
    pub kind: Option<String>,
    /// Part of the value or the source.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub(super) async fn watchlist(
    State(state): State<AppState>,
    Query(q): Query<WatchListQuery>,
) -> ApiResult<axum::Json<PageDto<WatchEntryDto>>> {
    let kind = q.kind.filter(|k| !k.is_empty());
    if let Some(k) = &kind
        && EntryKind::parse(k).is_none()
    {
        return Err(refuse("kind", kinds_rule()));
    }
    let page = state.db.watchlist_page(kind.as_deref(), q.q.as_deref(), PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, WatchEntryDto::from)))
}

/// Forms of each kind's value the normalisers (`ningan_fraud::normalize`) accept, written
/// as patterns a little stricter than they are (ASCII hosts, the usual ways of writing a
/// number), so that whatever matches is taken.
const PHONE_PATTERN: &str =
    r"^\s*(\+86[ -]?|0086[ -]?)?(1[3-9][0-9]{9}|0[12][0-9][ -]?[0-9]{7,8}|0[3-9][0-9]{2}[ -]?[0-9]{7,8})\s*$";
const DOMAIN_PATTERN: &str = r"^\s*([A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{1,63}\.?\s*$";
const URL_PATTERN: &str =
    r"^\s*([A-Za-z]+://)?([^/?#@\s]*@)?([A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{1,63}(:[0-9]*)?([/?#]\S*)?\s*$";
const BANK_ACCOUNT_PATTERN: &str = r"^\s*[ -]*([0-9][ -]*){10,30}\s*$";
const PAY_ACCOUNT_PATTERN: &str = r"^\s*[A-Za-z0-9_.@-]{3,64}\s*$";
const APP_PATTERN: &str = r"^\s*[A-Za-z][A-Za-z0-9_]{0,30}(\.[A-Za-z][A-Za-z0-9_]{0,30}){1,5}\s*$";

/// What the value is depends on the kind: a mobile or fixed line, a URL, a host name, a
/// bank card, a payment account, an app package.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(extend("allOf" = [
    {"if": {"properties": {"kind": {"const": "phone"}}}, "then": {"properties": {"value": {"pattern": PHONE_PATTERN}}}},
    {"if": {"properties": {"kind": {"const": "url"}}}, "then": {"properties": {"value": {"pattern": URL_PATTERN}}}},
    {"if": {"properties": {"kind": {"const": "domain"}}}, "then": {"properties": {"value": {"pattern": DOMAIN_PATTERN}}}},
    {"if": {"properties": {"kind": {"const": "bank_account"}}}, "then": {"properties": {"value": {"pattern": BANK_ACCOUNT_PATTERN}}}},
    {"if": {"properties": {"kind": {"const": "pay_account"}}}, "then": {"properties": {"value": {"pattern": PAY_ACCOUNT_PATTERN}}}},
    {"if": {"properties": {"kind": {"const": "app"}}}, "then": {"properties": {"value": {"pattern": APP_PATTERN}}}}
]))]
pub struct WatchEntryRequest {
    /// phone | url | domain | bank_account | pay_account | app
    #[schemars(schema_with = "kinds")]
    pub kind: String,
    #[schemars(extend("examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub value: String,
    /// Who listed it: 反诈中心, a bank, a carrier…
    #[schemars(length(min = 1, max = 100), regex(pattern = r"\S"))]
    pub source: String,
    /// 0–100; 80 when absent.
    #[schemars(range(min = 0, max = 100))]
    pub confidence: Option<i64>,
    pub typology: Option<String>,
    /// RFC 3339; never when absent.
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub expires_at: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct WatchBatch {
    #[schemars(length(min = 1, max = 10_000))]
    pub entries: Vec<WatchEntryRequest>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct WatchReport {
    pub added: u64,
    pub updated: u64,
}

/// Checks every entry; one bad entry refuses the whole batch with its position.
pub fn validate_entries(entries: &[WatchEntryRequest]) -> Result<Vec<NewWatchEntry>, ApiError> {
    if entries.is_empty() || entries.len() > 10_000 {
        return Err(refuse("entries", Rule::other("每批1至10000条", "send 1 to 10,000 entries")));
    }
    let now = ningan_core::time::now_ms();
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let field = |name: &str| format!("entries[{i}].{name}");
            let kind = EntryKind::parse(&e.kind).ok_or_else(|| refuse(field("kind"), kinds_rule()))?;
            let value = kind.normalize(&e.value).map_err(|err| ApiError::field_from(&field("value"), err))?;
            let source = e.source.trim();
            if source.is_empty() || source.chars().count() > 100 {
                return Err(refuse(field("source"), Rule::RequiredUpTo(100)));
            }
            let confidence = e.confidence.unwrap_or(80);
            if !(0..=100).contains(&confidence) {
                return Err(refuse(field("confidence"), Rule::Range(0, 100)));
            }
            let expires_at = match e.expires_at.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(s) => {
                    let ms = parse_time_ms(&field("expires_at"), s)?;
                    if ms <= now {
                        return Err(refuse(field("expires_at"), Rule::context("到期时间已过", "already expired")));
                    }
                    Some(ms)
                }
                None => None,
            };
            let typology = e.typology.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
            Ok(NewWatchEntry {
                kind: kind.as_str().into(),
                value,
                source: source.into(),
                confidence,
                typology,
                expires_at,
            })
        })
        .collect()
}

pub async fn add_entries(state: &AppState, ctx: &Ctx, entries: &[WatchEntryRequest]) -> ApiResult<WatchReport> {
    let entries = validate_entries(entries)?;
    state.fraud.service.ensure_loaded(&state.db).await?;
    let mut w = state.db.write().await?;
    let added = w.watchlist_upsert(&ctx.actor(), &entries).await?;
    w.commit().await?;
    state.fraud.service.listed(&entries)?;
    Ok(WatchReport { added, updated: entries.len() as u64 - added })
}

pub(super) async fn watchlist_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(batch): Json<WatchBatch>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<WatchReport>)> {
    let report = add_entries(&state, &ctx, &batch.entries).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(report)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RemoveQuery {
    /// Why the entry comes off the list (kept in the audit log).
    pub reason: Option<String>,
}

pub(super) async fn watchlist_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    crate::http::json::Query(q): crate::http::json::Query<RemoveQuery>,
) -> ApiResult<axum::http::StatusCode> {
    remove_entry(&state, &ctx, id, q.reason.as_deref().unwrap_or_default()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Takes an entry off the list, in the store and in the running engine.
pub async fn remove_entry(state: &AppState, ctx: &Ctx, id: i64, reason: &str) -> ApiResult<()> {
    if reason.chars().count() > 200 {
        return Err(refuse("reason", Rule::TooLong(200)));
    }
    let mut w = state.db.write().await?;
    let entry = w.watchlist_remove(&ctx.actor(), id, reason.trim()).await?;
    w.commit().await?;
    state.fraud.service.unlisted(&entry.kind, &entry.value)?;
    Ok(())
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RulesDto {
    pub version: String,
    pub levels: [u32; 3],
    pub score_window_minutes: i64,
    pub dedup_window_minutes: i64,
    pub rules: Vec<RuleDto>,
    /// The TOML the set was loaded from.
    pub source: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleDto {
    pub id: String,
    pub name: String,
    pub typology: String,
    pub score: u32,
    pub kind: String,
}

pub fn rules_dto(state: &AppState) -> ApiResult<RulesDto> {
    let set = state.fraud.service.rules()?;
    Ok(RulesDto {
        version: set.version.clone(),
        levels: set.levels,
        score_window_minutes: set.score_window / 60,
        dedup_window_minutes: set.dedup_window / 60,
        rules: set
            .rules
            .iter()
            .map(|r| RuleDto {
                id: r.id.clone(),
                name: r.name.clone(),
                typology: r.typology.clone(),
                score: r.score,
                kind: match r.logic {
                    ningan_fraud::Logic::Single(_) => "single",
                    ningan_fraud::Logic::Count { .. } => "count",
                    ningan_fraud::Logic::Sequence { .. } => "sequence",
                }
                .into(),
            })
            .collect(),
        source: state.fraud.service.rules_source(),
    })
}

pub(super) async fn rules(State(state): State<AppState>) -> ApiResult<axum::Json<RulesDto>> {
    Ok(axum::Json(rules_dto(&state)?))
}

/// Replaces the rule set with the TOML body; windows and warnings in progress are kept.
pub(super) async fn rules_replace(
    State(state): State<AppState>,
    ctx: Ctx,
    body: String,
) -> ApiResult<axum::Json<RulesDto>> {
    Ok(axum::Json(replace_rules(&state, &ctx, &body, "").await?))
}

fn rule_error(e: ningan_fraud::RuleError) -> FraudError {
    let (zh, en) = crate::http::error::split_bilingual(&e.message);
    FraudError::Rules { line: e.line, zh: zh.into(), en: en.into() }
}

/// Validates and puts a rule set in force, for the API and the page alike: the text is kept
/// as a new version with the reason given (to compare, and to put back) and the replacement
/// is audited.
pub async fn replace_rules(state: &AppState, ctx: &Ctx, source: &str, reason: &str) -> ApiResult<RulesDto> {
    state.fraud.service.ensure_loaded(&state.db).await?;
    let set = state.fraud.service.replace_rules(source).map_err(rule_error)?;
    let reason = reason.trim();
    let mut w = state.db.write().await?;
    w.fraud_rule_version_insert(&ctx.actor(), &set.version, source, set.rules.len() as i64, reason).await?;
    let detail = format!("rule set {} with {} rules", set.version, set.rules.len());
    let reason = Some(reason).filter(|r| !r.is_empty());
    w.audit(ctx.actor().audit("fraud.rules", "fraud_rules", &set.version, None, reason, &detail)).await?;
    w.commit().await?;
    rules_dto(state)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleVersionDto {
    pub id: i64,
    pub version: String,
    pub rules: i64,
    pub created_by: String,
    pub created_at: String,
    pub reason: String,
    pub source: String,
}

impl From<ningan_store::RuleVersion> for RuleVersionDto {
    fn from(v: ningan_store::RuleVersion) -> Self {
        RuleVersionDto {
            id: v.id,
            version: v.version,
            rules: v.rules,
            created_by: v.created_by,
            created_at: ts(v.created_at),
            reason: v.reason,
            source: v.source,
        }
    }
}

pub(super) async fn rule_versions(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<RuleVersionDto>>> {
    let page = state.db.fraud_rule_versions(PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, RuleVersionDto::from)))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct CompareQuery {
    /// The version to compare with; the one in force before it when absent.
    pub against: Option<i64>,
}

/// One line of a comparison: `-` only in the other version, `+` only in this one, ` ` both.
#[derive(Debug, Serialize, JsonSchema, PartialEq, Eq)]
pub struct DiffLineDto {
    pub mark: String,
    pub line: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleVersionCompareDto {
    pub version: RuleVersionDto,
    pub against: Option<RuleVersionDto>,
    pub diff: Vec<DiffLineDto>,
}

/// A version and the other one it is compared with: `against`, or the one before it.
pub async fn version_pair(
    state: &AppState,
    id: i64,
    against: Option<i64>,
) -> ApiResult<(ningan_store::RuleVersion, Option<ningan_store::RuleVersion>)> {
    Ok(match against {
        Some(other) => {
            let one = state.db.fraud_rule_version(id).await?;
            let other = state.db.fraud_rule_version(other).await.map_err(|e| match e {
                ningan_store::StoreError::NotFound => {
                    refuse("against", Rule::other("没有这个规则版本", "no such rule version"))
                }
                e => e.into(),
            })?;
            (one, Some(other))
        }
        None => state.db.fraud_rule_version_pair(id).await?,
    })
}

pub(super) async fn rule_version(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> ApiResult<axum::Json<RuleVersionCompareDto>> {
    let (one, other) = version_pair(&state, id, q.against).await?;
    let diff = super::pages::line_diff(other.as_ref().map_or("", |o| o.source.as_str()), &one.source)
        .into_iter()
        .map(|(mark, line)| DiffLineDto { mark: mark.to_string(), line })
        .collect();
    Ok(axum::Json(RuleVersionCompareDto { version: one.into(), against: other.map(Into::into), diff }))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RestoreRequest {
    /// Why the earlier version goes back in force; kept with the new version and audited.
    #[schemars(length(min = 2, max = 200))]
    pub reason: String,
}

/// Puts a recorded version back in force, as a new version that says which one it restores.
pub async fn restore_rules(state: &AppState, ctx: &Ctx, id: i64, reason: &str) -> ApiResult<RulesDto> {
    let reason = reason.trim();
    if !(2..=200).contains(&reason.chars().count()) {
        return Err(refuse("reason", Rule::Reason(2, 200)));
    }
    let old = state.db.fraud_rule_version(id).await?;
    let reason = format!("{reason}（恢复第{id}号记录 {} / restores record {id}, {}）", old.version, old.version);
    replace_rules(state, ctx, &old.source, &reason).await
}

pub(super) async fn rules_restore(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<RestoreRequest>,
) -> ApiResult<axum::Json<RulesDto>> {
    Ok(axum::Json(restore_rules(&state, &ctx, id, &req.reason).await?))
}

fn default_backtest_days() -> i64 {
    7
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BacktestRequest {
    /// The draft rule set, TOML as `PUT /api/fraud/rules` takes it.
    #[schemars(length(min = 1))]
    pub rules: String,
    /// How many days back from now to replay, 1 to 30.
    #[serde(default = "default_backtest_days")]
    #[schemars(range(min = 1, max = 30))]
    pub days: i64,
}

/// Warnings by level.
#[derive(Debug, Default, Serialize, JsonSchema, PartialEq, Eq)]
pub struct LevelsDto {
    pub low: i64,
    pub medium: i64,
    pub high: i64,
}

impl LevelsDto {
    fn of(by: ningan_fraud::backtest::ByLevel) -> LevelsDto {
        LevelsDto { low: by[0] as i64, medium: by[1] as i64, high: by[2] as i64 }
    }

    pub fn total(&self) -> i64 {
        self.low + self.medium + self.high
    }
}

/// A person the draft judges differently from the rules in force, by the signal that first
/// raised a warning under either (the person stays pseudonymous).
#[derive(Debug, Serialize, JsonSchema)]
pub struct DifferenceDto {
    pub signal_id: String,
    /// The highest level each set would have warned at; none when it would not have warned.
    pub draft: Option<String>,
    pub live: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BacktestDto {
    pub days: i64,
    pub since: String,
    pub draft_version: String,
    pub live_version: String,
    /// Signals of the period scored.
    pub signals: i64,
    /// The period held more signals than one backtest scores; only the first were.
    pub truncated: bool,
    /// Warnings each set would have raised, replayed from the same start.
    pub draft: LevelsDto,
    pub live: LevelsDto,
    /// Warnings actually raised in the period (by the sets then in force, live as they came).
    pub raised: LevelsDto,
    pub draft_persons: i64,
    pub live_persons: i64,
    pub only_draft: i64,
    pub only_live: i64,
    pub both: i64,
    /// Warned under both, at a different highest level.
    pub level_changed: i64,
    /// Up to 20 of the people judged differently.
    pub differences: Vec<DifferenceDto>,
    /// Cases in the period whose victim is a known subject, and of them those each set had
    /// warned before the case occurred.
    pub cases: i64,
    pub draft_caught: i64,
    pub live_caught: i64,
}

/// Replays the period under a draft without putting it in force; audited.
pub async fn backtest(state: &AppState, ctx: &Ctx, req: &BacktestRequest) -> ApiResult<BacktestDto> {
    if !(1..=30).contains(&req.days) {
        return Err(refuse("days", Rule::Range(1, 30)));
    }
    let draft = ningan_fraud::RuleSet::from_toml(&req.rules).map_err(rule_error)?;
    let live_version = state.fraud.service.rules()?.version;
    let draft_version = draft.version.clone();
    let done = state.fraud.service.backtest(&state.db, draft, req.days).await?;
    let r = &done.report;
    let mut raised = LevelsDto::default();
    for (level, n) in &done.raised {
        match level.as_str() {
            "low" => raised.low += n,
            "medium" => raised.medium += n,
            "high" => raised.high += n,
            _ => {}
        }
    }
    let detail = format!(
        "backtest of {draft_version} against {live_version} over {} days: {} signals, {} / {} warnings",
        req.days,
        r.signals,
        r.draft.iter().sum::<u64>(),
        r.live.iter().sum::<u64>()
    );
    let mut w = state.db.write().await?;
    w.audit(ctx.actor().audit("fraud.backtest", "fraud_rules", &draft_version, None, None, &detail)).await?;
    w.commit().await?;
    let level = |l: Option<ningan_fraud::Level>| l.map(|l| l.as_str().to_string());
    Ok(BacktestDto {
        days: req.days,
        since: ts(done.since_ms),
        draft_version,
        live_version,
        signals: r.signals as i64,
        truncated: done.truncated,
        draft: LevelsDto::of(r.draft),
        live: LevelsDto::of(r.live),
        raised,
        draft_persons: r.draft_persons as i64,
        live_persons: r.live_persons as i64,
        only_draft: r.only_draft as i64,
        only_live: r.only_live as i64,
        both: r.both as i64,
        level_changed: r.level_changed as i64,
        differences: r
            .sample
            .iter()
            .map(|d| DifferenceDto { signal_id: d.signal.clone(), draft: level(d.draft), live: level(d.live) })
            .collect(),
        cases: r.cases as i64,
        draft_caught: r.draft_caught as i64,
        live_caught: r.live_caught as i64,
    })
}

pub(super) async fn rules_backtest(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<BacktestRequest>,
) -> ApiResult<axum::Json<BacktestDto>> {
    Ok(axum::Json(backtest(&state, &ctx, &req).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CaseDto {
    pub id: i64,
    pub subject_id: Option<i64>,
    pub occurred_at: String,
    pub amount: f64,
    pub typology: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub report_id: Option<i64>,
    pub note: String,
    /// 劝阻后发案
    pub after_dissuasion: bool,
    /// 预警未劝阻发案
    pub warned_not_dissuaded: bool,
    /// `filed` (立案), `investigating` (侦查中) or `solved` (破案).
    #[schemars(extend("enum" = ningan_store::CASE_STAGES))]
    pub stage: String,
    pub stage_zh: String,
    pub solved_at: Option<String>,
}

/// What a case stage may be, as a refusal names it.
pub fn stages_rule() -> Rule {
    Rule::one_of("filed（已立案）、investigating（侦查中）或 solved（已破案）", &ningan_store::CASE_STAGES)
}

/// A case stage's Chinese name.
pub fn stage_zh(stage: &str) -> &'static str {
    match stage {
        "filed" => "已立案",
        "investigating" => "侦查中",
        "solved" => "已破案",
        _ => "",
    }
}

impl From<FraudCase> for CaseDto {
    fn from(c: FraudCase) -> Self {
        CaseDto {
            id: c.id,
            subject_id: c.subject_id,
            occurred_at: ts(c.occurred_at),
            amount: c.amount_fen as f64 / 100.0,
            typology: c.typology,
            unit_id: c.unit_id,
            unit_name: c.unit_name,
            report_id: c.report_id,
            note: c.note,
            after_dissuasion: c.after_dissuasion,
            warned_not_dissuaded: c.warned_not_dissuaded,
            stage_zh: stage_zh(&c.stage).into(),
            stage: c.stage,
            solved_at: c.solved_at.map(ts),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CaseStageRequest {
    /// Where the case moves: `investigating` or `solved`; a case only moves forward.
    #[schemars(extend("enum" = ["investigating", "solved"]))]
    pub stage: String,
    /// When it was solved; now when absent. Only with `solved`.
    #[serde(default)]
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub solved_at: Option<String>,
}

/// Moves a case in the caller's scope forward: under investigation, or solved on a day not
/// in the future nor before the case occurred.
pub async fn case_stage(state: &AppState, ctx: &Ctx, id: i64, req: &CaseStageRequest) -> ApiResult<()> {
    let stage = req.stage.trim();
    if !["investigating", "solved"].contains(&stage) {
        return Err(refuse(
            "stage",
            Rule::one_of("investigating（侦查中）或 solved（已破案）", &["investigating", "solved"]),
        ));
    }
    let solved_at = match req.solved_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(_) if stage != "solved" => {
            return Err(refuse(
                "solved_at",
                Rule::other("只有破案时填写破案时间", "a solved time goes with a solved case"),
            ));
        }
        Some(s) => {
            let at = parse_time_ms("solved_at", s)?;
            if at > ningan_core::time::now_ms() + 300_000 {
                return Err(refuse("solved_at", Rule::Future));
            }
            Some(at)
        }
        None => None,
    };
    let mut w = state.db.write().await?;
    w.fraud_case_stage(&ctx.actor(), &ctx.scope(), id, stage, solved_at).await.map_err(|e| match e {
        ningan_store::StoreError::Conflict(_) => ApiError::from(FraudError::StageBehind),
        // The stage is checked above, so the store's only other refusal is the solved time.
        ningan_store::StoreError::Invalid(_) => {
            refuse("solved_at", Rule::other("破案时间不能早于发案时间", "a case is not solved before it occurred"))
        }
        e => e.into(),
    })?;
    w.commit().await?;
    Ok(())
}

pub(super) async fn case_stage_set(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<CaseStageRequest>,
) -> ApiResult<axum::http::StatusCode> {
    case_stage(&state, &ctx, id, &req).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// Reports only.
    #[schemars(extend("enum" = REPORT_STATUSES))]
    pub status: Option<String>,
    /// Cases only: `filed`, `investigating` or `solved`.
    #[schemars(extend("enum" = ningan_store::CASE_STAGES))]
    pub stage: Option<String>,
}

pub(super) async fn cases(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<CaseDto>>> {
    let stage = match q.stage.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if ningan_store::CASE_STAGES.contains(&s) => Some(s),
        Some(_) => return Err(refuse("stage", stages_rule())),
        None => None,
    };
    let page = state.db.fraud_cases(&ctx.scope(), stage, PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, CaseDto::from)))
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct NewCaseRequest {
    /// The victim's phone, linking the case to earlier warnings; absent for an unknown victim.
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_OR_BLANK_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub phone: Option<String>,
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub occurred_at: String,
    /// Yuan lost.
    #[schemars(range(min = 0.0, max = 100_000_000.0))]
    pub amount: f64,
    #[schemars(length(min = 1, max = 50), regex(pattern = r"\S"))]
    pub typology: String,
    /// The station filing it, when there is no victim number to route by.
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub note: String,
}

pub async fn new_case(
    state: &AppState,
    ctx: &Ctx,
    req: &NewCaseRequest,
    report_id: Option<i64>,
) -> ApiResult<NewFraudCase> {
    let occurred_at = parse_time_ms("occurred_at", &req.occurred_at)?;
    if occurred_at > ningan_core::time::now_ms() + 300_000 {
        return Err(refuse("occurred_at", Rule::Future));
    }
    let amount_fen = ningan_fraud::amount_fen(req.amount).map_err(|e| ApiError::field_from("amount", e))?;
    let typology = req.typology.trim();
    if typology.is_empty() || typology.chars().count() > 50 {
        return Err(refuse("typology", Rule::RequiredUpTo(50)));
    }
    let subject = match req.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => {
            let phone = ningan_fraud::normalize::phone(p).map_err(|e| ApiError::field_from("phone", e))?;
            Some(state.fraud.service.subject(&state.db, &phone).await?)
        }
        None => None,
    };
    let (unit_id, unit_path) = match (&subject, req.unit_id) {
        (_, Some(id)) => {
            let u = state.db.unit_get(&ctx.scope(), id).await.map_err(|_| refuse("unit_id", Rule::NotInScope))?;
            (u.id, u.path)
        }
        (Some(s), None) => (s.unit_id, s.unit_path.clone()),
        (None, None) => (ctx.unit.id, ctx.unit.path.clone()),
    };
    Ok(NewFraudCase {
        subject,
        occurred_at,
        amount_fen,
        typology: typology.into(),
        unit_id,
        unit_path,
        report_id,
        note: req.note.trim().chars().take(500).collect(),
    })
}

/// The id of what was just recorded.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedId {
    pub id: i64,
}

pub(super) async fn case_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewCaseRequest>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<CreatedId>)> {
    let case = new_case(&state, &ctx, &req, None).await?;
    let mut w = state.db.write().await?;
    let id = w.fraud_case_add(&ctx.actor(), &case).await?;
    w.commit().await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(CreatedId { id })))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportDto {
    pub id: i64,
    /// The reporter's number, masked.
    pub phone: String,
    pub identifier_kind: Option<String>,
    pub identifier: Option<String>,
    pub description: String,
    pub amount: f64,
    pub status: String,
    pub signal_id: Option<String>,
    pub review_note: Option<String>,
    pub created_at: String,
}

impl From<Report> for ReportDto {
    fn from(r: Report) -> Self {
        ReportDto {
            id: r.id,
            phone: ningan_core::phone::mask_phone_str(r.phone.strip_prefix("+86").unwrap_or(&r.phone)),
            identifier_kind: r.identifier_kind,
            identifier: r.identifier,
            description: r.description,
            amount: r.amount_fen as f64 / 100.0,
            status: r.status,
            signal_id: r.signal_id,
            review_note: r.review_note,
            created_at: ts(r.created_at),
        }
    }
}

pub(super) async fn reports(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<ReportDto>>> {
    let status = q.status.filter(|s| !s.is_empty());
    if let Some(s) = &status
        && !["pending", "accepted", "rejected"].contains(&s.as_str())
    {
        return Err(refuse("status", Rule::one_of("待审核、已受理或不予受理", REPORT_STATUSES)));
    }
    let page = state.db.fraud_reports(&ctx.scope(), status.as_deref(), PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, ReportDto::from)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReportReviewRequest {
    pub accept: bool,
    #[serde(default)]
    pub note: String,
    /// Required when accepting: files the report as a fraud case.
    pub case: Option<NewCaseRequest>,
}

pub async fn review_report(state: &AppState, ctx: &Ctx, id: i64, req: &ReportReviewRequest) -> ApiResult<Option<i64>> {
    let case = match (req.accept, &req.case) {
        (true, Some(c)) => Some(new_case(state, ctx, c, Some(id)).await?),
        (true, None) => return Err(FraudError::CaseRequired.into()),
        (false, _) => None,
    };
    if !req.accept && req.note.trim().chars().count() < 2 {
        return Err(refuse("note", Rule::Reason(2, 500)));
    }
    let mut w = state.db.write().await?;
    let case_id = w.fraud_report_review(&ctx.actor(), &ctx.scope(), id, case, req.note.trim()).await?;
    w.commit().await?;
    Ok(case_id)
}

pub(super) async fn report_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<ReportReviewRequest>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let case_id = review_report(&state, &ctx, id, &req).await?;
    Ok(axum::Json(serde_json::json!({ "id": id, "case_id": case_id })))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LectureDto {
    pub id: i64,
    pub held_on: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub venue: String,
    pub audience: i64,
    pub topic: String,
}

impl From<Lecture> for LectureDto {
    fn from(l: Lecture) -> Self {
        LectureDto {
            id: l.id,
            held_on: l.held_on,
            unit_id: l.unit_id,
            unit_name: l.unit_name,
            venue: l.venue,
            audience: l.audience,
            topic: l.topic,
        }
    }
}

pub(super) async fn lectures(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<PageDto<LectureDto>>> {
    let page = state.db.fraud_lectures(&ctx.scope(), PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, LectureDto::from)))
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct NewLectureRequest {
    /// YYYY-MM-DD
    #[schemars(extend("format" = "date", "pattern" = crate::http::schema::DATE_PATTERN, "examples" = ["2026-11-20"]))]
    pub held_on: String,
    /// The unit that held it; the caller's unit when absent.
    pub unit_id: Option<i64>,
    #[schemars(length(min = 1, max = 100), regex(pattern = r"\S"))]
    pub venue: String,
    #[schemars(range(min = 1, max = 100_000))]
    pub audience: i64,
    #[schemars(length(min = 1, max = 100), regex(pattern = r"\S"))]
    pub topic: String,
}

pub async fn add_lecture(state: &AppState, ctx: &Ctx, req: &NewLectureRequest) -> ApiResult<i64> {
    let date =
        chrono::NaiveDate::parse_from_str(req.held_on.trim(), "%Y-%m-%d").map_err(|_| refuse("held_on", Rule::Date))?;
    if date > ningan_core::time::today_cst() {
        return Err(refuse("held_on", Rule::Future));
    }
    let venue = req.venue.trim();
    if venue.is_empty() || venue.chars().count() > 100 {
        return Err(refuse("venue", Rule::RequiredUpTo(100)));
    }
    let topic = req.topic.trim();
    if topic.is_empty() || topic.chars().count() > 100 {
        return Err(refuse("topic", Rule::RequiredUpTo(100)));
    }
    if !(1..=100_000).contains(&req.audience) {
        return Err(refuse("audience", Rule::Range(1, 100_000)));
    }
    let unit = match req.unit_id {
        Some(id) => state.db.unit_get(&ctx.scope(), id).await.map_err(|_| refuse("unit_id", Rule::NotInScope))?,
        None => ctx.unit.clone(),
    };
    let mut w = state.db.write().await?;
    let id = w
        .fraud_lecture_add(
            &ctx.actor(),
            &NewLecture {
                held_on: date.format("%Y-%m-%d").to_string(),
                unit_id: unit.id,
                unit_path: unit.path.clone(),
                venue: venue.into(),
                audience: req.audience,
                topic: topic.into(),
            },
        )
        .await?;
    w.commit().await?;
    Ok(id)
}

pub(super) async fn lecture_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewLectureRequest>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<CreatedId>)> {
    let id = add_lecture(&state, &ctx, &req).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(CreatedId { id })))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BoardDto {
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
    pub late_closed: i64,
    pub transfers_pending: i64,
    pub cases_after_dissuasion: i64,
    pub cases_without_dissuasion: i64,
    pub warned_people: i64,
    pub defrauded_after_warning: i64,
    /// Per mille of warned people defrauded afterwards.
    pub fraud_rate_after_warning_permille: i64,
    pub ranking: Vec<RankDto>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RankDto {
    pub unit_id: i64,
    pub unit_name: String,
    pub tasks: i64,
    pub dissuaded: i64,
    pub closed: i64,
    pub on_time: i64,
    pub cases_after_dissuasion: i64,
    /// 0–100.
    pub index: f64,
}

pub fn board_dto(b: &SupervisionBoard, ranking: Vec<UnitRank>) -> BoardDto {
    BoardDto {
        open: b.open,
        overdue: b.overdue,
        escalated: b.escalated,
        late_closed: b.late_closed,
        transfers_pending: b.transfers_pending,
        cases_after_dissuasion: b.cases_after_dissuasion,
        cases_without_dissuasion: b.cases_without_dissuasion,
        warned_people: b.warned_subjects,
        defrauded_after_warning: b.defrauded_after_warning,
        fraud_rate_after_warning_permille: b.fraud_rate_after_warning_permille(),
        ranking: ranking
            .into_iter()
            .map(|r| RankDto {
                unit_id: r.unit_id,
                unit_name: r.unit_name,
                tasks: r.tasks,
                dissuaded: r.dissuaded,
                closed: r.closed,
                on_time: r.on_time,
                cases_after_dissuasion: r.cases_after_dissuasion,
                index: r.index,
            })
            .collect(),
    }
}

pub(super) async fn board(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<BoardDto>> {
    let scope = ctx.scope();
    let b = state.db.fraud_supervision(&scope).await?;
    let ranking = state.db.fraud_unit_ranking(&scope).await?;
    Ok(axum::Json(board_dto(&b, ranking)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FiguresDto {
    /// Distinct people dissuaded at least once (人).
    pub persons_dissuaded: i64,
    /// Dissuasions counted per occurrence (人次), as the bureau's reports count them.
    pub dissuasions: i64,
    pub amount_protected: f64,
    pub money_lost: f64,
    pub warnings_high: i64,
    pub warnings_medium: i64,
    pub warnings_low: i64,
    pub tasks_closed: i64,
    pub tasks_on_time: i64,
    /// Per cent of finished officer tasks finished before their deadline.
    pub timeliness_percent: f64,
    pub lectures: i64,
    pub lecture_audience: i64,
    pub signals: i64,
    pub watchlist: i64,
    pub months: Vec<MonthDto>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MonthDto {
    pub month: String,
    pub cases: i64,
    pub amount: f64,
    /// Change against the month before, per cent; absent when that month had none.
    pub change_percent: Option<f64>,
    /// Cases solved (破案) in the month, and the change against the month before (环比).
    pub solved: i64,
    pub solved_change_percent: Option<f64>,
}

/// Change of `now` against `before`, per cent to one decimal; none when `before` is zero.
fn change_percent(now: i64, before: Option<i64>) -> Option<f64> {
    before.filter(|p| *p > 0).map(|p| ((now - p) as f64 * 1000.0 / p as f64).round() / 10.0)
}

pub fn figures_dto(f: &FraudFigures) -> FiguresDto {
    let months = f
        .cases_by_month
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let prev = i.checked_sub(1).map(|p| &f.cases_by_month[p]);
            MonthDto {
                month: m.month.clone(),
                cases: m.cases,
                amount: m.amount_fen as f64 / 100.0,
                change_percent: change_percent(m.cases, prev.map(|p| p.cases)),
                solved: m.solved,
                solved_change_percent: change_percent(m.solved, prev.map(|p| p.solved)),
            }
        })
        .collect();
    FiguresDto {
        persons_dissuaded: f.persons_dissuaded,
        dissuasions: f.dissuasions,
        amount_protected: f.amount_protected_fen as f64 / 100.0,
        money_lost: f.money_lost_fen as f64 / 100.0,
        warnings_high: f.warnings[0],
        warnings_medium: f.warnings[1],
        warnings_low: f.warnings[2],
        tasks_closed: f.tasks_closed,
        tasks_on_time: f.tasks_on_time,
        timeliness_percent: if f.tasks_closed == 0 {
            0.0
        } else {
            (f.tasks_on_time as f64 * 1000.0 / f.tasks_closed as f64).round() / 10.0
        },
        lectures: f.lectures,
        lecture_audience: f.audience,
        signals: f.signals,
        watchlist: f.watchlist,
        months,
    }
}

pub(super) async fn figures(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<FiguresDto>> {
    Ok(axum::Json(figures_dto(&state.db.fraud_figures(&ctx.scope()).await?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::schema::matching;
    use proptest::prelude::*;

    proptest! {
        // The document promises that a watch-list value matching its kind's pattern is taken:
        // each normaliser accepts everything its pattern describes.
        #[test]
        fn every_value_the_document_allows_for_a_kind_is_normalised(
            phone in matching(PHONE_PATTERN),
            url in matching(URL_PATTERN),
            domain in matching(DOMAIN_PATTERN),
            bank in matching(BANK_ACCOUNT_PATTERN),
            pay in matching(PAY_ACCOUNT_PATTERN),
            app in matching(APP_PATTERN),
        ) {
            for (kind, value) in [
                (EntryKind::Phone, &phone),
                (EntryKind::Url, &url),
                (EntryKind::Domain, &domain),
                (EntryKind::BankAccount, &bank),
                (EntryKind::PayAccount, &pay),
                (EntryKind::App, &app),
            ] {
                prop_assert!(kind.normalize(value).is_ok(), "{:?} {:?}", kind, value);
            }
        }
    }
}
