//! 11087 requests: filing, moving through the closed loop and the tiers (each move an event
//! in the same transaction), the supervision board and the overdue sweep.

use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Dialect, Page, PageRequest, Result, Scope, StoreError, Write};

use crate::modules::enterprise::model::Stage;

use super::{paged, paged_counted, request_within, request_within_walk};

#[derive(Debug, Clone)]
pub struct Request {
    pub id: i64,
    pub no: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub stage: String,
    pub tier: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub unit_name: String,
    pub unit_name_en: String,
    pub home_path: String,
    pub deadline: i64,
    pub supervised_at: Option<i64>,
    pub reply: Option<String>,
    pub rating: Option<i64>,
    pub rating_note: Option<String>,
    pub created_at: i64,
    pub closed_at: Option<i64>,
}

const COLUMNS: &str = "r.id, r.no, r.enterprise_id, e.name AS enterprise_name, r.category, r.title, r.body, r.stage, \
    r.tier, r.unit_id, r.unit_path, u.name AS unit_name, u.name_en AS unit_name_en, r.home_path, r.deadline, \
    r.supervised_at, r.reply, r.rating, r.rating_note, r.created_at, r.closed_at";
const FROM: &str =
    "enterprise_requests r JOIN enterprises e ON e.id = r.enterprise_id JOIN org_units u ON u.id = r.unit_id";
/// [`FROM`] for SQLite's boards, naming the index their page walks (migration 22).
const FROM_OPEN_WALK: &str = "enterprise_requests r INDEXED BY enterprise_requests_open \
    JOIN enterprises e ON e.id = r.enterprise_id JOIN org_units u ON u.id = r.unit_id";
const FROM_DEADLINE_WALK: &str = "enterprise_requests r INDEXED BY enterprise_requests_deadline \
    JOIN enterprises e ON e.id = r.enterprise_id JOIN org_units u ON u.id = r.unit_id";

fn from_row(r: &Row) -> Result<Request> {
    Ok(Request {
        id: r.try_get("id")?,
        no: r.try_get("no")?,
        enterprise_id: r.try_get("enterprise_id")?,
        enterprise_name: r.try_get("enterprise_name")?,
        category: r.try_get("category")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        stage: r.try_get("stage")?,
        tier: r.try_get("tier")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        unit_name: r.try_get("unit_name")?,
        unit_name_en: r.try_get("unit_name_en")?,
        home_path: r.try_get("home_path")?,
        deadline: r.try_get("deadline")?,
        supervised_at: r.try_get("supervised_at")?,
        reply: r.try_get("reply")?,
        rating: r.try_get("rating")?,
        rating_note: r.try_get("rating_note")?,
        created_at: r.try_get("created_at")?,
        closed_at: r.try_get("closed_at")?,
    })
}

#[derive(Debug, Clone)]
pub struct NewRequest {
    pub enterprise_id: i64,
    pub category: String,
    pub title: String,
    pub body: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub deadline: i64,
}

/// Files a request at the enterprise's station; the number is the date and the id.
pub async fn insert(w: &mut Write, actor: &Actor, r: &NewRequest, now: i64) -> Result<(i64, String)> {
    let id: i64 = query(
        "INSERT INTO enterprise_requests (no, enterprise_id, category, title, body, stage, tier, unit_id, unit_path, \
         home_path, deadline, created_at) VALUES ($1, $2, $3, $4, $5, 'submitted', 'station', $6, $7, $7, $8, $9) RETURNING id",
    )
    .bind(format!("pending-{now}-{}", r.enterprise_id))
    .bind(r.enterprise_id)
    .bind(&r.category)
    .bind(&r.title)
    .bind(&r.body)
    .bind(r.unit_id)
    .bind(&r.unit_path)
    .bind(r.deadline)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let day = ningan_core::time::format_ms(now).chars().filter(char::is_ascii_digit).take(8).collect::<String>();
    let no = format!("QY{day}{id:06}");
    query("UPDATE enterprise_requests SET no = $1 WHERE id = $2").bind(&no).bind(id).execute(w.connection()).await?;
    event(w, id, actor, "filed", "station", &r.title, now).await?;
    w.audit(actor.audit("enterprise.request", "enterprise_request", id, None, None, &r.category)).await?;
    Ok((id, no))
}

