//! Stop-payment (紧急止付): a red warning raised on a transfer queues a request to the bank in
//! the same transaction as the task (see `ningan_store::StopPayment`); this worker sends each
//! request, signed with the bank's key, retries with backoff until the bank answers, and
//! records the answer — stopped with the bank's reference and the sum frozen, or refused with
//! its reason — which the task then shows. The bank signs its answer too (with the shared
//! secret, and with its own Ed25519 key once registered); an unsigned or badly signed answer
//! counts as no answer. Request and answer go to the exchange's message log.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use ningan_store::{BANK_AGENCY, BankAnswer, PageRequest, StopPayment};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Path, Query};
use crate::http::principal::Ctx;
use crate::modules::services::exchange::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify};
use crate::trust::Message;

/// Attempts before a request is given up until someone re-sends it.
pub const MAX_ATTEMPTS: i64 = 8;

/// pending | failed | stopped | refused | dead
pub const STATUSES: &[(&str, &str, &str)] = &[
    ("pending", "待发送", "Pending"),
    ("failed", "发送失败，重试中", "Failed, retrying"),
    ("stopped", "已止付", "Stopped"),
    ("refused", "银行未能止付", "Refused by the bank"),
    ("dead", "多次失败，待重发", "Given up, awaiting re-send"),
];

fn label(status: &str, en: bool) -> String {
    STATUSES.iter().find(|s| s.0 == status).map(|s| if en { s.2 } else { s.1 }).unwrap_or(status).to_string()
}

/// What one attempt produced: the answer (or why there was none), and the messages to log.
struct Attempt {
    answer: Result<BankAnswer, String>,
    request: Option<(String, crate::trust::Signed)>,
    reply: Option<crate::trust::Signed>,
}

/// Sends one request, signed with the bank's shared secret and the bureau's key, and reads
/// the bank's signed answer.
async fn ask(state: &AppState, s: &StopPayment) -> Attempt {
    let mut attempt = Attempt { answer: Err(String::new()), request: None, reply: None };
    let bank = match state.db.agency(BANK_AGENCY).await {
        Ok(b) => b,
        Err(_) => {
            attempt.answer = Err("未登记止付银行 / no bank registered".into());
            return attempt;
        }
    };
    let request_id = format!("stop-{}", s.id);
    let body = json!({
        "request_id": request_id,
        "signal_id": s.signal_id,
        "payee_account": s.account,
        "via": s.via,
        "amount": s.amount_fen as f64 / 100.0,
        "reason": "反诈预警：红色（高风险），转账疑似涉诈 / red anti-fraud warning on this transfer",
        "requested_at": ningan_core::time::rfc3339_ms(s.requested_at),
    })
    .to_string();
    let now_s = ningan_core::time::now_ms() / 1000;
    let signed = match state.trust.sign(&state.db, now_s, body.as_bytes()).await {
        Ok(signed) => signed,
        Err(e) => {
            attempt.answer = Err(format!("signing: {e}"));
            return attempt;
        }
    };
    let mut req = state
        .http
        .post(format!("{}/stop-payments", bank.base_url.trim_end_matches('/')))
        .timeout(Duration::from_secs(5))
        .header("content-type", "application/json")
        .header(TIMESTAMP_HEADER, now_s.to_string())
        .header(SIGNATURE_HEADER, sign(&bank.secret, now_s, body.as_bytes()));
    for (name, value) in signed.headers() {
        req = req.header(name, value);
    }
    attempt.request = Some((request_id, signed));
    let sent = match req.body(body).send().await {
        Ok(r) => r,
        Err(e) => {
            attempt.answer = Err(if e.is_timeout() { "timed out".to_string() } else { format!("unreachable: {e}") });
            return attempt;
        }
    };
    if !sent.status().is_success() {
        attempt.answer = Err(format!("HTTP {}", sent.status().as_u16()));
        return attempt;
    }
    let headers = sent.headers().clone();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let bytes = match sent.bytes().await {
        Ok(b) => b,
        Err(e) => {
            attempt.answer = Err(format!("answer unreadable: {e}"));
            return attempt;
        }
    };
    let hmac_ok = match (header(TIMESTAMP_HEADER).and_then(|t| t.parse::<i64>().ok()), header(SIGNATURE_HEADER)) {
        (Some(t), Some(sig)) => verify(&bank.secret, t, &bytes, &sig, ningan_core::time::now_ms() / 1000),
        _ => false,
    };
    if !hmac_ok {
        attempt.answer = Err("银行答复未签名或签名不符 / the answer is not signed by the bank".into());
        return attempt;
    }
    match crate::trust::check_answer(&state.db, BANK_AGENCY, &headers, &bytes).await {
        Ok(reply) => attempt.reply = Some(reply),
        Err(e) => {
            attempt.answer = Err(e);
            return attempt;
        }
    }
    let v: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => {
            attempt.answer = Err("answer is not JSON".into());
            return attempt;
        }
    };
    attempt.answer = match v["status"].as_str() {
        Some("stopped") => Ok(BankAnswer::Stopped {
            bank_ref: v["bank_ref"].as_str().unwrap_or_default().chars().take(64).collect(),
            stopped_fen: v["stopped_amount"].as_f64().map_or(s.amount_fen, |y| (y * 100.0).round() as i64),
        }),
        Some("refused") => Ok(BankAnswer::Refused {
            reason: v["reason"].as_str().unwrap_or("未说明 / not given").chars().take(200).collect(),
        }),
        _ => Err("answer names no outcome".into()),
    };
    attempt
}

