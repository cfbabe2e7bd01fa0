//! The live board under load: devices of UNITS units post RATE position reports a second
//! through the API (token, scope, storage, publication) while CLIENTS workbenches follow
//! the event stream; for every report and every client, the lag from posting the report to
//! the client reading its event, and whether any client missed one. Then the same reports
//! through the HTTP stack alone, in this process — a bare axum handler handing the body to a
//! broadcast channel that CLIENTS server-sent-event streams read — for the ceiling, and the
//! ratio. Run by bench/board/run.sh, which starts the server; arguments:
//! --base URL --logins FILE [--rate N] [--clients N] [--units N] [--seconds N]

#[path = "support/mod.rs"]
mod support;
use support::{arg, num, pct, session};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// When each report was posted, by (unit, longitude in nanodegrees): unique per report, and
/// whole, because a float that has been through JSON twice may come back an ulp away.
type Sent = Arc<RwLock<HashMap<(i64, i64), Instant>>>;

fn key(id: i64, lon: f64) -> (i64, i64) {
    (id, (lon * 1e9).round() as i64)
}

/// What one client saw of the reports.
#[derive(Default)]
struct Seen {
    lags_ms: Vec<f64>,
    resets: u64,
}

/// Reads an event stream until `until`, timing each unit event against its posting.
async fn follow(mut resp: reqwest::Response, sent: Sent, until: Instant) -> Seen {
    let mut seen = Seen::default();
    let mut buf = String::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let chunk = match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(c))) => c,
            _ => break,
        };
        let at = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            if block.contains("event: reset") || block.contains("event:reset") {
                seen.resets += 1;
            }
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) else { continue };
            let Ok(v) = serde_json::from_str::<Value>(data.trim_start()) else { continue };
            let (Some(id), Some(lon)) = (v["id"].as_i64(), v["lon"].as_f64()) else { continue };
            if let Some(t) = sent.read().unwrap().get(&key(id, lon)) {
                seen.lags_ms.push(at.duration_since(*t).as_secs_f64() * 1000.0);
            }
        }
    }
    seen
}

struct Run {
    posted: u64,
    refused: u64,
    seen: Vec<Seen>,
}

impl Run {
    fn report(&self, name: &str) -> f64 {
        let mut lags: Vec<f64> = self.seen.iter().flat_map(|s| s.lags_ms.iter().copied()).collect();
        lags.sort_by(f64::total_cmp);
        let missing: u64 = self.seen.iter().map(|s| self.posted.saturating_sub(s.lags_ms.len() as u64)).sum();
        let resets: u64 = self.seen.iter().map(|s| s.resets).sum();
        let p99 = pct(&lags, 0.99);
        println!(
            "{name}: {} reports posted ({} refused), {} deliveries to {} clients, missing {missing}, resets {resets}; \
             lag p50 {:.1} ms, p99 {p99:.1} ms, max {:.1} ms",
            self.posted,
            self.refused,
            lags.len(),
            self.seen.len(),
            pct(&lags, 0.5),
            lags.last().copied().unwrap_or(f64::NAN),
        );
        p99
    }
}

