//! The seam for a module whose storage lives in its own folder of the application rather
//! than in this crate: the query functions and row type of the one driver both backends
//! share, the filter builder with its scope condition, and the connections of [`Db`] and
//! [`Write`]. Such storage speaks SQL only through this module, so the application names no
//! driver and a driver upgrade stays a change of this crate.

/// The row trait (`try_get`), named so that module storage can import it: `use RowExt as _`.
pub use sqlx::Row as RowExt;
pub use sqlx::any::AnyRow as Row;
pub use sqlx::{AnyConnection as Connection, AnyPool as Pool};
pub use sqlx::{Error, query, query_as, query_scalar};

pub use crate::query::Filter;

use crate::db::{Db, Write};
use crate::{Page, PageRequest, Result};

impl Db {
    /// The pool reads run on (never writes: those go through [`Db::write`]).
    pub fn reader(&self) -> &Pool {
        &self.pool
    }
}

impl Write {
    /// The connection of this write's transaction.
    pub fn connection(&mut self) -> &mut Connection {
        self.conn()
    }

    /// Whether the write runs on PostgreSQL, for the few statements one dialect needs
    /// (`FOR UPDATE`: SQLite has one writer at a time and no row locks).
    pub fn is_postgres(&self) -> bool {
        self.dialect == crate::db::Dialect::Postgres
    }

    /// Rows of `columns` parameters each per multi-row insert in this write: few on SQLite
    /// (see [`MAX_BOUND`]), many on PostgreSQL, where each statement is a round trip and
    /// binding is linear.
    pub fn rows_per_insert(&self, columns: usize) -> usize {
        if self.is_postgres() { (8_192 / columns.max(1)).max(1) } else { rows_per_insert(columns) }
    }
}

/// Parameters one statement should bind at most, when a multi-row insert has the choice. The
/// driver binds each `$n` by asking SQLite for its name, which SQLite finds by walking the
/// statement's parameter list: binding costs grow with the square of the parameters, and a
/// 500-row insert of nine columns spent more time naming its 4,500 parameters than writing
/// its rows (60 % of the signal ingest's CPU under `perf`).
pub const MAX_BOUND: usize = 256;

/// Rows of `columns` parameters each that one multi-row insert takes on SQLite (see
/// [`MAX_BOUND`]).
pub const fn rows_per_insert(columns: usize) -> usize {
    let rows = MAX_BOUND / columns;
    if rows == 0 { 1 } else { rows }
}

/// Counting stops here: a pager over a million rows needs "10000+" (500 pages; a filter
/// narrows further), not an exact total that costs a scan of them all. The same bound a search
/// engine's default total tracking uses.
pub const COUNT_CAP: i64 = 10_000;

/// Runs `SELECT {columns} FROM {from} WHERE {filter} ORDER BY {order}` for one page, with the
/// total counted over `count_from` (the same rows without the joins that only decorate
/// them) up to [`COUNT_CAP`], mapping each row.
#[allow(clippy::too_many_arguments)]
pub async fn paged<T>(
    db: &Db,
    columns: &str,
    from: &str,
    count_from: &str,
    filter: &Filter,
    order: &str,
    page: PageRequest,
    map: impl Fn(&Row) -> Result<T>,
) -> Result<Page<T>> {
    paged_counted(db, columns, from, (count_from, filter), filter, order, page, map).await
}

/// [`paged`] with the count's own filter: the same rows, written so that a different index
/// answers the count (a covering one) than the page (one in the list's order).
#[allow(clippy::too_many_arguments)]
pub async fn paged_counted<T>(
    db: &Db,
    columns: &str,
    from: &str,
    (count_from, count): (&str, &Filter),
    filter: &Filter,
    order: &str,
    page: PageRequest,
    map: impl Fn(&Row) -> Result<T>,
) -> Result<Page<T>> {
    use sqlx::Row as _;
    let count_sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {count_from} WHERE {} LIMIT {COUNT_CAP}) c",
        count.where_sql()
    );
    let total: i64 = count.bind(&count_sql).fetch_one(db.reader()).await?.try_get("n")?;
    let sql = format!(
        "SELECT {columns} FROM {from} WHERE {} ORDER BY {order} LIMIT {} OFFSET {}",
        filter.where_sql(),
        page.per_page,
        page.offset()
    );
    let rows = filter.bind(&sql).fetch_all(db.reader()).await?;
    let items = rows.iter().map(map).collect::<Result<Vec<T>>>()?;
    Ok(Page { items, page: page.page, per_page: page.per_page, total })
}
