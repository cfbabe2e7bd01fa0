//! Events, their CAP warnings, road closures and the rescues (110 incidents) filed under
//! them. Events are the city's: every commander sees them; who sees the households is
//! decided in `households.rs`.

use ningan_store::sql::{Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, StoreError, Write};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Event {
    pub id: i64,
    pub name: String,
    pub kind: String,
    /// active | closed
    pub state: String,
    pub started_at: i64,
    pub closed_at: Option<i64>,
    pub created_by: String,
}

fn event(r: &Row) -> Result<Event> {
    Ok(Event {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        state: r.try_get("state")?,
        started_at: r.try_get("started_at")?,
        closed_at: r.try_get("closed_at")?,
        created_by: r.try_get("created_by")?,
    })
}

pub async fn create(w: &mut Write, actor: &Actor, name: &str, kind: &str, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO em_events (name, kind, state, started_at, created_by) VALUES ($1, $2, 'active', $3, $4) RETURNING id",
    )
    .bind(name)
    .bind(kind)
    .bind(now)
    .bind(&actor.name)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("emergency.event.start", "em_event", id, None, None, &format!("{kind}: {name}"))).await?;
    Ok(id)
}

pub async fn close(w: &mut Write, actor: &Actor, id: i64, reason: &str, now: i64) -> Result<()> {
    let done = query("UPDATE em_events SET state = 'closed', closed_at = $1 WHERE id = $2 AND state = 'active'")
        .bind(now)
        .bind(id)
        .execute(w.connection())
        .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::State("the event is closed already".into()));
    }
    // Closed roads open again with the event.
    query("UPDATE em_closures SET reopened_at = $1 WHERE event_id = $2 AND reopened_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(w.connection())
        .await?;
    w.audit(actor.audit("emergency.event.close", "em_event", id, None, None, reason)).await?;
    Ok(())
}

