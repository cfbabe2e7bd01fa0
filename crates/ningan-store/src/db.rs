//! The storage seam: choose the backend from the configured location, open a pool with the
//! settings each backend needs, and hand out write transactions.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::changes::{Area, Changes, Touched};
use crate::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Where the data lives: a file in the data directory, or a PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// An empty URL means the embedded SQLite file in `data_dir`; anything that is not a
    /// PostgreSQL or SQLite URL is refused rather than guessed at.
    pub fn resolve(data_dir: &Path, url: Option<&str>) -> Result<Location> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(Location::Sqlite(data_dir.join("ningan.db"))),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Location::Postgres(u.to_string()))
            }
            Some(u) if u.starts_with("sqlite://") => {
                Ok(Location::Sqlite(PathBuf::from(u.trim_start_matches("sqlite://"))))
            }
            Some(u) => Err(StoreError::UnknownBackend(redact_url(u))),
        }
    }

    /// For logs and `config check`: the password of a URL is never shown.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(p) => format!("sqlite {}", p.display()),
            Location::Postgres(u) => format!("postgres {}", redact_url(u)),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((auth, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// An open database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    url: String,
    dialect: Dialect,
    /// Every write appends to the audit chain, whose next link depends on the last one, so
    /// writers take turns on one dedicated connection. Within one process this lock orders
    /// them; on PostgreSQL a table lock in the transaction orders several processes too.
    /// Keeping writes on one connection also means a transaction dropped without commit is
    /// rolled back before the next write begins, never left holding the write lock on a
    /// pooled connection that nobody uses.
    writer: Arc<Mutex<WriterConn>>,
    changes: Arc<Changes>,
}

/// The writers' connection and whether a transaction is still open on it.
struct WriterConn {
    conn: AnyConnection,
    open: bool,
}

impl Db {
    pub async fn open(location: &Location) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let url = match location {
            Location::Sqlite(path) => format!("sqlite://{}?mode=rwc", path.display()),
            Location::Postgres(url) => url.clone(),
        };
        let (pool, dialect) = match location {
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
                }
                let pool = AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // FULL: an acknowledged commit survives power loss, not only a
                            // killed process. A 32 MiB page cache per connection keeps index
                            // pages of a city-sized register in memory (the default is 2 MiB).
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                                 PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; \
                                 PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?;
                (pool, Dialect::Sqlite)
            }
            Location::Postgres(_) => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(&url)
                    .await?;
                (pool, Dialect::Postgres)
            }
        };
        let conn = pool.acquire().await?.detach();
        let writer = Arc::new(Mutex::new(WriterConn { conn, open: false }));
        Ok(Db { pool, url, dialect, writer, changes: Arc::default() })
    }

    /// The connection URL, for tools that need a second, raw connection (tests, export).
    /// It may carry a password: never log it (see [`redact_url`]).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Writes a consistent copy of the embedded database to `to` while others go on writing
    /// (SQLite's `VACUUM INTO`: one read transaction). PostgreSQL is copied with its own
    /// tools (`pg_dump`) instead.
    pub async fn snapshot_sqlite(&self, to: &Path) -> Result<()> {
        if self.dialect != Dialect::Sqlite {
            return Err(StoreError::Invalid("a PostgreSQL database is copied with pg_dump".into()));
        }
        sqlx::query("VACUUM INTO $1").bind(to.display().to_string()).execute(&self.pool).await?;
        Ok(())
    }

    /// What committed writes of this process changed, for caches to compare against.
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// Begins a write transaction. Every mutation and every audited read goes through one.
    pub async fn write(&self) -> Result<Write> {
        let mut guard = self.writer.clone().lock_owned().await;
        if guard.open {
            // A previous writer dropped its transaction without committing.
            guard.conn.execute("ROLLBACK").await?;
            guard.open = false;
        }
        // SQLite: take the write lock at once. A deferred transaction that reads first and
        // then upgrades gets SQLITE_BUSY immediately, without the busy timeout, whenever
        // another connection (an idempotency-key insert, say) is writing at that moment.
        let begin = match self.dialect {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        guard.conn.execute(begin).await?;
        guard.open = true;
        Ok(Write {
            guard: Some(guard),
            dialect: self.dialect,
            audit_locked: false,
            changes: self.changes.clone(),
            touched: Touched::default(),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// A write transaction; dropped without [`Write::commit`] it rolls back.
pub struct Write {
    guard: Option<OwnedMutexGuard<WriterConn>>,
    pub(crate) dialect: Dialect,
    pub(crate) audit_locked: bool,
    changes: Arc<Changes>,
    touched: Touched,
}

impl Write {
    pub async fn commit(mut self) -> Result<()> {
        if let Some(g) = self.guard.as_mut() {
            g.conn.execute("COMMIT").await?;
            g.open = false;
        }
        self.changes.committed(self.touched.0);
        Ok(())
    }

    /// Marks an area as changed by this write; its caches go stale when it commits. Writes
    /// that append an audit entry for a change are marked by that entry already.
    pub fn touch(&mut self, area: Area) {
        self.touched.add(area);
    }

    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        // The guard is only taken out in `drop`.
        &mut self.guard.as_mut().expect("write guard present until drop").conn
    }
}

impl Drop for Write {
    /// Rolls back at once on a runtime thread, so the write lock is not held until the next
    /// writer comes; without a runtime the next [`Db::write`] rolls back first.
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else { return };
        if !guard.open {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if guard.conn.execute("ROLLBACK").await.is_ok() {
                    guard.open = false;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_backend_from_url_and_refuses_unknown_ones() {
        let dir = Path::new("/d");
        assert_eq!(Location::resolve(dir, None).unwrap(), Location::Sqlite("/d/ningan.db".into()));
        assert_eq!(Location::resolve(dir, Some(" ")).unwrap(), Location::Sqlite("/d/ningan.db".into()));
        assert!(matches!(Location::resolve(dir, Some("postgres://u@h/db")), Ok(Location::Postgres(_))));
        let err = Location::resolve(dir, Some("mysql://u:pw@h/db")).unwrap_err().to_string();
        assert!(err.contains("mysql://u:***@h/db"), "{err}");
    }
}
