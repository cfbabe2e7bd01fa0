//! 110 incidents and the units sent to them (情指勤一体化): the category tree a call-taker
//! picks from, priorities, the incident's stages with every interval timestamped, the units'
//! statuses, and the arrival targets of the 110 rules (《110接处警工作规则》: on scene within
//! 5 minutes in the city, 10 in the suburbs). Two state machines, each tested from every state
//! with every step.

vocabulary! {
    /// The top of the category tree.
    pub enum Family {
        Criminal => "criminal", "刑事案件", "Criminal";
        PublicOrder => "public_order", "治安案件", "Public order";
        Traffic => "traffic", "交通事故", "Traffic";
        FireRescue => "fire_rescue", "火灾救援", "Fire and rescue";
        Dispute => "dispute", "纠纷", "Dispute";
        Help => "help", "群众求助", "Help";
    }
}

vocabulary! {
    /// What a call is about; the code names its family before the dot.
    pub enum Category {
        Theft => "criminal.theft", "盗窃", "Theft";
        Robbery => "criminal.robbery", "抢劫抢夺", "Robbery";
        Assault => "criminal.assault", "故意伤害", "Assault";
        Fraud => "criminal.fraud", "诈骗", "Fraud";
        Fight => "public_order.fight", "打架斗殴", "Fight";
        Noise => "public_order.noise", "噪声扰民", "Noise";
        Gambling => "public_order.gambling", "赌博", "Gambling";
        Collision => "traffic.collision", "交通事故", "Collision";
        Congestion => "traffic.congestion", "交通堵塞", "Congestion";
        DrunkDriving => "traffic.drunk_driving", "酒驾", "Drink-driving";
        Fire => "fire_rescue.fire", "火灾", "Fire";
        Rescue => "fire_rescue.rescue", "抢险救援", "Rescue";
        Drowning => "fire_rescue.drowning", "落水", "Person in water";
        Family => "dispute.family", "家庭纠纷", "Family dispute";
        Neighbour => "dispute.neighbour", "邻里纠纷", "Neighbour dispute";
        Labour => "dispute.labour", "劳资纠纷", "Labour dispute";
        LostPerson => "help.lost_person", "人员走失", "Missing person";
        LostProperty => "help.lost_property", "物品遗失", "Lost property";
        Medical => "help.medical", "突发疾病", "Medical help";
    }
}

impl Category {
    pub fn family(self) -> Family {
        let code = self.as_str();
        let family = code.split_once('.').map_or(code, |(f, _)| f);
        Family::parse(family).unwrap_or(Family::Help)
    }

    /// The categories under `family`, in the order a picker lists them.
    pub fn of(family: Family) -> impl Iterator<Item = Category> {
        Category::ALL.iter().copied().filter(move |c| c.family() == family)
    }
}

vocabulary! {
    /// How urgent: urgent when life or property is at risk now.
    pub enum Priority {
        Urgent => "urgent", "紧急", "Urgent";
        High => "high", "较急", "High";
        Routine => "routine", "一般", "Routine";
    }
}

vocabulary! {
    /// Where an incident is, each stage entered at a recorded time.
    pub enum Stage {
        Received => "received", "已接警", "Received";
        Answered => "answered", "已受理", "Answered";
        Dispatched => "dispatched", "已派警", "Dispatched";
        EnRoute => "en_route", "出警途中", "En route";
        OnScene => "on_scene", "已到场", "On scene";
        Cleared => "cleared", "已处结", "Cleared";
        Cancelled => "cancelled", "已撤销", "Cancelled";
    }
}

vocabulary! {
    /// What moves an incident on.
    pub enum Step {
        Answer => "answer", "受理", "Answer";
        Dispatch => "dispatch", "派警", "Dispatch";
        Depart => "depart", "出发", "Depart";
        Arrive => "arrive", "到场", "Arrive";
        Clear => "clear", "处结", "Clear";
        Cancel => "cancel", "撤销", "Cancel";
    }
}

/// A step the incident's stage does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("“{}” is not possible for an incident that is {}", step.label(true), stage.label(true).to_lowercase())]
pub struct NotAllowed {
    pub stage: Stage,
    pub step: Step,
}

impl NotAllowed {
    pub fn zh(&self) -> String {
        format!("警情当前为“{}”，不能“{}”", self.stage.label(false), self.step.label(false))
    }
}

