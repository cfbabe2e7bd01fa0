//! Isolation (硬核隔离): quarantine sites with rooms and capacity, people's stays (in a room
//! of a site, or at home), daily health reports, and every change of a stay's end date with
//! its reason. A stay is scoped by the site's unit (home stays by the resident's station).

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct SiteBoard {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub unit_id: i64,
    pub location: [f64; 2],
    pub rooms: i64,
    pub capacity: i64,
    pub occupied: i64,
}

#[derive(Debug, Clone)]
pub struct NewSite {
    pub name: String,
    pub address: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub location: [f64; 2],
    /// (room number, beds).
    pub rooms: Vec<(String, i64)>,
}

#[derive(Debug, Clone)]
pub struct Stay {
    pub id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    pub followup_id: Option<i64>,
    pub site_id: Option<i64>,
    pub site_name: Option<String>,
    pub room_no: Option<String>,
    pub regime: String,
    pub last_exposure: i64,
    pub starts_at: i64,
    pub end_at: i64,
    pub monitor_end_at: i64,
    /// active | released
    pub status: String,
}

const STAY_COLUMNS: &str = "q.id, q.resident_id, r.name AS resident_name, q.followup_id, q.site_id, s.name AS site_name, \
                            m.room_no, q.regime, q.last_exposure, q.starts_at, q.end_at, q.monitor_end_at, q.status";
const STAY_FROM: &str = "quarantines q JOIN residents r ON r.id = q.resident_id \
                         LEFT JOIN quarantine_sites s ON s.id = q.site_id LEFT JOIN quarantine_rooms m ON m.id = q.room_id";

