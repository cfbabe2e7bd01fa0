//! Gang structure: communities by Louvain (modularity, weighted by how many records join a
//! pair), and key members by degree and betweenness (Brandes) on a chosen set of nodes.

use rustc_hash::FxHashMap;

use crate::graph::{Filter, Graph};

/// A partition of the graph's nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Communities {
    /// The community of each node (nodes with no link each form their own).
    pub of: Vec<u32>,
    pub count: u32,
    pub modularity: f64,
}

impl Communities {
    /// The members of each community, largest first.
    pub fn members(&self) -> Vec<Vec<u32>> {
        let mut by: Vec<Vec<u32>> = vec![Vec::new(); self.count as usize];
        for (n, &c) in self.of.iter().enumerate() {
            by[c as usize].push(n as u32);
        }
        by.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        by
    }
}

/// Weighted undirected adjacency: each pair the filter keeps, weighted by its record count.
fn weighted(g: &Graph, f: &Filter) -> Vec<Vec<(u32, f64)>> {
    (0..g.nodes())
        .map(|n| g.neighbours_by_node(n, f).into_iter().map(|l| (l.node, f64::from(l.count))).collect())
        .collect()
}

/// Newman's modularity of a partition of a weighted undirected graph.
fn modularity_of(adj: &[Vec<(u32, f64)>], of: &[u32]) -> f64 {
    let two_m: f64 = adj.iter().flatten().map(|e| e.1).sum();
    if two_m == 0.0 {
        return 0.0;
    }
    let mut inside: FxHashMap<u32, f64> = FxHashMap::default();
    let mut total: FxHashMap<u32, f64> = FxHashMap::default();
    for (u, edges) in adj.iter().enumerate() {
        let cu = of[u];
        for &(v, w) in edges {
            *total.entry(cu).or_default() += w;
            if of[v as usize] == cu {
                *inside.entry(cu).or_default() += w;
            }
        }
    }
    total.iter().map(|(c, t)| inside.get(c).copied().unwrap_or(0.0) / two_m - (t / two_m).powi(2)).sum()
}

/// The modularity of a given partition under the filter.
pub fn modularity(g: &Graph, f: &Filter, of: &[u32]) -> f64 {
    modularity_of(&weighted(g, f), of)
}

/// One level of Louvain: nodes move to the neighbouring community with the best gain until
/// none gains; returns each node's community (renumbered densely).
fn local_moves(adj: &[Vec<(u32, f64)>], two_m: f64) -> Vec<u32> {
    let n = adj.len();
    let mut of: Vec<u32> = (0..n as u32).collect();
    let degree: Vec<f64> = adj.iter().map(|e| e.iter().map(|x| x.1).sum()).collect();
    let mut total = degree.clone();
    let mut moved = true;
    let mut rounds = 0;
    while moved && rounds < 50 {
        moved = false;
        rounds += 1;
        for u in 0..n {
            let cu = of[u];
            let mut to: FxHashMap<u32, f64> = FxHashMap::default();
            // A folded community's inside edges are its self-loop: the same wherever it goes.
            for &(v, w) in &adj[u] {
                if v as usize != u {
                    *to.entry(of[v as usize]).or_default() += w;
                }
            }
            total[cu as usize] -= degree[u];
            let gain = |c: u32, k_in: f64| k_in - total[c as usize] * degree[u] / two_m;
            let stay = gain(cu, to.get(&cu).copied().unwrap_or(0.0));
            let mut best = (cu, stay);
            let mut candidates: Vec<(u32, f64)> = to.into_iter().collect();
            candidates.sort_unstable_by_key(|c| c.0);
            for (c, k_in) in candidates {
                let g = gain(c, k_in);
                if g > best.1 + 1e-12 {
                    best = (c, g);
                }
            }
            total[best.0 as usize] += degree[u];
            if best.0 != cu {
                of[u] = best.0;
                moved = true;
            }
        }
    }
    let mut renumber: FxHashMap<u32, u32> = FxHashMap::default();
    for c in of.iter_mut() {
        let next = renumber.len() as u32;
        *c = *renumber.entry(*c).or_insert(next);
    }
    of
}

