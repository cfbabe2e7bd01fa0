//! The prepared network and its queries: snapping a point to its nearest node, the travel
//! time between two snapped points, the k nearest candidates by travel time, and the way to
//! drive.

use std::collections::HashMap;
use std::sync::Mutex;

use fast_paths::{FastGraph, InputGraph, PathCalculator};
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::{Plane, RouteError};

/// One road stretch between two nodes, driven in `seconds`; a one-way street only from
/// `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arc {
    pub from: u32,
    pub to: u32,
    pub seconds: f64,
    pub both_ways: bool,
}

/// A point joined to the network: its nearest node and the time to get there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snap {
    pub node: u32,
    pub access_ms: u64,
}

/// Something that may be sent — a unit — snapped where it was last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub at: Snap,
}

/// A candidate's travel time to the target, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reach {
    pub ms: u64,
    pub id: i64,
}

/// The way from one point to another: the start, the nodes driven through, the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub ms: u64,
    pub points: Vec<[f64; 2]>,
}

type Indexed = GeomWithData<[f64; 2], u32>;

pub struct Router {
    plane: Plane,
    /// Nodes as given (longitude, latitude) and projected (metres).
    points: Vec<[f64; 2]>,
    projected: Vec<[f64; 2]>,
    graph: FastGraph,
    /// Nodes that have an arc: only these are joined to.
    index: RTree<Indexed>,
    /// The fastest any arc is driven, in metres per millisecond: the straight distance at
    /// this speed bounds every travel time from below.
    top_m_per_ms: f64,
    access_m_per_ms: f64,
    /// The arcs as given, and which of them are closed.
    arcs: Vec<Arc>,
    closed: Vec<bool>,
    kept: usize,
    /// Arc indices by their two ends (lower node first), and by each node they touch.
    between: HashMap<(u32, u32), Vec<u32>>,
    touching: Vec<Vec<u32>>,
    /// Calculators hold per-node scratch space; reused rather than allocated per query.
    calculators: Mutex<Vec<PathCalculator>>,
}

impl Router {
    /// Prepares `arcs` over `points` (longitude, latitude). Points off the network join it at
    /// `access_kmh`. Preparation takes seconds for a city; queries then take microseconds.
    pub fn new(points: Vec<[f64; 2]>, arcs: &[Arc], access_kmh: f64) -> Result<Router, RouteError> {
        Router::build(points, arcs.to_vec(), vec![false; arcs.len()], access_kmh, None)
    }

    /// The same network with `closed` arcs (indices into the arcs given to [`Router::new`])
    /// taken out — roads shut by a flood or a typhoon — and every other arc as it was. The
    /// hierarchy is prepared again in the node order already found, which is several times
    /// faster than finding one; closures of a previous call are not kept.
    pub fn without(&self, closed: &[usize]) -> Result<Router, RouteError> {
        let mut shut = vec![false; self.arcs.len()];
        for &i in closed {
            match shut.get_mut(i) {
                Some(s) => *s = true,
                None => return Err(RouteError::NoSuchArc { index: i, arcs: self.arcs.len() }),
            }
        }
        let order = fast_paths::get_node_ordering(&self.graph);
        Router::build(self.points.clone(), self.arcs.clone(), shut, self.access_m_per_ms * 3600.0, Some(&order))
    }

