//! Storage of the residents module: the population register and residential compounds.

mod compounds;
mod migrations;
mod register;

pub use compounds::*;
pub use migrations::MIGRATIONS;
pub use register::*;
