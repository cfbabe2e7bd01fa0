//! Storage of anti-fraud: watchlists, subjects, signals and dissuasion tasks (`work.rs`), and
//! the supervision board, cases, reports and lectures (`board.rs`), and the history of the
//! rule set (`rules.rs`), and stop-payment requests to the bank (`stops.rs`), and the leases of
//! scoring processes on the stream's partitions (`partitions.rs`).

mod board;
mod migrations;
mod partitions;
mod rules;
mod stops;
mod work;

pub use board::*;
pub use migrations::MIGRATIONS;
pub use partitions::PartitionLease;
pub use rules::RuleVersion;
pub use stops::*;
pub use work::*;
