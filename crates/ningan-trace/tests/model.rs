//! The engine against a brute-force model: plain loops over every presence, written without
//! the index, for random cities, rules and windows — across batched ingest, sealing, restart
//! from the log, and retention.

use std::collections::{BTreeMap, BTreeSet};

use ningan_trace::{
    Combine, CompanionRule, Engine, ExposureRule, Observation, PersonId, Presence, SpaceId, SpaceKind, Time,
};
use proptest::prelude::*;

const T0: Time = 1_700_000_000 - 1_700_000_000 % 86_400;
const DAY: Time = 86_400;
/// Times fall on a five-minute grid so that boundaries — stays that just touch, overlaps
/// exactly at the minimum — come up often enough to be tested.
const STEP: Time = 300;

struct Model {
    kinds: BTreeMap<SpaceId, SpaceKind>,
    presences: Vec<Presence>,
}

/// Per person: overlap per space, best single overlap, visits, first and last exposure.
type Tally = (BTreeMap<SpaceId, Time>, Time, u32, Time, Time);

#[derive(Debug, PartialEq)]
struct Contact {
    person: PersonId,
    total: Time,
    visits: u32,
    first: Time,
    last: Time,
    spaces: Vec<SpaceId>,
    score: f64,
}

impl Model {
    fn weight(&self, rule: &ExposureRule, s: SpaceId) -> f32 {
        self.kinds.get(&s).map(|k| rule.weight(*k)).unwrap_or(1.0)
    }

    /// The case's visits meeting `[from, to]`, edges included, clipped, widened, opening no
    /// earlier than `floor`, merged.
    fn windows(
        &self,
        rule: &ExposureRule,
        case: PersonId,
        from: Time,
        to: Time,
        floor: Time,
    ) -> Vec<(SpaceId, Time, Time)> {
        let mut raw: Vec<(SpaceId, Time, Time)> = self
            .presences
            .iter()
            .filter(|p| p.person == case && p.end >= from && p.start <= to && self.weight(rule, p.space) > 0.0)
            .map(|p| {
                (
                    p.space,
                    p.start.max(from).saturating_sub(rule.buffer_before).max(floor),
                    p.end.min(to).saturating_add(rule.buffer_after),
                )
            })
            .collect();
        raw.sort();
        let mut out: Vec<(SpaceId, Time, Time)> = Vec::new();
        for w in raw {
            if let Some(last) = out.last_mut()
                && last.0 == w.0
                && w.1 <= last.2
            {
                last.2 = last.2.max(w.2);
                continue;
            }
            out.push(w);
        }
        out
    }

    /// Companions: the case's cell stays, merged, against everyone else's, by the rule.
    fn companions(&self, rule: &CompanionRule, case: PersonId, from: Time, to: Time) -> Vec<Contact> {
        let mut raw: Vec<(SpaceId, Time, Time)> = self
            .presences
            .iter()
            .filter(|p| {
                p.person == case && p.end >= from && p.start <= to && self.kinds.get(&p.space) == Some(&SpaceKind::Cell)
            })
            .map(|p| (p.space, p.start.max(from), p.end.min(to)))
            .collect();
        raw.sort();
        let mut windows: Vec<(SpaceId, Time, Time)> = Vec::new();
        for w in raw {
            match windows.last_mut() {
                Some(last) if last.0 == w.0 && w.1 <= last.2 => last.2 = last.2.max(w.2),
                _ => windows.push(w),
            }
        }
        let qualifies = |best: Time, total: Time| match rule.combine {
            Combine::Either => best > rule.min_stay || total > rule.min_cumulative,
            Combine::Both => best > rule.min_stay && total > rule.min_cumulative,
        };
        self.tally(&windows, &BTreeSet::from([case]), &qualifies, &|_| 1.0)
    }

    fn contacts(
        &self,
        rule: &ExposureRule,
        windows: &[(SpaceId, Time, Time)],
        excluded: &BTreeSet<PersonId>,
    ) -> Vec<Contact> {
        let qualifies =
            |best: Time, total: Time| best >= rule.min_overlap || rule.min_cumulative.is_some_and(|c| total >= c);
        self.tally(windows, excluded, &qualifies, &|s| self.weight(rule, s))
    }