impl Stage {
    /// The stage after `step`, or why not. A unit that reaches the scene before anyone marks
    /// it under way arrives straight from dispatched; a call is cancelled (a duplicate, a
    /// mistaken dial) only before anyone is on scene.
    pub fn after(self, step: Step) -> Result<Stage, NotAllowed> {
        use Stage::*;
        use Step::*;
        match (self, step) {
            (Received, Answer) => Ok(Answered),
            (Answered, Dispatch) => Ok(Dispatched),
            (Dispatched, Depart) => Ok(EnRoute),
            (Dispatched | EnRoute, Arrive) => Ok(OnScene),
            (OnScene, Clear) => Ok(Cleared),
            (Received | Answered | Dispatched | EnRoute, Cancel) => Ok(Cancelled),
            _ => Err(NotAllowed { stage: self, step }),
        }
    }

    pub fn steps(self) -> Vec<Step> {
        Step::ALL.iter().copied().filter(|s| self.after(*s).is_ok()).collect()
    }

    /// Still needs someone: neither cleared nor cancelled.
    pub fn open(self) -> bool {
        !matches!(self, Stage::Cleared | Stage::Cancelled)
    }
}

vocabulary! {
    /// What a unit (a car and its crew) is doing.
    pub enum UnitStatus {
        Available => "available", "待命", "Available";
        Dispatched => "dispatched", "已派", "Dispatched";
        EnRoute => "en_route", "途中", "En route";
        OnScene => "on_scene", "现场", "On scene";
        OutOfService => "out_of_service", "离线", "Out of service";
    }
}

vocabulary! {
    /// What changes a unit's status; the first four happen by themselves (on assignment, on
    /// moving, on reaching the scene by position, on the incident clearing).
    pub enum UnitStep {
        Assign => "assign", "派遣", "Assign";
        Move => "move", "出发", "Move off";
        Reach => "reach", "到达", "Reach the scene";
        Release => "release", "归队", "Release";
        StandDown => "stand_down", "下线", "Stand down";
        Resume => "resume", "上线", "Resume";
    }
}

/// A step the unit's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("“{}” is not possible for a unit that is {}", step.label(true), status.label(true).to_lowercase())]
pub struct UnitNotAllowed {
    pub status: UnitStatus,
    pub step: UnitStep,
}

impl UnitNotAllowed {
    pub fn zh(&self) -> String {
        format!("警力当前为“{}”，不能“{}”", self.status.label(false), self.step.label(false))
    }
}

impl UnitStatus {
    pub fn after(self, step: UnitStep) -> Result<UnitStatus, UnitNotAllowed> {
        use UnitStatus::*;
        use UnitStep::*;
        match (self, step) {
            (Available, Assign) => Ok(Dispatched),
            (Dispatched, Move) => Ok(EnRoute),
            (Dispatched | EnRoute, Reach) => Ok(OnScene),
            (Dispatched | EnRoute | OnScene, Release) => Ok(Available),
            (Available, StandDown) => Ok(OutOfService),
            (OutOfService, Resume) => Ok(Available),
            _ => Err(UnitNotAllowed { status: self, step }),
        }
    }

    /// Whether dispatch may propose it.
    pub fn may_be_sent(self) -> bool {
        self == UnitStatus::Available
    }
}

/// Seconds from receiving a call to a unit on scene that the 110 rules set as the target.
pub fn arrival_target_s(urban: bool) -> i64 {
    if urban { 300 } else { 600 }
}

/// When an incident entered each stage (epoch ms); `None` for stages not (yet) reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Intervals {
    pub received: i64,
    pub answered: Option<i64>,
    pub dispatched: Option<i64>,
    pub en_route: Option<i64>,
    pub on_scene: Option<i64>,
    pub cleared: Option<i64>,
}

impl Intervals {
    /// Seconds from the call to its answer.
    pub fn answer_s(&self) -> Option<i64> {
        self.answered.map(|t| (t - self.received) / 1000)
    }

    /// Seconds from the call to the first unit on scene: what the target measures.
    pub fn arrival_s(&self) -> Option<i64> {
        self.on_scene.map(|t| (t - self.received) / 1000)
    }

