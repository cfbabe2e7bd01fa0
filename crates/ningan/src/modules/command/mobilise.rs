//! Mobilisation (警力调集): a commander calls the off-duty officers of chosen stations to a
//! post (the report: more than 1,000 officers deployed for the Meishan port outbreak); each
//! officer answers for themself — coming or not, with a note — and the commander sees the
//! count against the strength wanted.

use ningan_core::Role;
use ningan_store::{PageRequest, UnitKind};

use super::error::CommandError;
use super::store::duty;
use super::store::mobilise::{self, NewMobilisation};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct MobiliseInput {
    /// What for, e.g. "梅山港区疫情处置".
    #[schemars(length(min = 1, max = 60), regex(pattern = r"\S"))]
    pub title: String,
    /// Where to report.
    #[schemars(length(min = 1, max = 60), regex(pattern = r"\S"))]
    pub post: String,
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub reason: String,
    /// Officers wanted, 1–5000.
    #[schemars(range(min = 1, max = 5000))]
    pub needed: i64,
    /// The stations whose off-duty officers are called; empty: every station in scope.
    #[serde(default)]
    pub station_ids: Vec<i64>,
}

fn text(field: &'static str, v: &str, max: usize) -> Result<String, ApiError> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(CommandError::Field(field, Rule::RequiredUpTo(max)).into());
    }
    Ok(t.to_string())
}

/// Calls the off-duty station officers of the chosen stations; returns the mobilisation and
/// how many were called.
pub async fn mobilise(state: &AppState, ctx: &Ctx, input: &MobiliseInput) -> ApiResult<(i64, usize)> {
    let title = text("title", &input.title, 60)?;
    let post = text("post", &input.post, 60)?;
    let reason = input.reason.trim();
    if reason.chars().count() > 500 {
        return Err(CommandError::Field("reason", Rule::TooLong(500)).into());
    }
    if !(1..=5000).contains(&input.needed) {
        return Err(CommandError::Field("needed", Rule::Range(1, 5000)).into());
    }
    let in_scope = state.db.units_in_scope(&ctx.scope()).await?;
    let stations: Vec<_> = in_scope.iter().filter(|u| u.kind == UnitKind::Station).collect();
    for id in &input.station_ids {
        if !stations.iter().any(|s| s.id == *id) {
            return Err(CommandError::Field("station_ids", Rule::NotInScope).into());
        }
    }
    let chosen: Vec<_> =
        stations.into_iter().filter(|s| input.station_ids.is_empty() || input.station_ids.contains(&s.id)).collect();
    let now = ningan_core::time::now_ms();
    let on_duty: std::collections::HashSet<i64> =
        duty::between(&state.db, &ctx.scope(), now, now + 1).await?.into_iter().map(|s| s.user_id).collect();
    let mut officers = Vec::new();
    for s in &chosen {
        let mut page = 1;
        loop {
            let found = state
                .db
                .users_in_scope(&ctx.scope(), Some(s.id), None, PageRequest::new(Some(page), Some(200)))
                .await?;
            officers.extend(
                found
                    .items
                    .iter()
                    .filter(|u| !u.disabled && u.roles.contains(&Role::StationOfficer) && !on_duty.contains(&u.id))
                    .map(|u| (u.id, s.id)),
            );
            if found.items.len() < 200 {
                break;
            }
            page += 1;
        }
    }
    if officers.is_empty() {
        let rule =
            Rule::other("所选派出所没有不在岗的民警可调集", "the chosen stations have no off-duty officers to call");
        return Err(CommandError::Field("station_ids", rule).into());
    }
    let issuer = &ctx.unit;
    let new = NewMobilisation {
        title: &title,
        post: &post,
        reason,
        needed: input.needed,
        unit_id: issuer.id,
        unit_path: &issuer.path,
    };
    let mut w = state.db.write().await?;
    let id = mobilise::insert(&mut w, &ctx.actor(), &new, &officers, now).await?;
    w.commit().await?;
    Ok((id, officers.len()))
}

/// The calling officer's answer to a call-up they received.
pub async fn answer(state: &AppState, ctx: &Ctx, id: i64, accept: bool, note: &str) -> ApiResult<()> {
    let Some(me) = ctx.user() else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "只有被调集的民警本人可以应答",
            "only the officer called answers",
        ));
    };
    let note = ningan_core::text::note(note, 200)
        .map_err(|e| crate::modules::residents::text_error("note", "备注", "note", e))?;
    let called = mobilise::called(&state.db, id).await?;
    if !called.iter().any(|c| c.user_id == me.id) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "您不在此次调集名单中",
            "you were not called by this mobilisation",
        ));
    }
    let mut w = state.db.write().await?;
    mobilise::answer(&mut w, &ctx.actor(), id, me.id, accept, note.as_str(), ningan_core::time::now_ms())
        .await
        .map_err(|e| match e {
            ningan_store::StoreError::Conflict(_) => {
                ApiError::new(ErrorCode::Conflict, "您已应答过此次调集", "you have answered this call-up already")
            }
            other => other.into(),
        })?;
    w.commit().await?;
    Ok(())
}
