//! The tracing engine on a synthetic city: a movement model produces venue check-ins and
//! cell stays for N people over D days; the engine ingests them (through its log), and
//! close contacts, secondary contacts, cell companions and cluster common sources are timed
//! for a sample of cases. Optionally writes the presences as Parquet for the peer engines.
//!
//!     cargo bench -p ningan-trace --bench city -- --people 1000000 --days 14 --cases 200
//!     cargo bench -p ningan-trace --bench city -- --people 10000000 --parquet /tmp/city.parquet

use std::time::Instant;

use ningan_trace::{
    CloseContact, Combine, CommonSource, CompanionRule, Engine, ExposureRule, Observation, SecondaryAnswer,
    SecondaryContact, SpaceKind, Time,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DAY: Time = 86_400;
/// 2022-03-01 00:00 CST: the series starts on a Tuesday in the Omicron spring.
const START: Time = 1_646_064_000;

struct Args {
    people: u32,
    days: u32,
    cases: usize,
    parquet: Option<std::path::PathBuf>,
    /// Writes the presences as Parquet and ningan's answers as JSON for `bench/trace/peers.py`.
    dump: Option<std::path::PathBuf>,
    /// Only times importing a dumped directory's presences.parquet and spaces.csv.
    import: Option<std::path::PathBuf>,
    /// The crowd cap of the per-person secondary answer (presences in a window).
    crowd_cap: usize,
    /// With `--import`: times the per-person secondary answer case by case instead, the
    /// 95th-percentile case repeated this many times (for a profiler to sample).
    profile: Option<u32>,
}

fn args() -> Args {
    let mut a = Args {
        people: 200_000,
        days: 14,
        cases: 100,
        parquet: None,
        dump: None,
        import: None,
        crowd_cap: 500,
        profile: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--people" => a.people = value().parse().expect("--people N"),
            "--days" => a.days = value().parse().expect("--days N"),
            "--cases" => a.cases = value().parse().expect("--cases N"),
            "--parquet" => a.parquet = Some(value().into()),
            "--dump" => a.dump = Some(value().into()),
            "--import" => a.import = Some(value().into()),
            "--crowd-cap" => a.crowd_cap = value().parse().expect("--crowd-cap N"),
            "--profile" => a.profile = Some(value().parse().expect("--profile REPEATS")),
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

/// Venues and cells: venue ids first, then cell ids.
struct City {
    venues: Vec<SpaceKind>,
    cells: u32,
}

impl City {
    fn new(people: u32, rng: &mut impl Rng) -> City {
        let kinds = [
            (SpaceKind::Restaurant, 40),
            (SpaceKind::Shop, 30),
            (SpaceKind::Market, 10),
            (SpaceKind::Office, 10),
            (SpaceKind::School, 5),
            (SpaceKind::Transport, 4),
            (SpaceKind::Hospital, 1),
        ];
        let venues = (0..(people / 40).max(50))
            .map(|_| {
                // Kinds by weight: walk the cumulative weights.
                let mut r: u32 = rng.gen_range(0..100);
                for (kind, w) in kinds {
                    if r < w {
                        return kind;
                    }
                    r -= w;
                }
                SpaceKind::Shop
            })
            .collect();
        City { venues, cells: (people / 150).max(20) }
    }

    fn cell_id(&self, c: u32) -> u32 {
        self.venues.len() as u32 + c
    }
}

/// One person-day: about 0.7 venue scans (popular venues far more often, some scans without
/// an exit time) and one or two cell stays near home.
fn day_of(person: u32, day: u32, city: &City, rng: &mut impl Rng, out: &mut Vec<Observation>) {
    let base = START + day * DAY;
    let scans = match rng.gen_range(0..10) {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    };
    for _ in 0..scans {
        // Skewed popularity: a cube pulls most visits to the first venues.
        let v = ((rng.gen_range(0.0f64..1.0).powi(3)) * city.venues.len() as f64) as u32;
        let kind = city.venues[v as usize];
        let start = base + rng.gen_range(7 * 3600..22 * 3600);
        let dwell = kind.default_dwell();
        let end = rng.gen_bool(0.7).then(|| start + rng.gen_range(dwell / 2..=dwell * 3 / 2).min(DAY));
        out.push(Observation { person, space: v, start, end });
    }
    if rng.gen_bool(0.3) {
        let home = city.cell_id(person % city.cells);
        let start = base + rng.gen_range(18 * 3600..23 * 3600);
        out.push(Observation { person, space: home, start, end: Some(start + rng.gen_range(600..8 * 3600)) });
    }
}

fn percentile(samples: &mut [f64], q: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1))]
}

