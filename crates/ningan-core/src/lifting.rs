//! When a control zone may be lifted (解封), by the rule presets of 2022: N days (14, or the
//! shorter 7 and 5 of later editions) without a new case among its residents, the last close
//! contact's exposure N days past, and every contact's follow-up closed. The mass-screening
//! condition (all residents negative in the last two days) needs results ningan does not
//! hold yet, so the proposal names it as a check left to the officer.

const DAY_MS: i64 = 86_400_000;

pub const PRESETS: [i64; 3] = [14, 7, 5];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LiftFacts {
    /// When the zone took effect.
    pub zone_start_ms: i64,
    /// The latest onset of a case living inside the zone.
    pub last_case_ms: Option<i64>,
    /// The latest exposure of a close contact living inside.
    pub last_contact_exposure_ms: Option<i64>,
    /// Follow-ups of people inside that are not released.
    pub open_contacts: i64,
}

/// What keeps a zone from being proposed for lifting under a preset of `days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    RecentCase,
    RecentContact,
    OpenContacts,
    TooSoon,
}

impl Blocker {
    pub fn zh(self) -> &'static str {
        match self {
            Blocker::RecentCase => "期内有新增病例",
            Blocker::RecentContact => "末次密接暴露未满期",
            Blocker::OpenContacts => "仍有密接、次密接未解除管控",
            Blocker::TooSoon => "区域设立未满期",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Blocker::RecentCase => "recent_case",
            Blocker::RecentContact => "recent_contact",
            Blocker::OpenContacts => "open_contacts",
            Blocker::TooSoon => "too_soon",
        }
    }
}

/// The blockers under a preset of `days` at `now_ms`; none means the zone may be proposed
/// for lifting (after the screening check).
pub fn blockers(f: &LiftFacts, days: i64, now_ms: i64) -> Vec<Blocker> {
    let since = now_ms - days * DAY_MS;
    let mut out = Vec::new();
    if f.zone_start_ms > since {
        out.push(Blocker::TooSoon);
    }
    if f.last_case_ms.is_some_and(|t| t > since) {
        out.push(Blocker::RecentCase);
    }
    if f.last_contact_exposure_ms.is_some_and(|t| t > since) {
        out.push(Blocker::RecentContact);
    }
    if f.open_contacts > 0 {
        out.push(Blocker::OpenContacts);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_zone_is_proposed_under_each_preset_in_turn() {
        let now = 100 * DAY_MS;
        let f = LiftFacts {
            zone_start_ms: now - 20 * DAY_MS,
            last_case_ms: Some(now - 8 * DAY_MS),
            last_contact_exposure_ms: Some(now - 6 * DAY_MS),
            open_contacts: 0,
        };
        assert_eq!(blockers(&f, 14, now), vec![Blocker::RecentCase, Blocker::RecentContact]);
        assert_eq!(blockers(&f, 7, now), vec![Blocker::RecentContact]);
        assert_eq!(blockers(&f, 5, now), vec![]);
        let busy = LiftFacts { open_contacts: 2, zone_start_ms: now - DAY_MS, ..f };
        assert_eq!(blockers(&busy, 5, now), vec![Blocker::TooSoon, Blocker::OpenContacts]);
        assert_eq!(blockers(&LiftFacts::default(), 14, now), vec![], "nothing ever happened there");
    }
}