pub async fn run_once(state: &AppState) -> Result<usize, ApiError> {
    let due = state.db.fraud_stops_due(ningan_core::time::now_ms(), 50).await?;
    for s in &due {
        let Attempt { answer, request, reply } = ask(state, s).await;
        let outcome = match &answer {
            Ok(BankAnswer::Stopped { .. }) => "stopped",
            Ok(BankAnswer::Refused { .. }) => "refused",
            Err(_) => "failed",
        };
        crate::http::events::count("ningan_fraud_stop_payments_total", &[("outcome", outcome)]);
        let mut w = state.db.write().await?;
        if let Some((request_id, signed)) = &request {
            let out = Message { direction: "out", peer: BANK_AGENCY, kind: "stop_payment", request_id };
            state.trust.log(&state.db, &mut w, out, signed).await?;
            if let Some(reply) = &reply {
                let back = Message { direction: "in", peer: BANK_AGENCY, kind: "stop_payment", request_id };
                state.trust.log(&state.db, &mut w, back, reply).await?;
            }
        }
        w.fraud_stop_result(s, answer.as_ref().map_err(String::as_str), MAX_ATTEMPTS).await?;
        w.commit().await?;
    }
    Ok(due.len())
}

pub fn spawn_worker(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            if let Err(e) = run_once(&state).await {
                tracing::warn!(error = %crate::http::error::cause_chain(&e), "stop-payment outbox");
            }
        }
    });
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StopPaymentDto {
    pub id: i64,
    pub task_id: i64,
    pub signal_id: String,
    /// The payee account, masked but for its last four digits.
    pub account: String,
    pub amount: f64,
    /// pending | failed | stopped | refused | dead
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub bank_ref: Option<String>,
    /// The bank's reason, when it could not stop the payment.
    pub refused_because: Option<String>,
    pub stopped_amount: f64,
    pub requested_at: String,
    pub answered_at: Option<String>,
}

/// All but the last four characters hidden: enough for an officer to match the bank's call.
fn mask_account(a: &str) -> String {
    let n = a.chars().count();
    a.chars().enumerate().map(|(i, c)| if i + 4 < n { '*' } else { c }).collect()
}

