//! Imports of call-detail, bank-transfer and co-presence files into a case: the upload is
//! streamed to disk and its header checked before anything is stored; a background worker
//! then reads it in batches, each batch committed with the count of rows it covers, so the
//! progress shows while it runs and a restart resumes after the last committed batch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use futures_util::{Stream, StreamExt as _};
use ningan_core::time::now_ms;
use ningan_store::{Actor, Scope};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt as _;

use super::InvestigationState;
use super::rows::{FileKind, Format, Parsed, Rows, parse_row};
use super::store::records::{self, Import, NewImport, NewRelation};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::principal::Principal;

/// The largest file taken: some hundred million call records.
pub const MAX_BYTES: u64 = 8 * 1024 * 1024 * 1024;
/// Rows per committed batch.
const BATCH: usize = 5_000;

fn refuse(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
    crate::http::error::ApiError::field(field, zh.into(), en.into())
}

/// Where an import's file is kept: `<data>/investigation/imports/<id>.<format>`.
pub fn file_path(dir: &Path, id: i64, format: &str) -> PathBuf {
    dir.join(format!("{id}.{format}"))
}

/// Receives a file for case `case_id`: streamed to disk, its header checked, then queued.
pub async fn receive<E: std::fmt::Display>(
    state: &AppState,
    inv: &InvestigationState,
    p: &Principal,
    case_id: i64,
    kind: &str,
    file_name: &str,
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
) -> ApiResult<Import> {
    let Some(kind) = FileKind::parse(kind) else {
        return Err(refuse("kind", "请选择话单、资金流水或同行轨迹", "choose calls, transfers or copresence"));
    };
    let name: String = file_name.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\')).take(120).collect();
    let name = if name.trim().is_empty() { format!("{}.csv", kind.as_str()) } else { name };
    tokio::fs::create_dir_all(&inv.dir).await.map_err(ApiError::internal)?;
    let tmp = inv.dir.join(format!("upload-{}-{}.part", now_ms(), rand::random::<u64>()));
    let mut out = tokio::fs::File::create(&tmp).await.map_err(ApiError::internal)?;
    let (mut hash, mut bytes, mut head) = (Sha256::new(), 0u64, Vec::new());
    let received: ApiResult<()> = async {
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| refuse("file", format!("上传中断：{e}"), format!("the upload broke off: {e}")))?;
            bytes += chunk.len() as u64;
            if bytes > MAX_BYTES {
                return Err(ApiError::plain(ErrorCode::PayloadTooLarge));
            }
            if head.len() < 4 {
                head.extend_from_slice(&chunk[..chunk.len().min(4 - head.len())]);
            }
            hash.update(&chunk);
            out.write_all(&chunk).await.map_err(ApiError::internal)?;
        }
        out.sync_all().await.map_err(ApiError::internal)?;
        Ok(())
    }
    .await;
    let cleanup = |e: ApiError| {
        let tmp = tmp.clone();
        async move {
            let _ = tokio::fs::remove_file(&tmp).await;
            Err(e)
        }
    };
    if let Err(e) = received {
        return cleanup(e).await;
    }
    if bytes == 0 {
        return cleanup(refuse("file", "文件为空", "the file is empty")).await;
    }
    let format = Format::sniff(&head);
    // A file whose header names the wrong columns is refused now, with nothing stored.
    let check = {
        let tmp = tmp.clone();
        tokio::task::spawn_blocking(move || Rows::open(&tmp, format, kind).map(|_| ())).await
    };
    match check {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let text = e.to_string();
            let (zh, en) =
                text.split_once(" / ").map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or((text.clone(), text));
            return cleanup(refuse("file", zh, en)).await;
        }
        Err(e) => return cleanup(ApiError::internal(e)).await,
    }
    let sha = hex::encode(hash.finalize());
    let new = NewImport {
        case_id,
        kind: kind.as_str(),
        file_name: &name,
        format: format.as_str(),
        sha256: &sha,
        bytes: bytes as i64,
    };
    let mut w = state.db.write().await?;
    let id = records::import_insert(&mut w, &p.actor(), &new, now_ms()).await?;
    let kept = file_path(&inv.dir, id, format.as_str());
    if let Err(e) = tokio::fs::rename(&tmp, &kept).await {
        return cleanup(ApiError::internal(e)).await;
    }
    if let Err(e) = w.commit().await {
        let _ = tokio::fs::remove_file(&kept).await;
        return Err(e.into());
    }
    inv.wake.notify_one();
    Ok(records::import_get(&state.db, case_id, id).await?)
}

