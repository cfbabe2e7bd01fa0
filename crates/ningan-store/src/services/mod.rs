//! Storage of citizen services: the catalogue with its versions (`catalogue.rs`), applications
//! and the portal (`applications.rs`),
//! certificate-free facts (`exchange.rs`), identity-change deliveries (`outbox.rs`) and
//! cross-city handling (`crosscity.rs`), and the exchange's keys and message log (`msglog.rs`).

mod applications;
mod catalogue;
mod crosscity;
mod exchange;
mod migrations;
mod msglog;
mod outbox;

pub use applications::*;
pub use catalogue::*;
pub use crosscity::*;
pub use exchange::*;
pub use migrations::MIGRATIONS;
pub use msglog::*;
pub use outbox::*;
