//! Bulk check-in loads from a Parquet or CSV file: `ningan import checkins` on a stopped
//! server's data, or `POST /api/checkins/import` (and the same command with `--server`)
//! through a running one. Each batch is checked while others go on using the engine; the
//! load is made durable by one checkpoint at the end. Every refused row is named by its
//! number and reason; repeats of check-ins already held count apart.

use std::path::Path;

use crate::http::json::Query;
use anyhow::{Context, Result};
use axum::extract::State;
use futures_util::StreamExt as _;
use ningan_store::{Actor, Db};
use ningan_trace::Observation;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::tracer::{TraceError, Tracer};
use crate::app::AppState;
use crate::config::Config;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;

/// The file formats a check-in import reads.
const IMPORT_FORMATS: &[&str] = &["csv", "parquet"];

/// The largest file the server takes (a day of a city's scans is far less).
pub const MAX_UPLOAD_BYTES: u64 = 8 << 30;
/// Refused rows an answer lists (all are counted).
const LISTED: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Parquet,
}

impl FileFormat {
    pub fn of_path(path: &Path) -> Option<FileFormat> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Some(FileFormat::Csv),
            Some("parquet") => Some(FileFormat::Parquet),
            _ => None,
        }
    }

    /// Parquet files begin with `PAR1`; anything else is read as CSV.
    pub fn sniff(head: &[u8]) -> FileFormat {
        if head.starts_with(b"PAR1") { FileFormat::Parquet } else { FileFormat::Csv }
    }

    /// How the file numbers its rows: CSV by line (the header is line 1), Parquet by row.
    fn unit(self) -> (&'static str, &'static str) {
        match self {
            FileFormat::Csv => ("行", "line"),
            FileFormat::Parquet => ("行", "row"),
        }
    }
}

/// What a bulk load did.
#[derive(Debug, Default)]
pub struct BulkReport {
    pub rows: usize,
    pub accepted: usize,
    /// Check-ins already held (or repeated within the file).
    pub duplicates: usize,
    /// Every refused row: its number and reason, in file order.
    pub refused: Vec<(usize, String)>,
}

