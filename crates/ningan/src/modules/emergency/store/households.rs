//! Households on an event's evacuation lists, and the needs (recorded with consent or
//! supplied by an agency) that put them first. A household belongs to the station of its
//! compound; lists are read within the reader's scope.

use ningan_core::emergency::{Evacuation, Need};
use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, Scope, StoreError, Write};

/// A compound inside a warning's bounding box, with its station.
#[derive(Debug, Clone)]
pub struct Compound {
    pub id: i64,
    pub lon: f64,
    pub lat: f64,
    pub unit_id: i64,
    pub unit_path: String,
}

pub async fn compounds_in_box(w: &mut Write, min: [f64; 2], max: [f64; 2]) -> Result<Vec<Compound>> {
    let rows = query(
        "SELECT id, lon, lat, unit_id, unit_path FROM compounds WHERE lon >= $1 AND lon <= $2 AND lat >= $3 AND lat <= $4",
    )
    .bind(min[0])
    .bind(max[0])
    .bind(min[1])
    .bind(max[1])
    .fetch_all(w.connection())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Compound {
                id: r.try_get("id")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
                unit_id: r.try_get("unit_id")?,
                unit_path: r.try_get("unit_path")?,
            })
        })
        .collect()
}

/// The rank a need gives a household: the lowest is served first; 9 is none.
pub const NO_NEED: i64 = 9;

fn rank_sql() -> String {
    let mut s = String::from("CASE n.need");
    for (i, n) in Need::ALL.iter().enumerate() {
        s.push_str(&format!(" WHEN '{}' THEN {i}", n.as_str()));
    }
    s.push_str(&format!(" ELSE {NO_NEED} END"));
    s
}

/// A household of the register found in the area: its number, compound, members and rank.
#[derive(Debug, Clone)]
pub struct Found {
    pub household_no: String,
    pub compound_id: i64,
    pub members: i64,
    pub priority: i64,
}

/// The register's households living in these compounds (counts only: no one is named).
pub async fn households_in(w: &mut Write, compounds: &[i64]) -> Result<Vec<Found>> {
    let mut out = Vec::new();
    for chunk in compounds.chunks(400) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT r.household_no, MIN(r.compound_id) AS compound_id, COUNT(DISTINCT r.id) AS members, \
             MIN({}) AS priority FROM residents r LEFT JOIN em_needs n ON n.resident_id = r.id \
             WHERE r.compound_id IN ({}) AND r.household_no IS NOT NULL GROUP BY r.household_no",
            rank_sql(),
            list.join(",")
        );
        for r in query(&sql).fetch_all(w.connection()).await? {
            out.push(Found {
                household_no: r.try_get("household_no")?,
                compound_id: r.try_get("compound_id")?,
                members: r.try_get("members")?,
                priority: r.try_get("priority")?,
            });
        }
    }
    Ok(out)
}

