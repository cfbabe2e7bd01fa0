//! The map layer's spatial index: every risk point as a pin in an R-tree, so a viewport is
//! answered from memory — the points inside it one by one when they are few or the map is
//! close, otherwise gathered into grid clusters sized to the zoom.
//!
//! Loaded from storage when the server starts; this process's writes update their pins as
//! they commit (`life::refresh`), and a map catches up with other processes' writes every
//! few seconds (`life::catch_up`: new ids, and what changed since the latest change held).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use super::model::{Kind, Severity, State};
use super::store::Viewer;
use super::store::points::Pin;

/// A pin as the tree keeps it: codes instead of strings, inline, so a city-wide viewport
/// walks a hundred thousand entries without chasing a pointer per point.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Slot {
    id: i64,
    /// `i64::MAX` when there is none.
    deadline: i64,
    unit: u32,
    state: u8,
    kind: u8,
    severity: u8,
    /// 0 for none, else 1 + the index in `model::DEPARTMENTS`; `UNKNOWN` for anything else.
    department: u8,
}

type Entry = GeomWithData<[f64; 2], Slot>;

const UNKNOWN: u8 = u8::MAX;
/// A department code no pin has: a department account not yet given one sees nothing.
const NOBODY: u8 = u8::MAX - 1;

fn code_of<T: Copy + PartialEq>(all: &[T], v: Option<T>) -> u8 {
    v.and_then(|v| all.iter().position(|x| *x == v)).map(|i| i as u8).unwrap_or(UNKNOWN)
}

fn department_code(d: Option<&str>) -> u8 {
    match d {
        None => 0,
        Some(d) => super::model::DEPARTMENTS.iter().position(|x| x.0 == d).map(|i| i as u8 + 1).unwrap_or(UNKNOWN),
    }
}

#[derive(Default)]
pub struct Index {
    tree: RTree<Entry>,
    by_id: HashMap<i64, Entry>,
    /// Unit paths by code, so the viewer's scope is tested once per unit, not per point.
    units: Vec<String>,
    unit_codes: HashMap<String, u32>,
    /// The highest id and the latest change it holds: what a catch-up asks storage past.
    pub max_id: i64,
    pub max_updated: i64,
}

/// Which pins a map asks for besides the viewer's restriction.
#[derive(Debug, Clone, Default)]
pub struct PinFilter {
    pub category: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub severity: Option<String>,
    /// Only assigned points past their deadline at this instant.
    pub overdue_at: Option<i64>,
}

/// A filter as codes: which kinds, states and severities pass.
struct Wanted {
    kinds: [bool; 256],
    states: [bool; 256],
    severities: [bool; 256],
    overdue_at: Option<i64>,
}

impl Wanted {
    fn of(f: &PinFilter) -> Wanted {
        fn set<T: Copy>(all: &[T], want: &Option<String>, name: impl Fn(T) -> &'static str) -> [bool; 256] {
            let mut out = [false; 256];
            let want = want.as_deref().filter(|w| !w.is_empty());
            for (i, v) in all.iter().enumerate() {
                out[i] = want.is_none_or(|w| name(*v) == w);
            }
            out
        }
        let mut kinds = set(Kind::ALL, &f.kind, Kind::as_str);
        if let Some(c) = f.category.as_deref().filter(|c| !c.is_empty()) {
            for (i, k) in Kind::ALL.iter().enumerate() {
                kinds[i] &= k.category().as_str() == c;
            }
        }
        Wanted {
            kinds,
            states: set(State::ALL, &f.state, State::as_str),
            severities: set(Severity::ALL, &f.severity, Severity::as_str),
            overdue_at: f.overdue_at,
        }
    }
}

fn late(s: &Slot, now: i64) -> bool {
    s.state == ASSIGNED && s.deadline < now
}

/// `State::Assigned`'s code (its place in `State::ALL`; a test holds the two together).
const ASSIGNED: u8 = 1;

