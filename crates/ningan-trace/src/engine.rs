//! The engine: validates batches of observations, makes each accepted batch durable in the
//! log before acknowledging it, keeps the index, drops days past retention, and answers
//! queries. Single writer; the application wraps it in a lock.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::grid::{CellGrid, is_cell};
use crate::index::Index;
use crate::model::{MAX_DWELL, PersonId, Presence, SpaceId, SpaceKind, Time};
use crate::query::{self, CloseContact, ClusterTrace, CommonSource, ExposureWindow, SecondaryContact};
use crate::rules::{CompanionRule, ExposureRule};
use crate::secondary;
use crate::segment::{Manifest, read_segment, read_spaces, sync_dir, write_segments, write_spaces};
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
    #[error("space id {0} is in the range of cell-grid cells (from 2^31); venues take smaller ids")]
    CellId(SpaceId),
    #[error("another process has the tracing engine in {0} open")]
    Locked(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("reading the import file: {0}")]
    Read(#[from] crate::io::IoError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// One observation as it arrives: a scan without an exit time, or with an exit equal to its
/// entry (which records no stay), takes the default dwell of the space's kind.
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
    /// New presences kept.
    pub accepted: usize,
    /// Observations that repeat a presence already held (or an earlier one of the same
    /// batch): the same person, space, start and end. Kept once; resending is harmless.
    pub duplicates: usize,
    pub rejected: Vec<Rejection>,
}

/// Working memory kept per buffer between secondary-contact questions (a dozen buffers): enough
/// for the per-person answer at a mass venue (under 15 MB each for 400,000 people), not for an
/// uncapped answer's gigabytes.
const KEEP_SCRATCH: usize = 32 << 20;

pub struct Engine {
    dir: PathBuf,
    /// Generation of the log being appended to; checkpoints start a new one.
    generation: u64,
    index: Index,
    wal: Wal,
    retention_days: u32,
    /// Bytes of torn tail cut when the logs were opened.
    pub recovered_cut_bytes: u64,
    /// The segment file holding each day as of the last checkpoint.
    segments: BTreeMap<u32, String>,
    spaces_file: Option<String>,
    /// Days and spaces changed since the last checkpoint: only these are written again.
    dirty_days: BTreeSet<u32>,
    spaces_dirty: bool,
    grid: CellGrid,
    /// Working memory of the per-person secondary answer, kept for the next question.
    scratch: std::sync::Mutex<secondary::Scratch>,
    /// Held while open: two writers on one log would corrupt it.
    _lock: std::fs::File,
}

fn log_name(generation: u64) -> String {
    format!("log-{generation}.wal")
}

/// Generations of the log files in `dir`, ascending.
fn log_generations(dir: &Path) -> Result<Vec<u64>, EngineError> {
    let mut gens = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        if let Some(g) = name
            .to_str()
            .and_then(|n| n.strip_prefix("log-"))
            .and_then(|n| n.strip_suffix(".wal"))
            .and_then(|n| n.parse().ok())
        {
            gens.push(g);
        }
    }
    gens.sort_unstable();
    Ok(gens)
}

/// What a consistent copy of an engine's directory holds, as read now: the manifest's bytes
/// (to copy as they are) and the names of the files it needs beside them — the segments and
/// spaces file the manifest names, and every log from the generation it covers up to. A
/// running engine may checkpoint meanwhile and delete some of them: a copy that finds one
/// gone takes a new snapshot and starts again. Records acknowledged before the snapshot are
/// in these files (logs are synced before a batch is acknowledged; a torn tail copied from a
/// log being written is cut when the copy is opened).
pub fn snapshot_files(dir: &Path) -> Result<(Option<Vec<u8>>, Vec<String>), EngineError> {
    let path = dir.join("MANIFEST");
    let bytes = match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let manifest = match &bytes {
        Some(b) => Manifest::parse(&path, b.clone())?,
        None => Manifest::default(),
    };
    let mut files: Vec<String> = manifest.segments.clone();
    files.extend(manifest.spaces.clone());
    files.extend(log_generations(dir)?.into_iter().filter(|g| *g >= manifest.covers_below).map(log_name));
    Ok((bytes, files))
}

