//! Secondary contacts per person, with a cap for mass venues: who the close contacts exposed
//! in turn, each person once through their strongest link, and the windows too crowded to
//! trace person by person returned as places instead.
//!
//! At a mass venue a case has thousands of close contacts and they hundreds of thousands of
//! contacts, so the answer is built in phases that each use every core: collect the pairs
//! (close contacts handed out a few at a time; a crowded window known by its count alone),
//! sort them per part (parts are ranges of person ids), pick each person's strongest link
//! per part, rank everyone by small sort keys, and build the contacts half on each core. The
//! working memory ([`Scratch`]) is kept between questions.

use crate::index::Index;
use crate::model::{PersonId, Presence, SpaceId, Time};
use crate::query::{
    CloseContact, ExposureWindow, Pair, Tally, Weights, collect_pairs, exposure_qualifies, spaces_of, tally, windows_of,
};
use crate::radix;
use crate::rules::ExposureRule;

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
/// [`crate::Engine::secondary_contacts`] gives it) and how many close contacts link them.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondaryPerson {
    pub contact: CloseContact,
    pub via: PersonId,
    /// Close contacts through whom the person qualifies, the strongest included.
    pub links: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecondaryAnswer {
    /// Most exposed first (total shared time, then person id).
    pub people: Vec<SecondaryPerson>,
    /// Windows left out as too crowded, by space and time.
    pub crowded: Vec<CrowdedWindow>,
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
    keyed: Vec<Vec<Key>>,
    order: [Vec<Key>; 2],
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

/// A [`Ranked`] record's place in the answer: (the greatest total shared time less its own,
/// part, index in the part).
type Key = (Time, u32, u32);

/// Secondary contacts read ahead of building them.
const FETCH_AHEAD: usize = 16;

/// Close contacts a core takes at a time when collecting secondary pairs.
const CLOSE_PER_TAKE: usize = 16;

/// Secondary contacts answered per person with a cap for mass venues: a close contact's window
/// that more than `cap` presences of others met is not traced person by person but returned
/// as a [`CrowdedWindow`]; everyone else is traced as in [`crate::Engine::secondary_contacts`],
/// each person once, through the strongest link (the lowest close-contact id on ties), with
/// the number of links. With `cap` at `usize::MAX` the people are exactly those.
pub fn secondary_by_person(
    ix: &Index,
    rule: &ExposureRule,
    case: PersonId,
    close: &[CloseContact],
    to: Time,
    cap: usize,
    scratch: &mut Scratch,
) -> SecondaryAnswer {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let job = Job::new(ix, rule, case, close, to, cap, if close.len() < 64 { 1 } else { threads });
    let Scratch { buckets, sorted, ranked, keyed, order } = scratch;
    let crowded = job.collect(buckets);
    let buckets = &buckets[..job.parts];
    job.sort(buckets, sorted);
    let sorted: Vec<&[Pair]> = sorted[..job.parts].iter().map(|[pairs, _]| pairs.as_slice()).collect();
    job.rank(&sorted, ranked);
    let ranked = &ranked[..job.parts];
    job.order(ranked, keyed, order);
    let people = job.build(&sorted, ranked, &order[0]);
    SecondaryAnswer { people, crowded }
}

/// What every phase of one question shares.
struct Job<'a> {
    ix: &'a Index,
    rule: &'a ExposureRule,
    /// The close contacts in order of id: looking them up then walks each day's person
    /// order forwards.
    close: Vec<&'a CloseContact>,
    /// The close contacts' ids, sorted: a link is named by its rank here.
    vias: Vec<PersonId>,
    /// The case and the close contacts, sorted: never secondary contacts.
    excluded: Vec<PersonId>,
    to: Time,
    cap: usize,
    /// Cores to use, and so parts to sort and tally apart.
    parts: usize,
    /// One past about the greatest person id: parts are even ranges of ids below it.
    bound: u64,
}

