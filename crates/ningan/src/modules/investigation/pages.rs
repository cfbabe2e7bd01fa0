//! The workbench pages of investigation: the cases one works on (or supervises) with the
//! form to open one; a case's page — stage, team, log, evidence, tasks, imports with their
//! progress — with the forms of each; an import's refused rows; and the link-analysis chart
//! (`static/graph.js` over the case's graph API).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ningan_core::Action;
use serde::{Deserialize, Serialize};

use super::InvestigationState;
use super::api::{CaseDto, supervised};
use super::rows::FileKind;
use super::service::{self, CaseInput, EvidenceInput, MemberInput, NoteInput, StageInput, TaskDoneInput, TaskInput};
use super::store::cases::{self, Case, CaseQuery, DUTIES, LogEntry, STAGES};
use super::store::evidence::{self, Item, KINDS};
use super::store::records::{self, Import};
use super::store::{charts, tasks};
use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::error::ApiError;
use crate::http::json::{Path, Query};
use crate::http::principal::Ctx;
use crate::web::page::Pager;
use crate::web::{FormState, Frame, PageResult, Tr, html};

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::InvestigationRead);
    let open = Access::Action(Action::InvestigationWork);
    let in_case = Access::Case(Action::InvestigationRead);
    let work = Access::Case(Action::InvestigationWork);
    api.add(Op::page(Method::GET, "/investigation", read, "侦查打击"), get(cases_page))
        .add(Op::page(Method::POST, "/investigation", open, "立案"), post(case_open))
        .add(Op::page(Method::GET, "/investigation/cases/{id}", in_case, "案件"), get(case))
        .add(Op::page(Method::POST, "/investigation/cases/{id}/stage", in_case, "推进阶段"), post(stage))
        .add(Op::page(Method::POST, "/investigation/cases/{id}/members", in_case, "加入成员"), post(member_add))
        .add(Op::page(Method::POST, "/investigation/cases/{id}/log", work, "记录日志"), post(note))
        .add(Op::page(Method::POST, "/investigation/cases/{id}/evidence", work, "提交证据"), post(evidence_file))
        .add(Op::page(Method::POST, "/investigation/cases/{id}/tasks", work, "下达任务"), post(task_add))
        .add(Op::page(Method::POST, "/investigation/cases/{id}/tasks/{task}/done", work, "任务办结"), post(task_done))
        .add(
            Op::page(Method::POST, "/investigation/cases/{id}/imports", work, "上传数据文件"),
            post(import).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .add(
            Op::page(Method::GET, "/investigation/cases/{id}/imports/{import}", in_case, "导入详情"),
            get(import_detail),
        )
        .add(Op::page(Method::GET, "/investigation/cases/{id}/chart", in_case, "关系研判"), get(chart))
        .add(Op::page(Method::POST, "/investigation/cases/{id}/copresence", work, "生成同行关系"), post(copresence))
        .add(Op::page(Method::POST, "/investigation/cases/{id}/entities", work, "添加对象"), post(entity_add))
}

/// An import's state as the pages name it.
fn import_state_label(state: &str, en: bool) -> &'static str {
    match (state, en) {
        ("queued", false) => "排队中",
        ("queued", true) => "Queued",
        ("running", false) => "导入中",
        ("running", true) => "Importing",
        ("done", false) => "已完成",
        ("done", true) => "Done",
        (_, false) => "失败",
        (_, true) => "Failed",
    }
}

pub fn at(ms: &i64) -> String {
    crate::modules::emergency::pages::at(ms)
}

#[derive(Template)]
#[template(path = "investigation/cases.html")]
struct CasesPage {
    frame: Frame,
    cases: Vec<Case>,
    pager: Pager,
    q: String,
    stage: String,
    organised: String,
    may_open: bool,
    form: FormState,
}