pub async fn event(w: &mut Write, id: i64, actor: &Actor, kind: &str, tier: &str, note: &str, now: i64) -> Result<()> {
    query("INSERT INTO enterprise_request_events (request_id, at, actor, kind, tier, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(now)
        .bind(&actor.name)
        .bind(kind)
        .bind(tier)
        .bind(note)
        .execute(w.connection())
        .await?;
    Ok(())
}

/// A request as the caller may see it.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Request> {
    let mut f = Filter::new();
    let i = f.arg_i64(id);
    f.cond(format!("r.id = {i}"));
    request_within(&mut f, scope);
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {}", f.where_sql());
    from_row(&f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?)
}

/// A request of this enterprise (the portal's view), or not found.
pub async fn get_for_enterprise(db: &Db, enterprise_id: i64, id: i64) -> Result<Request> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE r.id = $1 AND r.enterprise_id = $2");
    from_row(&query(&sql).bind(id).bind(enterprise_id).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?)
}

/// Reads the request inside a write, locking nothing more than the row's later update does.
pub async fn get_in(w: &mut Write, id: i64) -> Result<Request> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE r.id = $1");
    from_row(&query(&sql).bind(id).fetch_optional(w.connection()).await?.ok_or(StoreError::NotFound)?)
}

/// What a move changes; the service decided it is allowed.
#[derive(Debug, Clone)]
pub struct Move {
    pub stage: String,
    pub tier: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub deadline: i64,
    pub reply: Option<String>,
    pub supervised_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub rating: Option<(i64, String)>,
}

/// Applies a move if the request is still at `expected_stage` and `expected_tier` (another
/// officer or the sweep may have moved it meanwhile), with its event.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    w: &mut Write,
    actor: &Actor,
    id: i64,
    expected: (&str, &str),
    m: &Move,
    kind: &str,
    note: &str,
    now: i64,
) -> Result<()> {
    let (rating, rating_note) = match &m.rating {
        Some((r, n)) => (Some(*r), Some(n.clone())),
        None => (None, None),
    };
    let done = query(
        "UPDATE enterprise_requests SET stage = $1, tier = $2, unit_id = $3, unit_path = $4, deadline = $5, \
         reply = COALESCE($6, reply), supervised_at = $7, closed_at = COALESCE($8, closed_at), \
         rating = COALESCE($9, rating), rating_note = COALESCE($10, rating_note) \
         WHERE id = $11 AND stage = $12 AND tier = $13",
    )
    .bind(&m.stage)
    .bind(&m.tier)
    .bind(m.unit_id)
    .bind(&m.unit_path)
    .bind(m.deadline)
    .bind(&m.reply)
    .bind(m.supervised_at)
    .bind(m.closed_at)
    .bind(rating)
    .bind(rating_note)
    .bind(id)
    .bind(expected.0)
    .bind(expected.1)
    .execute(w.connection())
    .await?
    .rows_affected();
    if done == 0 {
        return Err(StoreError::State(
            "该诉求已被他人处理，请刷新 / the request was moved meanwhile: reload it".into(),
        ));
    }
    event(w, id, actor, kind, &m.tier, note, now).await?;
    w.audit(actor.audit(&format!("enterprise.request_{kind}"), "enterprise_request", id, None, None, note)).await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    pub stage: Option<String>,
    pub tier: Option<String>,
    pub category: Option<String>,
    /// Only open requests past their deadline at this instant.
    pub overdue_at: Option<i64>,
    /// Only those at the scope's own unit now (a desk's own queue), not below or sent up.
    pub handled_here: bool,
    pub q: Option<String>,
}

