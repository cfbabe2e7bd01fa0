//! Storage of anti-fraud: watchlists, subjects, signals and dissuasion tasks (`work.rs`), and
//! the supervision board, cases, reports and lectures (`board.rs`).

mod board;
mod migrations;
mod work;

pub use board::*;
pub use migrations::MIGRATIONS;
pub use work::*;
