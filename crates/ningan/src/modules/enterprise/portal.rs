//! The 11087 portal's principal: an enterprise account signed in with a one-time code sent
//! to its registered phone. The session lives in this module's own tables and cookie; a
//! write must carry the session's CSRF token (the `X-CSRF-Token` header for the API, the
//! `csrf_token` field for forms), which [`MemberWrite`] and [`MemberForm`] check before any
//! handler runs, so no handler can forget it.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::store::portal::{self, Account};
use crate::app::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::principal::cookie_value;
use crate::secrets::sha256_hex;

pub const COOKIE: &str = "ningan_enterprise";
pub const SESSION_HOURS: i64 = 8;
pub const CODE_MINUTES: i64 = 5;

/// A signed-in enterprise account.
#[derive(Debug, Clone)]
pub struct Member {
    pub account: Account,
    pub csrf_token: String,
    pub session_hash: String,
}

impl Member {
    pub fn actor(&self) -> ningan_store::Actor {
        ningan_store::Actor { name: format!("enterprise:{}", self.account.id), unit_id: None }
    }
}

fn app_state(parts: &Parts) -> Result<AppState, ApiError> {
    parts.extensions.get::<AppState>().cloned().ok_or_else(|| ApiError::internal("application state missing"))
}

async fn member(parts: &Parts) -> Result<Option<Member>, ApiError> {
    let Some(token) = cookie_value(&parts.headers, COOKIE) else { return Ok(None) };
    let state = app_state(parts)?;
    let session_hash = sha256_hex(token.as_bytes());
    let Some((account_id, csrf_token)) =
        portal::session_get(&state.db, &session_hash, ningan_core::time::now_ms()).await?
    else {
        return Ok(None);
    };
    let account = portal::account_get(&state.db, account_id).await?;
    Ok(Some(Member { account, csrf_token, session_hash }))
}

fn unauthenticated() -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, "请先登录企业服务平台", "sign in to the enterprise portal first")
}

impl<S: Send + Sync> FromRequestParts<S> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Member, ApiError> {
        member(parts).await?.ok_or_else(unauthenticated)
    }
}

/// An optional member, for pages that show a sign-in form to visitors.
pub struct MaybeMember(pub Option<Member>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeMember {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<MaybeMember, ApiError> {
        Ok(MaybeMember(member(parts).await?))
    }
}

/// A member making an API write: the `X-CSRF-Token` header must match the session's.
pub struct MemberWrite(pub Member);

impl<S: Send + Sync> FromRequestParts<S> for MemberWrite {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<MemberWrite, ApiError> {
        let m = Member::from_request_parts(parts, s).await?;
        let given = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
        if bool::from(given.as_bytes().ct_eq(m.csrf_token.as_bytes())) {
            Ok(MemberWrite(m))
        } else {
            Err(ApiError::plain(ErrorCode::CsrfRejected))
        }
    }
}

/// A member submitting a form: its `csrf_token` field must match the session's.
pub struct MemberForm<T>(pub Member, pub T);

#[derive(serde::Deserialize)]
struct Csrf {
    #[serde(default)]
    csrf_token: String,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for MemberForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, s: &S) -> Result<MemberForm<T>, ApiError> {
        let (mut parts, body) = req.into_parts();
        let m = Member::from_request_parts(&mut parts, s).await?;
        let limit = app_state(&parts)?.config.http.body_limit_bytes;
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| ApiError::plain(ErrorCode::PayloadTooLarge))?;
        let csrf: Csrf = serde_urlencoded::from_bytes(&bytes).map_err(|_| ApiError::plain(ErrorCode::CsrfRejected))?;
        if !bool::from(csrf.csrf_token.as_bytes().ct_eq(m.csrf_token.as_bytes())) {
            return Err(ApiError::plain(ErrorCode::CsrfRejected));
        }
        let form: T = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            ApiError::new(ErrorCode::MalformedRequest, format!("表单无效：{e}"), format!("invalid form: {e}"))
        })?;
        Ok(MemberForm(m, form))
    }
}

pub fn code_hash(account_id: i64, code: &str) -> String {
    sha256_hex(format!("ningan-enterprise-code:{account_id}:{}", code.trim()).as_bytes())
}

