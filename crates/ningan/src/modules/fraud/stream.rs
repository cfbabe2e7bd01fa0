//! Signals over NATS JetStream: partners publish NDJSON batches to the signal subject; with
//! `fraud.consume_stream` set this process pulls them through a durable consumer, ingests
//! them like an HTTP batch, and acknowledges only after the transaction committed. Re-delivery
//! after a crash is harmless: signal ids already logged are ignored.

use std::sync::Arc;

use async_nats::jetstream::{self, consumer::pull, stream};
use futures_util::StreamExt;
use ningan_store::Actor;

use super::signals::{ingest_lines, parse_ndjson};
use crate::app::AppState;
use crate::modules::precise::tracing::stream::StreamError;

pub const DEFAULT_STREAM: &str = "NINGAN_SIGNALS";
pub const DEFAULT_SUBJECT: &str = "ningan.signals";
const DURABLE: &str = "ningan-fraud-scoring";
/// With `fraud.partitions`, every scoring process pulls partners' batches through this one
/// consumer, one batch at a time across all of them, and only routes them to their
/// partitions: a person's signals reach the partition in the order partners sent them.
const ROUTER: &str = "ningan-fraud-router";

fn nats(e: impl std::fmt::Display) -> StreamError {
    StreamError::Nats(e.to_string())
}

/// Starts the consumer when NATS is configured and this process scores the stream.
pub async fn start(state: &AppState) -> Result<(), StreamError> {
    let (Some(url), true) = (state.config.nats.url.as_deref(), state.config.fraud.consume_stream) else {
        return Ok(());
    };
    let client = async_nats::connect(url).await.map_err(nats)?;
    let js = jetstream::new(client);
    let stream = js
        .get_or_create_stream(stream::Config {
            name: DEFAULT_STREAM.into(),
            subjects: vec![DEFAULT_SUBJECT.into()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(nats)?;
    let config = if state.fraud.service.partitions() > 0 {
        // A batch a dead router held comes back after this, before any later one.
        let ack_wait = std::time::Duration::from_secs(u64::from(state.config.fraud.lease_seconds.max(2)) * 3);
        pull::Config { durable_name: Some(ROUTER.into()), max_ack_pending: 1, ack_wait, ..Default::default() }
    } else {
        pull::Config { durable_name: Some(DURABLE.into()), ..Default::default() }
    };
    let name = config.durable_name.clone().unwrap_or_default();
    let consumer: jetstream::consumer::Consumer<pull::Config> =
        stream.get_or_create_consumer(&name, config).await.map_err(nats)?;
    let mut messages = consumer.messages().await.map_err(nats)?;
    let state = Arc::new(state.clone());
    tokio::spawn(async move {
        let actor = Actor { name: "nats:signals".into(), unit_id: None };
        while let Some(message) = messages.next().await {
            let message = match message {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "signal stream");
                    continue;
                }
            };
            let lines = match std::str::from_utf8(&message.payload) {
                Ok(text) => parse_ndjson(text),
                Err(_) => Vec::new(),
            };
            match ingest_lines(&state, &actor, "nats", lines).await {
                Ok(report) => {
                    if !report.rejected.is_empty() {
                        tracing::warn!(refused = report.rejected.len(), "signal stream batch had refused lines");
                    }
                    if let Err(e) = message.ack().await {
                        tracing::warn!(error = %e, "acknowledging a signal batch");
                    }
                }
                // Not acknowledged: JetStream delivers it again.
                Err(e) => tracing::error!(error = %e, "ingesting a signal batch"),
            }
        }
    });
    tracing::info!(stream = DEFAULT_STREAM, "scoring the signal stream");
    Ok(())
}
