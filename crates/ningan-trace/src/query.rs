//! The questions an epidemiological investigator asks of the index: where and when a case
//! exposed others (exposure windows), who shared those windows (close contacts), who the
//! close contacts exposed in turn (secondary contacts), and where several cases met (common
//! source). Each answer follows one [`ExposureRule`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::index::Index;
use crate::model::{PersonId, Presence, SpaceId, SpaceKind, Time};
use crate::rules::{Combine, CompanionRule, ExposureRule};
use crate::secondary::Scratch;

/// A place and time to publish for a case: one space, the case's visits there widened by
/// the rule's buffers and merged where they meet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExposureWindow {
    pub space: SpaceId,
    pub from: Time,
    pub to: Time,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CloseContact {
    pub person: PersonId,
    /// Seconds shared with the case's exposure windows, over all of them.
    pub total_overlap: Time,
    /// Presences of this person that met a window.
    pub shared_visits: u32,
    pub first_exposure: Time,
    pub last_exposure: Time,
    pub spaces: Vec<SpaceId>,
    /// Shared seconds weighted by the kind of each space, for ranking.
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecondaryContact {
    pub contact: CloseContact,
    /// The close contact through whom the exposure came.
    pub via: PersonId,
}

/// A space and interval where at least `m` of the cases were present together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonSource {
    pub space: SpaceId,
    pub from: Time,
    pub to: Time,
    pub cases: Vec<PersonId>,
}

/// The case's exposure windows in `[from, to]`: each visit meeting that period (edges
/// included: a visit ending the second it opens counts) clipped to it, widened by the
/// buffers, merged per space when they overlap or touch. Spaces of a kind weighted 0 are
/// left out.
pub fn exposure_windows(ix: &Index, rule: &ExposureRule, case: PersonId, from: Time, to: Time) -> Vec<ExposureWindow> {
    windows(ix, rule, case, from, to, 0)
}

/// Exposure windows that open no earlier than `floor`.
fn windows(
    ix: &Index,
    rule: &ExposureRule,
    person: PersonId,
    from: Time,
    to: Time,
    floor: Time,
) -> Vec<ExposureWindow> {
    let mut stays = Vec::new();
    ix.of_person(person, from, to, |p| stays.push(*p));
    windows_of(ix, rule, &stays, from, to, floor)
}

/// The windows `stays` (one person's, meeting `[from, to]` edges included) make.
pub(crate) fn windows_of(
    ix: &Index,
    rule: &ExposureRule,
    stays: &[Presence],
    from: Time,
    to: Time,
    floor: Time,
) -> Vec<ExposureWindow> {
    let raw = stays
        .iter()
        .filter(|p| p.start <= to && p.end >= from && ix.kind(p.space).is_some_and(|k| rule.weight(k) > 0.0))
        .map(|p| ExposureWindow {
            space: p.space,
            from: p.start.max(from).saturating_sub(rule.buffer_before).max(floor),
            to: p.end.min(to).saturating_add(rule.buffer_after),
        })
        .collect();
    merge_windows(raw)
}

fn merge_windows(mut raw: Vec<ExposureWindow>) -> Vec<ExposureWindow> {
    raw.sort();
    let mut out: Vec<ExposureWindow> = Vec::with_capacity(raw.len());
    for w in raw {
        match out.last_mut() {
            Some(last) if last.space == w.space && w.from <= last.to => last.to = last.to.max(w.to),
            _ => out.push(w),
        }
    }
    out
}

/// One presence of someone else meeting one exposure window of `via` (a case, or for
/// secondary contacts the close contact whose window it is).
#[derive(Clone, Copy)]
pub(crate) struct Pair {
    pub(crate) person: PersonId,
    pub(crate) via: PersonId,
    pub(crate) space: SpaceId,
    pub(crate) overlap: Time,
    /// When the shared time begins; it ends `overlap` later.
    pub(crate) first: Time,
    /// The rule's weight of the space's kind, carried so that scoring looks nothing up.
    pub(crate) weight: f32,
}

impl Pair {
    /// The pair of `q` and `via`'s window `[from, to]` in `space`, if they share any time.
    fn of(q: &Presence, via: PersonId, space: SpaceId, weight: f32, from: Time, to: Time) -> Option<Pair> {
        let overlap = q.overlap(from, to);
        (overlap > 0).then(|| Pair { person: q.person, via, space, weight, overlap, first: q.start.max(from) })
    }
}

