//! Life first's errors: each kind has a stable code (for logs, the API's field errors and
//! tests) and a text in Chinese and English; storage errors keep their cause.
//! `From<LifeError> for ApiError` converts at the HTTP edge.

use super::model::NotAllowed;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::rule::{Refusal, coded_field_error};

#[derive(Debug, thiserror::Error)]
pub enum LifeError {
    /// A field's own validator refused it; the text is `中文 / English`.
    #[error("{1}")]
    Field(&'static str, String),
    /// A rule about the point's kind or state, the clock or several fields together, which
    /// the document cannot state; the text is `中文 / English`.
    #[error("{1}")]
    Context(&'static str, String),
    #[error("位置不在宁波市范围内 / the point is outside Ningbo")]
    OutsideCity,
    #[error("该位置不在本单位辖区内 / the point is outside your units' area")]
    OutsideArea,
    #[error("隐患类别“{0}”无效 / kind “{0}” is unknown")]
    Kind(String),
    #[error("隐患等级“{0}”无效 / severity “{0}” is not major, serious or general")]
    Severity(String),
    #[error("责任部门“{0}”无效 / department “{0}” is unknown")]
    Department(String),
    #[error("{} / {}", .0.zh(), .0)]
    Step(NotAllowed),
    #[error("报送整改须附整改措施和至少一张现场照片 / a rectification needs its measures and at least one photo")]
    Evidence,
    #[error("无权执行此操作 / not allowed")]
    Forbidden,
    #[error("{0}")]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for LifeError {
    const MODULE: &'static str = "life";

    fn kind(&self) -> &'static str {
        match self {
            LifeError::Field(..) => "field",
            LifeError::Context(..) => "context",
            LifeError::OutsideCity => "outside_city",
            // Which units' areas the caller works in is stored, not stated by any schema.
            LifeError::OutsideArea => "not_in_scope",
            LifeError::Kind(_) => "kind",
            LifeError::Severity(_) => "severity",
            LifeError::Department(_) => "department",
            LifeError::Step(_) => "step",
            LifeError::Evidence => "evidence",
            LifeError::Forbidden => "forbidden",
            LifeError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            LifeError::Field(f, _) | LifeError::Context(f, _) => Some(f),
            LifeError::OutsideCity | LifeError::OutsideArea => Some("lon"),
            LifeError::Kind(_) => Some("kind"),
            LifeError::Severity(_) => Some("severity"),
            LifeError::Department(_) => Some("department"),
            LifeError::Evidence => Some("photos"),
            _ => None,
        }
    }
}

impl LifeError {
    pub(crate) fn context_of(field: &'static str, zh: &str, en: &str) -> LifeError {
        LifeError::Context(field, format!("{zh} / {en}"))
    }

    pub(crate) fn field_of(field: &'static str, zh: &str, en: &str) -> LifeError {
        LifeError::Field(field, format!("{zh} / {en}"))
    }
}

/// `field` refused for a reason of its own, as handlers return it.
pub fn refuse(field: &'static str, zh: impl std::fmt::Display, en: impl std::fmt::Display) -> ApiError {
    LifeError::Field(field, format!("{zh} / {en}")).into()
}

impl From<LifeError> for ApiError {
    fn from(e: LifeError) -> ApiError {
        match e {
            LifeError::Store(s) => ApiError::from(s),
            LifeError::Forbidden => ApiError::plain(ErrorCode::Forbidden),
            LifeError::Step(n) => ApiError::new(ErrorCode::Conflict, n.zh(), n.to_string()),
            LifeError::Field(field, ref text) | LifeError::Context(field, ref text) => {
                coded_field_error(e.code(), field, text)
            }
            other => other.refused(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::life::model::{State, Step};

    #[test]
    fn codes_are_stable_and_texts_carry_both_languages() {
        let e = LifeError::Department("police".into());
        assert_eq!((e.code().as_str(), e.field()), ("life.department", Some("department")));
        let api = ApiError::from(e);
        assert!(api.errors[0].message.contains("责任部门") && api.errors[0].message.contains("unknown"));
        let step = ApiError::from(LifeError::Step(NotAllowed { state: State::Closed, step: Step::Verify }));
        assert_eq!(step.code, ErrorCode::Conflict);
        assert!(step.detail_zh.contains("已销号") && step.detail_en.contains("Verify on site"));
    }
}
