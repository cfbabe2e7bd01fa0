//! The archive of monthly reports: each PDF as generated, with its digest, per unit and month.

use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, Scope, StoreError, Write};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Archived {
    pub id: i64,
    pub unit_id: i64,
    pub unit_path: String,
    /// `YYYY-MM`.
    pub month: String,
    pub sha256: String,
    pub bytes: i64,
    pub generated_by: String,
    pub generated_at: i64,
}

fn archived(r: &Row) -> Result<Archived> {
    Ok(Archived {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        month: r.try_get("month")?,
        sha256: r.try_get("sha256")?,
        bytes: r.try_get("bytes")?,
        generated_by: r.try_get("generated_by")?,
        generated_at: r.try_get("generated_at")?,
    })
}

const COLUMNS: &str = "id, unit_id, unit_path, month, sha256, bytes, generated_by, generated_at";

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    w: &mut Write,
    actor: &Actor,
    unit_id: i64,
    unit_path: &str,
    month: &str,
    pdf: &[u8],
    sha256: &str,
    now: i64,
) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO ev_reports (unit_id, unit_path, month, pdf, sha256, bytes, generated_by, generated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(unit_id)
    .bind(unit_path)
    .bind(month)
    .bind(pdf.to_vec())
    .bind(sha256)
    .bind(pdf.len() as i64)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("evaluation.report.generate", "ev_report", id, None, None, month)).await?;
    Ok(id)
}

/// Reports of units within `scope`, newest month first.
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<Archived>> {
    let mut f = Filter::new();
    f.within(scope, "unit_path");
    let sql =
        format!("SELECT {COLUMNS} FROM ev_reports WHERE {} ORDER BY month DESC, id DESC LIMIT 240", f.where_sql());
    f.bind(&sql).fetch_all(db.reader()).await?.iter().map(archived).collect()
}

/// One archived report and its bytes, if within `scope`.
pub async fn pdf(db: &Db, scope: &Scope, id: i64) -> Result<(Archived, Vec<u8>)> {
    let row = query(&format!("SELECT {COLUMNS}, pdf FROM ev_reports WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    let a = archived(&row)?;
    if !scope.contains(&a.unit_path) {
        return Err(StoreError::NotFound);
    }
    Ok((a, row.try_get("pdf")?))
}
