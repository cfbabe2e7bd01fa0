//! The smart gate's decision (小门无感智控): from the pass token's validity, the person's
//! epidemiological status, the control zone the gate stands in and whether the person lives
//! in the gate's compound, one of allow, deny, or verify (a guard checks in person), with a
//! reason code. Pure and total, so it is tested exhaustively and runs in microseconds.

use crate::pass::{Pass, PassError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PersonStatus {
    Normal,
    /// A secondary contact under health monitoring.
    Secondary,
    /// A close contact not yet released from quarantine.
    CloseContact,
    /// A confirmed, asymptomatic or suspected case.
    Case,
}

/// Control zone levels, from none to the strictest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ZoneLevel {
    None,
    /// 防范区: normal life, strict checks.
    Precaution,
    /// 管控区: people stay in the compound; leaving needs approval.
    Controlled,
    /// 封控区: nobody leaves; entry only for residents, escorted.
    Sealed,
}

impl ZoneLevel {
    pub const ALL: [ZoneLevel; 3] = [ZoneLevel::Precaution, ZoneLevel::Controlled, ZoneLevel::Sealed];

    pub fn as_str(self) -> &'static str {
        match self {
            ZoneLevel::None => "none",
            ZoneLevel::Precaution => "precaution",
            ZoneLevel::Controlled => "controlled",
            ZoneLevel::Sealed => "sealed",
        }
    }

    pub fn parse(s: &str) -> Option<ZoneLevel> {
        ZoneLevel::ALL.into_iter().find(|z| z.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ZoneLevel::None => "无",
            ZoneLevel::Precaution => "防范区",
            ZoneLevel::Controlled => "管控区",
            ZoneLevel::Sealed => "封控区",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    In,
    Out,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Allow,
    Deny,
    /// A guard checks the person in person before opening.
    Verify,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::Verify => "verify",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub reason: &'static str,
}

/// What the gate knows about one attempt to pass.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    /// The token opened with the bureau's key ([`Pass::open`]): a signature that does not
    /// check is an error here; an expired pass is not, so its holder's status still counts.
    pub pass: Result<Pass, PassError>,
    pub now: u32,
    pub status: PersonStatus,
    pub zone: ZoneLevel,
    pub gate_compound: i64,
    pub direction: Direction,
}