/// What replaying a log changed: the days it added to and whether it defined spaces.
#[derive(Default)]
struct Replayed {
    days: BTreeSet<u32>,
    spaces: bool,
}

fn replay(index: &mut Index, records: &[(u8, Vec<u8>)], changed: &mut Replayed) -> Result<(), EngineError> {
    for (i, (kind, payload)) in records.iter().enumerate() {
        match *kind {
            REC_SPACES if payload.len() % 5 == 0 => {
                for c in payload.chunks_exact(5) {
                    let kind = SpaceKind::from_code(c[4]).ok_or(EngineError::Malformed(i))?;
                    index.define_space(u32::from_le_bytes([c[0], c[1], c[2], c[3]]), kind);
                }
                changed.spaces = true;
            }
            REC_PRESENCES if payload.len() % 16 == 0 => {
                for c in payload.chunks_exact(16) {
                    let word = |k: usize| u32::from_le_bytes([c[k], c[k + 1], c[k + 2], c[k + 3]]);
                    let p = Presence { space: word(0), start: word(4), end: word(8), person: word(12) };
                    changed.days.insert(p.day());
                    index.insert(p);
                }
            }
            _ => return Err(EngineError::Malformed(i)),
        }
    }
    Ok(())
}

impl Engine {
    /// Opens (or creates) the engine's files in `dir`: the last checkpoint's segments, then
    /// every log written since, keeping only what retention still allows at `now`. Files a
    /// crashed checkpoint left behind are removed.
    pub fn open(dir: &Path, retention_days: u32, now: Time) -> Result<Engine, EngineError> {
        std::fs::create_dir_all(dir)?;
        let lock = std::fs::File::options().create(true).truncate(false).write(true).open(dir.join("LOCK"))?;
        lock.try_lock().map_err(|_| EngineError::Locked(dir.to_path_buf()))?;
        let manifest = Manifest::read(dir)?.unwrap_or_default();
        let mut index = Index::new();
        if let Some(spaces) = &manifest.spaces {
            for (s, k) in read_spaces(&dir.join(spaces))? {
                index.define_space(s, k);
            }
        }
        let mut segments = BTreeMap::new();
        for name in &manifest.segments {
            let presences = read_segment(&dir.join(name))?;
            if let Some(first) = presences.first() {
                segments.insert(first.day(), name.clone());
                index.load_day(first.day(), presences);
            }
        }
        let mut changed = Replayed::default();
        let mut cut = 0;
        let logs: Vec<u64> = log_generations(dir)?.into_iter().filter(|g| *g >= manifest.covers_below).collect();
        let generation = logs.last().copied().unwrap_or(manifest.covers_below);
        let mut active = None;
        for g in &logs {
            let (wal, recovered) = Wal::open(&dir.join(log_name(*g)))?;
            cut += recovered.cut_bytes;
            replay(&mut index, &recovered.records, &mut changed)?;
            active = Some(wal);
        }
        let wal = match active {
            Some(w) => w,
            None => {
                let (w, _) = Wal::open(&dir.join(log_name(generation)))?;
                sync_dir(dir)?;
                w
            }
        };
        let mut engine = Engine {
            dir: dir.to_path_buf(),
            generation,
            index,
            wal,
            retention_days,
            recovered_cut_bytes: cut,
            segments,
            spaces_file: manifest.spaces.clone(),
            dirty_days: changed.days,
            spaces_dirty: changed.spaces,
            grid: CellGrid::default(),
            scratch: Default::default(),
            _lock: lock,
        };
        engine.remove_stale_files(&manifest)?;
        engine.apply_retention(now);
        engine.index.seal();
        Ok(engine)
    }

    /// Deletes logs the manifest covers and files no manifest names (a crashed checkpoint's).
    fn remove_stale_files(&self, manifest: &Manifest) -> Result<(), EngineError> {
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale_log = name
                .strip_prefix("log-")
                .and_then(|n| n.strip_suffix(".wal"))
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|g| g < manifest.covers_below);
            let unnamed = (name.starts_with("seg-") || name.starts_with("spaces-"))
                && !manifest.segments.contains(&name)
                && manifest.spaces.as_deref() != Some(name.as_str());
            if stale_log || unnamed || name.ends_with(".tmp") {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }

