//! What committed writes changed, by area, so that caches over the data (the cockpit's
//! figures, device tokens) know they are stale without every writer remembering to say so.
//! A write marks its areas — from the audit entries it appends, or explicitly — and its
//! commit bumps their generations; an aborted write bumps nothing.

use std::sync::atomic::{AtomicU64, Ordering};

/// A kind of data caches depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Residents, households, compounds, org units.
    People,
    /// Cases, follow-ups, zones, quarantine, venues, check-ins, arrivals.
    Precise,
    /// Signals, warnings, tasks, watchlists, fraud cases, reports.
    Fraud,
    /// Applications, facts, identity changes and their deliveries, the catalogue.
    Services,
    /// Gates and passes.
    Gates,
    /// Accounts, roles, grants and API tokens.
    Access,
    /// Observations streamed in all day: check-ins and raw risk signals. Kept apart so that
    /// caches over what officers act on (the cockpit) do not go stale every second; what the
    /// observations produce (a warning, a case) is audited under its own area.
    Observations,
    /// Everything written by modules that keep their storage in their own folder (enterprise
    /// services and those after it), known by their audited actions' heads only: a cache over
    /// any of them refreshes when one of them commits, without this crate naming them.
    Modules,
}

impl Area {
    const COUNT: usize = 8;

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Generation counters per area, shared by every clone of a `Db`.
#[derive(Debug, Default)]
pub struct Changes {
    generations: [AtomicU64; Area::COUNT],
}

impl Changes {
    /// A number that grows whenever a write touching any of `areas` commits.
    pub fn generation(&self, areas: &[Area]) -> u64 {
        areas.iter().map(|a| self.generations[*a as usize].load(Ordering::Acquire)).sum()
    }

    pub(crate) fn committed(&self, touched: u8) {
        for (i, g) in self.generations.iter().enumerate() {
            if touched & (1 << i) != 0 {
                g.fetch_add(1, Ordering::AcqRel);
            }
        }
    }
}

/// The set of areas one write touched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Touched(pub(crate) u8);

impl Touched {
    pub(crate) fn add(&mut self, area: Area) {
        self.0 |= area.bit();
    }
}

/// The area an audited action changes, or `None` for reads (lists, views, reveals, searches,
/// replays) and sign-ins, which change no data a cache shows.
pub fn area_of(action: &str) -> Option<Area> {
    const READS: &[&str] = &[".list", ".view", ".reveal", ".search", ".replay", ".export"];
    if READS.iter().any(|r| action.ends_with(r)) {
        return None;
    }
    if action == "fraud.signals" {
        return Some(Area::Observations);
    }
    let (head, _) = action.split_once('.').unwrap_or((action, ""));
    match head {
        "checkin" => Some(Area::Observations),
        "resident" | "org_unit" | "compound" | "household" => Some(Area::People),
        "case" | "followup" | "zone" | "quarantine" | "venue" | "arrival" | "risk_area" | "notice" => {
            Some(Area::Precise)
        }
        "fraud" => Some(Area::Fraud),
        "application" | "exchange" | "identity" | "service" | "crosscity" | "access" => Some(Area::Services),
        "gate" | "pass" => Some(Area::Gates),
        "user" | "grant" | "token" => Some(Area::Access),
        // Sign-ins and replays change no data a cache shows.
        "auth" | "citizen" | "idempotent" => None,
        _ => Some(Area::Modules),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_have_an_area_and_reads_have_none() {
        for (action, area) in [
            ("resident.create", Some(Area::People)),
            ("resident.reveal", None),
            ("resident.list", None),
            ("case.view", None),
            ("case.create", Some(Area::Precise)),
            ("quarantine.release", Some(Area::Precise)),
            ("fraud.task.outcome", Some(Area::Fraud)),
            ("fraud.task.list", None),
            ("fraud.signals", Some(Area::Observations)),
            ("fraud.warning", Some(Area::Fraud)),
            ("checkin.ingest", Some(Area::Observations)),
            ("application.decide", Some(Area::Services)),
            ("identity.redrive", Some(Area::Services)),
            ("gate.create", Some(Area::Gates)),
            ("token.revoke", Some(Area::Access)),
            ("grant.approve", Some(Area::Access)),
            ("auth.login", None),
            ("idempotent.replay", None),
            ("citizen.sign_in", None),
            ("enterprise.request_close", Some(Area::Modules)),
            ("enterprise.create", Some(Area::Modules)),
            ("enterprise.list", None),
            ("enterprise.export", None),
        ] {
            assert_eq!(area_of(action), area, "{action}");
        }
    }

    #[test]
    fn a_commit_bumps_only_the_areas_it_touched() {
        let c = Changes::default();
        let mut t = Touched::default();
        t.add(Area::Fraud);
        t.add(Area::Fraud);
        let (fraud, people) = (c.generation(&[Area::Fraud]), c.generation(&[Area::People]));
        c.committed(t.0);
        assert_eq!(c.generation(&[Area::Fraud]), fraud + 1);
        assert_eq!(c.generation(&[Area::People]), people);
    }
}