    fn tally(
        &self,
        windows: &[(SpaceId, Time, Time)],
        excluded: &BTreeSet<PersonId>,
        qualifies: &dyn Fn(Time, Time) -> bool,
        weight: &dyn Fn(SpaceId) -> f32,
    ) -> Vec<Contact> {
        let mut t: BTreeMap<PersonId, Tally> = BTreeMap::new();
        for &(s, wf, wt) in windows {
            for q in &self.presences {
                if q.space != s || excluded.contains(&q.person) {
                    continue;
                }
                let ov = q.end.min(wt).saturating_sub(q.start.max(wf));
                if ov == 0 {
                    continue;
                }
                let e = t.entry(q.person).or_insert((BTreeMap::new(), 0, 0, Time::MAX, 0));
                *e.0.entry(s).or_default() += ov;
                e.1 = e.1.max(ov);
                e.2 += 1;
                e.3 = e.3.min(q.start.max(wf));
                e.4 = e.4.max(q.end.min(wt));
            }
        }
        let mut out: Vec<Contact> = t
            .into_iter()
            .filter_map(|(person, (per, best, visits, first, last))| {
                let total: Time = per.values().sum();
                let ok = qualifies(best, total);
                let score = per.iter().map(|(s, ov)| f64::from(*ov) * f64::from(weight(*s))).sum();
                ok.then(|| Contact { person, total, visits, first, last, spaces: per.keys().copied().collect(), score })
            })
            .collect();
        out.sort_by(|a, b| b.total.cmp(&a.total).then(a.person.cmp(&b.person)));
        out
    }

    /// Present cases per elementary interval, merged where the set stays the same.
    fn common_sources(
        &self,
        cases: &[PersonId],
        from: Time,
        to: Time,
        m: usize,
    ) -> Vec<(SpaceId, Time, Time, Vec<PersonId>)> {
        let cases: BTreeSet<PersonId> = cases.iter().copied().collect();
        let mine: Vec<&Presence> =
            self.presences.iter().filter(|p| cases.contains(&p.person) && p.end > from && p.start < to).collect();
        let spaces: BTreeSet<SpaceId> = mine.iter().map(|p| p.space).collect();
        let mut out = Vec::new();
        for s in spaces {
            let here: Vec<&&Presence> = mine.iter().filter(|p| p.space == s).collect();
            let mut cuts: BTreeSet<Time> = BTreeSet::new();
            for p in &here {
                cuts.insert(p.start.max(from));
                cuts.insert(p.end.min(to));
            }
            let cuts: Vec<Time> = cuts.into_iter().collect();
            let mut runs: Vec<(SpaceId, Time, Time, Vec<PersonId>)> = Vec::new();
            for w in cuts.windows(2) {
                let (a, b) = (w[0], w[1]);
                let present: BTreeSet<PersonId> =
                    here.iter().filter(|p| p.start.max(from) <= a && p.end.min(to) >= b).map(|p| p.person).collect();
                if present.len() < m {
                    continue;
                }
                let present: Vec<PersonId> = present.into_iter().collect();
                match runs.last_mut() {
                    Some(r) if r.2 == a && r.3 == present => r.2 = b,
                    _ => runs.push((s, a, b, present)),
                }
            }
            out.extend(runs);
        }
        out.sort_by(|a, b| {
            b.3.len().cmp(&a.3.len()).then((b.2 - b.1).cmp(&(a.2 - a.1))).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1))
        });
        out
    }
}

type Crowded = (SpaceId, Time, Time, PersonId, u32);

impl Model {
    /// Secondary contacts per person with a crowd cap: a close contact's window that more
    /// than `cap` presences of others met is left out as crowded; over the rest, each person
    /// through the strongest link (the lowest id on ties), with the number of links.
    fn secondary_by_person(
        &self,
        rule: &ExposureRule,
        close: &[ningan_trace::CloseContact],
        excluded: &BTreeSet<PersonId>,
        to: Time,
        cap: usize,
    ) -> (Vec<Crowded>, Vec<(Contact, PersonId, u32)>) {
        let mut crowded = Vec::new();
        let mut per_person: BTreeMap<PersonId, (Contact, PersonId, u32)> = BTreeMap::new();
        for c in close {
            let mut kept = Vec::new();
            for w in self.windows(rule, c.person, c.first_exposure, to, c.first_exposure) {
                let n = self
                    .presences
                    .iter()
                    .filter(|q| q.space == w.0 && q.person != c.person && q.end.min(w.2) > q.start.max(w.1))
                    .count();
                if n > cap {
                    crowded.push((w.0, w.1, w.2, c.person, n as u32));
                } else {
                    kept.push(w);
                }
            }
            for s in self.contacts(rule, &kept, excluded) {
                match per_person.get_mut(&s.person) {
                    None => {
                        per_person.insert(s.person, (s, c.person, 1));
                    }
                    Some(e) => {
                        e.2 += 1;
                        if (s.total, std::cmp::Reverse(c.person)) > (e.0.total, std::cmp::Reverse(e.1)) {
                            e.0 = s;
                            e.1 = c.person;
                        }
                    }
                }
            }
        }
        crowded.sort();
        let mut people: Vec<(Contact, PersonId, u32)> = per_person.into_values().collect();
        people.sort_by(|a, b| b.0.total.cmp(&a.0.total).then(a.0.person.cmp(&b.0.person)));
        (crowded, people)
    }
}