impl CasesPage {
    fn stage_label(&self, s: &str) -> &'static str {
        cases::stage_label(s, self.frame.tr.is_en())
    }
    fn stages(&self) -> Vec<(&'static str, &'static str)> {
        STAGES.iter().map(|s| (s.0, if self.frame.tr.is_en() { s.2 } else { s.1 })).collect()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListForm {
    q: String,
    stage: String,
    organised: String,
    page: Option<i64>,
}

async fn cases_view(state: &AppState, ctx: &Ctx, f: ListForm, form: Option<FormState>) -> PageResult<CasesPage> {
    let frame = Frame::for_principal(ctx).crumb("/investigation", "nav.investigation");
    let q = CaseQuery {
        q: Some(f.q.clone()).filter(|s| !s.trim().is_empty()),
        stage: Some(f.stage.clone()).filter(|s| STAGES.iter().any(|x| x.0 == s)),
        organised: match f.organised.as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
    };
    let page = ningan_store::PageRequest::new(f.page, Some(20));
    let found = cases::list(&state.db, service::user_id(ctx), supervised(ctx).as_ref(), &q, page).await?;
    let pager = Pager::new(
        "/investigation",
        &[("q", f.q.clone()), ("stage", f.stage.clone()), ("organised", f.organised.clone())],
        &found,
    );
    Ok(CasesPage {
        cases: found.items,
        pager,
        q: f.q,
        stage: f.stage,
        organised: f.organised,
        may_open: ctx.may(Action::InvestigationWork),
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        frame,
    })
}

pub async fn cases_page(State(state): State<AppState>, ctx: Ctx, Query(f): Query<ListForm>) -> PageResult {
    Ok(html(StatusCode::OK, &cases_view(&state, &ctx, f, None).await?))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct CaseForm {
    title: String,
    category: String,
    summary: String,
    organised: String,
}

pub async fn case_open(State(state): State<AppState>, ctx: Ctx, Form(f): Form<CaseForm>) -> PageResult<Response> {
    let input = CaseInput {
        title: f.title.clone(),
        category: f.category.clone(),
        summary: f.summary.clone(),
        organised: f.organised == "1",
    };
    match service::open(&state, &ctx, &input).await {
        Ok((id, _)) => Ok(Redirect::to(&format!("/investigation/cases/{id}")).into_response()),
        Err(e) => {
            let form =
                FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["title", "category", "summary"]);
            let page = cases_view(&state, &ctx, ListForm::default(), Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "investigation/case.html")]
struct CasePage {
    frame: Frame,
    c: CaseDto,
    log: Vec<LogEntry>,
    evidence: Vec<Item>,
    tasks: Vec<tasks::Task>,
    imports: Vec<Import>,
    charts: Vec<charts::Version>,
    investigators: Vec<(String, String)>,
    members: Vec<(String, String)>,
    failed: &'static str,
    form: FormState,
    now: i64,
}

impl CasePage {
    fn en(&self) -> bool {
        self.frame.tr.is_en()
    }
    fn form_for(&self, which: &str) -> FormState {
        if self.failed == which { self.form.clone() } else { FormState::new(self.frame.tr) }
    }
    fn next_stage(&self) -> Option<(&'static str, &'static str)> {
        cases::next_stage(&self.c.case.stage).map(|s| (s, cases::stage_label(s, self.en())))
    }
    fn solving_organised(&self) -> bool {
        self.c.case.organised && cases::next_stage(&self.c.case.stage) == Some("solved")
    }
    fn stage_done(&self, s: &str) -> bool {
        let at = |x: &str| STAGES.iter().position(|t| t.0 == x).unwrap_or(0);
        at(s) <= at(&self.c.case.stage)
    }
    fn stages(&self) -> Vec<(&'static str, &'static str)> {
        STAGES.iter().map(|s| (s.0, if self.en() { s.2 } else { s.1 })).collect()
    }
    fn duty(&self, d: &str) -> &'static str {
        cases::duty_label(d, self.en())
    }
    fn duties(&self) -> Vec<(&'static str, &'static str)> {
        DUTIES.iter().map(|s| (s.0, if self.en() { s.2 } else { s.1 })).collect()
    }
    fn teams(&self) -> Vec<(&'static str, &'static str)> {
        DUTIES[1..].iter().map(|s| (s.0, if self.en() { s.2 } else { s.1 })).collect()
    }
    fn evidence_kinds(&self) -> Vec<(&'static str, &'static str)> {
        KINDS.iter().map(|s| (s.0, if self.en() { s.2 } else { s.1 })).collect()
    }
    fn evidence_kind(&self, k: &str) -> &'static str {
        evidence::kind_label(k, self.en())
    }
    fn correctable(&self) -> Vec<(String, String)> {
        let mut v = vec![(String::new(), self.frame.tr.pick("（新证据）", "(a new item)").to_string())];
        v.extend(
            self.evidence
                .iter()
                .filter(|i| i.corrected_by.is_none())
                .map(|i| (i.id.to_string(), format!("#{} {}", i.seq, i.title))),
        );
        v
    }
    fn entity_kinds(&self) -> Vec<(&'static str, &'static str)> {
        records::ENTITY_KINDS.iter().map(|k| (k.0, if self.en() { k.2 } else { k.1 })).collect()
    }
    fn file_kinds(&self) -> Vec<(&'static str, &'static str)> {
        FileKind::ALL.iter().map(|k| (k.as_str(), k.label(self.en()))).collect()
    }
    fn file_kind(&self, k: &str) -> &'static str {
        FileKind::parse(k).map(|k| k.label(self.en())).unwrap_or("?")
    }
    fn import_state(&self, s: &str) -> &'static str {
        import_state_label(s, self.en())
    }
    fn short(&self, h: &str) -> String {
        h.chars().take(12).collect()
    }
    fn running(&self) -> bool {
        self.imports.iter().any(|i| i.state == "queued" || i.state == "running")
    }
}

