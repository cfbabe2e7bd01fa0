//! The anti-fraud workbench pages: the station's task list, one task to work, the
//! supervision board, the watchlist, lectures and citizens' reports.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::Action;
use ningan_core::time::now_ms;
use ningan_fraud::{EntryKind, Level};
use ningan_store::{PageRequest, UnitKind};
use serde::{Deserialize, Serialize};

use super::admin::{
    self, BoardDto, FiguresDto, LectureDto, NewCaseRequest, NewLectureRequest, ReportDto, ReportReviewRequest,
    WatchEntryDto, WatchEntryRequest,
};
use super::error::refuse;
use super::tasks::{self, OutcomeRequest, ReviewRequest, TaskDetailDto, TaskDto, TransferRequest};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::web::page::{form_value, nonempty, opt_i64};
use crate::web::{FormState, Frame, PageResult, Pager, Tr, html};

fn message(e: &ApiError) -> String {
    match e.errors.first() {
        Some(f) if !f.field.is_empty() => format!("{}：{}", f.field, f.message),
        _ => e.detail_zh.clone(),
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    kind: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

/// The task list's query form: filters, order and page size, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct TaskFilter {
    status: Option<String>,
    level: Option<String>,
    typology: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    size: Option<String>,
    page: Option<String>,
}

impl TaskFilter {
    fn query(&self) -> Result<ningan_store::TaskQuery, ApiError> {
        tasks::TaskListQuery {
            status: self.status.clone(),
            level: self.level.clone(),
            typology: self.typology.clone(),
            q: self.q.clone(),
            sort: self.sort.clone(),
            ..Default::default()
        }
        .query()
    }

    /// The filters as they go back into links (pages, sorting, export).
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let v = |o: &Option<String>| nonempty(o).unwrap_or_default();
        vec![
            ("status", v(&self.status)),
            ("level", v(&self.level)),
            ("typology", v(&self.typology)),
            ("q", v(&self.q)),
            ("sort", v(&self.sort)),
        ]
    }
}

#[derive(Template)]
#[template(path = "fraud/tasks.html")]
struct TasksPage {
    frame: Frame,
    rows: Vec<TaskDto>,
    pager: Pager,
    filter: TaskFilter,
    statuses: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
    typologies: Vec<String>,
    /// The query form's error, beside its field.
    form: FormState,
}

/// The typologies the filter offers: the running rule set's, the common ones and the one
/// asked for, from memory. Reading them from the tasks would scan every task in scope on each
/// page view; a typology only a watchlist entry names can still be asked for by `typology=`.
fn typology_choices(state: &AppState, asked: Option<&str>) -> Result<Vec<String>, ApiError> {
    let mut all: std::collections::BTreeSet<String> =
        state.fraud.service.rules()?.rules.into_iter().map(|r| r.typology).collect();
    all.extend(ningan_core::labels::FRAUD_TYPOLOGY.iter().map(|t| t.code.to_string()));
    all.extend(asked.map(str::to_string));
    Ok(all.into_iter().filter(|t| !t.is_empty()).collect())
}

fn task_statuses(tr: Tr) -> Vec<(&'static str, &'static str)> {
    vec![
        ("open", tr.pick("待劝阻", "open")),
        ("overdue", tr.pick("已超时", "overdue")),
        ("escalated", tr.pick("已上报督办", "escalated")),
        ("transfer", tr.pick("移交待审核", "awaiting transfer review")),
        ("done", tr.pick("已办结", "done")),
    ]
}

pub async fn task_list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TaskFilter>) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/fraud/tasks", "nav.fraud");
    let mut form = FormState::new(frame.tr);
    // A query the list cannot read shows the default list with the error beside the field.
    let query = match q.query() {
        Ok(query) => query,
        Err(e) => {
            form = form.refused(&e, &["status", "level", "q", "sort"]);
            ningan_store::TaskQuery::default()
        }
    };
    let size = crate::web::page::page_size(&q.size);
    let page = state.db.fraud_tasks(&ctx.scope(), &query, PageRequest::new(opt_i64(&q.page), Some(size))).await?;
    super::tasks::audit_tasks_shown(&state, &ctx, &page.items).await?;
    let pager = Pager::new("/fraud/tasks", &q.pairs(), &page).sizable();
    let filter_typology = nonempty(&q.typology);
    let now = ningan_core::time::now_ms();
    let tr = frame.tr;
    let page = TasksPage {
        rows: page.items.iter().map(|t| TaskDto::from_task(t, now)).collect(),
        pager,
        filter: q,
        statuses: task_statuses(tr),
        levels: [Level::High, Level::Medium, Level::Low]
            .iter()
            .map(|l| (l.as_str(), tr.pick(l.zh(), l.as_str())))
            .collect(),
        typologies: typology_choices(&state, filter_typology.as_deref())?,
        form,
        frame,
    };
    Ok(html(page.form.status(), &page))
}

