//! Precise control's housekeeping: the tracing engine's checkpoints and retention, and the
//! worker that sends and follows hand-overs to other cities.

use std::time::Duration;

use super::tracing::tracer::blocking;
use crate::app::AppState;

/// Folds the tracing log into day segments (and drops days past retention) every five
/// minutes, so a restart replays little.
pub fn start(state: &AppState) {
    super::tracing::handover::spawn_worker(state.clone());
    let tracer = state.precise.tracer.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = blocking(&tracer, |t| t.housekeep()).await {
                tracing::warn!(error = %e, "tracing checkpoint failed");
            }
        }
    });
}
