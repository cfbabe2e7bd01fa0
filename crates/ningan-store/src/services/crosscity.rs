//! Cross-city handling (跨市通办): applications a station here takes for a person registered in
//! another city, forwarded to that city's ningan and tracked here; and applications another
//! city forwarded to us, filed against our register and answered back.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::{Page, PageRequest, Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct Forwarded {
    pub id: i64,
    pub no: String,
    pub peer: String,
    pub item_code: String,
    pub applicant_name: String,
    pub id_number: String,
    pub details: String,
    /// forwarding (not yet accepted by the other city) | submitted | accepted | approved | rejected
    pub status: String,
    pub remote_no: Option<String>,
    pub note: Option<String>,
    pub last_error: Option<String>,
    pub unit_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewForwarded {
    pub peer: String,
    pub item_code: String,
    pub applicant_name: String,
    pub id_number: String,
    pub details: String,
    pub unit_id: i64,
    pub unit_path: String,
}

const COLUMNS: &str = "id, no, peer, item_code, applicant_name, id_number, details, status, remote_no, note, last_error, \
    unit_id, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<Forwarded> {
    Ok(Forwarded {
        id: r.try_get("id")?,
        no: r.try_get("no")?,
        peer: r.try_get("peer")?,
        item_code: r.try_get("item_code")?,
        applicant_name: r.try_get("applicant_name")?,
        id_number: r.try_get("id_number")?,
        details: r.try_get("details")?,
        status: r.try_get("status")?,
        remote_no: r.try_get("remote_no")?,
        note: r.try_get("note")?,
        last_error: r.try_get("last_error")?,
        unit_id: r.try_get("unit_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Write {
    pub async fn forwarded_insert(&mut self, actor: &Actor, f: &NewForwarded) -> Result<Forwarded> {
        let now = now_ms();
        let no = format!("XC{}{:06}", f.peer, rand::random::<u32>() % 1_000_000);
        sqlx::query(
            "INSERT INTO crosscity_out (no, peer, item_code, applicant_name, id_number, details, status, unit_id, unit_path, \
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'forwarding', $7, $8, $9, $10, $10)",
        )
        .bind(&no)
        .bind(&f.peer)
        .bind(&f.item_code)
        .bind(&f.applicant_name)
        .bind(&f.id_number)
        .bind(&f.details)
        .bind(f.unit_id)
        .bind(&f.unit_path)
        .bind(&actor.name)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.audit(actor.audit("crosscity.forward", "crosscity_out", &no, None, None, &format!("to {}", f.peer)))
            .await?;
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM crosscity_out WHERE no = $1"))
            .bind(&no)
            .fetch_one(self.conn())
            .await?;
        from_row(&r)
    }

    /// What the other city said: its number for the application and where it stands.
    pub async fn forwarded_update(
        &mut self,
        id: i64,
        remote_no: Option<&str>,
        status: Option<&str>,
        note: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE crosscity_out SET remote_no = COALESCE($1, remote_no), status = COALESCE($2, status), \
             note = COALESCE($3, note), last_error = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(remote_no)
        .bind(status)
        .bind(note)
        .bind(error)
        .bind(now_ms())
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Records that an application here came from another city (once per origin reference).
    pub async fn crosscity_in_insert(
        &mut self,
        application_id: i64,
        origin: &str,
        origin_ref: &str,
        origin_unit: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO crosscity_in (application_id, origin, origin_ref, origin_unit) VALUES ($1, $2, $3, $4)",
        )
        .bind(application_id)
        .bind(origin)
        .bind(origin_ref)
        .bind(origin_unit)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl Db {
    pub async fn forwarded(&self, scope: &Scope, page: PageRequest) -> Result<Page<Forwarded>> {
        let (lo, hi) = scope.range();
        let total = self.count_in_scope("crosscity_out", &lo, &hi).await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM crosscity_out WHERE unit_path >= $1 AND unit_path < $2 ORDER BY id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(&lo)
        .bind(&hi)
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(from_row).collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    /// Forwarded applications still waiting for the other city.
    pub async fn forwarded_open(&self, limit: i64) -> Result<Vec<Forwarded>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM crosscity_out WHERE status NOT IN ('approved', 'rejected') ORDER BY updated_at LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The application here for another city's reference, if already filed.
    pub async fn crosscity_in_lookup(&self, origin: &str, origin_ref: &str) -> Result<Option<i64>> {
        let r: Option<(i64,)> =
            sqlx::query_as("SELECT application_id FROM crosscity_in WHERE origin = $1 AND origin_ref = $2")
                .bind(origin)
                .bind(origin_ref)
                .fetch_optional(&self.pool)
                .await?;
        Ok(r.map(|r| r.0))
    }

    /// The origin city of an application, if it came from one.
    pub async fn crosscity_origin(&self, application_id: i64) -> Result<Option<(String, String)>> {
        Ok(sqlx::query_as("SELECT origin, origin_unit FROM crosscity_in WHERE application_id = $1")
            .bind(application_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn forwarded_one(&self, scope: &Scope, id: i64) -> Result<Forwarded> {
        let (lo, hi) = scope.range();
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM crosscity_out WHERE id = $1 AND unit_path >= $2 AND unit_path < $3"
        ))
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        from_row(&r)
    }
}