pub async fn search(db: &Db, scope: &Scope, q: &RequestQuery, page: PageRequest) -> Result<Page<Request>> {
    // Open requests (overdue, or in an open stage) are counted and listed from the partial
    // index of open requests in deadline order; any other list is counted from the home-path
    // index (covering every filter but the text) and paged by walking deadlines in order.
    let open = q.overdue_at.is_some() || q.stage.as_deref().and_then(Stage::parse).is_some_and(Stage::open);
    let mut list = Filter::new();
    let mut count = Filter::new();
    if q.handled_here {
        // The desk's own queue: what sits at this very unit, not at the stations below it.
        for f in [&mut list, &mut count] {
            let here = f.arg_text(scope.path().to_string());
            f.cond(format!("r.unit_path = {here}"));
        }
    } else {
        request_within_walk(&mut list, scope);
        if open {
            request_within_walk(&mut count, scope);
        } else {
            request_within(&mut count, scope);
        }
    }
    for f in [&mut list, &mut count] {
        if open {
            f.cond("r.closed_at IS NULL".into());
        }
        filters(f, q);
    }
    // SQLite is told which index the page walks: once `ANALYZE` has seen how few stages,
    // tiers and categories there are, it would rather skip-scan a covering index for them and
    // sort a hundred thousand rows by deadline (600–940 ms at a million requests) than walk the
    // deadline index and stop after one page. PostgreSQL weighs the LIMIT and walks by itself.
    let from = match (db.dialect(), q.handled_here, open) {
        (Dialect::Sqlite, false, true) => FROM_OPEN_WALK,
        (Dialect::Sqlite, false, false) => FROM_DEADLINE_WALK,
        _ => FROM,
    };
    // The text search reads the enterprise's name; every other filter is on the request.
    let count_from = if q.q.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        "enterprise_requests r JOIN enterprises e ON e.id = r.enterprise_id"
    } else {
        "enterprise_requests r"
    };
    paged_counted(db, COLUMNS, from, (count_from, &count), &list, "r.deadline, r.id", page, from_row).await
}

/// The board's filters, the same for the page and its total.
fn filters(f: &mut Filter, q: &RequestQuery) {
    for (column, value) in [("r.stage", &q.stage), ("r.tier", &q.tier), ("r.category", &q.category)] {
        if let Some(v) = value {
            let i = f.arg_text(v.clone());
            f.cond(format!("{column} = {i}"));
        }
    }
    if let Some(at) = q.overdue_at {
        let i = f.arg_i64(at);
        f.cond(format!("r.closed_at IS NULL AND r.deadline < {i}"));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = f.arg_text(format!("%{}%", text.replace(['%', '_'], "")));
        f.cond(format!("(r.no LIKE {like} OR r.title LIKE {like} OR e.name LIKE {like})"));
    }
}

pub async fn of_enterprise(db: &Db, enterprise_id: i64, page: PageRequest) -> Result<Page<Request>> {
    let mut f = Filter::new();
    let i = f.arg_i64(enterprise_id);
    f.cond(format!("r.enterprise_id = {i}"));
    paged(db, COLUMNS, FROM, "enterprise_requests r", &f, "r.created_at DESC, r.id DESC", page, from_row).await
}

#[derive(Debug, Clone)]
pub struct Event {
    pub at: i64,
    pub actor: String,
    pub kind: String,
    pub tier: String,
    pub note: String,
}

pub async fn events(db: &Db, id: i64) -> Result<Vec<Event>> {
    let rows =
        query("SELECT at, actor, kind, tier, note FROM enterprise_request_events WHERE request_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(db.reader())
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                kind: r.try_get("kind")?,
                tier: r.try_get("tier")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

/// Requests waiting on a desk (not yet replied) past their deadline at `now`, oldest first.
pub async fn overdue(db: &Db, now: i64, limit: i64) -> Result<Vec<i64>> {
    let rows = query(
        "SELECT id FROM enterprise_requests WHERE closed_at IS NULL AND deadline < $1 \
         AND stage IN ('submitted', 'accepted', 'assigned') ORDER BY deadline LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}