/// Puts households on the event's list; one already listed by an earlier warning stays as it
/// is. Returns how many were added.
pub async fn insert_listed(
    w: &mut Write,
    event_id: i64,
    warning_id: i64,
    found: &[(Found, i64, String)],
    now: i64,
) -> Result<i64> {
    let mut added = 0;
    for (f, unit_id, unit_path) in found {
        let done = query(
            "INSERT INTO em_households (event_id, warning_id, household_no, compound_id, unit_id, unit_path, members, \
             priority, state, note, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', $10) \
             ON CONFLICT (event_id, household_no) DO NOTHING",
        )
        .bind(event_id)
        .bind(warning_id)
        .bind(&f.household_no)
        .bind(f.compound_id)
        .bind(unit_id)
        .bind(unit_path)
        .bind(f.members)
        .bind(f.priority)
        .bind(Evacuation::Listed.as_str())
        .bind(now)
        .execute(w.connection())
        .await?;
        added += done.rows_affected() as i64;
    }
    Ok(added)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Household {
    pub id: i64,
    pub event_id: i64,
    pub household_no: String,
    pub compound_id: i64,
    pub compound: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub unit_id: i64,
    pub unit_path: String,
    pub station: String,
    pub station_en: String,
    pub members: i64,
    /// 0–3 when a member has a recorded need (dialysis first), 9 when none. Never sent: the
    /// rank would tell which need.
    #[serde(skip)]
    pub priority: i64,
    pub state: String,
    pub shelter_id: Option<i64>,
    pub shelter: Option<String>,
    pub note: String,
    pub updated_at: i64,
    pub updated_by: Option<String>,
}

const COLUMNS: &str = "h.id, h.event_id, h.household_no, h.compound_id, c.name AS compound, c.address, c.lon, c.lat, \
    h.unit_id, h.unit_path, u.name AS station, u.name_en AS station_en, h.members, h.priority, h.state, h.shelter_id, \
    s.name AS shelter, h.note, h.updated_at, h.updated_by";
const FROM: &str = "em_households h JOIN compounds c ON c.id = h.compound_id JOIN org_units u ON u.id = h.unit_id \
    LEFT JOIN em_shelters s ON s.id = h.shelter_id";

fn household(r: &Row) -> Result<Household> {
    Ok(Household {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        household_no: r.try_get("household_no")?,
        compound_id: r.try_get("compound_id")?,
        compound: r.try_get("compound")?,
        address: r.try_get("address")?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        station: r.try_get("station")?,
        station_en: r.try_get("station_en")?,
        members: r.try_get("members")?,
        priority: r.try_get("priority")?,
        state: r.try_get("state")?,
        shelter_id: r.try_get("shelter_id")?,
        shelter: r.try_get("shelter")?,
        note: r.try_get("note")?,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("updated_by")?,
    })
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub state: Option<String>,
    /// Only those still needing someone at the door (listed, notified, refused).
    pub outstanding: bool,
    /// Only households with a recorded need.
    pub priority: bool,
    /// A compound name or household number, in part.
    pub q: Option<String>,
    /// Order by the need's rank (dialysis first); otherwise only "with a need" first, so
    /// that the order tells a viewer above the station nothing more than the flag does.
    pub by_rank: bool,
}

/// An event's households within `scope`: those with needs first, then by compound.
pub async fn list(db: &Db, scope: &Scope, event_id: i64, q: &ListQuery, page: PageRequest) -> Result<Page<Household>> {
    let mut f = Filter::new();
    let e = f.arg_i64(event_id);
    f.cond(format!("h.event_id = {e}"));
    f.within(scope, "h.unit_path");
    if let Some(s) = &q.state {
        let p = f.arg_text(s.clone());
        f.cond(format!("h.state = {p}"));
    }
    if q.outstanding {
        f.cond("h.state IN ('listed', 'notified', 'refused')".into());
    }
    if q.priority {
        f.cond(format!("h.priority < {NO_NEED}"));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let p = f.arg_text(format!("%{}%", text.replace(['%', '_'], "")));
        f.cond(format!("(c.name LIKE {p} OR h.household_no LIKE {p})"));
    }
    ningan_store::sql::paged(
        db,
        COLUMNS,
        FROM,
        "em_households h JOIN compounds c ON c.id = h.compound_id",
        &f,
        if q.by_rank {
            "h.priority, h.compound_id, h.id"
        } else {
            "CASE WHEN h.priority < 9 THEN 0 ELSE 1 END, h.compound_id, h.id"
        },
        page,
        household,
    )
    .await
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Household> {
    let mut f = Filter::new();
    let p = f.arg_i64(id);
    f.cond(format!("h.id = {p}"));
    f.within(scope, "h.unit_path");
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {}", f.where_sql());
    let row = f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?;
    household(&row)
}

/// The household on the event's list that a resident belongs to, if any.
pub async fn of_resident(w: &mut Write, event_id: i64, resident_id: i64) -> Result<Option<(i64, String)>> {
    let row = query(
        "SELECT h.id, h.state FROM em_households h JOIN residents r ON r.household_no = h.household_no \
         WHERE h.event_id = $1 AND r.id = $2",
    )
    .bind(event_id)
    .bind(resident_id)
    .fetch_optional(w.connection())
    .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("state")?))).transpose()
}

