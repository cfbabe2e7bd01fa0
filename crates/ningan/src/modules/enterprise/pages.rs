//! The workbench pages of enterprise services: the register with the due list, an
//! enterprise's service file (liaison, contacts and visits, its requests), the requests board
//! with the supervision view, and a request with the actions open to the viewer's desk.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::Action;
use ningan_store::{PageRequest, Scope};
use serde::{Deserialize, Serialize};

use super::api::{self, AssignRequest, BoardQuery, ContactRequest, EnterpriseDto, ListQuery, RequestDto};
use super::model::{self, Stage, Tier};
use super::service::{self, RequestAction};
use super::store::{enterprises, requests};
use crate::app::AppState;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::{FormState, Frame, PageError, PageResult, Pager, Tr, html};

#[derive(Deserialize, Default)]
pub struct ListForm {
    q: Option<String>,
    industry: Option<String>,
    key: Option<String>,
    due: Option<String>,
    mine: Option<String>,
    late: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "enterprise/list.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<EnterpriseDto>,
    pager: Pager,
    industries: Vec<(&'static str, &'static str)>,
    q: String,
    industry: String,
    key: bool,
    due: bool,
    mine: bool,
    late: bool,
    may_manage: bool,
    /// Stations with late liaison rhythms, for those who chase them: (name, late, oldest due).
    late_stations: Vec<(String, i64, String)>,
}

fn industries(tr: Tr) -> Vec<(&'static str, &'static str)> {
    model::INDUSTRIES.iter().map(|(c, zh, en)| (*c, tr.pick(zh, en))).collect()
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(f): Query<ListForm>) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/enterprises", "nav.enterprises");
    let q = ListQuery {
        q: f.q.clone(),
        industry: f.industry.clone().filter(|s| !s.is_empty()),
        key: f.key.clone(),
        due: f.due.clone(),
        mine: f.mine.clone(),
        late: f.late.clone(),
        sort: None,
        page: crate::web::page::opt_i64(&f.page),
        per_page: Some(30),
    };
    let now = ningan_core::time::now_ms();
    let page =
        enterprises::search(&state.db, &ctx.scope(), &q.query(&ctx, now), PageRequest::new(q.page, q.per_page)).await?;
    let on = |v: &Option<String>| v.as_deref() == Some("1");
    let filters = [
        ("q", f.q.clone().unwrap_or_default()),
        ("industry", f.industry.clone().unwrap_or_default()),
        ("key", f.key.clone().unwrap_or_default()),
        ("due", f.due.clone().unwrap_or_default()),
        ("mine", f.mine.clone().unwrap_or_default()),
        ("late", f.late.clone().unwrap_or_default()),
    ];
    let pager = Pager::new("/enterprises", &filters, &page).capped_at(super::store::COUNT_CAP);
    let late_stations = if ctx.may(Action::EnterpriseManage) {
        let grace = model::late_grace(service::tier_of(&ctx.unit));
        enterprises::late_by_station(&state.db, &ctx.scope(), now, grace)
            .await?
            .into_iter()
            .map(|(zh, en, n, oldest)| {
                (if frame.tr.is_en() { en } else { zh }, n, crate::web::fmt::day(crate::http::dto::ts(oldest)))
            })
            .collect()
    } else {
        Vec::new()
    };
    let en = frame.tr.is_en();
    let page = ListPage {
        rows: page.items.into_iter().map(|e| EnterpriseDto::new(e, en, now)).collect(),
        pager,
        industries: industries(frame.tr),
        q: f.q.unwrap_or_default(),
        industry: f.industry.unwrap_or_default(),
        key: on(&f.key),
        due: on(&f.due),
        mine: on(&f.mine),
        late: on(&f.late),
        may_manage: ctx.may(Action::EnterpriseManage),
        late_stations,
        frame,
    };
    Ok(html(axum::http::StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "enterprise/detail.html")]
struct DetailPage {
    frame: Frame,
    e: EnterpriseDto,
    point_json: String,
    file: Vec<api::FileEntryDto>,
    requests: Vec<RequestDto>,
    officers: Vec<(i64, String)>,
    may_work: bool,
    may_manage: bool,
    form: FormState,
}

