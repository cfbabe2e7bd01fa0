//! Identity-change joint processing (身份信息变更联办) through a transactional outbox: the
//! change to the register, the change event with one stable change id, and a delivery row for
//! every subscribing agency are written in the transaction that approves the change, so
//! nothing is announced that did not happen and nothing that happened goes unannounced. A
//! worker delivers each row until the agency acknowledges it; a retry carries the same change
//! id, so it never becomes a new change.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::{Page, PageRequest, Result, StoreError};

/// The Chinese label of a delivery status; `acknowledged` is final, `dead` waits for an
/// administrator's re-drive (codes and labels: `ningan_core::labels::DELIVERY_STATUS`).
pub fn delivery_status_zh(s: &str) -> &'static str {
    ningan_core::labels::zh(ningan_core::labels::DELIVERY_STATUS, s)
}

#[derive(Debug, Clone)]
pub struct IdentityChange {
    pub change_id: String,
    pub resident_id: i64,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub application_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub change_id: String,
    pub agency_code: String,
    pub agency_name: String,
    pub webhook_url: Option<String>,
    pub secret: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub acked_at: Option<i64>,
    pub updated_at: i64,
}

const DELIVERY_COLUMNS: &str = "d.id, d.change_id, d.agency_code, a.name AS agency_name, a.webhook_url, a.secret, \
    d.status, d.attempts, d.last_error, d.delivered_at, d.acked_at, d.updated_at";
const DELIVERY_FROM: &str = "change_deliveries d JOIN partner_agencies a ON a.code = d.agency_code";

