//! Shelters (避灾安置点) and the stays in them during an event. A shelter belongs to the
//! unit that runs it; its occupancy is its open stays, counted in the same transaction that
//! adds one, so a full shelter refuses the next arrival.

use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, Scope, StoreError, Write};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Shelter {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub capacity: i64,
    pub unit_id: i64,
    pub unit_path: String,
    /// People staying now, in the event asked about (0 without one).
    pub occupancy: i64,
}

fn shelter(r: &Row) -> Result<Shelter> {
    Ok(Shelter {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        capacity: r.try_get("capacity")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        occupancy: r.try_get::<Option<i64>, _>("occupancy")?.unwrap_or(0),
    })
}

pub struct NewShelter<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub lon: f64,
    pub lat: f64,
    pub capacity: i64,
    pub unit_id: i64,
    pub unit_path: &'a str,
}

pub async fn insert(w: &mut Write, actor: &Actor, n: &NewShelter<'_>, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO em_shelters (name, address, lon, lat, capacity, unit_id, unit_path, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(n.name)
    .bind(n.address)
    .bind(n.lon)
    .bind(n.lat)
    .bind(n.capacity)
    .bind(n.unit_id)
    .bind(n.unit_path)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let detail = format!("{} ({} places)", n.name, n.capacity);
    w.audit(actor.audit("emergency.shelter.create", "em_shelter", id, None, None, &detail)).await?;
    Ok(id)
}

fn select(event: i64) -> String {
    format!(
        "s.*, (SELECT COUNT(*) FROM em_stays t WHERE t.shelter_id = s.id AND t.event_id = {event} AND t.left_at IS NULL) \
         AS occupancy"
    )
}

/// Shelters within `scope`, with their occupancy in `event` (0 for none), by name.
pub async fn list(
    db: &Db,
    scope: &Scope,
    event: Option<i64>,
    q: Option<&str>,
    page: PageRequest,
) -> Result<Page<Shelter>> {
    let mut f = Filter::new();
    f.within(scope, "s.unit_path");
    if let Some(text) = q.map(str::trim).filter(|t| !t.is_empty()) {
        let p = f.arg_text(format!("%{}%", text.replace(['%', '_'], "")));
        f.cond(format!("(s.name LIKE {p} OR s.address LIKE {p})"));
    }
    let cols = select(event.unwrap_or(0));
    ningan_store::sql::paged(db, &cols, "em_shelters s", "em_shelters s", &f, "s.name, s.id", page, shelter).await
}

/// Every shelter, for the map and the situation report (a city has hundreds, not millions).
pub async fn all(db: &Db, event: i64) -> Result<Vec<Shelter>> {
    let sql = format!("SELECT {} FROM em_shelters s ORDER BY s.id", select(event));
    let rows = query(&sql).fetch_all(db.reader()).await?;
    rows.iter().map(shelter).collect()
}

pub async fn get(db: &Db, event: i64, id: i64) -> Result<Shelter> {
    let sql = format!("SELECT {} FROM em_shelters s WHERE s.id = $1", select(event));
    let row = query(&sql).bind(id).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?;
    shelter(&row)
}

/// Why a stay could not be opened.
#[derive(Debug)]
pub enum Refused {
    Full { capacity: i64 },
    Staying { shelter: String, since: i64 },
}

pub struct NewStay<'a> {
    pub event_id: i64,
    pub shelter_id: i64,
    pub resident_id: i64,
    pub household_id: Option<i64>,
    /// pass | manual
    pub method: &'a str,
    pub at: i64,
}

