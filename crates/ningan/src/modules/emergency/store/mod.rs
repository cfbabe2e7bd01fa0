//! Typhoon and flood response's storage, in the module's folder, speaking SQL through
//! `ningan_store::sql`: events with their warnings, road closures and rescues (`events.rs`),
//! households on evacuation lists and the needs that put them first (`households.rs`),
//! shelters and the stays in them (`shelters.rs`).

pub mod events;
pub mod households;
pub mod migrations;
pub mod shelters;
