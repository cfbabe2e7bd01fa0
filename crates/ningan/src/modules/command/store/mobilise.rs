//! Mobilisation (警力调集): off-duty officers called to a post, and each one's answer.

use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, Scope, StoreError, Write};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Mobilisation {
    pub id: i64,
    pub title: String,
    /// Where the officers report.
    pub post: String,
    pub reason: String,
    /// Officers wanted.
    pub needed: i64,
    pub unit_id: i64,
    #[serde(skip)]
    pub unit_path: String,
    pub created_by: String,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub created_at: i64,
    pub called: i64,
    pub accepted: i64,
    pub declined: i64,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Called {
    pub user_id: i64,
    pub name: String,
    pub station: String,
    /// pending | accepted | declined
    pub answer: String,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339_opt")]
    #[schemars(with = "Option<String>")]
    pub answered_at: Option<i64>,
    pub note: String,
}

pub struct NewMobilisation<'a> {
    pub title: &'a str,
    pub post: &'a str,
    pub reason: &'a str,
    pub needed: i64,
    pub unit_id: i64,
    pub unit_path: &'a str,
}

const COLUMNS: &str = "m.id, m.title, m.post, m.reason, m.needed, m.unit_id, m.unit_path, m.created_by, m.created_at, \
    (SELECT COUNT(*) FROM cmd_mobilised c WHERE c.mobilisation_id = m.id) AS called, \
    (SELECT COUNT(*) FROM cmd_mobilised c WHERE c.mobilisation_id = m.id AND c.answer = 'accepted') AS accepted, \
    (SELECT COUNT(*) FROM cmd_mobilised c WHERE c.mobilisation_id = m.id AND c.answer = 'declined') AS declined";

fn from_row(r: &Row) -> Result<Mobilisation> {
    Ok(Mobilisation {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        post: r.try_get("post")?,
        reason: r.try_get("reason")?,
        needed: r.try_get("needed")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        called: r.try_get("called")?,
        accepted: r.try_get("accepted")?,
        declined: r.try_get("declined")?,
    })
}

/// Calls `officers` (user, station) to a post, in one transaction, audited.
pub async fn insert(
    w: &mut Write,
    actor: &Actor,
    m: &NewMobilisation<'_>,
    officers: &[(i64, i64)],
    now: i64,
) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO cmd_mobilisations (title, post, reason, needed, unit_id, unit_path, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(m.title)
    .bind(m.post)
    .bind(m.reason)
    .bind(m.needed)
    .bind(m.unit_id)
    .bind(m.unit_path)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    for (user, station) in officers {
        query(
            "INSERT INTO cmd_mobilised (mobilisation_id, user_id, station_id, answer, note) VALUES ($1, $2, $3, 'pending', '')",
        )
        .bind(id)
        .bind(user)
        .bind(station)
        .execute(w.connection())
        .await?;
    }
    let summary = format!("{} officers called to {}", officers.len(), m.post);
    w.audit(actor.audit("command.mobilise", "cmd_mobilisation", id, None, None, &summary)).await?;
    Ok(id)
}

pub async fn list(db: &Db, scope: &Scope, page: PageRequest) -> Result<Page<Mobilisation>> {
    let mut f = Filter::new();
    f.within(scope, "m.unit_path");
    ningan_store::sql::paged(db, COLUMNS, "cmd_mobilisations m", "cmd_mobilisations m", &f, "m.id DESC", page, from_row)
        .await
}

/// A mobilisation its issuer's scope holds, or one `user` was called by.
pub async fn get(db: &Db, scope: &Scope, user: Option<i64>, id: i64) -> Result<Mobilisation> {
    let mut f = Filter::new();
    let idp = f.arg_i64(id);
    f.cond(format!("m.id = {idp}"));
    let (lo, hi) = scope.range();
    let (a, b) = (f.arg_text(lo.to_string()), f.arg_text(hi.to_string()));
    let me = f.arg_i64(user.unwrap_or(-1));
    f.cond(format!(
        "((m.unit_path >= {a} AND m.unit_path < {b}) OR EXISTS (SELECT 1 FROM cmd_mobilised c WHERE c.mobilisation_id = m.id AND c.user_id = {me}))"
    ));
    let sql = format!("SELECT {COLUMNS} FROM cmd_mobilisations m WHERE {}", f.where_sql());
    let row = f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// Everyone called, with their answers.
pub async fn called(db: &Db, id: i64) -> Result<Vec<Called>> {
    let rows = query(
        "SELECT c.user_id, u.display_name, o.name AS station, o.name_en AS station_en, c.answer, c.answered_at, c.note \
         FROM cmd_mobilised c JOIN users u ON u.id = c.user_id JOIN org_units o ON o.id = c.station_id \
         WHERE c.mobilisation_id = $1 ORDER BY o.path, u.display_name",
    )
    .bind(id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Called {
                user_id: r.try_get("user_id")?,
                name: r.try_get("display_name")?,
                station: r.try_get("station")?,
                answer: r.try_get("answer")?,
                answered_at: r.try_get("answered_at")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

/// The mobilisations `user` was called by and has not answered yet, newest first.
pub async fn pending_for(db: &Db, user: i64) -> Result<Vec<Mobilisation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM cmd_mobilisations m JOIN cmd_mobilised me ON me.mobilisation_id = m.id \
         WHERE me.user_id = $1 AND me.answer = 'pending' ORDER BY m.id DESC LIMIT 50"
    );
    let rows = query(&sql).bind(user).fetch_all(db.reader()).await?;
    rows.iter().map(from_row).collect()
}

/// Records `user`'s answer; only a pending call is answered, once.
pub async fn answer(
    w: &mut Write,
    actor: &Actor,
    id: i64,
    user: i64,
    accept: bool,
    note: &str,
    now: i64,
) -> Result<()> {
    let answer = if accept { "accepted" } else { "declined" };
    let done = query(
        "UPDATE cmd_mobilised SET answer = $1, answered_at = $2, note = $3 \
         WHERE mobilisation_id = $4 AND user_id = $5 AND answer = 'pending'",
    )
    .bind(answer)
    .bind(now)
    .bind(note)
    .bind(id)
    .bind(user)
    .execute(w.connection())
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict("mobilisation answer".into()));
    }
    w.audit(actor.audit("command.mobilise.answer", "cmd_mobilisation", id, None, None, answer)).await?;
    Ok(())
}