fn main() {
    let a = args();
    if let Some(dir) = &a.import {
        let spaces = std::fs::File::open(dir.join("spaces.csv")).expect("spaces.csv");
        let (spaces, bad) = ningan_trace::io::read_spaces_csv(std::io::BufReader::new(spaces)).expect("read spaces");
        assert!(bad.is_empty(), "{bad:?}");
        if let Some(repeats) = a.profile {
            profile(&a, &dir.join("presences.parquet"), &spaces, repeats);
            return;
        }
        let (secs, n) = import(&dir.join("presences.parquet"), &spaces, START + a.days * DAY);
        println!("import from parquet  {n} presences in {secs:.2} s (durable)");
        return;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(2022);
    let city = City::new(a.people, &mut rng);
    let dir = tempfile::tempdir().expect("temp dir");
    let now = START + a.days * DAY;
    let mut engine = Engine::open(dir.path(), 28, now).expect("engine");
    let mut spaces: Vec<(u32, SpaceKind)> = city.venues.iter().enumerate().map(|(i, k)| (i as u32, *k)).collect();
    spaces.extend((0..city.cells).map(|c| (city.cell_id(c), SpaceKind::Cell)));
    engine.define_spaces(&spaces).expect("spaces");

    eprintln!("city: {} people, {} days, {} venues, {} cells", a.people, a.days, city.venues.len(), city.cells);
    let t = Instant::now();
    let mut batch = Vec::with_capacity(70_000);
    let mut total = 0usize;
    let mut gen_secs = 0.0;
    for day in 0..a.days {
        for person in 0..a.people {
            let g = Instant::now();
            day_of(person, day, &city, &mut rng, &mut batch);
            gen_secs += g.elapsed().as_secs_f64();
            if batch.len() >= 65_536 {
                total += engine.ingest(&batch, now).expect("ingest").accepted;
                batch.clear();
            }
        }
        eprintln!("  day {}/{}: {total} presences", day + 1, a.days);
    }
    total += engine.ingest(&batch, now).expect("ingest").accepted;
    let s = Instant::now();
    engine.seal();
    let seal_secs = s.elapsed().as_secs_f64();
    let load_secs = t.elapsed().as_secs_f64() - gen_secs;
    let bytes = engine.index().heap_bytes();
    println!("presences            {total}");
    println!(
        "ingest (log + index) {:.2} s  ({:.0} presences/s; seal {:.2} s; generation {:.2} s excluded)",
        load_secs,
        total as f64 / load_secs,
        seal_secs,
        gen_secs
    );
    println!("index memory         {:.1} bytes/presence", bytes as f64 / total as f64);

    if let Some(path) = &a.parquet {
        let t = Instant::now();
        let n = ningan_trace::io::write_presences_parquet(path, engine.index().all(), 1 << 20).expect("parquet");
        println!("parquet export       {n} rows in {:.2} s → {}", t.elapsed().as_secs_f64(), path.display());
    }

    let rule = ExposureRule::ninth_edition();
    let from = now - 4 * DAY;
    let cases = pick_cases(&engine, a.people, a.cases, from, now);
    let companion_rule = CompanionRule::standard();
    let comp_from = now - 14 * DAY;
    let mut answers = Vec::with_capacity(cases.len());
    let (mut close_ms, mut second_ms, mut comp_ms, mut capped_ms) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &case in &cases {
        let t = Instant::now();
        let close = engine.close_contacts(&rule, case, from, now);
        let close_t = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let secondary = engine.secondary_contacts(&rule, case, &close, now);
        let second_t = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let capped = engine.secondary_by_person(&rule, case, &close, now, a.crowd_cap);
        let capped_t = t.elapsed().as_secs_f64() * 1e3;
        capped_ms.push(capped_t);
        let t = Instant::now();
        let companions = engine.companions(&companion_rule, case, comp_from, now);
        let comp_t = t.elapsed().as_secs_f64() * 1e3;
        close_ms.push(close_t);
        second_ms.push(second_t);
        comp_ms.push(comp_t);
        answers.push(CaseAnswers {
            case,
            close,
            close_ms: close_t,
            secondary,
            secondary_ms: second_t,
            capped,
            capped_ms: capped_t,
            companions,
            companions_ms: comp_t,
        });
    }
    let mut common = Vec::new();
    for chunk in cases.chunks(5) {
        let t = Instant::now();
        let sources = engine.common_sources(chunk, from, now, 2);
        common.push((chunk.to_vec(), sources, t.elapsed().as_secs_f64() * 1e3));
    }
    let mut common_ms: Vec<f64> = common.iter().map(|c| c.2).collect();
    let n_close: usize = answers.iter().map(|a| a.close.len()).sum();
    let n_second: usize = answers.iter().map(|a| a.secondary.len()).sum();
    let n_capped: usize = answers.iter().map(|a| a.capped.people.len()).sum();
    let n_crowded: usize = answers.iter().map(|a| a.capped.crowded.len()).sum();
    println!(
        "cases                {} (mean {:.0} close, {:.0} secondary contacts)",
        cases.len(),
        n_close as f64 / cases.len() as f64,
        n_second as f64 / cases.len() as f64
    );
    println!(
        "per person, cap {}   mean {:.0} secondary contacts, {:.0} crowded windows",
        a.crowd_cap,
        n_capped as f64 / cases.len() as f64,
        n_crowded as f64 / cases.len() as f64
    );
    for (name, v) in [
        ("close contacts", &mut close_ms),
        ("secondary contacts", &mut second_ms),
        ("secondary per person", &mut capped_ms),
        ("cell companions", &mut comp_ms),
        ("common source (5)", &mut common_ms),
    ] {
        let (p50, p95) = (percentile(v, 0.5), percentile(v, 0.95));
        println!("{name:20} p50 {p50:8.3} ms   p95 {p95:8.3} ms");
    }
    if let Some(dir) = &a.dump {
        let query = Query { rule: &rule, companion: &companion_rule, from, comp_from, to: now, crowd_cap: a.crowd_cap };
        let parquet = dump(dir, &engine, &spaces, &query, &answers, &common);
        drop(engine);
        let (secs, n) = import(&parquet, &spaces, now);
        println!("import from parquet  {n} presences in {secs:.2} s (durable)");
        let per = bytes as f64 / total as f64;
        std::fs::write(dir.join("ningan-load.txt"), format!("{secs:.3} {per:.1}\n")).expect("write load time");
    }
}

/// Cases: people with at least one scan in the last four days, the same ones for the same
/// city.
fn pick_cases(engine: &Engine, people: u32, n: usize, from: Time, now: Time) -> Vec<u32> {
    let mut cases = Vec::new();
    let mut probe = ChaCha8Rng::seed_from_u64(7);
    while cases.len() < n {
        let p = probe.gen_range(0..people);
        let mut any = false;
        engine.index().of_person(p, from, now, |_| any = true);
        if any {
            cases.push(p);
        }
    }
    cases
}

/// The per-person secondary answer timed case by case on an imported city (the first of
/// three runs and the best), with what each
/// case had to look at; the case at the 95th percentile is then run `repeats` more times.
fn profile(a: &Args, parquet: &std::path::Path, spaces: &[(u32, SpaceKind)], repeats: u32) {
    let now = START + a.days * DAY;
    let fresh = tempfile::tempdir().expect("temp dir");
    let mut engine = Engine::open(fresh.path(), 28, now).expect("engine");
    engine.define_spaces(spaces).expect("spaces");
    let report = engine.import_parquet(parquet, now).expect("import");
    eprintln!("imported {} presences", report.accepted);
    let bytes = engine.index().heap_bytes() as f64 / report.accepted.max(1) as f64;
    println!("index memory {bytes:.1} bytes/presence");
    let rule = ExposureRule::ninth_edition();
    let from = now - 4 * DAY;
    let mut rows = Vec::new();
    for case in pick_cases(&engine, a.people, a.cases, from, now) {
        let close = engine.close_contacts(&rule, case, from, now);
        // The best of three: one run is at the mercy of whatever else the machine does.
        let (mut ms, mut first) = (f64::INFINITY, None);
        let mut answer = SecondaryAnswer::default();
        for _ in 0..3 {
            // The last answer is let go before the clock starts.
            drop(std::mem::take(&mut answer));
            let t = Instant::now();
            answer = engine.secondary_by_person(&rule, case, &close, now, a.crowd_cap);
            ms = ms.min(t.elapsed().as_secs_f64() * 1e3);
            first.get_or_insert(ms);
        }
        let crowd: u64 = answer.crowded.iter().map(|w| u64::from(w.presences)).sum();
        let links: u64 = answer.people.iter().map(|p| u64::from(p.links)).sum();
        rows.push((
            ms,
            first.unwrap_or(ms),
            case,
            close.len(),
            answer.people.len(),
            links,
            answer.crowded.len(),
            crowd,
        ));
    }
    rows.sort_by(|x, y| y.0.total_cmp(&x.0));
    println!(
        "{:>10} {:>10} {:>9} {:>6} {:>8} {:>9} {:>7} {:>10}",
        "best ms", "first ms", "case", "close", "people", "links", "crowded", "crowd"
    );
    for r in &rows {
        println!("{:10.3} {:10.3} {:9} {:6} {:8} {:9} {:7} {:10}", r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7);
    }
    if let Some(&(_, _, case, ..)) = rows.get(rows.len() / 20) {
        let close = engine.close_contacts(&rule, case, from, now);
        let t = Instant::now();
        for _ in 0..repeats {
            std::hint::black_box(engine.secondary_by_person(&rule, case, &close, now, a.crowd_cap));
        }
        println!(
            "case {case} repeated {repeats}×: {:.3} ms each",
            t.elapsed().as_secs_f64() * 1e3 / f64::from(repeats.max(1))
        );
    }
}

/// The load the peers are compared on: a Parquet file into a fresh engine, validated and
/// durable (one synced segment per day). Returns (seconds, presences).
fn import(parquet: &std::path::Path, spaces: &[(u32, SpaceKind)], now: Time) -> (f64, usize) {
    let t = Instant::now();
    let fresh = tempfile::tempdir().expect("temp dir");
    let mut engine = Engine::open(fresh.path(), 28, now).expect("engine");
    engine.define_spaces(spaces).expect("spaces");
    let report = engine.import_parquet(parquet, now).expect("import");
    assert!(report.rejected.is_empty(), "{:?}", &report.rejected[..report.rejected.len().min(3)]);
    (t.elapsed().as_secs_f64(), report.accepted)
}

struct CaseAnswers {
    case: u32,
    close: Vec<CloseContact>,
    close_ms: f64,
    secondary: Vec<SecondaryContact>,
    secondary_ms: f64,
    capped: SecondaryAnswer,
    capped_ms: f64,
    companions: Vec<CloseContact>,
    companions_ms: f64,
}

struct Query<'a> {
    rule: &'a ExposureRule,
    companion: &'a CompanionRule,
    from: Time,
    comp_from: Time,
    to: Time,
    crowd_cap: usize,
}

