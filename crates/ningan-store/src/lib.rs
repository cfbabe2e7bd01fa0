//! Storage of ningan: one seam over SQLite (embedded default) and PostgreSQL (by URL), the
//! migrations both run, repositories whose queries are always scoped by org unit, and the
//! append-only hash-chained audit log. No HTTP here; driver types stay inside this crate.

mod arrivals;
mod audit;
mod changes;
mod compounds;
mod crosscity;
mod db;
mod epi_cases;
mod epi_contacts;
mod error;
mod exchange;
mod fraud;
mod fraud_board;
mod gates;
mod grants;
mod idempotency;
mod migrate;
mod notices;
mod org_units;
mod outbox;
mod page;
mod quarantine;
mod query;
mod residents;
mod scope;
mod services;
mod sessions;
mod stats;
mod tokens;
mod users;
mod venues;
mod zones;

pub use arrivals::{ARRIVAL_STATUSES, Arrival, NewArrival, RiskArea};
pub use audit::{Actor, AuditEntry, AuditFilter, AuditRecord, ChainReport, NewAudit};
pub use changes::{Area, Changes, area_of};
pub use compounds::{Compound, NewCompound};
pub use crosscity::{Forwarded, NewForwarded};
pub use db::{Db, Dialect, Location, Write, redact_url};
pub use epi_cases::{CASE_STATUSES, EpiCase, NewEpiCase};
pub use epi_contacts::{
    ConfirmReport, FOLLOWUP_COUNT_CAP, FOLLOWUP_STATUSES, Followup, FoundContact, followup_transition_allowed,
};
pub use error::StoreError;
pub use exchange::{Agency, AppFact, FACT_STATUSES, MANUAL_DEADLINE_MS, NewAgency, NewFact, fact_status_zh};
pub use fraud::{
    FRAUD_OUTCOMES, LoggedSignal, NewSignal, NewTask, NewWatchEntry, Subject, Task, TaskOutcome, TaskQuery, WatchEntry,
    fraud_outcome_zh,
};
pub use fraud_board::{
    FraudCase, FraudFigures, Lecture, MonthCount, NewFraudCase, NewLecture, NewReport, Report, SupervisionBoard,
    UnitRank,
};
pub use gates::Gate;
pub use grants::{GRANT_STATUSES, Grant, GrantSubject};
pub use idempotency::{IdempotencyOutcome, StoredResponse};
pub use migrate::MIGRATIONS;
pub use notices::{NewNotice, Notice};
pub use org_units::{NewOrgUnit, OrgUnit, UnitKind};
pub use outbox::{DELIVERY_STATUSES, Delivery, IdentityChange, delivery_status_zh};
pub use page::{Page, PageRequest};
pub use quarantine::{EndChange, HealthReport, NewSite, NewStay, SiteBoard, Stay};
pub use residents::{
    BulkResident, NewResident, Resident, ResidentLabel, ResidentQuery, ResidentSort, is_identifier_search,
};
pub use scope::Scope;
pub use services::{
    APPLICATION_STATUSES, AccessEntry, AccessFlag, Application, ApplicationEvent, ApplicationQuery, Decision,
    NewApplication, NewServiceItem, ServiceFact, ServiceItem, StationRating, application_status_zh,
};
pub use sessions::Session;
pub use stats::{PopulationStats, PreciseStats, ServiceStats};
pub use tokens::{ApiToken, NewApiToken};
pub use users::{NewUser, User, valid_username};
pub use venues::{NewVenue, Venue};
pub use zones::{NewZone, Zone, ZoneChange};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
