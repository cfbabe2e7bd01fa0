//! Pagination shared by every list: a bounded page size and the total for the pager.

pub const MAX_PAGE_SIZE: i64 = 200;

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

impl PageRequest {
    /// Clamps to sane bounds so a caller cannot ask for page 0 or a million rows.
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> PageRequest {
        PageRequest { page: page.unwrap_or(1).max(1), per_page: per_page.unwrap_or(20).clamp(1, MAX_PAGE_SIZE) }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::new(None, None)
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
        }
    }

    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}
