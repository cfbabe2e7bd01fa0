//! A small builder for queries with optional filters: numbered `$n` placeholders work on both
//! SQLite and PostgreSQL, which sqlx's generic builder does not promise for `Any`.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::{Query, QueryAs};
use sqlx::{Any, FromRow};

enum Arg {
    I64(i64),
    Text(String),
    OptText(Option<String>),
}

#[derive(Default)]
pub struct Filter {
    conds: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    pub fn new() -> Filter {
        Filter::default()
    }

    /// Adds an argument and returns its placeholder.
    pub fn arg_i64(&mut self, v: i64) -> String {
        self.args.push(Arg::I64(v));
        format!("${}", self.args.len())
    }

    pub fn arg_text(&mut self, v: String) -> String {
        self.args.push(Arg::Text(v));
        format!("${}", self.args.len())
    }

    pub fn arg_opt_text(&mut self, v: Option<String>) -> String {
        self.args.push(Arg::OptText(v));
        format!("${}", self.args.len())
    }

    pub fn cond(&mut self, c: String) {
        self.conds.push(c);
    }

    /// Restricts `column` (an org-unit path) to the subtree `scope` covers: the one place the
    /// range condition is written for filtered lists.
    pub fn within(&mut self, scope: &crate::Scope, column: &str) {
        let (lo, hi) = scope.range();
        let (lo, hi) = (self.arg_text(lo), self.arg_text(hi));
        self.cond(format!("{column} >= {lo} AND {column} < {hi}"));
    }

    /// The same rows as [`Filter::within`], written as a prefix test that no index on `column`
    /// can serve. For lists where another index is the selective one (a partial index of open
    /// rows, an index in the list's order): given the range, both planners would rather read
    /// the whole subtree through the path index and sort it.
    pub fn within_by_prefix(&mut self, scope: &crate::Scope, column: &str) {
        // Both databases' substr counts characters; the length is a literal because
        // PostgreSQL's substr takes int4, not a bound int8.
        let len = scope.path().chars().count();
        let path = self.arg_text(scope.path().to_string());
        self.cond(format!("substr({column}, 1, {len}) = {path}"));
    }

    pub fn where_sql(&self) -> String {
        if self.conds.is_empty() { "1 = 1".to_string() } else { self.conds.join(" AND ") }
    }

    pub fn bind<'q>(&self, sql: &'q str) -> Query<'q, Any, AnyArguments<'q>> {
        let mut q = sqlx::query(sql);
        for a in &self.args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::OptText(v) => q.bind(v.clone()),
            };
        }
        q
    }

    pub fn bind_as<'q, T>(&self, sql: &'q str) -> QueryAs<'q, Any, T, AnyArguments<'q>>
    where
        T: for<'r> FromRow<'r, AnyRow>,
    {
        let mut q = sqlx::query_as(sql);
        for a in &self.args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::OptText(v) => q.bind(v.clone()),
            };
        }
        q
    }
}
