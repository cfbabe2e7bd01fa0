//! Life first's storage, kept in the module's folder and speaking SQL through
//! `ningan_store::sql`: risk points, their events, photos and patrols (`points.rs`);
//! incidents, helmet samples and department accounts (`records.rs`); the cockpit's and the
//! figures pages' counts (`stats.rs`).

pub mod migrations;
pub mod points;
pub mod records;
pub mod stats;

use ningan_store::Scope;
use ningan_store::sql::Filter;

/// Whose risk points a reader sees: officers those of their units, a department those
/// assigned to it inside its unit's area.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub scope: Scope,
    /// Set for a department's account; `Some("")` for one not yet given a department, which
    /// then sees nothing.
    pub department: Option<String>,
}

impl Viewer {
    pub fn officer(scope: Scope) -> Viewer {
        Viewer { scope, department: None }
    }

    /// The viewer's condition on a table aliased `p`.
    pub fn restrict(&self, f: &mut Filter) {
        f.within(&self.scope, "p.unit_path");
        if let Some(d) = &self.department {
            let d = f.arg_text(d.clone());
            f.cond(format!("p.department = {d}"));
        }
    }

    pub fn sees(&self, unit_path: &str, department: Option<&str>) -> bool {
        self.scope.contains(unit_path) && self.department.as_deref().is_none_or(|d| department == Some(d))
    }
}