async fn case_view(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    failed: &'static str,
    form: Option<FormState>,
) -> PageResult<CasePage> {
    let c = super::api::case_dto(state, ctx, id).await?;
    let frame = Frame::for_principal(ctx)
        .crumb("/investigation", "nav.investigation")
        .crumb_text(&format!("/investigation/cases/{id}"), &c.case.no);
    let log = cases::log_page(&state.db, id, ningan_store::PageRequest::new(Some(1), Some(30))).await?.items;
    let investigators = if c.may_direct {
        let on: Vec<i64> = c.team.iter().map(|m| m.user_id).collect();
        state
            .db
            .users_in_scope(&ctx.scope(), None, None, ningan_store::PageRequest::new(Some(1), Some(500)))
            .await?
            .items
            .into_iter()
            .filter(|u| {
                !u.disabled
                    && ningan_core::access::roles_grant(&u.roles, Action::InvestigationWork)
                    && !on.contains(&u.id)
            })
            .map(|u| (u.id.to_string(), format!("{} ({})", u.display_name, u.username)))
            .collect()
    } else {
        Vec::new()
    };
    let mut members = vec![(String::new(), Tr::new(ctx.language()).pick("（全组）", "(the whole unit)").to_string())];
    members.extend(c.team.iter().map(|m| (m.user_id.to_string(), m.display_name.clone())));
    Ok(CasePage {
        log,
        evidence: evidence::list(&state.db, id).await?,
        tasks: tasks::list(&state.db, id).await?,
        imports: records::imports(&state.db, id).await?,
        charts: charts::versions(&state.db, id).await?,
        investigators,
        members,
        failed,
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        frame,
        c,
        now: ningan_core::time::now_ms(),
    })
}

pub async fn case(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    Ok(html(StatusCode::OK, &case_view(&state, &ctx, id, "", None).await?))
}

async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    which: &'static str,
    values: &impl Serialize,
    e: &ApiError,
    fields: &[&str],
) -> PageResult<Response> {
    let form = FormState::new(Tr::new(ctx.language())).with_values(values).refused(e, fields);
    let page = case_view(state, ctx, id, which, Some(form)).await?;
    Ok(html(page.form.status(), &page))
}

