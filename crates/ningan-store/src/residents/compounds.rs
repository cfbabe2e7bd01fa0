//! Residential compounds (小区): the places residents live, each under a station. Gates and
//! control zones attach to them later.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::{Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct Compound {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub unit_id: i64,
    pub location: [f64; 2],
}

impl Compound {
    fn from_row(r: &AnyRow) -> Result<Compound> {
        Ok(Compound {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            address: r.try_get("address")?,
            unit_id: r.try_get("unit_id")?,
            location: [r.try_get("lon")?, r.try_get("lat")?],
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewCompound {
    pub name: String,
    pub address: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub location: [f64; 2],
}

impl Write {
    /// Adds compounds under stations in `scope`; returns their ids in order.
    pub async fn compounds_insert(&mut self, actor: &Actor, scope: &Scope, new: &[NewCompound]) -> Result<Vec<i64>> {
        self.touch(crate::Area::People);
        let now = now_ms();
        let mut ids = Vec::with_capacity(new.len());
        for c in new {
            if !scope.contains(&c.unit_path) {
                return Err(StoreError::Invalid("unit_id: no such station in your scope".into()));
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO compounds (name, address, unit_id, unit_path, lon, lat, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&c.name)
            .bind(&c.address)
            .bind(c.unit_id)
            .bind(&c.unit_path)
            .bind(c.location[0])
            .bind(c.location[1])
            .bind(now)
            .fetch_one(self.conn())
            .await?;
            ids.push(id);
        }
        if !new.is_empty() {
            self.audit(actor.audit(
                "compound.create",
                "compound",
                ids[0],
                None,
                None,
                &format!("{} compounds", ids.len()),
            ))
            .await?;
        }
        Ok(ids)
    }
}

impl Db {
    pub async fn compound_get(&self, scope: &Scope, id: i64) -> Result<Compound> {
        let (lo, hi) = scope.range();
        let r = sqlx::query("SELECT id, name, address, unit_id, lon, lat FROM compounds WHERE id = $1 AND unit_path >= $2 AND unit_path < $3")
            .bind(id)
            .bind(lo)
            .bind(hi)
            .fetch_one(&self.pool)
            .await?;
        Compound::from_row(&r)
    }

    /// Compounds in `scope` with how many residents live in each: for listing what a control
    /// zone covers. Counts only, no personal data.
    pub async fn compounds_with_counts(&self, scope: &Scope) -> Result<Vec<(Compound, i64)>> {
        let (lo, hi) = scope.range();
        let rows = sqlx::query(
            "SELECT c.id, c.name, c.address, c.unit_id, c.lon, c.lat,              (SELECT COUNT(*) FROM residents r WHERE r.compound_id = c.id) AS n              FROM compounds c WHERE c.unit_path >= $1 AND c.unit_path < $2 ORDER BY c.id",
        )
        .bind(lo)
        .bind(hi)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((Compound::from_row(r)?, r.try_get::<i64, _>("n")?))).collect()
    }

    pub async fn compound_count(&self, scope: &Scope) -> Result<i64> {
        let (lo, hi) = scope.range();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM compounds WHERE unit_path >= $1 AND unit_path < $2")
            .bind(lo)
            .bind(hi)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}
