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
    use ningan_trace::Observation;
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
    // Rows are named as the file numbers them: CSV by line (the header is line 1), Parquet
    // by row.
    let unit = if ext == "csv" { ("行", "line") } else { ("行", "row") };
    let (report, refused, rows) = tracer.exclusive(|engine| {
        let mut import = engine.begin_import(now);
        // Every refusal by its row number, and the row number of each observation the
        // engine is given (its refusals count positions among those).
        let (mut refused, mut given): (Vec<(usize, String)>, Vec<usize>) = (Vec::new(), Vec::new());
        let (mut rows, mut next_note) = (0usize, 1_000_000usize);
        let mut add = |batch: &[Observation], numbers: &[usize]| {
            let mut known = Vec::with_capacity(batch.len());
            for (o, n) in batch.iter().zip(numbers) {
                if residents.binary_search(&o.person).is_ok() {
                    known.push(*o);
                    given.push(*n);
                } else {
                    refused.push((*n, "unknown resident".to_string()));
                }
            }
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
            let (numbered, lines) = ningan_trace::io::read_presences_csv_numbered(std::io::BufReader::new(text))
                .map_err(ningan_trace::io::IoError::Io)?;
            bad = lines;
            let (numbers, obs): (Vec<usize>, Vec<Observation>) = numbered.into_iter().unzip();
            add(&obs, &numbers);
        }
        let unreadable = bad.len();
        refused.extend(bad.into_iter().map(|b| (b.line, b.reason)));
        let report = import.commit()?;
        for r in &report.rejected {
            refused.push((given.get(r.index).copied().unwrap_or(0), r.reason.to_string()));
        }
        refused.sort();
        Ok((report, refused, rows + unreadable))
    })?;
    for (n, reason) in &refused {
        eprintln!("  第 {n} {} / {} {n}: {reason}", unit.0, unit.1);
    }
    let mut reasons: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (_, reason) in &refused {
        *reasons.entry(reason.as_str()).or_default() += 1;
    }
    let refused = refused.len();
    let mut w = db.write().await?;
    let detail = format!(
        "{}: {} accepted, {} already held, {refused} refused",
        file.display(),
        report.accepted,
        report.duplicates
    );
    w.audit(actor.audit("checkin.import", "checkin", 0, None, None, &detail)).await?;
    w.commit().await?;
    println!(
        "导入完成 / imported: {} 行 / rows, {} 条接收 / accepted, {} 条已有 / already held, {refused} 条拒绝 / refused, {:.1} s",
        rows,
        report.accepted,
        report.duplicates,
        started.elapsed().as_secs_f64()
    );
    for (reason, n) in reasons {
        println!("  {reason}: {n}");
    }
    Ok(())
}
