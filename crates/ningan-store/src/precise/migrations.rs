//! The precise module's migrations: its tables, in the order they were added. Versions are
//! global across modules (a table may reference another module's); `migrate::MIGRATIONS`
//! gathers every module's and applies them in version order.

use crate::migrate::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 3,
        name: "precise control: venues with venue codes, epidemiological cases",
        common: r#"
CREATE TABLE venues (
    id {id},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX venues_scope ON venues (unit_path, id);
CREATE INDEX venues_name ON venues (name);
CREATE TABLE epi_cases (
    id {id},
    resident_id BIGINT NOT NULL UNIQUE REFERENCES residents(id),
    status TEXT NOT NULL,
    onset_at BIGINT NOT NULL,
    note TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX epi_cases_scope ON epi_cases (unit_path, id);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 4,
        name: "precise control: contact follow-ups, gates, control zones",
        common: r#"
CREATE TABLE epi_contacts (
    id {id},
    case_id BIGINT NOT NULL REFERENCES epi_cases(id),
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    tier TEXT NOT NULL,
    via_resident_id BIGINT,
    status TEXT NOT NULL,
    overlap_s BIGINT NOT NULL,
    first_exposure BIGINT NOT NULL,
    last_exposure BIGINT NOT NULL,
    note TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (case_id, resident_id)
);
CREATE INDEX epi_contacts_scope ON epi_contacts (unit_path, id);
CREATE INDEX epi_contacts_resident ON epi_contacts (resident_id);
CREATE TABLE gates (
    id {id},
    compound_id BIGINT NOT NULL REFERENCES compounds(id),
    name TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX gates_scope ON gates (unit_path, id);
CREATE TABLE zones (
    id {id},
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    geometry TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    starts_at BIGINT NOT NULL,
    planned_end BIGINT,
    lifted_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX zones_scope ON zones (unit_path, id);
CREATE TABLE zone_history (
    id {id},
    zone_id BIGINT NOT NULL REFERENCES zones(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    change TEXT NOT NULL
);
CREATE INDEX zone_history_zone ON zone_history (zone_id, id);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 5,
        name: "precise control: published exposure places",
        common: r#"
CREATE TABLE exposure_notices (
    id {id},
    case_id BIGINT NOT NULL REFERENCES epi_cases(id),
    venue_id BIGINT NOT NULL REFERENCES venues(id),
    venue_name TEXT NOT NULL,
    address TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    from_ms BIGINT NOT NULL,
    to_ms BIGINT NOT NULL,
    published_at BIGINT NOT NULL,
    withdrawn_at BIGINT,
    UNIQUE (case_id, venue_id, from_ms)
);
CREATE INDEX exposure_notices_published ON exposure_notices (published_at);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 6,
        name: "isolation: quarantine sites, rooms, stays, end-date changes, health reports",
        common: r#"
CREATE TABLE quarantine_sites (
    id {id},
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX quarantine_sites_scope ON quarantine_sites (unit_path, id);
CREATE TABLE quarantine_rooms (
    id {id},
    site_id BIGINT NOT NULL REFERENCES quarantine_sites(id),
    room_no TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    UNIQUE (site_id, room_no)
);
CREATE TABLE quarantines (
    id {id},
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    followup_id BIGINT REFERENCES epi_contacts(id),
    site_id BIGINT REFERENCES quarantine_sites(id),
    room_id BIGINT REFERENCES quarantine_rooms(id),
    regime TEXT NOT NULL,
    last_exposure BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    monitor_end_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    unit_path {path} NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX quarantines_scope ON quarantines (unit_path, status, id);
CREATE INDEX quarantines_room ON quarantines (room_id, status);
CREATE INDEX quarantines_resident ON quarantines (resident_id, status);
CREATE TABLE quarantine_end_changes (
    id {id},
    quarantine_id BIGINT NOT NULL REFERENCES quarantines(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    old_end BIGINT NOT NULL,
    new_end BIGINT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE health_reports (
    id {id},
    quarantine_id BIGINT NOT NULL REFERENCES quarantines(id),
    at BIGINT NOT NULL,
    temperature DOUBLE PRECISION,
    test_result TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX health_reports_stay ON health_reports (quarantine_id, at);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 7,
        name: "inbound travellers: risk areas, arrivals",
        common: r#"
CREATE TABLE risk_areas (
    id {id},
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE arrivals (
    id {id},
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    phone TEXT,
    origin TEXT NOT NULL,
    arrived_at BIGINT NOT NULL,
    risk TEXT NOT NULL,
    risk_area TEXT,
    resident_id BIGINT REFERENCES residents(id),
    status TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (id_number, arrived_at)
);
CREATE INDEX arrivals_scope ON arrivals (unit_path, risk, id);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 8,
        name: "follow-up lists at a million contacts: indexes by status and by case",
        common: r#"
CREATE INDEX epi_contacts_status ON epi_contacts (status, unit_path, id);
CREATE INDEX epi_contacts_case ON epi_contacts (case_id, unit_path, id);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 16,
        name: "precise control's tables take the names the code uses: cases, followups",
        common: r#"
ALTER TABLE epi_cases RENAME TO cases;
ALTER TABLE epi_contacts RENAME TO followups;
DROP INDEX epi_cases_scope;
DROP INDEX epi_contacts_scope;
DROP INDEX epi_contacts_resident;
DROP INDEX epi_contacts_status;
DROP INDEX epi_contacts_case;
CREATE INDEX cases_scope ON cases (unit_path, id);
CREATE INDEX followups_scope ON followups (unit_path, id);
CREATE INDEX followups_resident ON followups (resident_id);
CREATE INDEX followups_status ON followups (status, unit_path, id);
CREATE INDEX followups_case ON followups (case_id, unit_path, id);
"#,
        sqlite: "",
        postgres: "",
    },
];
