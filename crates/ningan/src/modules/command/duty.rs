//! Duty (勤务): shifts set per officer at their station, who is on duty at an instant per
//! station, and a warning where fewer are on duty than a station's minimum strength.

use std::collections::BTreeMap;

use ningan_store::UnitKind;

use super::error::CommandError;
use super::store::duty::{self, NewShift};
use crate::app::AppState;
use crate::http::error::ApiResult;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

/// The longest shift (a 24-hour duty day).
const LONGEST_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct ShiftInput {
    /// The officer's account.
    pub user_id: i64,
    /// RFC 3339.
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub starts_at: String,
    /// RFC 3339, after the start and at most 24 hours later.
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN, "examples" = ["2026-11-30T16:00:00+08:00"]))]
    pub ends_at: String,
    /// Where: "值班室", "巡逻一组", "卡口"…
    #[schemars(length(min = 1, max = 30), regex(pattern = r"\S"))]
    pub post: String,
}

pub async fn add_shift(state: &AppState, ctx: &Ctx, input: &ShiftInput) -> ApiResult<i64> {
    let starts_at = super::error::time_ms("starts_at", &input.starts_at)?;
    let ends_at = super::error::time_ms("ends_at", &input.ends_at)?;
    if ends_at <= starts_at || ends_at - starts_at > LONGEST_MS {
        let rule =
            Rule::context("结束须晚于开始，且一班不超过24小时", "the end follows the start, at most 24 hours later");
        return Err(CommandError::Field("ends_at", rule).into());
    }
    let post = input.post.trim();
    if post.is_empty() || post.chars().count() > 30 {
        return Err(CommandError::Field("post", Rule::RequiredUpTo(30)).into());
    }
    let officer = state
        .db
        .user_get(&ctx.scope(), input.user_id)
        .await
        .map_err(|_| CommandError::Field("user_id", Rule::NotInScope))?;
    let station =
        state.db.unit_get(&ctx.scope(), officer.unit_id).await.ok().filter(|u| u.kind == UnitKind::Station).ok_or(
            CommandError::Field("user_id", Rule::context("该民警不属于派出所", "the officer is not at a station")),
        )?;
    let mut w = state.db.write().await?;
    let new = NewShift { user_id: officer.id, unit_id: station.id, unit_path: &station.path, starts_at, ends_at, post };
    let id = duty::insert(&mut w, &ctx.actor(), &new, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct OnDuty {
    pub user_id: i64,
    pub name: String,
    pub post: String,
    pub until: String,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct StationDuty {
    pub station_id: i64,
    pub station: String,
    pub on_duty: Vec<OnDuty>,
    pub minimum: usize,
    /// Fewer on duty than the minimum.
    pub short: bool,
}

/// Who is on duty at `at` at each station in scope, with the stations short of strength.
pub async fn on_duty(state: &AppState, ctx: &Ctx, at: i64) -> ApiResult<Vec<StationDuty>> {
    let shifts = duty::between(&state.db, &ctx.scope(), at, at + 1).await?;
    let en = ctx.language() == "en";
    let mut by_station: BTreeMap<i64, Vec<OnDuty>> = BTreeMap::new();
    for s in shifts {
        by_station.entry(s.unit_id).or_default().push(OnDuty {
            user_id: s.user_id,
            name: s.display_name,
            post: s.post,
            until: ningan_core::time::rfc3339_ms(s.ends_at),
        });
    }
    let stations = state.db.units_in_scope(&ctx.scope()).await?;
    let minimum = state.config.module::<super::config::CommandConfig>().min_on_duty;
    Ok(stations
        .into_iter()
        .filter(|u| u.kind == UnitKind::Station)
        .map(|u| {
            let on_duty = by_station.remove(&u.id).unwrap_or_default();
            StationDuty {
                short: on_duty.len() < minimum,
                station_id: u.id,
                station: if en { u.name_en } else { u.name },
                on_duty,
                minimum,
            }
        })
        .collect())
}
