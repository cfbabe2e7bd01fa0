//! A synthetic street network for the demo city, whose real one is not at hand offline: a
//! lattice of named roads laid over the districts' land, dense (a street every 300 m) around
//! each district's centre and sparse (an arterial every 1.5 km) elsewhere. It is a graph —
//! nodes at crossings, edges with lengths — so maps draw it and dispatch can route over it.
//!
//! Rows and columns of one lattice cover the whole city, so arterials run straight across
//! district borders and every street in a centre meets the arterials around it: the graph of
//! one connected piece of land is connected.

use std::collections::HashMap;

use crate::geo::{MultiPolygon, Point};

/// Distance between neighbouring streets in a centre.
pub const STEP_M: f64 = 300.0;
/// Every fifth lattice line is an arterial, present wherever there is land.
pub const ARTERIAL_EVERY: i64 = 5;
/// How far from a district's centre the dense streets reach.
pub const CORE_RADIUS_M: f64 = 2_500.0;
/// The widest water an arterial bridges, in lattice steps (1.2 km): rivers, creeks and the
/// narrows between the districts' shores, not the open bays.
pub const BRIDGE_STEPS: i64 = 4;
const M_PER_DEG_LAT: f64 = 111_320.0;

/// Land to lay roads on: a district's shape and the point its dense centre grows from.
pub struct Area<'a> {
    pub shape: &'a MultiPolygon,
    pub core: Point,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoadClass {
    Arterial,
    Street,
}

