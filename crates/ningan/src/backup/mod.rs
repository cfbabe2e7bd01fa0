//! `ningan backup --to DIR` while the server runs and takes writes, and `ningan restore
//! --from DIR --data NEW`. A backup holds a consistent copy of the database (SQLite's
//! `VACUUM INTO`, one read transaction; `pg_dump`'s snapshot for PostgreSQL), the tracing
//! engine's files as of one manifest (`ningan_trace::snapshot_files`), and the rest of the
//! data directory (the fraud rules in force, uploaded files), every file sealed with the
//! configured key ([`seal`]), and a sealed manifest of their lengths and SHA-256. Everything
//! acknowledged before the backup began is in it. A restore checks that every file is there
//! and opens whole before it puts anything in place, and writes into a fresh directory.

pub mod seal;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ningan_store::{Db, Location};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use seal::{Key, SealError, Sealed};

/// Bumped when what a backup holds changes; a restore reads this version and older.
pub const FORMAT: u32 = 1;
const MANIFEST: &str = "MANIFEST";
const SQLITE: &str = "database.sqlite";
const PGDUMP: &str = "database.pgdump";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("no backup key: set backup.key (64 hex digits) in the configuration or NINGAN_BACKUP__KEY")]
    NoKey,
    #[error("{0} is not empty: back up into, and restore into, a new directory")]
    NotEmpty(PathBuf),
    #[error("the backup is incomplete: {0} missing")]
    Missing(String),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error("{0} does not hold what the manifest says it should (length or SHA-256)")]
    Mismatch(String),
    #[error("the backup's manifest: {0}")]
    Manifest(String),
    #[error("this backup holds a {held} database; {wanted}")]
    Backend { held: String, wanted: &'static str },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Store(#[from] ningan_store::StoreError),
    #[error("tracing engine files: {0}")]
    Engine(#[from] ningan_trace::EngineError),
    #[error("{0}")]
    Tool(String),
}

/// What a backup holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// When the backup began (RFC 3339): everything acknowledged before is in it.
    pub began: String,
    pub ningan: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Each file by its name in the backup.
    pub files: BTreeMap<String, Sealed>,
}

/// What was done, for the operator.
pub struct Summary {
    pub files: usize,
    pub bytes: u64,
    pub seconds: f64,
}

fn key(config: &Config) -> Result<Key, BackupError> {
    config.backup.key.as_deref().and_then(Key::from_hex).ok_or(BackupError::NoKey)
}

/// Where a file named `name` lies in the backup directory.
fn sealed_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.sealed"))
}

fn is_empty_dir(dir: &Path) -> std::io::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Seals `src` into the backup as `name`.
fn add(
    key: &Key,
    to: &Path,
    files: &mut BTreeMap<String, Sealed>,
    name: &str,
    src: &mut impl std::io::Read,
) -> Result<u64, BackupError> {
    let dst = sealed_path(to, name);
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let sealed = seal::seal(key, src, &dst, name)?;
    let bytes = sealed.bytes;
    files.insert(name.to_string(), sealed);
    Ok(bytes)
}

/// The newest PostgreSQL client tool `name` (`NINGAN_PG_BIN`, the server packages' own
/// directory, then the path).
fn pg_tool(name: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("NINGAN_PG_BIN") {
        return PathBuf::from(dir).join(name);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin").join(name))))
        .filter(|(_, p)| p.exists())
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p).unwrap_or_else(|| PathBuf::from(name))
}

