//! Contacts of cases as follow-up tasks (密接、次密接管控): each contact found by an
//! investigation becomes a task for the station where the person lives, worked through
//! notified → transferred → in quarantine → released. Re-running an investigation updates
//! the tasks it finds again and adds the new ones, so the counts say what changed.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope, StoreError};

/// Follow-up lists count at most this many rows; a total equal to it means "at least".
pub const FOLLOWUP_COUNT_CAP: i64 = 100_000;

/// The statuses of a follow-up, in order.
pub const FOLLOWUP_STATUSES: &[&str] = &["notified", "transferred", "quarantined", "released"];

/// Whether a follow-up may move from `from` to `to`: forward only, one step or straight to
/// release (a secondary contact monitored at home is released without transfer).
pub fn followup_transition_allowed(from: &str, to: &str) -> bool {
    let pos = |s| FOLLOWUP_STATUSES.iter().position(|x| *x == s);
    match (pos(from), pos(to)) {
        (Some(a), Some(b)) => b == a + 1 || (b == FOLLOWUP_STATUSES.len() - 1 && a < b),
        _ => false,
    }
}

#[derive(Debug, Clone)]
pub struct Followup {
    pub id: i64,
    pub case_id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    /// close | secondary
    pub tier: String,
    pub via_resident_id: Option<i64>,
    pub status: String,
    pub overlap_s: i64,
    /// Seconds since the epoch.
    pub first_exposure: i64,
    pub last_exposure: i64,
    pub note: String,
    pub unit_id: i64,
    pub updated_at: i64,
}

/// Which follow-ups a list shows; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct FollowupQuery {
    /// notified | transferred | quarantined | released
    pub status: Option<String>,
    pub case_id: Option<i64>,
    /// close | secondary
    pub tier: Option<String>,
}

const COLUMNS: &str = "f.id, f.case_id, f.resident_id, r.name AS resident_name, f.tier, f.via_resident_id, f.status, \
                       f.overlap_s, f.first_exposure, f.last_exposure, f.note, f.unit_id, f.updated_at";
const FROM: &str = "followups f JOIN residents r ON r.id = f.resident_id";

