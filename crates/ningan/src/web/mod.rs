//! Shared pieces of the web workbench: the translation table, the page frame (top bar and
//! menu built from what the viewer may do) and HTML responses.

pub mod assets;
pub mod export;
pub mod fmt;
pub mod form;
pub mod i18n;
pub mod import;
pub mod lang;
pub mod map;
pub mod page;

pub use form::FormState;
pub use page::{PageError, PageResult, Pager};

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use ningan_core::Action;

use crate::http::principal::Principal;
pub use i18n::Tr;

/// One entry of the left menu; shown only when the viewer may use it.
pub struct MenuItem {
    pub href: &'static str,
    pub key: &'static str,
    pub action: Option<Action>,
}

/// What every page's frame needs.
pub struct Frame {
    pub tr: Tr,
    /// Breadcrumbs after the home entry: (href, label); the last one is the current page.
    pub crumbs: Vec<(String, String)>,
    pub user_name: String,
    pub unit_name: String,
    pub csrf_token: String,
    pub menu: Vec<(&'static str, &'static str)>,
    pub lang: String,
    /// The maps' base layer and the viewer's home view, as JSON for `static/map.js`.
    pub map: String,
}

impl Frame {
    /// Adds a breadcrumb; the label is a translation key.
    pub fn crumb(mut self, href: &str, key: &str) -> Frame {
        let label = self.tr.t(key).to_string();
        self.crumbs.push((href.to_string(), label));
        self
    }

    /// Adds a breadcrumb whose label is data (a name), not a translation key.
    pub fn crumb_text(mut self, href: &str, label: &str) -> Frame {
        self.crumbs.push((href.to_string(), label.to_string()));
        self
    }

    pub fn for_principal(p: &Principal) -> Frame {
        let tr = Tr::new(p.language());
        Frame {
            crumbs: Vec::new(),
            user_name: p.user().map(|u| u.display_name.clone()).unwrap_or_default(),
            unit_name: if tr.is_en() { p.unit.name_en.clone() } else { p.unit.name.clone() },
            csrf_token: p.csrf_token().unwrap_or_default().to_string(),
            menu: crate::modules::ALL
                .iter()
                .flat_map(|m| m.menu)
                .filter(|m| m.action.is_none_or(|a| p.may(a)))
                .map(|m| (m.href, tr.t(m.key)))
                .collect(),
            lang: p.language().to_string(),
            map: map::frame_config(&p.unit, tr),
            tr,
        }
    }
}

pub fn html(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "shared/forbidden.html")]
struct ForbiddenPage {
    frame: Option<Frame>,
    tr: Tr,
}

pub fn forbidden_page(p: Option<&Principal>, lang: &str) -> String {
    if let Some(p) = p {
        return page::framed_forbidden(Frame::for_principal(p));
    }
    let page = ForbiddenPage { frame: None, tr: Tr::new(lang) };
    page.render().unwrap_or_else(|_| "403".into())
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A `next` target after login must stay on this site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_stay_on_site() {
        assert_eq!(safe_next(Some("/residents?q=1")), "/residents?q=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(url_encode("/a b?c=1"), "/a%20b%3Fc%3D1");
    }
}
