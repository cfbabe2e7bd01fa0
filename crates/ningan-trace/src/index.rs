//! The time-and-place index: presences in day partitions (by start day), each sorted by
//! (space, start) for "who was in this space then", with a person-ordered permutation for
//! "where was this person then". New presences wait in a partition's pending list, which
//! queries scan too, until [`Index::seal`] merges them in.
//!
//! A presence is held once: the same person in the same space over the same interval, sent
//! twice (a file imported again, a batch retried), is one stay. Streamed presences are
//! checked on arrival ([`Index::contains`]); bulk loads lose their repeats when sealed.
//!
//! Nothing that ended before the horizon (the start of the retention period, as of the
//! latest clock the engine was given) is seen by a query, whatever the partitions still hold
//! until whole days are dropped.

use std::collections::{BTreeMap, HashSet};

use rustc_hash::FxHashMap;

use crate::model::{MAX_DWELL, PersonId, Presence, SpaceId, SpaceKind, Time};
use crate::radix;

const DAY: Time = 86_400;

#[derive(Default, Debug, Clone)]
struct Partition {
    /// Sorted by (space, start).
    sorted: Vec<Presence>,
    /// Indices into `sorted`, ordered by (person, start).
    by_person: Vec<u32>,
    /// The person of every [`FENCE`]th entry of `by_person`: a search for a person starts in
    /// this small array, which stays in cache, instead of probing the whole permutation.
    person_fence: Vec<PersonId>,
    /// How far each entry's person of `by_person` lies past its fence post's, capped at
    /// [`FAR`]: the entries of a person are then found within one cache line of these bytes,
    /// not by probing `sorted` at random (one byte per presence, against 16 per probe).
    person_step: Vec<u8>,
    /// Where each space's run lies in `sorted`: one lookup instead of a binary search over
    /// the whole day.
    spaces: FxHashMap<SpaceId, SpaceRun>,
    /// The ends of each large run's stays, sorted, one run after another: how many stays
    /// meet a window is then two binary searches, however crowded the place.
    ends: Vec<Time>,
    /// The latest end of any stay here: days whose stays all ended before a window are
    /// skipped.
    max_end: Time,
    /// Accepted but not yet merged; small, scanned linearly.
    pending: Vec<Presence>,
    /// The streamed part of `pending`, to find a repeat without scanning it.
    pending_keys: HashSet<Presence>,
}

#[derive(Debug, Clone, Copy)]
struct SpaceRun {
    lo: u32,
    hi: u32,
    /// The longest stay in this space this day: how far before a window a scan must start.
    /// A restaurant's is an hour or two, not the 24 h any stay may last.
    longest: Time,
    /// Where this run's sorted ends start in [`Partition::ends`]; [`NO_ENDS`] for a run
    /// too small to need them.
    ends: u32,
}

const NO_ENDS: u32 = u32::MAX;

/// Stays of one space in one day from which the run keeps its ends sorted for counting: a
/// mass venue's thousands, not a flat's handful (a scan of this many costs about as much as
/// the searches).
const LARGE_RUN: usize = 128;

/// Entries of `by_person` per fence post.
const FENCE: usize = 64;

/// A person step this far or farther is only known to be that far.
const FAR: u8 = u8::MAX;

impl Partition {
    fn push(&mut self, p: Presence) {
        self.max_end = self.max_end.max(p.end);
        self.pending.push(p);
    }

    /// Whether `p` is held already, in the sorted run or among streamed pending presences.
    fn contains(&self, p: &Presence) -> bool {
        if self.pending_keys.contains(p) {
            return true;
        }
        let Some(run) = self.spaces.get(&p.space) else { return false };
        let stays = &self.sorted[run.lo as usize..run.hi as usize];
        let lo = stays.partition_point(|q| q.start < p.start);
        stays[lo..].iter().take_while(|q| q.start == p.start).any(|q| q == p)
    }