    /// Folds what changed since the last checkpoint into immutable day segments and starts
    /// a new log; unchanged days keep their files, days dropped by retention lose theirs.
    /// Writes continue in the new log from the first step, and until the manifest names the
    /// new files the old ones stay valid, so a crash at any point recovers.
    pub fn checkpoint(&mut self) -> Result<(), EngineError> {
        let next = self.generation + 1;
        let (wal, _) = Wal::open(&self.dir.join(log_name(next)))?;
        sync_dir(&self.dir)?;
        self.wal = wal;
        self.generation = next;
        self.index.seal();
        let mut segments = BTreeMap::new();
        let mut to_write = Vec::new();
        for (day, presences) in self.index.sealed_days() {
            if presences.is_empty() {
                continue;
            }
            let name = match self.segments.get(&day) {
                Some(name) if !self.dirty_days.contains(&day) => name.clone(),
                _ => {
                    let name = format!("seg-{day}-{next}.bin");
                    to_write.push((name.clone(), presences));
                    name
                }
            };
            segments.insert(day, name);
        }
        write_segments(&self.dir, &to_write)?;
        let spaces_file = match &self.spaces_file {
            Some(name) if !self.spaces_dirty => name.clone(),
            _ => {
                let mut spaces: Vec<(SpaceId, SpaceKind)> = self.index.spaces().collect();
                spaces.sort_unstable();
                let name = format!("spaces-{next}.bin");
                write_spaces(&self.dir, &name, &spaces)?;
                name
            }
        };
        let manifest = Manifest {
            covers_below: next,
            spaces: Some(spaces_file.clone()),
            segments: segments.values().cloned().collect(),
        };
        manifest.write(&self.dir)?;
        self.segments = segments;
        self.spaces_file = Some(spaces_file);
        self.dirty_days.clear();
        self.spaces_dirty = false;
        self.remove_stale_files(&manifest)
    }

    /// Presences held in the log since the last checkpoint: what a restart would replay, and
    /// what tells the application a checkpoint is due.
    pub fn unfolded_days(&self) -> usize {
        self.dirty_days.len()
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The grid that cell-stay observations' space ids come from (resolution 8 unless set).
    pub fn cell_grid(&self) -> CellGrid {
        self.grid
    }

    pub fn set_cell_grid(&mut self, grid: CellGrid) {
        self.grid = grid;
    }

    /// Registers venues (or changes their kind); durable before it returns. Cells of the
    /// grid need no registration.
    pub fn define_spaces(&mut self, spaces: &[(SpaceId, SpaceKind)]) -> Result<(), EngineError> {
        if let Some((s, _)) = spaces.iter().find(|(s, _)| is_cell(*s)) {
            return Err(EngineError::CellId(*s));
        }
        let mut payload = Vec::with_capacity(spaces.len() * 5);
        for (s, k) in spaces {
            payload.extend_from_slice(&s.to_le_bytes());
            payload.push(k.code());
        }
        self.wal.append(REC_SPACES, &payload)?;
        for (s, k) in spaces {
            self.index.define_space(*s, *k);
        }
        self.spaces_dirty = true;
        Ok(())
    }

    fn retention_start(&self, now: Time) -> Time {
        now.saturating_sub(self.retention_days.saturating_mul(86_400))
    }

    fn check(&self, o: &Observation, now: Time) -> Result<Presence, &'static str> {
        if is_cell(o.space) && self.grid.cell(o.space).is_none() {
            return Err("not a cell of the grid");
        }
        let kind = self.index.kind(o.space).ok_or("unknown space")?;
        let end = match o.end {
            Some(end) if end != o.start => end,
            _ => o.start.saturating_add(kind.default_dwell()),
        };
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
        self.advance_clock(now);
        let (valid, mut report) = self.validate(batch, now);
        let accepted = self.new_only(valid);
        report.duplicates = batch.len() - report.rejected.len() - accepted.len();
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
        self.insert_all(accepted, true);
        self.index.seal_large(SEAL_THRESHOLD);
        Ok(report)
    }

    /// The presences not held yet, each once.
    pub fn new_only(&self, presences: Vec<Presence>) -> Vec<Presence> {
        let mut seen = std::collections::HashSet::with_capacity(presences.len());
        presences.into_iter().filter(|p| !self.index.contains(p) && seen.insert(*p)).collect()
    }

