//! 110 incidents, their history and links. Every read is bounded by the caller's scope;
//! every write is audited in its transaction and moves an incident only from the stage its
//! caller saw, stamping that stage's time.

use ningan_core::incident::{Stage, Step};
use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, Scope, StoreError, Write};

#[derive(Debug, Clone)]
pub struct Incident {
    pub id: i64,
    pub no: String,
    pub category: String,
    pub priority: String,
    pub stage: String,
    pub caller_phone: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub district: i64,
    pub urban: bool,
    pub narrative: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub unit_name: String,
    pub unit_name_en: String,
    pub intervals: ningan_core::incident::Intervals,
    pub cancelled_at: Option<i64>,
    pub taken_by: String,
    pub updated_at: i64,
}

const COLUMNS: &str = "i.id, i.no, i.category, i.priority, i.stage, i.caller_phone, i.address, i.lon, i.lat, \
    i.district, i.urban, i.narrative, i.unit_id, i.unit_path, u.name AS unit_name, u.name_en AS unit_name_en, \
    i.received_at, i.answered_at, i.dispatched_at, i.en_route_at, i.on_scene_at, i.cleared_at, i.cancelled_at, \
    i.taken_by, i.updated_at";
const FROM: &str = "cmd_incidents i JOIN org_units u ON u.id = i.unit_id";

fn from_row(r: &Row) -> Result<Incident> {
    let urban: i64 = r.try_get("urban")?;
    Ok(Incident {
        id: r.try_get("id")?,
        no: r.try_get("no")?,
        category: r.try_get("category")?,
        priority: r.try_get("priority")?,
        stage: r.try_get("stage")?,
        caller_phone: r.try_get("caller_phone")?,
        address: r.try_get("address")?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        district: r.try_get("district")?,
        urban: urban != 0,
        narrative: r.try_get("narrative")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        unit_name: r.try_get("unit_name")?,
        unit_name_en: r.try_get("unit_name_en")?,
        intervals: ningan_core::incident::Intervals {
            received: r.try_get("received_at")?,
            answered: r.try_get("answered_at")?,
            dispatched: r.try_get("dispatched_at")?,
            en_route: r.try_get("en_route_at")?,
            on_scene: r.try_get("on_scene_at")?,
            cleared: r.try_get("cleared_at")?,
        },
        cancelled_at: r.try_get("cancelled_at")?,
        taken_by: r.try_get("taken_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A validated new incident; the service checked every field and found its station.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub category: String,
    pub priority: String,
    pub caller_phone: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub district: i64,
    pub urban: bool,
    pub narrative: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub received_at: i64,
}

/// Stores a call as received and gives it its number: `110` and the day, then the id.
pub async fn insert(w: &mut Write, actor: &Actor, n: &NewIncident, now: i64) -> Result<(i64, String)> {
    // A placeholder until the id is known, unique even between concurrent transactions.
    let pending = format!("pending-{:016x}", rand::random::<u64>());
    let id: i64 = query(
        "INSERT INTO cmd_incidents (no, category, priority, stage, caller_phone, address, lon, lat, district, urban, \
         narrative, unit_id, unit_path, received_at, taken_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
    )
    .bind(&pending)
    .bind(&n.category)
    .bind(&n.priority)
    .bind(Stage::Received.as_str())
    .bind(&n.caller_phone)
    .bind(&n.address)
    .bind(n.lon)
    .bind(n.lat)
    .bind(n.district)
    .bind(i64::from(n.urban))
    .bind(&n.narrative)
    .bind(n.unit_id)
    .bind(&n.unit_path)
    .bind(n.received_at)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let day = ningan_core::time::rfc3339_ms(n.received_at).get(..10).unwrap_or_default().replace('-', "");
    let no = format!("110{day}{id:06}");
    query("UPDATE cmd_incidents SET no = $1 WHERE id = $2").bind(&no).bind(id).execute(w.connection()).await?;
    w.audit(actor.audit("command.incident.create", "cmd_incident", id, None, None, &format!("{} {}", n.category, no)))
        .await?;
    Ok((id, no))
}

/// One incident in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Incident> {
    let mut f = Filter::new();
    f.within(scope, "i.unit_path");
    let idp = f.arg_i64(id);
    f.cond(format!("i.id = {idp}"));
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {}", f.where_sql());
    let row = f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?;
    from_row(&row)
}

#[derive(Debug, Clone, Default)]
pub struct IncidentQuery {
    pub stage: Option<String>,
    pub category: Option<String>,
    /// Only incidents still open (neither cleared nor cancelled).
    pub open: bool,
    /// Part of the number, the address or the narrative.
    pub q: Option<String>,
}

pub async fn list(db: &Db, scope: &Scope, q: &IncidentQuery, page: PageRequest) -> Result<Page<Incident>> {
    let mut f = Filter::new();
    f.within(scope, "i.unit_path");
    if let Some(s) = q.stage.as_deref().filter(|s| !s.is_empty()) {
        let a = f.arg_text(s.to_string());
        f.cond(format!("i.stage = {a}"));
    }
    if let Some(c) = q.category.as_deref().filter(|c| !c.is_empty()) {
        // A family ("traffic") or one category ("traffic.collision").
        let exact = f.arg_text(c.to_string());
        let under = f.arg_text(format!("{c}.%"));
        f.cond(format!("(i.category = {exact} OR i.category LIKE {under})"));
    }
    if q.open {
        let cleared = f.arg_text(Stage::Cleared.as_str().into());
        let cancelled = f.arg_text(Stage::Cancelled.as_str().into());
        f.cond(format!("i.stage NOT IN ({cleared}, {cancelled})"));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = f.arg_text(format!("%{}%", text.replace(['%', '_'], "")));
        f.cond(format!("(i.no LIKE {like} OR i.address LIKE {like} OR i.narrative LIKE {like})"));
    }
    ningan_store::sql::paged(db, COLUMNS, FROM, "cmd_incidents i", &f, "i.id DESC", page, from_row).await
}

/// A stage change as decided by the service.
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    pub step: Step,
    pub from: Stage,
    pub to: Stage,
    pub note: &'a str,
    pub at: i64,
}

/// The column stamped when an incident enters `stage`.
fn stamp(stage: Stage) -> &'static str {
    match stage {
        Stage::Received => "received_at",
        Stage::Answered => "answered_at",
        Stage::Dispatched => "dispatched_at",
        Stage::EnRoute => "en_route_at",
        Stage::OnScene => "on_scene_at",
        Stage::Cleared => "cleared_at",
        Stage::Cancelled => "cancelled_at",
    }
}

