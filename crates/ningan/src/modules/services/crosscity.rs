//! Cross-city handling (跨市通办) between two ningan instances. A station here takes an
//! application for a person registered in another city and forwards it, signed with the secret
//! the two cities share; the other city files it against its register, routes it to the
//! household station and works it as its own. This side asks for its progress until it is
//! decided. A forward that fails is retried with the same reference, which the other side
//! recognises, so it never becomes two applications.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ningan_store::{Forwarded, NewForwarded, PageRequest, application_status_zh};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::applications::{self, Filing};
use super::error::{ServicesError, refuse};
use super::exchange::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify};
use crate::app::AppState;
use crate::config::PeerCity;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

pub const CITY_HEADER: &str = "x-ningan-city";

/// How a call between cities is signed, for the document.
pub const SIGNED_BY_CITY: &[(&str, &str)] = &[
    ("X-Ningan-City", "调用方城市代码 / the calling city's code"),
    (
        "X-Ningan-Timestamp",
        "Unix 秒，与本机相差不超过 5 分钟 / Unix seconds, within five minutes of the server's clock",
    ),
    (
        "X-Ningan-Signature",
        "HMAC-SHA256（共享密钥）对“时间戳.请求体”的十六进制 / hex HMAC-SHA256 with the shared secret over `{timestamp}.{body}`",
    ),
];

pub(crate) fn peer<'a>(state: &'a AppState, city: &str) -> Option<&'a PeerCity> {
    state.config.crosscity.peers.iter().find(|p| p.city == city)
}

/// The owner of a peer city's keys in the key table and the message log.
pub fn owner(city: &str) -> String {
    format!("city:{city}")
}

/// Registers each configured peer's Ed25519 key (retiring one it had): from then on that
/// city's requests and answers must carry its signature.
pub async fn register_peer_keys(db: &ningan_store::Db, peers: &[PeerCity]) -> Result<(), ningan_store::StoreError> {
    for p in peers {
        let Some(key) = p.public_key.as_deref().map(str::trim).filter(|k| !k.is_empty()) else { continue };
        let owner = owner(&p.city);
        if db.exchange_key_current(&owner).await?.is_some_and(|c| c.public_key.eq_ignore_ascii_case(key)) {
            continue;
        }
        let mut w = db.write().await?;
        crate::trust::register_partner_key(&mut w, &owner, key)
            .await
            .map_err(|e| ningan_store::StoreError::State(format!("crosscity.peers {}: {e}", p.city)))?;
        w.commit().await?;
    }
    Ok(())
}

/// The calling city and its request's signatures, if they hold: the shared secret's HMAC
/// always, and the city's own Ed25519 signature once its key is registered.
pub(crate) async fn caller<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(&'a PeerCity, crate::trust::Signed), ApiError> {
    let refused = || ApiError::from(ServicesError::BadSignature);
    let city = headers.get(CITY_HEADER).and_then(|v| v.to_str().ok()).ok_or_else(refused)?;
    let p = peer(state, city).ok_or_else(refused)?;
    let ts_s: i64 =
        headers.get(TIMESTAMP_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).ok_or_else(refused)?;
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).ok_or_else(refused)?;
    if !verify(&p.secret, ts_s, body, sig, ningan_core::time::now_ms() / 1000) {
        return Err(refused());
    }
    let signed = crate::trust::check_answer(&state.db, &owner(&p.city), headers, body).await.map_err(|e| {
        tracing::warn!(city = %p.city, reason = %e, "cross-city request refused");
        refused()
    })?;
    Ok((p, signed))
}