/// Whether a pin is assigned and past its deadline at `now`.
pub fn overdue(p: &Pin, now: i64) -> bool {
    p.state == State::Assigned.as_str() && p.deadline.is_some_and(|d| d < now)
}

/// A viewport's answer.
#[derive(Debug, Clone, Default, serde::Serialize, schemars::JsonSchema)]
pub struct Layer {
    /// Points in the viewport the viewer may see and the filter keeps.
    pub total: usize,
    pub clusters: Vec<Cluster>,
    pub points: Vec<MapPoint>,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Cluster {
    pub lon: f64,
    pub lat: f64,
    pub count: usize,
    /// How many of them still wait (found, assigned, rectified).
    pub open: usize,
    pub overdue: usize,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct MapPoint {
    pub id: i64,
    /// The kind's name in the reader's language (set by the API).
    pub label: String,
    pub lon: f64,
    pub lat: f64,
    pub kind: String,
    pub state: String,
    pub severity: String,
    pub overdue: bool,
}

/// Below this many points in view, or from this zoom on, the map shows every point.
pub const MAX_POINTS: usize = 2_000;
pub const POINT_ZOOM: f64 = 16.0;

impl Index {
    pub fn from_pins(pins: Vec<Pin>) -> Index {
        let mut index = Index::default();
        let entries: Vec<Entry> = pins.iter().map(|p| index.entry(p)).collect();
        index.by_id = entries.iter().map(|e| (e.data.id, *e)).collect();
        index.tree = RTree::bulk_load(entries);
        index
    }

    fn entry(&mut self, p: &Pin) -> Entry {
        self.max_id = self.max_id.max(p.id);
        self.max_updated = self.max_updated.max(p.updated_at);
        let next = self.units.len() as u32;
        let unit = *self.unit_codes.entry(p.unit_path.clone()).or_insert(next);
        if unit == next {
            self.units.push(p.unit_path.clone());
        }
        let slot = Slot {
            id: p.id,
            deadline: p.deadline.unwrap_or(i64::MAX),
            unit,
            state: code_of(State::ALL, State::parse(&p.state)),
            kind: code_of(Kind::ALL, Kind::parse(&p.kind)),
            severity: code_of(Severity::ALL, Severity::parse(&p.severity)),
            department: department_code(p.department.as_deref()),
        };
        GeomWithData::new([p.lon, p.lat], slot)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Puts a point's current pin in place of its old one.
    pub fn upsert(&mut self, pin: Pin) {
        if let Some(old) = self.by_id.remove(&pin.id) {
            self.tree.remove(&old);
        }
        let e = self.entry(&pin);
        self.tree.insert(e);
        self.by_id.insert(pin.id, e);
    }

    /// The viewport `[west, south, east, north]` at `zoom`, as the viewer may see it.
    pub fn layer(&self, viewer: &Viewer, bbox: [f64; 4], zoom: f64, filter: &PinFilter, now: i64) -> Layer {
        let envelope = AABB::from_corners([bbox[0], bbox[1]], [bbox[2], bbox[3]]);
        let visible: Vec<bool> = self.units.iter().map(|p| viewer.scope.contains(p)).collect();
        let department = viewer.department.as_deref().map(|d| match department_code(Some(d)) {
            UNKNOWN => NOBODY,
            code => code,
        });
        let wanted = Wanted::of(filter);
        let keeps = |s: &Slot| {
            visible[s.unit as usize]
                && department.is_none_or(|d| s.department == d)
                && wanted.kinds[s.kind as usize]
                && wanted.states[s.state as usize]
                && wanted.severities[s.severity as usize]
                && wanted.overdue_at.is_none_or(|t| late(s, t))
        };
        // One pass: count, keep the first points in case there are few, and add each to its
        // grid cell (a cell of about a quarter of a 256-pixel tile: clusters some 64 pixels
        // apart), in a flat grid over the viewport unless that would be huge.
        let close = zoom >= POINT_ZOOM;
        let keep = if close { MAX_POINTS * 5 } else { MAX_POINTS + 1 };
        let cell = 360.0 / 2f64.powf(zoom.clamp(0.0, 22.0)) / 4.0;
        let (cx0, cy0) = ((bbox[0] / cell).floor() as i64, (bbox[1] / cell).floor() as i64);
        let nx = ((bbox[2] / cell).floor() as i64 - cx0 + 1).max(1) as usize;
        let ny = ((bbox[3] / cell).floor() as i64 - cy0 + 1).max(1) as usize;
        let dense = nx.saturating_mul(ny) <= 65_536;
        // Per cell: sums of longitude and latitude, then how many, open and overdue.
        type Sums = (f64, f64, usize, usize, usize);
        let mut grid: Vec<Sums> = if dense && !close { vec![Sums::default(); nx * ny] } else { Vec::new() };
        let mut sparse: HashMap<(i64, i64), Sums> = HashMap::new();
        let mut few: Vec<&Entry> = Vec::new();
        let mut total = 0usize;
        for e in self.tree.locate_in_envelope(&envelope).filter(|e| keeps(&e.data)) {
            total += 1;
            if few.len() < keep {
                few.push(e);
            }
            if close {
                continue;
            }
            let [lon, lat] = *e.geom();
            let (cx, cy) = ((lon / cell).floor() as i64, (lat / cell).floor() as i64);
            let c = if dense {
                let (x, y) = ((cx - cx0).clamp(0, nx as i64 - 1) as usize, (cy - cy0).clamp(0, ny as i64 - 1) as usize);
                &mut grid[y * nx + x]
            } else {
                sparse.entry((cx, cy)).or_default()
            };
            c.0 += lon;
            c.1 += lat;
            c.2 += 1;
            c.3 += usize::from(State::ALL.get(e.data.state as usize).is_some_and(|s| s.open()));
            c.4 += usize::from(late(&e.data, now));
        }
        if total <= MAX_POINTS || close {
            let points = few.iter().map(|e| map_point(e, now)).collect();
            return Layer { total, clusters: Vec::new(), points };
        }
        let cells = grid.into_iter().filter(|c| c.2 > 0).chain(sparse.into_values());
        let mut clusters: Vec<Cluster> = cells
            .map(|(x, y, n, open, late)| Cluster {
                lon: x / n as f64,
                lat: y / n as f64,
                count: n,
                open,
                overdue: late,
            })
            .collect();
        clusters.sort_by(|a, b| b.count.cmp(&a.count).then(a.lon.total_cmp(&b.lon)));
        Layer { total, clusters, points: Vec::new() }
    }
}

fn name<T: Copy>(all: &[T], code: u8, f: impl Fn(T) -> &'static str) -> String {
    all.get(code as usize).map(|v| f(*v)).unwrap_or("").to_string()
}

fn map_point(e: &Entry, now: i64) -> MapPoint {
    let [lon, lat] = *e.geom();
    let s = &e.data;
    MapPoint {
        id: s.id,
        label: String::new(),
        lon,
        lat,
        kind: name(Kind::ALL, s.kind, Kind::as_str),
        state: name(State::ALL, s.state, State::as_str),
        severity: name(Severity::ALL, s.severity, Severity::as_str),
        overdue: late(s, now),
    }
}

/// The module's state: the index, loaded once and kept current.
#[derive(Clone, Default)]
pub struct Shared {
    pub index: Arc<RwLock<Option<Index>>>,
    /// Points written while the index was loading: the load may have read them before they
    /// changed, so they are read again once it is in place.
    pub pending: Arc<std::sync::Mutex<Vec<i64>>>,
    /// When a map last asked storage for what other processes changed.
    pub caught_up: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pin(id: i64, lon: f64, lat: f64, state: &str, path: &str) -> Pin {
        Pin {
            updated_at: id,
            id,
            lon,
            lat,
            kind: "crossing".into(),
            state: state.into(),
            severity: "general".into(),
            unit_path: path.into(),
            department: Some("transport".into()),
            deadline: Some(100),
        }
    }

    fn viewer(path: &str) -> Viewer {
        Viewer::officer(ningan_store::Scope::subtree(path))
    }

    proptest! {
        /// The index answers exactly what a scan of every pin answers: the same points in the
        /// viewport and scope, and clusters that add up to them.
        #[test]
        fn viewport_matches_a_scan(
            pins in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0, 0usize..2, 0usize..5), 0..400),
            moves in proptest::collection::vec((0usize..400, 0.0f64..1.0, 0.0f64..1.0), 0..30),
            (w, s) in (0.0f64..1.0, 0.0f64..1.0), (dw, dh) in (0.0f64..1.0, 0.0f64..1.0), zoom in 0.0f64..18.0,
        ) {
            let states = ["found", "assigned", "rectified", "verified", "closed"];
            let paths = ["/330200/330203/1/", "/330200/330212/2/"];
            let mut all: Vec<Pin> = pins.iter().enumerate()
                .map(|(i, (x, y, u, st))| pin(i as i64 + 1, 121.0 + x, 29.5 + y, states[*st], paths[*u]))
                .collect();
            let mut index = Index::from_pins(all.clone());
            for (i, x, y) in moves {
                if let Some(p) = all.get_mut(i) {
                    p.lon = 121.0 + x;
                    p.lat = 29.5 + y;
                    p.state = "closed".into();
                    index.upsert(p.clone());
                }
            }
            let bbox = [121.0 + w, 29.5 + s, 121.0 + w + dw, 29.5 + s + dh];
            let v = viewer("/330200/330203/");
            let layer = index.layer(&v, bbox, zoom, &PinFilter::default(), 50);
            let mut want: Vec<i64> = all.iter()
                .filter(|p| p.lon >= bbox[0] && p.lon <= bbox[2] && p.lat >= bbox[1] && p.lat <= bbox[3])
                .filter(|p| p.unit_path.starts_with("/330200/330203/"))
                .map(|p| p.id).collect();
            want.sort();
            prop_assert_eq!(layer.total, want.len());
            if layer.clusters.is_empty() {
                let mut got: Vec<i64> = layer.points.iter().map(|p| p.id).collect();
                got.sort();
                prop_assert_eq!(got, want);
            } else {
                prop_assert_eq!(layer.clusters.iter().map(|c| c.count).sum::<usize>(), want.len());
            }
            prop_assert_eq!(index.len(), all.len());
        }
    }

    #[test]
    fn the_assigned_code_is_the_assigned_state() {
        assert_eq!(State::ALL[ASSIGNED as usize], State::Assigned);
    }

    #[test]
    fn many_points_far_out_become_clusters_and_departments_see_their_own() {
        let pins: Vec<Pin> = (0..3000)
            .map(|i| {
                pin(i, 121.0 + (i % 60) as f64 * 0.01, 29.5 + (i / 60) as f64 * 0.01, "assigned", "/330200/330203/1/")
            })
            .collect();
        let index = Index::from_pins(pins);
        let bbox = [120.0, 29.0, 122.0, 30.5];
        let far = index.layer(&viewer("/330200/"), bbox, 9.0, &PinFilter::default(), 200);
        assert_eq!(far.total, 3000);
        assert!(!far.clusters.is_empty() && far.points.is_empty());
        assert_eq!(far.clusters.iter().map(|c| c.overdue).sum::<usize>(), 3000, "deadline 100 < now 200");
        let near = index.layer(&viewer("/330200/"), bbox, 17.0, &PinFilter::default(), 200);
        assert_eq!(near.points.len(), 3000);
        let other_dept = Viewer { scope: ningan_store::Scope::subtree("/330200/"), department: Some("water".into()) };
        assert_eq!(index.layer(&other_dept, bbox, 9.0, &PinFilter::default(), 0).total, 0);
        let only_found = PinFilter { state: Some("found".into()), ..Default::default() };
        assert_eq!(index.layer(&viewer("/330200/"), bbox, 9.0, &only_found, 0).total, 0);
    }
}
