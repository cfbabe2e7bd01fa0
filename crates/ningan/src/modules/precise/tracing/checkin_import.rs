//! `ningan import checkins`: check-ins from a Parquet or CSV file into the tracing engine in
//! one durable bulk load, with progress and every refused row with its number and reason. A
//! command-line body, so its errors are `anyhow`'s.

use anyhow::{Context, Result};
use ningan_store::{Actor, Db};

use crate::config::Config;

/// Imports check-ins into the tracing engine in one durable bulk load, reporting progress
/// and every refused row with its number and reason.
pub async fn import_checkins(config: &Config, db: &Db, file: &std::path::Path, actor: &Actor) -> Result<()> {
    use crate::modules::precise::tracing::tracer::{Tracer, now_s};
    use ningan_trace::{Observation, Rejection};
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    if ext != "parquet" && ext != "csv" {
        anyhow::bail!("{}: use a .parquet or .csv file", file.display());
    }
    let tracer =
        Tracer::open(&config.data_dir.join("trace"), config.trace.retention_days, config.trace.cell_resolution)
            .context("opening the tracing engine (is the server running on this data directory?)")?;
    tracer.sync_venues(&db.venue_directory().await?)?;
    let mut residents: Vec<u32> =
        db.resident_homes(i64::MAX).await?.into_iter().filter_map(|(id, _)| u32::try_from(id).ok()).collect();
    residents.sort_unstable();
    let now = now_s();
    let started = std::time::Instant::now();
    let (report, unknown, rows) = tracer.exclusive(|engine| {
        let mut import = engine.begin_import(now);
        let (mut unknown, mut rows, mut next_note) = (Vec::new(), 0usize, 1_000_000usize);
        let mut add = |batch: &[Observation], numbers: &[usize]| {
            let known: Vec<Observation> = batch
                .iter()
                .zip(numbers)
                .filter_map(|(o, n)| {
                    if residents.binary_search(&o.person).is_ok() {
                        Some(*o)
                    } else {
                        unknown.push(Rejection { index: n - 1, reason: "unknown resident" });
                        None
                    }
                })
                .collect();
            import.add(&known);
            rows += batch.len();
            if rows >= next_note {
                eprintln!("已读取 {rows} 行 / {rows} rows read ({:.0} s)", started.elapsed().as_secs_f64());
                next_note += 1_000_000;
            }
        };
        let mut bad = Vec::new();
        if ext == "parquet" {
            ningan_trace::io::read_parquet_groups(file, None, 0, &mut add, |b| bad.push(b))?;
        } else {
            let text = std::fs::File::open(file).map_err(ningan_trace::io::IoError::Io)?;
            let (obs, lines) = ningan_trace::io::read_presences_csv(std::io::BufReader::new(text))
                .map_err(ningan_trace::io::IoError::Io)?;
            bad = lines;
            let numbers: Vec<usize> = (1..=obs.len()).collect();
            add(&obs, &numbers);
        }
        let unreadable = bad.len();
        for b in bad {
            eprintln!("  第 {} 行 / line {}: {}", b.line, b.line, b.reason);
        }
        let report = import.commit()?;
        Ok((report, unknown, rows + unreadable))
    })?;
    // Refusals by the engine are numbered among the rows it was given; report reasons.
    let refused = report.rejected.len() + unknown.len();
    for r in unknown.iter().take(20) {
        eprintln!("  第 {} 行 / row {}: {}", r.index + 1, r.index + 1, r.reason);
    }
    let mut reasons: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for r in report.rejected.iter().chain(unknown.iter()) {
        *reasons.entry(r.reason).or_default() += 1;
    }
    let mut w = db.write().await?;
    let detail = format!("{}: {} accepted, {refused} refused", file.display(), report.accepted);
    w.audit(actor.audit("checkin.import", "checkin", 0, None, None, &detail)).await?;
    w.commit().await?;
    println!(
        "导入完成 / imported: {} 行 / rows, {} 条接收 / accepted, {refused} 条拒绝 / refused, {:.1} s",
        rows,
        report.accepted,
        started.elapsed().as_secs_f64()
    );
    for (reason, n) in reasons {
        println!("  {reason}: {n}");
    }
    Ok(())
}
