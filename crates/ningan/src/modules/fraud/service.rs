//! The scoring engine inside the server: one engine per process behind a lock, fed by every
//! ingest path (HTTP batches, the NATS consumer, `ningan import signals`, citizens' reports).
//!
//! Invariant: the engine's windows are a function of the signal log. A batch is logged and
//! scored in one database transaction while the ingest lock is held, so scoring order is
//! commit order; if the transaction fails the engine is marked stale and rebuilt from the
//! log (watchlist, then the signals of the last horizon replayed with the facts they were
//! scored on) before the next signal. A restart rebuilds the same way, so a victim journey
//! half-way through survives it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use ningan_core::time::now_ms;
use ningan_fraud::{
    AccountVia, DEFAULT_RULES, Engine, EntryKind, Fact, Level, Listing, NormalizeError, RuleError, RuleSet, Signal,
    SignalKind, Warning, Watchlist,
};
use ningan_store::{Actor, Db, NewSignal, NewTask, NewWatchEntry, OrgUnit, Scope, StoreError, UnitKind};

use super::wire::Incoming;
use crate::http::error::ApiError;

/// Minutes an officer has, by level: high means seeing the person (见面劝阻), medium a call
/// within 30 minutes; low is answered by an automated notice at once.
pub fn deadline_minutes(level: Level) -> i64 {
    match level {
        Level::High => 60,
        Level::Medium => 30,
        Level::Low => 0,
    }
}

/// The automated notice of a low warning: no link, nothing about the person.
pub fn sms_text(typology: &str) -> String {
    format!(
        "【宁波反诈】温馨提示：近期“{typology}”类诈骗高发。凡是要求您下载陌生软件、向陌生账户转账的都是诈骗。如有疑问请拨打96110或110。"
    )
}

/// The most signals one backtest scores: a week of the demo is a few thousand, a busy city
/// could log far more than a request should wait for.
pub const BACKTEST_MAX_SIGNALS: usize = 5_000_000;
/// How many of the people the two sets judge differently a backtest lists.
pub const BACKTEST_SAMPLE: usize = 20;

/// A backtest's comparison with what the live rules actually raised.
#[derive(Debug, Clone)]
pub struct Backtested {
    pub report: ningan_fraud::BacktestReport,
    /// Warnings actually raised in the period, by level name.
    pub raised: Vec<(String, i64)>,
    pub since_ms: i64,
    /// The period held more than [`BACKTEST_MAX_SIGNALS`]; only the first were scored.
    pub truncated: bool,
}

#[derive(Debug, Clone, Default)]
pub struct IngestSummary {
    pub accepted: usize,
    /// Handed to the stream's partitions for the processes that own them to score (scale-out).
    pub queued: usize,
    pub duplicates: usize,
    /// (task id, level) of each warning raised.
    pub warnings: Vec<(i64, Level)>,
}

/// A caller's batch waiting to be written with the next group.
struct Queued {
    actor: Actor,
    channel: String,
    items: std::sync::Arc<[Prepared]>,
    historical: bool,
    reply: tokio::sync::oneshot::Sender<Result<IngestSummary, ApiError>>,
}

/// A signal keyed, looked up and serialised for the log by its own caller before it
/// queues, so the single writer only writes and scores.
struct Prepared {
    phone: String,
    signal: Signal,
    fact: Fact,
    row: NewSignal,
}

/// Answers every batch of a group with its own summary, or all with the group's error.
fn answer_group(group: Vec<Queued>, outcome: Result<Vec<IngestSummary>, ApiError>) {
    match outcome {
        Ok(summaries) => {
            for (q, summary) in group.into_iter().zip(summaries) {
                crate::http::events::add(
                    "ningan_fraud_signals_total",
                    &[("outcome", "scored")],
                    summary.accepted as f64,
                );
                crate::http::events::add(
                    "ningan_fraud_signals_total",
                    &[("outcome", "duplicate")],
                    summary.duplicates as f64,
                );
                for (_, level) in &summary.warnings {
                    crate::http::events::count("ningan_fraud_warnings_total", &[("level", level.as_str())]);
                }
                // A caller that gave up no longer listens; its batch is committed all the same.
                let _ = q.reply.send(Ok(summary));
            }
        }
        Err(e) => {
            for q in group {
                let _ = q.reply.send(Err(e.clone()));
            }
        }
    }
}

