//! The router against a brute-force model: for random networks (one-way and two-way arcs,
//! unreachable parts, units sharing a node) the k nearest by travel time must be exactly what
//! Dijkstra over every node gives, times to the millisecond and ties broken by id.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use ningan_route::{Arc, Candidate, Reach, Router, Snap};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Case {
    points: Vec<[f64; 2]>,
    arcs: Vec<Arc>,
    units: Vec<(u32, u64)>,
    target: (u32, u64),
    k: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (2usize..40).prop_flat_map(|n| {
        let point = (121.50..121.56f64, 29.84..29.88f64).prop_map(|(x, y)| [x, y]);
        let arc = (0..n as u32, 0..n as u32, 1.0..600.0f64, any::<bool>())
            .prop_map(|(from, to, seconds, both_ways)| Arc { from, to, seconds, both_ways });
        (
            prop::collection::vec(point, n),
            prop::collection::vec(arc, 1..n * 3),
            prop::collection::vec((0..n as u32, 0..120_000u64), 0..30),
            (0..n as u32, 0..60_000u64),
            1usize..7,
        )
            .prop_map(|(points, arcs, units, target, k)| Case { points, arcs, units, target, k })
    })
}

/// Shortest times in whole milliseconds from every node to `target`, by Dijkstra over the
/// arcs turned around.
fn times_to(case: &Case, target: u32) -> Vec<Option<u64>> {
    let n = case.points.len();
    let mut into: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n];
    for a in &case.arcs {
        let ms = ((a.seconds * 1000.0).round() as u64).max(1);
        into[a.to as usize].push((a.from as usize, ms));
        if a.both_ways {
            into[a.from as usize].push((a.to as usize, ms));
        }
    }
    let mut best = vec![None; n];
    let mut heap = BinaryHeap::from([Reverse((0u64, target as usize))]);
    while let Some(Reverse((d, v))) = heap.pop() {
        if best[v].is_some() {
            continue;
        }
        best[v] = Some(d);
        for &(u, w) in &into[v] {
            if best[u].is_none() {
                heap.push(Reverse((d + w, u)));
            }
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_nearest_by_road_are_exactly_what_dijkstra_finds(case in case()) {
        let Ok(router) = Router::new(case.points.clone(), &case.arcs, 5.0) else {
            // Only self-loops were drawn: nothing to route over, and refusing it is right.
            prop_assert!(case.arcs.iter().all(|a| a.from == a.to));
            return Ok(());
        };
        let on_network = |node: u32| case.arcs.iter().any(|a| a.from != a.to && (a.from == node || a.to == node));
        prop_assume!(on_network(case.target.0));
        let target = Snap { node: case.target.0, access_ms: case.target.1 };
        let units: Vec<Candidate> = case
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| on_network(u.0))
            .map(|(i, &(node, access_ms))| Candidate { id: i as i64, at: Snap { node, access_ms } })
            .collect();
        let times = times_to(&case, target.node);
        let mut expected: Vec<Reach> = units
            .iter()
            .filter_map(|u| Some(Reach { ms: u.at.access_ms + times[u.at.node as usize]? + target.access_ms, id: u.id }))
            .collect();
        expected.sort();
        expected.truncate(case.k);
        prop_assert_eq!(router.nearest(target, &units, case.k), expected);
        for u in &units {
            let brute = times[u.at.node as usize].map(|t| u.at.access_ms + t + target.access_ms);
            prop_assert_eq!(router.travel_ms(u.at, target), brute);
        }
    }
}
