//! Evaluation's storage, in the module's folder, speaking SQL through `ningan_store::sql`:
//! surveys (`surveys.rs`) and their one-time links (`links.rs`), the public review
//! (`reviews.rs`), the scenarios catalogue (`scenarios.rs`) and the monthly reports'
//! archive (`reports.rs`).

pub mod links;
pub mod migrations;
pub mod reports;
pub mod reviews;
pub mod scenarios;
pub mod surveys;
