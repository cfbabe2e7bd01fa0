//! Integrated command's tables. Versions continue the global sequence (see
//! `ningan_store::all_migrations`, which refuses two migrations claiming one version).

use ningan_store::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 25,
        name: "integrated command: 110 incidents with every interval, their history and links",
        // One column per stage's time rather than a row per interval: the figures read them
        // side by side (answer and arrival times per district) without a pivot.
        common: r#"
CREATE TABLE cmd_incidents (
    id {id},
    no TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    stage TEXT NOT NULL,
    caller_phone TEXT NOT NULL,
    address TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    district BIGINT NOT NULL,
    urban BIGINT NOT NULL,
    narrative TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    received_at BIGINT NOT NULL,
    answered_at BIGINT,
    dispatched_at BIGINT,
    en_route_at BIGINT,
    on_scene_at BIGINT,
    cleared_at BIGINT,
    cancelled_at BIGINT,
    taken_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cmd_incidents_scope ON cmd_incidents (unit_path, stage, id);
CREATE INDEX cmd_incidents_received ON cmd_incidents (received_at);
CREATE TABLE cmd_incident_events (
    id {id},
    incident_id BIGINT NOT NULL REFERENCES cmd_incidents(id),
    step TEXT NOT NULL,
    from_stage TEXT NOT NULL,
    to_stage TEXT NOT NULL,
    note TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX cmd_incident_events_incident ON cmd_incident_events (incident_id, id);
CREATE TABLE cmd_incident_links (
    a BIGINT NOT NULL REFERENCES cmd_incidents(id),
    b BIGINT NOT NULL REFERENCES cmd_incidents(id),
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (a, b)
);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 26,
        name: "integrated command: units, their last positions and bound device tokens",
        common: r#"
CREATE TABLE cmd_units (
    id {id},
    callsign TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    crew BIGINT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    status TEXT NOT NULL,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    position_at BIGINT,
    incident_id BIGINT REFERENCES cmd_incidents(id),
    device_token_id BIGINT REFERENCES api_tokens(id),
    updated_at BIGINT NOT NULL
);
CREATE INDEX cmd_units_scope ON cmd_units (unit_path, status);
CREATE INDEX cmd_units_incident ON cmd_units (incident_id);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 27,
        name: "integrated command: duty shifts of officers at their stations",
        common: r#"
CREATE TABLE cmd_shifts (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    post TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX cmd_shifts_scope ON cmd_shifts (unit_path, starts_at);
CREATE INDEX cmd_shifts_user ON cmd_shifts (user_id, starts_at);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 28,
        name: "integrated command: mobilisation of off-duty officers, with their answers",
        common: r#"
CREATE TABLE cmd_mobilisations (
    id {id},
    title TEXT NOT NULL,
    post TEXT NOT NULL,
    reason TEXT NOT NULL,
    needed BIGINT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX cmd_mobilisations_scope ON cmd_mobilisations (unit_path, id);
CREATE TABLE cmd_mobilised (
    mobilisation_id BIGINT NOT NULL REFERENCES cmd_mobilisations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    station_id BIGINT NOT NULL REFERENCES org_units(id),
    answer TEXT NOT NULL,
    answered_at BIGINT,
    note TEXT NOT NULL,
    PRIMARY KEY (mobilisation_id, user_id)
);
CREATE INDEX cmd_mobilised_user ON cmd_mobilised (user_id, answer);
"#,
        sqlite: "",
        postgres: "",
    },
];