/// Posts `rate` reports a second for `seconds`, round robin over `units` (each with its own
/// client), through `post`; returns how many were accepted and refused.
async fn drive<F, Fut>(units: &[(i64, [f64; 2])], rate: u64, seconds: u64, sent: Sent, post: F) -> (u64, u64)
where
    F: Fn(usize, i64, f64, f64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let ok = Arc::new(AtomicU64::new(0));
    let bad = Arc::new(AtomicU64::new(0));
    let total = rate * seconds;
    // Ten batches a second would be bursts; a tick every 5 ms spreads the load.
    let per_tick = (rate as f64 / 200.0).max(1.0);
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    let (mut n, mut owed) = (0u64, 0.0);
    while n < total {
        tick.tick().await;
        owed += per_tick;
        while owed >= 1.0 && n < total {
            owed -= 1.0;
            let k = (n as usize) % units.len();
            let (id, home) = units[k];
            // A unique longitude per report: a few centimetres apart.
            let lon = home[0] + (n as f64) * 1e-9;
            let lat = home[1];
            sent.write().unwrap().insert(key(id, lon), Instant::now());
            let (post, ok, bad) = (post.clone(), ok.clone(), bad.clone());
            tasks.spawn(async move {
                if post(k, id, lon, lat).await {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    bad.fetch_add(1, Ordering::Relaxed);
                }
            });
            n += 1;
        }
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    (ok.load(Ordering::Relaxed), bad.load(Ordering::Relaxed))
}

async fn through_ningan(
    base: &str,
    logins: &HashMap<String, String>,
    rate: u64,
    clients: u64,
    units: u64,
    secs: u64,
) -> Run {
    let admin = session(base, "admin", &logins["admin"]).await;
    let commander = session(base, "commander", &logins["commander"]).await;
    let all: Value =
        commander.get(format!("{base}/api/command/units?status=available")).send().await.unwrap().json().await.unwrap();
    let mut chosen = Vec::new();
    for u in all.as_array().expect("units").iter().filter(|u| u["lon"].is_f64()).take(units as usize) {
        let (id, station) = (u["id"].as_i64().unwrap(), u["station_id"].as_i64().unwrap());
        let t: Value = admin
            .post(format!("{base}/api/tokens"))
            .json(&json!({"name": format!("bench device {id}"), "scopes": ["command.position"], "unit_id": station}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = commander
            .put(format!("{base}/api/command/units/{id}/device"))
            .json(&json!({"token_id": t["token"]["id"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "binding a device");
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("authorization", format!("Bearer {}", t["secret"].as_str().unwrap()).parse().unwrap());
        let device = reqwest::Client::builder().default_headers(h).build().unwrap();
        chosen.push(((id, [u["lon"].as_f64().unwrap(), u["lat"].as_f64().unwrap()]), device));
    }
    assert!(!chosen.is_empty(), "the demo city has placed units");
    let sent: Sent = Arc::default();
    let until = Instant::now() + Duration::from_secs(secs + 5);
    let mut followers = Vec::new();
    for _ in 0..clients {
        let resp = commander.get(format!("{base}/api/command/board/events")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        followers.push(tokio::spawn(follow(resp, sent.clone(), until)));
    }
    let placed: Vec<(i64, [f64; 2])> = chosen.iter().map(|c| c.0).collect();
    let devices: Arc<Vec<reqwest::Client>> = Arc::new(chosen.into_iter().map(|c| c.1).collect());
    let base = base.to_string();
    let (posted, refused) = drive(&placed, rate, secs, sent.clone(), move |k, id, lon, lat| {
        let (devices, url) = (devices.clone(), format!("{base}/api/command/units/{id}/positions"));
        async move {
            matches!(devices[k].post(url).json(&json!({"lon": lon, "lat": lat})).send().await, Ok(r) if r.status() == 200)
        }
    })
    .await;
    let mut seen = Vec::new();
    for f in followers {
        seen.push(f.await.unwrap());
    }
    Run { posted, refused, seen }
}

/// The HTTP stack alone: a handler that broadcasts the body, and streams that send it on.
async fn ceiling(rate: u64, clients: u64, units: u64, secs: u64) -> Run {
    use axum::response::sse::{Event, Sse};
    let (tx, _) = tokio::sync::broadcast::channel::<String>(200_000);
    let (post_tx, sub_tx) = (tx.clone(), tx.clone());
    let app = axum::Router::new()
        .route(
            "/p",
            axum::routing::post(move |body: String| {
                let tx = post_tx.clone();
                async move {
                    let _ = tx.send(body);
                    "{}"
                }
            }),
        )
        .route(
            "/e",
            axum::routing::get(move || {
                let rx = sub_tx.subscribe();
                async move {
                    let events = futures_util::stream::unfold(rx, |mut rx| async move {
                        let body = rx.recv().await.ok()?;
                        Some((Ok::<_, std::convert::Infallible>(Event::default().event("unit").data(body)), rx))
                    });
                    Sse::new(events)
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let sent: Sent = Arc::default();
    let until = Instant::now() + Duration::from_secs(secs + 5);
    let http = reqwest::Client::new();
    let mut followers = Vec::new();
    for _ in 0..clients {
        let resp = http.get(format!("{base}/e")).send().await.unwrap();
        followers.push(tokio::spawn(follow(resp, sent.clone(), until)));
    }
    let placed: Vec<(i64, [f64; 2])> = (0..units as i64).map(|i| (i, [121.55, 29.87])).collect();
    let url = format!("{base}/p");
    let (posted, refused) = drive(&placed, rate, secs, sent.clone(), move |_, id, lon, lat| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let body = json!({"id": id, "lon": lon, "lat": lat}).to_string();
            matches!(http.post(url).body(body).send().await, Ok(r) if r.status() == 200)
        }
    })
    .await;
    let mut seen = Vec::new();
    for f in followers {
        seen.push(f.await.unwrap());
    }
    Run { posted, refused, seen }
}

#[tokio::main]
async fn main() {
    let base = arg("--base").expect("--base");
    let logins: HashMap<String, String> = std::fs::read_to_string(arg("--logins").expect("--logins"))
        .expect("the demo's logins")
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.to_string()))
        })
        .collect();
    let (rate, clients, units, secs) =
        (num("--rate", 1000), num("--clients", 50), num("--units", 100), num("--seconds", 20));
    println!("{rate} position reports/s from {units} units for {secs} s, {clients} board clients");
    let ours = through_ningan(&base, &logins, rate, clients, units, secs).await.report("ningan (API, storage, scope)");
    let bare = ceiling(rate, clients, units, secs).await.report("HTTP stack alone (axum SSE)");
    println!("p99 lag: ningan {ours:.1} ms (goal < 500 ms), {:.1}x the bare stack's {bare:.1} ms", ours / bare);
}