/// Reads and checks `file`: residents not in `residents` (sorted) are refused, the rest
/// checked by the engine's rules batch by batch (a read: the engine goes on serving). Returns
/// the report and the presences that passed, for the caller to commit in one bulk load or to
/// publish to the stream every process folds in.
pub fn load(
    tracer: &Tracer,
    residents: &[u32],
    file: &Path,
    format: FileFormat,
    mut progress: impl FnMut(usize),
) -> Result<(BulkReport, Vec<ningan_trace::Presence>), TraceError> {
    let mut report = BulkReport::default();
    let mut held = Vec::new();
    let mut failure = None;
    let mut add = |batch: &[Observation], numbers: &[usize]| {
        if failure.is_some() {
            return;
        }
        let (mut known, mut given) = (Vec::with_capacity(batch.len()), Vec::with_capacity(batch.len()));
        for (o, n) in batch.iter().zip(numbers) {
            if residents.binary_search(&o.person).is_ok() {
                known.push(*o);
                given.push(*n);
            } else {
                report.refused.push((*n, "unknown resident".to_string()));
            }
        }
        match tracer.check(&known) {
            Ok((kept, rejected)) => {
                held.extend(kept);
                report.refused.extend(rejected.iter().map(|r| (given[r.index], r.reason.to_string())));
            }
            Err(e) => failure = Some(e),
        }
        report.rows += batch.len();
        progress(report.rows);
    };
    let mut bad = Vec::new();
    match format {
        FileFormat::Parquet => {
            ningan_trace::io::read_parquet_groups(file, None, 0, &mut add, |b| bad.push(b))?;
        }
        FileFormat::Csv => {
            let text = std::fs::File::open(file).map_err(ningan_trace::io::IoError::Io)?;
            let (numbered, lines) = ningan_trace::io::read_presences_csv_numbered(std::io::BufReader::new(text))
                .map_err(ningan_trace::io::IoError::Io)?;
            bad = lines;
            for chunk in numbered.chunks(64 * 1024) {
                let (numbers, obs): (Vec<usize>, Vec<Observation>) = chunk.iter().copied().unzip();
                add(&obs, &numbers);
            }
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    report.rows += bad.len();
    report.refused.extend(bad.into_iter().map(|b| (b.line, b.reason)));
    report.refused.sort();
    Ok((report, held))
}

/// Imports check-ins into the tracing engine of a stopped server's data directory in one
/// durable bulk load, reporting progress and every refused row with its number and reason.
pub async fn import_checkins(config: &Config, db: &Db, file: &Path, actor: &Actor) -> Result<()> {
    let Some(format) = FileFormat::of_path(file) else {
        anyhow::bail!("{}: use a .parquet or .csv file", file.display());
    };
    let tracer =
        Tracer::open(&config.data_dir.join("trace"), config.trace.retention_days, config.trace.cell_resolution)
            .context(
                "opening the tracing engine (is the server running on this data directory? \
                 then import through it: --server URL --token TOKEN)",
            )?;
    tracer.sync_venues(&db.venue_directory().await?)?;
    let residents = resident_ids(db, &ningan_store::Scope::everything()).await?;
    let started = std::time::Instant::now();
    let mut next_note = 1_000_000usize;
    let (mut report, held) = load(&tracer, &residents, file, format, |rows| {
        if rows >= next_note {
            eprintln!("已读取 {rows} 行 / {rows} rows read ({:.0} s)", started.elapsed().as_secs_f64());
            next_note += 1_000_000;
        }
    })?;
    (report.accepted, report.duplicates) = tracer.bulk_commit(held)?;
    let unit = format.unit();
    for (n, reason) in &report.refused {
        eprintln!("  第 {n} {} / {} {n}: {reason}", unit.0, unit.1);
    }
    let mut w = db.write().await?;
    w.audit(actor.audit("checkin.import", "checkin", 0, None, None, &detail(&file.display().to_string(), &report)))
        .await?;
    w.commit().await?;
    print_summary(&report, started.elapsed().as_secs_f64());
    Ok(())
}

fn detail(name: &str, r: &BulkReport) -> String {
    format!("{name}: {} accepted, {} already held, {} refused", r.accepted, r.duplicates, r.refused.len())
}

/// The summary both ways of importing print.
pub fn print_summary(r: &BulkReport, seconds: f64) {
    println!(
        "导入完成 / imported: {} 行 / rows, {} 条接收 / accepted, {} 条已有 / already held, {} 条拒绝 / refused, {seconds:.1} s",
        r.rows,
        r.accepted,
        r.duplicates,
        r.refused.len()
    );
    let mut reasons: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (_, reason) in &r.refused {
        *reasons.entry(reason.as_str()).or_default() += 1;
    }
    for (reason, n) in reasons {
        println!("  {reason}: {n}");
    }
}

/// Record ids of the residents in `scope`, as the engine's ids, sorted.
async fn resident_ids(db: &Db, scope: &ningan_store::Scope) -> Result<Vec<u32>, ningan_store::StoreError> {
    let mut ids: Vec<u32> =
        db.resident_ids_in(scope).await?.into_iter().filter_map(|id| u32::try_from(id).ok()).collect();
    ids.sort_unstable();
    Ok(ids)
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ImportQuery {
    /// `csv` or `parquet`; read from the file's first bytes when absent.
    #[schemars(extend("enum" = IMPORT_FORMATS))]
    pub format: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ImportReport {
    pub rows: usize,
    /// New check-ins kept.
    pub accepted: usize,
    /// Check-ins already held (or repeated within the file): kept once.
    pub duplicates: usize,
    /// Every refusal, listed or not.
    pub refused_total: usize,
    /// The first thousand refused rows, in file order.
    pub refused: Vec<RefusedRow>,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct RefusedRow {
    /// The row's number in the file: CSV lines count the header as line 1.
    pub line: usize,
    pub reason: String,
}

/// `POST /api/checkins/import`: a whole file through the running server. Residents outside
/// the caller's units are refused like unknown ones, as for batches.
pub(super) async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ImportQuery>,
    body: axum::body::Body,
) -> ApiResult<axum::Json<ImportReport>> {
    let format = match q.format.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some("csv") => Some(FileFormat::Csv),
        Some("parquet") => Some(FileFormat::Parquet),
        Some(_) => return Err(refuse("format", Rule::one_of("csv 或 parquet", IMPORT_FORMATS))),
    };
    let dir = state.config.data_dir.join("imports");
    tokio::fs::create_dir_all(&dir).await.map_err(ApiError::internal)?;
    let tmp = dir.join(format!("checkins-{}-{}.part", ningan_core::time::now_ms(), rand::random::<u64>()));
    let received = spool(body, &tmp).await;
    let outcome = match received {
        Ok(head) => {
            let format = format.unwrap_or_else(|| FileFormat::sniff(&head));
            run(&state, &ctx, &tmp, format).await
        }
        Err(e) => Err(e),
    };
    let _ = tokio::fs::remove_file(&tmp).await;
    outcome.map(axum::Json)
}

/// Writes the body to `path`; the file's first bytes, for sniffing.
async fn spool(body: axum::body::Body, path: &Path) -> ApiResult<Vec<u8>> {
    let mut out = tokio::fs::File::create(path).await.map_err(ApiError::internal)?;
    let mut stream = body.into_data_stream();
    let (mut bytes, mut head) = (0u64, Vec::new());
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| refuse("file", Rule::other(format!("上传中断：{e}"), format!("the upload broke off: {e}"))))?;
        bytes += chunk.len() as u64;
        if bytes > MAX_UPLOAD_BYTES {
            return Err(ApiError::plain(ErrorCode::PayloadTooLarge));
        }
        if head.len() < 4 {
            head.extend_from_slice(&chunk[..chunk.len().min(4 - head.len())]);
        }
        out.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    if bytes == 0 {
        return Err(refuse("file", Rule::other("文件为空", "the file is empty")));
    }
    out.flush().await.map_err(ApiError::internal)?;
    Ok(head)
}

async fn run(state: &AppState, ctx: &Ctx, file: &Path, format: FileFormat) -> ApiResult<ImportReport> {
    let residents = resident_ids(&state.db, &ctx.scope()).await?;
    let tracer = state.precise.tracer.clone();
    let path = file.to_path_buf();
    let (mut report, held) = tokio::task::spawn_blocking(move || load(&tracer, &residents, &path, format, |_| {}))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            TraceError::Import(e) => {
                refuse("file", Rule::other(format!("文件无法读取：{e}"), format!("the file cannot be read: {e}")))
            }
            e => ApiError::internal(e),
        })?;
    if let Some(stream) = state.precise.checkin_stream.get() {
        // Every process folds the stream in: the new presences go there, in batches.
        let observations: Vec<Observation> = held
            .into_iter()
            .map(|p| Observation { person: p.person, space: p.space, start: p.start, end: Some(p.end) })
            .collect();
        let (kept, checked) = state.precise.tracer.validate(&observations)?;
        for batch in kept.chunks(super::checkins::MAX_BATCH) {
            stream.publish(batch).await.map_err(ApiError::internal)?;
        }
        (report.accepted, report.duplicates) = (checked.accepted, checked.duplicates);
    } else {
        let tracer = state.precise.tracer.clone();
        (report.accepted, report.duplicates) =
            tokio::task::spawn_blocking(move || tracer.bulk_commit(held)).await.map_err(ApiError::internal)??;
    }
    let mut w = state.db.write().await?;
    w.audit(ctx.actor().audit("checkin.import", "checkin", 0, None, None, &detail("upload", &report))).await?;
    w.commit().await?;
    let refused_total = report.refused.len();
    let refused = report.refused.into_iter().take(LISTED).map(|(line, reason)| RefusedRow { line, reason }).collect();
    Ok(ImportReport {
        rows: report.rows,
        accepted: report.accepted,
        duplicates: report.duplicates,
        refused_total,
        refused,
    })
}