pub fn stop_dto(s: StopPayment) -> StopPaymentDto {
    StopPaymentDto {
        status_zh: label(&s.status, false),
        status_en: label(&s.status, true),
        account: mask_account(&s.account),
        amount: s.amount_fen as f64 / 100.0,
        stopped_amount: s.stopped_fen as f64 / 100.0,
        requested_at: ts(s.requested_at),
        answered_at: s.answered_at.map(ts),
        id: s.id,
        task_id: s.task_id,
        signal_id: s.signal_id,
        status: s.status,
        attempts: s.attempts,
        last_error: s.last_error,
        bank_ref: s.bank_ref,
        refused_because: s.answer,
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct StopQuery {
    /// pending | failed | stopped | refused | dead
    pub status: Option<String>,
    pub page: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    Query(q): Query<StopQuery>,
) -> ApiResult<axum::Json<PageDto<StopPaymentDto>>> {
    let status = q.status.filter(|s| !s.is_empty());
    if let Some(s) = &status
        && !STATUSES.iter().any(|x| x.0 == s)
    {
        let codes: Vec<&str> = STATUSES.iter().map(|l| l.0).collect();
        return Err(ApiError::field(
            "status",
            format!("状态应为{}之一", codes.join("、")),
            format!("status must be one of {}", codes.join(", ")),
        ));
    }
    let page = state.db.fraud_stops(status.as_deref(), PageRequest::new(q.page, Some(50))).await?;
    Ok(axum::Json(PageDto::from_page(page, stop_dto)))
}

pub(super) async fn redrive(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let mut w = state.db.write().await?;
    w.fraud_stop_redrive(&ctx.actor(), id).await?;
    w.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_shows_only_its_last_four() {
        assert_eq!(mask_account("6217000011112222"), "************2222");
        assert_eq!(mask_account("abc"), "abc");
    }
}

/// The analysts' page of stop-payment requests: what the bank stopped, refused or has not
/// answered yet, filtered by status, with the re-send of those given up.
pub mod page {
    use askama::Template;
    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Redirect, Response};
    use ningan_store::{PageRequest, Scope};
    use serde::Deserialize;

    use super::{STATUSES, StopPaymentDto, stop_dto};
    use crate::app::AppState;
    use crate::http::json::Path;
    use crate::http::principal::Ctx;
    use crate::web::page::{nonempty, opt_i64};
    use crate::web::{Frame, PageResult, Pager, html};

    #[derive(Debug, Default, Deserialize)]
    pub struct PageQuery {
        status: Option<String>,
        page: Option<String>,
    }

    #[derive(Template)]
    #[template(path = "fraud/stops.html")]
    struct StopsPage {
        frame: Frame,
        rows: Vec<StopPaymentDto>,
        pager: Pager,
        status: String,
        statuses: Vec<(&'static str, &'static str)>,
        asked: i64,
        stopped: i64,
        stopped_yuan: f64,
    }

    pub async fn list(
        State(state): State<AppState>,
        ctx: Ctx,
        axum::extract::Query(q): axum::extract::Query<PageQuery>,
    ) -> PageResult {
        let status = nonempty(&q.status).filter(|s| STATUSES.iter().any(|x| x.0 == s));
        let page = state.db.fraud_stops(status.as_deref(), PageRequest::new(opt_i64(&q.page), Some(50))).await?;
        let pager = Pager::new("/fraud/stop-payments", &[("status", status.clone().unwrap_or_default())], &page);
        let (asked, stopped, fen) = state.db.fraud_stop_figures(&Scope::everything()).await?;
        let frame = Frame::for_principal(&ctx).crumb("/fraud/stop-payments", "nav.fraud_stops");
        let page = StopsPage {
            rows: page.items.into_iter().map(stop_dto).collect(),
            pager,
            status: status.unwrap_or_default(),
            statuses: STATUSES.iter().map(|(c, zh, en)| (*c, frame.tr.pick(zh, en))).collect(),
            asked,
            stopped,
            stopped_yuan: fen as f64 / 100.0,
            frame,
        };
        Ok(html(StatusCode::OK, &page))
    }

    pub async fn redrive(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult<Response> {
        let mut w = state.db.write().await?;
        w.fraud_stop_redrive(&ctx.actor(), id).await?;
        w.commit().await?;
        Ok(Redirect::to("/fraud/stop-payments?status=pending").into_response())
    }
}
