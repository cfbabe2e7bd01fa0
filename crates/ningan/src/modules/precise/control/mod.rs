//! Control (管控): control zones with their levels and history, smart gates deciding from
//! signed passes, the registry of who may pass, and the follow-up, zone and pass pages.

pub mod gates;
pub mod pages;
pub mod registry;
pub mod zones;

use crate::http::api::Api;

pub fn routes(api: Api) -> Api {
    let parts: [fn(Api) -> Api; 3] = [gates::routes, zones::routes, pages::routes];
    parts.into_iter().fold(api, |api, routes| routes(api))
}
