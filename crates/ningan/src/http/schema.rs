//! Schemas for query fields the server reads as text and checks itself, so the document
//! states what the check allows: the values of a closed set (taken from the list the check
//! uses), a number kept in text, a pattern.

use schemars::{Schema, json_schema};

/// A string that must be one of `values`.
pub fn enum_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Schema {
    let values: Vec<&str> = values.into_iter().collect();
    json_schema!({"type": "string", "enum": values})
}

/// A whole number from `min` to `max`, however the handler holds it.
pub fn integer_in(min: i64, max: i64) -> Schema {
    json_schema!({"type": "integer", "minimum": min, "maximum": max})
}