impl<'a> Job<'a> {
    fn new(
        ix: &'a Index,
        rule: &'a ExposureRule,
        case: PersonId,
        close: &'a [CloseContact],
        to: Time,
        cap: usize,
        parts: usize,
    ) -> Job<'a> {
        let mut vias: Vec<PersonId> = close.iter().map(|c| c.person).collect();
        vias.sort_unstable();
        let mut excluded: Vec<PersonId> = vias.iter().copied().chain([case]).collect();
        excluded.sort_unstable();
        let mut in_id_order: Vec<&CloseContact> = close.iter().collect();
        in_id_order.sort_unstable_by_key(|c| c.person);
        let bound = u64::from(ix.person_bound()) + 1;
        Job { ix, rule, close: in_id_order, vias, excluded, to, cap, parts: parts.max(1), bound }
    }

    /// The part holding `person`: parts one after another are in order of person.
    fn part_of(&self, person: PersonId) -> usize {
        ((u64::from(person) * self.parts as u64 / self.bound) as usize).min(self.parts - 1)
    }

    /// Every close contact's pairs into `buckets` (per core, per part), and the crowded
    /// windows, sorted. Close contacts are handed out a few at a time, as their cost varies
    /// by thousands.
    fn collect(&self, buckets: &mut Vec<Vec<Vec<Pair>>>) -> Vec<CrowdedWindow> {
        buckets.resize_with(self.parts, Vec::new);
        for mine in buckets.iter_mut() {
            mine.resize_with(self.parts, Vec::new);
            mine.iter_mut().for_each(Vec::clear);
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let found = on_cores_with(&mut buckets[..self.parts], |_, buckets| {
            let mut crowded = Vec::new();
            let (mut window_pairs, mut own) = (Vec::new(), Vec::new());
            let weights = Weights::of_rule(self.rule);
            loop {
                let at = next.fetch_add(CLOSE_PER_TAKE, std::sync::atomic::Ordering::Relaxed);
                let share = self.close.get(at..(at + CLOSE_PER_TAKE).min(self.close.len())).unwrap_or_default();
                if share.is_empty() {
                    break;
                }
                for &c in share {
                    self.collect_one(c, &weights, &mut own, &mut window_pairs, buckets, &mut crowded);
                }
            }
            crowded
        });
        let mut crowded: Vec<CrowdedWindow> = found.into_iter().flatten().collect();
        crowded.sort_unstable();
        crowded
    }

    /// One close contact's pairs and crowded windows. Their windows follow the 9th edition:
    /// from their first contact with the case until they are controlled. The first exposure
    /// already lies up to `buffer_before` ahead of the case's arrival, so the buffer is not
    /// applied a second time before it: no window opens before the first exposure; later
    /// visits get both buffers as usual.
    fn collect_one(
        &self,
        c: &CloseContact,
        weights: &Weights,
        own: &mut Vec<Presence>,
        window_pairs: &mut Vec<Pair>,
        buckets: &mut [Vec<Pair>],
        crowded: &mut Vec<CrowdedWindow>,
    ) {
        let (ix, rule, to) = (self.ix, self.rule, self.to);
        let rank = self.vias.partition_point(|&v| v < c.person) as u32;
        // One look-up of their stays serves both the windows (stays starting by `to`) and,
        // for a crowded window, their own stays in it, which may start up to the
        // after-buffer later.
        own.clear();
        ix.of_person(c.person, c.first_exposure, to.saturating_add(rule.buffer_after), |p| own.push(*p));
        for w in windows_of(ix, rule, own, c.first_exposure, to, c.first_exposure) {
            // A mass venue's window is known to be crowded by its count alone, without
            // visiting the crowd; smaller places are collected and counted as they go.
            let crowd = match crowd_beyond(ix, own, &w, self.cap) {
                Some(others) => others,
                None => {
                    window_pairs.clear();
                    collect_pairs(ix, weights, c.person, rank, std::slice::from_ref(&w), window_pairs);
                    if window_pairs.len() <= self.cap {
                        for p in window_pairs.iter() {
                            buckets[self.part_of(p.person)].push(*p);
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

    /// Each part's pairs from every core's bucket, sorted by person, then link, then space.
    fn sort(&self, buckets: &[Vec<Vec<Pair>>], sorted: &mut Vec<[Vec<Pair>; 2]>) {
        sorted.resize_with(self.parts, Default::default);
        on_cores_with(&mut sorted[..self.parts], |part, [pairs, spare]| {
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
    }

    /// Each part's secondary contacts, one record per person, on a core of its own.
    fn rank(&self, sorted: &[&[Pair]], ranked: &mut Vec<Vec<Ranked>>) {
        ranked.resize_with(self.parts, Vec::new);
        on_cores_with(&mut ranked[..self.parts], |part, out| {
            strongest_links(self.rule, sorted[part], part, &self.excluded, out);
        });
    }

    /// Everyone's place in the answer, into `order[0]`: one stable sort by total shared time
    /// of small keys (not of the records), over parts that are already in order of person,
    /// puts them most exposed first, ties by person.
    fn order(&self, ranked: &[Vec<Ranked>], keyed: &mut Vec<Vec<Key>>, order: &mut [Vec<Key>; 2]) {
        let most = ranked.iter().flatten().map(|r| r.tally.total).max().unwrap_or(0);
        keyed.resize_with(self.parts, Vec::new);
        for (part, (keys, rs)) in keyed.iter_mut().zip(ranked).enumerate() {
            keys.clear();
            keys.extend(rs.iter().enumerate().map(|(i, r)| (most - r.tally.total, part as u32, i as u32)));
        }
        let keyed: Vec<&[Key]> = keyed[..self.parts].iter().map(Vec::as_slice).collect();
        let [sorted, spare] = order;
        radix::sort_parts_into(&keyed, radix::bits_for(most.into()), |k| k.0.into(), sorted, spare);
    }

    /// The contacts in `order`, half on each core; only a person met in several spaces needs
    /// their pairs again.
    fn build(&self, sorted: &[&[Pair]], ranked: &[Vec<Ranked>], order: &[Key]) -> Vec<SecondaryPerson> {
        let share = order.len().div_ceil(self.parts).max(1);
        let built = on_cores(self.parts, |half| {
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
                        spaces_of(&sorted[r.part as usize][r.lo as usize..(r.lo + r.tally.visits) as usize])
                    };
                    let via = self.vias[r.via as usize];
                    people.push(SecondaryPerson { contact: r.tally.contact(spaces), via, links: r.links });
                }
            }
            people
        });
        let mut halves = built.into_iter();
        let mut people = halves.next().unwrap_or_default();
        for half in halves {
            people.extend(half);
        }
        people
    }
}

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
    let mut states = vec![(); n.max(1)];
    on_cores_with(&mut states, |i, _| f(i))
}

/// One record per person in `pairs` (sorted by person, then link, then space) but the
/// `excluded`, for the strongest link through which they qualify, in order of person.
fn strongest_links(rule: &ExposureRule, pairs: &[Pair], part: usize, excluded: &[PersonId], ranked: &mut Vec<Ranked>) {
    ranked.clear();
    let mut at = 0;
    // People come in order of id, so the excluded are passed by walking along with them.
    let mut excluded = excluded.iter().peekable();
    for group in pairs.chunk_by(|a, b| a.person == b.person) {
        let lo = at;
        at += group.len();
        let person = group[0].person;
        while excluded.next_if(|&&e| e < person).is_some() {}
        if excluded.peek() == Some(&&person) {
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
    let all = ix.count_in_space(w.space, w.from, w.to, cap)?;
    // The owner's stays that `in_space` gives (sharing more than an instant with `w`).
    let mine = own.iter().filter(|p| p.space == w.space && p.start < w.to && p.end > w.from).count();
    Some(all - mine).filter(|&n| n > cap)
}
