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

/// Counting stops here: a pager over a million rows needs "100000+", not an exact total
/// that costs a scan of them all.
pub const COUNT_CAP: i64 = 100_000;

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
    use ningan_store::sql::RowExt as _;
    let where_sql = filter.where_sql();
    let count_sql =
        format!("SELECT COUNT(*) AS n FROM (SELECT 1 FROM {count_from} WHERE {where_sql} LIMIT {COUNT_CAP}) c");
    let total: i64 = filter.bind(&count_sql).fetch_one(db.reader()).await?.try_get("n")?;
    let sql = format!(
        "SELECT {columns} FROM {from} WHERE {where_sql} ORDER BY {order} LIMIT {} OFFSET {}",
        page.per_page,
        page.offset()
    );
    let rows = filter.bind(&sql).fetch_all(db.reader()).await?;
    let items = rows.iter().map(map).collect::<Result<Vec<T>>>()?;
    Ok(Page { items, page: page.page, per_page: page.per_page, total })
}

/// The scope condition for a request: handled in the scope now, or belonging to one of the
/// scope's enterprises (a station keeps sight of what it sent up).
pub(crate) fn request_within(f: &mut Filter, scope: &Scope) {
    let (lo, hi) = scope.range();
    let (lo, hi) = (f.arg_text(lo), f.arg_text(hi));
    f.cond(format!("((r.unit_path >= {lo} AND r.unit_path < {hi}) OR (r.home_path >= {lo} AND r.home_path < {hi}))"));
}
