//! Integrated command's storage, kept in the module's folder and speaking SQL through
//! `ningan_store::sql`: incidents, their history and links (`incidents.rs`); units, their positions and device
//! tokens (`units.rs`); shifts (`duty.rs`); figures (`stats.rs`); places to find a
//! caller by (`places.rs`); mobilisations and their answers (`mobilise.rs`).

pub mod duty;
pub mod incidents;
pub mod migrations;
pub mod mobilise;
pub mod places;
pub mod stats;
pub mod units;
