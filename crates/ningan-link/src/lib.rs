//! Link analysis for synthesized investigation (侦查打击合成化): entities (people, phones,
//! bank accounts, vehicles, addresses, organisations) are dense node numbers; each source
//! record — a call, a transfer, a sighting together — is one relation with its time, and for
//! transfers its amount. Every query takes a [`Filter`] (kinds, time window, and the least
//! count or amount a pair of entities must add up to within it), so "who did this phone
//! call more than five times in March" and "where did the money go" are the same walk over
//! different links.
//!
//! [`Graph`] keeps the relations twice in compressed-row order (by source and by target), so
//! a node's links are two slices and a filtered neighbourhood is one pass over them. On
//! top: [`Graph::neighbours`], [`Graph::expand`] (k hops, capped per node and in all, with
//! what was left out reported), [`Graph::shortest_path`] and [`Graph::all_shortest_paths`]
//! (breadth-first over filtered links), [`Graph::money_paths`] (directed transfers, each hop
//! no earlier than the one before, ranked by the amount that can have flowed through),
//! [`communities`] (Louvain) and [`centrality`] (degree and Brandes betweenness on a
//! subgraph). Everything is exact and tested against brute force on small graphs.

mod community;
mod graph;
mod marks;
mod paths;
pub mod synth;

pub use community::{Centrality, Communities, centrality, communities, modularity};
pub use graph::{Expansion, Filter, Graph, Kind, LeftOut, Link, Relation};
pub use paths::MoneyPath;

/// What is wrong with a graph handed to [`Graph::build`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("relation {index} joins entity {node}, but there are {nodes} entities")]
    NoSuchNode { index: usize, node: u32, nodes: u32 },
    #[error("relation {index} has a negative amount")]
    NegativeAmount { index: usize },
}
