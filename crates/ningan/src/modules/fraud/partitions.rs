//! Scale-out of scoring: several processes score one city without splitting anyone's window.
//!
//! With `fraud.partitions` set, every signal — from HTTP, a citizen's report, a partner's
//! NATS batch, an import — is keyed by its person and published to that person's partition
//! subject (`ningan.signals.p.<n>`, stream `NINGAN_SIGNAL_PARTS`). Each process with
//! `fraud.consume_stream` runs a balancer that keeps a lease per partition in the database
//! (renewed every third of `fraud.lease_seconds`), takes free or expired partitions up to its
//! fair share of the live processes, and gives surplus ones back when a process joins. For a
//! partition it has just taken, it first replays that partition's people from the signal log
//! over the rule set's horizon and only then consumes the partition's durable consumer, which
//! is shared by whoever owns the partition, so a new owner resumes at the acknowledgement
//! floor. Nothing is lost: a batch is acknowledged only after its transaction committed.
//! Nothing is doubled: a redelivered signal finds its id logged, and a process that lost its
//! lease cannot commit (the fence in `FraudService::hold_leases`).
//!
//! The count of transfers into one account (a collecting account receives from people of
//! every partition) is kept in the database, counted in the scoring transaction.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, stream};
use axum::extract::State;
use futures_util::StreamExt;
use ningan_core::time::now_ms;
use ningan_fraud::SignalKind;
use ningan_store::Actor;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::wire::Incoming;
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::principal::Ctx;
use crate::modules::precise::tracing::stream::StreamError;

pub const PART_STREAM: &str = "NINGAN_SIGNAL_PARTS";
const PART_SUBJECTS: &str = "ningan.signals.p.*";
/// Signals per published message: well under NATS's default 1 MiB payload.
const PER_MESSAGE: usize = 2_000;

pub fn subject(part: u32) -> String {
    format!("ningan.signals.p.{part}")
}

fn durable(part: u32) -> String {
    format!("ningan-fraud-p{part}")
}

fn nats(e: impl std::fmt::Display) -> StreamError {
    StreamError::Nats(e.to_string())
}

/// One message on a partition subject: checked signals of that partition's people, with who
/// sent them and how, for the audit entry the scoring process writes.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    actor: String,
    channel: String,
    signals: Vec<PartSignal>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PartSignal {
    id: String,
    phone: String,
    at: i64,
    kind: SignalKind,
}

/// Publishes signals to their partitions.
#[derive(Clone)]
pub struct Publisher {
    js: jetstream::Context,
}

impl Publisher {
    /// Publishes `(partition, signal)` pairs and waits until the stream has stored every
    /// message; answers how many signals were handed over.
    pub async fn publish(&self, actor: &str, channel: &str, keyed: Vec<(u32, Incoming)>) -> Result<usize, ApiError> {
        let total = keyed.len();
        let mut by_part: BTreeMap<u32, Vec<PartSignal>> = BTreeMap::new();
        for (part, s) in keyed {
            by_part.entry(part).or_default().push(PartSignal { id: s.id, phone: s.phone, at: s.at, kind: s.kind });
        }
        let mut acks = Vec::new();
        for (part, mut signals) in by_part {
            while !signals.is_empty() {
                let rest = signals.split_off(signals.len().min(PER_MESSAGE));
                let envelope = Envelope { actor: actor.to_string(), channel: channel.to_string(), signals };
                let payload = serde_json::to_vec(&envelope).map_err(ApiError::internal)?;
                acks.push(self.js.publish(subject(part), payload.into()).await.map_err(unavailable)?);
                signals = rest;
            }
        }
        for ack in acks {
            ack.await.map_err(unavailable)?;
        }
        Ok(total)
    }
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %e, "publishing signals to their partitions");
    ApiError::new(
        crate::http::error::ErrorCode::Unavailable,
        "信号流暂不可用，请稍后重试",
        "the signal stream is unavailable; retry shortly",
    )
}

/// Connects the partitioned stream when `fraud.partitions` is set: every such process
/// publishes to it; those with `fraud.consume_stream` also score the partitions they lease.
pub async fn start(state: &AppState) -> Result<(), StreamError> {
    let Some(stream) = connect(&state.config, &state.fraud.service).await? else { return Ok(()) };
    let service = &state.fraud.service;
    tokio::spawn(follow(state.clone()));
    if state.config.fraud.consume_stream {
        tokio::spawn(balance(state.clone(), stream));
        tracing::info!(
            partitions = service.partitions(),
            owner = service.owner(),
            "scoring partitions of the signal stream"
        );
    }
    Ok(())
}

