//! One folder per module, each with the same shape: `mod.rs` declares its routes in the
//! route table, handlers turn requests into calls on storage and services, DTOs define what
//! the API shows. Storage for each module lives in `ningan-store`, templates under
//! `templates/<module>/`.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod cockpit;
pub mod command;
pub mod emergency;
pub mod enterprise;
pub mod evaluation;
pub mod fraud;
pub mod investigation;
pub mod life;
pub mod opinion;
pub mod org_units;
pub mod precise;
pub mod residents;
pub mod security;
pub mod services;
pub mod system;
pub mod tokens;

use ningan_core::Action;

use crate::app::AppState;
use crate::config::Config;
use crate::http::api::Api;
use crate::web::MenuItem;

/// What a module contributes to the server, declared once. [`ALL`] is the only list of
/// modules: the route table, the background work and the start-up all walk it.
pub struct Module {
    pub name: &'static str,
    /// Adds the module's API routes and pages to the route table.
    pub routes: fn(Api) -> Api,
    /// Starts what runs beside the requests while the server does (workers, housekeeping
    /// loops). Called once per server start, after the state is built.
    pub start: fn(&AppState),
    /// Its share of the city cockpit, in the order shown.
    pub panels: &'static [cockpit::Panel],
    /// Its entries in the workbench menu (shown to roles holding the entry's action).
    pub menu: &'static [MenuItem],
    /// Its UI texts, looked up by `Tr::t`.
    pub texts: &'static [crate::web::i18n::Text],
    /// Its part of the demo city, generated in the order of [`ALL`].
    pub demo: Option<crate::demo::DemoPart>,
    /// The migrations of storage kept in the module's own folder (`<module>/store/`);
    /// modules whose storage is in `ningan-store` declare theirs there.
    pub migrations: &'static [ningan_store::Migration],
    /// Opens the module's own state (an in-memory index, a client), kept in
    /// [`AppState::modules`] and reached by its handlers through `FromRef`, so a new module
    /// adds no field to `AppState`.
    pub state: Option<OpenState>,
    /// Its configuration section under `[modules.<name>]`, checked when the configuration
    /// loads and read with `Config::module`.
    pub config: Option<crate::config::Section>,
}

/// How a module opens its own state.
pub type OpenState = fn(&Config) -> Result<ModuleState, StateError>;
/// A module's own state, as [`States`] holds it.
pub type ModuleState = std::sync::Arc<dyn std::any::Any + Send + Sync>;
/// Why a module's state could not open.
pub type StateError = Box<dyn std::error::Error + Send + Sync>;

/// Every module's own state, opened once per server.
#[derive(Default)]
pub struct States(Vec<ModuleState>);

impl States {
    pub fn open(config: &Config) -> Result<States, crate::app::StartError> {
        let mut states = Vec::new();
        for m in ALL {
            if let Some(open) = m.state {
                states.push(open(config).map_err(|source| crate::app::StartError::Module { module: m.name, source })?);
            }
        }
        Ok(States(states))
    }

    /// The state of type `T`, if a module declared one.
    pub fn get<T: std::any::Any + Send + Sync>(&self) -> Option<std::sync::Arc<T>> {
        self.0.iter().find_map(|s| s.clone().downcast::<T>().ok())
    }
}

/// The migrations every module brings from its own folder, for [`ningan_store::Db::migrate_with`].
pub fn migrations() -> Vec<&'static [ningan_store::Migration]> {
    ALL.iter().map(|m| m.migrations).collect()
}

fn nothing(_: &AppState) {}

