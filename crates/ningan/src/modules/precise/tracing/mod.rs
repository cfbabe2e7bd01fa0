//! Tracing (流调): venues and their codes, check-ins (API, NATS stream, bulk import) into the
//! tracing engine, cases and their investigation, contacts as follow-up tasks, exposure
//! notices to the public, and the case and venue pages.

pub mod cases;
pub mod checkin_import;
pub mod checkins;
pub mod followups;
pub mod import;
pub mod notices;
pub mod pages;
pub mod stream;
pub mod tracer;
pub mod trajectory;
pub mod venues;

use crate::http::api::Api;

pub fn routes(api: Api) -> Api {
    let parts: [fn(Api) -> Api; 8] = [
        venues::routes,
        checkins::routes,
        cases::routes,
        followups::routes,
        import::routes,
        notices::routes,
        pages::routes,
        trajectory::routes,
    ];
    parts.into_iter().fold(api, |api, routes| routes(api))
}
