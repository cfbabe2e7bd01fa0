//! Travel times over a road network, for dispatch: which units reach an incident first by
//! road, not by straight line, and the way each drives.
//!
//! A [`Router`] is built once from a network (points and one- or two-way arcs with their
//! travel times) and prepared as contraction hierarchies with `fast_paths`; queries then take
//! microseconds. Points off the network (a unit's last position, a caller's address) join it
//! at their nearest node, at a walking-pace access speed, so a unit parked across a river
//! from its nearest road is not counted as close.
//!
//! [`Router::nearest`] answers "the k units with the shortest travel time to here" exactly:
//! candidates are taken in order of a lower bound (straight line at the network's top speed)
//! and the search stops once no remaining bound can beat the k-th time found, so only a
//! handful of the candidates are routed. Times are whole milliseconds, so ties and
//! comparisons with other engines (pgRouting in `bench/`) are exact.

pub mod geojson;
mod plane;
mod router;

pub use plane::Plane;
pub use router::{Arc, Candidate, Reach, Route, Router, Snap};

/// What can be wrong with a network handed to [`Router::new`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RouteError {
    #[error("the network has no nodes")]
    Empty,
    #[error("arc {index} joins node {node}, but the network has {nodes} nodes")]
    NoSuchNode { index: usize, node: u32, nodes: usize },
    #[error("arc {index} has a travel time of {seconds} s: it must be positive and finite")]
    BadTime { index: usize, seconds: f64 },
    #[error("arc {index} was asked to be closed, but the network has {arcs} arcs")]
    NoSuchArc { index: usize, arcs: usize },
    #[error("node {index} is not a finite longitude/latitude")]
    BadPoint { index: usize },
}
