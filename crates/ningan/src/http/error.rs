//! The one HTTP error type. Each code is declared once with its status and titles; responses
//! are `application/problem+json` (RFC 9457) with Chinese and English messages. Internal
//! errors are logged with their cause and reach the client only as a generic 500.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ningan_store::StoreError;
use serde::Serialize;

macro_rules! error_codes {
    ($($variant:ident => $status:ident, $slug:literal, $zh:literal, $en:literal;)*) => {
        /// The stable catalogue of problem types.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status),* }
            }

            pub fn slug(self) -> &'static str {
                match self { $(ErrorCode::$variant => $slug),* }
            }

            pub fn title_zh(self) -> &'static str {
                match self { $(ErrorCode::$variant => $zh),* }
            }

            pub fn title_en(self) -> &'static str {
                match self { $(ErrorCode::$variant => $en),* }
            }
        }
    };
}

error_codes! {
    Validation => UNPROCESSABLE_ENTITY, "validation", "输入有误", "Invalid input";
    MalformedRequest => BAD_REQUEST, "malformed-request", "请求格式错误", "Malformed request";
    Unauthenticated => UNAUTHORIZED, "unauthenticated", "请先登录", "Authentication required";
    BadCredentials => UNAUTHORIZED, "bad-credentials", "用户名或密码错误", "Wrong username or password";
    AccountLocked => TOO_MANY_REQUESTS, "account-locked", "账号已临时锁定", "Account temporarily locked";
    TooManyAttempts => TOO_MANY_REQUESTS, "too-many-attempts", "尝试次数过多", "Too many attempts";
    Forbidden => FORBIDDEN, "forbidden", "无权执行此操作", "Not allowed";
    CsrfRejected => FORBIDDEN, "csrf-rejected", "页面已过期，请刷新后重试", "Missing or wrong CSRF token";
    NotFound => NOT_FOUND, "not-found", "未找到", "Not found";
    Conflict => CONFLICT, "conflict", "记录已存在", "Already exists";
    IdempotencyMismatch => UNPROCESSABLE_ENTITY, "idempotency-key-reused", "幂等键已用于另一请求", "Idempotency key reused with a different request";
    IdempotencyInProgress => CONFLICT, "idempotency-in-progress", "相同请求正在处理", "A request with this idempotency key is still running";
    PayloadTooLarge => PAYLOAD_TOO_LARGE, "payload-too-large", "请求内容过大", "Request body too large";
    Timeout => REQUEST_TIMEOUT, "timeout", "请求超时", "Request timed out";
    Internal => INTERNAL_SERVER_ERROR, "internal", "服务器内部错误", "Internal server error";
    Unavailable => SERVICE_UNAVAILABLE, "unavailable", "服务暂不可用，请稍后重试", "Service unavailable; retry shortly";
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// The module's stable code for this kind of refusal (`precise.length`), where the
    /// module has typed its errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail_zh: String,
    pub detail_en: String,
    pub errors: Vec<FieldError>,
    /// Logged, never sent.
    pub cause: Option<String>,
}

/// The problem document as sent.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub title_en: String,
    pub detail_en: String,
    /// Only when fields were refused (422): each field with its message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError { code, detail_zh: zh.into(), detail_en: en.into(), errors: Vec::new(), cause: None }
    }

    /// Uses the code's titles as the message.
    pub fn plain(code: ErrorCode) -> ApiError {
        ApiError::new(code, code.title_zh(), code.title_en())
    }

    /// One field is wrong; the message is shown next to it.
    pub fn field(field: &str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        let zh = zh.into();
        let en = en.into();
        ApiError {
            code: ErrorCode::Validation,
            errors: vec![FieldError { field: field.into(), message: format!("{zh} / {en}"), code: None }],
            detail_zh: format!("{field}：{zh}"),
            detail_en: format!("{field}: {en}"),
            cause: None,
        }
    }

    /// Gives every field error the stable `code`: `{module}.unknown_reference` marks a
    /// well-formed value naming a record that does not exist (no schema can say that).
    pub fn with_code(mut self, code: &str) -> ApiError {
        for e in &mut self.errors {
            e.code = Some(code.to_string());
        }
        self
    }

    /// One field is wrong, with a library error whose text is `中文 / English` (the form the
    /// validators in `ningan-core` and `secrets` use).
    pub fn field_from(field: &str, e: impl std::fmt::Display) -> ApiError {
        let msg = e.to_string();
        let (zh, en) = split_bilingual(&msg);
        ApiError::field(field, zh, en)
    }

    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        let mut e = ApiError::plain(ErrorCode::Internal);
        e.cause = Some(cause.to_string());
        e
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("/problems/{}", self.code.slug()),
            title: self.code.title_zh().into(),
            status: self.code.status().as_u16(),
            detail: self.detail_zh.clone(),
            title_en: self.code.title_en().into(),
            detail_en: self.detail_en.clone(),
            errors: self.errors.clone(),
        }
    }
}

