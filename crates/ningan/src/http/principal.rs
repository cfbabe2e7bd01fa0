//! Who is calling: an officer with a session, or a device or partner agency with an API
//! token. Resolved once per request by [`authenticate`]; routes then only ask it what it may
//! do ([`Principal::may`]) and over which units ([`Principal::scope`]).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ningan_core::{Action, Role, access};
use ningan_store::{Actor, ApiToken, OrgUnit, Scope, User};
use subtle::ConstantTimeEq;

use crate::app::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::secrets::sha256_hex;

pub const SESSION_COOKIE: &str = "ningan_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf_token";
/// The citizen portal's own session, apart from officers'.
pub const CITIZEN_COOKIE: &str = "ningan_citizen";

/// A citizen signed in on the portal: only ever the resident themselves.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub resident_id: i64,
    pub csrf_token: String,
    pub session_hash: String,
}

/// The request's citizen, if any; inserted by [`authenticate`] on portal paths.
#[derive(Clone)]
pub struct MaybeCitizen(pub Option<Arc<Citizen>>);

impl<S: Send + Sync> FromRequestParts<S> for Citizen {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Citizen, ApiError> {
        match parts.extensions.get::<MaybeCitizen>() {
            Some(MaybeCitizen(Some(c))) => Ok((**c).clone()),
            _ => Err(ApiError::plain(ErrorCode::Unauthenticated)),
        }
    }
}

/// Portal paths answer to the citizen's session and its CSRF token, never an officer's.
pub fn is_portal_path(path: &str) -> bool {
    path == "/portal" || path.starts_with("/portal/") || path.starts_with("/api/portal/")
}

#[derive(Debug, Clone)]
pub enum Who {
    Officer { user: User, csrf_token: String, session_hash: String },
    Device { token: ApiToken },
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub who: Who,
    pub unit: OrgUnit,
}

impl Principal {
    pub fn may(&self, action: Action) -> bool {
        match &self.who {
            Who::Officer { user, .. } => access::roles_grant(&user.roles, action),
            Who::Device { token } => token.scopes.contains(&action),
        }
    }

    pub fn scope(&self) -> Scope {
        self.unit.scope()
    }

    /// The name written to the audit trail.
    pub fn actor(&self) -> Actor {
        let name = match &self.who {
            Who::Officer { user, .. } => format!("user:{}", user.username),
            Who::Device { token } => format!("token:{}", token.prefix),
        };
        Actor { name, unit_id: Some(self.unit.id) }
    }

    pub fn user(&self) -> Option<&User> {
        match &self.who {
            Who::Officer { user, .. } => Some(user),
            Who::Device { .. } => None,
        }
    }

    pub fn roles(&self) -> &[Role] {
        self.user().map(|u| u.roles.as_slice()).unwrap_or(&[])
    }

    pub fn csrf_token(&self) -> Option<&str> {
        match &self.who {
            Who::Officer { csrf_token, .. } => Some(csrf_token),
            Who::Device { .. } => None,
        }
    }

    pub fn language(&self) -> &str {
        self.user().map(|u| u.language.as_str()).unwrap_or("zh")
    }
}

/// The request's principal, if any; inserted by [`authenticate`].
#[derive(Clone)]
pub struct MaybePrincipal(pub Option<Arc<Principal>>);

/// A handler argument that requires a signed-in principal. Routes declare the action they
/// need in the route table; this only supplies who and where.
#[derive(Clone)]
pub struct Ctx(pub Arc<Principal>);