/// Answers a peer city: the body signed with the bureau's Ed25519 key, and the request and
/// the answer appended to the message log together.
pub(crate) async fn answer<T: Serialize>(
    state: &AppState,
    from: &PeerCity,
    request: &crate::trust::Signed,
    kind: &str,
    reference: &str,
    status: StatusCode,
    value: &T,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    let ts_s = ningan_core::time::now_ms() / 1000;
    let signed = state.trust.sign(&state.db, ts_s, &body).await?;
    let peer = owner(&from.city);
    let mut w = state.db.write().await?;
    let m = |direction| crate::trust::Message { direction, peer: &peer, kind, request_id: reference };
    state.trust.log(&state.db, &mut w, m("in"), request).await?;
    state.trust.log(&state.db, &mut w, m("out"), &signed).await?;
    w.commit().await?;
    let mut headers = vec![
        (axum::http::header::CONTENT_TYPE.as_str(), "application/json".to_string()),
        (TIMESTAMP_HEADER, ts_s.to_string()),
    ];
    headers.extend(signed.headers());
    let mut response = (status, body).into_response();
    for (name, value) in headers {
        if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
            response.headers_mut().insert(axum::http::HeaderName::from_static(name), v);
        }
    }
    Ok(response)
}

/// A peer's request that passed the signature checks but is refused (the body, the item, the
/// person, a record it may not see) gets its refusal signed and logged with the request like
/// any answer, so the calling city holds proof of what was refused and why. Our own failures
/// (5xx) go out as they are.
pub(crate) async fn or_signed_refusal(
    state: &AppState,
    from: &PeerCity,
    request: &crate::trust::Signed,
    kind: &str,
    reference: &str,
    outcome: ApiResult<axum::response::Response>,
) -> ApiResult<axum::response::Response> {
    match outcome {
        Err(e) if e.code.status().is_client_error() => {
            let mut refused = answer(state, from, request, kind, reference, e.code.status(), &e.problem()).await?;
            refused.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/problem+json"),
            );
            Ok(refused)
        }
        other => other,
    }
}

/// Calls a peer city: signed with the shared secret and the bureau's Ed25519 key; a
/// successful answer must carry the city's signature once its key is registered; request
/// and answer are logged together.
pub(crate) async fn call(
    state: &AppState,
    p: &PeerCity,
    method: reqwest::Method,
    path: &str,
    body: String,
) -> Result<Value, String> {
    let ts_s = ningan_core::time::now_ms() / 1000;
    let signed = state.trust.sign(&state.db, ts_s, body.as_bytes()).await.map_err(|e| e.to_string())?;
    let kind = if method == reqwest::Method::GET { "crosscity.status" } else { "crosscity.request" };
    let mut request = state
        .http
        .request(method, format!("{}{path}", p.url.trim_end_matches('/')))
        .timeout(Duration::from_secs(5))
        .header("content-type", "application/json")
        .header(CITY_HEADER, &state.config.crosscity.city)
        .header(TIMESTAMP_HEADER, ts_s.to_string())
        .header(SIGNATURE_HEADER, sign(&p.secret, ts_s, body.as_bytes()));
    for (name, value) in signed.headers() {
        request = request.header(name, value);
    }
    let r = request.body(body).send().await.map_err(|e| format!("unreachable: {e}"))?;
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.map_err(|e| format!("unreadable answer: {e}"))?;
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let peer = owner(&p.city);
    let checked = crate::trust::check_answer(&state.db, &peer, &headers, &bytes).await;
    if !status.is_success() {
        let failed = format!("HTTP {}: {}", status.as_u16(), v["detail"].as_str().unwrap_or(""));
        // A refusal the city signed is kept with the request; an unsigned failure proves
        // nothing and is only reported.
        if let Ok(answered) = &checked
            && answered.is_signed()
        {
            log_exchange(state, &peer, kind, path, &signed, answered).await?;
        }
        return Err(failed);
    }
    let answered = checked?;
    log_exchange(state, &peer, kind, path, &signed, &answered).await?;
    Ok(v)
}

/// Appends a request and its answer to the message log together.
async fn log_exchange(
    state: &AppState,
    peer: &str,
    kind: &str,
    path: &str,
    signed: &crate::trust::Signed,
    answered: &crate::trust::Signed,
) -> Result<(), String> {
    let log = async {
        let mut w = state.db.write().await?;
        let m = |direction| crate::trust::Message { direction, peer, kind, request_id: path };
        state.trust.log(&state.db, &mut w, m("out"), signed).await?;
        state.trust.log(&state.db, &mut w, m("in"), answered).await?;
        w.commit().await
    };
    log.await.map_err(|e: ningan_store::StoreError| e.to_string())
}

