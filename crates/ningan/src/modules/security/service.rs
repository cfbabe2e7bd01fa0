//! What a commander and the officers on posts do for a major event, shared by the API, the
//! pages and the demo: plan it (when, venues with their perimeters, posts with the strength
//! each needs), assign officers of the commander's units to posts, and let each officer
//! check in at their own post from where they stand; the event's board counts posts staffed
//! and the 110 incidents inside the perimeters while it runs.

use ningan_core::cap::Ring;
use ningan_core::time::now_ms;
use ningan_store::StoreError;

use super::error::SecurityError;
use super::store::plans::{self, Assignment, NewPlan, NewPost, Plan, Post, Venue};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

/// How far from their post an officer may check in: a square's width, not a district's.
pub const CHECK_IN_M: f64 = 300.0;
/// Officers check in from this long before the event starts.
pub const EARLY_MS: i64 = 3 * 3_600_000;

fn text(field: &'static str, zh: &str, en: &str, input: &str, max: usize) -> ApiResult<String> {
    ningan_core::text::line(input, 2, max)
        .map(|t| t.into_string())
        .map_err(|e| crate::modules::residents::text_error(field, zh, en, e))
}

fn user_id(ctx: &Ctx) -> i64 {
    ctx.user().map(|u| u.id).unwrap_or(0)
}

/// The plan as the caller may see it, and whether they may manage it.
pub async fn plan(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<(Plan, bool)> {
    Ok(plans::get(&state.db, &ctx.scope(), user_id(ctx), id).await?)
}

async fn managed(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<Plan> {
    let (p, manage) = plan(state, ctx, id).await?;
    if !manage || !ctx.may(ningan_core::Action::SecurityManage) {
        return Err(ApiError::plain(ErrorCode::Forbidden));
    }
    Ok(p)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct PlanInput {
    #[schemars(schema_with = "crate::http::schema::line_2_80")]
    pub name: String,
    /// RFC 3339.
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub starts_at: String,
    /// RFC 3339, after the start and at most 14 days later.
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN, "examples" = ["2026-11-30T20:00:00+08:00"]))]
    pub ends_at: String,
}

pub async fn create_plan(state: &AppState, ctx: &Ctx, input: &PlanInput) -> ApiResult<i64> {
    let name = text("name", "活动名称", "name", &input.name, 80)?;
    let time = |field: &'static str, v: &str| {
        chrono::DateTime::parse_from_rfc3339(v.trim())
            .map(|t| t.timestamp_millis())
            .map_err(|_| SecurityError::Field(field, Rule::Time))
    };
    let starts_at = time("starts_at", &input.starts_at)?;
    let ends_at = time("ends_at", &input.ends_at)?;
    if ends_at <= starts_at || ends_at - starts_at > 14 * 86_400_000 {
        let rule = Rule::context("结束须晚于开始，且不超过14天", "the end follows the start, at most 14 days later");
        return Err(SecurityError::Field("ends_at", rule).into());
    }
    let unit = &ctx.unit;
    let new = NewPlan { name: &name, starts_at, ends_at, unit_id: unit.id, unit_path: &unit.path };
    let mut w = state.db.write().await?;
    let id = plans::insert(&mut w, &ctx.actor(), &new, now_ms()).await?;
    w.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct VenueInput {
    #[schemars(schema_with = "crate::http::schema::line_2_60")]
    pub name: String,
    /// The perimeter: [lon, lat] points, closed, a simple polygon.
    #[schemars(schema_with = "crate::http::schema::ring")]
    pub ring: Vec<[f64; 2]>,
}