fn crowded_of(answer: &ningan_trace::SecondaryAnswer) -> Vec<Crowded> {
    answer.crowded.iter().map(|w| (w.space, w.from, w.to, w.via, w.presences)).collect()
}

fn people_of(answer: &ningan_trace::SecondaryAnswer) -> Vec<(Contact, PersonId, u32)> {
    answer.people.iter().map(|p| (to_contact(&p.contact), p.via, p.links)).collect()
}

fn to_contact(c: &ningan_trace::CloseContact) -> Contact {
    Contact {
        person: c.person,
        total: c.total_overlap,
        visits: c.shared_visits,
        first: c.first_exposure,
        last: c.last_exposure,
        spaces: c.spaces.clone(),
        score: c.score,
    }
}

fn kind_strategy() -> impl Strategy<Value = SpaceKind> {
    prop::sample::select(SpaceKind::ALL.to_vec())
}

prop_compose! {
    fn rule_strategy()(
        before in 0u32..12, after in 0u32..12, min_overlap in 1u32..7,
        cumulative in prop::option::of(1u32..25),
        weights in prop::collection::vec(prop::sample::select(vec![0.0f32, 0.5, 1.0, 2.0]), 9),
    ) -> ExposureRule {
        let mut rule = ExposureRule::ninth_edition();
        rule.buffer_before = before * STEP;
        rule.buffer_after = after * STEP;
        rule.min_overlap = min_overlap * STEP;
        rule.min_cumulative = cumulative.map(|c| c * STEP);
        rule.kind_weights = SpaceKind::ALL.iter().copied().zip(weights).collect();
        rule
    }
}

prop_compose! {
    fn companion_strategy()(stay in 0u32..6, cumulative in 0u32..30, both in any::<bool>()) -> CompanionRule {
        CompanionRule {
            min_stay: stay * STEP,
            min_cumulative: cumulative * STEP,
            combine: if both { Combine::Both } else { Combine::Either },
            ..CompanionRule::standard()
        }
    }
}

prop_compose! {
    fn observation()(person in 0u32..12, space in 0u32..7, start in 0u32..(4 * DAY / STEP), dur in prop::option::of(0u32..(5 * 3600 / STEP)), backwards in prop::bool::weighted(0.03)) -> Observation {
        let start = T0 + start * STEP;
        let dur = dur.map(|d| d * STEP);
        let end = dur.map(|d| if backwards { start.saturating_sub(d + 1) } else { start + d });
        Observation { person, space, start, end }
    }
}

