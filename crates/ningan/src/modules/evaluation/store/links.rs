//! One-time links: a random token handed to one respondent (by text message or letter), kept
//! only as its SHA-256, used once. A link knows its wave or review round and its district,
//! and the day it was used — never by whom.

use ningan_store::sql::{Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, StoreError, Write};
use sha2::{Digest, Sha256};

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh token: 128 random bits, URL-safe.
pub fn token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[derive(Debug, Clone)]
pub struct Link {
    pub id: i64,
    pub wave_id: Option<i64>,
    pub round_id: Option<i64>,
    pub district: i64,
    pub used_on: Option<String>,
}

fn link(r: &Row) -> Result<Link> {
    Ok(Link {
        id: r.try_get("id")?,
        wave_id: r.try_get("wave_id")?,
        round_id: r.try_get("round_id")?,
        district: r.try_get("district")?,
        used_on: r.try_get("used_on")?,
    })
}

pub enum Target {
    Wave(i64),
    Round(i64),
}

/// Issues `n` links for a district and returns their tokens: shown once, never stored.
pub async fn issue(
    w: &mut Write,
    actor: &Actor,
    target: &Target,
    district: u32,
    n: usize,
    now: i64,
) -> Result<Vec<String>> {
    let (wave, round, object, id) = match target {
        Target::Wave(id) => (Some(*id), None, "ev_wave", *id),
        Target::Round(id) => (None, Some(*id), "ev_round", *id),
    };
    let mut tokens = Vec::with_capacity(n);
    for _ in 0..n {
        let t = token();
        query("INSERT INTO ev_links (token_hash, wave_id, round_id, district, issued_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(hash(&t))
            .bind(wave)
            .bind(round)
            .bind(district as i64)
            .bind(now)
            .execute(w.connection())
            .await?;
        tokens.push(t);
    }
    w.audit(actor.audit("evaluation.links.issue", object, id, None, None, &format!("{district}: {n}"))).await?;
    Ok(tokens)
}

pub async fn by_token(db: &Db, token: &str) -> Result<Link> {
    let row = query("SELECT id, wave_id, round_id, district, used_on FROM ev_links WHERE token_hash = $1")
        .bind(hash(token))
        .fetch_optional(db.reader())
        .await?;
    link(&row.ok_or(StoreError::NotFound)?)
}

/// Marks the link used on `day`, in the answer's transaction; `false` if it already was
/// (a second tab, a resent form), so only one answer is kept per link.
pub async fn spend(w: &mut Write, id: i64, day: &str) -> Result<bool> {
    let n = query("UPDATE ev_links SET used_on = $1 WHERE id = $2 AND used_on IS NULL")
        .bind(day)
        .bind(id)
        .execute(w.connection())
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// `(district, issued, used)` of a wave's or round's links.
pub async fn tally(db: &Db, target: &Target) -> Result<Vec<(i64, i64, i64)>> {
    let (column, id) = match target {
        Target::Wave(id) => ("wave_id", *id),
        Target::Round(id) => ("round_id", *id),
    };
    let sql = format!(
        "SELECT district, COUNT(*) AS issued, COUNT(used_on) AS used FROM ev_links WHERE {column} = $1 \
         GROUP BY district ORDER BY district"
    );
    let rows = query(&sql).bind(id).fetch_all(db.reader()).await?;
    rows.iter().map(|r| Ok((r.try_get("district")?, r.try_get("issued")?, r.try_get("used")?))).collect()
}