impl Stay {
    fn from_row(r: &AnyRow) -> Result<Stay> {
        Ok(Stay {
            id: r.try_get("id")?,
            resident_id: r.try_get("resident_id")?,
            resident_name: r.try_get("resident_name")?,
            followup_id: r.try_get("followup_id")?,
            site_id: r.try_get("site_id")?,
            site_name: r.try_get("site_name")?,
            room_no: r.try_get("room_no")?,
            regime: r.try_get("regime")?,
            last_exposure: r.try_get("last_exposure")?,
            starts_at: r.try_get("starts_at")?,
            end_at: r.try_get("end_at")?,
            monitor_end_at: r.try_get("monitor_end_at")?,
            status: r.try_get("status")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewStay {
    pub resident_id: i64,
    pub followup_id: Option<i64>,
    /// `None`: home quarantine.
    pub site_id: Option<i64>,
    /// A room of the site; the first with a free bed when `None`.
    pub room_id: Option<i64>,
    pub regime: String,
    pub last_exposure: i64,
    pub end_at: i64,
    pub monitor_end_at: i64,
}

#[derive(Debug, Clone)]
pub struct EndChange {
    pub at: i64,
    pub actor: String,
    pub old_end: i64,
    pub new_end: i64,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct HealthReport {
    pub at: i64,
    pub temperature: Option<f64>,
    pub test_result: String,
    pub note: String,
}

impl Write {
    pub async fn site_insert(&mut self, actor: &Actor, scope: &Scope, site: &NewSite) -> Result<i64> {
        if !scope.contains(&site.unit_path) {
            return Err(StoreError::Invalid("unit_id: no such unit in your scope".into()));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO quarantine_sites (name, address, unit_id, unit_path, lon, lat, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&site.name)
        .bind(&site.address)
        .bind(site.unit_id)
        .bind(&site.unit_path)
        .bind(site.location[0])
        .bind(site.location[1])
        .bind(now_ms())
        .fetch_one(self.conn())
        .await?;
        for (no, beds) in &site.rooms {
            sqlx::query("INSERT INTO quarantine_rooms (site_id, room_no, capacity) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(no)
                .bind(*beds)
                .execute(self.conn())
                .await?;
        }
        let detail = format!("{} rooms", site.rooms.len());
        self.audit(actor.audit("quarantine.site", "quarantine_site", id, None, None, &detail)).await?;
        Ok(id)
    }

    /// Starts a stay: in a room with a free bed (the given one, or the first free), or at
    /// home. A person has one active stay at a time.
    pub async fn stay_start(&mut self, actor: &Actor, scope: &Scope, s: &NewStay) -> Result<i64> {
        let (lo, hi) = scope.range();
        let home: Option<(String,)> =
            sqlx::query_as("SELECT unit_path FROM residents WHERE id = $1 AND unit_path >= $2 AND unit_path < $3")
                .bind(s.resident_id)
                .bind(&lo)
                .bind(&hi)
                .fetch_optional(self.conn())
                .await?;
        let active: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM quarantines WHERE resident_id = $1 AND status = 'active'")
                .bind(s.resident_id)
                .fetch_optional(self.conn())
                .await?;
        if active.is_some() {
            return Err(StoreError::Conflict("resident_id".into()));
        }
        let (unit_path, room_id) = match s.site_id {
            None => {
                let Some((path,)) = home else {
                    return Err(StoreError::Invalid("resident_id: no such resident in your scope".into()));
                };
                (path, None)
            }
            Some(site) => {
                let found: Option<(String,)> = sqlx::query_as(
                    "SELECT unit_path FROM quarantine_sites WHERE id = $1 AND unit_path >= $2 AND unit_path < $3",
                )
                .bind(site)
                .bind(&lo)
                .bind(&hi)
                .fetch_optional(self.conn())
                .await?;
                let Some((path,)) = found else {
                    return Err(StoreError::Invalid("site_id: no such site in your scope".into()));
                };
                // Rooms of the site with their free beds, the asked-for room first.
                let free: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT m.id, m.capacity - (SELECT COUNT(*) FROM quarantines q WHERE q.room_id = m.id AND q.status = 'active') \
                     FROM quarantine_rooms m WHERE m.site_id = $1 ORDER BY m.id",
                )
                .bind(site)
                .fetch_all(self.conn())
                .await?;
                let room = match s.room_id {
                    Some(r) => match free.iter().find(|(id, _)| *id == r) {
                        None => return Err(StoreError::Invalid("room_id: no such room at this site".into())),
                        Some((_, n)) if *n <= 0 => {
                            return Err(StoreError::Invalid("room_id: the room is full / 房间已满".into()));
                        }
                        Some((id, _)) => *id,
                    },
                    None => free
                        .iter()
                        .find(|(_, n)| *n > 0)
                        .map(|(id, _)| *id)
                        .ok_or_else(|| StoreError::Invalid("site_id: the site is full / 隔离点已满".into()))?,
                };
                (path, Some(room))
            }
        };
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO quarantines (resident_id, followup_id, site_id, room_id, regime, last_exposure, starts_at, end_at, \
             monitor_end_at, status, unit_path, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $7, $7) RETURNING id",
        )
        .bind(s.resident_id)
        .bind(s.followup_id)
        .bind(s.site_id)
        .bind(room_id)
        .bind(&s.regime)
        .bind(s.last_exposure)
        .bind(now)
        .bind(s.end_at)
        .bind(s.monitor_end_at)
        .bind(&unit_path)
        .fetch_one(self.conn())
        .await?;
        let detail = format!("regime {}, {}", s.regime, if s.site_id.is_some() { "site" } else { "home" });
        self.audit(actor.audit("quarantine.start", "quarantine", id, Some(s.resident_id), None, &detail)).await?;
        Ok(id)
    }

    async fn stay_for_update(&mut self, scope: &Scope, id: i64) -> Result<(i64, i64, String)> {
        let (lo, hi) = scope.range();
        sqlx::query_as(
            "SELECT resident_id, end_at, status FROM quarantines WHERE id = $1 AND unit_path >= $2 AND unit_path < $3",
        )
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn stay_report(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        temperature: Option<f64>,
        test_result: &str,
        note: &str,
    ) -> Result<()> {
        let (resident, _, status) = self.stay_for_update(scope, id).await?;
        if status != "active" {
            return Err(StoreError::Invalid("id: the stay has ended / 隔离已结束".into()));
        }
        sqlx::query("INSERT INTO health_reports (quarantine_id, at, temperature, test_result, note) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(now_ms())
            .bind(temperature)
            .bind(test_result)
            .bind(note)
            .execute(self.conn())
            .await?;
        let detail = format!("test {test_result}");
        self.audit(actor.audit("quarantine.report", "quarantine", id, Some(resident), None, &detail)).await.map(|_| ())
    }

    /// Moves the end of central quarantine, recording the old and new dates and why.
    pub async fn stay_change_end(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        new_end: i64,
        monitor_end: i64,
        reason: &str,
    ) -> Result<()> {
        let (resident, old_end, status) = self.stay_for_update(scope, id).await?;
        if status != "active" {
            return Err(StoreError::Invalid("id: the stay has ended / 隔离已结束".into()));
        }
        let now = now_ms();
        sqlx::query("UPDATE quarantines SET end_at = $1, monitor_end_at = $2, updated_at = $3 WHERE id = $4")
            .bind(new_end)
            .bind(monitor_end)
            .bind(now)
            .bind(id)
            .execute(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO quarantine_end_changes (quarantine_id, at, actor, old_end, new_end, reason) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(now)
        .bind(&actor.name)
        .bind(old_end)
        .bind(new_end)
        .bind(reason)
        .execute(self.conn())
        .await?;
        let detail = format!("end {old_end} → {new_end}");
        self.audit(actor.audit("quarantine.end", "quarantine", id, Some(resident), Some(reason), &detail)).await?;
        Ok(())
    }

    /// Ends a stay; returns (resident, follow-up) so the caller can release them too.
    /// Ends a stay; `reason` (may be empty from older callers) goes to the audit.
    pub async fn stay_release(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        reason: &str,
    ) -> Result<(i64, Option<i64>)> {
        let (resident, _, status) = self.stay_for_update(scope, id).await?;
        if status != "active" {
            return Err(StoreError::Invalid("id: the stay has ended / 隔离已结束".into()));
        }
        sqlx::query("UPDATE quarantines SET status = 'released', updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(self.conn())
            .await?;
        let (followup,): (Option<i64>,) =
            sqlx::query_as("SELECT followup_id FROM quarantines WHERE id = $1").bind(id).fetch_one(self.conn()).await?;
        let reason = Some(reason.trim()).filter(|r| !r.is_empty());
        self.audit(actor.audit("quarantine.release", "quarantine", id, Some(resident), reason, "")).await?;
        Ok((resident, followup))
    }

    /// A page of stays in `scope`, audited with the people shown.
    pub async fn stay_search(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        status: Option<&str>,
        site_id: Option<i64>,
        page: PageRequest,
    ) -> Result<Page<Stay>> {
        let mut f = Filter::new();
        f.within(scope, "q.unit_path");
        if let Some(s) = status {
            let i = f.arg_text(s.to_string());
            f.cond(format!("q.status = {i}"));
        }
        if let Some(site) = site_id {
            let i = f.arg_i64(site);
            f.cond(format!("q.site_id = {i}"));
        }
        let total: (i64,) = f
            .bind_as(&format!("SELECT COUNT(*) FROM {STAY_FROM} WHERE {}", f.where_sql()))
            .fetch_one(self.conn())
            .await?;
        let lim = f.arg_i64(page.per_page);
        let off = f.arg_i64(page.offset());
        let sql = format!(
            "SELECT {STAY_COLUMNS} FROM {STAY_FROM} WHERE {} ORDER BY q.end_at, q.id LIMIT {lim} OFFSET {off}",
            f.where_sql()
        );
        let rows = f.bind(&sql).fetch_all(self.conn()).await?;
        let items = rows.iter().map(Stay::from_row).collect::<Result<Vec<_>>>()?;
        let shown: Vec<String> = items.iter().map(|s| s.resident_id.to_string()).collect();
        let persons: Vec<i64> = items.iter().map(|s| s.resident_id).collect();
        self.audit_showing(
            actor.audit("resident.list", "quarantine", 0, None, None, &format!("stays; shown {}", shown.join(","))),
            &persons,
        )
        .await?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total: total.0 })
    }
}

impl Db {
    /// Sites in `scope` with rooms, beds and beds taken: the occupancy board.
    /// Rooms with a free bed at the sites in `scope`: (site id, site name, room id, room
    /// number, free beds), by site and room.
    pub async fn rooms_free(&self, scope: &Scope) -> Result<Vec<(i64, String, i64, String, i64)>> {
        let (lo, hi) = scope.range();
        let rows: Vec<(i64, String, i64, String, i64)> = sqlx::query_as(
            "SELECT s.id, s.name, m.id, m.room_no, \
             m.capacity - (SELECT COUNT(*) FROM quarantines q WHERE q.room_id = m.id AND q.status = 'active') AS free \
             FROM quarantine_rooms m JOIN quarantine_sites s ON s.id = m.site_id \
             WHERE s.unit_path >= $1 AND s.unit_path < $2 ORDER BY s.id, m.id",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter(|r| r.4 > 0).collect())
    }

    pub async fn sites_board(&self, scope: &Scope) -> Result<Vec<SiteBoard>> {
        let (lo, hi) = scope.range();
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.address, s.unit_id, s.lon, s.lat, \
             (SELECT COUNT(*) FROM quarantine_rooms m WHERE m.site_id = s.id) AS rooms, \
             CAST((SELECT COALESCE(SUM(m.capacity), 0) FROM quarantine_rooms m WHERE m.site_id = s.id) AS BIGINT) AS capacity, \
             (SELECT COUNT(*) FROM quarantines q WHERE q.site_id = s.id AND q.status = 'active') AS occupied \
             FROM quarantine_sites s WHERE s.unit_path >= $1 AND s.unit_path < $2 ORDER BY s.id",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SiteBoard {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    address: r.try_get("address")?,
                    unit_id: r.try_get("unit_id")?,
                    location: [r.try_get("lon")?, r.try_get("lat")?],
                    rooms: r.try_get("rooms")?,
                    capacity: r.try_get("capacity")?,
                    occupied: r.try_get("occupied")?,
                })
            })
            .collect()
    }

    pub async fn stay_reports(&self, id: i64) -> Result<Vec<HealthReport>> {
        let rows: Vec<(i64, Option<f64>, String, String)> = sqlx::query_as(
            "SELECT at, temperature, test_result, note FROM health_reports WHERE quarantine_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, temperature, test_result, note)| HealthReport { at, temperature, test_result, note })
            .collect())
    }

    pub async fn stay_end_changes(&self, id: i64) -> Result<Vec<EndChange>> {
        let rows: Vec<(i64, String, i64, i64, String)> = sqlx::query_as(
            "SELECT at, actor, old_end, new_end, reason FROM quarantine_end_changes WHERE quarantine_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, old_end, new_end, reason)| EndChange { at, actor, old_end, new_end, reason })
            .collect())
    }

    /// One stay in `scope` (without the name: callers that show it go through the search).
    pub async fn stay_get(&self, scope: &Scope, id: i64) -> Result<(i64, String, i64, i64, String)> {
        let (lo, hi) = scope.range();
        sqlx::query_as(
            "SELECT resident_id, regime, last_exposure, end_at, status FROM quarantines \
             WHERE id = $1 AND unit_path >= $2 AND unit_path < $3",
        )
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }
}