fn accepted_by_rule(
    o: &Observation,
    kinds: &BTreeMap<SpaceId, SpaceKind>,
    now: Time,
    retention_days: u32,
) -> Option<Presence> {
    let kind = kinds.get(&o.space)?;
    // An exit equal to the entry records no stay: the kind's usual one, as with no exit.
    let end = o.end.filter(|e| *e != o.start).unwrap_or(o.start + kind.default_dwell());
    let ok = end >= o.start
        && end - o.start <= 86_400
        && o.start <= now + 300
        && end >= now.saturating_sub(retention_days * DAY);
    ok.then_some(Presence { space: o.space, start: o.start, end, person: o.person })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn the_engine_answers_exactly_what_brute_force_does(
        kinds in prop::collection::vec(kind_strategy(), 6),
        batches in prop::collection::vec(prop::collection::vec(observation(), 0..40), 1..4),
        restart_after in 0usize..4,
        checkpoint_after in 0usize..4,
        seal_after in 0usize..4,
        import_batch in 0usize..5,
        rule in rule_strategy(),
        case in 0u32..12,
        cases in prop::collection::vec(0u32..12, 2..5),
        m in 2usize..4,
        window in (0u32..(3 * DAY / STEP), 12u32..(4 * DAY / STEP)),
        retention_days in 1u32..6,
        companion in companion_strategy(),
        resend in any::<bool>(),
        later in 0u32..(2 * DAY / STEP),
        cap in prop_oneof![0usize..6, Just(usize::MAX)],
    ) {
        // The same check-ins sent again — a batch retried, a file imported twice, a scan
        // repeated within a batch — are held once.
        let mut batches = batches;
        if resend {
            let first = batches[0].clone();
            batches[0].extend(first.iter().take(3).copied());
            if let Some(last) = batches.last_mut() { last.extend(first); }
        }
        let dir = tempfile::tempdir().unwrap();
        // Space 6 is never defined: observations there are refused as unknown.
        let spaces: Vec<(SpaceId, SpaceKind)> = kinds.iter().enumerate().map(|(i, k)| (i as u32, *k)).collect();
        let kinds_map: BTreeMap<SpaceId, SpaceKind> = spaces.iter().copied().collect();
        let now = T0 + 4 * DAY + 3600;
        let mut engine = Engine::open(dir.path(), retention_days, now).unwrap();
        engine.define_spaces(&spaces).unwrap();
        let mut model = Model { kinds: kinds_map.clone(), presences: Vec::new() };
        for (i, batch) in batches.iter().enumerate() {
            // One batch (or none) arrives as a bulk import instead of through the log.
            let report = if i == import_batch { engine.import(batch, now) } else { engine.ingest(batch, now) }.unwrap();
            let valid: Vec<Presence> = batch.iter().filter_map(|o| accepted_by_rule(o, &kinds_map, now, retention_days)).collect();
            let mut fresh = Vec::new();
            for p in &valid {
                if !model.presences.contains(p) && !fresh.contains(p) {
                    fresh.push(*p);
                }
            }
            prop_assert_eq!(report.accepted, fresh.len());
            prop_assert_eq!(report.duplicates, valid.len() - fresh.len());
            prop_assert_eq!(report.accepted + report.duplicates + report.rejected.len(), batch.len());
            model.presences.extend(fresh);
            if i == checkpoint_after {
                engine.checkpoint().unwrap();
            }
            if i == seal_after { engine.seal(); }
            if i == restart_after {
                drop(engine);
                engine = Engine::open(dir.path(), retention_days, now).unwrap();
            }
        }
        // Time passes before the questions: retention drops whole start-days before the
        // first one that can still overlap.
        let now = now + later * STEP;
        let first_day = (now - retention_days * DAY).saturating_sub(DAY) / DAY;
        engine.apply_retention(now);
        if checkpoint_after == restart_after {
            // Retention's effect must survive a checkpoint and a restart as well.
            engine.checkpoint().unwrap();
            drop(engine);
            engine = Engine::open(dir.path(), retention_days, now).unwrap();
        }
        model.presences.retain(|p| p.start / DAY >= first_day);
        prop_assert_eq!(engine.index().len(), model.presences.len());
        // Queries see nothing that ended before retention's start, whatever days are kept.
        let horizon = now - retention_days * DAY;
        model.presences.retain(|p| p.end >= horizon);

        let (from, to) = (T0 + window.0 * STEP, T0 + (window.0 + window.1) * STEP);
        let windows: Vec<(SpaceId, Time, Time)> = engine.exposure_windows(&rule, case, from, to).iter().map(|w| (w.space, w.from, w.to)).collect();
        prop_assert_eq!(&windows, &model.windows(&rule, case, from, to, 0));

        let close = engine.close_contacts(&rule, case, from, to);
        let expected = model.contacts(&rule, &windows, &BTreeSet::from([case]));
        prop_assert_eq!(close.iter().map(to_contact).collect::<Vec<_>>(), expected);

        let secondary = engine.secondary_contacts(&rule, case, &close, to);
        let excluded: BTreeSet<PersonId> = close.iter().map(|c| c.person).chain([case]).collect();
        let mut best: BTreeMap<PersonId, (Contact, PersonId)> = BTreeMap::new();
        for c in &close {
            // From the first exposure on, which already holds the buffer before it.
            let w = model.windows(&rule, c.person, c.first_exposure, to, c.first_exposure);
            for s in model.contacts(&rule, &w, &excluded) {
                let replace = best.get(&s.person).is_none_or(|(old, via)| (s.total, std::cmp::Reverse(c.person)) > (old.total, std::cmp::Reverse(*via)));
                if replace { best.insert(s.person, (s, c.person)); }
            }
        }
        let mut expected: Vec<(Contact, PersonId)> = best.into_values().collect();
        expected.sort_by(|a, b| b.0.total.cmp(&a.0.total).then(a.0.person.cmp(&b.0.person)));
        let got: Vec<(Contact, PersonId)> = secondary.iter().map(|s| (to_contact(&s.contact), s.via)).collect();
        prop_assert_eq!(got, expected);

        // Per person with a cap: crowded windows left out, the strongest link and the number
        // of links over the rest; without a cap, the same people and links as above.
        let answer = engine.secondary_by_person(&rule, case, &close, to, cap);
        let (crowded, expected) = model.secondary_by_person(&rule, &close, &excluded, to, cap);
        prop_assert_eq!(crowded_of(&answer), crowded);
        prop_assert_eq!(people_of(&answer), expected);
        if cap == usize::MAX {
            let plain: Vec<(Contact, PersonId)> = secondary.iter().map(|s| (to_contact(&s.contact), s.via)).collect();
            let capped: Vec<(Contact, PersonId)> = answer.people.iter().map(|p| (to_contact(&p.contact), p.via)).collect();
            prop_assert_eq!(capped, plain, "no cap, the same answer");
        }

        let got: Vec<Contact> = engine.companions(&companion, case, from, to).iter().map(to_contact).collect();
        prop_assert_eq!(got, model.companions(&companion, case, from, to));

        // A cluster traced at once answers exactly what each case traced alone does.
        let cluster: Vec<(PersonId, Time, Time)> = cases.iter().enumerate().map(|(i, c)| (*c, from + i as Time * STEP, to)).collect();
        let traced = engine.trace_cluster(&rule, &cluster, m);
        for (t, &(c, f, until)) in traced.cases.iter().zip(&cluster) {
            prop_assert_eq!(&t.windows, &engine.exposure_windows(&rule, c, f, until));
            let alone = engine.close_contacts(&rule, c, f, until);
            prop_assert_eq!(&t.close, &alone);
            prop_assert_eq!(&t.secondary, &engine.secondary_contacts(&rule, c, &alone, until));
        }
        prop_assert_eq!(&traced.common_sources, &engine.common_sources(&cases, from, to, m));

        let sources: Vec<(SpaceId, Time, Time, Vec<PersonId>)> =
            engine.common_sources(&cases, from, to, m).into_iter().map(|c| (c.space, c.from, c.to, c.cases)).collect();
        prop_assert_eq!(sources, model.common_sources(&cases, from, to, m));
    }
}

