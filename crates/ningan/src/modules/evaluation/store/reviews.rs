//! 民主评议: review rounds, the departments and stations each reviews, the public's ratings
//! (a score of 1–5 and a comment, anonymous like survey answers) and the reviewed unit's
//! replies, one per rating.

use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, Scope, StoreError, Write};

use super::surveys::visible;

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Round {
    pub id: i64,
    pub name: String,
    pub opens_at: i64,
    pub closes_at: i64,
    pub unit_path: String,
    pub ratings: i64,
}

fn round(r: &Row) -> Result<Round> {
    Ok(Round {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        opens_at: r.try_get("opens_at")?,
        closes_at: r.try_get("closes_at")?,
        unit_path: r.try_get("unit_path")?,
        ratings: r.try_get("ratings")?,
    })
}

const R_COLUMNS: &str = "r.id, r.name, r.opens_at, r.closes_at, r.unit_path, \
     (SELECT COUNT(*) FROM ev_ratings x WHERE x.round_id = r.id) AS ratings";

pub struct NewRound<'a> {
    pub name: &'a str,
    pub opens_at: i64,
    pub closes_at: i64,
    pub unit_id: i64,
    pub unit_path: &'a str,
}

/// A round reviewing `units` (`(id, path)`).
pub async fn insert(w: &mut Write, actor: &Actor, n: &NewRound<'_>, units: &[(i64, String)], now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO ev_rounds (name, opens_at, closes_at, unit_id, unit_path, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(n.name)
    .bind(n.opens_at)
    .bind(n.closes_at)
    .bind(n.unit_id)
    .bind(n.unit_path)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    for (unit, path) in units {
        query("INSERT INTO ev_round_units (round_id, unit_id, unit_path) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(unit)
            .bind(path)
            .execute(w.connection())
            .await?;
    }
    w.audit(actor.audit("evaluation.round.create", "ev_round", id, None, None, n.name)).await?;
    Ok(id)
}

pub async fn list(db: &Db, scope: &Scope, unit_path: &str) -> Result<Vec<Round>> {
    let mut f = Filter::new();
    visible(&mut f, scope, unit_path, "r.unit_path");
    let sql = format!(
        "SELECT {R_COLUMNS} FROM ev_rounds r WHERE {} ORDER BY r.opens_at DESC, r.id DESC LIMIT 200",
        f.where_sql()
    );
    f.bind(&sql).fetch_all(db.reader()).await?.iter().map(round).collect()
}

pub async fn get(db: &Db, scope: &Scope, unit_path: &str, id: i64) -> Result<Round> {
    let mut f = Filter::new();
    visible(&mut f, scope, unit_path, "r.unit_path");
    let id = f.arg_i64(id);
    let sql = format!("SELECT {R_COLUMNS} FROM ev_rounds r WHERE {} AND r.id = {id}", f.where_sql());
    round(&f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Round> {
    let sql = format!("SELECT {R_COLUMNS} FROM ev_rounds r WHERE r.id = $1");
    round(&query(&sql).bind(id).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?)
}

/// A reviewed unit with its ratings so far.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Standing {
    pub unit_id: i64,
    pub unit_path: String,
    pub name: String,
    pub name_en: String,
    pub ratings: i64,
    pub score_sum: i64,
    pub score_squares: i64,
}

pub async fn standings(db: &Db, round: i64) -> Result<Vec<Standing>> {
    let rows = query(
        "SELECT u.id, u.path, u.name, u.name_en, COUNT(x.id) AS n, CAST(COALESCE(SUM(x.score), 0) AS BIGINT) AS s, \
         CAST(COALESCE(SUM(x.score * x.score), 0) AS BIGINT) AS q \
         FROM ev_round_units ru JOIN org_units u ON u.id = ru.unit_id \
         LEFT JOIN ev_ratings x ON x.round_id = ru.round_id AND x.unit_id = ru.unit_id \
         WHERE ru.round_id = $1 GROUP BY u.id, u.path, u.name, u.name_en ORDER BY u.path",
    )
    .bind(round)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Standing {
                unit_id: r.try_get("id")?,
                unit_path: r.try_get("path")?,
                name: r.try_get("name")?,
                name_en: r.try_get("name_en")?,
                ratings: r.try_get("n")?,
                score_sum: r.try_get("s")?,
                score_squares: r.try_get("q")?,
            })
        })
        .collect()
}

