//! Risk points, the events of their rectification, their photos and patrols. Every read is
//! bounded by the viewer; every write is audited in its transaction and moves a point only
//! from the state its caller saw.

use base64::Engine as _;
use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, StoreError, Write};

use super::Viewer;
use crate::modules::life::model::{State, Step};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Point {
    pub id: i64,
    pub kind: String,
    pub category: String,
    pub severity: String,
    pub state: String,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub unit_id: i64,
    pub unit_path: String,
    pub unit_name: String,
    pub unit_name_en: String,
    pub department: Option<String>,
    pub deadline: Option<i64>,
    pub escalated_at: Option<i64>,
    pub reopened: i64,
    pub found_by: String,
    pub found_at: i64,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
    pub water: Water,
}

/// What a water point carries against drowning: its measures and the "four in one" parties.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Water {
    pub railing_m: Option<f64>,
    pub signs: Option<i64>,
    pub buoys: Option<i64>,
    /// The patrol schedule, e.g. "每日 16:00–18:00".
    pub patrol: Option<String>,
    pub party_government: Option<String>,
    pub party_school: Option<String>,
    pub party_family: Option<String>,
    pub party_society: Option<String>,
}

/// An optional real as bound text, cast back in SQL. The driver's `Any` layer declares a NULL
/// double as a float4 parameter, so a statement first run with NULL and cached would then
/// refuse the float8 of a later value on PostgreSQL ("incorrect binary data format").
pub(crate) fn real(v: Option<f64>) -> Option<String> {
    v.map(|v| v.to_string())
}

pub(crate) const COLUMNS: &str = "p.id, p.kind, p.category, p.severity, p.state, p.title, p.description, p.address, \
    p.lon, p.lat, p.unit_id, p.unit_path, u.name AS unit_name, u.name_en AS unit_name_en, p.department, p.deadline, \
    p.escalated_at, p.reopened, p.found_by, p.found_at, p.closed_at, p.updated_at, p.railing_m, p.signs, p.buoys, \
    p.patrol, p.party_government, p.party_school, p.party_family, p.party_society";
const FROM: &str = "life_points p JOIN org_units u ON u.id = p.unit_id";

pub(crate) fn from_row(r: &Row) -> Result<Point> {
    Ok(Point {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        category: r.try_get("category")?,
        severity: r.try_get("severity")?,
        state: r.try_get("state")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        address: r.try_get("address")?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        unit_name: r.try_get("unit_name")?,
        unit_name_en: r.try_get("unit_name_en")?,
        department: r.try_get("department")?,
        deadline: r.try_get("deadline")?,
        escalated_at: r.try_get("escalated_at")?,
        reopened: r.try_get("reopened")?,
        found_by: r.try_get("found_by")?,
        found_at: r.try_get("found_at")?,
        closed_at: r.try_get("closed_at")?,
        updated_at: r.try_get("updated_at")?,
        water: Water {
            railing_m: r.try_get("railing_m")?,
            signs: r.try_get("signs")?,
            buoys: r.try_get("buoys")?,
            patrol: r.try_get("patrol")?,
            party_government: r.try_get("party_government")?,
            party_school: r.try_get("party_school")?,
            party_family: r.try_get("party_family")?,
            party_society: r.try_get("party_society")?,
        },
    })
}

/// A validated new point; the service checked every field and found its station.
#[derive(Debug, Clone)]
pub struct NewPoint {
    pub kind: String,
    pub category: String,
    pub severity: String,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub unit_id: i64,
    pub unit_path: String,
    pub water: Water,
}

pub async fn insert(w: &mut Write, actor: &Actor, p: &NewPoint, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO life_points (kind, category, severity, state, title, description, address, lon, lat, unit_id, \
         unit_path, reopened, found_by, found_at, updated_at, railing_m, signs, buoys, patrol, party_government, \
         party_school, party_family, party_society) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $13, CAST($14 AS DOUBLE PRECISION), $15, $16, $17, $18, $19, \
         $20, $21) \
         RETURNING id",
    )
    .bind(&p.kind)
    .bind(&p.category)
    .bind(&p.severity)
    .bind(State::Found.as_str())
    .bind(&p.title)
    .bind(&p.description)
    .bind(&p.address)
    .bind(p.lon)
    .bind(p.lat)
    .bind(p.unit_id)
    .bind(&p.unit_path)
    .bind(&actor.name)
    .bind(now)
    .bind(real(p.water.railing_m))
    .bind(p.water.signs)
    .bind(p.water.buoys)
    .bind(p.water.patrol.as_deref())
    .bind(p.water.party_government.as_deref())
    .bind(p.water.party_school.as_deref())
    .bind(p.water.party_family.as_deref())
    .bind(p.water.party_society.as_deref())
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("life.point.create", "life_point", id, None, None, &format!("{} {}", p.kind, p.severity)))
        .await?;
    Ok(id)
}

