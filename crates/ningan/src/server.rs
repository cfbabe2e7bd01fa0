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
        let serving = tokio::spawn(crate::app::serve(listener, app, shutdown));
        Ok(Server { addr, state, serving })
    }

    /// Waits until the server has stopped (after the shutdown future resolved).
    pub async fn wait(self) -> Result<(), ServerError> {
        self.serving.await??;
        Ok(())
    }
}
