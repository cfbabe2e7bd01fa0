//! Check-ins: batches of venue-code scans from the venue-code app's back end, into the
//! tracing engine.

use std::collections::HashMap;

use axum::extract::State;
use ningan_trace::Observation;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::tracer::{blocking, resident_person};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::Json;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;
use crate::modules::precise::parse_time;

/// Check-ins one request may carry.
pub const MAX_BATCH: usize = 10_000;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckinBatch {
    #[schemars(length(min = 1, max = 10_000))]
    pub checkins: Vec<CheckinRequest>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckinRequest {
    /// The resident's record id (the venue-code app's back end resolves the person); exactly
    /// one of `resident_id` and `visitor_id`.
    #[serde(default)]
    pub resident_id: Option<i64>,
    /// A visitor's record id, for people not in the register.
    #[serde(default)]
    pub visitor_id: Option<i64>,
    pub venue_code: String,
    /// When the code was scanned (RFC 3339).
    pub at: String,
    /// When the person left, if known; otherwise the venue kind's usual stay is assumed.
    pub left_at: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckinReport {
    /// New check-ins kept.
    pub accepted: usize,
    /// Check-ins already held (the same person, venue and times), sent again: kept once,
    /// so a retried batch is harmless.
    pub duplicates: usize,
    /// The first refusals, in order (at most 100).
    pub rejected: Vec<CheckinRejection>,
    /// Every refusal, listed or not.
    pub rejected_total: usize,
}

impl CheckinReport {
    pub(super) fn new(accepted: usize, duplicates: usize, mut rejected: Vec<CheckinRejection>) -> CheckinReport {
        rejected.sort_by_key(|r| r.index);
        let rejected_total = rejected.len();
        rejected.truncate(crate::http::ndjson::MAX_LISTED_REFUSALS);
        CheckinReport { accepted, duplicates, rejected, rejected_total }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckinRejection {
    /// Position in the batch, from 0.
    pub index: usize,
    pub reason: String,
    pub reason_zh: String,
}

/// The Chinese of a refusal's reason.
pub(super) fn reason_zh(reason: &str) -> &'static str {
    match reason {
        "unknown venue code" => "场所码不存在",
        "unknown resident" => "人员不存在（须为本辖区人口或外来人员，二者取一）",
        "bad phone" => "手机号无效",
        "bad position" => "位置无效（纬度 -90–90，经度 -180–180）",
        "bad time" => "时间格式无效（应为 RFC 3339）",
        "unknown space" => "场所未登记",
        "end before start" => "离开时间早于到达时间",
        "stay longer than 24 hours" => "停留超过24小时",
        "start in the future" => "时间晚于当前时间",
        "older than the retention period" => "超出数据保留期",
        _ => "无法接收",
    }
}

/// How the people a batch names are vouched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persons {
    /// Named by record id: only residents of the caller's units are accepted (a station's
    /// officer cannot place another district's residents at a venue, which would make them
    /// close contacts and put places on the public notice). A city-wide venue-code back end
    /// holds a token of the city's unit.
    InCallersUnits,
    /// Named by the person's own signed pass, shown at the venue.
    ShownTheirPass,
}

/// Resolves codes and residents, then hands the batch to the engine: durable when this
/// returns. Refused check-ins are reported with their position and reason; the rest are kept.
pub async fn ingest_checkins(
    state: &AppState,
    ctx: &Ctx,
    batch: Vec<CheckinRequest>,
    persons: Persons,
) -> ApiResult<CheckinReport> {
    if batch.is_empty() || batch.len() > MAX_BATCH {
        let per_batch =
            Rule::other(format!("每批1–{MAX_BATCH}条"), format!("send 1 to {MAX_BATCH} check-ins per batch"));
        return Err(refuse("checkins", per_batch));
    }
    let mut ids: Vec<i64> = batch.iter().filter_map(|c| c.resident_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut visitor_ids: Vec<i64> = batch.iter().filter_map(|c| c.visitor_id).collect();
    visitor_ids.sort_unstable();
    visitor_ids.dedup();
    let scope = match persons {
        Persons::InCallersUnits => ctx.scope(),
        Persons::ShownTheirPass => ningan_store::Scope::everything(),
    };
    let known = state.db.residents_existing(&scope, &ids).await?;
    let visitors = super::visitors::existing(&state.db, &scope, &visitor_ids).await?;
    let mut codes: HashMap<String, Option<u32>> = HashMap::new();
    for c in &batch {
        if codes.contains_key(&c.venue_code) {
            continue;
        }
        let space = match state.precise.tracer.venue_by_code(&c.venue_code) {
            Some(s) => Some(s),
            // A venue registered by another process since this one started.
            None => match state.db.venue_by_code(&c.venue_code).await {
                Ok(v) => {
                    let entry = vec![(v.id, v.kind.clone(), v.code.clone())];
                    blocking(&state.precise.tracer, move |t| t.sync_venues(&entry)).await?;
                    state.precise.tracer.venue_by_code(&c.venue_code)
                }
                Err(ningan_store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
        };
        codes.insert(c.venue_code.clone(), space);
    }
    let mut rejected = Vec::new();
    let mut observations = Vec::with_capacity(batch.len());
    let mut positions = Vec::with_capacity(batch.len());
    for (index, c) in batch.iter().enumerate() {
        let reject =
            |reason: &str| CheckinRejection { index, reason: reason.into(), reason_zh: reason_zh(reason).into() };
        let Some(Some(space)) = codes.get(&c.venue_code) else {
            rejected.push(reject("unknown venue code"));
            continue;
        };
        let person = match (c.resident_id, c.visitor_id) {
            (Some(r), None) if known.binary_search(&r).is_ok() => resident_person(r).ok(),
            (None, Some(v)) if visitors.binary_search(&v).is_ok() => super::visitors::visitor_person(v).ok(),
            _ => None,
        };
        let Some(person) = person else {
            rejected.push(reject("unknown resident"));
            continue;
        };
        let (Some(start), end) = (parse_time(&c.at), c.left_at.as_deref().map(parse_time)) else {
            rejected.push(reject("bad time"));
            continue;
        };
        let end = match end {
            None => None,
            Some(Some(e)) => Some(e),
            Some(None) => {
                rejected.push(reject("bad time"));
                continue;
            }
        };
        observations.push(Observation { person, space: *space, start, end });
        positions.push(index);
    }
    let report = keep(state, observations).await?;
    for r in &report.rejected {
        let index = positions[r.index];
        rejected.push(CheckinRejection { index, reason: r.reason.into(), reason_zh: reason_zh(r.reason).into() });
    }
    let mut w = state.db.write().await?;
    let detail =
        format!("{} accepted, {} already held, {} refused", report.accepted, report.duplicates, rejected.len());
    w.audit(ctx.actor().audit("checkin.ingest", "checkin", 0, None, None, &detail)).await?;
    w.commit().await?;
    Ok(CheckinReport::new(report.accepted, report.duplicates, rejected))
}

/// Presences into the engine, durable when this returns: through JetStream when a stream is
/// configured (checked here by the engine's rules, folded in by every process), else logged
/// by this process's engine.
pub(super) async fn keep(state: &AppState, observations: Vec<Observation>) -> ApiResult<ningan_trace::IngestReport> {
    if observations.is_empty() {
        return Ok(ningan_trace::IngestReport::default());
    }
    if let Some(stream) = state.precise.checkin_stream.get() {
        let (kept, report) = state.precise.tracer.validate(&observations)?;
        if !kept.is_empty() {
            stream.publish(&kept).await.map_err(ApiError::internal)?;
        }
        return Ok(report);
    }
    Ok(blocking(&state.precise.tracer, move |t| t.ingest(&observations)).await?)
}

pub(super) async fn checkins(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<CheckinBatch>,
) -> ApiResult<axum::Json<CheckinReport>> {
    Ok(axum::Json(ingest_checkins(&state, &ctx, req.checkins, Persons::InCallersUnits).await?))
}

/// The same batch as NDJSON, one check-in object per line: a line that is not a check-in is
/// refused with its number (counted from 1) and the rest are kept.
pub(super) async fn checkins_ndjson(
    State(state): State<AppState>,
    ctx: Ctx,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<CheckinReport>> {
    let report =
        over_ndjson(&body, "checkins", |batch| ingest_checkins(&state, &ctx, batch, Persons::InCallersUnits)).await?;
    Ok(axum::Json(report))
}

/// An NDJSON body of `T`, one per line, through `ingest`: a line that is not a `T` is refused
/// with its number (counted from 1), the rest are ingested, and refusals are reported by line
/// (from 0, like `index` elsewhere).
pub(super) async fn over_ndjson<T, F, Fut>(body: &[u8], what: &'static str, ingest: F) -> ApiResult<CheckinReport>
where
    T: serde::de::DeserializeOwned,
    F: FnOnce(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = ApiResult<CheckinReport>>,
{
    let body = std::str::from_utf8(body)
        .map_err(|e| refuse("body", Rule::other("请求体不是 UTF-8 文本", format!("the body is not UTF-8: {e}"))))?;
    let mut batch = Vec::new();
    let mut lines = Vec::new();
    let mut unreadable = Vec::new();
    for (i, line) in crate::http::ndjson::lines(body, MAX_BATCH)? {
        match serde_json::from_str::<T>(line) {
            Ok(c) => {
                batch.push(c);
                lines.push(i);
            }
            Err(e) => unreadable.push(CheckinRejection {
                index: i,
                reason: format!("line {}: {}", i + 1, crate::http::ndjson::short(&e)),
                reason_zh: format!("第{}行无法解析", i + 1),
            }),
        }
    }
    let report = if batch.is_empty() {
        if unreadable.is_empty() {
            return Err(refuse("body", Rule::other("请求体为空", format!("the body holds no {what}"))));
        }
        CheckinReport::new(0, 0, Vec::new())
    } else {
        ingest(batch).await?
    };
    let mut rejected = report.rejected;
    for r in &mut rejected {
        r.index = lines[r.index];
    }
    let total = report.rejected_total + unreadable.len();
    rejected.extend(unreadable);
    let mut report = CheckinReport::new(report.accepted, report.duplicates, rejected);
    report.rejected_total = total;
    Ok(report)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ScanRequest {
    /// The person's signed pass token, as the venue-code app reads it from the person's QR.
    #[schemars(schema_with = "crate::http::schema::pass_token")]
    pub person_token: String,
    pub venue_code: String,
    /// When scanned (RFC 3339); now when absent.
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub at: Option<String>,
}

/// One scan as the venue-code app sends it: the person is named by their signed pass, not by
/// any identifier, and the scan is durable when this answers.
pub(super) async fn scan(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<ScanRequest>,
) -> ApiResult<axum::Json<CheckinReport>> {
    let key = state.precise.registry.signing_key(&state.db).await?.verifying_key();
    let pass = state.precise.registry.open_pass(&req.person_token, &key).map_err(|e| match e {
        ningan_core::pass::PassError::Malformed => ApiError::field_from("person_token", e),
        // Whether a well-formed pass is signed by this city is its key's to say.
        other => {
            let text = other.to_string();
            let (zh, en) = crate::http::error::split_bilingual(&text);
            crate::http::rule::Rule::context(zh.to_string(), en.to_string()).refuse("precise", "person_token")
        }
    })?;
    let at = match req.at {
        Some(a) => a,
        None => ningan_core::time::rfc3339_ms(ningan_core::time::now_ms()),
    };
    let request = CheckinRequest {
        resident_id: Some(i64::from(pass.person)),
        visitor_id: None,
        venue_code: req.venue_code,
        at,
        left_at: None,
    };
    Ok(axum::Json(ingest_checkins(&state, &ctx, vec![request], Persons::ShownTheirPass).await?))
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::post;
    use ningan_core::Action;
    api.add(
        Op::api(
            Method::POST,
            "/api/checkins/ndjson",
            Access::Action(Action::CheckinWrite),
            "precise",
            "批量上报场所码扫码（NDJSON，每行一条）",
        )
        .response::<CheckinReport>(),
        post(checkins_ndjson),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/checkins/scan",
            Access::Action(Action::CheckinWrite),
            "precise",
            "场所码扫码：凭个人通行码（签名）登记到访",
        )
        .request::<ScanRequest>()
        .response::<CheckinReport>(),
        post(scan),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/checkins/import",
            Access::Action(Action::CheckinWrite),
            "precise",
            "批量导入场所码扫码文件（CSV 或 Parquet），服务运行中导入，按行号报告拒收",
        )
        .query(&[("format", "csv 或 parquet（缺省按文件内容判断）")])
        .response::<super::checkin_import::ImportReport>()
        .query_type::<super::checkin_import::ImportQuery>(),
        post(super::checkin_import::import).layer(axum::extract::DefaultBodyLimit::disable()),
    )
    .add(
        Op::api(Method::POST, "/api/checkins", Access::Action(Action::CheckinWrite), "precise", "批量上报场所码扫码")
            .request::<CheckinBatch>()
            .response::<CheckinReport>(),
        post(checkins),
    )
}
