//! The cockpit's building blocks. Each module declares its own [`Panel`] in its descriptor
//! (`modules::ALL`); this file holds what a panel is made of and the district folding they share.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use ningan_core::district::DISTRICTS;
use ningan_store::{Db, Scope, StoreError};
use serde_json::Value;

use crate::web::Tr;

pub struct Counter {
    pub key: &'static str,
    pub label: &'static str,
    pub value: i64,
}

/// A figure the map can be coloured by, as the store counted it per org unit; the map sums
/// it per district and, drilled down into one district, per station.
pub struct MapFigure {
    pub key: &'static str,
    pub label: &'static str,
    /// `(unit path, value)`.
    pub by_unit: Vec<(String, i64)>,
}

impl MapFigure {
    pub fn new(key: &'static str, label: &'static str, by_unit: &[(String, i64)]) -> MapFigure {
        MapFigure { key, label, by_unit: by_unit.to_vec() }
    }

    /// One value per district, in the order of `DISTRICTS`.
    pub fn districts(&self) -> Vec<(&'static str, i64)> {
        per_district(&self.by_unit)
    }

    /// Values summed per station (by the station's path); units above stations count nowhere.
    pub fn stations(&self) -> BTreeMap<&str, i64> {
        let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
        for (path, n) in &self.by_unit {
            if let Some(station) = station_path(path) {
                *sums.entry(station).or_default() += n;
            }
        }
        sums
    }
}

/// `/330200/330203/17/…` → `/330200/330203/17/`: the station a unit belongs to.
pub fn station_path(path: &str) -> Option<&str> {
    let end = path.match_indices('/').nth(3)?.0;
    Some(&path[..=end])
}

pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    /// An ECharts option, drawn by `static/app.js`.
    pub option: Value,
}

#[derive(Default)]
pub struct PanelData {
    pub counters: Vec<Counter>,
    pub map_figures: Vec<MapFigure>,
    pub charts: Vec<Chart>,
}

/// What a panel's computation returns.
pub type PanelFuture<'a> = Pin<Box<dyn Future<Output = Result<PanelData, StoreError>> + Send + 'a>>;

/// One module's share of the cockpit: counters, map figures and charts for a scope; and
/// its figures for a month, for the monthly report.
pub struct Panel {
    pub name: &'static str,
    pub compute: for<'a> fn(&'a Db, &'a Scope, Tr) -> PanelFuture<'a>,
    pub monthly: for<'a> fn(&'a Db, &'a Scope, super::monthly::Month, Tr) -> super::monthly::MonthlyFuture<'a>,
}

/// A table's rows in `scope` aggregated per org unit (`agg`: `COUNT(*)`, `SUM(x)`), with
/// `extra` conditions: the rows of a [`MapFigure`]. Table, columns and conditions are the
/// calling module's literals, never input.
pub async fn by_unit(
    db: &Db,
    scope: &Scope,
    from: &str,
    path: &str,
    agg: &str,
    extra: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    use ningan_store::sql::{RowExt as _, query};
    let (lo, hi) = scope.range();
    let extra = if extra.is_empty() { String::new() } else { format!(" AND {extra}") };
    let sql = format!(
        "SELECT {path} AS p, CAST(COALESCE({agg}, 0) AS BIGINT) AS n FROM {from} WHERE {path} >= $1 AND {path} < $2{extra} GROUP BY {path}"
    );
    let rows = query(&sql).bind(lo).bind(hi).fetch_all(db.reader()).await?;
    rows.iter().map(|r| Ok((r.try_get("p")?, r.try_get("n")?))).collect()
}

/// `/330200/330203/…` → 330203; units above the districts have none.
pub fn district_of(path: &str) -> Option<u32> {
    path.split('/').nth(2).and_then(|s| s.parse().ok())
}

pub fn per_district(rows: &[(String, i64)]) -> Vec<(&'static str, i64)> {
    let mut sums: BTreeMap<u32, i64> = BTreeMap::new();
    for (path, n) in rows {
        if let Some(d) = district_of(path) {
            *sums.entry(d).or_default() += n;
        }
    }
    DISTRICTS.iter().map(|d| (d.name, sums.get(&d.code).copied().unwrap_or(0))).collect()
}

/// One row per station among `rows`, counting 1: for a map of how many stations there are.
pub fn station_rows(rows: &[(String, i64)]) -> Vec<(String, i64)> {
    rows.iter().filter(|(p, _)| p.matches('/').count() == 4).map(|(p, _)| (p.clone(), 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_sums_per_district_and_per_station_from_any_depth() {
        let rows = vec![
            ("/330200/".to_string(), 100),
            ("/330200/330203/".to_string(), 7),
            ("/330200/330203/17/".to_string(), 2),
            ("/330200/330203/17/90/".to_string(), 3),
            ("/330200/330212/18/".to_string(), 5),
        ];
        let f = MapFigure::new("k", "l", &rows);
        let d: BTreeMap<&str, i64> = f.districts().into_iter().collect();
        assert_eq!((d["海曙区"], d["鄞州区"], d["北仑区"]), (12, 5, 0));
        let s = f.stations();
        assert_eq!(s.get("/330200/330203/17/"), Some(&5));
        assert_eq!(s.get("/330200/330212/18/"), Some(&5));
        assert_eq!(s.len(), 2, "the city and the district rows belong to no station");
        assert_eq!(station_rows(&rows).len(), 2);
    }
}
