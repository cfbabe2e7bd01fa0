//! Scale-out of scoring: the processes that score one city, their leases on the partitions of
//! the signal stream, and the one piece of state no partition owns alone — how many transfers
//! an account received within the hour.
//!
//! A lease is a row per partition naming its owner until a time. The owner renews it; anyone
//! may take it once it has expired. Each write of a partition's signals first *holds* the
//! lease in its own transaction (an update of the row that changes nothing), so a process
//! that lost its lease without noticing — paused, cut off — cannot commit for that partition
//! any more, and on PostgreSQL a takeover waits until such a write has committed or failed:
//! the new owner's replay of the log then sees everything the old owner committed.

use crate::db::{Db, Write};
use crate::{Result, StoreError};

/// One partition's lease as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionLease {
    pub part: u32,
    pub owner: Option<String>,
    pub expires_at: i64,
    /// How many times the partition has been taken: a new owner after a failure counts one.
    pub taken: i64,
}

/// First key of the transaction-scoped advisory lock a payee's count takes on PostgreSQL,
/// so that no other lock in the product can collide with it.
const INFLOW_LOCK_SPACE: i32 = 0x4e47_4644; // "NGFD"

fn part_of(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| StoreError::Invalid(format!("partition {v}")))
}

impl Db {
    /// Scoring processes seen since `since_ms`.
    pub async fn fraud_scorers_live(&self, since_ms: i64) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM fraud_scorers WHERE seen_at >= $1 ORDER BY id")
            .bind(since_ms)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// A fingerprint of the watchlist — how many listings, the newest's id, and a sum over
    /// what an edit in place changes: when it moves, another process changed the list and
    /// this one reloads it.
    pub async fn fraud_watchlist_stamp(&self) -> Result<(i64, i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), COALESCE(MAX(id), 0), CAST(COALESCE(SUM(confidence + COALESCE(expires_at % 1000003, 0) \
             + LENGTH(source) * 7 + LENGTH(COALESCE(typology, '')) * 13), 0) AS BIGINT) FROM fraud_watchlist",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Every partition's lease, in partition order.
    pub async fn fraud_leases(&self) -> Result<Vec<PartitionLease>> {
        let rows: Vec<(i64, Option<String>, i64, i64)> =
            sqlx::query_as("SELECT part, owner, expires_at, taken FROM fraud_partition_leases ORDER BY part")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(part, owner, expires_at, taken)| {
                Ok(PartitionLease { part: part_of(part)?, owner, expires_at, taken })
            })
            .collect()
    }

    /// [`Db::fraud_replay_page`] restricted to the people of one partition (`person_key`
    /// modulo `partitions`): what a new owner replays before it scores the partition.
    pub async fn fraud_replay_partition_page(
        &self,
        since_ms: i64,
        after_seq: i64,
        limit: i64,
        partitions: u32,
        part: u32,
    ) -> Result<Vec<(i64, String, i64, i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT seq, signal_id, person_key, at, fact FROM fraud_signals \
             WHERE received_at >= $1 AND seq > $2 AND person_key % $4 = $5 ORDER BY seq LIMIT $3",
        )
        .bind(since_ms)
        .bind(after_seq)
        .bind(limit)
        .bind(i64::from(partitions))
        .bind(i64::from(part))
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Write {
    /// Records that scoring process `id` is alive at `now_ms`.
    pub async fn fraud_scorer_beat(&mut self, id: &str, now_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO fraud_scorers (id, seen_at) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(id)
        .bind(now_ms)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Forgets a scoring process that stopped cleanly, and frees its leases at once.
    pub async fn fraud_scorer_leave(&mut self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM fraud_scorers WHERE id = $1").bind(id).execute(self.conn()).await?;
        sqlx::query("UPDATE fraud_partition_leases SET owner = NULL, expires_at = 0 WHERE owner = $1")
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Makes sure partitions `0..partitions` have a lease row.
    pub async fn fraud_leases_ensure(&mut self, partitions: u32) -> Result<()> {
        for part in 0..partitions {
            sqlx::query("INSERT INTO fraud_partition_leases (part) VALUES ($1) ON CONFLICT (part) DO NOTHING")
                .bind(i64::from(part))
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// Extends `owner`'s unexpired leases to `until_ms` and names the partitions it still
    /// holds. A lease that expired is not renewed: someone may have taken it meanwhile, and
    /// the owner must take it again like anyone else (and replay).
    pub async fn fraud_leases_renew(&mut self, owner: &str, now_ms: i64, until_ms: i64) -> Result<Vec<u32>> {
        sqlx::query("UPDATE fraud_partition_leases SET expires_at = $1 WHERE owner = $2 AND expires_at > $3")
            .bind(until_ms)
            .bind(owner)
            .bind(now_ms)
            .execute(self.conn())
            .await?;
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT part FROM fraud_partition_leases WHERE owner = $1 AND expires_at > $2 ORDER BY part",
        )
        .bind(owner)
        .bind(now_ms)
        .fetch_all(self.conn())
        .await?;
        rows.into_iter().map(|(p,)| part_of(p)).collect()
    }

    /// Takes partition `part` for `owner` until `until_ms` if it is free or its lease expired.
    pub async fn fraud_lease_take(&mut self, part: u32, owner: &str, now_ms: i64, until_ms: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE fraud_partition_leases SET owner = $1, expires_at = $2, taken = taken + 1 \
             WHERE part = $3 AND (owner IS NULL OR expires_at <= $4)",
        )
        .bind(owner)
        .bind(until_ms)
        .bind(i64::from(part))
        .bind(now_ms)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives partition `part` up so another process may take it at once.
    pub async fn fraud_lease_release(&mut self, part: u32, owner: &str) -> Result<()> {
        sqlx::query("UPDATE fraud_partition_leases SET owner = NULL, expires_at = 0 WHERE part = $1 AND owner = $2")
            .bind(i64::from(part))
            .bind(owner)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Whether `owner` holds partition `part` at `now_ms`, locking the lease row until this
    /// transaction ends (the fence: see the module's note).
    pub async fn fraud_lease_hold(&mut self, part: u32, owner: &str, now_ms: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE fraud_partition_leases SET expires_at = expires_at \
             WHERE part = $1 AND owner = $2 AND expires_at > $3",
        )
        .bind(i64::from(part))
        .bind(owner)
        .bind(now_ms)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Counts a transfer of signal `signal_id` into `payee` at `at` (seconds), and answers how
    /// many transfers into the account are on record within `window` seconds before it, this
    /// one included. Shared by every scoring process, so an account collecting from people of
    /// many partitions is counted whole. A signal counted before is not counted again.
    ///
    /// Callers take [`Write::fraud_inflow_lock`] for every payee of their transaction first.
    pub async fn fraud_inflow_count(&mut self, signal_id: &str, payee: u64, at: i64, window: i64) -> Result<u32> {
        // The hash is stored as its bits: the column is signed.
        let payee = payee as i64;
        sqlx::query(
            "INSERT INTO fraud_inflows (signal_id, payee, at) VALUES ($1, $2, $3) ON CONFLICT (signal_id) DO NOTHING",
        )
        .bind(signal_id)
        .bind(payee)
        .bind(at)
        .execute(self.conn())
        .await?;
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM fraud_inflows WHERE payee = $1 AND at > $2")
            .bind(payee)
            .bind(at - window)
            .fetch_one(self.conn())
            .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Serialises the counts of one account across concurrent transactions on PostgreSQL
    /// (SQLite has one writer). Take them in ascending order, so two transactions never wait
    /// on each other.
    pub async fn fraud_inflow_lock(&mut self, payee: u64) -> Result<()> {
        if self.is_postgres() {
            sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind(INFLOW_LOCK_SPACE)
                .bind((payee ^ (payee >> 32)) as u32 as i32)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// Drops counted transfers dated before `before` (seconds).
    pub async fn fraud_inflows_purge(&mut self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM fraud_inflows WHERE at < $1").bind(before).execute(self.conn()).await?;
        Ok(done.rows_affected())
    }

    /// Rewrites a logged signal's fact: the shared count is known only inside the writing
    /// transaction, after the row was added, and a replay must see what the rules saw.
    pub async fn fraud_signal_fact_set(&mut self, signal_id: &str, fact: &str) -> Result<()> {
        sqlx::query("UPDATE fraud_signals SET fact = $1 WHERE signal_id = $2")
            .bind(fact)
            .bind(signal_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
