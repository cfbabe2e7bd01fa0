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

/// A figure the map can be coloured by: one value per district.
pub struct MapFigure {
    pub key: &'static str,
    pub label: &'static str,
    pub values: Vec<(&'static str, i64)>,
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

/// One module's share of the cockpit: counters, map figures and charts for a scope.
pub struct Panel {
    pub name: &'static str,
    pub compute: for<'a> fn(&'a Db, &'a Scope, Tr) -> PanelFuture<'a>,
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

pub fn stations_per_district(rows: &[(String, i64)]) -> Vec<(&'static str, i64)> {
    let station_rows: Vec<(String, i64)> =
        rows.iter().filter(|(p, _)| p.matches('/').count() == 4).map(|(p, _)| (p.clone(), 1)).collect();
    per_district(&station_rows)
}
