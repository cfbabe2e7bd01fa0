//! What a case team does, shared by the API, the pages and the demo: open a case, move it
//! through its stages, keep its team, its log, its evidence and its tasks. Who may do what
//! within a case: anyone on the team works in it; its lead and the supervisors of its unit
//! also change its team and its stage.

use ningan_core::Action;
use ningan_core::time::now_ms;
use ningan_store::StoreError;

use super::error::InvestigationError as E;
use super::store::cases::{self, Case, DUTIES, NewCase, STAGES};
use super::store::evidence::{self, Item, KINDS, NewItem};
use super::store::tasks::{self, NewTask};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::principal::Principal;
use crate::http::rule::Rule;

/// The codes of a `(code, 中文, English)` table, as a closed set the document states.
fn codes_of(table: &[(&str, &str, &str)]) -> schemars::Schema {
    crate::http::schema::enum_of(table.iter().map(|t| t.0))
}

fn stages(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    codes_of(&STAGES)
}

fn duties(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    codes_of(&DUTIES)
}

/// The teams a task goes to: every duty but the lead.
fn teams(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    codes_of(&DUTIES[1..])
}

fn evidence_kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    codes_of(&KINDS)
}

pub(super) fn entity_kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    codes_of(&super::store::records::ENTITY_KINDS)
}

fn text(field: &'static str, zh: &str, en: &str, input: &str, min: usize, max: usize) -> ApiResult<String> {
    ningan_core::text::line(input, min, max)
        .map(|t| t.into_string())
        .map_err(|e| crate::modules::residents::text_error(field, zh, en, e))
}

fn paragraph(field: &'static str, input: &str, max: usize) -> ApiResult<String> {
    let t = input.trim();
    if t.chars().count() > max {
        return Err(E::Field(field, Rule::TooLong(max)).into());
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(E::Field(field, Rule::other("含有控制字符", "contains control characters")).into());
    }
    Ok(t.replace("\r\n", "\n"))
}

pub fn user_id(p: &Principal) -> i64 {
    p.user().map(|u| u.id).unwrap_or(0)
}

/// Whether `p` leads case `c` or supervises its unit: the ones who change its team and stage.
pub async fn may_direct(state: &AppState, p: &Principal, c: &Case) -> ApiResult<bool> {
    if p.may(Action::InvestigationSupervise) && p.scope().contains(&c.unit_path) {
        return Ok(true);
    }
    let me = user_id(p);
    Ok(cases::members(&state.db, c.id).await?.iter().any(|m| m.user_id == me && m.duty == "lead"))
}

async fn directed(state: &AppState, p: &Principal, id: i64) -> ApiResult<Case> {
    let c = cases::get(&state.db, id).await?;
    if !may_direct(state, p, &c).await? {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "只有主办民警或督导领导可以调整专案组和案件阶段",
            "only the case's lead or a supervisor changes its team or stage",
        ));
    }
    Ok(c)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct CaseInput {
    #[schemars(schema_with = "crate::http::schema::line_2_80")]
    pub title: String,
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::note_0_2000")]
    pub summary: String,
    /// 故意伤害、诈骗、寻衅滋事、敲诈勒索、非法拘禁、开设赌场…
    #[schemars(schema_with = "crate::http::schema::line_2_20")]
    pub category: String,
    /// An organised-crime case (涉黑涉恶).
    #[serde(default)]
    pub organised: bool,
}

