//! The storage error: driver errors mapped once into the cases callers act on.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Absent, or outside the caller's scope: the two are deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the string names what already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    /// The record is in a state that does not allow the change; the string says why.
    #[error("{0}")]
    State(String),
    #[error("unknown database backend in “{0}”: use a postgres:// URL or leave it empty for the embedded SQLite")]
    UnknownBackend(String),
    #[error("cannot prepare data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error(
        "migration {version} ({name}) was changed after it was applied: restore its text and add a new migration instead"
    )]
    MigrationChanged { version: i64, name: &'static str },
    #[error(
        "migrations “{first}” and “{second}” both claim version {version}: give the newer one the next free version"
    )]
    MigrationClash { version: i64, first: &'static str, second: &'static str },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration { version: i64, name: &'static str, source: sqlx::Error },
    #[error("database: {0}")]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(d.constraint().map(str::to_string).unwrap_or_else(|| d.message().to_string()))
            }
            _ => StoreError::Db(e),
        }
    }
}
