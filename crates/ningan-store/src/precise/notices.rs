//! Exposure places published to the public (风险点位公告): the venue, its address and the
//! time window, never who the case is. Withdrawn notices stay on record.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Result;
use crate::audit::Actor;
use crate::db::{Db, Write};

#[derive(Debug, Clone)]
pub struct Notice {
    pub id: i64,
    pub venue_name: String,
    pub address: String,
    pub location: [f64; 2],
    pub from_ms: i64,
    pub to_ms: i64,
    pub published_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewNotice {
    pub venue_id: i64,
    pub venue_name: String,
    pub address: String,
    pub location: [f64; 2],
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Notice {
    fn from_row(r: &AnyRow) -> Result<Notice> {
        Ok(Notice {
            id: r.try_get("id")?,
            venue_name: r.try_get("venue_name")?,
            address: r.try_get("address")?,
            location: [r.try_get("lon")?, r.try_get("lat")?],
            from_ms: r.try_get("from_ms")?,
            to_ms: r.try_get("to_ms")?,
            published_at: r.try_get("published_at")?,
        })
    }
}

impl Write {
    /// Publishes a case's exposure places; places already published are left as they are.
    /// Returns how many were new.
    pub async fn notices_publish(
        &mut self,
        actor: &Actor,
        case_id: i64,
        places: &[NewNotice],
        reason: &str,
    ) -> Result<u64> {
        let now = now_ms();
        let mut added = 0;
        for p in places {
            let exists: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM exposure_notices WHERE case_id = $1 AND venue_id = $2 AND from_ms = $3")
                    .bind(case_id)
                    .bind(p.venue_id)
                    .bind(p.from_ms)
                    .fetch_optional(self.conn())
                    .await?;
            if exists.is_some() {
                continue;
            }
            sqlx::query(
                "INSERT INTO exposure_notices (case_id, venue_id, venue_name, address, lon, lat, from_ms, to_ms, published_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(case_id)
            .bind(p.venue_id)
            .bind(&p.venue_name)
            .bind(&p.address)
            .bind(p.location[0])
            .bind(p.location[1])
            .bind(p.from_ms)
            .bind(p.to_ms)
            .bind(now)
            .execute(self.conn())
            .await?;
            added += 1;
        }
        let detail = format!("{added} exposure places published; reason: {reason}");
        self.audit(actor.audit("notice.publish", "epi_case", case_id, None, None, &detail)).await?;
        Ok(added)
    }
}

impl Db {
    /// Notices in force (not withdrawn) whose window ended after `since_ms`, newest first.
    pub async fn notices_current(&self, since_ms: i64, limit: i64) -> Result<Vec<Notice>> {
        let rows = sqlx::query(
            "SELECT id, venue_name, address, lon, lat, from_ms, to_ms, published_at FROM exposure_notices \
             WHERE withdrawn_at IS NULL AND to_ms >= $1 ORDER BY from_ms DESC, id DESC LIMIT $2",
        )
        .bind(since_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Notice::from_row).collect()
    }
}
