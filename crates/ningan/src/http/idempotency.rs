//! `Idempotency-Key` on POST: the first response to a key is stored and replayed to retries
//! with the same body, so a client that lost the answer can retry without writing twice.
//!
//! It runs inside each route's access check ([`crate::http::api`]), so a caller whose rights
//! were revoked gets no replay, and every replay is audited. What is stored holds no personal
//! data in readable form: the key itself is stored only as a hash, and the response body is
//! sealed (ChaCha20-Poly1305) under a key derived from the client's idempotency key and the
//! caller, so only a retry of the same request can open it. Replays are kept for an hour.
//! A key whose first request is still marked running after the request timeout belongs to a
//! request that died with its process, and is taken over.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use ningan_store::{IdempotencyOutcome, StoredResponse};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::principal::MaybePrincipal;
use crate::secrets::sha256_hex;

pub const HEADER: &str = "idempotency-key";
/// How long a stored response is replayed.
pub const REPLAY_FOR_MS: i64 = 3600 * 1000;

/// The stored lookup id of a key: its hash, never the key.
fn key_id(key: &str) -> String {
    sha256_hex(format!("ningan-idempotency-id:{key}").as_bytes())
}

fn cipher(owner: &str, key: &str) -> ChaCha20Poly1305 {
    let mut h = Sha256::new();
    h.update(b"ningan-idempotency-seal\0");
    h.update(owner.as_bytes());
    h.update(b"\0");
    h.update(key.as_bytes());
    ChaCha20Poly1305::new(Key::from_slice(&h.finalize()))
}

/// Nonce (12 bytes) then ciphertext, hex-encoded.
fn seal(owner: &str, key: &str, body: &[u8]) -> Option<String> {
    let nonce: [u8; 12] = rand::random();
    let mut out = nonce.to_vec();
    out.extend(cipher(owner, key).encrypt(Nonce::from_slice(&nonce), body).ok()?);
    Some(hex::encode(out))
}

fn open(owner: &str, key: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = hex::decode(sealed).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, ct) = bytes.split_at(12);
    cipher(owner, key).decrypt(Nonce::from_slice(nonce), ct).ok()
}

/// Called by the route guard once access is granted.
pub async fn apply(req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_string)) else {
        return next.run(req).await;
    };
    let key = match key {
        Ok(k) if (1..=200).contains(&k.len()) => k,
        _ => {
            return ApiError::field("Idempotency-Key", "应为1–200个可见字符", "must be 1–200 visible characters")
                .into_response();
        }
    };
    // Keys belong to a principal; anonymous requests (signing in) are not replayed.
    let principal = req.extensions().get::<MaybePrincipal>().and_then(|m| m.0.clone());
    let (Some(principal), Some(state)) = (principal, req.extensions().get::<AppState>().cloned()) else {
        return next.run(req).await;
    };
    let owner = principal.actor().name;
    let id = key_id(&key);
    let limit = state.config.http.body_limit_bytes;
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return ApiError::plain(ErrorCode::PayloadTooLarge).into_response();
    };
    let mut fingerprint =
        format!("{} {}\n", parts.method, parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("")).into_bytes();
    fingerprint.extend_from_slice(&bytes);
    let hash = sha256_hex(&fingerprint);
    let now = ningan_core::time::now_ms();
    let stale_before = now - (state.config.http.request_timeout_secs as i64 + 5) * 1000;
    match state.db.idempotency_begin(&owner, &id, &hash, stale_before, now - REPLAY_FOR_MS).await {
        Err(e) => ApiError::from(e).into_response(),
        Ok(IdempotencyOutcome::Mismatch) => ApiError::plain(ErrorCode::IdempotencyMismatch).into_response(),
        Ok(IdempotencyOutcome::InProgress) => ApiError::plain(ErrorCode::IdempotencyInProgress).into_response(),
        Ok(IdempotencyOutcome::Replay(stored)) => {
            let Some(body) = open(&owner, &key, &stored.body) else {
                return ApiError::internal("stored idempotent response cannot be opened").into_response();
            };
            let mut w = match state.db.write().await {
                Ok(w) => w,
                Err(e) => return ApiError::from(e).into_response(),
            };
            let detail = format!("{} {} answered {} again", parts.method, parts.uri.path(), stored.status);
            let audited = async {
                w.audit(principal.actor().audit("idempotent.replay", "request", &id[..16], None, None, &detail))
                    .await?;
                w.commit().await
            };
            if let Err(e) = audited.await {
                return ApiError::from(e).into_response();
            }
            let mut resp =
                (axum::http::StatusCode::from_u16(stored.status).unwrap_or(axum::http::StatusCode::OK), body)
                    .into_response();
            if let Ok(ct) = HeaderValue::from_str(&stored.content_type) {
                resp.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            resp
        }
        Ok(IdempotencyOutcome::Proceed) => {
            let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            let (rparts, rbody) = resp.into_parts();
            let Ok(rbytes) = axum::body::to_bytes(rbody, usize::MAX).await else {
                let _ = state.db.idempotency_abandon(&owner, &id).await;
                return ApiError::internal("response body unreadable").into_response();
            };
            let sealed = seal(&owner, &key, &rbytes);
            match sealed {
                Some(body) if !rparts.status.is_server_error() => {
                    let stored = StoredResponse {
                        status: rparts.status.as_u16(),
                        content_type: rparts
                            .headers
                            .get(header::CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string(),
                        body,
                    };
                    if let Err(e) = state.db.idempotency_finish(&owner, &id, &stored).await {
                        tracing::warn!(error = %e, "could not store idempotent response");
                    }
                }
                // The write did not happen (or cannot be replayed); let the client try again.
                _ => {
                    let _ = state.db.idempotency_abandon(&owner, &id).await;
                }
            }
            Response::from_parts(rparts, Body::from(rbytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_response_opens_only_with_the_same_key_and_caller() {
        let sealed = seal("user:a", "key-1", b"{\"phone\":\"13812345678\"}").unwrap();
        assert!(!sealed.contains("3132345678"), "not readable as stored");
        assert_eq!(open("user:a", "key-1", &sealed).unwrap(), b"{\"phone\":\"13812345678\"}");
        assert!(open("user:a", "key-2", &sealed).is_none());
        assert!(open("user:b", "key-1", &sealed).is_none());
        assert_ne!(key_id("key-1"), "key-1");
    }
}
