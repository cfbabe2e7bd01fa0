//! The clerk's pages: applications to work at this station (and everything below for a
//! district), one application with its timeline and the decision, counter entry, and the
//! stations' ratings.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::Action;
use ningan_store::{ApplicationQuery, PageRequest};
use serde::{Deserialize, Serialize};

use super::applications::{self, ApplicationDetailDto, ApplicationDto, CounterRequest, DecideRequest, RatingDto};
use super::catalogue::{ItemDto, item_dto};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::page::{nonempty, opt_i64, page_size};
use crate::web::{FormState, Frame, PageError, PageResult, Pager, Tr, html};

fn message(e: &ApiError) -> String {
    match e.errors.first() {
        Some(f) if !f.field.is_empty() => format!("{}：{}", f.field, f.message),
        _ => e.detail_zh.clone(),
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    /// Application number, applicant or item, in part.
    q: Option<String>,
    item: Option<String>,
    /// "1": only overdue ones.
    overdue: Option<String>,
    /// "1": only poor ratings awaiting the station's answer.
    reply_due: Option<String>,
    sort: Option<String>,
    size: Option<String>,
    page: Option<String>,
}

impl ListQuery {
    fn query(&self) -> Result<ApplicationQuery, ApiError> {
        applications::application_query(
            nonempty(&self.status),
            nonempty(&self.q),
            nonempty(&self.item),
            self.overdue.as_deref() == Some("1"),
            self.reply_due.as_deref() == Some("1"),
            self.sort.as_deref(),
        )
    }

    /// The filters as they go back into links (pages, sorting, export).
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let v = |o: &Option<String>| nonempty(o).unwrap_or_default();
        vec![
            ("status", v(&self.status)),
            ("q", v(&self.q)),
            ("item", v(&self.item)),
            ("overdue", v(&self.overdue)),
            ("reply_due", v(&self.reply_due)),
            ("sort", v(&self.sort)),
        ]
    }
}

#[derive(Template)]
#[template(path = "services/applications.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<ApplicationDto>,
    pager: Pager,
    status: String,
    /// The filters as typed, shown again in the query form.
    filter: ListQuery,
    statuses: Vec<(&'static str, &'static str)>,
    items: Vec<ItemDto>,
    ratings: Vec<RatingDto>,
    may_work: bool,
    /// The counter, code and cross-city forms, as typed when one was refused.
    form: FormState,
    /// The cross-city form is never refused back into the page: its fields start empty.
    empty_form: FormState,
    /// What an action reports that is not an error (a code was sent).
    notice: Option<String>,
    filed: Option<String>,
    peers: Vec<(String, String)>,
    forwarded: Vec<super::crosscity::ForwardedDto>,
}

/// What the list page shows besides the list after an action.
#[derive(Default)]
struct After {
    form: Option<FormState>,
    filed: Option<String>,
    notice: Option<String>,
}

async fn list_page(state: &AppState, ctx: &Ctx, q: ListQuery, after: After) -> PageResult {
    let query = q.query().map_err(|e| PageError::from(e).framed(ctx))?;
    let size = page_size(&q.size);
    let page = state.db.applications(&ctx.scope(), &query, PageRequest::new(opt_i64(&q.page), Some(size))).await?;
    applications::audit_applications_shown(state, ctx, &page.items).await?;
    let pager = Pager::new("/services/applications", &q.pairs(), &page).sizable();
    let status = query.status.clone();
    let now = ningan_core::time::now_ms();
    let facts = state.db.service_facts().await?;
    let items = state.db.service_items(true).await?.into_iter().map(|i| item_dto(i, &facts)).collect();
    let ratings = state.db.station_ratings(&ctx.scope()).await?.into_iter().map(RatingDto::from).collect();
    let frame = Frame::for_principal(ctx).crumb("/services/applications", "nav.applications");
    let form = after.form.unwrap_or_else(|| FormState::new(frame.tr));
    let code = form.status();
    let peers = state.config.crosscity.peers.iter().map(|p| (p.city.clone(), p.name.clone())).collect();
    let forwarded = super::crosscity::forwarded_page(state, ctx).await?;
    let page = ListPage {
        peers,
        forwarded,
        rows: page.items.into_iter().map(|a| ApplicationDto::from_app(a, now)).collect(),
        pager,
        status: status.unwrap_or_default(),
        filter: q,
        statuses: ningan_core::labels::APPLICATION_STATUS
            .iter()
            .filter(|x| x.code != "forwarding")
            .map(|x| (x.code, frame.tr.pick(x.zh, x.en)))
            .collect(),
        items,
        ratings,
        may_work: ctx.may(Action::ApplicationWork),
        form,
        empty_form: FormState::new(frame.tr),
        notice: after.notice,
        filed: after.filed,
        frame,
    };
    Ok(html(code, &page))
}

