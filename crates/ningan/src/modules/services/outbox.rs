//! Delivering identity changes to the subscribing agencies: signed webhooks (HMAC-SHA256 over
//! timestamp and body, the event id and the stable change id in the body), retried with
//! backoff from the outbox rows until acknowledged, dead after eight attempts until an
//! administrator re-drives them. A restart loses nothing: the rows are the queue.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ningan_store::{Delivery, PageRequest, delivery_status_zh};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::{ServicesError, refuse};
use super::exchange::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

pub const AGENCY_HEADER: &str = "x-ningan-agency";

/// How an agency signs its acknowledgement, for the document.
pub const SIGNED_BY_AGENCY: &[(&str, &str)] = &[
    ("X-Ningan-Agency", "协作单位代码 / the agency's code"),
    (
        "X-Ningan-Timestamp",
        "Unix 秒，与本机相差不超过 5 分钟 / Unix seconds, within five minutes of the server's clock",
    ),
    (
        "X-Ningan-Signature",
        "HMAC-SHA256（单位密钥）对“时间戳.请求体”的十六进制 / hex HMAC-SHA256 with the agency's secret over `{timestamp}.{body}`",
    ),
];
const MAX_ATTEMPTS: i64 = 8;

/// Which register field an approved item changes, and from which detail.
pub fn change_of(item_code: &str) -> Option<(&'static str, &'static str)> {
    match item_code {
        "change-name" => Some(("name", "new_name")),
        "correct-birth-date" => Some(("birth_date", "correct_date")),
        "change-address" => Some(("hukou_address", "new_address")),
        "correct-id-number" => Some(("id_number", "correct_id_number")),
        _ => None,
    }
}

async fn deliver(state: &AppState, d: &Delivery) -> Result<(), ServicesError> {
    let change = state.db.identity_change(&d.change_id).await?;
    let person = state.db.resident_record(change.resident_id).await?;
    let Some(url) = d.webhook_url.clone() else {
        let mut w = state.db.write().await?;
        w.delivery_result(d, Err("the agency no longer subscribes"), MAX_ATTEMPTS).await?;
        return w.commit().await.map_err(Into::into);
    };
    let body = json!({
        "event_id": format!("{}:{}", d.change_id, d.agency_code),
        "change_id": d.change_id,
        "type": "identity.changed",
        "occurred_at": ningan_core::time::rfc3339_ms(change.created_at),
        "subject": {"id_number": person.id_number, "name": person.name},
                "field": change.field,
        "old": change.old_value,
        "new": change.new_value,
        // Where an agency that validates before applying confirms it, signed with its secret.
        "ack_url": format!("{}/api/services/changes/{}/ack", public_url(state), d.change_id),
    })
    .to_string();
    let ts_s = ningan_core::time::now_ms() / 1000;
    let signed = state.trust.sign(&state.db, ts_s, body.as_bytes()).await?;
    let mut req = state
        .http
        .post(&url)
        .timeout(Duration::from_secs(5))
        .header("content-type", "application/json")
        .header(TIMESTAMP_HEADER, ts_s.to_string())
        .header(SIGNATURE_HEADER, sign(&d.secret, ts_s, body.as_bytes()));
    for (name, value) in signed.headers() {
        req = req.header(name, value);
    }
    let sent = req.body(body).send().await;
    let mut reply = None;
    let outcome: Result<String, String> = match sent {
        Ok(r) if r.status().is_success() => {
            let headers = r.headers().clone();
            let bytes = r.bytes().await.unwrap_or_default();
            match crate::trust::check_answer(&state.db, &d.agency_code, &headers, &bytes).await {
                Ok(signed) => {
                    reply = Some(signed);
                    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    Ok(v["status"].as_str().unwrap_or("delivered").to_string())
                }
                Err(e) => Err(e),
            }
        }
        Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err("timed out".into()),
        Err(e) => Err(format!("unreachable: {e}")),
    };
    let result = if outcome.is_ok() { "delivered" } else { "failed" };
    crate::http::events::count("ningan_outbox_deliveries_total", &[("agency", &d.agency_code), ("outcome", result)]);
    let mut w = state.db.write().await?;
    let event_id = format!("{}:{}", d.change_id, d.agency_code);
    let message = |direction| crate::trust::Message {
        direction,
        peer: &d.agency_code,
        kind: "identity_change",
        request_id: &event_id,
    };
    state.trust.log(&state.db, &mut w, message("out"), &signed).await?;
    if let Some(reply) = &reply {
        state.trust.log(&state.db, &mut w, message("in"), reply).await?;
    }
    w.delivery_result(d, outcome.as_deref().map_err(String::as_str), MAX_ATTEMPTS).await?;
    w.commit().await?;
    Ok(())
}

fn public_url(state: &AppState) -> String {
    state.config.portal.public_url.clone().unwrap_or_else(|| format!("http://{}", state.config.listen))
}

