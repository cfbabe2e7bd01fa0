//! The workbench pages of major-event security: the plans, and a plan's board — posts
//! staffed against their strength on a map and a table, the incidents inside the
//! perimeters, the commander's forms (venue, post, assignment) and an officer's own
//! check-in at their post.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::{Action, Role};
use serde::{Deserialize, Serialize};

use super::service::{self, AssignInput, Board, CheckInInput, PlanInput, PostInput, VenueInput};
use super::store::plans::{self, Plan};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::page::{drawn_points, form_place, form_required, refield};
use crate::web::{FormState, Frame, PageResult, Tr, html};

#[derive(Template)]
#[template(path = "security/plans.html")]
struct PlansPage {
    frame: Frame,
    plans: Vec<Plan>,
    may_manage: bool,
    form: FormState,
    now: i64,
}

async fn plans_page(state: &AppState, ctx: &Ctx, form: Option<FormState>) -> PageResult<PlansPage> {
    let frame = Frame::for_principal(ctx).crumb("/security", "nav.security");
    let me = ctx.user().map(|u| u.id).unwrap_or(0);
    Ok(PlansPage {
        plans: plans::visible(&state.db, &ctx.scope(), me).await?,
        may_manage: ctx.may(Action::SecurityManage),
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        frame,
        now: ningan_core::time::now_ms(),
    })
}

pub async fn plans(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let page = plans_page(&state, &ctx, None).await?;
    Ok(html(axum::http::StatusCode::OK, &page))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct PlanForm {
    name: String,
    starts_at: String,
    ends_at: String,
}

use crate::web::page::local_time_rfc3339 as local;

pub async fn plan_create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<PlanForm>) -> PageResult<Response> {
    let input = PlanInput { name: f.name.clone(), starts_at: local(&f.starts_at), ends_at: local(&f.ends_at) };
    match service::create_plan(&state, &ctx, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/security/plans/{id}")).into_response()),
        Err(e) => {
            let form =
                FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["name", "starts_at", "ends_at"]);
            let page = plans_page(&state, &ctx, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "security/plan.html")]
struct PlanPage {
    frame: Frame,
    b: Board,
    venues: Vec<(String, String)>,
    posts: Vec<(String, String)>,
    officers: Vec<(String, String)>,
    failed: &'static str,
    form: FormState,
}

impl PlanPage {
    fn form_for(&self, which: &str) -> FormState {
        if self.failed == which { self.form.clone() } else { FormState::new(self.frame.tr) }
    }
    fn phase(&self) -> &'static str {
        match (self.b.phase.as_str(), self.frame.tr.is_en()) {
            ("planned", false) => "未开始",
            ("planned", true) => "Planned",
            ("under_way", false) => "进行中",
            ("under_way", true) => "Under way",
            (_, false) => "已结束",
            (_, true) => "Over",
        }
    }
    fn stage(&self, s: &str) -> &'static str {
        ningan_core::incident::Stage::parse(s).map(|x| x.label(self.frame.tr.is_en())).unwrap_or("")
    }
    fn category(&self, c: &str) -> &'static str {
        ningan_core::incident::Category::parse(c).map(|x| x.label(self.frame.tr.is_en())).unwrap_or("")
    }
    fn assigned_to(&self, post: &i64) -> Vec<&super::store::plans::Assignment> {
        self.b.assignments.iter().filter(|a| a.post_id == *post).collect()
    }
}