/// Whether a person's tally makes them a contact: (longest single shared stay, total).
type Qualifies<'a> = &'a dyn Fn(Time, Time) -> bool;

fn tally_contacts(
    ix: &Index,
    rule: &ExposureRule,
    case: PersonId,
    windows: &[ExposureWindow],
    qualifies: Qualifies<'_>,
) -> Vec<CloseContact> {
    let mut pairs = Vec::new();
    collect_pairs(ix, &Weights::of_rule(rule), case, case, windows, &mut pairs);
    finish(pairs, qualifies)
}

/// The pairs of everyone but `owner` with `owner`'s windows, marked `via`.
pub(crate) fn collect_pairs(
    ix: &Index,
    weights: &Weights,
    owner: PersonId,
    via: u32,
    windows: &[ExposureWindow],
    pairs: &mut Vec<Pair>,
) {
    for w in windows {
        let weight = weights.of_space(ix, w.space);
        ix.in_space(w.space, w.from, w.to, |q| {
            if q.person != owner {
                pairs.extend(Pair::of(q, via, w.space, weight, w.from, w.to));
            }
        });
    }
}

/// Sums the pairs per person (sorting instead of a map per person: no allocation per
/// contact), keeps those that qualify, most exposed first.
fn finish(mut pairs: Vec<Pair>, qualifies: Qualifies<'_>) -> Vec<CloseContact> {
    pairs.sort_unstable_by_key(|p| (p.person, p.space));
    let mut out = Vec::new();
    for group in pairs.chunk_by(|a, b| a.person == b.person) {
        let (best, total) = tally(group);
        if qualifies(best, total) {
            out.push(contact_of(group));
        }
    }
    out.sort_by(|a, b| b.total_overlap.cmp(&a.total_overlap).then(a.person.cmp(&b.person)));
    out
}

/// (Longest single shared stay, total shared time) of one person's pairs.
pub(crate) fn tally(group: &[Pair]) -> (Time, Time) {
    let best = group.iter().map(|p| p.overlap).max().unwrap_or(0);
    (best, group.iter().map(|p| p.overlap).sum())
}

/// The rule's weight of each kind of space, looked up once per query rather than per space.
pub(crate) struct Weights([f32; SpaceKind::ALL.len()]);

impl Weights {
    pub(crate) fn of_rule(rule: &ExposureRule) -> Weights {
        Weights(SpaceKind::ALL.map(|k| rule.weight(k)))
    }

    /// The weight of `space`'s kind; a space of no known kind weighs 1.
    fn of_space(&self, ix: &Index, space: SpaceId) -> f32 {
        ix.kind(space).map_or(1.0, |k| self.0[k as usize])
    }
}

/// The contact one person's pairs make, sorted by space.
fn contact_of(group: &[Pair]) -> CloseContact {
    Tally::of(group).contact(spaces_of(group))
}

/// The spaces of pairs sorted by space, each once.
pub(crate) fn spaces_of(group: &[Pair]) -> Vec<SpaceId> {
    group.chunk_by(|a, b| a.space == b.space).map(|run| run[0].space).collect()
}

/// A contact but for the list of its spaces: what one person's pairs (sorted by space) add
/// up to.
#[derive(Clone, Copy)]
pub(crate) struct Tally {
    pub(crate) person: PersonId,
    pub(crate) total: Time,
    pub(crate) visits: u32,
    pub(crate) first: Time,
    pub(crate) last: Time,
    pub(crate) score: f64,
    /// The first space, and how many there are.
    pub(crate) space: SpaceId,
    pub(crate) spaces: u32,
}

impl Tally {
    pub(crate) fn of(group: &[Pair]) -> Tally {
        // Per space, in ascending space order, so the score sums in a fixed order.
        let (mut score, mut spaces) = (0.0, 0);
        for run in group.chunk_by(|a, b| a.space == b.space) {
            let shared: Time = run.iter().map(|p| p.overlap).sum();
            score += f64::from(shared) * f64::from(run[0].weight);
            spaces += 1;
        }
        Tally {
            person: group[0].person,
            total: group.iter().map(|p| p.overlap).sum(),
            visits: group.len() as u32,
            first: group.iter().map(|p| p.first).min().unwrap_or(0),
            last: group.iter().map(|p| p.first + p.overlap).max().unwrap_or(0),
            score,
            space: group[0].space,
            spaces,
        }
    }

