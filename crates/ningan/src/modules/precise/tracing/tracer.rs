//! The tracing engine inside the server. The engine knows people only by pseudonymous
//! numbers (here the resident's record id) and venues by their record id; this service keeps
//! the venue codes people scan, runs the engine's blocking work off the async threads, and
//! folds the log into segments in the background.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use ningan_trace::{
    CellGrid, CloseContact, CompanionRule, Engine, EngineError, ExposureRule, ExposureWindow, IngestReport,
    Observation, SecondaryContact, SpaceId, SpaceKind, Time,
};

/// Venue kinds a station may register, with their Chinese names.
pub const VENUE_KINDS: &[(&str, &str)] = &[
    ("restaurant", "餐饮"),
    ("market", "农贸市场"),
    ("shop", "商超门店"),
    ("office", "办公场所"),
    ("school", "学校"),
    ("hospital", "医疗机构"),
    ("transport", "交通场站"),
    ("gate", "小区门岗"),
];

pub fn venue_kind(name: &str) -> Option<SpaceKind> {
    VENUE_KINDS.iter().any(|(k, _)| *k == name).then(|| ningan_trace::io::kind_from_name(name)).flatten()
}

pub fn venue_kind_zh(name: &str) -> &'static str {
    VENUE_KINDS.iter().find(|(k, _)| *k == name).map_or("其他", |(_, zh)| zh)
}

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Import(#[from] ningan_trace::io::IoError),
    #[error("record id {0} is outside the tracing engine's 32-bit range")]
    IdRange(i64),
    #[error("tracing worker stopped: {0}")]
    Worker(String),
}

/// A case's tracing under one rule.
#[derive(Debug, Clone)]
pub struct Investigation {
    pub rule: ExposureRule,
    /// The edition's key (`ExposureRule::EDITIONS`), as asked for.
    pub key: String,
    pub from: Time,
    pub to: Time,
    pub windows: Vec<ExposureWindow>,
    pub close: Vec<CloseContact>,
    pub secondary: Vec<SecondaryContact>,
    /// For each secondary contact, how many close contacts link them.
    pub links: Vec<u32>,
    /// Close contacts' windows too crowded to trace person by person (mass venues): published
    /// as exposure places.
    pub crowded: Vec<ningan_trace::CrowdedWindow>,
    /// Cell-stay companions (时空伴随) under [`CompanionRule::standard`], from its own
    /// look-back before onset; filled in by the cell-stay capability.
    pub companions: Vec<CloseContact>,
}

/// Presences of others above which a close contact's window is a crowded place (a mass
/// venue), by default.
pub const CROWD_CAP: u32 = 500;

pub struct Tracer {
    engine: RwLock<Engine>,
    /// See [`CROWD_CAP`].
    crowd_cap: usize,
    /// Venue code → venue id, for scans.
    codes: RwLock<HashMap<String, SpaceId>>,
}

/// Seconds since the epoch, now.
pub fn now_s() -> Time {
    (ningan_core::time::now_ms() / 1000).clamp(0, i64::from(Time::MAX)) as Time
}

/// A record id as the engine's 32-bit id.
pub fn engine_id(id: i64) -> Result<u32, TraceError> {
    u32::try_from(id).ok().filter(|v| *v < ningan_trace::grid::CELL_BIT).ok_or(TraceError::IdRange(id))
}

/// A resident's engine person: the record id, below the range visitors and pseudonyms take.
pub fn resident_person(id: i64) -> Result<u32, TraceError> {
    engine_id(id).ok().filter(|p| *p < super::visitors::VISITOR_BASE).ok_or(TraceError::IdRange(id))
}

impl Tracer {
    pub fn open(dir: &Path, retention_days: u32, cell_resolution: u8) -> Result<Tracer, TraceError> {
        let mut engine = Engine::open(dir, retention_days, now_s())?;
        // The configuration is validated at load; a bad resolution falls back to the default.
        engine.set_cell_grid(CellGrid::new(cell_resolution).unwrap_or_default());
        Ok(Tracer { engine: RwLock::new(engine), codes: RwLock::default(), crowd_cap: CROWD_CAP as usize })
    }

