//! What the server benchmarks share: their command-line arguments, percentiles, and an
//! officer's signed-in HTTP client carrying the CSRF header.

#![allow(dead_code)]

use std::sync::Arc;

use serde_json::{Value, json};

/// The value after `name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// The number after `name`, or `default`.
pub fn num(name: &str, default: u64) -> u64 {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The `p` quantile of sorted values (NaN for none).
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A client signed in as `user`, sending the session's CSRF token with every request.
pub async fn session(base: &str, user: &str, password: &str) -> reqwest::Client {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
    let login: Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("x-csrf-token", login["csrf_token"].as_str().expect("signed in").parse().unwrap());
    reqwest::Client::builder().cookie_provider(jar).default_headers(h).pool_max_idle_per_host(64).build().unwrap()
}