/// A member as the evacuating officer sees them (the application masks what it shows).
#[derive(Debug, Clone)]
pub struct Member {
    pub resident_id: i64,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub phone: Option<String>,
}

pub async fn members(db: &Db, household_no: &str) -> Result<Vec<Member>> {
    let rows =
        query("SELECT id, name, gender, birth_date, phone FROM residents WHERE household_no = $1 ORDER BY birth_date")
            .bind(household_no)
            .fetch_all(db.reader())
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Member {
                resident_id: r.try_get("id")?,
                name: r.try_get("name")?,
                gender: r.try_get("gender")?,
                birth_date: r.try_get("birth_date")?,
                phone: r.try_get("phone")?,
            })
        })
        .collect()
}

/// A step at the door, from the state the officer saw; a concurrent change is a conflict.
pub struct Move<'a> {
    pub from: Evacuation,
    pub to: Evacuation,
    pub note: &'a str,
    pub shelter_id: Option<i64>,
    pub at: i64,
}

pub async fn step(w: &mut Write, actor: &Actor, id: i64, m: &Move<'_>) -> Result<()> {
    let done = query(
        "UPDATE em_households SET state = $1, note = $2, shelter_id = COALESCE($3, shelter_id), updated_at = $4, \
         updated_by = $5 WHERE id = $6 AND state = $7",
    )
    .bind(m.to.as_str())
    .bind(m.note)
    .bind(m.shelter_id)
    .bind(m.at)
    .bind(&actor.name)
    .bind(id)
    .bind(m.from.as_str())
    .execute(w.connection())
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::State("the household changed meanwhile".into()));
    }
    let detail = format!("{} → {}", m.from.as_str(), m.to.as_str());
    w.audit(actor.audit("emergency.household.step", "em_household", id, None, None, &detail)).await?;
    Ok(())
}

/// Counts of an event's households within `scope`: (station path, state, with a need, households, people).
pub async fn counts(db: &Db, scope: &Scope, event_id: i64) -> Result<Vec<(String, String, bool, i64, i64)>> {
    let (lo, hi) = scope.range();
    let rows = query(&format!(
        "SELECT unit_path, state, CASE WHEN priority < {NO_NEED} THEN 1 ELSE 0 END AS needy, COUNT(*) AS n, \
         CAST(SUM(members) AS BIGINT) AS people FROM em_households WHERE event_id = $1 AND unit_path >= $2 AND unit_path < $3 \
         GROUP BY unit_path, state, CASE WHEN priority < {NO_NEED} THEN 1 ELSE 0 END"
    ))
    .bind(event_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("unit_path")?,
                r.try_get("state")?,
                r.try_get::<i64, _>("needy")? != 0,
                r.try_get("n")?,
                r.try_get::<Option<i64>, _>("people")?.unwrap_or(0),
            ))
        })
        .collect()
}

/// Per compound of the event (within `scope`): where it is, households still to move and in all.
pub async fn by_compound(db: &Db, scope: &Scope, event_id: i64) -> Result<Vec<(i64, f64, f64, i64, i64)>> {
    let (lo, hi) = scope.range();
    let rows = query(
        "SELECT h.compound_id, c.lon, c.lat, SUM(CASE WHEN h.state IN ('listed', 'notified', 'refused') THEN 1 ELSE 0 END) \
         AS outstanding, COUNT(*) AS n FROM em_households h JOIN compounds c ON c.id = h.compound_id \
         WHERE h.event_id = $1 AND h.unit_path >= $2 AND h.unit_path < $3 GROUP BY h.compound_id, c.lon, c.lat",
    )
    .bind(event_id)
    .bind(lo)
    .bind(hi)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("compound_id")?,
                r.try_get("lon")?,
                r.try_get("lat")?,
                r.try_get::<Option<i64>, _>("outstanding")?.unwrap_or(0),
                r.try_get("n")?,
            ))
        })
        .collect()
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct NeedRecord {
    pub id: i64,
    pub resident_id: i64,
    pub need: String,
    pub basis: String,
    /// The agency that supplied it, or who took the consent.
    pub source: String,
    pub unit_path: String,
    pub recorded_at: i64,
    pub recorded_by: String,
}