impl DetailPage {
    fn kind_label(&self, kind: &str) -> &'static str {
        let en = self.frame.tr.is_en();
        match (kind, en) {
            ("visit", false) => "走访",
            ("visit", true) => "Visit",
            ("contact", false) => "联系",
            ("contact", true) => "Contact",
            ("liaison", false) => "指定联络民警",
            ("liaison", true) => "Liaison officer",
            (_, false) => "诉求",
            (_, true) => "Request",
        }
    }
}

async fn detail_page(state: &AppState, ctx: &Ctx, id: i64, form: Option<FormState>) -> PageResult {
    let e = enterprises::get(&state.db, &ctx.scope(), id).await.map_err(|e| PageError::from(e).framed(ctx))?;
    let frame = Frame::for_principal(ctx)
        .crumb("/enterprises", "nav.enterprises")
        .crumb_text(&format!("/enterprises/{id}"), &e.name);
    let en = frame.tr.is_en();
    let now = ningan_core::time::now_ms();
    let file = enterprises::file(&state.db, id, 100).await?;
    let reqs = requests::of_enterprise(&state.db, id, PageRequest::new(Some(1), Some(20))).await?;
    let officers = enterprises::officers(&state.db, &Scope::subtree(&e.unit_path)).await?;
    let form = form.unwrap_or_else(|| FormState::new(frame.tr));
    let point_json =
        serde_json::json!([{"name": e.name, "lon": e.lon, "lat": e.lat, "from": e.address, "to": ""}]).to_string();
    let page = DetailPage {
        point_json,
        e: EnterpriseDto::new(e, en, now),
        file: file
            .into_iter()
            .map(|f| api::FileEntryDto {
                at: crate::http::dto::ts(f.at),
                kind: f.kind,
                actor: f.actor,
                text: f.text,
                extra: f.extra,
            })
            .collect(),
        requests: reqs.items.into_iter().map(|r| RequestDto::new(r, en, now)).collect(),
        officers: officers.into_iter().map(|(id, name, _)| (id, name)).collect(),
        may_work: ctx.may(Action::EnterpriseWork),
        may_manage: ctx.may(Action::EnterpriseManage),
        frame,
        form,
    };
    Ok(html(page.form.status(), &page))
}

pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    detail_page(&state, &ctx, id, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct ContactForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    topics: String,
    #[serde(default)]
    problems: String,
}

pub async fn contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ContactForm>,
) -> PageResult<Response> {
    // The page's datetime-local field is China time without a zone.
    let at = (!f.at.trim().is_empty()).then(|| format!("{}:00+08:00", f.at.trim()));
    let req = ContactRequest { kind: f.kind.clone(), at, topics: f.topics.clone(), problems: f.problems.clone() };
    match api::log_contact(&state, &ctx, id, &req).await {
        Ok(_) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["kind", "at", "topics", "problems"]);
            Ok(detail_page(&state, &ctx, id, Some(form)).await?.into_response())
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
pub struct LiaisonForm {
    #[serde(default)]
    officer_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    work_phone: String,
}

pub async fn liaison(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<LiaisonForm>,
) -> PageResult<Response> {
    let result =
        match crate::web::page::form_required::<i64>("officer_id", "联络民警", "Liaison officer", &f.officer_id) {
            Ok(officer_id) => {
                let req =
                    AssignRequest { officer_id, reason: f.reason.clone(), work_phone: Some(f.work_phone.clone()) };
                api::assign_officer(&state, &ctx, id, &req).await
            }
            Err(e) => Err(e),
        };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["officer_id", "reason", "work_phone"]);
            Ok(detail_page(&state, &ctx, id, Some(form)).await?.into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "enterprise/requests.html")]
struct BoardPage {
    frame: Frame,
    rows: Vec<RequestDto>,
    pager: Pager,
    stages: Vec<(&'static str, &'static str)>,
    tiers: Vec<(&'static str, &'static str)>,
    stage: String,
    tier: String,
    overdue: bool,
    here: bool,
    q: String,
}

