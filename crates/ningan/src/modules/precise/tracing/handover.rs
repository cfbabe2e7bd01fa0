//! Hand-over between cities (协查): a contact of a case here who lives in another city — a
//! visitor whose ID card was issued there — becomes a request to that city's ningan, signed
//! over the cross-city channel the two cities already share. The other city finds the person
//! in its register, makes a follow-up task for the household station and works it
//! (notified → transferred → in quarantine → released); this side asks for its progress until
//! it is released. A request that cannot be sent is retried; the other side knows a repeat
//! by its reference, so it never becomes two tasks.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ningan_core::IdNumber;
use ningan_store::Migration;
use ningan_store::sql::{Row, RowExt as _, query};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::cases::{Tier, run_investigation};
use super::visitor_followups::StatusRequest;
use crate::app::AppState;
use crate::http::dto::ts;
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;
use crate::modules::services::crosscity::{answer, call, caller, or_signed_refusal, peer};

pub const MIGRATION: Migration = Migration {
    version: 37,
    name: "precise control: contacts handed over to other cities and received from them (协查)",
    common: r#"
CREATE TABLE handovers_out (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    visitor_id BIGINT NOT NULL REFERENCES visitors(id),
    peer TEXT NOT NULL,
    tier TEXT NOT NULL,
    last_exposure BIGINT NOT NULL,
    status TEXT NOT NULL,
    remote_ref TEXT,
    note TEXT,
    last_error TEXT,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (case_id, visitor_id)
);
CREATE INDEX handovers_out_open ON handovers_out (status, id);
CREATE TABLE handovers_in (
    id {id},
    peer TEXT NOT NULL,
    origin_ref TEXT NOT NULL,
    origin_unit TEXT NOT NULL,
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    tier TEXT NOT NULL,
    last_exposure BIGINT NOT NULL,
    place TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (peer, origin_ref)
);
CREATE INDEX handovers_in_scope ON handovers_in (unit_path, id);
"#,
    sqlite: "",
    postgres: "",
};

/// A hand-over not yet answered by the other city.
const SENDING: &str = "sending";
/// The other city has no such person in its register.
const REFUSED: &str = "refused";

fn status_zh(s: &str) -> &'static str {
    match s {
        SENDING => "待送达",
        REFUSED => "对方查无此人",
        other => ningan_core::labels::zh(ningan_core::labels::FOLLOWUP_STATUS, other),
    }
}

fn status_en(s: &str) -> &'static str {
    match s {
        SENDING => "being sent",
        REFUSED => "not in their register",
        other => ningan_core::labels::en(ningan_core::labels::FOLLOWUP_STATUS, other),
    }
}