impl RoadClass {
    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Arterial => "arterial",
            RoadClass::Street => "street",
        }
    }

    /// The speed a patrol car keeps on such a road, in km/h: an urban arterial's limit, a
    /// street's with crossings every 300 m.
    pub fn speed_kmh(self) -> f64 {
        match self {
            RoadClass::Arterial => 50.0,
            RoadClass::Street => 30.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Road {
    pub name: String,
    pub name_en: String,
    pub class: RoadClass,
    /// Stretches of consecutive nodes, west to east or south to north; a road leaves and
    /// re-enters land (rivers, bays, the edge of a centre), so it may have several.
    pub runs: Vec<Vec<u32>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub from: u32,
    pub to: u32,
    pub road: u32,
    pub metres: f64,
    /// Crosses water between two shores.
    pub bridge: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RoadNetwork {
    pub nodes: Vec<Point>,
    pub edges: Vec<Edge>,
    pub roads: Vec<Road>,
}

/// The lattice's geometry: degrees per step at the city's latitude.
#[derive(Clone, Copy)]
struct Lattice {
    dlon: f64,
    dlat: f64,
}

impl Lattice {
    fn at(&self, lat0: f64) -> Lattice {
        let dlat = STEP_M / M_PER_DEG_LAT;
        Lattice { dlat, dlon: dlat / lat0.to_radians().cos().max(0.1) }
    }

    fn point(&self, i: i64, j: i64) -> Point {
        [i as f64 * self.dlon, j as f64 * self.dlat]
    }
}

/// Lays the network over `areas`. Deterministic: the same areas give the same network.
pub fn generate(areas: &[Area<'_>]) -> RoadNetwork {
    let boxes: Vec<(Point, Point)> = areas.iter().filter_map(|a| a.shape.bbox()).collect();
    let Some(&(first_lo, first_hi)) = boxes.first() else { return RoadNetwork::default() };
    let (lo, hi) = boxes.iter().fold((first_lo, first_hi), |(lo, hi), &(l, h)| {
        ([lo[0].min(l[0]), lo[1].min(l[1])], [hi[0].max(h[0]), hi[1].max(h[1])])
    });
    let lattice = Lattice { dlon: 0.0, dlat: 0.0 }.at((lo[1] + hi[1]) / 2.0);
    let cos = ((lo[1] + hi[1]) / 2.0).to_radians().cos();
    let in_core = |p: Point| {
        areas.iter().any(|a| {
            let dx = (p[0] - a.core[0]) * M_PER_DEG_LAT * cos;
            let dy = (p[1] - a.core[1]) * M_PER_DEG_LAT;
            dx * dx + dy * dy <= CORE_RADIUS_M * CORE_RADIUS_M
        })
    };
    let (j0, j1) = ((lo[1] / lattice.dlat).floor() as i64, (hi[1] / lattice.dlat).ceil() as i64);

    // Which lattice points are on land and carry a road, found row by row.
    let mut net = RoadNetwork::default();
    let mut index: HashMap<(i64, i64), u32> = HashMap::new();
    let mut core: HashMap<(i64, i64), bool> = HashMap::new();
    for j in j0..=j1 {
        let lat = j as f64 * lattice.dlat;
        for area in areas {
            for (w, e) in area.shape.row_intervals(lat) {
                let (iw, ie) = ((w / lattice.dlon).ceil() as i64, (e / lattice.dlon).floor() as i64);
                for i in iw..=ie {
                    let p = lattice.point(i, j);
                    let dense = in_core(p);
                    if (dense || i.rem_euclid(ARTERIAL_EVERY) == 0 || j.rem_euclid(ARTERIAL_EVERY) == 0)
                        && !index.contains_key(&(i, j))
                    {
                        index.insert((i, j), net.nodes.len() as u32);
                        core.insert((i, j), dense);
                        net.nodes.push(p);
                    }
                }
            }
        }
    }

    // Roads along rows (east–west), then columns (north–south). A step between two nodes is
    // road when the line is an arterial or both ends lie in a centre.
    let mut keys: Vec<(i64, i64)> = index.keys().copied().collect();
    for axis in [Axis::Row, Axis::Column] {
        keys.sort_by_key(|&(i, j)| match axis {
            Axis::Row => (j, i),
            Axis::Column => (i, j),
        });
        let mut current: Option<(i64, usize)> = None; // (line, road index)
        let mut run: Vec<u32> = Vec::new();
        let mut prev: Option<(i64, i64)> = None;
        let flush = |net: &mut RoadNetwork, current: Option<(i64, usize)>, run: &mut Vec<u32>| {
            if let (Some((_, r)), true) = (current, run.len() > 1) {
                net.roads[r].runs.push(std::mem::take(run));
            }
            run.clear();
        };
        for &(i, j) in &keys {
            let (line, along) = match axis {
                Axis::Row => (j, i),
                Axis::Column => (i, j),
            };
            let arterial = line.rem_euclid(ARTERIAL_EVERY) == 0;
            let here = index[&(i, j)];
            // An arterial is on every lattice point of land, so a gap along it is water: it
            // bridges a narrow one. Streets stop at the shore.
            let gap = prev.and_then(|(pi, pj)| {
                let (pline, palong) = match axis {
                    Axis::Row => (pj, pi),
                    Axis::Column => (pi, pj),
                };
                (pline == line).then_some((along - palong, core[&(pi, pj)] && core[&(i, j)]))
            });
            let joined = match gap {
                Some((1, both_core)) => arterial || both_core,
                Some((steps, _)) => arterial && steps <= BRIDGE_STEPS,
                None => false,
            };
            let bridge = gap.is_some_and(|(steps, _)| steps > 1);
            if joined {
                let from = *run.last().unwrap_or(&here);
                let road = match current {
                    Some((l, r)) if l == line => r,
                    _ => {
                        let r = net.roads.len();
                        net.roads.push(name(axis, line, arterial));
                        current = Some((line, r));
                        r
                    }
                };
                run.push(here);
                let metres = distance_m(net.nodes[from as usize], net.nodes[here as usize], cos);
                net.edges.push(Edge { from, to: here, road: road as u32, metres, bridge });
            } else {
                flush(&mut net, current, &mut run);
                if current.is_some_and(|(l, _)| l != line) {
                    current = None;
                }
                run.push(here);
            }
            prev = Some((i, j));
        }
        flush(&mut net, current, &mut run);
    }
    net.roads.retain(|r| !r.runs.is_empty());
    net
}

#[derive(Clone, Copy)]
enum Axis {
    Row,
    Column,
}

fn distance_m(a: Point, b: Point, cos: f64) -> f64 {
    let dx = (a[0] - b[0]) * M_PER_DEG_LAT * cos;
    let dy = (a[1] - b[1]) * M_PER_DEG_LAT;
    (dx * dx + dy * dy).sqrt()
}

/// Name stems, Chinese with their pinyin, in the manner of Ningbo's street names.
const STEMS: &[(&str, &str)] = &[
    ("中山", "Zhongshan"),
    ("解放", "Jiefang"),
    ("人民", "Renmin"),
    ("和义", "Heyi"),
    ("江东", "Jiangdong"),
    ("百丈", "Baizhang"),
    ("天童", "Tiantong"),
    ("宁穿", "Ningchuan"),
    ("世纪", "Shiji"),
    ("环城", "Huancheng"),
    ("钱湖", "Qianhu"),
    ("四明", "Siming"),
    ("海晏", "Haiyan"),
    ("甬江", "Yongjiang"),
    ("药行", "Yaohang"),
    ("灵桥", "Lingqiao"),
    ("柳汀", "Liuting"),
    ("望春", "Wangchun"),
    ("鄞县", "Yinxian"),
    ("桑田", "Sangtian"),
    ("福明", "Fuming"),
    ("兴宁", "Xingning"),
    ("惊驾", "Jingjia"),
    ("首南", "Shounan"),
    ("学士", "Xueshi"),
    ("泰康", "Taikang"),
    ("长春", "Changchun"),
    ("槐树", "Huaishu"),
    ("大闸", "Dazha"),
    ("北环", "Beihuan"),
    ("南环", "Nanhuan"),
    ("东环", "Donghuan"),
    ("新典", "Xindian"),
    ("通途", "Tongtu"),
    ("明州", "Mingzhou"),
    ("翠柏", "Cuibai"),
    ("丽园", "Liyuan"),
    ("苍松", "Cangsong"),
    ("镇明", "Zhenming"),
    ("开明", "Kaiming"),
    ("县前", "Xianqian"),
    ("孝闻", "Xiaowen"),
    ("天一", "Tianyi"),
    ("月湖", "Yuehu"),
    ("庆丰", "Qingfeng"),
    ("姚江", "Yaojiang"),
    ("慈城", "Cicheng"),
    ("梅墟", "Meixu"),
];

const NUMERALS: &[(&str, &str)] =
    &[("", ""), ("二", " 2nd"), ("三", " 3rd"), ("四", " 4th"), ("五", " 5th"), ("六", " 6th"), ("七", " 7th")];

/// A road's name from its line: rows are 路 (Road), columns 街 (Street), arterials 大道
/// (Avenue) or 大街 (Boulevard). Columns start elsewhere in the stems so that a crossing
/// does not join two roads of one name.
fn name(axis: Axis, line: i64, arterial: bool) -> Road {
    let n = STEMS.len() as i64;
    let k = match axis {
        Axis::Row => line,
        Axis::Column => line + n / 2,
    }
    .rem_euclid(n * NUMERALS.len() as i64);
    let (stem, stem_en) = STEMS[(k % n) as usize];
    let (num, num_en) = NUMERALS[(k / n) as usize];
    let (suffix, suffix_en) = match (axis, arterial) {
        (Axis::Row, true) => ("大道", "Avenue"),
        (Axis::Row, false) => ("路", "Road"),
        (Axis::Column, true) => ("大街", "Boulevard"),
        (Axis::Column, false) => ("街", "Street"),
    };
    Road {
        name: format!("{stem}{num}{suffix}"),
        name_en: format!("{stem_en}{num_en} {suffix_en}"),
        class: if arterial { RoadClass::Arterial } else { RoadClass::Street },
        runs: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::Polygon;
    use proptest::prelude::*;
    use std::collections::{HashSet, VecDeque};

    fn rect(x0: f64, y0: f64, w: f64, h: f64) -> MultiPolygon {
        MultiPolygon {
            polygons: vec![Polygon {
                rings: vec![vec![[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]],
            }],
        }
    }

    fn components(net: &RoadNetwork) -> usize {
        let mut adj = vec![Vec::new(); net.nodes.len()];
        for e in &net.edges {
            adj[e.from as usize].push(e.to as usize);
            adj[e.to as usize].push(e.from as usize);
        }
        let mut seen = vec![false; net.nodes.len()];
        let mut count = 0;
        for start in 0..net.nodes.len() {
            if seen[start] {
                continue;
            }
            count += 1;
            let mut queue = VecDeque::from([start]);
            seen[start] = true;
            while let Some(n) = queue.pop_front() {
                for &m in &adj[n] {
                    if !seen[m] {
                        seen[m] = true;
                        queue.push_back(m);
                    }
                }
            }
        }
        count
    }

    #[test]
    fn a_district_gets_dense_streets_at_its_centre_and_arterials_around_one_connected_graph() {
        // About 20 km × 20 km near Ningbo's latitude.
        let land = rect(121.4, 29.8, 0.2, 0.18);
        let net = generate(&[Area { shape: &land, core: [121.5, 29.89] }]);
        assert!(net.nodes.iter().all(|&p| land.contains(p)), "every node on land");
        assert_eq!(components(&net), 1, "one piece of land, one connected network");
        assert!(net.edges.iter().all(|e| (e.metres - STEP_M).abs() < 1.0), "edges join lattice neighbours");
        let streets = net.roads.iter().filter(|r| r.class == RoadClass::Street).count();
        let arterials = net.roads.iter().filter(|r| r.class == RoadClass::Arterial).count();
        // A 5 km wide centre crosses about 16 lines each way; 20 km of land about 14 arterials.
        assert!((25..=40).contains(&streets), "{streets} streets");
        assert!((20..=35).contains(&arterials), "{arterials} arterials");
        let names: HashSet<&str> = net.roads.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.len(), net.roads.len(), "names are distinct");
        assert!(net.roads.iter().all(|r| !r.name_en.is_empty() && r.name_en.is_ascii()));
    }

    #[test]
    fn two_islands_make_two_networks_and_no_road_crosses_the_water() {
        let (a, b) = (rect(121.0, 29.0, 0.1, 0.1), rect(121.3, 29.0, 0.1, 0.1));
        let net = generate(&[Area { shape: &a, core: [121.05, 29.05] }, Area { shape: &b, core: [121.35, 29.05] }]);
        assert_eq!(components(&net), 2);
        assert!(net.edges.iter().all(|e| e.metres < STEP_M * 1.01));
    }

    #[test]
    fn arterials_bridge_a_narrow_strait_and_streets_stop_at_the_shore() {
        // Two shores 600 m apart: two lattice steps of water.
        let step = STEP_M / M_PER_DEG_LAT;
        let (a, b) = (rect(121.0, 29.0, 0.1, 0.1), rect(121.1 + 2.0 * step * 1.15, 29.0, 0.1, 0.1));
        let net = generate(&[Area { shape: &a, core: [121.05, 29.05] }, Area { shape: &b, core: [121.2, 29.05] }]);
        assert_eq!(components(&net), 1, "the bridges join the shores");
        let bridges: Vec<&Edge> = net.edges.iter().filter(|e| e.bridge).collect();
        assert!(!bridges.is_empty());
        assert!(bridges.iter().all(|e| net.roads[e.road as usize].class == RoadClass::Arterial));
        assert!(bridges.iter().all(|e| e.metres > STEP_M * 1.5 && e.metres <= STEP_M * BRIDGE_STEPS as f64 + 1.0));
        assert!(net.edges.iter().filter(|e| !e.bridge).all(|e| e.metres < STEP_M * 1.01), "the rest join neighbours");
    }

    #[test]
    fn no_land_no_roads() {
        let net = generate(&[]);
        assert!(net.nodes.is_empty() && net.edges.is_empty() && net.roads.is_empty());
    }

    proptest! {
        /// Against brute force: the nodes are exactly the lattice points inside the land that
        /// lie on an arterial line or within the centre's radius, tested one by one.
        #[test]
        fn nodes_are_exactly_the_lattice_points_a_point_by_point_test_keeps(
            x0 in 121.0f64..121.2, y0 in 29.5f64..29.9, w in 0.01f64..0.08, h in 0.01f64..0.08,
            cx in 0.0f64..1.0, cy in 0.0f64..1.0,
        ) {
            let land = rect(x0, y0, w, h);
            let core = [x0 + cx * w, y0 + cy * h];
            let net = generate(&[Area { shape: &land, core }]);
            // The lattice is fitted to the bounding box's middle latitude, as `generate` does.
            let (lo, hi) = land.bbox().unwrap();
            let lattice = Lattice { dlon: 0.0, dlat: 0.0 }.at((lo[1] + hi[1]) / 2.0);
            let cos = ((lo[1] + hi[1]) / 2.0).to_radians().cos();
            let mut expected = HashSet::new();
            let (i0, i1) = ((x0 / lattice.dlon).floor() as i64 - 1, ((x0 + w) / lattice.dlon).ceil() as i64 + 1);
            let (j0, j1) = ((y0 / lattice.dlat).floor() as i64 - 1, ((y0 + h) / lattice.dlat).ceil() as i64 + 1);
            for i in i0..=i1 {
                for j in j0..=j1 {
                    let p = lattice.point(i, j);
                    let dense = distance_m(p, core, cos) <= CORE_RADIUS_M;
                    if land.contains(p) && (dense || i % ARTERIAL_EVERY == 0 || j % ARTERIAL_EVERY == 0) {
                        expected.insert((p[0].to_bits(), p[1].to_bits()));
                    }
                }
            }
            let got: HashSet<(u64, u64)> = net.nodes.iter().map(|p| (p[0].to_bits(), p[1].to_bits())).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
