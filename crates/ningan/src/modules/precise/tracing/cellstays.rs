//! Cell stays (手机信令驻留) from carriers, and the companions (时空伴随) they give a case.
//!
//! A carrier reports that a number stayed in the cell around a point from one time to
//! another. The stay becomes a presence in the tracing engine's cell grid (H3, about 900 m
//! across), with the retention, repeats and refusals of a check-in, and goes through JetStream
//! when a stream is configured, like check-ins. The person is the registered resident with
//! that number when there is one, so a resident's companions and close contacts are one
//! person; otherwise a pseudonym: a row keyed by a keyed hash of the number, which itself is
//! not kept. A pseudonym is joined to the resident when a later stay of the same number finds
//! the number registered, and a case's companions are searched under the resident's id and
//! every pseudonym joined to it.

use std::collections::HashMap;

use axum::extract::State;
use ningan_core::Phone;
use ningan_store::Migration;
use ningan_store::sql::{RowExt as _, query};
use ningan_trace::{CompanionRule, Observation, Time};
use schemars::JsonSchema;
use serde::Deserialize;

use super::checkins::{CheckinRejection, CheckinReport, MAX_BATCH, keep, reason_zh};
use super::tracer::{TraceError, blocking, resident_person};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::Json;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;
use crate::modules::precise::parse_time;