/// One point the viewer may see.
pub async fn get(db: &Db, viewer: &Viewer, id: i64) -> Result<Point> {
    let mut f = Filter::new();
    viewer.restrict(&mut f);
    let idp = f.arg_i64(id);
    f.cond(format!("p.id = {idp}"));
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {}", f.where_sql());
    let row = f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?;
    from_row(&row)
}

#[derive(Debug, Clone, Default)]
pub struct PointQuery {
    pub q: Option<String>,
    pub category: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub severity: Option<String>,
    pub department: Option<String>,
    /// Assigned and past their deadline at this instant.
    pub overdue_at: Option<i64>,
    /// `deadline` (soonest first) or the default, newest first.
    pub sort: Option<String>,
}

pub fn filter(viewer: &Viewer, q: &PointQuery) -> Filter {
    let mut f = Filter::new();
    viewer.restrict(&mut f);
    let eq = |f: &mut Filter, col: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            let a = f.arg_text(v.to_string());
            f.cond(format!("{col} = {a}"));
        }
    };
    eq(&mut f, "p.category", &q.category);
    eq(&mut f, "p.kind", &q.kind);
    eq(&mut f, "p.state", &q.state);
    eq(&mut f, "p.severity", &q.severity);
    eq(&mut f, "p.department", &q.department);
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = f.arg_text(format!("%{}%", text.replace(['%', '_'], "")));
        f.cond(format!("(p.title LIKE {like} OR p.address LIKE {like})"));
    }
    if let Some(now) = q.overdue_at {
        let n = f.arg_i64(now);
        let s = f.arg_text(State::Assigned.as_str().into());
        f.cond(format!("p.state = {s} AND p.deadline < {n}"));
    }
    f
}

pub async fn list(db: &Db, viewer: &Viewer, q: &PointQuery, page: PageRequest) -> Result<Page<Point>> {
    let f = filter(viewer, q);
    let order = match q.sort.as_deref() {
        Some("deadline") => "p.deadline IS NULL, p.deadline, p.id",
        _ => "p.id DESC",
    };
    ningan_store::sql::paged(db, COLUMNS, FROM, "life_points p", &f, order, page, from_row).await
}

/// An event in a point's history.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Event {
    pub id: i64,
    pub step: String,
    pub from_state: String,
    pub to_state: String,
    pub note: String,
    /// `[{"kind": "railing", "quantity": 120.0}]`
    pub measures: serde_json::Value,
    pub actor: String,
    pub at: i64,
}

