//! The map layer's spatial index: every risk point as a pin in an R-tree, so a viewport is
//! answered from memory — the points inside it one by one when they are few or the map is
//! close, otherwise gathered into grid clusters sized to the zoom.
//!
//! Loaded from storage on first use; this process's writes update their pins as they
//! commit (`LifeState::refresh`), and the module's housekeeping reloads the whole set every
//! few minutes for writes made by other processes on the same database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use super::model::State;
use super::store::Viewer;
use super::store::points::Pin;

type Entry = GeomWithData<[f64; 2], Arc<Pin>>;

#[derive(Default)]
pub struct Index {
    tree: RTree<Entry>,
    by_id: HashMap<i64, Arc<Pin>>,
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

impl PinFilter {
    fn keeps(&self, p: &Pin) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w.is_empty() || w == have);
        eq(&self.kind, &p.kind)
            && eq(&self.state, &p.state)
            && eq(&self.severity, &p.severity)
            && self.category.as_deref().is_none_or(|c| {
                c.is_empty() || ningan_core::hazard::Kind::parse(&p.kind).is_some_and(|k| k.category().as_str() == c)
            })
            && self.overdue_at.is_none_or(|now| overdue(p, now))
    }
}

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
        let pins: Vec<Arc<Pin>> = pins.into_iter().map(Arc::new).collect();
        let entries = pins.iter().map(|p| GeomWithData::new([p.lon, p.lat], p.clone())).collect();
        Index { tree: RTree::bulk_load(entries), by_id: pins.into_iter().map(|p| (p.id, p)).collect() }
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
            self.tree.remove(&GeomWithData::new([old.lon, old.lat], old));
        }
        let pin = Arc::new(pin);
        self.tree.insert(GeomWithData::new([pin.lon, pin.lat], pin.clone()));
        self.by_id.insert(pin.id, pin);
    }

    /// The viewport `[west, south, east, north]` at `zoom`, as the viewer may see it.
    pub fn layer(&self, viewer: &Viewer, bbox: [f64; 4], zoom: f64, filter: &PinFilter, now: i64) -> Layer {
        let envelope = AABB::from_corners([bbox[0], bbox[1]], [bbox[2], bbox[3]]);
        let seen: Vec<&Pin> = self
            .tree
            .locate_in_envelope(&envelope)
            .map(|e| e.data.as_ref())
            .filter(|p| viewer.sees(&p.unit_path, p.department.as_deref()) && filter.keeps(p))
            .collect();
        let total = seen.len();
        if total <= MAX_POINTS || zoom >= POINT_ZOOM {
            let points = seen.iter().take(MAX_POINTS * 5).map(|p| map_point(p, now)).collect();
            return Layer { total, clusters: Vec::new(), points };
        }
        // A cell of about a quarter of a 256-pixel tile: clusters some 64 pixels apart.
        let cell = 360.0 / 2f64.powf(zoom.clamp(0.0, 22.0)) / 4.0;
        // Per cell: sums of longitude and latitude, then how many, open and overdue.
        type Sums = (f64, f64, usize, usize, usize);
        let mut cells: HashMap<(i64, i64), Sums> = HashMap::new();
        for p in &seen {
            let key = ((p.lon / cell).floor() as i64, (p.lat / cell).floor() as i64);
            let c = cells.entry(key).or_default();
            c.0 += p.lon;
            c.1 += p.lat;
            c.2 += 1;
            c.3 += usize::from(State::parse(&p.state).is_some_and(State::open));
            c.4 += usize::from(overdue(p, now));
        }
        let mut clusters: Vec<Cluster> = cells
            .into_values()
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

fn map_point(p: &Pin, now: i64) -> MapPoint {
    MapPoint {
        id: p.id,
        lon: p.lon,
        lat: p.lat,
        kind: p.kind.clone(),
        state: p.state.clone(),
        severity: p.severity.clone(),
        overdue: overdue(p, now),
    }
}

/// The module's state: the index, loaded once and kept current.
#[derive(Clone, Default)]
pub struct Shared {
    pub index: Arc<RwLock<Option<Index>>>,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pin(id: i64, lon: f64, lat: f64, state: &str, path: &str) -> Pin {
        Pin {
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
