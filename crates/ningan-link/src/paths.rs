//! Paths: the shortest way between two entities over filtered links (breadth-first from
//! both ends), every shortest way (up to a limit), and money-flow paths over transfers that
//! follow each other in time.

use rustc_hash::FxHashMap;

use crate::graph::{Filter, Graph, Kind};

/// A way money can have gone, hop by hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyPath {
    pub nodes: Vec<u32>,
    /// Per hop: the transfers' sum on it (those no earlier than the previous hop's first).
    pub amounts: Vec<i64>,
    /// The most that can have flowed the whole way: the smallest hop.
    pub flow: i64,
}

impl Graph {
    /// The entities one step from `n` (a neighbour may come more than once). Without a least
    /// count or amount any admitted record is a step, and no pair needs summing.
    fn adjacent(&self, n: u32, f: &Filter) -> Vec<u32> {
        if f.min_count <= 1 && f.min_amount <= 0 {
            let outs = self.outgoing(n).filter(|r| f.admits(r)).map(|r| r.to);
            let ins = self.incoming(n).filter(|r| f.admits(r)).map(|r| r.from);
            return outs.chain(ins).filter(|&m| m != n).collect();
        }
        self.neighbours_by_node(n, f).into_iter().map(|l| l.node).collect()
    }

    /// A shortest way from `a` to `b` (nodes, both ends included) within `max_hops`, over
    /// links the filter keeps; among equals, the one through lower node numbers at the
    /// meeting point. Grows the smaller side first, so a hub near one end costs little.
    pub fn shortest_path(&self, a: u32, b: u32, f: &Filter, max_hops: u32) -> Option<Vec<u32>> {
        if a >= self.nodes() || b >= self.nodes() {
            return None;
        }
        if a == b {
            return Some(vec![a]);
        }
        crate::marks::with_marks::<2, _>(self.nodes(), |[from_a, from_b]| {
            from_a.insert(a, a);
            from_b.insert(b, b);
            let (mut fa, mut fb) = (vec![a], vec![b]);
            let (mut da, mut db) = (0u32, 0u32);
            while !fa.is_empty() && !fb.is_empty() && da + db < max_hops {
                let grow_a = fa.len() <= fb.len();
                let (frontier, seen, other) =
                    if grow_a { (&mut fa, &mut *from_a, &*from_b) } else { (&mut fb, &mut *from_b, &*from_a) };
                let mut next = Vec::new();
                let mut meet: Option<(u32, u32)> = None;
                for &n in frontier.iter() {
                    self.each_adjacent(n, f, |m| {
                        if !seen.insert(m, n) {
                            return;
                        }
                        next.push(m);
                        if other.contains(m) && meet.is_none_or(|(x, _)| m < x) {
                            meet = Some((m, n));
                        }
                    });
                }
                if grow_a {
                    da += 1;
                } else {
                    db += 1;
                }
                if let Some((m, _)) = meet {
                    let mut left = vec![m];
                    let mut cur = m;
                    while let Some(p) = from_a.get(cur) {
                        if p == cur {
                            break;
                        }
                        left.push(p);
                        cur = p;
                    }
                    left.reverse();
                    let mut cur = m;
                    while let Some(p) = from_b.get(cur) {
                        if p == cur {
                            break;
                        }
                        left.push(p);
                        cur = p;
                    }
                    return Some(left);
                }
                next.sort_unstable();
                *frontier = next;
            }
            None
        })
    }

    /// Calls `visit` with each entity one step from `n` (a neighbour may come more than
    /// once), without collecting them: [`Graph::adjacent`] for walks that only mark.
    fn each_adjacent(&self, n: u32, f: &Filter, mut visit: impl FnMut(u32)) {
        if f.min_count <= 1 && f.min_amount <= 0 {
            for r in self.outgoing(n) {
                if r.to != n && f.admits(r) {
                    visit(r.to);
                }
            }
            for r in self.incoming(n) {
                if r.from != n && f.admits(r) {
                    visit(r.from);
                }
            }
        } else {
            for l in self.neighbours_by_node(n, f) {
                visit(l.node);
            }
        }
    }

