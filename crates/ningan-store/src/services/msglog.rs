//! The exchange's keys and its hash-chained message log (see `ningan_core::msglog`). The log's
//! head row is the chain's lock: appending updates it first, so concurrent writers (several
//! processes on PostgreSQL) queue behind one another and the chain never forks.

use ningan_core::msglog::{Entry, Sealed};
use ningan_core::time::now_ms;
use sqlx::Row;

use crate::db::{Db, Write};
use crate::{Result, StoreError};

#[derive(Debug, Clone)]
pub struct ExchangeKey {
    pub key_id: String,
    /// `bureau`, or the agency's code.
    pub owner: String,
    pub public_key: String,
    pub secret_key: Option<String>,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

const KEY_COLUMNS: &str = "key_id, owner, public_key, secret_key, created_at, retired_at";

fn key_from_row(r: &sqlx::any::AnyRow) -> Result<ExchangeKey> {
    Ok(ExchangeKey {
        key_id: r.try_get("key_id")?,
        owner: r.try_get("owner")?,
        public_key: r.try_get("public_key")?,
        secret_key: r.try_get("secret_key")?,
        created_at: r.try_get("created_at")?,
        retired_at: r.try_get("retired_at")?,
    })
}

impl Write {
    /// Puts a key in force for its owner, retiring the owner's other keys (kept, so that
    /// what they signed still verifies). The key in force already changes nothing; an
    /// earlier key of the same owner comes back into force.
    pub async fn exchange_key_put(&mut self, key: &ExchangeKey) -> Result<bool> {
        let known: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT owner, retired_at FROM exchange_keys WHERE key_id = $1")
                .bind(&key.key_id)
                .fetch_optional(self.conn())
                .await?;
        let now = now_ms();
        let retire_others = "UPDATE exchange_keys SET retired_at = $1 WHERE owner = $2 AND retired_at IS NULL";
        match known {
            Some((owner, None)) if owner == key.owner => return Ok(false),
            Some((owner, Some(_))) if owner == key.owner => {
                sqlx::query(retire_others).bind(now).bind(&key.owner).execute(self.conn()).await?;
                sqlx::query("UPDATE exchange_keys SET retired_at = NULL WHERE key_id = $1")
                    .bind(&key.key_id)
                    .execute(self.conn())
                    .await?;
                return Ok(true);
            }
            Some(_) => return Err(StoreError::State("该密钥已属于其他单位 / the key belongs to another party".into())),
            None => {}
        }
        sqlx::query(retire_others).bind(now).bind(&key.owner).execute(self.conn()).await?;
        sqlx::query(
            "INSERT INTO exchange_keys (key_id, owner, public_key, secret_key, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.key_id)
        .bind(&key.owner)
        .bind(&key.public_key)
        .bind(&key.secret_key)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(true)
    }

    /// The chain's head, locked for this transaction.
    pub async fn exchange_log_head(&mut self) -> Result<(i64, String)> {
        sqlx::query("UPDATE exchange_log_head SET seq = seq WHERE id = 1").execute(self.conn()).await?;
        let (seq, hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM exchange_log_head WHERE id = 1").fetch_one(self.conn()).await?;
        Ok((seq, hash))
    }

    /// Appends a sealed entry whose `seq` and `prev_hash` follow the head just read.
    pub async fn exchange_log_append(&mut self, s: &Sealed) -> Result<()> {
        let e = &s.entry;
        sqlx::query(
            "INSERT INTO exchange_log (seq, at, direction, peer, kind, request_id, body_sha256, signed_ts, key_id, \
             signature, prev_hash, entry_hash, seal_key_id, seal) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(e.seq)
        .bind(e.at_ms)
        .bind(&e.direction)
        .bind(&e.peer)
        .bind(&e.kind)
        .bind(&e.request_id)
        .bind(&e.body_sha256)
        .bind(e.signed_ts)
        .bind(&e.key_id)
        .bind(&e.signature)
        .bind(&e.prev_hash)
        .bind(&s.entry_hash)
        .bind(&s.seal_key_id)
        .bind(&s.seal)
        .execute(self.conn())
        .await?;
        sqlx::query("UPDATE exchange_log_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(e.seq)
            .bind(&s.entry_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

impl Db {
    pub async fn exchange_keys(&self) -> Result<Vec<ExchangeKey>> {
        let rows = sqlx::query(&format!("SELECT {KEY_COLUMNS} FROM exchange_keys ORDER BY owner, created_at"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// The owner's key in force.
    pub async fn exchange_key_current(&self, owner: &str) -> Result<Option<ExchangeKey>> {
        let r = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM exchange_keys WHERE owner = $1 AND retired_at IS NULL ORDER BY created_at DESC"
        ))
        .bind(owner)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(key_from_row).transpose()
    }

    /// Entries after `after`, in order.
    pub async fn exchange_log_page(&self, after: i64, limit: i64) -> Result<Vec<Sealed>> {
        let rows = sqlx::query(
            "SELECT seq, at, direction, peer, kind, request_id, body_sha256, signed_ts, key_id, signature, prev_hash, \
             entry_hash, seal_key_id, seal FROM exchange_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Sealed {
                    entry: Entry {
                        seq: r.try_get("seq")?,
                        at_ms: r.try_get("at")?,
                        direction: r.try_get("direction")?,
                        peer: r.try_get("peer")?,
                        kind: r.try_get("kind")?,
                        request_id: r.try_get("request_id")?,
                        body_sha256: r.try_get("body_sha256")?,
                        signed_ts: r.try_get("signed_ts")?,
                        key_id: r.try_get("key_id")?,
                        signature: r.try_get("signature")?,
                        prev_hash: r.try_get("prev_hash")?,
                    },
                    entry_hash: r.try_get("entry_hash")?,
                    seal_key_id: r.try_get("seal_key_id")?,
                    seal: r.try_get("seal")?,
                })
            })
            .collect()
    }

    /// The head as last written: what a check must end at.
    pub async fn exchange_log_tip(&self) -> Result<(i64, String)> {
        Ok(sqlx::query_as("SELECT seq, hash FROM exchange_log_head WHERE id = 1").fetch_one(&self.pool).await?)
    }
}
