//! Quarantine at the workbench: the sites' beds and the people in quarantine, admitting a
//! contact to a room (or home) under a regime whose rule is shown, and one stay's page with
//! its daily reports, end-date changes and release, each with its reason.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::quarantine::Regime;
use ningan_store::PageRequest;
use serde::{Deserialize, Serialize};

use super::api::{NewStayRequest, SiteDto, StayDto, move_end, record_report, release_stay, start_stay, stay_detail};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;
use crate::web::page::opt_i64;
use crate::web::{FormState, Frame, PageError, PageResult, Pager, Tr, html};

/// A regime with its rule in the page's language.
fn regimes(tr: &Tr) -> Vec<(&'static str, String)> {
    Regime::ALL
        .iter()
        .map(|r| {
            let rule = if tr.is_en() {
                match r.home_days() {
                    0 => format!("{} days in a site", r.central_days()),
                    h => format!("{} days in a site, then {h} of health monitoring at home", r.central_days()),
                }
            } else {
                r.label_zh().to_string()
            };
            (r.as_str(), rule)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "precise/quarantine.html")]
struct BoardPage {
    frame: Frame,
    sites: Vec<SiteDto>,
    stays: Vec<StayDto>,
    pager: Pager,
    /// Follow-ups waiting for a place: (id, name, tier).
    waiting: Vec<(i64, String, String)>,
    /// `home`, or `site:room` with its label and free beds.
    places: Vec<(String, String)>,
    regimes: Vec<(&'static str, String)>,
    may_manage: bool,
    form: FormState,
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    page: Option<String>,
}

async fn board(state: &AppState, ctx: &Ctx, q: BoardQuery, form: Option<FormState>) -> PageResult {
    let sites = state.db.sites_board(&ctx.scope()).await?.into_iter().map(SiteDto::from).collect();
    let mut w = state.db.write().await?;
    let page = w
        .stay_search(&ctx.actor(), &ctx.scope(), Some("active"), None, PageRequest::new(opt_i64(&q.page), Some(30)))
        .await?;
    let may_manage = ctx.may(ningan_core::Action::QuarantineManage);
    let mut waiting = Vec::new();
    if may_manage {
        let (actor, scope) = (ctx.actor(), ctx.scope());
        for status in ["transferred", "notified"] {
            let q = ningan_store::FollowupQuery { status: Some(status.into()), ..Default::default() };
            let f = w.followup_search(&actor, &scope, &q, PageRequest::new(None, Some(100))).await?;
            waiting.extend(f.items.into_iter().map(|f| (f.id, f.resident_name, f.tier)));
        }
    }
    w.commit().await?;
    let pager = Pager::new("/precise/quarantine", &[], &page);
    let frame = Frame::for_principal(ctx).crumb("/precise/quarantine", "nav.quarantine");
    let tr = frame.tr;
    let mut places = vec![("home".to_string(), tr.pick("居家隔离", "At home").to_string())];
    for (site, site_name, room, room_no, free) in state.db.rooms_free(&ctx.scope()).await? {
        let free_text = if tr.is_en() { format!("{free} free") } else { format!("空余 {free} 床") };
        places.push((format!("{site}:{room}"), format!("{site_name} · {room_no}（{free_text}）")));
    }
    let form = form.unwrap_or_else(|| FormState::new(tr));
    let status = form.status();
    let stays = page.items.into_iter().map(StayDto::from).collect();
    let page = BoardPage { sites, stays, pager, waiting, places, regimes: regimes(&tr), may_manage, form, frame };
    Ok(html(status, &page))
}

pub async fn show_board(State(state): State<AppState>, ctx: Ctx, Query(q): Query<BoardQuery>) -> PageResult {
    board(&state, &ctx, q, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct AdmitForm {
    #[serde(default)]
    followup_id: String,
    /// `home` or `site:room`.
    #[serde(default)]
    place: String,
    #[serde(default)]
    regime: String,
}

fn admit_request(form: &AdmitForm) -> Result<NewStayRequest, ApiError> {
    let followup_id = crate::web::page::form_required("followup_id", "管控对象", "Contact", &form.followup_id)?;
    let (site_id, room_id) = match form.place.trim() {
        "" | "home" => (None, None),
        place => {
            let parsed = place.split_once(':').and_then(|(s, r)| Some((s.parse().ok()?, r.parse().ok()?)));
            let (s, r) = parsed.ok_or_else(|| refuse("place", Rule::other("请选择隔离地点", "choose where")))?;
            (Some(s), Some(r))
        }
    };
    Ok(NewStayRequest {
        followup_id: Some(followup_id),
        resident_id: None,
        site_id,
        room_id,
        regime: form.regime.clone(),
        last_exposure: None,
    })
}

pub async fn admit(State(state): State<AppState>, ctx: Ctx, Form(form): Form<AdmitForm>) -> PageResult<Response> {
    let started = match admit_request(&form) {
        Ok(req) => start_stay(&state, &ctx, req).await,
        Err(e) => Err(e),
    };
    match started {
        Ok(id) => Ok(Redirect::to(&format!("/precise/quarantine/{id}")).into_response()),
        Err(e) if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND => {
            let mut e = e;
            for fe in &mut e.errors {
                if fe.field == "site_id" || fe.field == "room_id" {
                    fe.field = "place".into();
                }
            }
            let refused = FormState::new(Tr::new(ctx.language()))
                .with_values(&form)
                .refused(&e, &["followup_id", "place", "regime"]);
            board(&state, &ctx, BoardQuery::default(), Some(refused)).await.map(IntoResponse::into_response)
        }
        Err(e) => Err(PageError::from(e).framed(&ctx)),
    }
}

#[derive(Template)]
#[template(path = "precise/stay.html")]
struct StayPage {
    frame: Frame,
    stay: super::api::StayDetail,
    name: String,
    resident_id: i64,
    rule: String,
    may_manage: bool,
    form: FormState,
}

/// The fields of the stay page's report and end-date forms (a release's reason is asked in
/// the confirmation dialog, so its error shows at the top).
const REPORT_FIELDS: &[&str] = &["temperature", "test_result", "note"];
const END_FIELDS: &[&str] = &["end_on", "reason"];

async fn stay_page(state: &AppState, ctx: &Ctx, id: i64, form: Option<FormState>) -> PageResult {
    let stay = stay_detail(state, ctx, id).await.map_err(|e| PageError::from(e).framed(ctx))?;
    let (resident_id, ..) = state.db.stay_get(&ctx.scope(), id).await?;
    let name = state.db.resident_name(resident_id).await?;
    crate::http::shown::audit_shown(state, ctx, "quarantine.view", "quarantine", &[id], &[resident_id]).await?;
    let frame = Frame::for_principal(ctx).crumb("/precise/quarantine", "nav.quarantine").crumb_text("", &name);
    let rule = regimes(&frame.tr).into_iter().find(|(r, _)| *r == stay.regime).map(|(_, t)| t).unwrap_or_default();
    let form = form.unwrap_or_else(|| FormState::new(frame.tr).set("test_result", "negative"));
    let status = form.status();
    let may_manage = ctx.may(ningan_core::Action::QuarantineManage);
    Ok(html(status, &StayPage { frame, stay, name, resident_id, rule, may_manage, form }))
}

pub async fn show_stay(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    stay_page(&state, &ctx, id, None).await
}

/// Shows the stay again with a refused form, or fails the page.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    typed: &impl Serialize,
    fields: &[&str],
    e: ApiError,
) -> PageResult<Response> {
    if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND {
        let form = FormState::new(Tr::new(ctx.language())).with_values(typed).refused(&e, fields);
        stay_page(state, ctx, id, Some(form)).await.map(IntoResponse::into_response)
    } else {
        Err(PageError::from(e).framed(ctx))
    }
}

#[derive(Deserialize, Serialize, Default)]
pub struct ReportForm {
    #[serde(default)]
    temperature: String,
    #[serde(default)]
    test_result: String,
    #[serde(default)]
    note: String,
}

pub async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ReportForm>,
) -> PageResult<Response> {
    let done = match crate::web::page::form_value("temperature", "体温", "Temperature", &form.temperature) {
        Ok(t) => record_report(&state, &ctx, id, t, &form.test_result, &form.note).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/precise/quarantine/{id}")).into_response()),
        Err(e) => refused(&state, &ctx, id, &form, REPORT_FIELDS, e).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
pub struct EndForm {
    /// The new last day (China time).
    #[serde(default)]
    end_on: String,
    #[serde(default)]
    reason: String,
}

pub async fn change_end(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<EndForm>,
) -> PageResult<Response> {
    let end = chrono::NaiveDate::parse_from_str(form.end_on.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .and_then(|t| t.and_local_timezone(ningan_core::time::cst()).single())
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| refuse("end_on", Rule::other("请选择新的解除日期", "choose the new end date")));
    let done = match end {
        Ok(ms) => move_end(&state, &ctx, id, ms, &form.reason).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/precise/quarantine/{id}")).into_response()),
        Err(e) => {
            let mut e = e;
            for fe in &mut e.errors {
                if fe.field == "end_at" {
                    fe.field = "end_on".into();
                }
            }
            refused(&state, &ctx, id, &form, END_FIELDS, e).await
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
pub struct ReleaseForm {
    #[serde(default)]
    reason: String,
}

pub async fn release(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ReleaseForm>,
) -> PageResult<Response> {
    let done = if form.reason.trim().chars().count() < 2 {
        Err(refuse("reason", Rule::Reason(2, 200)))
    } else {
        release_stay(&state, &ctx, id, &form.reason).await
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/precise/quarantine/{id}")).into_response()),
        Err(e) => refused(&state, &ctx, id, &ReleaseForm::default(), &[], e).await,
    }
}

/// This capability's pages in the route table.
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    let manage = Access::Action(Action::QuarantineManage);
    api.add(
        Op::page(Method::GET, "/precise/quarantine", Access::Action(Action::CaseRead), "隔离管理看板"),
        get(show_board),
    )
    .add(Op::page(Method::POST, "/precise/quarantine", manage, "安排隔离"), post(admit))
    .add(
        Op::page(Method::GET, "/precise/quarantine/{id}", Access::Action(Action::CaseRead), "隔离人员"),
        get(show_stay),
    )
    .add(Op::page(Method::POST, "/precise/quarantine/{id}/report", manage, "健康监测登记"), post(report))
    .add(Op::page(Method::POST, "/precise/quarantine/{id}/end", manage, "调整解除日期"), post(change_end))
    .add(Op::page(Method::POST, "/precise/quarantine/{id}/release", manage, "解除隔离"), post(release))
}
