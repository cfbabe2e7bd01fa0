//! Precise control (精密智控): venues people check in to with the venue code, the check-in
//! stream into the tracing engine, epidemiological cases and their investigation, contacts as
//! follow-up tasks, control zones, and smart gates that decide from signed passes. In parts:
//! `tracing/` (venues, check-ins, cases, follow-ups, notices), `control/` (zones, gates, the
//! pass registry), `quarantine/` (sites, stays, release) and `arrivals.rs` (inbound screening),
//! each with its own `routes()`.

pub mod arrivals;
pub mod control;
pub mod demo;
pub mod error;
mod housekeeping;
pub mod panel;
pub mod quarantine;
pub mod texts;
pub mod tracing;

use chrono::DateTime;
use ningan_trace::Time;
use serde::Deserialize;

use crate::http::api::Api;
use crate::http::error::ApiError;
pub use tracing::cases::{
    CaseDto, ContactDto, InvestigationDto, NewCaseRequest, PlaceDto, RuleDto, contact_page, exposure_places, rule_dto,
    run_investigation, status_zh, validate_case,
};
pub use tracing::checkins::{
    CheckinBatch, CheckinRejection, CheckinReport, CheckinRequest, MAX_BATCH, ingest_checkins,
};
use tracing::tracer::TraceError;
pub use tracing::venues::{NewVenueRequest, VenueDto, create_venue, validate_venue};

pub use housekeeping::start;

/// Precise control's share of the server state: the tracing engine, the gates' registry, the
/// batching pass writer and, when NATS is configured, the check-in stream. Handlers reach it
/// as `state.precise`, or as `State<PreciseState>` through `FromRef`.
#[derive(Clone)]
pub struct PreciseState {
    pub tracer: std::sync::Arc<tracing::tracer::Tracer>,
    /// Statuses, gates and zones for gate decisions, in memory.
    pub registry: std::sync::Arc<control::registry::Registry>,
    pub pass_recorder: std::sync::Arc<control::gates::PassRecorder>,
    /// Set by `app::start_streams` when `nats.url` is configured.
    pub checkin_stream: std::sync::Arc<std::sync::OnceLock<tracing::stream::CheckinStream>>,
    /// The key of the keyed hash that stands for carriers' numbers not in the register.
    pub phone_key: std::sync::Arc<tokio::sync::OnceCell<[u8; 32]>>,
}

impl PreciseState {
    /// Opens the tracing engine under the data directory (replaying its log).
    pub fn open(config: &crate::config::Config) -> Result<PreciseState, TraceError> {
        let tracer = std::sync::Arc::new(
            tracing::tracer::Tracer::open(
                &config.data_dir.join("trace"),
                config.trace.retention_days,
                config.trace.cell_resolution,
            )?
            .with_crowd_cap(config.trace.crowd_cap),
        );
        Ok(PreciseState {
            registry: std::sync::Arc::default(),
            checkin_stream: std::sync::Arc::default(),
            phone_key: std::sync::Arc::default(),
            pass_recorder: std::sync::Arc::new(control::gates::PassRecorder::start(tracer.clone())),
            tracer,
        })
    }
}

impl axum::extract::FromRef<crate::app::AppState> for PreciseState {
    fn from_ref(state: &crate::app::AppState) -> PreciseState {
        state.precise.clone()
    }
}

pub fn routes(api: Api) -> Api {
    // Each part declares its own routes beside its handlers.
    let parts: [fn(Api) -> Api; 4] = [tracing::routes, control::routes, quarantine::routes, arrivals::routes];
    parts.into_iter().fold(api, |api, routes| routes(api))
}

impl From<TraceError> for ApiError {
    fn from(e: TraceError) -> Self {
        ApiError::internal(e)
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct ListQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// An RFC 3339 time given in `field`, in milliseconds.
fn time_ms(field: &'static str, s: &str) -> Result<i64, error::PreciseError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| error::PreciseError::Field(field, crate::http::rule::Rule::Time))
}

fn parse_time(s: &str) -> Option<Time> {
    let t = DateTime::parse_from_rfc3339(s.trim()).ok()?.timestamp();
    Time::try_from(t).ok()
}
