//! Anti-fraud records (反诈): the watchlist as entered, subjects (the subscribers signals are
//! about, with the station that owns them), the signal log the engine's windows are rebuilt
//! from, and dissuasion tasks — one per warning, routed to the subject's station, worked to an
//! outcome, escalated when late, transferred with review.

use ningan_core::time::now_ms;
use sqlx::any::AnyRow;
use sqlx::{Executor, Row};

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope, StoreError};

/// Outcome codes that finish a task (the others, "not reached yet", keep it open). Codes and
/// labels: `ningan_core::labels::TASK_OUTCOME`.
pub fn outcome_finishes(code: &str) -> bool {
    code != "not_reached"
}

pub fn fraud_outcome_zh(code: &str) -> &'static str {
    ningan_core::labels::zh(ningan_core::labels::TASK_OUTCOME, code)
}

#[derive(Debug, Clone)]
pub struct WatchEntry {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub source: String,
    pub confidence: i64,
    pub typology: Option<String>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewWatchEntry {
    pub kind: String,
    pub value: String,
    pub source: String,
    pub confidence: i64,
    pub typology: Option<String>,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Subject {
    pub id: i64,
    pub phone: String,
    /// The engine's pseudonymous id of the person: a keyed hash of the number.
    pub person_key: i64,
    pub resident_id: Option<i64>,
    pub unit_id: i64,
    pub unit_path: String,
}

/// A signal as logged: `body` and `fact` are the engine's JSON forms.
#[derive(Debug, Clone)]
pub struct NewSignal {
    pub signal_id: String,
    pub person_key: i64,
    pub at: i64,
    pub kind: String,
    pub body: String,
    pub fact: String,
    pub listed: Option<String>,
    pub channel: String,
}

/// Which signals of a batch the log took as new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fresh {
    /// Every one: no id had been logged before (the usual case, told without listing them).
    All,
    /// Only these ids.
    Only(std::collections::HashSet<String>),
}

impl Fresh {
    pub fn contains(&self, signal_id: &str) -> bool {
        match self {
            Fresh::All => true,
            Fresh::Only(ids) => ids.contains(signal_id),
        }
    }
}

/// Between the values of a column sent to PostgreSQL as one text: the unit separator, which
/// no signal field holds (ids refuse control characters, JSON escapes them).
const SEPARATOR: char = '\u{1f}';
/// Stands for a NULL `listed` in that text: the record separator.
const NULL_MARK: char = '\u{1e}';

/// Rows per SQLite insert, largest first: a batch is cut into these so the statements come
/// in four shapes, each prepared once and cached.
const SQLITE_SHAPES: [usize; 4] = [128, 32, 8, 1];

#[derive(Debug, Clone)]
pub struct LoggedSignal {
    pub signal_id: String,
    pub person_key: i64,
    pub at: i64,
    pub kind: String,
    pub body: String,
    pub fact: String,
    pub listed: Option<String>,
    pub channel: String,
    pub received_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewTask {
    pub subject_id: i64,
    pub signal_id: String,
    pub level: String,
    pub score: i64,
    pub typology: String,
    pub ruleset_version: String,
    pub trace: String,
    pub warned_at: i64,
    pub deadline: i64,
    /// A low warning is answered by an automated notice and born finished.
    pub auto_outcome: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub id: i64,
    pub subject_id: i64,
    pub phone: String,
    pub resident_id: Option<i64>,
    pub resident_name: Option<String>,
    pub signal_id: String,
    pub level: String,
    pub score: i64,
    pub typology: String,
    pub ruleset_version: String,
    pub trace: String,
    pub warned_at: i64,
    pub deadline: i64,
    pub status: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub escalated_at: Option<i64>,
    pub outcome: Option<String>,
    pub outcome_note: String,
    pub attempts: i64,
    pub money_lost_fen: i64,
    pub amount_protected_fen: i64,
    pub watch_until: Option<i64>,
    pub officer: Option<String>,
    pub closed_at: Option<i64>,
    pub transfer_to_unit_id: Option<i64>,
    pub transfer_reason: Option<String>,
}

const TASK_COLUMNS: &str = "t.id, t.subject_id, s.phone, s.resident_id, r.name AS resident_name, t.signal_id, t.level, \
    t.score, t.typology, t.ruleset_version, t.trace, t.warned_at, t.deadline, t.status, t.unit_id, u.name AS unit_name, \
    t.escalated_at, t.outcome, t.outcome_note, t.attempts, t.money_lost_fen, t.amount_protected_fen, t.watch_until, \
    t.officer, t.closed_at, t.transfer_to_unit_id, t.transfer_reason";
const TASK_FROM: &str = "fraud_tasks t JOIN fraud_subjects s ON s.id = t.subject_id \
    LEFT JOIN residents r ON r.id = s.resident_id JOIN org_units u ON u.id = t.unit_id";

impl Task {
    fn from_row(r: &AnyRow) -> Result<Task> {
        Ok(Task {
            id: r.try_get("id")?,
            subject_id: r.try_get("subject_id")?,
            phone: r.try_get("phone")?,
            resident_id: r.try_get("resident_id")?,
            resident_name: r.try_get("resident_name")?,
            signal_id: r.try_get("signal_id")?,
            level: r.try_get("level")?,
            score: r.try_get("score")?,
            typology: r.try_get("typology")?,
            ruleset_version: r.try_get("ruleset_version")?,
            trace: r.try_get("trace")?,
            warned_at: r.try_get("warned_at")?,
            deadline: r.try_get("deadline")?,
            status: r.try_get("status")?,
            unit_id: r.try_get("unit_id")?,
            unit_name: r.try_get("unit_name")?,
            escalated_at: r.try_get("escalated_at")?,
            outcome: r.try_get("outcome")?,
            outcome_note: r.try_get("outcome_note")?,
            attempts: r.try_get("attempts")?,
            money_lost_fen: r.try_get("money_lost_fen")?,
            amount_protected_fen: r.try_get("amount_protected_fen")?,
            watch_until: r.try_get("watch_until")?,
            officer: r.try_get("officer")?,
            closed_at: r.try_get("closed_at")?,
            transfer_to_unit_id: r.try_get("transfer_to_unit_id")?,
            transfer_reason: r.try_get("transfer_reason")?,
        })
    }

