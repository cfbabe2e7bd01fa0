//! Incidents (the abnormal deaths the figures count, and what reopens a point), roadside
//! helmet samples, and which department a department's account speaks for.

use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, Scope, Write};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Incident {
    pub id: i64,
    pub kind: String,
    pub deaths: i64,
    pub injuries: i64,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub at: i64,
    pub place: String,
    pub lon: f64,
    pub lat: f64,
    pub unit_id: i64,
    pub unit_path: String,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct NewIncident {
    pub kind: String,
    pub deaths: i64,
    pub injuries: i64,
    pub at: i64,
    pub place: String,
    pub lon: f64,
    pub lat: f64,
    pub unit_id: i64,
    pub unit_path: String,
    pub note: String,
}

pub async fn incident_insert(w: &mut Write, actor: &Actor, i: &NewIncident, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO life_incidents (kind, deaths, injuries, at, place, lon, lat, unit_id, unit_path, note, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(&i.kind)
    .bind(i.deaths)
    .bind(i.injuries)
    .bind(i.at)
    .bind(&i.place)
    .bind(i.lon)
    .bind(i.lat)
    .bind(i.unit_id)
    .bind(&i.unit_path)
    .bind(&i.note)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("life.incident.create", "life_incident", id, None, None, &i.kind)).await?;
    Ok(id)
}

fn incident_from_row(r: &Row) -> Result<Incident> {
    Ok(Incident {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        deaths: r.try_get("deaths")?,
        injuries: r.try_get("injuries")?,
        at: r.try_get("at")?,
        place: r.try_get("place")?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        note: r.try_get("note")?,
    })
}

pub async fn incidents(db: &Db, scope: &Scope, kind: Option<&str>, page: PageRequest) -> Result<Page<Incident>> {
    let mut f = Filter::new();
    f.within(scope, "i.unit_path");
    if let Some(k) = kind.filter(|k| !k.is_empty()) {
        let a = f.arg_text(k.to_string());
        f.cond(format!("i.kind = {a}"));
    }
    ningan_store::sql::paged(
        db,
        "i.id, i.kind, i.deaths, i.injuries, i.at, i.place, i.lon, i.lat, i.unit_id, i.unit_path, i.note",
        "life_incidents i",
        "life_incidents i",
        &f,
        "i.at DESC, i.id DESC",
        page,
        incident_from_row,
    )
    .await
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Sample {
    pub id: i64,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub at: i64,
    pub place: String,
    pub lon: f64,
    pub lat: f64,
    pub road_type: String,
    pub drivers: i64,
    pub drivers_helmet: i64,
    pub passengers: i64,
    pub passengers_helmet: i64,
    pub unit_path: String,
    pub created_by: String,
}

#[derive(Debug, Clone)]
pub struct NewSample {
    pub at: i64,
    pub place: String,
    pub lon: f64,
    pub lat: f64,
    pub road_type: String,
    pub drivers: i64,
    pub drivers_helmet: i64,
    pub passengers: i64,
    pub passengers_helmet: i64,
    pub unit_id: i64,
    pub unit_path: String,
}

pub async fn sample_insert(w: &mut Write, actor: &Actor, s: &NewSample, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO life_helmet_samples (at, place, lon, lat, road_type, drivers, drivers_helmet, passengers, \
         passengers_helmet, unit_id, unit_path, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(s.at)
    .bind(&s.place)
    .bind(s.lon)
    .bind(s.lat)
    .bind(&s.road_type)
    .bind(s.drivers)
    .bind(s.drivers_helmet)
    .bind(s.passengers)
    .bind(s.passengers_helmet)
    .bind(s.unit_id)
    .bind(&s.unit_path)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("life.helmet.create", "life_helmet_sample", id, None, None, &s.road_type)).await?;
    Ok(id)
}

pub async fn samples(db: &Db, scope: &Scope, page: PageRequest) -> Result<Page<Sample>> {
    let mut f = Filter::new();
    f.within(scope, "s.unit_path");
    ningan_store::sql::paged(
        db,
        "s.id, s.at, s.place, s.lon, s.lat, s.road_type, s.drivers, s.drivers_helmet, s.passengers, \
         s.passengers_helmet, s.unit_path, s.created_by",
        "life_helmet_samples s",
        "life_helmet_samples s",
        &f,
        "s.at DESC, s.id DESC",
        page,
        |r| {
            Ok(Sample {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                place: r.try_get("place")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
                road_type: r.try_get("road_type")?,
                drivers: r.try_get("drivers")?,
                drivers_helmet: r.try_get("drivers_helmet")?,
                passengers: r.try_get("passengers")?,
                passengers_helmet: r.try_get("passengers_helmet")?,
                unit_path: r.try_get("unit_path")?,
                created_by: r.try_get("created_by")?,
            })
        },
    )
    .await
}

/// The department a department's account speaks for.
pub async fn department_of(db: &Db, user_id: i64) -> Result<Option<String>> {
    let r = query("SELECT department FROM life_department_members WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(db.reader())
        .await?;
    r.map(|r| r.try_get("department")).transpose().map_err(Into::into)
}

pub async fn set_department(w: &mut Write, actor: &Actor, user_id: i64, department: &str, now: i64) -> Result<()> {
    query("DELETE FROM life_department_members WHERE user_id = $1").bind(user_id).execute(w.connection()).await?;
    query("INSERT INTO life_department_members (user_id, department, set_by, set_at) VALUES ($1, $2, $3, $4)")
        .bind(user_id)
        .bind(department)
        .bind(&actor.name)
        .bind(now)
        .execute(w.connection())
        .await?;
    w.audit(actor.audit("life.department.set", "user", user_id, None, None, department)).await?;
    Ok(())
}