fn contact_rows(contacts: &[CloseContact]) -> String {
    let rows: Vec<String> = contacts
        .iter()
        .map(|c| {
            format!(
                "[{}, {}, {}, {}, {}]",
                c.person, c.total_overlap, c.shared_visits, c.first_exposure, c.last_exposure
            )
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

/// Secondary lists run to hundreds of thousands of rows per case: the peers compare a count
/// and an order-independent checksum of (person, via, total, visits, first, last) instead.
fn secondary_digest(s: &[SecondaryContact]) -> String {
    let sum = s.iter().fold(0u128, |acc, s| {
        let c = &s.contact;
        let row = u128::from(c.person) * 1_000_003
            + u128::from(s.via) * 7_919
            + u128::from(c.total_overlap) * 31
            + u128::from(c.shared_visits) * 17
            + u128::from(c.first_exposure) * 3
            + u128::from(c.last_exposure);
        (acc + row) % (1u128 << 61)
    });
    format!("{{\"n\": {}, \"sum\": {sum}}}", s.len())
}

/// The per-person answer's count and order-free checksum: people (with their links) and
/// crowded windows, as `bench/trace/peers.py` computes them.
fn capped_digest(a: &SecondaryAnswer) -> String {
    let people = a.people.iter().fold(0u128, |acc, p| {
        let c = &p.contact;
        let row = u128::from(c.person) * 1_000_003
            + u128::from(p.via) * 7_919
            + u128::from(c.total_overlap) * 31
            + u128::from(c.shared_visits) * 17
            + u128::from(c.first_exposure) * 3
            + u128::from(c.last_exposure)
            + u128::from(p.links) * 101;
        (acc + row) % (1u128 << 61)
    });
    let sum = a.crowded.iter().fold(people, |acc, w| {
        let row = u128::from(w.space) * 1_000_033
            + u128::from(w.from) * 13
            + u128::from(w.to) * 7
            + u128::from(w.via) * 5
            + u128::from(w.presences) * 11;
        (acc + row) % (1u128 << 61)
    });
    format!("{{\"people\": {}, \"crowded\": {}, \"sum\": {sum}}}", a.people.len(), a.crowded.len())
}

/// The presences and spaces as files, and for each case the window, the rules and ningan's
/// answers with its times, as JSON: the input `bench/trace/peers.py` runs the peers on.
/// Returns the Parquet file's path.
fn dump(
    dir: &std::path::Path,
    engine: &Engine,
    spaces: &[(u32, SpaceKind)],
    q: &Query,
    answers: &[CaseAnswers],
    common: &[(Vec<u32>, Vec<CommonSource>, f64)],
) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).expect("dump dir");
    let parquet = dir.join("presences.parquet");
    let n = ningan_trace::io::write_presences_parquet(&parquet, engine.index().all(), 1 << 20).expect("parquet");
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("spaces.csv")).expect("spaces.csv"));
    ningan_trace::io::write_spaces_csv(&mut f, spaces.iter().copied()).expect("write spaces.csv");
    let (rule, comp) = (q.rule, q.companion);
    let mut json = format!(
        "{{\"presences\": {n}, \"rule\": {{\"before\": {}, \"after\": {}, \"min_overlap\": {}}}, \
         \"companion\": {{\"min_stay\": {}, \"min_cumulative\": {}, \"either\": {}}}, \
         \"from\": {}, \"comp_from\": {}, \"to\": {}, \"crowd_cap\": {}, \"cases\": [",
        rule.buffer_before,
        rule.buffer_after,
        rule.min_overlap,
        comp.min_stay,
        comp.min_cumulative,
        comp.combine == Combine::Either,
        q.from,
        q.comp_from,
        q.to,
        q.crowd_cap
    );
    let cases: Vec<String> = answers
        .iter()
        .map(|a| {
            format!(
                "{{\"case\": {}, \"ms\": {:.4}, \"close\": {}, \"secondary_ms\": {:.4}, \"secondary\": {}, \
                 \"capped_ms\": {:.4}, \"capped\": {}, \"companions_ms\": {:.4}, \"companions\": {}}}",
                a.case,
                a.close_ms,
                contact_rows(&a.close),
                a.secondary_ms,
                secondary_digest(&a.secondary),
                a.capped_ms,
                capped_digest(&a.capped),
                a.companions_ms,
                contact_rows(&a.companions)
            )
        })
        .collect();
    json.push_str(&cases.join(", "));
    json.push_str("], \"common\": [");
    let groups: Vec<String> = common
        .iter()
        .map(|(cases, sources, ms)| {
            let rows: Vec<String> = sources
                .iter()
                .map(|s| {
                    let ids: Vec<String> = s.cases.iter().map(u32::to_string).collect();
                    format!("[{}, {}, {}, \"{}\"]", s.space, s.from, s.to, ids.join(","))
                })
                .collect();
            format!("{{\"cases\": {cases:?}, \"ms\": {ms:.4}, \"sources\": [{}]}}", rows.join(", "))
        })
        .collect();
    json.push_str(&groups.join(", "));
    json.push_str("]}");
    std::fs::write(dir.join("ningan.json"), json).expect("write ningan.json");
    println!("dumped               {n} presences and {} cases to {}", answers.len(), dir.display());
    parquet
}
