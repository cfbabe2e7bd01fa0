//! Signing in and out: password checks off the async threads, throttling of failures
//! (`throttle`), session creation.

use std::net::IpAddr;

use ningan_core::time::now_ms;
use ningan_store::{StoreError, User};

use super::throttle;
use crate::app::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::secrets;

pub struct NewSession {
    pub user: User,
    /// Goes into the cookie; only its hash is stored.
    pub token: String,
    pub csrf_token: String,
    pub max_age_secs: i64,
}

async fn verify_blocking(hash: String, password: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || secrets::verify_password(&hash, &password)).await.map_err(ApiError::internal)
}

pub async fn hash_blocking(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// Holds a wrong attempt's answer when its account is being guessed from many addresses.
async fn slow_down(slow: bool) {
    if slow {
        tokio::time::sleep(throttle::SLOW_ANSWER).await;
    }
}

pub async fn login(state: &AppState, username: &str, password: &str, client: IpAddr) -> Result<NewSession, ApiError> {
    // One answer whether or not the account exists, and however it was closed.
    let too_many = || {
        ApiError::new(
            ErrorCode::TooManyAttempts,
            "登录失败次数过多，请稍后再试",
            "too many failed logins from this address; try again later",
        )
    };
    if !state.throttle.allowed(client, username) {
        crate::http::events::count("ningan_login_throttled_total", &[]);
        return Err(too_many());
    }
    let user = match state.db.user_by_username(username.trim()).await {
        Ok(u) => u,
        Err(StoreError::NotFound) => {
            verify_blocking(secrets::dummy_hash().to_string(), password.to_string()).await?;
            slow_down(state.throttle.failed(client, username)).await;
            crate::http::events::count("ningan_login_failures_total", &[]);
            return Err(ApiError::plain(ErrorCode::BadCredentials));
        }
        Err(e) => return Err(e.into()),
    };
    let ok = verify_blocking(user.password_hash.clone(), password.to_string()).await?;
    if !ok || user.disabled {
        let slow = state.throttle.failed(client, username);
        if !user.disabled {
            // Counted and audited on the account; never a lock anyone else could trigger.
            let mut w = state.db.write().await?;
            w.user_login_failed(&user).await?;
            w.commit().await?;
        }
        slow_down(slow).await;
        crate::http::events::count("ningan_login_failures_total", &[]);
        return Err(ApiError::plain(ErrorCode::BadCredentials));
    }
    let now = now_ms();
    let token = secrets::random_hex(32);
    let csrf_token = secrets::random_hex(24);
    let max_age_secs = i64::from(state.config.session.hours) * 3600;
    let mut w = state.db.write().await?;
    w.user_login_succeeded(&user).await?;
    w.session_create(&secrets::sha256_hex(token.as_bytes()), user.id, &csrf_token, now + max_age_secs * 1000).await?;
    w.commit().await?;
    Ok(NewSession { user, token, csrf_token, max_age_secs })
}

pub fn session_cookie(state: &AppState, token: &str, max_age_secs: i64) -> String {
    let secure = if state.config.session.secure_cookie { "; Secure" } else { "" };
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}",
        crate::http::principal::SESSION_COOKIE
    )
}

pub fn clear_cookie() -> String {
    format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0", crate::http::principal::SESSION_COOKIE)
}

/// Changes the signed-in officer's own password after checking the current one.
pub async fn change_password(state: &AppState, user: &User, current: &str, new: &str) -> Result<(), ApiError> {
    if !verify_blocking(user.password_hash.clone(), current.to_string()).await? {
        let rule = crate::http::rule::Rule::context("当前密码不正确", "current password is wrong");
        return Err(rule.refuse("auth", "current"));
    }
    secrets::check_password_policy(new).map_err(|e| ApiError::field_from("new", e))?;
    let hash = hash_blocking(new.to_string()).await?;
    let mut w = state.db.write().await?;
    let actor = ningan_store::Actor { name: format!("user:{}", user.username), unit_id: Some(user.unit_id) };
    w.user_set_password(&actor, user.id, &hash).await?;
    w.commit().await?;
    Ok(())
}