/// The filtered list as a file (CSV or XLSX), audited like the list.
pub async fn export(
    state: &AppState,
    ctx: &Ctx,
    q: ListQuery,
    format: crate::web::export::Format,
) -> PageResult<Response> {
    use crate::web::export::{Table, download, gather};
    let query = q.query().map_err(|e| PageError::from(e).framed(ctx))?;
    let tr = Tr::new(ctx.language());
    let now = ningan_core::time::now_ms();
    let query = &query;
    let shown =
        gather(|page| async move { state.db.applications(&ctx.scope(), query, page).await.map(|p| p.items) }).await?;
    let rows = shown
        .iter()
        .cloned()
        .map(|a| {
            let d = ApplicationDto::from_app(a, now);
            vec![
                d.no,
                tr.pick(&d.item_name, super::catalogue::english(&d.item_name)).to_string(),
                d.applicant,
                d.unit_name,
                tr.pick(if d.channel == "portal" { "网上" } else { "窗口" }, &d.channel).to_string(),
                tr.pick(&d.status_zh, &d.status_en).to_string(),
                crate::web::fmt::when(&d.created_at),
                crate::web::fmt::when(&d.deadline),
                if d.overdue { tr.pick("超期", "overdue").to_string() } else { String::new() },
            ]
        })
        .collect();
    applications::audit_applications_shown(state, ctx, &shown).await?;
    let headers = [
        ("编号", "No."),
        ("事项", "Item"),
        ("申请人", "Applicant"),
        ("办理单位", "Station"),
        ("渠道", "Channel"),
        ("状态", "Status"),
        ("提交时间", "Filed"),
        ("办结时限", "Deadline"),
        ("超期", "Overdue"),
    ];
    let table = Table::new("applications", tr, &headers, rows);
    Ok(download(&table, format)?)
}

