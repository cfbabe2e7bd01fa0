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
    times_without(case, target, &[])
}

/// The same, with the arcs at `closed` taken out of the network.
fn times_without(case: &Case, target: u32, closed: &[usize]) -> Vec<Option<u64>> {
    let n = case.points.len();
    let mut into: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n];
    for (i, a) in case.arcs.iter().enumerate() {
        if closed.contains(&i) {
            continue;
        }
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Roads shut by a flood: the router without them answers what Dijkstra finds on the
    /// network that is left, and the stretch between two nodes is a chain of open arcs.
    #[test]
    fn closed_arcs_are_driven_around_exactly(case in case(), shut in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let Ok(router) = Router::new(case.points.clone(), &case.arcs, 5.0) else { return Ok(()) };
        let mut closed: Vec<usize> = shut.iter().map(|i| i.index(case.arcs.len())).collect();
        closed.sort_unstable();
        closed.dedup();
        let Ok(open) = router.without(&closed) else {
            // Closing every real arc leaves nothing to drive.
            prop_assert!(case.arcs.iter().enumerate().all(|(i, a)| a.from == a.to || closed.contains(&i)));
            return Ok(());
        };
        prop_assert_eq!(open.closed().collect::<Vec<_>>(), closed.clone());
        let driven = |node: u32| case.arcs.iter().enumerate().any(|(i, a)| a.from != a.to && !closed.contains(&i) && (a.from == node || a.to == node));
        for target in 0..case.points.len() as u32 {
            if !driven(target) {
                continue;
            }
            let times = times_without(&case, target, &closed);
            for from in 0..case.points.len() as u32 {
                if !driven(from) {
                    continue;
                }
                let got = open.travel_ms(Snap { node: from, access_ms: 0 }, Snap { node: target, access_ms: 0 });
                prop_assert_eq!(got, times[from as usize], "from {} to {}", from, target);
            }
        }
        if let Some(i) = open.arc_near(case.points[0]) {
            prop_assert!(!closed.contains(&i));
        }
    }
}

/// A square with two ways round: closing the short side sends the route the long way, and
/// the stretch picked between two corners is the arcs along it.
#[test]
fn a_closed_street_is_routed_round_and_picked_by_its_ends() {
    let d = 1000.0 / 111_320.0;
    let points = vec![[121.55, 29.87], [121.55 + d, 29.87], [121.55 + d, 29.87 + d], [121.55, 29.87 + d]];
    let arcs = [
        Arc { from: 0, to: 1, seconds: 60.0, both_ways: true },
        Arc { from: 1, to: 2, seconds: 60.0, both_ways: true },
        Arc { from: 2, to: 3, seconds: 60.0, both_ways: true },
        Arc { from: 3, to: 0, seconds: 60.0, both_ways: true },
    ];
    let router = Router::new(points.clone(), &arcs, 5.0).expect("a square routes");
    let corner = |i: usize| Snap { node: i as u32, access_ms: 0 };
    assert_eq!(router.travel_ms(corner(0), corner(1)), Some(60_000));
    assert_eq!(router.arcs_between(points[0], points[1]), vec![0]);
    assert_eq!(router.arc_near([121.55 + d / 2.0, 29.87 + 0.0001]), Some(0));
    let shut = router.without(&[0]).expect("three sides still route");
    assert_eq!(shut.travel_ms(corner(0), corner(1)), Some(180_000));
    assert_eq!(shut.arcs_between(points[0], points[1]), vec![3, 2, 1]);
    assert_eq!(shut.arc_near([121.55 + d / 2.0, 29.87 + 0.0001]).map(|i| i == 0), Some(false));
    assert!(router.without(&[9]).is_err(), "an arc that does not exist cannot be closed");
}
