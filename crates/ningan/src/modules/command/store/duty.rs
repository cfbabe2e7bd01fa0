//! Duty (勤务): shifts of officers at their station, and who is on duty at an instant.

use ningan_store::sql::{Filter, RowExt as _, query};
use ningan_store::{Actor, Db, Result, Scope, StoreError, Write};

#[derive(Debug, Clone)]
pub struct Shift {
    pub id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub post: String,
}

pub struct NewShift<'a> {
    pub user_id: i64,
    pub unit_id: i64,
    pub unit_path: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub post: &'a str,
}

/// Adds a shift; one that overlaps another of the same officer is refused as a conflict.
pub async fn insert(w: &mut Write, actor: &Actor, s: &NewShift<'_>, now: i64) -> Result<i64> {
    let clash = query("SELECT id FROM cmd_shifts WHERE user_id = $1 AND starts_at < $2 AND ends_at > $3")
        .bind(s.user_id)
        .bind(s.ends_at)
        .bind(s.starts_at)
        .fetch_optional(w.connection())
        .await?;
    if clash.is_some() {
        return Err(StoreError::Conflict("shift".into()));
    }
    let id: i64 = query(
        "INSERT INTO cmd_shifts (user_id, unit_id, unit_path, starts_at, ends_at, post, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(s.user_id)
    .bind(s.unit_id)
    .bind(s.unit_path)
    .bind(s.starts_at)
    .bind(s.ends_at)
    .bind(s.post)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("command.shift.create", "cmd_shift", id, None, None, &format!("user {}", s.user_id))).await?;
    Ok(id)
}

/// Shifts in `scope` that overlap `[from, to)`, by start.
pub async fn between(db: &Db, scope: &Scope, from: i64, to: i64) -> Result<Vec<Shift>> {
    let mut f = Filter::new();
    f.within(scope, "s.unit_path");
    let (a, b) = (f.arg_i64(from), f.arg_i64(to));
    f.cond(format!("s.starts_at < {b} AND s.ends_at > {a}"));
    let sql = format!(
        "SELECT s.id, s.user_id, u.display_name, s.unit_id, s.unit_path, s.starts_at, s.ends_at, s.post \
         FROM cmd_shifts s JOIN users u ON u.id = s.user_id WHERE {} ORDER BY s.starts_at, s.id",
        f.where_sql()
    );
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    rows.iter()
        .map(|r| {
            Ok(Shift {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                display_name: r.try_get("display_name")?,
                unit_id: r.try_get("unit_id")?,
                unit_path: r.try_get("unit_path")?,
                starts_at: r.try_get("starts_at")?,
                ends_at: r.try_get("ends_at")?,
                post: r.try_get("post")?,
            })
        })
        .collect()
}