pub async fn get(db: &Db, id: i64) -> Result<Event> {
    let row = query("SELECT * FROM em_events WHERE id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    event(&row)
}

/// Every event, the active first, then the latest.
pub async fn list(db: &Db) -> Result<Vec<Event>> {
    let rows =
        query("SELECT * FROM em_events ORDER BY CASE WHEN state = 'active' THEN 0 ELSE 1 END, id DESC LIMIT 200")
            .fetch_all(db.reader())
            .await?;
    rows.iter().map(event).collect()
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Warning {
    pub id: i64,
    pub event_id: i64,
    pub identifier: String,
    pub level: String,
    pub area_name: String,
    /// The area as [lon, lat] points, closed.
    pub ring: Vec<[f64; 2]>,
    pub evacuate: bool,
    pub headline: String,
    pub instruction: String,
    /// Households put on the evacuation list by this warning.
    pub households: i64,
    pub sent_at: i64,
    pub sent_by: String,
}

fn warning(r: &Row) -> Result<Warning> {
    let ring: String = r.try_get("ring")?;
    Ok(Warning {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        identifier: r.try_get("identifier")?,
        level: r.try_get("level")?,
        area_name: r.try_get("area_name")?,
        ring: serde_json::from_str(&ring).map_err(|e| StoreError::State(format!("a stored ring: {e}")))?,
        evacuate: r.try_get::<i64, _>("evacuate")? != 0,
        headline: r.try_get("headline")?,
        instruction: r.try_get("instruction")?,
        households: r.try_get("households")?,
        sent_at: r.try_get("sent_at")?,
        sent_by: r.try_get("sent_by")?,
    })
}

pub struct NewWarning<'a> {
    pub event_id: i64,
    pub identifier: &'a str,
    pub level: &'a str,
    pub area_name: &'a str,
    pub ring: &'a [[f64; 2]],
    pub evacuate: bool,
    pub headline: &'a str,
    pub instruction: &'a str,
    pub cap_xml: &'a str,
    pub sent_at: i64,
}

pub async fn insert_warning(w: &mut Write, actor: &Actor, n: &NewWarning<'_>) -> Result<i64> {
    let ring = serde_json::to_string(n.ring).map_err(|e| StoreError::State(e.to_string()))?;
    let id: i64 = query(
        "INSERT INTO em_warnings (event_id, identifier, level, area_name, ring, evacuate, headline, instruction, cap_xml, \
         households, sent_at, sent_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11) RETURNING id",
    )
    .bind(n.event_id)
    .bind(n.identifier)
    .bind(n.level)
    .bind(n.area_name)
    .bind(ring)
    .bind(i64::from(n.evacuate))
    .bind(n.headline)
    .bind(n.instruction)
    .bind(n.cap_xml)
    .bind(n.sent_at)
    .bind(&actor.name)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let detail = format!("{} {}: {}", n.level, n.area_name, n.identifier);
    w.audit(actor.audit("emergency.warning.send", "em_warning", id, None, None, &detail)).await?;
    Ok(id)
}

pub async fn set_warning_households(w: &mut Write, id: i64, households: i64) -> Result<()> {
    query("UPDATE em_warnings SET households = $1 WHERE id = $2")
        .bind(households)
        .bind(id)
        .execute(w.connection())
        .await?;
    Ok(())
}

pub async fn warnings(db: &Db, event_id: i64) -> Result<Vec<Warning>> {
    let rows = query("SELECT * FROM em_warnings WHERE event_id = $1 ORDER BY id")
        .bind(event_id)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(warning).collect()
}

/// A warning with its CAP XML.
pub async fn warning_cap(db: &Db, id: i64) -> Result<(Warning, String)> {
    let row = query("SELECT * FROM em_warnings WHERE id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((warning(&row)?, row.try_get("cap_xml")?))
}

/// The last warning sent for an area of the event, for the CAP `references` of an update.
pub async fn last_warning_for_area(db: &Db, event_id: i64, area_name: &str) -> Result<Option<(String, i64)>> {
    let row = query(
        "SELECT identifier, sent_at FROM em_warnings WHERE event_id = $1 AND area_name = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(event_id)
    .bind(area_name)
    .fetch_optional(db.reader())
    .await?;
    row.map(|r| Ok((r.try_get("identifier")?, r.try_get("sent_at")?))).transpose()
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Closure {
    pub id: i64,
    pub event_id: i64,
    pub name: String,
    pub reason: String,
    /// The points picked on the map.
    pub points: Vec<[f64; 2]>,
    /// The road network's arcs closed (indices of the router's arcs).
    pub arcs: Vec<usize>,
    pub closed_at: i64,
    pub closed_by: String,
    pub reopened_at: Option<i64>,
}

fn closure(r: &Row) -> Result<Closure> {
    let points: String = r.try_get("points")?;
    let arcs: String = r.try_get("arcs")?;
    let bad = |e: serde_json::Error| StoreError::State(format!("a stored closure: {e}"));
    Ok(Closure {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        name: r.try_get("name")?,
        reason: r.try_get("reason")?,
        points: serde_json::from_str(&points).map_err(bad)?,
        arcs: serde_json::from_str(&arcs).map_err(bad)?,
        closed_at: r.try_get("closed_at")?,
        closed_by: r.try_get("closed_by")?,
        reopened_at: r.try_get("reopened_at")?,
    })
}

pub struct NewClosure<'a> {
    pub event_id: i64,
    pub name: &'a str,
    pub reason: &'a str,
    pub points: &'a [[f64; 2]],
    pub arcs: &'a [usize],
    pub at: i64,
}

pub async fn insert_closure(w: &mut Write, actor: &Actor, n: &NewClosure<'_>) -> Result<i64> {
    let points = serde_json::to_string(n.points).map_err(|e| StoreError::State(e.to_string()))?;
    let arcs = serde_json::to_string(n.arcs).map_err(|e| StoreError::State(e.to_string()))?;
    let id: i64 = query(
        "INSERT INTO em_closures (event_id, name, reason, points, arcs, closed_at, closed_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(n.event_id)
    .bind(n.name)
    .bind(n.reason)
    .bind(points)
    .bind(arcs)
    .bind(n.at)
    .bind(&actor.name)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let detail = format!("{}: {} road stretches", n.name, n.arcs.len());
    w.audit(actor.audit("emergency.road.close", "em_closure", id, None, None, &detail)).await?;
    Ok(id)
}

pub async fn reopen(w: &mut Write, actor: &Actor, id: i64, now: i64) -> Result<()> {
    let done = query("UPDATE em_closures SET reopened_at = $1 WHERE id = $2 AND reopened_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(w.connection())
        .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::State("the road is open already".into()));
    }
    w.audit(actor.audit("emergency.road.reopen", "em_closure", id, None, None, "")).await?;
    Ok(())
}

pub async fn closure_get(db: &Db, id: i64) -> Result<Closure> {
    let row = query("SELECT * FROM em_closures WHERE id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    closure(&row)
}

/// An event's closures, the ones still shut first.
pub async fn closures(db: &Db, event_id: i64) -> Result<Vec<Closure>> {
    let rows = query(
        "SELECT * FROM em_closures WHERE event_id = $1 ORDER BY CASE WHEN reopened_at IS NULL THEN 0 ELSE 1 END, id",
    )
    .bind(event_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(closure).collect()
}

/// Every road shut now, across active events: what dispatch routing must avoid.
pub async fn shut_arcs(db: &Db) -> Result<Vec<usize>> {
    let rows = query(
        "SELECT c.arcs FROM em_closures c JOIN em_events e ON e.id = c.event_id \
         WHERE c.reopened_at IS NULL AND e.state = 'active'",
    )
    .fetch_all(db.reader())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let arcs: String = r.try_get("arcs")?;
        out.extend(serde_json::from_str::<Vec<usize>>(&arcs).map_err(|e| StoreError::State(e.to_string()))?);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

pub async fn add_rescue(w: &mut Write, event_id: i64, incident_id: i64) -> Result<()> {
    query("INSERT INTO em_rescues (event_id, incident_id) VALUES ($1, $2)")
        .bind(event_id)
        .bind(incident_id)
        .execute(w.connection())
        .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Rescue {
    pub incident_id: i64,
    pub no: String,
    pub stage: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub received_at: i64,
    pub unit_path: String,
}

/// An event's rescues, as the 110 incidents they are, within `scope`.
pub async fn rescues(db: &Db, scope: &ningan_store::Scope, event_id: i64) -> Result<Vec<Rescue>> {
    let (lo, hi) = scope.range();
    let rows = query(
        "SELECT i.id, i.no, i.stage, i.address, i.lon, i.lat, i.received_at, i.unit_path FROM em_rescues r \
         JOIN cmd_incidents i ON i.id = r.incident_id WHERE r.event_id = $1 AND i.unit_path >= $2 AND i.unit_path < $3 \
         ORDER BY i.id DESC LIMIT 500",
    )
    .bind(event_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Rescue {
                incident_id: r.try_get("id")?,
                no: r.try_get("no")?,
                stage: r.try_get("stage")?,
                address: r.try_get("address")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
                received_at: r.try_get("received_at")?,
                unit_path: r.try_get("unit_path")?,
            })
        })
        .collect()
}