#[test]
fn refusals_name_their_reason_and_keep_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let now = T0 + 10 * DAY;
    let mut engine = Engine::open(dir.path(), 7, now).unwrap();
    engine.define_spaces(&[(1, SpaceKind::Restaurant)]).unwrap();
    let ok = Observation { person: 1, space: 1, start: now - 3600, end: None };
    let batch = [
        ok,
        Observation { space: 9, ..ok },
        Observation { end: Some(now - 7200), ..ok },
        Observation { start: now + 3600, end: None, ..ok },
        Observation { start: now - 30 * DAY, end: None, ..ok },
        Observation { end: Some(now - 3600 + 2 * DAY), ..ok },
    ];
    let report = engine.ingest(&batch, now).unwrap();
    assert_eq!(report.accepted, 1);
    let reasons: Vec<(usize, &str)> = report.rejected.iter().map(|r| (r.index, r.reason)).collect();
    assert_eq!(
        reasons,
        vec![
            (1, "unknown space"),
            (2, "end before start"),
            (3, "start in the future"),
            (4, "older than the retention period"),
            (5, "stay longer than 24 hours"),
        ]
    );
    let mut seen = Vec::new();
    engine.index().of_person(1, 0, Time::MAX, |p| seen.push(p.end - p.start));
    assert_eq!(seen, vec![SpaceKind::Restaurant.default_dwell()], "a scan without exit takes the kind's dwell");
}