fn delivery_from_row(r: &AnyRow) -> Result<Delivery> {
    Ok(Delivery {
        id: r.try_get("id")?,
        change_id: r.try_get("change_id")?,
        agency_code: r.try_get("agency_code")?,
        agency_name: r.try_get("agency_name")?,
        webhook_url: r.try_get("webhook_url")?,
        secret: r.try_get("secret")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        delivered_at: r.try_get("delivered_at")?,
        acked_at: r.try_get("acked_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn change_from_row(r: &AnyRow) -> Result<IdentityChange> {
    Ok(IdentityChange {
        change_id: r.try_get("change_id")?,
        resident_id: r.try_get("resident_id")?,
        field: r.try_get("field")?,
        old_value: r.try_get("old_value")?,
        new_value: r.try_get("new_value")?,
        application_id: r.try_get("application_id")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Write {
    /// Changes a registered identity detail and queues the change for every subscribing
    /// agency, in this transaction. `field` is name, birth_date, hukou_address or id_number.
    pub async fn identity_change(
        &mut self,
        actor: &Actor,
        resident_id: i64,
        field: &str,
        new_value: &str,
        application_id: Option<i64>,
    ) -> Result<String> {
        let column = match field {
            "name" => "name",
            "birth_date" => "birth_date",
            "hukou_address" => "hukou_address",
            "id_number" => "id_number",
            other => return Err(StoreError::Invalid(format!("field: 不支持变更“{other}”"))),
        };
        let (old,): (String,) = sqlx::query_as(&format!("SELECT {column} FROM residents WHERE id = $1"))
            .bind(resident_id)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        let now = now_ms();
        sqlx::query(&format!("UPDATE residents SET {column} = $1, updated_at = $2 WHERE id = $3"))
            .bind(new_value)
            .bind(now)
            .bind(resident_id)
            .execute(self.conn())
            .await?;
        let change_id = format!("chg-{}", hex::encode(rand::random::<[u8; 12]>()));
        sqlx::query(
            "INSERT INTO identity_changes (change_id, resident_id, field, old_value, new_value, application_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&change_id)
        .bind(resident_id)
        .bind(field)
        .bind(&old)
        .bind(new_value)
        .bind(application_id)
        .bind(now)
        .execute(self.conn())
        .await?;
        sqlx::query(
            "INSERT INTO change_deliveries (change_id, agency_code, status, next_attempt_at, updated_at) \
             SELECT $1, code, 'pending', $2, $2 FROM partner_agencies WHERE webhook_url IS NOT NULL",
        )
        .bind(&change_id)
        .bind(now)
        .execute(self.conn())
        .await?;
        let detail = format!("{field} changed; {change_id} queued for the subscribing agencies");
        self.audit(actor.audit("identity.change", "resident", resident_id, Some(resident_id), None, &detail)).await?;
        Ok(change_id)
    }

    /// Records one delivery attempt's outcome: the agency's status on success, otherwise a
    /// retry with backoff, dead after `max_attempts`. Only a delivery still pending or failed
    /// takes it: one that another attempt or the agency's acknowledgement has moved on since
    /// `d` was read keeps its state.
    pub async fn delivery_result(
        &mut self,
        d: &Delivery,
        outcome: std::result::Result<&str, &str>,
        max_attempts: i64,
    ) -> Result<()> {
        let now = now_ms();
        let attempts = d.attempts + 1;
        match outcome {
            Ok(status) => {
                let status = match status {
                    "acknowledged" | "awaiting_validation" => status,
                    _ => "delivered",
                };
                sqlx::query(
                    "UPDATE change_deliveries SET status = $1, attempts = $2, last_error = NULL, delivered_at = $3, \
                     acked_at = CASE WHEN $1 = 'acknowledged' THEN $3 ELSE acked_at END, updated_at = $3 \
                     WHERE id = $4 AND status IN ('pending', 'failed')",
                )
                .bind(status)
                .bind(attempts)
                .bind(now)
                .bind(d.id)
                .execute(self.conn())
                .await?;
            }
            Err(error) => {
                let dead = attempts >= max_attempts;
                // 1 s, 2 s, 4 s… capped at ten minutes.
                let backoff = (1_000i64 << attempts.min(10)).min(600_000);
                // Only a delivery still waiting: an attempt that fails after another one (or the
                // agency's acknowledgement) moved it on must not undo that.
                sqlx::query(
                    "UPDATE change_deliveries SET status = $1, attempts = $2, last_error = $3, next_attempt_at = $4, \
                     updated_at = $5 WHERE id = $6 AND status IN ('pending', 'failed')",
                )
                .bind(if dead { "dead" } else { "failed" })
                .bind(attempts)
                .bind(error)
                .bind(now + backoff)
                .bind(now)
                .bind(d.id)
                .execute(self.conn())
                .await?;
            }
        }
        let actor = Actor { name: "system:outbox".into(), unit_id: None };
        let detail = match outcome {
            Ok(s) => format!("{} delivered to {}: {s}", d.change_id, d.agency_code),
            Err(e) => format!("{} to {} attempt {attempts}: {e}", d.change_id, d.agency_code),
        };
        self.audit(actor.audit("identity.delivery", "identity_change", &d.change_id, None, None, &detail)).await?;
        Ok(())
    }

    /// An agency confirms, later, that it validated and applied the change.
    pub async fn delivery_ack(&mut self, change_id: &str, agency_code: &str) -> Result<()> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE change_deliveries SET status = 'acknowledged', acked_at = $1, updated_at = $1 \
             WHERE change_id = $2 AND agency_code = $3 AND status IN ('delivered', 'awaiting_validation', 'acknowledged')",
        )
        .bind(now)
        .bind(change_id)
        .bind(agency_code)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let actor = Actor { name: format!("agency:{agency_code}"), unit_id: None };
        self.audit(actor.audit("identity.ack", "identity_change", change_id, None, None, "validated by the agency"))
            .await?;
        Ok(())
    }

    /// An administrator sends a dead delivery again, from the first attempt.
    pub async fn delivery_redrive(&mut self, actor: &Actor, id: i64) -> Result<()> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE change_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1 \
             WHERE id = $2 AND status IN ('dead', 'failed')",
        )
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM change_deliveries WHERE id = $1")
                .bind(id)
                .fetch_optional(self.conn())
                .await?;
            return Err(match exists {
                None => StoreError::NotFound,
                Some(_) => StoreError::State("只能重新推送失败的投递 / only failed deliveries are re-driven".into()),
            });
        }
        self.audit(actor.audit("identity.redrive", "change_delivery", id, None, None, "re-driven")).await?;
        Ok(())
    }
}

impl Db {
    pub async fn deliveries_due(&self, now: i64, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} WHERE d.status IN ('pending', 'failed') \
             AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    pub async fn deliveries_of_change(&self, change_id: &str) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} WHERE d.change_id = $1 ORDER BY d.agency_code"
        ))
        .bind(change_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    pub async fn deliveries(&self, status: Option<&str>, page: PageRequest) -> Result<Page<Delivery>> {
        let status = status.unwrap_or("%");
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM change_deliveries WHERE status LIKE $1")
            .bind(status)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} WHERE d.status LIKE $1 ORDER BY d.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(status)
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(delivery_from_row).collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    pub async fn identity_change(&self, change_id: &str) -> Result<IdentityChange> {
        let r = sqlx::query("SELECT change_id, resident_id, field, old_value, new_value, application_id, created_at FROM identity_changes WHERE change_id = $1")
            .bind(change_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        change_from_row(&r)
    }

    pub async fn identity_changes_of_application(&self, application_id: i64) -> Result<Vec<IdentityChange>> {
        let rows = sqlx::query("SELECT change_id, resident_id, field, old_value, new_value, application_id, created_at FROM identity_changes WHERE application_id = $1 ORDER BY id")
            .bind(application_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(change_from_row).collect()
    }
}
