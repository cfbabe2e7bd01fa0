//! Group commit of unit positions. A thousand devices reporting every second would be a
//! thousand transactions a second, each waiting its turn for the write lock (SQLite) or a
//! flush of the log (PostgreSQL). Instead every report of a unit not on a call is handed to
//! one writer, which commits whatever has queued up while its last commit ran as one
//! transaction and only then answers each report: nothing is acknowledged before it is
//! durable, and under load the transactions grow instead of queueing.

use ningan_store::{Db, Result, StoreError};
use tokio::sync::{mpsc, oneshot};

use super::store::units;

/// The most reports one transaction takes.
const BATCH: usize = 1000;

struct Fix {
    unit: i64,
    at_point: [f64; 2],
    at: i64,
    done: oneshot::Sender<std::result::Result<(), String>>,
}

/// The handle reports are given to.
#[derive(Clone)]
pub struct Fixes {
    tx: mpsc::Sender<Fix>,
}

impl Fixes {
    /// Starts the writer on `db`.
    pub fn start(db: Db) -> Fixes {
        let (tx, rx) = mpsc::channel(BATCH * 8);
        tokio::spawn(write(db, rx));
        Fixes { tx }
    }

    /// Stores a unit's position as of `at`, returning once it is committed.
    pub async fn put(&self, unit: i64, at_point: [f64; 2], at: i64) -> Result<()> {
        let (done, answer) = oneshot::channel();
        let gone = || StoreError::Db(ningan_store::sql::Error::Protocol("the position writer stopped".into()));
        self.tx.send(Fix { unit, at_point, at, done }).await.map_err(|_| gone())?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Db(ningan_store::sql::Error::Protocol(format!("position batch: {e}")))),
            Err(_) => Err(gone()),
        }
    }
}

async fn write(db: Db, mut rx: mpsc::Receiver<Fix>) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(f) => batch.push(f),
                Err(_) => break,
            }
        }
        let result = commit(&db, &batch).await.map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::warn!(error = %e, reports = batch.len(), "a batch of unit positions failed");
        }
        for f in batch.drain(..) {
            let _ = f.done.send(result.clone());
        }
    }
}

async fn commit(db: &Db, batch: &[Fix]) -> Result<()> {
    let mut w = db.write().await?;
    for f in batch {
        units::set_position(&mut w, f.unit, f.at_point[0], f.at_point[1], f.at).await?;
    }
    w.commit().await
}