    fn build(
        points: Vec<[f64; 2]>,
        arcs: Vec<Arc>,
        closed: Vec<bool>,
        access_kmh: f64,
        order: Option<&[usize]>,
    ) -> Result<Router, RouteError> {
        if let Some(index) = points.iter().position(|p| !(p[0].is_finite() && p[1].is_finite())) {
            return Err(RouteError::BadPoint { index });
        }
        let mean_lat = points.iter().map(|p| p[1]).sum::<f64>() / points.len().max(1) as f64;
        let plane = Plane::around(mean_lat);
        let projected: Vec<[f64; 2]> = points.iter().map(|&p| plane.project(p)).collect();
        let mut input = InputGraph::new();
        let mut on_network = vec![false; points.len()];
        let mut top_m_per_ms: f64 = 0.0;
        let mut kept = 0;
        for (index, a) in arcs.iter().enumerate() {
            for node in [a.from, a.to] {
                if node as usize >= points.len() {
                    return Err(RouteError::NoSuchNode { index, node, nodes: points.len() });
                }
            }
            if !(a.seconds.is_finite() && a.seconds > 0.0) {
                return Err(RouteError::BadTime { index, seconds: a.seconds });
            }
            if a.from == a.to || closed[index] {
                continue;
            }
            let ms = weight(a.seconds);
            let metres = distance(projected[a.from as usize], projected[a.to as usize]);
            top_m_per_ms = top_m_per_ms.max(metres / ms as f64);
            if a.both_ways {
                input.add_edge_bidir(a.from as usize, a.to as usize, ms as usize);
            } else {
                input.add_edge(a.from as usize, a.to as usize, ms as usize);
            }
            on_network[a.from as usize] = true;
            on_network[a.to as usize] = true;
            kept += 1;
        }
        if kept == 0 {
            return Err(RouteError::Empty);
        }
        input.freeze();
        // The old order fits only while the closures leave the highest node on the network;
        // otherwise the graph has fewer nodes and the order is found anew.
        let graph = match order.map(|o| fast_paths::prepare_with_order(&input, o)) {
            Some(Ok(g)) => g,
            _ => fast_paths::prepare(&input),
        };
        let index = RTree::bulk_load(
            on_network
                .iter()
                .enumerate()
                .filter(|(_, on)| **on)
                .map(|(i, _)| GeomWithData::new(projected[i], i as u32))
                .collect(),
        );
        let mut between: HashMap<(u32, u32), Vec<u32>> = HashMap::with_capacity(arcs.len());
        let mut touching = vec![Vec::new(); points.len()];
        for (i, a) in arcs.iter().enumerate() {
            if a.from != a.to {
                between.entry((a.from.min(a.to), a.from.max(a.to))).or_default().push(i as u32);
                touching[a.from as usize].push(i as u32);
                touching[a.to as usize].push(i as u32);
            }
        }
        Ok(Router {
            plane,
            points,
            projected,
            graph,
            index,
            top_m_per_ms,
            access_m_per_ms: access_kmh.max(1.0) / 3600.0,
            arcs,
            closed,
            kept,
            between,
            touching,
            calculators: Mutex::new(Vec::new()),
        })
    }

    /// The arcs (indices as given) that the fastest way from `a` to `b` drives along: the
    /// stretch of road between two points picked on a map. Empty when no road leads there.
    pub fn arcs_between(&self, a: [f64; 2], b: [f64; 2]) -> Vec<usize> {
        let Some(route) = self.route_nodes(a, b) else { return Vec::new() };
        let mut out = Vec::new();
        for pair in route.windows(2) {
            let (x, y) = (pair[0] as u32, pair[1] as u32);
            // Parallel arcs: the open one that is driven this way in the least time.
            let best = self.between.get(&(x.min(y), x.max(y))).and_then(|ids| {
                ids.iter()
                    .map(|&i| i as usize)
                    .filter(|&i| !self.closed[i])
                    .filter(|&i| self.arcs[i].both_ways || self.arcs[i].from == x)
                    .min_by(|&i, &j| self.arcs[i].seconds.total_cmp(&self.arcs[j].seconds))
            });
            out.extend(best);
        }
        out
    }

