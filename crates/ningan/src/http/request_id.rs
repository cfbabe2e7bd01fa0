//! Every request gets an id, written in its log lines and sent back as `X-Request-Id`, so an
//! operator can match a complaint to the log. A caller's own id is kept when it is short and
//! plain (a proxy's), else a fresh one is made: a header is never copied into the log as is.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-request-id";

#[derive(Clone, Debug)]
pub struct RequestId(pub String);

fn plain(v: &str) -> bool {
    (8..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| plain(v))
        .map(String::from)
        .unwrap_or_else(|| hex::encode(rand::random::<[u8; 8]>()));
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(HEADER, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(super::plain("req-1234abcd"));
        assert!(!super::plain("short"));
        assert!(!super::plain("has space in it"));
        assert!(!super::plain(&"x".repeat(65)));
    }
}
