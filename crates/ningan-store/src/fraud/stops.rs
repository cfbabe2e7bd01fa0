//! Stop-payment requests (紧急止付) through a transactional outbox: the request row is written
//! in the transaction that opens the red warning's task, so a transfer the engine caught is
//! never forgotten by a crash between the warning and the bank. A worker sends each row to the
//! bank until the bank answers (stopped, or refused with its reason); failures are retried
//! with backoff and die after a number of attempts until an analyst re-drives them.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::{Page, PageRequest, Result, Scope, StoreError};

/// The bank's agency code among the partner agencies.
pub const BANK_AGENCY: &str = "bank";

#[derive(Debug, Clone)]
pub struct NewStopPayment {
    pub task_id: i64,
    pub signal_id: String,
    /// The payee account as the bank reported it (normalised), and whether a bank card or a
    /// payment-platform account.
    pub account: String,
    pub via: String,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StopPayment {
    pub id: i64,
    pub task_id: i64,
    pub signal_id: String,
    pub account: String,
    pub via: String,
    pub amount_fen: i64,
    /// pending | failed | stopped | refused | dead
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The bank's reference for a stop, or its reason for a refusal.
    pub bank_ref: Option<String>,
    pub answer: Option<String>,
    /// What the bank froze, which may be less than the transfer when part had moved on.
    pub stopped_fen: i64,
    pub requested_at: i64,
    pub answered_at: Option<i64>,
}

/// The bank's answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum BankAnswer {
    Stopped { bank_ref: String, stopped_fen: i64 },
    Refused { reason: String },
}

const COLUMNS: &str = "id, task_id, signal_id, account, via, amount_fen, status, attempts, last_error, bank_ref, \
    answer, stopped_fen, requested_at, answered_at";

fn from_row(r: &AnyRow) -> Result<StopPayment> {
    Ok(StopPayment {
        id: r.try_get("id")?,
        task_id: r.try_get("task_id")?,
        signal_id: r.try_get("signal_id")?,
        account: r.try_get("account")?,
        via: r.try_get("via")?,
        amount_fen: r.try_get("amount_fen")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        bank_ref: r.try_get("bank_ref")?,
        answer: r.try_get("answer")?,
        stopped_fen: r.try_get("stopped_fen")?,
        requested_at: r.try_get("requested_at")?,
        answered_at: r.try_get("answered_at")?,
    })
}

impl Write {
    /// Queues a stop-payment request for a task; one per task and signal, so a retried batch
    /// asks the bank once.
    pub async fn fraud_stop_request(&mut self, s: &NewStopPayment) -> Result<i64> {
        let now = now_ms();
        let existing: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM fraud_stop_payments WHERE task_id = $1 AND signal_id = $2")
                .bind(s.task_id)
                .bind(&s.signal_id)
                .fetch_optional(self.conn())
                .await?;
        if let Some((id,)) = existing {
            return Ok(id);
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO fraud_stop_payments (task_id, signal_id, account, via, amount_fen, status, attempts, \
             next_attempt_at, stopped_fen, requested_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, 0, $6, $6) RETURNING id",
        )
        .bind(s.task_id)
        .bind(&s.signal_id)
        .bind(&s.account)
        .bind(&s.via)
        .bind(s.amount_fen)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(id)
    }

    /// Records one attempt: the bank's answer, or why it could not be had.
    pub async fn fraud_stop_result(
        &mut self,
        s: &StopPayment,
        outcome: std::result::Result<&BankAnswer, &str>,
        max_attempts: i64,
    ) -> Result<()> {
        let now = now_ms();
        let attempts = s.attempts + 1;
        // Only a request still waiting: a late failure must not undo an answer.
        match outcome {
            Ok(answer) => {
                let (status, bank_ref, text, stopped) = match answer {
                    BankAnswer::Stopped { bank_ref, stopped_fen } => {
                        ("stopped", Some(bank_ref.as_str()), None, (*stopped_fen).clamp(0, s.amount_fen))
                    }
                    BankAnswer::Refused { reason } => ("refused", None, Some(reason.as_str()), 0),
                };
                sqlx::query(
                    "UPDATE fraud_stop_payments SET status = $1, attempts = $2, last_error = NULL, bank_ref = $3, \
                     answer = $4, stopped_fen = $5, answered_at = $6, updated_at = $6 \
                     WHERE id = $7 AND status IN ('pending', 'failed')",
                )
                .bind(status)
                .bind(attempts)
                .bind(bank_ref)
                .bind(text)
                .bind(stopped)
                .bind(now)
                .bind(s.id)
                .execute(self.conn())
                .await?;
            }
            Err(error) => {
                let dead = attempts >= max_attempts;
                // 1 s, 2 s, 4 s… capped at five minutes: money moves on within the hour.
                let backoff = (1_000i64 << attempts.min(10)).min(300_000);
                sqlx::query(
                    "UPDATE fraud_stop_payments SET status = $1, attempts = $2, last_error = $3, \
                     next_attempt_at = $4, updated_at = $5 WHERE id = $6 AND status IN ('pending', 'failed')",
                )
                .bind(if dead { "dead" } else { "failed" })
                .bind(attempts)
                .bind(error)
                .bind(now + backoff)
                .bind(now)
                .bind(s.id)
                .execute(self.conn())
                .await?;
            }
        }
        Ok(())
    }

    /// Sends a dead (or failing) request again from the first attempt.
    pub async fn fraud_stop_redrive(&mut self, actor: &Actor, id: i64) -> Result<()> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE fraud_stop_payments SET status = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1 \
             WHERE id = $2 AND status IN ('dead', 'failed')",
        )
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM fraud_stop_payments WHERE id = $1")
                .bind(id)
                .fetch_optional(self.conn())
                .await?;
            return Err(match exists {
                None => StoreError::NotFound,
                Some(_) => {
                    StoreError::State("只能重发未获答复的止付请求 / only unanswered requests are re-sent".into())
                }
            });
        }
        self.audit(actor.audit("fraud.stop.redrive", "fraud_stop_payment", id, None, None, "re-driven")).await?;
        Ok(())
    }
}

impl Db {
    pub async fn fraud_stops_due(&self, now: i64, limit: i64) -> Result<Vec<StopPayment>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM fraud_stop_payments WHERE status IN ('pending', 'failed') \
             AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn fraud_stops_of_task(&self, task_id: i64) -> Result<Vec<StopPayment>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM fraud_stop_payments WHERE task_id = $1 ORDER BY id"))
            .bind(task_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn fraud_stop(&self, id: i64) -> Result<StopPayment> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM fraud_stop_payments WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&r)
    }

    /// Newest first, optionally of one status.
    pub async fn fraud_stops(&self, status: Option<&str>, page: PageRequest) -> Result<Page<StopPayment>> {
        let status = status.unwrap_or("%");
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM fraud_stop_payments WHERE status LIKE $1")
            .bind(status)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM fraud_stop_payments WHERE status LIKE $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(status)
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(from_row).collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    /// Requests for tasks in scope, those the bank stopped, and the money it froze: the
    /// cockpit's stop-payment figures.
    pub async fn fraud_stop_figures(&self, scope: &Scope) -> Result<(i64, i64, i64)> {
        let (lo, hi) = scope.range();
        let (asked, stopped, fen): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN s.status = 'stopped' THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(s.stopped_fen), 0) AS BIGINT) \
             FROM fraud_stop_payments s JOIN fraud_tasks t ON t.id = s.task_id \
             WHERE t.unit_path >= $1 AND t.unit_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(&self.pool)
        .await?;
        Ok((asked, stopped, fen))
    }
}
