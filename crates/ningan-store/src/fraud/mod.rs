//! Storage of anti-fraud: watchlists, subjects, signals and dissuasion tasks (`work.rs`), and
//! the supervision board, cases, reports and lectures (`board.rs`), and the history of the
//! rule set (`rules.rs`), and stop-payment requests to the bank (`stops.rs`).

mod board;
mod migrations;
mod rules;
mod stops;
mod work;

pub use board::*;
pub use migrations::MIGRATIONS;
pub use rules::RuleVersion;
pub use stops::*;
pub use work::*;
