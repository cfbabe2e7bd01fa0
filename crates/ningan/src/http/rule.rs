//! The common ways a field is refused, each with a stable code and its text in Chinese and
//! English. A module's error enum pairs a rule with the field it belongs to, so one kind of
//! mistake reads the same in every module and a client tells kinds apart by code
//! (`precise.length`, `fraud.time`) rather than by the wording.

use std::borrow::Cow;

use super::error::{ApiError, ErrorCode, FieldError};

type Text = Cow<'static, str>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error("必填 / required")]
    Required,
    #[error("最多{0}字 / at most {0} characters")]
    TooLong(usize),
    #[error("必填，最多{0}字 / required, at most {0} characters")]
    RequiredUpTo(usize),
    #[error("须为{0}–{1}字 / {0} to {1} characters")]
    Length(usize, usize),
    #[error("请说明理由（{0}–{1}字） / state a reason of {0}–{1} characters")]
    Reason(usize, usize),
    #[error("时间格式无效（RFC 3339） / must be an RFC 3339 time")]
    Time,
    #[error("日期格式应为 YYYY-MM-DD / must be YYYY-MM-DD")]
    Date,
    #[error("不能晚于现在 / cannot be in the future")]
    Future,
    #[error("坐标不在宁波市范围内 / the location is outside Ningbo")]
    OutsideCity,
    #[error("应为{0}至{1} / must be {0} to {1}")]
    Range(i64, i64),
    /// `zh` names the choices in Chinese, `codes` lists what the API accepts.
    #[error("应为{zh} / must be one of {codes}")]
    OneOf { zh: Text, codes: Text },
    #[error("首行须为：{0} / the first line must be: {0}")]
    CsvHeader(&'static str),
    #[error("不存在或不在本单位范围内 / unknown or outside your scope")]
    NotInScope,
    /// A rule about stored records, the clock or several fields together, which no schema
    /// of the field can state: a client cannot check it before sending.
    #[error("{zh} / {en}")]
    Context { zh: Text, en: Text },
    /// A rule of one field only; the module's code still tells it apart from the others.
    #[error("{zh} / {en}")]
    Other { zh: Text, en: Text },
}

impl Rule {
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Required | Rule::RequiredUpTo(_) => "required",
            Rule::TooLong(_) | Rule::Length(..) => "length",
            Rule::Reason(..) => "reason",
            Rule::Time => "time",
            Rule::Date => "date",
            Rule::Future => "future",
            Rule::OutsideCity => "outside_city",
            Rule::Range(..) => "range",
            Rule::OneOf { .. } => "one_of",
            Rule::CsvHeader(_) => "csv_header",
            Rule::NotInScope => "not_in_scope",
            Rule::Context { .. } => "context",
            Rule::Other { .. } => "invalid",
        }
    }

    pub fn other(zh: impl Into<Text>, en: impl Into<Text>) -> Rule {
        Rule::Other { zh: zh.into(), en: en.into() }
    }

    /// See [`Rule::Context`].
    pub fn context(zh: impl Into<Text>, en: impl Into<Text>) -> Rule {
        Rule::Context { zh: zh.into(), en: en.into() }
    }

    pub fn one_of(zh: impl Into<Text>, codes: &[&str]) -> Rule {
        Rule::OneOf { zh: zh.into(), codes: codes.join(", ").into() }
    }

    /// This rule broken on `field`, as the HTTP edge sends it: a validation problem whose
    /// field error carries `{module}.{code}`.
    pub fn refuse(&self, module: &str, field: &str) -> ApiError {
        coded_field_error(format!("{module}.{}", self.code()), field, &self.to_string())
    }
}

/// A module's error enum, as the HTTP edge needs to see it: the kind (the code's second half)
/// and the field it belongs beside. Its `Display` is the `中文 / English` text.
pub trait Refusal: std::fmt::Display {
    const MODULE: &'static str;
    fn kind(&self) -> &'static str;
    fn field(&self) -> Option<&str>;

    /// The stable code: `{module}.{kind}`.
    fn code(&self) -> String {
        format!("{}.{}", Self::MODULE, self.kind())
    }

    /// The validation problem sent for this error.
    fn refused(&self) -> ApiError {
        coded_field_error(self.code(), self.field().unwrap_or(""), &self.to_string())
    }
}

/// A validation problem on `field` whose error carries `code`, from a `中文 / English` text:
/// what a module's error enum becomes at the HTTP edge.
pub fn coded_field_error(code: String, field: &str, text: &str) -> ApiError {
    let (zh, en) = super::error::split_bilingual(text);
    let mut e = ApiError::new(ErrorCode::Validation, format!("{field}：{zh}"), format!("{field}: {en}"));
    e.errors.push(FieldError { field: field.into(), message: format!("{zh} / {en}"), code: Some(code) });
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_field_carries_the_modules_code_and_both_languages() {
        let e = Rule::TooLong(500).refuse("precise", "note");
        assert_eq!(e.code, ErrorCode::Validation);
        assert_eq!(e.errors[0].code.as_deref(), Some("precise.length"));
        assert_eq!(e.errors[0].message, "最多500字 / at most 500 characters");
        assert_eq!((e.detail_zh.as_str(), e.detail_en.as_str()), ("note：最多500字", "note: at most 500 characters"));
    }

    #[test]
    fn a_choice_names_the_codes_the_api_accepts() {
        let r = Rule::one_of("密接或次密接", &["close", "secondary"]);
        assert_eq!(r.to_string(), "应为密接或次密接 / must be one of close, secondary");
        assert_eq!(r.code(), "one_of");
    }
}