    /// Hops from `src` to every node within `limit`.
    fn layers(&self, src: u32, f: &Filter, limit: u32) -> FxHashMap<u32, u32> {
        let mut dist: FxHashMap<u32, u32> = FxHashMap::default();
        dist.insert(src, 0);
        let mut frontier = vec![src];
        for d in 1..=limit {
            let mut next = Vec::new();
            for &n in &frontier {
                for m in self.adjacent(n, f) {
                    if let std::collections::hash_map::Entry::Vacant(e) = dist.entry(m) {
                        e.insert(d);
                        next.push(m);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        dist
    }

    /// Every shortest way from `a` to `b` within `max_hops`, at most `limit` of them, in
    /// lexical order of their nodes; whether more were left out.
    pub fn all_shortest_paths(&self, a: u32, b: u32, f: &Filter, max_hops: u32, limit: usize) -> (Vec<Vec<u32>>, bool) {
        let Some(one) = self.shortest_path(a, b, f, max_hops) else { return (Vec::new(), false) };
        let d = (one.len() - 1) as u32;
        let da = self.layers(a, f, d);
        let db = self.layers(b, f, d);
        let on = |n: u32, k: u32| da.get(&n) == Some(&k) && db.get(&n) == Some(&(d - k));
        let mut out = Vec::new();
        let mut more = false;
        let mut path = vec![a];
        self.walk(&mut path, d, f, &on, limit, &mut out, &mut more);
        (out, more)
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        path: &mut Vec<u32>,
        d: u32,
        f: &Filter,
        on: &dyn Fn(u32, u32) -> bool,
        limit: usize,
        out: &mut Vec<Vec<u32>>,
        more: &mut bool,
    ) {
        let k = (path.len() - 1) as u32;
        if k == d {
            if out.len() < limit {
                out.push(path.clone());
            } else {
                *more = true;
            }
            return;
        }
        let Some(&last) = path.last() else { return };
        let mut next = self.adjacent(last, f);
        next.sort_unstable();
        next.dedup();
        for m in next {
            if *more {
                return;
            }
            if on(m, k + 1) {
                path.push(m);
                self.walk(path, d, f, on, limit, out, more);
                path.pop();
            }
        }
    }

    /// Ways money can have gone from `a` to `b` in at most `max_hops` transfers between
    /// distinct accounts: each hop counts the transfers the filter admits that are no earlier
    /// than the previous hop's first, and a path carries at most its smallest hop. The
    /// `limit` largest flows, largest first (then by nodes).
    pub fn money_paths(&self, a: u32, b: u32, f: &Filter, max_hops: u32, limit: usize) -> Vec<MoneyPath> {
        let f = f.kinds(&[Kind::Transfer]);
        let mut found = Vec::new();
        if a >= self.nodes() || b >= self.nodes() || a == b {
            return found;
        }
        let mut nodes = vec![a];
        let mut amounts = Vec::new();
        self.flow_from(&f, b, max_hops, i64::MIN, &mut nodes, &mut amounts, &mut found);
        found.sort_by(|x: &MoneyPath, y| y.flow.cmp(&x.flow).then_with(|| x.nodes.cmp(&y.nodes)));
        found.truncate(limit);
        found
    }

    #[allow(clippy::too_many_arguments)]
    fn flow_from(
        &self,
        f: &Filter,
        b: u32,
        max_hops: u32,
        since: i64,
        nodes: &mut Vec<u32>,
        amounts: &mut Vec<i64>,
        found: &mut Vec<MoneyPath>,
    ) {
        let Some(&at) = nodes.last() else { return };
        if at == b {
            let flow = amounts.iter().copied().min().unwrap_or(0);
            found.push(MoneyPath { nodes: nodes.clone(), amounts: amounts.clone(), flow });
            return;
        }
        if amounts.len() as u32 >= max_hops {
            return;
        }
        // Per next account: the sum and the first time of the transfers that qualify.
        let mut next: FxHashMap<u32, (i64, i64)> = FxHashMap::default();
        for r in self.outgoing(at) {
            if r.to == at || !f.admits(r) || r.at < since || nodes.contains(&r.to) {
                continue;
            }
            let e = next.entry(r.to).or_insert((0, i64::MAX));
            e.0 += r.amount;
            e.1 = e.1.min(r.at);
        }
        let mut next: Vec<(u32, (i64, i64))> =
            next.into_iter().filter(|(_, (sum, _))| *sum >= f.min_amount.max(1)).collect();
        next.sort_unstable_by_key(|(n, _)| *n);
        for (n, (sum, first)) in next {
            nodes.push(n);
            amounts.push(sum);
            self.flow_from(f, b, max_hops, first, nodes, amounts, found);
            nodes.pop();
            amounts.pop();
        }
    }
}