/// The filtered task list as a file (CSV or XLSX): the page's columns, numbers masked as on
/// the page, audited like the list with every person it names.
async fn task_export(
    state: &AppState,
    ctx: &Ctx,
    q: TaskFilter,
    format: crate::web::export::Format,
) -> PageResult<Response> {
    use crate::web::export::{Table, download, gather};
    let query = q.query().map_err(|e| crate::web::PageError::from(e).framed(ctx))?;
    let tr = Tr::new(ctx.language());
    let now = ningan_core::time::now_ms();
    let query = &query;
    let shown =
        gather(|page| async move { state.db.fraud_tasks(&ctx.scope(), query, page).await.map(|p| p.items) }).await?;
    super::tasks::audit_tasks_shown(state, ctx, &shown).await?;
    let rows = shown
        .iter()
        .map(|t| {
            let d = TaskDto::from_task(t, now);
            vec![
                format!("#{}", d.id),
                tr.pick(&d.level_zh, &d.level).to_string(),
                d.resident_name.clone().unwrap_or_else(|| tr.pick("未登记人员", "Unregistered").to_string()),
                d.phone.clone(),
                tr.pick(&d.typology, ningan_core::labels::typology_en(&d.typology)).to_string(),
                d.score.to_string(),
                d.unit_name.clone(),
                crate::web::fmt::when(&d.warned_at),
                crate::web::fmt::when(&d.deadline),
                tr.pick(&d.status_zh, &d.status_en).to_string(),
                match (&d.outcome_zh, &d.outcome_en) {
                    (Some(zh), en) => tr.pick(zh, en.as_deref().unwrap_or(zh)).to_string(),
                    _ => String::new(),
                },
                if d.overdue { tr.pick("已超时", "overdue").to_string() } else { String::new() },
            ]
        })
        .collect();
    let headers = [
        ("任务", "Task"),
        ("等级", "Level"),
        ("对象", "Person"),
        ("号码", "Number"),
        ("类型", "Typology"),
        ("分值", "Score"),
        ("责任单位", "Unit"),
        ("预警时间", "Warned"),
        ("处置时限", "Deadline"),
        ("状态", "Status"),
        ("结果", "Outcome"),
        ("超时", "Late"),
    ];
    let table = Table::new("fraud-tasks", tr, &headers, rows);
    Ok(download(&table, format)?)
}

pub async fn task_export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TaskFilter>,
) -> PageResult<Response> {
    task_export(&state, &ctx, q, crate::web::export::Format::Csv).await
}

pub async fn task_export_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TaskFilter>,
) -> PageResult<Response> {
    task_export(&state, &ctx, q, crate::web::export::Format::Xlsx).await
}

#[derive(Template)]
#[template(path = "fraud/task.html")]
struct TaskPage {
    frame: Frame,
    d: TaskDetailDto,
    revealed: Option<String>,
    /// The outcome, transfer and review forms (one is sent at a time).
    form: FormState,
    may_work: bool,
    may_reveal: bool,
    outcomes: Vec<(&'static str, &'static str)>,
    stations: Vec<(i64, String)>,
}

/// The fields of the task page's forms, where their errors are shown.
const TASK_FIELDS: &[&str] =
    &["outcome", "money_lost", "amount_protected", "watch_days", "note", "to_unit_id", "reason", "purpose"];

