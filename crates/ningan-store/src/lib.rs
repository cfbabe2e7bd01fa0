//! Storage of ningan: one seam over SQLite (embedded default) and PostgreSQL (by URL), the
//! migrations both run, repositories whose queries are always scoped by org unit, and the
//! append-only hash-chained audit log. No HTTP here; driver types stay inside this crate.

// The platform: the database seam, the audit chain, scope, org units, accounts and tokens.
mod audit;
mod changes;
mod db;
mod error;
mod grants;
mod idempotency;
mod migrate;
mod org_units;
mod page;
mod query;
mod scope;
mod sessions;
pub mod sql;
mod stats;
mod tokens;
mod users;

// One folder per business module of the application, with its own migrations.
mod fraud;
mod precise;
mod residents;
mod services;

/// Each module's migrations; `migrate::MIGRATIONS` applies them with the platform's in
/// version order.
const MODULE_MIGRATIONS: &[&[Migration]] =
    &[residents::MIGRATIONS, precise::MIGRATIONS, fraud::MIGRATIONS, services::MIGRATIONS];

pub use audit::{Actor, AuditEntry, AuditFilter, AuditRecord, ChainReport, NewAudit};
pub use changes::{Area, Changes, area_of};
pub use db::{Db, Dialect, Location, Write, redact_url};
pub use error::StoreError;
pub use fraud::{
    BANK_AGENCY, BankAnswer, CASE_STAGES, FraudCase, FraudFigures, Fresh, Lecture, LoggedSignal, MonthCount,
    NewFraudCase, NewLecture, NewReport, NewSignal, NewStopPayment, NewTask, NewWatchEntry, PartitionLease, Report,
    RuleVersion, StopPayment, Subject, SupervisionBoard, Task, TaskOutcome, TaskQuery, TaskSort, UnitRank, WatchEntry,
    fraud_outcome_zh, outcome_finishes,
};
pub use grants::{GRANT_STATUSES, Grant, GrantSubject};
pub use idempotency::{IdempotencyOutcome, StoredResponse};
pub use migrate::{MIGRATIONS, Migration, all_migrations};
pub use org_units::{NewOrgUnit, OrgUnit, UnitKind};
pub use page::{MAX_PAGE_SIZE, Page, PageRequest};
pub use precise::{
    ARRIVAL_STATUSES, Arrival, CASE_STATUSES, ConfirmReport, EndChange, EpiCase, FOLLOWUP_COUNT_CAP, FOLLOWUP_STATUSES,
    Followup, FollowupQuery, FoundContact, Gate, HealthReport, NewArrival, NewEpiCase, NewNotice, NewSite, NewStay,
    NewVenue, NewZone, Notice, RiskArea, SiteBoard, Stay, Venue, Zone, ZoneChange, followup_transition_allowed,
};
pub use residents::{
    BulkResident, Compound, NewCompound, NewResident, Resident, ResidentCursor, ResidentLabel, ResidentQuery,
    ResidentSort, is_identifier_search,
};
pub use scope::Scope;
pub use services::{
    AccessEntry, AccessFlag, Agency, AppFact, Application, ApplicationEvent, ApplicationQuery, ApplicationSort,
    Decision, Delivery, ExchangeKey, Forwarded, IdentityChange, ItemVersion, MANUAL_DEADLINE_MS, NewAgency,
    NewApplication, NewFact, NewForwarded, NewServiceItem, POOR_RATING, REPLY_DAYS, ServiceFact, ServiceField,
    ServiceItem, StationRating, application_status_zh, delivery_status_zh, fact_status_zh,
};
pub use sessions::Session;
pub use stats::{PopulationStats, PreciseStats, ServiceStats};
pub use tokens::{ApiToken, NewApiToken};
pub use users::{NewUser, User, valid_username};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
