//! Aggregate figures over a scope for the cockpit: counts grouped by unit, birth year, sex
//! and registration day. No personal data leaves these queries, so they are not audited.

use crate::db::Db;
use crate::{Result, Scope};

/// China Standard Time offset, so days are counted in local dates.
const CST_MS: i64 = 8 * 3600 * 1000;

#[derive(Debug, Clone, Default)]
pub struct PopulationStats {
    /// (unit path, residents) per station.
    pub residents_by_unit: Vec<(String, i64)>,
    /// (birth year, sex, residents).
    pub by_birth_year_and_sex: Vec<(i64, String, i64)>,
    /// (days since the epoch in CST, registrations).
    pub registrations_by_day: Vec<(i64, i64)>,
    pub households: i64,
    /// (unit path, compounds) per station.
    pub compounds_by_unit: Vec<(String, i64)>,
    /// (unit path, officer accounts) per unit.
    pub officers_by_unit: Vec<(String, i64)>,
}

impl Db {
    /// The cockpit's population figures. The queries are independent reads, so they run at
    /// once on separate connections.
    pub async fn population_stats(&self, scope: &Scope) -> Result<PopulationStats> {
        let (lo, hi) = scope.range();
        let by_unit = sqlx::query_as(
            "SELECT unit_path, COUNT(*) FROM residents WHERE unit_path >= $1 AND unit_path < $2 GROUP BY unit_path",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool);
        let years = sqlx::query_as::<_, (String, String, i64)>(
            "SELECT substr(birth_date, 1, 4), gender, COUNT(*) FROM residents \
             WHERE unit_path >= $1 AND unit_path < $2 GROUP BY substr(birth_date, 1, 4), gender",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool);
        let days = sqlx::query_as(
            "SELECT (created_at + $3) / 86400000, COUNT(*) FROM residents \
             WHERE unit_path >= $1 AND unit_path < $2 GROUP BY (created_at + $3) / 86400000",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(CST_MS)
        .fetch_all(&self.pool);
        let households = sqlx::query_as::<_, (i64,)>(
            "SELECT COUNT(DISTINCT household_no) FROM residents WHERE unit_path >= $1 AND unit_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(&self.pool);
        let compounds = sqlx::query_as(
            "SELECT unit_path, COUNT(*) FROM compounds WHERE unit_path >= $1 AND unit_path < $2 GROUP BY unit_path",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool);
        let officers = sqlx::query_as(
            "SELECT u.path, COUNT(*) FROM users JOIN org_units u ON u.id = users.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND users.disabled = 0 GROUP BY u.path",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool);
        let (residents_by_unit, years, registrations_by_day, (households,), compounds_by_unit, officers_by_unit) =
            tokio::try_join!(by_unit, years, days, households, compounds, officers)?;
        Ok(PopulationStats {
            residents_by_unit,
            by_birth_year_and_sex: years.into_iter().filter_map(|(y, g, n)| Some((y.parse().ok()?, g, n))).collect(),
            registrations_by_day,
            households,
            compounds_by_unit,
            officers_by_unit,
        })
    }
}

/// Figures of precise control for the cockpit, within a scope.
#[derive(Debug, Clone, Default)]
pub struct PreciseStats {
    /// (unit path, cases not discharged) per station.
    pub active_cases_by_unit: Vec<(String, i64)>,
    /// (status, follow-ups).
    pub followups_by_status: Vec<(String, i64)>,
    /// (level, zones in force).
    pub zones_by_level: Vec<(String, i64)>,
    pub venues: i64,
    /// People in quarantine now (at sites and at home), and beds at the sites.
    pub in_quarantine: i64,
    pub beds: i64,
}

impl Db {
    pub async fn precise_stats(&self, scope: &Scope) -> Result<PreciseStats> {
        let (lo, hi) = scope.range();
        let cases = sqlx::query_as(
            "SELECT unit_path, COUNT(*) FROM cases WHERE status <> 'discharged' AND unit_path >= $1 AND unit_path < $2 \
             GROUP BY unit_path",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        let followups = sqlx::query_as(
            "SELECT status, COUNT(*) FROM followups WHERE unit_path >= $1 AND unit_path < $2 GROUP BY status",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        let zones = sqlx::query_as(
            "SELECT level, COUNT(*) FROM zones WHERE lifted_at IS NULL AND unit_path >= $1 AND unit_path < $2 GROUP BY level",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        let (venues,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM venues WHERE unit_path >= $1 AND unit_path < $2")
            .bind(&lo)
            .bind(&hi)
            .fetch_one(&self.pool)
            .await?;
        let (in_quarantine,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM quarantines WHERE status = 'active' AND unit_path >= $1 AND unit_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(&self.pool)
        .await?;
        let (beds,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(m.capacity), 0) AS BIGINT) FROM quarantine_rooms m \
             JOIN quarantine_sites s ON s.id = m.site_id WHERE s.unit_path >= $1 AND s.unit_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(&self.pool)
        .await?;
        Ok(PreciseStats {
            active_cases_by_unit: cases,
            followups_by_status: followups,
            zones_by_level: zones,
            venues,
            in_quarantine,
            beds,
        })
    }
}

/// Figures of citizen services for the cockpit, within a scope (the handling unit's).
#[derive(Debug, Clone, Default)]
pub struct ServiceStats {
    /// (status, applications).
    pub by_status: Vec<(String, i64)>,
    /// (unit path, applications) per handling unit, for the map.
    pub by_unit: Vec<(String, i64)>,
    /// Applications decided, and the mean hours from filing to decision.
    pub decided: i64,
    pub mean_hours_to_decision: f64,
    /// Open applications past their deadline.
    pub overdue: i64,
    /// Facts answered by the agencies' systems, and facts checked by hand.
    pub facts_electronic: i64,
    pub facts_by_hand: i64,
    /// (status, deliveries) of identity changes of residents in scope.
    pub deliveries_by_status: Vec<(String, i64)>,
}

impl Db {
    pub async fn service_stats(&self, scope: &Scope, now: i64) -> Result<ServiceStats> {
        let (lo, hi) = scope.range();
        let by_status = sqlx::query_as(
            "SELECT status, COUNT(*) FROM applications WHERE unit_path >= $1 AND unit_path < $2 GROUP BY status",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        let by_unit = sqlx::query_as(
            "SELECT unit_path, COUNT(*) FROM applications WHERE unit_path >= $1 AND unit_path < $2 GROUP BY unit_path",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        let (decided, total_ms): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(decided_at - created_at), 0) AS BIGINT) FROM applications \
             WHERE decided_at IS NOT NULL AND unit_path >= $1 AND unit_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(&self.pool)
        .await?;
        let (overdue,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM applications WHERE status IN ('submitted', 'accepted') AND deadline < $3 \
             AND unit_path >= $1 AND unit_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let (facts_electronic, facts_by_hand): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN f.status = 'verified' THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN f.status = 'manual_verified' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM application_facts f JOIN applications a ON a.id = f.application_id \
             WHERE a.unit_path >= $1 AND a.unit_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(&self.pool)
        .await?;
        let deliveries_by_status = sqlx::query_as(
            "SELECT d.status, COUNT(*) FROM change_deliveries d JOIN identity_changes c ON c.change_id = d.change_id \
             JOIN residents r ON r.id = c.resident_id WHERE r.unit_path >= $1 AND r.unit_path < $2 GROUP BY d.status",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        let mean_hours_to_decision =
            if decided == 0 { 0.0 } else { (total_ms as f64 / decided as f64 / 3_600_000.0 * 10.0).round() / 10.0 };
        Ok(ServiceStats {
            by_status,
            by_unit,
            decided,
            mean_hours_to_decision,
            overdue,
            facts_electronic,
            facts_by_hand,
            deliveries_by_status,
        })
    }
}
