//! Major-event security's errors: each kind has a stable code (`security.…`) and its text
//! in Chinese and English; storage errors keep their cause.

use crate::http::error::ApiError;
use crate::http::rule::{Refusal, Rule};

#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error("{0}：{1}")]
    Field(&'static str, Rule),
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for SecurityError {
    const MODULE: &'static str = "security";

    fn kind(&self) -> &'static str {
        match self {
            SecurityError::Field(_, rule) => rule.code(),
            SecurityError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            SecurityError::Field(f, _) => Some(f),
            SecurityError::Store(_) => None,
        }
    }
}

impl From<SecurityError> for ApiError {
    fn from(e: SecurityError) -> ApiError {
        match e {
            SecurityError::Store(s) => ApiError::from(s),
            SecurityError::Field(field, rule) => rule.refuse(SecurityError::MODULE, field),
        }
    }
}