    /// Whether the arrival met the target; `None` until someone is on scene.
    pub fn on_target(&self, urban: bool) -> Option<bool> {
        self.arrival_s().map(|s| s <= arrival_target_s(urban))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks every state with every step: the allowed ones lead where the table says, every
    /// other one is refused (checked by `refused`), and the table has no unused row.
    fn follows_table<S, A, E>(
        states: &[S],
        steps: &[A],
        allowed: &[(S, A, S)],
        after: impl Fn(S, A) -> Result<S, E>,
        refused: impl Fn(S, A, E),
    ) where
        S: Copy + PartialEq + std::fmt::Debug,
        A: Copy + PartialEq + std::fmt::Debug,
    {
        let mut seen = 0;
        for s in states {
            for a in steps {
                let expected = allowed.iter().find(|(x, y, _)| x == s && y == a).map(|t| t.2);
                match (after(*s, *a), expected) {
                    (Ok(next), Some(e)) => {
                        assert_eq!(next, e, "{s:?} + {a:?}");
                        seen += 1;
                    }
                    (Err(e), None) => refused(*s, *a, e),
                    (got, want) => panic!("{s:?} + {a:?}: allowed {}, want {want:?}", got.is_ok()),
                }
            }
        }
        assert_eq!(seen, allowed.len());
    }

    #[test]
    fn every_stage_with_every_step_follows_the_table() {
        use Stage::*;
        use Step::*;
        let allowed = [
            (Received, Answer, Answered),
            (Answered, Dispatch, Dispatched),
            (Dispatched, Depart, EnRoute),
            (Dispatched, Arrive, OnScene),
            (EnRoute, Arrive, OnScene),
            (OnScene, Clear, Cleared),
            (Received, Cancel, Cancelled),
            (Answered, Cancel, Cancelled),
            (Dispatched, Cancel, Cancelled),
            (EnRoute, Cancel, Cancelled),
        ];
        follows_table(Stage::ALL, Step::ALL, &allowed, Stage::after, |stage, step, e| {
            assert_eq!((e.stage, e.step), (stage, step));
            assert!(e.zh().contains(stage.label(false)) && e.to_string().contains(step.label(true)));
        });
        assert!(!Cleared.open() && !Cancelled.open() && OnScene.open());
    }

    #[test]
    fn every_unit_status_with_every_step_follows_the_table() {
        use UnitStatus::*;
        use UnitStep::*;
        let allowed = [
            (Available, Assign, Dispatched),
            (Dispatched, Move, EnRoute),
            (Dispatched, Reach, OnScene),
            (EnRoute, Reach, OnScene),
            (Dispatched, Release, Available),
            (EnRoute, Release, Available),
            (OnScene, Release, Available),
            (Available, StandDown, OutOfService),
            (OutOfService, Resume, Available),
        ];
        follows_table(UnitStatus::ALL, UnitStep::ALL, &allowed, UnitStatus::after, |status, step, e| {
            assert_eq!((e.status, e.step), (status, step));
            assert!(e.zh().contains(status.label(false)) && e.to_string().contains(step.label(true)));
        });
        assert!(Available.may_be_sent() && !OnScene.may_be_sent() && !OutOfService.may_be_sent());
    }

    #[test]
    fn every_category_sits_under_the_family_its_code_names() {
        for c in Category::ALL {
            assert!(c.as_str().starts_with(c.family().as_str()), "{c:?}");
        }
        for f in Family::ALL {
            assert!(Category::of(*f).count() >= 3, "{f:?} has a choice of categories");
        }
        assert_eq!(Category::parse("traffic.collision").map(Category::family), Some(Family::Traffic));
    }

    #[test]
    fn arrival_is_measured_from_the_call_against_five_or_ten_minutes() {
        let at = 1_790_000_000_000;
        let i =
            Intervals { received: at, answered: Some(at + 8_000), on_scene: Some(at + 420_000), ..Default::default() };
        assert_eq!((i.answer_s(), i.arrival_s()), (Some(8), Some(420)));
        assert_eq!(i.on_target(true), Some(false), "seven minutes misses the city's five");
        assert_eq!(i.on_target(false), Some(true), "but meets the suburbs' ten");
        assert_eq!(Intervals { received: at, ..Default::default() }.on_target(true), None);
    }
}
