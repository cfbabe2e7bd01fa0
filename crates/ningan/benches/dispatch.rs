//! Dispatch proposals on the demo city's roads: "the nearest 5 of 2,000 units by travel time"
//! answered by ningan-route's contraction hierarchies and, in the same run, by pgRouting
//! (`pgr_dijkstraCost` over the same edges, costs in the same whole milliseconds), checking
//! that both give identical units and times. pgRouting is asked its fastest way: one search
//! from the incident to all 2,000 units (the roads are two-way with equal costs, so that is
//! the same as from each unit to the incident, which would be 2,000 searches). Run by
//! bench/dispatch/run.sh, which starts a throwaway PostgreSQL with pgRouting;
//! arguments: [--pg URL] [--questions N] [--pg-questions N] [--units N]

use std::time::{Duration, Instant};

use ningan_route::{Candidate, Reach, Snap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::Row;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn number(name: &str, default: usize) -> usize {
    let Some(v) = arg(name) else { return default };
    match v.parse() {
        Ok(n) => n,
        Err(_) => panic!("{name} takes a whole number, not {v:?}"),
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted.get(((sorted.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or_default()
}

fn main() {
    let units_n = number("--units", 2000);
    let questions = number("--questions", 2000);
    let pg_questions = number("--pg-questions", 30);
    let started = Instant::now();
    let router = ningan::geo::router().expect("the demo city's roads");
    let prepared = started.elapsed();
    let net = ningan::geo::roads();
    println!(
        "demo road graph: {} crossings, {} road stretches, prepared in {:.2} s",
        router.nodes(),
        router.arcs(),
        prepared.as_secs_f64()
    );

    // Units somewhere near the roads (a car in a yard, a lane), incidents likewise.
    let mut rng = ChaCha8Rng::seed_from_u64(110);
    let near_road = |rng: &mut ChaCha8Rng| {
        let p = net.nodes[rng.gen_range(0..net.nodes.len())];
        let at = [p[0] + rng.gen_range(-0.003..0.003), p[1] + rng.gen_range(-0.003..0.003)];
        router.snap(at).expect("a node to join")
    };
    let units: Vec<Candidate> = (0..units_n as i64).map(|id| Candidate { id, at: near_road(&mut rng) }).collect();
    let targets: Vec<Snap> = (0..questions).map(|_| near_road(&mut rng)).collect();

    let mut ours: Vec<Vec<Reach>> = Vec::with_capacity(questions);
    let mut times: Vec<Duration> = Vec::with_capacity(questions);
    for t in &targets {
        let at = Instant::now();
        let best = router.nearest(*t, &units, 5);
        times.push(at.elapsed());
        ours.push(best);
    }
    times.sort();
    let ours_mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    println!(
        "ningan-route, nearest 5 of {units_n}: {questions} questions, mean {:?}, p50 {:?}, p99 {:?}, max {:?} (goal p99 < 5 ms)",
        ours_mean,
        pct(&times, 0.5),
        pct(&times, 0.99),
        times.last().copied().unwrap_or_default()
    );

    let Some(url) = arg("--pg") else {
        println!("pgRouting: not asked (--pg URL)");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await.expect("PostgreSQL");
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE").execute(&pool).await.expect("pgrouting installed");
        sqlx::query("DROP TABLE IF EXISTS road_edges").execute(&pool).await.expect("drop");
        sqlx::query("CREATE TABLE road_edges (id bigint PRIMARY KEY, source bigint, target bigint, cost float8, reverse_cost float8)")
            .execute(&pool)
            .await
            .expect("create");
        // The same whole milliseconds the hierarchy adds up, so sums compare exactly.
        let (mut ids, mut sources, mut targets_col, mut costs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, e) in net.edges.iter().enumerate() {
            let seconds = e.metres / (net.roads[e.road as usize].class.speed_kmh() / 3.6);
            ids.push(i as i64);
            sources.push(i64::from(e.from));
            targets_col.push(i64::from(e.to));
            costs.push(((seconds * 1000.0).round()).max(1.0));
        }
        sqlx::query(
            "INSERT INTO road_edges SELECT i, s, t, c, c FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[]) AS u(i, s, t, c)",
        )
        .bind(&ids)
        .bind(&sources)
        .bind(&targets_col)
        .bind(&costs)
        .execute(&pool)
        .await
        .expect("load the edges");
        sqlx::query("ANALYZE road_edges").execute(&pool).await.expect("analyze");
        let starts: Vec<i64> = units.iter().map(|u| i64::from(u.at.node)).collect();
        let mut pg_times = Vec::new();
        let mut same = 0;
        for (q, t) in targets.iter().take(pg_questions).enumerate() {
            let at = Instant::now();
            let rows = sqlx::query(
                "SELECT end_vid, agg_cost FROM pgr_dijkstraCost('SELECT id, source, target, cost, reverse_cost FROM road_edges', $1::bigint, $2::bigint[], directed => true)",
            )
            .bind(i64::from(t.node))
            .bind(&starts)
            .fetch_all(&pool)
            .await
            .expect("pgr_dijkstraCost");
            pg_times.push(at.elapsed());
            let cost: std::collections::HashMap<i64, u64> =
                rows.iter().map(|r| (r.get::<i64, _>(0), r.get::<f64, _>(1).round() as u64)).collect();
            let mut theirs: Vec<Reach> = units
                .iter()
                .filter_map(|u| {
                    let road = if u.at.node == t.node { 0 } else { *cost.get(&i64::from(u.at.node))? };
                    Some(Reach { ms: u.at.access_ms + road + t.access_ms, id: u.id })
                })
                .collect();
            theirs.sort();
            theirs.truncate(5);
            if theirs == ours[q] {
                same += 1;
            } else {
                println!("question {q}: ningan-route {:?} but pgRouting {:?}", ours[q], theirs);
            }
        }
        pg_times.sort();
        let pg_mean = pg_times.iter().sum::<Duration>() / pg_times.len().max(1) as u32;
        println!(
            "pgRouting pgr_dijkstraCost, the incident to {units_n} units: {} questions, mean {:?}, p50 {:?}, p99 {:?}",
            pg_times.len(),
            pg_mean,
            pct(&pg_times, 0.5),
            pct(&pg_times, 0.99)
        );
        println!("identical units and travel times: {same} of {}", pg_times.len());
        println!(
            "ratio (pgRouting mean / ningan-route mean): {:.0}× (goal ≥ 100×)",
            pg_mean.as_secs_f64() / ours_mean.as_secs_f64().max(1e-9)
        );
    });
}