#[derive(Deserialize, Default)]
pub struct BoardForm {
    stage: Option<String>,
    tier: Option<String>,
    overdue: Option<String>,
    here: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

pub async fn board(State(state): State<AppState>, ctx: Ctx, Query(f): Query<BoardForm>) -> PageResult {
    let frame = Frame::for_principal(&ctx).crumb("/enterprises/requests", "nav.enterprise_requests");
    let en = frame.tr.is_en();
    let now = ningan_core::time::now_ms();
    let bq = BoardQuery {
        stage: f.stage.clone().filter(|s| !s.is_empty()),
        tier: f.tier.clone().filter(|s| !s.is_empty()),
        category: None,
        overdue: f.overdue.clone(),
        here: f.here.clone(),
        q: f.q.clone(),
        page: crate::web::page::opt_i64(&f.page),
        per_page: Some(30),
    };
    let page =
        requests::search(&state.db, &ctx.scope(), &bq.query(now), PageRequest::new(bq.page, bq.per_page)).await?;
    let filters = [
        ("stage", f.stage.clone().unwrap_or_default()),
        ("tier", f.tier.clone().unwrap_or_default()),
        ("overdue", f.overdue.clone().unwrap_or_default()),
        ("here", f.here.clone().unwrap_or_default()),
        ("q", f.q.clone().unwrap_or_default()),
    ];
    let pager = Pager::new("/enterprises/requests", &filters, &page).capped_at(super::store::COUNT_CAP);
    let page = BoardPage {
        rows: page.items.into_iter().map(|r| RequestDto::new(r, en, now)).collect(),
        pager,
        stages: Stage::ALL.iter().map(|s| (s.as_str(), s.label(en))).collect(),
        tiers: [Tier::Station, Tier::District, Tier::City].iter().map(|t| (t.as_str(), t.label(en))).collect(),
        stage: f.stage.unwrap_or_default(),
        tier: f.tier.unwrap_or_default(),
        overdue: f.overdue.as_deref() == Some("1"),
        here: f.here.as_deref() == Some("1"),
        q: f.q.unwrap_or_default(),
        frame,
    };
    Ok(html(axum::http::StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "enterprise/request.html")]
struct RequestPage {
    frame: Frame,
    r: RequestDto,
    events: Vec<api::EventDto>,
    attachments: Vec<super::portal_api::AttachmentDto>,
    actions: Vec<(&'static str, &'static str, bool)>,
    form: FormState,
}

async fn request_page(state: &AppState, ctx: &Ctx, id: i64, form: Option<FormState>) -> PageResult {
    let now = ningan_core::time::now_ms();
    let r = requests::get(&state.db, &ctx.scope(), id).await.map_err(|e| PageError::from(e).framed(ctx))?;
    let frame = Frame::for_principal(ctx)
        .crumb("/enterprises/requests", "nav.enterprise_requests")
        .crumb_text(&format!("/enterprises/requests/{id}"), &r.no);
    let en = frame.tr.is_en();
    let actions = if ctx.may(Action::EnterpriseWork) {
        service::actions_for(&r, &ctx.unit, now)
            .into_iter()
            .map(|a| (a.as_str(), a.label(en), a.needs_note()))
            .collect()
    } else {
        Vec::new()
    };
    let events = requests::events(&state.db, id).await?;
    let attachments = super::store::attachments::of_request(&state.db, id).await?;
    let form = form.unwrap_or_else(|| FormState::new(frame.tr));
    let page = RequestPage {
        attachments: attachments.into_iter().map(super::portal_api::attachment_dto).collect(),
        r: RequestDto::new(r, en, now),
        events: events
            .into_iter()
            .map(|e| api::EventDto {
                at: crate::http::dto::ts(e.at),
                actor: e.actor,
                kind: e.kind,
                tier: e.tier,
                note: e.note,
            })
            .collect(),
        actions,
        frame,
        form,
    };
    Ok(html(page.form.status(), &page))
}

impl RequestPage {
    fn event_label(&self, kind: &str) -> &'static str {
        let en = self.frame.tr.is_en();
        match kind {
            "filed" => {
                if en {
                    "Filed"
                } else {
                    "提交"
                }
            }
            "rated" => {
                if en {
                    "Rated"
                } else {
                    "评价"
                }
            }
            k => RequestAction::parse(k).map(|a| a.label(en)).unwrap_or(""),
        }
    }

    fn tier_label(&self, tier: &str) -> &'static str {
        Tier::parse(tier).map(|t| t.label(self.frame.tr.is_en())).unwrap_or("")
    }
}

