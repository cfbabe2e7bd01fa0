//! Smart gates (小门) of residential compounds: each stands at a compound, under the
//! compound's station, at a place on the map (which decides the control zone it is in).

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct Gate {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub name: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub location: [f64; 2],
}

const COLUMNS: &str = "g.id, g.compound_id, c.name AS compound_name, g.name, g.unit_id, g.unit_path, g.lon, g.lat";
const FROM: &str = "gates g JOIN compounds c ON c.id = g.compound_id";

impl Gate {
    fn from_row(r: &AnyRow) -> Result<Gate> {
        Ok(Gate {
            id: r.try_get("id")?,
            compound_id: r.try_get("compound_id")?,
            compound_name: r.try_get("compound_name")?,
            name: r.try_get("name")?,
            unit_id: r.try_get("unit_id")?,
            unit_path: r.try_get("unit_path")?,
            location: [r.try_get("lon")?, r.try_get("lat")?],
        })
    }
}

impl Write {
    /// Adds a gate to a compound in `scope`; it stands at the compound's location unless
    /// `location` says otherwise.
    pub async fn gate_insert(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        compound_id: i64,
        name: &str,
        location: Option<[f64; 2]>,
    ) -> Result<i64> {
        let (lo, hi) = scope.range();
        let (unit_id, unit_path, lon, lat): (i64, String, f64, f64) = sqlx::query_as(
            "SELECT unit_id, unit_path, lon, lat FROM compounds WHERE id = $1 AND unit_path >= $2 AND unit_path < $3",
        )
        .bind(compound_id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(self.conn())
        .await?
        .ok_or_else(|| StoreError::Invalid("compound_id: no such compound in your scope".into()))?;
        let [lon, lat] = location.unwrap_or([lon, lat]);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO gates (compound_id, name, unit_id, unit_path, lon, lat, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(compound_id)
        .bind(name)
        .bind(unit_id)
        .bind(&unit_path)
        .bind(lon)
        .bind(lat)
        .bind(now_ms())
        .fetch_one(self.conn())
        .await?;
        self.audit(actor.audit("gate.create", "gate", id, None, None, &format!("compound {compound_id}"))).await?;
        Ok(id)
    }
}

impl Db {
    /// Every gate: what the gate decisions hold in memory.
    pub async fn gate_directory(&self) -> Result<Vec<Gate>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY g.id")).fetch_all(&self.pool).await?;
        rows.iter().map(Gate::from_row).collect()
    }

    pub async fn gate_get(&self, scope: &Scope, id: i64) -> Result<Gate> {
        let (lo, hi) = scope.range();
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE g.id = $1 AND g.unit_path >= $2 AND g.unit_path < $3"
        ))
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_one(&self.pool)
        .await?;
        Gate::from_row(&r)
    }

    pub async fn gate_search(&self, scope: &Scope, page: PageRequest) -> Result<Page<Gate>> {
        let mut f = Filter::new();
        f.within(scope, "g.unit_path");
        let total: (i64,) =
            f.bind_as(&format!("SELECT COUNT(*) FROM {FROM} WHERE {}", f.where_sql())).fetch_one(&self.pool).await?;
        let lim = f.arg_i64(page.per_page);
        let off = f.arg_i64(page.offset());
        let sql =
            format!("SELECT {COLUMNS} FROM {FROM} WHERE {} ORDER BY g.id LIMIT {lim} OFFSET {off}", f.where_sql());
        let rows = f.bind(&sql).fetch_all(&self.pool).await?;
        let items = rows.iter().map(Gate::from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total: total.0 })
    }
}
