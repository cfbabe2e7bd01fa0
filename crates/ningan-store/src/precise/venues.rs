//! Venues (场所) registered for venue-code check-ins (场所码): each under a station, with a
//! kind that sets the dwell assumed when a scan records no exit, and the printed code people
//! scan. The tracing engine knows a venue only by its id.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct Venue {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub unit_id: i64,
    pub location: [f64; 2],
    pub created_at: i64,
}

const COLUMNS: &str = "id, code, name, kind, address, unit_id, lon, lat, created_at";

impl Venue {
    fn from_row(r: &AnyRow) -> Result<Venue> {
        Ok(Venue {
            id: r.try_get("id")?,
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            address: r.try_get("address")?,
            unit_id: r.try_get("unit_id")?,
            location: [r.try_get("lon")?, r.try_get("lat")?],
            created_at: r.try_get("created_at")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewVenue {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub location: [f64; 2],
}

impl Write {
    /// Registers venues under stations in `scope`, audited as one entry; returns their ids.
    pub async fn venues_insert(&mut self, actor: &Actor, scope: &Scope, new: &[NewVenue]) -> Result<Vec<i64>> {
        let now = now_ms();
        let mut ids = Vec::with_capacity(new.len());
        for v in new {
            if !scope.contains(&v.unit_path) {
                return Err(StoreError::Invalid("unit_id: no such station in your scope".into()));
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO venues (code, name, kind, address, unit_id, unit_path, lon, lat, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(&v.code)
            .bind(&v.name)
            .bind(&v.kind)
            .bind(&v.address)
            .bind(v.unit_id)
            .bind(&v.unit_path)
            .bind(v.location[0])
            .bind(v.location[1])
            .bind(now)
            .fetch_one(self.conn())
            .await?;
            ids.push(id);
        }
        if let Some(first) = ids.first() {
            let detail = format!("{} venues", ids.len());
            self.audit(actor.audit("venue.create", "venue", first, None, None, &detail)).await?;
        }
        Ok(ids)
    }
}

impl Db {
    pub async fn venue_get(&self, scope: &Scope, id: i64) -> Result<Venue> {
        let (lo, hi) = scope.range();
        let r =
            sqlx::query(&format!("SELECT {COLUMNS} FROM venues WHERE id = $1 AND unit_path >= $2 AND unit_path < $3"))
                .bind(id)
                .bind(lo)
                .bind(hi)
                .fetch_one(&self.pool)
                .await?;
        Venue::from_row(&r)
    }

    /// The venue a printed code names, anywhere in the city: scanning is not scoped.
    pub async fn venue_by_code(&self, code: &str) -> Result<Venue> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM venues WHERE code = $1"))
            .bind(code)
            .fetch_one(&self.pool)
            .await?;
        Venue::from_row(&r)
    }

    /// Venues with these ids (any scope: for labelling exposure places), in id order.
    pub async fn venues_by_ids(&self, ids: &[i64]) -> Result<Vec<Venue>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT {COLUMNS} FROM venues WHERE id IN ({}) ORDER BY id", marks.join(", "));
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(Venue::from_row(&r)?);
            }
        }
        Ok(out)
    }

    /// Every venue's (id, kind, code): what the tracing engine and the scan endpoint load at
    /// start.
    pub async fn venue_directory(&self) -> Result<Vec<(i64, String, String)>> {
        Ok(sqlx::query_as("SELECT id, kind, code FROM venues ORDER BY id").fetch_all(&self.pool).await?)
    }

    /// A page of venues in `scope`, by name prefix or code when `q` is given.
    pub async fn venue_search(&self, scope: &Scope, q: Option<&str>, page: PageRequest) -> Result<Page<Venue>> {
        let mut f = Filter::new();
        f.within(scope, "unit_path");
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            let prefix = f.arg_text(format!("{}%", q.replace(['%', '_'], "")));
            let code = f.arg_text(q.to_string());
            f.cond(format!("(name LIKE {prefix} OR code = {code})"));
        }
        let total: (i64,) =
            f.bind_as(&format!("SELECT COUNT(*) FROM venues WHERE {}", f.where_sql())).fetch_one(&self.pool).await?;
        let lim = f.arg_i64(page.per_page);
        let off = f.arg_i64(page.offset());
        let sql = format!("SELECT {COLUMNS} FROM venues WHERE {} ORDER BY id LIMIT {lim} OFFSET {off}", f.where_sql());
        let rows = f.bind(&sql).fetch_all(&self.pool).await?;
        let items = rows.iter().map(Venue::from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total: total.0 })
    }
}
