//! Taking posts in: each checked (a refused one is named with its line and field, the rest
//! kept), analysed by the engine, put in its near-duplicate group and counted into its
//! topics' hours — one transaction per batch — and then every hour it touched tested for a
//! spike, which raises an alert.

use std::collections::BTreeMap;

use ningan_opinion::{Mood, spike};
use ningan_store::Actor;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::engine::Engine;
use super::store::alerts::{self, NewAlert};
use super::store::posts::{self, NewPost, hour_of};
use crate::app::AppState;
use crate::http::error::ApiResult;

/// The most posts one request takes.
pub const MAX_BATCH: usize = 10_000;
/// The longest post text, in characters.
pub const MAX_TEXT: usize = 5_000;
/// Past days whose same hour makes a topic's baseline.
const HISTORY_DAYS: i64 = 14;

/// A post as a feed sends it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct PostIn {
    /// The post's id at its source (a re-sent id is counted once).
    pub id: String,
    /// weibo | wechat | douyin | news | forum | hotline…: 1–40 of a–z, 0–9, _ and -.
    pub source: String,
    /// 1–5,000 characters.
    pub text: String,
    #[serde(default)]
    pub url: String,
    /// The author's handle; kept only as a pseudonym.
    #[serde(default)]
    pub author: String,
    /// When it was posted, RFC 3339.
    pub at: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Refused {
    /// 1-based line (NDJSON) or position in the list (JSON).
    pub line: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct IngestReport {
    pub accepted: usize,
    /// Ids the source had sent before.
    pub duplicates: usize,
    pub refused: Vec<Refused>,
    /// Posts that joined an existing story rather than starting one.
    pub grouped: usize,
    /// Alerts this batch raised.
    pub alerts: Vec<i64>,
    pub rules_version: String,
}

/// A post that passed its checks.
struct Checked {
    post: PostIn,
    at: i64,
}

fn refuse(line: usize, field: &str, zh: &str, en: &str) -> Refused {
    Refused { line, field: field.into(), message: format!("{zh} / {en}") }
}

fn check(line: usize, p: PostIn, now: i64) -> Result<Checked, Refused> {
    let id = p.id.trim();
    if id.is_empty() || id.chars().count() > 100 {
        return Err(refuse(line, "id", "应为1至100个字符", "must be 1 to 100 characters"));
    }
    let source_ok = !p.source.is_empty()
        && p.source.len() <= 40
        && p.source.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !source_ok {
        return Err(refuse(line, "source", "应为1至40个小写字母、数字、_或-", "must be 1 to 40 of a-z, 0-9, _ and -"));
    }
    let chars = p.text.chars().count();
    if p.text.trim().is_empty() {
        return Err(refuse(line, "text", "不能为空", "must not be empty"));
    }
    if chars > MAX_TEXT {
        return Err(refuse(line, "text", "超过5000字", "is longer than 5,000 characters"));
    }
    if p.url.chars().count() > 500 || p.author.chars().count() > 100 {
        return Err(refuse(
            line,
            "url",
            "链接至多500字、作者至多100字",
            "url at most 500, author at most 100 characters",
        ));
    }
    let at = chrono::DateTime::parse_from_rfc3339(p.at.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| refuse(line, "at", "应为 RFC 3339 时间", "must be an RFC 3339 time"))?;
    if at > now + 300_000 {
        return Err(refuse(line, "at", "不能晚于现在", "must not be in the future"));
    }
    if at < now - 90 * 86_400_000 {
        return Err(refuse(line, "at", "只接收90天内的信息", "only posts of the last 90 days are taken"));
    }
    Ok(Checked { post: PostIn { id: id.to_string(), ..p }, at })
}

/// Reads an NDJSON body: each line a post; a broken line is named and skipped.
pub fn parse_ndjson(body: &str) -> (Vec<(usize, PostIn)>, Vec<Refused>) {
    let mut posts = Vec::new();
    let mut refused = Vec::new();
    for (i, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<PostIn>(line) {
            Ok(p) => posts.push((i + 1, p)),
            Err(e) => {
                refused.push(refuse(i + 1, "line", &format!("不是有效的信息JSON：{e}"), &format!("not a post: {e}")))
            }
        }
    }
    (posts, refused)
}

/// A pseudonym for an author: a keyed hash of source and handle, which is not kept. The
/// same author on the same source keeps one pseudonym (reposts can be counted per author).
fn pseudonym(key: &[u8], source: &str, author: &str) -> String {
    use hmac::Mac as _;
    if author.trim().is_empty() {
        return String::new();
    }
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else { return String::new() };
    mac.update(format!("{source}:{}", author.trim()).as_bytes());
    hex::encode(mac.finalize().into_bytes())[..16].to_string()
}

/// A story's title: its first post's text, cut to a line.
fn title(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut t: String = one_line.chars().take(60).collect();
    if one_line.chars().count() > 60 {
        t.push('…');
    }
    t
}

fn joined(topics: &[String]) -> String {
    format!(",{},", topics.join(","))
}

/// Takes in posts (with the line each came from); `refused` holds what was refused already.
pub async fn ingest(
    state: &AppState,
    actor: &Actor,
    batch: Vec<(usize, PostIn)>,
    refused: Vec<Refused>,
) -> ApiResult<IngestReport> {
    let now = ningan_core::time::now_ms();
    let shared = super::opinion(state).shared;
    let engine: std::sync::Arc<Engine> = shared.engine(&state.db).await?;
    let mut guard = shared.load_groups(&state.db, now).await?;
    run(&state.db, &engine, &mut guard, actor, batch, refused, now).await
}

/// [`ingest`] with the engine and the near-duplicate index given (the demo brings its own).
pub async fn run(
    db: &ningan_store::Db,
    engine: &std::sync::Arc<Engine>,
    groups_slot: &mut Option<ningan_opinion::Groups>,
    actor: &Actor,
    batch: Vec<(usize, PostIn)>,
    mut refused: Vec<Refused>,
    now: i64,
) -> ApiResult<IngestReport> {
    if batch.len() + refused.len() > MAX_BATCH {
        return Err(super::error::OpinionError::Field(
            "posts",
            crate::http::rule::Rule::other("每次至多10000条", "at most 10,000 posts a request"),
        )
        .into());
    }
    let mut checked = Vec::new();
    for (line, p) in batch {
        match check(line, p, now) {
            Ok(c) => checked.push(c),
            Err(r) => refused.push(r),
        }
    }
    refused.sort_by_key(|r| r.line);
    // The analysis is CPU work: off the async threads.
    let analysed = {
        let engine = engine.clone();
        let texts: Vec<String> = checked.iter().map(|c| c.post.text.clone()).collect();
        tokio::task::spawn_blocking(move || texts.iter().map(|t| engine.analyzer.analyze(t)).collect::<Vec<_>>())
            .await
            .map_err(|e| ningan_store::StoreError::Invalid(format!("analysing posts: {e}")))?
    };
    let mut report = IngestReport { rules_version: engine.version().to_string(), ..Default::default() };
    // (topic, hour) → (posts, local, negative)
    let mut hours: BTreeMap<(String, i64), (i64, i64, i64)> = BTreeMap::new();
    let groups = groups_slot.get_or_insert_with(Default::default);
    let mut w = db.write().await?;
    for (c, a) in checked.iter().zip(&analysed) {
        let topics = joined(&a.topics);
        let existing = groups.find(a.simhash);
        let group_id = match existing {
            Some(g) => g,
            None => {
                let id =
                    posts::new_group(&mut w, a.simhash, &title(&c.post.text), &topics, a.mentions_city, c.at).await?;
                groups.insert(id, a.simhash);
                id
            }
        };
        let author = pseudonym(&engine.author_key, &c.post.source, &c.post.author);
        let new = NewPost {
            source: &c.post.source,
            ext_id: &c.post.id,
            author: &author,
            text: &c.post.text,
            url: &c.post.url,
            posted_at: c.at,
            group_id,
            sentiment: a.sentiment,
            mood: a.mood.as_str(),
            topics: &topics,
            local: a.mentions_city,
            rules_version: engine.version(),
        };
        if !posts::insert(&mut w, &new, now).await? {
            report.duplicates += 1;
            continue;
        }
        let negative = a.mood == Mood::Negative;
        posts::bump_group(&mut w, group_id, c.at, a.sentiment, negative).await?;
        report.accepted += 1;
        report.grouped += usize::from(existing.is_some());
        for t in &a.topics {
            let e = hours.entry((t.clone(), hour_of(c.at))).or_default();
            e.0 += 1;
            e.1 += i64::from(a.mentions_city);
            e.2 += i64::from(negative);
        }
    }
    for ((topic, hour), (n, local, negative)) in &hours {
        posts::bump_hour(&mut w, topic, *hour, *n, *local, *negative).await?;
    }
    if let Err(e) = w.commit().await {
        // The groups started in the failed transaction do not exist: read them again.
        *groups_slot = None;
        return Err(e.into());
    }
    let touched: Vec<(String, i64)> = hours.into_keys().collect();
    report.alerts = spikes(db, actor, engine, &touched, now).await?;
    report.refused = refused;
    Ok(report)
}

/// Tests each touched topic-hour against its baseline; raises what spikes.
pub async fn spikes(
    db: &ningan_store::Db,
    actor: &Actor,
    engine: &Engine,
    touched: &[(String, i64)],
    now: i64,
) -> ApiResult<Vec<i64>> {
    let params = engine.analyzer.rules.spike;
    let mut raised = Vec::new();
    for (topic, hour) in touched {
        let rows = posts::hours(db, topic, hour - HISTORY_DAYS * 24, hour + 1).await?;
        let local_at = |h: i64| rows.iter().find(|r| r.0 == h).map_or(0, |r| r.2);
        let count = local_at(*hour);
        // The same hour on each earlier day, oldest first.
        let history: Vec<u32> =
            (1..=HISTORY_DAYS).rev().map(|d| u32::try_from(local_at(hour - d * 24)).unwrap_or(u32::MAX)).collect();
        let baseline = spike::Baseline::learn(&history, &params);
        let Some(s) = spike::check(u32::try_from(count).unwrap_or(u32::MAX), baseline, &params) else { continue };
        let from = hour * 3_600_000;
        let group_id = posts::top_group(db, topic, from, from + 3_600_000).await?;
        let mut w = db.write().await?;
        let new = NewAlert {
            topic,
            hour: *hour,
            count,
            expected: s.expected,
            threshold: i64::from(s.threshold),
            p_value: s.p_value,
            group_id,
            rules_version: engine.version(),
        };
        let id = alerts::raise(&mut w, actor, &new, now).await?;
        w.commit().await?;
        if let Some(id) = id {
            tracing::info!(alert = id, topic = %topic, count, expected = s.expected, "public opinion spike");
            raised.push(id);
        }
    }
    Ok(raised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_lines_and_bad_fields_are_named_by_line() {
        let body = "{\"id\":\"1\",\"source\":\"weibo\",\"text\":\"好\",\"at\":\"2026-11-30T08:00:00+08:00\"}\n{oops\n\n{\"id\":\"3\"}";
        let (ok, bad) = parse_ndjson(body);
        assert_eq!(ok.len(), 1);
        assert_eq!(bad.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T09:00:00+08:00").unwrap().timestamp_millis();
        let long = PostIn { text: "字".repeat(MAX_TEXT + 1), ..ok[0].1.clone() };
        assert_eq!(check(7, long, now).err().map(|r| (r.line, r.field)), Some((7, "text".to_string())));
        let future = PostIn { at: "2026-12-30T08:00:00+08:00".into(), ..ok[0].1.clone() };
        assert_eq!(check(8, future, now).err().map(|r| r.field), Some("at".to_string()));
        assert!(check(1, ok[0].1.clone(), now).is_ok());
    }

    #[test]
    fn an_authors_handle_is_not_kept_and_its_pseudonym_needs_the_key() {
        let p = pseudonym(b"key one", "weibo", "甬城小王");
        assert_eq!(p.len(), 16);
        assert_eq!(p, pseudonym(b"key one", "weibo", " 甬城小王 "), "one author, one pseudonym");
        assert_ne!(p, pseudonym(b"key one", "douyin", "甬城小王"), "per source");
        assert_ne!(p, pseudonym(b"key two", "weibo", "甬城小王"), "another server's key, another pseudonym");
        assert!(pseudonym(b"key one", "weibo", " ").is_empty());
    }
}
