//! The investigation module's tables. Versions continue the global sequence (see
//! `ningan_store::all_migrations`, which refuses two migrations claiming one version).

use ningan_store::Migration;

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 32,
    name: "synthesized investigation: cases with teams, log, immutable evidence, tasks, entities, imported records, charts",
    // Evidence is append-only (triggers below) and hash-chained per case; the audit log keeps
    // each item's hash too, so an item changed by SQL behind the triggers' back is caught.
    common: r#"
CREATE TABLE inv_cases (
    id {id},
    no TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    category TEXT NOT NULL,
    organised BIGINT NOT NULL,
    stage TEXT NOT NULL,
    gangs_broken BIGINT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    solved_at BIGINT
);
CREATE INDEX inv_cases_scope ON inv_cases (unit_path, created_at);
CREATE TABLE inv_members (
    case_id BIGINT NOT NULL REFERENCES inv_cases(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    duty TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX inv_members_user ON inv_members (user_id);
CREATE TABLE inv_log (
    id {id},
    case_id BIGINT NOT NULL REFERENCES inv_cases(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX inv_log_case ON inv_log (case_id, id);
CREATE TABLE inv_evidence (
    id {id},
    case_id BIGINT NOT NULL REFERENCES inv_cases(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    corrects BIGINT REFERENCES inv_evidence(id),
    filed_by TEXT NOT NULL,
    filed_at BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (case_id, seq)
);
CREATE TABLE inv_tasks (
    id {id},
    case_id BIGINT NOT NULL REFERENCES inv_cases(id),
    team TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    assignee BIGINT REFERENCES users(id),
    due_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    result TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX inv_tasks_case ON inv_tasks (case_id, state);
CREATE TABLE inv_entities (
    id {id},
    case_id BIGINT NOT NULL REFERENCES inv_cases(id),
    kind TEXT NOT NULL,
    ekey TEXT NOT NULL,
    holder BIGINT,
    resident_id BIGINT,
    UNIQUE (case_id, kind, ekey)
);
CREATE TABLE inv_imports (
    id {id},
    case_id BIGINT NOT NULL REFERENCES inv_cases(id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    state TEXT NOT NULL,
    rows_done BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    refused BIGINT NOT NULL,
    error TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX inv_imports_case ON inv_imports (case_id, id);
CREATE INDEX inv_imports_state ON inv_imports (state);
CREATE TABLE inv_refusals (
    import_id BIGINT NOT NULL REFERENCES inv_imports(id),
    line BIGINT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);
CREATE TABLE inv_relations (
    id {id},
    case_id BIGINT NOT NULL REFERENCES inv_cases(id),
    import_id BIGINT NOT NULL REFERENCES inv_imports(id),
    line BIGINT NOT NULL,
    src BIGINT NOT NULL,
    dst BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    duration BIGINT NOT NULL
);
CREATE INDEX inv_relations_case ON inv_relations (case_id, id);
CREATE INDEX inv_relations_src ON inv_relations (case_id, src);
CREATE INDEX inv_relations_dst ON inv_relations (case_id, dst);
CREATE TABLE inv_charts (
    id {id},
    case_id BIGINT NOT NULL REFERENCES inv_cases(id),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    UNIQUE (case_id, version)
);
"#,
    sqlite: r#"
CREATE TRIGGER inv_evidence_no_update BEFORE UPDATE ON inv_evidence
BEGIN SELECT RAISE(ABORT, 'evidence items cannot be changed'); END;
CREATE TRIGGER inv_evidence_no_delete BEFORE DELETE ON inv_evidence
BEGIN SELECT RAISE(ABORT, 'evidence items cannot be changed'); END;
"#,
    postgres: r#"
CREATE FUNCTION inv_evidence_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'evidence items cannot be changed'; END;
$$;
CREATE TRIGGER inv_evidence_no_change BEFORE UPDATE OR DELETE ON inv_evidence
FOR EACH ROW EXECUTE FUNCTION inv_evidence_immutable();
"#,
}];
