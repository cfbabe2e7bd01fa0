//! 民主评议, the public review of the bureau's branches and stations: a round names the units
//! reviewed and runs for some days; the public rates a unit 1–5 with a comment through a
//! one-time link (or an interviewer enters a call's rating); the unit replies to comments;
//! the ranking is by mean score with its interval.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::{EvaluationError, field};
use super::service::{Opened, Result, day_start, open_link, today};
use super::store::links::{self, Target};
use super::store::reviews::{self, NewRating, NewRound, Standing};
use crate::app::AppState;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use ningan_store::{Actor, Db, UnitKind};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct RoundInput {
    #[schemars(length(min = 1, max = 100), regex(pattern = r"\S"))]
    pub name: String,
    #[schemars(extend("format" = "date", "pattern" = crate::http::schema::DATE_PATTERN))]
    pub opens_on: String,
    #[schemars(extend("format" = "date", "pattern" = crate::http::schema::DATE_PATTERN, "examples" = ["2026-12-30"]))]
    pub closes_on: String,
    /// Units reviewed; every branch and station within the caller's units when empty.
    #[serde(default)]
    pub units: Vec<i64>,
}

pub async fn create_round(state: &AppState, ctx: &Ctx, input: &RoundInput) -> Result<i64> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(field("name", Rule::RequiredUpTo(100)));
    }
    let opens = day_start("opens_on", &input.opens_on)?;
    let closes = day_start("closes_on", &input.closes_on)? + 86_400_000;
    if closes <= opens || closes - opens > 92 * 86_400_000 {
        return Err(field("closes_on", Rule::context("评议期为1至92天", "a round runs 1 to 92 days")));
    }
    let within = state.db.units_in_scope(&ctx.scope()).await?;
    let units: Vec<(i64, String)> = if input.units.is_empty() {
        within
            .iter()
            .filter(|u| matches!(u.kind, UnitKind::District | UnitKind::Station))
            .map(|u| (u.id, u.path.clone()))
            .collect()
    } else {
        let mut out = Vec::new();
        for id in &input.units {
            let u = within.iter().find(|u| u.id == *id).ok_or_else(|| field("units", Rule::NotInScope))?;
            if !out.iter().any(|(i, _)| i == id) {
                out.push((u.id, u.path.clone()));
            }
        }
        out
    };
    if units.len() < 2 {
        return Err(field("units", Rule::context("至少评议两个单位", "a round reviews two units or more")));
    }
    let mut w = state.db.write().await?;
    let new = NewRound { name, opens_at: opens, closes_at: closes, unit_id: ctx.unit.id, unit_path: &ctx.unit.path };
    let id = reviews::insert(&mut w, &ctx.actor(), &new, &units, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(id)
}

pub async fn issue_links(state: &AppState, ctx: &Ctx, round: i64, district: i64, count: i64) -> Result<Vec<String>> {
    let r = reviews::get(&state.db, &ctx.scope(), &ctx.unit.path, round).await?;
    super::service::issue(state, ctx, Target::Round(round), (&r.unit_path, r.closes_at), district, count).await
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct RatingInput {
    pub unit_id: i64,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    #[schemars(range(min = 1, max = 5))]
    pub score: i64,
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub comment: Option<String>,
}

async fn record(
    db: &Db,
    actor: &Actor,
    round: &reviews::Round,
    channel: &str,
    input: &RatingInput,
    link: Option<i64>,
) -> Result<i64> {
    let now = ningan_core::time::now_ms();
    if now < round.opens_at || now >= round.closes_at {
        return Err(EvaluationError::NotOpen);
    }
    if !reviews::standings(db, round.id).await?.iter().any(|s| s.unit_id == input.unit_id) {
        return Err(field("unit_id", Rule::context("请选择本轮评议的单位", "choose a unit this round reviews")));
    }
    if !(1..=5).contains(&input.score) {
        return Err(field("score", Rule::Range(1, 5)));
    }
    let comment = input.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > 500) {
        return Err(field("comment", Rule::TooLong(500)));
    }
    let day = today();
    let mut w = db.write().await?;
    if let Some(link) = link
        && !links::spend(&mut w, link, &day).await?
    {
        return Err(EvaluationError::LinkUsed);
    }
    let new = NewRating {
        round_id: round.id,
        unit_id: input.unit_id,
        score: input.score,
        comment,
        channel,
        received_on: &day,
    };
    let id = reviews::rate(&mut w, actor, &new).await?;
    w.commit().await?;
    Ok(id)
}

