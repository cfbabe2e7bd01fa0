//! The duty pages: who is on duty now at each station (and where a station is short of its
//! minimum strength), adding a shift, calling off-duty officers to a post and following
//! their answers, and an officer answering their own call-ups.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::{Action, Role};
use ningan_store::{PageRequest, UnitKind};
use serde::{Deserialize, Serialize};

use super::duty::{self, ShiftInput, StationDuty};
use super::mobilise::{self, MobiliseInput};
use super::store::mobilise::{self as store, Called, Mobilisation};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::page::form_required;
use crate::web::{FormState, Frame, PageResult, Tr, html};

#[derive(Template)]
#[template(path = "command/duty.html")]
struct DutyPage {
    frame: Frame,
    stations: Vec<StationDuty>,
    short: usize,
    minimum: usize,
    officers: Vec<(String, String)>,
    station_options: Vec<(String, String)>,
    mobilisations: Vec<Mobilisation>,
    mine: Vec<Mobilisation>,
    form: FormState,
    may_work: bool,
}

async fn duty_page(state: &AppState, ctx: &Ctx, form: Option<FormState>) -> PageResult<DutyPage> {
    let frame = Frame::for_principal(ctx).crumb("/command", "nav.command").crumb("/command/duty", "nav.command_duty");
    let en = frame.tr.is_en();
    let stations = duty::on_duty(state, ctx, ningan_core::time::now_ms()).await?;
    let may_work = ctx.may(Action::CommandWork);
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let station_options: Vec<(String, String)> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Station)
        .map(|u| (u.id.to_string(), if en { u.name_en.clone() } else { u.name.clone() }))
        .collect();
    // The officers a shift may be given to: station officers in scope (a page of them; the
    // API takes any officer's id).
    let officers = if may_work {
        state
            .db
            .users_in_scope(&ctx.scope(), None, None, PageRequest::new(Some(1), Some(200)))
            .await?
            .items
            .into_iter()
            .filter(|u| !u.disabled && u.roles.contains(&Role::StationOfficer))
            .map(|u| (u.id.to_string(), format!("{}（{}）", u.display_name, u.username)))
            .collect()
    } else {
        Vec::new()
    };
    let mine = match ctx.user() {
        Some(me) => store::pending_for(&state.db, me.id).await?,
        None => Vec::new(),
    };
    Ok(DutyPage {
        short: stations.iter().filter(|s| s.short).count(),
        minimum: state.config.module::<super::config::CommandConfig>().min_on_duty,
        stations,
        officers,
        station_options,
        mobilisations: store::list(&state.db, &ctx.scope(), PageRequest::new(Some(1), Some(20))).await?.items,
        mine,
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        may_work,
        frame,
    })
}

pub async fn duty(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let page = duty_page(&state, &ctx, None).await?;
    Ok(html(axum::http::StatusCode::OK, &page))
}

/// A `datetime-local` value is Ningbo time; an RFC 3339 one is taken as written.
fn instant(v: &str) -> String {
    let v = v.trim();
    match v.len() {
        16 => format!("{v}:00+08:00"),
        19 if !v.ends_with('Z') => format!("{v}+08:00"),
        _ => v.to_string(),
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct ShiftForm {
    user_id: String,
    starts_at: String,
    ends_at: String,
    post: String,
}

pub async fn add_shift(State(state): State<AppState>, ctx: Ctx, Form(f): Form<ShiftForm>) -> PageResult<Response> {
    let result = async {
        let user_id = form_required::<i64>("user_id", "民警", "officer", &f.user_id)?;
        let input = ShiftInput {
            user_id,
            starts_at: instant(&f.starts_at),
            ends_at: instant(&f.ends_at),
            post: f.post.clone(),
        };
        duty::add_shift(&state, &ctx, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/command/duty?done=shift").into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["user_id", "starts_at", "ends_at", "post"]);
            let page = duty_page(&state, &ctx, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct MobiliseForm {
    title: String,
    post: String,
    reason: String,
    needed: String,
    station_id: String,
}

pub async fn mobilise(State(state): State<AppState>, ctx: Ctx, Form(f): Form<MobiliseForm>) -> PageResult<Response> {
    let result = async {
        let needed = form_required::<i64>("needed", "需要人数", "officers wanted", &f.needed)?;
        let station_ids = match f.station_id.trim() {
            "" => Vec::new(),
            s => vec![form_required::<i64>("station_ids", "派出所", "station", s)?],
        };
        let input = MobiliseInput {
            title: f.title.clone(),
            post: f.post.clone(),
            reason: f.reason.clone(),
            needed,
            station_ids,
        };
        mobilise::mobilise(&state, &ctx, &input).await
    }
    .await;
    match result {
        Ok((id, _)) => Ok(Redirect::to(&format!("/command/mobilisations/{id}")).into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language()))
                .with_values(&f)
                .refused(&e, &["title", "post", "reason", "needed", "station_ids"]);
            let page = duty_page(&state, &ctx, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "command/mobilisation.html")]
struct MobilisationPage {
    frame: Frame,
    m: Mobilisation,
    called: Vec<Called>,
    my_answer: Option<String>,
    form: FormState,
}

impl MobilisationPage {
    fn answer_label(&self, a: &str) -> &'static str {
        match (a, self.frame.tr.is_en()) {
            ("accepted", false) => "已应答，前往",
            ("accepted", true) => "coming",
            ("declined", false) => "无法前往",
            ("declined", true) => "cannot come",
            (_, false) => "待应答",
            (_, true) => "awaiting answer",
        }
    }
}

async fn mobilisation_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: Option<FormState>,
) -> PageResult<MobilisationPage> {
    let me = ctx.user().map(|u| u.id);
    let m = store::get(&state.db, &ctx.scope(), me, id).await?;
    let mut called = store::called(&state.db, id).await?;
    let my_answer = called.iter().find(|c| Some(c.user_id) == me).map(|c| c.answer.clone());
    if !ctx.scope().contains(&m.unit_path) {
        called.retain(|c| Some(c.user_id) == me);
    }
    let frame = Frame::for_principal(ctx)
        .crumb("/command", "nav.command")
        .crumb("/command/duty", "nav.command_duty")
        .crumb_text(&format!("/command/mobilisations/{id}"), &m.title);
    Ok(MobilisationPage { form: form.unwrap_or_else(|| FormState::new(frame.tr)), m, called, my_answer, frame })
}

pub async fn mobilisation(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let page = mobilisation_page(&state, &ctx, id, None).await?;
    Ok(html(axum::http::StatusCode::OK, &page))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    answer: String,
    note: String,
}

pub async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<AnswerForm>,
) -> PageResult<Response> {
    let accept = f.answer == "accept";
    match mobilise::answer(&state, &ctx, id, accept, &f.note).await {
        Ok(()) => Ok(Redirect::to(&format!("/command/mobilisations/{id}")).into_response()),
        Err(e) => {
            let e: ApiError = e;
            let form = FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["note"]);
            let page = mobilisation_page(&state, &ctx, id, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}
