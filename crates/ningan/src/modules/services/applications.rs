//! Applications: filed by the citizen on the portal or by a clerk at any station, handled by
//! the station they are routed to (the applicant's household station, or for 全城通办 items
//! the station that took them or the citizen chose), worked submitted → accepted → approved or
//! rejected within the item's time limit, every step on a timeline the citizen follows.

use std::collections::BTreeMap;

use axum::extract::State;
use ningan_store::{
    Application, ApplicationEvent, ApplicationQuery, ApplicationSort, NewApplication, PageRequest, ServiceItem,
    UnitKind, application_status_zh,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::{ServicesError, refuse};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

/// The orders the application list takes.
const APPLICATION_SORTS: &[&str] = &["created", "-created", "deadline", "-deadline"];

/// An application's states, as the list filters them.
const APPLICATION_STATUSES: &[&str] = &["submitted", "accepted", "approved", "rejected"];
/// What an officer may decide on an application.
const DECISIONS: &[&str] = &["accepted", "approved", "rejected"];

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationDto {
    pub id: i64,
    /// The number the citizen quotes.
    pub no: String,
    pub item_code: String,
    pub item_name: String,
    pub resident_id: i64,
    pub applicant: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_name_en: String,
    /// portal | counter
    pub channel: String,
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    pub details: BTreeMap<String, String>,
    /// The item's version it was filed under.
    pub item_version: i64,
    pub deadline: String,
    pub overdue: bool,
    pub decision_note: Option<String>,
    pub decided_at: Option<String>,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    /// A poor rating (1 or 2) is answered by the station by then.
    pub reply_due: Option<String>,
    /// The answer is past its deadline and not given.
    pub reply_overdue: bool,
    /// The station's answer to a poor rating, which the citizen reads.
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    pub created_at: String,
}

impl ApplicationDto {
    pub fn from_app(a: Application, now: i64) -> ApplicationDto {
        ApplicationDto {
            overdue: !a.is_final() && a.deadline < now,
            status_zh: application_status_zh(&a.status).into(),
            status_en: ningan_core::labels::en(ningan_core::labels::APPLICATION_STATUS, &a.status).into(),
            details: serde_json::from_str::<BTreeMap<String, String>>(&a.details)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| {
                    let v = mask_answer(&v);
                    (k, v)
                })
                .collect(),
            deadline: ts(a.deadline),
            decided_at: a.decided_at.map(ts),
            reply_overdue: a.reply.is_none() && a.reply_due.is_some_and(|d| d < now),
            reply_due: a.reply_due.map(ts),
            replied_at: a.replied_at.map(ts),
            created_at: ts(a.created_at),
            id: a.id,
            no: a.no,
            item_code: a.item_code,
            item_version: a.item_version,
            item_name: a.item_name,
            resident_id: a.resident_id,
            applicant: a.resident_name,
            unit_id: a.unit_id,
            unit_name: a.unit_name,
            unit_name_en: a.unit_name_en,
            channel: a.channel,
            status: a.status,
            decision_note: a.decision_note,
            rating: a.rating,
            rating_comment: a.rating_comment,
            reply: a.reply,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EventDto {
    pub at: String,
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    pub unit_name: String,
    pub note: String,
}

pub fn event_dto(e: ApplicationEvent) -> EventDto {
    EventDto {
        at: ts(e.at),
        status_zh: application_status_zh(&e.status).into(),
        status_en: ningan_core::labels::en(ningan_core::labels::APPLICATION_STATUS, &e.status).into(),
        status: e.status,
        unit_name: e.unit_name,
        note: e.note,
    }
}

/// What an application says, checked against the item's typed fields; stored as JSON.
pub fn check_details(item: &ServiceItem, details: &BTreeMap<String, String>) -> Result<String, ApiError> {
    let answers = super::fields::check_answers(&item.fields, details, ningan_core::time::today_cst())?;
    serde_json::to_string(&answers).map_err(ApiError::internal)
}

/// Files an application for `resident_id`. `station` is where it is handled: for a
/// 全城通办 item any station (the one that took it, or the citizen's choice), otherwise only
/// the applicant's household station.
/// One application as filed, on the portal or at a counter.
pub struct Filing<'a> {
    pub resident_id: i64,
    pub item_code: &'a str,
    pub details: &'a BTreeMap<String, String>,
    pub station: Option<i64>,
    /// portal | counter | crosscity
    pub channel: &'a str,
    /// At the counter: the applicant confirmed with the code sent to their registered phone.
    pub citizen_signed: bool,
    /// The applicant agreed to facts being fetched from other agencies.
    pub consent: bool,
    /// For an application forwarded by another city: (city, its reference, its station).
    pub origin: Option<(&'a str, &'a str, &'a str)>,
}

pub async fn file(state: &AppState, actor: &ningan_store::Actor, filing: Filing<'_>) -> ApiResult<(i64, String)> {
    let Filing { resident_id, item_code, details, station, channel, citizen_signed, consent, origin } = filing;
    let item = match state.db.service_item(item_code).await {
        Ok(i) if i.active => i,
        Ok(_) | Err(ningan_store::StoreError::NotFound) => {
            return Err(ServicesError::NoSuchItem.into());
        }
        Err(e) => return Err(e.into()),
    };
    let details = check_details(&item, details)?;
    let facts = super::exchange::facts_for(state, &item, resident_id).await?;
    if !consent && facts.iter().any(|f| f.verified.is_none()) {
        let zh = "需申请人同意向有关部门核验所需信息";
        let rule =
            Rule::other(zh, "the applicant must consent to the facts being fetched from the agencies that hold them");
        return Err(refuse("consent", rule));
    }
    // An approved identity change is sent to every agency that subscribes to it: that is
    // asking agencies too, so it needs the applicant's consent like a fetched fact.
    if !consent && super::outbox::change_of(&item.code).is_some() {
        let zh = "变更后的身份信息将通知有关部门同步更新，需申请人同意";
        let rule =
            Rule::other(zh, "the changed identity is sent to the agencies that hold it: the applicant must consent");
        return Err(refuse("consent", rule));
    }
    let home = state.db.resident_unit(resident_id).await?;
    let unit_id = match station {
        Some(s) if s != home && !item.citywide => {
            return Err(ServicesError::NotCitywide.into());
        }
        Some(s) => s,
        None => home,
    };
    let unit = state.db.unit_by_id(unit_id).await.map_err(|_| refuse("station", Rule::NotInScope))?;
    if unit.kind != UnitKind::Station {
        return Err(refuse("station", Rule::other("请选择派出所", "choose a police station")));
    }
    let now = ningan_core::time::now_ms();
    let mut w = state.db.write().await?;
    let filed = w
        .application_insert(
            actor,
            &NewApplication {
                prefix: ningan_core::district::other_city(&state.config.crosscity.city).map_or("NB", |c| c.prefix),
                item_id: item.id,
                item_version: item.version,
                resident_id,
                unit_id: unit.id,
                unit_path: unit.path.clone(),
                channel: channel.into(),
                citizen_signed,
                details,
                deadline: now + item.time_limit_days * 86_400_000,
                unit_name: unit.name.clone(),
            },
        )
        .await?;
    w.application_facts_insert(filed.0, &facts, now).await?;
    if let Some((city, reference, unit)) = origin {
        w.crosscity_in_insert(filed.0, city, reference, unit).await?;
    }
    w.commit().await?;
    if facts.iter().any(|f| f.verified.is_none()) {
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = super::exchange::run_once(&state).await {
                tracing::warn!(error = %crate::http::error::cause_chain(&e), "data exchange");
            }
        });
    }
    Ok(filed)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListQuery {
    /// submitted | accepted | approved | rejected
    #[schemars(extend("enum" = APPLICATION_STATUSES))]
    pub status: Option<String>,
    /// Part of the application number, the applicant's name or the item's name.
    pub q: Option<String>,
    /// An item's code.
    pub item: Option<String>,
    /// `true`: only open applications past their deadline.
    pub overdue: Option<bool>,
    /// `true`: only poor ratings (1 or 2) the station has not answered yet.
    pub reply_due: Option<bool>,
    /// created | -created (default) | deadline | -deadline
    #[schemars(extend("enum" = APPLICATION_SORTS))]
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The query a list of applications runs, from the filters as typed (API or page).
pub fn application_query(
    status: Option<String>,
    text: Option<String>,
    item: Option<String>,
    overdue: bool,
    reply_due: bool,
    sort: Option<&str>,
) -> Result<ApplicationQuery, ApiError> {
    let sort = match sort.map(str::trim).unwrap_or("") {
        "" | "-created" => ApplicationSort::Newest,
        "created" => ApplicationSort::Oldest,
        "deadline" => ApplicationSort::Deadline,
        "-deadline" => ApplicationSort::DeadlineLast,
        _ => {
            let zh = "受理时间或办理期限（前加 - 为倒序）";
            return Err(refuse("sort", Rule::one_of(zh, APPLICATION_SORTS)));
        }
    };
    let text = text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > 50) {
        return Err(refuse("q", Rule::TooLong(50)));
    }
    Ok(ApplicationQuery {
        status: status_filter(status)?,
        resident_id: None,
        text,
        item_code: item.filter(|i| !i.trim().is_empty()),
        overdue_only: overdue,
        reply_due_only: reply_due,
        sort,
    })
}

pub fn status_filter(s: Option<String>) -> Result<Option<String>, ApiError> {
    let s = s.filter(|s| !s.is_empty());
    if let Some(v) = &s
        && !ningan_core::labels::APPLICATION_STATUS.iter().any(|x| x.code == v && x.code != "forwarding")
    {
        return Err(refuse("status", Rule::one_of("已提交、已受理、已办结或不予办理", APPLICATION_STATUSES)));
    }
    Ok(s)
}

/// Every list of applications shows applicants: audited under each of them.
pub async fn audit_applications_shown(state: &AppState, ctx: &Ctx, apps: &[Application]) -> ApiResult<()> {
    let ids: Vec<i64> = apps.iter().map(|a| a.id).collect();
    let persons: Vec<i64> = apps.iter().map(|a| a.resident_id).collect();
    crate::http::shown::audit_shown(state, ctx, "application.list", "application", &ids, &persons).await
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<ApplicationDto>>> {
    let query = application_query(
        q.status,
        q.q,
        q.item,
        q.overdue.unwrap_or(false),
        q.reply_due.unwrap_or(false),
        q.sort.as_deref(),
    )?;
    let page = state.db.applications(&ctx.scope(), &query, PageRequest::new(q.page, q.per_page)).await?;
    audit_applications_shown(&state, &ctx, &page.items).await?;
    let now = ningan_core::time::now_ms();
    Ok(axum::Json(PageDto::from_page(page, |a| ApplicationDto::from_app(a, now))))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplicationDetailDto {
    pub application: ApplicationDto,
    pub timeline: Vec<EventDto>,
    /// Identity changes the approval made, with each subscribing agency's status.
    pub changes: Vec<super::outbox::ChangeDto>,
    /// Each fact the item needs: verified by whom and when, or waiting.
    pub facts: Vec<super::exchange::FactView>,
    /// The answers under the labels of the form as it was when filed.
    pub answers: Vec<AnswerDto>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AnswerDto {
    pub key: String,
    pub label: String,
    pub label_en: String,
    pub value: String,
}

/// An answer as shown: an identity number (a deceased's, a child's, a spouse's) or a phone
/// number is masked like the register's, whatever field it was typed into; the application
/// is read by clerks and supervisors who do not need it whole to decide.
pub fn mask_answer(value: &str) -> String {
    let v = value.trim();
    if ningan_core::IdNumber::parse(v, ningan_core::time::today_cst()).is_ok() {
        ningan_core::idnumber::mask_id_str(v)
    } else if ningan_core::phone::Phone::parse(v).is_ok() {
        ningan_core::phone::mask_phone_str(v)
    } else {
        value.to_string()
    }
}

/// The application's answers in the order and with the labels of the form it was filed on
/// (the item's version then); answers the version does not name follow under their keys.
pub async fn answers(state: &AppState, app: &ApplicationDto) -> ApiResult<Vec<AnswerDto>> {
    let fields = match state.db.service_item_version(&app.item_code, app.item_version).await {
        Ok(v) => v.definition.fields,
        Err(ningan_store::StoreError::NotFound) => state.db.service_item(&app.item_code).await?.fields,
        Err(e) => return Err(e.into()),
    };
    let mut out: Vec<AnswerDto> = fields
        .iter()
        .filter_map(|f| {
            let value = app.details.get(&f.key)?;
            let label_en = super::catalogue::english(&f.label).to_string();
            Some(AnswerDto { key: f.key.clone(), label: f.label.clone(), label_en, value: value.clone() })
        })
        .collect();
    for (k, v) in &app.details {
        if !fields.iter().any(|f| &f.key == k) {
            out.push(AnswerDto { key: k.clone(), label: k.clone(), label_en: k.clone(), value: v.clone() });
        }
    }
    Ok(out)
}

pub async fn detail_in_scope(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<ApplicationDetailDto> {
    let app = state.db.application_in_scope(&ctx.scope(), id).await?;
    let timeline = state.db.application_events(app.id).await?.into_iter().map(event_dto).collect();
    let facts = super::exchange::fact_views(state, app.id, true).await?;
    let changes = super::outbox::changes_of(state, app.id).await?;
    let application = ApplicationDto::from_app(app, ningan_core::time::now_ms());
    Ok(ApplicationDetailDto { answers: answers(state, &application).await?, application, timeline, facts, changes })
}

pub(super) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<ApplicationDetailDto>> {
    Ok(axum::Json(detail_in_scope(&state, &ctx, id).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CounterRequest {
    /// The applicant's citizen ID number, read from their card.
    #[schemars(extend("pattern" = crate::http::schema::ID_NUMBER_PATTERN, "format" = "gb11643", "examples" = [crate::http::schema::ID_NUMBER_EXAMPLE]))]
    pub id_number: String,
    pub item: String,
    #[serde(default)]
    pub details: BTreeMap<String, String>,
    /// The applicant agreed, in front of the clerk, to the facts being fetched from the
    /// agencies that hold them.
    #[serde(default)]
    pub consent: bool,
    /// For identity changes: the code the applicant received on their registered phone
    /// (`POST /api/services/counter/code`), read out at the counter as their signature.
    #[serde(default)]
    pub citizen_code: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CounterCodeRequest {
    #[schemars(extend("pattern" = crate::http::schema::ID_NUMBER_PATTERN, "format" = "gb11643", "examples" = [crate::http::schema::ID_NUMBER_EXAMPLE]))]
    pub id_number: String,
}

/// Sends the applicant a code on their registered phone, for them to confirm an identity
/// change filed at the counter. The clerk never sees the phone; the demo shows the code.
pub async fn send_counter_code(state: &AppState, ctx: &Ctx, id_number: &str) -> ApiResult<super::portal::CodeSent> {
    let id = ningan_core::IdNumber::parse(id_number.trim(), ningan_core::time::today_cst())
        .map_err(|e| ApiError::field_from("id_number", e))?;
    let (resident, phone) =
        state.db.resident_phone_by_id_number(id.as_str()).await?.ok_or(ServicesError::Unregistered)?;
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    // The code first: station names may hold digits.
    let text = format!(
        "【宁波公安】确认码{code}：您正在{}窗口申请变更身份信息，请告知窗口民警。如非本人操作，请勿告知他人。",
        ctx.unit.name
    );
    let mut w = state.db.write().await?;
    w.citizen_code_issue(resident, &phone, &super::portal::code_hash(resident, &code), &text).await?;
    w.audit(ctx.actor().audit("application.counter_code", "resident", resident, Some(resident), None, "code sent"))
        .await?;
    w.commit().await?;
    Ok(super::portal::CodeSent {
        message: "确认码已发送至申请人登记手机 / a code was sent to the applicant's registered phone".into(),
        demo_code: state.config.portal.show_codes.then_some(code),
    })
}

pub(super) async fn counter_code(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<CounterCodeRequest>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<super::portal::CodeSent>)> {
    Ok((axum::http::StatusCode::ACCEPTED, axum::Json(send_counter_code(&state, &ctx, &req.id_number).await?)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FiledDto {
    pub id: i64,
    pub no: String,
}

/// A clerk enters an application at the counter; a 全城通办 item stays with this station.
pub(super) async fn counter(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<CounterRequest>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<FiledDto>)> {
    let (id, no) = counter_file(&state, &ctx, &req).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(FiledDto { id, no })))
}

pub async fn counter_file(state: &AppState, ctx: &Ctx, req: &CounterRequest) -> ApiResult<(i64, String)> {
    let id = ningan_core::IdNumber::parse(req.id_number.trim(), ningan_core::time::today_cst())
        .map_err(|e| ApiError::field_from("id_number", e))?;
    let resident = state
        .db
        .resident_by_id_number(&ningan_store::Scope::everything(), id.as_str())
        .await?
        .ok_or(ServicesError::Unregistered)?;
    if ctx.unit.kind != UnitKind::Station {
        return Err(ServicesError::AtStation.into());
    }
    let item = state.db.service_item(&req.item).await.map_err(|_| ServicesError::NoSuchItem)?;
    let station = if item.citywide { Some(ctx.unit.id) } else { None };
    let citizen_signed = match req.citizen_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            let mut w = state.db.write().await?;
            let ok = w.citizen_code_check(resident, &super::portal::code_hash(resident, code)).await?;
            w.commit().await?;
            if !ok {
                return Err(ServicesError::CodeRejected.into());
            }
            true
        }
        None => false,
    };
    if !citizen_signed && super::outbox::change_of(&item.code).is_some() {
        return Err(ServicesError::ConfirmationNeeded.into());
    }
    let filing = Filing {
        citizen_signed,
        resident_id: resident,
        item_code: &req.item,
        details: &req.details,
        station,
        channel: "counter",
        consent: req.consent,
        origin: None,
    };
    let filed = file(state, &ctx.actor(), filing).await?;
    let home = state.db.resident_unit(resident).await?;
    if !item.citywide && home != ctx.unit.id {
        // Entered here for another station: it is routed there; the clerk sees the number.
        tracing::info!(item = %req.item, "application routed to the household station");
    }
    Ok(filed)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DecideRequest {
    /// accepted | approved | rejected
    #[schemars(extend("enum" = DECISIONS))]
    pub status: String,
    #[serde(default)]
    pub note: String,
}

pub async fn decide(state: &AppState, ctx: &Ctx, id: i64, req: &DecideRequest) -> ApiResult<Application> {
    if !DECISIONS.contains(&req.status.as_str()) {
        return Err(refuse("status", Rule::one_of("已受理、已办结或不予办理", DECISIONS)));
    }
    let note = req.note.trim();
    if req.status == "rejected" && note.chars().count() < 2 {
        return Err(refuse("note", Rule::Reason(2, 500)));
    }
    let mut w = state.db.write().await?;
    let decision = ningan_store::Decision {
        to: &req.status,
        note,
        unit_name: &ctx.unit.name,
        changes_register: |code| super::outbox::change_of(code).is_some(),
    };
    let app = w.application_decide(&ctx.actor(), &ctx.scope(), id, &decision).await?;
    // The register changes, and the change is queued for every subscribing agency, in the
    // same transaction as the approval: the outbox.
    if app.status == "approved"
        && let Some((field, key)) = super::outbox::change_of(&app.item_code)
    {
        let details: BTreeMap<String, String> = serde_json::from_str(&app.details).unwrap_or_default();
        let value = details.get(key).map(|v| v.trim().to_string()).unwrap_or_default();
        if field == "id_number" && ningan_core::IdNumber::parse(&value, ningan_core::time::today_cst()).is_err() {
            return Err(refuse(
                "details",
                Rule::other("更正后的公民身份号码无效", "the corrected ID number is not valid"),
            ));
        }
        if field == "birth_date" && chrono::NaiveDate::parse_from_str(&value, "%Y-%m-%d").is_err() {
            return Err(refuse("details", Rule::Date));
        }
        if value.is_empty() {
            return Err(refuse("details", Rule::other("申请缺少变更后的内容", "the application lacks the new value")));
        }
        w.identity_change(&ctx.actor(), app.resident_id, field, &value, Some(app.id)).await?;
    }
    w.commit().await?;
    Ok(app)
}

pub(super) async fn decide_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<DecideRequest>,
) -> ApiResult<axum::Json<ApplicationDetailDto>> {
    decide(&state, &ctx, id, &req).await?;
    Ok(axum::Json(detail_in_scope(&state, &ctx, id).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RatingDto {
    pub unit_id: i64,
    pub unit_name: String,
    pub handled: i64,
    pub rated: i64,
    /// 1–5.
    pub average: f64,
    /// Ratings of 1 or 2 (差评).
    pub poor: i64,
    /// Poor ratings not answered yet, and of them those past their deadline.
    pub unanswered: i64,
    pub unanswered_late: i64,
}

impl From<ningan_store::StationRating> for RatingDto {
    fn from(r: ningan_store::StationRating) -> Self {
        RatingDto {
            unit_id: r.unit_id,
            unit_name: r.unit_name,
            handled: r.handled,
            rated: r.rated,
            average: r.average,
            poor: r.poor,
            unanswered: r.unanswered,
            unanswered_late: r.unanswered_late,
        }
    }
}

pub(super) async fn ratings(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<RatingDto>>> {
    let rows = state.db.station_ratings(&ctx.scope()).await?;
    Ok(axum::Json(rows.into_iter().map(RatingDto::from).collect()))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ManualCheckRequest {
    /// What was seen or who confirmed it (2–200 characters).
    pub note: String,
}

pub async fn manual_check(state: &AppState, ctx: &Ctx, id: i64, fact: &str, note: &str) -> ApiResult<()> {
    let note = note.trim();
    if !(2..=200).contains(&note.chars().count()) {
        return Err(refuse("note", Rule::Reason(2, 200)));
    }
    let app = state.db.application_in_scope(&ctx.scope(), id).await?;
    let mut w = state.db.write().await?;
    w.fact_manual_verify(&ctx.actor(), app.id, fact, note, &ctx.unit.name).await?;
    w.commit().await?;
    Ok(())
}

pub(super) async fn manual_check_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, fact)): Path<(i64, String)>,
    Json(req): Json<ManualCheckRequest>,
) -> ApiResult<axum::Json<ApplicationDetailDto>> {
    manual_check(&state, &ctx, id, &fact, &req.note).await?;
    Ok(axum::Json(detail_in_scope(&state, &ctx, id).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AgencyRequest {
    pub name: String,
    /// Where evidence requests go: `{base_url}/evidence`.
    pub base_url: String,
    /// Shared secret for the HMAC signature.
    pub secret: String,
    /// Fact codes it answers for.
    pub evidence: Vec<String>,
    /// Where identity changes are delivered, if it subscribes.
    pub webhook_url: Option<String>,
    /// The agency's Ed25519 public key (64 hex digits). Once registered, every answer from
    /// the agency must be signed with it; a new key retires the old one.
    #[serde(default)]
    pub public_key: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AgencyDto {
    pub code: String,
    pub name: String,
    pub base_url: String,
    pub evidence: Vec<String>,
    pub webhook_url: Option<String>,
}

pub async fn register_agency(
    state: &AppState,
    actor: &ningan_store::Actor,
    code: &str,
    req: &AgencyRequest,
) -> ApiResult<()> {
    let valid_code = !code.is_empty() && code.len() <= 40 && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !valid_code {
        return Err(refuse("code", Rule::other("单位代码只能含小写字母和下划线", "lowercase letters and _ only")));
    }
    let url_ok = |u: &str| (u.starts_with("http://") || u.starts_with("https://")) && u.len() <= 300;
    if !url_ok(&req.base_url) || req.webhook_url.as_deref().is_some_and(|u| !url_ok(u)) {
        return Err(refuse("base_url", Rule::other("地址应为 http(s):// 开头", "URLs start with http:// or https://")));
    }
    if req.secret.len() < 16 {
        return Err(refuse("secret", Rule::other("密钥至少16个字符", "at least 16 characters")));
    }
    let known = state.db.service_facts().await?;
    if let Some(bad) = req.evidence.iter().find(|f| !known.iter().any(|k| &k.code == *f)) {
        return Err(refuse("evidence", Rule::other(format!("未知的事项要素“{bad}”"), format!("unknown fact {bad}"))));
    }
    if req.name.trim().is_empty() {
        return Err(refuse("name", Rule::Required));
    }
    if let Some(k) = req.public_key.as_deref().filter(|k| !k.trim().is_empty())
        && ningan_core::msglog::verifying_key_from_hex(k).is_none()
    {
        return Err(refuse(
            "public_key",
            Rule::other("公钥应为64位十六进制的 Ed25519 公钥", "an Ed25519 public key as 64 hex digits"),
        ));
    }
    let mut w = state.db.write().await?;
    w.agency_upsert(
        actor,
        &ningan_store::NewAgency {
            code: code.into(),
            name: req.name.trim().into(),
            base_url: req.base_url.clone(),
            secret: req.secret.clone(),
            evidence: req.evidence.clone(),
            webhook_url: req.webhook_url.clone(),
        },
    )
    .await?;
    if let Some(k) = req.public_key.as_deref().filter(|k| !k.trim().is_empty()) {
        crate::trust::register_partner_key(&mut w, code, k)
            .await
            .map_err(|e| refuse("public_key", Rule::other(e.clone(), e)))?;
    }
    w.commit().await?;
    Ok(())
}

pub(super) async fn agency_put(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Json(req): Json<AgencyRequest>,
) -> ApiResult<axum::Json<Vec<AgencyDto>>> {
    register_agency(&state, &ctx.actor(), &code, &req).await?;
    agencies(State(state)).await
}

pub(super) async fn agencies(State(state): State<AppState>) -> ApiResult<axum::Json<Vec<AgencyDto>>> {
    Ok(axum::Json(
        state
            .db
            .agencies()
            .await?
            .into_iter()
            .map(|a| AgencyDto {
                code: a.code,
                name: a.name,
                base_url: a.base_url,
                evidence: a.evidence,
                webhook_url: a.webhook_url,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReplyRequest {
    /// The station's answer to the citizen, 5 to 1,000 characters.
    #[schemars(length(min = 5, max = 1000))]
    pub reply: String,
}

/// Answers a poor rating of an application in the caller's scope, once; the citizen reads it
/// on the application's page.
pub async fn reply(state: &AppState, ctx: &Ctx, id: i64, text: &str) -> ApiResult<()> {
    let text = text.trim();
    if !(5..=1000).contains(&text.chars().count()) {
        return Err(refuse("reply", Rule::Length(5, 1000)));
    }
    let mut w = state.db.write().await?;
    w.application_reply(&ctx.actor(), &ctx.scope(), id, text).await?;
    w.commit().await?;
    Ok(())
}

pub(super) async fn reply_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<ReplyRequest>,
) -> ApiResult<axum::http::StatusCode> {
    reply(&state, &ctx, id, &req.reply).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::mask_answer;

    #[test]
    fn an_identity_or_phone_number_answer_is_masked_and_other_answers_are_not() {
        let id = ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1950, 3, 1).unwrap(), 7);
        let masked = mask_answer(id.as_str());
        assert_eq!(masked, ningan_core::idnumber::mask_id_str(id.as_str()));
        assert!(!masked.contains("1950"));
        assert_eq!(mask_answer("13812345678"), "138****5678");
        assert_eq!(mask_answer("海曙区中山路1号"), "海曙区中山路1号");
        assert_eq!(mask_answer("3"), "3");
        assert_eq!(mask_answer("2024-05-01"), "2024-05-01");
    }
}
