//! Page plumbing shared by every module's HTML handlers: errors shown as pages, the pager,
//! query strings.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Frame, Tr, html, url_encode};
use crate::http::error::{ApiError, ErrorCode};
use crate::http::principal::Principal;

/// An error on a page: rendered as a page with the message, never as JSON.
pub struct PageError {
    status: StatusCode,
    message_zh: String,
    message_en: String,
    frame: Option<Frame>,
}

pub type PageResult<T = Response> = Result<T, PageError>;

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        if let Some(cause) = &e.cause {
            tracing::error!(code = e.code.slug(), %cause, "page failed");
        }
        PageError { status: e.code.status(), message_zh: e.detail_zh, message_en: e.detail_en, frame: None }
    }
}

impl From<ningan_store::StoreError> for PageError {
    fn from(e: ningan_store::StoreError) -> PageError {
        ApiError::from(e).into()
    }
}

impl PageError {
    pub fn not_found() -> PageError {
        ApiError::plain(ErrorCode::NotFound).into()
    }

    /// Shows the error inside the viewer's frame.
    pub fn framed(mut self, p: &Principal) -> PageError {
        self.frame = Some(Frame::for_principal(p));
        self
    }
}

/// An error for someone not signed in: the message alone.
#[derive(Template)]
#[template(path = "shared/error.html")]
struct ErrorPage {
    tr: Tr,
    status: u16,
    title: String,
    message: String,
    message_en: String,
}

/// An error for a signed-in viewer: inside the frame, so the menu stays in reach.
#[derive(Template)]
#[template(path = "shared/error_framed.html")]
struct FramedErrorPage {
    frame: Frame,
    status: u16,
    title: String,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.status.as_u16();
        let en = self.frame.as_ref().is_some_and(|f| f.tr.is_en());
        let title = status_title(status, en).to_string();
        match self.frame {
            Some(frame) => {
                let message = if en { self.message_en } else { self.message_zh };
                html(self.status, &FramedErrorPage { frame, status, title, message })
            }
            None => {
                let page = ErrorPage {
                    tr: Tr::new("zh"),
                    status,
                    title,
                    message: self.message_zh,
                    message_en: self.message_en,
                };
                html(self.status, &page)
            }
        }
    }
}

/// The 403 page of a signed-in viewer, inside the frame.
pub fn framed_forbidden(frame: Frame) -> String {
    let en = frame.tr.is_en();
    let message = frame.tr.t("error.forbidden").to_string();
    FramedErrorPage { frame, status: 403, title: status_title(403, en).to_string(), message }
        .render()
        .unwrap_or_else(|_| "403".into())
}

/// What an error page says in its heading, beside the number.
fn status_title(status: u16, en: bool) -> &'static str {
    match (status, en) {
        (403, false) => "无权访问",
        (403, true) => "Not allowed",
        (404, false) => "页面或记录不存在",
        (404, true) => "Page or record not found",
        (401, false) => "请先登录",
        (401, true) => "Please sign in",
        (s, false) if s >= 500 => "系统繁忙，请稍后再试",
        (s, true) if s >= 500 => "Something went wrong on our side",
        (_, false) => "无法完成操作",
        (_, true) => "The request could not be completed",
    }
}

/// Where a list is and how to reach its other pages with the same filters: previous and
/// next, a page-size choice and a jump to any page (the last two are GET forms carrying the
/// filters as hidden fields).
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    /// The total is a lower bound (counting stopped at a cap).
    pub capped: bool,
    pub per_page: i64,
    /// The list's path, without query.
    pub path: String,
    /// The filters in force (non-empty ones), sort and size included.
    pub filters: Vec<(String, String)>,
    /// Whether the list reads `size`: only then is the page-size choice shown.
    pub sizable: bool,
    /// `path?filters&` to which `page=N` is appended.
    base: String,
    /// Where this page ended, on a list paged by key: the next link starts after it.
    next_after: Option<String>,
    /// The same page counted exactly, on a list that can (`count=exact`), once counting stopped.
    pub exact_href: Option<String>,
}

/// The page sizes a list offers.
pub const PAGE_SIZES: &[i64] = &[20, 50, 100, 200];

