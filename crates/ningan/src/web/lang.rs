//! The language of pages for people who are not signed in to the workbench (citizens, the
//! public, the login page): a `ningan_lang` cookie set by `/language/{lang}`. Officers' own
//! choice is kept with their account instead.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::Tr;
use crate::http::api::{Access, Api, Op};
use crate::http::json::Path;

pub const LANG_COOKIE: &str = "ningan_lang";

/// The page language from the cookie; Chinese unless English was chosen.
#[derive(Debug, Clone, Copy)]
pub struct Lang(pub Tr);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, std::convert::Infallible> {
        let en = crate::http::principal::cookie_value(&parts.headers, LANG_COOKIE) == Some("en");
        Ok(Lang(Tr::new(if en { "en" } else { "zh" })))
    }
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
}

/// Sets the language and goes back where the person was (a path on this site only).
async fn switch(Path(lang): Path<String>, Query(q): Query<Next>) -> Response {
    let lang = if lang == "en" { "en" } else { "zh" };
    let next = super::safe_next(q.next.as_deref());
    let cookie = format!("{LANG_COOKIE}={lang}; Path=/; SameSite=Lax; Max-Age=31536000");
    let mut r = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

pub fn routes(api: Api) -> Api {
    api.add(Op::page(Method::GET, "/language/{lang}", Access::Public, "切换语言"), get(switch))
}
