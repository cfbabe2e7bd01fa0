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
}

impl<T> PageDto<T> {
    pub fn from_page<U>(p: ningan_store::Page<U>, f: impl FnMut(U) -> T) -> PageDto<T> {
        let pages = p.pages();
        let (page, per_page, total) = (p.page, p.per_page, p.total);
        PageDto { items: p.items.into_iter().map(f).collect(), page, per_page, total, pages, total_capped: false }
    }

    /// Marks the total as a lower bound when it reached `cap`.
    pub fn capped_at(mut self, cap: i64) -> PageDto<T> {
        self.total_capped = self.total >= cap;
        self
    }
}

/// RFC 3339 in China Standard Time.
pub fn ts(ms: i64) -> String {
    ningan_core::time::rfc3339_ms(ms)
}
