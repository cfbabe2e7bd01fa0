//! Integrated command's errors: each kind has a stable code (`command.…`, sent with the field
//! error) and its text in Chinese and English; storage errors keep their cause.
//! `From<CommandError> for ApiError` converts at the HTTP edge.

use ningan_core::incident::NotAllowed;

use crate::http::error::{ApiError, ErrorCode};
use crate::http::rule::{Refusal, Rule};

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}：{1}")]
    Field(&'static str, Rule),
    #[error("{} / {}", .0.zh(), .0)]
    Step(NotAllowed),
    #[error("不能关联警情本身 / an incident cannot be linked to itself")]
    SelfLink,
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for CommandError {
    const MODULE: &'static str = "command";

    fn kind(&self) -> &'static str {
        match self {
            CommandError::Field(_, rule) => rule.code(),
            CommandError::Step(_) => "step",
            CommandError::SelfLink => "self_link",
            CommandError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            CommandError::Field(f, _) => Some(f),
            CommandError::SelfLink => Some("other_id"),
            CommandError::Step(_) | CommandError::Store(_) => None,
        }
    }
}

/// An RFC 3339 time given in `field`, in milliseconds.
pub fn time_ms(field: &'static str, s: &str) -> Result<i64, CommandError> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| CommandError::Field(field, Rule::Time))
}

/// An optional time in `field`: `default` when left out or blank.
pub fn time_or(field: &'static str, given: Option<&str>, default: i64) -> Result<i64, CommandError> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => time_ms(field, s),
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> ApiError {
        match e {
            CommandError::Store(s) => ApiError::from(s),
            CommandError::Field(field, rule) => rule.refuse(CommandError::MODULE, field),
            CommandError::Step(n) => ApiError::new(ErrorCode::Conflict, n.zh(), n.to_string()),
            other => other.refused(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ningan_core::incident::{Stage, Step};

    #[test]
    fn an_out_of_order_step_is_a_conflict_in_both_languages() {
        let api = ApiError::from(CommandError::Step(NotAllowed { stage: Stage::Cleared, step: Step::Dispatch }));
        assert_eq!(api.code, ErrorCode::Conflict);
        assert!(api.detail_zh.contains("已处结") && api.detail_en.contains("Dispatch"));
        let api = ApiError::from(CommandError::Field("lon", Rule::OutsideCity));
        assert_eq!(api.errors[0].code.as_deref(), Some("command.outside_city"));
    }
}