fn run_tool(mut cmd: std::process::Command, what: &str) -> Result<(), BackupError> {
    let out = cmd.output().map_err(|e| BackupError::Tool(format!("{what}: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(BackupError::Tool(format!("{what} failed: {}", err.trim())));
    }
    Ok(())
}

/// Takes a backup of the data `config` names into `to` (new or empty) while the server may
/// run; `progress` hears each step.
pub async fn backup(config: &Config, to: &Path, mut progress: impl FnMut(&str)) -> Result<Summary, BackupError> {
    let key = key(config)?;
    if !is_empty_dir(to)? {
        return Err(BackupError::NotEmpty(to.to_path_buf()));
    }
    private_dir(to)?;
    let started = std::time::Instant::now();
    let began = chrono::Utc::now().to_rfc3339();
    let mut files = BTreeMap::new();
    let mut bytes = 0;
    let location = Location::resolve(&config.data_dir, config.database_url.as_deref())?;
    let plain = to.join(".database.plain");
    let database = match &location {
        Location::Sqlite(_) => {
            progress("数据库快照 / database snapshot (SQLite)");
            let db = Db::open(&location).await?;
            let snapshot = db.snapshot_sqlite(&plain).await;
            db.close().await;
            snapshot?;
            "sqlite"
        }
        Location::Postgres(url) => {
            progress("数据库快照 / database snapshot (pg_dump)");
            let mut cmd = std::process::Command::new(pg_tool("pg_dump"));
            cmd.args(["--format=custom", "--no-owner", "--file"]).arg(&plain).args(["--dbname", url]);
            tokio::task::spawn_blocking(move || run_tool(cmd, "pg_dump"))
                .await
                .map_err(|e| BackupError::Tool(e.to_string()))??;
            "postgres"
        }
    };
    let name = if database == "sqlite" { SQLITE } else { PGDUMP };
    let sealed = {
        let mut src = std::fs::File::open(&plain)?;
        add(&key, to, &mut files, name, &mut src)
    };
    let _ = std::fs::remove_file(&plain);
    bytes += sealed?;

    progress("追踪引擎 / tracing engine files");
    bytes += trace_files(&key, &config.data_dir.join("trace"), to, &mut files)?;
    progress("其他文件 / other files in the data directory");
    bytes += other_files(&key, &config.data_dir, to, &mut files)?;

    let manifest =
        Manifest { format: FORMAT, began, ningan: env!("CARGO_PKG_VERSION").into(), database: database.into(), files };
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Manifest(e.to_string()))?;
    seal::seal(&key, &mut text.as_slice(), &sealed_path(to, MANIFEST), MANIFEST)?;
    Ok(Summary { files: manifest.files.len(), bytes, seconds: started.elapsed().as_secs_f64() })
}

/// The engine's files as of one manifest; taken again if a checkpoint removed one while
/// they were copied.
fn trace_files(key: &Key, dir: &Path, to: &Path, files: &mut BTreeMap<String, Sealed>) -> Result<u64, BackupError> {
    if !dir.exists() {
        return Ok(0);
    }
    for _ in 0..20 {
        files.retain(|name, _| !name.starts_with("trace/"));
        let (manifest, names) = ningan_trace::snapshot_files(dir)?;
        let mut bytes = 0;
        if let Some(m) = manifest {
            bytes += add(key, to, files, "trace/MANIFEST", &mut m.as_slice())?;
        }
        let mut gone = false;
        for name in names {
            match std::fs::File::open(dir.join(&name)) {
                Ok(mut f) => bytes += add(key, to, files, &format!("trace/{name}"), &mut f)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    gone = true;
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if !gone {
            return Ok(bytes);
        }
        let _ = std::fs::remove_dir_all(to.join("trace"));
    }
    Err(BackupError::Tool("the tracing engine checkpointed throughout 20 attempts to copy it; try again".into()))
}

/// What is neither the database nor the engine: uploaded files, the fraud rules in force.
/// Half-written uploads and lock files are left out.
fn other_files(key: &Key, data: &Path, to: &Path, files: &mut BTreeMap<String, Sealed>) -> Result<u64, BackupError> {
    let mut bytes = 0;
    let mut stack = vec![data.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let Ok(rel) = path.strip_prefix(data) else { continue };
            let rel = rel.to_string_lossy().replace('\\', "/");
            let skip = rel == "trace"
                || rel == "imports"
                || rel.starts_with("ningan.db")
                || rel.ends_with(".part")
                || rel.ends_with(".tmp")
                || rel.ends_with("LOCK")
                || path.starts_with(to);
            if skip {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                match std::fs::File::open(&path) {
                    Ok(mut f) => bytes += add(key, to, files, &format!("files/{rel}"), &mut f)?,
                    // Removed since it was listed (a finished upload's spool).
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(bytes)
}

/// Where a file of the backup goes in the restored data directory.
fn destination(staging: &Path, name: &str) -> Option<PathBuf> {
    let rel = match name {
        SQLITE => "ningan.db".to_string(),
        PGDUMP => ".restore.pgdump".to_string(),
        n => n.strip_prefix("files/").map(str::to_string).or_else(|| n.starts_with("trace/").then(|| n.to_string()))?,
    };
    // Names come from the sealed manifest; still, nothing may land outside the directory.
    let safe = Path::new(&rel).components().all(|c| matches!(c, std::path::Component::Normal(_)));
    safe.then(|| staging.join(rel))
}

/// Restores the backup in `from` into the data directory `config` names (new or empty) and,
/// for a PostgreSQL backup, the empty database its `database_url` names.
pub async fn restore(config: &Config, from: &Path, mut progress: impl FnMut(&str)) -> Result<Summary, BackupError> {
    let key = key(config)?;
    let started = std::time::Instant::now();
    let manifest_path = sealed_path(from, MANIFEST);
    if !manifest_path.exists() {
        return Err(BackupError::Missing(MANIFEST.into()));
    }
    let mut text = Vec::new();
    seal::open(&key, &manifest_path, &mut text, MANIFEST)?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| BackupError::Manifest(e.to_string()))?;
    if manifest.format > FORMAT {
        return Err(BackupError::Manifest(format!(
            "format {} is newer than this ningan reads ({FORMAT})",
            manifest.format
        )));
    }
    let location = Location::resolve(&config.data_dir, config.database_url.as_deref())?;
    match (&location, manifest.database.as_str()) {
        (Location::Sqlite(_), "sqlite") | (Location::Postgres(_), "postgres") => {}
        (Location::Sqlite(_), held) => {
            return Err(BackupError::Backend { held: held.into(), wanted: "give --database-url of an empty database" });
        }
        (Location::Postgres(_), held) => {
            return Err(BackupError::Backend { held: held.into(), wanted: "restore it without --database-url" });
        }
    }
    let missing: Vec<&str> =
        manifest.files.keys().map(String::as_str).filter(|n| !sealed_path(from, n).exists()).collect();
    if !missing.is_empty() {
        return Err(BackupError::Missing(missing.join(", ")));
    }
    let data = config.data_dir.clone();
    if !is_empty_dir(&data)? {
        return Err(BackupError::NotEmpty(data));
    }
    // Everything is opened and checked in a directory beside the new one, which takes its
    // name only when whole.
    let staging = data.with_file_name(format!(
        ".{}.restoring-{}",
        data.file_name().and_then(|n| n.to_str()).unwrap_or("data"),
        rand::random::<u32>()
    ));
    private_dir(&staging)?;
    let outcome = put_in_place(&key, from, &staging, &manifest, &location, &mut progress).await;
    if let Err(e) = outcome {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if data.exists() {
        std::fs::remove_dir(&data)?;
    }
    std::fs::rename(&staging, &data)?;
    let bytes = manifest.files.values().map(|f| f.bytes).sum();
    Ok(Summary { files: manifest.files.len(), bytes, seconds: started.elapsed().as_secs_f64() })
}

async fn put_in_place(
    key: &Key,
    from: &Path,
    staging: &Path,
    manifest: &Manifest,
    location: &Location,
    progress: &mut impl FnMut(&str),
) -> Result<(), BackupError> {
    progress("检查并解密 / checking and opening every file");
    for (name, want) in &manifest.files {
        let dst = destination(staging, name).ok_or_else(|| BackupError::Manifest(format!("unexpected file {name}")))?;
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = std::io::BufWriter::new(std::fs::File::create(&dst)?);
        let got = seal::open(key, &sealed_path(from, name), &mut out, name)?;
        if &got != want {
            return Err(BackupError::Mismatch(name.clone()));
        }
    }
    if let Location::Postgres(url) = location {
        progress("恢复数据库 / restoring the database (pg_restore)");
        let dump = staging.join(".restore.pgdump");
        let mut cmd = std::process::Command::new(pg_tool("pg_restore"));
        cmd.args(["--no-owner", "--exit-on-error", "--single-transaction", "--dbname", url]).arg(&dump);
        tokio::task::spawn_blocking(move || run_tool(cmd, "pg_restore"))
            .await
            .map_err(|e| BackupError::Tool(e.to_string()))??;
        std::fs::remove_file(staging.join(".restore.pgdump"))?;
    }
    Ok(())
}