    pub fn is_open(&self) -> bool {
        self.status != "done"
    }

    /// Finished after its deadline, or still open past it.
    pub fn late(&self, now: i64) -> bool {
        self.closed_at.unwrap_or(now) > self.deadline
    }
}

#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// open | done | transfer | overdue | escalated
    pub status: Option<String>,
    pub level: Option<String>,
    pub subject_id: Option<i64>,
    pub typology: Option<String>,
    /// A person's name in part, the last four or more digits of their number, or `#id`.
    pub text: Option<String>,
    pub sort: TaskSort,
}

/// The orders a list of dissuasion tasks can be read in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TaskSort {
    /// Open work first, nearest deadline first; finished work newest first.
    #[default]
    Urgent,
    Deadline,
    DeadlineLast,
    ScoreHigh,
    ScoreLow,
    Newest,
    Oldest,
}

impl TaskSort {
    /// From a list's `sort` parameter (`deadline`, `-deadline`, `score`, `-score`, `warned`,
    /// `-warned`); empty is the default order.
    pub fn parse(s: &str) -> Option<TaskSort> {
        Some(match s {
            "" => TaskSort::Urgent,
            "deadline" => TaskSort::Deadline,
            "-deadline" => TaskSort::DeadlineLast,
            // A score column is read highest first on the first click.
            "score" => TaskSort::ScoreHigh,
            "-score" => TaskSort::ScoreLow,
            "warned" => TaskSort::Newest,
            "-warned" => TaskSort::Oldest,
            _ => return None,
        })
    }

    fn order_by(self) -> &'static str {
        match self {
            TaskSort::Urgent => {
                "CASE WHEN t.status = 'done' THEN 1 ELSE 0 END, \
                 CASE WHEN t.status = 'done' THEN -t.warned_at ELSE t.deadline END, t.id DESC"
            }
            TaskSort::Deadline => "t.deadline ASC, t.id ASC",
            TaskSort::DeadlineLast => "t.deadline DESC, t.id DESC",
            TaskSort::ScoreHigh => "t.score DESC, t.id DESC",
            TaskSort::ScoreLow => "t.score ASC, t.id ASC",
            TaskSort::Newest => "t.warned_at DESC, t.id DESC",
            TaskSort::Oldest => "t.warned_at ASC, t.id ASC",
        }
    }
}

/// What an officer records on a task.
#[derive(Debug, Clone)]
pub struct TaskOutcome {
    pub outcome: String,
    pub note: String,
    pub money_lost_fen: i64,
    pub amount_protected_fen: i64,
    pub watch_until: Option<i64>,
}