pub async fn request(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    request_page(&state, &ctx, id, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct ActForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
}

pub async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> PageResult<Response> {
    let result = match RequestAction::parse(&f.action) {
        Some(a) => service::act(&state, &ctx, id, a, &f.note).await.map_err(crate::http::error::ApiError::from),
        None => Err(super::error::refuse("action", "无此操作", "no such action")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/enterprises/requests/{id}")).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["note"]);
            Ok(request_page(&state, &ctx, id, Some(form)).await?.into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "enterprise/import.html")]
struct ImportPage {
    frame: Frame,
    report: Option<super::import::ImportReport>,
    error: Option<String>,
}

pub async fn import_form(ctx: Ctx) -> PageResult {
    let frame = Frame::for_principal(&ctx)
        .crumb("/enterprises", "nav.enterprises")
        .crumb("/enterprises/import", "enterprise.import");
    Ok(html(axum::http::StatusCode::OK, &ImportPage { frame, report: None, error: None }))
}

/// The upload form's file, sent as multipart by `app.js` with the CSRF header.
pub async fn import(State(state): State<AppState>, ctx: Ctx, mut form: axum::extract::Multipart) -> PageResult {
    let frame = Frame::for_principal(&ctx)
        .crumb("/enterprises", "nav.enterprises")
        .crumb("/enterprises/import", "enterprise.import");
    let mut file = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_string();
            let ct = field.content_type().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(|e| {
                super::error::refuse("file", format!("上传中断：{e}"), format!("the upload broke off: {e}"))
            })?;
            file = Some((name, ct, bytes));
        }
    }
    let result = match file {
        Some((name, ct, bytes)) => match super::import::Format::detect(&ct, &name) {
            Some(format) => super::import::import(&state, &ctx, &bytes, format).await,
            None => Err(super::error::refuse("file", "请上传 CSV 或 XLSX 文件", "choose a CSV or XLSX file")),
        },
        None => Err(super::error::refuse("file", "请选择文件", "choose a file")),
    };
    let (status, report, error) = match result {
        Ok(r) => (axum::http::StatusCode::OK, Some(r), None),
        Err(e) => {
            (axum::http::StatusCode::UNPROCESSABLE_ENTITY, None, Some(crate::web::import::error_text(&e, frame.tr)))
        }
    };
    Ok(html(status, &ImportPage { frame, report, error }))
}

/// The filtered register as a file in the import's own columns (contact phones masked, so an
/// export is not a way round masking).
async fn export(state: &AppState, ctx: &Ctx, f: ListForm, format: crate::web::export::Format) -> PageResult<Response> {
    use crate::web::export::{Table, download, gather};
    let tr = Tr::new(ctx.language());
    let q = ListQuery {
        q: f.q,
        industry: f.industry.filter(|s| !s.is_empty()),
        key: f.key,
        due: f.due,
        mine: f.mine,
        ..Default::default()
    };
    let now = ningan_core::time::now_ms();
    let query = q.query(ctx, now);
    let query = &query;
    let found =
        gather(|page| async move { enterprises::search(&state.db, &ctx.scope(), query, page).await.map(|p| p.items) })
            .await?;
    let rows: Vec<Vec<String>> = found
        .into_iter()
        .map(|e| {
            let d = EnterpriseDto::new(e, tr.is_en(), now);
            vec![
                d.uscc,
                d.name,
                d.address,
                format!("{:.6}", d.lon),
                format!("{:.6}", d.lat),
                d.industry,
                d.size,
                if d.key_enterprise { tr.pick("是", "yes") } else { tr.pick("否", "no") }.to_string(),
                d.contact_name,
                d.contact_phone,
                d.unit_name,
                d.officer_name.unwrap_or_default(),
                crate::web::fmt::day(&d.next_due_at),
            ]
        })
        .collect();
    let mut w = state.db.write().await?;
    w.audit(ctx.actor().audit("enterprise.export", "enterprise", rows.len(), None, None, "register")).await?;
    w.commit().await?;
    let headers = [
        ("统一社会信用代码", "uscc"),
        ("企业名称", "name"),
        ("地址", "address"),
        ("经度", "lon"),
        ("纬度", "lat"),
        ("行业门类", "industry"),
        ("规模", "size"),
        ("重点企业", "key_enterprise"),
        ("联系人", "contact_name"),
        ("联系电话", "contact_phone"),
        ("派出所", "station_name"),
        ("联络民警", "liaison"),
        ("下次联系/走访", "next_due"),
    ];
    let table = Table::new("enterprises", tr, &headers, rows);
    Ok(download(&table, format)?)
}

pub async fn export_csv(State(state): State<AppState>, ctx: Ctx, Query(f): Query<ListForm>) -> PageResult<Response> {
    export(&state, &ctx, f, crate::web::export::Format::Csv).await
}

pub async fn export_xlsx(State(state): State<AppState>, ctx: Ctx, Query(f): Query<ListForm>) -> PageResult<Response> {
    export(&state, &ctx, f, crate::web::export::Format::Xlsx).await
}

#[derive(Template)]
#[template(path = "enterprise/notices.html")]
struct NoticesPage {
    frame: Frame,
    rows: Vec<super::store::portal::Notice>,
    pager: Pager,
    may_manage: bool,
    districts: Vec<(String, &'static str)>,
    industries: Vec<(&'static str, &'static str)>,
    form: FormState,
}

impl NoticesPage {
    fn district_name(&self, code: &Option<i64>) -> &'static str {
        let all = self.frame.tr.pick("全市", "whole city");
        code.and_then(|c| ningan_core::DISTRICTS.iter().find(|d| i64::from(d.code) == c))
            .map(|d| self.frame.tr.pick(d.name, d.name_en))
            .unwrap_or(all)
    }
}

#[derive(Deserialize, Default)]
pub struct NoticesQuery {
    page: Option<String>,
}

async fn notices_page(state: &AppState, ctx: &Ctx, page: Option<i64>, form: Option<FormState>) -> PageResult {
    let frame = Frame::for_principal(ctx).crumb("/enterprises/notices", "enterprise.notices");
    let list = super::store::portal::notices_sent(&state.db, &ctx.scope(), PageRequest::new(page, Some(20))).await?;
    let pager = Pager::new("/enterprises/notices", &[], &list);
    // A district branch writes to its own district; the city bureau chooses.
    let own = crate::modules::cockpit::panels::district_of(&ctx.unit.path);
    let mut districts: Vec<(String, &'static str)> = Vec::new();
    if own.is_none() {
        districts.push((String::new(), frame.tr.pick("全市", "Whole city")));
    }
    districts.extend(
        ningan_core::DISTRICTS
            .iter()
            .filter(|d| own.is_none_or(|o| o == d.code))
            .map(|d| (d.code.to_string(), frame.tr.pick(d.name, d.name_en))),
    );
    let mut industries = vec![("", frame.tr.pick("所有行业", "All industries"))];
    industries.extend(model::INDUSTRIES.iter().map(|(c, zh, en)| (*c, frame.tr.pick(zh, en))));
    let form = form.unwrap_or_else(|| FormState::new(frame.tr));
    let page = NoticesPage {
        rows: list.items,
        pager,
        may_manage: ctx.may(Action::EnterpriseManage),
        districts,
        industries,
        form,
        frame,
    };
    Ok(html(page.form.status(), &page))
}

pub async fn notices(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NoticesQuery>) -> PageResult {
    notices_page(&state, &ctx, crate::web::page::opt_i64(&q.page), None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct NoticeForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    industry: String,
}

pub async fn notice(State(state): State<AppState>, ctx: Ctx, Form(f): Form<NoticeForm>) -> PageResult<Response> {
    let district = match f.district.trim() {
        "" => Ok(None),
        d => d.parse::<i64>().map(Some).map_err(|_| super::error::refuse("district", "无此区县", "no such district")),
    };
    let result = match district {
        Ok(district) => {
            let req = api::NoticeRequest {
                title: f.title.clone(),
                body: f.body.clone(),
                district,
                industry: Some(f.industry.clone()).filter(|s| !s.is_empty()),
            };
            api::send_notice(&state, &ctx, &req).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/enterprises/notices").into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["title", "body", "district", "industry"]);
            Ok(notices_page(&state, &ctx, None, Some(form)).await?.into_response())
        }
    }
}