/// Opens a case in the caller's unit with the caller as its lead.
pub async fn open(state: &AppState, p: &Principal, input: &CaseInput) -> ApiResult<(i64, String)> {
    let title = text("title", "案件名称", "title", &input.title, 2, 80)?;
    let category = text("category", "案件类别", "category", &input.category, 2, 20)?;
    let summary = paragraph("summary", &input.summary, 2000)?;
    let lead = user_id(p);
    if lead == 0 {
        return Err(ApiError::plain(ErrorCode::Forbidden));
    }
    let unit = &p.unit;
    let new = NewCase {
        title: &title,
        summary: &summary,
        category: &category,
        organised: input.organised,
        unit_id: unit.id,
        unit_code: &unit.code,
        unit_path: &unit.path,
        lead,
    };
    let mut w = state.db.write().await?;
    let out = cases::insert(&mut w, &p.actor(), &new, now_ms()).await?;
    w.commit().await?;
    Ok(out)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct StageInput {
    /// The next stage: investigating, solved, prosecution or closed (one step at a time).
    #[schemars(schema_with = "stages")]
    pub stage: String,
    #[serde(default)]
    pub note: String,
    /// When solving: the gangs the case broke up (涉黑涉恶 cases).
    #[serde(default)]
    #[schemars(range(min = 0, max = 100))]
    pub gangs_broken: Option<i64>,
}

pub async fn set_stage(state: &AppState, p: &Principal, id: i64, input: &StageInput) -> ApiResult<()> {
    let c = directed(state, p, id).await?;
    if !STAGES.iter().any(|s| s.0 == input.stage) {
        let codes = STAGES.iter().map(|s| s.0).collect::<Vec<_>>().join(", ");
        let zh = STAGES.iter().map(|s| s.1).collect::<Vec<_>>().join("、");
        return Err(E::Field("stage", Rule::OneOf { zh: zh.into(), codes: codes.into() }).into());
    }
    if cases::next_stage(&c.stage) != Some(input.stage.as_str()) {
        let next = cases::next_stage(&c.stage);
        let rule = Rule::context(
            format!(
                "案件现处于“{}”，下一阶段为“{}”",
                cases::stage_label(&c.stage, false),
                next.map(|n| cases::stage_label(n, false)).unwrap_or("无")
            ),
            format!(
                "the case is {}; its next stage is {}",
                cases::stage_label(&c.stage, true),
                next.map(|n| cases::stage_label(n, true)).unwrap_or("none")
            ),
        );
        return Err(E::Field("stage", rule).into());
    }
    let gangs = match input.gangs_broken {
        Some(g) if !(0..=100).contains(&g) => return Err(E::Field("gangs_broken", Rule::Range(0, 100)).into()),
        Some(_) if input.stage != "solved" => {
            let rule = Rule::context("打掉团伙数在破案时填写", "gangs broken are recorded when the case is solved");
            return Err(E::Field("gangs_broken", rule).into());
        }
        Some(_) if !c.organised => {
            let rule =
                Rule::context("只有涉黑涉恶案件记录打掉团伙数", "only organised-crime cases record gangs broken");
            return Err(E::Field("gangs_broken", rule).into());
        }
        g => g,
    };
    let note = paragraph("note", &input.note, 500)?;
    let mut w = state.db.write().await?;
    cases::set_stage(&mut w, &p.actor(), id, &input.stage, gangs, &note, now_ms()).await?;
    w.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct MemberInput {
    /// An officer's account holding the investigator's rights (any unit: synthesized teams
    /// cross units).
    pub user_id: i64,
    /// analysis, technical or field (lead for a second lead).
    #[schemars(schema_with = "duties")]
    pub duty: String,
}

pub async fn add_member(state: &AppState, p: &Principal, id: i64, input: &MemberInput) -> ApiResult<()> {
    directed(state, p, id).await?;
    if !DUTIES.iter().any(|d| d.0 == input.duty) {
        let codes = DUTIES.iter().map(|s| s.0).collect::<Vec<_>>().join(", ");
        let zh = DUTIES.iter().map(|s| s.1).collect::<Vec<_>>().join("、");
        return Err(E::Field("duty", Rule::OneOf { zh: zh.into(), codes: codes.into() }).into());
    }
    let officer = match state.db.user_by_id(input.user_id).await {
        Ok(u) => u,
        Err(StoreError::NotFound) => return Err(E::Field("user_id", Rule::NotInScope).into()),
        Err(e) => return Err(e.into()),
    };
    if officer.disabled || !ningan_core::access::roles_grant(&officer.roles, Action::InvestigationWork) {
        let rule = Rule::context("只能加入在岗的侦查员", "only serving investigators join a case team");
        return Err(E::Field("user_id", rule).into());
    }
    let mut w = state.db.write().await?;
    let now = now_ms();
    cases::member_add(&mut w, &p.actor(), id, officer.id, &input.duty, now).await?;
    let text =
        format!("加入专案组 / joined the team: {} ({})", officer.display_name, cases::duty_label(&input.duty, false));
    cases::log(&mut w, &p.actor(), id, "member", &text, now).await?;
    w.commit().await?;
    Ok(())
}

pub async fn remove_member(state: &AppState, p: &Principal, id: i64, user: i64) -> ApiResult<()> {
    directed(state, p, id).await?;
    let members = cases::members(&state.db, id).await?;
    let leads = members.iter().filter(|m| m.duty == "lead").count();
    match members.iter().find(|m| m.user_id == user) {
        None => return Err(ApiError::plain(ErrorCode::NotFound)),
        Some(m) if m.duty == "lead" && leads == 1 => {
            return Err(ApiError::new(ErrorCode::Conflict, "案件须有一名主办民警", "a case keeps one lead at least"));
        }
        Some(_) => {}
    }
    let mut w = state.db.write().await?;
    let now = now_ms();
    cases::member_remove(&mut w, &p.actor(), id, user).await?;
    cases::log(&mut w, &p.actor(), id, "member", &format!("移出专案组 / left the team: user {user}"), now).await?;
    w.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct NoteInput {
    #[schemars(length(min = 2, max = 2000), regex(pattern = r"\S[\s\S]*\S"))]
    pub text: String,
}

pub async fn note(state: &AppState, p: &Principal, id: i64, input: &NoteInput) -> ApiResult<i64> {
    let t = paragraph("text", &input.text, 2000)?;
    if t.chars().count() < 2 {
        return Err(E::Field("text", Rule::Length(2, 2000)).into());
    }
    let mut w = state.db.write().await?;
    let out = cases::log(&mut w, &p.actor(), id, "note", &t, now_ms()).await?;
    w.audit(p.actor().audit("investigation.log.note", "inv_case", id, None, None, "")).await?;
    w.commit().await?;
    Ok(out)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct EvidenceInput {
    /// document, physical, electronic, testimony, statement or record.
    #[schemars(schema_with = "evidence_kinds")]
    pub kind: String,
    #[schemars(schema_with = "crate::http::schema::line_2_80")]
    pub title: String,
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::note_0_5000")]
    pub body: String,
    /// Where it came from: seized at, extracted from, taken by.
    #[schemars(schema_with = "crate::http::schema::line_2_120")]
    pub source: String,
    /// The item this one corrects (filed items are never changed).
    #[serde(default)]
    pub corrects: Option<i64>,
}

pub async fn file_evidence(state: &AppState, p: &Principal, id: i64, input: &EvidenceInput) -> ApiResult<Item> {
    if !KINDS.iter().any(|k| k.0 == input.kind) {
        let codes = KINDS.iter().map(|s| s.0).collect::<Vec<_>>().join(", ");
        let zh = KINDS.iter().map(|s| s.1).collect::<Vec<_>>().join("、");
        return Err(E::Field("kind", Rule::OneOf { zh: zh.into(), codes: codes.into() }).into());
    }
    let title = text("title", "证据名称", "title", &input.title, 2, 80)?;
    let source = text("source", "来源", "source", &input.source, 2, 120)?;
    let body = paragraph("body", &input.body, 5000)?;
    let new = NewItem { kind: &input.kind, title: &title, body: &body, source: &source, corrects: input.corrects };
    let mut w = state.db.write().await?;
    let item = evidence::file(&mut w, &p.actor(), id, &new, now_ms()).await.map_err(|e| match e {
        StoreError::NotFound => E::Field("corrects", Rule::NotInScope).into(),
        other => ApiError::from(other),
    })?;
    w.commit().await?;
    Ok(item)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct TaskInput {
    /// analysis, technical or field.
    #[schemars(schema_with = "teams")]
    pub team: String,
    #[schemars(schema_with = "crate::http::schema::line_2_80")]
    pub title: String,
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::note_0_2000")]
    pub detail: String,
    /// A member of the case team, if the task is for one officer.
    #[serde(default)]
    pub assignee: Option<i64>,
    /// YYYY-MM-DD (China time), today or later.
    #[schemars(extend("format" = "date", "pattern" = crate::http::schema::DATE_PATTERN, "examples" = ["2099-12-31"]))]
    pub due: String,
}

pub async fn add_task(state: &AppState, p: &Principal, id: i64, input: &TaskInput) -> ApiResult<i64> {
    if !DUTIES[1..].iter().any(|d| d.0 == input.team) {
        let codes = DUTIES[1..].iter().map(|s| s.0).collect::<Vec<_>>().join(", ");
        let zh = DUTIES[1..].iter().map(|s| s.1).collect::<Vec<_>>().join("、");
        return Err(E::Field("team", Rule::OneOf { zh: zh.into(), codes: codes.into() }).into());
    }
    let title = text("title", "任务", "task", &input.title, 2, 80)?;
    let detail = paragraph("detail", &input.detail, 2000)?;
    let due =
        chrono::NaiveDate::parse_from_str(input.due.trim(), "%Y-%m-%d").map_err(|_| E::Field("due", Rule::Date))?;
    let due_at = day_end_ms(due);
    if due_at < now_ms() {
        return Err(E::Field("due", Rule::context("期限不能早于今天", "the deadline is today or later")).into());
    }
    if let Some(a) = input.assignee
        && !cases::members(&state.db, id).await?.iter().any(|m| m.user_id == a)
    {
        return Err(E::Field("assignee", Rule::context("须为专案组成员", "must be on the case team")).into());
    }
    let new = NewTask { team: &input.team, title: &title, detail: &detail, assignee: input.assignee, due_at };
    let mut w = state.db.write().await?;
    let out = tasks::insert(&mut w, &p.actor(), id, &new, now_ms()).await?;
    w.commit().await?;
    Ok(out)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct TaskDoneInput {
    pub result: String,
}

pub async fn finish_task(state: &AppState, p: &Principal, id: i64, task: i64, input: &TaskDoneInput) -> ApiResult<()> {
    tasks::get(&state.db, id, task).await?;
    let result = text("result", "办理结果", "result", &input.result, 2, 500)?;
    let mut w = state.db.write().await?;
    tasks::finish(&mut w, &p.actor(), id, task, &result, now_ms()).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::new(ErrorCode::Conflict, "任务已办结", "the task is done already"),
        other => other.into(),
    })?;
    w.commit().await?;
    Ok(())
}

/// The last millisecond of `day` in China time: a deadline runs to the day's end.
pub fn day_end_ms(day: chrono::NaiveDate) -> i64 {
    use chrono::TimeZone as _;
    let end = day.and_hms_milli_opt(23, 59, 59, 999).unwrap_or_default();
    ningan_core::time::cst().from_local_datetime(&end).single().map(|t| t.timestamp_millis()).unwrap_or(i64::MAX)
}

/// Adds an entity by hand (a vehicle seen, an address, an organisation, a person), checked
/// by its kind, tied to the person it belongs to when given.
pub async fn add_entity(state: &AppState, p: &Principal, id: i64, input: &super::api::EntityInput) -> ApiResult<i64> {
    use super::store::records::{self, ENTITY_KINDS};
    if !ENTITY_KINDS.iter().any(|k| k.0 == input.kind) {
        let codes = ENTITY_KINDS.iter().map(|s| s.0).collect::<Vec<_>>().join(", ");
        let zh = ENTITY_KINDS.iter().map(|s| s.1).collect::<Vec<_>>().join("、");
        return Err(E::Field("kind", Rule::OneOf { zh: zh.into(), codes: codes.into() }).into());
    }
    // The key's form depends on the kind: a rule of two fields together.
    let bad = |zh: String, en: String| -> ApiError { E::Field("key", Rule::context(zh, en)).into() };
    let raw = input.key.trim();
    let key = match input.kind.as_str() {
        "person" => ningan_core::idnumber::IdNumber::parse(raw, ningan_core::time::today_cst())
            .map(|i| i.as_str().to_string())
            .map_err(|e| bad(e.to_string(), e.to_string()))?,
        "phone" => ningan_core::phone::Phone::parse(raw)
            .map(|x| x.as_str().to_string())
            .map_err(|e| bad(e.to_string(), e.to_string()))?,
        "account" => {
            let c: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
            if !(8..=30).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("账号应为8–30位数字".into(), "an account has 8 to 30 digits".into()));
            }
            c
        }
        "vehicle" => {
            let plate: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
            let n = plate.chars().count();
            let first_is_han = plate.chars().next().is_some_and(|c| !c.is_ascii());
            if !(7..=8).contains(&n) || !first_is_han || !plate.chars().skip(1).all(|c| c.is_ascii_alphanumeric()) {
                return Err(bad(
                    "车牌应为省份简称加6–7位字母数字，如浙B12345".into(),
                    "a plate is a province character and 6 or 7 letters or digits, e.g. 浙B12345".into(),
                ));
            }
            plate
        }
        _ => text("key", "名称或地址", "name or address", raw, 2, 120)?,
    };
    let holder = match input.holder {
        None => None,
        Some(h) => {
            let found = records::entities_by_id(&state.db, id, &[h]).await?;
            if !found.iter().any(|e| e.kind == "person") {
                return Err(E::Field("holder", Rule::context("须为本案的人员", "must be a person of this case")).into());
            }
            Some(h)
        }
    };
    let resident = if input.kind == "person" {
        state.db.resident_by_id_number(&ningan_store::Scope::everything(), &key).await?
    } else {
        None
    };
    let mut w = state.db.write().await?;
    let eid = records::entity_upsert(&mut w, id, &input.kind, &key, holder, resident).await?;
    let shown = records::mask_key(&input.kind, &key);
    let label = records::entity_kind_label(&input.kind, false);
    cases::log(&mut w, &p.actor(), id, "entity", &format!("添加对象 / entity added: {label} {shown}"), now_ms())
        .await?;
    w.audit(p.actor().audit("investigation.entity.add", "inv_case", id, resident, None, &input.kind)).await?;
    w.commit().await?;
    Ok(eid)
}