/// For logs: the English detail, the field errors and the hidden cause, so a worker's log line
/// names what really failed (an internal error's detail alone says only "Internal server
/// error").
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.slug(), self.detail_en)?;
        for e in &self.errors {
            write!(f, "; {}: {}", e.field, e.message)?;
        }
        if let Some(cause) = &self.cause {
            write!(f, "; cause: {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// `中文 / English` → (Chinese, English); either order is read, since older storage texts put
/// the English first. A message without the separator serves for both.
pub fn split_bilingual(msg: &str) -> (&str, &str) {
    let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    match msg.split_once(" / ") {
        Some((a, b)) if !han(a) && han(b) => (b, a),
        Some(halves) => halves,
        None => (msg, msg),
    }
}

/// An error and its sources, each once: what a log line needs to name the real cause.
pub fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Whether `s` reads as a field name (`amount`, `details.reason`), not a sentence.
fn is_field_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::plain(ErrorCode::NotFound),
            StoreError::Conflict(what) => {
                let mut err =
                    ApiError::new(ErrorCode::Conflict, format!("{what} 已存在"), format!("{what} already exists"));
                err.errors.push(FieldError {
                    field: what.clone(),
                    message: "已存在 / already exists".into(),
                    code: None,
                });
                err
            }
            StoreError::State(msg) => {
                let (zh, en) = split_bilingual(&msg);
                ApiError::new(ErrorCode::Conflict, zh, en)
            }
            StoreError::Invalid(msg) => {
                let (field, message) =
                    msg.split_once(": ").filter(|(f, _)| is_field_name(f)).unwrap_or(("", msg.as_str()));
                let (zh, en) = split_bilingual(message);
                let mut err = ApiError::new(ErrorCode::Validation, zh, en);
                let message = if zh == en { zh.to_string() } else { format!("{zh} / {en}") };
                // The store refuses a reference outside the caller's units in these words;
                // which records those are is stored, so the refusal carries the same code as a
                // module's own `Rule::NotInScope`.
                let code = en.ends_with("in your scope").then(|| "store.not_in_scope".to_string());
                err.errors.push(FieldError { field: field.into(), message, code });
                err
            }
            other => ApiError::internal(cause_chain(&other)),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(code = self.code.slug(), %cause, "request failed");
        }
        let status = self.code.status();
        let body = serde_json::to_string(&self.problem()).unwrap_or_else(|_| "{}".into());
        let mut resp = (status, body).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        resp
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn storage_texts_split_into_each_language_whichever_comes_first() {
        let e = ApiError::from(StoreError::Invalid(
            "status: cannot go from released to notified / 不能从“released”变为“notified”".into(),
        ));
        assert_eq!(e.detail_zh, "不能从“released”变为“notified”");
        assert_eq!(e.detail_en, "cannot go from released to notified");
        assert_eq!(e.errors[0].field, "status");
        let e = ApiError::from(StoreError::State(
            "该诉求已被他人处理，请刷新 / the request was moved meanwhile: reload it".into(),
        ));
        assert_eq!(
            (e.detail_zh.as_str(), e.detail_en.as_str()),
            ("该诉求已被他人处理，请刷新", "the request was moved meanwhile: reload it")
        );
        let e = ApiError::from(StoreError::Invalid("a sentence: not a field / 一句话".into()));
        assert_eq!(e.errors[0].field, "", "only a field name counts as a field");
    }

    #[test]
    fn an_internal_storage_error_keeps_its_whole_cause_chain() {
        let io = std::io::Error::other("disk full");
        let e = ApiError::from(StoreError::DataDir { path: "/data".into(), source: io });
        let logged = e.to_string();
        assert!(logged.contains("/data") && logged.contains("disk full"), "{logged}");
    }

    #[test]
    fn the_logged_form_names_the_hidden_cause() {
        let e = ApiError::internal("database: connection refused");
        assert_eq!(e.to_string(), "internal: Internal server error; cause: database: connection refused");
        assert!(!e.problem().detail_en.contains("refused"), "the cause is never sent");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_type_and_both_titles() {
        let mut slugs: Vec<_> = ErrorCode::ALL.iter().map(|c| c.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), ErrorCode::ALL.len());
        assert!(ErrorCode::ALL.iter().all(|c| !c.title_zh().is_empty() && c.title_en().is_ascii()));
    }

    #[test]
    fn bilingual_library_errors_split_into_both_languages_once() {
        let e = ApiError::field_from("new", "密码太短 / too short");
        assert_eq!((e.detail_zh.as_str(), e.detail_en.as_str()), ("new：密码太短", "new: too short"));
        assert_eq!(e.errors[0].message, "密码太短 / too short");
        assert_eq!(split_bilingual("only one"), ("only one", "only one"));
    }

    #[test]
    fn internal_causes_never_reach_the_client() {
        let e = ApiError::internal("password authentication failed for user postgres");
        let p = serde_json::to_string(&e.problem()).unwrap();
        assert!(!p.contains("postgres"), "{p}");
        assert!(p.contains("\"status\":500"));
    }
}