    /// The open arc nearest to a point, measured to the arc's straight stretch.
    pub fn arc_near(&self, p: [f64; 2]) -> Option<usize> {
        if !(p[0].is_finite() && p[1].is_finite()) {
            return None;
        }
        let q = self.plane.project(p);
        // The nearest arc touches one of the nearest few nodes unless arcs are very long;
        // checking the arcs of the eight nearest nodes covers the city's street lattice.
        let mut best: Option<(f64, usize)> = None;
        for node in self.index.nearest_neighbor_iter(&q).take(8) {
            for &i in &self.touching[node.data as usize] {
                let a = &self.arcs[i as usize];
                let d = segment_distance(q, self.projected[a.from as usize], self.projected[a.to as usize]);
                if !self.closed[i as usize] && best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, i as usize));
                }
            }
        }
        best.map(|(_, i)| i)
    }

    /// The arcs closed in this router.
    pub fn closed(&self) -> impl Iterator<Item = usize> + '_ {
        self.closed.iter().enumerate().filter(|(_, c)| **c).map(|(i, _)| i)
    }

    /// The two ends of an arc (longitude, latitude), for drawing it.
    pub fn arc_line(&self, i: usize) -> Option<[[f64; 2]; 2]> {
        let a = self.arcs.get(i)?;
        Some([self.points[a.from as usize], self.points[a.to as usize]])
    }

    pub fn plane(&self) -> Plane {
        self.plane
    }

    pub fn nodes(&self) -> usize {
        self.points.len()
    }

    /// The arcs driven over (self-loops and closed arcs left out).
    pub fn arcs(&self) -> usize {
        self.kept
    }

    pub fn point(&self, node: u32) -> Option<[f64; 2]> {
        self.points.get(node as usize).copied()
    }

    /// Joins a point to its nearest node on the network.
    pub fn snap(&self, p: [f64; 2]) -> Option<Snap> {
        if !(p[0].is_finite() && p[1].is_finite()) {
            return None;
        }
        let q = self.plane.project(p);
        let nearest = self.index.nearest_neighbor(&q)?;
        let metres = distance(q, *nearest.geom());
        Some(Snap { node: nearest.data, access_ms: (metres / self.access_m_per_ms).round() as u64 })
    }

    /// The travel time from one snapped point to another, access legs included; `None` when
    /// no road leads there.
    pub fn travel_ms(&self, from: Snap, to: Snap) -> Option<u64> {
        if !(self.on_graph(from.node) && self.on_graph(to.node)) {
            return None;
        }
        let path = self.with_calculator(|calc| calc.calc_path(&self.graph, from.node as usize, to.node as usize))?;
        Some(from.access_ms + path.get_weight() as u64 + to.access_ms)
    }

    /// The `k` candidates with the shortest travel time to `target`, shortest first (ties by
    /// id); candidates no road leads from are left out. Exact: a candidate is skipped only
    /// when even a straight line at the network's top speed would be slower than the k-th.
    pub fn nearest(&self, target: Snap, candidates: &[Candidate], k: usize) -> Vec<Reach> {
        if k == 0 || !self.on_graph(target.node) {
            return Vec::new();
        }
        let t = self.projected[target.node as usize];
        let mut order: Vec<(f64, &Candidate)> = candidates
            .iter()
            .filter(|c| self.on_graph(c.at.node))
            .map(|c| (self.bound_ms(c.at, t) + target.access_ms as f64, c))
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
        let mut best: Vec<Reach> = Vec::with_capacity(k + 1);
        self.with_calculator(|calc| {
            for (bound, c) in order {
                // A millisecond of slack: the bound is exact in real numbers, not in floats.
                if best.len() == k && bound - 1.0 > best[k - 1].ms as f64 {
                    break;
                }
                let Some(path) = calc.calc_path(&self.graph, c.at.node as usize, target.node as usize) else {
                    continue;
                };
                let reach = Reach { ms: c.at.access_ms + path.get_weight() as u64 + target.access_ms, id: c.id };
                let at = best.partition_point(|r| *r < reach);
                if at < k {
                    best.insert(at, reach);
                    best.truncate(k);
                }
            }
        });
        best
    }

    /// The way to drive from `from` to `to`, with its time.
    pub fn route(&self, from: [f64; 2], to: [f64; 2]) -> Option<Route> {
        let (a, b) = (self.snap(from)?, self.snap(to)?);
        let path = self.with_calculator(|calc| calc.calc_path(&self.graph, a.node as usize, b.node as usize))?;
        let mut points = Vec::with_capacity(path.get_nodes().len() + 2);
        points.push(from);
        points.extend(path.get_nodes().iter().map(|&n| self.points[n]));
        points.push(to);
        Some(Route { ms: a.access_ms + path.get_weight() as u64 + b.access_ms, points })
    }

    fn route_nodes(&self, from: [f64; 2], to: [f64; 2]) -> Option<Vec<usize>> {
        let (a, b) = (self.snap(from)?, self.snap(to)?);
        if !(self.on_graph(a.node) && self.on_graph(b.node)) {
            return None;
        }
        let path = self.with_calculator(|calc| calc.calc_path(&self.graph, a.node as usize, b.node as usize))?;
        Some(path.get_nodes().clone())
    }

    /// Whether the hierarchy knows this node (ids past the last one with an arc it does not).
    fn on_graph(&self, node: u32) -> bool {
        (node as usize) < self.graph.get_num_nodes()
    }

    /// A lower bound on the time from `from` to the node projected at `t`, without the
    /// target's own access leg.
    fn bound_ms(&self, from: Snap, t: [f64; 2]) -> f64 {
        let metres = distance(self.projected[from.node as usize], t);
        let driving = if self.top_m_per_ms > 0.0 { metres / self.top_m_per_ms } else { 0.0 };
        from.access_ms as f64 + driving
    }

    fn with_calculator<R>(&self, f: impl FnOnce(&mut PathCalculator) -> R) -> R {
        let spare = self.calculators.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut calc = spare.unwrap_or_else(|| fast_paths::create_calculator(&self.graph));
        let out = f(&mut calc);
        self.calculators.lock().unwrap_or_else(|e| e.into_inner()).push(calc);
        out
    }
}

