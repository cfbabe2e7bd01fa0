//! Citizen services' errors: each kind has a stable code (`services.…`, sent with the field
//! error) and its text in Chinese and English; storage errors keep their cause, so the
//! exchange, outbox and cross-city workers log what really failed. `From<ServicesError> for
//! ApiError` converts at the HTTP edge.

use std::borrow::Cow;

use crate::http::error::{ApiError, ErrorCode};
use crate::http::rule::{Refusal, Rule};

#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    /// The field is a name (`note`) or a path (`details.reason`).
    #[error("{0}：{1}")]
    Field(Cow<'static, str>, Rule),
    #[error("办事事项不存在或已停办 / no such service item, or it is no longer offered")]
    NoSuchItem,
    #[error("已有使用此代码的事项 / an item already has this code")]
    ItemExists,
    #[error("该事项不属于跨市通办 / this item is not handled across cities")]
    NotCrossCity,
    #[error("该事项不属于全城通办，须由户籍所在地派出所办理 / this item is handled only by the household station")]
    NotCitywide,
    #[error("须在派出所受理 / applications are taken at a police station")]
    AtStation,
    #[error("未找到该公民的户籍登记 / no registered resident with this number")]
    Unregistered,
    #[error("确认码错误或已过期 / the code is wrong or expired")]
    CodeRejected,
    #[error(
        "身份信息变更须申请人本人确认：向其登记手机发送确认码后填写 / an identity change needs the applicant's confirmation: send a code to their registered phone and enter it"
    )]
    ConfirmationNeeded,
    #[error("身份证号或验证码错误 / wrong ID number or code")]
    SignInRefused,
    #[error("签名无效 / unknown sender or bad signature")]
    BadSignature,
    #[error("操作过于频繁，请一分钟后再试 / too many attempts; wait a minute")]
    TooManyAttempts,
    #[error("已对该记录提出过疑问 / already flagged")]
    AlreadyFlagged,
    #[error("未找到 / not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
}

impl Refusal for ServicesError {
    const MODULE: &'static str = "services";

    fn kind(&self) -> &'static str {
        match self {
            ServicesError::Field(_, rule) => rule.code(),
            ServicesError::NoSuchItem => "no_such_item",
            ServicesError::ItemExists => "item_exists",
            ServicesError::NotCrossCity => "not_cross_city",
            ServicesError::NotCitywide => "not_citywide",
            ServicesError::AtStation => "at_station",
            // Who is registered is stored, not stated by any schema.
            ServicesError::Unregistered => "unknown_reference",
            ServicesError::CodeRejected => "code_rejected",
            ServicesError::ConfirmationNeeded => "confirmation_needed",
            ServicesError::SignInRefused => "sign_in_refused",
            ServicesError::BadSignature => "bad_signature",
            ServicesError::TooManyAttempts => "too_many_attempts",
            ServicesError::AlreadyFlagged => "already_flagged",
            ServicesError::NotFound => "not_found",
            ServicesError::Store(_) => "store",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ServicesError::Field(f, _) => Some(f),
            ServicesError::NoSuchItem | ServicesError::NotCrossCity => Some("item"),
            ServicesError::ItemExists => Some("code"),
            ServicesError::NotCitywide | ServicesError::AtStation => Some("station"),
            ServicesError::Unregistered => Some("id_number"),
            ServicesError::CodeRejected | ServicesError::ConfirmationNeeded => Some("citizen_code"),
            _ => None,
        }
    }
}

/// `field` refused by `rule`, as handlers return it.
pub fn refuse(field: impl Into<Cow<'static, str>>, rule: Rule) -> ApiError {
    ServicesError::Field(field.into(), rule).into()
}

impl From<ServicesError> for ApiError {
    fn from(e: ServicesError) -> ApiError {
        let plain = |code: ErrorCode, e: &ServicesError| {
            let text = e.to_string();
            let (zh, en) = crate::http::error::split_bilingual(&text);
            ApiError::new(code, zh, en)
        };
        match e {
            ServicesError::Store(s) => ApiError::from(s),
            ServicesError::Field(field, rule) => rule.refuse(ServicesError::MODULE, &field),
            ServicesError::SignInRefused => plain(ErrorCode::BadCredentials, &e),
            ServicesError::BadSignature => plain(ErrorCode::Unauthenticated, &e),
            ServicesError::TooManyAttempts => plain(ErrorCode::TooManyAttempts, &e),
            ServicesError::AlreadyFlagged => plain(ErrorCode::Conflict, &e),
            // A state of stored records, not of the request: a conflict, still named beside
            // the code field so a form can show it there.
            ServicesError::ItemExists => ApiError { code: ErrorCode::Conflict, ..e.refused() },
            ServicesError::NotFound => ApiError::plain(ErrorCode::NotFound),
            other => other.refused(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_their_status_and_field_errors_their_code() {
        assert_eq!(ApiError::from(ServicesError::BadSignature).code, ErrorCode::Unauthenticated);
        assert_eq!(ApiError::from(ServicesError::SignInRefused).code, ErrorCode::BadCredentials);
        assert_eq!(ApiError::from(ServicesError::AlreadyFlagged).code, ErrorCode::Conflict);
        let api = ApiError::from(ServicesError::NotCitywide);
        assert_eq!(
            (api.errors[0].field.as_str(), api.errors[0].code.as_deref()),
            ("station", Some("services.not_citywide"))
        );
    }

    #[test]
    fn a_storage_failure_keeps_its_cause_for_the_workers_log() {
        let io = std::io::Error::other("disk full");
        let e = ServicesError::from(ningan_store::StoreError::DataDir { path: "/data".into(), source: io });
        let logged = crate::http::error::cause_chain(&e);
        assert!(logged.contains("disk full"), "{logged}");
    }
}
