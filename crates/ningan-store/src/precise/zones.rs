//! Control zones (封控区、管控区、防范区): an area drawn on the map or uploaded as GeoJSON,
//! with a level, a start and a planned end, lifted when the rule allows. Every change is kept
//! in the zone's history.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct Zone {
    pub id: i64,
    pub name: String,
    /// sealed | controlled | precaution
    pub level: String,
    /// GeoJSON geometry (Polygon or MultiPolygon), as stored.
    pub geometry: String,
    pub unit_id: i64,
    pub starts_at: i64,
    pub planned_end: Option<i64>,
    pub lifted_at: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, name, level, geometry, unit_id, starts_at, planned_end, lifted_at, created_at";

impl Zone {
    fn from_row(r: &AnyRow) -> Result<Zone> {
        Ok(Zone {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            level: r.try_get("level")?,
            geometry: r.try_get("geometry")?,
            unit_id: r.try_get("unit_id")?,
            starts_at: r.try_get("starts_at")?,
            planned_end: r.try_get("planned_end")?,
            lifted_at: r.try_get("lifted_at")?,
            created_at: r.try_get("created_at")?,
        })
    }

    pub fn active_at(&self, ms: i64) -> bool {
        self.starts_at <= ms && self.lifted_at.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct NewZone {
    pub name: String,
    pub level: String,
    pub geometry: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub starts_at: i64,
    pub planned_end: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct ZoneChange {
    pub at: i64,
    pub actor: String,
    pub change: String,
}

impl Write {
    pub async fn zone_insert(&mut self, actor: &Actor, scope: &Scope, z: &NewZone) -> Result<i64> {
        if !scope.contains(&z.unit_path) {
            return Err(StoreError::Invalid("unit_id: no such unit in your scope".into()));
        }
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO zones (name, level, geometry, unit_id, unit_path, starts_at, planned_end, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(&z.name)
        .bind(&z.level)
        .bind(&z.geometry)
        .bind(z.unit_id)
        .bind(&z.unit_path)
        .bind(z.starts_at)
        .bind(z.planned_end)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        self.zone_note(actor, id, &format!("设立{} / created as {}", z.level, z.level)).await?;
        Ok(id)
    }

    /// Changes a zone's level (say from sealed to controlled) with the reason.
    pub async fn zone_set_level(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        level: &str,
        reason: &str,
    ) -> Result<()> {
        let z = self.zone_for_update(scope, id).await?;
        if z.lifted_at.is_some() {
            return Err(StoreError::Invalid("level: the zone is lifted / 已解封".into()));
        }
        sqlx::query("UPDATE zones SET level = $1, updated_at = $2 WHERE id = $3")
            .bind(level)
            .bind(now_ms())
            .bind(id)
            .execute(self.conn())
            .await?;
        self.zone_note(actor, id, &format!("{} → {level}: {reason}", z.level)).await
    }

    /// Lifts a zone (解封) with the reason.
    pub async fn zone_lift(&mut self, actor: &Actor, scope: &Scope, id: i64, reason: &str) -> Result<()> {
        let z = self.zone_for_update(scope, id).await?;
        if z.lifted_at.is_some() {
            return Err(StoreError::Invalid("id: the zone is already lifted / 已解封".into()));
        }
        let now = now_ms();
        sqlx::query("UPDATE zones SET lifted_at = $1, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.conn())
            .await?;
        self.zone_note(actor, id, &format!("解封 / lifted: {reason}")).await
    }

    async fn zone_for_update(&mut self, scope: &Scope, id: i64) -> Result<Zone> {
        let (lo, hi) = scope.range();
        let r =
            sqlx::query(&format!("SELECT {COLUMNS} FROM zones WHERE id = $1 AND unit_path >= $2 AND unit_path < $3"))
                .bind(id)
                .bind(lo)
                .bind(hi)
                .fetch_optional(self.conn())
                .await?
                .ok_or(StoreError::NotFound)?;
        Zone::from_row(&r)
    }

    async fn zone_note(&mut self, actor: &Actor, id: i64, change: &str) -> Result<()> {
        sqlx::query("INSERT INTO zone_history (zone_id, at, actor, change) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(now_ms())
            .bind(&actor.name)
            .bind(change)
            .execute(self.conn())
            .await?;
        self.audit(actor.audit("zone.change", "zone", id, None, None, change)).await?;
        Ok(())
    }
}

impl Db {
    /// Zones not lifted, everywhere: what gate decisions hold in memory.
    pub async fn zones_unlifted(&self) -> Result<Vec<Zone>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM zones WHERE lifted_at IS NULL ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Zone::from_row).collect()
    }

    pub async fn zone_get(&self, scope: &Scope, id: i64) -> Result<Zone> {
        let (lo, hi) = scope.range();
        let r =
            sqlx::query(&format!("SELECT {COLUMNS} FROM zones WHERE id = $1 AND unit_path >= $2 AND unit_path < $3"))
                .bind(id)
                .bind(lo)
                .bind(hi)
                .fetch_one(&self.pool)
                .await?;
        Zone::from_row(&r)
    }

    pub async fn zone_history(&self, id: i64) -> Result<Vec<ZoneChange>> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT at, actor, change FROM zone_history WHERE zone_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(at, actor, change)| ZoneChange { at, actor, change }).collect())
    }

    /// A page of zones in `scope`, newest first; lifted ones only when asked.
    pub async fn zone_search(&self, scope: &Scope, include_lifted: bool, page: PageRequest) -> Result<Page<Zone>> {
        let mut f = Filter::new();
        f.within(scope, "unit_path");
        if !include_lifted {
            f.cond("lifted_at IS NULL".into());
        }
        let total: (i64,) =
            f.bind_as(&format!("SELECT COUNT(*) FROM zones WHERE {}", f.where_sql())).fetch_one(&self.pool).await?;
        let lim = f.arg_i64(page.per_page);
        let off = f.arg_i64(page.offset());
        let sql =
            format!("SELECT {COLUMNS} FROM zones WHERE {} ORDER BY id DESC LIMIT {lim} OFFSET {off}", f.where_sql());
        let rows = f.bind(&sql).fetch_all(&self.pool).await?;
        let items = rows.iter().map(Zone::from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total: total.0 })
    }
}

impl Db {
    /// For the lifting rule, over residents of these compounds: (latest case onset in ms,
    /// latest close-contact exposure in ms, follow-ups not released). Figures only.
    pub async fn zone_facts(&self, compounds: &[i64]) -> Result<(Option<i64>, Option<i64>, i64)> {
        if compounds.is_empty() {
            return Ok((None, None, 0));
        }
        let mut f = Filter::new();
        let marks: Vec<String> = compounds.iter().map(|c| f.arg_i64(*c)).collect();
        let inside = format!("SELECT id FROM residents WHERE compound_id IN ({})", marks.join(", "));
        let (case,): (Option<i64>,) = f
            .bind_as(&format!("SELECT MAX(onset_at) FROM cases WHERE resident_id IN ({inside})"))
            .fetch_one(&self.pool)
            .await?;
        let (contact,): (Option<i64>,) = f
            .bind_as(&format!(
                "SELECT MAX(last_exposure) FROM followups WHERE tier = 'close' AND resident_id IN ({inside})"
            ))
            .fetch_one(&self.pool)
            .await?;
        let (open,): (i64,) = f
            .bind_as(&format!(
                "SELECT COUNT(*) FROM followups WHERE status <> 'released' AND resident_id IN ({inside})"
            ))
            .fetch_one(&self.pool)
            .await?;
        Ok((case, contact.map(|s| s * 1000), open))
    }
}