    pub(crate) fn contact(self, spaces: Vec<SpaceId>) -> CloseContact {
        CloseContact {
            person: self.person,
            total_overlap: self.total,
            shared_visits: self.visits,
            first_exposure: self.first,
            last_exposure: self.last,
            spaces,
            score: self.score,
        }
    }
}

/// Who shared the case's exposure windows in `[from, to]` under `rule`, most exposed first.
pub fn close_contacts(ix: &Index, rule: &ExposureRule, case: PersonId, from: Time, to: Time) -> Vec<CloseContact> {
    let windows = exposure_windows(ix, rule, case, from, to);
    tally_contacts(ix, rule, case, &windows, &|best, total| exposure_qualifies(rule, best, total))
}

pub(crate) fn exposure_qualifies(rule: &ExposureRule, best_single: Time, total: Time) -> bool {
    best_single >= rule.min_overlap || rule.min_cumulative.is_some_and(|c| total >= c)
}

/// Contacts of each close contact from that contact's first exposure to `to`, leaving out
/// the case and every close contact; each through the close contact that exposed them most
/// (the lowest id on ties): [`crate::secondary::secondary_by_person`] without a cap. All
/// close contacts' pairs are sorted by person together: a popular venue puts the same person
/// in many close contacts' windows, and a contact is built only for the link that wins.
pub fn secondary_contacts(
    ix: &Index,
    rule: &ExposureRule,
    case: PersonId,
    close: &[CloseContact],
    to: Time,
    scratch: &mut Scratch,
) -> Vec<SecondaryContact> {
    crate::secondary::secondary_by_person(ix, rule, case, close, to, usize::MAX, scratch)
        .people
        .into_iter()
        .map(|p| SecondaryContact { contact: p.contact, via: p.via })
        .collect()
}

/// Spaces and intervals in `[from, to]` where at least `m` of `cases` were present at once,
/// split where the set of cases present changes; most cases first, then longest.
pub fn common_sources(ix: &Index, cases: &[PersonId], from: Time, to: Time, m: usize) -> Vec<CommonSource> {
    // Events per space: (time, +1 arrive / -1 leave, case).
    let mut events: BTreeMap<SpaceId, Vec<(Time, i8, PersonId)>> = BTreeMap::new();
    let unique: BTreeSet<PersonId> = cases.iter().copied().collect();
    for &case in &unique {
        ix.of_person(case, from, to, |p| {
            let (a, b) = (p.start.max(from), p.end.min(to));
            // A zero-length stay shares no time with anyone; as events it would leave
            // before it arrives.
            if a < b {
                let e = events.entry(p.space).or_default();
                e.push((a, 1, case));
                e.push((b, -1, case));
            }
        });
    }
    let mut out = Vec::new();
    for (space, mut evs) in events {
        // Leaving before arriving at the same instant: touching stays do not overlap.
        evs.sort_by_key(|&(t, d, c)| (t, d, c));
        let mut present: BTreeMap<PersonId, u32> = BTreeMap::new();
        let mut i = 0;
        while i < evs.len() {
            let t = evs[i].0;
            while i < evs.len() && evs[i].0 == t {
                let (_, d, c) = evs[i];
                if d > 0 {
                    *present.entry(c).or_default() += 1;
                } else if let Some(n) = present.get_mut(&c) {
                    *n -= 1;
                    if *n == 0 {
                        present.remove(&c);
                    }
                }
                i += 1;
            }
            let Some(&(next, _, _)) = evs.get(i) else { break };
            if present.len() >= m && next > t {
                let cases: Vec<PersonId> = present.keys().copied().collect();
                match out.last_mut() {
                    Some(CommonSource { space: s, to: end, cases: prev, .. })
                        if *s == space && *end == t && *prev == cases =>
                    {
                        *end = next
                    }
                    _ => out.push(CommonSource { space, from: t, to: next, cases }),
                }
            }
        }
    }
    out.sort_by(|a, b| {
        b.cases
            .len()
            .cmp(&a.cases.len())
            .then((b.to - b.from).cmp(&(a.to - a.from)))
            .then(a.space.cmp(&b.space))
            .then(a.from.cmp(&b.from))
    });
    out
}