    /// The part of `by_person` holding `person`'s entries, found through the fence.
    fn person_entries(&self, person: PersonId) -> &[u32] {
        // The posts before `post` are below `person`, so their entries begin in the block
        // of the post before it, or right where `post`'s own block begins.
        let post = self.person_fence.partition_point(|&f| f < person);
        let Some(block) = post.checked_sub(1) else { return &self.by_person };
        let lo = block * FENCE;
        let hi = (lo + FENCE).min(self.by_person.len());
        let steps = &self.person_step[lo..hi];
        let step = person - self.person_fence[block];
        let first = if step < u32::from(FAR) {
            lo + steps.partition_point(|&d| u32::from(d) < step)
        } else {
            let far = lo + steps.partition_point(|&d| d < FAR);
            let sorted = &self.sorted;
            far + self.by_person[far..hi].partition_point(|&i| sorted[i as usize].person < person)
        };
        &self.by_person[first..]
    }

    /// Merges the pending presences into the sorted run, dropping repeats; how many.
    fn seal(&mut self) -> usize {
        if self.pending.is_empty() {
            return 0;
        }
        self.pending_keys = HashSet::new();
        let mut pending = std::mem::take(&mut self.pending);
        let max_space = pending.iter().map(|p| p.space).max().unwrap_or(0);
        radix::sort_by_key(&mut pending, radix::bits_for(max_space.into()) + SECOND_BITS, |p| {
            (u64::from(p.space) << SECOND_BITS) | u64::from(p.start % DAY)
        });
        let old = std::mem::take(&mut self.sorted);
        if old.is_empty() {
            self.sorted = pending;
            let repeats = self.drop_repeats();
            self.reindex();
            return repeats;
        }
        let mut merged = Vec::with_capacity(old.len() + pending.len());
        let (mut a, mut b) = (old.into_iter().peekable(), pending.into_iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => {
                    if sort_key(x) <= sort_key(y) {
                        a.next()
                    } else {
                        b.next()
                    }
                }
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            merged.extend(next);
        }
        self.sorted = merged;
        let repeats = self.drop_repeats();
        self.reindex();
        repeats
    }

    /// Repeats of a presence sit among those of the same space and start: each such group is
    /// put in full order, then equal neighbours go.
    fn drop_repeats(&mut self) -> usize {
        let before = self.sorted.len();
        for group in self.sorted.chunk_by_mut(|a, b| a.space == b.space && a.start == b.start) {
            if group.len() > 1 {
                group.sort_unstable();
            }
        }
        self.sorted.dedup();
        before - self.sorted.len()
    }

    /// Rebuilds what derives from the sorted run: the person permutation and the longest
    /// stay per space (one pass over each space's run).
    fn reindex(&mut self) {
        let sorted = &self.sorted;
        let mut keyed: Vec<(u64, u32)> = sorted
            .iter()
            .enumerate()
            .map(|(i, p)| ((u64::from(p.person) << SECOND_BITS) | u64::from(p.start % DAY), i as u32))
            .collect();
        let max_person = sorted.iter().map(|p| p.person).max().unwrap_or(0);
        radix::sort_by_key(&mut keyed, radix::bits_for(max_person.into()) + SECOND_BITS, |k| k.0);
        self.by_person = keyed.into_iter().map(|k| k.1).collect();
        self.person_fence = self.by_person.iter().step_by(FENCE).map(|&i| sorted[i as usize].person).collect();
        self.person_step = Vec::with_capacity(self.by_person.len());
        for (block, &post) in self.by_person.chunks(FENCE).zip(&self.person_fence) {
            let steps = block.iter().map(|&i| u8::try_from(sorted[i as usize].person - post).unwrap_or(FAR));
            self.person_step.extend(steps);
        }
        self.spaces.clear();
        self.ends.clear();
        let mut lo = 0u32;
        for run in sorted.chunk_by(|a, b| a.space == b.space) {
            let longest = run.iter().map(|p| p.end - p.start).max().unwrap_or(0);
            let hi = lo + run.len() as u32;
            let ends = if run.len() >= LARGE_RUN {
                let at = self.ends.len();
                self.ends.extend(run.iter().map(|p| p.end));
                self.ends[at..].sort_unstable();
                at as u32
            } else {
                NO_ENDS
            };
            self.spaces.insert(run[0].space, SpaceRun { lo, hi, longest, ends });
            lo = hi;
        }
        self.max_end = sorted.iter().map(|p| p.end).max().unwrap_or(0);
    }
}

