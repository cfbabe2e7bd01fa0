//! Counts for the cockpit panel and the figures pages: points by state and station, overdue
//! and escalated; abnormal deaths by month, kind and district; helmet samples by district,
//! road type and month. Grouping by month happens here in China Standard Time, so both
//! databases count a death at 23:30 on the last of the month in that month.

use std::collections::BTreeMap;

use chrono::{Datelike as _, TimeZone as _};
use ningan_store::sql::{Filter, RowExt as _};
use ningan_store::{Db, Result, Scope};

use super::Viewer;
use crate::modules::cockpit::panels::district_of;

#[derive(Debug, Clone, Default)]
pub struct PointStats {
    /// `(state, count)`.
    pub by_state: Vec<(String, i64)>,
    /// `(unit path, points found)`.
    pub by_unit: Vec<(String, i64)>,
    /// `(unit path, points rectified: verified or closed)`.
    pub rectified_by_unit: Vec<(String, i64)>,
    pub overdue: i64,
    pub escalated: i64,
}

pub async fn points(db: &Db, viewer: &Viewer, now: i64) -> Result<PointStats> {
    let mut f = Filter::new();
    viewer.restrict(&mut f);
    let sql = format!(
        "SELECT p.unit_path, p.state, COUNT(*) AS n, \
         SUM(CASE WHEN p.state = 'assigned' AND p.deadline < {now} THEN 1 ELSE 0 END) AS overdue, \
         SUM(CASE WHEN p.escalated_at IS NOT NULL AND p.state = 'assigned' THEN 1 ELSE 0 END) AS escalated \
         FROM life_points p WHERE {} GROUP BY p.unit_path, p.state",
        f.where_sql()
    );
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    let mut s = PointStats::default();
    let (mut states, mut units, mut fixed) =
        (BTreeMap::<String, i64>::new(), BTreeMap::<String, i64>::new(), BTreeMap::<String, i64>::new());
    for r in rows {
        let (path, state, n): (String, String, i64) = (r.try_get("unit_path")?, r.try_get("state")?, r.try_get("n")?);
        s.overdue += r.try_get::<i64, _>("overdue")?;
        s.escalated += r.try_get::<i64, _>("escalated")?;
        *states.entry(state.clone()).or_default() += n;
        *units.entry(path.clone()).or_default() += n;
        if matches!(state.as_str(), "verified" | "closed") {
            *fixed.entry(path).or_default() += n;
        }
    }
    s.by_state = states.into_iter().collect();
    s.by_unit = units.into_iter().collect();
    s.rectified_by_unit = fixed.into_iter().collect();
    Ok(s)
}

/// `(year, month)` in China Standard Time.
pub fn month_of(ms: i64) -> (i32, u32) {
    match ningan_core::time::cst().timestamp_millis_opt(ms).single() {
        Some(t) => (t.year(), t.month()),
        None => (1970, 1),
    }
}

/// The first instant of `year` in China Standard Time, in ms.
pub fn year_start(year: i32) -> i64 {
    ningan_core::time::cst().with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().map(|t| t.timestamp_millis()).unwrap_or(0)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deaths {
    /// `(kind, year, month) → deaths`.
    pub by_month: BTreeMap<(String, i32, u32), i64>,
    /// `(kind, district code, year) → deaths`.
    pub by_district: BTreeMap<(String, u32, i32), i64>,
}

/// Abnormal deaths in `scope` from the start of `year - 1` to the end of `year`.
pub async fn deaths(db: &Db, scope: &Scope, year: i32) -> Result<Deaths> {
    let mut f = Filter::new();
    f.within(scope, "i.unit_path");
    let (from, to) = (f.arg_i64(year_start(year - 1)), f.arg_i64(year_start(year + 1)));
    f.cond(format!("i.at >= {from} AND i.at < {to} AND i.deaths > 0"));
    let sql = format!("SELECT i.kind, i.at, i.unit_path, i.deaths FROM life_incidents i WHERE {}", f.where_sql());
    let mut d = Deaths::default();
    for r in f.bind(&sql).fetch_all(db.reader()).await? {
        let (kind, at, path, n): (String, i64, String, i64) =
            (r.try_get("kind")?, r.try_get("at")?, r.try_get("unit_path")?, r.try_get("deaths")?);
        let (y, m) = month_of(at);
        *d.by_month.entry((kind.clone(), y, m)).or_default() += n;
        if let Some(code) = district_of(&path) {
            *d.by_district.entry((kind, code, y)).or_default() += n;
        }
    }
    Ok(d)
}

/// Riders counted and riders with helmets, drivers and passengers apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub drivers: i64,
    pub drivers_helmet: i64,
    pub passengers: i64,
    pub passengers_helmet: i64,
}

impl Counts {
    pub fn add(&mut self, o: Counts) {
        self.drivers += o.drivers;
        self.drivers_helmet += o.drivers_helmet;
        self.passengers += o.passengers;
        self.passengers_helmet += o.passengers_helmet;
    }

    pub fn riders(&self) -> (i64, i64) {
        (self.drivers_helmet + self.passengers_helmet, self.drivers + self.passengers)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Helmets {
    /// `(district code, road type) → counts`.
    pub by_district: BTreeMap<(u32, String), Counts>,
    /// `(year, month, road type) → counts`.
    pub by_month: BTreeMap<(i32, u32, String), Counts>,
    /// `road type → counts`.
    pub by_road: BTreeMap<String, Counts>,
}

impl Helmets {
    /// Both road types together, per district.
    pub fn per_district(&self) -> BTreeMap<u32, Counts> {
        let mut out: BTreeMap<u32, Counts> = BTreeMap::new();
        for ((code, _), c) in &self.by_district {
            out.entry(*code).or_default().add(*c);
        }
        out
    }
}

/// Helmet samples in `scope` taken in `[from, to)`.
pub async fn helmets(db: &Db, scope: &Scope, from: i64, to: i64) -> Result<Helmets> {
    let mut f = Filter::new();
    f.within(scope, "s.unit_path");
    let (a, b) = (f.arg_i64(from), f.arg_i64(to));
    f.cond(format!("s.at >= {a} AND s.at < {b}"));
    let sql = format!(
        "SELECT s.at, s.unit_path, s.road_type, s.drivers, s.drivers_helmet, s.passengers, s.passengers_helmet \
         FROM life_helmet_samples s WHERE {}",
        f.where_sql()
    );
    let mut h = Helmets::default();
    for r in f.bind(&sql).fetch_all(db.reader()).await? {
        let c = Counts {
            drivers: r.try_get("drivers")?,
            drivers_helmet: r.try_get("drivers_helmet")?,
            passengers: r.try_get("passengers")?,
            passengers_helmet: r.try_get("passengers_helmet")?,
        };
        let (at, path, road): (i64, String, String) =
            (r.try_get("at")?, r.try_get("unit_path")?, r.try_get("road_type")?);
        let (y, m) = month_of(at);
        h.by_month.entry((y, m, road.clone())).or_default().add(c);
        h.by_road.entry(road.clone()).or_default().add(c);
        if let Some(code) = district_of(&path) {
            h.by_district.entry((code, road)).or_default().add(c);
        }
    }
    Ok(h)
}
