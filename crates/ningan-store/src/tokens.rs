//! API tokens for devices and partner agencies: shown once, stored as a hash, scoped to
//! actions and an org unit, expiring and revocable.

use ningan_core::Action;
use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::{Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The public part of the token, shown in lists to tell tokens apart.
    pub prefix: String,
    pub secret_hash: String,
    pub unit_id: i64,
    pub scopes: Vec<Action>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// False while a second administrator has yet to approve it.
    pub approved: bool,
}

impl ApiToken {
    fn from_row(r: &AnyRow) -> Result<ApiToken> {
        let scopes: String = r.try_get("scopes")?;
        Ok(ApiToken {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            prefix: r.try_get("prefix")?,
            secret_hash: r.try_get("secret_hash")?,
            unit_id: r.try_get("unit_id")?,
            scopes: scopes
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<Action>().map_err(|e| StoreError::Invalid(format!("scopes: {e}"))))
                .collect::<Result<_>>()?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            revoked_at: r.try_get("revoked_at")?,
            approved: r.try_get::<i64, _>("approved")? != 0,
        })
    }

    pub fn is_live(&self, now: i64) -> bool {
        self.approved && self.revoked_at.is_none() && self.expires_at > now
    }
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    pub unit_id: i64,
    pub scopes: Vec<Action>,
    pub created_by: Option<i64>,
    pub expires_at: i64,
}

const COLUMNS: &str = "api_tokens.id, api_tokens.name, prefix, secret_hash, unit_id, scopes, created_by, api_tokens.created_at, expires_at, revoked_at, approved";

impl Db {
    /// Unscoped: for authenticating a bearer token.
    pub async fn token_by_prefix(&self, prefix: &str) -> Result<ApiToken> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE prefix = $1"))
            .bind(prefix)
            .fetch_one(&self.pool)
            .await?;
        ApiToken::from_row(&r)
    }

    pub async fn tokens_in_scope(&self, scope: &Scope) -> Result<Vec<ApiToken>> {
        let (lo, hi) = scope.range();
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens JOIN org_units u ON u.id = api_tokens.unit_id \
             WHERE u.path >= $1 AND u.path < $2 ORDER BY api_tokens.id DESC"
        ))
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ApiToken::from_row).collect()
    }
}

impl Write {
    pub async fn token_insert(&mut self, actor: &Actor, scope: &Scope, new: &NewApiToken) -> Result<ApiToken> {
        if new.name.trim().is_empty() {
            return Err(StoreError::Invalid("name: required".into()));
        }
        if new.scopes.is_empty() {
            return Err(StoreError::Invalid("scopes: at least one".into()));
        }
        if new.expires_at <= now_ms() {
            return Err(StoreError::Invalid("expires_at: must be in the future".into()));
        }
        let path: Option<(String,)> = sqlx::query_as("SELECT path FROM org_units WHERE id = $1")
            .bind(new.unit_id)
            .fetch_optional(self.conn())
            .await?;
        if !path.is_some_and(|(p,)| scope.contains(&p)) {
            return Err(StoreError::Invalid("unit_id: no such unit in your scope".into()));
        }
        let scopes: Vec<&str> = new.scopes.iter().map(|a| a.as_str()).collect();
        let r = sqlx::query(&format!(
            "INSERT INTO api_tokens (name, prefix, secret_hash, unit_id, scopes, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {}",
            COLUMNS.replace("api_tokens.", "")
        ))
        .bind(new.name.trim())
        .bind(&new.prefix)
        .bind(&new.secret_hash)
        .bind(new.unit_id)
        .bind(scopes.join(","))
        .bind(new.created_by)
        .bind(now_ms())
        .bind(new.expires_at)
        .fetch_one(self.conn())
        .await?;
        let token = ApiToken::from_row(&r)?;
        self.audit(actor.audit(
            "token.create",
            "api_token",
            token.id,
            None,
            None,
            &format!("{} scopes {}", token.prefix, scopes.join(",")),
        ))
        .await?;
        Ok(token)
    }

    /// Revokes a token of a unit in `scope`; revoking twice is harmless.
    pub async fn token_revoke(&mut self, actor: &Actor, scope: &Scope, id: i64) -> Result<()> {
        let (lo, hi) = scope.range();
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
             AND unit_id IN (SELECT id FROM org_units WHERE path >= $3 AND path < $4)",
        )
        .bind(now_ms())
        .bind(id)
        .bind(lo.clone())
        .bind(hi.clone())
        .execute(self.conn())
        .await?
        .rows_affected();
        if n == 0 {
            let exists: Option<(i64,)> = sqlx::query_as(
                "SELECT api_tokens.id FROM api_tokens JOIN org_units u ON u.id = api_tokens.unit_id \
                 WHERE api_tokens.id = $1 AND u.path >= $2 AND u.path < $3",
            )
            .bind(id)
            .bind(lo)
            .bind(hi)
            .fetch_optional(self.conn())
            .await?;
            return if exists.is_some() { Ok(()) } else { Err(StoreError::NotFound) };
        }
        self.audit(actor.audit("token.revoke", "api_token", id, None, None, "")).await?;
        Ok(())
    }
}