pub async fn add_venue(state: &AppState, ctx: &Ctx, plan_id: i64, input: &VenueInput) -> ApiResult<i64> {
    managed(state, ctx, plan_id).await?;
    let name = text("name", "场馆名称", "venue name", &input.name, 60)?;
    // Closure and crossings are the ring's geometry, which no schema states.
    Ring(input.ring.clone()).check().map_err(|e| SecurityError::Field("ring", Rule::context(e.zh(), e.to_string())))?;
    if !input.ring.iter().all(|p| crate::geo::district_at(p[0], p[1]).is_some()) {
        return Err(SecurityError::Field("ring", Rule::OutsideCity).into());
    }
    let mut w = state.db.write().await?;
    let id = plans::venue_insert(&mut w, &ctx.actor(), plan_id, &name, &input.ring, now_ms()).await?;
    w.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct PostInput {
    pub venue_id: i64,
    #[schemars(schema_with = "crate::http::schema::line_2_60")]
    pub name: String,
    /// 门岗、巡逻、制高点、安检…
    #[schemars(schema_with = "crate::http::schema::line_2_30")]
    pub duty: String,
    #[schemars(extend("examples" = [crate::http::schema::LON_EXAMPLE]))]
    pub lon: f64,
    #[schemars(extend("examples" = [crate::http::schema::LAT_EXAMPLE]))]
    pub lat: f64,
    /// Officers needed, 1–200.
    #[schemars(range(min = 1, max = 200))]
    pub required: i64,
}

pub async fn add_post(state: &AppState, ctx: &Ctx, plan_id: i64, input: &PostInput) -> ApiResult<i64> {
    managed(state, ctx, plan_id).await?;
    let venues = plans::venues(&state.db, plan_id).await?;
    let venue =
        venues.iter().find(|v| v.id == input.venue_id).ok_or(SecurityError::Field("venue_id", Rule::NotInScope))?;
    let name = text("name", "岗位名称", "post name", &input.name, 60)?;
    let duty = text("duty", "勤务内容", "duty", &input.duty, 30)?;
    if !(1..=200).contains(&input.required) {
        return Err(SecurityError::Field("required", Rule::Range(1, 200)).into());
    }
    // A post stands on or near its venue's perimeter, not across town.
    let metres = distance_to_ring([input.lon, input.lat], &venue.ring);
    if !metres.is_finite() || metres > 1000.0 {
        let rule =
            Rule::context("岗位应在场馆周界内或周界外1公里以内", "a post stands inside its venue or within 1 km of it");
        return Err(SecurityError::Field("lon", rule).into());
    }
    let new = NewPost {
        plan_id,
        venue_id: venue.id,
        name: &name,
        duty: &duty,
        lon: input.lon,
        lat: input.lat,
        required: input.required,
    };
    let mut w = state.db.write().await?;
    let id = plans::post_insert(&mut w, &ctx.actor(), &new, now_ms()).await?;
    w.commit().await?;
    Ok(id)
}

fn metres(a: [f64; 2], b: [f64; 2]) -> f64 {
    ningan_route::Plane::around((a[1] + b[1]) / 2.0).metres(a, b)
}

/// Metres from a point to a perimeter: 0 inside, else to its nearest corner or edge.
pub fn distance_to_ring(p: [f64; 2], ring: &[[f64; 2]]) -> f64 {
    let poly = ningan_core::geo::Polygon { rings: vec![ring.to_vec()] };
    if poly.contains(p) {
        return 0.0;
    }
    let plane = ningan_route::Plane::around(p[1]);
    let q = plane.project(p);
    ring.windows(2)
        .map(|e| {
            let (a, b) = (plane.project(e[0]), plane.project(e[1]));
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 { (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
            (q[0] - a[0] - t * dx).hypot(q[1] - a[1] - t * dy)
        })
        .fold(f64::INFINITY, f64::min)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct AssignInput {
    pub post_id: i64,
    /// An officer's account within the commander's units.
    pub user_id: i64,
}

pub async fn assign(state: &AppState, ctx: &Ctx, plan_id: i64, input: &AssignInput) -> ApiResult<i64> {
    managed(state, ctx, plan_id).await?;
    let posts = plans::posts(&state.db, plan_id).await?;
    if !posts.iter().any(|p| p.id == input.post_id) {
        return Err(SecurityError::Field("post_id", Rule::NotInScope).into());
    }
    let officer = state
        .db
        .user_get(&ctx.scope(), input.user_id)
        .await
        .map_err(|_| SecurityError::Field("user_id", Rule::NotInScope))?;
    if officer.disabled || !officer.roles.contains(&ningan_core::Role::StationOfficer) {
        let rule = Rule::context("只能安排在岗的派出所民警", "only serving station officers are posted");
        return Err(SecurityError::Field("user_id", rule).into());
    }
    let mut w = state.db.write().await?;
    let id =
        plans::assign(&mut w, &ctx.actor(), plan_id, input.post_id, officer.id, now_ms()).await.map_err(
            |e| match e {
                StoreError::Conflict(post) => ApiError::new(
                    ErrorCode::Conflict,
                    format!("该民警已安排在“{post}”岗位"),
                    format!("the officer holds the post {post} already"),
                ),
                other => other.into(),
            },
        )?;
    w.commit().await?;
    Ok(id)
}

pub async fn unassign(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<()> {
    let a = plans::assignment_get(&state.db, id).await?;
    managed(state, ctx, a.plan_id).await?;
    let mut w = state.db.write().await?;
    plans::unassign(&mut w, &ctx.actor(), id).await?;
    w.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct CheckInInput {
    /// Where the officer stands, from their device.
    pub lon: f64,
    pub lat: f64,
}

/// The officer's own check-in at their post: while the event runs (or shortly before), and
/// from within [`CHECK_IN_M`] of the post.
pub async fn check_in(state: &AppState, ctx: &Ctx, assignment: i64, input: &CheckInInput) -> ApiResult<f64> {
    let a = plans::assignment_get(&state.db, assignment).await?;
    if a.user_id != user_id(ctx) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "只能本人在自己的岗位签到",
            "officers check in at their own post only",
        ));
    }
    let (p, _) = plan(state, ctx, a.plan_id).await?;
    let now = now_ms();
    if now < p.starts_at - EARLY_MS || now >= p.ends_at {
        let rule = Rule::other("不在活动安保时段内", "outside the event's hours");
        return Err(SecurityError::Field("lon", rule).into());
    }
    let post = plans::posts(&state.db, a.plan_id)
        .await?
        .into_iter()
        .find(|x| x.id == a.post_id)
        .ok_or(StoreError::NotFound)?;
    if !(input.lon.is_finite() && input.lat.is_finite()) {
        return Err(SecurityError::Field("lon", Rule::OutsideCity).into());
    }
    let m = metres([input.lon, input.lat], [post.lon, post.lat]);
    if m > CHECK_IN_M {
        let rule = Rule::other(
            format!("距岗位{m:.0}米，须在{CHECK_IN_M:.0}米以内签到"),
            format!("{m:.0} m from the post: check in within {CHECK_IN_M:.0} m"),
        );
        return Err(SecurityError::Field("lon", rule).into());
    }
    let mut w = state.db.write().await?;
    plans::check_in(&mut w, &ctx.actor(), assignment, now, m).await.map_err(|e| match e {
        StoreError::State(_) => ApiError::new(ErrorCode::Conflict, "已签到", "checked in already"),
        other => other.into(),
    })?;
    w.commit().await?;
    Ok(m)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct EventIncident {
    pub id: i64,
    pub no: String,
    pub category: String,
    pub stage: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub received_at: i64,
    pub venue: String,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Board {
    pub plan: Plan,
    /// planned | under_way | over
    pub phase: String,
    pub may_manage: bool,
    pub venues: Vec<Venue>,
    pub posts: Vec<Post>,
    pub assignments: Vec<Assignment>,
    pub required: i64,
    pub assigned: i64,
    pub checked_in: i64,
    /// 110 incidents inside a perimeter from the start (or three hours before) until the end.
    pub incidents: Vec<EventIncident>,
    /// The caller's own post, if they hold one.
    pub mine: Option<Assignment>,
}

pub async fn board(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<Board> {
    let (plan, may_manage) = plan(state, ctx, id).await?;
    let venues = plans::venues(&state.db, id).await?;
    let posts = plans::posts(&state.db, id).await?;
    let assignments = plans::assignments(&state.db, id).await?;
    let now = now_ms();
    let phase = if now < plan.starts_at {
        "planned"
    } else if now < plan.ends_at {
        "under_way"
    } else {
        "over"
    };
    let incidents = incidents_in(state, &plan, &venues).await?;
    let me = user_id(ctx);
    Ok(Board {
        phase: phase.into(),
        may_manage: may_manage && ctx.may(ningan_core::Action::SecurityManage),
        required: posts.iter().map(|p| p.required).sum(),
        assigned: posts.iter().map(|p| p.assigned).sum(),
        checked_in: posts.iter().map(|p| p.checked_in).sum(),
        mine: assignments.iter().find(|a| a.user_id == me).cloned(),
        plan,
        venues,
        posts,
        assignments,
        incidents,
    })
}

/// The command module's incidents inside the venues' perimeters during the event.
async fn incidents_in(state: &AppState, plan: &Plan, venues: &[Venue]) -> ApiResult<Vec<EventIncident>> {
    use ningan_store::sql::{RowExt as _, query};
    let mut out = Vec::new();
    for v in venues {
        let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in &v.ring {
            for i in 0..2 {
                min[i] = min[i].min(p[i]);
                max[i] = max[i].max(p[i]);
            }
        }
        let rows = query(
            "SELECT id, no, category, stage, address, lon, lat, received_at FROM cmd_incidents \
             WHERE received_at >= $1 AND received_at < $2 AND lon >= $3 AND lon <= $4 AND lat >= $5 AND lat <= $6 \
             ORDER BY received_at DESC LIMIT 500",
        )
        .bind(plan.starts_at - EARLY_MS)
        .bind(plan.ends_at)
        .bind(min[0])
        .bind(max[0])
        .bind(min[1])
        .bind(max[1])
        .fetch_all(state.db.reader())
        .await
        .map_err(ningan_store::StoreError::from)?;
        let poly = ningan_core::geo::Polygon { rings: vec![v.ring.clone()] };
        for r in rows {
            let (lon, lat): (f64, f64) =
                (r.try_get("lon").map_err(StoreError::from)?, r.try_get("lat").map_err(StoreError::from)?);
            if !poly.contains([lon, lat]) {
                continue;
            }
            out.push(EventIncident {
                id: r.try_get("id").map_err(StoreError::from)?,
                no: r.try_get("no").map_err(StoreError::from)?,
                category: r.try_get("category").map_err(StoreError::from)?,
                stage: r.try_get("stage").map_err(StoreError::from)?,
                address: r.try_get("address").map_err(StoreError::from)?,
                lon,
                lat,
                received_at: r.try_get("received_at").map_err(StoreError::from)?,
                venue: v.name.clone(),
            });
        }
    }
    out.sort_by_key(|i| std::cmp::Reverse(i.received_at));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_inside_a_perimeter_is_at_nought_and_one_outside_at_its_distance() {
        let d = 0.001;
        let ring =
            [[121.55, 29.87], [121.55 + d, 29.87], [121.55 + d, 29.87 + d], [121.55, 29.87 + d], [121.55, 29.87]];
        assert_eq!(distance_to_ring([121.5505, 29.8705], &ring), 0.0);
        let east = distance_to_ring([121.55 + 2.0 * d, 29.8705], &ring);
        assert!((east - 96.5).abs() < 2.0, "a thousandth of a degree of longitude at 29.87° N: {east}");
    }
}
