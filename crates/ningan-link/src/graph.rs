//! The graph: relations in compressed-row order both ways, the filter every query takes, a
//! node's filtered neighbours (links summed per neighbour), and capped k-hop expansion.

use rustc_hash::FxHashMap;

use crate::LinkError;

/// What a relation records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A call or message between two phones (from the caller).
    Call = 0,
    /// Money moved between two accounts (from the payer).
    Transfer = 1,
    /// Two people seen in the same place at the same time (no direction).
    CoPresence = 2,
    /// Owns, uses, lives at, drives: an entity tied to another by the case file.
    Tie = 3,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Call, Kind::Transfer, Kind::CoPresence, Kind::Tie];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// One source record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relation {
    pub from: u32,
    pub to: u32,
    pub kind: Kind,
    /// When (epoch milliseconds).
    pub at: i64,
    /// For transfers, in fen; otherwise 0.
    pub amount: i64,
    /// The source record's id, to show where a link came from.
    pub record: u64,
}

/// Which records count: of these kinds, within `[from, to)`, and a pair of entities only
/// when its records in the window number at least `min_count` and add up to `min_amount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    kinds: u8,
    pub from: i64,
    pub to: i64,
    pub min_count: u32,
    pub min_amount: i64,
}

impl Default for Filter {
    fn default() -> Self {
        Filter { kinds: 0b1111, from: i64::MIN, to: i64::MAX, min_count: 1, min_amount: 0 }
    }
}

impl Filter {
    pub fn kinds(mut self, kinds: &[Kind]) -> Filter {
        self.kinds = kinds.iter().fold(0, |m, k| m | k.bit());
        self
    }
    pub fn window(mut self, from: i64, to: i64) -> Filter {
        self.from = from;
        self.to = to;
        self
    }
    pub fn min_count(mut self, n: u32) -> Filter {
        self.min_count = n.max(1);
        self
    }
    pub fn min_amount(mut self, fen: i64) -> Filter {
        self.min_amount = fen;
        self
    }
    pub fn admits(&self, r: &Relation) -> bool {
        self.kinds & r.kind.bit() != 0 && r.at >= self.from && r.at < self.to
    }
    fn keeps(&self, l: &Link) -> bool {
        l.count >= self.min_count && l.amount >= self.min_amount
    }
}

/// A neighbour with what joins it to the node, summed over the records the filter admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub node: u32,
    pub count: u32,
    /// Transfers' amounts, both ways, in fen.
    pub amount: i64,
    /// Records from the node to the neighbour, and back.
    pub out: u32,
    pub back: u32,
    pub first: i64,
    pub last: i64,
    /// The kinds present, as a bit set (`1 << Kind as u8`).
    pub kinds: u8,
}

impl Link {
    /// Strongest first: more records, more money, then the lower node number.
    fn rank(&self) -> (std::cmp::Reverse<u32>, std::cmp::Reverse<i64>, u32) {
        (std::cmp::Reverse(self.count), std::cmp::Reverse(self.amount), self.node)
    }
}

pub struct Graph {
    nodes: u32,
    relations: Vec<Relation>,
    /// Relation indices by source, and by target: `out[out_start[n]..out_start[n + 1]]`.
    out_start: Vec<u32>,
    out: Vec<u32>,
    in_start: Vec<u32>,
    inn: Vec<u32>,
}

/// Relation indices grouped by `key`, each group ordered by `other` (then time), so that a
/// node's links to one neighbour lie together and are summed in one pass, without hashing.
fn csr(
    nodes: u32,
    relations: &[Relation],
    key: impl Fn(&Relation) -> u32,
    other: impl Fn(&Relation) -> u32,
) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; nodes as usize + 1];
    for r in relations {
        start[key(r) as usize + 1] += 1;
    }
    for i in 0..nodes as usize {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut idx = vec![0u32; relations.len()];
    for (i, r) in relations.iter().enumerate() {
        let k = key(r) as usize;
        idx[fill[k] as usize] = i as u32;
        fill[k] += 1;
    }
    for n in 0..nodes as usize {
        let slice = &mut idx[start[n] as usize..start[n + 1] as usize];
        slice.sort_unstable_by_key(|&i| (other(&relations[i as usize]), relations[i as usize].at));
    }
    (start, idx)
}

