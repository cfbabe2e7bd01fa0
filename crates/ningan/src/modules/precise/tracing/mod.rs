//! Tracing (流调): venues and their codes, check-ins (API, NATS stream, bulk import) and
//! carriers' cell stays into the tracing engine, cases and their investigation (close,
//! secondary and companion contacts), contacts as follow-up tasks, exposure notices to the
//! public, and the case and venue pages.

pub mod cases;
pub mod cellstays;
pub mod checkin_import;
pub mod checkins;
pub mod followups;
pub mod handover;
pub mod import;
pub mod notices;
pub mod pages;
pub mod stream;
pub mod tracer;
pub mod trajectory;
pub mod venues;
pub mod visitor_followups;
pub mod visitors;

use crate::http::api::Api;

/// The tracing capability's own tables, after the store's precise-control tables.
pub const MIGRATIONS: &[ningan_store::Migration] = &[
    trajectory::MIGRATION,
    cellstays::MIGRATION,
    visitors::MIGRATION,
    handover::MIGRATION,
    visitor_followups::MIGRATION,
];

pub fn routes(api: Api) -> Api {
    let parts: [fn(Api) -> Api; 12] = [
        venues::routes,
        checkins::routes,
        cellstays::routes,
        cases::routes,
        followups::routes,
        import::routes,
        notices::routes,
        pages::routes,
        trajectory::routes,
        visitors::routes,
        handover::routes,
        visitor_followups::routes,
    ];
    parts.into_iter().fold(api, |api, routes| routes(api))
}