fn need(r: &Row) -> Result<NeedRecord> {
    Ok(NeedRecord {
        id: r.try_get("id")?,
        resident_id: r.try_get("resident_id")?,
        need: r.try_get("need")?,
        basis: r.try_get("basis")?,
        source: r.try_get("source")?,
        unit_path: r.try_get("unit_path")?,
        recorded_at: r.try_get("recorded_at")?,
        recorded_by: r.try_get("recorded_by")?,
    })
}

pub struct NewNeed<'a> {
    pub resident_id: i64,
    pub need: Need,
    pub basis: ningan_core::emergency::Basis,
    pub source: &'a str,
    pub unit_path: &'a str,
    pub at: i64,
}

/// Records a need; the same need of the same person twice is a conflict.
pub async fn need_insert(w: &mut Write, actor: &Actor, n: &NewNeed<'_>) -> Result<i64> {
    let seen = query("SELECT id FROM em_needs WHERE resident_id = $1 AND need = $2")
        .bind(n.resident_id)
        .bind(n.need.as_str())
        .fetch_optional(w.connection())
        .await?;
    if seen.is_some() {
        return Err(StoreError::Conflict("this need is recorded already".into()));
    }
    let id: i64 = query(
        "INSERT INTO em_needs (resident_id, need, basis, source, unit_path, recorded_at, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(n.resident_id)
    .bind(n.need.as_str())
    .bind(n.basis.as_str())
    .bind(n.source)
    .bind(n.unit_path)
    .bind(n.at)
    .bind(&actor.name)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let detail = format!("{} ({})", n.need.as_str(), n.basis.as_str());
    w.audit(actor.audit("emergency.need.record", "em_need", id, Some(n.resident_id), None, &detail)).await?;
    Ok(id)
}

/// Erases a need (consent withdrawn, or no longer so); nothing of it is kept but the audit entry.
pub async fn need_delete(w: &mut Write, actor: &Actor, scope: &Scope, id: i64) -> Result<()> {
    let (lo, hi) = scope.range();
    let row = query("SELECT resident_id FROM em_needs WHERE id = $1 AND unit_path >= $2 AND unit_path < $3")
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(w.connection())
        .await?
        .ok_or(StoreError::NotFound)?;
    let resident: i64 = row.try_get("resident_id")?;
    query("DELETE FROM em_needs WHERE id = $1").bind(id).execute(w.connection()).await?;
    w.audit(actor.audit("emergency.need.erase", "em_need", id, Some(resident), None, "")).await?;
    Ok(())
}

/// Needs recorded within `scope`, the latest first.
pub async fn needs(db: &Db, scope: &Scope, page: PageRequest) -> Result<Page<NeedRecord>> {
    let mut f = Filter::new();
    f.within(scope, "unit_path");
    ningan_store::sql::paged(db, "*", "em_needs", "em_needs", &f, "id DESC", page, need).await
}

/// The needs of these residents.
pub async fn needs_of(db: &Db, residents: &[i64]) -> Result<Vec<NeedRecord>> {
    if residents.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = residents.iter().map(i64::to_string).collect();
    let sql = format!("SELECT * FROM em_needs WHERE resident_id IN ({}) ORDER BY resident_id, need", list.join(","));
    let rows = query(&sql).fetch_all(db.reader()).await?;
    rows.iter().map(need).collect()
}