impl Followup {
    fn from_row(r: &AnyRow) -> Result<Followup> {
        Ok(Followup {
            id: r.try_get("id")?,
            case_id: r.try_get("case_id")?,
            resident_id: r.try_get("resident_id")?,
            resident_name: r.try_get("resident_name")?,
            tier: r.try_get("tier")?,
            via_resident_id: r.try_get("via_resident_id")?,
            status: r.try_get("status")?,
            overlap_s: r.try_get("overlap_s")?,
            first_exposure: r.try_get("first_exposure")?,
            last_exposure: r.try_get("last_exposure")?,
            note: r.try_get("note")?,
            unit_id: r.try_get("unit_id")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// One contact an investigation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundContact {
    pub resident_id: i64,
    pub tier: &'static str,
    pub via_resident_id: Option<i64>,
    pub overlap_s: i64,
    pub first_exposure: i64,
    pub last_exposure: i64,
}

/// What confirming an investigation's contacts changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfirmReport {
    pub added_close: u64,
    pub added_secondary: u64,
    /// Already tasks, with new exposure figures.
    pub updated: u64,
    pub unchanged: u64,
    /// Secondary contacts found again as close contacts: raised to close.
    pub promoted: u64,
}

impl Write {
    /// Makes the contacts of case `case_id` follow-up tasks, each routed to the station of the
    /// person's residence; existing tasks keep their status and take the new figures.
    pub async fn followups_confirm(
        &mut self,
        actor: &Actor,
        case_id: i64,
        found: &[FoundContact],
    ) -> Result<ConfirmReport> {
        let now = now_ms();
        let mut report = ConfirmReport::default();
        for c in found {
            let existing: Option<(String, i64, i64, i64)> = sqlx::query_as(
                "SELECT tier, overlap_s, first_exposure, last_exposure FROM followups WHERE case_id = $1 AND resident_id = $2",
            )
            .bind(case_id)
            .bind(c.resident_id)
            .fetch_optional(self.conn())
            .await?;
            match existing {
                None => {
                    let home: Option<(i64, String)> =
                        sqlx::query_as("SELECT unit_id, unit_path FROM residents WHERE id = $1")
                            .bind(c.resident_id)
                            .fetch_optional(self.conn())
                            .await?;
                    let Some((unit_id, unit_path)) = home else { continue };
                    sqlx::query(
                        "INSERT INTO followups (case_id, resident_id, tier, via_resident_id, status, overlap_s, \
                         first_exposure, last_exposure, note, unit_id, unit_path, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, 'notified', $5, $6, $7, '', $8, $9, $10, $10)",
                    )
                    .bind(case_id)
                    .bind(c.resident_id)
                    .bind(c.tier)
                    .bind(c.via_resident_id)
                    .bind(c.overlap_s)
                    .bind(c.first_exposure)
                    .bind(c.last_exposure)
                    .bind(unit_id)
                    .bind(&unit_path)
                    .bind(now)
                    .execute(self.conn())
                    .await?;
                    if c.tier == "close" {
                        report.added_close += 1;
                    } else {
                        report.added_secondary += 1;
                    }
                }
                Some((tier, overlap, first, last)) => {
                    let promoted = tier == "secondary" && c.tier == "close";
                    // A close contact stays close even when a later run finds them only as
                    // secondary (the rule never demotes).
                    let tier = if promoted { "close" } else { tier.as_str() };
                    let via = if tier == "close" { None } else { c.via_resident_id };
                    if !promoted && (overlap, first, last) == (c.overlap_s, c.first_exposure, c.last_exposure) {
                        report.unchanged += 1;
                        continue;
                    }
                    sqlx::query(
                        "UPDATE followups SET tier = $1, via_resident_id = $2, overlap_s = $3, first_exposure = $4, \
                         last_exposure = $5, updated_at = $6 WHERE case_id = $7 AND resident_id = $8",
                    )
                    .bind(tier)
                    .bind(via)
                    .bind(c.overlap_s)
                    .bind(c.first_exposure)
                    .bind(c.last_exposure)
                    .bind(now)
                    .bind(case_id)
                    .bind(c.resident_id)
                    .execute(self.conn())
                    .await?;
                    if promoted {
                        report.promoted += 1;
                    } else {
                        report.updated += 1;
                    }
                }
            }
        }
        let detail = format!(
            "added {} close, {} secondary; updated {}; promoted {}; unchanged {}",
            report.added_close, report.added_secondary, report.updated, report.promoted, report.unchanged
        );
        self.audit(actor.audit("followup.confirm", "epi_case", case_id, None, None, &detail)).await?;
        Ok(report)
    }

    /// Moves a follow-up in `scope` to `status`, forward only; returns the person's id.
    pub async fn followup_set_status(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        status: &str,
        note: &str,
    ) -> Result<i64> {
        let (lo, hi) = scope.range();
        let (current, resident_id): (String, i64) = sqlx::query_as(
            "SELECT status, resident_id FROM followups WHERE id = $1 AND unit_path >= $2 AND unit_path < $3",
        )
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        if !followup_transition_allowed(&current, status) {
            return Err(StoreError::Invalid(format!(
                "status: cannot go from {current} to {status} / 不能从“{current}”变为“{status}”"
            )));
        }
        sqlx::query("UPDATE followups SET status = $1, note = $2, updated_at = $3 WHERE id = $4")
            .bind(status)
            .bind(note)
            .bind(now_ms())
            .bind(id)
            .execute(self.conn())
            .await?;
        let detail = format!("{current} → {status}");
        self.audit(actor.audit("followup.status", "epi_contact", id, Some(resident_id), None, &detail)).await?;
        Ok(resident_id)
    }

    /// A page of follow-ups in `scope` (the stations of the people's residence), station by
    /// station and newest first within each, audited with the ids shown. That order is the
    /// indexes' own, so a page costs the same at a million follow-ups as at a hundred; the
    /// count reads the index alone.
    pub async fn followup_search(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        q: &FollowupQuery,
        page: PageRequest,
    ) -> Result<Page<Followup>> {
        let mut f = Filter::new();
        f.within(scope, "f.unit_path");
        if let Some(s) = &q.status {
            let i = f.arg_text(s.clone());
            f.cond(format!("f.status = {i}"));
        }
        if let Some(c) = q.case_id {
            let i = f.arg_i64(c);
            f.cond(format!("f.case_id = {i}"));
        }
        if let Some(t) = &q.tier {
            let i = f.arg_text(t.clone());
            f.cond(format!("f.tier = {i}"));
        }
        // Counting a million index entries costs more than the page itself: counts stop at
        // the cap, and the caller says "100000+".
        let total: (i64,) = f
            .bind_as(&format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM followups f WHERE {} LIMIT {FOLLOWUP_COUNT_CAP}) AS capped",
                f.where_sql()
            ))
            .fetch_one(self.conn())
            .await?;
        let lim = f.arg_i64(page.per_page);
        let off = f.arg_i64(page.offset());
        // The pages before are skipped over the follow-ups' own index (no join, no row read);
        // only the page's rows are then joined to their residents.
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE f.id IN (SELECT f.id FROM followups f WHERE {} \
             ORDER BY f.unit_path DESC, f.id DESC LIMIT {lim} OFFSET {off}) ORDER BY f.unit_path DESC, f.id DESC",
            f.where_sql()
        );
        let rows = f.bind(&sql).fetch_all(self.conn()).await?;
        let items = rows.iter().map(Followup::from_row).collect::<Result<Vec<_>>>()?;
        let shown: Vec<String> = items.iter().map(|i| i.resident_id.to_string()).collect();
        let detail = format!("followups; shown {}", shown.join(","));
        let persons: Vec<i64> = items.iter().map(|i| i.resident_id).collect();
        self.audit_showing(actor.audit("resident.list", "epi_contact", 0, None, None, &detail), &persons).await?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total: total.0 })
    }
}

