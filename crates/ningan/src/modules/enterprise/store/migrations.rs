//! Enterprise services' tables. Versions continue the global sequence (see
//! `ningan_store::all_migrations`, which refuses two migrations claiming one version).

use ningan_store::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 19,
        name: "enterprise services: register, liaison officers, contacts, 11087 requests, portal accounts, notices",
        common: r#"
CREATE TABLE enterprises (
    id {id},
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    industry TEXT NOT NULL,
    size TEXT NOT NULL,
    key_enterprise BIGINT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    officer_id BIGINT REFERENCES users(id),
    last_contact_at BIGINT,
    last_visit_at BIGINT,
    next_due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX enterprises_scope ON enterprises (unit_path, id);
CREATE INDEX enterprises_due ON enterprises (officer_id, next_due_at);
CREATE INDEX enterprises_unit_due ON enterprises (unit_path, next_due_at);
CREATE TABLE enterprise_liaisons (
    id {id},
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    officer_id BIGINT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX enterprise_liaisons_enterprise ON enterprise_liaisons (enterprise_id, assigned_at);
CREATE TABLE enterprise_work_phones (
    officer_id BIGINT PRIMARY KEY REFERENCES users(id),
    work_phone TEXT NOT NULL
);
CREATE TABLE enterprise_contacts (
    id {id},
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    officer_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    topics TEXT NOT NULL,
    problems TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX enterprise_contacts_enterprise ON enterprise_contacts (enterprise_id, at);
CREATE TABLE enterprise_requests (
    id {id},
    no TEXT NOT NULL UNIQUE,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    stage TEXT NOT NULL,
    tier TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    home_path {path} NOT NULL,
    deadline BIGINT NOT NULL,
    supervised_at BIGINT,
    reply TEXT,
    rating BIGINT,
    rating_note TEXT,
    created_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX enterprise_requests_board ON enterprise_requests (unit_path, stage, deadline);
CREATE INDEX enterprise_requests_home ON enterprise_requests (home_path, created_at);
CREATE INDEX enterprise_requests_enterprise ON enterprise_requests (enterprise_id, created_at);
CREATE INDEX enterprise_requests_open ON enterprise_requests (deadline) WHERE closed_at IS NULL;
CREATE TABLE enterprise_request_events (
    id {id},
    request_id BIGINT NOT NULL REFERENCES enterprise_requests(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    tier TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX enterprise_request_events_request ON enterprise_request_events (request_id, id);
CREATE TABLE enterprise_accounts (
    id {id},
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    is_admin BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (enterprise_id, phone)
);
CREATE INDEX enterprise_accounts_phone ON enterprise_accounts (phone);
CREATE TABLE enterprise_codes (
    id {id},
    account_id BIGINT NOT NULL REFERENCES enterprise_accounts(id),
    code_hash TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX enterprise_codes_account ON enterprise_codes (account_id, created_at);
CREATE TABLE enterprise_sessions (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES enterprise_accounts(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE enterprise_notices (
    id {id},
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    district BIGINT,
    industry TEXT,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX enterprise_notices_created ON enterprise_notices (created_at);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 20,
        name: "enterprise services: request attachments",
        // Bodies are kept as base64 text: one column type on both backends, and files are small.
        common: r#"
CREATE TABLE enterprise_attachments (
    id {id},
    request_id BIGINT NOT NULL REFERENCES enterprise_requests(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX enterprise_attachments_request ON enterprise_attachments (request_id, id);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 21,
        name: "enterprise services: requests boards walk deadlines in order",
        // The boards list by deadline; without this a city-wide page sorted a million rows.
        common: "CREATE INDEX enterprise_requests_deadline ON enterprise_requests (deadline, id);",
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 22,
        name: "enterprise services: boards and register counted from covering indexes",
        // At a million requests the boards' totals read the table row by row. Each list now
        // has an index holding every column its filters test: open requests in deadline order
        // (the supervision board, the overdue sweep), all requests in deadline order (the
        // whole board), by home path (the board's total), a desk's own queue in deadline
        // order, and the register by station.
        common: r#"
DROP INDEX enterprise_requests_open;
CREATE INDEX enterprise_requests_open ON enterprise_requests (deadline, id, home_path, stage, tier, category)
    WHERE closed_at IS NULL;
DROP INDEX enterprise_requests_deadline;
CREATE INDEX enterprise_requests_deadline ON enterprise_requests (deadline, id, home_path, stage, tier, category);
CREATE INDEX enterprise_requests_counts ON enterprise_requests (home_path, stage, tier, category, closed_at, deadline);
DROP INDEX enterprise_requests_board;
CREATE INDEX enterprise_requests_desk ON enterprise_requests (unit_path, deadline, id);
CREATE INDEX enterprises_filters ON enterprises (unit_path, key_enterprise, industry, officer_id, next_due_at);
"#,
        sqlite: "",
        postgres: "",
    },
];
