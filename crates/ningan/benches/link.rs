//! Link analysis at city scale: a synthetic call-and-transfer graph (`ningan_link::synth`,
//! gangs hidden in it) of `--relations` records (10 million by default), then
//! - the two-hop neighbourhood of random entities (uncapped; and as the chart shows it: the
//!   50 strongest links of a node, 2,500 nodes in all, with the links among them) and the
//!   shortest path between random pairs (up to six hops), each timed with p50/p99;
//! - with `--pg URL`: the same records in PostgreSQL and the same questions as recursive
//!   CTEs (uncapped two-hop neighbourhoods counted, shortest-path lengths), the answers
//!   compared and the ratio printed;
//! - Louvain over the whole graph, timed with its modularity; with `--edges-out FILE` the
//!   weighted pairs are written for python-igraph's Leiden (bench/link/leiden.py).
//!
//! Run by bench/link/run.sh; arguments: [--relations N] [--queries N] [--pg URL]
//! [--pg-queries N] [--edges-out FILE].

mod support;

use std::io::Write as _;
use std::time::Instant;

use ningan_link::{Filter, Graph, synth};
use support::{arg, num, pct};

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn summary(name: &str, mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    println!(
        "{name}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} queries)",
        pct(&v, 0.5),
        pct(&v, 0.99),
        pct(&v, 1.0),
        v.len()
    );
    pct(&v, 0.5)
}

