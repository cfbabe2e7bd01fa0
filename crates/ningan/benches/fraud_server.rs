//! Signals through the server: a steady load of NDJSON batches (mostly benign, with victim
//! journeys whose last step lands at known instants) and, for every journey, the time from
//! posting its final signal to its red-warning task being readable over the API. Then the
//! same batches unthrottled, for the ceiling. Run by bench/fraud/run.sh, which starts the
//! server; arguments: --base URL --user NAME --password PW [--rate N] [--seconds N] [--batch N]

#[path = "support/mod.rs"]
mod support;
use support::{arg, pct, session};

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

struct Gen {
    rng: ChaCha8Rng,
    n: u64,
}

impl Gen {
    /// One NDJSON line, written directly: the generator shares the server's two cores, so it
    /// should spend as little of them as it can.
    fn benign(&mut self, now: i64) -> String {
        self.n += 1;
        let id = format!("bench-{}-{}-{}", now, self.rng.r#gen::<u32>(), self.n);
        let phone = format!("13{:09}", self.rng.gen_range(0..1_000_000_000u64));
        match self.rng.gen_range(0..4) {
            0 => format!(
                r#"{{"id":"{id}","phone":"{phone}","at":{now},"kind":"call","from":"15{:09}","duration":60}}"#,
                self.rng.gen_range(0..1_000_000_000u64)
            ),
            1 => format!(
                r#"{{"id":"{id}","phone":"{phone}","at":{now},"kind":"url","url":"https://www.shop{}.com/i/{}"}}"#,
                self.rng.gen_range(0..500),
                self.n
            ),
            2 => format!(r#"{{"id":"{id}","phone":"{phone}","at":{now},"kind":"sms","from":"95588"}}"#),
            _ => format!(
                r#"{{"id":"{id}","phone":"{phone}","at":{now},"kind":"transfer","account":"6217{:012}","amount":120.5}}"#,
                self.rng.gen_range(0..1_000_000_000_000u64)
            ),
        }
    }
}

async fn post(http: &reqwest::Client, base: &str, lines: &[String]) -> Value {
    let body = lines.join("\n");
    let r = http
        .post(format!("{base}/api/fraud/signals/ndjson"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .expect("post signals");
    assert_eq!(r.status(), 200, "signals refused");
    r.json().await.expect("report")
}

#[tokio::main]
async fn main() {
    let base = arg("--base").expect("--base");
    let user = arg("--user").unwrap_or_else(|| "analyst".into());
    let password = arg("--password").expect("--password");
    let rate: u64 = arg("--rate").and_then(|v| v.parse().ok()).unwrap_or(5_000);
    let seconds: u64 = arg("--seconds").and_then(|v| v.parse().ok()).unwrap_or(30);
    let batch: u64 = arg("--batch").and_then(|v| v.parse().ok()).unwrap_or(100);

    let http = session(&base, &user, &password).await;
    // The city commander reads the tasks: unregistered numbers are the city centre's.
    let reader = session(&base, "commander", &arg("--reader-password").expect("--reader-password")).await;
    let r = http
        .post(format!("{base}/api/fraud/watchlist"))
        .json(&json!({"entries": [
            {"kind": "phone", "value": "0574-69990001", "source": "bench"},
            {"kind": "app", "value": "com.bench.meeting", "source": "bench"}]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "watchlist");

    // Ids unique to this run, so a second run against the same server is not a retry.
    let run = chrono::Utc::now().timestamp_millis();
    let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(run as u64), n: 0 };
    // Steady load: `batch`-signal batches at `rate` signals/s from concurrent senders; one
    // batch in twenty carries the last step of a journey whose first steps went out earlier.
    let batches_per_s = (rate / batch).max(1);
    let interval = Duration::from_secs_f64(1.0 / batches_per_s as f64);
    let total = batches_per_s * seconds;
    let started = Instant::now();
    let mut handles = Vec::new();
    for k in 0..total {
        let due = started + interval * k as u32;
        tokio::time::sleep_until(due.into()).await;
        let now = chrono::Utc::now().timestamp();
        let mut lines: Vec<String> = (0..batch).map(|_| g.benign(now)).collect();
        let journey = k % 20 == 0;
        if journey {
            // A person never warned before: earlier runs' warnings would be deduplicated.
            let victim = format!("188{:08}", (run as u64 / 1000 % 10_000) * 10_000 + k);
            let head = vec![
                json!({"id": format!("j{run}-{k}-1"), "phone": victim, "at": now - 120, "kind": "call", "from": "057469990001", "duration": 300}).to_string(),
                json!({"id": format!("j{run}-{k}-2"), "phone": victim, "at": now - 60, "kind": "app", "package": "com.bench.meeting"}).to_string(),
            ];
            let head_report = post(&http, &base, &head).await;
            assert_eq!(head_report["warnings"].as_array().map(Vec::len), Some(2), "head: {head_report}");
            lines.pop();
            lines.push(json!({"id": format!("j{run}-{k}-3"), "phone": victim, "at": now, "kind": "transfer", "account": "6217000011112222", "amount": 5000}).to_string());
        }
        let (http, reader, base) = (http.clone(), reader.clone(), base.clone());
        handles.push(tokio::spawn(async move {
            let t0 = Instant::now();
            let report = post(&http, &base, &lines).await;
            let batch_ms = t0.elapsed().as_secs_f64() * 1e3;
            let mut visible_ms = None;
            if journey {
                let task = report["warnings"]
                    .as_array()
                    .and_then(|w| w.iter().find(|w| w["level"] == "high"))
                    .and_then(|w| w["task_id"].as_i64())
                    .unwrap_or_else(|| panic!("the journey raised no red warning: {report}"));
                let r = reader.get(format!("{base}/api/fraud/tasks/{task}")).send().await.unwrap();
                assert_eq!(r.status(), 200);
                visible_ms = Some(t0.elapsed().as_secs_f64() * 1e3);
            }
            (batch_ms, visible_ms)
        }));
    }
    let mut batch_ms = Vec::new();
    let mut visible = Vec::new();
    for h in handles {
        let (b, v) = h.await.unwrap();
        batch_ms.push(b);
        visible.extend(v);
    }
    let elapsed = started.elapsed().as_secs_f64();
    batch_ms.sort_by(f64::total_cmp);
    visible.sort_by(f64::total_cmp);
    let sent = total * batch;
    println!(
        "steady load: {sent} signals in {elapsed:.1} s = {:.0} signals/s (offered {rate}/s, {batch} per batch)",
        sent as f64 / elapsed
    );
    println!(
        "  batch POST -> response               p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        pct(&batch_ms, 0.5),
        pct(&batch_ms, 0.99),
        pct(&batch_ms, 1.0)
    );
    println!(
        "  red warning posted -> task readable  p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms  ({} journeys)",
        pct(&visible, 0.5),
        pct(&visible, 0.99),
        pct(&visible, 1.0),
        visible.len()
    );

    // The ceiling: the same kind of batches as fast as 8 senders can push them, in batches
    // of 100 (as above) and of 1,000 (a carrier's bulk feed), each for about `seconds / 3`.
    for (round, batch) in [(0u64, batch), (1, batch * 10)] {
        let t = Instant::now();
        let deadline = t + Duration::from_secs((seconds / 3).max(3));
        let mut senders = Vec::new();
        for s in 0..8u64 {
            let (http, base) = (http.clone(), base.clone());
            let mut g =
                Gen { rng: ChaCha8Rng::seed_from_u64(100 + s), n: 1_000_000_000 * (s + 1) + 500_000_000 * round };
            senders.push(tokio::spawn(async move {
                let mut sent = 0u64;
                while Instant::now() < deadline {
                    let now = chrono::Utc::now().timestamp();
                    let lines: Vec<String> = (0..batch).map(|_| g.benign(now)).collect();
                    post(&http, &base, &lines).await;
                    sent += batch;
                }
                sent
            }));
        }
        let mut n = 0;
        for s in senders {
            n += s.await.unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "ceiling: batch {batch}: {n} signals unthrottled by 8 senders in {secs:.1} s = {:.0} signals/s",
            n as f64 / secs
        );
    }
}