impl Pager {
    pub fn new<T>(path: &str, filters: &[(&str, String)], p: &ningan_store::Page<T>) -> Pager {
        let kept: Vec<(String, String)> =
            filters.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.to_string(), v.clone())).collect();
        let pairs: Vec<(&str, String)> = kept.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        Pager {
            page: p.page,
            pages: p.pages(),
            total: p.total,
            capped: false,
            per_page: p.per_page,
            sizable: false,
            path: path.to_string(),
            base: format!("{path}?{}", query(&pairs)),
            filters: kept,
            next_after: None,
            exact_href: None,
        }
    }

    /// Offers the page-size choice, for a list whose handler reads `size` (see [`page_size`]);
    /// links keep a size other than the default.
    pub fn sizable(mut self) -> Pager {
        self.sizable = true;
        if self.per_page != 20 {
            self.filters.push(("size".into(), self.per_page.to_string()));
            let pairs: Vec<(&str, String)> = self.filters.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            self.base = format!("{}?{}", self.path, query(&pairs));
        }
        self
    }

    /// Marks the total as a lower bound when it reached `cap`.
    pub fn capped_at(mut self, cap: i64) -> Pager {
        self.capped = self.total >= cap;
        self
    }

    /// For a list paged by key: `cursor` is where this page ended, given by the caller when
    /// the page is full; the next link then starts there rather than skip the pages before.
    pub fn next_after(mut self, cursor: Option<String>) -> Pager {
        self.next_after = cursor;
        self
    }

    /// For a list that counts exactly on request: once its count stopped at the cap, the
    /// pager links to this page counted in full.
    pub fn exact_count_offered(mut self) -> Pager {
        if self.capped {
            self.exact_href = Some(format!("{}count=exact&page={}", self.base, self.page));
        }
        self
    }

    pub fn href(&self, page: i64) -> String {
        format!("{}page={page}", self.base)
    }

    /// The next page's link: by key where the list has one, else by number.
    pub fn next_href(&self) -> String {
        match &self.next_after {
            Some(after) => format!("{}page={}&after={}", self.base, self.next(), url_encode(after)),
            None => self.href(self.next()),
        }
    }

    pub fn has_prev(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages || self.next_after.is_some()
    }

    pub fn prev(&self) -> i64 {
        self.page - 1
    }

    pub fn next(&self) -> i64 {
        self.page + 1
    }

    /// The filters to carry as hidden fields, leaving out the page and the one the form sets.
    pub fn hidden(&self, except: &str) -> Vec<(String, String)> {
        self.filters.iter().filter(|(k, _)| k != "page" && k != except).cloned().collect()
    }

    pub fn sizes(&self) -> &'static [i64] {
        PAGE_SIZES
    }

    /// The link a column heading makes: sort by `key`, or the other way when it already is.
    pub fn sort_href(&self, key: &str) -> String {
        let current = self.filters.iter().find(|(k, _)| k == "sort").map(|(_, v)| v.as_str()).unwrap_or("");
        let next = if current == key { format!("-{key}") } else { key.to_string() };
        let mut pairs: Vec<(&str, String)> =
            self.filters.iter().filter(|(k, _)| k != "sort").map(|(k, v)| (k.as_str(), v.clone())).collect();
        pairs.push(("sort", next));
        format!("{}?{}", self.path, query(&pairs))
    }

    /// ▲ or ▼ beside the heading the list is sorted by.
    pub fn sort_mark(&self, key: &str) -> &'static str {
        match self.filters.iter().find(|(k, _)| k == "sort").map(|(_, v)| v.as_str()) {
            Some(s) if s == key => "▲",
            Some(s) if s.strip_prefix('-') == Some(key) => "▼",
            _ => "",
        }
    }

    /// The same list as a file: `path.<ext>?filters`.
    pub fn export_href(&self, ext: &str) -> String {
        let pairs: Vec<(&str, String)> =
            self.filters.iter().filter(|(k, _)| k != "page").map(|(k, v)| (k.as_str(), v.clone())).collect();
        format!("{}.{ext}?{}", self.path, query(&pairs))
    }
}

/// The page size asked for, one of [`PAGE_SIZES`] (else the default, 20).
pub fn page_size(raw: &Option<String>) -> i64 {
    raw.as_deref().and_then(|s| s.trim().parse().ok()).filter(|n| PAGE_SIZES.contains(n)).unwrap_or(20)
}

/// `a=1&b=x&` from non-empty pairs, values percent-encoded.
pub fn query(pairs: &[(&str, String)]) -> String {
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}&", url_encode(v))).collect()
}

/// Treats an empty form or query field as absent.
pub fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Parses a form field typed by a person: empty is `None`, anything that is not a `T` is an
/// error naming the field in both languages, never a silent default.
pub fn form_value<T: std::str::FromStr>(
    field: &str,
    label_zh: &str,
    label_en: &str,
    raw: &str,
) -> Result<Option<T>, crate::http::error::ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| {
        crate::http::error::ApiError::field(
            field,
            format!("{label_zh}应为数字，而不是“{raw}”"),
            format!("{label_en} must be a number, not “{raw}”"),
        )
    })
}

/// Parses a required form field typed by a person: empty or not a `T` is an error naming the
/// field in both languages.
pub fn form_required<T: std::str::FromStr>(
    field: &str,
    label_zh: &str,
    label_en: &str,
    raw: &str,
) -> Result<T, crate::http::error::ApiError> {
    form_value(field, label_zh, label_en, raw)?.ok_or_else(|| {
        crate::http::error::ApiError::field(field, format!("请填写{label_zh}"), format!("{label_en} is required"))
    })
}

