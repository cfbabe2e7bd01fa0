//! The map layer's spatial index: every risk point as a pin in an R-tree, so a viewport is
//! answered from memory — the points inside it one by one when they are few or the map is
//! close, otherwise gathered into grid clusters sized to the zoom. The clusters come from a
//! pyramid of counts kept per grid cell at every zoom level down to [`LEAF`] (by unit, state,
//! kind, severity and department, so scope and filters still apply): a cell wholly inside the
//! viewport is read from its counts, and only cells cut by the viewport's edge are looked
//! into, level by level, down to the pins themselves.
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
    class: Class,
}

/// What scope and filters ask of a pin, and what the pyramid counts pins by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Class {
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
    pyramid: Pyramid,
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
        }
    }
}

fn late(s: &Slot, now: i64) -> bool {
    s.class.state == ASSIGNED && s.deadline < now
}

fn is_open(state: u8) -> bool {
    State::ALL.get(state as usize).is_some_and(|s| s.open())
}

/// Clusters at zoom level `level` are cells of a grid aligned to the globe, a quarter of a
/// 256-pixel tile wide (some 64 pixels apart); each level's cells split in four at the next,
/// exactly, since the width halves by a power of two.
fn cell_size(level: u8) -> f64 {
    360.0 / f64::from(1u32 << level.min(22)) / 4.0
}

fn cell_of(lon: f64, lat: f64, size: f64) -> (i64, i64) {
    ((lon / size).floor() as i64, (lat / size).floor() as i64)
}

/// The deepest level the pyramid counts; past it a viewport is small enough to walk.
pub const LEAF: u8 = 14;

/// Coordinates summed exactly (in 1e-7 degrees), so taking a pin out leaves no drift.
fn e7(x: f64) -> i64 {
    (x * 1e7).round() as i64
}

/// The pins of one class in one cell.
#[derive(Debug, Clone)]
struct ClassSum {
    class: Class,
    n: u32,
    lon: i64,
    lat: i64,
    /// Deadlines of the assigned ones, sorted: how many are overdue at any instant.
    deadlines: Vec<i64>,
}

/// Counts per cell at every level from 0 to [`LEAF`].
#[derive(Debug, Default)]
struct Pyramid {
    levels: Vec<HashMap<(i64, i64), Vec<ClassSum>>>,
}

impl Pyramid {
    fn change(&mut self, e: &Entry, add: bool) {
        if self.levels.is_empty() {
            self.levels = vec![HashMap::new(); LEAF as usize + 1];
        }
        let [lon, lat] = *e.geom();
        let s = &e.data;
        let assigned = s.class.state == ASSIGNED;
        for (level, cells) in self.levels.iter_mut().enumerate() {
            let cell = cell_of(lon, lat, cell_size(level as u8));
            let sums = cells.entry(cell).or_default();
            let i = match sums.iter().position(|c| c.class == s.class) {
                Some(i) => i,
                None if add => {
                    sums.push(ClassSum { class: s.class, n: 0, lon: 0, lat: 0, deadlines: Vec::new() });
                    sums.len() - 1
                }
                None => continue,
            };
            let c = &mut sums[i];
            if add {
                c.n += 1;
                c.lon += e7(lon);
                c.lat += e7(lat);
                if assigned {
                    let at = c.deadlines.partition_point(|d| *d < s.deadline);
                    c.deadlines.insert(at, s.deadline);
                }
            } else {
                c.n = c.n.saturating_sub(1);
                c.lon -= e7(lon);
                c.lat -= e7(lat);
                if assigned && let Some(at) = c.deadlines.iter().position(|d| *d == s.deadline) {
                    c.deadlines.remove(at);
                }
                if c.n == 0 {
                    sums.swap_remove(i);
                    if sums.is_empty() {
                        cells.remove(&cell);
                    }
                }
            }
        }
    }
}

/// A cluster's running sums: coordinates in 1e-7 degrees, then how many, open and overdue.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    lon: i64,
    lat: i64,
    n: usize,
    open: usize,
    overdue: usize,
}