    /// Makes `now` the engine's clock for queries: what ended before retention's start is
    /// no longer seen (the days holding it are dropped later, whole). Ingests, opening and
    /// retention advance it too; it never moves back.
    pub fn advance_clock(&mut self, now: Time) {
        self.index.set_horizon(self.retention_start(now));
    }

    fn insert_all(&mut self, presences: Vec<Presence>, streamed: bool) {
        // Batches mostly run day by day: one lookup per run of the same day.
        for run in presences.chunk_by(|a, b| a.day() == b.day()) {
            self.dirty_days.insert(run[0].day());
            self.index.extend_day(run, streamed);
        }
    }

    /// The presences a batch would give (missing ends filled in) and the refusals, without
    /// logging or indexing anything: for a process that forwards batches to others.
    pub fn validate(&self, batch: &[Observation], now: Time) -> (Vec<Presence>, IngestReport) {
        let mut report = IngestReport::default();
        let mut accepted = Vec::with_capacity(batch.len());
        for (i, o) in batch.iter().enumerate() {
            match self.check(o, now) {
                Ok(p) => accepted.push(p),
                Err(reason) => report.rejected.push(Rejection { index: i, reason }),
            }
        }
        (accepted, report)
    }

    /// Imports a Parquet file of presences (schema in [`crate::io`]) as one bulk load,
    /// reading and validating its row groups on all cores. Rows whose values do not fit are
    /// reported as rejections with their row number, like refused observations.
    pub fn import_parquet(&mut self, path: &Path, now: Time) -> Result<IngestReport, ImportError> {
        let groups = crate::io::parquet_row_groups(path)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(groups.len().max(1));
        // Contiguous shares of row groups, each with the row it starts at.
        let per = groups.len().div_ceil(threads).max(1);
        let shares: Vec<(Vec<usize>, usize)> = (0..groups.len())
            .collect::<Vec<_>>()
            .chunks(per)
            .map(|ids| (ids.to_vec(), groups[..ids[0]].iter().sum()))
            .collect();
        let this = &*self;
        let results = std::thread::scope(|s| {
            let handles: Vec<_> = shares
                .into_iter()
                .map(|(ids, first_row)| {
                    s.spawn(move || -> Result<(Vec<Presence>, Vec<Rejection>), ImportError> {
                        let (mut kept, mut rejected, mut unreadable) = (Vec::new(), Vec::new(), Vec::new());
                        crate::io::read_parquet_groups(
                            path,
                            Some(ids),
                            first_row,
                            |batch, rows| {
                                for (o, &row) in batch.iter().zip(rows) {
                                    match this.check(o, now) {
                                        Ok(p) => kept.push(p),
                                        Err(reason) => rejected.push(Rejection { index: row - 1, reason }),
                                    }
                                }
                            },
                            |bad| unreadable.push(bad.line - 1),
                        )?;
                        let reason = "a value does not fit 32 bits";
                        rejected.extend(unreadable.into_iter().map(|index| Rejection { index, reason }));
                        Ok((kept, rejected))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect::<Vec<_>>()
        });
        let mut report = IngestReport::default();
        let mut held = Vec::new();
        for r in results {
            let (kept, rejected) = r?;
            report.accepted += kept.len();
            report.rejected.extend(rejected);
            held.push(kept);
        }
        report.rejected.sort_by_key(|r| r.index);
        self.advance_clock(now);
        for kept in held {
            self.insert_all(kept, false);
        }
        let repeats = self.index.repeats_dropped();
        self.checkpoint()?;
        report.duplicates = self.index.repeats_dropped() - repeats;
        report.accepted -= report.duplicates;
        Ok(report)
    }

    /// A bulk load in one batch; see [`Engine::begin_import`].
    pub fn import(&mut self, batch: &[Observation], now: Time) -> Result<IngestReport, EngineError> {
        let mut import = self.begin_import(now);
        import.add(batch);
        import.commit()
    }

    /// A bulk load (an import file), batch by batch: validated like [`Engine::ingest`], held
    /// aside, and on [`Import::commit`] indexed and made durable by one checkpoint, which
    /// writes each touched day once instead of logging and syncing batch by batch. Nothing is
    /// visible or acknowledged before the commit returns: an import dropped before then leaves
    /// the engine as it was. After a failed commit, reopen the engine.
    pub fn begin_import(&mut self, now: Time) -> Import<'_> {
        Import { engine: self, now, held: Vec::new(), report: IngestReport::default(), seen: 0 }
    }

    /// Loads presences already checked by [`Engine::validate`] (perhaps while others used
    /// the engine) in one bulk load made durable by a checkpoint, as [`Import::commit`]
    /// does. Returns (new presences kept, repeats of what was held or of each other).
    pub fn import_validated(&mut self, presences: Vec<Presence>, now: Time) -> Result<(usize, usize), EngineError> {
        self.advance_clock(now);
        let repeats = self.index.repeats_dropped();
        let given = presences.len();
        self.insert_all(presences, false);
        self.checkpoint()?;
        let duplicates = self.index.repeats_dropped() - repeats;
        Ok((given - duplicates, duplicates))
    }

    /// Merges pending presences into the sorted runs (after a bulk load, say).
    pub fn seal(&mut self) {
        self.index.seal();
    }

    /// Drops whole days that ended before the retention period; returns presences dropped.
    pub fn apply_retention(&mut self, now: Time) -> usize {
        self.advance_clock(now);
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
        self.with_scratch(|scratch| query::secondary_contacts(&self.index, rule, case, close, to, scratch))
    }

    /// `secondary::secondary_by_person`: one row per person with the number of links, windows of
    /// more than `cap` presences left out as crowded.
    pub fn secondary_by_person(
        &self,
        rule: &ExposureRule,
        case: PersonId,
        close: &[CloseContact],
        to: Time,
        cap: usize,
    ) -> secondary::SecondaryAnswer {
        self.with_scratch(|scratch| secondary::secondary_by_person(&self.index, rule, case, close, to, cap, scratch))
    }

    /// `f` with the working memory kept from the last question, or fresh memory while another
    /// question holds it. What an uncapped question needed beyond [`KEEP_SCRATCH`] per buffer
    /// is then handed back.
    fn with_scratch<T>(&self, f: impl FnOnce(&mut secondary::Scratch) -> T) -> T {
        let mut scratch = match self.scratch.try_lock() {
            Ok(scratch) => scratch,
            // A question that panicked left only memory behind: every question clears what
            // it uses before using it.
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return f(&mut Default::default()),
        };
        let answer = f(&mut scratch);
        scratch.trim(KEEP_SCRATCH);
        answer
    }

    pub fn companions(&self, rule: &CompanionRule, case: PersonId, from: Time, to: Time) -> Vec<CloseContact> {
        query::companions(&self.index, rule, case, from, to)
    }

    pub fn trace_cluster(&self, rule: &ExposureRule, cases: &[(PersonId, Time, Time)], m: usize) -> ClusterTrace {
        query::trace_cluster(&self.index, rule, cases, m)
    }

    pub fn common_sources(&self, cases: &[PersonId], from: Time, to: Time, m: usize) -> Vec<CommonSource> {
        query::common_sources(&self.index, cases, from, to, m)
    }
}

/// A bulk load in progress: see [`Engine::begin_import`].
pub struct Import<'e> {
    engine: &'e mut Engine,
    now: Time,
    held: Vec<Presence>,
    report: IngestReport,
    /// Observations added so far: rejections count positions across all batches.
    seen: usize,
}

impl Import<'_> {
    pub fn add(&mut self, batch: &[Observation]) {
        for (i, o) in batch.iter().enumerate() {
            match self.engine.check(o, self.now) {
                Ok(p) => self.held.push(p),
                Err(reason) => self.report.rejected.push(Rejection { index: self.seen + i, reason }),
            }
        }
        self.seen += batch.len();
    }

    /// Presences accepted so far.
    pub fn accepted(&self) -> usize {
        self.held.len()
    }

    pub fn commit(self) -> Result<IngestReport, EngineError> {
        let Import { engine, held, mut report, now, .. } = self;
        (report.accepted, report.duplicates) = engine.import_validated(held, now)?;
        Ok(report)
    }
}
