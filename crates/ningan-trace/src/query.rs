//! The questions an epidemiological investigator asks of the index: where and when a case
//! exposed others (exposure windows), who shared those windows (close contacts), who the
//! close contacts exposed in turn (secondary contacts), and where several cases met (common
//! source). Each answer follows one [`ExposureRule`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::index::Index;
use crate::model::{PersonId, Presence, SpaceId, SpaceKind, Time};
use crate::radix;
use crate::rules::{Combine, CompanionRule, ExposureRule};

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
fn windows_of(
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
struct Pair {
    person: PersonId,
    via: PersonId,
    space: SpaceId,
    overlap: Time,
    /// When the shared time begins; it ends `overlap` later.
    first: Time,
    /// The rule's weight of the space's kind, carried so that scoring looks nothing up.
    weight: f32,
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
fn collect_pairs(
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
fn tally(group: &[Pair]) -> (Time, Time) {
    let best = group.iter().map(|p| p.overlap).max().unwrap_or(0);
    (best, group.iter().map(|p| p.overlap).sum())
}

/// The rule's weight of each kind of space, looked up once per query rather than per space.
struct Weights([f32; SpaceKind::ALL.len()]);

impl Weights {
    fn of_rule(rule: &ExposureRule) -> Weights {
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
fn spaces_of(group: &[Pair]) -> Vec<SpaceId> {
    group.chunk_by(|a, b| a.space == b.space).map(|run| run[0].space).collect()
}

/// A contact but for the list of its spaces: what one person's pairs (sorted by space) add
/// up to.
#[derive(Clone, Copy)]
struct Tally {
    person: PersonId,
    total: Time,
    visits: u32,
    first: Time,
    last: Time,
    score: f64,
    /// The first space, and how many there are.
    space: SpaceId,
    spaces: u32,
}

impl Tally {
    fn of(group: &[Pair]) -> Tally {
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

    fn contact(self, spaces: Vec<SpaceId>) -> CloseContact {
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

fn exposure_qualifies(rule: &ExposureRule, best_single: Time, total: Time) -> bool {
    best_single >= rule.min_overlap || rule.min_cumulative.is_some_and(|c| total >= c)
}

/// Contacts of each close contact from that contact's first exposure to `to`, leaving out
/// the case and every close contact; each through the close contact that exposed them most
/// (the lowest id on ties). All close contacts' pairs are tallied in one sorted vector:
/// a popular venue puts the same person in many close contacts' windows, and a contact
/// record is built only for the close contact that wins.
pub fn secondary_contacts(
    ix: &Index,
    rule: &ExposureRule,
    case: PersonId,
    close: &[CloseContact],
    to: Time,
    scratch: &mut Scratch,
) -> Vec<SecondaryContact> {
    secondary_by_person(ix, rule, case, close, to, usize::MAX, scratch)
        .people
        .into_iter()
        .map(|p| SecondaryContact { contact: p.contact, via: p.via })
        .collect()
}

/// A close contact's secondary window too crowded to trace person by person: more than the
/// cap's presences of others met it. Investigators publish such a place and time as an
/// exposure place instead of listing everyone there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CrowdedWindow {
    pub space: SpaceId,
    pub from: Time,
    pub to: Time,
    /// The close contact whose window it is.
    pub via: PersonId,
    /// Presences of others that met it.
    pub presences: u32,
}

/// One secondary contact per person: the contact through the strongest link (as
/// [`secondary_contacts`] gives it) and how many close contacts link them at all.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondaryPerson {
    pub contact: CloseContact,
    pub via: PersonId,
    /// Close contacts through whom the person qualifies, the strongest included.
    pub links: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecondaryAnswer {
    /// Most exposed first, as [`secondary_contacts`].
    pub people: Vec<SecondaryPerson>,
    /// Windows left out as too crowded, by space and time.
    pub crowded: Vec<CrowdedWindow>,
}

/// Secondary contacts answered per person with a cap for mass venues: a close contact's window
/// that more than `cap` presences of others met is not traced person by person but returned
/// as a [`CrowdedWindow`]; everyone else is traced as in [`secondary_contacts`], each person
/// once, through the strongest link, with the number of links. With `cap` at `usize::MAX`
/// the people are exactly [`secondary_contacts`]'s.
pub fn secondary_by_person(
    ix: &Index,
    rule: &ExposureRule,
    case: PersonId,
    close: &[CloseContact],
    to: Time,
    cap: usize,
    scratch: &mut Scratch,
) -> SecondaryAnswer {
    let Scratch { buckets, sorted, ranked, keyed, order } = scratch;
    let mut excluded: Vec<PersonId> = close.iter().map(|c| c.person).chain([case]).collect();
    excluded.sort_unstable();
    let mut vias: Vec<PersonId> = close.iter().map(|c| c.person).collect();
    vias.sort_unstable();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = if close.len() < 64 { 1 } else { threads };
    // Close contacts are handed out a few at a time, as their cost varies by thousands, and
    // in the order of their ids, so that looking them up walks each day's person order
    // forwards. Each core puts the pairs it finds in one bucket per part, by person, so that
    // the parts can then be sorted and tallied apart, every person whole in one of them.
    let mut in_id_order: Vec<&CloseContact> = close.iter().collect();
    in_id_order.sort_unstable_by_key(|c| c.person);
    let close = in_id_order;
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Parts are ranges of ids, so that the parts one after another are in order of person.
    let bound = u64::from(ix.person_bound()) + 1;
    let part_of = |person: PersonId| ((u64::from(person) * parts as u64 / bound) as usize).min(parts - 1);
    buckets.resize_with(parts, Vec::new);
    for mine in buckets.iter_mut() {
        mine.resize_with(parts, Vec::new);
        mine.iter_mut().for_each(Vec::clear);
    }
    let found = on_cores_with(&mut buckets[..parts], |_, buckets| {
        let mut crowded = Vec::new();
        let (mut window_pairs, mut own) = (Vec::new(), Vec::new());
        let weights = Weights::of_rule(rule);
        loop {
            let at = next.fetch_add(CLOSE_PER_TAKE, std::sync::atomic::Ordering::Relaxed);
            let Some(share) = close.get(at..(at + CLOSE_PER_TAKE).min(close.len())) else { break };
            if share.is_empty() {
                break;
            }
            for &c in share {
                let rank = vias.partition_point(|&v| v < c.person) as u32;
                // A close contact's own windows, from which secondary contacts are found
                // (the 9th edition: from their first contact with the case until they are
                // controlled). The first exposure already lies up to `buffer_before` ahead
                // of the case's arrival, so the buffer is not applied a second time before
                // it: no window opens before the first exposure. Later visits get both
                // buffers as usual. One look-up of their stays serves both the windows
                // (stays starting by `to`) and, for a crowded window, their own stays in it,
                // which may start up to the after-buffer later.
                own.clear();
                ix.of_person(c.person, c.first_exposure, to.saturating_add(rule.buffer_after), |p| own.push(*p));
                for w in windows_of(ix, rule, &own, c.first_exposure, to, c.first_exposure) {
                    // A mass venue's window is known to be crowded by its count alone,
                    // without visiting the crowd; smaller places are collected and counted
                    // as they go.
                    let crowd = match crowd_beyond(ix, &own, &w, cap) {
                        Some(others) => others,
                        None => {
                            window_pairs.clear();
                            collect_pairs(ix, &weights, c.person, rank, std::slice::from_ref(&w), &mut window_pairs);
                            if window_pairs.len() <= cap {
                                for p in &window_pairs {
                                    buckets[part_of(p.person)].push(*p);
                                }
                                continue;
                            }
                            window_pairs.len()
                        }
                    };
                    let presences = u32::try_from(crowd).unwrap_or(u32::MAX);
                    crowded.push(CrowdedWindow { space: w.space, from: w.from, to: w.to, via: c.person, presences });
                }
            }
        }
        crowded
    });
    let mut crowded: Vec<CrowdedWindow> = found.into_iter().flatten().collect();
    crowded.sort_unstable();
    let buckets = &buckets[..parts];
    sorted.resize_with(parts, Default::default);
    on_cores_with(&mut sorted[..parts], |part, [pairs, spare]| {
        let mine: Vec<&[Pair]> = buckets.iter().map(|b| b[part].as_slice()).collect();
        let max_person = mine.iter().flat_map(|m| m.iter()).map(|p| p.person).max().unwrap_or(0);
        radix::sort_parts_into(&mine, radix::bits_for(max_person.into()), |p| p.person.into(), pairs, spare);
        // A person's pairs are few: put them in order of link, then space, where they lie.
        for group in pairs.chunk_by_mut(|a, b| a.person == b.person) {
            if group.len() > 1 {
                group.sort_unstable_by_key(|p| (p.via, p.space));
            }
        }
    });
    let sorted_parts: Vec<&[Pair]> = sorted[..parts].iter().map(|[pairs, _]| pairs.as_slice()).collect();
    // Each part's people are tallied on a core of its own, in order of person; one stable
    // sort by total shared time then puts them most exposed first, ties by person.
    ranked.resize_with(parts, Vec::new);
    on_cores_with(&mut ranked[..parts], |part, out| strongest_links(rule, sorted_parts[part], part, &excluded, out));
    let ranked = &ranked[..parts];
    let most = ranked.iter().flatten().map(|r| r.tally.total).max().unwrap_or(0);
    // Sorted as small (key, part, index) records, not as the records themselves.
    keyed.resize_with(parts, Vec::new);
    for (part, (keys, rs)) in keyed.iter_mut().zip(ranked).enumerate() {
        keys.clear();
        keys.extend(rs.iter().enumerate().map(|(i, r)| (most - r.tally.total, part as u32, i as u32)));
    }
    let keyed: Vec<&[(Time, u32, u32)]> = keyed[..parts].iter().map(Vec::as_slice).collect();
    let [order, spare] = order;
    radix::sort_parts_into(&keyed, radix::bits_for(most.into()), |k| k.0.into(), order, spare);
    let order = order.as_slice();
    // The contacts are built in that order, half on each core; only a person met in several
    // spaces needs their pairs again.
    let share = order.len().div_ceil(parts).max(1);
    let built = on_cores(parts, |half| {
        let mine = order.get(half * share..((half + 1) * share).min(order.len())).unwrap_or_default();
        // The first half is built where the whole answer will lie.
        let mut people = Vec::with_capacity(if half == 0 { order.len() } else { mine.len() });
        // Fetched a few at a time ahead of building them, so that their reads overlap
        // instead of each waiting on memory between two allocations.
        let mut batch = [None; FETCH_AHEAD];
        for keys in mine.chunks(FETCH_AHEAD) {
            for (slot, &(_, part, i)) in batch.iter_mut().zip(keys) {
                *slot = Some(ranked[part as usize][i as usize]);
            }
            for r in batch.iter().take(keys.len()).flatten() {
                let spaces = if r.tally.spaces == 1 {
                    vec![r.tally.space]
                } else {
                    spaces_of(&sorted_parts[r.part as usize][r.lo as usize..(r.lo + r.tally.visits) as usize])
                };
                people.push(SecondaryPerson {
                    contact: r.tally.contact(spaces),
                    via: vias[r.via as usize],
                    links: r.links,
                });
            }
        }
        people
    });
    let mut halves = built.into_iter();
    let mut people = halves.next().unwrap_or_default();
    for half in halves {
        people.extend(half);
    }
    SecondaryAnswer { people, crowded }
}

/// Secondary contacts read ahead of building them.
const FETCH_AHEAD: usize = 16;

/// Close contacts a core takes at a time when collecting secondary pairs.
const CLOSE_PER_TAKE: usize = 16;

/// `f(i, &mut states[i])` for each state, each on a thread of its own (on this one when
/// there is one).
fn on_cores_with<S: Send, T: Send>(states: &mut [S], f: impl Fn(usize, &mut S) -> T + Sync) -> Vec<T> {
    if let [state] = states {
        return vec![f(0, state)];
    }
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = states.iter_mut().enumerate().map(|(i, state)| s.spawn(move || f(i, state))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// `f(0)`, …, `f(n - 1)`, each on a thread of its own (on this one when `n` is 1).
fn on_cores<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    if n <= 1 {
        return vec![f(0)];
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                s.spawn({
                    let f = &f;
                    move || f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// Working memory of [`secondary_by_person`], kept between questions: a mass venue's answer
/// sorts hundreds of megabytes, and memory fresh from the system is paid for page by page
/// each time.
#[derive(Default)]
pub struct Scratch {
    /// Per core: the pairs it found, one bucket per part.
    buckets: Vec<Vec<Vec<Pair>>>,
    /// Per part: its pairs sorted, and the sort's other buffer.
    sorted: Vec<[Vec<Pair>; 2]>,
    /// Per part: one record per secondary contact.
    ranked: Vec<Vec<Ranked>>,
    /// Per part: the records' sort keys; then all of them sorted, and the other buffer.
    keyed: Vec<Vec<(Time, u32, u32)>>,
    order: [Vec<(Time, u32, u32)>; 2],
}

impl Scratch {
    /// Lets go of each buffer's memory beyond `bytes`, keeping the rest for the next question
    /// (the part kept stays in memory, so the next question does not wait on fresh pages).
    pub fn trim(&mut self, bytes: usize) {
        fn keep<T>(v: &mut Vec<T>, bytes: usize) {
            v.clear();
            v.shrink_to(bytes / size_of::<T>().max(1));
        }
        self.buckets.iter_mut().flatten().for_each(|v| keep(v, bytes));
        self.sorted.iter_mut().flatten().for_each(|v| keep(v, bytes));
        self.ranked.iter_mut().for_each(|v| keep(v, bytes));
        self.keyed.iter_mut().chain(&mut self.order).for_each(|v| keep(v, bytes));
    }
}

/// A secondary contact before it is built: its strongest link tallied, and where that
/// link's pairs lie.
#[derive(Clone, Copy)]
struct Ranked {
    tally: Tally,
    /// The link's rank among the close contacts.
    via: u32,
    links: u32,
    part: u32,
    lo: u32,
}

/// One record per person in `pairs` (sorted by person, then link, then space) but the
/// `excluded`, for the strongest link through which they qualify, in order of person.
fn strongest_links(rule: &ExposureRule, pairs: &[Pair], part: usize, excluded: &[PersonId], ranked: &mut Vec<Ranked>) {
    ranked.clear();
    let mut at = 0;
    for group in pairs.chunk_by(|a, b| a.person == b.person) {
        let lo = at;
        at += group.len();
        if excluded.binary_search(&group[0].person).is_ok() {
            continue;
        }
        let mut best: Option<(usize, &[Pair], Time)> = None;
        let mut links = 0;
        let mut from = lo;
        for by_via in group.chunk_by(|a, b| a.via == b.via) {
            let (single, total) = tally(by_via);
            if exposure_qualifies(rule, single, total) {
                links += 1;
                if best.is_none_or(|(.., t)| total > t) {
                    best = Some((from, by_via, total));
                }
            }
            from += by_via.len();
        }
        if let Some((lo, by_via, _)) = best {
            let tally = Tally::of(by_via);
            ranked.push(Ranked { tally, via: by_via[0].via, links, part: part as u32, lo: lo as u32 });
        }
    }
}

/// Presences of everyone but the window's owner meeting `w`, when they can be counted
/// without visiting them and are more than `cap`. `own`: the owner's stays, all that may
/// meet `w` among them.
fn crowd_beyond(ix: &Index, own: &[Presence], w: &ExposureWindow, cap: usize) -> Option<usize> {
    if cap == usize::MAX {
        return None;
    }
    let all = ix.count_in_space(w.space, w.from, w.to).filter(|&n| n > cap)?;
    // The owner's stays that `in_space` gives (sharing more than an instant with `w`).
    let mine = own.iter().filter(|p| p.space == w.space && p.start < w.to && p.end > w.from).count();
    Some(all - mine).filter(|&n| n > cap)
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