pub async fn run_once(state: &AppState) -> Result<usize, ServicesError> {
    let due = state.db.deliveries_due(ningan_core::time::now_ms(), 50).await?;
    for d in &due {
        deliver(state, d).await?;
    }
    Ok(due.len())
}

pub fn spawn_worker(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            if let Err(e) = run_once(&state).await {
                tracing::warn!(error = %crate::http::error::cause_chain(&e), "identity-change outbox");
            }
        }
    });
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeliveryDto {
    pub id: i64,
    pub change_id: String,
    pub agency: String,
    pub agency_name: String,
    /// pending | delivered | acknowledged | awaiting_validation | failed | dead
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
    pub acked_at: Option<String>,
}

pub fn delivery_dto(d: Delivery) -> DeliveryDto {
    DeliveryDto {
        status_zh: delivery_status_zh(&d.status).into(),
        status_en: ningan_core::labels::en(ningan_core::labels::DELIVERY_STATUS, &d.status).into(),
        delivered_at: d.delivered_at.map(ts),
        acked_at: d.acked_at.map(ts),
        id: d.id,
        change_id: d.change_id,
        agency: d.agency_code,
        agency_name: d.agency_name,
        status: d.status,
        attempts: d.attempts,
        last_error: d.last_error,
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ChangeDto {
    pub change_id: String,
    pub field: String,
    pub old: String,
    pub new: String,
    pub at: String,
    /// Each subscribing agency's status.
    pub deliveries: Vec<DeliveryDto>,
}

pub async fn changes_of(state: &AppState, application_id: i64) -> Result<Vec<ChangeDto>, ApiError> {
    let mut out = Vec::new();
    for c in state.db.identity_changes_of_application(application_id).await? {
        let deliveries = state.db.deliveries_of_change(&c.change_id).await?.into_iter().map(delivery_dto).collect();
        out.push(ChangeDto {
            at: ts(c.created_at),
            change_id: c.change_id,
            field: c.field,
            old: c.old_value,
            new: c.new_value,
            deliveries,
        });
    }
    Ok(out)
}

fn delivery_statuses(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(ningan_core::labels::DELIVERY_STATUS.iter().map(|l| l.code))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeliveryQuery {
    /// pending | delivered | acknowledged | awaiting_validation | failed | dead
    #[serde(default)]
    #[schemars(schema_with = "delivery_statuses")]
    pub status: Option<String>,
    pub page: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<axum::Json<PageDto<DeliveryDto>>> {
    let status = q.status.filter(|s| !s.is_empty());
    if let Some(s) = &status
        && !ningan_core::labels::DELIVERY_STATUS.iter().any(|x| x.code == s)
    {
        let labels = ningan_core::labels::DELIVERY_STATUS;
        let zh: Vec<&str> = labels.iter().map(|l| l.zh).collect();
        let codes: Vec<&str> = labels.iter().map(|l| l.code).collect();
        return Err(refuse("status", Rule::one_of(zh.join("、"), &codes)));
    }
    let page = state.db.deliveries(status.as_deref(), PageRequest::new(q.page, Some(50))).await?;
    Ok(axum::Json(PageDto::from_page(page, delivery_dto)))
}

pub async fn redrive(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<()> {
    let mut w = state.db.write().await?;
    w.delivery_redrive(&ctx.actor(), id).await?;
    w.commit().await?;
    Ok(())
}

pub(super) async fn redrive_api(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    redrive(&state, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An agency confirms it validated a change: signed with its own secret, naming itself.
pub(super) async fn ack(
    State(state): State<AppState>,
    Path(change_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let refused = || ApiError::from(ServicesError::BadSignature);
    let agency = headers.get(AGENCY_HEADER).and_then(|v| v.to_str().ok()).ok_or_else(refused)?;
    let agency = state.db.agency(agency).await.map_err(|_| refused())?;
    let ts_s =
        headers.get(TIMESTAMP_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).ok_or_else(refused)?;
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).ok_or_else(refused)?;
    if !verify(&agency.secret, ts_s, &body, sig, ningan_core::time::now_ms() / 1000) {
        return Err(refused());
    }
    // An agency with a registered key signs its confirmation with it too; it is logged.
    let signed = crate::trust::check_answer(&state.db, &agency.code, &headers, &body).await.map_err(|_| refused())?;
    // Made (if this is the first message ever) before the transaction that seals with it.
    state.trust.key(&state.db).await?;
    let mut w = state.db.write().await?;
    let event_id = format!("{change_id}:{}", agency.code);
    let message =
        crate::trust::Message { direction: "in", peer: &agency.code, kind: "identity_ack", request_id: &event_id };
    state.trust.log(&state.db, &mut w, message, &signed).await?;
    w.delivery_ack(&change_id, &agency.code).await?;
    w.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