/// Makes `service` publish to the partitions (when it is partitioned and NATS configured);
/// answers the partitions' stream.
pub async fn connect(
    config: &crate::config::Config,
    service: &super::FraudService,
) -> Result<Option<stream::Stream>, StreamError> {
    let Some(url) = config.nats.url.as_deref().filter(|_| service.partitions() > 0) else {
        return Ok(None);
    };
    let js = jetstream::new(async_nats::connect(url).await.map_err(nats)?);
    let stream = js
        .get_or_create_stream(stream::Config {
            name: PART_STREAM.into(),
            subjects: vec![PART_SUBJECTS.into()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(nats)?;
    service.set_publisher(Publisher { js });
    Ok(Some(stream))
}

struct Worker {
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

/// The balancer: heartbeats, renews, gives back and takes leases, and runs a worker per
/// partition held.
async fn balance(state: AppState, stream: stream::Stream) {
    let lease_ms = i64::from(state.config.fraud.lease_seconds.max(2)) * 1000;
    let tick = Duration::from_millis((lease_ms / 3) as u64);
    let (lost_tx, mut lost_rx) = mpsc::channel::<u32>(64);
    let mut workers: BTreeMap<u32, Worker> = BTreeMap::new();
    let mut first = true;
    loop {
        if !first {
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                Some(part) = lost_rx.recv() => {
                    tracing::warn!(part, "partition lease lost");
                    give_up(&state, &mut workers, part, false).await;
                    continue;
                }
            }
        }
        match step(&state, &stream, &mut workers, &lost_tx, lease_ms, first).await {
            Ok(()) => first = false,
            Err(e) => tracing::warn!(error = %e, "partition balancing"),
        }
    }
}

/// Keeps this process's watchlist and rule set those of the city: an analyst changes them
/// through one process, and every process of a partitioned city follows within seconds.
async fn follow(state: AppState) {
    let service = state.fraud.service.clone();
    let mut stamp = None;
    let mut rules_seen = None;
    loop {
        match state.db.fraud_watchlist_stamp().await {
            Ok(now) if stamp.is_some_and(|s| s != now) => match service.reload_watchlist(&state.db).await {
                Ok(_) => stamp = Some(now),
                Err(e) => tracing::warn!(error = %e, "reloading the watchlist"),
            },
            Ok(now) => stamp = Some(now),
            Err(e) => tracing::warn!(error = %e, "watchlist stamp"),
        }
        match state.db.fraud_rule_version_latest().await {
            Ok(Some(latest)) if rules_seen != Some(latest.id) => {
                if latest.source != service.rules_source() {
                    match service.replace_rules(&latest.source) {
                        Ok(_) => tracing::info!(version = %latest.version, "rule set followed"),
                        Err(e) => tracing::warn!(error = %e, "following the rule set"),
                    }
                }
                rules_seen = Some(latest.id);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "latest rule set"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// One round of the balancer.
async fn step(
    state: &AppState,
    stream: &stream::Stream,
    workers: &mut BTreeMap<u32, Worker>,
    lost: &mpsc::Sender<u32>,
    lease_ms: i64,
    first: bool,
) -> Result<(), ApiError> {
    let service = &state.fraud.service;
    let (owner, partitions) = (service.owner().to_string(), service.partitions());
    let now = now_ms();
    let held = {
        let mut w = state.db.write().await?;
        w.fraud_scorer_beat(&owner, now).await?;
        if first {
            w.fraud_leases_ensure(partitions).await?;
        }
        let held = w.fraud_leases_renew(&owner, now, now + lease_ms).await?;
        w.commit().await?;
        held
    };
    let expired: Vec<u32> = workers.keys().copied().filter(|p| !held.contains(p)).collect();
    for part in expired {
        tracing::warn!(part, "partition lease expired before renewal");
        give_up(state, workers, part, false).await;
    }
    let live = state.db.fraud_scorers_live(now - lease_ms).await?.len().max(1) as u32;
    let fair = partitions.div_ceil(live) as usize;
    let mine: Vec<u32> = workers.keys().copied().collect();
    if mine.len() > fair {
        // A process joined: hand the surplus over at once rather than letting it expire.
        for &part in &mine[fair..] {
            give_up(state, workers, part, true).await;
        }
        return Ok(());
    }
    if mine.len() == fair {
        return Ok(());
    }
    let free: Vec<u32> = state
        .db
        .fraud_leases()
        .await?
        .into_iter()
        .filter(|l| l.owner.is_none() || l.expires_at <= now)
        .map(|l| l.part)
        .collect();
    for part in free.into_iter().take(fair - mine.len()) {
        let taken = {
            let mut w = state.db.write().await?;
            let taken = w.fraud_lease_take(part, &owner, now_ms(), now_ms() + lease_ms).await?;
            w.commit().await?;
            taken
        };
        if !taken {
            continue;
        }
        let replayed = service.acquire(&state.db, part).await?;
        tracing::info!(part, replayed, "partition taken");
        let (stop, stopped) = watch::channel(false);
        let handle = tokio::spawn(work(state.clone(), stream.clone(), part, stopped, lost.clone()));
        workers.insert(part, Worker { stop, handle });
    }
    Ok(())
}

/// Stops the partition's worker, drops its people from the engine and, when `release`, frees
/// the lease for another process to take at once.
async fn give_up(state: &AppState, workers: &mut BTreeMap<u32, Worker>, part: u32, release: bool) {
    if let Some(worker) = workers.remove(&part) {
        let _ = worker.stop.send(true);
        let _ = worker.handle.await;
    }
    if let Err(e) = state.fraud.service.release(part).await {
        tracing::warn!(part, error = %e, "dropping a partition's people");
    }
    if release {
        let freed = async {
            let mut w = state.db.write().await?;
            w.fraud_lease_release(part, state.fraud.service.owner()).await?;
            w.commit().await
        };
        if let Err(e) = freed.await {
            tracing::warn!(part, error = %e, "releasing a partition lease");
        }
    }
    tracing::info!(part, release, "partition given up");
}

/// Scores one partition's messages in order until told to stop or the lease is lost.
async fn work(
    state: AppState,
    stream: stream::Stream,
    part: u32,
    mut stop: watch::Receiver<bool>,
    lost: mpsc::Sender<u32>,
) {
    let service = state.fraud.service.clone();
    // A message a dead owner held comes back after this long; it must outlast a slow write.
    let ack_wait = Duration::from_secs(u64::from(state.config.fraud.lease_seconds.max(2)) * 3);
    let consumer: Result<jetstream::consumer::Consumer<pull::Config>, _> = stream
        .get_or_create_consumer(
            &durable(part),
            pull::Config {
                durable_name: Some(durable(part)),
                filter_subject: subject(part),
                ack_wait,
                // One batch in flight per partition: a batch a dead owner held comes back
                // before any later one, so a person's signals are scored in the order sent.
                max_ack_pending: 1,
                ..Default::default()
            },
        )
        .await;
    let mut messages = match consumer {
        Ok(c) => match c.messages().await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(part, error = %e, "partition consumer");
                let _ = lost.send(part).await;
                return;
            }
        },
        Err(e) => {
            tracing::error!(part, error = %e, "partition consumer");
            let _ = lost.send(part).await;
            return;
        }
    };
    loop {
        let next = tokio::select! {
            _ = stop.changed() => break,
            next = messages.next() => next,
        };
        let message = match next {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                tracing::warn!(part, error = %e, "partition stream");
                continue;
            }
            None => break,
        };
        let envelope: Envelope = match serde_json::from_slice(&message.payload) {
            Ok(e) => e,
            Err(e) => {
                // Never readable, so never scoreable: acknowledged, or it would come back forever.
                tracing::error!(part, error = %e, "unreadable partition message dropped");
                let _ = message.ack().await;
                continue;
            }
        };
        let actor = Actor { name: envelope.actor.clone(), unit_id: None };
        let items: Vec<Incoming> = envelope
            .signals
            .into_iter()
            .map(|s| Incoming { id: s.id, phone: s.phone, at: s.at, kind: s.kind })
            .collect();
        // A failed write is tried again here, never handed back: a batch returned to the
        // stream would let the next one overtake it.
        loop {
            match service.score_here(&state.db, &actor, &envelope.channel, items.clone(), false).await {
                Ok(_) => {
                    if let Err(e) = message.ack().await {
                        tracing::warn!(part, error = %e, "acknowledging a partition batch");
                    }
                    break;
                }
                Err(e) => {
                    if !holds(&state, part).await {
                        // Not acknowledged: the partition's next owner gets it first.
                        let _ = lost.send(part).await;
                        return;
                    }
                    tracing::warn!(part, error = %e.detail_en, "scoring a partition batch; trying again");
                    let _ = message.ack_with(jetstream::AckKind::Progress).await;
                    tokio::select! {
                        _ = stop.changed() => return,
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
            }
        }
    }
}

/// Whether this process still holds partition `part`'s lease and its people.
async fn holds(state: &AppState, part: u32) -> bool {
    let service = &state.fraud.service;
    let now = now_ms();
    service.owned().contains(&part)
        && state.db.fraud_leases().await.is_ok_and(|leases| {
            leases.iter().any(|l| l.part == part && l.owner.as_deref() == Some(service.owner()) && l.expires_at > now)
        })
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PartitionsDto {
    /// 0: one process scores every signal.
    pub partitions: u32,
    /// This process's name on the leases.
    pub this_process: String,
    /// Processes that have reported within a lease.
    pub live: Vec<String>,
    pub leases: Vec<LeaseDto>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LeaseDto {
    pub part: u32,
    pub owner: Option<String>,
    /// RFC 3339.
    pub expires_at: String,
    /// How many times it has been taken.
    pub taken: i64,
}

/// Who scores which partition now: for operators watching a scale-out.
pub async fn status(State(state): State<AppState>, _ctx: Ctx) -> ApiResult<axum::Json<PartitionsDto>> {
    let lease_ms = i64::from(state.config.fraud.lease_seconds.max(2)) * 1000;
    let service = &state.fraud.service;
    Ok(axum::Json(PartitionsDto {
        partitions: service.partitions(),
        this_process: service.owner().to_string(),
        live: state.db.fraud_scorers_live(now_ms() - lease_ms).await?,
        leases: state
            .db
            .fraud_leases()
            .await?
            .into_iter()
            .map(|l| LeaseDto {
                part: l.part,
                owner: l.owner,
                expires_at: ningan_core::time::rfc3339_ms(l.expires_at),
                taken: l.taken,
            })
            .collect(),
    }))
}