async fn plan_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    failed: &'static str,
    form: Option<FormState>,
) -> PageResult<PlanPage> {
    let b = service::board(state, ctx, id).await?;
    let frame = Frame::for_principal(ctx)
        .crumb("/security", "nav.security")
        .crumb_text(&format!("/security/plans/{id}"), &b.plan.name);
    let venues = b.venues.iter().map(|v| (v.id.to_string(), v.name.clone())).collect();
    let posts =
        b.posts.iter().map(|p| (p.id.to_string(), format!("{}（{}/{}）", p.name, p.assigned, p.required))).collect();
    let officers = if b.may_manage {
        let held: Vec<i64> = b.assignments.iter().map(|a| a.user_id).collect();
        state
            .db
            .users_in_scope(&ctx.scope(), None, None, ningan_store::PageRequest::new(Some(1), Some(500)))
            .await?
            .items
            .into_iter()
            .filter(|u| !u.disabled && u.roles.contains(&Role::StationOfficer) && !held.contains(&u.id))
            .map(|u| (u.id.to_string(), u.display_name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(PlanPage { form: form.unwrap_or_else(|| FormState::new(frame.tr)), frame, b, venues, posts, officers, failed })
}

pub async fn plan(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let page = plan_page(&state, &ctx, id, "", None).await?;
    Ok(html(axum::http::StatusCode::OK, &page))
}

async fn refused_on(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    which: &'static str,
    values: &impl Serialize,
    e: &ApiError,
    fields: &[&str],
) -> PageResult<Response> {
    let form = FormState::new(Tr::new(ctx.language())).with_values(values).refused(e, fields);
    let page = plan_page(state, ctx, id, which, Some(form)).await?;
    Ok(html(page.form.status(), &page))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct VenueForm {
    name: String,
    area: String,
}

pub async fn venue_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<VenueForm>,
) -> PageResult<Response> {
    let result = async {
        let ring = drawn_points(
            "area",
            &f.area,
            "请在地图上依次点击周界各顶点（至少三个）",
            "click the perimeter's corners on the map (three or more)",
        )?;
        service::add_venue(&state, &ctx, id, &VenueInput { name: f.name.clone(), ring }).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/security/plans/{id}")).into_response()),
        Err(e) => {
            let e = refield(e, "ring", "area");
            refused_on(&state, &ctx, id, "venue", &f, &e, &["name", "area"]).await
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct PostForm {
    venue_id: String,
    name: String,
    duty: String,
    required: String,
    lon: String,
    lat: String,
}

pub async fn post_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<PostForm>,
) -> PageResult<Response> {
    let result = async {
        let venue_id = form_required("venue_id", "场馆", "venue", &f.venue_id)?;
        let required = form_required("required", "所需警力", "officers needed", &f.required)?;
        let (lon, lat) = form_place(&f.lon, &f.lat)?;
        let input = PostInput { venue_id, name: f.name.clone(), duty: f.duty.clone(), lon, lat, required };
        service::add_post(&state, &ctx, id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/security/plans/{id}")).into_response()),
        Err(e) => {
            refused_on(&state, &ctx, id, "post", &f, &e, &["venue_id", "name", "duty", "required", "lon", "lat"]).await
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct AssignForm {
    post_id: String,
    user_id: String,
    /// An assignment to withdraw instead.
    withdraw: String,
}

pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> PageResult<Response> {
    let result = async {
        if !f.withdraw.trim().is_empty() {
            let a: i64 = form_required("withdraw", "安排", "assignment", &f.withdraw)?;
            return service::unassign(&state, &ctx, a).await.map(|_| 0);
        }
        let post_id = form_required("post_id", "岗位", "post", &f.post_id)?;
        let user_id = form_required("user_id", "民警", "officer", &f.user_id)?;
        service::assign(&state, &ctx, id, &AssignInput { post_id, user_id }).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/security/plans/{id}#posts")).into_response()),
        Err(e) => refused_on(&state, &ctx, id, "assign", &f, &e, &["post_id", "user_id"]).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct CheckInForm {
    lon: String,
    lat: String,
}

pub async fn check_in(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, assignment)): Path<(i64, i64)>,
    Form(f): Form<CheckInForm>,
) -> PageResult<Response> {
    let result = async {
        let (lon, lat) = form_place(&f.lon, &f.lat)?;
        service::check_in(&state, &ctx, assignment, &CheckInInput { lon, lat }).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/security/plans/{id}")).into_response()),
        Err(e) => refused_on(&state, &ctx, id, "checkin", &f, &e, &["lon", "lat"]).await,
    }
}