// ---- the receiving city ----

#[derive(Debug, Deserialize, JsonSchema)]
pub struct IncomingRequest {
    /// The forwarding city's number for the application.
    pub origin_ref: String,
    pub origin_unit: String,
    pub item: String,
    pub applicant: Applicant,
    #[serde(default)]
    pub details: BTreeMap<String, String>,
    /// The forwarding clerk recorded the applicant's consent to the exchange.
    pub consent: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Applicant {
    #[schemars(extend("pattern" = crate::http::schema::ID_NUMBER_PATTERN, "format" = "gb11643", "examples" = [crate::http::schema::ID_NUMBER_EXAMPLE]))]
    pub id_number: String,
    pub name: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RemoteStatus {
    pub no: String,
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    pub unit_name: String,
    pub decision_note: Option<String>,
}

/// Another city forwards an application for a person registered here.
pub(super) async fn incoming(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    let (from, signed) = caller(&state, &headers, &body).await?;
    let reference = reference_in(&body, "origin_ref");
    let outcome = take_application(&state, from, &signed, &body).await;
    or_signed_refusal(&state, from, &signed, "crosscity.application", &reference, outcome).await
}

/// The reference a peer's request body names, for the message log; `-` when it names none.
pub(crate) fn reference_in(body: &[u8], field: &str) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v[field].as_str().map(|r| r.chars().take(100).collect()))
        .unwrap_or_else(|| "-".into())
}

async fn take_application(
    state: &AppState,
    from: &PeerCity,
    signed: &crate::trust::Signed,
    body: &[u8],
) -> ApiResult<axum::response::Response> {
    let req: IncomingRequest = serde_json::from_slice(body)
        .map_err(|e| refuse("body", Rule::other(format!("请求格式错误：{e}"), format!("malformed: {e}"))))?;
    if let Some(existing) = state.db.crosscity_in_lookup(&from.city, &req.origin_ref).await? {
        let app = state.db.application_by_id(existing).await?;
        let answered = remote_status(app);
        return answer(state, from, signed, "crosscity.application", &req.origin_ref, StatusCode::OK, &answered).await;
    }
    let item = state.db.service_item(&req.item).await.map_err(|_| ServicesError::NoSuchItem)?;
    if !item.crosscity {
        return Err(ServicesError::NotCrossCity.into());
    }
    let id = ningan_core::IdNumber::parse(req.applicant.id_number.trim(), ningan_core::time::today_cst())
        .map_err(|e| ApiError::field_from("applicant.id_number", e))?;
    let resident = state.db.resident_by_id_number(&ningan_store::Scope::everything(), id.as_str()).await?;
    let resident = match resident {
        Some(r) if state.db.resident_name(r).await? == req.applicant.name.trim() => r,
        _ => {
            let rule = Rule::other(
                "本市无此户籍登记（身份号码与姓名不符）",
                "no registered resident with this number and name",
            );
            return Err(refuse("applicant", rule));
        }
    };
    let actor = ningan_store::Actor { name: format!("city:{}", from.city), unit_id: None };
    let (app_id, _) = applications::file(
        state,
        &actor,
        Filing {
            citizen_signed: false,
            resident_id: resident,
            item_code: &req.item,
            details: &req.details,
            station: None,
            channel: "crosscity",
            consent: req.consent,
            origin: Some((&from.city, &req.origin_ref, &req.origin_unit)),
        },
    )
    .await?;
    let app = state.db.application_by_id(app_id).await?;
    let answered = remote_status(app);
    answer(state, from, signed, "crosscity.application", &req.origin_ref, StatusCode::CREATED, &answered).await
}

