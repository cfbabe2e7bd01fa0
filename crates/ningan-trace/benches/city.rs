//! The tracing engine on a synthetic city: a movement model produces venue check-ins and
//! cell stays for N people over D days; the engine ingests them (through its log), and
//! close contacts, secondary contacts, cell companions and cluster common sources are timed
//! for a sample of cases. Optionally writes the presences as Parquet for the peer engines.
//!
//!     cargo bench -p ningan-trace --bench city -- --people 1000000 --days 14 --cases 200
//!     cargo bench -p ningan-trace --bench city -- --people 10000000 --parquet /tmp/city.parquet

use std::time::Instant;

use ningan_trace::{CompanionRule, Engine, ExposureRule, Observation, SpaceKind, Time};
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
}

fn args() -> Args {
    let mut a = Args { people: 200_000, days: 14, cases: 100, parquet: None, dump: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--people" => a.people = value().parse().expect("--people N"),
            "--days" => a.days = value().parse().expect("--days N"),
            "--cases" => a.cases = value().parse().expect("--cases N"),
            "--parquet" => a.parquet = Some(value().into()),
            "--dump" => a.dump = Some(value().into()),
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

    // Cases: people with at least one scan in the last four days.
    let rule = ExposureRule::ninth_edition();
    let from = now - 4 * DAY;
    let mut cases = Vec::new();
    let mut probe = ChaCha8Rng::seed_from_u64(7);
    while cases.len() < a.cases {
        let p = probe.gen_range(0..a.people);
        let mut any = false;
        engine.index().of_person(p, from, now, |_| any = true);
        if any {
            cases.push(p);
        }
    }
    let (mut close_ms, mut second_ms, mut comp_ms) = (Vec::new(), Vec::new(), Vec::new());
    let (mut n_close, mut n_second) = (0usize, 0usize);
    for &case in &cases {
        let t = Instant::now();
        let close = engine.close_contacts(&rule, case, from, now);
        close_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let second = engine.secondary_contacts(&rule, case, &close, now);
        second_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let _ = engine.companions(&CompanionRule::standard(), case, now - 14 * DAY, now);
        comp_ms.push(t.elapsed().as_secs_f64() * 1e3);
        n_close += close.len();
        n_second += second.len();
    }
    if let Some(dir) = &a.dump {
        dump(dir, &engine, &rule, &cases, from, now, &close_ms);
    }
    let mut common_ms = Vec::new();
    for chunk in cases.chunks(5) {
        let t = Instant::now();
        let _ = engine.common_sources(chunk, from, now, 2);
        common_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "cases                {} (mean {:.0} close, {:.0} secondary contacts)",
        cases.len(),
        n_close as f64 / cases.len() as f64,
        n_second as f64 / cases.len() as f64
    );
    for (name, v) in [
        ("close contacts", &mut close_ms),
        ("secondary contacts", &mut second_ms),
        ("cell companions", &mut comp_ms),
        ("common source (5)", &mut common_ms),
    ] {
        let (p50, p95) = (percentile(v, 0.5), percentile(v, 0.95));
        println!("{name:20} p50 {p50:8.3} ms   p95 {p95:8.3} ms");
    }
}

/// The presences as Parquet, and for each case its window, rule, ningan's close contacts and
/// ningan's time, as JSON: the input `bench/trace/peers.py` runs the peers on.
fn dump(dir: &std::path::Path, engine: &Engine, rule: &ExposureRule, cases: &[u32], from: Time, to: Time, ms: &[f64]) {
    std::fs::create_dir_all(dir).expect("dump dir");
    let n = ningan_trace::io::write_presences_parquet(&dir.join("presences.parquet"), engine.index().all(), 1 << 20)
        .expect("parquet");
    let mut json = format!(
        "{{\"presences\": {n}, \"rule\": {{\"before\": {}, \"after\": {}, \"min_overlap\": {}}}, \"from\": {from}, \"to\": {to}, \"cases\": [",
        rule.buffer_before, rule.buffer_after, rule.min_overlap
    );
    for (i, &case) in cases.iter().enumerate() {
        let close = engine.close_contacts(rule, case, from, to);
        let contacts: Vec<String> = close
            .iter()
            .map(|c| {
                format!(
                    "[{}, {}, {}, {}, {}]",
                    c.person, c.total_overlap, c.shared_visits, c.first_exposure, c.last_exposure
                )
            })
            .collect();
        if i > 0 {
            json.push_str(", ");
        }
        json.push_str(&format!("{{\"case\": {case}, \"ms\": {:.4}, \"close\": [{}]}}", ms[i], contacts.join(", ")));
    }
    json.push_str("]}");
    std::fs::write(dir.join("ningan.json"), json).expect("write ningan.json");
    println!("dumped               {n} presences and {} cases to {}", cases.len(), dir.display());
}