/// Queues a sign-in code when the credit code and phone match an account; the answer is the
/// same either way. Returns the code itself only when the demo shows codes on the page.
pub async fn send_code(state: &AppState, uscc: &str, phone: &str) -> Result<Option<String>, ApiError> {
    let uscc = super::uscc::Uscc::parse(uscc).map_err(|e| ApiError::field_from("uscc", e))?;
    let phone = ningan_core::Phone::parse(phone).map_err(|e| ApiError::field_from("phone", e))?;
    let Some(account) = portal::account_by_code_and_phone(&state.db, uscc.as_str(), phone.as_str()).await? else {
        return Ok(None);
    };
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let now = ningan_core::time::now_ms();
    let text = format!("【宁波公安 11087】您的企业服务平台登录验证码为{code}，{CODE_MINUTES}分钟内有效。");
    let mut w = state.db.write().await?;
    portal::code_insert(&mut w, account.id, &code_hash(account.id, &code), now, now + CODE_MINUTES * 60_000).await?;
    ningan_store::sql::query("INSERT INTO sms_outbox (phone, text, created_at) VALUES ($1, $2, $3)")
        .bind(phone.as_str())
        .bind(&text)
        .bind(now)
        .execute(w.connection())
        .await
        .map_err(ningan_store::StoreError::from)?;
    w.commit().await?;
    Ok(state.config.portal.show_codes.then_some(code))
}

/// Checks the code and opens a session: the cookie header and the CSRF token.
pub async fn sign_in(state: &AppState, uscc: &str, phone: &str, code: &str) -> Result<(String, String), ApiError> {
    let wrong =
        || ApiError::new(ErrorCode::BadCredentials, "信用代码、手机号或验证码错误", "wrong credit code, phone or code");
    let uscc = super::uscc::Uscc::parse(uscc).map_err(|_| wrong())?;
    let phone = ningan_core::Phone::parse(phone).map_err(|_| wrong())?;
    let account =
        portal::account_by_code_and_phone(&state.db, uscc.as_str(), phone.as_str()).await?.ok_or_else(wrong)?;
    let now = ningan_core::time::now_ms();
    let mut w = state.db.write().await?;
    if !portal::code_check(&mut w, account.id, &code_hash(account.id, code), now).await? {
        w.commit().await?;
        return Err(wrong());
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    let csrf = hex::encode(rand::random::<[u8; 16]>());
    portal::session_create(
        &mut w,
        &sha256_hex(token.as_bytes()),
        account.id,
        &csrf,
        now,
        now + SESSION_HOURS * 3_600_000,
    )
    .await?;
    w.audit(ningan_store::NewAudit::system(
        "enterprise.sign_in",
        "enterprise",
        &account.enterprise_id.to_string(),
        "portal",
    ))
    .await?;
    w.commit().await?;
    let secure = if state.config.session.secure_cookie { "; Secure" } else { "" };
    let cookie =
        format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", SESSION_HOURS * 3600);
    Ok((cookie, csrf))
}

/// A member submitting a form with files (multipart): text fields and files, the CSRF token
/// taken from the `csrf_token` field or the `X-CSRF-Token` header, checked before the handler.
pub struct MemberMultipart {
    pub member: Member,
    pub fields: std::collections::HashMap<String, String>,
    pub files: Vec<super::attach::Upload>,
}

impl<S: Send + Sync> FromRequest<S> for MemberMultipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, s: &S) -> Result<MemberMultipart, ApiError> {
        let (mut parts, body) = req.into_parts();
        let member = Member::from_request_parts(&mut parts, s).await?;
        let header = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
        let req = Request::from_parts(parts, body);
        let mut form = axum::extract::Multipart::from_request(req, s).await.map_err(|e| {
            ApiError::new(ErrorCode::MalformedRequest, format!("表单无效：{e}"), format!("invalid form: {e}"))
        })?;
        let mut fields = std::collections::HashMap::new();
        let mut files = Vec::new();
        let broke = |e: axum::extract::multipart::MultipartError| {
            super::error::refuse("files", format!("上传中断：{e}"), format!("the upload broke off: {e}"))
        };
        while let Some(field) = form.next_field().await.map_err(broke)? {
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = field.bytes().await.map_err(broke)?;
                    // A file input left empty still sends a part, nameless and empty.
                    if !(file_name.is_empty() && bytes.is_empty()) {
                        files.push(super::attach::Upload { name: file_name, bytes: bytes.to_vec() });
                    }
                }
                None => {
                    fields.insert(name, field.text().await.map_err(broke)?);
                }
            }
        }
        let given = header.or_else(|| fields.get("csrf_token").cloned()).unwrap_or_default();
        if !bool::from(given.as_bytes().ct_eq(member.csrf_token.as_bytes())) {
            return Err(ApiError::plain(ErrorCode::CsrfRejected));
        }
        Ok(MemberMultipart { member, fields, files })
    }
}
