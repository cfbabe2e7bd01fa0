//! The investigation module's storage, in the module's folder, speaking SQL through
//! `ningan_store::sql`: cases with their teams, log, figures (`cases.rs`), evidence and its
//! hash chain (`evidence.rs`), tasks (`tasks.rs`), entities, imports and the imported
//! records (`records.rs`), and saved charts (`charts.rs`).

pub mod cases;
pub mod charts;
pub mod evidence;
pub mod migrations;
pub mod records;
pub mod tasks;
