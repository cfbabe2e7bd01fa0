//! Units (a car or a foot patrol and its crew), where they were last seen, the device token
//! bound to each, and their assignments to incidents. Status changes move a unit only from
//! the status its caller saw.

use ningan_core::incident::UnitStatus;
use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, Scope, StoreError, Write};

#[derive(Debug, Clone)]
pub struct Unit {
    pub id: i64,
    pub callsign: String,
    pub kind: String,
    pub crew: i64,
    pub unit_id: i64,
    pub unit_path: String,
    pub unit_name: String,
    pub unit_name_en: String,
    pub status: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub position_at: Option<i64>,
    pub incident_id: Option<i64>,
    pub device_token_id: Option<i64>,
}

const COLUMNS: &str = "c.id, c.callsign, c.kind, c.crew, c.unit_id, c.unit_path, u.name AS unit_name, \
    u.name_en AS unit_name_en, c.status, c.lon, c.lat, c.position_at, c.incident_id, c.device_token_id";
const FROM: &str = "cmd_units c JOIN org_units u ON u.id = c.unit_id";

fn from_row(r: &Row) -> Result<Unit> {
    Ok(Unit {
        id: r.try_get("id")?,
        callsign: r.try_get("callsign")?,
        kind: r.try_get("kind")?,
        crew: r.try_get("crew")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        unit_name: r.try_get("unit_name")?,
        unit_name_en: r.try_get("unit_name_en")?,
        status: r.try_get("status")?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        position_at: r.try_get("position_at")?,
        incident_id: r.try_get("incident_id")?,
        device_token_id: r.try_get("device_token_id")?,
    })
}

pub struct NewUnit<'a> {
    pub callsign: &'a str,
    pub kind: &'a str,
    pub crew: i64,
    pub unit_id: i64,
    pub unit_path: &'a str,
}

pub async fn insert(w: &mut Write, actor: &Actor, n: &NewUnit<'_>, now: i64) -> Result<i64> {
    let taken: Option<Row> =
        query("SELECT id FROM cmd_units WHERE callsign = $1").bind(n.callsign).fetch_optional(w.connection()).await?;
    if taken.is_some() {
        return Err(StoreError::Conflict("callsign".into()));
    }
    let id: i64 = query(
        "INSERT INTO cmd_units (callsign, kind, crew, unit_id, unit_path, status, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(n.callsign)
    .bind(n.kind)
    .bind(n.crew)
    .bind(n.unit_id)
    .bind(n.unit_path)
    .bind(UnitStatus::Available.as_str())
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("command.unit.create", "cmd_unit", id, None, None, n.callsign)).await?;
    Ok(id)
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Unit> {
    let mut f = Filter::new();
    f.within(scope, "c.unit_path");
    let idp = f.arg_i64(id);
    f.cond(format!("c.id = {idp}"));
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {}", f.where_sql());
    let row = f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// Every unit in `scope` (a city has a few thousand), optionally of one status.
pub async fn all(db: &Db, scope: &Scope, status: Option<&str>) -> Result<Vec<Unit>> {
    let mut f = Filter::new();
    f.within(scope, "c.unit_path");
    if let Some(s) = status {
        let a = f.arg_text(s.to_string());
        f.cond(format!("c.status = {a}"));
    }
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {} ORDER BY c.callsign", f.where_sql());
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    rows.iter().map(from_row).collect()
}

/// Moves a unit from `from` to `to`; `incident` is set on assignment and cleared on release.
pub async fn set_status(
    w: &mut Write,
    actor: &Actor,
    id: i64,
    from: UnitStatus,
    to: UnitStatus,
    incident: Option<i64>,
    now: i64,
) -> Result<()> {
    let done =
        query("UPDATE cmd_units SET status = $1, incident_id = $2, updated_at = $3 WHERE id = $4 AND status = $5")
            .bind(to.as_str())
            .bind(incident)
            .bind(now)
            .bind(id)
            .bind(from.as_str())
            .execute(w.connection())
            .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::State(format!(
            "警力状态已变化，请刷新 / the unit's status changed meanwhile: reload ({})",
            to.as_str()
        )));
    }
    let detail = format!("{} → {}", from.as_str(), to.as_str());
    w.audit(actor.audit("command.unit.status", "cmd_unit", id, None, None, &detail)).await?;
    Ok(())
}

/// Where a unit is now. Not audited: positions arrive every few seconds from devices, and
/// say where a car is, not who anyone is.
pub async fn set_position(w: &mut Write, id: i64, lon: f64, lat: f64, at: i64) -> Result<()> {
    query("UPDATE cmd_units SET lon = $1, lat = $2, position_at = $3 WHERE id = $4 AND (position_at IS NULL OR position_at <= $3)")
        .bind(lon)
        .bind(lat)
        .bind(at)
        .bind(id)
        .execute(w.connection())
        .await?;
    Ok(())
}

pub async fn bind_device(w: &mut Write, actor: &Actor, id: i64, token_id: Option<i64>, now: i64) -> Result<()> {
    query("UPDATE cmd_units SET device_token_id = $1, updated_at = $2 WHERE id = $3")
        .bind(token_id)
        .bind(now)
        .bind(id)
        .execute(w.connection())
        .await?;
    let detail = token_id.map_or_else(|| "unbound".to_string(), |t| format!("token {t}"));
    w.audit(actor.audit("command.unit.device", "cmd_unit", id, None, None, &detail)).await?;
    Ok(())
}

/// The units assigned to an incident and not yet released, with their statuses, read in the
/// transaction that releases them.
pub async fn on_incident(w: &mut Write, incident_id: i64) -> Result<Vec<(i64, String)>> {
    let rows = query("SELECT id, status FROM cmd_units WHERE incident_id = $1 ORDER BY id")
        .bind(incident_id)
        .fetch_all(w.connection())
        .await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("status")?))).collect()
}
