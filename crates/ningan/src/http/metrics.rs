//! Request metrics in Prometheus text format: counts by route, method and status, and a
//! latency histogram by route. Routes are the matched templates (`/api/residents/{id}`), so
//! no identifier ends up in a label.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;

const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        let mut lat = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = lat.entry(route.to_string()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP ningan_http_requests_total HTTP requests by route, method and status.\n# TYPE ningan_http_requests_total counter\n");
        for ((route, method, status), n) in self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                out,
                "ningan_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP ningan_http_request_duration_seconds Time to answer, by route.\n# TYPE ningan_http_request_duration_seconds histogram\n");
        for (route, h) in self.latency.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "ningan_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "ningan_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "ningan_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "ningan_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out
    }
}

pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    state.metrics.observe(&route, &method, resp.status().as_u16(), start.elapsed().as_secs_f64());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe("/api/residents", "GET", 200, 0.003);
        m.observe("/api/residents", "GET", 200, 0.2);
        let text = m.render();
        assert!(
            text.contains("ningan_http_requests_total{route=\"/api/residents\",method=\"GET\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("_count{route=\"/api/residents\"} 2"));
    }
}