pub fn decide(a: &Attempt) -> Decision {
    use Direction::{In, Out};
    use Verdict::{Allow, Deny, Verify};
    let d = |verdict, reason| Decision { verdict, reason };
    let pass = match a.pass {
        Ok(p) => p,
        Err(e) => return d(Deny, e.code()),
    };
    let resident = pass.compound == a.gate_compound;
    match (a.status, a.direction) {
        (PersonStatus::Case, _) => return d(Deny, "status_case"),
        (PersonStatus::CloseContact, Out) => return d(Deny, "status_close_contact"),
        // Back home to quarantine there: a guard hands over.
        (PersonStatus::CloseContact, In) => return d(Verify, "status_close_contact"),
        _ => {}
    }
    // Someone whose pass lapsed is still who the signature says: a guard checks and renews.
    if let Err(e) = pass.validity(a.now) {
        return match (a.zone, a.direction) {
            (ZoneLevel::Sealed, Out) => d(Deny, "zone_sealed"),
            _ => d(Verify, e.code()),
        };
    }
    match (a.zone, a.direction) {
        (ZoneLevel::Sealed, Out) => return d(Deny, "zone_sealed"),
        (ZoneLevel::Sealed, In) if resident => return d(Verify, "zone_sealed"),
        (ZoneLevel::Sealed, In) => return d(Deny, "zone_sealed"),
        (ZoneLevel::Controlled, Out) => return d(Verify, "zone_controlled"),
        (ZoneLevel::Controlled, In) if !resident => return d(Deny, "zone_controlled"),
        _ => {}
    }
    match (a.status, a.direction, resident) {
        (PersonStatus::Secondary, Out, _) => d(Verify, "status_secondary"),
        (_, In, false) => d(Verify, "visitor"),
        _ => d(Allow, "ok"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pass_strategy() -> impl Strategy<Value = Result<Pass, PassError>> {
        prop_oneof![
            (0u32..5, 0i64..3, 0u32..2000, 0u32..2000).prop_map(|(person, compound, issued, expires)| Ok(Pass {
                person,
                compound,
                issued,
                expires
            })),
            Just(Err(PassError::Malformed)),
            Just(Err(PassError::Signature)),
        ]
    }

    fn attempt() -> impl Strategy<Value = Attempt> {
        (
            pass_strategy(),
            prop_oneof![
                Just(PersonStatus::Normal),
                Just(PersonStatus::Secondary),
                Just(PersonStatus::CloseContact),
                Just(PersonStatus::Case)
            ],
            prop_oneof![
                Just(ZoneLevel::None),
                Just(ZoneLevel::Precaution),
                Just(ZoneLevel::Controlled),
                Just(ZoneLevel::Sealed)
            ],
            0i64..3,
            prop_oneof![Just(Direction::In), Just(Direction::Out)],
            0u32..2000,
        )
            .prop_map(|(pass, status, zone, gate_compound, direction, now)| Attempt {
                pass,
                now,
                status,
                zone,
                gate_compound,
                direction,
            })
    }

    proptest! {
        #[test]
        fn the_decision_never_opens_what_the_rules_close(a in attempt()) {
            let d = decide(&a);
            if d.verdict == Verdict::Allow {
                prop_assert!(a.pass.is_ok_and(|p| p.validity(a.now).is_ok()), "only a valid pass opens the gate");
                prop_assert!(a.status <= PersonStatus::Secondary, "cases and close contacts never pass freely");
                prop_assert!(a.zone != ZoneLevel::Sealed, "a sealed zone never opens freely");
                prop_assert!(!(a.zone == ZoneLevel::Controlled && a.direction == Direction::Out));
            }
            if matches!(a.pass, Err(PassError::Signature | PassError::Malformed)) {
                prop_assert_eq!(d.verdict, Verdict::Deny, "forged passes are refused");
            }
            if a.status == PersonStatus::Case {
                prop_assert_eq!(d.verdict, Verdict::Deny);
            }
            // A stricter zone never turns a refusal into an opening.
            let mut stricter = a;
            for z in ZoneLevel::ALL.into_iter().filter(|z| *z > a.zone) {
                stricter.zone = z;
                let s = decide(&stricter);
                prop_assert!(!(d.verdict == Verdict::Deny && s.verdict != Verdict::Deny), "{:?} → {:?}", d, s);
            }
        }
    }

    #[test]
    fn residents_pass_and_visitors_are_checked() {
        let pass = Ok(Pass { person: 1, compound: 7, issued: 0, expires: 10 });
        let mut a = Attempt {
            pass,
            now: 5,
            status: PersonStatus::Normal,
            zone: ZoneLevel::None,
            gate_compound: 7,
            direction: Direction::In,
        };
        assert_eq!(decide(&a), Decision { verdict: Verdict::Allow, reason: "ok" });
        a.gate_compound = 8;
        assert_eq!(decide(&a), Decision { verdict: Verdict::Verify, reason: "visitor" });
        a.zone = ZoneLevel::Controlled;
        assert_eq!(decide(&a).verdict, Verdict::Deny);
        a.direction = Direction::Out;
        a.gate_compound = 7;
        assert_eq!(decide(&a), Decision { verdict: Verdict::Verify, reason: "zone_controlled" });
        a.zone = ZoneLevel::None;
        a.now = 10;
        assert_eq!(decide(&a), Decision { verdict: Verdict::Verify, reason: "pass_expired" });
        a.status = PersonStatus::Case;
        assert_eq!(
            decide(&a),
            Decision { verdict: Verdict::Deny, reason: "status_case" },
            "an expired pass still names a case"
        );
    }
}