/// Every module. The order is the menu's, the cockpit's and the demo city's.
pub const ALL: &[Module] = &[
    Module {
        name: "system",
        routes: system::routes,
        start: system::start,
        panels: &[],
        menu: &[MenuItem { href: "/", key: "nav.home", action: None }],
        texts: &[],
        demo: None,
        migrations: &[],
        state: None,
        config: None,
    },
    Module {
        name: "residents",
        routes: residents::routes,
        start: nothing,
        panels: &[residents::panel::PANEL],
        menu: &[MenuItem { href: "/residents", key: "nav.residents", action: Some(Action::ResidentRead) }],
        texts: residents::texts::TEXTS,
        demo: Some(residents::demo::DEMO),
        migrations: &[],
        state: None,
        config: None,
    },
    Module {
        name: "precise",
        routes: precise::routes,
        start: precise::start,
        panels: &[precise::panel::PANEL],
        menu: &[
            MenuItem { href: "/precise/cases", key: "nav.cases", action: Some(Action::CaseRead) },
            MenuItem { href: "/precise/followups", key: "nav.followups", action: Some(Action::CaseRead) },
            MenuItem { href: "/precise/zones", key: "nav.zones", action: Some(Action::CaseRead) },
            MenuItem { href: "/precise/quarantine", key: "nav.quarantine", action: Some(Action::CaseRead) },
            MenuItem { href: "/precise/arrivals", key: "nav.arrivals", action: Some(Action::CaseRead) },
            MenuItem { href: "/precise/gates", key: "nav.gates", action: Some(Action::VenueRead) },
            MenuItem { href: "/precise/venues", key: "nav.venues", action: Some(Action::VenueRead) },
            MenuItem { href: "/precise/visitors", key: "nav.visitors", action: Some(Action::ResidentRead) },
            MenuItem { href: "/precise/handovers", key: "nav.handovers", action: Some(Action::CaseRead) },
        ],
        texts: precise::texts::TEXTS,
        demo: Some(precise::demo::DEMO),
        migrations: precise::tracing::MIGRATIONS,
        state: None,
        config: None,
    },
    Module {
        name: "services",
        routes: services::routes,
        start: services::start,
        panels: &[services::panel::PANEL],
        menu: &[
            MenuItem { href: "/services/applications", key: "nav.applications", action: Some(Action::ApplicationWork) },
            MenuItem { href: "/services/catalogue", key: "nav.catalogue", action: Some(Action::ServiceManage) },
            MenuItem { href: "/services/deliveries", key: "nav.deliveries", action: Some(Action::ServiceManage) },
            MenuItem { href: "/audit/questions", key: "nav.questions", action: Some(Action::AuditRead) },
        ],
        texts: services::texts::TEXTS,
        demo: Some(services::demo::DEMO),
        migrations: &[],
        state: None,
        config: None,
    },
    Module {
        name: "fraud",
        routes: fraud::routes,
        start: fraud::start,
        panels: &[fraud::panel::PANEL],
        menu: &[
            MenuItem { href: "/fraud/tasks", key: "nav.fraud", action: Some(Action::FraudRead) },
            MenuItem { href: "/fraud/board", key: "nav.fraud_board", action: Some(Action::FraudRead) },
            MenuItem { href: "/fraud/rules", key: "nav.fraud_rules", action: Some(Action::FraudManage) },
        ],
        texts: fraud::texts::TEXTS,
        demo: Some(fraud::demo::DEMO),
        migrations: &[],
        state: None,
        config: None,
    },
    Module {
        name: "org_units",
        routes: org_units::routes,
        start: nothing,
        panels: &[],
        menu: &[MenuItem { href: "/units", key: "nav.units", action: Some(Action::OrgUnitRead) }],
        texts: org_units::texts::TEXTS,
        demo: None,
        migrations: &[],
        state: None,
        config: None,
    },
    Module {
        name: "accounts",
        routes: accounts::routes,
        start: nothing,
        panels: &[],
        menu: &[MenuItem { href: "/accounts", key: "nav.accounts", action: Some(Action::UserRead) }],
        texts: accounts::texts::TEXTS,
        demo: None,
        migrations: &[],
        state: None,
        config: None,
    },
    Module {
        name: "enterprise",
        routes: enterprise::routes,
        start: enterprise::start,
        panels: &[enterprise::panel::PANEL],
        menu: &[
            MenuItem { href: "/enterprises", key: "nav.enterprises", action: Some(Action::EnterpriseRead) },
            MenuItem {
                href: "/enterprises/requests",
                key: "nav.enterprise_requests",
                action: Some(Action::EnterpriseRead),
            },
            MenuItem { href: "/enterprises/notices", key: "enterprise.notices", action: Some(Action::EnterpriseRead) },
        ],
        texts: enterprise::texts::TEXTS,
        demo: Some(enterprise::demo::DEMO),
        migrations: enterprise::MIGRATIONS,
        state: None,
        config: None,
    },
    Module {
        name: "life",
        routes: life::routes,
        start: life::start,
        panels: &[life::panel::PANEL],
        menu: &[
            MenuItem { href: "/life", key: "nav.life", action: Some(Action::LifeRead) },
            MenuItem { href: "/life/points", key: "nav.life_points", action: Some(Action::LifeRead) },
            MenuItem { href: "/life/helmets", key: "nav.life_helmets", action: Some(Action::LifeRead) },
            MenuItem { href: "/life/deaths", key: "nav.life_deaths", action: Some(Action::LifeRead) },
        ],
        texts: life::texts::TEXTS,
        demo: Some(life::demo::DEMO),
        migrations: life::MIGRATIONS,
        state: Some(life::open_state),
        config: Some(crate::config::Section::of::<life::LifeConfig>()),
    },
    Module {
        name: "command",
        routes: command::routes,
        start: command::patrol::start,
        panels: &[command::panel::PANEL],
        menu: &[
            MenuItem { href: "/command", key: "nav.command", action: Some(Action::CommandRead) },
            MenuItem { href: "/command/incidents", key: "nav.command_incidents", action: Some(Action::CommandRead) },
            MenuItem { href: "/command/units", key: "nav.command_units", action: Some(Action::CommandRead) },
            MenuItem { href: "/command/duty", key: "nav.command_duty", action: Some(Action::CommandRead) },
            MenuItem { href: "/command/figures", key: "nav.command_figures", action: Some(Action::CommandRead) },
        ],
        texts: command::texts::TEXTS,
        demo: Some(command::demo::DEMO),
        migrations: command::MIGRATIONS,
        state: Some(command::open_state),
        config: Some(crate::config::Section::of::<command::config::CommandConfig>()),
    },
    Module {
        name: "opinion",
        routes: opinion::routes,
        start: opinion::start,
        panels: &[opinion::panel::PANEL],
        menu: &[
            MenuItem { href: "/opinion", key: "nav.opinion", action: Some(Action::OpinionManage) },
            MenuItem { href: "/opinion/alerts", key: "nav.opinion_alerts", action: Some(Action::OpinionRead) },
        ],
        texts: opinion::texts::TEXTS,
        demo: Some(opinion::demo::DEMO),
        migrations: opinion::MIGRATIONS,
        state: Some(opinion::open_state),
        config: None,
    },
    Module {
        name: "emergency",
        routes: emergency::routes,
        start: emergency::start,
        panels: &[emergency::panel::PANEL],
        menu: &[
            MenuItem { href: "/emergency", key: "nav.emergency", action: Some(Action::EmergencyRead) },
            MenuItem {
                href: "/emergency/shelters",
                key: "nav.emergency_shelters",
                action: Some(Action::EmergencyRead),
            },
        ],
        texts: emergency::texts::TEXTS,
        demo: Some(emergency::demo::DEMO),
        migrations: emergency::MIGRATIONS,
        state: Some(emergency::open_state),
        config: Some(crate::config::Section::of::<emergency::EmergencyConfig>()),
    },
    Module {
        name: "security",
        routes: security::routes,
        start: nothing,
        panels: &[security::panel::PANEL],
        menu: &[MenuItem { href: "/security", key: "nav.security", action: Some(Action::SecurityRead) }],
        texts: security::texts::TEXTS,
        demo: Some(security::demo::DEMO),
        migrations: security::MIGRATIONS,
        state: None,
        config: None,
    },
    Module {
        name: "investigation",
        routes: investigation::routes,
        start: investigation::start,
        panels: &[investigation::panel::PANEL],
        menu: &[MenuItem { href: "/investigation", key: "nav.investigation", action: Some(Action::InvestigationRead) }],
        texts: investigation::texts::TEXTS,
        demo: Some(investigation::demo::DEMO),
        migrations: investigation::MIGRATIONS,
        state: Some(investigation::open_state),
        config: None,
    },
    Module {
        name: "evaluation",
        routes: evaluation::routes,
        start: nothing,
        panels: &[evaluation::panel::PANEL],
        menu: &[
            MenuItem { href: "/evaluation", key: "nav.evaluation", action: Some(Action::EvaluationRead) },
            MenuItem { href: "/evaluation/reports", key: "nav.reports", action: Some(Action::EvaluationRead) },
        ],
        texts: evaluation::texts::TEXTS,
        demo: Some(evaluation::demo::DEMO),
        migrations: evaluation::MIGRATIONS,
        state: Some(evaluation::open_state),
        config: Some(crate::config::Section::of::<evaluation::report::EvaluationConfig>()),
    },
    Module {
        name: "audit",
        routes: audit::routes,
        start: nothing,
        panels: &[],
        menu: &[MenuItem { href: "/audit", key: "nav.audit", action: Some(Action::AuditRead) }],
        texts: audit::texts::TEXTS,
        demo: None,
        migrations: &[],
        state: None,
        config: None,
    },
    Module {
        name: "tokens",
        routes: tokens::routes,
        start: nothing,
        panels: &[],
        menu: &[MenuItem { href: "/tokens", key: "nav.tokens", action: Some(Action::TokenManage) }],
        texts: tokens::texts::TEXTS,
        demo: None,
        migrations: &[],
        state: None,
        config: None,
    },
    Module {
        name: "auth",
        routes: auth::routes,
        start: nothing,
        panels: &[],
        menu: &[MenuItem { href: "/account/password", key: "nav.password", action: None }],
        texts: auth::texts::TEXTS,
        demo: None,
        migrations: &[],
        state: None,
        config: None,
    },
    Module {
        name: "cockpit",
        routes: cockpit::routes,
        start: cockpit::start,
        panels: &[],
        menu: &[],
        texts: cockpit::texts::TEXTS,
        demo: None,
        migrations: &[],
        state: None,
        config: None,
    },
];

/// Every route of the server: the static assets, then each module's.
pub fn api() -> Api {
    ALL.iter().fold(crate::web::lang::routes(crate::web::assets::routes(Api::default())), |api, m| (m.routes)(api))
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
