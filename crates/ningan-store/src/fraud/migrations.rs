//! The fraud module's migrations: its tables, in the order they were added. Versions are
//! global across modules (a table may reference another module's); `migrate::MIGRATIONS`
//! gathers every module's and applies them in version order.

use crate::migrate::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 9,
        name: "anti-fraud: watchlists, subjects, signals, dissuasion tasks, cases, reports, lectures",
        common: r#"
CREATE TABLE fraud_watchlist (
    id {id},
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    source TEXT NOT NULL,
    confidence BIGINT NOT NULL,
    typology TEXT,
    expires_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, value)
);
CREATE TABLE fraud_subjects (
    id {id},
    phone TEXT NOT NULL UNIQUE,
    person_key BIGINT NOT NULL UNIQUE,
    resident_id BIGINT REFERENCES residents(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE fraud_signals (
    seq {id},
    signal_id TEXT NOT NULL UNIQUE,
    person_key BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    fact TEXT NOT NULL,
    listed TEXT,
    channel TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX fraud_signals_person ON fraud_signals (person_key, at);
CREATE INDEX fraud_signals_received ON fraud_signals (received_at);
CREATE TABLE fraud_tasks (
    id {id},
    subject_id BIGINT NOT NULL REFERENCES fraud_subjects(id),
    signal_id TEXT NOT NULL,
    level TEXT NOT NULL,
    score BIGINT NOT NULL,
    typology TEXT NOT NULL,
    ruleset_version TEXT NOT NULL,
    trace TEXT NOT NULL,
    warned_at BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    status TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    escalated_at BIGINT,
    outcome TEXT,
    outcome_note TEXT NOT NULL DEFAULT '',
    attempts BIGINT NOT NULL DEFAULT 0,
    money_lost_fen BIGINT NOT NULL DEFAULT 0,
    amount_protected_fen BIGINT NOT NULL DEFAULT 0,
    watch_until BIGINT,
    officer TEXT,
    closed_at BIGINT,
    transfer_to_unit_id BIGINT REFERENCES org_units(id),
    transfer_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX fraud_tasks_scope ON fraud_tasks (unit_path, status, id);
CREATE INDEX fraud_tasks_deadline ON fraud_tasks (status, deadline);
CREATE INDEX fraud_tasks_subject ON fraud_tasks (subject_id, warned_at);
CREATE TABLE fraud_reports (
    id {id},
    phone TEXT NOT NULL,
    identifier_kind TEXT,
    identifier TEXT,
    description TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    signal_id TEXT,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    reviewed_by TEXT,
    review_note TEXT,
    created_at BIGINT NOT NULL,
    reviewed_at BIGINT
);
CREATE INDEX fraud_reports_scope ON fraud_reports (unit_path, status, id);
CREATE TABLE fraud_cases (
    id {id},
    subject_id BIGINT REFERENCES fraud_subjects(id),
    occurred_at BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    typology TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    report_id BIGINT REFERENCES fraud_reports(id),
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX fraud_cases_scope ON fraud_cases (unit_path, occurred_at);
CREATE INDEX fraud_cases_subject ON fraud_cases (subject_id, occurred_at);
CREATE TABLE fraud_lectures (
    id {id},
    held_on TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    venue TEXT NOT NULL,
    audience BIGINT NOT NULL,
    topic TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX fraud_lectures_scope ON fraud_lectures (unit_path, held_on);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 18,
        name: "fraud rule sets kept by version, to compare each with the one before",
        common: r#"
CREATE TABLE fraud_rule_versions (
    id {id},
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    rules BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 40,
        name: "fraud signals: no index by person, which no query read and every insert paid for",
        // Person keys are hashes, so each signal's entry landed on a random page of this
        // index and every commit rewrote one page per signal in the write-ahead log: half of
        // the ingest's disk writes. The replay reads by arrival, the purge by age.
        common: "DROP INDEX fraud_signals_person;",
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 41,
        name: "fraud signals: ids compared byte by byte on PostgreSQL",
        // Ids are only ever tested for equality, yet under the cluster's locale each insert's
        // uniqueness check and index descent compared them with strcoll. SQLite already
        // compares bytes.
        common: "",
        sqlite: "",
        postgres: "ALTER TABLE fraud_signals ALTER COLUMN signal_id TYPE TEXT COLLATE \"C\";",
    },
    Migration {
        version: 42,
        name: "audit details compressed with lz4 on PostgreSQL, where the server has it",
        // A signal batch's audit entry names its signals (tens of kilobytes), and pglz took
        // a few per cent of the single writer's time at the ingest ceiling; lz4 compresses
        // several times faster. A server built without lz4 keeps pglz.
        common: "",
        sqlite: "",
        postgres: r#"
DO $$ BEGIN
    ALTER TABLE audit_log ALTER COLUMN detail SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;
"#,
    },
    Migration {
        version: 43,
        name: "fraud rule versions keep the reason they were put in force",
        common: "ALTER TABLE fraud_rule_versions ADD COLUMN reason TEXT NOT NULL DEFAULT '';",
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 44,
        name: "fraud signals: the arrival-time index as block ranges on PostgreSQL",
        // Signals arrive in time order, so a BRIN index (a summary per range of table
        // blocks) serves the replay's and the purge's range on arrival time as well as a
        // B-tree, at almost no cost per insert; the B-tree was a third of the single
        // writer's index work at the ingest ceiling. SQLite has no such index.
        common: "",
        sqlite: "",
        postgres: "DROP INDEX fraud_signals_received; \
                   CREATE INDEX fraud_signals_received ON fraud_signals USING brin (received_at);",
    },
    Migration {
        version: 45,
        name: "fraud cases: a stage (filed, investigating, solved) and the day solved",
        common: "ALTER TABLE fraud_cases ADD COLUMN stage TEXT NOT NULL DEFAULT 'filed'; \
                 ALTER TABLE fraud_cases ADD COLUMN solved_at BIGINT;",
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 47,
        name: "fraud stop-payment requests to the bank, as an outbox",
        common: "CREATE TABLE fraud_stop_payments (
    id {id},
    task_id BIGINT NOT NULL REFERENCES fraud_tasks(id),
    signal_id TEXT NOT NULL,
    account TEXT NOT NULL,
    via TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    bank_ref TEXT,
    answer TEXT,
    stopped_fen BIGINT NOT NULL DEFAULT 0,
    requested_at BIGINT NOT NULL,
    answered_at BIGINT,
    updated_at BIGINT NOT NULL,
    UNIQUE (task_id, signal_id)
);
CREATE INDEX fraud_stop_payments_due ON fraud_stop_payments (status, next_attempt_at);",
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 50,
        name: "fraud scale-out: scoring processes, leases on signal partitions, the shared count of transfers into an account",
        common: "CREATE TABLE fraud_scorers (
    id TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
CREATE TABLE fraud_partition_leases (
    part BIGINT PRIMARY KEY,
    owner TEXT,
    expires_at BIGINT NOT NULL DEFAULT 0,
    taken BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE fraud_inflows (
    signal_id TEXT PRIMARY KEY,
    payee BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX fraud_inflows_payee ON fraud_inflows (payee, at);",
        sqlite: "",
        postgres: "",
    },
];