impl WatchEntry {
    fn from_row(r: &AnyRow) -> Result<WatchEntry> {
        Ok(WatchEntry {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            value: r.try_get("value")?,
            source: r.try_get("source")?,
            confidence: r.try_get("confidence")?,
            typology: r.try_get("typology")?,
            expires_at: r.try_get("expires_at")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

impl Write {
    /// Lists or re-lists identifiers (already canonical); returns how many were new.
    pub async fn watchlist_upsert(&mut self, actor: &Actor, entries: &[NewWatchEntry]) -> Result<u64> {
        let now = now_ms();
        let mut added = 0;
        for e in entries {
            let existing: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM fraud_watchlist WHERE kind = $1 AND value = $2")
                    .bind(&e.kind)
                    .bind(&e.value)
                    .fetch_optional(self.conn())
                    .await?;
            if let Some((id,)) = existing {
                sqlx::query(
                    "UPDATE fraud_watchlist SET source = $1, confidence = $2, typology = $3, expires_at = $4 WHERE id = $5",
                )
                .bind(&e.source)
                .bind(e.confidence)
                .bind(&e.typology)
                .bind(e.expires_at)
                .bind(id)
                .execute(self.conn())
                .await?;
            } else {
                sqlx::query(
                    "INSERT INTO fraud_watchlist (kind, value, source, confidence, typology, expires_at, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&e.kind)
                .bind(&e.value)
                .bind(&e.source)
                .bind(e.confidence)
                .bind(&e.typology)
                .bind(e.expires_at)
                .bind(&actor.name)
                .bind(now)
                .execute(self.conn())
                .await?;
                added += 1;
            }
        }
        let detail = format!("{} entries, {added} new", entries.len());
        self.audit(actor.audit("fraud.watchlist", "fraud_watchlist", "-", None, None, &detail)).await?;
        Ok(added)
    }

    /// Takes an entry off the list; `reason` (may be empty from the API) goes to the audit.
    pub async fn watchlist_remove(&mut self, actor: &Actor, id: i64, reason: &str) -> Result<WatchEntry> {
        let row = sqlx::query(
            "SELECT id, kind, value, source, confidence, typology, expires_at, created_at FROM fraud_watchlist WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.conn())
        .await?
        .ok_or(StoreError::NotFound)?;
        let entry = WatchEntry::from_row(&row)?;
        sqlx::query("DELETE FROM fraud_watchlist WHERE id = $1").bind(id).execute(self.conn()).await?;
        let detail = format!("{}:{}", entry.kind, entry.value);
        let reason = Some(reason).filter(|r| !r.trim().is_empty());
        self.audit(actor.audit("fraud.watchlist.remove", "fraud_watchlist", id, None, reason, &detail)).await?;
        Ok(entry)
    }

    /// The subject for a subscriber's number, created on first sight and owned by the station
    /// of the resident with that number, or by `fallback` (the city's anti-fraud centre).
    pub async fn fraud_subject(&mut self, phone: &str, person_key: i64, fallback: (i64, &str)) -> Result<Subject> {
        let found = sqlx::query(&format!("SELECT {SUBJECT_COLUMNS} FROM fraud_subjects WHERE phone = $1"))
            .bind(phone)
            .fetch_optional(self.conn())
            .await?;
        if let Some(r) = found {
            return subject_from_row(&r);
        }
        // Residents hold 11-digit national numbers; subjects hold E.164.
        let national = phone.strip_prefix("+86").unwrap_or(phone);
        let resident: Option<(i64, i64, String)> =
            sqlx::query_as("SELECT id, unit_id, unit_path FROM residents WHERE phone = $1 ORDER BY id LIMIT 1")
                .bind(national)
                .fetch_optional(self.conn())
                .await?;
        let (resident_id, unit_id, unit_path) = match resident {
            Some((id, unit, path)) => (Some(id), unit, path),
            None => (None, fallback.0, fallback.1.to_string()),
        };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO fraud_subjects (phone, person_key, resident_id, unit_id, unit_path, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(phone)
        .bind(person_key)
        .bind(resident_id)
        .bind(unit_id)
        .bind(&unit_path)
        .bind(now_ms())
        .fetch_one(self.conn())
        .await?;
        Ok(Subject { id, phone: phone.to_string(), person_key, resident_id, unit_id, unit_path })
    }

    /// Logs a batch of signals in order and returns the ids that were new: an id seen before
    /// (a retry) is left as logged, so it is not scored twice. The caller passes each id once.
    pub async fn fraud_signals_log(&mut self, rows: &[&NewSignal]) -> Result<Fresh> {
        let now = now_ms();
        if rows.is_empty() {
            return Ok(Fresh::All);
        }
        // Refused on both databases alike, though only PostgreSQL's encoding needs it: an
        // empty value would be an empty text for a one-row batch, which `string_to_array`
        // cuts into no elements at all, shifting the columns against each other.
        let held = |v: &str| v.is_empty() || v.contains([SEPARATOR, NULL_MARK]);
        if let Some(s) = rows.iter().find(|s| {
            [&s.signal_id, &s.kind, &s.body, &s.fact, &s.channel].into_iter().any(|v| held(v))
                || s.listed.as_deref().is_some_and(held)
        }) {
            return Err(StoreError::Invalid(format!("signal {}: an empty field or a control character", s.signal_id)));
        }
        if self.is_postgres() {
            return self.fraud_signals_log_postgres(rows, now).await;
        }
        // Anonymous `?` parameters: the driver looks a parameter's name up before binding it,
        // which SQLite answers by walking the statement's list of named ones, so `$n` costs
        // the square of the parameters and `?`, having no name, nothing. Rows go in order.
        //
        // No RETURNING: the driver hands each returned row across threads on its own. This
        // write holds SQLite's only write lock, so the rows past the log's last `seq` are
        // exactly the ones it added, read back only when a repeat was skipped.
        let (last,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM fraud_signals").fetch_one(self.conn()).await?;
        let mut added = 0;
        let mut rest = rows;
        while !rest.is_empty() {
            let size = SQLITE_SHAPES.into_iter().find(|&k| k <= rest.len()).unwrap_or(1);
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            let sql = sqlite_signal_insert(size);
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = q
                    .bind(s.signal_id.as_str())
                    .bind(s.person_key)
                    .bind(s.at)
                    .bind(s.kind.as_str())
                    .bind(s.body.as_str())
                    .bind(s.fact.as_str())
                    .bind(s.listed.as_deref())
                    .bind(s.channel.as_str())
                    .bind(now);
            }
            added += q.execute(self.conn()).await?.rows_affected();
        }
        if added == rows.len() as u64 {
            return Ok(Fresh::All);
        }
        let ids: Vec<String> = sqlx::query_scalar("SELECT signal_id FROM fraud_signals WHERE seq > $1")
            .bind(last)
            .fetch_all(self.conn())
            .await?;
        Ok(Fresh::Only(ids.into_iter().collect()))
    }

    /// PostgreSQL's half of [`Self::fraud_signals_log`]: one statement whatever the batch's
    /// size. Each column travels as one text parameter, its values joined by a separator
    /// none of them can hold, and `string_to_array` cuts it: a plain scan, where a JSON
    /// batch was parsed twice (validated as `json`, then expanded) and unescaped per value.
    /// The arrays' order is the log's (`seq`), which the engine's rebuild replays.
    async fn fraud_signals_log_postgres(&mut self, rows: &[&NewSignal], now: i64) -> Result<Fresh> {
        let mut columns: [String; 8] = Default::default();
        let mut null = [0; 4];
        for (i, s) in rows.iter().enumerate() {
            let values = [
                &*s.signal_id,
                &s.person_key.to_string(),
                &s.at.to_string(),
                &s.kind,
                &s.body,
                &s.fact,
                s.listed.as_deref().unwrap_or(NULL_MARK.encode_utf8(&mut null)),
                &s.channel,
            ];
            for (column, value) in columns.iter_mut().zip(values) {
                if i > 0 {
                    column.push(SEPARATOR);
                }
                column.push_str(value);
            }
        }
        // Retries are rare, so the batch goes in first as if every id were new: a plain
        // insert checks uniqueness as it adds each index entry, where ON CONFLICT looks every
        // id up first and then inserts (two descents of the id index per signal). Only when
        // an id was there does the savepoint undo the attempt and the careful insert run.
        self.conn().execute("SAVEPOINT signals_log").await?;
        match self.fraud_signals_insert_postgres(&columns, now, rows.len(), false).await {
            Ok(_) => {
                self.conn().execute("RELEASE SAVEPOINT signals_log").await?;
                Ok(Fresh::All)
            }
            Err(StoreError::Conflict(_)) => {
                self.conn().execute("ROLLBACK TO SAVEPOINT signals_log; RELEASE SAVEPOINT signals_log").await?;
                self.fraud_signals_insert_postgres(&columns, now, rows.len(), true).await
            }
            Err(e) => Err(e),
        }
    }

    /// One insert of the columns built by [`Self::fraud_signals_log_postgres`]; `careful`
    /// skips ids already logged and names the new ones.
    async fn fraud_signals_insert_postgres(
        &mut self,
        columns: &[String; 8],
        now: i64,
        n: usize,
        careful: bool,
    ) -> Result<Fresh> {
        const ROWS: &str = "WITH s AS (SELECT * FROM unnest(string_to_array($1, chr(31)), \
             string_to_array($2, chr(31))::int8[], string_to_array($3, chr(31))::int8[], string_to_array($4, chr(31)), \
             string_to_array($5, chr(31)), string_to_array($6, chr(31)), string_to_array($7, chr(31), chr(30)), \
             string_to_array($8, chr(31))) WITH ORDINALITY AS s(signal_id, person_key, at, kind, body, fact, listed, channel, n)) \
             INSERT INTO fraud_signals (signal_id, person_key, at, kind, body, fact, listed, channel, received_at) \
             SELECT signal_id, person_key, at, kind, body, fact, listed, channel, $9 FROM s ORDER BY n";
        if !careful {
            let mut q = sqlx::query(ROWS);
            for column in columns {
                q = q.bind(column.as_str());
            }
            q.bind(now).execute(self.conn()).await?;
            return Ok(Fresh::All);
        }
        // Counted rather than returned row by row; the ids only when a repeat was skipped.
        let sql = format!(
            "WITH ins AS ({ROWS} ON CONFLICT (signal_id) DO NOTHING RETURNING signal_id) \
             SELECT count(*), CASE WHEN count(*) < $10 THEN string_agg(signal_id, chr(31)) END FROM ins"
        );
        let mut q = sqlx::query_as::<_, (i64, Option<String>)>(&sql);
        for column in columns {
            q = q.bind(column.as_str());
        }
        let (added, fresh) = q.bind(now).bind(n as i64).fetch_one(self.conn()).await?;
        if added == n as i64 {
            return Ok(Fresh::All);
        }
        Ok(Fresh::Only(fresh.iter().flat_map(|ids| ids.split(SEPARATOR)).map(str::to_string).collect()))
    }

    /// Opens the dissuasion task of a warning at the subject's station.
    pub async fn fraud_task_open(&mut self, subject: &Subject, t: &NewTask) -> Result<i64> {
        let now = now_ms();
        let (status, outcome, note, closed) = match &t.auto_outcome {
            Some((code, note)) => ("done", Some(code.as_str()), note.as_str(), Some(now)),
            None => ("open", None, "", None),
        };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO fraud_tasks (subject_id, signal_id, level, score, typology, ruleset_version, trace, warned_at, \
             deadline, status, unit_id, unit_path, outcome, outcome_note, closed_at, officer, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
        )
        .bind(subject.id)
        .bind(&t.signal_id)
        .bind(&t.level)
        .bind(t.score)
        .bind(&t.typology)
        .bind(&t.ruleset_version)
        .bind(&t.trace)
        .bind(t.warned_at)
        .bind(t.deadline)
        .bind(status)
        .bind(subject.unit_id)
        .bind(&subject.unit_path)
        .bind(outcome)
        .bind(note)
        .bind(closed)
        .bind(t.auto_outcome.as_ref().map(|_| "system"))
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        // The new warning supersedes the person's open ones: one officer, one visit.
        sqlx::query(
            "UPDATE fraud_tasks SET status = 'done', outcome = 'duplicate', outcome_note = $1, closed_at = $2, \
             officer = 'system', updated_at = $2 WHERE subject_id = $3 AND status = 'open' AND id <> $4",
        )
        .bind(format!("升级为预警任务 #{id} / superseded by task #{id}"))
        .bind(now)
        .bind(subject.id)
        .bind(id)
        .execute(self.conn())
        .await?;
        let detail = format!("level {}, score {}, routed to unit {}", t.level, t.score, subject.unit_id);
        self.audit(Actor::system().audit("fraud.warning", "fraud_task", id, subject.resident_id, None, &detail))
            .await?;
        Ok(id)
    }

    async fn task_in_scope(&mut self, scope: &Scope, id: i64) -> Result<(String, i64, Option<i64>)> {
        let (lo, hi) = scope.range();
        let row: Option<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT t.status, t.unit_id, s.resident_id FROM fraud_tasks t JOIN fraud_subjects s ON s.id = t.subject_id \
             WHERE t.id = $1 AND t.unit_path >= $2 AND t.unit_path < $3",
        )
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(self.conn())
        .await?;
        row.ok_or(StoreError::NotFound)
    }

    /// Records an outcome. "Not reached yet" keeps the task open and counts the attempt.
    /// `now` is when the officer recorded it (the demo city backdates its past week).
    pub async fn fraud_task_record(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        o: &TaskOutcome,
        now: i64,
    ) -> Result<()> {
        let (status, _, resident_id) = self.task_in_scope(scope, id).await?;
        if status != "open" {
            return Err(StoreError::State(format!("任务状态为“{status}”，不能登记处置结果 / task is {status}")));
        }
        let finishes =
            ningan_core::labels::TASK_OUTCOME.iter().any(|x| x.code == o.outcome) && outcome_finishes(&o.outcome);
        sqlx::query(
            "UPDATE fraud_tasks SET outcome = $1, outcome_note = $2, money_lost_fen = $3, amount_protected_fen = $4, \
             watch_until = $5, officer = $6, attempts = attempts + 1, status = $7, closed_at = $8, updated_at = $9 \
             WHERE id = $10",
        )
        .bind(&o.outcome)
        .bind(&o.note)
        .bind(o.money_lost_fen)
        .bind(o.amount_protected_fen)
        .bind(o.watch_until)
        .bind(&actor.name)
        .bind(if finishes { "done" } else { "open" })
        .bind(finishes.then_some(now))
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        let detail =
            format!("outcome {}, lost {} fen, protected {} fen", o.outcome, o.money_lost_fen, o.amount_protected_fen);
        self.audit(actor.audit("fraud.task.outcome", "fraud_task", id, resident_id, None, &detail)).await?;
        Ok(())
    }

    /// Asks to hand an open task to another unit; the task waits for review.
    pub async fn fraud_task_request_transfer(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        to_unit: i64,
        reason: &str,
    ) -> Result<()> {
        let (status, unit_id, _) = self.task_in_scope(scope, id).await?;
        if status != "open" {
            return Err(StoreError::State(format!("任务状态为“{status}”，不能移交 / task is {status}")));
        }
        if unit_id == to_unit {
            return Err(StoreError::State("不能移交给本单位 / the task is already there".into()));
        }
        sqlx::query(
            "UPDATE fraud_tasks SET status = 'transfer', transfer_to_unit_id = $1, transfer_reason = $2, updated_at = $3 \
             WHERE id = $4",
        )
        .bind(to_unit)
        .bind(reason)
        .bind(now_ms())
        .bind(id)
        .execute(self.conn())
        .await?;
        let detail = format!("transfer requested to unit {to_unit}: {reason}");
        self.audit(actor.audit("fraud.task.transfer", "fraud_task", id, None, None, &detail)).await?;
        Ok(())
    }

    /// Reviews a transfer. The reviewer must hold the receiving unit in `reviewer_scope`.
    pub async fn fraud_task_review_transfer(
        &mut self,
        actor: &Actor,
        reviewer_scope: &Scope,
        id: i64,
        approve: bool,
        note: &str,
    ) -> Result<()> {
        // Scope before state: a task the reviewer can see neither where it is nor where it
        // would go is "not found", whatever its state, so that ids reveal nothing.
        let row: Option<(String, Option<i64>, String, Option<String>)> = sqlx::query_as(
            "SELECT t.status, t.transfer_to_unit_id, t.unit_path, u.path FROM fraud_tasks t              LEFT JOIN org_units u ON u.id = t.transfer_to_unit_id WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        let (status, to, task_path, to_path) = row.ok_or(StoreError::NotFound)?;
        let sees_target = to_path.as_deref().is_some_and(|p| reviewer_scope.contains(p));
        if !sees_target && !reviewer_scope.contains(&task_path) {
            return Err(StoreError::NotFound);
        }
        let (Some(to), Some(path), true) = (to, to_path, status == "transfer") else {
            return Err(StoreError::State("该任务没有待审核的移交 / no transfer awaiting review".into()));
        };
        if !sees_target {
            // The sending side sees the task but may not decide for the receiving unit.
            return Err(StoreError::State("须由接收单位审核移交 / the receiving unit reviews the transfer".into()));
        }
        let now = now_ms();
        if approve {
            sqlx::query(
                "UPDATE fraud_tasks SET status = 'open', unit_id = $1, unit_path = $2, transfer_to_unit_id = NULL, \
                 escalated_at = NULL, updated_at = $3 WHERE id = $4",
            )
            .bind(to)
            .bind(&path)
            .bind(now)
            .bind(id)
            .execute(self.conn())
            .await?;
        } else {
            sqlx::query(
                "UPDATE fraud_tasks SET status = 'open', transfer_to_unit_id = NULL, updated_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(id)
            .execute(self.conn())
            .await?;
        }
        let detail = format!("transfer to unit {to} {}: {note}", if approve { "approved" } else { "rejected" });
        self.audit(actor.audit("fraud.task.transfer_review", "fraud_task", id, None, None, &detail)).await?;
        Ok(())
    }

    /// Marks open tasks past their deadline as escalated to the district branch (the unit
    /// above the station sees them on its board); returns how many.
    pub async fn fraud_tasks_escalate(&mut self, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE fraud_tasks SET escalated_at = $1, updated_at = $1 \
             WHERE status IN ('open', 'transfer') AND deadline < $1 AND escalated_at IS NULL",
        )
        .bind(now)
        .execute(self.conn())
        .await?;
        let n = done.rows_affected();
        if n > 0 {
            let detail = format!("{n} overdue dissuasion tasks escalated");
            self.audit(Actor::system().audit("fraud.escalate", "fraud_task", "-", None, None, &detail)).await?;
        }
        Ok(n)
    }

    /// Drops signals older than `before_ms` of people who never became subjects (no warning,
    /// report or case): benign traffic is not kept longer than the windows need it.
    pub async fn fraud_signals_purge(&mut self, before_ms: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM fraud_signals WHERE received_at < $1 \
             AND person_key NOT IN (SELECT person_key FROM fraud_subjects)",
        )
        .bind(before_ms)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }
}

/// The SQLite insert of `rows` signals (see [`SQLITE_SHAPES`]).
fn sqlite_signal_insert(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO fraud_signals (signal_id, person_key, at, kind, body, fact, listed, channel, received_at) VALUES ",
    );
    for i in 0..rows {
        sql.push_str(if i == 0 { "(?, ?, ?, ?, ?, ?, ?, ?, ?)" } else { ", (?, ?, ?, ?, ?, ?, ?, ?, ?)" });
    }
    sql.push_str(" ON CONFLICT (signal_id) DO NOTHING");
    sql
}

const SUBJECT_COLUMNS: &str = "id, phone, person_key, resident_id, unit_id, unit_path";

fn subject_from_row(r: &AnyRow) -> Result<Subject> {
    Ok(Subject {
        id: r.try_get("id")?,
        phone: r.try_get("phone")?,
        person_key: r.try_get("person_key")?,
        resident_id: r.try_get("resident_id")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
    })
}

impl Db {
    pub async fn watchlist_all(&self) -> Result<Vec<WatchEntry>> {
        let rows = sqlx::query(
            "SELECT id, kind, value, source, confidence, typology, expires_at, created_at FROM fraud_watchlist ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(WatchEntry::from_row).collect()
    }

    pub async fn watchlist_page(
        &self,
        kind: Option<&str>,
        q: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<WatchEntry>> {
        let mut f = Filter::new();
        if let Some(k) = kind {
            let p = f.arg_text(k.to_string());
            f.cond(format!("kind = {p}"));
        }
        if let Some(q) = q.filter(|q| !q.is_empty()) {
            let p = f.arg_text(format!("%{}%", q.replace(['%', '_'], "")));
            f.cond(format!("(value LIKE {p} OR source LIKE {p})"));
        }
        let w = f.where_sql();
        let count_sql = format!("SELECT COUNT(*) FROM fraud_watchlist WHERE {w}");
        let (total,): (i64,) = f.bind_as(&count_sql).fetch_one(&self.pool).await?;
        let sql = format!(
            "SELECT id, kind, value, source, confidence, typology, expires_at, created_at FROM fraud_watchlist WHERE {w} \
             ORDER BY id DESC LIMIT {} OFFSET {}",
            page.per_page,
            page.offset()
        );
        let rows = f.bind(&sql).fetch_all(&self.pool).await?;
        let items = rows.iter().map(WatchEntry::from_row).collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    /// Up to `limit` signals received since `since_ms` with a log position after `after_seq`,
    /// in the order they were accepted, as (seq, signal id, person key, time, fact): what the
    /// engine replays to rebuild its windows after a restart. At thousands of signals a second
    /// a day's log does not fit one answer, so the caller pages by `seq`.
    pub async fn fraud_replay_page(
        &self,
        since_ms: i64,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, i64, i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT seq, signal_id, person_key, at, fact FROM fraud_signals \
             WHERE received_at >= $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(since_ms)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn fraud_signals_by_ids(&self, ids: &[String]) -> Result<Vec<LoggedSignal>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids.iter().take(50) {
            let row = sqlx::query(
                "SELECT signal_id, person_key, at, kind, body, fact, listed, channel, received_at FROM fraud_signals \
                 WHERE signal_id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(r) = row {
                out.push(signal_from_row(&r)?);
            }
        }
        Ok(out)
    }

    pub async fn fraud_signal_count(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM fraud_signals").fetch_one(&self.pool).await?;
        Ok(n)
    }

    pub async fn fraud_tasks(&self, scope: &Scope, q: &TaskQuery, page: PageRequest) -> Result<Page<Task>> {
        let mut f = Filter::new();
        f.within(scope, "t.unit_path");
        match q.status.as_deref() {
            Some("overdue") => {
                let now = f.arg_i64(now_ms());
                f.cond(format!("t.status IN ('open', 'transfer') AND t.deadline < {now}"));
            }
            Some("escalated") => f.cond("t.escalated_at IS NOT NULL AND t.status <> 'done'".into()),
            Some(s) => {
                let p = f.arg_text(s.to_string());
                f.cond(format!("t.status = {p}"));
            }
            None => {}
        }
        if let Some(l) = &q.level {
            let p = f.arg_text(l.clone());
            f.cond(format!("t.level = {p}"));
        }
        if let Some(s) = q.subject_id {
            let p = f.arg_i64(s);
            f.cond(format!("t.subject_id = {p}"));
        }
        if let Some(t) = &q.typology {
            let p = f.arg_text(t.clone());
            f.cond(format!("t.typology = {p}"));
        }
        let text = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if let Some(text) = text {
            let id = text.strip_prefix('#').and_then(|n| n.parse::<i64>().ok());
            if let Some(id) = id {
                let p = f.arg_i64(id);
                f.cond(format!("t.id = {p}"));
            } else if text.len() >= 4 && text.bytes().all(|b| b.is_ascii_digit()) {
                let p = f.arg_text(format!("%{text}"));
                f.cond(format!("s.phone LIKE {p}"));
            } else {
                let p = f.arg_text(format!("%{}%", text.replace(['%', '_'], "")));
                f.cond(format!("r.name LIKE {p}"));
            }
        }
        let w = f.where_sql();
        // The person's name and number live in the joined tables; other filters on the task.
        let count_from = if text.is_some() { TASK_FROM } else { "fraud_tasks t" };
        let count_sql = format!("SELECT COUNT(*) FROM {count_from} WHERE {w}");
        let (total,): (i64,) = f.bind_as(&count_sql).fetch_one(&self.pool).await?;
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE {w} ORDER BY {} LIMIT {} OFFSET {}",
            q.sort.order_by(),
            page.per_page,
            page.offset()
        );
        let rows = f.bind(&sql).fetch_all(&self.pool).await?;
        let items = rows.iter().map(Task::from_row).collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    pub async fn fraud_task(&self, scope: &Scope, id: i64) -> Result<Task> {
        let (lo, hi) = scope.range();
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.id = $1 AND t.unit_path >= $2 AND t.unit_path < $3"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(lo)
            .bind(hi)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Task::from_row(&row)
    }

    /// A task awaiting transfer to a unit in `scope` (the receiving side may read it to review).
    pub async fn fraud_task_incoming(&self, scope: &Scope, id: i64) -> Result<Task> {
        let (lo, hi) = scope.range();
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} JOIN org_units tu ON tu.id = t.transfer_to_unit_id \
             WHERE t.id = $1 AND t.status = 'transfer' AND tu.path >= $2 AND tu.path < $3"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(lo)
            .bind(hi)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Task::from_row(&row)
    }

    /// Residents with a phone number, for the demo's signal stream.
    pub async fn residents_with_phone(&self, limit: i64) -> Result<Vec<(i64, String, i64)>> {
        Ok(sqlx::query_as("SELECT id, phone, unit_id FROM residents WHERE phone IS NOT NULL ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn fraud_subject_by_phone(&self, phone: &str) -> Result<Subject> {
        let r = sqlx::query(&format!("SELECT {SUBJECT_COLUMNS} FROM fraud_subjects WHERE phone = $1"))
            .bind(phone)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        subject_from_row(&r)
    }

    /// The subject's phone in full, for an officer who reveals it with a purpose.
    pub async fn fraud_subject(&self, id: i64) -> Result<Subject> {
        let r = sqlx::query(&format!("SELECT {SUBJECT_COLUMNS} FROM fraud_subjects WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        subject_from_row(&r)
    }
}

fn signal_from_row(r: &AnyRow) -> Result<LoggedSignal> {
    Ok(LoggedSignal {
        signal_id: r.try_get("signal_id")?,
        person_key: r.try_get("person_key")?,
        at: r.try_get("at")?,
        kind: r.try_get("kind")?,
        body: r.try_get("body")?,
        fact: r.try_get("fact")?,
        listed: r.try_get("listed")?,
        channel: r.try_get("channel")?,
        received_at: r.try_get("received_at")?,
    })
}