fn remote_status(app: ningan_store::Application) -> RemoteStatus {
    RemoteStatus {
        status_zh: application_status_zh(&app.status).into(),
        status_en: ningan_core::labels::en(ningan_core::labels::APPLICATION_STATUS, &app.status).into(),
        no: app.no,
        status: app.status,
        unit_name: app.unit_name,
        decision_note: app.decision_note,
    }
}

/// The forwarding city asks where its application stands.
pub(super) async fn incoming_status(
    State(state): State<AppState>,
    Path(no): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    let (from, signed) = caller(&state, &headers, &body).await?;
    let outcome = async {
        let app = state.db.application_by_no(&no).await?;
        match state.db.crosscity_origin(app.id).await? {
            Some((origin, _)) if origin == from.city => {
                answer(&state, from, &signed, "crosscity.status", &no, StatusCode::OK, &remote_status(app)).await
            }
            _ => Err(ServicesError::NotFound.into()),
        }
    };
    let outcome = outcome.await;
    or_signed_refusal(&state, from, &signed, "crosscity.status", &no, outcome).await
}

// ---- the forwarding city ----

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ForwardRequest {
    /// The city where the applicant is registered.
    pub city: String,
    #[schemars(extend("pattern" = crate::http::schema::ID_NUMBER_PATTERN, "format" = "gb11643", "examples" = [crate::http::schema::ID_NUMBER_EXAMPLE]))]
    pub id_number: String,
    pub name: String,
    pub item: String,
    #[serde(default)]
    pub details: BTreeMap<String, String>,
    /// The applicant agreed, in front of the clerk, to the facts being fetched.
    #[serde(default)]
    pub consent: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ForwardedDto {
    pub id: i64,
    pub no: String,
    pub city: String,
    pub city_name: String,
    pub item_code: String,
    pub applicant: String,
    /// Masked.
    pub id_number: String,
    /// forwarding | submitted | accepted | approved | rejected
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    /// The other city's number.
    pub remote_no: Option<String>,
    pub note: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn forwarded_dto(state: &AppState, f: Forwarded) -> ForwardedDto {
    ForwardedDto {
        city_name: peer(state, &f.peer).map_or_else(|| f.peer.clone(), |p| p.name.clone()),
        status_zh: application_status_zh(&f.status).into(),
        status_en: ningan_core::labels::en(ningan_core::labels::APPLICATION_STATUS, &f.status).into(),
        id_number: ningan_core::idnumber::mask_id_str(&f.id_number),
        created_at: ts(f.created_at),
        updated_at: ts(f.updated_at),
        id: f.id,
        no: f.no,
        city: f.peer,
        item_code: f.item_code,
        applicant: f.applicant_name,
        status: f.status,
        remote_no: f.remote_no,
        note: f.note,
        last_error: f.last_error,
    }
}

/// Sends a forwarded application (again): the other city answers with its number, the same
/// one on a retry.
async fn push(state: &AppState, f: &Forwarded) -> Result<(), ServicesError> {
    let Some(p) = peer(state, &f.peer) else { return Ok(()) };
    let details: Value = serde_json::from_str(&f.details).unwrap_or(json!({}));
    let unit = state.db.unit_by_id(f.unit_id).await?;
    let body = json!({
        "origin_ref": f.no,
        "origin_unit": format!("{} {}", state.config.crosscity.name, unit.name),
        "item": f.item_code,
        "applicant": {"id_number": f.id_number, "name": f.applicant_name},
        "details": details,
        "consent": true,
    })
    .to_string();
    let outcome = call(state, p, reqwest::Method::POST, "/api/crosscity/applications", body).await;
    let mut w = state.db.write().await?;
    match outcome {
        Ok(v) => w.forwarded_update(f.id, v["no"].as_str(), v["status"].as_str(), None, None).await?,
        Err(e) => w.forwarded_update(f.id, None, None, None, Some(&e)).await?,
    }
    w.commit().await?;
    Ok(())
}

async fn poll(state: &AppState, f: &Forwarded) -> Result<(), ServicesError> {
    let (Some(p), Some(remote)) = (peer(state, &f.peer), f.remote_no.as_deref()) else { return Ok(()) };
    let outcome =
        call(state, p, reqwest::Method::GET, &format!("/api/crosscity/applications/{remote}"), String::new()).await;
    let mut w = state.db.write().await?;
    match outcome {
        Ok(v) => w.forwarded_update(f.id, None, v["status"].as_str(), v["decision_note"].as_str(), None).await?,
        Err(e) => w.forwarded_update(f.id, None, None, None, Some(&e)).await?,
    }
    w.commit().await?;
    Ok(())
}

pub async fn run_once(state: &AppState) -> Result<(), ServicesError> {
    for f in state.db.forwarded_open(50).await? {
        if f.remote_no.is_none() { push(state, &f).await? } else { poll(state, &f).await? }
    }
    Ok(())
}

/// Forwards and follows cross-city applications every two seconds.
pub fn spawn_worker(state: AppState) {
    every_two_seconds_while_linked(state, "cross-city", |state| async move { run_once(&state).await });
}

/// Runs `round` every two seconds while other cities are linked, logging a failed round
/// (`what` names the work) and going on.
pub(crate) fn every_two_seconds_while_linked<F, Fut, E>(state: AppState, what: &'static str, round: F)
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), E>> + Send,
    E: std::error::Error,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            if state.config.crosscity.peers.is_empty() {
                continue;
            }
            if let Err(e) = round(state.clone()).await {
                tracing::warn!(error = %crate::http::error::cause_chain(&e), "{what}");
            }
        }
    });
}

