//! A partner-agency simulator (`ningan partner-sim`): a separate process that answers the
//! bureau's evidence requests as the health commission, civil affairs, the real-estate
//! registry, education and social insurance would, over HTTP with the same signatures, and
//! takes identity-change webhooks and acknowledges them. Its records are synthetic and follow
//! from the ID number: it has none for numbers whose sequence code ends in 9, so tests can
//! exercise the fall-back to a hand check. It also plays the bank's emergency stop-payment
//! desk (`POST /bank/stop-payments`, answers signed): a payee account whose digits add up to
//! a multiple of five has already passed the money on (refused), one whose digits add up to a
//! multiple of three is stopped in part, any other in full. `POST /control/down {"seconds": n}`
//! makes it answer 503 for a while; `GET /control/received` lists the change ids each agency
//! has applied and the stop-payment requests answered.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::modules::services::exchange::{SIGNATURE_HEADER, TIMESTAMP_HEADER, verify};

pub const AGENCIES: &[(&str, &str, &[&str])] = &[
    ("health", "宁波市卫生健康委员会", &["birth_certificate", "death_record"]),
    ("civil_affairs", "宁波市民政局", &["marriage_record", "adoption_record"]),
    ("real_estate", "宁波市不动产登记中心", &["property_record", "rental_record"]),
    ("education", "宁波市教育局", &["school_enrolment", "education_record"]),
    ("hrss", "宁波市人力资源和社会保障局", &["social_insurance", "talent_record"]),
    ("military", "宁波市退役军人事务局", &["military_record"]),
    ("justice", "宁波市司法局", &["release_record"]),
    ("court", "宁波市中级人民法院", &["court_judgement"]),
];

/// The bank's stop-payment desk, registered as an agency with no evidence to give.
pub const BANK: (&str, &str) = ("bank", "宁波市银行业紧急止付协作中心");

#[derive(Default)]
struct Sim {
    secret: String,
    down_until: Mutex<Option<Instant>>,
    /// Change ids applied per agency: a redelivery must not apply twice.
    applied: Mutex<BTreeMap<String, BTreeSet<String>>>,
    deliveries: Mutex<u64>,
    /// Stop-payment answers by request id: a retried request gets the same answer.
    stops: Mutex<BTreeMap<String, Value>>,
}

impl Sim {
    fn down(&self) -> bool {
        self.down_until.lock().unwrap_or_else(|e| e.into_inner()).is_some_and(|t| Instant::now() < t)
    }

