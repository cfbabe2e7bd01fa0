//! Shared vocabulary of ningan: the types every crate speaks (identity numbers, phones,
//! districts, roles and actions, time). Pure: no I/O, no HTTP, no SQL.

/// A closed vocabulary: an enum whose variants have a code for storage and the API, and a
/// label in Chinese and English (`ALL`, `as_str`, `parse`, `label(en)`).
macro_rules! vocabulary {
    ($(#[$m:meta])* pub enum $name:ident { $($variant:ident => $s:literal, $zh:literal, $en:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s.trim() { $($s => Some($name::$variant),)* _ => None }
            }

            pub fn label(self, en: bool) -> &'static str {
                match self { $($name::$variant => if en { $en } else { $zh }),* }
            }
        }
    };
}

pub mod access;
pub mod cap;
pub mod district;
pub mod emergency;
pub mod gate;
pub mod geo;
pub mod hazard;
pub mod idnumber;
pub mod incident;
pub mod labels;
pub mod lifting;
pub mod msglog;
pub mod opinion;
pub mod pass;
pub mod phone;
pub mod quarantine;
pub mod roads;
pub mod survey;
pub mod text;
pub mod time;

pub use access::{Action, Role};
pub use district::{DISTRICTS, District};
pub use idnumber::{IdNumber, IdNumberError};
pub use phone::{Phone, PhoneError};
