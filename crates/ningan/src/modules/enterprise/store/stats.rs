//! Figures for the cockpit panel, each bounded by the viewer's scope.

use ningan_store::sql::{Filter, RowExt as _};
use ningan_store::{Db, Result, Scope};

use super::{request_within, request_within_walk};

#[derive(Debug, Default)]
pub struct EnterpriseStats {
    /// `(unit path, enterprises)`.
    pub by_unit: Vec<(String, i64)>,
    /// Enterprises whose contact or visit is overdue.
    pub late: i64,
    pub requests_by_stage: Vec<(String, i64)>,
    /// Requests waiting on a desk past their deadline.
    pub overdue: i64,
    /// Mean hours from filing to closing, over closed requests.
    pub hours_to_close: Option<f64>,
    /// Mean rating (1–5) and how many were rated.
    pub rating: Option<f64>,
    pub rated: i64,
}

pub async fn stats(db: &Db, scope: &Scope, now: i64) -> Result<EnterpriseStats> {
    let mut s = EnterpriseStats::default();
    let mut f = Filter::new();
    f.within(scope, "unit_path");
    let sql = format!("SELECT unit_path, COUNT(*) AS n FROM enterprises WHERE {} GROUP BY unit_path", f.where_sql());
    for r in f.bind(&sql).fetch_all(db.reader()).await? {
        s.by_unit.push((r.try_get("unit_path")?, r.try_get("n")?));
    }
    let mut f = Filter::new();
    f.within(scope, "unit_path");
    let t = f.arg_i64(now);
    let sql = format!("SELECT COUNT(*) AS n FROM enterprises WHERE {} AND next_due_at < {t}", f.where_sql());
    s.late = f.bind(&sql).fetch_one(db.reader()).await?.try_get("n")?;

    let mut f = Filter::new();
    request_within(&mut f, scope);
    let sql =
        format!("SELECT r.stage, COUNT(*) AS n FROM enterprise_requests r WHERE {} GROUP BY r.stage", f.where_sql());
    for r in f.bind(&sql).fetch_all(db.reader()).await? {
        s.requests_by_stage.push((r.try_get("stage")?, r.try_get("n")?));
    }
    let mut f = Filter::new();
    // Overdue requests are few among many: the partial index of open ones finds them.
    request_within_walk(&mut f, scope);
    let t = f.arg_i64(now);
    let sql = format!(
        "SELECT COUNT(*) AS n FROM enterprise_requests r WHERE {} AND r.closed_at IS NULL AND r.deadline < {t} \
         AND r.stage IN ('submitted', 'accepted', 'assigned')",
        f.where_sql()
    );
    s.overdue = f.bind(&sql).fetch_one(db.reader()).await?.try_get("n")?;
    let mut f = Filter::new();
    request_within(&mut f, scope);
    // Sums cast to BIGINT, not averages: PostgreSQL sums BIGINT to NUMERIC, which the shared driver does not read as i64.
    let sql = format!(
        "SELECT COUNT(r.closed_at) AS closed, CAST(SUM(r.closed_at - r.created_at) AS BIGINT) AS took, COUNT(r.rating) AS rated, \
         CAST(SUM(r.rating) AS BIGINT) AS stars FROM enterprise_requests r WHERE {}",
        f.where_sql()
    );
    let r = f.bind(&sql).fetch_one(db.reader()).await?;
    let closed: i64 = r.try_get("closed")?;
    let took: Option<i64> = r.try_get("took")?;
    s.rated = r.try_get("rated")?;
    let stars: Option<i64> = r.try_get("stars")?;
    s.hours_to_close = took.filter(|_| closed > 0).map(|t| t as f64 / closed as f64 / 3_600_000.0);
    s.rating = stars.filter(|_| s.rated > 0).map(|t| t as f64 / s.rated as f64);
    Ok(s)
}
