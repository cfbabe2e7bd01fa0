//! The tracing engine (大数据溯源): presences of pseudonymous people in spaces (venues scanned
//! with a venue code, gates passed, cell-grid stays) held in day partitions sorted by space
//! and time, answering who shared a space with a case under a versioned exposure rule.
//!
//! Architecture invariant: this crate knows nothing of HTTP, SQL or personal identities. People
//! are opaque `u32` ids that the application maps to residents; times are seconds since the
//! Unix epoch.

pub mod grid;
mod index;
pub mod io;
mod model;
mod query;
mod radix;
mod rules;
mod secondary;
mod segment;
mod wal;

pub mod engine;

pub use engine::{Engine, EngineError, Import, ImportError, IngestReport, Observation, Rejection, snapshot_files};
pub use grid::{CellGrid, GridError};
pub use index::Index;
pub use model::{MAX_DWELL, PersonId, Presence, SpaceId, SpaceKind, Time};
pub use query::{CaseTrace, CloseContact, ClusterTrace, CommonSource, ExposureWindow, SecondaryContact};
pub use rules::{Combine, CompanionRule, ExposureRule};
pub use secondary::{CrowdedWindow, SecondaryAnswer, SecondaryPerson};
