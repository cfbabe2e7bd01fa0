//! Major-event security's storage, in the module's folder, speaking SQL through
//! `ningan_store::sql`: plans, their venues and posts, and the officers assigned to posts
//! with their check-ins (`plans.rs`).

pub mod migrations;
pub mod plans;