/// Opens a stay unless the person is staying somewhere already or the shelter is full.
pub async fn arrive(w: &mut Write, actor: &Actor, n: &NewStay<'_>) -> Result<std::result::Result<i64, Refused>> {
    let staying = query(
        "SELECT s.name, t.arrived_at FROM em_stays t JOIN em_shelters s ON s.id = t.shelter_id \
         WHERE t.event_id = $1 AND t.resident_id = $2 AND t.left_at IS NULL",
    )
    .bind(n.event_id)
    .bind(n.resident_id)
    .fetch_optional(w.connection())
    .await?;
    if let Some(r) = staying {
        return Ok(Err(Refused::Staying { shelter: r.try_get("name")?, since: r.try_get("arrived_at")? }));
    }
    // On PostgreSQL two desks of one shelter could both see the last place free: the row
    // lock on the shelter orders them. SQLite has one writer at a time already.
    let lock = if w.is_postgres() { " FOR UPDATE" } else { "" };
    let capacity: i64 = query(&format!("SELECT capacity FROM em_shelters WHERE id = $1{lock}"))
        .bind(n.shelter_id)
        .fetch_optional(w.connection())
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get("capacity")?;
    let inside: i64 =
        query("SELECT COUNT(*) AS n FROM em_stays WHERE event_id = $1 AND shelter_id = $2 AND left_at IS NULL")
            .bind(n.event_id)
            .bind(n.shelter_id)
            .fetch_one(w.connection())
            .await?
            .try_get("n")?;
    if inside >= capacity {
        return Ok(Err(Refused::Full { capacity }));
    }
    let id: i64 = query(
        "INSERT INTO em_stays (event_id, shelter_id, resident_id, household_id, method, arrived_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(n.event_id)
    .bind(n.shelter_id)
    .bind(n.resident_id)
    .bind(n.household_id)
    .bind(n.method)
    .bind(n.at)
    .bind(&actor.name)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let detail = format!("shelter {} by {}", n.shelter_id, n.method);
    w.audit(actor.audit("emergency.stay.arrive", "em_stay", id, Some(n.resident_id), None, &detail)).await?;
    Ok(Ok(id))
}

/// Closes a stay at a shelter in `scope`; the person's id, for the audit.
pub async fn leave(w: &mut Write, actor: &Actor, scope: &Scope, id: i64, at: i64) -> Result<i64> {
    let (lo, hi) = scope.range();
    let row = query(
        "SELECT t.resident_id FROM em_stays t JOIN em_shelters s ON s.id = t.shelter_id \
         WHERE t.id = $1 AND t.left_at IS NULL AND s.unit_path >= $2 AND s.unit_path < $3",
    )
    .bind(id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(w.connection())
    .await?
    .ok_or(StoreError::NotFound)?;
    let resident: i64 = row.try_get("resident_id")?;
    query("UPDATE em_stays SET left_at = $1 WHERE id = $2").bind(at).bind(id).execute(w.connection()).await?;
    w.audit(actor.audit("emergency.stay.leave", "em_stay", id, Some(resident), None, "")).await?;
    Ok(resident)
}

#[derive(Debug, Clone)]
pub struct Stay {
    pub id: i64,
    pub resident_id: i64,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub household_no: Option<String>,
    pub method: String,
    pub arrived_at: i64,
}

/// The people staying at a shelter now, the latest arrivals first.
pub async fn staying(db: &Db, event_id: i64, shelter_id: i64, page: PageRequest) -> Result<Page<Stay>> {
    let mut f = Filter::new();
    let e = f.arg_i64(event_id);
    let s = f.arg_i64(shelter_id);
    f.cond(format!("t.event_id = {e} AND t.shelter_id = {s} AND t.left_at IS NULL"));
    ningan_store::sql::paged(
        db,
        "t.id, t.resident_id, r.name, r.gender, r.birth_date, r.household_no, t.method, t.arrived_at",
        "em_stays t JOIN residents r ON r.id = t.resident_id",
        "em_stays t",
        &f,
        "t.arrived_at DESC, t.id DESC",
        page,
        |r| {
            Ok(Stay {
                id: r.try_get("id")?,
                resident_id: r.try_get("resident_id")?,
                name: r.try_get("name")?,
                gender: r.try_get("gender")?,
                birth_date: r.try_get("birth_date")?,
                household_no: r.try_get("household_no")?,
                method: r.try_get("method")?,
                arrived_at: r.try_get("arrived_at")?,
            })
        },
    )
    .await
}

/// People in shelters now for an event, and arrivals per hour since it started.
pub async fn arrivals_by_hour(db: &Db, event_id: i64) -> Result<Vec<(i64, i64)>> {
    let rows = query(
        "SELECT arrived_at / 3600000 AS hour, COUNT(*) AS n FROM em_stays WHERE event_id = $1 GROUP BY arrived_at / 3600000 ORDER BY 1",
    )
    .bind(event_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(|r| Ok((r.try_get("hour")?, r.try_get("n")?))).collect()
}
