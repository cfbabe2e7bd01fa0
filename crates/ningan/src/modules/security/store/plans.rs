//! Plans with their venues, posts and assignments. A plan belongs to the unit that made it;
//! a reader sees the plans within their scope and those they hold a post in.

use ningan_store::sql::{Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, Scope, StoreError, Write};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Plan {
    pub id: i64,
    pub name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub unit_id: i64,
    pub unit_path: String,
    pub created_by: String,
}

fn plan(r: &Row) -> Result<Plan> {
    Ok(Plan {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        created_by: r.try_get("created_by")?,
    })
}

pub struct NewPlan<'a> {
    pub name: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub unit_id: i64,
    pub unit_path: &'a str,
}

pub async fn insert(w: &mut Write, actor: &Actor, n: &NewPlan<'_>, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO sec_plans (name, starts_at, ends_at, unit_id, unit_path, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(n.name)
    .bind(n.starts_at)
    .bind(n.ends_at)
    .bind(n.unit_id)
    .bind(n.unit_path)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("security.plan.create", "sec_plan", id, None, None, n.name)).await?;
    Ok(id)
}

/// Plans `user` may see: within `scope`, or holding a post in them; the latest first.
pub async fn visible(db: &Db, scope: &Scope, user: i64) -> Result<Vec<Plan>> {
    let (lo, hi) = scope.range();
    let rows = query(
        "SELECT * FROM sec_plans WHERE (unit_path >= $1 AND unit_path < $2) \
         OR id IN (SELECT plan_id FROM sec_assignments WHERE user_id = $3) ORDER BY starts_at DESC, id DESC LIMIT 200",
    )
    .bind(lo)
    .bind(hi)
    .bind(user)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(plan).collect()
}

/// One plan, if `user` may see it; whether they may manage it (it is within `scope`).
pub async fn get(db: &Db, scope: &Scope, user: i64, id: i64) -> Result<(Plan, bool)> {
    let row = query("SELECT * FROM sec_plans WHERE id = $1").bind(id).fetch_optional(db.reader()).await?;
    let p = plan(&row.ok_or(StoreError::NotFound)?)?;
    if scope.contains(&p.unit_path) {
        return Ok((p, true));
    }
    let held = query("SELECT 1 AS x FROM sec_assignments WHERE plan_id = $1 AND user_id = $2")
        .bind(id)
        .bind(user)
        .fetch_optional(db.reader())
        .await?;
    if held.is_some() { Ok((p, false)) } else { Err(StoreError::NotFound) }
}