/// Cell-grid companions (时空伴随): people who stayed in the same cell as the case for more
/// than `rule.min_stay` at a time, and/or more than `rule.min_cumulative` over the window, as
/// `rule.combine` says. Only spaces of kind [`SpaceKind::Cell`] count; no buffers.
pub fn companions(ix: &Index, rule: &CompanionRule, case: PersonId, from: Time, to: Time) -> Vec<CloseContact> {
    let mut raw = Vec::new();
    ix.of_person(case, from, to, |p| {
        if ix.kind(p.space) == Some(SpaceKind::Cell) {
            raw.push(ExposureWindow { space: p.space, from: p.start.max(from), to: p.end.min(to) });
        }
    });
    let windows = merge_windows(raw);
    let unweighted = ExposureRule { kind_weights: HashMap::new(), ..ExposureRule::ninth_edition() };
    let qualifies = |best: Time, total: Time| {
        let (stay, cumulative) = (best > rule.min_stay, total > rule.min_cumulative);
        match rule.combine {
            Combine::Either => stay || cumulative,
            Combine::Both => stay && cumulative,
        }
    };
    tally_contacts(ix, &unweighted, case, &windows, &qualifies)
}

/// One case's part of a cluster trace.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseTrace {
    pub case: PersonId,
    pub windows: Vec<ExposureWindow>,
    pub close: Vec<CloseContact>,
    pub secondary: Vec<SecondaryContact>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterTrace {
    pub cases: Vec<CaseTrace>,
    /// Where at least `m` of the cluster's cases met, over the span of all their windows.
    pub common_sources: Vec<CommonSource>,
}

/// Everything for a cluster of cases, each `(case, from, to)`, at once. The close-contact
/// scans are shared: all cases' exposure windows are grouped by space and each space is read
/// once over the span of its windows, instead of once per case and window.
pub fn trace_cluster(ix: &Index, rule: &ExposureRule, cases: &[(PersonId, Time, Time)], m: usize) -> ClusterTrace {
    let mut scratch = Scratch::default();
    let windows: Vec<Vec<ExposureWindow>> =
        cases.iter().map(|&(case, from, to)| exposure_windows(ix, rule, case, from, to)).collect();
    // (space, from, to, which case) for every window, grouped by space.
    let mut by_space: BTreeMap<SpaceId, Vec<(Time, Time, usize)>> = BTreeMap::new();
    for (i, ws) in windows.iter().enumerate() {
        for w in ws {
            by_space.entry(w.space).or_default().push((w.from, w.to, i));
        }
    }
    let mut pairs: Vec<Vec<Pair>> = vec![Vec::new(); cases.len()];
    let weights = Weights::of_rule(rule);
    for (space, ws) in &by_space {
        let weight = weights.of_space(ix, *space);
        let span_from = ws.iter().map(|w| w.0).min().unwrap_or(0);
        let span_to = ws.iter().map(|w| w.1).max().unwrap_or(0);
        ix.in_space(*space, span_from, span_to, |q| {
            for &(wf, wt, i) in ws {
                if q.person != cases[i].0 {
                    pairs[i].extend(Pair::of(q, cases[i].0, *space, weight, wf, wt));
                }
            }
        });
    }
    let traces = cases
        .iter()
        .zip(windows)
        .zip(pairs)
        .map(|((&(case, _, to), windows), pairs)| {
            let close = finish(pairs, &|best, total| exposure_qualifies(rule, best, total));
            let secondary = secondary_contacts(ix, rule, case, &close, to, &mut scratch);
            CaseTrace { case, windows, close, secondary }
        })
        .collect();
    let ids: Vec<PersonId> = cases.iter().map(|c| c.0).collect();
    let from = cases.iter().map(|c| c.1).min().unwrap_or(0);
    let to = cases.iter().map(|c| c.2).max().unwrap_or(0);
    ClusterTrace { cases: traces, common_sources: common_sources(ix, &ids, from, to, m) }
}