impl Sums {
    fn pin(&mut self, e: &Entry, now: i64) {
        let [lon, lat] = *e.geom();
        self.lon += e7(lon);
        self.lat += e7(lat);
        self.n += 1;
        self.open += usize::from(is_open(e.data.class.state));
        self.overdue += usize::from(late(&e.data, now));
    }

    fn cluster(self) -> Cluster {
        let n = self.n.max(1) as f64;
        Cluster {
            lon: self.lon as f64 / 1e7 / n,
            lat: self.lat as f64 / 1e7 / n,
            count: self.n,
            open: self.open,
            overdue: self.overdue,
        }
    }
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
        for e in &entries {
            index.pyramid.change(e, true);
        }
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
            class: Class {
                unit,
                state: code_of(State::ALL, State::parse(&p.state)),
                kind: code_of(Kind::ALL, Kind::parse(&p.kind)),
                severity: code_of(Severity::ALL, Severity::parse(&p.severity)),
                department: department_code(p.department.as_deref()),
            },
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
            self.pyramid.change(&old, false);
        }
        let e = self.entry(&pin);
        self.tree.insert(e);
        self.pyramid.change(&e, true);
        self.by_id.insert(pin.id, e);
    }

    /// The viewport `[west, south, east, north]` at `zoom`, as the viewer may see it.
    pub fn layer(&self, viewer: &Viewer, bbox: [f64; 4], zoom: f64, filter: &PinFilter, now: i64) -> Layer {
        let level = zoom.clamp(0.0, 22.0).floor() as u8;
        // An overdue-only map asks about instants the counts do not keep apart by place.
        if zoom < POINT_ZOOM && level <= LEAF && filter.overdue_at.is_none() {
            let (total, clusters) = self.counted(viewer, bbox, level, filter, now);
            if total > MAX_POINTS {
                return Layer { total, clusters, points: Vec::new() };
            }
        }
        self.walked(viewer, bbox, zoom, filter, now)
    }

    /// Which classes of pin the viewer may see and the filter keeps.
    fn keeps(&self, viewer: &Viewer, filter: &PinFilter) -> impl Fn(&Class) -> bool {
        let visible: Vec<bool> = self.units.iter().map(|p| viewer.scope.contains(p)).collect();
        let department = viewer.department.as_deref().map(|d| match department_code(Some(d)) {
            UNKNOWN => NOBODY,
            code => code,
        });
        let wanted = Wanted::of(filter);
        move |c: &Class| {
            visible.get(c.unit as usize).copied().unwrap_or(false)
                && department.is_none_or(|d| c.department == d)
                && wanted.kinds[c.kind as usize]
                && wanted.states[c.state as usize]
                && wanted.severities[c.severity as usize]
        }
    }

    /// Clusters from the pyramid's counts: each cell of `level` in the viewport, read whole
    /// when it lies inside, otherwise from its parts inside.
    fn counted(
        &self,
        viewer: &Viewer,
        bbox: [f64; 4],
        level: u8,
        filter: &PinFilter,
        now: i64,
    ) -> (usize, Vec<Cluster>) {
        let keeps = self.keeps(viewer, filter);
        let size = cell_size(level);
        let (x0, y0) = cell_of(bbox[0], bbox[1], size);
        let (x1, y1) = cell_of(bbox[2], bbox[3], size);
        let Some(cells) = self.pyramid.levels.get(level as usize) else { return (0, Vec::new()) };
        let span = (x1 - x0 + 1).saturating_mul(y1 - y0 + 1);
        let inside = |&(x, y): &(i64, i64)| (x0..=x1).contains(&x) && (y0..=y1).contains(&y);
        // Walk the viewport's cells, or the level's cells when the viewport is the larger.
        let wanted: Vec<(i64, i64)> = if span as usize <= cells.len() {
            (y0..=y1).flat_map(|y| (x0..=x1).map(move |x| (x, y))).filter(|c| cells.contains_key(c)).collect()
        } else {
            cells.keys().copied().filter(inside).collect()
        };
        let mut total = 0;
        let mut clusters = Vec::new();
        for cell in wanted {
            let mut sums = Sums::default();
            self.gather(level, cell, bbox, &keeps, now, &mut sums);
            if sums.n > 0 {
                total += sums.n;
                clusters.push(sums.cluster());
            }
        }
        clusters.sort_by(|a, b| b.count.cmp(&a.count).then(a.lon.total_cmp(&b.lon)));
        (total, clusters)
    }

    /// Adds the pins of one cell that lie in `bbox` to `sums`.
    fn gather(
        &self,
        level: u8,
        (x, y): (i64, i64),
        bbox: [f64; 4],
        keeps: &impl Fn(&Class) -> bool,
        now: i64,
        sums: &mut Sums,
    ) {
        let size = cell_size(level);
        let (w, s, e, n) = (x as f64 * size, y as f64 * size, (x + 1) as f64 * size, (y + 1) as f64 * size);
        if w >= bbox[0] && e <= bbox[2] && s >= bbox[1] && n <= bbox[3] {
            let Some(classes) = self.pyramid.levels.get(level as usize).and_then(|l| l.get(&(x, y))) else { return };
            for c in classes.iter().filter(|c| keeps(&c.class)) {
                sums.lon += c.lon;
                sums.lat += c.lat;
                sums.n += c.n as usize;
                if is_open(c.class.state) {
                    sums.open += c.n as usize;
                }
                sums.overdue += c.deadlines.partition_point(|d| *d < now);
            }
            return;
        }
        if e < bbox[0] || w > bbox[2] || n < bbox[1] || s > bbox[3] {
            return;
        }
        if level < LEAF {
            for (cx, cy) in [(2 * x, 2 * y), (2 * x + 1, 2 * y), (2 * x, 2 * y + 1), (2 * x + 1, 2 * y + 1)] {
                if self.pyramid.levels.get(level as usize + 1).is_some_and(|l| l.contains_key(&(cx, cy))) {
                    self.gather(level + 1, (cx, cy), bbox, keeps, now, sums);
                }
            }
            return;
        }
        // A leaf cut by the edge: its pins one by one (those on its far edges belong to the
        // next cells).
        let part = AABB::from_corners([w.max(bbox[0]), s.max(bbox[1])], [e.min(bbox[2]), n.min(bbox[3])]);
        for pin in self.tree.locate_in_envelope(&part) {
            let [lon, lat] = *pin.geom();
            if cell_of(lon, lat, size) == (x, y) && keeps(&pin.data.class) {
                sums.pin(pin, now);
            }
        }
    }

    /// The viewport by walking every pin in it: the points when they are few or the map is
    /// close, otherwise the same clusters as [`Index::counted`].
    fn walked(&self, viewer: &Viewer, bbox: [f64; 4], zoom: f64, filter: &PinFilter, now: i64) -> Layer {
        self.walk(viewer, bbox, zoom, filter, now, MAX_POINTS)
    }

    /// [`Index::walked`], listing the points themselves up to `max_points`.
    fn walk(
        &self,
        viewer: &Viewer,
        bbox: [f64; 4],
        zoom: f64,
        filter: &PinFilter,
        now: i64,
        max_points: usize,
    ) -> Layer {
        let envelope = AABB::from_corners([bbox[0], bbox[1]], [bbox[2], bbox[3]]);
        let class_keeps = self.keeps(viewer, filter);
        let overdue_at = filter.overdue_at;
        let keeps = |s: &Slot| class_keeps(&s.class) && overdue_at.is_none_or(|t| late(s, t));
        // One pass: count, keep the first points in case there are few, and add each to its
        // grid cell, in a flat grid over the viewport unless that would be huge.
        let close = zoom >= POINT_ZOOM;
        let keep = if close { MAX_POINTS * 5 } else { max_points + 1 };
        let size = cell_size(zoom.clamp(0.0, 22.0).floor() as u8);
        let (cx0, cy0) = cell_of(bbox[0], bbox[1], size);
        let nx = ((bbox[2] / size).floor() as i64 - cx0 + 1).max(1) as usize;
        let ny = ((bbox[3] / size).floor() as i64 - cy0 + 1).max(1) as usize;
        let dense = nx.saturating_mul(ny) <= 65_536;
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
            let (cx, cy) = cell_of(lon, lat, size);
            let c = if dense {
                let (x, y) = ((cx - cx0).clamp(0, nx as i64 - 1) as usize, (cy - cy0).clamp(0, ny as i64 - 1) as usize);
                &mut grid[y * nx + x]
            } else {
                sparse.entry((cx, cy)).or_default()
            };
            c.pin(e, now);
        }
        if total <= max_points || close {
            let points = few.iter().map(|e| map_point(e, now)).collect();
            return Layer { total, clusters: Vec::new(), points };
        }
        let cells = grid.into_iter().filter(|c| c.n > 0).chain(sparse.into_values());
        let mut clusters: Vec<Cluster> = cells.map(Sums::cluster).collect();
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
        kind: name(Kind::ALL, s.class.kind, Kind::as_str),
        state: name(State::ALL, s.class.state, State::as_str),
        severity: name(Severity::ALL, s.class.severity, Severity::as_str),
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

        /// Clusters read from the pyramid's counts are the clusters of a walk over every pin
        /// in the viewport: same cells, counts, open and overdue, same centres — after moves,
        /// for any viewport, level, scope and filter.
        #[test]
        fn counted_clusters_are_the_walked_clusters(
            pins in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0, 0usize..2, 0usize..5, 0i64..200), 0..600),
            moves in proptest::collection::vec((0usize..600, 0.0f64..1.0, 0.0f64..1.0, 0usize..5), 0..40),
            (w, s) in (-0.2f64..1.0, -0.2f64..1.0), (dw, dh) in (0.0f64..1.3, 0.0f64..1.3), level in 0u8..=LEAF,
            station in proptest::bool::ANY, state_filter in proptest::option::of(0usize..5), now in 0i64..200,
        ) {
            let states = ["found", "assigned", "rectified", "verified", "closed"];
            let paths = ["/330200/330203/1/", "/330200/330212/2/"];
            let mut all: Vec<Pin> = pins.iter().enumerate()
                .map(|(i, (x, y, u, st, d))| Pin { deadline: Some(*d), ..pin(i as i64 + 1, 121.0 + x, 29.5 + y, states[*st], paths[*u]) })
                .collect();
            let mut index = Index::from_pins(all.clone());
            for (i, x, y, st) in moves {
                if let Some(p) = all.get_mut(i) {
                    p.lon = 121.0 + x;
                    p.lat = 29.5 + y;
                    p.state = states[st].into();
                    index.upsert(p.clone());
                }
            }
            let bbox = [121.0 + w, 29.5 + s, 121.0 + w + dw, 29.5 + s + dh];
            let v = viewer(if station { "/330200/330203/" } else { "/330200/" });
            let filter = PinFilter { state: state_filter.map(|i| states[i].to_string()), ..Default::default() };
            let (total, counted) = index.counted(&v, bbox, level, &filter, now);
            let walked = index.walk(&v, bbox, f64::from(level), &filter, now, 0);
            prop_assert_eq!(total, walked.total);
            prop_assert_eq!(counted.len(), walked.clusters.len());
            {
                // The same clusters in any order: two cells whose centres share a longitude
                // may come in either order.
                let by_place = |a: &Cluster, b: &Cluster| a.lon.total_cmp(&b.lon).then(a.lat.total_cmp(&b.lat));
                let mut counted = counted.clone();
                let mut walked_clusters = walked.clusters.clone();
                counted.sort_by(by_place);
                walked_clusters.sort_by(by_place);
                for (a, b) in counted.iter().zip(&walked_clusters) {
                    prop_assert_eq!((a.count, a.open, a.overdue), (b.count, b.open, b.overdue));
                    prop_assert!((a.lon - b.lon).abs() < 1e-6 && (a.lat - b.lat).abs() < 1e-6, "{a:?} vs {b:?}");
                }
            }
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