async fn task_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    revealed: Option<String>,
    form: Option<FormState>,
) -> PageResult {
    let d = tasks::task_detail(state, ctx, id).await.map_err(|e| crate::web::PageError::from(e).framed(ctx))?;
    // A phone this officer revealed a moment ago on this page stays shown (the reveal was
    // audited with its purpose); see `RevealWindow`.
    let revealed = match revealed {
        Some(p) => Some(p),
        None if ctx.user().is_some_and(|u| state.fraud.service.reveals.open(u.id, "fraud_task", id, now_ms())) => {
            Some(state.db.fraud_task(&ctx.scope(), id).await?.phone)
        }
        None => None,
    };
    let stations = state
        .db
        .units_in_scope(&ningan_store::Scope::everything())
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::Station && u.id != d.task.unit_id)
        .map(|u| (u.id, if ctx.language() == "en" { u.name_en } else { u.name }))
        .collect();
    let frame = Frame::for_principal(ctx)
        .crumb("/fraud/tasks", "nav.fraud")
        .crumb_text(&format!("/fraud/tasks/{id}"), &format!("#{id}"));
    let form = form.unwrap_or_else(|| FormState::new(frame.tr));
    let status = form.status();
    let page = TaskPage {
        may_work: ctx.may(Action::FraudWork),
        may_reveal: ctx.may(Action::ResidentReveal) && ctx.may(Action::FraudRead),
        outcomes: ningan_core::labels::TASK_OUTCOME
            .iter()
            .filter(|o| o.code != "sms")
            .map(|o| (o.code, frame.tr.pick(o.zh, o.en)))
            .collect(),
        stations,
        d,
        revealed,
        form,
        frame,
    };
    Ok(html(status, &page))
}

/// Shows the task page again with a refused form's values and errors, or fails the page for
/// errors no form can fix (not found, internal).
async fn task_refused(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    typed: &impl serde::Serialize,
    e: ApiError,
) -> PageResult<Response> {
    if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND {
        let form = FormState::new(Tr::new(ctx.language())).with_values(typed).refused(&e, TASK_FIELDS);
        task_page(state, ctx, id, None, Some(form)).await
    } else {
        Err(e.into())
    }
}

pub async fn task_show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    task_page(&state, &ctx, id, None, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct OutcomeForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    money_lost: String,
    #[serde(default)]
    amount_protected: String,
    #[serde(default)]
    watch_days: String,
}

/// The outcome form as typed; an empty amount or period means none.
fn outcome_request(form: &OutcomeForm) -> Result<OutcomeRequest, ApiError> {
    Ok(OutcomeRequest {
        money_lost: form_value("money_lost", "已被骗金额", "money lost", &form.money_lost)?.unwrap_or(0.0),
        amount_protected: form_value("amount_protected", "避免损失金额", "amount protected", &form.amount_protected)?
            .unwrap_or(0.0),
        watch_days: form_value("watch_days", "关注天数", "days to watch", &form.watch_days)?.unwrap_or(0),
        outcome: form.outcome.clone(),
        note: form.note.clone(),
    })
}

