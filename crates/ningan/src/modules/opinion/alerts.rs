//! Handling an alert: the analyst assigns it to a unit with a deadline (or closes it as
//! nothing), the unit answers with what it found and did, the analyst closes it or sends it
//! back. Who may do which is the route's action and, for an answer, the alert being
//! assigned within the answerer's own scope.

use ningan_core::Action;
use ningan_core::opinion::{AlertState, AlertStep};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::OpinionError;
use super::store::alerts::{self, Move, Viewer};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

/// What the caller may see: their scope's assigned alerts, and the open ones if they
/// manage public opinion.
pub fn viewer(ctx: &Ctx) -> Viewer {
    Viewer { scope: ctx.scope(), unassigned: ctx.may(Action::OpinionManage) }
}

fn steps(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(AlertStep::ALL.iter().map(|s| s.as_str()))
}

/// Assigning names the unit; answering and sending back carry a note of two characters or
/// more.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(extend("examples" = [{"step": "assign", "unit_id": 2, "hours": 24, "note": "请核实并回应"}], "allOf" = [
    {"if": {"properties": {"step": {"const": "assign"}}, "required": ["step"]}, "then": {"required": ["unit_id"]}},
    {
        "if": {"properties": {"step": {"enum": ["answer", "return"]}}, "required": ["step"]},
        "then": {"required": ["note"], "properties": {"note": {"minLength": 2, "pattern": "\\S[\\s\\S]*\\S"}}}
    }
]))]
pub struct StepInput {
    /// assign | answer | return | close
    #[schemars(schema_with = "steps")]
    pub step: String,
    /// To assign: the unit (a station or branch in scope).
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// To assign: hours to answer in, 1–168 (default 24).
    #[serde(default)]
    #[schemars(range(min = 1, max = 168))]
    pub hours: Option<i64>,
    /// The answer (2–2,000 characters) or a note; required to send back.
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::note_0_2000")]
    pub note: String,
}

pub async fn step(state: &AppState, ctx: &Ctx, id: i64, input: &StepInput) -> ApiResult<AlertState> {
    let step = AlertStep::parse(&input.step).ok_or_else(|| {
        OpinionError::Field(
            "step",
            Rule::one_of("交办、回复、退回重办或办结", &AlertStep::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        )
    })?;
    let manage = matches!(step, AlertStep::Assign | AlertStep::Return | AlertStep::Close);
    if manage && !ctx.may(Action::OpinionManage) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "只有舆情研判人员可以交办、退回或办结",
            "only analysts assign, send back or close alerts",
        ));
    }
    if step == AlertStep::Answer && !ctx.may(Action::OpinionWork) {
        return Err(ApiError::new(ErrorCode::Forbidden, "您的角色不能回复预警", "your roles do not answer alerts"));
    }
    let note = ningan_core::text::note(&input.note, 2000)
        .map_err(|e| crate::modules::residents::text_error("note", "内容", "note", e))?;
    let alert = alerts::get(&state.db, &viewer(ctx), id).await?;
    let from = AlertState::parse(&alert.state).unwrap_or(AlertState::Open);
    let to = from.after(step).map_err(OpinionError::Step)?;
    if step == AlertStep::Answer {
        // Only the unit it was given to (or above it) answers.
        let mine = alert.unit_path.as_deref().is_some_and(|p| ctx.scope().contains(p));
        if !mine {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "此预警未交办给您的单位",
                "this alert was not assigned to your unit",
            ));
        }
        if note.as_str().chars().count() < 2 {
            return Err(OpinionError::Field("note", Rule::Length(2, 2000)).into());
        }
    }
    if step == AlertStep::Return && note.as_str().chars().count() < 2 {
        return Err(OpinionError::Field("note", Rule::Reason(2, 2000)).into());
    }
    let now = ningan_core::time::now_ms();
    let mut assign = None;
    let unit_path;
    if step == AlertStep::Assign {
        let unit_id = input.unit_id.ok_or(OpinionError::Field("unit_id", Rule::Required))?;
        let unit = state
            .db
            .unit_get(&ctx.scope(), unit_id)
            .await
            .map_err(|_| OpinionError::Field("unit_id", Rule::NotInScope))?;
        let hours = input.hours.unwrap_or(24);
        if !(1..=168).contains(&hours) {
            return Err(OpinionError::Field("hours", Rule::Range(1, 168)).into());
        }
        unit_path = unit.path;
        assign = Some((unit.id, unit_path.as_str(), now + hours * 3_600_000));
    }
    let m = Move {
        step,
        from,
        to,
        note: note.as_str(),
        assign,
        reply: (step == AlertStep::Answer).then_some(note.as_str()),
        at: now,
    };
    let mut w = state.db.write().await?;
    alerts::step(&mut w, &ctx.actor(), id, &m).await?;
    w.commit().await?;
    Ok(to)
}
