//! Enterprise services' storage, kept in the module's folder and speaking SQL through
//! `ningan_store::sql`: the register and its liaison officers (`enterprises.rs`), 11087
//! requests and their events (`requests.rs`), portal accounts, sign-in codes, sessions and
//! notices (`portal.rs`).

pub mod attachments;
pub mod enterprises;
pub mod migrations;
pub mod portal;
pub mod requests;
pub mod stats;

use ningan_store::Scope;
use ningan_store::sql::Filter;

pub(crate) use ningan_store::sql::{COUNT_CAP, paged, paged_counted};

/// The scope condition for a request: it belongs to one of the scope's enterprises. That is
/// also every request handled inside the scope now: a request is only ever handled at its
/// enterprise's station or an ancestor of it (escalation and return walk `home_path`'s own
/// chain, `service::unit_at`), so a handling unit inside the scope puts the home inside it
/// too. One path range, then, where an `OR` of two would defeat both databases' indexes.
pub(crate) fn request_within(f: &mut Filter, scope: &Scope) {
    f.within(scope, "r.home_path");
}

/// [`request_within`] as a prefix test, for lists an index in deadline order should drive.
pub(crate) fn request_within_walk(f: &mut Filter, scope: &Scope) {
    f.within_by_prefix(scope, "r.home_path");
}