pub async fn task_outcome(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<OutcomeForm>,
) -> PageResult<Response> {
    let recorded = match outcome_request(&form) {
        Ok(req) => tasks::record_outcome(&state, &ctx, id, &req).await,
        Err(e) => Err(e),
    };
    match recorded {
        Ok(()) => Ok(Redirect::to(&format!("/fraud/tasks/{id}")).into_response()),
        Err(e) => task_refused(&state, &ctx, id, &form, e).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
pub struct TransferForm {
    #[serde(default)]
    to_unit_id: String,
    #[serde(default)]
    reason: String,
}

pub async fn task_transfer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<TransferForm>,
) -> PageResult<Response> {
    let requested = match form_value("to_unit_id", "接收单位", "receiving unit", &form.to_unit_id) {
        Ok(Some(to_unit_id)) => {
            let req = TransferRequest { to_unit_id, reason: form.reason.clone() };
            tasks::request_transfer(&state, &ctx, id, &req).await
        }
        Ok(None) => Err(refuse("to_unit_id", Rule::Required)),
        Err(e) => Err(e),
    };
    match requested {
        Ok(()) => Ok(Redirect::to(&format!("/fraud/tasks/{id}")).into_response()),
        Err(e) => task_refused(&state, &ctx, id, &form, e).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
pub struct ReviewForm {
    #[serde(default)]
    approve: String,
    #[serde(default)]
    note: String,
}

pub async fn task_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> PageResult<Response> {
    let req = ReviewRequest { approve: form.approve == "true", note: form.note.clone() };
    match tasks::review_transfer(&state, &ctx, id, &req).await {
        Ok(()) => Ok(Redirect::to("/fraud/tasks?status=transfer").into_response()),
        Err(e) => task_refused(&state, &ctx, id, &form, e).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
pub struct RevealForm {
    #[serde(default)]
    purpose: String,
}

pub async fn task_reveal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<RevealForm>,
) -> PageResult<Response> {
    // Back to the task page, which shows the number while the reveal's window lasts: a
    // reload does not send the reveal again.
    match tasks::reveal_phone(&state, &ctx, id, &form.purpose).await {
        Ok(_) => Ok(Redirect::to(&format!("/fraud/tasks/{id}")).into_response()),
        Err(e) => task_refused(&state, &ctx, id, &form, e).await,
    }
}

#[derive(Template)]
#[template(path = "fraud/board.html")]
struct BoardPage {
    frame: Frame,
    b: BoardDto,
    f: FiguresDto,
    rate: String,
    /// The city's analysts follow the bank's stop-payments from here.
    may_stops: bool,
}

pub async fn board(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let scope = ctx.scope();
    let b = admin::board_dto(&state.db.fraud_supervision(&scope).await?, state.db.fraud_unit_ranking(&scope).await?);
    let f = admin::figures_dto(&state.db.fraud_figures(&scope).await?);
    let rate = format!("{:.1}‰", b.fraud_rate_after_warning_permille as f64);
    let frame = Frame::for_principal(&ctx).crumb("/fraud/board", "nav.fraud_board");
    let may_stops = ctx.may(Action::FraudManage) && ctx.unit.kind == ningan_store::UnitKind::City;
    Ok(html(StatusCode::OK, &BoardPage { frame, b, f, rate, may_stops }))
}

#[derive(Template)]
#[template(path = "fraud/watchlist.html")]
struct WatchlistPage {
    frame: Frame,
    rows: Vec<WatchEntryDto>,
    pager: Pager,
    kind: String,
    q: String,
    kinds: Vec<(&'static str, &'static str)>,
    may_manage: bool,
    /// The add form (or an edit refused), as typed.
    form: FormState,
    rules_version: String,
}

/// The add form's fields; a removal's missing reason (asked in the dialog) shows at the top.
const WATCH_FIELDS: &[&str] = &["kind", "value", "source", "typology", "confidence", "expires_on"];

async fn watchlist_page(state: &AppState, ctx: &Ctx, q: ListQuery, form: Option<FormState>) -> PageResult {
    let kind = nonempty(&q.kind).filter(|k| EntryKind::parse(k).is_some());
    let text = nonempty(&q.q);
    let page =
        state.db.watchlist_page(kind.as_deref(), text.as_deref(), PageRequest::new(opt_i64(&q.page), Some(50))).await?;
    let pager = Pager::new(
        "/fraud/watchlist",
        &[("kind", kind.clone().unwrap_or_default()), ("q", text.clone().unwrap_or_default())],
        &page,
    );
    let frame = Frame::for_principal(ctx).crumb("/fraud/board", "nav.fraud_board");
    let label = frame.tr.pick("涉诈名单", "Watchlist").to_string();
    let frame = frame.crumb_text("/fraud/watchlist", &label);
    let form = form.unwrap_or_else(|| FormState::new(frame.tr).set("confidence", "80"));
    let status = form.status();
    let en = frame.tr.is_en();
    let page = WatchlistPage {
        rows: page.items.into_iter().map(WatchEntryDto::from).collect(),
        pager,
        kind: kind.unwrap_or_default(),
        q: text.unwrap_or_default(),
        kinds: EntryKind::ALL.iter().map(|k| (k.as_str(), if en { k.en() } else { k.zh() })).collect(),
        may_manage: ctx.may(Action::FraudManage),
        form,
        rules_version: state.fraud.service.rules()?.version,
        frame,
    };
    Ok(html(status, &page))
}

pub async fn watchlist(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    watchlist_page(&state, &ctx, q, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct WatchForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    typology: String,
    #[serde(default)]
    confidence: String,
    /// The last day the listing holds (China time); empty: until taken off.
    #[serde(default)]
    expires_on: String,
}

/// The end of a `YYYY-MM-DD` day in China time, as RFC 3339; it must not have passed.
fn expiry(raw: &str) -> Result<Option<String>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let day = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| refuse("expires_on", Rule::Date))?;
    if day < ningan_core::time::today_cst() {
        return Err(refuse("expires_on", Rule::other("到期日不能早于今天", "the expiry date cannot be in the past")));
    }
    Ok(Some(format!("{}T23:59:59+08:00", day.format("%Y-%m-%d"))))
}

/// Adds an entry, or changes one already listed (the list is keyed by kind and value).
pub async fn watchlist_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<WatchForm>,
) -> PageResult<Response> {
    let added = async {
        let confidence = form_value("confidence", "可信度", "confidence", &form.confidence)?;
        let req = WatchEntryRequest {
            kind: form.kind.clone(),
            value: form.value.clone(),
            source: form.source.clone(),
            confidence,
            typology: Some(form.typology.clone()).filter(|t| !t.trim().is_empty()),
            expires_at: expiry(&form.expires_on)?,
        };
        admin::add_entries(&state, &ctx, std::slice::from_ref(&req)).await.map(|_| ())
    }
    .await;
    match added {
        Ok(_) => Ok(Redirect::to("/fraud/watchlist").into_response()),
        Err(e) if e.code.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let refused = FormState::new(Tr::new(ctx.language())).with_values(&form).refused(&e, WATCH_FIELDS);
            watchlist_page(&state, &ctx, ListQuery::default(), Some(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Serialize, Default)]
pub struct RemoveForm {
    #[serde(default)]
    reason: String,
}

pub async fn watchlist_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<RemoveForm>,
) -> PageResult<Response> {
    let removed = if form.reason.trim().chars().count() < 2 {
        Err(refuse("reason", Rule::Reason(2, 200)))
    } else {
        admin::remove_entry(&state, &ctx, id, &form.reason).await
    };
    match removed {
        Ok(()) => Ok(Redirect::to("/fraud/watchlist").into_response()),
        Err(e) if e.code.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let refused = FormState::new(Tr::new(ctx.language())).with_values(&form).refused(&e, WATCH_FIELDS);
            watchlist_page(&state, &ctx, ListQuery::default(), Some(refused)).await
        }
        Err(e) => Err(crate::web::PageError::from(e).framed(&ctx)),
    }
}

#[derive(Template)]
#[template(path = "fraud/lectures.html")]
struct LecturesPage {
    frame: Frame,
    rows: Vec<LectureDto>,
    pager: Pager,
    may_work: bool,
    error: Option<String>,
    form: NewLectureRequest,
}

async fn lectures_page(
    state: &AppState,
    ctx: &Ctx,
    page_no: Option<i64>,
    form: NewLectureRequest,
    error: Option<String>,
) -> PageResult {
    let page = state.db.fraud_lectures(&ctx.scope(), PageRequest::new(page_no, Some(20))).await?;
    let pager = Pager::new("/fraud/lectures", &[], &page);
    let frame = Frame::for_principal(ctx)
        .crumb("/fraud/board", "nav.fraud_board")
        .crumb("/fraud/lectures", "nav.fraud_lectures");
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = LecturesPage {
        rows: page.items.into_iter().map(LectureDto::from).collect(),
        pager,
        may_work: ctx.may(Action::FraudWork),
        error,
        form,
        frame,
    };
    Ok(html(status, &page))
}

pub async fn lectures(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    let form = NewLectureRequest {
        held_on: ningan_core::time::today_cst().format("%Y-%m-%d").to_string(),
        ..Default::default()
    };
    lectures_page(&state, &ctx, opt_i64(&q.page), form, None).await
}

#[derive(Deserialize, Default)]
pub struct LectureForm {
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    venue: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    audience: String,
}

pub async fn lecture_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<LectureForm>,
) -> PageResult<Response> {
    let audience = form_value("audience", "听众人数", "audience", &form.audience);
    let req = NewLectureRequest {
        held_on: form.held_on,
        unit_id: None,
        venue: form.venue,
        audience: audience.as_ref().ok().copied().flatten().unwrap_or(0),
        topic: form.topic,
    };
    let added = match audience {
        Ok(Some(_)) => admin::add_lecture(&state, &ctx, &req).await.map(|_| ()),
        Ok(None) => Err(refuse("audience", Rule::Required)),
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => Ok(Redirect::to("/fraud/lectures").into_response()),
        Err(e) if e.code.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            lectures_page(&state, &ctx, None, req, Some(message(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "fraud/cases.html")]
struct CasesPage {
    frame: Frame,
    rows: Vec<admin::CaseDto>,
    pager: Pager,
    stage: String,
    stages: Vec<(&'static str, &'static str)>,
    may_manage: bool,
    /// The filing form, as typed.
    form: FormState,
    /// A stage change refused: the case it was for and why.
    refused: Option<(i64, String)>,
}

#[derive(Deserialize, Default)]
pub struct CasesQuery {
    stage: Option<String>,
    page: Option<String>,
}

async fn cases_page(
    state: &AppState,
    ctx: &Ctx,
    q: CasesQuery,
    form: Option<FormState>,
    refused: Option<(i64, String)>,
) -> PageResult {
    let stage = nonempty(&q.stage).filter(|s| ningan_store::CASE_STAGES.contains(&s.as_str())).unwrap_or_default();
    let filter = Some(stage.as_str()).filter(|s| !s.is_empty());
    let page = state.db.fraud_cases(&ctx.scope(), filter, PageRequest::new(opt_i64(&q.page), Some(20))).await?;
    let pager = Pager::new("/fraud/cases", &[("stage", stage.clone())], &page);
    let frame =
        Frame::for_principal(ctx).crumb("/fraud/board", "nav.fraud_board").crumb("/fraud/cases", "nav.fraud_cases");
    let form = form.unwrap_or_else(|| FormState::new(frame.tr));
    let status = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { form.status() };
    let stages = ningan_store::CASE_STAGES
        .iter()
        .map(|s| (*s, if frame.tr.is_en() { *s } else { admin::stage_zh(s) }))
        .collect();
    let view = CasesPage {
        rows: page.items.into_iter().map(admin::CaseDto::from).collect(),
        pager,
        stage,
        stages,
        may_manage: ctx.may(Action::FraudManage),
        form,
        refused,
        frame,
    };
    Ok(html(status, &view))
}

pub async fn cases(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CasesQuery>) -> PageResult {
    cases_page(&state, &ctx, q, None, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct CaseForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    typology: String,
    #[serde(default)]
    note: String,
}

/// Files a case from the page; refusals come back beside their fields with the form as typed.
pub async fn case_file(State(state): State<AppState>, ctx: Ctx, Form(form): Form<CaseForm>) -> PageResult<Response> {
    let amount = form_value("amount", "损失金额", "the amount lost", &form.amount);
    let filed = match amount {
        Ok(Some(amount)) => {
            let req = NewCaseRequest {
                phone: Some(form.phone.clone()),
                occurred_at: crate::web::page::local_time_rfc3339(&form.occurred_at),
                amount,
                typology: form.typology.clone(),
                unit_id: None,
                note: form.note.clone(),
            };
            match admin::new_case(&state, &ctx, &req, None).await {
                Ok(case) => {
                    async {
                        let mut w = state.db.write().await?;
                        w.fraud_case_add(&ctx.actor(), &case).await?;
                        w.commit().await?;
                        Ok::<_, ApiError>(())
                    }
                    .await
                }
                Err(e) => Err(e),
            }
        }
        Ok(None) => Err(refuse("amount", Rule::Required)),
        Err(e) => Err(e),
    };
    match filed {
        Ok(()) => Ok(Redirect::to("/fraud/cases").into_response()),
        Err(e) if e.code.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let refused = FormState::new(Tr::new(ctx.language()))
                .with_values(&form)
                .refused(&e, &["phone", "occurred_at", "amount", "typology", "note"]);
            cases_page(&state, &ctx, CasesQuery::default(), Some(refused), None).await.map(IntoResponse::into_response)
        }
        Err(e) => Err(crate::web::PageError::from(e).framed(&ctx)),
    }
}

#[derive(Deserialize, Default)]
pub struct StageForm {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    solved_at: String,
}

/// Moves a case forward from its row; a refusal is shown on that row.
pub async fn case_stage(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<StageForm>,
) -> PageResult<Response> {
    let solved_at = Some(form.solved_at.trim()).filter(|s| !s.is_empty()).map(crate::web::page::local_time_rfc3339);
    let req = admin::CaseStageRequest { stage: form.stage, solved_at };
    match admin::case_stage(&state, &ctx, id, &req).await {
        Ok(()) => Ok(Redirect::to("/fraud/cases").into_response()),
        Err(e) if e.code.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let why = e.errors.first().map_or_else(
                || Tr::new(ctx.language()).pick(&e.detail_zh, &e.detail_en).to_string(),
                |f| f.message.clone(),
            );
            cases_page(&state, &ctx, CasesQuery::default(), None, Some((id, why)))
                .await
                .map(IntoResponse::into_response)
        }
        Err(e) => Err(crate::web::PageError::from(e).framed(&ctx)),
    }
}

#[derive(Template)]
#[template(path = "fraud/reports.html")]
struct ReportsPage {
    frame: Frame,
    rows: Vec<ReportDto>,
    pager: Pager,
    may_manage: bool,
    error: Option<String>,
}

async fn reports_page(state: &AppState, ctx: &Ctx, page_no: Option<i64>, error: Option<String>) -> PageResult {
    let page = state.db.fraud_reports(&ctx.scope(), None, PageRequest::new(page_no, Some(20))).await?;
    let pager = Pager::new("/fraud/reports", &[], &page);
    let frame =
        Frame::for_principal(ctx).crumb("/fraud/board", "nav.fraud_board").crumb("/fraud/reports", "nav.fraud_reports");
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ReportsPage {
        rows: page.items.into_iter().map(ReportDto::from).collect(),
        pager,
        may_manage: ctx.may(Action::FraudManage),
        error,
        frame,
    };
    Ok(html(status, &page))
}

pub async fn reports(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    reports_page(&state, &ctx, opt_i64(&q.page), None).await
}

#[derive(Deserialize, Default)]
pub struct ReportReviewForm {
    #[serde(default)]
    accept: String,
    #[serde(default)]
    typology: String,
    #[serde(default)]
    note: String,
}

pub async fn report_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ReportReviewForm>,
) -> PageResult<Response> {
    let accept = form.accept == "true";
    let r = state.db.fraud_report(&ctx.scope(), id).await?;
    let case = accept.then(|| NewCaseRequest {
        phone: Some(r.phone.clone()),
        occurred_at: crate::http::dto::ts(r.created_at),
        amount: r.amount_fen as f64 / 100.0,
        typology: form.typology.clone(),
        unit_id: None,
        note: format!("群众举报 #{id}"),
    });
    let req = ReportReviewRequest { accept, note: form.note, case };
    match admin::review_report(&state, &ctx, id, &req).await {
        Ok(_) => Ok(Redirect::to("/fraud/reports").into_response()),
        Err(e) if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND => {
            reports_page(&state, &ctx, None, Some(message(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A recorded version, the version before it (if any) and the lines between them.
type Compared = (ningan_store::RuleVersion, Option<String>, Vec<(char, String)>);

#[derive(Template)]
#[template(path = "fraud/rules.html")]
struct RulesPage {
    frame: Frame,
    current: admin::RulesDto,
    versions: Vec<ningan_store::RuleVersion>,
    pager: Pager,
    /// A version compared with the one before it: (version, before's version, diff lines).
    compared: Option<Compared>,
    may_edit: bool,
    form: FormState,
    /// The draft backtested, when the form asked for a backtest.
    backtest: Option<admin::BacktestDto>,
    /// The id of the version in force (the newest recorded), which has nothing to restore.
    newest: Option<i64>,
}

#[derive(Deserialize, Default)]
pub struct RulesQuery {
    compare: Option<String>,
    /// The version to compare with, instead of the one before.
    against: Option<String>,
    page: Option<String>,
}

/// Lines of `before` → `after` marked `-`, `+` or ` `.
pub(super) fn line_diff(before: &str, after: &str) -> Vec<(char, String)> {
    use similar::{ChangeTag, TextDiff};
    TextDiff::from_lines(before, after)
        .iter_all_changes()
        .map(|c| {
            let mark = match c.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            (mark, c.value().trim_end_matches('\n').to_string())
        })
        .collect()
}

async fn rules_view(
    state: &AppState,
    ctx: &Ctx,
    q: RulesQuery,
    form: Option<FormState>,
    backtest: Option<admin::BacktestDto>,
) -> PageResult {
    let fail = |e: ApiError| crate::web::PageError::from(e).framed(ctx);
    state.fraud.service.ensure_loaded(&state.db).await.map_err(fail)?;
    let current = admin::rules_dto(state).map_err(fail)?;
    let page = state.db.fraud_rule_versions(PageRequest::new(opt_i64(&q.page), Some(20))).await?;
    let newest = if page.page <= 1 { page.items.first().map(|v| v.id) } else { None };
    let pager = Pager::new("/fraud/rules", &[], &page);
    let compared = match nonempty(&q.compare) {
        Some(id) => {
            let not_found = || crate::web::PageError::not_found().framed(ctx);
            let id: i64 = id.parse().map_err(|_| not_found())?;
            let against = match nonempty(&q.against) {
                Some(a) => Some(a.parse::<i64>().map_err(|_| not_found())?),
                None => None,
            };
            let (one, before) = admin::version_pair(state, id, against).await.map_err(fail)?;
            let diff = line_diff(before.as_ref().map_or("", |b| b.source.as_str()), &one.source);
            Some((one, before.map(|b| b.version), diff))
        }
        None => None,
    };
    let frame = Frame::for_principal(ctx).crumb("/fraud/rules", "nav.fraud_rules");
    let form = form.unwrap_or_else(|| FormState::new(frame.tr).set("rules", current.source.clone()).set("days", "7"));
    let status = form.status();
    // The same rule as the route that takes the edit: city-wide analysts only.
    let may_edit = ctx.may(Action::FraudManage) && ctx.unit.kind == UnitKind::City;
    let view = RulesPage { frame, current, versions: page.items, pager, compared, may_edit, form, backtest, newest };
    Ok(html(status, &view))
}

pub async fn rules_show(State(state): State<AppState>, ctx: Ctx, Query(q): Query<RulesQuery>) -> PageResult {
    rules_view(&state, &ctx, q, None, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct RulesForm {
    #[serde(default)]
    rules: String,
    /// From the confirmation dialog; kept in the audit log.
    #[serde(default)]
    reason: String,
}

pub async fn rules_edit(State(state): State<AppState>, ctx: Ctx, Form(form): Form<RulesForm>) -> PageResult<Response> {
    let done = if form.reason.trim().chars().count() < 2 {
        Err(refuse("reason", Rule::Reason(2, 200)))
    } else {
        admin::replace_rules(&state, &ctx, &form.rules, &form.reason).await
    };
    match done {
        Ok(_) => Ok(Redirect::to("/fraud/rules").into_response()),
        Err(e) if e.code.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let refused = FormState::new(Tr::new(ctx.language())).with_values(&form).refused(&e, &["rules"]);
            rules_view(&state, &ctx, RulesQuery::default(), Some(refused), None).await
        }
        Err(e) => Err(crate::web::PageError::from(e).framed(&ctx)),
    }
}

#[derive(Deserialize, Serialize, Default)]
pub struct BacktestForm {
    #[serde(default)]
    rules: String,
    #[serde(default)]
    days: String,
}

/// Backtests the draft in the form and shows the page again with the draft kept and the
/// comparison below it; nothing is put in force.
pub async fn rules_backtest(State(state): State<AppState>, ctx: Ctx, Form(form): Form<BacktestForm>) -> PageResult {
    let tr = Tr::new(ctx.language());
    let done = match form.days.trim().parse::<i64>() {
        Ok(days) => admin::backtest(&state, &ctx, &admin::BacktestRequest { rules: form.rules.clone(), days }).await,
        Err(_) => Err(refuse("days", Rule::Range(1, 30))),
    };
    match done {
        Ok(report) => {
            let kept = FormState::new(tr).with_values(&form);
            rules_view(&state, &ctx, RulesQuery::default(), Some(kept), Some(report)).await
        }
        Err(e) if e.code.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let refused = FormState::new(tr).with_values(&form).refused(&e, &["rules", "days"]);
            rules_view(&state, &ctx, RulesQuery::default(), Some(refused), None).await
        }
        Err(e) => Err(crate::web::PageError::from(e).framed(&ctx)),
    }
}

#[derive(Deserialize, Default)]
pub struct RestoreForm {
    #[serde(default)]
    reason: String,
}

/// Puts a recorded version back in force (the confirmation dialog asks the reason).
pub async fn rules_restore(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(form): Form<RestoreForm>,
) -> PageResult<Response> {
    match admin::restore_rules(&state, &ctx, id, &form.reason).await {
        Ok(_) => Ok(Redirect::to("/fraud/rules").into_response()),
        Err(e) => Err(crate::web::PageError::from(e).framed(&ctx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_change_shows_as_removed_and_added_lines() {
        let d = line_diff("a = 1\nb = 2\n", "a = 1\nb = 3\n");
        assert_eq!(d, vec![(' ', "a = 1".into()), ('-', "b = 2".into()), ('+', "b = 3".into())]);
    }
}