pub const MIGRATION: Migration = Migration {
    version: 35,
    name: "precise control: pseudonyms of carriers' numbers not in the register (cell-stay companions)",
    common: r#"
CREATE TABLE cell_pseudonyms (
    id {id},
    phone_key TEXT NOT NULL UNIQUE,
    resident_id BIGINT REFERENCES residents(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX cell_pseudonyms_resident ON cell_pseudonyms (resident_id);
"#,
    sqlite: "",
    postgres: "",
};

/// Engine person ids from here up are pseudonyms (`cell_pseudonyms` rows); residents' record
/// ids stay below.
pub const PSEUDONYM_BASE: u32 = 1 << 30;

/// The setting holding the key of the numbers' keyed hash (made on first use).
const KEY_SETTING: &str = "precise.phone_key_secret";

#[derive(Debug, thiserror::Error)]
pub enum PseudonymError {
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
    #[error(transparent)]
    Sql(#[from] ningan_store::sql::Error),
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error("the stored key of carriers' numbers is not 64 hex digits")]
    Key,
}

impl From<PseudonymError> for ApiError {
    fn from(e: PseudonymError) -> ApiError {
        match e {
            PseudonymError::Store(s) => ApiError::from(s),
            other => ApiError::internal(other),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CellStayBatch {
    #[schemars(length(min = 1, max = 10_000))]
    pub stays: Vec<CellStayRequest>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CellStayRequest {
    /// The subscriber's mobile number (11 digits, `+86` allowed). Kept only when it is a
    /// registered resident's; otherwise only its keyed hash is.
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub phone: String,
    /// Where the serving cell is (WGS 84 degrees).
    pub lat: f64,
    pub lng: f64,
    /// When the stay began and ended (RFC 3339); at most 24 hours.
    pub at: String,
    pub left_at: String,
}

/// Who an engine id names, for showing a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Resident(i64),
    /// A visitor not matched to the register: the visitor's record.
    Visitor(i64),
    /// A number not (yet) in the register: the pseudonym's row.
    Unregistered(i64),
}

impl Who {
    pub fn pseudonym(row: i64) -> String {
        format!("P-{row:06}")
    }
}

/// The key of the numbers' keyed hash: stored once, the same for every process.
pub async fn key_secret(db: &ningan_store::Db) -> Result<[u8; 32], PseudonymError> {
    let stored = match db.setting(KEY_SETTING).await? {
        Some(v) => v,
        None => {
            let mut w = db.write().await?;
            // Another process may have made one meanwhile: the stored one wins.
            let v = match db.setting(KEY_SETTING).await? {
                Some(v) => v,
                None => {
                    let fresh = hex::encode(rand::random::<[u8; 32]>());
                    w.setting_set(KEY_SETTING, &fresh).await?;
                    fresh
                }
            };
            w.commit().await?;
            v
        }
    };
    let mut secret = [0u8; 32];
    hex::decode_to_slice(stored.trim(), &mut secret).map_err(|_| PseudonymError::Key)?;
    Ok(secret)
}

/// [`key_secret`], read once per process.
async fn cached_key(state: &AppState) -> Result<[u8; 32], PseudonymError> {
    Ok(*state.precise.phone_key.get_or_try_init(|| key_secret(&state.db)).await?)
}

/// The keyed hash of a number (hex).
fn phone_key(secret: &[u8; 32], phone: &str) -> String {
    use hmac::Mac;
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(phone.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// `$1, $2, …` for `n` values.
fn marks(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The engine person of every number: the registered resident with it (the lowest record
/// id if several share it), else the visitor recorded with it, else its pseudonym, made if new. Pseudonyms of numbers found
/// registered now are joined to the resident.
pub async fn persons_for(
    db: &ningan_store::Db,
    secret: &[u8; 32],
    phones: &[String],
) -> Result<HashMap<String, u32>, PseudonymError> {
    let residents = residents_by_phone(db, phones).await?;
    let rest: Vec<String> = phones.iter().filter(|p| !residents.contains_key(*p)).cloned().collect();
    let visitors = super::visitors::by_phone(db, &rest).await?;
    let keys: Vec<(String, String)> =
        phones.iter().filter(|p| !visitors.contains_key(*p)).map(|p| (p.clone(), phone_key(secret, p))).collect();
    let mut w = db.write().await?;
    let pseudonyms = pseudonyms_of(&mut w, &keys, &residents).await?;
    w.commit().await?;
    let mut out = HashMap::with_capacity(phones.len());
    for (phone, id) in residents {
        out.insert(phone, resident_person(id)?);
    }
    for (phone, id) in visitors {
        out.insert(phone, super::visitors::visitor_person(id)?);
    }
    for (phone, row) in pseudonyms {
        out.insert(phone, pseudonym_id(row)?);
    }
    Ok(out)
}

/// Number → the lowest record id of a resident registered with it.
async fn residents_by_phone(db: &ningan_store::Db, phones: &[String]) -> Result<HashMap<String, i64>, PseudonymError> {
    let mut out = HashMap::with_capacity(phones.len());
    for chunk in phones.chunks(400) {
        let sql = format!("SELECT id, phone FROM residents WHERE phone IN ({}) ORDER BY id", marks(chunk.len()));
        let mut q = query(&sql);
        for p in chunk {
            q = q.bind(p.as_str());
        }
        for row in q.fetch_all(db.reader()).await? {
            let (id, phone): (i64, String) = (row.try_get("id")?, row.try_get("phone")?);
            out.entry(phone).or_insert(id);
        }
    }
    Ok(out)
}

/// The pseudonym rows of the numbers (`(number, key)`) not in `residents`, made if new;
/// those in `residents` with a pseudonym not yet joined are joined to the resident.
async fn pseudonyms_of(
    w: &mut ningan_store::Write,
    keys: &[(String, String)],
    residents: &HashMap<String, i64>,
) -> Result<HashMap<String, i64>, PseudonymError> {
    let now = ningan_core::time::now_ms();
    let mut out = HashMap::new();
    for chunk in keys.chunks(400) {
        let sql = format!(
            "SELECT id, phone_key, resident_id FROM cell_pseudonyms WHERE phone_key IN ({})",
            marks(chunk.len())
        );
        let mut q = query(&sql);
        for (_, k) in chunk {
            q = q.bind(k.as_str());
        }
        let mut held: HashMap<String, (i64, Option<i64>)> = HashMap::new();
        for row in q.fetch_all(w.connection()).await? {
            held.insert(row.try_get("phone_key")?, (row.try_get("id")?, row.try_get("resident_id")?));
        }
        for (phone, key) in chunk {
            match (residents.get(phone), held.get(key)) {
                (Some(resident), Some((row, None))) => {
                    query("UPDATE cell_pseudonyms SET resident_id = $1 WHERE id = $2")
                        .bind(*resident)
                        .bind(*row)
                        .execute(w.connection())
                        .await?;
                }
                (Some(_), _) => {}
                (None, Some((row, _))) => {
                    out.insert(phone.clone(), *row);
                }
                (None, None) => {
                    let row: i64 = query(
                        "INSERT INTO cell_pseudonyms (phone_key, created_at) VALUES ($1, $2) \
                         ON CONFLICT (phone_key) DO UPDATE SET phone_key = excluded.phone_key RETURNING id",
                    )
                    .bind(key.as_str())
                    .bind(now)
                    .fetch_one(w.connection())
                    .await?
                    .try_get("id")?;
                    out.insert(phone.clone(), row);
                }
            }
        }
    }
    Ok(out)
}

fn pseudonym_id(row: i64) -> Result<u32, TraceError> {
    u32::try_from(row)
        .ok()
        .and_then(|r| PSEUDONYM_BASE.checked_add(r))
        .filter(|id| *id < ningan_trace::grid::CELL_BIT)
        .ok_or(TraceError::IdRange(row))
}

/// Checks a carrier's batch and hands the stays to the engine: durable when this returns.
/// Refused stays are reported by position and reason; the rest are kept.
pub async fn ingest_stays(state: &AppState, ctx: &Ctx, batch: Vec<CellStayRequest>) -> ApiResult<CheckinReport> {
    if batch.is_empty() || batch.len() > MAX_BATCH {
        let per_batch = Rule::other(format!("每批1–{MAX_BATCH}条"), format!("send 1 to {MAX_BATCH} stays per batch"));
        return Err(refuse("stays", per_batch));
    }
    let mut rejected = Vec::new();
    let reject = |index: usize, reason: &str| CheckinRejection {
        index,
        reason: reason.into(),
        reason_zh: reason_zh(reason).into(),
    };
    // (position, number, space, start, end) of the readable stays.
    let mut readable = Vec::with_capacity(batch.len());
    for (index, s) in batch.iter().enumerate() {
        let Ok(phone) = Phone::parse(&s.phone) else {
            rejected.push(reject(index, "bad phone"));
            continue;
        };
        let Ok(space) = state.precise.tracer.cell_space(s.lat, s.lng) else {
            rejected.push(reject(index, "bad position"));
            continue;
        };
        let (Some(start), Some(end)) = (parse_time(&s.at), parse_time(&s.left_at)) else {
            rejected.push(reject(index, "bad time"));
            continue;
        };
        readable.push((index, phone.as_str().to_string(), space, start, end));
    }
    let mut phones: Vec<String> = readable.iter().map(|r| r.1.clone()).collect();
    phones.sort_unstable();
    phones.dedup();
    let persons = persons_for(&state.db, &cached_key(state).await?, &phones).await?;
    let mut observations = Vec::with_capacity(readable.len());
    let mut positions = Vec::with_capacity(readable.len());
    for (index, phone, space, start, end) in readable {
        let Some(person) = persons.get(&phone) else { continue };
        observations.push(Observation { person: *person, space, start, end: Some(end) });
        positions.push(index);
    }
    let report = keep(state, observations).await?;
    for r in &report.rejected {
        rejected.push(reject(positions[r.index], r.reason));
    }
    let mut w = state.db.write().await?;
    let detail =
        format!("{} accepted, {} already held, {} refused", report.accepted, report.duplicates, rejected.len());
    w.audit(ctx.actor().audit("cellstay.ingest", "cell_stay", 0, None, None, &detail)).await?;
    w.commit().await?;
    Ok(CheckinReport::new(report.accepted, report.duplicates, rejected))
}

/// The numbers of residents (those with one), for loading carriers' data in the demo city.
pub async fn phones_of(db: &ningan_store::Db, ids: &[i64]) -> Result<Vec<(i64, String)>, PseudonymError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(400) {
        let sql = format!("SELECT id, phone FROM residents WHERE id IN ({}) AND phone IS NOT NULL", marks(chunk.len()));
        let mut q = query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(db.reader()).await? {
            out.push((row.try_get("id")?, row.try_get("phone")?));
        }
    }
    Ok(out)
}

/// Every engine id a resident is known by: the record id and the pseudonyms joined to it or
/// keyed by the resident's number now.
async fn engine_ids_of(state: &AppState, resident_id: i64) -> Result<Vec<u32>, PseudonymError> {
    let phone = resident_phone(&state.db, resident_id).await?;
    let key = match phone.filter(|p| !p.is_empty()) {
        Some(p) => phone_key(&cached_key(state).await?, &p),
        None => String::new(),
    };
    let mut ids = vec![resident_person(resident_id)?];
    for row in pseudonyms_joined(&state.db, resident_id, &key).await? {
        ids.push(pseudonym_id(row)?);
    }
    Ok(ids)
}

async fn resident_phone(db: &ningan_store::Db, resident_id: i64) -> Result<Option<String>, PseudonymError> {
    let row = query("SELECT phone FROM residents WHERE id = $1").bind(resident_id).fetch_optional(db.reader()).await?;
    Ok(match row {
        Some(r) => r.try_get("phone")?,
        None => None,
    })
}

async fn pseudonyms_joined(db: &ningan_store::Db, resident_id: i64, key: &str) -> Result<Vec<i64>, PseudonymError> {
    let rows = query("SELECT id FROM cell_pseudonyms WHERE resident_id = $1 OR phone_key = $2")
        .bind(resident_id)
        .bind(key)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// Fills in a case's companions under the standard rule, from the rule's look-back (14 days)
/// before onset to the investigation's end.
pub async fn attach_companions(
    state: &AppState,
    case: &ningan_store::EpiCase,
    inv: &mut super::tracer::Investigation,
) -> ApiResult<()> {
    let persons = engine_ids_of(state, case.resident_id).await?;
    let rule = CompanionRule::standard();
    let onset = Time::try_from(case.onset_at / 1000).unwrap_or(0);
    let (from, to) = (onset.saturating_sub(rule.lookback), inv.to);
    inv.companions = blocking(&state.precise.tracer, move |t| t.companions(&rule, &persons, from, to)).await?;
    Ok(())
}

/// Who each engine id names: residents as they are, visitors and pseudonyms matched to a
/// resident as that resident, the rest as visitors and unregistered numbers.
pub async fn who(state: &AppState, ids: &[u32]) -> Result<HashMap<u32, Who>, PseudonymError> {
    let mut out = HashMap::with_capacity(ids.len());
    let mut rows_wanted = Vec::new();
    let mut visitors = Vec::new();
    for &id in ids {
        if id >= PSEUDONYM_BASE {
            rows_wanted.push(i64::from(id - PSEUDONYM_BASE));
        } else if let Some(v) = super::visitors::visitor_of(id) {
            visitors.push(v);
        } else {
            out.insert(id, Who::Resident(i64::from(id)));
        }
    }
    for (v, _, _, resident) in super::visitors::labels(&state.db, &visitors).await? {
        out.insert(super::visitors::visitor_person(v)?, resident.map_or(Who::Visitor(v), Who::Resident));
    }
    for (row_id, resident) in pseudonym_rows(&state.db, &rows_wanted).await? {
        out.insert(pseudonym_id(row_id)?, resident.map_or(Who::Unregistered(row_id), Who::Resident));
    }
    Ok(out)
}

async fn pseudonym_rows(db: &ningan_store::Db, rows: &[i64]) -> Result<Vec<(i64, Option<i64>)>, PseudonymError> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(400) {
        let sql = format!("SELECT id, resident_id FROM cell_pseudonyms WHERE id IN ({})", marks(chunk.len()));
        let mut q = query(&sql);
        for r in chunk {
            q = q.bind(*r);
        }
        for row in q.fetch_all(db.reader()).await? {
            out.push((row.try_get("id")?, row.try_get("resident_id")?));
        }
    }
    Ok(out)
}

pub(super) async fn stays(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<CellStayBatch>,
) -> ApiResult<axum::Json<CheckinReport>> {
    Ok(axum::Json(ingest_stays(&state, &ctx, req.stays).await?))
}

/// The same batch as NDJSON, one stay per line; unreadable lines are refused by number.
pub(super) async fn stays_ndjson(
    State(state): State<AppState>,
    ctx: Ctx,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<CheckinReport>> {
    let report = super::checkins::over_ndjson(&body, "stays", |batch| ingest_stays(&state, &ctx, batch)).await?;
    Ok(axum::Json(report))
}

/// This capability's routes.
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::post;
    use ningan_core::Action;
    api.add(
        Op::api(
            Method::POST,
            "/api/cellstays",
            Access::Action(Action::CellStayWrite),
            "precise",
            "运营商上报手机信令驻留（号码、基站位置、起止时间），用于时空伴随研判",
        )
        .request::<CellStayBatch>()
        .response::<CheckinReport>(),
        post(stays),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/cellstays/ndjson",
            Access::Action(Action::CellStayWrite),
            "precise",
            "运营商批量上报手机信令驻留（NDJSON，每行一条）",
        )
        .response::<CheckinReport>(),
        post(stays_ndjson),
    )
}