pub struct FraudService {
    engine: Mutex<Engine>,
    /// Keys the pseudonymous person ids: without it a person id cannot be tied to a number.
    key_secret: std::sync::OnceLock<[u8; 32]>,
    ingest: tokio::sync::Mutex<()>,
    /// Batches waiting for the ingest lock; see [`FraudService::ingest_at`].
    queue: Mutex<Vec<Queued>>,
    loaded: AtomicBool,
    rules_path: PathBuf,
    centre: tokio::sync::OnceCell<OrgUnit>,
    /// Phones revealed on task pages, so a refused form does not hide them again.
    pub reveals: crate::http::reveal::RevealWindow,
    /// Scale-out: the stream's partitions (0: this process scores everyone), this process's
    /// name on the leases, the partitions whose people its engine holds, and where it
    /// publishes signals for their owners to score.
    partitions: u32,
    owner: String,
    owned: Mutex<std::collections::BTreeSet<u32>>,
    publisher: std::sync::OnceLock<super::partitions::Publisher>,
}

/// The partition of the stream a person's signals go to: a person's window lives in one
/// process only.
pub fn partition_of(person_key: i64, partitions: u32) -> u32 {
    (person_key.unsigned_abs() % u64::from(partitions.max(1))) as u32
}

fn poisoned() -> ApiError {
    ApiError::internal("fraud engine lock poisoned")
}

impl FraudService {
    /// Rules from `rules_file` when given, else the set saved by the last replacement under
    /// the data directory, else the shipped set.
    pub fn open(data_dir: &std::path::Path, rules_file: Option<&std::path::Path>) -> Result<FraudService, RuleError> {
        let rules_path = data_dir.join("fraud-rules.toml");
        let source = match rules_file {
            Some(p) => std::fs::read_to_string(p)
                .map_err(|e| RuleError { line: 0, message: format!("{}: {e}", p.display()) })?,
            None => std::fs::read_to_string(&rules_path).unwrap_or_else(|_| DEFAULT_RULES.to_string()),
        };
        let rules = RuleSet::from_toml(&source)?;
        Ok(FraudService::build(rules, rules_path))
    }

    fn build(rules: RuleSet, rules_path: PathBuf) -> FraudService {
        FraudService {
            engine: Mutex::new(Engine::new(rules, Watchlist::default())),
            key_secret: std::sync::OnceLock::new(),
            ingest: tokio::sync::Mutex::new(()),
            queue: Mutex::new(Vec::new()),
            loaded: AtomicBool::new(false),
            rules_path,
            centre: tokio::sync::OnceCell::new(),
            reveals: Default::default(),
            partitions: 0,
            owner: String::new(),
            owned: Mutex::new(Default::default()),
            publisher: std::sync::OnceLock::new(),
        }
    }

    /// Cuts the signal stream into `partitions` by person (see [`super::partitions`]). Set
    /// before the engine is first loaded.
    pub fn partitioned(mut self, partitions: u32) -> FraudService {
        if partitions == 0 {
            return self;
        }
        self.partitions = partitions;
        self.owner = format!("{}-{}", std::process::id(), hex::encode(rand::random::<[u8; 4]>()));
        self
    }

    pub fn partitions(&self) -> u32 {
        self.partitions
    }

