//! Precise control (精密智控): venues people check in to with the venue code, the check-in
//! stream into the tracing engine, epidemiological cases and their investigation, contacts as
//! follow-up tasks, control zones, and smart gates that decide from signed passes. In parts:
//! `tracing/` (venues, check-ins, cases, follow-ups, notices), `control/` (zones, gates, the
//! pass registry), `quarantine/` (sites, stays, release) and `arrivals.rs` (inbound screening),
//! each with its own `routes()`.

pub mod arrivals;
pub mod control;
pub mod demo;
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

#[derive(Debug, Deserialize)]
struct ListQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn parse_time(s: &str) -> Option<Time> {
    let t = DateTime::parse_from_rfc3339(s.trim()).ok()?.timestamp();
    Time::try_from(t).ok()
}
