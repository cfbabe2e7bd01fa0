//! Posts, their near-duplicate groups, and each topic's posts per hour (the spike test's
//! counts, kept as they come in rather than counted again).

use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Db, Page, PageRequest, Result, StoreError, Write};

/// An hour as whole hours since the epoch; Ningbo's offset is whole hours, so the same hour
/// of the day is 24 apart.
pub fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(3_600_000)
}

pub struct NewPost<'a> {
    pub source: &'a str,
    pub ext_id: &'a str,
    pub author: &'a str,
    pub text: &'a str,
    pub url: &'a str,
    pub posted_at: i64,
    pub group_id: i64,
    pub sentiment: f64,
    pub mood: &'a str,
    pub topics: &'a str,
    pub local: bool,
    pub rules_version: &'a str,
}

/// Stores a post; `false` when the source sent this id before (nothing changes).
pub async fn insert(w: &mut Write, p: &NewPost<'_>, now: i64) -> Result<bool> {
    let seen = query("SELECT id FROM op_posts WHERE source = $1 AND ext_id = $2")
        .bind(p.source)
        .bind(p.ext_id)
        .fetch_optional(w.connection())
        .await?;
    if seen.is_some() {
        return Ok(false);
    }
    query(
        "INSERT INTO op_posts (source, ext_id, author, text, url, posted_at, group_id, sentiment, mood, topics, local, \
         rules_version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(p.source)
    .bind(p.ext_id)
    .bind(p.author)
    .bind(p.text)
    .bind(p.url)
    .bind(p.posted_at)
    .bind(p.group_id)
    .bind(p.sentiment)
    .bind(p.mood)
    .bind(p.topics)
    .bind(i64::from(p.local))
    .bind(p.rules_version)
    .bind(now)
    .execute(w.connection())
    .await?;
    Ok(true)
}

/// Starts a group with its first post's title and topics.
pub async fn new_group(
    w: &mut Write,
    fingerprint: u64,
    title: &str,
    topics: &str,
    local: bool,
    at: i64,
) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO op_groups (fingerprint, title, topics, local, posts, negative, sentiment_sum, first_at, last_at) \
         VALUES ($1, $2, $3, $4, 0, 0, 0, $5, $5) RETURNING id",
    )
    .bind(fingerprint as i64)
    .bind(title)
    .bind(topics)
    .bind(i64::from(local))
    .bind(at)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    Ok(id)
}

/// Counts a post into its group.
pub async fn bump_group(w: &mut Write, id: i64, at: i64, sentiment: f64, negative: bool) -> Result<()> {
    query(
        "UPDATE op_groups SET posts = posts + 1, negative = negative + $1, sentiment_sum = sentiment_sum + $2, \
         first_at = CASE WHEN $3 < first_at THEN $3 ELSE first_at END, \
         last_at = CASE WHEN $3 > last_at THEN $3 ELSE last_at END WHERE id = $4",
    )
    .bind(i64::from(negative))
    .bind(sentiment)
    .bind(at)
    .bind(id)
    .execute(w.connection())
    .await?;
    Ok(())
}

/// Counts posts into a topic's hour.
pub async fn bump_hour(w: &mut Write, topic: &str, hour: i64, posts: i64, local: i64, negative: i64) -> Result<()> {
    query(
        "INSERT INTO op_topic_hours (topic, hour, posts, local, negative) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (topic, hour) DO UPDATE SET posts = op_topic_hours.posts + excluded.posts, \
         local = op_topic_hours.local + excluded.local, negative = op_topic_hours.negative + excluded.negative",
    )
    .bind(topic)
    .bind(hour)
    .bind(posts)
    .bind(local)
    .bind(negative)
    .execute(w.connection())
    .await?;
    Ok(())
}

/// The groups active since `since`, for the in-memory near-duplicate index.
pub async fn fingerprints(db: &Db, since: i64) -> Result<Vec<(i64, u64)>> {
    let rows = query("SELECT id, fingerprint FROM op_groups WHERE last_at >= $1 ORDER BY id")
        .bind(since)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(|r| Ok((r.try_get::<i64, _>("id")?, r.try_get::<i64, _>("fingerprint")? as u64))).collect()
}

/// A topic's counts in `hours` (missing hours are zero): (hour, posts, local, negative).
pub async fn hours(db: &Db, topic: &str, from: i64, to: i64) -> Result<Vec<(i64, i64, i64, i64)>> {
    let rows = query(
        "SELECT hour, posts, local, negative FROM op_topic_hours WHERE topic = $1 AND hour >= $2 AND hour < $3 ORDER BY hour",
    )
    .bind(topic)
    .bind(from)
    .bind(to)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("hour")?, r.try_get("posts")?, r.try_get("local")?, r.try_get("negative")?)))
        .collect()
}

/// Every topic's counts in `[from, to)`: (topic, hour, posts, local, negative).
pub async fn all_hours(db: &Db, from: i64, to: i64) -> Result<Vec<(String, i64, i64, i64, i64)>> {
    let rows = query(
        "SELECT topic, hour, posts, local, negative FROM op_topic_hours WHERE hour >= $1 AND hour < $2 ORDER BY topic, hour",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("topic")?,
                r.try_get("hour")?,
                r.try_get("posts")?,
                r.try_get("local")?,
                r.try_get("negative")?,
            ))
        })
        .collect()
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Group {
    pub id: i64,
    pub title: String,
    /// Topic ids, comma-separated.
    pub topics: String,
    pub local: bool,
    pub posts: i64,
    pub negative: i64,
    /// Mean sentiment, −1…1.
    pub sentiment: f64,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub first_at: i64,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub last_at: i64,
}

