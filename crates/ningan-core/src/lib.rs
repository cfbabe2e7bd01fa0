//! Shared vocabulary of ningan: the types every crate speaks (identity numbers, phones,
//! districts, roles and actions, time). Pure: no I/O, no HTTP, no SQL.

pub mod access;
pub mod district;
pub mod gate;
pub mod geo;
pub mod hazard;
pub mod idnumber;
pub mod labels;
pub mod lifting;
pub mod pass;
pub mod phone;
pub mod quarantine;
pub mod roads;
pub mod text;
pub mod time;

pub use access::{Action, Role};
pub use district::{DISTRICTS, District};
pub use idnumber::{IdNumber, IdNumberError};
pub use phone::{Phone, PhoneError};
