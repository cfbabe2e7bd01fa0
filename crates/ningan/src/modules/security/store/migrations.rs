//! Major-event security's tables. Versions continue the global sequence (see
//! `ningan_store::all_migrations`, which refuses two migrations claiming one version).

use ningan_store::Migration;

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 31,
    name: "major-event security: plans, venues with perimeters, posts with required strength, assignments and check-ins",
    // A perimeter is a JSON ring of [lon, lat]. An officer holds one post per plan.
    common: r#"
CREATE TABLE sec_plans (
    id {id},
    name TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sec_plans_scope ON sec_plans (unit_path, starts_at);
CREATE TABLE sec_venues (
    id {id},
    plan_id BIGINT NOT NULL REFERENCES sec_plans(id),
    name TEXT NOT NULL,
    ring TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sec_venues_plan ON sec_venues (plan_id);
CREATE TABLE sec_posts (
    id {id},
    plan_id BIGINT NOT NULL REFERENCES sec_plans(id),
    venue_id BIGINT NOT NULL REFERENCES sec_venues(id),
    name TEXT NOT NULL,
    duty TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    required BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sec_posts_plan ON sec_posts (plan_id);
CREATE TABLE sec_assignments (
    id {id},
    plan_id BIGINT NOT NULL REFERENCES sec_plans(id),
    post_id BIGINT NOT NULL REFERENCES sec_posts(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    assigned_by TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    checked_in_at BIGINT,
    UNIQUE (plan_id, user_id)
);
CREATE INDEX sec_assignments_post ON sec_assignments (post_id);
"#,
    sqlite: "",
    postgres: "",
}];
