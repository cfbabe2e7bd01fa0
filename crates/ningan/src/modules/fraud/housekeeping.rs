//! Anti-fraud housekeeping: overdue dissuasions escalate, old windows and signals expire, and
//! stop-payment requests go to the bank.

use std::time::Duration;

use crate::app::AppState;

/// Escalates overdue dissuasion tasks every minute; every hour forgets windows no rule can
/// reach and drops old benign signals.
pub fn start(state: &AppState) {
    super::stops::spawn_worker(state.clone());
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        let mut minutes = 0u64;
        loop {
            tick.tick().await;
            let escalated = async {
                let mut w = state.db.write().await?;
                let n = w.fraud_tasks_escalate(ningan_core::time::now_ms()).await?;
                w.commit().await?;
                Ok::<u64, ningan_store::StoreError>(n)
            };
            match escalated.await {
                Ok(n) if n > 0 => tracing::info!(escalated = n, "overdue dissuasion tasks escalated"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "fraud escalation failed"),
            }
            if minutes.is_multiple_of(60) {
                state.fraud.service.expire();
                let purge = async {
                    let mut w = state.db.write().await?;
                    let n = w.fraud_signals_purge(ningan_core::time::now_ms() - 30 * 86_400_000).await?;
                    // The shared counts of transfers into accounts reach back an hour.
                    w.fraud_inflows_purge(ningan_core::time::now_ms() / 1000 - 2 * ningan_fraud::INFLOW_WINDOW).await?;
                    w.commit().await?;
                    Ok::<u64, ningan_store::StoreError>(n)
                };
                if let Err(e) = purge.await {
                    tracing::warn!(error = %e, "fraud signal purge failed");
                }
            }
            minutes += 1;
        }
    });
}