/// A partition's order: by space, then start. (Presences starting together in one space
/// may come in any order; every query sums or sorts what it collects.)
fn sort_key(p: &Presence) -> u64 {
    (u64::from(p.space) << 32) | u64::from(p.start)
}

/// Bits of a second within a day: partitions hold stays starting on one day.
const SECOND_BITS: u32 = 17;

/// Seals partitions on all cores: days are independent, and a bulk load seals all of them.
/// Returns the repeats dropped.
fn seal_in_parallel(mut parts: Vec<&mut Partition>) -> usize {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if parts.len() <= 1 || threads == 1 {
        return parts.into_iter().map(Partition::seal).sum();
    }
    // Largest first, dealt round-robin, so the threads finish together.
    parts.sort_by_key(|p| std::cmp::Reverse(p.pending.len() + p.sorted.len()));
    let mut shares: Vec<Vec<&mut Partition>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, p) in parts.into_iter().enumerate() {
        shares[i % threads].push(p);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| s.spawn(move || share.into_iter().map(Partition::seal).sum::<usize>()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).sum()
    })
}

#[derive(Default, Debug, Clone)]
pub struct Index {
    kinds: FxHashMap<SpaceId, SpaceKind>,
    partitions: BTreeMap<u32, Partition>,
    len: usize,
    /// Presences that ended before this are past retention: no query sees them.
    horizon: Time,
    /// Repeats dropped by sealing, since the index was made.
    repeats: usize,
}

impl Index {
    pub fn new() -> Index {
        Index::default()
    }

    pub fn define_space(&mut self, space: SpaceId, kind: SpaceKind) {
        self.kinds.insert(space, kind);
    }

    pub fn kind(&self, space: SpaceId) -> Option<SpaceKind> {
        if crate::grid::is_cell(space) {
            return Some(SpaceKind::Cell);
        }
        self.kinds.get(&space).copied()
    }