impl std::ops::Deref for Ctx {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Ctx, ApiError> {
        match parts.extensions.get::<MaybePrincipal>() {
            Some(MaybePrincipal(Some(p))) => Ok(Ctx(p.clone())),
            _ => Err(ApiError::plain(ErrorCode::Unauthenticated)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybePrincipal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<MaybePrincipal, std::convert::Infallible> {
        Ok(parts.extensions.get::<MaybePrincipal>().cloned().unwrap_or(MaybePrincipal(None)))
    }
}

pub fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Resolves the principal from a bearer token or a session cookie and enforces CSRF on
/// state-changing requests made with a cookie.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // For route layers that need storage after the access check (idempotent replays).
    req.extensions_mut().insert(state.clone());
    let principal = match resolve(&state, req.headers()).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if is_portal_path(req.uri().path()) {
        let citizen = match citizen(&state, req.headers()).await {
            Ok(c) => c,
            Err(e) => return e.into_response(),
        };
        if let Some(c) = &citizen
            && unsafe_method
        {
            match check_csrf(req, &c.csrf_token, state.config.http.body_limit_bytes).await {
                Ok(r) => req = r,
                Err(e) => return e.into_response(),
            }
        }
        req.extensions_mut().insert(MaybeCitizen(citizen.map(Arc::new)));
        req.extensions_mut().insert(MaybePrincipal(principal.map(Arc::new)));
        return next.run(req).await;
    }
    if let Some(p) = &principal
        && let Who::Officer { csrf_token, .. } = &p.who
        && unsafe_method
    {
        match check_csrf(req, csrf_token, state.config.http.body_limit_bytes).await {
            Ok(r) => req = r,
            Err(e) => return e.into_response(),
        }
    }
    req.extensions_mut().insert(MaybePrincipal(principal.map(Arc::new)));
    next.run(req).await
}

async fn citizen(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Option<Citizen>, ApiError> {
    let Some(token) = cookie_value(headers, CITIZEN_COOKIE) else { return Ok(None) };
    let session_hash = sha256_hex(token.as_bytes());
    Ok(state.db.citizen_session(&session_hash).await?.map(|(resident_id, csrf_token)| Citizen {
        resident_id,
        csrf_token,
        session_hash,
    }))
}

async fn resolve(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Option<Principal>, ApiError> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let bearer = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
        let Some(raw) = bearer else {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "仅支持 Bearer 令牌",
                "only Bearer tokens are accepted",
            ));
        };
        return device(state, raw).await.map(Some);
    }
    let Some(token) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let session_hash = sha256_hex(token.as_bytes());
    let key = format!("s:{session_hash}");
    let generation = cache_generation(state);
    if let Some(p) = state.principal_cache.get(&key, generation, SESSION_CACHE_TTL) {
        return Ok(Some(p));
    }
    let Some(session) = state.db.session_get(&session_hash).await? else {
        return Ok(None);
    };
    let user = state.db.user_by_id(session.user_id).await?;
    if user.disabled {
        return Ok(None);
    }
    let unit = state.db.unit_by_id(user.unit_id).await?;
    let p = Principal { who: Who::Officer { user, csrf_token: session.csrf_token, session_hash }, unit };
    state.principal_cache.put(key, p.clone(), session.expires_at, generation);
    Ok(Some(p))
}

/// What a cached principal was read from: accounts, roles, tokens and sessions (`Access`),
/// and the units they belong to (`People`).
fn cache_generation(state: &AppState) -> u64 {
    state.db.changes().generation(&[ningan_store::Area::Access, ningan_store::Area::People])
}

/// Every authenticated request needs its principal, and devices (gates, the venue-code back
/// end) call many times a second: a resolved principal is remembered, keyed by the hash of
/// its session or token, so the hot path reads no database. Any commit touching accounts,
/// sessions, tokens or units in this process makes every entry stale at once (a sign-out, a
/// revocation, a role or unit change takes effect on the next request); what another process
/// changes takes effect within the entry's time to live.
#[derive(Default)]
pub struct PrincipalCache {
    entries: std::sync::RwLock<std::collections::HashMap<String, Cached>>,
}

struct Cached {
    principal: Principal,
    /// When the session or token ends, in ms.
    expires_at: i64,
    at: std::time::Instant,
    generation: u64,
}

pub const DEVICE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// Shorter than a device's: a session ended by another server process (a sign-out behind a
/// load balancer) must stop working soon.
pub const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
const CACHE_MAX: usize = 10_000;

impl PrincipalCache {
    fn get(&self, key: &str, generation: u64, ttl: std::time::Duration) -> Option<Principal> {
        let entries = self.entries.read().ok()?;
        let c = entries.get(key)?;
        let now = ningan_core::time::now_ms();
        let live = match &c.principal.who {
            Who::Device { token } => token.is_live(now),
            Who::Officer { .. } => c.expires_at > now,
        };
        (live && c.generation == generation && c.at.elapsed() < ttl).then(|| c.principal.clone())
    }

