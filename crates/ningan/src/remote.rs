//! The command line as a client of a running server: bulk imports sent over its API, so
//! operations need not stop the service (the tracing engine takes one process at a time, and
//! the fraud engine's scoring windows live in the serving process).

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::modules::precise::tracing::checkin_import::{BulkReport, ImportReport, print_summary};

fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder().build().context("HTTP client")
}

fn url(server: &str, path: &str) -> String {
    format!("{}{path}", server.trim_end_matches('/'))
}

fn token(token: Option<&str>) -> Result<&str> {
    token
        .filter(|t| !t.is_empty())
        .context("--server needs --token (or NINGAN_TOKEN): an API token allowed to send them")
}

/// What the server said when it refused, as one line.
async fn refusal(resp: reqwest::Response) -> anyhow::Error {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or_default();
    let detail = body["detail"].as_str().or(body["title"].as_str()).unwrap_or("").to_string();
    let fields: Vec<String> = body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| format!("{}: {}", x["field"].as_str().unwrap_or(""), x["message"].as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    anyhow::anyhow!("the server refused the import ({status}): {detail} {}", fields.join("; "))
}

/// Streams a check-in file to `POST /api/checkins/import` and prints what the server did.
pub async fn import_checkins(server: &str, token_: Option<&str>, file: &Path) -> Result<()> {
    let token = token(token_)?;
    let started = std::time::Instant::now();
    let f = tokio::fs::File::open(file).await.with_context(|| format!("opening {}", file.display()))?;
    let size = f.metadata().await.map(|m| m.len()).unwrap_or(0);
    let chunks = futures_util::stream::unfold(f, |mut f| async move {
        use tokio::io::AsyncReadExt as _;
        let mut buf = vec![0u8; 1 << 20];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let format = crate::modules::precise::tracing::checkin_import::FileFormat::of_path(file);
    let query = match format {
        Some(crate::modules::precise::tracing::checkin_import::FileFormat::Parquet) => "?format=parquet",
        Some(crate::modules::precise::tracing::checkin_import::FileFormat::Csv) => "?format=csv",
        None => bail!("{}: use a .parquet or .csv file", file.display()),
    };
    eprintln!("上传 {size} 字节 / sending {size} bytes to {server}");
    let resp = client()?
        .post(url(server, &format!("/api/checkins/import{query}")))
        .bearer_auth(token)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .with_context(|| format!("sending to {server}"))?;
    if !resp.status().is_success() {
        return Err(refusal(resp).await);
    }
    let r: ImportReport = resp.json().await.context("reading the server's report")?;
    for row in &r.refused {
        eprintln!("  第 {} 行 / line {}: {}", row.line, row.line, row.reason);
    }
    if r.refused_total > r.refused.len() {
        eprintln!(
            "  … {} more refused rows (the server lists the first {})",
            r.refused_total - r.refused.len(),
            r.refused.len()
        );
    }
    let report = BulkReport {
        rows: r.rows,
        accepted: r.accepted,
        duplicates: r.duplicates,
        refused: r.refused.into_iter().map(|x| (x.line, x.reason)).collect(),
    };
    print_summary(&report, started.elapsed().as_secs_f64());
    Ok(())
}

/// Sends an NDJSON file of risk signals to `POST /api/fraud/signals/ndjson` in batches the
/// endpoint takes, numbering refused lines as in the whole file.
pub async fn import_signals(server: &str, token_: Option<&str>, file: &Path) -> Result<()> {
    let token = token(token_)?;
    let text = tokio::fs::read_to_string(file).await.with_context(|| format!("reading {}", file.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let http = client()?;
    let (mut accepted, mut duplicates, mut refused, mut warnings) = (0u64, 0u64, 0u64, 0usize);
    let per = crate::modules::fraud::signals::MAX_BATCH;
    for (k, batch) in lines.chunks(per).enumerate() {
        let body = batch.join("\n");
        if body.trim().is_empty() {
            continue;
        }
        let resp = http
            .post(url(server, "/api/fraud/signals/ndjson"))
            .bearer_auth(token)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .with_context(|| format!("sending to {server}"))?;
        if !resp.status().is_success() {
            return Err(refusal(resp).await);
        }
        let r: Value = resp.json().await.context("reading the server's report")?;
        accepted += r["accepted"].as_u64().unwrap_or(0);
        duplicates += r["duplicates"].as_u64().unwrap_or(0);
        refused += r["rejected_total"].as_u64().unwrap_or(0);
        warnings += r["warnings"].as_array().map_or(0, Vec::len);
        for x in r["rejected"].as_array().into_iter().flatten() {
            let line = x["line"].as_u64().unwrap_or(0) as usize + k * per;
            eprintln!("  第 {line} 行 / line {line}: {}", x["reason"].as_str().unwrap_or(""));
        }
        let sent = k * per + batch.len();
        eprintln!("已发送 {sent} 行 / {sent} lines sent");
    }
    println!(
        "导入完成 / imported: {accepted} 条接收 / accepted, {duplicates} 条已有 / already logged, {refused} 条拒绝 / refused, {warnings} 条预警 / warnings"
    );
    Ok(())
}