    /// The same tracer with another crowd cap (`trace.crowd_cap`).
    pub fn with_crowd_cap(mut self, cap: u32) -> Tracer {
        self.crowd_cap = usize::try_from(cap).unwrap_or(usize::MAX).max(1);
        self
    }

    /// Registers venues with the engine (those it lacks or knows by another kind) and
    /// their codes for scanning.
    pub fn sync_venues(&self, venues: &[(i64, String, String)]) -> Result<(), TraceError> {
        let mut missing = Vec::new();
        {
            let engine = self.engine.read().map_err(|e| TraceError::Worker(e.to_string()))?;
            let mut codes = self.codes.write().map_err(|e| TraceError::Worker(e.to_string()))?;
            for (id, kind, code) in venues {
                let Some(kind) = venue_kind(kind) else { continue };
                let space = engine_id(*id).and_then(|s| {
                    // Gates take the ids above; a venue id there would mix their passes.
                    (s < crate::modules::precise::control::registry::GATE_SPACE_BASE)
                        .then_some(s)
                        .ok_or(TraceError::IdRange(*id))
                })?;
                codes.insert(code.clone(), space);
                if engine.index().kind(space) != Some(kind) {
                    missing.push((space, kind));
                }
            }
        }
        if !missing.is_empty() {
            self.engine.write().map_err(|e| TraceError::Worker(e.to_string()))?.define_spaces(&missing)?;
        }
        Ok(())
    }

    /// Defines spaces the engine lacks or knows by another kind (gates, say).
    pub fn ensure_spaces(&self, spaces: &[(SpaceId, SpaceKind)]) -> Result<(), TraceError> {
        let missing: Vec<(SpaceId, SpaceKind)> = {
            let engine = self.engine.read().map_err(|e| TraceError::Worker(e.to_string()))?;
            spaces.iter().filter(|(s, k)| engine.index().kind(*s) != Some(*k)).copied().collect()
        };
        if !missing.is_empty() {
            self.engine.write().map_err(|e| TraceError::Worker(e.to_string()))?.define_spaces(&missing)?;
        }
        Ok(())
    }

    pub fn venue_by_code(&self, code: &str) -> Option<SpaceId> {
        self.codes.read().ok()?.get(code).copied()
    }

    /// Runs `f` with the engine to itself (bulk imports); blocking.
    pub fn exclusive<T>(&self, f: impl FnOnce(&mut Engine) -> Result<T, TraceError>) -> Result<T, TraceError> {
        let mut engine = self.engine.write().map_err(|e| TraceError::Worker(e.to_string()))?;
        f(&mut engine)
    }

    /// Checks a batch by the engine's rules without keeping it: the new presences (missing
    /// ends filled in, repeats of what is held left out) and the report of what was refused
    /// and repeated.
    pub fn validate(&self, batch: &[Observation]) -> Result<(Vec<Observation>, IngestReport), TraceError> {
        let engine = self.engine.read().map_err(|e| TraceError::Worker(e.to_string()))?;
        let (valid, mut report) = engine.validate(batch, now_s());
        let given = valid.len();
        let kept: Vec<Observation> = engine
            .new_only(valid)
            .into_iter()
            .map(|p| Observation { person: p.person, space: p.space, start: p.start, end: Some(p.end) })
            .collect();
        report.duplicates = given - kept.len();
        report.accepted = kept.len();
        Ok((kept, report))
    }

    /// Checks a bulk load's batch by the engine's rules (a read: others go on using the
    /// engine meanwhile): the presences and the refusals by position.
    pub fn check(
        &self,
        batch: &[Observation],
    ) -> Result<(Vec<ningan_trace::Presence>, Vec<ningan_trace::Rejection>), TraceError> {
        let engine = self.engine.read().map_err(|e| TraceError::Worker(e.to_string()))?;
        let (kept, report) = engine.validate(batch, now_s());
        Ok((kept, report.rejected))
    }