impl Db {
    /// (resident, status) of a case's follow-ups: ids and statuses only.
    pub async fn followup_statuses(&self, case_id: i64) -> Result<Vec<(i64, String)>> {
        Ok(sqlx::query_as("SELECT resident_id, status FROM followups WHERE case_id = $1")
            .bind(case_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// A follow-up in `scope`: (resident, last exposure in seconds, status).
    pub async fn followup_get(&self, scope: &Scope, id: i64) -> Result<(i64, i64, String)> {
        let (lo, hi) = scope.range();
        sqlx::query_as(
            "SELECT resident_id, last_exposure, status FROM followups WHERE id = $1 AND unit_path >= $2 AND unit_path < $3",
        )
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Every person whose status limits what gates allow, as (resident id, severity): 3 case,
    /// 2 close contact not released, 1 secondary contact not released; only `only`'s people
    /// when given. Ids only.
    pub async fn person_statuses(&self, only: Option<&[i64]>) -> Result<Vec<(i64, i64)>> {
        const SQL: &str = "SELECT resident_id, 3 FROM cases WHERE status <> 'discharged' {filter} \
             UNION ALL SELECT resident_id, CASE WHEN tier = 'close' THEN 2 ELSE 1 END FROM followups \
             WHERE status <> 'released' {filter}";
        let Some(ids) = only else {
            return Ok(sqlx::query_as(&SQL.replace("{filter}", "")).fetch_all(&self.pool).await?);
        };
        let mut out = Vec::new();
        for chunk in ids.chunks(400) {
            let mut f = Filter::new();
            let marks: Vec<String> = chunk.iter().map(|id| f.arg_i64(*id)).collect();
            let sql = SQL.replace("{filter}", &format!("AND resident_id IN ({})", marks.join(", ")));
            out.extend(f.bind_as::<(i64, i64)>(&sql).fetch_all(&self.pool).await?);
        }
        Ok(out)
    }
}