    /// Down for maintenance, or not signed by the bureau: the answer instead of serving.
    fn refuse(&self, headers: &HeaderMap, body: &[u8]) -> Option<Response> {
        if self.down() {
            return Some((StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response());
        }
        if !self.signed(headers, body) {
            return Some((StatusCode::UNAUTHORIZED, "bad signature").into_response());
        }
        None
    }

    fn signed(&self, headers: &HeaderMap, body: &[u8]) -> bool {
        let ts = headers.get(TIMESTAMP_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
        let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        match (ts, sig) {
            (Some(ts), Some(sig)) => verify(&self.secret, ts, body, sig, chrono::Utc::now().timestamp()),
            _ => false,
        }
    }
}

/// The simulator's Ed25519 key for one agency, derived from the shared secret so that whoever
/// starts the simulator can register the matching public keys without asking it.
pub fn agency_key(secret: &str, agency: &str) -> ed25519_dalek::SigningKey {
    use sha2::{Digest, Sha256};
    let seed: [u8; 32] = Sha256::new()
        .chain_update(b"ningan-sim\0")
        .chain_update(agency)
        .chain_update(b"\0")
        .chain_update(secret)
        .finalize()
        .into();
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

/// An answer as the agency signs it: the shared secret's HMAC and the agency's Ed25519 key.
fn signed_answer(sim: &Sim, agency: &str, answer: &Value) -> Response {
    let body = answer.to_string();
    let ts = chrono::Utc::now().timestamp();
    let hmac = crate::modules::services::exchange::sign(&sim.secret, ts, body.as_bytes());
    let key = agency_key(&sim.secret, agency);
    let ed = ningan_core::msglog::sign_message(&key, ts, &ningan_core::msglog::body_hash(body.as_bytes()));
    let id = ningan_core::msglog::key_id(&key.verifying_key());
    let h = axum::http::HeaderName::from_static;
    (
        [
            (axum::http::header::CONTENT_TYPE, "application/json".to_string()),
            (h(TIMESTAMP_HEADER), ts.to_string()),
            (h(SIGNATURE_HEADER), hmac),
            (h(crate::trust::KEY_HEADER), id),
            (h(crate::trust::ED25519_HEADER), ed),
        ],
        body,
    )
        .into_response()
}

fn digit_sum(s: &str) -> u32 {
    s.bytes().filter(u8::is_ascii_digit).map(|b| u32::from(b - b'0')).sum()
}

/// The synthetic record an agency holds for a person, if any.
pub fn record(agency: &str, fact: &str, id_number: &str, name: &str) -> Option<Value> {
    if id_number.len() != 18 || id_number.as_bytes()[16] == b'9' {
        return None;
    }
    let n = digit_sum(id_number);
    let year: u32 = id_number.get(6..10).and_then(|y| y.parse().ok()).unwrap_or(1990);
    let district = ["海曙区", "江北区", "北仑区", "镇海区", "鄞州区", "奉化区"][(n % 6) as usize];
    Some(match (agency, fact) {
        ("health", "birth_certificate") => {
            json!({"出生医学证明编号": format!("R33{:08}", n * 7919 % 100_000_000), "签发机构": format!("宁波市{district}妇幼保健院")})
        }
        ("health", "death_record") => json!({"死亡医学证明": "无记录"}),
        ("civil_affairs", "marriage_record") => {
            json!({"婚姻状况": "已婚", "登记机关": format!("宁波市{district}民政局"), "登记年份": year + 26, "当事人": name})
        }
        ("real_estate", "property_record") => {
            json!({"不动产权证号": format!("浙({})宁波市不动产权第{:07}号", year + 30, n * 104_729 % 10_000_000), "坐落": format!("宁波市{district}某路{}号", n % 300 + 1)})
        }
        ("education", "school_enrolment") => {
            json!({"学籍状态": "在读", "学校": format!("宁波市{district}第{}中学", n % 20 + 1)})
        }
        ("hrss", "social_insurance") => json!({"参保状态": "正常参保", "连续缴费月数": 12 + n % 60}),
        ("civil_affairs", "adoption_record") => {
            json!({"收养登记": "已登记", "登记机关": format!("宁波市{district}民政局"), "登记年份": year + 30})
        }
        ("real_estate", "rental_record") => {
            json!({"租赁备案号": format!("NBZL{:08}", n * 7877 % 100_000_000), "坐落": format!("宁波市{district}某路{}号", n % 300 + 1)})
        }
        ("education", "education_record") => {
            json!({"学历": (["大学专科", "大学本科", "研究生"][(n % 3) as usize]), "毕业年份": year + 22})
        }
        ("hrss", "talent_record") => json!({"人才类别": (["高校毕业生", "技能人才", "高层次人才"][(n % 3) as usize])}),
        ("military", "military_record") => {
            json!({"兵役状况": (["服现役", "退出现役"][(n % 2) as usize]), "批准机关": "宁波警备区"})
        }
        ("justice", "release_record") => json!({"释放证明": format!("SF{:08}", n * 6151 % 100_000_000)}),
        ("court", "court_judgement") => json!({"判决书": format!("（{}）浙02民特{}号", year + 30, n % 900 + 100)}),
        _ => return None,
    })
}

async fn evidence(
    State(sim): State<Arc<Sim>>,
    Path(agency): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = sim.refuse(&headers, &body) {
        return refusal;
    }
    let Some((_, agency_name, facts)) = AGENCIES.iter().find(|a| a.0 == agency) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(req) = serde_json::from_slice::<Value>(&body) else { return StatusCode::BAD_REQUEST.into_response() };
    let fact = req["fact"].as_str().unwrap_or_default();
    // Without the citizen's consent and a purpose an agency answers nothing.
    if req["consent_at"].as_str().is_none_or(str::is_empty) || req["purpose"].as_str().is_none_or(str::is_empty) {
        return (StatusCode::FORBIDDEN, "consent and purpose required").into_response();
    }
    if !facts.contains(&fact) {
        return (StatusCode::UNPROCESSABLE_ENTITY, "not our evidence").into_response();
    }
    let id = req["subject"]["id_number"].as_str().unwrap_or_default();
    let name = req["subject"]["name"].as_str().unwrap_or_default();
    let answer = match record(&agency, fact, id, name) {
        Some(value) => {
            json!({"request_id": req["request_id"], "found": true, "value": value, "issued_by": agency_name})
        }
        None => json!({"request_id": req["request_id"], "found": false}),
    };
    signed_answer(&sim, &agency, &answer)
}

async fn identity_change(
    State(sim): State<Arc<Sim>>,
    Path(agency): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = sim.refuse(&headers, &body) {
        return refusal;
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else { return StatusCode::BAD_REQUEST.into_response() };
    let Some(change_id) = event["change_id"].as_str() else { return StatusCode::BAD_REQUEST.into_response() };
    *sim.deliveries.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    // Applying is idempotent by change id: a redelivery is acknowledged, not applied again.
    let first = sim
        .applied
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(agency.clone())
        .or_default()
        .insert(change_id.to_string());
    // Civil affairs validates the change on its side first, then confirms through the callback.
    let status = if agency == "civil_affairs" { "awaiting_validation" } else { "acknowledged" };
    if first
        && agency == "civil_affairs"
        && let Some(url) = event["ack_url"].as_str().map(str::to_string)
    {
        let secret = sim.secret.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let body = json!({"status": "acknowledged"}).to_string();
            let ts = chrono::Utc::now().timestamp();
            let key = agency_key(&secret, "civil_affairs");
            let ed = ningan_core::msglog::sign_message(&key, ts, &ningan_core::msglog::body_hash(body.as_bytes()));
            let sent = reqwest::Client::new()
                .post(&url)
                .header("content-type", "application/json")
                .header(crate::modules::services::outbox::AGENCY_HEADER, "civil_affairs")
                .header(TIMESTAMP_HEADER, ts.to_string())
                .header(SIGNATURE_HEADER, crate::modules::services::exchange::sign(&secret, ts, body.as_bytes()))
                .header(crate::trust::KEY_HEADER, ningan_core::msglog::key_id(&key.verifying_key()))
                .header(crate::trust::ED25519_HEADER, ed)
                .body(body)
                .send()
                .await;
            if let Err(e) = sent {
                eprintln!("partner-sim: validation callback failed: {e}");
            }
        });
    }
    signed_answer(&sim, &agency, &json!({"change_id": change_id, "status": status, "applied_now": first}))
}

/// The bank's answer to a stop-payment request, from the payee account's digits.
pub fn stop_answer(request_id: &str, account: &str, amount: f64) -> Value {
    let n = digit_sum(account);
    if n.is_multiple_of(5) {
        return json!({"request_id": request_id, "status": "refused", "reason": "资金已转出至下级账户，无法止付 / the money has already moved on"});
    }
    let stopped = if n.is_multiple_of(3) { (amount / 2.0 * 100.0).round() / 100.0 } else { amount };
    let reference = format!(
        "ZF{:010}",
        request_id.bytes().fold(7u64, |h, b| h.wrapping_mul(131).wrapping_add(u64::from(b))) % 10_000_000_000
    );
    json!({"request_id": request_id, "status": "stopped", "bank_ref": reference, "stopped_amount": stopped})
}

async fn stop_payment(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refusal) = sim.refuse(&headers, &body) {
        return refusal;
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else { return StatusCode::BAD_REQUEST.into_response() };
    let (Some(id), Some(account), Some(amount)) =
        (req["request_id"].as_str(), req["payee_account"].as_str(), req["amount"].as_f64())
    else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "request_id, payee_account and amount required").into_response();
    };
    let answer = sim
        .stops
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(id.to_string())
        .or_insert_with(|| stop_answer(id, account, amount))
        .clone();
    signed_answer(&sim, BANK.0, &answer)
}

async fn control_down(State(sim): State<Arc<Sim>>, axum::Json(req): axum::Json<Value>) -> StatusCode {
    let secs = req["seconds"].as_u64().unwrap_or(0);
    *sim.down_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + Duration::from_secs(secs));
    StatusCode::NO_CONTENT
}

async fn control_received(State(sim): State<Arc<Sim>>) -> axum::Json<Value> {
    let applied = sim.applied.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let deliveries = *sim.deliveries.lock().unwrap_or_else(|e| e.into_inner());
    let stops = sim.stops.lock().unwrap_or_else(|e| e.into_inner()).clone();
    axum::Json(json!({"applied": applied, "deliveries": deliveries, "stops": stops}))
}

pub fn router(secret: String) -> Router {
    let sim = Arc::new(Sim { secret, ..Sim::default() });
    Router::new()
        .route("/bank/stop-payments", post(stop_payment))
        .route("/{agency}/evidence", post(evidence))
        .route("/{agency}/identity-changes", post(identity_change))
        .route("/control/down", post(control_down))
        .route("/control/received", get(control_received))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(sim)
}

pub async fn serve(listen: SocketAddr, secret: String) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("partner-sim listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(secret)).await
}
