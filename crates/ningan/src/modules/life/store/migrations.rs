//! Life first's tables. Versions continue the global sequence (see
//! `ningan_store::all_migrations`, which refuses two migrations claiming one version).

use ningan_store::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 23,
        name: "life first: risk points and their rectification, photos, patrols, incidents, helmet samples, departments",
        // Photos are kept as base64 text, as enterprise attachments are: one column type on both
        // backends, and a photo is at most a megabyte.
        common: r#"
CREATE TABLE life_points (
    id {id},
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    address TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    department TEXT,
    deadline BIGINT,
    escalated_at BIGINT,
    reopened BIGINT NOT NULL,
    found_by TEXT NOT NULL,
    found_at BIGINT NOT NULL,
    closed_at BIGINT,
    updated_at BIGINT NOT NULL,
    railing_m DOUBLE PRECISION,
    signs BIGINT,
    buoys BIGINT,
    patrol TEXT,
    party_government TEXT,
    party_school TEXT,
    party_family TEXT,
    party_society TEXT
);
CREATE INDEX life_points_scope ON life_points (unit_path, state, id);
CREATE INDEX life_points_department ON life_points (department, unit_path, state, id);
CREATE INDEX life_points_deadline ON life_points (state, deadline);
CREATE TABLE life_point_events (
    id {id},
    point_id BIGINT NOT NULL REFERENCES life_points(id),
    step TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    note TEXT NOT NULL,
    measures TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX life_point_events_point ON life_point_events (point_id, id);
CREATE TABLE life_photos (
    id {id},
    point_id BIGINT NOT NULL REFERENCES life_points(id),
    event_id BIGINT REFERENCES life_point_events(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX life_photos_point ON life_photos (point_id, id);
CREATE TABLE life_patrols (
    id {id},
    point_id BIGINT NOT NULL REFERENCES life_points(id),
    at BIGINT NOT NULL,
    officer TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX life_patrols_point ON life_patrols (point_id, at);
CREATE TABLE life_incidents (
    id {id},
    kind TEXT NOT NULL,
    deaths BIGINT NOT NULL,
    injuries BIGINT NOT NULL,
    at BIGINT NOT NULL,
    place TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX life_incidents_scope ON life_incidents (unit_path, at);
CREATE TABLE life_helmet_samples (
    id {id},
    at BIGINT NOT NULL,
    place TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    road_type TEXT NOT NULL,
    drivers BIGINT NOT NULL,
    drivers_helmet BIGINT NOT NULL,
    passengers BIGINT NOT NULL,
    passengers_helmet BIGINT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX life_helmet_samples_scope ON life_helmet_samples (unit_path, at);
CREATE TABLE life_department_members (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    department TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL
);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 24,
        name: "life first: risk points by the time they changed",
        // The map index catches up with other processes' writes by what changed since it
        // last looked, every few seconds.
        common: "CREATE INDEX life_points_updated ON life_points (updated_at);",
        sqlite: "",
        postgres: "",
    },
];
