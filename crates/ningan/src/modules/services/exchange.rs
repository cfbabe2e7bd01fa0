//! The data exchange (数据共享交换): an application's facts are checked against the bureau's
//! own register when it is filed; the others are requested from the partner agency that holds
//! them. Each request names the application, the purpose and the citizen's consent, carries a
//! stable id (a retry is the same request), is signed (HMAC-SHA256 over timestamp and body,
//! and the bureau's Ed25519 key: `crate::trust`), times out, and is retried with backoff;
//! every request and answer is audited and kept in the signed message log. When the
//! exchange cannot answer, the fact goes to a hand check due within 24 hours.

use std::time::Duration;

use hmac::{Hmac, Mac};
use ningan_store::{Agency, AppFact, NewFact, ServiceItem};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::app::AppState;

pub const SIGNATURE_HEADER: &str = "x-ningan-signature";
pub const TIMESTAMP_HEADER: &str = "x-ningan-timestamp";
const MAX_ATTEMPTS: i64 = 5;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a fact taken for a request stays with its taker: the request's timeout with room
/// for signing and writing the answer.
const CLAIM: Duration = Duration::from_secs(30);

/// `hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time check of a signature, refusing timestamps more than five minutes off.
pub fn verify(secret: &str, timestamp: i64, body: &[u8], signature: &str, now_s: i64) -> bool {
    if (now_s - timestamp).abs() > 300 {
        return false;
    }
    let Ok(given) = hex::decode(signature) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

pub const BUREAU: &str = "宁波市公安局户籍登记";

/// The facts of a new application: the bureau's own read from the register now, the rest
/// waiting for the exchange.
pub async fn facts_for(state: &AppState, item: &ServiceItem, resident_id: i64) -> Result<Vec<NewFact>, ServicesError> {
    let sources = state.db.service_facts().await?;
    let r = state.db.resident_record(resident_id).await?;
    Ok(item
        .facts
        .iter()
        .map(|code| {
            let source =
                sources.iter().find(|f| &f.code == code).map_or_else(|| "bureau".to_string(), |f| f.source.clone());
            let verified = match (source.as_str(), code.as_str()) {
                ("bureau", "identity") => {
                    Some(json!({"姓名": r.name, "公民身份号码": r.id_number, "出生日期": r.birth_date}))
                }
                ("bureau", "household") => Some(json!({"户籍地址": r.hukou_address, "户号": r.household_no})),
                ("bureau", _) => Some(json!({"登记": "已登记"})),
                _ => None,
            };
            NewFact { fact_code: code.clone(), source, verified: verified.map(|v| (v.to_string(), BUREAU.to_string())) }
        })
        .collect())
}

/// Asks the agencies for every due fact once; returns how many were settled.
pub async fn run_once(state: &AppState) -> Result<usize, ServicesError> {
    let due = state.db.facts_due(ningan_core::time::now_ms(), 50).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let agencies = state.db.agencies().await?;
    let mut settled = 0;
    for fact in due {
        let now = ningan_core::time::now_ms();
        let mut w = state.db.write().await?;
        let mine = w.fact_claim(fact.id, now, now + CLAIM.as_millis() as i64).await?;
        w.commit().await?;
        if mine && exchange_one(state, &agencies, &fact).await? {
            settled += 1;
        }
    }
    Ok(settled)
}

async fn exchange_one(state: &AppState, agencies: &[Agency], fact: &AppFact) -> Result<bool, ServicesError> {
    let app = state.db.application_by_id(fact.application_id).await?;
    let agency = agencies.iter().find(|a| a.code == fact.source && a.evidence.contains(&fact.fact_code));
    let Some(agency) = agency else {
        let mut w = state.db.write().await?;
        w.fact_answered(fact, app.resident_id, Err(format!("no partner agency answers {}", fact.fact_code))).await?;
        w.commit().await?;
        return Ok(true);
    };
    let person = state.db.resident_record(app.resident_id).await?;
    let body = json!({
        "request_id": fact.request_id,
        "fact": fact.fact_code,
        "subject": {"id_number": person.id_number, "name": person.name},
        "application": app.no,
        "purpose": format!("办理“{}”", app.item_name),
        "consent_at": ningan_core::time::rfc3339_ms(fact.consent_at),
        "requester": "宁波市公安局",
    })
    .to_string();
    let ts = ningan_core::time::now_ms() / 1000;
    let url = format!("{}/evidence", agency.base_url.trim_end_matches('/'));
    let signed = state.trust.sign(&state.db, ts, body.as_bytes()).await?;
    let mut req = state
        .http
        .post(&url)
        .timeout(REQUEST_TIMEOUT)
        .header("content-type", "application/json")
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(SIGNATURE_HEADER, sign(&agency.secret, ts, body.as_bytes()));
    for (name, value) in signed.headers() {
        req = req.header(name, value);
    }
    let sent = req.body(body).send().await;
    let mut reply = None;
    let answer: Result<Value, String> = match sent {
        Ok(r) if r.status().is_success() => {
            let headers = r.headers().clone();
            match r.bytes().await {
                Ok(bytes) => match crate::trust::check_answer(&state.db, &agency.code, &headers, &bytes).await {
                    Ok(signed) => {
                        reply = Some(signed);
                        serde_json::from_slice(&bytes).map_err(|e| format!("unreadable answer: {e}"))
                    }
                    Err(e) => Err(e),
                },
                Err(e) => Err(format!("unreadable answer: {e}")),
            }
        }
        Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err("timed out".into()),
        Err(e) => Err(format!("unreachable: {e}")),
    };
    let outcome = match &answer {
        Ok(v) if v["found"] == true => "found",
        Ok(_) => "not_found",
        Err(_) => "failed",
    };
    crate::http::events::count("ningan_exchange_requests_total", &[("agency", &agency.code), ("outcome", outcome)]);
    let mut w = state.db.write().await?;
    let message = |direction| crate::trust::Message {
        direction,
        peer: &agency.code,
        kind: "evidence",
        request_id: &fact.request_id,
    };
    state.trust.log(&state.db, &mut w, message("out"), &signed).await?;
    if let Some(reply) = &reply {
        state.trust.log(&state.db, &mut w, message("in"), reply).await?;
    }
    let settled = match answer {
        Ok(v) if v["found"] == true => {
            let by = v["issued_by"].as_str().unwrap_or(&agency.name).to_string();
            w.fact_answered(fact, app.resident_id, Ok((v["value"].to_string(), by))).await?;
            true
        }
        Ok(_) => {
            w.fact_answered(fact, app.resident_id, Err(format!("{} has no record", agency.name))).await?;
            true
        }
        Err(e) => w.fact_retry(fact, app.resident_id, &e, MAX_ATTEMPTS).await?,
    };
    w.commit().await?;
    Ok(settled)
}

/// Works the exchange queue every second.
pub fn spawn_worker(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = run_once(&state).await {
                tracing::warn!(error = %crate::http::error::cause_chain(&e), "data exchange");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_checks_the_body_the_secret_and_the_clock() {
        let s = sign("k", 1_790_000_000, b"{}");
        assert!(verify("k", 1_790_000_000, b"{}", &s, 1_790_000_100));
        assert!(!verify("k", 1_790_000_000, b"{ }", &s, 1_790_000_100));
        assert!(!verify("other", 1_790_000_000, b"{}", &s, 1_790_000_100));
        assert!(!verify("k", 1_790_000_000, b"{}", &s, 1_790_001_000), "five minutes late");
        assert!(!verify("k", 1_790_000_000, b"{}", "zz", 1_790_000_000));
    }
}

/// One fact of an application as shown to the clerk or the citizen.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct FactView {
    pub code: String,
    pub name: String,
    /// bureau, or the agency it is fetched from.
    pub source: String,
    /// pending | verified | manual_pending | manual_verified
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    /// What the register or the agency answered.
    pub value: Option<BTreeMap<String, Value>>,
    /// "宁波市民政局", or the station for a hand check.
    pub verified_by: Option<String>,
    pub verified_at: Option<String>,
    pub manual_deadline: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub note: String,
}

use super::error::ServicesError;
use std::collections::BTreeMap;

/// `mask_ids` hides the full ID number from clerks (they reveal it with a purpose elsewhere).
pub async fn fact_views(state: &AppState, application_id: i64, mask_ids: bool) -> Result<Vec<FactView>, ServicesError> {
    let names = state.db.service_facts().await?;
    Ok(state
        .db
        .application_facts(application_id)
        .await?
        .into_iter()
        .map(|f| {
            let mut value: Option<BTreeMap<String, Value>> =
                f.value.as_deref().and_then(|v| serde_json::from_str(v).ok());
            if mask_ids
                && let Some(v) = value.as_mut()
                && let Some(Value::String(id)) = v.get_mut("公民身份号码")
            {
                *id = ningan_core::idnumber::mask_id_str(id);
                // The birth date would give the masked digits back.
                if let Some(Value::String(b)) = v.get_mut("出生日期") {
                    *b = ningan_core::idnumber::age_band(b, ningan_core::time::today_cst());
                }
            }
            FactView {
                name: names
                    .iter()
                    .find(|n| n.code == f.fact_code)
                    .map_or_else(|| f.fact_code.clone(), |n| n.name.clone()),
                status_zh: ningan_store::fact_status_zh(&f.status).into(),
                status_en: ningan_core::labels::en(ningan_core::labels::FACT_STATUS, &f.status).into(),
                verified_at: f.verified_at.map(crate::http::dto::ts),
                manual_deadline: f.manual_deadline.map(crate::http::dto::ts),
                code: f.fact_code,
                source: f.source,
                status: f.status,
                value,
                verified_by: f.verified_by,
                attempts: f.attempts,
                last_error: f.last_error,
                note: f.note,
            }
        })
        .collect())
}