    /// This process's name on the partition leases.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub(crate) fn set_publisher(&self, publisher: super::partitions::Publisher) {
        let _ = self.publisher.set(publisher);
    }

    /// The partitions whose people this process's engine holds now.
    pub fn owned(&self) -> Vec<u32> {
        self.owned.lock().map(|o| o.iter().copied().collect()).unwrap_or_default()
    }

    pub fn rules(&self) -> Result<RuleSet, ApiError> {
        Ok(self.engine.lock().map_err(|_| poisoned())?.rules().clone())
    }

    pub fn rules_source(&self) -> String {
        std::fs::read_to_string(&self.rules_path).unwrap_or_else(|_| DEFAULT_RULES.to_string())
    }

    /// The unit that owns warnings about people no station knows: the city bureau.
    async fn centre(&self, db: &Db) -> Result<&OrgUnit, ApiError> {
        self.centre
            .get_or_try_init(|| async {
                let units = db.units_in_scope(&Scope::everything()).await?;
                units.into_iter().find(|u| u.kind == UnitKind::City).ok_or(StoreError::NotFound)
            })
            .await
            .map_err(ApiError::from)
    }

    /// Loads the watchlist and replays the signal log the first time, and after a failed batch.
    pub async fn ensure_loaded(&self, db: &Db) -> Result<(), ApiError> {
        if self.loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        let _g = self.ingest.lock().await;
        self.rebuild_locked(db).await
    }

    async fn rebuild_locked(&self, db: &Db) -> Result<(), ApiError> {
        if self.loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        self.load_secret(db).await?;
        let entries = db.watchlist_all().await?;
        let rules = self.rules()?;
        // Everything that can still count: windows, scores, warnings, and the payees and
        // listed calls the behavioural rules remember.
        let horizon = rules.state_horizon();
        let since = now_ms() - horizon * 1000;
        let mut engine = Engine::new(rules, watchlist_of(&entries)).with_payee_key(self.payee_key()?);
        let mut replayed = 0usize;
        if self.partitions == 0 {
            let mut after = 0i64;
            loop {
                let page = db.fraud_replay_page(since, after, 50_000).await?;
                let Some(last) = page.last() else { break };
                after = last.0;
                replayed += replay(&mut engine, &page);
            }
        } else {
            engine = engine.with_shared_inflows();
            for part in self.owned() {
                replayed += self.replay_partition(db, &mut engine, since, part).await?;
            }
        }
        *self.engine.lock().map_err(|_| poisoned())? = engine;
        self.loaded.store(true, Ordering::Release);
        tracing::info!(watchlist = entries.len(), replayed, "fraud engine loaded");
        Ok(())
    }

    /// Replays the log of one partition's people into `engine`.
    async fn replay_partition(&self, db: &Db, engine: &mut Engine, since: i64, part: u32) -> Result<usize, ApiError> {
        self.replay_partition_into(db, since, part, |page| Ok(replay(engine, page))).await
    }

    /// Pages through the log of partition `part`'s people since `since`, handing each page
    /// to `apply`, which answers how many signals it applied.
    async fn replay_partition_into(
        &self,
        db: &Db,
        since: i64,
        part: u32,
        mut apply: impl FnMut(&[(i64, String, i64, i64, String)]) -> Result<usize, ApiError>,
    ) -> Result<usize, ApiError> {
        let (mut replayed, mut after) = (0usize, 0i64);
        loop {
            let page = db.fraud_replay_partition_page(since, after, 50_000, self.partitions, part).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            replayed += apply(&page)?;
        }
        Ok(replayed)
    }

    /// Takes the people of partition `part` into this process's engine, from the log: called
    /// once its lease is held and before any of its signals is scored here.
    pub async fn acquire(&self, db: &Db, part: u32) -> Result<usize, ApiError> {
        let _g = self.ingest.lock().await;
        let fresh = self.owned.lock().map_err(|_| poisoned())?.insert(part);
        if !self.loaded.load(Ordering::Acquire) {
            self.rebuild_locked(db).await?;
            return Ok(0);
        }
        if !fresh {
            return Ok(0);
        }
        let since = now_ms() - self.rules()?.state_horizon() * 1000;
        // The live engine, a page at a time: nothing else scores while the ingest lock is
        // held, and the engine's own lock is not held across the database's awaits.
        self.replay_partition_into(db, since, part, |page| {
            Ok(replay(&mut *self.engine.lock().map_err(|_| poisoned())?, page))
        })
        .await
    }

    /// Drops the people of partition `part` from this process's engine: another process
    /// owns them now (or will).
    pub async fn release(&self, part: u32) -> Result<(), ApiError> {
        let _g = self.ingest.lock().await;
        self.owned.lock().map_err(|_| poisoned())?.remove(&part);
        let partitions = self.partitions;
        self.engine
            .lock()
            .map_err(|_| poisoned())?
            .retain_persons(|person| partition_of(person as i64, partitions) != part);
        Ok(())
    }

    /// Loads the watchlist again from the database (another process changed it).
    pub async fn reload_watchlist(&self, db: &Db) -> Result<usize, ApiError> {
        let entries = db.watchlist_all().await?;
        *self.engine.lock().map_err(|_| poisoned())?.watchlist_mut() = watchlist_of(&entries);
        Ok(entries.len())
    }

    /// Logs, scores and routes a batch of checked signals in one transaction.
    pub async fn ingest(
        &self,
        db: &Db,
        actor: &Actor,
        channel: &str,
        items: Vec<Incoming>,
    ) -> Result<IngestSummary, ApiError> {
        self.ingest_at(db, actor, channel, items, false).await
    }

    /// [`Self::ingest`], with warnings dated at their signal's time instead of now: for
    /// loading history (the demo city's past week), never for live traffic.
    ///
    /// Batches arriving while another group is being written wait in a queue, and whoever
    /// takes the ingest lock next writes every waiting batch in one transaction (group
    /// commit): under concurrent senders one commit serves them all, and a batch is answered
    /// only after the commit that holds it.
    pub async fn ingest_at(
        &self,
        db: &Db,
        actor: &Actor,
        channel: &str,
        items: Vec<Incoming>,
        historical: bool,
    ) -> Result<IngestSummary, ApiError> {
        if self.partitions > 0 && !historical {
            return self.publish(db, actor, channel, items).await;
        }
        self.score_here(db, actor, channel, items, historical).await
    }

    /// Hands the signals to the stream's partitions: the process that owns a person's
    /// partition scores them (scale-out).
    async fn publish(
        &self,
        db: &Db,
        actor: &Actor,
        channel: &str,
        items: Vec<Incoming>,
    ) -> Result<IngestSummary, ApiError> {
        self.load_secret(db).await?;
        let publisher = self.publisher.get().ok_or_else(|| {
            ApiError::new(
                crate::http::error::ErrorCode::Unavailable,
                "信号流尚未连接，请稍后重试",
                "the signal stream is not connected yet; retry shortly",
            )
        })?;
        let mut keyed = Vec::with_capacity(items.len());
        for item in items {
            keyed.push((partition_of(self.person_key(&item.phone)?, self.partitions), item));
        }
        let queued = publisher.publish(&actor.name, channel, keyed).await?;
        Ok(IngestSummary { queued, ..Default::default() })
    }

    /// Logs and scores in this process (see [`Self::ingest_at`]): every signal when the stream
    /// is not partitioned, and a partition's signals in the process that owns it.
    pub(super) async fn score_here(
        &self,
        db: &Db,
        actor: &Actor,
        channel: &str,
        items: Vec<Incoming>,
        historical: bool,
    ) -> Result<IngestSummary, ApiError> {
        self.ensure_loaded(db).await?;
        let centre = self.centre(db).await?.clone();
        let items: std::sync::Arc<[Prepared]> = self.prepare(channel, items)?.into();
        loop {
            let (reply, answer) = tokio::sync::oneshot::channel();
            let queued =
                Queued { actor: actor.clone(), channel: channel.to_string(), items: items.clone(), historical, reply };
            self.queue.lock().map_err(|_| poisoned())?.push(queued);
            {
                let _g = self.ingest.lock().await;
                let group = std::mem::take(&mut *self.queue.lock().map_err(|_| poisoned())?);
                if !group.is_empty() {
                    let outcome = self.write_group(db, &centre, &group).await;
                    answer_group(group, outcome);
                }
            }
            match answer.await {
                Ok(outcome) => return outcome,
                // The request writing our group went away before answering it (its client
                // hung up mid-write): the transaction was dropped, so queue again. Should its
                // commit have landed regardless, the retry finds every id logged and reports
                // them as repeats, as any retried batch.
                Err(_) => continue,
            }
        }
    }

    /// Keys each signal, asks the watchlist for its fact and serialises its log row. A fact
    /// is the watchlist's answer when the signal arrived; the log keeps it, so a rebuild
    /// scores the signal the same way.
    fn prepare(&self, channel: &str, items: Vec<Incoming>) -> Result<Vec<Prepared>, ApiError> {
        let mut signals = Vec::with_capacity(items.len());
        for item in items {
            let signal = Signal {
                id: item.id.into(),
                person: self.person_key(&item.phone)? as u64,
                at: item.at,
                kind: item.kind,
            };
            signals.push((item.phone, signal));
        }
        let facts: Vec<_> = {
            let engine = self.engine.lock().map_err(|_| poisoned())?;
            signals.iter().map(|(_, signal)| engine.fact(signal)).collect()
        };
        let mut prepared = Vec::with_capacity(signals.len());
        for ((phone, signal), (fact, listed)) in signals.into_iter().zip(facts) {
            let row = NewSignal {
                signal_id: signal.id.to_string(),
                person_key: signal.person as i64,
                at: signal.at,
                kind: signal.kind.tag().as_str().to_string(),
                body: serde_json::to_string(&signal.kind).map_err(ApiError::internal)?,
                fact: serde_json::to_string(&fact).map_err(ApiError::internal)?,
                listed: listed.map(|(k, v, _)| format!("{}:{v}", k.as_str())),
                channel: channel.to_string(),
            };
            prepared.push(Prepared { phone, signal, fact, row });
        }
        Ok(prepared)
    }

    /// Logs, scores and routes the queued batches in one transaction, in queue order.
    async fn write_group(&self, db: &Db, centre: &OrgUnit, group: &[Queued]) -> Result<Vec<IngestSummary>, ApiError> {
        if !self.loaded.load(Ordering::Acquire) {
            self.rebuild_locked(db).await?;
        }
        // Until the commit succeeds the engine may hold signals the log does not.
        self.loaded.store(false, Ordering::Release);
        let mut summaries = vec![IngestSummary::default(); group.len()];
        let mut seen = std::collections::HashSet::new();
        // (batch, signal): each id once per group, the first batch to carry it owning it.
        let mut prepared: Vec<(usize, &Prepared)> = Vec::with_capacity(group.iter().map(|q| q.items.len()).sum());
        for (batch, q) in group.iter().enumerate() {
            for p in q.items.iter() {
                if seen.insert(&*p.signal.id) {
                    prepared.push((batch, p));
                } else {
                    summaries[batch].duplicates += 1;
                }
            }
        }
        let mut w = db.write().await?;
        if self.partitions > 0 {
            self.hold_leases(&mut w, prepared.iter().map(|(_, p)| p.signal.person)).await?;
        }
        let rows: Vec<&NewSignal> = prepared.iter().map(|(_, p)| &p.row).collect();
        let fresh = w.fraud_signals_log(&rows).await?;
        drop(rows);
        let mut facts: Vec<Fact> = prepared.iter().map(|(_, p)| p.fact).collect();
        if self.partitions > 0 {
            self.count_inflows(&mut w, &prepared, &mut facts, &fresh).await?;
        }
        let mut logged: Vec<Vec<&str>> = vec![Vec::new(); group.len()];
        let mut warned = Vec::new();
        {
            let mut engine = self.engine.lock().map_err(|_| poisoned())?;
            for (&(batch, p), fact) in prepared.iter().zip(facts) {
                if !fresh.contains(&p.signal.id) {
                    summaries[batch].duplicates += 1;
                    continue;
                }
                summaries[batch].accepted += 1;
                logged[batch].push(&p.signal.id);
                let (_, warning) = engine.apply(p.signal.person, p.signal.at, &p.signal.id, fact);
                if let Some(warning) = warning {
                    warned.push((batch, p, warning));
                }
            }
        }
        let now = now_ms();
        let mut subjects: HashMap<&str, ningan_store::Subject> = HashMap::new();
        for (batch, p, warning) in warned {
            let subject = match subjects.get(p.phone.as_str()) {
                Some(s) => s.clone(),
                None => {
                    let s = w.fraud_subject(&p.phone, p.signal.person as i64, (centre.id, &centre.path)).await?;
                    subjects.insert(&p.phone, s.clone());
                    s
                }
            };
            let warned_at = if group[batch].historical { p.signal.at * 1000 } else { now };
            let task = w.fraud_task_open(&subject, &new_task(&warning, subject.id, warned_at)).await?;
            // A red warning raised by a transfer: the money may still be stopped at the bank.
            // Asked in this transaction, so the request exists exactly when the task does.
            if let Some(stop) = stop_request(task, &p.signal, warning.level, group[batch].historical) {
                w.fraud_stop_request(&stop).await?;
            }
            summaries[batch].warnings.push((task, warning.level));
        }
        // One entry per caller's batch, naming every signal it logged.
        for (batch, q) in group.iter().enumerate() {
            let s = &summaries[batch];
            let detail = format!(
                "{} signals via {}: {} new, {} repeated, {} warnings; logged: {}",
                s.accepted + s.duplicates,
                q.channel,
                s.accepted,
                s.duplicates,
                s.warnings.len(),
                logged[batch].join(" ")
            );
            w.audit(q.actor.audit("fraud.signals", "fraud_signal", "-", None, None, &detail)).await?;
        }
        w.commit().await?;
        self.loaded.store(true, Ordering::Release);
        Ok(summaries)
    }

    /// The fence of scale-out: this transaction writes only if this process still holds the
    /// lease of every partition it writes for, and holds them until it commits (see
    /// `ningan_store::fraud::partitions`). A partition whose people the engine does not hold
    /// is refused the same way.
    async fn hold_leases(
        &self,
        w: &mut ningan_store::Write,
        people: impl Iterator<Item = u64>,
    ) -> Result<(), ApiError> {
        let parts: std::collections::BTreeSet<u32> =
            people.map(|person| partition_of(person as i64, self.partitions)).collect();
        let now = now_ms();
        for part in parts {
            let loaded = self.owned.lock().map_err(|_| poisoned())?.contains(&part);
            if !loaded || !w.fraud_lease_hold(part, &self.owner, now).await? {
                return Err(ApiError::new(
                    crate::http::error::ErrorCode::Conflict,
                    format!("本进程已不持有分区{part}的租约"),
                    format!("this process no longer holds the lease of partition {part}"),
                ));
            }
        }
        Ok(())
    }

    /// Counts each new transfer into its account where every process meets (the database),
    /// puts the count in the fact the rules see, and logs the fact as seen, so that a replay
    /// in any process scores it alike.
    async fn count_inflows(
        &self,
        w: &mut ningan_store::Write,
        prepared: &[(usize, &Prepared)],
        facts: &mut [Fact],
        fresh: &ningan_store::Fresh,
    ) -> Result<(), ApiError> {
        if !self.engine.lock().map_err(|_| poisoned())?.rules().uses().inflows {
            return Ok(());
        }
        let counted: Vec<usize> = (0..prepared.len())
            .filter(|&i| {
                let p = prepared[i].1;
                facts[i].tag == ningan_fraud::SignalTag::Transfer && facts[i].payee != 0 && fresh.contains(&p.signal.id)
            })
            .collect();
        let payees: std::collections::BTreeSet<u64> = counted.iter().map(|&i| facts[i].payee).collect();
        for payee in payees {
            w.fraud_inflow_lock(payee).await?;
        }
        for i in counted {
            let p = prepared[i].1;
            facts[i].seen.payee_hourly =
                w.fraud_inflow_count(&p.signal.id, facts[i].payee, p.signal.at, ningan_fraud::INFLOW_WINDOW).await?;
            w.fraud_signal_fact_set(&p.signal.id, &serde_json::to_string(&facts[i]).map_err(ApiError::internal)?)
                .await?;
        }
        Ok(())
    }

    /// An engine with a given rule set and nothing loaded yet (the demo generator's).
    pub fn with_rules(rules: RuleSet) -> FraudService {
        FraudService::build(rules, PathBuf::from("fraud-rules.toml"))
    }

    async fn load_secret(&self, db: &Db) -> Result<(), ApiError> {
        if self.key_secret.get().is_some() {
            return Ok(());
        }
        const SETTING: &str = "fraud.person_key_secret";
        let hex_secret = match db.setting(SETTING).await? {
            Some(v) => v,
            None => {
                let mut w = db.write().await?;
                // Another process may have made one meanwhile: the stored one wins.
                let v = match db.setting(SETTING).await? {
                    Some(v) => v,
                    None => {
                        let fresh = hex::encode(rand::random::<[u8; 32]>());
                        w.setting_set(SETTING, &fresh).await?;
                        fresh
                    }
                };
                w.commit().await?;
                v
            }
        };
        let mut secret = [0u8; 32];
        hex::decode_to_slice(hex_secret.trim(), &mut secret).map_err(ApiError::internal)?;
        let _ = self.key_secret.set(secret);
        Ok(())
    }

    /// The key the engine hashes payee accounts with: derived from the person-key secret, so
    /// one secret guards both and the log's payee hashes stay comparable across restarts.
    fn payee_key(&self) -> Result<[u8; 16], ApiError> {
        use sha2::{Digest, Sha256};
        let secret = self.key_secret.get().ok_or_else(|| ApiError::internal("fraud engine not loaded"))?;
        let digest = Sha256::new().chain_update(b"payee\0").chain_update(secret).finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        Ok(key)
    }

    /// The pseudonymous id of the subscriber with this (E.164) number.
    pub fn person_key(&self, phone: &str) -> Result<i64, ApiError> {
        use sha2::{Digest, Sha256};
        let secret = self.key_secret.get().ok_or_else(|| ApiError::internal("fraud engine not loaded"))?;
        let digest = Sha256::new().chain_update(secret).chain_update(phone.as_bytes()).finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Ok((u64::from_le_bytes(first) >> 1) as i64)
    }

    /// The subject for a number, made if needed (a report or a case names a person before
    /// or without any warning).
    pub async fn subject(&self, db: &Db, phone: &str) -> Result<ningan_store::Subject, ApiError> {
        self.ensure_loaded(db).await?;
        let centre = self.centre(db).await?.clone();
        let key = self.person_key(phone)?;
        let mut w = db.write().await?;
        let s = w.fraud_subject(phone, key, (centre.id, &centre.path)).await?;
        w.commit().await?;
        Ok(s)
    }

    /// Whether an identifier a citizen typed is listed now.
    pub fn check(&self, kind: EntryKind, raw: &str) -> Result<Option<(String, Listing)>, ApiError> {
        let engine = self.engine.lock().map_err(|_| poisoned())?;
        let hit = engine
            .watchlist()
            .lookup(kind, raw, now_ms() / 1000)
            .map_err(|e: NormalizeError| ApiError::field_from("value", e))?;
        Ok(hit.map(|h| (h.value.to_string(), h.listing.clone())))
    }

    /// Adds listings to the running engine (the database already holds them).
    pub fn listed(&self, entries: &[NewWatchEntry]) -> Result<(), ApiError> {
        let mut engine = self.engine.lock().map_err(|_| poisoned())?;
        for e in entries {
            let Some(kind) = EntryKind::parse(&e.kind) else { continue };
            let listing = listing(&e.source, e.confidence, &e.typology, e.expires_at);
            engine.watchlist_mut().insert(kind, &e.value, listing).map_err(|err| ApiError::field_from("value", err))?;
        }
        Ok(())
    }

    pub fn unlisted(&self, kind: &str, value: &str) -> Result<(), ApiError> {
        if let Some(kind) = EntryKind::parse(kind) {
            self.engine.lock().map_err(|_| poisoned())?.watchlist_mut().remove(kind, value);
        }
        Ok(())
    }

    /// Validates and swaps the rule set while running; windows are kept. The text is saved
    /// under the data directory so a restart uses it.
    pub fn replace_rules(&self, source: &str) -> Result<RuleSet, RuleError> {
        let rules = RuleSet::from_toml(source)?;
        let tmp = self.rules_path.with_extension("toml.tmp");
        let save = std::fs::write(&tmp, source).and_then(|()| std::fs::rename(&tmp, &self.rules_path));
        if let Err(e) = save {
            return Err(RuleError {
                line: 0, message: format!("无法保存规则文件 / cannot save the rules: {e}")
            });
        }
        let mut engine =
            self.engine.lock().map_err(|_| RuleError { line: 0, message: "engine lock poisoned".into() })?;
        engine.replace_rules(rules.clone());
        Ok(rules)
    }

    /// Scores the signals logged over the last `days` again under `draft` and under the rules
    /// in force, from the same cold start, and compares the two with each other and with the
    /// cases that followed. Reads the log in pages; stops after [`BACKTEST_MAX_SIGNALS`].
    pub async fn backtest(&self, db: &Db, draft: RuleSet, days: i64) -> Result<Backtested, ApiError> {
        let now = now_ms();
        let since_ms = now - days * 86_400_000;
        let mut run = ningan_fraud::Backtest::new(draft, self.rules()?);
        let (mut after, mut read, mut truncated) = (0i64, 0usize, false);
        loop {
            let page = db.fraud_replay_page(since_ms, after, 50_000).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            // Scoring a page is a second or so of one core: off the runtime's threads, so
            // other requests are not kept waiting behind it.
            let (scored, n, full) = tokio::task::spawn_blocking(move || {
                let (mut n, mut full) = (read, false);
                for (_, signal_id, person_key, at, fact) in &page {
                    // Signals logged in the period but dated before it (a late import) are left out.
                    if *at * 1000 < since_ms {
                        continue;
                    }
                    let Ok(fact) = serde_json::from_str::<Fact>(fact) else { continue };
                    if n == BACKTEST_MAX_SIGNALS {
                        full = true;
                        break;
                    }
                    run.apply(*person_key as u64, *at, signal_id, fact);
                    n += 1;
                }
                (run, n, full)
            })
            .await
            .map_err(ApiError::internal)?;
            (run, read) = (scored, n);
            if full {
                truncated = true;
                break;
            }
        }
        let cases: Vec<(u64, i64)> =
            db.fraud_case_victims_since(since_ms).await?.into_iter().map(|(p, at)| (p as u64, at / 1000)).collect();
        let raised = db.fraud_warnings_by_level_since(since_ms).await?;
        Ok(Backtested { report: run.finish(&cases, BACKTEST_SAMPLE), raised, since_ms, truncated })
    }

    /// Forgets windows no rule can reach any more.
    pub fn expire(&self) {
        if let Ok(mut e) = self.engine.lock() {
            e.expire(now_ms() / 1000);
            e.watchlist_mut().expire(now_ms() / 1000);
        }
    }

    pub fn stats(&self) -> (usize, usize, usize) {
        self.engine.lock().map(|e| (e.persons(), e.events(), e.watchlist().len())).unwrap_or_default()
    }
}