#[test]
fn checkpoints_shrink_the_files_and_a_crashed_one_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let now = T0 + 20 * DAY;
    let mut engine = Engine::open(dir.path(), 7, now).unwrap();
    engine.define_spaces(&[(1, SpaceKind::Market)]).unwrap();
    let batch: Vec<Observation> =
        (0..200).map(|i| Observation { person: i, space: 1, start: T0 + 14 * DAY + i * 2000, end: None }).collect();
    assert_eq!(engine.ingest(&batch, now).unwrap().accepted, 200);
    engine.checkpoint().unwrap();
    let files = |d: &std::path::Path| {
        let mut v: Vec<String> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    let after_first = files(dir.path());
    assert!(after_first.iter().any(|f| f.starts_with("seg-")), "{after_first:?}");
    assert_eq!(after_first.iter().filter(|f| f.starts_with("log-")).count(), 1, "covered logs are removed");
    // Days later, retention drops the old days and the next checkpoint deletes their files.
    let later = now + 10 * DAY;
    drop(engine);
    let mut engine = Engine::open(dir.path(), 7, later).unwrap();
    assert_eq!(engine.index().len(), 0);
    engine.checkpoint().unwrap();
    assert!(!files(dir.path()).iter().any(|f| f.starts_with("seg-")), "{:?}", files(dir.path()));
    // A checkpoint that died before its manifest leaves files nobody names: removed on open.
    std::fs::write(dir.path().join("seg-99-99.bin"), b"half").unwrap();
    std::fs::write(dir.path().join("MANIFEST.tmp"), b"half").unwrap();
    drop(engine);
    let engine = Engine::open(dir.path(), 7, later).unwrap();
    assert_eq!(engine.index().len(), 0);
    let left = files(dir.path());
    assert!(!left.iter().any(|f| f.ends_with(".tmp") || f == "seg-99-99.bin"), "{left:?}");
}

#[test]
fn a_checkpoint_rewrites_only_the_days_that_changed() {
    let dir = tempfile::tempdir().unwrap();
    let now = T0 + 6 * DAY;
    let mut engine = Engine::open(dir.path(), 28, now).unwrap();
    engine.define_spaces(&[(1, SpaceKind::Shop)]).unwrap();
    let day = |d: u32| -> Vec<Observation> {
        (0..50).map(|i| Observation { person: i, space: 1, start: T0 + d * DAY + 3600 + i * 60, end: None }).collect()
    };
    let mut first = day(1);
    first.extend(day(2));
    assert_eq!(engine.import(&first, now).unwrap().accepted, 100);
    let segments = |d: &std::path::Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.starts_with("seg-"))
            .collect();
        v.sort();
        v
    };
    let before = segments(dir.path());
    assert_eq!(before.len(), 2, "{before:?}");
    assert_eq!(engine.unfolded_days(), 0);
    let others: Vec<Observation> = day(2).into_iter().map(|o| Observation { person: o.person + 100, ..o }).collect();
    engine.ingest(&others, now).unwrap();
    assert_eq!(engine.unfolded_days(), 1);
    engine.checkpoint().unwrap();
    let after = segments(dir.path());
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.contains(&before[0]), "the untouched day keeps its file: {before:?} → {after:?}");
    assert!(!after.contains(&before[1]), "the changed day is written again: {before:?} → {after:?}");
    drop(engine);
    let engine = Engine::open(dir.path(), 28, now).unwrap();
    assert_eq!(engine.index().len(), 150);
    assert_eq!(engine.unfolded_days(), 0);
}

#[test]
fn grid_cells_need_no_registration_and_foreign_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let now = T0 + 2 * DAY;
    let mut engine = Engine::open(dir.path(), 28, now).unwrap();
    let grid = engine.cell_grid();
    let cell = grid.space_at(29.8683, 121.5440).unwrap();
    assert!(engine.define_spaces(&[(cell, SpaceKind::Cell)]).is_err(), "cell ids are not registered");
    let stay = |person, space| Observation { person, space, start: T0 + DAY, end: Some(T0 + DAY + 3600) };
    // An id with the cell bit that names no H3 cell (digit 7 below resolution 8).
    let bogus = ningan_trace::grid::CELL_BIT | 0x7FFF_FFFF;
    let report = engine.ingest(&[stay(1, cell), stay(2, cell), stay(3, bogus)], now).unwrap();
    assert_eq!(report.accepted, 2);
    assert_eq!(report.rejected[0].reason, "not a cell of the grid");
    let companions = engine.companions(&CompanionRule::standard(), 1, T0, now);
    assert_eq!(companions.iter().map(|c| c.person).collect::<Vec<_>>(), vec![2]);
}