pub(super) async fn forward(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<ForwardRequest>,
) -> ApiResult<(StatusCode, axum::Json<ForwardedDto>)> {
    Ok((StatusCode::CREATED, axum::Json(forward_one(&state, &ctx, req).await?)))
}

/// Recent forwarded applications of the clerk's units, for the workbench.
pub async fn forwarded_page(state: &AppState, ctx: &Ctx) -> ApiResult<Vec<ForwardedDto>> {
    let page = state.db.forwarded(&ctx.scope(), PageRequest::new(Some(1), Some(20))).await?;
    Ok(page.items.into_iter().map(|f| forwarded_dto(state, f)).collect())
}

pub async fn forward_one(state: &AppState, ctx: &Ctx, req: ForwardRequest) -> ApiResult<ForwardedDto> {
    if peer(state, &req.city).is_none() {
        return Err(refuse("city", Rule::context("未与该城市建立跨市通办", "no cross-city link with this city")));
    }
    let item = state.db.service_item(&req.item).await.map_err(|_| ServicesError::NoSuchItem)?;
    if !item.crosscity {
        return Err(ServicesError::NotCrossCity.into());
    }
    let details = applications::check_details(&item, &req.details)?;
    let id = ningan_core::IdNumber::parse(req.id_number.trim(), ningan_core::time::today_cst())
        .map_err(|e| ApiError::field_from("id_number", e))?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(refuse("name", Rule::RequiredUpTo(50)));
    }
    if !req.consent {
        return Err(refuse("consent", Rule::other("需申请人同意跨市核验与办理", "the applicant must consent")));
    }
    if ctx.unit.kind != ningan_store::UnitKind::Station {
        return Err(ServicesError::AtStation.into());
    }
    let mut w = state.db.write().await?;
    let f = w
        .forwarded_insert(
            &ctx.actor(),
            &NewForwarded {
                peer: req.city.clone(),
                item_code: req.item.clone(),
                applicant_name: name.into(),
                id_number: id.as_str().into(),
                details,
                unit_id: ctx.unit.id,
                unit_path: ctx.unit.path.clone(),
            },
        )
        .await?;
    w.commit().await?;
    push(state, &f).await?;
    let f = state.db.forwarded_one(&ctx.scope(), f.id).await?;
    Ok(forwarded_dto(state, f))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListQuery {
    pub page: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<ForwardedDto>>> {
    let page = state.db.forwarded(&ctx.scope(), PageRequest::new(q.page, Some(50))).await?;
    Ok(axum::Json(PageDto::from_page(page, |f| forwarded_dto(&state, f))))
}
