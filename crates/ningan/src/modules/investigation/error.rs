//! Investigation's errors: each kind has a stable code (`investigation.…`) and its text
//! in Chinese and English; storage errors keep their cause.

use crate::http::error::ApiError;
use crate::http::rule::{Refusal, Rule};

#[derive(Debug, thiserror::Error)]
pub enum InvestigationError {
    #[error("{0}：{1}")]
    Field(&'static str, Rule),
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for InvestigationError {
    const MODULE: &'static str = "investigation";

    fn kind(&self) -> &'static str {
        match self {
            InvestigationError::Field(_, rule) => rule.code(),
            InvestigationError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            InvestigationError::Field(f, _) => Some(f),
            InvestigationError::Store(_) => None,
        }
    }
}

impl From<InvestigationError> for ApiError {
    fn from(e: InvestigationError) -> ApiError {
        match e {
            InvestigationError::Store(s) => ApiError::from(s),
            InvestigationError::Field(field, rule) => rule.refuse(InvestigationError::MODULE, field),
        }
    }
}