#[test]
fn a_parquet_import_names_refused_rows_across_row_groups_and_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let now = T0 + 3 * DAY;
    // Every tenth row is in space 9, which is never defined.
    let rows: Vec<Presence> = (0..1000u32)
        .map(|i| Presence {
            space: if i % 10 == 3 { 9 } else { i % 4 },
            start: T0 + DAY + i * 60,
            end: T0 + DAY + i * 60 + 600,
            person: i % 77,
        })
        .collect();
    let file = dir.path().join("in.parquet");
    ningan_trace::io::write_presences_parquet(&file, rows.iter(), 128).unwrap();
    let data = dir.path().join("engine");
    let mut engine = Engine::open(&data, 28, now).unwrap();
    engine.define_spaces(&(0..4).map(|s| (s, SpaceKind::Shop)).collect::<Vec<_>>()).unwrap();
    let report = engine.import_parquet(&file, now).unwrap();
    assert_eq!(report.accepted, 900);
    let refused: Vec<usize> = report.rejected.iter().map(|r| r.index).collect();
    assert_eq!(refused, (0..100).map(|k| k * 10 + 3).collect::<Vec<_>>(), "rows numbered across the whole file");
    assert!(report.rejected.iter().all(|r| r.reason == "unknown space"));
    drop(engine);
    let engine = Engine::open(&data, 28, now).unwrap();
    assert_eq!(engine.index().len(), 900, "an import is durable when it returns");
}

#[test]
fn a_second_engine_on_the_same_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), 28, T0).unwrap();
    assert!(matches!(Engine::open(dir.path(), 28, T0), Err(ningan_trace::EngineError::Locked(_))));
    drop(engine);
    assert!(Engine::open(dir.path(), 28, T0).is_ok(), "the lock goes with the engine");
}

#[test]
fn the_same_checkins_imported_or_sent_twice_are_held_once() {
    let dir = tempfile::tempdir().unwrap();
    let now = T0 + 6 * DAY;
    let mut engine = Engine::open(dir.path(), 28, now).unwrap();
    engine.define_spaces(&[(1, SpaceKind::Shop)]).unwrap();
    let file: Vec<Observation> =
        (0..50).map(|i| Observation { person: i, space: 1, start: T0 + DAY + i * 60, end: None }).collect();
    let first = engine.import(&file, now).unwrap();
    assert_eq!((first.accepted, first.duplicates), (50, 0));
    let again = engine.import(&file, now).unwrap();
    assert_eq!((again.accepted, again.duplicates), (0, 50), "the file imported a second time");
    let resent = engine.ingest(&file[..10], now).unwrap();
    assert_eq!((resent.accepted, resent.duplicates), (0, 10), "a batch retried through the log");
    // An exit equal to the entry is the same scan as one without an exit.
    let same = Observation { end: Some(file[0].start), ..file[0] };
    assert_eq!(engine.ingest(&[same, same], now).unwrap().duplicates, 2);
    drop(engine);
    let engine = Engine::open(dir.path(), 28, now).unwrap();
    assert_eq!(engine.index().len(), 50);
    let close = engine.close_contacts(&ExposureRule::ninth_edition(), 0, T0, now);
    assert!(close.iter().all(|c| c.shared_visits == 1), "one visit each, not two: {close:?}");
}