    /// Loads checked presences in one durable bulk load: (new ones kept, repeats).
    pub fn bulk_commit(&self, presences: Vec<ningan_trace::Presence>) -> Result<(usize, usize), TraceError> {
        let mut engine = self.engine.write().map_err(|e| TraceError::Worker(e.to_string()))?;
        let started = std::time::Instant::now();
        let (accepted, duplicates) = engine.import_validated(presences, now_s())?;
        crate::http::events::count("ningan_trace_checkpoints_total", &[]);
        crate::http::events::add("ningan_trace_checkpoint_seconds_total", &[], started.elapsed().as_secs_f64());
        crate::http::events::add("ningan_checkins_total", &[("outcome", "accepted")], accepted as f64);
        crate::http::events::add("ningan_checkins_total", &[("outcome", "duplicate")], duplicates as f64);
        Ok((accepted, duplicates))
    }

    /// Whether the engine knows a space.
    pub fn knows(&self, space: SpaceId) -> bool {
        self.engine.read().map(|e| e.index().kind(space).is_some()).unwrap_or(false)
    }

    /// Logs a batch durably and indexes it; blocking (one fsync).
    pub fn ingest(&self, batch: &[Observation]) -> Result<IngestReport, TraceError> {
        let mut engine = self.engine.write().map_err(|e| TraceError::Worker(e.to_string()))?;
        let report = engine.ingest(batch, now_s())?;
        crate::http::events::add("ningan_checkins_total", &[("outcome", "accepted")], report.accepted as f64);
        crate::http::events::add("ningan_checkins_total", &[("outcome", "refused")], report.rejected.len() as f64);
        crate::http::events::add("ningan_checkins_total", &[("outcome", "duplicate")], report.duplicates as f64);
        Ok(report)
    }

