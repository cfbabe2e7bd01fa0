//! Integrated command's storage, kept in the module's folder and speaking SQL through
//! `ningan_store::sql`: incidents, their history and links (`incidents.rs`).

pub mod incidents;
pub mod migrations;
