//! Risk points of the life-first work (生命至上): traffic hazard points and drowning-risk water
//! points, and the one state machine every point runs — found → assigned (a department and a
//! deadline by severity) → rectified → verified on site → closed, with a failed verification
//! sending it back to the department and a new incident nearby reopening it.

use crate::quarantine::DAY_MS;

vocabulary! {
    /// The two families of risk points.
    pub enum Category {
        Traffic => "traffic", "交通隐患点", "Traffic hazard";
        Water => "water", "溺水风险点", "Drowning risk";
    }
}

vocabulary! {
    /// What kind of place a risk point is.
    pub enum Kind {
        BlackSpot => "black_spot", "事故多发路段", "Accident black spot";
        Signage => "signage", "标志标线缺失或错误", "Missing or wrong signs";
        SightLine => "sight_line", "视距不良", "Sight-line obstruction";
        Crossing => "crossing", "危险路口", "Dangerous crossing";
        Lighting => "lighting", "照明缺失", "Missing lighting";
        RiverSteps => "river_steps", "河埠头", "River steps";
        Pond => "pond", "池塘", "Pond";
        Reservoir => "reservoir", "水库", "Reservoir";
        Pit => "pit", "工地水坑", "Construction pit";
        Beach => "beach", "海滩", "Beach";
    }
}

impl Kind {
    pub fn category(self) -> Category {
        match self {
            Kind::BlackSpot | Kind::Signage | Kind::SightLine | Kind::Crossing | Kind::Lighting => Category::Traffic,
            Kind::RiverSteps | Kind::Pond | Kind::Reservoir | Kind::Pit | Kind::Beach => Category::Water,
        }
    }
}

vocabulary! {
    /// How grave a risk point is; it sets the department's deadline.
    pub enum Severity {
        Major => "major", "重大", "Major";
        Serious => "serious", "较大", "Serious";
        General => "general", "一般", "General";
    }
}

impl Severity {
    /// Days a department has to rectify a point of this severity.
    pub fn deadline_days(self) -> i64 {
        match self {
            Severity::Major => 7,
            Severity::Serious => 15,
            Severity::General => 30,
        }
    }

    /// The deadline for a point assigned at `at` (ms).
    pub fn deadline_from(self, at: i64) -> i64 {
        at + self.deadline_days() * DAY_MS
    }
}

vocabulary! {
    /// Where a risk point is in its rectification.
    pub enum State {
        Found => "found", "已发现", "Found";
        Assigned => "assigned", "整改中", "Being rectified";
        Rectified => "rectified", "待验收", "Awaiting verification";
        Verified => "verified", "已验收", "Verified";
        Closed => "closed", "已销号", "Closed";
    }
}

vocabulary! {
    /// What can be done to a risk point.
    pub enum Step {
        Assign => "assign", "交办", "Assign";
        Rectify => "rectify", "报送整改", "Report rectification";
        Reject => "reject", "验收不通过", "Reject rectification";
        Verify => "verify", "现场验收", "Verify on site";
        Close => "close", "销号", "Close";
        Reopen => "reopen", "重新启动", "Reopen";
    }
}

/// A step the point's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("“{}” is not possible for a point that is {}", step.label(true), state.label(true).to_lowercase())]
pub struct NotAllowed {
    pub state: State,
    pub step: Step,
}

impl NotAllowed {
    pub fn zh(&self) -> String {
        format!("隐患点当前状态为“{}”，不能“{}”", self.state.label(false), self.step.label(false))
    }
}

impl State {
    /// The state after `step`, or why not.
    pub fn after(self, step: Step) -> Result<State, NotAllowed> {
        use State::*;
        use Step::*;
        match (self, step) {
            (Found, Assign) => Ok(Assigned),
            (Assigned, Rectify) => Ok(Rectified),
            (Rectified, Reject) => Ok(Assigned),
            (Rectified, Verify) => Ok(Verified),
            (Verified, Close) => Ok(Closed),
            (Verified | Closed, Reopen) => Ok(Found),
            _ => Err(NotAllowed { state: self, step }),
        }
    }

    /// The steps this state allows, in the order a page offers them.
    pub fn steps(self) -> Vec<Step> {
        Step::ALL.iter().copied().filter(|s| self.after(*s).is_ok()).collect()
    }

    /// Whether the point still waits on someone (anything short of verified).
    pub fn open(self) -> bool {
        matches!(self, State::Found | State::Assigned | State::Rectified)
    }

    /// Whether the deadline runs: only while the department works on it.
    pub fn counts_deadline(self) -> bool {
        self == State::Assigned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_with_every_step_follows_the_table() {
        use State::*;
        use Step::*;
        let allowed = [
            (Found, Assign, Assigned),
            (Assigned, Rectify, Rectified),
            (Rectified, Reject, Assigned),
            (Rectified, Verify, Verified),
            (Verified, Close, Closed),
            (Verified, Reopen, Found),
            (Closed, Reopen, Found),
        ];
        let mut seen = 0;
        for state in State::ALL {
            for step in Step::ALL {
                let expected = allowed.iter().find(|(s, a, _)| s == state && a == step).map(|t| t.2);
                match (state.after(*step), expected) {
                    (Ok(next), Some(e)) => {
                        assert_eq!(next, e, "{state:?} + {step:?}");
                        seen += 1;
                    }
                    (Err(e), None) => {
                        assert_eq!((e.state, e.step), (*state, *step));
                        assert!(e.zh().contains(state.label(false)) && e.to_string().contains(step.label(true)));
                    }
                    (got, want) => panic!("{state:?} + {step:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(seen, allowed.len());
    }

    #[test]
    fn a_closed_point_is_reached_only_through_verification() {
        // Walk every path of up to six steps from Found: Closed is never entered except from
        // Verified, and Verified only from Rectified.
        let mut frontier = vec![State::Found];
        for _ in 0..6 {
            let mut next = Vec::new();
            for s in frontier {
                for step in Step::ALL {
                    if let Ok(t) = s.after(*step) {
                        if t == State::Closed {
                            assert_eq!(s, State::Verified);
                        }
                        if t == State::Verified {
                            assert_eq!(s, State::Rectified);
                        }
                        next.push(t);
                    }
                }
            }
            frontier = next;
        }
    }

    #[test]
    fn kinds_belong_to_one_category_and_names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
            assert!(!k.label(false).is_empty() && k.label(true).is_ascii());
        }
        assert_eq!(Kind::RiverSteps.category(), Category::Water);
        assert_eq!(Kind::Crossing.category(), Category::Traffic);
        assert_eq!(Severity::Major.deadline_from(0), 7 * DAY_MS);
        assert!(State::Assigned.counts_deadline() && !State::Rectified.counts_deadline());
    }
}