/// The rule's edges, each a second apart from the other side.
#[test]
fn exposure_edges_follow_the_documented_rule() {
    let dir = tempfile::tempdir().unwrap();
    let t = T0 + 3 * DAY;
    let now = t + DAY;
    let mut engine = Engine::open(dir.path(), 28, now).unwrap();
    engine.define_spaces(&[(1, SpaceKind::Restaurant), (2, SpaceKind::Shop)]).unwrap();
    let rule = ExposureRule::ninth_edition();
    let min = 60;
    let at = |person, space, start: Time, end: Time| Observation { person, space, start, end: Some(end) };
    let (case, close, s1, s2, p1, z) = (1, 2, 3, 4, 5, 6);
    engine
        .ingest(
            &[
                at(case, 1, t, t + 60 * min),
                // The close contact arrives 20 minutes ahead of the case: first exposure t-20m.
                at(close, 1, t - 20 * min, t + 10 * min),
                at(close, 2, t + 120 * min, t + 180 * min),
                // In the buffer before the close contact's later visit: a secondary contact.
                at(s1, 2, t + 95 * min, t + 100 * min),
                // Before the close contact's first exposure (the case's window opens at t-30m,
                // this stay ends at t-31m): only a second buffer would catch them.
                at(s2, 1, t - 50 * min, t - 31 * min),
                // A zero-length scan during the case's stay: the restaurant's usual hour.
                at(z, 1, t + 30 * min, t + 30 * min),
            ],
            now,
        )
        .unwrap();
    let from = t + 60 * min; // the case's visit ends the second the period opens
    let windows = engine.exposure_windows(&rule, case, from, now);
    assert_eq!(windows.len(), 1, "a visit ending at the period's start still makes a window");
    assert_eq!((windows[0].from, windows[0].to), (from - 30 * min, from + 30 * min));
    engine.ingest(&[at(p1, 1, from + 10 * min, from + 20 * min)], now).unwrap();
    let contacts = engine.close_contacts(&rule, case, from, now);
    let people: BTreeSet<PersonId> = contacts.iter().map(|c| c.person).collect();
    assert_eq!(people, BTreeSet::from([p1, z]), "the zero-length scan stayed the usual hour");

    let contacts = engine.close_contacts(&rule, case, t - DAY, now);
    let first = contacts.iter().find(|c| c.person == close).unwrap();
    assert_eq!(first.first_exposure, t - 20 * min);
    let secondary: BTreeSet<PersonId> =
        engine.secondary_contacts(&rule, case, &contacts, now).iter().map(|s| s.contact.person).collect();
    assert!(secondary.contains(&s1), "the buffer before a later visit applies: {secondary:?}");
    assert!(!secondary.contains(&s2), "no second buffer before the first exposure: {secondary:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// At the scale where the engine changes its ways — a venue's day large enough to be
    /// counted by search rather than visited, enough close contacts to be shared out among
    /// cores — secondary contacts per person still answer exactly what brute force does.
    #[test]
    fn secondary_contacts_at_crowded_venues_match_brute_force(
        stays in prop::collection::vec((0u32..240, 0u32..3, 0u32..(DAY / STEP), 1u32..(3 * 3600 / STEP)), 1200..2400),
        streamed in 0usize..300,
        case in 0u32..240,
        cap in prop_oneof![20usize..400, Just(usize::MAX)],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let spaces = [(0, SpaceKind::Market), (1, SpaceKind::Restaurant), (2, SpaceKind::Transport)];
        let now = T0 + 2 * DAY;
        let mut engine = Engine::open(dir.path(), 14, now).unwrap();
        engine.define_spaces(&spaces).unwrap();
        let observations: Vec<Observation> = stays
            .iter()
            .map(|&(person, space, start, dur)| {
                let start = T0 + start * STEP;
                Observation { person, space, start, end: Some(start + dur * STEP) }
            })
            .collect();
        // Most in bulk and sealed, the last few streamed and still pending.
        let (bulk, late) = observations.split_at(observations.len() - streamed.min(observations.len()));
        engine.import(bulk, now).unwrap();
        engine.seal();
        engine.ingest(late, now).unwrap();
        let kinds = spaces.iter().copied().collect();
        let mut model = Model { kinds, presences: Vec::new() };
        for o in &observations {
            let p = Presence { space: o.space, start: o.start, end: o.end.unwrap(), person: o.person };
            if !model.presences.contains(&p) {
                model.presences.push(p);
            }
        }
        let rule = ExposureRule::ninth_edition();
        let close = engine.close_contacts(&rule, case, T0, now);
        prop_assume!(close.len() >= 64, "a case with few close contacts is the other test's");
        let excluded: BTreeSet<PersonId> = close.iter().map(|c| c.person).chain([case]).collect();
        // Asked again, with other caps: the memory kept from one question must not leak into
        // the next.
        for cap in [cap, usize::MAX, cap / 2] {
            let answer = engine.secondary_by_person(&rule, case, &close, now, cap);
            let (crowded, expected) = model.secondary_by_person(&rule, &close, &excluded, now, cap);
            prop_assert_eq!(crowded_of(&answer), crowded);
            prop_assert_eq!(people_of(&answer), expected);
        }
    }
}
