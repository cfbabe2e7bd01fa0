//! Check-ins over NATS JetStream. With `nats.url` set, a process that accepts a batch checks it
//! by the engine's rules and publishes the accepted presences to the stream, answering once
//! JetStream has stored them; every process folds the whole stream into its own engine
//! through a durable consumer of its own, acknowledging a message only after the engine has
//! made it durable. Delivery is at least once: a process killed between the two may fold a
//! batch twice, which repeats visits (more shared time) but never adds or drops a contact.

use std::sync::Arc;

use async_nats::jetstream::{self, consumer::pull, stream};
use futures_util::StreamExt;
use ningan_trace::{Observation, SpaceKind};

use super::tracer::{TraceError, Tracer, blocking};
use crate::config::NatsConfig;
use crate::modules::precise::control::registry::GATE_SPACE_BASE;

const DEFAULT_STREAM: &str = "NINGAN_CHECKINS";
const DEFAULT_SUBJECT: &str = "ningan.checkins";

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("NATS: {0}")]
    Nats(String),
    #[error("check-in message is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error(transparent)]
    Store(#[from] ningan_store::StoreError),
}

fn nats(e: impl std::fmt::Display) -> StreamError {
    StreamError::Nats(e.to_string())
}

pub struct CheckinStream {
    js: jetstream::Context,
    stream: String,
    subject: String,
}

/// A presence on the wire: `[person, space, start, end]`.
type Wire = [u32; 4];

impl CheckinStream {
    /// Connects and makes sure the stream exists (file storage: JetStream keeps what it
    /// acknowledged across its own restarts).
    pub async fn connect(cfg: &NatsConfig) -> Result<Option<CheckinStream>, StreamError> {
        let Some(url) = cfg.url.as_deref() else { return Ok(None) };
        let client = async_nats::connect(url).await.map_err(nats)?;
        let js = jetstream::new(client);
        let name = cfg.stream.clone().unwrap_or_else(|| DEFAULT_STREAM.into());
        let subject = cfg.subject.clone().unwrap_or_else(|| DEFAULT_SUBJECT.into());
        js.get_or_create_stream(stream::Config {
            name: name.clone(),
            subjects: vec![subject.clone()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(nats)?;
        Ok(Some(CheckinStream { js, stream: name, subject }))
    }

    /// Publishes checked presences (ends filled in); returns when JetStream has stored them.
    pub async fn publish(&self, batch: &[Observation]) -> Result<(), StreamError> {
        let wire: Vec<Wire> = batch.iter().map(|o| [o.person, o.space, o.start, o.end.unwrap_or(o.start)]).collect();
        let payload = serde_json::to_vec(&wire)?;
        let ack = self.js.publish(self.subject.clone(), payload.into()).await.map_err(nats)?;
        ack.await.map_err(nats)?;
        Ok(())
    }

    /// Folds the whole stream, from its start, into this process's engine, forever.
    pub async fn spawn_consumer(
        &self,
        durable: String,
        tracer: Arc<Tracer>,
        db: ningan_store::Db,
    ) -> Result<(), StreamError> {
        let stream = self.js.get_stream(&self.stream).await.map_err(nats)?;
        let consumer: jetstream::consumer::Consumer<pull::Config> = stream
            .get_or_create_consumer(
                &durable,
                pull::Config { durable_name: Some(durable.clone()), ..Default::default() },
            )
            .await
            .map_err(nats)?;
        let mut messages = consumer.messages().await.map_err(nats)?;
        tokio::spawn(async move {
            while let Some(message) = messages.next().await {
                let message = match message {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(error = %e, "check-in stream");
                        continue;
                    }
                };
                match fold(&message.payload, &tracer, &db).await {
                    Ok(()) => {
                        if let Err(e) = message.ack().await {
                            tracing::warn!(error = %e, "acknowledging a check-in batch");
                        }
                    }
                    // Not acknowledged: JetStream delivers it again.
                    Err(e) => tracing::error!(error = %e, "folding a check-in batch"),
                }
            }
        });
        Ok(())
    }
}

/// One message into the engine: spaces it does not know yet (venues registered through
/// another process, gates) are defined first, then the batch is logged durably.
async fn fold(payload: &[u8], tracer: &Arc<Tracer>, db: &ningan_store::Db) -> Result<(), StreamError> {
    let wire: Vec<Wire> = serde_json::from_slice(payload)?;
    let batch: Vec<Observation> =
        wire.iter().map(|w| Observation { person: w[0], space: w[1], start: w[2], end: Some(w[3]) }).collect();
    let mut unknown: Vec<u32> = batch.iter().map(|o| o.space).filter(|s| !tracer.knows(*s)).collect();
    unknown.sort_unstable();
    unknown.dedup();
    let gates: Vec<(u32, SpaceKind)> =
        unknown.iter().filter(|s| **s >= GATE_SPACE_BASE).map(|s| (*s, SpaceKind::Gate)).collect();
    let venue_ids: Vec<i64> = unknown.iter().filter(|s| **s < GATE_SPACE_BASE).map(|s| i64::from(*s)).collect();
    let venues: Vec<(i64, String, String)> =
        db.venues_by_ids(&venue_ids).await?.into_iter().map(|v| (v.id, v.kind, v.code)).collect();
    blocking(tracer, move |t| {
        t.sync_venues(&venues)?;
        t.ensure_spaces(&gates)?;
        t.ingest(&batch)
    })
    .await?;
    Ok(())
}

/// This process's durable consumer name: configured, or derived from its data directory so a
/// restart resumes where it stopped.
pub fn consumer_name(cfg: &NatsConfig, data_dir: &std::path::Path) -> String {
    cfg.consumer.clone().unwrap_or_else(|| {
        let dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        let h = crate::secrets::sha256_hex(dir.to_string_lossy().as_bytes());
        format!("ningan-{}", &h[..12])
    })
}
