//! Inbound travellers (来甬人员): arrivals screened against the risk areas in force when they
//! arrived, each routed to a station to follow up. Risk areas are kept with their dates, so a
//! screening can be explained later.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct RiskArea {
    pub id: i64,
    pub name: String,
    /// high | medium
    pub level: String,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewArrival {
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub origin: String,
    pub arrived_at: i64,
    pub risk: String,
    pub risk_area: Option<String>,
    pub resident_id: Option<i64>,
    pub unit_id: i64,
    pub unit_path: String,
}

#[derive(Debug, Clone)]
pub struct Arrival {
    pub id: i64,
    pub name: String,
    /// Full; the application masks it.
    pub id_number: String,
    pub origin: String,
    pub arrived_at: i64,
    pub risk: String,
    pub risk_area: Option<String>,
    pub resident_id: Option<i64>,
    pub status: String,
    pub unit_id: i64,
}

const COLUMNS: &str = "id, name, id_number, origin, arrived_at, risk, risk_area, resident_id, status, unit_id";

impl Arrival {
    fn from_row(r: &AnyRow) -> Result<Arrival> {
        Ok(Arrival {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            id_number: r.try_get("id_number")?,
            origin: r.try_get("origin")?,
            arrived_at: r.try_get("arrived_at")?,
            risk: r.try_get("risk")?,
            risk_area: r.try_get("risk_area")?,
            resident_id: r.try_get("resident_id")?,
            status: r.try_get("status")?,
            unit_id: r.try_get("unit_id")?,
        })
    }
}

pub const ARRIVAL_STATUSES: &[&str] = &["pending", "contacted", "quarantined", "cleared"];

impl Write {
    pub async fn risk_area_insert(
        &mut self,
        actor: &Actor,
        name: &str,
        level: &str,
        starts_at: i64,
        ends_at: Option<i64>,
    ) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO risk_areas (name, level, starts_at, ends_at, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(level)
        .bind(starts_at)
        .bind(ends_at)
        .bind(now_ms())
        .fetch_one(self.conn())
        .await?;
        self.audit(actor.audit("risk_area.create", "risk_area", id, None, None, &format!("{name} {level}"))).await?;
        Ok(id)
    }

    /// Adds arrivals; one already recorded (same ID number and arrival time) is skipped and
    /// counted. Returns (added, duplicates).
    pub async fn arrivals_insert(&mut self, actor: &Actor, rows: &[NewArrival]) -> Result<(u64, u64)> {
        let now = now_ms();
        let (mut added, mut dup) = (0, 0);
        for a in rows {
            let exists: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM arrivals WHERE id_number = $1 AND arrived_at = $2")
                    .bind(&a.id_number)
                    .bind(a.arrived_at)
                    .fetch_optional(self.conn())
                    .await?;
            if exists.is_some() {
                dup += 1;
                continue;
            }
            sqlx::query(
                "INSERT INTO arrivals (name, id_number, phone, origin, arrived_at, risk, risk_area, resident_id, status, \
                 unit_id, unit_path, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11, $11)",
            )
            .bind(&a.name)
            .bind(&a.id_number)
            .bind(&a.phone)
            .bind(&a.origin)
            .bind(a.arrived_at)
            .bind(&a.risk)
            .bind(&a.risk_area)
            .bind(a.resident_id)
            .bind(a.unit_id)
            .bind(&a.unit_path)
            .bind(now)
            .execute(self.conn())
            .await?;
            added += 1;
        }
        let detail = format!("{added} arrivals added, {dup} already recorded");
        self.audit(actor.audit("arrival.import", "arrival", 0, None, None, &detail)).await?;
        Ok((added, dup))
    }

    pub async fn arrival_set_status(&mut self, actor: &Actor, scope: &Scope, id: i64, status: &str) -> Result<()> {
        let (lo, hi) = scope.range();
        let done = sqlx::query(
            "UPDATE arrivals SET status = $1, updated_at = $2 WHERE id = $3 AND unit_path >= $4 AND unit_path < $5",
        )
        .bind(status)
        .bind(now_ms())
        .bind(id)
        .bind(lo)
        .bind(hi)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.audit(actor.audit("arrival.status", "arrival", id, None, None, status)).await?;
        Ok(())
    }

    /// A page of arrivals in `scope`, highest risk first, audited with the ids shown.
    pub async fn arrival_search(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        risk: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Arrival>> {
        let mut f = Filter::new();
        f.within(scope, "unit_path");
        if let Some(r) = risk {
            let i = f.arg_text(r.to_string());
            f.cond(format!("risk = {i}"));
        }
        let total: (i64,) =
            f.bind_as(&format!("SELECT COUNT(*) FROM arrivals WHERE {}", f.where_sql())).fetch_one(self.conn()).await?;
        let lim = f.arg_i64(page.per_page);
        let off = f.arg_i64(page.offset());
        let sql = format!(
            "SELECT {COLUMNS} FROM arrivals WHERE {} ORDER BY CASE risk WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, \
             arrived_at DESC, id LIMIT {lim} OFFSET {off}",
            f.where_sql()
        );
        let rows = f.bind(&sql).fetch_all(self.conn()).await?;
        let items = rows.iter().map(Arrival::from_row).collect::<Result<Vec<_>>>()?;
        let shown: Vec<String> = items.iter().map(|a| a.id.to_string()).collect();
        let persons: Vec<i64> = items.iter().filter_map(|a| a.resident_id).collect();
        self.audit_showing(
            actor.audit("arrival.list", "arrival", 0, None, None, &format!("shown {}", shown.join(","))),
            &persons,
        )
        .await?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total: total.0 })
    }
}

impl Db {
    pub async fn risk_areas(&self) -> Result<Vec<RiskArea>> {
        let rows: Vec<(i64, String, String, i64, Option<i64>)> =
            sqlx::query_as("SELECT id, name, level, starts_at, ends_at FROM risk_areas ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, level, starts_at, ends_at)| RiskArea { id, name, level, starts_at, ends_at })
            .collect())
    }
}
