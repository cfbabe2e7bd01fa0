//! Anti-fraud's errors: each kind has a stable code (`fraud.…`, sent with the field error) and
//! its text in Chinese and English; storage errors keep their cause. `From<FraudError> for
//! ApiError` converts at the HTTP edge.

use std::borrow::Cow;

use crate::http::error::{ApiError, ErrorCode};
use crate::http::rule::{Refusal, Rule};

#[derive(Debug, thiserror::Error)]
pub enum FraudError {
    /// The field is a name (`reason`) or, in a batch, a path (`entries[3].value`).
    #[error("{0}：{1}")]
    Field(Cow<'static, str>, Rule),
    #[error("只能移交给派出所 / tasks go to police stations")]
    NotStation,
    #[error("只有“已劝阻”才能登记避免损失金额 / only a dissuasion protects money")]
    OnlyDissuasionProtects,
    #[error("受理须登记发案信息 / accepting files a case: send it")]
    CaseRequired,
    #[error("规则文件第{line}行：{zh} / rules, line {line}: {en}")]
    Rules { line: usize, zh: String, en: String },
    #[error("查询过于频繁，请一分钟后再试 / too many look-ups from this address; try again in a minute")]
    TooManyLookups,
    #[error(
        "案件已处于该阶段或之后，阶段只能向前推进 / the case already stands there or further on; a stage only moves forward"
    )]
    StageBehind,
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for FraudError {
    const MODULE: &'static str = "fraud";

    fn kind(&self) -> &'static str {
        match self {
            FraudError::Field(_, rule) => rule.code(),
            // Which units are stations is stored, not stated by any schema.
            FraudError::NotStation => "not_in_scope",
            FraudError::OnlyDissuasionProtects => "only_dissuasion_protects",
            FraudError::CaseRequired => "case_required",
            FraudError::Rules { .. } => "rules",
            FraudError::TooManyLookups => "too_many_lookups",
            FraudError::StageBehind => "stage_behind",
            FraudError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            FraudError::Field(f, _) => Some(f),
            FraudError::NotStation => Some("to_unit_id"),
            FraudError::OnlyDissuasionProtects => Some("amount_protected"),
            FraudError::CaseRequired => Some("case"),
            FraudError::Rules { .. } => Some("rules"),
            FraudError::StageBehind => Some("stage"),
            FraudError::TooManyLookups | FraudError::Store(_) => None,
        }
    }
}

/// `field` refused by `rule`, as handlers return it.
pub fn refuse(field: impl Into<Cow<'static, str>>, rule: Rule) -> ApiError {
    FraudError::Field(field.into(), rule).into()
}

impl From<FraudError> for ApiError {
    fn from(e: FraudError) -> ApiError {
        match e {
            FraudError::Store(s) => ApiError::from(s),
            FraudError::Field(field, rule) => rule.refuse(FraudError::MODULE, &field),
            FraudError::TooManyLookups => {
                let text = e.to_string();
                let (zh, en) = crate::http::error::split_bilingual(&text);
                ApiError::new(ErrorCode::TooManyAttempts, zh, en)
            }
            other => other.refused(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_rows_field_keeps_its_path_and_the_modules_code() {
        let api = ApiError::from(FraudError::Field("entries[3].confidence".into(), Rule::Range(0, 100)));
        assert_eq!(api.errors[0].field, "entries[3].confidence");
        assert_eq!(api.errors[0].code.as_deref(), Some("fraud.range"));
        let api = ApiError::from(FraudError::Rules { line: 4, zh: "未知字段".into(), en: "unknown field".into() });
        assert_eq!(api.errors[0].code.as_deref(), Some("fraud.rules"));
        assert!(api.detail_zh.contains("第4行") && api.detail_en.contains("line 4"));
    }

    #[test]
    fn too_many_look_ups_is_a_rate_limit_not_a_field_error() {
        let api = ApiError::from(FraudError::TooManyLookups);
        assert_eq!(api.code, ErrorCode::TooManyAttempts);
        assert!(api.errors.is_empty());
    }
}
