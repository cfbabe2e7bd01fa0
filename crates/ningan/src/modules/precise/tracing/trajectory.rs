//! Interview trajectories (轨迹): places and times the epidemiologist learns from the case's
//! interview where no code was scanned. A place with a venue becomes the case's presence there
//! in the tracing engine (so the contact search finds who shared it); a place without one — a
//! point on the map or an address — joins the case's exposure places as it is.

use axum::extract::State;
use axum::http::StatusCode;
use ningan_store::sql::{Row, RowExt as _, query};
use ningan_store::{Db, Migration};
use ningan_trace::Observation;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::checkins::{CheckinRequest, Persons, ingest_checkins, reason_zh};
use super::tracer::{blocking, now_s, resident_person};
use crate::app::AppState;
use crate::http::dto::ts;
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::{PreciseError, refuse};
use crate::modules::precise::parse_time;

pub const MIGRATION: Migration = Migration {
    version: 34,
    name: "precise control: interview trajectories of a case (places and times without a scan)",
    common: r#"
CREATE TABLE case_trajectories (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    venue_id BIGINT REFERENCES venues(id),
    address TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    from_ms BIGINT NOT NULL,
    to_ms BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX case_trajectories_case ON case_trajectories (case_id, from_ms);
"#,
    sqlite: "",
    postgres: "",
};

/// The longest stay one entry may cover, as for a scan.
const MAX_STAY_S: i64 = 24 * 3600;

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct TrajectoryInput {
    /// A venue's code, when the place has one: its place and name are the venue's.
    #[serde(default)]
    pub venue_code: String,
    /// Otherwise the place as told: an address, and the point picked on the map.
    #[serde(default)]
    pub address: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// RFC 3339.
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub note: String,
}

/// The page's form: every field as typed (numbers and times checked by [`add`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TrajectoryForm {
    #[serde(default)]
    pub venue_code: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub lon: String,
    #[serde(default)]
    pub lat: String,
    /// `datetime-local` values, China Standard Time.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub note: String,
}

