//! Typhoon and flood response's tables. Versions continue the global sequence (see
//! `ningan_store::all_migrations`, which refuses two migrations claiming one version).

use ningan_store::Migration;

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 30,
    name: "typhoon and flood response: events, CAP warnings, needs, evacuation lists, shelters and stays, road closures, rescues",
    // A ring and a closure's points are JSON arrays of [lon, lat]. A stay is open until
    // `left_at`: at most one open stay per person and event.
    common: r#"
CREATE TABLE em_events (
    id {id},
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    closed_at BIGINT,
    created_by TEXT NOT NULL
);
CREATE TABLE em_warnings (
    id {id},
    event_id BIGINT NOT NULL REFERENCES em_events(id),
    identifier TEXT NOT NULL UNIQUE,
    level TEXT NOT NULL,
    area_name TEXT NOT NULL,
    ring TEXT NOT NULL,
    evacuate BIGINT NOT NULL,
    headline TEXT NOT NULL,
    instruction TEXT NOT NULL,
    cap_xml TEXT NOT NULL,
    households BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    sent_by TEXT NOT NULL
);
CREATE INDEX em_warnings_event ON em_warnings (event_id, id);
CREATE TABLE em_needs (
    id {id},
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    need TEXT NOT NULL,
    basis TEXT NOT NULL,
    source TEXT NOT NULL,
    unit_path {path} NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    UNIQUE (resident_id, need)
);
CREATE INDEX em_needs_scope ON em_needs (unit_path, id);
CREATE TABLE em_households (
    id {id},
    event_id BIGINT NOT NULL REFERENCES em_events(id),
    warning_id BIGINT NOT NULL REFERENCES em_warnings(id),
    household_no TEXT NOT NULL,
    compound_id BIGINT NOT NULL REFERENCES compounds(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    members BIGINT NOT NULL,
    priority BIGINT NOT NULL,
    state TEXT NOT NULL,
    shelter_id BIGINT,
    note TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT,
    UNIQUE (event_id, household_no)
);
CREATE INDEX em_households_scope ON em_households (event_id, unit_path, priority, id);
CREATE TABLE em_shelters (
    id {id},
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    capacity BIGINT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX em_shelters_scope ON em_shelters (unit_path, id);
CREATE TABLE em_stays (
    id {id},
    event_id BIGINT NOT NULL REFERENCES em_events(id),
    shelter_id BIGINT NOT NULL REFERENCES em_shelters(id),
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    household_id BIGINT REFERENCES em_households(id),
    method TEXT NOT NULL,
    arrived_at BIGINT NOT NULL,
    left_at BIGINT,
    recorded_by TEXT NOT NULL
);
CREATE UNIQUE INDEX em_stays_open ON em_stays (event_id, resident_id) WHERE left_at IS NULL;
CREATE INDEX em_stays_shelter ON em_stays (event_id, shelter_id, left_at);
CREATE TABLE em_closures (
    id {id},
    event_id BIGINT NOT NULL REFERENCES em_events(id),
    name TEXT NOT NULL,
    reason TEXT NOT NULL,
    points TEXT NOT NULL,
    arcs TEXT NOT NULL,
    closed_at BIGINT NOT NULL,
    closed_by TEXT NOT NULL,
    reopened_at BIGINT
);
CREATE INDEX em_closures_event ON em_closures (event_id, reopened_at);
CREATE TABLE em_rescues (
    event_id BIGINT NOT NULL REFERENCES em_events(id),
    incident_id BIGINT NOT NULL REFERENCES cmd_incidents(id),
    PRIMARY KEY (event_id, incident_id)
);
"#,
    sqlite: "",
    postgres: "",
}];
