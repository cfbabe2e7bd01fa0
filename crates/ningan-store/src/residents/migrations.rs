//! The residents module's migrations: its tables, in the order they were added. Versions are
//! global across modules (a table may reference another module's); `migrate::MIGRATIONS`
//! gathers every module's and applies them in version order.

use crate::migrate::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 2,
        name: "places: unit locations, residential compounds, households",
        common: r#"
ALTER TABLE org_units ADD COLUMN lon DOUBLE PRECISION;
ALTER TABLE org_units ADD COLUMN lat DOUBLE PRECISION;
CREATE TABLE compounds (
    id {id},
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX compounds_scope ON compounds (unit_path, id);
ALTER TABLE residents ADD COLUMN compound_id BIGINT REFERENCES compounds(id);
ALTER TABLE residents ADD COLUMN household_no TEXT;
CREATE INDEX residents_household ON residents (household_no);
CREATE INDEX residents_compound ON residents (compound_id);
"#,
        sqlite: "",
        postgres: "",
    },
    Migration {
        version: 39,
        name: "residents: name-prefix search and keyset pages by name served by an index range",
        common: "",
        // Both compare names by code point, so a prefix is a range and both list in one order.
        sqlite: "CREATE INDEX residents_name_key ON residents (name, id);",
        postgres: r#"CREATE INDEX residents_name_key ON residents (name COLLATE "C", id);"#,
    },
];
