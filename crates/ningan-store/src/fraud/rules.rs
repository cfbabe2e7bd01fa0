//! The history of the anti-fraud rule set: every set an analyst put in force, with its text
//! and the reason given, so a version can be read again, compared with another and put back;
//! and what a backtest compares a draft against (the warnings raised, the cases that followed).

use ningan_core::time::now_ms;
use sqlx::Row;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::{Page, PageRequest, Result, StoreError};

#[derive(Debug, Clone)]
pub struct RuleVersion {
    pub id: i64,
    /// The version the set names itself.
    pub version: String,
    pub source: String,
    pub rules: i64,
    pub created_by: String,
    pub created_at: i64,
    /// Why it was put in force, as the analyst said.
    pub reason: String,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<RuleVersion> {
    Ok(RuleVersion {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        source: r.try_get("source")?,
        rules: r.try_get("rules")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        reason: r.try_get("reason")?,
    })
}

impl Write {
    /// Records a rule set put in force (audited by the caller with the replacement).
    pub async fn fraud_rule_version_insert(
        &mut self,
        actor: &Actor,
        version: &str,
        source: &str,
        rules: i64,
        reason: &str,
    ) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO fraud_rule_versions (version, source, rules, created_by, created_at, reason) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(version)
        .bind(source)
        .bind(rules)
        .bind(&actor.name)
        .bind(now_ms())
        .bind(reason)
        .fetch_one(self.conn())
        .await?;
        Ok(id)
    }
}

impl Db {
    /// Rule sets put in force, newest first.
    pub async fn fraud_rule_versions(&self, page: PageRequest) -> Result<Page<RuleVersion>> {
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM fraud_rule_versions").fetch_one(&self.pool).await?;
        let rows = sqlx::query(
            "SELECT id, version, source, rules, created_by, created_at, reason FROM fraud_rule_versions \
             ORDER BY id DESC LIMIT $1 OFFSET $2",
        )
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(from_row).collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    /// One recorded set and the one in force before it (if any).
    pub async fn fraud_rule_version_pair(&self, id: i64) -> Result<(RuleVersion, Option<RuleVersion>)> {
        let one = self.fraud_rule_version(id).await?;
        let before = sqlx::query(
            "SELECT id, version, source, rules, created_by, created_at, reason FROM fraud_rule_versions \
             WHERE id < $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok((one, before.as_ref().map(from_row).transpose()?))
    }

    /// One recorded version.
    /// The rule set put in force last, if any was.
    pub async fn fraud_rule_version_latest(&self) -> Result<Option<RuleVersion>> {
        let row = sqlx::query(
            "SELECT id, version, source, rules, created_by, created_at, reason FROM fraud_rule_versions \
             ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn fraud_rule_version(&self, id: i64) -> Result<RuleVersion> {
        let row = sqlx::query(
            "SELECT id, version, source, rules, created_by, created_at, reason FROM fraud_rule_versions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// Warnings raised since `since_ms`, by level (`low`, `medium`, `high`).
    pub async fn fraud_warnings_by_level_since(&self, since_ms: i64) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT level, COUNT(*) FROM fraud_tasks WHERE warned_at >= $1 GROUP BY level")
            .bind(since_ms)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Cases since `since_ms` whose victim is a known subject: (the subject's person key,
    /// when the case occurred, ms).
    pub async fn fraud_case_victims_since(&self, since_ms: i64) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT s.person_key, c.occurred_at FROM fraud_cases c JOIN fraud_subjects s ON s.id = c.subject_id \
             WHERE c.occurred_at >= $1 ORDER BY c.occurred_at",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?)
    }
}
