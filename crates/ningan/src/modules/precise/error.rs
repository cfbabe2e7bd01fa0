//! Precise control's errors: each kind has a stable code (`precise.…`, sent with the field
//! error and used by tests) and its text in Chinese and English; storage errors keep their
//! cause. Validators return `PreciseError`; `From<PreciseError> for ApiError` converts at the
//! HTTP edge.

use crate::http::error::ApiError;
use crate::http::rule::{Refusal, Rule};

#[derive(Debug, thiserror::Error)]
pub enum PreciseError {
    #[error("{0}：{1}")]
    Field(&'static str, Rule),
    #[error(
        "本辖区人口库中没有此身份证号，请先登记人口 / no resident with this ID number in your area: register the person first"
    )]
    NotRegistered,
    #[error("该人员未登记居住小区，不能签发通行码 / the resident has no compound on record")]
    NoCompound,
    #[error("该人员已隔离或已解除 / the contact is already quarantined or released")]
    AlreadyHeld,
    #[error("不能解除隔离：{zh} / cannot release yet: {en}")]
    NotReleasable { zh: String, en: String },
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for PreciseError {
    const MODULE: &'static str = "precise";

    fn kind(&self) -> &'static str {
        match self {
            PreciseError::Field(_, rule) => rule.code(),
            PreciseError::NotRegistered => "not_registered",
            PreciseError::NoCompound => "no_compound",
            PreciseError::AlreadyHeld => "already_held",
            PreciseError::NotReleasable { .. } => "not_releasable",
            PreciseError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            PreciseError::Field(f, _) => Some(f),
            PreciseError::NotRegistered => Some("id_number"),
            PreciseError::NoCompound => Some("resident_id"),
            PreciseError::AlreadyHeld => Some("followup_id"),
            PreciseError::NotReleasable { .. } => Some("id"),
            PreciseError::Store(_) => None,
        }
    }
}

/// `field` refused by `rule`, as handlers return it.
pub fn refuse(field: &'static str, rule: Rule) -> ApiError {
    PreciseError::Field(field, rule).into()
}

impl From<PreciseError> for ApiError {
    fn from(e: PreciseError) -> ApiError {
        match e {
            PreciseError::Store(s) => ApiError::from(s),
            PreciseError::Field(field, rule) => rule.refuse("precise", field),
            other => other.refused(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reaches_the_client_with_its_code_beside_its_field() {
        let api = ApiError::from(PreciseError::NotRegistered);
        assert_eq!(api.errors[0].field, "id_number");
        assert_eq!(api.errors[0].code.as_deref(), Some("precise.not_registered"));
        assert!(api.detail_zh.contains("请先登记人口") && api.detail_en.contains("register the person first"));
        let api = ApiError::from(PreciseError::Field("note", Rule::TooLong(500)));
        assert_eq!(api.errors[0].code.as_deref(), Some("precise.length"));
    }
}