impl Graph {
    /// Builds the graph over `nodes` entities (numbered `0..nodes`).
    pub fn build(nodes: u32, relations: Vec<Relation>) -> Result<Graph, LinkError> {
        for (index, r) in relations.iter().enumerate() {
            for node in [r.from, r.to] {
                if node >= nodes {
                    return Err(LinkError::NoSuchNode { index, node, nodes });
                }
            }
            if r.amount < 0 {
                return Err(LinkError::NegativeAmount { index });
            }
        }
        let (out_start, out) = csr(nodes, &relations, |r| r.from, |r| r.to);
        let (in_start, inn) = csr(nodes, &relations, |r| r.to, |r| r.from);
        Ok(Graph { nodes, relations, out_start, out, in_start, inn })
    }

    pub fn nodes(&self) -> u32 {
        self.nodes
    }

    pub fn relations(&self) -> &[Relation] {
        &self.relations
    }

    /// The relations leaving `n` (indices into [`Graph::relations`]).
    pub fn outgoing(&self, n: u32) -> impl Iterator<Item = &Relation> + '_ {
        let (a, b) = (self.out_start[n as usize] as usize, self.out_start[n as usize + 1] as usize);
        self.out[a..b].iter().map(|&i| &self.relations[i as usize])
    }

    /// The relations reaching `n`.
    pub fn incoming(&self, n: u32) -> impl Iterator<Item = &Relation> + '_ {
        let (a, b) = (self.in_start[n as usize] as usize, self.in_start[n as usize + 1] as usize);
        self.inn[a..b].iter().map(|&i| &self.relations[i as usize])
    }

    /// `n`'s neighbours through records the filter admits, each pair summed and kept when it
    /// reaches the filter's least count and amount; strongest first. A record from a node to
    /// itself is no neighbour.
    pub fn neighbours(&self, n: u32, f: &Filter) -> Vec<Link> {
        let mut links = self.neighbours_by_node(n, f);
        links.sort_by_key(Link::rank);
        links
    }

    /// [`Graph::neighbours`] in order of node number: the two runs (out and in), each
    /// already ordered by the other end, merged and summed in one pass.
    pub(crate) fn neighbours_by_node(&self, n: u32, f: &Filter) -> Vec<Link> {
        if n >= self.nodes {
            return Vec::new();
        }
        let out = &self.out[self.out_start[n as usize] as usize..self.out_start[n as usize + 1] as usize];
        let inn = &self.inn[self.in_start[n as usize] as usize..self.in_start[n as usize + 1] as usize];
        let (mut i, mut j) = (0, 0);
        let mut links: Vec<Link> = Vec::new();
        let mut cur: Option<Link> = None;
        loop {
            let (other, r, is_out) = match (out.get(i), inn.get(j)) {
                (Some(&a), Some(&b)) => {
                    let (ra, rb) = (&self.relations[a as usize], &self.relations[b as usize]);
                    if ra.to <= rb.from {
                        i += 1;
                        (ra.to, ra, true)
                    } else {
                        j += 1;
                        (rb.from, rb, false)
                    }
                }
                (Some(&a), None) => {
                    i += 1;
                    let r = &self.relations[a as usize];
                    (r.to, r, true)
                }
                (None, Some(&b)) => {
                    j += 1;
                    let r = &self.relations[b as usize];
                    (r.from, r, false)
                }
                (None, None) => break,
            };
            if other == n || !f.admits(r) {
                continue;
            }
            if cur.is_some_and(|c| c.node != other) {
                links.extend(cur.take().filter(|l| f.keeps(l)));
            }
            let l = cur.get_or_insert(Link {
                node: other,
                count: 0,
                amount: 0,
                out: 0,
                back: 0,
                first: i64::MAX,
                last: i64::MIN,
                kinds: 0,
            });
            l.count += 1;
            l.amount += r.amount;
            if is_out {
                l.out += 1;
            } else {
                l.back += 1;
            }
            l.first = l.first.min(r.at);
            l.last = l.last.max(r.at);
            l.kinds |= r.kind.bit();
        }
        links.extend(cur.filter(|l| f.keeps(l)));
        links
    }

    /// The records between two entities the filter admits, oldest first: what a link on the
    /// chart stands for.
    pub fn records_between(&self, a: u32, b: u32, f: &Filter) -> Vec<Relation> {
        if a >= self.nodes || b >= self.nodes {
            return Vec::new();
        }
        let mut out: Vec<Relation> = self
            .outgoing(a)
            .filter(|r| r.to == b)
            .chain(self.incoming(a).filter(|r| r.from == b))
            .filter(|r| f.admits(r))
            .copied()
            .collect();
        out.sort_by_key(|r| (r.at, r.record));
        out
    }

    /// Every entity within `hops` steps of `seeds`, with its distance, in the order reached
    /// (uncapped: what a neighbourhood holds, for counting and for export). When the filter
    /// asks no least count or amount, any admitted record is a step and no pair is summed.
    pub fn reach(&self, seeds: &[u32], hops: u32, f: &Filter) -> Vec<(u32, u32)> {
        let simple = f.min_count <= 1 && f.min_amount <= 0;
        crate::marks::with_marks::<1, _>(self.nodes, |[seen]| {
            let mut order = Vec::new();
            for &s in seeds {
                if s < self.nodes && seen.insert(s, 0) {
                    order.push((s, 0));
                }
            }
            let mut frontier: Vec<u32> = order.iter().map(|p| p.0).collect();
            for hop in 1..=hops {
                let mut next = Vec::new();
                for &n in &frontier {
                    if simple {
                        let outs = self.outgoing(n).filter(|r| f.admits(r)).map(|r| r.to);
                        let ins = self.incoming(n).filter(|r| f.admits(r)).map(|r| r.from);
                        for m in outs.chain(ins) {
                            if seen.insert(m, hop) {
                                next.push(m);
                            }
                        }
                    } else {
                        for l in self.neighbours_by_node(n, f) {
                            if seen.insert(l.node, hop) {
                                next.push(l.node);
                            }
                        }
                    }
                }
                order.extend(next.iter().map(|&m| (m, hop)));
                frontier = next;
            }
            order
        })
    }

    /// Up to `hops` steps out from `seeds`. A node with more than `per_node` neighbours
    /// contributes its strongest `per_node`, and no more than `max_nodes` nodes are returned
    /// in all (nearer first, then stronger); whatever was not followed is in `left_out`, so a
    /// hub with 5,000 links shows as a hub, not as 5,000 nodes.
    pub fn expand(&self, seeds: &[u32], hops: u32, f: &Filter, per_node: usize, max_nodes: usize) -> Expansion {
        let mut hop_of: FxHashMap<u32, u32> = FxHashMap::default();
        let mut order: Vec<(u32, u32)> = Vec::new();
        for &s in seeds {
            if s < self.nodes && hop_of.len() < max_nodes && !hop_of.contains_key(&s) {
                hop_of.insert(s, 0);
                order.push((s, 0));
            }
        }
        // Each node's links, by node number, kept for the links among the shown nodes.
        let mut known: FxHashMap<u32, Vec<Link>> = FxHashMap::default();
        let mut left_out = Vec::new();
        let mut frontier: Vec<u32> = order.iter().map(|p| p.0).collect();
        for hop in 1..=hops {
            let mut next = Vec::new();
            for &n in &frontier {
                let all = known.entry(n).or_insert_with(|| self.neighbours_by_node(n, f));
                let total = all.len();
                let mut strongest: Vec<&Link> = all.iter().collect();
                if strongest.len() > per_node {
                    strongest.select_nth_unstable_by_key(per_node, |l| l.rank());
                    strongest.truncate(per_node);
                }
                strongest.sort_by_key(|l| l.rank());
                let mut dropped = total.saturating_sub(per_node);
                for l in strongest {
                    if hop_of.contains_key(&l.node) {
                        continue;
                    }
                    if hop_of.len() >= max_nodes {
                        dropped += 1;
                        continue;
                    }
                    hop_of.insert(l.node, hop);
                    order.push((l.node, hop));
                    next.push(l.node);
                }
                if dropped > 0 {
                    left_out.push(LeftOut { node: n, links: total, dropped });
                }
            }
            frontier = next;
        }
        // Every link between two nodes shown, once.
        let mut links = Vec::new();
        for &(n, _) in &order {
            let computed;
            let all = match known.get(&n) {
                Some(a) => a,
                None => {
                    computed = self.neighbours_by_node(n, f);
                    &computed
                }
            };
            for l in all {
                if n < l.node && hop_of.contains_key(&l.node) {
                    links.push((n, *l));
                }
            }
        }
        Expansion { nodes: order, links, left_out }
    }
}

/// What [`Graph::expand`] shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    /// Nodes with the hop they were reached at, in the order reached.
    pub nodes: Vec<(u32, u32)>,
    /// Links among the shown nodes (lower node first).
    pub links: Vec<(u32, Link)>,
    pub left_out: Vec<LeftOut>,
}

/// A node whose neighbours were not all followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftOut {
    pub node: u32,
    /// Its neighbours under the filter.
    pub links: usize,
    /// How many were not added from it.
    pub dropped: usize,
}