impl TrajectoryForm {
    pub fn parsed(&self) -> TrajectoryInput {
        let number = |s: &str| s.trim().parse::<f64>().ok();
        TrajectoryInput {
            venue_code: self.venue_code.clone(),
            address: self.address.clone(),
            lon: number(&self.lon),
            lat: number(&self.lat),
            from: crate::web::page::local_time_rfc3339(&self.from),
            to: crate::web::page::local_time_rfc3339(&self.to),
            note: self.note.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TrajectoryEntry {
    pub id: i64,
    pub venue_id: Option<i64>,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub from: String,
    pub to: String,
    pub note: String,
    pub created_by: String,
}

fn entry(r: &Row) -> ningan_store::Result<TrajectoryEntry> {
    Ok(TrajectoryEntry {
        id: r.try_get("id")?,
        venue_id: r.try_get("venue_id")?,
        address: r.try_get("address")?,
        lon: r.try_get("lon")?,
        lat: r.try_get("lat")?,
        from: ts(r.try_get("from_ms")?),
        to: ts(r.try_get("to_ms")?),
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
    })
}

/// The case's interview entries, in time order.
pub async fn entries(db: &Db, case_id: i64) -> ningan_store::Result<Vec<TrajectoryEntry>> {
    let rows = query("SELECT * FROM case_trajectories WHERE case_id = $1 ORDER BY from_ms, id LIMIT 500")
        .bind(case_id)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(entry).collect()
}

/// The case's interview places without a venue, as exposure places (those with one are in
/// the engine and come back as its windows).
pub async fn interview_places(db: &Db, case_id: i64) -> ningan_store::Result<Vec<crate::modules::precise::PlaceDto>> {
    Ok(entries(db, case_id)
        .await?
        .into_iter()
        .filter(|e| e.venue_id.is_none())
        .map(|e| crate::modules::precise::PlaceDto {
            venue_id: 0,
            name: e.address,
            code: String::new(),
            kind_zh: "访谈轨迹".into(),
            lon: e.lon,
            lat: e.lat,
            from: e.from,
            to: e.to,
        })
        .collect())
}

/// Checks and records one entry for a case the caller may see; a venue's entry is also the
/// case's presence there in the tracing engine.
pub async fn add(state: &AppState, ctx: &Ctx, case_id: i64, input: &TrajectoryInput) -> ApiResult<TrajectoryEntry> {
    let mut errors = Vec::new();
    let from = parse_time(&input.from);
    let to = parse_time(&input.to);
    if from.is_none() {
        errors.push(refuse("from", Rule::Time));
    }
    if to.is_none() {
        errors.push(refuse("to", Rule::Time));
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f || i64::from(t) - i64::from(f) > MAX_STAY_S {
            errors.push(refuse("to", Rule::other("须晚于开始时间且不超过24小时", "after the start, within 24 hours")));
        } else if f > now_s() {
            errors.push(refuse("from", Rule::Future));
        }
    }
    if input.note.chars().count() > 500 {
        errors.push(refuse("note", Rule::TooLong(500)));
    }
    let code = input.venue_code.trim();
    let venue = if code.is_empty() {
        None
    } else {
        match state.db.venue_by_code(code).await {
            Ok(v) => Some(v),
            Err(ningan_store::StoreError::NotFound) => {
                errors.push(refuse("venue_code", Rule::other("场所码不存在", "no venue has this code")));
                None
            }
            Err(e) => return Err(e.into()),
        }
    };
    let (address, lon, lat) = match &venue {
        Some(v) => (v.name.clone(), v.location[0], v.location[1]),
        None if code.is_empty() => {
            let address = input.address.trim().to_string();
            if address.is_empty() || address.chars().count() > 200 {
                errors.push(refuse("address", Rule::RequiredUpTo(200)));
            }
            match (input.lon, input.lat) {
                (Some(lon), Some(lat))
                    if lon.is_finite() && lat.is_finite() && crate::geo::district_at(lon, lat).is_some() =>
                {
                    (address, lon, lat)
                }
                _ => {
                    errors.push(refuse("lon", Rule::OutsideCity));
                    (address, 0.0, 0.0)
                }
            }
        }
        None => (String::new(), 0.0, 0.0),
    };
    let mut refused = errors.into_iter();
    if let Some(mut all) = refused.next() {
        for e in refused {
            all.errors.extend(e.errors);
        }
        return Err(all);
    }
    let (Some(from), Some(to)) = (from, to) else { return Err(refuse("from", Rule::Time)) };
    let case = {
        let mut w = state.db.write().await?;
        let case = w.epi_case_open(&ctx.actor(), &ctx.scope(), case_id).await?;
        w.commit().await?;
        case
    };
    // A venue's stay must pass the engine's rules (retention, say) before anything is kept:
    // a refusal after the entry was stored would leave it half recorded.
    if let Some(v) = &venue {
        let tracer = state.precise.tracer.clone();
        let (person, venue) = (resident_person(case.resident_id)?, (v.id, v.kind.clone(), v.code.clone()));
        let rejected = blocking(&state.precise.tracer, move |t| {
            t.sync_venues(std::slice::from_ref(&venue))?;
            let space = tracer.venue_by_code(&venue.2).ok_or(super::tracer::TraceError::IdRange(venue.0))?;
            Ok(t.check(&[Observation { person, space, start: from, end: Some(to) }])?.1)
        })
        .await?;
        if let Some(r) = rejected.first() {
            return Err(refuse("from", Rule::other(reason_zh(r.reason), r.reason)));
        }
    }
    let mut w = state.db.write().await?;
    let new = NewEntry {
        case_id,
        venue_id: venue.as_ref().map(|v| v.id),
        address: &address,
        lon,
        lat,
        from_ms: i64::from(from) * 1000,
        to_ms: i64::from(to) * 1000,
        note: input.note.trim(),
    };
    let id = insert(&mut w, &ctx.actor(), &new).await?;
    w.audit(ctx.actor().audit("case.trajectory.add", "epi_case", case_id, None, None, &format!("entry {id}"))).await?;
    w.commit().await?;
    if let Some(v) = &venue {
        // The interview's stay is the case's presence at the venue, as a scan would be.
        let scan = CheckinRequest {
            resident_id: Some(case.resident_id),
            visitor_id: None,
            venue_code: v.code.clone(),
            at: ts(i64::from(from) * 1000),
            left_at: Some(ts(i64::from(to) * 1000)),
        };
        let report = ingest_checkins(state, ctx, vec![scan], Persons::ShownTheirPass).await?;
        if let Some(r) = report.rejected.first() {
            return Err(PreciseError::Field("from", Rule::other(r.reason_zh.clone(), r.reason.clone())).into());
        }
    }
    Ok(one(&state.db, id).await?)
}

struct NewEntry<'a> {
    case_id: i64,
    venue_id: Option<i64>,
    address: &'a str,
    lon: f64,
    lat: f64,
    from_ms: i64,
    to_ms: i64,
    note: &'a str,
}

async fn insert(
    w: &mut ningan_store::Write,
    actor: &ningan_store::Actor,
    n: &NewEntry<'_>,
) -> ningan_store::Result<i64> {
    Ok(query(
        "INSERT INTO case_trajectories (case_id, venue_id, address, lon, lat, from_ms, to_ms, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(n.case_id)
    .bind(n.venue_id)
    .bind(n.address)
    .bind(n.lon)
    .bind(n.lat)
    .bind(n.from_ms)
    .bind(n.to_ms)
    .bind(n.note)
    .bind(&actor.name)
    .bind(ningan_core::time::now_ms())
    .fetch_one(w.connection())
    .await?
    .try_get("id")?)
}

async fn one(db: &Db, id: i64) -> ningan_store::Result<TrajectoryEntry> {
    let rows = query("SELECT * FROM case_trajectories WHERE id = $1").bind(id).fetch_all(db.reader()).await?;
    rows.first().map(entry).transpose()?.ok_or(ningan_store::StoreError::NotFound)
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<TrajectoryEntry>>> {
    let mut w = state.db.write().await?;
    w.epi_case_open(&ctx.actor(), &ctx.scope(), id).await?;
    w.commit().await?;
    Ok(axum::Json(entries(&state.db, id).await?))
}

pub(super) async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(input): Json<TrajectoryInput>,
) -> ApiResult<(StatusCode, axum::Json<TrajectoryEntry>)> {
    Ok((StatusCode::CREATED, axum::Json(add(&state, &ctx, id, &input).await?)))
}

/// This capability's routes.
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::get;
    use ningan_core::Action;
    api.add(
        Op::api(Method::GET, "/api/cases/{id}/trajectory", Access::Action(Action::CaseRead), "precise", "病例访谈轨迹")
            .response::<Vec<TrajectoryEntry>>(),
        get(list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/cases/{id}/trajectory",
            Access::Action(Action::CaseManage),
            "precise",
            "补录访谈轨迹（有场所码的并入接触者研判）",
        )
        .request::<TrajectoryInput>()
        .response::<TrajectoryEntry>()
        .status(201),
        axum::routing::post(create),
    )
}