fn main() {
    let n = num("--relations", 10_000_000) as usize;
    let queries = num("--queries", 1000) as usize;
    let t = Instant::now();
    let city = synth::city(n, 40, 1_767_225_600_000, 90, 2021);
    println!(
        "generated {} relations among {} entities ({} gangs) in {:.1} s",
        city.relations.len(),
        city.entities,
        city.gangs.len(),
        t.elapsed().as_secs_f64()
    );
    let pairs: Vec<(u32, u32)> =
        if arg("--pg").is_some() { city.relations.iter().map(|r| (r.from, r.to)).collect() } else { Vec::new() };
    let t = Instant::now();
    let g = Graph::build(city.entities, city.relations).expect("a valid graph");
    println!("built the graph in {:.1} s", t.elapsed().as_secs_f64());

    let f = Filter::default();
    let mut rng = synth::Rng(7);
    let mut pick = |n: u32| rng.below(u64::from(n)) as u32;
    let seeds: Vec<u32> = (0..queries).map(|_| pick(g.nodes())).collect();
    let mut two_hop = Vec::new();
    let mut shown = 0usize;
    for &s in &seeds {
        let t = Instant::now();
        let e = g.expand(&[s], 2, &f, 50, 2500);
        two_hop.push(ms(t));
        shown += e.nodes.len();
    }
    summary("chart: two hops, the 50 strongest links per node, 2,500 nodes at most, links among them", two_hop);
    println!("  {} nodes shown on average", shown / queries.max(1));
    let mut whole = Vec::new();
    let mut held = 0usize;
    for &s in &seeds {
        let t = Instant::now();
        held += g.reach(&[s], 2, &f).len();
        whole.push(ms(t));
    }
    let ours_2hop = summary("two-hop neighbourhood, uncapped (the question PostgreSQL is asked)", whole);
    println!("  {} entities within two hops on average", held / queries.max(1));
    let mut sp = Vec::new();
    let mut lengths = Vec::new();
    let targets: Vec<u32> = (0..queries).map(|_| pick(g.nodes())).collect();
    for (&a, &b) in seeds.iter().zip(&targets) {
        let t = Instant::now();
        let p = g.shortest_path(a, b, &f, 6);
        sp.push(ms(t));
        lengths.push(p.map(|p| p.len() as u32 - 1));
    }
    let ours_sp = summary("shortest path (up to 6 hops)", sp);
    let mut hist = [0usize; 8];
    for l in &lengths {
        hist[l.map_or(7, |x| x.min(6) as usize)] += 1;
    }
    println!("  path lengths 0–6 and none: {hist:?}");

    if let Some(url) = arg("--pg") {
        let pg_queries = num("--pg-queries", 20) as usize;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            use sqlx::Connection as _;
            let mut c = sqlx::postgres::PgConnection::connect(&url).await.expect("PostgreSQL");
            let t = Instant::now();
            sqlx::query("DROP TABLE IF EXISTS rel").execute(&mut c).await.unwrap();
            sqlx::query("CREATE UNLOGGED TABLE rel (u INT NOT NULL, v INT NOT NULL)").execute(&mut c).await.unwrap();
            let mut copy = c.copy_in_raw("COPY rel (u, v) FROM STDIN").await.unwrap();
            let mut buf = Vec::with_capacity(1 << 22);
            for (i, (a, b)) in pairs.iter().enumerate() {
                // Both directions: the questions are about who is linked, not who called.
                writeln!(buf, "{a}\t{b}\n{b}\t{a}").unwrap();
                if buf.len() > (1 << 22) || i + 1 == pairs.len() {
                    copy.send(std::mem::take(&mut buf)).await.unwrap();
                }
            }
            copy.finish().await.unwrap();
            sqlx::query("CREATE INDEX rel_u ON rel (u) INCLUDE (v)").execute(&mut c).await.unwrap();
            sqlx::query("ANALYZE rel").execute(&mut c).await.unwrap();
            println!("PostgreSQL: loaded and indexed {} rows in {:.1} s", pairs.len() * 2, t.elapsed().as_secs_f64());
            let mut pg_2hop = Vec::new();
            let mut same = 0;
            for &s in seeds.iter().take(pg_queries) {
                let t = Instant::now();
                let (count,): (i64,) = sqlx::query_as(
                    "WITH RECURSIVE walk(n, d) AS (SELECT $1::int, 0 UNION SELECT r.v, w.d + 1 FROM walk w JOIN rel r ON r.u = w.n WHERE w.d < 2) \
                     SELECT COUNT(DISTINCT n) FROM walk",
                )
                .bind(s as i32)
                .fetch_one(&mut c)
                .await
                .unwrap();
                pg_2hop.push(ms(t));
                let ours = g.reach(&[s], 2, &f).len() as i64;
                same += usize::from(ours == count);
            }
            println!("  two-hop neighbourhoods (uncapped) agree on {same} of {}", pg_2hop.len());
            let pg_2 = summary("PostgreSQL recursive CTE, two-hop neighbourhood (uncapped)", pg_2hop);
            let mut pg_sp = Vec::new();
            let mut agree = 0;
            let mut asked = 0;
            for ((&a, &b), len) in seeds.iter().zip(&targets).zip(&lengths) {
                // The CTE has no early stop: it is asked only to the depth ours found.
                let Some(d) = *len else { continue };
                if asked == pg_queries || d > 4 {
                    continue;
                }
                asked += 1;
                let t = Instant::now();
                let (found,): (Option<i32>,) = sqlx::query_as(
                    "WITH RECURSIVE bfs(n, d) AS (SELECT $1::int, 0 UNION SELECT r.v, b.d + 1 FROM bfs b JOIN rel r ON r.u = b.n WHERE b.d < $3) \
                     SELECT MIN(d) FROM bfs WHERE n = $2",
                )
                .bind(a as i32)
                .bind(b as i32)
                .bind(d as i32)
                .fetch_one(&mut c)
                .await
                .unwrap();
                pg_sp.push(ms(t));
                agree += usize::from(found == Some(d as i32));
            }
            println!("  shortest-path lengths agree on {agree} of {asked}");
            let pg_s = summary("PostgreSQL recursive CTE, shortest path (to the depth found)", pg_sp);
            println!("ratio (PostgreSQL p50 / ningan-link p50): two-hop {:.0}×, shortest path {:.0}×", pg_2 / ours_2hop, pg_s / ours_sp);
        });
    }

    let t = Instant::now();
    let comm = ningan_link::communities(&g, &f);
    let louvain_s = t.elapsed().as_secs_f64();
    println!("louvain: {} communities, modularity {:.4}, {:.1} s", comm.count, comm.modularity, louvain_s);
    if let Some(path) = arg("--edges-out") {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("edges file"));
        for a in 0..g.nodes() {
            for l in g.neighbours(a, &f) {
                if a < l.node {
                    writeln!(out, "{a} {} {}", l.node, l.count).unwrap();
                }
            }
        }
        println!("wrote the weighted pairs to {path}");
    }
}
