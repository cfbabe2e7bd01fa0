//! One way to start: `ningan serve`, `ningan demo` and every integration test call
//! [`Server::start`], so they run the same state, the same modules' background work and the
//! same streams.

use std::future::Future;
use std::net::SocketAddr;

use ningan_store::Db;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::app::{AppState, StartError};
use crate::config::Config;
use crate::modules::precise::tracing::stream::StreamError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("opening the engines: {0}")]
    Start(#[from] StartError),
    #[error("storage: {0}")]
    Store(#[from] ningan_store::StoreError),
    #[error("connecting to NATS JetStream (nats.url): {0}")]
    Streams(#[from] StreamError),
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
    #[error("the server task ended abnormally: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// A running server: its address, its state (for callers that add work, like the demo's
/// live stream) and the task serving requests.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    serving: JoinHandle<std::io::Result<()>>,
    /// Fires when the shutdown future resolves: the drain's clock starts.
    stopping: tokio::sync::oneshot::Receiver<()>,
}

impl Server {
    /// Builds the state on `db`, starts every module's background work and the streams, and
    /// serves on `listener` until `shutdown` resolves.
    pub async fn start(
        config: Config,
        db: Db,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Server, ServerError> {
        let addr = listener.local_addr()?;
        crate::web::map::configure(&config.map);
        let (app, state) = crate::app::build(config, db.clone())?;
        // On SQLite the engine's lock makes this the only process on the data directory, so
        // claims still marked running were cut off by the last stop.
        let released = db.idempotency_release_running().await?;
        if released > 0 {
            tracing::info!(released, "idempotency keys of requests cut off by the last stop released");
        }
        crate::modules::start_all(&state);
        crate::web::assets::warm();
        crate::app::start_streams(&state).await?;
        let (stopping_tx, stopping) = tokio::sync::oneshot::channel();
        let shutdown = async move {
            shutdown.await;
            let _ = stopping_tx.send(());
        };
        let serving = tokio::spawn(crate::app::serve(listener, app, shutdown));
        Ok(Server { addr, state, serving, stopping })
    }

    /// Waits until the server has stopped: once the shutdown future resolves, requests in
    /// flight get [`DRAIN`] to finish (a live board's event stream would hold the server
    /// forever), then gate passes still queued are logged and the tracing engine folds its
    /// log, so the next start replays nothing.
    pub async fn wait(self) -> Result<(), ServerError> {
        let Server { state, mut serving, stopping, .. } = self;
        tokio::select! {
            done = &mut serving => {
                done??;
            }
            Ok(()) = stopping => {
                let started = std::time::Instant::now();
                match tokio::time::timeout(DRAIN, &mut serving).await {
                    Ok(done) => done??,
                    Err(_) => {
                        serving.abort();
                        tracing::warn!(seconds = DRAIN.as_secs(), "connections still open after the drain were closed");
                    }
                }
                tracing::info!(ms = started.elapsed().as_millis() as u64, "requests drained");
            }
        }
        stop(&state).await;
        Ok(())
    }
}

/// How long requests in flight may take once a stop is asked for.
pub const DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// What a stop must not leave behind: queued gate passes logged, the engine's log folded.
pub async fn stop(state: &AppState) {
    let left = state.precise.pass_recorder.flush(std::time::Duration::from_secs(5)).await;
    if left > 0 {
        tracing::warn!(passes = left, "gate passes still queued at the stop were not recorded");
    }
    let tracer = state.precise.tracer.clone();
    let started = std::time::Instant::now();
    match tokio::task::spawn_blocking(move || tracer.checkpoint_now()).await {
        Ok(Ok(folded)) => {
            tracing::info!(folded, ms = started.elapsed().as_millis() as u64, "stopped: tracing engine checkpointed")
        }
        Ok(Err(e)) => tracing::error!(error = %e, "stopping: the tracing engine's checkpoint failed; its log is kept"),
        Err(e) => tracing::error!(error = %e, "stopping: the checkpoint did not run"),
    }
}