/// Seconds as the whole, positive milliseconds the hierarchy adds up.
fn weight(seconds: f64) -> u64 {
    ((seconds * 1000.0).round() as u64).max(1)
}

fn distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Distance from `p` to the segment `a`–`b`, in the plane.
fn segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    distance(p, [a[0] + t * dx, a[1] + t * dy])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four corners of a 1 km square in Ningbo, with a one-way street along the south side.
    fn square() -> Router {
        let d = 1000.0 / 111_320.0;
        let points =
            vec![[121.55, 29.87], [121.55 + d * 1.15, 29.87], [121.55 + d * 1.15, 29.87 + d], [121.55, 29.87 + d]];
        let arcs = [
            Arc { from: 0, to: 1, seconds: 60.0, both_ways: false },
            Arc { from: 1, to: 2, seconds: 60.0, both_ways: true },
            Arc { from: 2, to: 3, seconds: 60.0, both_ways: true },
            Arc { from: 3, to: 0, seconds: 60.0, both_ways: true },
        ];
        Router::new(points, &arcs, 6.0).unwrap()
    }

    #[test]
    fn a_one_way_street_is_driven_one_way_only() {
        let r = square();
        let at = |n: u32| Snap { node: n, access_ms: 0 };
        assert_eq!(r.travel_ms(at(0), at(1)), Some(60_000));
        assert_eq!(r.travel_ms(at(1), at(0)), Some(180_000), "round the other three sides");
    }

    #[test]
    fn the_nearest_are_by_road_not_by_straight_line() {
        let r = square();
        let at = |n: u32| Snap { node: n, access_ms: 0 };
        // To corner 0: the unit at corner 1 is one side away as the crow flies but three by road.
        let units = [Candidate { id: 7, at: at(1) }, Candidate { id: 8, at: at(2) }, Candidate { id: 9, at: at(3) }];
        let best = r.nearest(at(0), &units, 2);
        assert_eq!(best, vec![Reach { ms: 60_000, id: 9 }, Reach { ms: 120_000, id: 8 }]);
    }

    #[test]
    fn a_point_off_the_road_walks_to_its_nearest_node() {
        let r = square();
        let s = r.snap([121.55, 29.87 - 100.0 / 111_320.0]).unwrap();
        assert_eq!(s.node, 0);
        assert_eq!(s.access_ms, 60_000, "100 m at 6 km/h");
        let route = r.route([121.55, 29.87], [121.55, 29.87 + 1000.0 / 111_320.0]).unwrap();
        assert_eq!(route.ms, 60_000);
        assert_eq!(route.points.len(), 4, "start, two nodes, end");
    }

    #[test]
    fn bad_networks_are_refused_with_the_arc_named() {
        let p = vec![[121.5, 29.8], [121.6, 29.8]];
        let bad_node = Router::new(p.clone(), &[Arc { from: 0, to: 5, seconds: 1.0, both_ways: true }], 5.0);
        assert_eq!(bad_node.err(), Some(RouteError::NoSuchNode { index: 0, node: 5, nodes: 2 }));
        let bad_time = Router::new(p.clone(), &[Arc { from: 0, to: 1, seconds: f64::NAN, both_ways: true }], 5.0);
        assert!(matches!(bad_time.err(), Some(RouteError::BadTime { index: 0, .. })));
        assert_eq!(Router::new(p, &[], 5.0).err(), Some(RouteError::Empty));
    }
}
