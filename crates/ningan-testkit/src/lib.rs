//! Test support: every storage test runs once on SQLite and once on PostgreSQL. The
//! PostgreSQL side is a real server: a throwaway cluster started from the installed server
//! binaries on a free port, once per test process, with a fresh database per test, stopped
//! when the process exits. Without the binaries the PostgreSQL tests fail and say what to
//! install; they never pass silently.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use ningan_store::Location;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database on `backend`. Keep the returned guard alive for the test: it
/// owns the SQLite directory.
pub fn fresh_location(backend: Backend) -> (Location, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let loc = match backend {
        Backend::Sqlite => Location::Sqlite(dir.path().join("ningan.db")),
        Backend::Postgres => Location::Postgres(fresh_pg_database()),
    };
    (loc, dir)
}

/// Runs an async test body once per backend, as two tests named `sqlite` and `postgres`
/// in a module named after the behaviour.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)($crate::Backend::Postgres).await
            }
        }
    };
}

struct Cluster {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// A URL to a new database in this process's cluster.
pub fn fresh_pg_database() -> String {
    let cluster = match CLUSTER.get_or_init(start_cluster) {
        Ok(c) => c,
        Err(e) => panic!("PostgreSQL tests need a PostgreSQL server: {e}"),
    };
    let name = format!("t{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::SeqCst));
    let out = Command::new(cluster.bin.join("createdb"))
        .args(["-h", "127.0.0.1", "-p", &cluster.port.to_string(), "-U", "postgres", &name])
        .output()
        .expect("run createdb");
    assert!(out.status.success(), "createdb failed: {}", String::from_utf8_lossy(&out.stderr));
    format!("postgres://postgres@127.0.0.1:{}/{name}", cluster.port)
}

/// The newest `/usr/lib/postgresql/N/bin`, or `NINGAN_PG_BIN`.
fn find_bin() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("NINGAN_PG_BIN") {
        return Ok(PathBuf::from(p));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| {
            "no /usr/lib/postgresql: install the server, e.g. `apt-get install -y postgresql-15`, or set NINGAN_PG_BIN"
                .to_string()
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p)| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, p)| p)
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin: `apt-get install -y postgresql-15`".to_string())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs a server binary, as the `postgres` user when we are root (initdb refuses root).
fn pg_command(bin: &Path, tool: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    }
}

fn start_cluster() -> Result<Cluster, String> {
    let bin = find_bin()?;
    let root = tempfile::Builder::new().prefix("ningan-pg").tempdir().map_err(|e| e.to_string())?.keep();
    if is_root() {
        let ok =
            Command::new("chown").args(["-R", "postgres:postgres"]).arg(&root).status().map_err(|e| e.to_string())?;
        if !ok.success() {
            return Err("cannot chown the cluster directory to user postgres (is the postgres user present?)".into());
        }
    }
    let data = root.join("data");
    let out = pg_command(&bin, "initdb")
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let port = free_port();
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
        root.display()
    );
    let out = pg_command(&bin, "pg_ctl")
        .arg("-D")
        .arg(&data)
        .args(["-o", &opts, "-l"])
        .arg(root.join("log"))
        .args(["-w", "start"])
        .output()
        .map_err(|e| format!("pg_ctl: {e}"))?;
    if !out.status.success() {
        let log = std::fs::read_to_string(root.join("log")).unwrap_or_default();
        return Err(format!("pg_ctl start failed: {}{log}", String::from_utf8_lossy(&out.stderr)));
    }
    // SAFETY: registering a plain extern "C" function with no captured state.
    unsafe {
        libc::atexit(stop_cluster);
    }
    Ok(Cluster { bin, root, port })
}

extern "C" fn stop_cluster() {
    if let Some(Ok(c)) = CLUSTER.get() {
        let _ = pg_command(&c.bin, "pg_ctl")
            .arg("-D")
            .arg(c.root.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&c.root);
    }
}
