//! Epidemiological cases (病例): a resident confirmed or suspected, with the onset (or
//! sampling) time tracing looks back from. A case belongs to the station of the resident's
//! residence, so the scope that sees the resident sees the case.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope, StoreError};

/// Statuses a case may have, in the order the workbench lists them.
pub const CASE_STATUSES: &[&str] = &["confirmed", "asymptomatic", "suspected", "discharged"];

#[derive(Debug, Clone)]
pub struct EpiCase {
    pub id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    pub status: String,
    /// Milliseconds since the epoch.
    pub onset_at: i64,
    pub note: String,
    pub unit_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "c.id, c.resident_id, r.name AS resident_name, c.status, c.onset_at, c.note, c.unit_id, \
                       c.created_at, c.updated_at";
const FROM: &str = "cases c JOIN residents r ON r.id = c.resident_id";

impl EpiCase {
    fn from_row(r: &AnyRow) -> Result<EpiCase> {
        Ok(EpiCase {
            id: r.try_get("id")?,
            resident_id: r.try_get("resident_id")?,
            resident_name: r.try_get("resident_name")?,
            status: r.try_get("status")?,
            onset_at: r.try_get("onset_at")?,
            note: r.try_get("note")?,
            unit_id: r.try_get("unit_id")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewEpiCase {
    pub resident_id: i64,
    pub status: String,
    pub onset_at: i64,
    pub note: String,
}

impl Write {
    /// Registers a case for a resident in `scope`; one case per resident.
    pub async fn epi_case_insert(&mut self, actor: &Actor, scope: &Scope, new: &NewEpiCase) -> Result<i64> {
        if !CASE_STATUSES.contains(&new.status.as_str()) {
            return Err(StoreError::Invalid(format!("status: use one of {}", CASE_STATUSES.join(", "))));
        }
        let (lo, hi) = scope.range();
        let (unit_id, unit_path): (i64, String) = sqlx::query_as(
            "SELECT unit_id, unit_path FROM residents WHERE id = $1 AND unit_path >= $2 AND unit_path < $3",
        )
        .bind(new.resident_id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(self.conn())
        .await?
        .ok_or_else(|| StoreError::Invalid("resident_id: no such resident in your scope".into()))?;
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO cases (resident_id, status, onset_at, note, unit_id, unit_path, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(new.resident_id)
        .bind(&new.status)
        .bind(new.onset_at)
        .bind(&new.note)
        .bind(unit_id)
        .bind(&unit_path)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        let detail = format!("status {}", new.status);
        self.audit(actor.audit("case.create", "epi_case", id, Some(new.resident_id), None, &detail)).await?;
        Ok(id)
    }

    /// Reads a case for an investigation: the read of a named person's record is audited.
    pub async fn epi_case_open(&mut self, actor: &Actor, scope: &Scope, id: i64) -> Result<EpiCase> {
        let (lo, hi) = scope.range();
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1 AND c.unit_path >= $2 AND c.unit_path < $3"
        ))
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        let case = EpiCase::from_row(&r)?;
        self.audit(actor.audit("case.view", "epi_case", id, Some(case.resident_id), None, "")).await?;
        Ok(case)
    }
}

impl Db {
    /// The case of a resident, if any.
    pub async fn epi_case_of(&self, resident_id: i64) -> Result<Option<i64>> {
        let r: Option<(i64,)> = sqlx::query_as("SELECT id FROM cases WHERE resident_id = $1")
            .bind(resident_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(|r| r.0))
    }

    /// A page of cases in `scope`, newest first, optionally of one status.
    pub async fn epi_case_search(
        &self,
        scope: &Scope,
        status: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<EpiCase>> {
        let mut f = Filter::new();
        f.within(scope, "c.unit_path");
        if let Some(s) = status {
            let i = f.arg_text(s.to_string());
            f.cond(format!("c.status = {i}"));
        }
        let total: (i64,) =
            f.bind_as(&format!("SELECT COUNT(*) FROM {FROM} WHERE {}", f.where_sql())).fetch_one(&self.pool).await?;
        let lim = f.arg_i64(page.per_page);
        let off = f.arg_i64(page.offset());
        let sql =
            format!("SELECT {COLUMNS} FROM {FROM} WHERE {} ORDER BY c.id DESC LIMIT {lim} OFFSET {off}", f.where_sql());
        let rows = f.bind(&sql).fetch_all(&self.pool).await?;
        let items = rows.iter().map(EpiCase::from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total: total.0 })
    }
}