pub async fn events(db: &Db, point_id: i64) -> Result<Vec<Event>> {
    let rows = query(
        "SELECT id, step, from_state, to_state, note, measures, actor, at FROM life_point_events \
         WHERE point_id = $1 ORDER BY id",
    )
    .bind(point_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let measures: String = r.try_get("measures")?;
            Ok(Event {
                id: r.try_get("id")?,
                step: r.try_get("step")?,
                from_state: r.try_get("from_state")?,
                to_state: r.try_get("to_state")?,
                note: r.try_get("note")?,
                measures: serde_json::from_str(&measures).unwrap_or(serde_json::Value::Null),
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// A state change as decided by the service.
#[derive(Debug, Clone)]
pub struct Move<'a> {
    pub step: Step,
    pub from: State,
    pub to: State,
    pub note: &'a str,
    pub measures: &'a serde_json::Value,
    /// For `assign`: the department and its deadline.
    pub department: Option<&'a str>,
    pub deadline: Option<i64>,
}

/// Moves a point from the state its caller saw; another writer having moved it first is a
/// conflict, and nothing is written. Returns the event's id.
pub async fn apply(w: &mut Write, actor: &Actor, id: i64, m: &Move<'_>, now: i64) -> Result<i64> {
    let (department, deadline, closed_at, reopen, clear_escalation) = match m.step {
        Step::Assign => (m.department, m.deadline, None, 0, true),
        Step::Reject => (None, m.deadline, None, 0, false),
        Step::Close => (None, None, Some(now), 0, false),
        Step::Reopen => (None, None, None, 1, true),
        Step::Rectify | Step::Verify => (None, None, None, 0, false),
    };
    let done = query(
        "UPDATE life_points SET state = $1, updated_at = $2, \
         department = COALESCE($3, department), deadline = COALESCE($4, deadline), \
         closed_at = $5, reopened = reopened + $6, \
         escalated_at = CASE WHEN $7 = 1 THEN NULL ELSE escalated_at END \
         WHERE id = $8 AND state = $9",
    )
    .bind(m.to.as_str())
    .bind(now)
    .bind(department)
    .bind(deadline)
    .bind(closed_at)
    .bind(reopen)
    .bind(i64::from(clear_escalation))
    .bind(id)
    .bind(m.from.as_str())
    .execute(w.connection())
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!("life point {id} is no longer {}", m.from.as_str())));
    }
    let event: i64 = query(
        "INSERT INTO life_point_events (point_id, step, from_state, to_state, note, measures, actor, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(id)
    .bind(m.step.as_str())
    .bind(m.from.as_str())
    .bind(m.to.as_str())
    .bind(m.note)
    .bind(m.measures.to_string())
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let action = format!("life.point.{}", m.step.as_str());
    w.audit(actor.audit(&action, "life_point", id, None, None, &format!("{} → {}", m.from.as_str(), m.to.as_str())))
        .await?;
    Ok(event)
}

pub async fn set_water(w: &mut Write, actor: &Actor, id: i64, water: &Water, now: i64) -> Result<()> {
    query(
        "UPDATE life_points SET railing_m = CAST($1 AS DOUBLE PRECISION), signs = $2, buoys = $3, patrol = $4, party_government = $5, \
         party_school = $6, party_family = $7, party_society = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(real(water.railing_m))
    .bind(water.signs)
    .bind(water.buoys)
    .bind(water.patrol.as_deref())
    .bind(water.party_government.as_deref())
    .bind(water.party_school.as_deref())
    .bind(water.party_family.as_deref())
    .bind(water.party_society.as_deref())
    .bind(now)
    .bind(id)
    .execute(w.connection())
    .await?;
    w.audit(actor.audit("life.point.water", "life_point", id, None, None, "measures and responsible parties")).await?;
    Ok(())
}

/// Assigned points past their deadline and not yet escalated, escalated now to the district:
/// returns their ids and units.
pub async fn escalate_overdue(w: &mut Write, now: i64) -> Result<Vec<(i64, String)>> {
    let rows = query(
        "UPDATE life_points SET escalated_at = $1 \
         WHERE state = 'assigned' AND deadline < $1 AND escalated_at IS NULL RETURNING id, unit_path",
    )
    .bind(now)
    .fetch_all(w.connection())
    .await?;
    let out: Vec<(i64, String)> =
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("unit_path")?))).collect::<Result<_>>()?;
    let system = Actor { name: "system:life-escalation".into(), unit_id: None };
    for (id, _) in &out {
        w.audit(system.audit("life.point.escalate", "life_point", id, None, None, "overdue: to the district")).await?;
    }
    Ok(out)
}

/// Verified or closed points of `category` within a box around a place, for reopening.
pub async fn near(w: &mut Write, category: &str, lon: f64, lat: f64, deg: f64) -> Result<Vec<(i64, String, f64, f64)>> {
    let rows = query(
        "SELECT id, state, lon, lat FROM life_points WHERE category = $1 AND state IN ('verified', 'closed') \
         AND lon BETWEEN $2 AND $3 AND lat BETWEEN $4 AND $5",
    )
    .bind(category)
    .bind(lon - deg * 1.2)
    .bind(lon + deg * 1.2)
    .bind(lat - deg)
    .bind(lat + deg)
    .fetch_all(w.connection())
    .await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("state")?, r.try_get("lon")?, r.try_get("lat")?))).collect()
}

/// What the map index keeps of a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Pin {
    /// When the point last changed: how the index catches up with other processes' writes.
    pub updated_at: i64,
    pub id: i64,
    pub lon: f64,
    pub lat: f64,
    pub kind: String,
    pub state: String,
    pub severity: String,
    pub unit_path: String,
    pub department: Option<String>,
    pub deadline: Option<i64>,
}