pub struct NewRating<'a> {
    pub round_id: i64,
    pub unit_id: i64,
    pub score: i64,
    pub comment: Option<&'a str>,
    pub channel: &'a str,
    pub received_on: &'a str,
}

pub async fn rate(w: &mut Write, actor: &Actor, n: &NewRating<'_>) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO ev_ratings (round_id, unit_id, score, comment, channel, received_on) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(n.round_id)
    .bind(n.unit_id)
    .bind(n.score)
    .bind(n.comment)
    .bind(n.channel)
    .bind(n.received_on)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("evaluation.rating", "ev_round", n.round_id, None, None, n.channel)).await?;
    Ok(id)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Comment {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_name_en: String,
    pub unit_path: String,
    pub score: i64,
    pub comment: String,
    pub received_on: String,
    pub reply: Option<String>,
    pub replied_by: Option<String>,
}

/// A round's comments on units within `scope` (a unit's own officers and those above them
/// read what was said about it), newest first, one page.
pub async fn comments(
    db: &Db,
    round: i64,
    scope: &Scope,
    page: ningan_store::PageRequest,
) -> Result<ningan_store::Page<Comment>> {
    let mut f = Filter::new();
    let r = f.arg_i64(round);
    f.cond(format!("x.round_id = {r} AND x.comment IS NOT NULL"));
    f.within(scope, "u.path");
    ningan_store::sql::paged(
        db,
        "x.id, x.unit_id, u.name, u.name_en, u.path, x.score, x.comment, x.received_on, p.body, p.replied_by",
        "ev_ratings x JOIN org_units u ON u.id = x.unit_id LEFT JOIN ev_replies p ON p.rating_id = x.id",
        "ev_ratings x JOIN org_units u ON u.id = x.unit_id",
        &f,
        "x.id DESC",
        page,
        |r| {
            Ok(Comment {
                id: r.try_get("id")?,
                unit_id: r.try_get("unit_id")?,
                unit_name: r.try_get("name")?,
                unit_name_en: r.try_get("name_en")?,
                unit_path: r.try_get("path")?,
                score: r.try_get("score")?,
                comment: r.try_get::<Option<String>, _>("comment")?.unwrap_or_default(),
                received_on: r.try_get("received_on")?,
                reply: r.try_get("body")?,
                replied_by: r.try_get("replied_by")?,
            })
        },
    )
    .await
}

/// The rating's round, and the rated unit's id and path, for checking who may reply.
pub async fn rating_unit(db: &Db, rating: i64) -> Result<(i64, i64, String)> {
    let row = query(
        "SELECT x.round_id, x.unit_id, u.path FROM ev_ratings x JOIN org_units u ON u.id = x.unit_id WHERE x.id = $1",
    )
    .bind(rating)
    .fetch_optional(db.reader())
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((row.try_get("round_id")?, row.try_get("unit_id")?, row.try_get("path")?))
}

/// The unit's reply to a rating; `false` if it was already answered.
pub async fn reply(w: &mut Write, actor: &Actor, rating: i64, unit_id: i64, body: &str, now: i64) -> Result<bool> {
    let exists =
        query("SELECT 1 AS x FROM ev_replies WHERE rating_id = $1").bind(rating).fetch_optional(w.connection()).await?;
    if exists.is_some() {
        return Ok(false);
    }
    query("INSERT INTO ev_replies (rating_id, unit_id, body, replied_by, replied_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(rating)
        .bind(unit_id)
        .bind(body)
        .bind(&actor.name)
        .bind(now)
        .execute(w.connection())
        .await?;
    w.audit(actor.audit("evaluation.reply", "ev_rating", rating, None, None, "")).await?;
    Ok(true)
}
