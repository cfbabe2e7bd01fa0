//! Signal ingest over HTTP: JSON batches and NDJSON with line numbers.

use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::refuse;
use super::wire::{Incoming, SignalLine};
use crate::app::AppState;
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

/// Signals one request may carry.
pub const MAX_BATCH: usize = 10_000;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SignalBatch {
    #[schemars(length(min = 1, max = 10_000))]
    pub signals: Vec<SignalLine>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SignalReport {
    /// New signals logged and scored.
    pub accepted: usize,
    /// Signals handed to the stream's partitions, to be scored by the process that owns the
    /// person's partition (when the city scores with several processes: `fraud.partitions`).
    /// Their warnings appear as tasks; repeats are ignored there.
    pub queued: usize,
    /// Ids seen before: ignored, so a retried batch is safe.
    pub duplicates: usize,
    pub warnings: Vec<WarningRef>,
    /// The first refusals, in order (at most 100).
    pub rejected: Vec<SignalRejection>,
    /// Every refusal, listed or not.
    pub rejected_total: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct WarningRef {
    pub task_id: i64,
    pub level: String,
}

/// Where a warning stands, for the carrier or bank whose signals raised it: enough to stop
/// a payment or keep watching, nothing about who it concerns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WarningStatusDto {
    pub task_id: i64,
    /// low | medium | high
    pub level: String,
    /// open | transfer | done
    pub status: String,
    /// How the station closed it (dissuaded, sms, unreachable …), once closed.
    pub outcome: Option<String>,
    /// RFC 3339.
    pub warned_at: String,
    /// RFC 3339, once closed.
    pub closed_at: Option<String>,
}

/// The status of warning `id` within the caller's unit scope (a token's is its issuer's).
/// Nothing personal is shown, so nothing is audited as a reading of a person.
pub async fn warning_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<WarningStatusDto>> {
    let t = state.db.fraud_task(&ctx.scope(), id).await?;
    Ok(axum::Json(WarningStatusDto {
        task_id: t.id,
        level: t.level,
        status: t.status,
        outcome: t.outcome,
        warned_at: ningan_core::time::rfc3339_ms(t.warned_at),
        closed_at: t.closed_at.map(ningan_core::time::rfc3339_ms),
    }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SignalRejection {
    /// Line number from 1 (NDJSON), or position from 0 (JSON batch).
    pub line: usize,
    pub reason: String,
    pub reason_zh: String,
}

/// Checks every line, then ingests the good ones in one transaction.
pub async fn ingest_lines(
    state: &AppState,
    ctx_actor: &ningan_store::Actor,
    channel: &str,
    lines: Vec<(usize, Result<SignalLine, String>)>,
) -> ApiResult<SignalReport> {
    if lines.len() > MAX_BATCH {
        return Err(refuse(
            "signals",
            Rule::other(format!("每批最多{MAX_BATCH}条"), format!("at most {MAX_BATCH} per batch")),
        ));
    }
    let now = ningan_core::time::now_ms() / 1000;
    let mut good: Vec<Incoming> = Vec::with_capacity(lines.len());
    let mut rejected = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (line, parsed) in lines {
        match parsed
            .map_err(|e| (format!("unreadable: {e}"), "无法解析为信号对象".to_string()))
            .and_then(|l| l.check(now).map_err(|r| (r.en, r.zh)))
        {
            Ok(s) if !seen.insert(s.id.clone()) => {
                rejected.push(SignalRejection {
                    line,
                    reason: "id repeated within the batch".into(),
                    reason_zh: "同一批次内编号重复".into(),
                });
            }
            Ok(s) => good.push(s),
            Err((en, zh)) => rejected.push(SignalRejection { line, reason: en, reason_zh: zh }),
        }
    }
    let summary = if good.is_empty() {
        Default::default()
    } else {
        state.fraud.service.ingest(&state.db, ctx_actor, channel, good).await?
    };
    Ok(SignalReport {
        accepted: summary.accepted,
        queued: summary.queued,
        duplicates: summary.duplicates,
        warnings: summary
            .warnings
            .into_iter()
            .map(|(task_id, level)| WarningRef { task_id, level: level.as_str().into() })
            .collect(),
        rejected_total: rejected.len(),
        rejected: {
            let mut r = rejected;
            r.truncate(crate::http::ndjson::MAX_LISTED_REFUSALS);
            r
        },
    })
}

/// Ingests already checked signals (the demo stream), invalidating the cockpit on warnings.
pub async fn ingest_items(
    state: &AppState,
    actor: &ningan_store::Actor,
    channel: &str,
    items: Vec<Incoming>,
) -> ApiResult<crate::modules::fraud::IngestSummary> {
    let summary = state.fraud.service.ingest(&state.db, actor, channel, items).await?;
    Ok(summary)
}

pub(super) async fn signals(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(batch): Json<SignalBatch>,
) -> ApiResult<axum::Json<SignalReport>> {
    if batch.signals.is_empty() {
        return Err(refuse("signals", Rule::other("至少一条信号", "send at least one signal")));
    }
    let lines = batch.signals.into_iter().enumerate().map(|(i, s)| (i, Ok(s))).collect();
    Ok(axum::Json(ingest_lines(&state, &ctx.actor(), "api", lines).await?))
}

/// Splits an NDJSON body into numbered lines (from 1), skipping blank ones.
pub fn parse_ndjson(body: &str) -> Vec<(usize, Result<SignalLine, String>)> {
    body.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, serde_json::from_str::<SignalLine>(l).map_err(|e| crate::http::ndjson::short(&e))))
        .collect()
}

pub(super) async fn signals_ndjson(
    State(state): State<AppState>,
    ctx: Ctx,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<SignalReport>> {
    let body = std::str::from_utf8(&body)
        .map_err(|e| refuse("body", Rule::other("请求体不是 UTF-8 文本", format!("the body is not UTF-8: {e}"))))?;
    // Every line counts toward the limit, before any is parsed.
    crate::http::ndjson::lines(body, MAX_BATCH)?;
    let lines = parse_ndjson(body);
    if lines.is_empty() {
        return Err(refuse("body", Rule::other("请求体没有信号", "the body holds no signals")));
    }
    Ok(axum::Json(ingest_lines(&state, &ctx.actor(), "api", lines).await?))
}
