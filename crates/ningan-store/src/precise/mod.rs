//! Storage of precise epidemic control: cases, contact follow-ups, quarantine, arrivals,
//! venues, control zones, gates and published exposure notices.

mod arrivals;
mod cases;
mod followups;
mod gates;
mod migrations;
mod notices;
mod quarantine;
mod venues;
mod zones;

pub use arrivals::*;
pub use cases::*;
pub use followups::*;
pub use gates::*;
pub use migrations::MIGRATIONS;
pub use notices::*;
pub use quarantine::*;
pub use venues::*;
pub use zones::*;