/// A place picked on a form's map: its `lon` and `lat` fields, each required and a number.
pub fn form_place(lon: &str, lat: &str) -> Result<(f64, f64), crate::http::error::ApiError> {
    Ok((form_required("lon", "经度", "longitude", lon)?, form_required("lat", "纬度", "latitude", lat)?))
}

/// The points of a shape drawn on a form's map (`map.js` writes it into the field as GeoJSON):
/// a polygon's outer ring, or a line's points. Anything else is refused beside `field`
/// with the form's own instruction.
pub fn drawn_points(field: &str, raw: &str, zh: &str, en: &str) -> Result<Vec<[f64; 2]>, ApiError> {
    let bad = || ApiError::field(field, zh, en);
    let v: serde_json::Value = serde_json::from_str(raw.trim()).map_err(|_| bad())?;
    let points = match v["type"].as_str() {
        Some("Polygon") => &v["coordinates"][0],
        Some("LineString") => &v["coordinates"],
        _ => return Err(bad()),
    };
    points
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|p| match (p[0].as_f64(), p[1].as_f64()) {
            (Some(x), Some(y)) => Ok([x, y]),
            _ => Err(bad()),
        })
        .collect()
}

/// The error with its field `from` named `to`: the service checks `ring`, the form that
/// drew it calls the field `area`, and the error belongs beside the form's field.
pub fn refield(mut e: ApiError, from: &str, to: &str) -> ApiError {
    for fe in &mut e.errors {
        if fe.field == from {
            fe.field = to.into();
        }
    }
    e
}

/// Parses an optional numeric query field, treating empty and malformed values as absent.
pub fn opt_i64(s: &Option<String>) -> Option<i64> {
    nonempty(s).and_then(|v| v.parse().ok())
}

/// A `datetime-local` value (Beijing time, no offset) as RFC 3339; anything else as typed,
/// for the time check to refuse or take.
pub fn local_time_rfc3339(v: &str) -> String {
    let v = v.trim();
    if v.len() == 16 { format!("{v}:00+08:00") } else { v.to_string() }
}

#[cfg(test)]
mod form_tests {
    use super::*;

    #[test]
    fn a_drawn_polygon_or_line_gives_its_points_and_anything_else_is_refused_beside_the_field() {
        let polygon = r#"{"type":"Polygon","coordinates":[[[121.5,29.8],[121.6,29.8],[121.6,29.9],[121.5,29.8]]]}"#;
        assert_eq!(drawn_points("area", polygon, "画", "draw").unwrap().len(), 4);
        let line = r#"{"type":"LineString","coordinates":[[121.5,29.8],[121.6,29.8]]}"#;
        assert_eq!(drawn_points("line", line, "画", "draw").unwrap(), vec![[121.5, 29.8], [121.6, 29.8]]);
        for bad in
            ["", "{", r#"{"type":"Point","coordinates":[1,2]}"#, r#"{"type":"LineString","coordinates":[["a",1]]}"#]
        {
            let e = drawn_points("line", bad, "画", "draw").unwrap_err();
            assert_eq!(e.errors[0].field, "line", "{bad}");
        }
        let e = refield(ApiError::field("ring", "环", "ring"), "ring", "area");
        assert_eq!(e.errors[0].field, "area");
    }

    #[test]
    fn only_a_count_that_stopped_at_the_cap_offers_the_exact_one_keeping_the_filters() {
        let page = |total| ningan_store::Page { items: vec![()], page: 3, per_page: 20, total };
        let filters = [("q", "张".to_string()), ("sort", "name".to_string())];
        let capped = Pager::new("/residents", &filters, &page(10_000)).capped_at(10_000).exact_count_offered();
        let href = capped.exact_href.unwrap();
        assert!(href.starts_with("/residents?") && href.ends_with("count=exact&page=3"), "{href}");
        assert!(href.contains("sort=name") && href.contains("q="), "{href}");
        let counted = Pager::new("/residents", &filters, &page(9_999)).capped_at(10_000).exact_count_offered();
        assert_eq!(counted.exact_href, None, "a total under the cap is already exact");
    }

    #[test]
    fn a_typo_in_a_number_is_an_error_not_a_zero() {
        assert_eq!(form_value::<i64>("n", "数", "n", " 12 ").unwrap(), Some(12));
        assert_eq!(form_value::<i64>("n", "数", "n", "  ").unwrap(), None);
        let e = form_value::<f64>("amount", "金额", "amount", "1,000").unwrap_err();
        assert_eq!(e.errors[0].field, "amount");
    }
}
