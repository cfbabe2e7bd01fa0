//! Enterprise services' storage, kept in the module's folder and speaking SQL through
//! `ningan_store::sql`: the register and its liaison officers (`enterprises.rs`), 11087
//! requests and their events (`requests.rs`), portal accounts, sign-in codes, sessions and
//! notices (`portal.rs`).

pub mod attachments;
pub mod enterprises;
pub mod migrations;
pub mod portal;
pub mod requests;
pub mod stats;

use ningan_store::sql::{Filter, Row};
use ningan_store::{Page, PageRequest, Result, Scope};

/// Counting stops here: a pager over a million rows needs "10000+" (500 pages; a filter
/// narrows further), not an exact total that costs a scan of them all. The same bound a search
/// engine's default total tracking uses.
pub const COUNT_CAP: i64 = 10_000;

/// Runs `SELECT {columns} FROM {from} WHERE {filter} ORDER BY {order}` for one page, with the
/// total counted over `count_from` (the same rows without the joins that only decorate
/// them) up to [`COUNT_CAP`], mapping each row.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn paged<T>(
    db: &ningan_store::Db,
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
pub(crate) async fn paged_counted<T>(
    db: &ningan_store::Db,
    columns: &str,
    from: &str,
    (count_from, count): (&str, &Filter),
    filter: &Filter,
    order: &str,
    page: PageRequest,
    map: impl Fn(&Row) -> Result<T>,
) -> Result<Page<T>> {
    use ningan_store::sql::RowExt as _;
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

/// The scope condition for a request: it belongs to one of the scope's enterprises. That is
/// also every request handled inside the scope now: a request is only ever handled at its
/// enterprise's station or an ancestor of it (escalation and return walk `home_path`'s own
/// chain, `service::unit_at`), so a handling unit inside the scope puts the home inside it
/// too. One path range, then, where an `OR` of two would defeat both databases' indexes.
pub(crate) fn request_within(f: &mut Filter, scope: &Scope) {
    f.within(scope, "r.home_path");
}

/// [`request_within`] as a prefix test, for lists an index in deadline order should drive.
pub(crate) fn request_within_walk(f: &mut Filter, scope: &Scope) {
    f.within_by_prefix(scope, "r.home_path");
}
