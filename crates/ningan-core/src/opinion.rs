//! Public opinion (舆情): an alert raised when a topic about the city spikes goes to a unit
//! with a deadline, the unit replies (what it found, what it did), and the analyst closes it
//! or sends it back. One state machine, tested from every state with every step.

vocabulary! {
    /// Where an alert is.
    pub enum AlertState {
        Open => "open", "待研判", "Open";
        Assigned => "assigned", "已交办", "Assigned";
        Answered => "answered", "已回复", "Answered";
        Closed => "closed", "已办结", "Closed";
    }
}

vocabulary! {
    /// What moves an alert on.
    pub enum AlertStep {
        Assign => "assign", "交办", "Assign";
        Answer => "answer", "回复", "Answer";
        Return => "return", "退回重办", "Send back";
        Close => "close", "办结", "Close";
    }
}

/// A step the alert's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("“{}” is not possible for an alert that is {}", step.label(true), state.label(true).to_lowercase())]
pub struct AlertNotAllowed {
    pub state: AlertState,
    pub step: AlertStep,
}

impl AlertNotAllowed {
    pub fn zh(&self) -> String {
        format!("预警当前为“{}”，不能“{}”", self.state.label(false), self.step.label(false))
    }
}

impl AlertState {
    /// The state after `step`. An open alert judged to be nothing is closed at once; an
    /// answer sent back goes to the same unit again.
    pub fn after(self, step: AlertStep) -> Result<AlertState, AlertNotAllowed> {
        use AlertState::*;
        use AlertStep::*;
        match (self, step) {
            (Open, Assign) => Ok(Assigned),
            (Assigned, Answer) => Ok(Answered),
            (Answered, Return) => Ok(Assigned),
            (Open | Answered, Close) => Ok(Closed),
            _ => Err(AlertNotAllowed { state: self, step }),
        }
    }

    pub fn steps(self) -> Vec<AlertStep> {
        AlertStep::ALL.iter().copied().filter(|s| self.after(*s).is_ok()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_with_every_step_follows_the_table() {
        use AlertState::*;
        use AlertStep::*;
        let allowed = [
            (Open, Assign, Assigned),
            (Assigned, Answer, Answered),
            (Answered, Return, Assigned),
            (Open, Close, Closed),
            (Answered, Close, Closed),
        ];
        let mut seen = 0;
        for s in AlertState::ALL {
            for a in AlertStep::ALL {
                let want = allowed.iter().find(|(x, y, _)| x == s && y == a).map(|t| t.2);
                match (s.after(*a), want) {
                    (Ok(next), Some(w)) => {
                        assert_eq!(next, w);
                        seen += 1;
                    }
                    (Err(e), None) => {
                        assert!(e.zh().contains(s.label(false)) && e.to_string().contains(a.label(true)));
                    }
                    (got, want) => panic!("{s:?} + {a:?}: {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(seen, allowed.len());
        assert!(Closed.steps().is_empty(), "a closed alert stays closed");
    }
}
