//! Precise control (精密智控): venues people check in to with the venue code, the check-in
//! stream into the tracing engine, epidemiological cases and their investigation, contacts as
//! follow-up tasks, control zones, and smart gates that decide from signed passes.

pub mod arrivals;
mod cases;
pub mod checkin_import;
mod checkins;
pub mod control_pages;
pub mod demo;
pub mod followups;
pub mod gates;
mod housekeeping;
pub mod import;
pub mod notices;
pub mod pages;
pub mod panel;
pub mod quarantine;
pub mod quarantine_pages;
pub mod registry;
pub mod stream;
pub mod texts;
pub mod tracer;
mod venues;
pub mod zones;

use chrono::DateTime;
use ningan_trace::Time;
use serde::Deserialize;

use crate::http::api::Api;
use crate::http::error::ApiError;
pub use cases::{
    CaseDto, ContactDto, InvestigationDto, NewCaseRequest, PlaceDto, RuleDto, contact_page, exposure_places, rule_dto,
    run_investigation, status_zh, validate_case,
};
pub use checkins::{CheckinBatch, CheckinRejection, CheckinReport, CheckinRequest, MAX_BATCH, ingest_checkins};
use tracer::TraceError;
pub use venues::{NewVenueRequest, VenueDto, create_venue, validate_venue};

pub use housekeeping::start;

pub fn routes(api: Api) -> Api {
    // Each capability declares its own routes beside its handlers.
    let parts: [fn(Api) -> Api; 13] = [
        venues::routes,
        checkins::routes,
        cases::routes,
        followups::routes,
        gates::routes,
        zones::routes,
        pages::routes,
        control_pages::routes,
        arrivals::routes,
        import::routes,
        notices::routes,
        quarantine::routes,
        quarantine_pages::routes,
    ];
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