fn back(id: i64, anchor: &str) -> Response {
    Redirect::to(&format!("/investigation/cases/{id}#{anchor}")).into_response()
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct StageForm {
    stage: String,
    note: String,
    gangs_broken: String,
}

pub async fn stage(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<StageForm>,
) -> PageResult<Response> {
    let result = async {
        let gangs_broken = opt_num("gangs_broken", &f.gangs_broken)?;
        service::set_stage(&state, &ctx, id, &StageInput { stage: f.stage.clone(), note: f.note.clone(), gangs_broken })
            .await
    }
    .await;
    match result {
        Ok(()) => Ok(back(id, "stage")),
        Err(e) => refused(&state, &ctx, id, "stage", &f, &e, &["stage", "note", "gangs_broken"]).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct MemberForm {
    user_id: String,
    duty: String,
    remove: String,
}

pub async fn member_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<MemberForm>,
) -> PageResult<Response> {
    let result = async {
        if let Ok(user) = f.remove.trim().parse::<i64>() {
            return service::remove_member(&state, &ctx, id, user).await;
        }
        let user_id = crate::web::page::form_required("user_id", "民警", "officer", &f.user_id)?;
        service::add_member(&state, &ctx, id, &MemberInput { user_id, duty: f.duty.clone() }).await
    }
    .await;
    match result {
        Ok(()) => Ok(back(id, "team")),
        Err(e) => refused(&state, &ctx, id, "member", &f, &e, &["user_id", "duty"]).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct NoteForm {
    text: String,
}

pub async fn note(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> PageResult<Response> {
    match service::note(&state, &ctx, id, &NoteInput { text: f.text.clone() }).await {
        Ok(_) => Ok(back(id, "log")),
        Err(e) => refused(&state, &ctx, id, "note", &f, &e, &["text"]).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct EvidenceForm {
    kind: String,
    title: String,
    body: String,
    source: String,
    corrects: String,
}

pub async fn evidence_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<EvidenceForm>,
) -> PageResult<Response> {
    let result = async {
        let corrects = opt_num("corrects", &f.corrects)?;
        let input = EvidenceInput {
            kind: f.kind.clone(),
            title: f.title.clone(),
            body: f.body.clone(),
            source: f.source.clone(),
            corrects,
        };
        service::file_evidence(&state, &ctx, id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(back(id, "evidence")),
        Err(e) => refused(&state, &ctx, id, "evidence", &f, &e, &["kind", "title", "body", "source", "corrects"]).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct TaskForm {
    team: String,
    title: String,
    detail: String,
    assignee: String,
    due: String,
}

pub async fn task_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<TaskForm>,
) -> PageResult<Response> {
    let result = async {
        let assignee = opt_num("assignee", &f.assignee)?;
        let input = TaskInput {
            team: f.team.clone(),
            title: f.title.clone(),
            detail: f.detail.clone(),
            assignee,
            due: f.due.clone(),
        };
        service::add_task(&state, &ctx, id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(back(id, "tasks")),
        Err(e) => refused(&state, &ctx, id, "task", &f, &e, &["team", "title", "detail", "assignee", "due"]).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct DoneForm {
    result: String,
}

pub async fn task_done(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, task)): Path<(i64, i64)>,
    Form(f): Form<DoneForm>,
) -> PageResult<Response> {
    match service::finish_task(&state, &ctx, id, task, &TaskDoneInput { result: f.result.clone() }).await {
        Ok(()) => Ok(back(id, "tasks")),
        Err(e) => refused(&state, &ctx, id, "done", &f, &e, &["result"]).await,
    }
}

/// The upload form's file (multipart, sent by `app.js` with the CSRF header and its progress
/// shown), streamed to disk field by field.
pub async fn import(
    State(state): State<AppState>,
    State(inv): State<InvestigationState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    mut form: axum::extract::Multipart,
) -> PageResult<Response> {
    let mut kind = String::new();
    let mut result = Err(ApiError::field("file", "请选择文件", "choose a file"));
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("kind") => kind = field.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_string();
                    if name.is_empty() {
                        continue;
                    }
                    result = super::import::receive(&state, &inv, &ctx, id, &kind, &name, field).await;
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) => {
                result = Err(ApiError::field("file", format!("上传中断：{e}"), format!("the upload broke off: {e}")));
                break;
            }
        }
    }
    match result {
        Ok(imp) => Ok(Redirect::to(&format!("/investigation/cases/{id}/imports/{}", imp.id)).into_response()),
        Err(e) => {
            #[derive(Serialize)]
            struct Kind<'a> {
                kind: &'a str,
            }
            refused(&state, &ctx, id, "import", &Kind { kind: &kind }, &e, &["kind", "file"]).await
        }
    }
}

#[derive(Template)]
#[template(path = "investigation/import.html")]
struct ImportPage {
    frame: Frame,
    case_id: i64,
    imp: Import,
    refusals: Vec<(i64, String)>,
}

impl ImportPage {
    fn state_label(&self) -> &'static str {
        import_state_label(&self.imp.state, self.frame.tr.is_en())
    }
    fn kind_label(&self) -> &'static str {
        FileKind::parse(&self.imp.kind).map(|k| k.label(self.frame.tr.is_en())).unwrap_or("?")
    }
    fn running(&self) -> bool {
        self.imp.state == "queued" || self.imp.state == "running"
    }
}

pub async fn import_detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, import)): Path<(i64, i64)>,
) -> PageResult {
    let c = cases::get(&state.db, id).await?;
    let imp = records::import_get(&state.db, id, import).await?;
    crate::http::shown::audit_shown(&state, &ctx, "investigation.import.view", "inv_case", &[id], &[]).await?;
    let frame = Frame::for_principal(&ctx)
        .crumb("/investigation", "nav.investigation")
        .crumb_text(&format!("/investigation/cases/{id}"), &c.no)
        .crumb_text(&format!("/investigation/cases/{id}/imports/{import}"), &imp.file_name);
    let refusals = records::refusals(&state.db, imp.id, 1000).await?;
    Ok(html(StatusCode::OK, &ImportPage { frame, case_id: id, imp, refusals }))
}