/// The peer city that issued an ID number: the one whose code shares its first four digits.
fn home_city<'a>(state: &'a AppState, id_number: &str) -> Option<&'a crate::config::PeerCity> {
    let prefix = id_number.get(..4)?;
    state.config.crosscity.peers.iter().find(|p| p.city.get(..4) == Some(prefix))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct HandoverRequest {
    /// A visitor among the case's contacts whose ID card was issued in a linked city.
    pub visitor_id: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct HandoverDto {
    pub id: i64,
    pub case_id: i64,
    pub visitor_id: i64,
    pub city: String,
    pub city_name: String,
    /// close | secondary | companion
    pub tier: String,
    /// sending | notified | transferred | quarantined | released | refused
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    pub note: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: String,
}

fn out_dto(state: &AppState, r: &Row) -> ningan_store::Result<HandoverDto> {
    let city: String = r.try_get("peer")?;
    let status: String = r.try_get("status")?;
    Ok(HandoverDto {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        visitor_id: r.try_get("visitor_id")?,
        city_name: peer(state, &city).map_or_else(|| city.clone(), |p| p.name.clone()),
        city,
        tier: r.try_get("tier")?,
        status_zh: status_zh(&status).into(),
        status_en: status_en(&status).into(),
        status,
        note: r.try_get("note")?,
        last_error: r.try_get("last_error")?,
        updated_at: ts(r.try_get("updated_at")?),
    })
}

/// Hands a visitor among the case's contacts over to the city that issued their ID card; the
/// same visitor twice is the same hand-over.
pub async fn hand_over(state: &AppState, ctx: &Ctx, case_id: i64, visitor_id: i64) -> ApiResult<HandoverDto> {
    let (case, inv) = run_investigation(state, ctx, case_id, None, None).await?;
    let person = super::visitors::visitor_person(visitor_id)?;
    let found = [(Tier::Close, &inv.close), (Tier::Companion, &inv.companions)]
        .into_iter()
        .find_map(|(tier, list)| list.iter().find(|c| c.person == person).map(|c| (tier, c.last_exposure)))
        .or_else(|| {
            inv.secondary
                .iter()
                .find(|s| s.contact.person == person)
                .map(|s| (Tier::Secondary, s.contact.last_exposure))
        });
    let not_contact = || refuse("visitor_id", Rule::other("不是本病例的接触者", "not a contact of this case"));
    let (tier, last_exposure) = found.ok_or_else(not_contact)?;
    let row = query("SELECT document_type, document_number FROM visitors WHERE id = $1")
        .bind(visitor_id)
        .fetch_optional(state.db.reader())
        .await
        .map_err(ningan_store::StoreError::from)?
        .ok_or_else(not_contact)?;
    let (kind, number): (String, String) = (
        row.try_get("document_type").map_err(ningan_store::StoreError::from)?,
        row.try_get("document_number").map_err(ningan_store::StoreError::from)?,
    );
    let city = (kind == "id_card").then(|| home_city(state, &number)).flatten().ok_or_else(|| {
        refuse(
            "visitor_id",
            Rule::other(
                "此人身份证签发地未与本市建立协查",
                "their ID card was not issued in a city linked for hand-over",
            ),
        )
    })?;
    let unit = state.db.unit_by_id(case.unit_id).await?;
    let now = ningan_core::time::now_ms();
    let mut w = state.db.write().await?;
    query(
        "INSERT INTO handovers_out (case_id, visitor_id, peer, tier, last_exposure, status, unit_id, unit_path, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         ON CONFLICT (case_id, visitor_id) DO NOTHING",
    )
    .bind(case_id)
    .bind(visitor_id)
    .bind(&city.city)
    .bind(tier.key())
    .bind(i64::from(last_exposure))
    .bind(SENDING)
    .bind(unit.id)
    .bind(&unit.path)
    .bind(&ctx.actor().name)
    .bind(now)
    .execute(w.connection())
    .await
    .map_err(ningan_store::StoreError::from)?;
    let id: i64 = query("SELECT id FROM handovers_out WHERE case_id = $1 AND visitor_id = $2")
        .bind(case_id)
        .bind(visitor_id)
        .fetch_one(w.connection())
        .await
        .map_err(ningan_store::StoreError::from)?
        .try_get("id")
        .map_err(ningan_store::StoreError::from)?;
    let detail = format!("visitor {visitor_id} ({}) handed over to {}", tier.key(), city.city);
    w.audit(ctx.actor().audit("case.handover", "epi_case", case_id, None, None, &detail)).await?;
    w.commit().await?;
    if let Err(e) = push(state, id).await {
        tracing::warn!(error = %e, "hand-over: first attempt");
    }
    one_out(state, id).await
}

async fn one_out(state: &AppState, id: i64) -> ApiResult<HandoverDto> {
    let row = query("SELECT * FROM handovers_out WHERE id = $1")
        .bind(id)
        .fetch_one(state.db.reader())
        .await
        .map_err(ningan_store::StoreError::from)?;
    Ok(out_dto(state, &row)?)
}

/// The case's hand-overs (the case read first, so its scope applies).
pub async fn of_case(state: &AppState, ctx: &Ctx, case_id: i64) -> ApiResult<Vec<HandoverDto>> {
    let mut w = state.db.write().await?;
    w.epi_case_open(&ctx.actor(), &ctx.scope(), case_id).await?;
    w.commit().await?;
    let rows = query("SELECT * FROM handovers_out WHERE case_id = $1 ORDER BY id")
        .bind(case_id)
        .fetch_all(state.db.reader())
        .await
        .map_err(ningan_store::StoreError::from)?;
    Ok(rows.iter().map(|r| out_dto(state, r)).collect::<ningan_store::Result<Vec<_>>>()?)
}

/// This city's reference for a hand-over, which the other city keys its task by.
fn origin_ref(state: &AppState, id: i64) -> String {
    format!("{}-H{id}", state.config.crosscity.city)
}

/// Sends a hand-over (again) and takes the other city's answer.
async fn push(state: &AppState, id: i64) -> Result<(), ApiError> {
    let row = query(
        "SELECT h.peer, h.tier, h.last_exposure, h.unit_id, v.name, v.document_number, v.phone, c.onset_at \
         FROM handovers_out h JOIN visitors v ON v.id = h.visitor_id JOIN cases c ON c.id = h.case_id WHERE h.id = $1",
    )
    .bind(id)
    .fetch_one(state.db.reader())
    .await
    .map_err(ningan_store::StoreError::from)?;
    let get = |c: &str| row.try_get::<String, _>(c).map_err(ningan_store::StoreError::from);
    let city = get("peer")?;
    let Some(p) = peer(state, &city) else { return Ok(()) };
    let unit = state.db.unit_by_id(row.try_get("unit_id").map_err(ningan_store::StoreError::from)?).await?;
    let body = json!({
        "origin_ref": origin_ref(state, id),
        "origin_unit": format!("{} {}", state.config.crosscity.name, unit.name),
        "person": {"id_number": get("document_number")?, "name": get("name")?},
        "tier": get("tier")?,
        "last_exposure": row.try_get::<i64, _>("last_exposure").map_err(ningan_store::StoreError::from)?,
    })
    .to_string();
    let outcome = call(state, p, reqwest::Method::POST, "/api/crosscity/handovers", body).await;
    let (remote, status, error) = match &outcome {
        Ok(v) => (v["ref"].as_str().map(str::to_string), v["status"].as_str().map(str::to_string), None),
        // The other city answered that the person is not in its register: no retry.
        Err(e) if e.starts_with("HTTP 422") => (None, Some(REFUSED.to_string()), Some(e.clone())),
        Err(e) => (None, None, Some(e.clone())),
    };
    update_out(state, id, remote.as_deref(), status.as_deref(), None, error.as_deref()).await
}

async fn poll(state: &AppState, id: i64, city: &str, remote: &str) -> Result<(), ApiError> {
    let Some(p) = peer(state, city) else { return Ok(()) };
    match call(state, p, reqwest::Method::GET, &format!("/api/crosscity/handovers/{remote}"), String::new()).await {
        Ok(v) => update_out(state, id, None, v["status"].as_str(), v["note"].as_str(), None).await,
        Err(e) => update_out(state, id, None, None, None, Some(&e)).await,
    }
}

async fn update_out(
    state: &AppState,
    id: i64,
    remote: Option<&str>,
    status: Option<&str>,
    note: Option<&str>,
    error: Option<&str>,
) -> Result<(), ApiError> {
    let mut w = state.db.write().await?;
    query(
        "UPDATE handovers_out SET remote_ref = COALESCE($1, remote_ref), status = COALESCE($2, status), \
         note = COALESCE($3, note), last_error = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(remote)
    .bind(status)
    .bind(note)
    .bind(error)
    .bind(ningan_core::time::now_ms())
    .bind(id)
    .execute(w.connection())
    .await
    .map_err(ningan_store::StoreError::from)?;
    w.commit().await?;
    Ok(())
}

/// Sends what is unsent and follows what is open, once.
pub async fn run_once(state: &AppState) -> Result<(), ApiError> {
    let rows = query(
        "SELECT id, peer, remote_ref, status FROM handovers_out WHERE status NOT IN ('released', 'refused') \
         ORDER BY id LIMIT 100",
    )
    .fetch_all(state.db.reader())
    .await
    .map_err(ningan_store::StoreError::from)?;
    for r in rows {
        let id: i64 = r.try_get("id").map_err(ningan_store::StoreError::from)?;
        let city: String = r.try_get("peer").map_err(ningan_store::StoreError::from)?;
        let remote: Option<String> = r.try_get("remote_ref").map_err(ningan_store::StoreError::from)?;
        match remote {
            None => push(state, id).await?,
            Some(remote) => poll(state, id, &city, &remote).await?,
        }
    }
    Ok(())
}

/// Sends and follows hand-overs every two seconds while other cities are linked.
pub fn spawn_worker(state: AppState) {
    crate::modules::services::crosscity::every_two_seconds_while_linked(state, "hand-over", |state| async move {
        run_once(&state).await
    });
}

// ---- the receiving city ----

#[derive(Debug, Deserialize, JsonSchema)]
pub struct IncomingHandover {
    pub origin_ref: String,
    pub origin_unit: String,
    pub person: Person,
    /// close | secondary | companion
    pub tier: String,
    /// Seconds since the epoch.
    pub last_exposure: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Person {
    #[schemars(extend("pattern" = crate::http::schema::ID_NUMBER_PATTERN, "format" = "gb11643", "examples" = [crate::http::schema::ID_NUMBER_EXAMPLE]))]
    pub id_number: String,
    pub name: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RemoteHandover {
    /// This city's reference for the task.
    #[serde(rename = "ref")]
    pub reference: String,
    pub status: String,
    pub note: String,
}

/// Another city hands over a contact registered here: a follow-up task for the household
/// station (the same one again for a repeat).
pub(super) async fn incoming(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    let (from, signed) = caller(&state, &headers, &body).await?;
    let reference = crate::modules::services::crosscity::reference_in(&body, "origin_ref");
    let outcome = take_handover(&state, from, &signed, &body).await;
    or_signed_refusal(&state, from, &signed, "crosscity.handover", &reference, outcome).await
}

async fn take_handover(
    state: &AppState,
    from: &crate::config::PeerCity,
    signed: &crate::trust::Signed,
    body: &[u8],
) -> ApiResult<axum::response::Response> {
    let req: IncomingHandover = serde_json::from_slice(body)
        .map_err(|e| refuse("body", Rule::other(format!("请求格式错误：{e}"), format!("malformed: {e}"))))?;
    if !Tier::KEYS.contains(&req.tier.as_str()) {
        return Err(refuse("tier", Rule::one_of("close、secondary 或 companion", Tier::KEYS)));
    }
    let held = query("SELECT id, status, note FROM handovers_in WHERE peer = $1 AND origin_ref = $2")
        .bind(&from.city)
        .bind(&req.origin_ref)
        .fetch_optional(state.db.reader())
        .await
        .map_err(ningan_store::StoreError::from)?;
    if let Some(r) = held {
        return answer(state, from, signed, "crosscity.handover", &req.origin_ref, StatusCode::OK, &remote(&r)?).await;
    }
    let id = IdNumber::parse(req.person.id_number.trim(), ningan_core::time::today_cst())
        .map_err(|e| ApiError::field_from("person.id_number", e))?;
    let resident = match state.db.resident_by_id_number(&ningan_store::Scope::everything(), id.as_str()).await? {
        Some(r) if state.db.resident_name(r).await? == req.person.name.trim() => r,
        _ => {
            let rule = Rule::other(
                "本市无此户籍登记（身份号码与姓名不符）",
                "no registered resident with this number and name",
            );
            return Err(refuse("person", rule));
        }
    };
    let home = query("SELECT unit_id, unit_path FROM residents WHERE id = $1")
        .bind(resident)
        .fetch_one(state.db.reader())
        .await
        .map_err(ningan_store::StoreError::from)?;
    let now = ningan_core::time::now_ms();
    let mut w = state.db.write().await?;
    let row = query(
        "INSERT INTO handovers_in (peer, origin_ref, origin_unit, resident_id, tier, last_exposure, place, status, note, \
         unit_id, unit_path, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, '', 'notified', '', $7, $8, $9, $9) \
         RETURNING id, status, note",
    )
    .bind(&from.city)
    .bind(&req.origin_ref)
    .bind(req.origin_unit.chars().take(200).collect::<String>())
    .bind(resident)
    .bind(&req.tier)
    .bind(req.last_exposure)
    .bind(home.try_get::<i64, _>("unit_id").map_err(ningan_store::StoreError::from)?)
    .bind(home.try_get::<String, _>("unit_path").map_err(ningan_store::StoreError::from)?)
    .bind(now)
    .fetch_one(w.connection())
    .await
    .map_err(ningan_store::StoreError::from)?;
    let answered = remote(&row)?;
    let actor = ningan_store::Actor { name: format!("city:{}", from.city), unit_id: None };
    let detail = format!("{} contact handed over by {} ({})", req.tier, from.city, req.origin_ref);
    w.audit(actor.audit("handover.receive", "handover", 0, Some(resident), None, &detail)).await?;
    w.commit().await?;
    state.precise.registry.refresh_person(&state.db, resident).await?;
    answer(state, from, signed, "crosscity.handover", &req.origin_ref, StatusCode::CREATED, &answered).await
}

fn remote(r: &Row) -> ningan_store::Result<RemoteHandover> {
    Ok(RemoteHandover {
        reference: r.try_get::<i64, _>("id")?.to_string(),
        status: r.try_get("status")?,
        note: r.try_get("note")?,
    })
}

/// The handing-over city asks where its request stands.
pub(super) async fn incoming_status(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    let (from, signed) = caller(&state, &headers, &body).await?;
    let outcome = async {
        let id: i64 = reference.parse().map_err(|_| ApiError::from(ningan_store::StoreError::NotFound))?;
        let row = query("SELECT id, status, note FROM handovers_in WHERE id = $1 AND peer = $2")
            .bind(id)
            .bind(&from.city)
            .fetch_optional(state.db.reader())
            .await
            .map_err(ningan_store::StoreError::from)?
            .ok_or(ningan_store::StoreError::NotFound)?;
        answer(&state, from, &signed, "crosscity.handover_status", &reference, StatusCode::OK, &remote(&row)?).await
    };
    let outcome = outcome.await;
    or_signed_refusal(&state, from, &signed, "crosscity.handover_status", &reference, outcome).await
}

/// (resident, severity) of the people with a received hand-over not yet released — 2 for a
/// close contact, 1 otherwise, as for follow-ups — for the gates; only `only`'s when given.
pub async fn received_statuses(
    db: &ningan_store::Db,
    only: Option<&[i64]>,
) -> Result<Vec<(i64, i64)>, ningan_store::StoreError> {
    const SQL: &str = "SELECT resident_id, CASE WHEN tier = 'close' THEN 2 ELSE 1 END AS severity \
                       FROM handovers_in WHERE status <> 'released'";
    let rows = match only {
        None => query(SQL).fetch_all(db.reader()).await?,
        Some(ids) => {
            let mut rows = Vec::new();
            for chunk in ids.chunks(400) {
                let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let sql = format!("{SQL} AND resident_id IN ({})", marks.join(", "));
                let mut q = query(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                rows.extend(q.fetch_all(db.reader()).await?);
            }
            rows
        }
    };
    rows.iter().map(|r| Ok((r.try_get("resident_id")?, r.try_get("severity")?))).collect()
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReceivedDto {
    pub id: i64,
    pub city: String,
    pub origin_unit: String,
    pub resident_id: i64,
    pub resident_name: String,
    pub tier: String,
    pub last_exposure: String,
    /// notified | transferred | quarantined | released
    pub status: String,
    pub status_zh: String,
    pub note: String,
}

/// Hand-overs received for the people of the caller's units, newest first (audited).
pub async fn received(state: &AppState, ctx: &Ctx) -> ApiResult<Vec<ReceivedDto>> {
    let (lo, hi) = ctx.scope().range();
    let rows = query(
        "SELECT h.*, r.name AS resident_name FROM handovers_in h JOIN residents r ON r.id = h.resident_id \
         WHERE h.unit_path >= $1 AND h.unit_path < $2 ORDER BY h.id DESC LIMIT 200",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(state.db.reader())
    .await
    .map_err(ningan_store::StoreError::from)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let status: String = r.try_get("status").map_err(ningan_store::StoreError::from)?;
        let peer_city: String = r.try_get("peer").map_err(ningan_store::StoreError::from)?;
        out.push(ReceivedDto {
            id: r.try_get("id").map_err(ningan_store::StoreError::from)?,
            city: peer(state, &peer_city).map_or(peer_city.clone(), |p| p.name.clone()),
            origin_unit: r.try_get("origin_unit").map_err(ningan_store::StoreError::from)?,
            resident_id: r.try_get("resident_id").map_err(ningan_store::StoreError::from)?,
            resident_name: r.try_get("resident_name").map_err(ningan_store::StoreError::from)?,
            tier: r.try_get("tier").map_err(ningan_store::StoreError::from)?,
            last_exposure: ts(r.try_get::<i64, _>("last_exposure").map_err(ningan_store::StoreError::from)? * 1000),
            status_zh: status_zh(&status).into(),
            status,
            note: r.try_get("note").map_err(ningan_store::StoreError::from)?,
        });
    }
    let ids: Vec<i64> = out.iter().map(|h| h.id).collect();
    let persons: Vec<i64> = out.iter().map(|h| h.resident_id).collect();
    crate::http::shown::audit_shown(state, ctx, "handover.list", "handover", &ids, &persons).await?;
    Ok(out)
}

/// Moves a received hand-over forward, as a follow-up moves; the other city sees it on its
/// next poll.
pub async fn advance(state: &AppState, ctx: &Ctx, id: i64, req: &StatusRequest) -> ApiResult<()> {
    if req.note.chars().count() > 500 {
        return Err(refuse("note", Rule::TooLong(500)));
    }
    let (lo, hi) = ctx.scope().range();
    let row =
        query("SELECT status, resident_id FROM handovers_in WHERE id = $1 AND unit_path >= $2 AND unit_path < $3")
            .bind(id)
            .bind(&lo)
            .bind(&hi)
            .fetch_optional(state.db.reader())
            .await
            .map_err(ningan_store::StoreError::from)?
            .ok_or(ningan_store::StoreError::NotFound)?;
    let current: String = row.try_get("status").map_err(ningan_store::StoreError::from)?;
    let resident: i64 = row.try_get("resident_id").map_err(ningan_store::StoreError::from)?;
    super::visitor_followups::check_move(&current, &req.status)?;
    let mut w = state.db.write().await?;
    query("UPDATE handovers_in SET status = $1, note = $2, updated_at = $3 WHERE id = $4")
        .bind(&req.status)
        .bind(req.note.trim())
        .bind(ningan_core::time::now_ms())
        .bind(id)
        .execute(w.connection())
        .await
        .map_err(ningan_store::StoreError::from)?;
    let detail = format!("{current} → {}", req.status);
    w.audit(ctx.actor().audit("handover.status", "handover", id, Some(resident), None, &detail)).await?;
    w.commit().await?;
    state.precise.registry.refresh_person(&state.db, resident).await?;
    Ok(())
}

pub(super) async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<HandoverRequest>,
) -> ApiResult<(StatusCode, axum::Json<HandoverDto>)> {
    Ok((StatusCode::CREATED, axum::Json(hand_over(&state, &ctx, id, req.visitor_id).await?)))
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<HandoverDto>>> {
    Ok(axum::Json(of_case(&state, &ctx, id).await?))
}

pub(super) async fn list_received(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<ReceivedDto>>> {
    Ok(axum::Json(received(&state, &ctx).await?))
}

pub(super) async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<StatusRequest>,
) -> ApiResult<StatusCode> {
    advance(&state, &ctx, id, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The page of hand-overs received from other cities for the caller's units, each moved
/// forward by its own small form.
#[derive(askama::Template)]
#[template(path = "precise/handovers.html")]
struct ReceivedPage {
    frame: crate::web::Frame,
    rows: Vec<ReceivedDto>,
    may_work: bool,
    error: Option<String>,
}

impl ReceivedPage {
    fn next(&self, status: &str) -> Vec<(&'static str, &'static str)> {
        super::visitor_followups::next_statuses(&self.frame.tr, status)
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct PageQuery {
    error: Option<String>,
}

pub(super) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::json::Query(q): crate::http::json::Query<PageQuery>,
) -> crate::web::PageResult {
    let rows = received(&state, &ctx).await.map_err(|e| crate::web::PageError::from(e).framed(&ctx))?;
    let frame = crate::web::Frame::for_principal(&ctx).crumb("/precise/handovers", "nav.handovers");
    let page = ReceivedPage { frame, rows, may_work: ctx.may(ningan_core::Action::FollowupWrite), error: q.error };
    Ok(crate::web::html(StatusCode::OK, &page))
}

pub(super) async fn page_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(req): axum::Form<StatusRequest>,
) -> crate::web::PageResult<axum::response::Response> {
    Ok(super::visitor_followups::back_to(&ctx, advance(&state, &ctx, id, &req).await, "/precise/handovers", "error"))
}

/// This capability's routes.
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(
            Method::POST,
            "/api/cases/{id}/handovers",
            Access::Action(Action::CaseManage),
            "precise",
            "协查移交：把外市户籍的接触者移交其户籍地城市",
        )
        .request::<HandoverRequest>()
        .response::<HandoverDto>()
        .status(201),
        post(create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/cases/{id}/handovers",
            Access::Action(Action::CaseRead),
            "precise",
            "本病例的协查移交及对方进度",
        )
        .response::<Vec<HandoverDto>>(),
        get(list),
    )
    .add(
        Op::api(Method::GET, "/api/handovers", Access::Action(Action::CaseRead), "precise", "外市移交本辖区的协查任务")
            .response::<Vec<ReceivedDto>>(),
        get(list_received),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/handovers/{id}/status",
            Access::Action(Action::FollowupWrite),
            "precise",
            "处置外市移交的协查任务（只进不退）",
        )
        .request::<StatusRequest>()
        .status(204),
        post(set_status),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/crosscity/handovers",
            Access::Public,
            "crosscity",
            "（城市间）接收外市移交的接触者，以共享密钥签名",
        )
        .headers(crate::modules::services::crosscity::SIGNED_BY_CITY)
        .optional_headers(crate::trust::SIGNED_WITH_ED25519)
        .request::<IncomingHandover>()
        .response::<RemoteHandover>()
        .status(201)
        .answers(&[200]),
        post(incoming),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/crosscity/handovers/{ref}",
            Access::Public,
            "crosscity",
            "（城市间）查询移交任务的处置进度",
        )
        .response::<RemoteHandover>(),
        get(incoming_status),
    )
    .add(Op::page(Method::GET, "/precise/handovers", Access::Action(Action::CaseRead), "外市移交的协查任务"), get(page))
    .add(
        Op::page(
            Method::POST,
            "/precise/handovers/{id}/status",
            Access::Action(Action::FollowupWrite),
            "处置外市协查任务",
        ),
        post(page_status),
    )
}
