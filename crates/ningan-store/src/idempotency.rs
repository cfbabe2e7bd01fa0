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
    /// Sealed by the application; storage never sees the answer in clear.
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
    /// Claims `key` (already hashed by the caller) for a request. A claim still running but
    /// started before `stale_before` belongs to a request that died with its process and is
    /// taken over; a stored answer older than `replay_after` is forgotten and the key reused.
    pub async fn idempotency_begin(
        &self,
        principal: &str,
        key: &str,
        request_hash: &str,
        stale_before: i64,
        replay_after: i64,
    ) -> Result<IdempotencyOutcome> {
        let now = now_ms();
        // Dead claims and expired answers make way first (one statement, so two retries
        // racing here cannot both take the key over).
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE principal = $1 AND idem_key = $2 \
             AND ((status IS NULL AND created_at < $3) OR (status IS NOT NULL AND created_at < $4))",
        )
        .bind(principal)
        .bind(key)
        .bind(stale_before)
        .bind(replay_after)
        .execute(&self.pool)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (principal, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(principal)
        .bind(key)
        .bind(request_hash)
        .bind(now)
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

    /// Forgets every claim still marked running, on SQLite: called at start by the one
    /// process that owns the database file, whose earlier requests all died with the previous
    /// process. On PostgreSQL other live processes may hold claims; theirs go stale instead.
    pub async fn idempotency_release_running(&self) -> Result<u64> {
        if self.dialect() != crate::db::Dialect::Sqlite {
            return Ok(0);
        }
        Ok(sqlx::query("DELETE FROM idempotency_keys WHERE status IS NULL").execute(&self.pool).await?.rows_affected())
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