    /// The engine for a question asked now: its clock moved to now first, so nothing past
    /// retention is seen even before the housekeeping drops its days.
    fn at_now(&self) -> Result<std::sync::RwLockReadGuard<'_, Engine>, TraceError> {
        self.engine.write().map_err(|e| TraceError::Worker(e.to_string()))?.advance_clock(now_s());
        self.engine.read().map_err(|e| TraceError::Worker(e.to_string()))
    }

    /// Heap bytes of the engine's index, for `/metrics`.
    pub fn memory_bytes(&self) -> usize {
        self.engine.read().map(|e| e.index().heap_bytes()).unwrap_or(0)
    }

    /// Presences the engine holds, for `/metrics`.
    pub fn presences(&self) -> usize {
        self.engine.read().map(|e| e.index().len()).unwrap_or(0)
    }

    /// Close and secondary contacts and exposure places of `person` from the rule's
    /// look-back before `onset` to `to`.
    pub fn investigate(
        &self,
        person: u32,
        onset: Time,
        to: Time,
        rule: ExposureRule,
    ) -> Result<Investigation, TraceError> {
        let rule = venues_only(rule);
        let from = onset.saturating_sub(rule.lookback);
        let to = to.max(from);
        let started = std::time::Instant::now();
        let engine = self.at_now()?;
        let windows = engine.exposure_windows(&rule, person, from, to);
        let close = engine.close_contacts(&rule, person, from, to);
        let answer = engine.secondary_by_person(&rule, person, &close, to, self.crowd_cap);
        let links = answer.people.iter().map(|p| p.links).collect();
        let secondary =
            answer.people.into_iter().map(|p| SecondaryContact { contact: p.contact, via: p.via }).collect();
        crate::http::events::count("ningan_trace_investigations_total", &[]);
        crate::http::events::add("ningan_trace_investigation_seconds_total", &[], started.elapsed().as_secs_f64());
        Ok(Investigation {
            rule,
            key: "ninth".into(),
            from,
            to,
            windows,
            close,
            secondary,
            links,
            crowded: answer.crowded,
            companions: Vec::new(),
        })
    }

    /// The space id of the cell holding a point, at the engine's grid.
    pub fn cell_space(&self, lat: f64, lng: f64) -> Result<SpaceId, ningan_trace::grid::GridError> {
        let grid = self.engine.read().map(|e| e.cell_grid()).unwrap_or_default();
        grid.space_at(lat, lng)
    }

    /// The centre of a cell space (latitude, longitude).
    pub fn cell_center(&self, space: SpaceId) -> Option<(f64, f64)> {
        self.engine.read().ok()?.cell_grid().center(space)
    }

    /// Companions (时空伴随) under `rule` of one person known by several engine ids (a
    /// resident and the pseudonyms their number had before it was registered), in `[from,
    /// to]`: one entry per other person, their shares summed, most shared first.
    pub fn companions(
        &self,
        rule: &CompanionRule,
        persons: &[u32],
        from: Time,
        to: Time,
    ) -> Result<Vec<CloseContact>, TraceError> {
        let engine = self.at_now()?;
        let mut merged: HashMap<u32, CloseContact> = HashMap::new();
        for &p in persons {
            for c in engine.companions(rule, p, from, to) {
                if persons.contains(&c.person) {
                    continue;
                }
                match merged.get_mut(&c.person) {
                    None => {
                        merged.insert(c.person, c);
                    }
                    Some(m) => {
                        m.total_overlap += c.total_overlap;
                        m.shared_visits += c.shared_visits;
                        m.first_exposure = m.first_exposure.min(c.first_exposure);
                        m.last_exposure = m.last_exposure.max(c.last_exposure);
                        m.score += c.score;
                        m.spaces.extend(c.spaces);
                        m.spaces.sort_unstable();
                        m.spaces.dedup();
                    }
                }
            }
        }
        let mut out: Vec<CloseContact> = merged.into_values().collect();
        out.sort_by(|a, b| b.total_overlap.cmp(&a.total_overlap).then(a.person.cmp(&b.person)));
        Ok(out)
    }

    /// Who shared a place with `person` in `[from, to]` under the 9th-edition rule: the
    /// co-presence an investigation asks of its suspects.
    pub fn met(&self, person: u32, from: Time, to: Time) -> Result<Vec<ningan_trace::CloseContact>, TraceError> {
        let engine = self.at_now()?;
        Ok(engine.close_contacts(&venues_only(ExposureRule::ninth_edition()), person, from, to))
    }

    /// Spaces and times where at least `m` of `people` were present together in
    /// `[from, to]`, most people first.
    pub fn common_sources(
        &self,
        people: &[u32],
        from: Time,
        to: Time,
        m: usize,
    ) -> Result<Vec<ningan_trace::CommonSource>, TraceError> {
        let engine = self.at_now()?;
        Ok(engine.common_sources(people, from, to, m))
    }

    /// Folds the log into day segments if anything is unfolded: a stopping server's last
    /// write, so the next start replays no log. Whether it folded anything.
    pub fn checkpoint_now(&self) -> Result<bool, TraceError> {
        let mut engine = self.engine.write().map_err(|e| TraceError::Worker(e.to_string()))?;
        if engine.unfolded_days() == 0 {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        engine.checkpoint()?;
        crate::http::events::count("ningan_trace_checkpoints_total", &[]);
        crate::http::events::add("ningan_trace_checkpoint_seconds_total", &[], started.elapsed().as_secs_f64());
        Ok(true)
    }

    /// Folds the log into day segments when anything changed and drops days past
    /// retention; run by the housekeeping loop.
    pub fn housekeep(&self) -> Result<(), TraceError> {
        let mut engine = self.engine.write().map_err(|e| TraceError::Worker(e.to_string()))?;
        engine.apply_retention(now_s());
        if engine.unfolded_days() > 0 {
            let started = std::time::Instant::now();
            engine.checkpoint()?;
            crate::http::events::count("ningan_trace_checkpoints_total", &[]);
            crate::http::events::add("ningan_trace_checkpoint_seconds_total", &[], started.elapsed().as_secs_f64());
        }
        Ok(())
    }
}

/// `rule` for close contacts: a cell (some 900 m across) is where companions meet, not a
/// shared place, so cell stays count only under the companion rule.
pub fn venues_only(mut rule: ExposureRule) -> ExposureRule {
    rule.kind_weights.insert(SpaceKind::Cell, 0.0);
    rule
}

/// Runs blocking engine work on tokio's blocking pool.
pub async fn blocking<T: Send + 'static>(
    tracer: &Arc<Tracer>,
    f: impl FnOnce(&Tracer) -> Result<T, TraceError> + Send + 'static,
) -> Result<T, TraceError> {
    let t = tracer.clone();
    tokio::task::spawn_blocking(move || f(&t)).await.map_err(|e| TraceError::Worker(e.to_string()))?
}