pub async fn rate_by_link(state: &AppState, token: &str, input: &RatingInput) -> Result<()> {
    let Opened::Round(link, round) = open_link(state, token).await? else {
        return Err(ningan_store::StoreError::NotFound.into());
    };
    let actor = Actor { name: "public:review".into(), unit_id: None };
    record(&state.db, &actor, &round, "link", input, Some(link.id)).await?;
    Ok(())
}

pub async fn rate_by_phone(state: &AppState, ctx: &Ctx, round: i64, input: &RatingInput) -> Result<i64> {
    let r = reviews::get(&state.db, &ctx.scope(), &ctx.unit.path, round).await?;
    record(&state.db, &ctx.actor(), &r, "phone", input, None).await
}

pub async fn reply(state: &AppState, ctx: &Ctx, rating: i64, body: &str) -> Result<()> {
    let (_, unit_id, unit_path) = reviews::rating_unit(&state.db, rating).await?;
    if !ctx.scope().contains(&unit_path) {
        return Err(ningan_store::StoreError::NotFound.into());
    }
    let body = body.trim();
    if body.chars().count() < 2 || body.chars().count() > 1000 {
        return Err(field("body", Rule::Length(2, 1000)));
    }
    let mut w = state.db.write().await?;
    if !reviews::reply(&mut w, &ctx.actor(), rating, unit_id, body, ningan_core::time::now_ms()).await? {
        return Err(EvaluationError::Replied);
    }
    w.commit().await?;
    Ok(())
}

/// A reviewed unit's place.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Ranked {
    pub rank: i64,
    pub unit_id: i64,
    pub name: String,
    pub name_en: String,
    pub ratings: i64,
    /// Mean score, two decimals; none before the first rating.
    pub mean: Option<f64>,
    /// The mean's 95 % interval (normal, from the ratings' spread); from two ratings on.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// Ranks by mean score (more ratings first among equals); unrated units last.
pub fn rank(standings: &[Standing]) -> Vec<Ranked> {
    let round2 = |v: f64| (v * 100.0).round() / 100.0;
    let mut out: Vec<Ranked> = standings
        .iter()
        .map(|s| {
            let n = s.ratings as f64;
            let mean = (s.ratings > 0).then(|| s.score_sum as f64 / n);
            let spread = (s.ratings > 1).then(|| {
                let m = s.score_sum as f64 / n;
                let var = ((s.score_squares as f64 - n * m * m) / (n - 1.0)).max(0.0);
                1.959_964 * (var / n).sqrt()
            });
            Ranked {
                rank: 0,
                unit_id: s.unit_id,
                name: s.name.clone(),
                name_en: s.name_en.clone(),
                ratings: s.ratings,
                mean: mean.map(round2),
                low: mean.zip(spread).map(|(m, h)| round2((m - h).max(1.0))),
                high: mean.zip(spread).map(|(m, h)| round2((m + h).min(5.0))),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.mean
            .unwrap_or(-1.0)
            .total_cmp(&a.mean.unwrap_or(-1.0))
            .then(b.ratings.cmp(&a.ratings))
            .then(a.name.cmp(&b.name))
    });
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i as i64 + 1;
    }
    out
}

pub async fn ranking(db: &Db, round: i64) -> Result<Vec<Ranked>> {
    Ok(rank(&reviews::standings(db, round).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(name: &str, scores: &[i64]) -> Standing {
        Standing {
            unit_id: name.len() as i64,
            unit_path: String::new(),
            name: name.into(),
            name_en: name.into(),
            ratings: scores.len() as i64,
            score_sum: scores.iter().sum(),
            score_squares: scores.iter().map(|s| s * s).sum(),
        }
    }

    #[test]
    fn units_rank_by_mean_with_an_interval_and_the_unrated_last() {
        let r = rank(&[standing("b", &[4, 4, 5, 3]), standing("a", &[5, 5, 4, 5]), standing("c", &[])]);
        let names: Vec<&str> = r.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(r[0].mean, Some(4.75));
        assert_eq!(r[1].mean, Some(4.0));
        // sd of 4,4,5,3 is 0.8165; half-width 1.96 × 0.8165 / 2 = 0.80.
        assert_eq!((r[1].low, r[1].high), (Some(3.2), Some(4.8)));
        assert_eq!((r[2].mean, r[2].rank), (None, 3));
    }
}