/// Communities by Louvain: local moves, then the communities folded into nodes, again,
/// until a level changes nothing. Deterministic (nodes in order, ties to the lower
/// community).
pub fn communities(g: &Graph, f: &Filter) -> Communities {
    let base = weighted(g, f);
    let two_m: f64 = base.iter().flatten().map(|e| e.1).sum();
    let n = base.len();
    let mut of: Vec<u32> = (0..n as u32).collect();
    if two_m > 0.0 {
        let mut adj = base.clone();
        loop {
            let level = local_moves(&adj, two_m);
            let groups = level.iter().copied().max().map_or(0, |m| m + 1) as usize;
            for c in of.iter_mut() {
                *c = level[*c as usize];
            }
            if groups == adj.len() {
                break;
            }
            // Fold: a node per community, edges summed (inside ones as self-loops).
            let mut folded: Vec<FxHashMap<u32, f64>> = vec![FxHashMap::default(); groups];
            for (u, edges) in adj.iter().enumerate() {
                for &(v, w) in edges {
                    *folded[level[u] as usize].entry(level[v as usize]).or_default() += w;
                }
            }
            adj = folded
                .into_iter()
                .map(|m| {
                    let mut e: Vec<(u32, f64)> = m.into_iter().collect();
                    e.sort_unstable_by_key(|x| x.0);
                    e
                })
                .collect();
        }
    }
    let count = of.iter().copied().max().map_or(0, |m| m + 1);
    let modularity = modularity_of(&base, &of);
    Communities { of, count, modularity }
}

/// How central a member is within a group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Centrality {
    pub node: u32,
    /// Others in the group it is linked to.
    pub degree: u32,
    /// Records joining it to the others: who is on the phone to the group the most.
    pub strength: u32,
    /// Shortest paths between other pairs of the group through it (each pair once, ties
    /// shared).
    pub betweenness: f64,
}

/// Degree, strength and betweenness on the subgraph of `nodes`, in the order given.
pub fn centrality(g: &Graph, f: &Filter, nodes: &[u32]) -> Vec<Centrality> {
    let index: FxHashMap<u32, usize> = nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let mut strength = vec![0u32; nodes.len()];
    let adj: Vec<Vec<usize>> = nodes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let mut v: Vec<usize> = g
                .neighbours(n, f)
                .into_iter()
                .filter_map(|l| {
                    let j = index.get(&l.node).copied()?;
                    strength[i] += l.count;
                    Some(j)
                })
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    let k = nodes.len();
    let mut between = vec![0.0f64; k];
    for s in 0..k {
        // Brandes: paths counted from s, dependencies summed back.
        let mut stack = Vec::with_capacity(k);
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); k];
        let mut sigma = vec![0.0f64; k];
        let mut dist = vec![-1i64; k];
        sigma[s] = 1.0;
        dist[s] = 0;
        let mut queue = std::collections::VecDeque::from([s]);
        while let Some(v) = queue.pop_front() {
            stack.push(v);
            for &w in &adj[v] {
                if dist[w] < 0 {
                    dist[w] = dist[v] + 1;
                    queue.push_back(w);
                }
                if dist[w] == dist[v] + 1 {
                    sigma[w] += sigma[v];
                    preds[w].push(v);
                }
            }
        }
        let mut delta = vec![0.0f64; k];
        while let Some(w) = stack.pop() {
            for &v in &preds[w] {
                delta[v] += sigma[v] / sigma[w] * (1.0 + delta[w]);
            }
            if w != s {
                between[w] += delta[w];
            }
        }
    }
    nodes
        .iter()
        .enumerate()
        .map(|(i, &node)| Centrality {
            node,
            degree: adj[i].len() as u32,
            strength: strength[i],
            betweenness: between[i] / 2.0,
        })
        .collect()
}

#[cfg(test)]
mod empty {
    use super::*;

    #[test]
    fn a_graph_with_nothing_in_it_has_no_communities_and_no_central_members() {
        let g = Graph::build(0, Vec::new()).unwrap();
        let c = communities(&g, &Filter::default());
        assert_eq!((c.count, c.of.len()), (0, 0));
        assert!(centrality(&g, &Filter::default(), &[]).is_empty());
        let lone = Graph::build(3, Vec::new()).unwrap();
        assert_eq!(communities(&lone, &Filter::default()).members().len(), 3);
    }
}