const GROUP_COLUMNS: &str =
    "g.id, g.title, g.topics, g.local, g.posts, g.negative, g.sentiment_sum, g.first_at, g.last_at";

fn group_row(r: &Row) -> Result<Group> {
    let posts: i64 = r.try_get("posts")?;
    let sum: f64 = r.try_get("sentiment_sum")?;
    let local: i64 = r.try_get("local")?;
    Ok(Group {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        topics: r.try_get("topics")?,
        local: local != 0,
        posts,
        negative: r.try_get("negative")?,
        sentiment: if posts > 0 { sum / posts as f64 } else { 0.0 },
        first_at: r.try_get("first_at")?,
        last_at: r.try_get("last_at")?,
    })
}

#[derive(Debug, Clone, Default)]
pub struct GroupQuery {
    pub topic: Option<String>,
    pub q: Option<String>,
    /// Only groups with a post since then.
    pub since: Option<i64>,
    /// Order by size rather than by the latest post.
    pub by_size: bool,
}

pub async fn groups(db: &Db, q: &GroupQuery, page: PageRequest) -> Result<Page<Group>> {
    let mut f = Filter::new();
    if let Some(t) = q.topic.as_deref().filter(|t| !t.is_empty()) {
        // Topics are stored comma-joined with a comma at each end: ",flood,traffic,".
        let like = f.arg_text(format!("%,{},%", t.replace(['%', '_', ','], "")));
        f.cond(format!("g.topics LIKE {like}"));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = f.arg_text(format!("%{}%", text.replace(['%', '_'], "")));
        f.cond(format!("g.title LIKE {like}"));
    }
    if let Some(since) = q.since {
        let s = f.arg_i64(since);
        f.cond(format!("g.last_at >= {s}"));
    }
    let order = if q.by_size { "g.posts DESC, g.id DESC" } else { "g.last_at DESC, g.id DESC" };
    ningan_store::sql::paged(db, GROUP_COLUMNS, "op_groups g", "op_groups g", &f, order, page, group_row).await
}

pub async fn group(db: &Db, id: i64) -> Result<Group> {
    let row = query(&format!("SELECT {GROUP_COLUMNS} FROM op_groups g WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(db.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    group_row(&row)
}

/// A group's posts per hour: how the story spread.
pub async fn spread(db: &Db, group_id: i64) -> Result<Vec<(i64, i64)>> {
    let rows = query("SELECT posted_at FROM op_posts WHERE group_id = $1 ORDER BY posted_at")
        .bind(group_id)
        .fetch_all(db.reader())
        .await?;
    let mut out: Vec<(i64, i64)> = Vec::new();
    for r in rows {
        let h = hour_of(r.try_get("posted_at")?);
        match out.last_mut() {
            Some(last) if last.0 == h => last.1 += 1,
            _ => out.push((h, 1)),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Post {
    pub id: i64,
    pub source: String,
    pub text: String,
    pub url: String,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub posted_at: i64,
    pub sentiment: f64,
    pub mood: String,
    pub topics: String,
}

/// A group's posts, newest first.
pub async fn posts_of(db: &Db, group_id: i64, page: PageRequest) -> Result<Page<Post>> {
    let mut f = Filter::new();
    let g = f.arg_i64(group_id);
    f.cond(format!("p.group_id = {g}"));
    ningan_store::sql::paged(
        db,
        "p.id, p.source, p.text, p.url, p.posted_at, p.sentiment, p.mood, p.topics",
        "op_posts p",
        "op_posts p",
        &f,
        "p.posted_at DESC, p.id DESC",
        page,
        |r| {
            Ok(Post {
                id: r.try_get("id")?,
                source: r.try_get("source")?,
                text: r.try_get("text")?,
                url: r.try_get("url")?,
                posted_at: r.try_get("posted_at")?,
                sentiment: r.try_get("sentiment")?,
                mood: r.try_get("mood")?,
                topics: r.try_get("topics")?,
            })
        },
    )
    .await
}

/// The largest group of `topic` with posts in `[from, to)`.
pub async fn top_group(db: &Db, topic: &str, from: i64, to: i64) -> Result<Option<i64>> {
    let like = format!("%,{},%", topic.replace(['%', '_', ','], ""));
    let row = query(
        "SELECT group_id, COUNT(*) AS n FROM op_posts WHERE topics LIKE $1 AND posted_at >= $2 AND posted_at < $3 \
         GROUP BY group_id ORDER BY n DESC, group_id LIMIT 1",
    )
    .bind(like)
    .bind(from)
    .bind(to)
    .fetch_optional(db.reader())
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("group_id")?),
        None => None,
    })
}

/// Posts since `since`: (all, negative).
pub async fn counts_since(db: &Db, since: i64) -> Result<(i64, i64)> {
    let r = query("SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN mood = 'negative' THEN 1 ELSE 0 END), 0) AS neg FROM op_posts WHERE posted_at >= $1")
        .bind(since)
        .fetch_one(db.reader())
        .await?;
    Ok((r.try_get("n")?, r.try_get("neg")?))
}
