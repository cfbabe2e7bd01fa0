//! Places a call-taker finds a caller's location by: the demo city's compounds (or a real
//! bureau's, as imported), by name or address, within the caller's scope.

use ningan_store::sql::{Filter, RowExt as _};
use ningan_store::{Db, Result, Scope};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Place {
    pub name: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
}

/// At most `limit` compounds whose name or address contains `q`.
pub async fn search(db: &Db, scope: &Scope, q: &str, limit: i64) -> Result<Vec<Place>> {
    let mut f = Filter::new();
    f.within(scope, "unit_path");
    // Wildcards typed by the caller are dropped rather than escaped (ESCAPE differs by backend).
    let like = f.arg_text(format!("%{}%", q.replace(['%', '_'], "")));
    f.cond(format!("(name LIKE {like} OR address LIKE {like})"));
    let lim = f.arg_i64(limit);
    let sql =
        format!("SELECT name, address, lon, lat FROM compounds WHERE {} ORDER BY name LIMIT {lim}", f.where_sql());
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    rows.iter()
        .map(|r| {
            Ok(Place {
                name: r.try_get("name")?,
                address: r.try_get("address")?,
                lon: r.try_get("lon")?,
                lat: r.try_get("lat")?,
            })
        })
        .collect()
}
