//! Idempotency keys: the first response to a keyed POST is kept, and a retry with the same
//! key and body gets that response again instead of a second write.

use ningan_core::time::now_ms;
use sqlx::Row;

use crate::db::Db;
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyOutcome {
    /// First use of the key: go ahead, then call [`Db::idempotency_finish`].
    Proceed,
    Replay(StoredResponse),
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

impl Db {
    pub async fn idempotency_begin(
        &self,
        principal: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<IdempotencyOutcome> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (principal, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(principal)
        .bind(key)
        .bind(request_hash)
        .bind(now_ms())
        .execute(&self.pool)
        .await;
        match inserted.map_err(StoreError::from) {
            Ok(_) => return Ok(IdempotencyOutcome::Proceed),
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        let r = sqlx::query("SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE principal = $1 AND idem_key = $2")
            .bind(principal)
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        let hash: String = r.try_get("request_hash")?;
        if hash != request_hash {
            return Ok(IdempotencyOutcome::Mismatch);
        }
        let status: Option<i64> = r.try_get("status")?;
        Ok(match status {
            None => IdempotencyOutcome::InProgress,
            Some(s) => IdempotencyOutcome::Replay(StoredResponse {
                status: u16::try_from(s).unwrap_or(500),
                content_type: r.try_get::<Option<String>, _>("content_type")?.unwrap_or_default(),
                body: r.try_get::<Option<String>, _>("body")?.unwrap_or_default(),
            }),
        })
    }

    pub async fn idempotency_finish(&self, principal: &str, key: &str, resp: &StoredResponse) -> Result<()> {
        sqlx::query("UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3 WHERE principal = $4 AND idem_key = $5")
            .bind(i64::from(resp.status))
            .bind(&resp.content_type)
            .bind(&resp.body)
            .bind(principal)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets a key whose request failed on the server's side, so the client may retry it.
    pub async fn idempotency_abandon(&self, principal: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE principal = $1 AND idem_key = $2")
            .bind(principal)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Keys older than `max_age_ms` are dropped by the housekeeping task.
    pub async fn idempotency_purge(&self, max_age_ms: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(now_ms() - max_age_ms)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
