//! Typhoon and flood response (抗台防汛): warning levels and what they mean in a CAP alert,
//! the needs that put a household first on an evacuation list and on what basis they may be
//! recorded, and a household's evacuation as one state machine, tested from every state with
//! every step.

vocabulary! {
    /// China's four-colour warning levels, blue the lowest.
    pub enum WarningLevel {
        Blue => "blue", "蓝色", "Blue";
        Yellow => "yellow", "黄色", "Yellow";
        Orange => "orange", "橙色", "Orange";
        Red => "red", "红色", "Red";
    }
}

impl WarningLevel {
    /// The CAP 1.2 severity a level is sent as.
    pub fn cap_severity(self) -> &'static str {
        match self {
            WarningLevel::Blue => "Minor",
            WarningLevel::Yellow => "Moderate",
            WarningLevel::Orange => "Severe",
            WarningLevel::Red => "Extreme",
        }
    }
}

vocabulary! {
    /// What an emergency event is.
    pub enum EventKind {
        Typhoon => "typhoon", "台风", "Typhoon";
        Flood => "flood", "洪涝", "Flood";
        Rainstorm => "rainstorm", "暴雨", "Rainstorm";
    }
}

vocabulary! {
    /// A need that puts a household first when an area is evacuated. Listed in the order
    /// they are served: a dialysis patient cannot wait for the water to fall.
    pub enum Need {
        Dialysis => "dialysis", "透析", "Dialysis";
        Disabled => "disabled", "残疾或行动不便", "Disability or limited mobility";
        ElderlyAlone => "elderly_alone", "独居老人", "Elderly, living alone";
        Pregnancy => "pregnancy", "孕产妇", "Pregnancy";
    }
}

vocabulary! {
    /// Why the bureau may hold a need at all: the person said so, or an agency (civil
    /// affairs, health, the disabled persons' federation) supplied it. Nothing else is kept.
    pub enum Basis {
        Consent => "consent", "本人同意登记", "Consent of the person";
        Agency => "agency", "部门提供", "Supplied by an agency";
    }
}

vocabulary! {
    /// Where a household on an evacuation list is.
    pub enum Evacuation {
        Listed => "listed", "待转移", "To evacuate";
        Notified => "notified", "已通知", "Notified";
        Evacuated => "evacuated", "已转移", "Evacuated";
        Refused => "refused", "拒绝转移", "Refused";
        Away => "away", "户内无人", "Nobody home";
    }
}

vocabulary! {
    /// What an officer records at a household's door.
    pub enum EvacuationStep {
        Notify => "notify", "通知转移", "Notify";
        Evacuate => "evacuate", "确认转移", "Evacuated";
        Refuse => "refuse", "拒绝转移", "Refused";
        Away => "away", "户内无人", "Nobody home";
    }
}

/// A step the household's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("“{}” is not possible for a household that is {}", step.label(true), state.label(true).to_lowercase())]
pub struct EvacuationNotAllowed {
    pub state: Evacuation,
    pub step: EvacuationStep,
}

impl EvacuationNotAllowed {
    pub fn zh(&self) -> String {
        format!("该户当前为“{}”，不能“{}”", self.state.label(false), self.step.label(false))
    }
}

impl Evacuation {
    /// The state after `step`. A household that refused or was not at home can still be
    /// evacuated later (it turns up at a shelter, or is persuaded on a second visit); an
    /// evacuated household is done.
    pub fn after(self, step: EvacuationStep) -> Result<Evacuation, EvacuationNotAllowed> {
        use Evacuation::*;
        use EvacuationStep as S;
        match (self, step) {
            (Listed, S::Notify) => Ok(Notified),
            (Listed | Notified | Refused | Away, S::Evacuate) => Ok(Evacuated),
            (Listed | Notified | Away, S::Refuse) => Ok(Refused),
            (Listed | Notified | Refused, S::Away) => Ok(Away),
            _ => Err(EvacuationNotAllowed { state: self, step }),
        }
    }

    pub fn steps(self) -> Vec<EvacuationStep> {
        EvacuationStep::ALL.iter().copied().filter(|s| self.after(*s).is_ok()).collect()
    }

    /// Whether the household still needs someone at its door.
    pub fn outstanding(self) -> bool {
        matches!(self, Evacuation::Listed | Evacuation::Notified | Evacuation::Refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_with_every_step_follows_the_table() {
        use Evacuation::*;
        use EvacuationStep as S;
        let allowed = [
            (Listed, S::Notify, Notified),
            (Listed, S::Evacuate, Evacuated),
            (Notified, S::Evacuate, Evacuated),
            (Refused, S::Evacuate, Evacuated),
            (Away, S::Evacuate, Evacuated),
            (Listed, S::Refuse, Refused),
            (Notified, S::Refuse, Refused),
            (Away, S::Refuse, Refused),
            (Listed, S::Away, Away),
            (Notified, S::Away, Away),
            (Refused, S::Away, Away),
        ];
        for s in Evacuation::ALL {
            for a in EvacuationStep::ALL {
                let want = allowed.iter().find(|(x, y, _)| x == s && y == a).map(|t| t.2);
                match (s.after(*a), want) {
                    (Ok(next), Some(w)) => assert_eq!(next, w),
                    (Err(e), None) => {
                        assert_eq!(e, EvacuationNotAllowed { state: *s, step: *a });
                        assert!(e.zh().contains(s.label(false)));
                    }
                    (got, want) => panic!("{s:?} + {a:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert!(Evacuated.steps().is_empty(), "an evacuated household is done");
    }

    #[test]
    fn levels_rise_in_cap_severity_and_needs_keep_their_serving_order() {
        let sev: Vec<&str> = WarningLevel::ALL.iter().map(|l| l.cap_severity()).collect();
        assert_eq!(sev, ["Minor", "Moderate", "Severe", "Extreme"]);
        assert!(Need::Dialysis < Need::Pregnancy);
        for n in Need::ALL {
            assert_eq!(Need::parse(n.as_str()), Some(*n));
        }
    }
}
