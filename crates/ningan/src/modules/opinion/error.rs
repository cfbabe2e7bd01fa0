//! Public opinion's errors: each kind has a stable code (`opinion.…`) and its text in
//! Chinese and English; storage errors keep their cause.

use ningan_core::opinion::AlertNotAllowed;

use crate::http::error::{ApiError, ErrorCode};
use crate::http::rule::{Refusal, Rule};

#[derive(Debug, thiserror::Error)]
pub enum OpinionError {
    #[error("{0}：{1}")]
    Field(&'static str, Rule),
    #[error("{} / {}", .0.zh(), .0)]
    Step(AlertNotAllowed),
    #[error("规则文件第{line}行：{zh} / rules, line {line}: {en}")]
    Rules { line: usize, zh: String, en: String },
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for OpinionError {
    const MODULE: &'static str = "opinion";

    fn kind(&self) -> &'static str {
        match self {
            OpinionError::Field(_, rule) => rule.code(),
            OpinionError::Step(_) => "step",
            OpinionError::Rules { .. } => "rules",
            OpinionError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            OpinionError::Field(f, _) => Some(f),
            OpinionError::Rules { .. } => Some("rules"),
            OpinionError::Step(_) | OpinionError::Store(_) => None,
        }
    }
}

impl From<OpinionError> for ApiError {
    fn from(e: OpinionError) -> ApiError {
        match e {
            OpinionError::Store(s) => ApiError::from(s),
            OpinionError::Field(field, rule) => rule.refuse(OpinionError::MODULE, field),
            OpinionError::Step(n) => ApiError::new(ErrorCode::Conflict, n.zh(), n.to_string()),
            other => other.refused(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ningan_core::opinion::{AlertState, AlertStep};

    #[test]
    fn refusals_carry_the_modules_codes() {
        let api =
            ApiError::from(OpinionError::Step(AlertNotAllowed { state: AlertState::Closed, step: AlertStep::Answer }));
        assert_eq!(api.code, ErrorCode::Conflict);
        assert!(api.detail_zh.contains("已办结"));
        let api =
            ApiError::from(OpinionError::Rules { line: 3, zh: "未知字段".into(), en: "unknown field".into() });
        assert_eq!(api.errors[0].code.as_deref(), Some("opinion.rules"));
    }
}