/// Moves an incident from `m.from` to `m.to`, stamping the new stage's time (the first one
/// only: a stage is entered once). Refused as a conflict when someone moved it first.
pub async fn step(w: &mut Write, actor: &Actor, scope: &Scope, id: i64, m: Move<'_>) -> Result<()> {
    let mut f = Filter::new();
    f.within(scope, "unit_path");
    let idp = f.arg_i64(id);
    let from = f.arg_text(m.from.as_str().into());
    f.cond(format!("id = {idp} AND stage = {from}"));
    let to = f.arg_text(m.to.as_str().into());
    let at = f.arg_i64(m.at);
    let column = stamp(m.to);
    let sql = format!(
        "UPDATE cmd_incidents SET stage = {to}, {column} = COALESCE({column}, {at}), updated_at = {at} WHERE {}",
        f.where_sql()
    );
    let done = f.bind(&sql).execute(w.connection()).await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::State(format!(
            "警情已被他人处理，请刷新 / the incident was moved on by someone else: reload ({})",
            m.to.as_str()
        )));
    }
    query(
        "INSERT INTO cmd_incident_events (incident_id, step, from_stage, to_stage, note, actor, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(m.step.as_str())
    .bind(m.from.as_str())
    .bind(m.to.as_str())
    .bind(m.note)
    .bind(&actor.name)
    .bind(m.at)
    .execute(w.connection())
    .await?;
    let detail = format!("{} → {}", m.from.as_str(), m.to.as_str());
    w.audit(actor.audit("command.incident.step", "cmd_incident", id, None, None, &detail)).await?;
    Ok(())
}

/// An event in an incident's history.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Event {
    pub step: String,
    pub from_stage: String,
    pub to_stage: String,
    pub note: String,
    pub actor: String,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub at: i64,
}

pub async fn events(db: &Db, incident_id: i64) -> Result<Vec<Event>> {
    let rows = query(
        "SELECT step, from_stage, to_stage, note, actor, at FROM cmd_incident_events WHERE incident_id = $1 ORDER BY id",
    )
    .bind(incident_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                step: r.try_get("step")?,
                from_stage: r.try_get("from_stage")?,
                to_stage: r.try_get("to_stage")?,
                note: r.try_get("note")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// Links two incidents (the same fight reported by three callers); stored once, smaller id
/// first, so linking again or the other way round is a conflict.
pub async fn link(w: &mut Write, actor: &Actor, a: i64, b: i64, note: &str, now: i64) -> Result<()> {
    let (a, b) = (a.min(b), a.max(b));
    let taken: Option<Row> = query("SELECT a FROM cmd_incident_links WHERE a = $1 AND b = $2")
        .bind(a)
        .bind(b)
        .fetch_optional(w.connection())
        .await?;
    if taken.is_some() {
        return Err(StoreError::Conflict("link".into()));
    }
    query("INSERT INTO cmd_incident_links (a, b, note, created_at) VALUES ($1, $2, $3, $4)")
        .bind(a)
        .bind(b)
        .bind(note)
        .bind(now)
        .execute(w.connection())
        .await?;
    w.audit(actor.audit("command.incident.link", "cmd_incident", a, None, None, &format!("linked to {b}"))).await?;
    Ok(())
}

/// The incidents linked to `id`, as (id, number), within `scope`.
pub async fn links(db: &Db, scope: &Scope, id: i64) -> Result<Vec<(i64, String)>> {
    let mut f = Filter::new();
    f.within(scope, "i.unit_path");
    let x = f.arg_i64(id);
    f.cond(format!(
        "i.id IN (SELECT b FROM cmd_incident_links WHERE a = {x} UNION SELECT a FROM cmd_incident_links WHERE b = {x})"
    ));
    let sql = format!("SELECT i.id, i.no FROM cmd_incidents i WHERE {} ORDER BY i.id", f.where_sql());
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("no")?))).collect()
}
