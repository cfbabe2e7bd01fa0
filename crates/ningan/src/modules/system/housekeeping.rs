//! The platform's own housekeeping: expired sessions and old idempotency keys go once an hour.

use std::time::Duration;

use crate::app::AppState;

/// Drops expired sessions and old idempotency keys once an hour.
pub fn start(state: &AppState) {
    let db = state.db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = db.sessions_purge_expired().await {
                tracing::warn!(error = %e, "session purge failed");
            }
            if let Err(e) = db.idempotency_purge(crate::http::idempotency::REPLAY_FOR_MS).await {
                tracing::warn!(error = %e, "idempotency purge failed");
            }
        }
    });
}