/// Runs queued imports, oldest first, until the server stops; woken by each upload.
pub async fn worker(state: AppState, inv: InvestigationState) {
    loop {
        match records::unfinished(&state.db).await {
            Ok(list) => {
                for imp in list {
                    if let Err(e) = run(&state, &inv, &imp).await {
                        tracing::warn!(import = imp.id, error = %e, "an import failed");
                        if let Ok(mut w) = state.db.write().await {
                            let actor = actor_of(&imp);
                            let text = e.to_string();
                            if records::import_finish(&mut w, &actor, &imp, Some(&text), now_ms()).await.is_ok() {
                                let _ = w.commit().await;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "imports could not be listed"),
        }
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), inv.wake.notified()).await;
    }
}

fn actor_of(imp: &Import) -> Actor {
    Actor { name: imp.created_by.clone(), unit_id: None }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    File(#[from] super::rows::FileError),
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
    #[error("读取线程中断 / the reader stopped: {0}")]
    Join(String),
}

/// Reads one import from where it stopped to its end.
async fn run(state: &AppState, inv: &InvestigationState, imp: &Import) -> Result<(), RunError> {
    let started = std::time::Instant::now();
    let kind = FileKind::parse(&imp.kind).unwrap_or(FileKind::Calls);
    let format = if imp.format == "parquet" { Format::Parquet } else { Format::Csv };
    let path = file_path(&inv.dir, imp.id, &imp.format);
    let skip = imp.rows_done.max(0) as u64;
    // The file is read on a thread of its own and handed over a batch at a time.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<(u64, Result<Parsed, String>)>>(2);
    let reader = tokio::task::spawn_blocking(move || -> Result<(), super::rows::FileError> {
        let mut rows = Rows::open(&path, format, kind)?;
        let now = now_ms();
        let (mut seen, mut batch) = (0u64, Vec::with_capacity(BATCH));
        while let Some(r) = rows.next_row() {
            seen += 1;
            if seen <= skip {
                continue;
            }
            batch.push(match r {
                Ok((line, fields)) => (line, parse_row(kind, &fields, now)),
                Err((line, why)) => (line, Err(why)),
            });
            if batch.len() == BATCH && tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                return Ok(());
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
        Ok(())
    });
    let mut ids: HashMap<(&'static str, String), (i64, bool)> = HashMap::new();
    for e in records::entities(&state.db, imp.case_id).await? {
        let kind = match e.kind.as_str() {
            "phone" => "phone",
            "account" => "account",
            "person" => "person",
            _ => continue,
        };
        ids.insert((kind, e.key), (e.id, e.holder.is_some()));
    }
    let actor = actor_of(imp);
    let mut done = skip as i64;
    while let Some(batch) = rx.recv().await {
        let mut w = state.db.write().await?;
        add_new_entities(&mut w, imp.case_id, &mut ids, &batch).await?;
        let (mut relations, mut refusals) = (Vec::with_capacity(batch.len()), Vec::new());
        for (line, row) in &batch {
            match row {
                Ok(p) => {
                    let a = resolve(state, &mut w, imp.case_id, &mut ids, &p.a).await?;
                    let b = resolve(state, &mut w, imp.case_id, &mut ids, &p.b).await?;
                    relations.push(NewRelation {
                        line: *line as i64,
                        src: a,
                        dst: b,
                        kind: p.relation,
                        at: p.at,
                        amount: p.amount,
                        duration: p.duration,
                    });
                }
                Err(why) => refusals.push((*line as i64, why.clone())),
            }
        }
        done += batch.len() as i64;
        records::batch(&mut w, imp.case_id, imp.id, &relations, &refusals, done).await?;
        w.commit().await?;
        tracing::info!(import = imp.id, rows = done, seconds = started.elapsed().as_secs_f64(), "import progress");
    }
    match reader.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.into()),
        Err(e) => return Err(RunError::Join(e.to_string())),
    }
    let mut w = state.db.write().await?;
    records::import_finish(&mut w, &actor, imp, None, now_ms()).await?;
    w.commit().await?;
    Ok(())
}

/// Adds the phones and accounts a batch names for the first time, without a holder, in a few
/// multi-row statements rather than one round trip each; [`resolve`] then finds them known
/// (and gives a holder to those whose row names one).
async fn add_new_entities(
    w: &mut ningan_store::Write,
    case_id: i64,
    ids: &mut HashMap<(&'static str, String), (i64, bool)>,
    batch: &[(u64, Result<Parsed, String>)],
) -> Result<(), ningan_store::StoreError> {
    for kind in ["phone", "account"] {
        let mut fresh: Vec<String> = batch
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .flat_map(|p| [&p.a, &p.b])
            .filter(|e| e.kind == kind && !ids.contains_key(&(kind, e.key.clone())))
            .map(|e| e.key.clone())
            .collect();
        fresh.sort_unstable();
        fresh.dedup();
        if fresh.is_empty() {
            continue;
        }
        let rows: Vec<(&str, String, Option<i64>, Option<i64>)> =
            fresh.iter().map(|k| (kind, k.clone(), None, None)).collect();
        records::entities_bulk(w, case_id, &rows).await?;
        for (key, id) in records::ids_for_keys(w, case_id, kind, &fresh).await? {
            ids.insert((kind, key), (id, false));
        }
    }
    Ok(())
}

/// The entity for one end of a row, added on first sight; its holder (a person, by ID
/// number, linked to the register when found there) likewise.
async fn resolve(
    state: &AppState,
    w: &mut ningan_store::Write,
    case_id: i64,
    ids: &mut HashMap<(&'static str, String), (i64, bool)>,
    end: &super::rows::End,
) -> Result<i64, ningan_store::StoreError> {
    let holder = match &end.holder {
        Some(h) => Some(person(state, w, case_id, ids, h).await?),
        None => None,
    };
    if end.kind == "person" {
        return person(state, w, case_id, ids, &end.key).await;
    }
    let key = (end.kind, end.key.clone());
    if let Some(&(id, has_holder)) = ids.get(&key)
        && (has_holder || holder.is_none())
    {
        return Ok(id);
    }
    let id = records::entity_upsert(w, case_id, end.kind, &end.key, holder, None).await?;
    ids.insert(key, (id, holder.is_some()));
    Ok(id)
}

async fn person(
    state: &AppState,
    w: &mut ningan_store::Write,
    case_id: i64,
    ids: &mut HashMap<(&'static str, String), (i64, bool)>,
    id_number: &str,
) -> Result<i64, ningan_store::StoreError> {
    let key = ("person", id_number.to_string());
    if let Some(&(id, _)) = ids.get(&key) {
        return Ok(id);
    }
    let resident = state.db.resident_by_id_number(&Scope::everything(), id_number).await?;
    let id = records::entity_upsert(w, case_id, "person", id_number, None, resident).await?;
    ids.insert(key, (id, true));
    Ok(id)
}
