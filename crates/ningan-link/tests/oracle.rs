//! The link-analysis engine against brute force on small random graphs: filtered
//! neighbours against summing every record, paths against Floyd–Warshall and enumeration of
//! every simple path, expansion against plain breadth-first search, money paths against
//! enumerating every simple chain of transfers, betweenness against counting shortest paths
//! pair by pair, and Louvain's modularity against the formula, never worse than leaving
//! every node alone.

// The brute-force models index matrices by node number on purpose: they mirror the maths.
#![allow(clippy::needless_range_loop)]

use ningan_link::{Filter, Graph, Kind, Relation, centrality, communities, modularity};
use proptest::prelude::*;

fn kind(i: u8) -> Kind {
    Kind::ALL[(i % 4) as usize]
}

fn graph() -> impl Strategy<Value = (u32, Vec<Relation>)> {
    (2u32..12).prop_flat_map(|n| {
        let rel = (0..n, 0..n, 0u8..4, 0i64..100, 0i64..50).prop_map(|(from, to, k, at, amount)| Relation {
            from,
            to,
            kind: kind(k),
            at,
            amount: if kind(k) == Kind::Transfer { amount } else { 0 },
            record: 0,
        });
        (Just(n), prop::collection::vec(rel, 0..40))
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    // Half the filters ask no least count or amount: the engine's fast path for them.
    let least = prop_oneof![Just((1u32, 0i64)), (1u32..3, 0i64..20)];
    (prop::collection::vec(0u8..4, 1..4), 0i64..60, 40i64..101, least).prop_map(|(ks, from, to, (c, a))| {
        let kinds: Vec<Kind> = ks.into_iter().map(kind).collect();
        Filter::default().kinds(&kinds).window(from, to).min_count(c).min_amount(a)
    })
}

/// Which pairs the filter keeps, by summing every record.
fn adjacency(n: u32, rels: &[Relation], f: &Filter) -> Vec<Vec<bool>> {
    let mut count = vec![vec![0u32; n as usize]; n as usize];
    let mut amount = vec![vec![0i64; n as usize]; n as usize];
    for r in rels.iter().filter(|r| f.admits(r) && r.from != r.to) {
        for (a, b) in [(r.from, r.to), (r.to, r.from)] {
            count[a as usize][b as usize] += 1;
            amount[a as usize][b as usize] += r.amount;
        }
    }
    (0..n as usize)
        .map(|a| {
            (0..n as usize)
                .map(|b| count[a][b] >= f.min_count && count[a][b] > 0 && amount[a][b] >= f.min_amount)
                .collect()
        })
        .collect()
}

fn floyd(adj: &[Vec<bool>]) -> Vec<Vec<u32>> {
    let n = adj.len();
    let inf = u32::MAX / 4;
    let mut d = vec![vec![inf; n]; n];
    for i in 0..n {
        d[i][i] = 0;
        for j in 0..n {
            if adj[i][j] {
                d[i][j] = 1;
            }
        }
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                d[i][j] = d[i][j].min(d[i][k] + d[k][j]);
            }
        }
    }
    d
}

