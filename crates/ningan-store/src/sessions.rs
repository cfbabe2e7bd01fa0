//! Login sessions: the cookie carries a random token; only its hash is stored, with the CSRF
//! token that state-changing requests must echo.

use ningan_core::time::now_ms;
use sqlx::Row;

use crate::Result;
use crate::db::{Db, Write};

#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
}

impl Db {
    /// A live session by token hash; expired ones are treated as absent.
    pub async fn session_get(&self, token_hash: &str) -> Result<Option<Session>> {
        let r = sqlx::query(
            "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| {
            Ok(Session {
                user_id: r.try_get("user_id")?,
                csrf_token: r.try_get("csrf_token")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub async fn sessions_purge_expired(&self) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

impl Write {
    pub async fn session_create(
        &mut self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(now_ms())
            .bind(expires_at)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn session_delete(&mut self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(self.conn()).await?;
        // Servers remember resolved sessions until access data changes: a sign-out is one.
        self.touch(crate::Area::Access);
        Ok(())
    }
}
