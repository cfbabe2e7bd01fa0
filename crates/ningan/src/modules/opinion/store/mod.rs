//! Public opinion's storage, in the module's folder, speaking SQL through
//! `ningan_store::sql`: posts, their near-duplicate groups and the per-topic hourly counts
//! (`posts.rs`); alerts and their handling (`alerts.rs`); the topic rules' versions
//! (`rules.rs`).

pub mod alerts;
pub mod migrations;
pub mod posts;
pub mod rules;
