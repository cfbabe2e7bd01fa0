//! Enterprise services' errors: each kind has a stable code (for logs, the API's field
//! errors and tests) and a text in Chinese and English; storage errors keep their cause.
//! `From<EnterpriseError> for ApiError` converts at the HTTP edge.

use super::uscc::UsccError;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::rule::{Refusal, coded_field_error};

#[derive(Debug, thiserror::Error)]
pub enum EnterpriseError {
    #[error("{0}")]
    Uscc(#[from] UsccError),
    /// A field's own validator refused it; the text is `中文 / English`.
    #[error("{0}: {1}")]
    Field(&'static str, String),
    /// A rule about the request's stage or several fields together, which the document
    /// cannot state; the text is `中文 / English`.
    #[error("{0}: {1}")]
    Context(&'static str, String),
    #[error("位置不在宁波市范围内 / the point is outside Ningbo")]
    OutsideCity,
    #[error("行业门类“{0}”无效（GB/T 4754 的 A–T） / industry “{0}” is not a GB/T 4754 section A–T")]
    Industry(String),
    #[error("企业规模“{0}”无效 / size “{0}” is not large, medium, small or micro")]
    Size(String),
    #[error("诉求类别“{0}”无效 / category “{0}” is unknown")]
    Category(String),
    #[error("辖区内无此派出所 / no such station in your scope")]
    Station,
    #[error("该民警不在企业所属单位 / that officer does not work at the enterprise's unit")]
    Officer,
    #[error("当前环节（{stage}）不能执行“{action}” / “{action}” is not possible at stage {stage}")]
    Transition { stage: String, action: &'static str },
    #[error("无权执行此操作 / not allowed")]
    Forbidden,
    #[error("{0}")]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for EnterpriseError {
    const MODULE: &'static str = "enterprise";

    fn kind(&self) -> &'static str {
        match self {
            EnterpriseError::Uscc(_) => "uscc",
            EnterpriseError::Field(..) => "field",
            EnterpriseError::Context(..) => "context",
            EnterpriseError::OutsideCity => "outside_city",
            EnterpriseError::Industry(_) => "industry",
            EnterpriseError::Size(_) => "size",
            EnterpriseError::Category(_) => "category",
            // Which units and officers exist is stored, not stated by any schema.
            EnterpriseError::Station | EnterpriseError::Officer => "not_in_scope",
            EnterpriseError::Transition { .. } => "transition",
            EnterpriseError::Forbidden => "forbidden",
            EnterpriseError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            EnterpriseError::Uscc(_) => Some("uscc"),
            EnterpriseError::Field(f, _) | EnterpriseError::Context(f, _) => Some(f),
            EnterpriseError::OutsideCity => Some("lon"),
            EnterpriseError::Industry(_) => Some("industry"),
            EnterpriseError::Size(_) => Some("size"),
            EnterpriseError::Category(_) => Some("category"),
            EnterpriseError::Station => Some("unit_id"),
            EnterpriseError::Officer => Some("officer_id"),
            _ => None,
        }
    }
}

/// `field` refused for a reason of its own, as handlers return it.
pub fn refuse(field: &'static str, zh: impl std::fmt::Display, en: impl std::fmt::Display) -> ApiError {
    EnterpriseError::Field(field, format!("{zh} / {en}")).into()
}

impl From<EnterpriseError> for ApiError {
    fn from(e: EnterpriseError) -> ApiError {
        match e {
            EnterpriseError::Store(s) => ApiError::from(s),
            EnterpriseError::Forbidden => ApiError::plain(ErrorCode::Forbidden),
            EnterpriseError::Transition { .. } => {
                let text = e.to_string();
                let (zh, en) = crate::http::error::split_bilingual(&text);
                ApiError::new(ErrorCode::Conflict, zh, en)
            }
            EnterpriseError::Field(field, ref text) | EnterpriseError::Context(field, ref text) => {
                coded_field_error(e.code(), field, text)
            }
            other => other.refused(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_texts_carry_both_languages() {
        let e = EnterpriseError::Industry("Z".into());
        assert_eq!(e.code(), "enterprise.industry");
        let api = ApiError::from(EnterpriseError::Field("name", "必填 / required".into()));
        assert_eq!(api.errors[0].code.as_deref(), Some("enterprise.field"));
        let api = ApiError::from(e);
        assert_eq!(api.errors[0].field, "industry");
        assert!(api.errors[0].message.contains("行业") && api.errors[0].message.contains("GB/T 4754 section"));
        let t = ApiError::from(EnterpriseError::Transition { stage: "closed".into(), action: "accept" });
        assert_eq!(t.code, ErrorCode::Conflict);
    }
}
