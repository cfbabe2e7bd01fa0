//! The seam for a module whose storage lives in its own folder of the application rather
//! than in this crate: the query functions and row type of the one driver both backends
//! share, the filter builder with its scope condition, and the connections of [`Db`] and
//! [`Write`]. Such storage speaks SQL only through this module, so the application names no
//! driver and a driver upgrade stays a change of this crate.

/// The row trait (`try_get`), named so that module storage can import it: `use RowExt as _`.
pub use sqlx::Row as RowExt;
pub use sqlx::any::AnyRow as Row;
pub use sqlx::{AnyConnection as Connection, AnyPool as Pool};
pub use sqlx::{Error, query, query_as, query_scalar};

pub use crate::query::Filter;

use crate::db::{Db, Write};

impl Db {
    /// The pool reads run on (never writes: those go through [`Db::write`]).
    pub fn reader(&self) -> &Pool {
        &self.pool
    }
}

impl Write {
    /// The connection of this write's transaction.
    pub fn connection(&mut self) -> &mut Connection {
        self.conn()
    }
}