/// The stop-payment request a warning calls for: a red one on a live transfer whose payee
/// account reads as an account. History loaded after the fact asks nothing of the bank.
fn stop_request(task: i64, signal: &Signal, level: Level, historical: bool) -> Option<ningan_store::NewStopPayment> {
    let SignalKind::Transfer { account, via, amount_fen } = &signal.kind else { return None };
    if level != Level::High || historical {
        return None;
    }
    let (account, via) = match via {
        AccountVia::Bank => (ningan_fraud::normalize::bank_account(account).ok()?, "bank"),
        AccountVia::Pay => (ningan_fraud::normalize::pay_account(account).ok()?, "pay"),
    };
    Some(ningan_store::NewStopPayment {
        task_id: task,
        signal_id: signal.id.to_string(),
        account,
        via: via.into(),
        amount_fen: *amount_fen,
    })
}

/// The engine's watchlist from the stored entries; an entry that no longer reads is skipped.
fn watchlist_of(entries: &[ningan_store::WatchEntry]) -> Watchlist {
    let mut watch = Watchlist::default();
    for e in entries {
        let Some(kind) = EntryKind::parse(&e.kind) else { continue };
        if let Err(err) = watch.insert(kind, &e.value, listing(&e.source, e.confidence, &e.typology, e.expires_at)) {
            tracing::warn!(id = e.id, error = %err, "watchlist entry skipped");
        }
    }
    watch
}

