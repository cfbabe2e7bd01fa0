//! The org-unit scope every query on owned records takes: a unit sees its own records and
//! those of every unit below it in the tree.

/// A subtree of the org-unit tree, named by its materialised path (`/330200/330203/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    path: String,
}

impl Scope {
    /// The subtree rooted at the unit with this path. Paths always end in `/`.
    pub fn subtree(path: &str) -> Scope {
        let mut path = path.to_string();
        if !path.ends_with('/') {
            path.push('/');
        }
        Scope { path }
    }

    /// The whole tree, for the command line run by the machine's operator.
    pub fn everything() -> Scope {
        Scope { path: "/".to_string() }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Half-open range `[lower, upper)` that holds exactly the paths in the subtree: paths are
    /// made of `/` and alphanumerics, and `0` sorts right after `/` in byte order, so
    /// replacing the trailing `/` gives the first path outside.
    pub fn range(&self) -> (String, String) {
        let mut upper = self.path.clone();
        upper.pop();
        upper.push('0');
        (self.path.clone(), upper)
    }

    pub fn contains(&self, path: &str) -> bool {
        path.starts_with(&self.path)
    }

    /// Whether this subtree holds every record: the whole tree, or the city's (the tree's one
    /// root: every other unit is made under a parent). A list in such a scope needs no
    /// condition on the path, which leaves the planner free to read it in the list's order.
    pub fn is_whole_tree(&self) -> bool {
        self.path.matches('/').count() <= 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_holds_exactly_the_subtree() {
        let s = Scope::subtree("/330200/330203/");
        let (lo, hi) = s.range();
        for inside in ["/330200/330203/", "/330200/330203/330203001/", "/330200/330203/Z/"] {
            assert!(inside >= lo.as_str() && inside < hi.as_str(), "{inside}");
            assert!(s.contains(inside));
        }
        for outside in ["/330200/", "/330200/330205/", "/330200/3302030/", "/330200/330203"] {
            assert!(!(outside >= lo.as_str() && outside < hi.as_str()), "{outside}");
            assert!(!s.contains(outside));
        }
    }

    #[test]
    fn only_the_tree_and_the_city_hold_every_record() {
        assert!(Scope::everything().is_whole_tree());
        assert!(Scope::subtree("/330200/").is_whole_tree());
        assert!(!Scope::subtree("/330200/330203/").is_whole_tree());
        assert!(!Scope::subtree("/330200/330203/330203001").is_whole_tree());
    }
}
