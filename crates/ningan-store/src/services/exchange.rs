//! The data exchange behind certificate-free handling (无证明办事): partner agencies and the
//! evidence they answer for, and each application's facts — verified from the bureau's own
//! register, fetched from an agency (each request with a stable id, retried with backoff), or
//! checked by hand when the exchange cannot answer or the citizen rejects what it returned.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::{Result, StoreError};

/// The Chinese label of a fact status; `verified` and `manual_verified` let an application
/// be approved (codes and labels: `ningan_core::labels::FACT_STATUS`).
pub fn fact_status_zh(s: &str) -> &'static str {
    ningan_core::labels::zh(ningan_core::labels::FACT_STATUS, s)
}

#[derive(Debug, Clone)]
pub struct Agency {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub base_url: String,
    pub secret: String,
    pub evidence: Vec<String>,
    pub webhook_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAgency {
    pub code: String,
    pub name: String,
    pub base_url: String,
    pub secret: String,
    pub evidence: Vec<String>,
    pub webhook_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AppFact {
    pub id: i64,
    pub application_id: i64,
    pub fact_code: String,
    pub source: String,
    pub status: String,
    pub value: Option<String>,
    pub verified_by: Option<String>,
    pub verified_at: Option<i64>,
    pub consent_at: i64,
    pub request_id: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub manual_deadline: Option<i64>,
    pub note: String,
}

/// A fact as filed: verified on the spot from the register, or waiting for the exchange.
#[derive(Debug, Clone)]
pub struct NewFact {
    pub fact_code: String,
    pub source: String,
    pub verified: Option<(String, String)>,
}

const AGENCY_COLUMNS: &str = "id, code, name, base_url, secret, evidence, webhook_url";
const FACT_COLUMNS: &str = "id, application_id, fact_code, source, status, value, verified_by, verified_at, consent_at, \
    request_id, attempts, last_error, manual_deadline, note";

fn agency_from_row(r: &AnyRow) -> Result<Agency> {
    let evidence: String = r.try_get("evidence")?;
    Ok(Agency {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        base_url: r.try_get("base_url")?,
        secret: r.try_get("secret")?,
        evidence: serde_json::from_str(&evidence).unwrap_or_default(),
        webhook_url: r.try_get("webhook_url")?,
    })
}

fn fact_from_row(r: &AnyRow) -> Result<AppFact> {
    Ok(AppFact {
        id: r.try_get("id")?,
        application_id: r.try_get("application_id")?,
        fact_code: r.try_get("fact_code")?,
        source: r.try_get("source")?,
        status: r.try_get("status")?,
        value: r.try_get("value")?,
        verified_by: r.try_get("verified_by")?,
        verified_at: r.try_get("verified_at")?,
        consent_at: r.try_get("consent_at")?,
        request_id: r.try_get("request_id")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        manual_deadline: r.try_get("manual_deadline")?,
        note: r.try_get("note")?,
    })
}

/// Hand checks must be done within a day (paper or a call to the agency).
pub const MANUAL_DEADLINE_MS: i64 = 24 * 3_600_000;

impl Db {
    pub async fn agencies(&self) -> Result<Vec<Agency>> {
        let rows = sqlx::query(&format!("SELECT {AGENCY_COLUMNS} FROM partner_agencies ORDER BY code"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(agency_from_row).collect()
    }

    pub async fn agency(&self, code: &str) -> Result<Agency> {
        let r = sqlx::query(&format!("SELECT {AGENCY_COLUMNS} FROM partner_agencies WHERE code = $1"))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        agency_from_row(&r)
    }

    pub async fn application_facts(&self, application_id: i64) -> Result<Vec<AppFact>> {
        let rows =
            sqlx::query(&format!("SELECT {FACT_COLUMNS} FROM application_facts WHERE application_id = $1 ORDER BY id"))
                .bind(application_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(fact_from_row).collect()
    }

    /// Facts waiting for the exchange whose next attempt is due.
    pub async fn facts_due(&self, now: i64, limit: i64) -> Result<Vec<AppFact>> {
        let rows = sqlx::query(&format!(
            "SELECT {FACT_COLUMNS} FROM application_facts WHERE status = 'pending' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(fact_from_row).collect()
    }
}

impl Write {
    /// Takes a due fact for one request until `until`: the filing's own pass and the periodic
    /// worker (or several processes) may read the same fact due, and only the one that moves its
    /// next attempt on asks the agency. A taker that dies leaves it due again at `until`.
    pub async fn fact_claim(&mut self, fact_id: i64, now: i64, until: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE application_facts SET next_attempt_at = $1 \
             WHERE id = $2 AND status = 'pending' AND next_attempt_at <= $3",
        )
        .bind(until)
        .bind(fact_id)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn agency_upsert(&mut self, actor: &Actor, a: &NewAgency) -> Result<()> {
        sqlx::query("DELETE FROM partner_agencies WHERE code = $1").bind(&a.code).execute(self.conn()).await?;
        sqlx::query(
            "INSERT INTO partner_agencies (code, name, base_url, secret, evidence, webhook_url, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&a.code)
        .bind(&a.name)
        .bind(&a.base_url)
        .bind(&a.secret)
        .bind(serde_json::to_string(&a.evidence).unwrap_or_default())
        .bind(&a.webhook_url)
        .bind(now_ms())
        .execute(self.conn())
        .await?;
        self.audit(actor.audit("exchange.agency", "partner_agency", &a.code, None, None, &a.name)).await?;
        Ok(())
    }

    /// Records the facts of a newly filed application, with the citizen's consent time.
    pub async fn application_facts_insert(
        &mut self,
        application_id: i64,
        facts: &[NewFact],
        consent_at: i64,
    ) -> Result<()> {
        let now = now_ms();
        for f in facts {
            let (status, value, by, at) = match &f.verified {
                Some((value, by)) => ("verified", Some(value.as_str()), Some(by.as_str()), Some(now)),
                None => ("pending", None, None, None),
            };
            sqlx::query(
                "INSERT INTO application_facts (application_id, fact_code, source, status, value, verified_by, verified_at, \
                 consent_at, request_id, next_attempt_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            )
            .bind(application_id)
            .bind(&f.fact_code)
            .bind(&f.source)
            .bind(status)
            .bind(value)
            .bind(by)
            .bind(at)
            .bind(consent_at)
            .bind(format!("app{application_id}-{}", f.fact_code))
            .bind(now)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// The exchange answered: the fact is verified by `by`, or the agency has no record and
    /// it goes to a hand check.
    pub async fn fact_answered(
        &mut self,
        fact: &AppFact,
        resident_id: i64,
        outcome: std::result::Result<(String, String), String>,
    ) -> Result<()> {
        let now = now_ms();
        let (applied, detail) = match &outcome {
            Ok((_, by)) => {
                let done = sqlx::query(
                    "UPDATE application_facts SET status = 'verified', value = $1, verified_by = $2, verified_at = $3, \
                     attempts = attempts + 1, last_error = NULL, updated_at = $3 WHERE id = $4 AND status = 'pending'",
                )
                .bind(outcome.as_ref().map(|o| o.0.as_str()).unwrap_or_default())
                .bind(by)
                .bind(now)
                .bind(fact.id)
                .execute(self.conn())
                .await?;
                (done.rows_affected() == 1, format!("{} verified by {by}", fact.fact_code))
            }
            Err(why) => {
                let done = sqlx::query(
                    "UPDATE application_facts SET status = 'manual_pending', manual_deadline = $1, last_error = $2, \
                     attempts = attempts + 1, updated_at = $3 WHERE id = $4 AND status = 'pending'",
                )
                .bind(now + MANUAL_DEADLINE_MS)
                .bind(why)
                .bind(now)
                .bind(fact.id)
                .execute(self.conn())
                .await?;
                (
                    done.rows_affected() == 1,
                    format!("{}: no record ({why}); hand check due within 24 h", fact.fact_code),
                )
            }
        };
        // An answer for a fact already settled (a clerk checked it by hand meanwhile) changes
        // nothing, so nothing is recorded as if it had.
        if !applied {
            return Ok(());
        }
        let actor = Actor { name: "system:exchange".into(), unit_id: None };
        self.audit(actor.audit(
            "exchange.answer",
            "application_fact",
            &fact.request_id,
            Some(resident_id),
            None,
            &detail,
        ))
        .await?;
        Ok(())
    }

    /// The request failed (down, timeout, bad answer): try again later, or after the last
    /// attempt fall back to a hand check.
    pub async fn fact_retry(
        &mut self,
        fact: &AppFact,
        resident_id: i64,
        error: &str,
        max_attempts: i64,
    ) -> Result<bool> {
        let now = now_ms();
        let attempts = fact.attempts + 1;
        let give_up = attempts >= max_attempts;
        // 2 s, 4 s, 8 s… capped at five minutes.
        let backoff = (2_000i64 << attempts.min(8)).min(300_000);
        sqlx::query(
            "UPDATE application_facts SET attempts = $1, last_error = $2, next_attempt_at = $3, \
             status = CASE WHEN $4 = 1 THEN 'manual_pending' ELSE status END, \
             manual_deadline = CASE WHEN $4 = 1 THEN $5 ELSE manual_deadline END, updated_at = $6 \
             WHERE id = $7 AND status = 'pending'",
        )
        .bind(attempts)
        .bind(error)
        .bind(now + backoff)
        .bind(i64::from(give_up))
        .bind(now + MANUAL_DEADLINE_MS)
        .bind(now)
        .bind(fact.id)
        .execute(self.conn())
        .await?;
        let actor = Actor { name: "system:exchange".into(), unit_id: None };
        let detail = format!("{} attempt {attempts} failed: {error}", fact.fact_code);
        self.audit(actor.audit(
            "exchange.request",
            "application_fact",
            &fact.request_id,
            Some(resident_id),
            None,
            &detail,
        ))
        .await?;
        Ok(give_up)
    }

    /// The citizen says the fetched fact is wrong: it is not used; a clerk checks by hand.
    pub async fn fact_reject_by_citizen(
        &mut self,
        resident_id: i64,
        application_id: i64,
        fact_code: &str,
    ) -> Result<()> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE application_facts SET status = 'manual_pending', manual_deadline = $1, note = '申请人对核验结果有异议', \
             updated_at = $2 WHERE application_id = $3 AND fact_code = $4 AND status = 'verified' \
             AND application_id IN (SELECT id FROM applications WHERE resident_id = $5 AND status IN ('submitted', 'accepted'))",
        )
        .bind(now + MANUAL_DEADLINE_MS)
        .bind(now)
        .bind(application_id)
        .bind(fact_code)
        .bind(resident_id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::State(
                "只能对办理中申请的已核验信息提出异议 / only verified facts of open applications".into(),
            ));
        }
        let actor = Actor { name: format!("citizen:{resident_id}"), unit_id: None };
        self.audit(actor.audit("exchange.reject", "application", application_id, Some(resident_id), None, fact_code))
            .await?;
        Ok(())
    }

    /// A clerk completes a hand check (paper seen, or the agency called).
    pub async fn fact_manual_verify(
        &mut self,
        actor: &Actor,
        application_id: i64,
        fact_code: &str,
        note: &str,
        unit_name: &str,
    ) -> Result<()> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE application_facts SET status = 'manual_verified', verified_by = $1, verified_at = $2, note = $3, \
             updated_at = $2 WHERE application_id = $4 AND fact_code = $5 AND status IN ('manual_pending', 'pending')",
        )
        .bind(format!("{unit_name}（人工核验）"))
        .bind(now)
        .bind(note)
        .bind(application_id)
        .bind(fact_code)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::State("该信息不需要人工核验 / this fact needs no hand check".into()));
        }
        self.audit(actor.audit("exchange.manual", "application", application_id, None, None, fact_code)).await?;
        Ok(())
    }

    /// Whether every fact of an application may be relied on.
    pub async fn application_facts_complete(&mut self, application_id: i64) -> Result<bool> {
        let (open,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM application_facts WHERE application_id = $1 AND status NOT IN ('verified', 'manual_verified')",
        )
        .bind(application_id)
        .fetch_one(self.conn())
        .await?;
        Ok(open == 0)
    }
}
