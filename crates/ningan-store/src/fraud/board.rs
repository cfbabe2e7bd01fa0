//! What anti-fraud work adds up to: fraud cases that happened (发案) and how they relate to
//! earlier warnings, citizens' fraud reports awaiting review, awareness lectures (宣讲), the
//! supervision board and the figures by unit and month.

use chrono::{DateTime, Datelike};
use ningan_core::time::{cst, now_ms};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::fraud::Subject;
use crate::{Page, PageRequest, Result, Scope, StoreError};

#[derive(Debug, Clone)]
pub struct NewFraudCase {
    pub subject: Option<Subject>,
    pub occurred_at: i64,
    pub amount_fen: i64,
    pub typology: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub report_id: Option<i64>,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct FraudCase {
    pub id: i64,
    pub subject_id: Option<i64>,
    pub occurred_at: i64,
    pub amount_fen: i64,
    pub typology: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub report_id: Option<i64>,
    pub note: String,
    /// Whether the victim had been dissuaded before the case happened (劝阻后发案).
    pub after_dissuasion: bool,
    /// Whether the victim had been warned but not dissuaded (未劝阻发案).
    pub warned_not_dissuaded: bool,
    /// One of [`CASE_STAGES`].
    pub stage: String,
    pub solved_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewReport {
    pub phone: String,
    pub identifier_kind: Option<String>,
    pub identifier: Option<String>,
    pub description: String,
    pub amount_fen: i64,
    pub signal_id: String,
    pub unit_id: i64,
    pub unit_path: String,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub id: i64,
    pub phone: String,
    pub identifier_kind: Option<String>,
    pub identifier: Option<String>,
    pub description: String,
    pub amount_fen: i64,
    pub status: String,
    pub signal_id: Option<String>,
    pub unit_id: i64,
    pub review_note: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewLecture {
    /// `YYYY-MM-DD`.
    pub held_on: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub venue: String,
    pub audience: i64,
    pub topic: String,
}

#[derive(Debug, Clone)]
pub struct Lecture {
    pub id: i64,
    pub held_on: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub venue: String,
    pub audience: i64,
    pub topic: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupervisionBoard {
    pub open: i64,
    pub overdue: i64,
    pub escalated: i64,
    /// Finished after the deadline (迟劝阻).
    pub late_closed: i64,
    pub transfers_pending: i64,
    pub cases_after_dissuasion: i64,
    pub cases_without_dissuasion: i64,
    pub warned_subjects: i64,
    /// Warned people who were defrauded afterwards.
    pub defrauded_after_warning: i64,
}

impl SupervisionBoard {
    /// Per mille of warned people defrauded after the warning.
    pub fn fraud_rate_after_warning_permille(&self) -> i64 {
        if self.warned_subjects == 0 { 0 } else { self.defrauded_after_warning * 1000 / self.warned_subjects }
    }
}

/// A station's standing on the dissuasion-rate index.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRank {
    pub unit_id: i64,
    pub unit_name: String,
    /// Tasks that needed an officer (high and medium warnings).
    pub tasks: i64,
    pub dissuaded: i64,
    pub closed: i64,
    pub on_time: i64,
    pub cases_after_dissuasion: i64,
    /// 0–100: 70 % dissuasion rate, 30 % timeliness, minus 5 per case after dissuasion.
    pub index: f64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    pub cases: i64,
    pub amount_fen: i64,
    /// Cases solved (破案) in the month, whenever they occurred.
    pub solved: i64,
}

/// Where a fraud case stands: filed (立案), under investigation (侦查中), solved (破案).
/// It only moves forward.
pub const CASE_STAGES: [&str; 3] = ["filed", "investigating", "solved"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FraudFigures {
    /// Distinct people dissuaded at least once (人).
    pub persons_dissuaded: i64,
    /// Dissuasions, one per task closed as dissuaded (人次): how the bureau's reports count.
    pub dissuasions: i64,
    pub amount_protected_fen: i64,
    pub money_lost_fen: i64,
    pub warnings: [i64; 3],
    pub tasks_closed: i64,
    pub tasks_on_time: i64,
    pub lectures: i64,
    pub audience: i64,
    pub signals: i64,
    pub watchlist: i64,
    /// The last twelve months, oldest first.
    pub cases_by_month: Vec<MonthCount>,
}

fn month_of(ms: i64) -> String {
    let d = DateTime::from_timestamp_millis(ms).unwrap_or_default().with_timezone(&cst());
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The twelve months ending with the one holding `now_ms`, oldest first.
pub fn last_twelve_months(now_ms: i64) -> Vec<String> {
    let d = DateTime::from_timestamp_millis(now_ms).unwrap_or_default().with_timezone(&cst());
    let mut months = Vec::with_capacity(12);
    let (mut y, mut m) = (d.year(), d.month() as i32);
    for _ in 0..12 {
        months.push(format!("{y:04}-{m:02}"));
        m -= 1;
        if m == 0 {
            m = 12;
            y -= 1;
        }
    }
    months.reverse();
    months
}

impl Write {
    pub async fn fraud_case_add(&mut self, actor: &Actor, c: &NewFraudCase) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO fraud_cases (subject_id, occurred_at, amount_fen, typology, unit_id, unit_path, report_id, note, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(c.subject.as_ref().map(|s| s.id))
        .bind(c.occurred_at)
        .bind(c.amount_fen)
        .bind(&c.typology)
        .bind(c.unit_id)
        .bind(&c.unit_path)
        .bind(c.report_id)
        .bind(&c.note)
        .bind(&actor.name)
        .bind(now_ms())
        .fetch_one(self.conn())
        .await?;
        let person = c.subject.as_ref().and_then(|s| s.resident_id);
        let detail = format!("{} fen, {}", c.amount_fen, c.typology);
        self.audit(actor.audit("fraud.case", "fraud_case", id, person, None, &detail)).await?;
        Ok(id)
    }

    /// Moves a case in scope forward to `stage` (solved on `solved_at`, ms, or now); `Conflict`
    /// when it already stands there or further on, `Invalid` when solved before it occurred,
    /// `NotFound` outside the scope.
    pub async fn fraud_case_stage(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        stage: &str,
        solved_at: Option<i64>,
    ) -> Result<()> {
        let rank = |s: &str| CASE_STAGES.iter().position(|x| *x == s);
        let to = rank(stage).ok_or_else(|| StoreError::Invalid(format!("stage {stage}")))?;
        let (lo, hi) = scope.range();
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT stage, occurred_at FROM fraud_cases WHERE id = $1 AND unit_path >= $2 AND unit_path < $3",
        )
        .bind(id)
        .bind(&lo)
        .bind(&hi)
        .fetch_optional(self.conn())
        .await?;
        let (now, occurred_at) = row.ok_or(StoreError::NotFound)?;
        if rank(&now).is_some_and(|r| r >= to) {
            return Err(StoreError::Conflict("stage".into()));
        }
        if solved_at.is_some_and(|at| at < occurred_at) {
            return Err(StoreError::Invalid("solved before it occurred".into()));
        }
        let solved_at = if stage == "solved" { solved_at.or(Some(now_ms())) } else { None };
        sqlx::query("UPDATE fraud_cases SET stage = $1, solved_at = $2 WHERE id = $3")
            .bind(stage)
            .bind(solved_at)
            .bind(id)
            .execute(self.conn())
            .await?;
        let detail = format!("{now} -> {stage}");
        self.audit(actor.audit("fraud.case_stage", "fraud_case", id, None, None, &detail)).await?;
        Ok(())
    }

    pub async fn fraud_report_add(&mut self, actor: &Actor, r: &NewReport) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO fraud_reports (phone, identifier_kind, identifier, description, amount_fen, status, signal_id, \
             unit_id, unit_path, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9) RETURNING id",
        )
        .bind(&r.phone)
        .bind(&r.identifier_kind)
        .bind(&r.identifier)
        .bind(&r.description)
        .bind(r.amount_fen)
        .bind(&r.signal_id)
        .bind(r.unit_id)
        .bind(&r.unit_path)
        .bind(now_ms())
        .fetch_one(self.conn())
        .await?;
        self.audit(actor.audit("fraud.report", "fraud_report", id, None, None, "citizen fraud report")).await?;
        Ok(id)
    }

    /// Accepting a report files it as a fraud case; rejecting closes it with the note.
    pub async fn fraud_report_review(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        accept: Option<NewFraudCase>,
        note: &str,
    ) -> Result<Option<i64>> {
        let (lo, hi) = scope.range();
        let row: Option<(String,)> =
            sqlx::query_as("SELECT status FROM fraud_reports WHERE id = $1 AND unit_path >= $2 AND unit_path < $3")
                .bind(id)
                .bind(lo)
                .bind(hi)
                .fetch_optional(self.conn())
                .await?;
        let (status,) = row.ok_or(StoreError::NotFound)?;
        if status != "pending" {
            return Err(StoreError::State(format!("举报已审核（{status}） / the report was already reviewed")));
        }
        let case_id = match &accept {
            Some(c) => Some(self.fraud_case_add(actor, c).await?),
            None => None,
        };
        sqlx::query(
            "UPDATE fraud_reports SET status = $1, review_note = $2, reviewed_by = $3, reviewed_at = $4 WHERE id = $5",
        )
        .bind(if accept.is_some() { "accepted" } else { "rejected" })
        .bind(note)
        .bind(&actor.name)
        .bind(now_ms())
        .bind(id)
        .execute(self.conn())
        .await?;
        self.audit(actor.audit("fraud.report.review", "fraud_report", id, None, None, note)).await?;
        Ok(case_id)
    }

    pub async fn fraud_lecture_add(&mut self, actor: &Actor, l: &NewLecture) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO fraud_lectures (held_on, unit_id, unit_path, venue, audience, topic, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&l.held_on)
        .bind(l.unit_id)
        .bind(&l.unit_path)
        .bind(&l.venue)
        .bind(l.audience)
        .bind(&l.topic)
        .bind(&actor.name)
        .bind(now_ms())
        .fetch_one(self.conn())
        .await?;
        let detail = format!("{} at {}, audience {}", l.held_on, l.venue, l.audience);
        self.audit(actor.audit("fraud.lecture", "fraud_lecture", id, None, None, &detail)).await?;
        Ok(id)
    }
}

const REPORT_COLUMNS: &str = "id, phone, identifier_kind, identifier, description, amount_fen, status, signal_id, \
    unit_id, review_note, created_at";

fn report_from_row(r: &AnyRow) -> Result<Report> {
    Ok(Report {
        id: r.try_get("id")?,
        phone: r.try_get("phone")?,
        identifier_kind: r.try_get("identifier_kind")?,
        identifier: r.try_get("identifier")?,
        description: r.try_get("description")?,
        amount_fen: r.try_get("amount_fen")?,
        status: r.try_get("status")?,
        signal_id: r.try_get("signal_id")?,
        unit_id: r.try_get("unit_id")?,
        review_note: r.try_get("review_note")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A case happened after a dissuasion of the same person / after a warning not dissuaded.
const CASE_FLAGS: &str = "EXISTS (SELECT 1 FROM fraud_tasks t WHERE t.subject_id = c.subject_id \
      AND t.outcome = 'dissuaded' AND t.closed_at <= c.occurred_at) AS after_dissuasion, \
    EXISTS (SELECT 1 FROM fraud_tasks t WHERE t.subject_id = c.subject_id AND t.warned_at <= c.occurred_at) \
      AND NOT EXISTS (SELECT 1 FROM fraud_tasks t WHERE t.subject_id = c.subject_id AND t.outcome = 'dissuaded' \
      AND t.closed_at <= c.occurred_at) AS warned_not_dissuaded";

impl Db {
    /// Cases in scope, newest first; only those at `stage` when one is given.
    pub async fn fraud_cases(&self, scope: &Scope, stage: Option<&str>, page: PageRequest) -> Result<Page<FraudCase>> {
        let (lo, hi) = scope.range();
        // `%` matches every stage; a stage name holds no wildcard.
        let stage = stage.unwrap_or("%");
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM fraud_cases WHERE unit_path >= $1 AND unit_path < $2 AND stage LIKE $3",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(stage)
        .fetch_one(&self.pool)
        .await?;
        let sql = format!(
            "SELECT c.id, c.subject_id, c.occurred_at, c.amount_fen, c.typology, c.unit_id, u.name AS unit_name, \
             c.report_id, c.note, c.stage, c.solved_at, {CASE_FLAGS} FROM fraud_cases c JOIN org_units u ON u.id = c.unit_id \
             WHERE c.unit_path >= $1 AND c.unit_path < $2 AND c.stage LIKE $3 \
             ORDER BY c.occurred_at DESC, c.id DESC LIMIT $4 OFFSET $5"
        );
        let rows = sqlx::query(&sql)
            .bind(&lo)
            .bind(&hi)
            .bind(stage)
            .bind(page.per_page)
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        let flag = |r: &AnyRow, name: &str| -> Result<bool> {
            // SQLite answers EXISTS with an integer, PostgreSQL with a boolean.
            Ok(r.try_get::<bool, _>(name).or_else(|_| r.try_get::<i64, _>(name).map(|v| v != 0))?)
        };
        let items = rows
            .iter()
            .map(|r| {
                Ok(FraudCase {
                    id: r.try_get("id")?,
                    subject_id: r.try_get("subject_id")?,
                    occurred_at: r.try_get("occurred_at")?,
                    amount_fen: r.try_get("amount_fen")?,
                    typology: r.try_get("typology")?,
                    unit_id: r.try_get("unit_id")?,
                    unit_name: r.try_get("unit_name")?,
                    report_id: r.try_get("report_id")?,
                    note: r.try_get("note")?,
                    after_dissuasion: flag(r, "after_dissuasion")?,
                    warned_not_dissuaded: flag(r, "warned_not_dissuaded")?,
                    stage: r.try_get("stage")?,
                    solved_at: r.try_get("solved_at")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    pub async fn fraud_reports(&self, scope: &Scope, status: Option<&str>, page: PageRequest) -> Result<Page<Report>> {
        let (lo, hi) = scope.range();
        let status = status.unwrap_or("%");
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM fraud_reports WHERE unit_path >= $1 AND unit_path < $2 AND status LIKE $3",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(status)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM fraud_reports WHERE unit_path >= $1 AND unit_path < $2 AND status LIKE $3 \
                 ORDER BY id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(&lo)
        .bind(&hi)
        .bind(status)
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(report_from_row).collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    pub async fn fraud_report(&self, scope: &Scope, id: i64) -> Result<Report> {
        let (lo, hi) = scope.range();
        let r = sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM fraud_reports WHERE id = $1 AND unit_path >= $2 AND unit_path < $3"
        ))
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        report_from_row(&r)
    }

    pub async fn fraud_lectures(&self, scope: &Scope, page: PageRequest) -> Result<Page<Lecture>> {
        let (lo, hi) = scope.range();
        let total = self.count_in_scope("fraud_lectures", &lo, &hi).await?;
        let rows = sqlx::query(
            "SELECT l.id, l.held_on, l.unit_id, u.name AS unit_name, l.venue, l.audience, l.topic FROM fraud_lectures l \
             JOIN org_units u ON u.id = l.unit_id WHERE l.unit_path >= $1 AND l.unit_path < $2 \
             ORDER BY l.held_on DESC, l.id DESC LIMIT $3 OFFSET $4",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(Lecture {
                    id: r.try_get("id")?,
                    held_on: r.try_get("held_on")?,
                    unit_id: r.try_get("unit_id")?,
                    unit_name: r.try_get("unit_name")?,
                    venue: r.try_get("venue")?,
                    audience: r.try_get("audience")?,
                    topic: r.try_get("topic")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    /// Rows of `table` (a constant name, never input) owned by units in `[lo, hi)`.
    pub(crate) async fn count_in_scope(&self, table: &str, lo: &str, hi: &str) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE unit_path >= $1 AND unit_path < $2");
        let (n,): (i64,) = sqlx::query_as(&sql).bind(lo).bind(hi).fetch_one(&self.pool).await?;
        Ok(n)
    }

    async fn count(&self, sql: &str, lo: &str, hi: &str, now: i64) -> Result<i64> {
        // Every board query takes the scope range as $1, $2 and may use the current time as $3.
        let q = sqlx::query_as(sql).bind(lo).bind(hi);
        let q = if sql.contains("$3") { q.bind(now) } else { q };
        let (n,): (i64,) = q.fetch_one(&self.pool).await?;
        Ok(n)
    }

    pub async fn fraud_supervision(&self, scope: &Scope) -> Result<SupervisionBoard> {
        let (lo, hi) = scope.range();
        let now = now_ms();
        let tasks = "SELECT COUNT(*) FROM fraud_tasks WHERE unit_path >= $1 AND unit_path < $2";
        let cases = "SELECT COUNT(*) FROM fraud_cases c WHERE c.unit_path >= $1 AND c.unit_path < $2";
        Ok(SupervisionBoard {
            open: self.count(&format!("{tasks} AND status <> 'done'"), &lo, &hi, now).await?,
            overdue: self
                .count(&format!("{tasks} AND status IN ('open', 'transfer') AND deadline < $3"), &lo, &hi, now)
                .await?,
            escalated: self.count(&format!("{tasks} AND escalated_at IS NOT NULL AND status <> 'done'"), &lo, &hi, now).await?,
            late_closed: self
                .count(&format!("{tasks} AND status = 'done' AND outcome <> 'sms' AND closed_at > deadline"), &lo, &hi, now)
                .await?,
            transfers_pending: self.count(&format!("{tasks} AND status = 'transfer'"), &lo, &hi, now).await?,
            cases_after_dissuasion: self
                .count(
                    &format!(
                        "{cases} AND EXISTS (SELECT 1 FROM fraud_tasks t WHERE t.subject_id = c.subject_id \
                         AND t.outcome = 'dissuaded' AND t.closed_at <= c.occurred_at)"
                    ),
                    &lo,
                    &hi,
                    now,
                )
                .await?,
            cases_without_dissuasion: self
                .count(
                    &format!(
                        "{cases} AND EXISTS (SELECT 1 FROM fraud_tasks t WHERE t.subject_id = c.subject_id \
                         AND t.warned_at <= c.occurred_at) AND NOT EXISTS (SELECT 1 FROM fraud_tasks t \
                         WHERE t.subject_id = c.subject_id AND t.outcome = 'dissuaded' AND t.closed_at <= c.occurred_at)"
                    ),
                    &lo,
                    &hi,
                    now,
                )
                .await?,
            warned_subjects: self
                .count(
                    "SELECT COUNT(DISTINCT subject_id) FROM fraud_tasks WHERE unit_path >= $1 AND unit_path < $2",
                    &lo,
                    &hi,
                    now,
                )
                .await?,
            defrauded_after_warning: self
                .count(
                    "SELECT COUNT(DISTINCT c.subject_id) FROM fraud_cases c WHERE c.unit_path >= $1 AND c.unit_path < $2 \
                     AND EXISTS (SELECT 1 FROM fraud_tasks t WHERE t.subject_id = c.subject_id AND t.warned_at <= c.occurred_at)",
                    &lo,
                    &hi,
                    now,
                )
                .await?,
        })
    }

    /// Stations in scope ranked by the dissuasion-rate index, best first.
    pub async fn fraud_unit_ranking(&self, scope: &Scope) -> Result<Vec<UnitRank>> {
        let (lo, hi) = scope.range();
        let rows = sqlx::query(
            "SELECT t.unit_id, u.name AS unit_name, COUNT(*) AS tasks, \
             CAST(SUM(CASE WHEN t.outcome = 'dissuaded' THEN 1 ELSE 0 END) AS BIGINT) AS dissuaded, \
             CAST(SUM(CASE WHEN t.status = 'done' THEN 1 ELSE 0 END) AS BIGINT) AS closed, \
             CAST(SUM(CASE WHEN t.status = 'done' AND t.closed_at <= t.deadline THEN 1 ELSE 0 END) AS BIGINT) AS on_time \
             FROM fraud_tasks t JOIN org_units u ON u.id = t.unit_id \
             WHERE t.unit_path >= $1 AND t.unit_path < $2 AND t.level <> 'low' GROUP BY t.unit_id, u.name",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        let after: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT c.unit_id, COUNT(*) FROM fraud_cases c WHERE c.unit_path >= $1 AND c.unit_path < $2 \
             AND EXISTS (SELECT 1 FROM fraud_tasks t WHERE t.subject_id = c.subject_id AND t.outcome = 'dissuaded' \
             AND t.closed_at <= c.occurred_at) GROUP BY c.unit_id",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        let mut ranks = rows
            .iter()
            .map(|r| {
                let unit_id: i64 = r.try_get("unit_id")?;
                let tasks: i64 = r.try_get("tasks")?;
                let dissuaded: i64 = r.try_get("dissuaded")?;
                let closed: i64 = r.try_get("closed")?;
                let on_time: i64 = r.try_get("on_time")?;
                let cases_after = after.iter().find(|a| a.0 == unit_id).map_or(0, |a| a.1);
                let rate = if tasks == 0 { 0.0 } else { dissuaded as f64 / tasks as f64 };
                let timeliness = if closed == 0 { 0.0 } else { on_time as f64 / closed as f64 };
                let index = (70.0 * rate + 30.0 * timeliness - 5.0 * cases_after as f64).max(0.0);
                Ok(UnitRank {
                    unit_id,
                    unit_name: r.try_get("unit_name")?,
                    tasks,
                    dissuaded,
                    closed,
                    on_time,
                    cases_after_dissuasion: cases_after,
                    index: (index * 10.0).round() / 10.0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        ranks.sort_by(|a, b| b.index.total_cmp(&a.index).then(a.unit_id.cmp(&b.unit_id)));
        Ok(ranks)
    }

    pub async fn fraud_figures(&self, scope: &Scope) -> Result<FraudFigures> {
        let (lo, hi) = scope.range();
        let now = now_ms();
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT CASE WHEN outcome = 'dissuaded' THEN subject_id END) AS persons, \
             CAST(COALESCE(SUM(CASE WHEN outcome = 'dissuaded' THEN 1 ELSE 0 END), 0) AS BIGINT) AS dissuasions, \
             CAST(COALESCE(SUM(amount_protected_fen), 0) AS BIGINT) AS protected, \
             CAST(COALESCE(SUM(money_lost_fen), 0) AS BIGINT) AS lost, \
             CAST(COALESCE(SUM(CASE WHEN level = 'high' THEN 1 ELSE 0 END), 0) AS BIGINT) AS high, \
             CAST(COALESCE(SUM(CASE WHEN level = 'medium' THEN 1 ELSE 0 END), 0) AS BIGINT) AS medium, \
             CAST(COALESCE(SUM(CASE WHEN level = 'low' THEN 1 ELSE 0 END), 0) AS BIGINT) AS low, \
             CAST(COALESCE(SUM(CASE WHEN status = 'done' AND level <> 'low' THEN 1 ELSE 0 END), 0) AS BIGINT) AS closed, \
             CAST(COALESCE(SUM(CASE WHEN status = 'done' AND level <> 'low' AND closed_at <= deadline THEN 1 ELSE 0 END), 0) \
             AS BIGINT) AS on_time FROM fraud_tasks WHERE unit_path >= $1 AND unit_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(&self.pool)
        .await?;
        let (lectures, audience): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(audience), 0) AS BIGINT) FROM fraud_lectures \
             WHERE unit_path >= $1 AND unit_path < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(&self.pool)
        .await?;
        let months = last_twelve_months(now);
        let since = now - 400 * 86_400_000;
        // One pass over the scope's recent cases serves both series: when they occurred and
        // when they were solved (a case solved this year may have occurred before it).
        let cases: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT occurred_at, amount_fen, solved_at FROM fraud_cases WHERE unit_path >= $1 AND unit_path < $2 \
             AND (occurred_at >= $3 OR solved_at >= $3)",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let mut by_month: Vec<MonthCount> =
            months.into_iter().map(|month| MonthCount { month, cases: 0, amount_fen: 0, solved: 0 }).collect();
        for (at, amount, solved_at) in cases {
            let m = month_of(at);
            if let Some(slot) = by_month.iter_mut().find(|x| x.month == m) {
                slot.cases += 1;
                slot.amount_fen += amount;
            }
            if let Some(m) = solved_at.map(month_of)
                && let Some(slot) = by_month.iter_mut().find(|x| x.month == m)
            {
                slot.solved += 1;
            }
        }
        let (signals,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM fraud_signals").fetch_one(&self.pool).await?;
        let (watchlist,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM fraud_watchlist").fetch_one(&self.pool).await?;
        Ok(FraudFigures {
            persons_dissuaded: row.try_get("persons")?,
            dissuasions: row.try_get("dissuasions")?,
            amount_protected_fen: row.try_get("protected")?,
            money_lost_fen: row.try_get("lost")?,
            warnings: [row.try_get("high")?, row.try_get("medium")?, row.try_get("low")?],
            tasks_closed: row.try_get("closed")?,
            tasks_on_time: row.try_get("on_time")?,
            lectures,
            audience,
            signals,
            watchlist,
            cases_by_month: by_month,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_months_run_back_across_the_year_end() {
        // 2026-02-10 in China.
        let ms = DateTime::parse_from_rfc3339("2026-02-10T08:00:00+08:00").unwrap().timestamp_millis();
        let m = last_twelve_months(ms);
        assert_eq!(m.first().unwrap(), "2025-03");
        assert_eq!(m.last().unwrap(), "2026-02");
        assert_eq!(m.len(), 12);
    }
}