pub async fn export_csv(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult<Response> {
    export(&state, &ctx, q, crate::web::export::Format::Csv).await
}

pub async fn export_xlsx(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult<Response> {
    export(&state, &ctx, q, crate::web::export::Format::Xlsx).await
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    list_page(&state, &ctx, q, After::default()).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct CounterForm {
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    citizen_code: String,
    /// The chosen item's own fields, sent as `details.<key>` (see the catalogue).
    #[serde(flatten)]
    details: BTreeMap<String, String>,
}

/// The item's fields from `details.<key>` inputs; the inputs of other items are disabled in
/// the page and so not sent, and empty ones mean not given.
fn details(fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("details.")?.to_string(), v.trim().to_string())))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// The fields of the list page's forms; each item's own fields are `details.<key>`, found
/// under their group.
const COUNTER_FIELDS: &[&str] = &["id_number", "item", "consent", "citizen_code", "city", "name", "details"];

async fn refused(state: &AppState, ctx: &Ctx, typed: &impl Serialize, e: ApiError) -> PageResult<Response> {
    if e.code.status() != StatusCode::UNPROCESSABLE_ENTITY && e.code.status() != StatusCode::CONFLICT {
        return Err(e.into());
    }
    let form = FormState::new(Tr::new(ctx.language())).with_values(typed).refused(&e, COUNTER_FIELDS);
    list_page(state, ctx, ListQuery::default(), After { form: Some(form), ..After::default() }).await
}

pub async fn counter(State(state): State<AppState>, ctx: Ctx, Form(form): Form<CounterForm>) -> PageResult<Response> {
    let req = CounterRequest {
        id_number: form.id_number.clone(),
        item: form.item.clone(),
        details: details(&form.details),
        consent: form.consent == "yes",
        citizen_code: Some(form.citizen_code.clone()),
    };
    match applications::counter_file(&state, &ctx, &req).await {
        Ok((_, no)) => {
            list_page(&state, &ctx, ListQuery::default(), After { filed: Some(no), ..After::default() }).await
        }
        Err(e) => refused(&state, &ctx, &form, e).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
pub struct CounterCodeForm {
    #[serde(default)]
    id_number: String,
}

/// Sends the applicant their confirmation code, then shows the counter form again with the
/// ID number filled in.
pub async fn counter_code(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CounterCodeForm>,
) -> PageResult<Response> {
    match applications::send_counter_code(&state, &ctx, &form.id_number).await {
        Ok(sent) => {
            let tr = Tr::new(ctx.language());
            let mut note = tr
                .pick("确认码已发送至申请人登记手机", "A code was sent to the applicant's registered phone")
                .to_string();
            if let Some(code) = sent.demo_code {
                note.push_str(&format!("（{}{code}）", tr.pick("演示：", "demo: ")));
            }
            let form = FormState::new(tr).with_values(&form);
            let after = After { form: Some(form), notice: Some(note), ..After::default() };
            list_page(&state, &ctx, ListQuery::default(), after).await
        }
        Err(e) => refused(&state, &ctx, &form, e).await,
    }
}

#[derive(Template)]
#[template(path = "services/application.html")]
struct DetailPage {
    frame: Frame,
    d: ApplicationDetailDto,
    may_work: bool,
    error: Option<String>,
}

async fn detail_page(state: &AppState, ctx: &Ctx, id: i64, error: Option<String>) -> PageResult {
    let d =
        applications::detail_in_scope(state, ctx, id).await.map_err(|e| crate::web::PageError::from(e).framed(ctx))?;
    let frame = Frame::for_principal(ctx)
        .crumb("/services/applications", "nav.applications")
        .crumb_text(&format!("/services/applications/{id}"), &d.application.no);
    let code = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(html(code, &DetailPage { frame, d, may_work: ctx.may(Action::ApplicationWork), error }))
}

pub async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    detail_page(&state, &ctx, id, None).await
}

#[derive(Deserialize, Default)]
pub struct DecideForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<DecideForm>,
) -> PageResult<Response> {
    let req = DecideRequest { status: form.status, note: form.note };
    match applications::decide(&state, &ctx, id, &req).await {
        Ok(_) => Ok(Redirect::to(&format!("/services/applications/{id}")).into_response()),
        Err(e) if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND => {
            detail_page(&state, &ctx, id, Some(message(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ReplyForm {
    #[serde(default)]
    reply: String,
}

/// The station answers a poor rating from the application's page.
pub async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ReplyForm>,
) -> PageResult<Response> {
    match applications::reply(&state, &ctx, id, &form.reply).await {
        Ok(()) => Ok(Redirect::to(&format!("/services/applications/{id}")).into_response()),
        Err(e) if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND => {
            detail_page(&state, &ctx, id, Some(message(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ManualForm {
    #[serde(default)]
    note: String,
}

pub async fn manual_check(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, fact)): Path<(i64, String)>,
    Form(form): Form<ManualForm>,
) -> PageResult<Response> {
    match applications::manual_check(&state, &ctx, id, &fact, &form.note).await {
        Ok(()) => Ok(Redirect::to(&format!("/services/applications/{id}")).into_response()),
        Err(e) if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND => {
            detail_page(&state, &ctx, id, Some(message(&e))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "services/proof.html")]
struct ProofPage {
    d: ApplicationDetailDto,
    watermark: String,
}

/// A printable record of what was verified, carrying the extracting unit and time as a
/// watermark on every page, so a print cannot pass for an agency's own certificate.
pub async fn proof(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let d = applications::detail_in_scope(&state, &ctx, id)
        .await
        .map_err(|e| crate::web::PageError::from(e).framed(&ctx))?;
    let watermark = format!(
        "{} 提取 {} 仅供本次办理使用",
        ctx.unit.name,
        ningan_core::time::format_ms(ningan_core::time::now_ms())
    );
    let mut w = state.db.write().await?;
    w.audit(ctx.actor().audit(
        "application.proof",
        "application",
        id,
        Some(d.application.resident_id),
        None,
        "printed",
    ))
    .await?;
    w.commit().await?;
    Ok(html(StatusCode::OK, &ProofPage { d, watermark }))
}

#[derive(Template)]
#[template(path = "services/deliveries.html")]
struct DeliveriesPage {
    frame: Frame,
    rows: Vec<super::outbox::DeliveryDto>,
    pager: Pager,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize, Default)]
pub struct DeliveryQuery {
    status: Option<String>,
    page: Option<String>,
}

/// The administrators' view of identity-change deliveries, dead letters first to hand.
pub async fn deliveries(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DeliveryQuery>) -> PageResult {
    let status = nonempty(&q.status).filter(|s| ningan_core::labels::DELIVERY_STATUS.iter().any(|x| x.code == s));
    let page = state.db.deliveries(status.as_deref(), PageRequest::new(opt_i64(&q.page), Some(50))).await?;
    let pager = Pager::new("/services/deliveries", &[("status", status.clone().unwrap_or_default())], &page);
    let frame = Frame::for_principal(&ctx).crumb("/services/deliveries", "nav.deliveries");
    let page = DeliveriesPage {
        rows: page.items.into_iter().map(super::outbox::delivery_dto).collect(),
        pager,
        status: status.unwrap_or_default(),
        statuses: ningan_core::labels::DELIVERY_STATUS.iter().map(|x| (x.code, frame.tr.pick(x.zh, x.en))).collect(),
        frame,
    };
    Ok(html(StatusCode::OK, &page))
}

pub async fn redrive(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult<Response> {
    super::outbox::redrive(&state, &ctx, id).await?;
    Ok(Redirect::to("/services/deliveries?status=pending").into_response())
}

#[derive(Deserialize, Serialize, Default)]
pub struct ForwardForm {
    #[serde(default)]
    city: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    consent: String,
    #[serde(flatten)]
    details: BTreeMap<String, String>,
}

pub async fn forward(State(state): State<AppState>, ctx: Ctx, Form(form): Form<ForwardForm>) -> PageResult<Response> {
    let req = super::crosscity::ForwardRequest {
        city: form.city.clone(),
        id_number: form.id_number.clone(),
        name: form.name.clone(),
        item: form.item.clone(),
        details: details(&form.details),
        consent: form.consent == "yes",
    };
    match super::crosscity::forward_one(&state, &ctx, req).await {
        Ok(f) => list_page(&state, &ctx, ListQuery::default(), After { filed: Some(f.no), ..After::default() }).await,
        Err(e) => refused(&state, &ctx, &form, e).await,
    }
}