/// Plans under way at `at` within `scope`.
pub async fn under_way(db: &Db, scope: &Scope, at: i64) -> Result<Vec<Plan>> {
    let (lo, hi) = scope.range();
    let rows =
        query("SELECT * FROM sec_plans WHERE unit_path >= $1 AND unit_path < $2 AND starts_at <= $3 AND ends_at > $3")
            .bind(lo)
            .bind(hi)
            .bind(at)
            .fetch_all(db.reader())
            .await?;
    rows.iter().map(plan).collect()
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Venue {
    pub id: i64,
    pub plan_id: i64,
    pub name: String,
    /// The perimeter, [lon, lat] points, closed.
    pub ring: Vec<[f64; 2]>,
}

pub async fn venue_insert(
    w: &mut Write,
    actor: &Actor,
    plan_id: i64,
    name: &str,
    ring: &[[f64; 2]],
    now: i64,
) -> Result<i64> {
    let ring = serde_json::to_string(ring).map_err(|e| StoreError::State(e.to_string()))?;
    let id: i64 =
        query("INSERT INTO sec_venues (plan_id, name, ring, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(plan_id)
            .bind(name)
            .bind(ring)
            .bind(now)
            .fetch_one(w.connection())
            .await?
            .try_get("id")?;
    w.audit(actor.audit("security.venue.create", "sec_venue", id, None, None, name)).await?;
    Ok(id)
}

pub async fn venues(db: &Db, plan_id: i64) -> Result<Vec<Venue>> {
    let rows =
        query("SELECT * FROM sec_venues WHERE plan_id = $1 ORDER BY id").bind(plan_id).fetch_all(db.reader()).await?;
    rows.iter()
        .map(|r| {
            let ring: String = r.try_get("ring")?;
            Ok(Venue {
                id: r.try_get("id")?,
                plan_id: r.try_get("plan_id")?,
                name: r.try_get("name")?,
                ring: serde_json::from_str(&ring).map_err(|e| StoreError::State(format!("a stored perimeter: {e}")))?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Post {
    pub id: i64,
    pub plan_id: i64,
    pub venue_id: i64,
    pub name: String,
    /// 门岗、巡逻、制高点…
    pub duty: String,
    pub lon: f64,
    pub lat: f64,
    /// Officers the post needs.
    pub required: i64,
    pub assigned: i64,
    pub checked_in: i64,
}

pub struct NewPost<'a> {
    pub plan_id: i64,
    pub venue_id: i64,
    pub name: &'a str,
    pub duty: &'a str,
    pub lon: f64,
    pub lat: f64,
    pub required: i64,
}

pub async fn post_insert(w: &mut Write, actor: &Actor, n: &NewPost<'_>, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO sec_posts (plan_id, venue_id, name, duty, lon, lat, required, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(n.plan_id)
    .bind(n.venue_id)
    .bind(n.name)
    .bind(n.duty)
    .bind(n.lon)
    .bind(n.lat)
    .bind(n.required)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let detail = format!("{} ({} officers)", n.name, n.required);
    w.audit(actor.audit("security.post.create", "sec_post", id, None, None, &detail)).await?;
    Ok(id)
}

/// A plan's posts with how many are assigned and checked in.
pub async fn posts(db: &Db, plan_id: i64) -> Result<Vec<Post>> {
    let rows = query(
        "SELECT p.*, (SELECT COUNT(*) FROM sec_assignments a WHERE a.post_id = p.id) AS assigned, \
         (SELECT COUNT(*) FROM sec_assignments a WHERE a.post_id = p.id AND a.checked_in_at IS NOT NULL) AS checked_in \
         FROM sec_posts p WHERE p.plan_id = $1 ORDER BY p.venue_id, p.id",
    )
    .bind(plan_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Post {
                id: r.try_get("id")?,
                plan_id: r.try_get("plan_id")?,
                venue_id: r.try_get("venue_id")?,
                name: r.try_get("name")?,
                duty: r.try_get("duty")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
                required: r.try_get("required")?,
                assigned: r.try_get("assigned")?,
                checked_in: r.try_get("checked_in")?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Assignment {
    pub id: i64,
    pub plan_id: i64,
    pub post_id: i64,
    pub post: String,
    pub user_id: i64,
    pub officer: String,
    pub unit: String,
    pub checked_in_at: Option<i64>,
}

const ASSIGNMENT: &str = "SELECT a.id, a.plan_id, a.post_id, p.name AS post, a.user_id, u.display_name AS officer, \
    o.name AS unit, a.checked_in_at FROM sec_assignments a JOIN sec_posts p ON p.id = a.post_id \
    JOIN users u ON u.id = a.user_id JOIN org_units o ON o.id = u.unit_id";

fn assignment(r: &Row) -> Result<Assignment> {
    Ok(Assignment {
        id: r.try_get("id")?,
        plan_id: r.try_get("plan_id")?,
        post_id: r.try_get("post_id")?,
        post: r.try_get("post")?,
        user_id: r.try_get("user_id")?,
        officer: r.try_get("officer")?,
        unit: r.try_get("unit")?,
        checked_in_at: r.try_get("checked_in_at")?,
    })
}

pub async fn assignments(db: &Db, plan_id: i64) -> Result<Vec<Assignment>> {
    let rows = query(&format!("{ASSIGNMENT} WHERE a.plan_id = $1 ORDER BY a.post_id, a.id"))
        .bind(plan_id)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(assignment).collect()
}

pub async fn assignment_get(db: &Db, id: i64) -> Result<Assignment> {
    let row = query(&format!("{ASSIGNMENT} WHERE a.id = $1")).bind(id).fetch_optional(db.reader()).await?;
    assignment(&row.ok_or(StoreError::NotFound)?)
}

/// Assigns an officer to a post; an officer already holding a post in the plan is a conflict.
pub async fn assign(w: &mut Write, actor: &Actor, plan_id: i64, post_id: i64, user_id: i64, now: i64) -> Result<i64> {
    let held = query("SELECT p.name FROM sec_assignments a JOIN sec_posts p ON p.id = a.post_id WHERE a.plan_id = $1 AND a.user_id = $2")
        .bind(plan_id)
        .bind(user_id)
        .fetch_optional(w.connection())
        .await?;
    if let Some(r) = held {
        let post: String = r.try_get("name")?;
        return Err(StoreError::Conflict(post));
    }
    let id: i64 = query(
        "INSERT INTO sec_assignments (plan_id, post_id, user_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(plan_id)
    .bind(post_id)
    .bind(user_id)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let detail = format!("user {user_id} to post {post_id}");
    w.audit(actor.audit("security.assign", "sec_assignment", id, None, None, &detail)).await?;
    Ok(id)
}

pub async fn unassign(w: &mut Write, actor: &Actor, id: i64) -> Result<()> {
    let done = query("DELETE FROM sec_assignments WHERE id = $1").bind(id).execute(w.connection()).await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    w.audit(actor.audit("security.unassign", "sec_assignment", id, None, None, "")).await?;
    Ok(())
}

/// Records the officer at their post, once.
pub async fn check_in(w: &mut Write, actor: &Actor, id: i64, at: i64, metres: f64) -> Result<()> {
    let done = query("UPDATE sec_assignments SET checked_in_at = $1 WHERE id = $2 AND checked_in_at IS NULL")
        .bind(at)
        .bind(id)
        .execute(w.connection())
        .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::State("checked in already".into()));
    }
    let detail = format!("{metres:.0} m from the post");
    w.audit(actor.audit("security.check_in", "sec_assignment", id, None, None, &detail)).await?;
    Ok(())
}
