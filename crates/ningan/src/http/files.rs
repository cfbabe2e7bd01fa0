//! Files people uploaded, served back: what the bytes really are (JPEG, PNG, PDF, by their
//! first bytes rather than their names), and a download that a browser will not render in
//! place of a page or guess another type for.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The content type the bytes really are, if allowed.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// The file as a download, never rendered in place of a page.
pub fn download(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(sniff_static(content_type)));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    r
}

fn sniff_static(stored: &str) -> &'static str {
    match stored {
        "image/png" => "image/png",
        "image/jpeg" => "image/jpeg",
        "application/pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}
