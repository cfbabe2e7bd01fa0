//! Public opinion's tables. Versions continue the global sequence (see
//! `ningan_store::all_migrations`, which refuses two migrations claiming one version).

use ningan_store::Migration;

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 29,
    name: "public opinion: posts, near-duplicate groups, topic hours, alerts and their handling, rule versions",
    // A fingerprint is a u64 kept as its i64 bits. An author is kept only as a keyed hash.
    common: r#"
CREATE TABLE op_groups (
    id {id},
    fingerprint BIGINT NOT NULL,
    title TEXT NOT NULL,
    topics TEXT NOT NULL,
    local BIGINT NOT NULL,
    posts BIGINT NOT NULL,
    negative BIGINT NOT NULL,
    sentiment_sum DOUBLE PRECISION NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL
);
CREATE INDEX op_groups_last ON op_groups (last_at);
CREATE TABLE op_posts (
    id {id},
    source TEXT NOT NULL,
    ext_id TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT NOT NULL,
    posted_at BIGINT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES op_groups(id),
    sentiment DOUBLE PRECISION NOT NULL,
    mood TEXT NOT NULL,
    topics TEXT NOT NULL,
    local BIGINT NOT NULL,
    rules_version TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (source, ext_id)
);
CREATE INDEX op_posts_group ON op_posts (group_id, posted_at);
CREATE INDEX op_posts_time ON op_posts (posted_at);
CREATE TABLE op_topic_hours (
    topic TEXT NOT NULL,
    hour BIGINT NOT NULL,
    posts BIGINT NOT NULL,
    local BIGINT NOT NULL,
    negative BIGINT NOT NULL,
    PRIMARY KEY (topic, hour)
);
CREATE TABLE op_alerts (
    id {id},
    topic TEXT NOT NULL,
    hour BIGINT NOT NULL,
    count BIGINT NOT NULL,
    expected DOUBLE PRECISION NOT NULL,
    threshold BIGINT NOT NULL,
    p_value DOUBLE PRECISION NOT NULL,
    group_id BIGINT REFERENCES op_groups(id),
    state TEXT NOT NULL,
    unit_id BIGINT REFERENCES org_units(id),
    unit_path {path},
    deadline BIGINT,
    reply TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (topic, hour)
);
CREATE INDEX op_alerts_scope ON op_alerts (unit_path, id);
CREATE TABLE op_alert_events (
    id {id},
    alert_id BIGINT NOT NULL REFERENCES op_alerts(id),
    step TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    note TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX op_alert_events_alert ON op_alert_events (alert_id, id);
CREATE TABLE op_rule_versions (
    id {id},
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    topics BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
"#,
    sqlite: "",
    postgres: "",
}];