    fn put(&self, key: String, principal: Principal, expires_at: i64, generation: u64) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= CACHE_MAX {
                entries.clear();
            }
            let at = std::time::Instant::now();
            entries.insert(key, Cached { principal, expires_at, at, generation });
        }
    }
}

/// `ngn_<prefix>_<secret>`: the prefix finds the row, the secret's hash must match.
async fn device(state: &AppState, raw: &str) -> Result<Principal, ApiError> {
    let key = format!("d:{}", sha256_hex(raw.as_bytes()));
    let generation = cache_generation(state);
    if let Some(p) = state.principal_cache.get(&key, generation, DEVICE_CACHE_TTL) {
        return Ok(p);
    }
    let p = device_from_db(state, raw).await?;
    state.principal_cache.put(key, p.clone(), i64::MAX, generation);
    Ok(p)
}

async fn device_from_db(state: &AppState, raw: &str) -> Result<Principal, ApiError> {
    let bad = || {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "接口令牌无效、已过期或已吊销",
            "API token is invalid, expired or revoked",
        )
    };
    let (prefix, secret) = crate::secrets::split_api_token(raw).ok_or_else(bad)?;
    let token = match state.db.token_by_prefix(prefix).await {
        Ok(t) => t,
        Err(ningan_store::StoreError::NotFound) => return Err(bad()),
        Err(e) => return Err(e.into()),
    };
    let matches: bool = sha256_hex(secret.as_bytes()).as_bytes().ct_eq(token.secret_hash.as_bytes()).into();
    if !matches || !token.is_live(ningan_core::time::now_ms()) {
        return Err(bad());
    }
    let unit = state.db.unit_by_id(token.unit_id).await?;
    Ok(Principal { who: Who::Device { token }, unit })
}

/// Accepts the token from the `X-CSRF-Token` header, or from the `csrf_token` field of a
/// URL-encoded form (the body is read and put back).
async fn check_csrf(req: Request, expected: &str, limit: usize) -> Result<Request, ApiError> {
    let ok = |given: &str| -> bool { given.as_bytes().ct_eq(expected.as_bytes()).into() };
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if ok(h) { Ok(req) } else { Err(ApiError::plain(ErrorCode::CsrfRejected)) };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(ApiError::plain(ErrorCode::CsrfRejected));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| ApiError::plain(ErrorCode::PayloadTooLarge))?;
    let given = form_field(&bytes, CSRF_FIELD);
    if !given.as_deref().is_some_and(ok) {
        return Err(ApiError::plain(ErrorCode::CsrfRejected));
    }
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_form_field() {
        assert_eq!(form_field(b"a=1&csrf_token=ab%2Bc+d&z=", "csrf_token").as_deref(), Some("ab+c d"));
        assert_eq!(form_field(b"a=1", "csrf_token"), None);
        assert_eq!(form_field(b"csrf_token=%zz%4", "csrf_token").as_deref(), Some("%zz%4"));
    }
}

/// Whether a request was sent by a page of another site: the browser says so in
/// `Sec-Fetch-Site`, or its `Origin` names another host than the one addressed. Requests
/// without either (programs, old browsers) are not cross-site by this test. Signing in has no
/// session to carry a CSRF token yet, so this is what keeps another site from posting a login
/// (and signing a victim into the attacker's account).
pub fn is_cross_site(headers: &axum::http::HeaderMap) -> bool {
    let get = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if get(header::HeaderName::from_static("sec-fetch-site")) == Some("cross-site") {
        return true;
    }
    match (get(header::ORIGIN), get(header::HOST)) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        _ => false,
    }
}

#[cfg(test)]
mod origin_tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn another_sites_form_is_cross_site_and_our_own_is_not() {
        assert!(is_cross_site(&headers(&[("origin", "https://evil.example"), ("host", "ningan.local")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site"), ("host", "ningan.local")])));
        assert!(is_cross_site(&headers(&[("origin", "null"), ("host", "ningan.local")])));
        assert!(!is_cross_site(&headers(&[("origin", "http://ningan.local"), ("host", "ningan.local")])));
        assert!(!is_cross_site(&headers(&[("sec-fetch-site", "same-origin"), ("host", "ningan.local")])));
        assert!(!is_cross_site(&headers(&[("host", "ningan.local")])), "programs send neither");
    }
}