/// Applies logged signals (seq, id, person key, time, fact) to `engine`; answers how many.
fn replay(engine: &mut Engine, page: &[(i64, String, i64, i64, String)]) -> usize {
    let mut n = 0;
    for (_, signal_id, person_key, at, fact) in page {
        let Ok(fact) = serde_json::from_str::<Fact>(fact) else { continue };
        engine.apply(*person_key as u64, *at, signal_id, fact);
        n += 1;
    }
    n
}

/// A stored listing as the engine holds it (expiry in seconds).
fn listing(source: &str, confidence: i64, typology: &Option<String>, expires_at_ms: Option<i64>) -> Listing {
    Listing {
        source: source.to_string(),
        confidence: confidence.clamp(0, 100) as u8,
        typology: typology.clone(),
        expires_at: expires_at_ms.map(|ms| ms / 1000),
    }
}

fn new_task(w: &Warning, subject_id: i64, now: i64) -> NewTask {
    let minutes = deadline_minutes(w.level);
    let auto_outcome = (w.level == Level::Low).then(|| ("sms".to_string(), sms_text(&w.typology)));
    NewTask {
        subject_id,
        signal_id: w.signal.clone(),
        level: w.level.as_str().into(),
        score: i64::from(w.score),
        typology: w.typology.clone(),
        ruleset_version: w.ruleset_version.clone(),
        trace: serde_json::to_string(w).unwrap_or_default(),
        warned_at: now,
        deadline: now + minutes * 60_000,
        auto_outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_automated_notice_has_no_link_and_no_personal_data() {
        let t = sms_text("冒充客服");
        assert!(!t.contains("http") && !t.contains("www") && !t.contains('/'));
        assert!(t.contains("96110"));
    }
}
