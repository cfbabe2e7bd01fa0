//! API shapes shared by every module: pages of results and the paging query.

use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Serialize, JsonSchema)]
pub struct PageDto<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub pages: i64,
    /// Set when counting stopped at a cap: `total` is a lower bound.
    pub total_capped: bool,
    /// On lists paged by key: pass as `after` (with `page` one higher, for the number shown)
    /// for the next page, which then costs what the first does however deep. Absent on the
    /// last page and on lists paged by number only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

impl<T> PageDto<T> {
    pub fn from_page<U>(p: ningan_store::Page<U>, f: impl FnMut(U) -> T) -> PageDto<T> {
        let pages = p.pages();
        let (page, per_page, total) = (p.page, p.per_page, p.total);
        PageDto {
            items: p.items.into_iter().map(f).collect(),
            page,
            per_page,
            total,
            pages,
            total_capped: false,
            next_after: None,
        }
    }

    /// Marks the total as a lower bound when it reached `cap`.
    pub fn capped_at(mut self, cap: i64) -> PageDto<T> {
        self.total_capped = self.total >= cap;
        self
    }

    /// The key the next page starts after (the list decides whether there may be one).
    pub fn next_after(mut self, cursor: Option<String>) -> PageDto<T> {
        self.next_after = cursor;
        self
    }
}

/// RFC 3339 in China Standard Time.
pub fn ts(ms: i64) -> String {
    ningan_core::time::rfc3339_ms(ms)
}
