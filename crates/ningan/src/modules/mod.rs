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

use crate::app::AppState;
use crate::http::api::Api;

/// What a module contributes to the server, declared once. [`ALL`] is the only list of
/// modules: the route table, the background work and the start-up all walk it.
pub struct Module {
    pub name: &'static str,
    /// Adds the module's API routes and pages to the route table.
    pub routes: fn(Api) -> Api,
    /// Starts what runs beside the requests while the server does (workers, housekeeping
    /// loops). Called once per server start, after the state is built.
    pub start: fn(&AppState),
}

fn nothing(_: &AppState) {}

/// Every module, in the order their routes are added and their work starts.
pub const ALL: &[Module] = &[
    Module { name: "system", routes: system::routes, start: system::start },
    Module { name: "auth", routes: auth::routes, start: nothing },
    Module { name: "org_units", routes: org_units::routes, start: nothing },
    Module { name: "accounts", routes: accounts::routes, start: nothing },
    Module { name: "residents", routes: residents::routes, start: nothing },
    Module { name: "tokens", routes: tokens::routes, start: nothing },
    Module { name: "cockpit", routes: cockpit::routes, start: cockpit::start },
    Module { name: "precise", routes: precise::routes, start: precise::start },
    Module { name: "fraud", routes: fraud::routes, start: fraud::start },
    Module { name: "services", routes: services::routes, start: services::start },
    Module { name: "audit", routes: audit::routes, start: nothing },
];

/// Every route of the server: the static assets, then each module's.
pub fn api() -> Api {
    ALL.iter().fold(crate::web::assets::routes(Api::default()), |api, m| (m.routes)(api))
}

/// Starts every module's background work.
pub fn start_all(state: &AppState) {
    for m in ALL {
        (m.start)(state);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn module_names_are_unique_and_match_their_folders() {
        let mut names: Vec<&str> = super::ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), super::ALL.len());
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/modules");
        for n in names {
            assert!(dir.join(n).is_dir(), "module {n} has no folder src/modules/{n}");
        }
    }
}
