//! Signals through NATS to however many scoring processes the run script started: a steady
//! load of NDJSON batches published to the partners' subject (mostly benign, one batch in
//! twenty holding a whole victim journey), the time from publishing a journey to its red
//! warning's task being in the database, and then an unthrottled burst for the ceiling: the
//! time until every signal published is in the signal log. Run by bench/fraud/scaleout.sh;
//! arguments: --nats URL --db URL --base URL --password PW [--label L] [--rate N]
//! [--seconds N] [--batch N] [--burst N]

#[path = "support/mod.rs"]
mod support;
use support::{arg, num, pct, session};

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

fn benign(rng: &mut ChaCha8Rng, run: i64, n: u64, now: i64) -> String {
    let id = format!("so-{run}-{n}");
    let phone = format!("13{:09}", rng.gen_range(0..1_000_000_000u64));
    match n % 4 {
        0 => format!(
            r#"{{"id":"{id}","phone":"{phone}","at":{now},"kind":"call","from":"15{:09}","duration":60}}"#,
            rng.gen_range(0..1_000_000_000u64)
        ),
        1 => format!(
            r#"{{"id":"{id}","phone":"{phone}","at":{now},"kind":"url","url":"https://www.shop{}.com/i/{n}"}}"#,
            n % 500
        ),
        2 => format!(r#"{{"id":"{id}","phone":"{phone}","at":{now},"kind":"sms","from":"95588"}}"#),
        _ => format!(
            r#"{{"id":"{id}","phone":"{phone}","at":{now},"kind":"transfer","account":"6217{:012}","amount":120.5}}"#,
            rng.gen_range(0..1_000_000_000_000u64)
        ),
    }
}

async fn logged(pool: &sqlx::AnyPool) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM fraud_signals").fetch_one(pool).await.expect("count");
    n
}

/// Waits until the log holds `target` signals; answers when that was.
async fn drained(pool: &sqlx::AnyPool, target: i64, limit: Duration) -> Option<Instant> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if logged(pool).await >= target {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::main]
async fn main() {
    let nats = arg("--nats").expect("--nats");
    let db = arg("--db").expect("--db");
    let base = arg("--base").expect("--base");
    let label = arg("--label").unwrap_or_else(|| "run".into());
    let rate = num("--rate", 5_000);
    let seconds = num("--seconds", 20);
    let batch = num("--batch", 1_000);
    let burst = num("--burst", 200_000);

    sqlx::any::install_default_drivers();
    let url = if db.starts_with("sqlite") { format!("{db}?mode=ro") } else { db.clone() };
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(4).connect(&url).await.expect("database");
    let js = async_nats::jetstream::new(async_nats::connect(&nats).await.expect("nats"));
    // Listed through one process; the others read the change within a balancer tick.
    let analyst = session(&base, "analyst", &arg("--password").expect("--password")).await;
    let r = analyst
        .post(format!("{base}/api/fraud/watchlist"))
        .json(&json!({"entries": [
            {"kind": "phone", "value": "0574-69990002", "source": "bench"},
            {"kind": "app", "value": "com.bench.scaleout", "source": "bench"}]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status() == 409, "watchlist: {}", r.status());
    tokio::time::sleep(Duration::from_secs(3)).await;

    let run = chrono::Utc::now().timestamp_millis();
    let mut rng = ChaCha8Rng::seed_from_u64(run as u64);
    let start_count = logged(&pool).await;
    let batches_per_s = (rate / batch).max(1);
    let interval = Duration::from_secs_f64(1.0 / batches_per_s as f64);
    let total = batches_per_s * seconds;
    let mut n = 0u64;
    let mut journeys = Vec::new();
    let started = Instant::now();
    for k in 0..total {
        tokio::time::sleep_until((started + interval * k as u32).into()).await;
        let now = chrono::Utc::now().timestamp();
        let mut lines: Vec<String> = (0..batch)
            .map(|_| {
                n += 1;
                benign(&mut rng, run, n, now)
            })
            .collect();
        let journey = (k % 20 == 0).then(|| format!("sj{run}-{k}-3"));
        if let Some(last) = &journey {
            let victim = format!("189{:08}", (run as u64 / 1000 % 10_000) * 10_000 + k);
            lines.truncate(lines.len() - 3);
            lines.push(json!({"id": format!("sj{run}-{k}-1"), "phone": victim, "at": now - 120, "kind": "call", "from": "057469990002", "duration": 300}).to_string());
            lines.push(json!({"id": format!("sj{run}-{k}-2"), "phone": victim, "at": now - 60, "kind": "app", "package": "com.bench.scaleout"}).to_string());
            lines.push(json!({"id": last, "phone": victim, "at": now, "kind": "transfer", "account": "6217000011113333", "amount": 5000}).to_string());
        }
        let t0 = Instant::now();
        js.publish("ningan.signals", lines.join("\n").into()).await.unwrap().await.unwrap();
        if let Some(id) = journey {
            let pool = pool.clone();
            journeys.push(tokio::spawn(async move {
                let until = t0 + Duration::from_secs(60);
                while Instant::now() < until {
                    let found: Option<(i64,)> =
                        sqlx::query_as("SELECT id FROM fraud_tasks WHERE signal_id = $1 AND level = 'high'")
                            .bind(&id)
                            .fetch_optional(&pool)
                            .await
                            .unwrap();
                    if found.is_some() {
                        return Some(t0.elapsed().as_secs_f64() * 1e3);
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                None
            }));
        }
    }
    let published = started.elapsed();
    let sent = (total * batch) as i64;
    let done = drained(&pool, start_count + sent, Duration::from_secs(300)).await;
    let mut visible = Vec::new();
    let mut missed = 0;
    for j in journeys {
        match j.await.unwrap() {
            Some(ms) => visible.push(ms),
            None => missed += 1,
        }
    }
    visible.sort_by(f64::total_cmp);
    match done {
        Some(at) => println!(
            "{label} steady: {sent} signals published at {rate}/s over {:.1} s; all logged {:.0} ms after the last = {:.0} signals/s",
            published.as_secs_f64(),
            (at - started - published).as_secs_f64() * 1e3,
            sent as f64 / (at - started).as_secs_f64()
        ),
        None => println!("{label} steady: {sent} signals published at {rate}/s; not all logged within 300 s"),
    }
    println!(
        "{label}   red warning published -> task in the database  p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms  ({} journeys, {missed} missed)",
        pct(&visible, 0.5),
        pct(&visible, 0.99),
        pct(&visible, 1.0),
        visible.len()
    );

    // The ceiling: `burst` signals published as fast as NATS takes them, timed until the
    // last is in the log.
    let before = logged(&pool).await;
    let t = Instant::now();
    let now = chrono::Utc::now().timestamp();
    let mut acks = Vec::new();
    for _ in 0..burst / batch {
        let lines: Vec<String> = (0..batch)
            .map(|_| {
                n += 1;
                benign(&mut rng, run, n, now)
            })
            .collect();
        acks.push(js.publish("ningan.signals", lines.join("\n").into()).await.unwrap());
    }
    for a in acks {
        a.await.unwrap();
    }
    let target = before + (burst / batch * batch) as i64;
    match drained(&pool, target, Duration::from_secs(600)).await {
        Some(at) => println!(
            "{label} ceiling: {} signals in {:.1} s = {:.0} signals/s",
            burst / batch * batch,
            (at - t).as_secs_f64(),
            (burst / batch * batch) as f64 / (at - t).as_secs_f64()
        ),
        None => println!("{label} ceiling: not all {burst} logged within 600 s"),
    }
}