/// Every simple path from a to b of exactly `len` hops.
fn paths_of(adj: &[Vec<bool>], a: usize, b: usize, len: usize) -> Vec<Vec<u32>> {
    fn go(adj: &[Vec<bool>], path: &mut Vec<usize>, b: usize, len: usize, out: &mut Vec<Vec<u32>>) {
        let last = *path.last().unwrap();
        if path.len() - 1 == len {
            if last == b {
                out.push(path.iter().map(|&x| x as u32).collect());
            }
            return;
        }
        for m in 0..adj.len() {
            if adj[last][m] && !path.contains(&m) {
                path.push(m);
                go(adj, path, b, len, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    go(adj, &mut vec![a], b, len, &mut out);
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn neighbours_and_paths_are_what_brute_force_finds((n, rels) in graph(), f in filter()) {
        let g = Graph::build(n, rels.clone()).unwrap();
        let adj = adjacency(n, &rels, &f);
        let d = floyd(&adj);
        for a in 0..n {
            let mut got: Vec<u32> = g.neighbours(a, &f).iter().map(|l| l.node).collect();
            got.sort_unstable();
            let want: Vec<u32> = (0..n).filter(|&b| adj[a as usize][b as usize]).collect();
            prop_assert_eq!(&got, &want, "neighbours of {}", a);
            for l in g.neighbours(a, &f) {
                let recs = g.records_between(a, l.node, &f);
                prop_assert_eq!(recs.len() as u32, l.count);
                prop_assert_eq!(recs.iter().map(|r| r.amount).sum::<i64>(), l.amount);
            }
            for b in 0..n {
                let dist = d[a as usize][b as usize];
                let p = g.shortest_path(a, b, &f, 20);
                if dist > 20 {
                    prop_assert!(p.is_none(), "{} and {} are not joined", a, b);
                    continue;
                }
                let p = p.expect("joined");
                prop_assert_eq!(p.len() as u32 - 1, dist);
                prop_assert_eq!((p[0], *p.last().unwrap()), (a, b));
                for w in p.windows(2) {
                    prop_assert!(adj[w[0] as usize][w[1] as usize], "{:?} follows links", p);
                }
                if dist <= 3 {
                    prop_assert!(g.shortest_path(a, b, &f, dist.saturating_sub(1)).is_none() || dist == 0);
                }
                let (all, more) = g.all_shortest_paths(a, b, &f, 20, 1000);
                prop_assert!(!more);
                prop_assert_eq!(all, paths_of(&adj, a as usize, b as usize, dist as usize));
            }
        }
    }

    #[test]
    fn expansion_reaches_what_breadth_first_search_does_and_names_what_it_left(
        (n, rels) in graph(), f in filter(), hops in 0u32..4, per_node in 1usize..6
    ) {
        let g = Graph::build(n, rels.clone()).unwrap();
        let adj = adjacency(n, &rels, &f);
        let d = floyd(&adj);
        let full = g.expand(&[0], hops, &f, usize::MAX, usize::MAX);
        let mut got: Vec<(u32, u32)> = full.nodes.clone();
        got.sort_unstable();
        let want: Vec<(u32, u32)> = (0..n).filter(|&b| d[0][b as usize] <= hops).map(|b| (b, d[0][b as usize])).collect();
        prop_assert_eq!(&got, &want);
        prop_assert!(full.left_out.is_empty());
        let mut reach = g.reach(&[0], hops, &f);
        reach.sort_unstable();
        prop_assert_eq!(reach, want, "reach holds the same as an uncapped expansion");
        let shown: Vec<u32> = full.nodes.iter().map(|x| x.0).collect();
        let links = (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .filter(|&(a, b)| adj[a as usize][b as usize] && shown.contains(&a) && shown.contains(&b)).count();
        prop_assert_eq!(full.links.len(), links);
        // Capped: nothing beyond the cap from any node, and every cut named.
        let capped = g.expand(&[0], hops, &f, per_node, usize::MAX);
        for l in &capped.left_out {
            prop_assert_eq!(l.links, g.neighbours(l.node, &f).len());
            prop_assert!(l.dropped > 0 && l.links > per_node);
        }
        prop_assert!(capped.nodes.len() <= full.nodes.len());
        let small = g.expand(&[0], hops, &f, usize::MAX, 3);
        prop_assert!(small.nodes.len() <= 3);
        if full.nodes.len() > 3 {
            prop_assert!(!small.left_out.is_empty(), "a cut is reported");
        }
    }

    #[test]
    fn money_paths_are_every_chain_of_transfers_that_follow_in_time((n, rels) in graph(), f in filter()) {
        let g = Graph::build(n, rels.clone()).unwrap();
        let f = f.kinds(&[Kind::Transfer]);
        for (a, b) in [(0u32, n - 1), (1 % n, 0)] {
            let got = g.money_paths(a, b, &f, 4, 10_000);
            // Brute force: every simple chain up to four hops.
            let mut want = Vec::new();
            fn chains(rels: &[Relation], f: &Filter, b: u32, nodes: &mut Vec<u32>, amounts: &mut Vec<i64>, since: i64, out: &mut Vec<(Vec<u32>, Vec<i64>)>) {
                let at = *nodes.last().unwrap();
                if at == b && !amounts.is_empty() {
                    out.push((nodes.clone(), amounts.clone()));
                    return;
                }
                if amounts.len() == 4 { return; }
                for next in 0..64u32 {
                    if nodes.contains(&next) { continue; }
                    let hop: Vec<&Relation> = rels.iter().filter(|r| r.from == at && r.to == next && f.admits(r) && r.at >= since).collect();
                    let sum: i64 = hop.iter().map(|r| r.amount).sum();
                    if hop.is_empty() || sum < f.min_amount.max(1) { continue; }
                    let first = hop.iter().map(|r| r.at).min().unwrap();
                    nodes.push(next); amounts.push(sum);
                    chains(rels, f, b, nodes, amounts, first, out);
                    nodes.pop(); amounts.pop();
                }
            }
            if a != b {
                chains(&rels, &f, b, &mut vec![a], &mut Vec::new(), i64::MIN, &mut want);
            }
            let mut got_sets: Vec<(Vec<u32>, Vec<i64>)> = got.iter().map(|p| (p.nodes.clone(), p.amounts.clone())).collect();
            got_sets.sort();
            want.sort();
            prop_assert_eq!(&got_sets, &want);
            for p in &got {
                prop_assert_eq!(p.flow, *p.amounts.iter().min().unwrap());
            }
            prop_assert!(got.windows(2).all(|w| w[0].flow >= w[1].flow), "largest flows first");
        }
    }

    #[test]
    fn betweenness_counts_shortest_paths_through_each_node((n, rels) in graph(), f in filter()) {
        let g = Graph::build(n, rels.clone()).unwrap();
        let adj = adjacency(n, &rels, &f);
        let d = floyd(&adj);
        let all: Vec<u32> = (0..n).collect();
        let got = centrality(&g, &f, &all);
        for c in got {
            let (v, degree, between) = (c.node, c.degree, c.betweenness);
            let strength: u32 = rels
                .iter()
                .filter(|r| f.admits(r) && r.from != r.to && (r.from == v || r.to == v))
                .filter(|r| adj[r.from as usize][r.to as usize])
                .count() as u32;
            prop_assert_eq!(c.strength, strength, "records joining {} to the others", v);
            prop_assert_eq!(degree as usize, (0..n).filter(|&b| adj[v as usize][b as usize]).count());
            let mut want = 0.0;
            for s in 0..n as usize {
                for t in s + 1..n as usize {
                    if s == v as usize || t == v as usize || d[s][t] > n { continue; }
                    let paths = paths_of(&adj, s, t, d[s][t] as usize);
                    let through = paths.iter().filter(|p| p.contains(&v)).count();
                    want += through as f64 / paths.len() as f64;
                }
            }
            prop_assert!((between - want).abs() < 1e-9, "node {}: {} against {}", v, between, want);
        }
    }

    #[test]
    fn louvain_reports_its_partitions_true_modularity_and_beats_singletons((n, rels) in graph(), f in filter()) {
        let g = Graph::build(n, rels).unwrap();
        let c = communities(&g, &f);
        prop_assert_eq!(c.of.len() as u32, n);
        prop_assert!((c.modularity - modularity(&g, &f, &c.of)).abs() < 1e-9);
        let alone: Vec<u32> = (0..n).collect();
        prop_assert!(c.modularity >= modularity(&g, &f, &alone) - 1e-9);
        prop_assert_eq!(c.members().iter().map(Vec::len).sum::<usize>(), n as usize);
    }
}

/// Two gangs of five, each calling among itself, joined by one call: two communities, and
/// the two ends of the bridge carry every path between them.
#[test]
fn two_gangs_joined_by_one_call_are_two_communities_with_the_bridge_in_between() {
    let mut rels = Vec::new();
    let mut call =
        |a: u32, b: u32| rels.push(Relation { from: a, to: b, kind: Kind::Call, at: 1, amount: 0, record: 0 });
    for g in [0u32, 5] {
        for a in g..g + 5 {
            for b in a + 1..g + 5 {
                call(a, b);
            }
        }
    }
    call(4, 5);
    let g = Graph::build(10, rels).unwrap();
    let f = Filter::default();
    let c = communities(&g, &f);
    assert_eq!(c.count, 2);
    assert!(c.of[..5].iter().all(|&x| x == c.of[0]) && c.of[5..].iter().all(|&x| x == c.of[5]));
    assert!(c.modularity > 0.4, "{}", c.modularity);
    let all: Vec<u32> = (0..10).collect();
    let cent = centrality(&g, &f, &all);
    let top = cent.iter().max_by(|a, b| a.betweenness.total_cmp(&b.betweenness)).unwrap();
    assert!(top.node == 4 || top.node == 5, "a bridge end is the key member: {cent:?}");
    assert_eq!(g.shortest_path(0, 9, &f, 6), Some(vec![0, 4, 5, 9]));
}

#[test]
fn a_relation_to_a_missing_entity_or_with_a_negative_amount_is_refused() {
    let r = Relation { from: 0, to: 3, kind: Kind::Call, at: 0, amount: 0, record: 7 };
    assert!(Graph::build(2, vec![r]).is_err());
    let r = Relation { from: 0, to: 1, kind: Kind::Transfer, at: 0, amount: -5, record: 7 };
    assert!(Graph::build(2, vec![r]).is_err());
}
