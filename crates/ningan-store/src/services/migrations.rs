//! The services module's migrations: its tables, in the order they were added. Versions are
//! global across modules (a table may reference another module's); `migrate::MIGRATIONS`
//! gathers every module's and applies them in version order.

use crate::migrate::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 10,
        name: "citizen services: catalogue, applications, facts, ratings, citizen sign-in, access flags",
        common: r#"
CREATE TABLE service_facts (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE service_items (
    id {id},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    eligibility TEXT NOT NULL,
        facts TEXT NOT NULL,
    fields TEXT NOT NULL,
    time_limit_days BIGINT NOT NULL,
    citywide BIGINT NOT NULL,
    crosscity BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);
CREATE TABLE applications (
    id {id},
    no TEXT NOT NULL UNIQUE,
    item_id BIGINT NOT NULL REFERENCES service_items(id),
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    details TEXT NOT NULL,
    deadline BIGINT NOT NULL,
    decision_note TEXT,
    decided_by TEXT,
    decided_at BIGINT,
    rating BIGINT,
    rating_comment TEXT,
    rated_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX applications_scope ON applications (unit_path, status, id);
CREATE INDEX applications_resident ON applications (resident_id, id);
CREATE TABLE application_events (
    id {id},
    application_id BIGINT NOT NULL REFERENCES applications(id),
    at BIGINT NOT NULL,
    status TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX application_events_app ON application_events (application_id, id);
CREATE TABLE citizen_codes (
    resident_id BIGINT PRIMARY KEY REFERENCES residents(id),
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL
);
CREATE TABLE citizen_sessions (
    token_hash TEXT PRIMARY KEY,
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE sms_outbox (
    id {id},
    phone TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE access_flags (
    id {id},
    audit_seq BIGINT NOT NULL,
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (audit_seq, resident_id)
);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 11,
        name: "certificate-free: partner agencies, facts of applications fetched through the exchange",
        common: r#"
CREATE TABLE partner_agencies (
    id {id},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    secret TEXT NOT NULL,
    evidence TEXT NOT NULL,
    webhook_url TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE application_facts (
    id {id},
    application_id BIGINT NOT NULL REFERENCES applications(id),
    fact_code TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    value TEXT,
    verified_by TEXT,
    verified_at BIGINT,
    consent_at BIGINT NOT NULL,
    request_id TEXT NOT NULL UNIQUE,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    manual_deadline BIGINT,
    note TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    UNIQUE (application_id, fact_code)
);
CREATE INDEX application_facts_due ON application_facts (status, next_attempt_at);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 12,
        name: "identity-change joint processing: changes and their outbox of deliveries to agencies",
        common: r#"
CREATE TABLE identity_changes (
    id {id},
    change_id TEXT NOT NULL UNIQUE,
    resident_id BIGINT NOT NULL REFERENCES residents(id),
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    application_id BIGINT REFERENCES applications(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX identity_changes_resident ON identity_changes (resident_id, id);
CREATE TABLE change_deliveries (
    id {id},
    change_id TEXT NOT NULL REFERENCES identity_changes(change_id),
    agency_code TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    delivered_at BIGINT,
    acked_at BIGINT,
    updated_at BIGINT NOT NULL,
    UNIQUE (change_id, agency_code)
);
CREATE INDEX change_deliveries_due ON change_deliveries (status, next_attempt_at);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 13,
        name: "cross-city handling: applications forwarded to and received from another city",
        common: r#"
CREATE TABLE crosscity_out (
    id {id},
    no TEXT NOT NULL UNIQUE,
    peer TEXT NOT NULL,
    item_code TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    details TEXT NOT NULL,
    status TEXT NOT NULL,
    remote_no TEXT,
    note TEXT,
    last_error TEXT,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX crosscity_out_scope ON crosscity_out (unit_path, id);
CREATE TABLE crosscity_in (
    application_id BIGINT PRIMARY KEY REFERENCES applications(id),
    origin TEXT NOT NULL,
    origin_ref TEXT NOT NULL,
    origin_unit TEXT NOT NULL,
    UNIQUE (origin, origin_ref)
);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 17,
        name: "citizens' questions get the auditor's finding in its own field, which the citizen sees",
        common: r#"
ALTER TABLE access_flags ADD COLUMN finding TEXT;
ALTER TABLE access_flags ADD COLUMN resolved_at BIGINT;
CREATE INDEX access_flags_status ON access_flags (status, id);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 46,
        name: "a poor rating (1 or 2) is answered by the station within a deadline, and the citizen reads the answer",
        common: r#"
ALTER TABLE applications ADD COLUMN reply_due BIGINT;
ALTER TABLE applications ADD COLUMN reply TEXT;
ALTER TABLE applications ADD COLUMN reply_by TEXT;
ALTER TABLE applications ADD COLUMN replied_at BIGINT;
CREATE INDEX applications_reply_due ON applications (reply_due);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 48,
        name: "exchange keys (Ed25519, the bureau's and each agency's, rotatable) and the hash-chained message log",
        common: r#"
CREATE TABLE exchange_keys (
    key_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    public_key TEXT NOT NULL,
    secret_key TEXT,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE INDEX exchange_keys_owner ON exchange_keys (owner, retired_at);
CREATE TABLE exchange_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    direction TEXT NOT NULL,
    peer TEXT NOT NULL,
    kind TEXT NOT NULL,
    request_id TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    signed_ts BIGINT NOT NULL,
    key_id TEXT,
    signature TEXT,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    seal_key_id TEXT NOT NULL,
    seal TEXT NOT NULL
);
CREATE INDEX exchange_log_request ON exchange_log (request_id);
CREATE TABLE exchange_log_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO exchange_log_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 49,
        name: "the catalogue keeps every version of an item (who, when, why), its fee, and applications the version they were filed under",
        common: r#"
ALTER TABLE service_items ADD COLUMN fee_yuan BIGINT NOT NULL DEFAULT 0;
ALTER TABLE service_items ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE TABLE service_item_versions (
    item_code TEXT NOT NULL,
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (item_code, version)
);
ALTER TABLE applications ADD COLUMN item_version BIGINT NOT NULL DEFAULT 1;
"#,
        sqlite: "",
        postgres: "",
    },
];