#[derive(Template)]
#[template(path = "investigation/chart.html")]
struct ChartPage {
    frame: Frame,
    c: Case,
    versions: Vec<charts::Version>,
    may_work: bool,
    relations: i64,
}

pub async fn chart(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let c = cases::get(&state.db, id).await?;
    let frame = Frame::for_principal(&ctx)
        .crumb("/investigation", "nav.investigation")
        .crumb_text(&format!("/investigation/cases/{id}"), &c.no)
        .crumb_text(&format!("/investigation/cases/{id}/chart"), ctx_label(&ctx));
    let relations = cases::counts(&state.db, id).await?.3;
    crate::http::shown::audit_shown(&state, &ctx, "investigation.chart.open", "inv_case", &[id], &[]).await?;
    Ok(html(
        StatusCode::OK,
        &ChartPage {
            versions: charts::versions(&state.db, id).await?,
            may_work: ctx.may(Action::InvestigationWork),
            frame,
            c,
            relations,
        },
    ))
}

fn ctx_label(ctx: &Ctx) -> &'static str {
    Tr::new(ctx.language()).pick("关系研判", "Link analysis")
}

/// An optional whole number typed into a form: empty is none, anything else must parse.
fn opt_num(field: &str, v: &str) -> Result<Option<i64>, ApiError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| ApiError::field(field, "应为整数", "must be a whole number"))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct CoPresenceForm {
    days: String,
}

pub async fn copresence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CoPresenceForm>,
) -> PageResult<Response> {
    let result = async {
        let days = crate::web::page::form_required("days", "天数", "days", &f.days)?;
        let input = super::copresence::CoPresenceInput { persons: Vec::new(), days };
        super::copresence::from_tracing(&state, &ctx, id, &input).await
    }
    .await;
    match result {
        Ok(imp) => Ok(Redirect::to(&format!("/investigation/cases/{id}/imports/{}", imp.id)).into_response()),
        Err(e) => refused(&state, &ctx, id, "copresence", &f, &e, &["days", "persons"]).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct EntityForm {
    kind: String,
    key: String,
    holder: String,
}

pub async fn entity_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<EntityForm>,
) -> PageResult<Response> {
    let result = async {
        let holder = opt_num("holder", &f.holder)?;
        let input = super::api::EntityInput { kind: f.kind.clone(), key: f.key.clone(), holder };
        service::add_entity(&state, &ctx, id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(back(id, "entities")),
        Err(e) => refused(&state, &ctx, id, "entity", &f, &e, &["kind", "key", "holder"]).await,
    }
}