    pub fn spaces(&self) -> impl Iterator<Item = (SpaceId, SpaceKind)> + '_ {
        self.kinds.iter().map(|(s, k)| (*s, *k))
    }

    /// Adds a validated presence (known space, `start <= end`, at most [`MAX_DWELL`]).
    pub fn insert(&mut self, p: Presence) {
        self.partitions.entry(p.day()).or_default().push(p);
        self.len += 1;
    }

    /// Adds validated presences that all start on the same day. `streamed`: they were
    /// checked against what is held ([`Index::contains`]) and are remembered for the next
    /// check; a bulk load's are not (its repeats go when it is sealed).
    pub(crate) fn extend_day(&mut self, run: &[Presence], streamed: bool) {
        let Some(first) = run.first() else { return };
        debug_assert!(run.iter().all(|p| p.day() == first.day()));
        let part = self.partitions.entry(first.day()).or_default();
        part.max_end = run.iter().map(|p| p.end).fold(part.max_end, Time::max);
        part.pending.extend_from_slice(run);
        if streamed {
            part.pending_keys.extend(run.iter().copied());
        }
        self.len += run.len();
    }

    /// Whether this very presence is held already (a repeat of one streamed or sealed).
    pub fn contains(&self, p: &Presence) -> bool {
        self.partitions.get(&p.day()).is_some_and(|part| part.contains(p))
    }

    /// Merges every partition's pending presences into its sorted run.
    pub fn seal(&mut self) {
        let parts: Vec<&mut Partition> = self.partitions.values_mut().filter(|p| !p.pending.is_empty()).collect();
        let repeats = seal_in_parallel(parts);
        self.len -= repeats;
        self.repeats += repeats;
    }

    /// Repeats dropped by sealing so far: what a bulk load held twice.
    pub fn repeats_dropped(&self) -> usize {
        self.repeats
    }

    /// Hides every presence that ended before `horizon` from queries (never moves back).
    pub fn set_horizon(&mut self, horizon: Time) {
        self.horizon = self.horizon.max(horizon);
    }

    pub fn horizon(&self) -> Time {
        self.horizon
    }

    /// Seals partitions whose pending list has grown past `threshold` or an eighth of the
    /// partition, whichever is larger: merging rewrites the partition, so merging only after
    /// a fixed count would make a day's bulk load quadratic.
    pub fn seal_large(&mut self, threshold: usize) {
        let parts: Vec<&mut Partition> =
            self.partitions.values_mut().filter(|p| p.pending.len() > threshold.max(p.sorted.len() / 8)).collect();
        let repeats = seal_in_parallel(parts);
        self.len -= repeats;
        self.repeats += repeats;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// About the greatest person id held (exactly, but for pending presences): for sharing
    /// work out by ranges of ids.
    pub fn person_bound(&self) -> PersonId {
        self.partitions
            .values()
            .filter_map(|p| p.by_person.last().map(|&i| p.sorted[i as usize].person))
            .max()
            .unwrap_or(0)
    }

    /// Bytes held per presence by the sorted runs and the person permutation.
    pub fn heap_bytes(&self) -> usize {
        self.partitions
            .values()
            .map(|p| {
                p.sorted.capacity() * size_of::<Presence>()
                    + p.by_person.capacity() * size_of::<u32>()
                    + p.person_fence.capacity() * size_of::<PersonId>()
                    + p.person_step.capacity()
                    // A hash table entry and its control byte.
                    + p.spaces.capacity() * (size_of::<(SpaceId, SpaceRun)>() + 1)
                    + p.pending.capacity() * size_of::<Presence>()
                    + p.ends.capacity() * size_of::<Time>()
            })
            .sum()
    }

    /// Drops whole day partitions that start before `day`; returns presences dropped.
    pub fn drop_days_before(&mut self, day: u32) -> usize {
        let keep = self.partitions.split_off(&day);
        let dropped: usize = self.partitions.values().map(|p| p.sorted.len() + p.pending.len()).sum();
        self.partitions = keep;
        self.len -= dropped;
        dropped
    }

    /// Partitions that may hold stays ending at or after `from` and starting by `to`.
    fn days(&self, from: Time, to: Time) -> impl Iterator<Item = &Partition> {
        let first = from.saturating_sub(MAX_DWELL) / DAY;
        self.partitions.range(first..=to / DAY).map(|(_, p)| p).filter(move |p| p.max_end >= from)
    }

    /// Every presence in `space` sharing time with `[from, to]` (more than an instant).
    pub fn in_space(&self, space: SpaceId, from: Time, to: Time, mut f: impl FnMut(&Presence)) {
        let horizon = self.horizon;
        let seen = |p: &Presence| p.end > from && p.end >= horizon;
        for part in self.days(from, to) {
            if let Some(run) = part.spaces.get(&space) {
                let earliest = from.saturating_sub(run.longest);
                let stays = &part.sorted[run.lo as usize..run.hi as usize];
                let lo = stays.partition_point(|p| p.start < earliest);
                for p in stays[lo..].iter().take_while(|p| p.start < to) {
                    if seen(p) {
                        f(p);
                    }
                }
            }
            for p in part.pending.iter().filter(|p| p.space == space && p.start < to && seen(p)) {
                f(p);
            }
        }
    }

    /// How many presences [`Index::in_space`] would give for the same arguments, when they
    /// are more than `cap`: a large run (a mass venue's day) is counted by searching its
    /// starts and its sorted ends instead of visiting each stay (a stay meets the window when
    /// it starts before `to` and does not end by `from`, and every stay ending by `from` also
    /// started before `to`), a small one by visiting. `None` when there are `cap` or fewer
    /// (the runs' lengths often tell without counting), or when the window lies at the
    /// horizon, where that identity does not hold.
    pub fn count_in_space(&self, space: SpaceId, from: Time, to: Time, cap: usize) -> Option<usize> {
        if from >= to || from < self.horizon {
            return None;
        }
        let days = || self.days(from, to).map(|part| (part, part.spaces.get(&space)));
        // The runs' lengths bound the count: most windows are settled by them alone.
        let held: usize =
            days().map(|(part, run)| run.map_or(0, |r| (r.hi - r.lo) as usize) + part.pending.len()).sum();
        if held <= cap {
            return None;
        }
        let mut n = 0;
        for (part, run) in days() {
            if let Some(run) = run {
                let stays = &part.sorted[run.lo as usize..run.hi as usize];
                if run.ends == NO_ENDS {
                    let lo = stays.partition_point(|p| p.start < from.saturating_sub(run.longest));
                    n += stays[lo..].iter().take_while(|p| p.start < to).filter(|p| p.end > from).count();
                } else {
                    let ends = &part.ends[run.ends as usize..run.ends as usize + stays.len()];
                    n += stays.partition_point(|p| p.start < to) - ends.partition_point(|&e| e <= from);
                }
            }
            n += part.pending.iter().filter(|p| p.space == space && p.start < to && p.end > from).count();
        }
        (n > cap).then_some(n)
    }

    /// Every presence of `person` meeting `[from, to]`, edges included: a stay that ends
    /// the instant the window opens, or starts the instant it closes, is in it.
    pub fn of_person(&self, person: PersonId, from: Time, to: Time, mut f: impl FnMut(&Presence)) {
        let horizon = self.horizon;
        let seen = |p: &Presence| p.end >= from && p.end >= horizon;
        for part in self.days(from, to) {
            for &i in part.person_entries(person) {
                let p = &part.sorted[i as usize];
                if p.person != person || p.start > to {
                    break;
                }
                if seen(p) {
                    f(p);
                }
            }
            for p in part.pending.iter().filter(|p| p.person == person && p.start <= to && seen(p)) {
                f(p);
            }
        }
    }

    /// Each day's sorted run, for writing segments; call [`Index::seal`] first.
    pub(crate) fn sealed_days(&self) -> impl Iterator<Item = (u32, &[Presence])> {
        self.partitions.iter().map(|(d, p)| (*d, p.sorted.as_slice()))
    }

    /// Loads a day from a segment (sorted when written; sorted again if not).
    pub(crate) fn load_day(&mut self, day: u32, presences: Vec<Presence>) {
        let part = self.partitions.entry(day).or_default();
        self.len += presences.len();
        for p in presences {
            part.push(p);
        }
    }

    /// Every presence inside retention, in no particular order: for export and checks.
    pub fn all(&self) -> impl Iterator<Item = &Presence> {
        let horizon = self.horizon;
        self.partitions.values().flat_map(|p| p.sorted.iter().chain(p.pending.iter())).filter(move |p| p.end >= horizon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(space: SpaceId, start: Time, end: Time, person: PersonId) -> Presence {
        Presence { space, start, end, person }
    }

    proptest::proptest! {
        // Large enough that the person fence and the space runs have many entries.
        #[test]
        fn lookups_by_person_and_space_match_a_scan(
            stays in proptest::collection::vec((0u32..300, 0u32..40, 0u32..(2 * DAY), 0u32..7200), 0..3000),
            seal_at in 0usize..3000,
            // Ids spread out too, so that neighbours in the person order lie far apart.
            spread in proptest::sample::select(vec![1u32, 7, 1000]),
            person in 0u32..300,
            between in 0u32..2,
            space in 0u32..40,
            from in 0u32..(2 * DAY),
            len in 0u32..20_000,
        ) {
            let mut ix = Index::new();
            // Held once each: repeats are the engine's to drop (tested there).
            let mut once = std::collections::HashSet::new();
            let all: Vec<Presence> = stays
                .iter()
                .map(|&(person, space, start, d)| p(space, start, start + d, person * spread))
                .filter(|q| once.insert(*q))
                .collect();
            for (i, q) in all.iter().enumerate() {
                ix.insert(*q);
                if i == seal_at {
                    ix.seal();
                }
            }
            let to = from + len;
            let person = person * spread + between;
            let meets = |q: &Presence| q.start < to && q.end > from;
            let touches = |q: &Presence| q.start <= to && q.end >= from;
            let mut want: Vec<Presence> = all.iter().filter(|q| q.person == person && touches(q)).copied().collect();
            let mut got = Vec::new();
            ix.of_person(person, from, to, |q| got.push(*q));
            want.sort();
            got.sort();
            proptest::prop_assert_eq!(got, want);
            let mut want: Vec<Presence> = all.iter().filter(|q| q.space == space && meets(q)).copied().collect();
            let mut got = Vec::new();
            ix.in_space(space, from, to, |q| got.push(*q));
            want.sort();
            got.sort();
            proptest::prop_assert_eq!(got, want);
        }
    }

    proptest::proptest! {
        // Few spaces, so each day's runs are large enough to be counted by search.
        #[test]
        fn counts_in_a_space_match_the_scan(
            stays in proptest::collection::vec((0u32..300, 0u32..3, 0u32..(2 * DAY), 0u32..(4 * 3600)), 0..2000),
            seal_at in 0usize..2000,
            space in 0u32..3,
            from in 0u32..(2 * DAY),
            len in 0u32..20_000,
            horizon in 0u32..DAY,
            cap in 0usize..300,
        ) {
            let mut ix = Index::new();
            for (i, &(person, space, start, d)) in stays.iter().enumerate() {
                ix.insert(p(space, start, start + d, person));
                if i == seal_at {
                    ix.seal();
                }
            }
            ix.set_horizon(horizon);
            let to = from + len;
            let mut scanned = 0;
            ix.in_space(space, from, to, |_| scanned += 1);
            if let Some(counted) = ix.count_in_space(space, from, to, cap) {
                proptest::prop_assert_eq!(counted, scanned);
            }
            if scanned <= cap {
                proptest::prop_assert_eq!(ix.count_in_space(space, from, to, cap), None);
            }
        }
    }

    #[test]
    fn finds_stays_that_began_the_day_before() {
        let mut ix = Index::new();
        ix.define_space(1, SpaceKind::Cell);
        ix.insert(p(1, DAY - 600, DAY + 600, 5)); // across midnight
        ix.insert(p(1, DAY + 100, DAY + 200, 6));
        ix.insert(p(2, DAY + 100, DAY + 200, 7));
        ix.seal();
        ix.insert(p(1, DAY + 150, DAY + 160, 8)); // pending
        let mut seen = Vec::new();
        ix.in_space(1, DAY + 120, DAY + 130, |p| seen.push(p.person));
        seen.sort();
        assert_eq!(seen, vec![5, 6]);
        let mut seen = Vec::new();
        ix.in_space(1, DAY + 150, DAY + 155, |p| seen.push(p.person));
        seen.sort();
        assert_eq!(seen, vec![5, 6, 8]);
        let mut mine = Vec::new();
        ix.of_person(5, 0, 2 * DAY, |p| mine.push(p.start));
        assert_eq!(mine, vec![DAY - 600]);
        assert_eq!(ix.drop_days_before(1), 1);
        assert_eq!(ix.len(), 3);
    }
}
