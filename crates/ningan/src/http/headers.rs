//! Security headers on every answer: a content security policy that lets the workbench run
//! only its own scripts (no inline handlers, nothing from elsewhere), never inside another
//! site's frame, with no referrer leaving the site and no content-type guessing. Map tiles
//! from a configured server are the one outside origin images may come from.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;

/// The policy, with `tiles` (a URL template's origin) allowed for images when configured.
pub fn policy(tiles: Option<&str>) -> String {
    let origin = tiles.and_then(origin_of).map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{origin}; \
         connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// `https://t{s}.example.org/{z}/{x}/{y}.png` → `https://*.example.org` when the host has a
/// placeholder, else the URL's scheme and host.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split('/').next()?;
    let host = match host.split_once('}') {
        Some((_, after)) => format!("*{}", after.trim_start_matches(|c: char| c != '.')),
        None => host.to_string(),
    };
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == ';' || c == '\'') {
        return None;
    }
    Some(format!("{scheme}://{host}"))
}

pub async fn secure(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&policy(state.config.map.tiles.as_deref())) {
        h.entry(header::CONTENT_SECURITY_POLICY).or_insert(v);
    }
    h.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("same-origin"));
    h.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_tiles_are_the_only_outside_images_allowed() {
        assert!(policy(None).contains("img-src 'self' data: blob:;"));
        let p = policy(Some("https://t{s}.tianditu.gov.cn/vec_w/{z}/{x}/{y}.png"));
        assert!(p.contains("img-src 'self' data: blob: https://*.tianditu.gov.cn;"), "{p}");
        let p = policy(Some("https://tiles.bureau.example/{z}/{x}/{y}.png"));
        assert!(p.contains("https://tiles.bureau.example;"), "{p}");
        assert!(!policy(Some("javascript:alert(1)")).contains("javascript"));
        assert!(!policy(Some("https://a.b'; script-src *")).contains("script-src *"));
    }
}
