//! `Idempotency-Key` on POST: the first response to a key is stored and replayed to retries
//! with the same body, so a client that lost the answer can retry without writing twice.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ningan_store::{IdempotencyOutcome, StoredResponse};

use crate::app::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::principal::MaybePrincipal;
use crate::secrets::sha256_hex;

pub const HEADER: &str = "idempotency-key";

pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
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
    let Some(principal) = req.extensions().get::<MaybePrincipal>().and_then(|m| m.0.clone()) else {
        return next.run(req).await;
    };
    let owner = principal.actor().name;
    let limit = state.config.http.body_limit_bytes;
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return ApiError::plain(ErrorCode::PayloadTooLarge).into_response();
    };
    let mut fingerprint =
        format!("{} {}\n", parts.method, parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("")).into_bytes();
    fingerprint.extend_from_slice(&bytes);
    let hash = sha256_hex(&fingerprint);
    match state.db.idempotency_begin(&owner, &key, &hash).await {
        Err(e) => ApiError::from(e).into_response(),
        Ok(IdempotencyOutcome::Mismatch) => ApiError::plain(ErrorCode::IdempotencyMismatch).into_response(),
        Ok(IdempotencyOutcome::InProgress) => ApiError::plain(ErrorCode::IdempotencyInProgress).into_response(),
        Ok(IdempotencyOutcome::Replay(stored)) => {
            let mut resp =
                (axum::http::StatusCode::from_u16(stored.status).unwrap_or(axum::http::StatusCode::OK), stored.body)
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
                let _ = state.db.idempotency_abandon(&owner, &key).await;
                return ApiError::internal("response body unreadable").into_response();
            };
            if rparts.status.is_server_error() {
                // The write did not happen; let the client try again with the same key.
                let _ = state.db.idempotency_abandon(&owner, &key).await;
            } else {
                let stored = StoredResponse {
                    status: rparts.status.as_u16(),
                    content_type: rparts
                        .headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string(),
                    body: String::from_utf8_lossy(&rbytes).into_owned(),
                };
                if let Err(e) = state.db.idempotency_finish(&owner, &key, &stored).await {
                    tracing::warn!(error = %e, "could not store idempotent response");
                }
            }
            Response::from_parts(rparts, Body::from(rbytes))
        }
    }
}