/// Every point as a pin, in id order from `after`, a batch at a time.
pub async fn pins(db: &Db, after: i64, limit: i64) -> Result<Vec<Pin>> {
    let rows = query(
        "SELECT id, lon, lat, kind, state, severity, unit_path, department, deadline, updated_at FROM life_points \
         WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(pin_from_row).collect()
}

pub async fn pin(db: &Db, id: i64) -> Result<Pin> {
    let r = query(
        "SELECT id, lon, lat, kind, state, severity, unit_path, department, deadline, updated_at FROM life_points \
         WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.reader())
    .await?
    .ok_or(StoreError::NotFound)?;
    pin_from_row(&r)
}

/// Points changed at or after `since` (by their `updated_at`; one millisecond may hold two
/// writes, so the last one seen is read again), at most `limit`.
pub async fn pins_changed(db: &Db, since: i64, limit: i64) -> Result<Vec<Pin>> {
    let rows = query(
        "SELECT id, lon, lat, kind, state, severity, unit_path, department, deadline, updated_at FROM life_points \
         WHERE updated_at >= $1 ORDER BY updated_at LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(pin_from_row).collect()
}

fn pin_from_row(r: &Row) -> Result<Pin> {
    Ok(Pin {
        updated_at: r.try_get("updated_at")?,
        id: r.try_get("id")?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        kind: r.try_get("kind")?,
        state: r.try_get("state")?,
        severity: r.try_get("severity")?,
        unit_path: r.try_get("unit_path")?,
        department: r.try_get("department")?,
        deadline: r.try_get("deadline")?,
    })
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Photo {
    pub id: i64,
    pub point_id: i64,
    pub event_id: Option<i64>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn photo_insert(
    w: &mut Write,
    point_id: i64,
    event_id: Option<i64>,
    name: &str,
    content_type: &str,
    bytes: &[u8],
    now: i64,
) -> Result<i64> {
    use sha2::Digest as _;
    let id: i64 = query(
        "INSERT INTO life_photos (point_id, event_id, name, content_type, size, sha256, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(point_id)
    .bind(event_id)
    .bind(name)
    .bind(content_type)
    .bind(bytes.len() as i64)
    .bind(hex::encode(sha2::Sha256::digest(bytes)))
    .bind(base64::engine::general_purpose::STANDARD.encode(bytes))
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    Ok(id)
}

fn photo_from_row(r: &Row) -> Result<Photo> {
    Ok(Photo {
        id: r.try_get("id")?,
        point_id: r.try_get("point_id")?,
        event_id: r.try_get("event_id")?,
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
    })
}

pub async fn photos(db: &Db, point_id: i64) -> Result<Vec<Photo>> {
    let rows = query(
        "SELECT id, point_id, event_id, name, content_type, size FROM life_photos WHERE point_id = $1 ORDER BY id",
    )
    .bind(point_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(photo_from_row).collect()
}

/// A photo and its bytes; the caller has checked that its point may be seen.
pub async fn photo(db: &Db, id: i64) -> Result<(Photo, Vec<u8>)> {
    let r = query("SELECT id, point_id, event_id, name, content_type, size, body FROM life_photos WHERE id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    let body: String = r.try_get("body")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| StoreError::Invalid(format!("life photo {id}: {e}")))?;
    Ok((photo_from_row(&r)?, bytes))
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Patrol {
    pub id: i64,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub at: i64,
    pub officer: String,
    pub note: String,
}

pub async fn patrol_insert(w: &mut Write, actor: &Actor, point_id: i64, at: i64, note: &str) -> Result<i64> {
    let id: i64 = query("INSERT INTO life_patrols (point_id, at, officer, note) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(point_id)
        .bind(at)
        .bind(&actor.name)
        .bind(note)
        .fetch_one(w.connection())
        .await?
        .try_get("id")?;
    w.audit(actor.audit("life.point.patrol", "life_point", point_id, None, None, "patrol logged")).await?;
    Ok(id)
}

pub async fn patrols(db: &Db, point_id: i64) -> Result<Vec<Patrol>> {
    let rows =
        query("SELECT id, at, officer, note FROM life_patrols WHERE point_id = $1 ORDER BY at DESC, id DESC LIMIT 50")
            .bind(point_id)
            .fetch_all(db.reader())
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Patrol {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                officer: r.try_get("officer")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}
