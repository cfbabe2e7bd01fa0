//! One folder per module, each with the same shape: `mod.rs` declares its routes in the
//! route table, handlers turn requests into calls on storage and services, DTOs define what
//! the API shows. Storage for each module lives in `ningan-store`, templates under
//! `templates/<module>/`.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod cockpit;
pub mod fraud;
pub mod org_units;
pub mod precise;
pub mod residents;
pub mod services;
pub mod system;
pub mod tokens;

use crate::http::api::Api;

/// Every route of the server.
pub fn api() -> Api {
    let api = Api::default();
    let api = system::routes(api);
    let api = crate::web::assets::routes(api);
    let api = auth::routes(api);
    let api = org_units::routes(api);
    let api = accounts::routes(api);
    let api = residents::routes(api);
    let api = tokens::routes(api);
    let api = cockpit::routes(api);
    let api = precise::routes(api);
    let api = fraud::routes(api);
    let api = services::routes(api);
    audit::routes(api)
}
