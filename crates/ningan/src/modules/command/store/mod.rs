//! Integrated command's storage, kept in the module's folder and speaking SQL through
//! `ningan_store::sql`: incidents, their history and links (`incidents.rs`); units, their positions and device
//! tokens (`units.rs`).

pub mod duty;
pub mod incidents;
pub mod migrations;
pub mod stats;
pub mod units;
