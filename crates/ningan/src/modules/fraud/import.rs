//! `ningan import signals`: a partner's NDJSON file of risk signals through the same scoring
//! and routing as the HTTP endpoint, with progress on stderr. A command-line body, so its
//! errors are `anyhow`'s.

use anyhow::{Context, Result};
use ningan_store::{Actor, Db};

use crate::config::Config;

/// Streams an NDJSON file of signals through the same scoring and routing as the HTTP
/// endpoint, a few thousand lines per transaction, with progress on stderr.
pub async fn import_signals(config: &Config, db: &Db, file: &std::path::Path, actor: &Actor) -> Result<()> {
    use std::io::BufRead;

    use crate::modules::fraud::FraudService;
    use crate::modules::fraud::signals::MAX_BATCH;
    use crate::modules::fraud::wire::SignalLine;
    let fraud =
        FraudService::open(&config.data_dir, config.fraud.rules_file.as_deref())?.partitioned(config.fraud.partitions);
    // Scored by several processes: the file goes to their partitions like any other batch.
    crate::modules::fraud::partitions::connect(config, &fraud).await.context("connecting the signal stream")?;
    fraud.ensure_loaded(db).await?;
    let reader =
        std::io::BufReader::new(std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?);
    let started = std::time::Instant::now();
    let now = ningan_core::time::now_ms() / 1000;
    let (mut read, mut accepted, mut duplicates, mut warnings, mut refused) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut queued = 0usize;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut seen = std::collections::HashSet::new();
    let mut lines = reader.lines().enumerate();
    loop {
        let next = lines.next();
        let at_end = next.is_none();
        if let Some((i, line)) = next {
            let line = line.with_context(|| format!("reading line {}", i + 1))?;
            if line.trim().is_empty() {
                continue;
            }
            read += 1;
            let checked = serde_json::from_str::<SignalLine>(&line)
                .map_err(|e| e.to_string())
                .and_then(|l| l.check(now).map_err(|r| format!("{} / {}", r.zh, r.en)));
            match checked {
                Ok(s) if !seen.insert(s.id.clone()) => duplicates += 1,
                Ok(s) => batch.push(s),
                Err(why) => {
                    refused += 1;
                    if refused <= 50 {
                        eprintln!("  第 {} 行 / line {}: {why}", i + 1, i + 1);
                    }
                }
            }
        }
        if batch.len() >= MAX_BATCH || (at_end && !batch.is_empty()) {
            let summary = fraud.ingest(db, actor, "import", std::mem::take(&mut batch)).await?;
            accepted += summary.accepted;
            queued += summary.queued;
            duplicates += summary.duplicates;
            warnings += summary.warnings.len();
            eprintln!(
                "已处理 {read} 行 / {read} lines, {warnings} 条预警 / warnings ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
        if at_end {
            break;
        }
    }
    if refused > 50 {
        eprintln!("  …另有 {} 行被拒绝 / {} more refused lines", refused - 50, refused - 50);
    }
    if queued > 0 {
        println!("已交评分进程 / handed to the scoring processes: {queued} 条 / signals");
    }
    println!(
        "导入完成 / imported: {read} 行 / lines, {accepted} 条接收 / accepted, {duplicates} 条重复 / repeated, \
         {refused} 条拒绝 / refused, {warnings} 条预警 / warnings, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
