//! Quarantine (集中隔离): sites and rooms, stays under a regime with health reports, end
//! dates moved with a reason, and release when the regime's rule allows it (`api.rs`); the
//! quarantine pages (`pages.rs`).

pub mod api;
pub mod pages;

use crate::http::api::Api;

pub fn routes(api: Api) -> Api {
    pages::routes(api::routes(api))
}
