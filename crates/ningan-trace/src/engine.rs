//! The engine: validates batches of observations, makes each accepted batch durable in the
//! log before acknowledging it, keeps the index, drops days past retention, and answers
//! queries. Single writer; the application wraps it in a lock.

use std::path::Path;

use crate::index::Index;
use crate::model::{MAX_DWELL, PersonId, Presence, SpaceId, SpaceKind, Time};
use crate::query::{self, CloseContact, CommonSource, ExposureWindow, SecondaryContact};
use crate::rules::{CompanionRule, ExposureRule};
use crate::wal::Wal;

const REC_SPACES: u8 = 1;
const REC_PRESENCES: u8 = 2;
/// Scans of a venue code arrive up to this far ahead of the server's clock.
const CLOCK_SKEW: Time = 300;
/// Pending presences per day partition before they are merged into its sorted run.
const SEAL_THRESHOLD: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("trace log: {0}")]
    Io(#[from] std::io::Error),
    #[error("trace log record {0} is malformed")]
    Malformed(usize),
}

/// One observation as it arrives: a scan without an exit time takes the default dwell of
/// the space's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub person: PersonId,
    pub space: SpaceId,
    pub start: Time,
    pub end: Option<Time>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Position in the batch.
    pub index: usize,
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngestReport {
    pub accepted: usize,
    pub rejected: Vec<Rejection>,
}

pub struct Engine {
    index: Index,
    wal: Wal,
    retention_days: u32,
    /// Bytes of torn tail cut when the log was opened.
    pub recovered_cut_bytes: u64,
}

impl Engine {
    /// Opens (or creates) the engine's files in `dir` and replays the log, keeping only what
    /// retention still allows at `now`.
    pub fn open(dir: &Path, retention_days: u32, now: Time) -> Result<Engine, EngineError> {
        std::fs::create_dir_all(dir)?;
        let (wal, recovered) = Wal::open(&dir.join("presences.log"))?;
        let mut index = Index::new();
        for (i, (kind, payload)) in recovered.records.iter().enumerate() {
            match *kind {
                REC_SPACES if payload.len() % 5 == 0 => {
                    for c in payload.chunks_exact(5) {
                        let kind = SpaceKind::from_code(c[4]).ok_or(EngineError::Malformed(i))?;
                        index.define_space(u32::from_le_bytes([c[0], c[1], c[2], c[3]]), kind);
                    }
                }
                REC_PRESENCES if payload.len() % 16 == 0 => {
                    for c in payload.chunks_exact(16) {
                        let word = |k: usize| u32::from_le_bytes([c[k], c[k + 1], c[k + 2], c[k + 3]]);
                        index.insert(Presence { space: word(0), start: word(4), end: word(8), person: word(12) });
                    }
                }
                _ => return Err(EngineError::Malformed(i)),
            }
        }
        let mut engine = Engine { index, wal, retention_days, recovered_cut_bytes: recovered.cut_bytes };
        engine.apply_retention(now);
        engine.index.seal();
        Ok(engine)
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Registers spaces (or changes their kind); durable before it returns.
    pub fn define_spaces(&mut self, spaces: &[(SpaceId, SpaceKind)]) -> Result<(), EngineError> {
        let mut payload = Vec::with_capacity(spaces.len() * 5);
        for (s, k) in spaces {
            payload.extend_from_slice(&s.to_le_bytes());
            payload.push(k.code());
        }
        self.wal.append(REC_SPACES, &payload)?;
        for (s, k) in spaces {
            self.index.define_space(*s, *k);
        }
        Ok(())
    }

    fn retention_start(&self, now: Time) -> Time {
        now.saturating_sub(self.retention_days.saturating_mul(86_400))
    }

    fn check(&self, o: &Observation, now: Time) -> Result<Presence, &'static str> {
        let kind = self.index.kind(o.space).ok_or("unknown space")?;
        let end = o.end.unwrap_or_else(|| o.start.saturating_add(kind.default_dwell()));
        if end < o.start {
            return Err("end before start");
        }
        if end - o.start > MAX_DWELL {
            return Err("stay longer than 24 hours");
        }
        if o.start > now.saturating_add(CLOCK_SKEW) {
            return Err("start in the future");
        }
        if end < self.retention_start(now) {
            return Err("older than the retention period");
        }
        Ok(Presence { space: o.space, start: o.start, end, person: o.person })
    }

    /// Validates a batch, logs the accepted presences durably, then indexes them. Refused
    /// observations are reported with their position and reason; the rest are kept.
    pub fn ingest(&mut self, batch: &[Observation], now: Time) -> Result<IngestReport, EngineError> {
        let mut report = IngestReport::default();
        let mut accepted = Vec::with_capacity(batch.len());
        for (i, o) in batch.iter().enumerate() {
            match self.check(o, now) {
                Ok(p) => accepted.push(p),
                Err(reason) => report.rejected.push(Rejection { index: i, reason }),
            }
        }
        if !accepted.is_empty() {
            let mut payload = Vec::with_capacity(accepted.len() * 16);
            for p in &accepted {
                for w in [p.space, p.start, p.end, p.person] {
                    payload.extend_from_slice(&w.to_le_bytes());
                }
            }
            self.wal.append(REC_PRESENCES, &payload)?;
        }
        report.accepted = accepted.len();
        for p in accepted {
            self.index.insert(p);
        }
        self.index.seal_large(SEAL_THRESHOLD);
        Ok(report)
    }

    /// Merges pending presences into the sorted runs (after a bulk load, say).
    pub fn seal(&mut self) {
        self.index.seal();
    }

    /// Drops whole days that ended before the retention period; returns presences dropped.
    pub fn apply_retention(&mut self, now: Time) -> usize {
        // A day partition holds stays that start that day and may run into the next.
        let first_kept_day = self.retention_start(now).saturating_sub(MAX_DWELL) / 86_400;
        self.index.drop_days_before(first_kept_day)
    }

    pub fn exposure_windows(&self, rule: &ExposureRule, case: PersonId, from: Time, to: Time) -> Vec<ExposureWindow> {
        query::exposure_windows(&self.index, rule, case, from, to)
    }

    pub fn close_contacts(&self, rule: &ExposureRule, case: PersonId, from: Time, to: Time) -> Vec<CloseContact> {
        query::close_contacts(&self.index, rule, case, from, to)
    }

    pub fn secondary_contacts(
        &self,
        rule: &ExposureRule,
        case: PersonId,
        close: &[CloseContact],
        to: Time,
    ) -> Vec<SecondaryContact> {
        query::secondary_contacts(&self.index, rule, case, close, to)
    }

    pub fn companions(&self, rule: &CompanionRule, case: PersonId, from: Time, to: Time) -> Vec<CloseContact> {
        query::companions(&self.index, rule, case, from, to)
    }

    pub fn common_sources(&self, cases: &[PersonId], from: Time, to: Time, m: usize) -> Vec<CommonSource> {
        query::common_sources(&self.index, cases, from, to, m)
    }
}
