//! Citizen services (便民): the catalogue of household-registration items as data, the facts
//! each needs and where each fact comes from, applications routed to the handling station
//! and worked through their states with a deadline and a timeline the citizen follows, ratings
//! (好差评); citizens' own sign-in (a one-time code to the registered phone), and the flags
//! citizens raise on accesses to their data.

use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::query::Filter;
use crate::{Page, PageRequest, Result, Scope, StoreError};

/// The Chinese label of an application status (the codes and both labels are
/// `ningan_core::labels::APPLICATION_STATUS`).
pub fn application_status_zh(s: &str) -> &'static str {
    ningan_core::labels::zh(ningan_core::labels::APPLICATION_STATUS, s)
}

#[derive(Debug, Clone)]
pub struct Application {
    pub id: i64,
    pub no: String,
    pub item_id: i64,
    pub item_name: String,
    pub item_code: String,
    /// The item's version the application was filed under (its fields and guide then).
    pub item_version: i64,
    pub resident_id: i64,
    pub resident_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_name_en: String,
    pub channel: String,
    pub status: String,
    pub details: String,
    pub deadline: i64,
    pub decision_note: Option<String>,
    pub decided_at: Option<i64>,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    /// A poor rating (1 or 2) is to be answered by then; none for any other.
    pub reply_due: Option<i64>,
    /// The station's answer to a poor rating, which the citizen reads.
    pub reply: Option<String>,
    pub replied_at: Option<i64>,
    pub created_at: i64,
}

/// Ratings at or below this are poor: the station answers them.
pub const POOR_RATING: i64 = 2;
/// How long a station has to answer a poor rating.
pub const REPLY_DAYS: i64 = 3;

/// What a decision checks: status, resident, channel, signed at the counter, accepted by,
/// the resident's unit path and the item code.
type DecideRow = (String, i64, String, i64, Option<String>, String, String);

/// A step in handling an application.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    /// accepted | approved | rejected
    pub to: &'a str,
    pub note: &'a str,
    /// The deciding unit's name, for the citizen's timeline.
    pub unit_name: &'a str,
    /// Whether approving an application for this item code changes the register (an
    /// identity change): then the applicant's own word and four eyes (or the household
    /// station) are required.
    pub changes_register: fn(&str) -> bool,
}

#[derive(Debug, Clone)]
pub struct NewApplication {
    /// Two letters opening the application's number: the city's (`NB` for Ningbo).
    pub prefix: &'static str,
    pub item_id: i64,
    pub item_version: i64,
    pub resident_id: i64,
    pub unit_id: i64,
    pub unit_path: String,
    /// portal | counter | crosscity
    pub channel: String,
    /// At the counter: the applicant confirmed with the code sent to their registered phone.
    pub citizen_signed: bool,
    pub details: String,
    pub deadline: i64,
    pub unit_name: String,
}

#[derive(Debug, Clone)]
pub struct ApplicationEvent {
    pub at: i64,
    pub status: String,
    pub unit_name: String,
    pub note: String,
}

#[derive(Debug, Clone, Default)]
pub struct ApplicationQuery {
    pub status: Option<String>,
    pub resident_id: Option<i64>,
    /// Part of the application number, the applicant's name or the item's name.
    pub text: Option<String>,
    pub item_code: Option<String>,
    /// Only open applications past their deadline.
    pub overdue_only: bool,
    /// Only poor ratings not answered yet (soonest due first when sorted by deadline).
    pub reply_due_only: bool,
    pub sort: ApplicationSort,
}

/// The orders a list of applications can be read in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApplicationSort {
    #[default]
    Newest,
    Oldest,
    /// Nearest deadline first.
    Deadline,
    /// Latest deadline first.
    DeadlineLast,
}

impl ApplicationSort {
    fn order_by(self) -> &'static str {
        match self {
            ApplicationSort::Newest => "a.id DESC",
            ApplicationSort::Oldest => "a.id ASC",
            ApplicationSort::Deadline => "a.deadline ASC, a.id ASC",
            ApplicationSort::DeadlineLast => "a.deadline DESC, a.id DESC",
        }
    }
}

/// Ratings of one station.
#[derive(Debug, Clone, PartialEq)]
pub struct StationRating {
    pub unit_id: i64,
    pub unit_name: String,
    pub handled: i64,
    pub rated: i64,
    pub average: f64,
    /// Ratings of 1 or 2 (差评).
    pub poor: i64,
    /// Poor ratings the station has not answered yet, and of them those past their deadline.
    pub unanswered: i64,
    pub unanswered_late: i64,
}

/// One access to a citizen's data, as the citizen may see it.
#[derive(Debug, Clone)]
pub struct AccessEntry {
    pub seq: i64,
    pub at: i64,
    pub unit_name: Option<String>,
    pub unit_name_en: Option<String>,
    pub action: String,
    pub purpose: Option<String>,
    pub flagged: bool,
    /// The auditor's answer to the citizen's question, once given.
    pub finding: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AccessFlag {
    pub id: i64,
    pub audit_seq: i64,
    pub resident_id: i64,
    pub resident_name: String,
    pub reason: String,
    pub status: String,
    pub created_at: i64,
    /// What the auditor found, told to the citizen.
    pub finding: Option<String>,
    pub resolved_at: Option<i64>,
    pub action: String,
    pub actor: String,
    pub purpose: Option<String>,
    pub at: i64,
}

const APP_COLUMNS: &str = "a.id, a.no, a.item_id, i.name AS item_name, i.code AS item_code, a.item_version, a.resident_id, \
    r.name AS resident_name, a.unit_id, u.name AS unit_name, u.name_en AS unit_name_en, a.channel, a.status, a.details, a.deadline, \
    a.decision_note, a.decided_at, a.rating, a.rating_comment, a.reply_due, a.reply, a.replied_at, a.created_at";
const APP_FROM: &str = "applications a JOIN service_items i ON i.id = a.item_id JOIN residents r ON r.id = a.resident_id \
    JOIN org_units u ON u.id = a.unit_id";

impl Application {
    fn from_row(r: &AnyRow) -> Result<Application> {
        Ok(Application {
            id: r.try_get("id")?,
            no: r.try_get("no")?,
            item_id: r.try_get("item_id")?,
            item_name: r.try_get("item_name")?,
            item_code: r.try_get("item_code")?,
            item_version: r.try_get("item_version")?,
            resident_id: r.try_get("resident_id")?,
            resident_name: r.try_get("resident_name")?,
            unit_id: r.try_get("unit_id")?,
            unit_name: r.try_get("unit_name")?,
            unit_name_en: r.try_get("unit_name_en")?,
            channel: r.try_get("channel")?,
            status: r.try_get("status")?,
            details: r.try_get("details")?,
            deadline: r.try_get("deadline")?,
            decision_note: r.try_get("decision_note")?,
            decided_at: r.try_get("decided_at")?,
            rating: r.try_get("rating")?,
            rating_comment: r.try_get("rating_comment")?,
            reply_due: r.try_get("reply_due")?,
            reply: r.try_get("reply")?,
            replied_at: r.try_get("replied_at")?,
            created_at: r.try_get("created_at")?,
        })
    }

    pub fn is_final(&self) -> bool {
        self.status == "approved" || self.status == "rejected"
    }
}

impl Db {
    pub async fn applications(
        &self,
        scope: &Scope,
        q: &ApplicationQuery,
        page: PageRequest,
    ) -> Result<Page<Application>> {
        let mut f = Filter::new();
        f.within(scope, "a.unit_path");
        if let Some(s) = &q.status {
            let p = f.arg_text(s.clone());
            f.cond(format!("a.status = {p}"));
        }
        if let Some(r) = q.resident_id {
            let p = f.arg_i64(r);
            f.cond(format!("a.resident_id = {p}"));
        }
        if let Some(t) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // LIKE's wildcards typed by a person are taken literally.
            let escaped = t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let p = f.arg_text(format!("%{escaped}%"));
            f.cond(format!(
                "(a.no LIKE {p} ESCAPE '\\' OR r.name LIKE {p} ESCAPE '\\' OR i.name LIKE {p} ESCAPE '\\')"
            ));
        }
        if let Some(code) = &q.item_code {
            let p = f.arg_text(code.clone());
            f.cond(format!("i.code = {p}"));
        }
        if q.overdue_only {
            let p = f.arg_i64(ningan_core::time::now_ms());
            f.cond(format!("a.deadline < {p} AND a.status IN ('submitted', 'accepted')"));
        }
        if q.reply_due_only {
            f.cond("a.reply_due IS NOT NULL AND a.reply IS NULL".to_string());
        }
        let w = f.where_sql();
        let (total,): (i64,) =
            f.bind_as(&format!("SELECT COUNT(*) FROM {APP_FROM} WHERE {w}")).fetch_one(&self.pool).await?;
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM {APP_FROM} WHERE {w} ORDER BY {} LIMIT {} OFFSET {}",
            q.sort.order_by(),
            page.per_page,
            page.offset()
        );
        let rows = f.bind(&sql).fetch_all(&self.pool).await?;
        let items = rows.iter().map(Application::from_row).collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    pub async fn application_in_scope(&self, scope: &Scope, id: i64) -> Result<Application> {
        let (lo, hi) = scope.range();
        let r = sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM {APP_FROM} WHERE a.id = $1 AND a.unit_path >= $2 AND a.unit_path < $3"
        ))
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Application::from_row(&r)
    }

    pub async fn application_by_id(&self, id: i64) -> Result<Application> {
        let r = sqlx::query(&format!("SELECT {APP_COLUMNS} FROM {APP_FROM} WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Application::from_row(&r)
    }

    /// A resident's record for the exchange and the register check; callers audit the use.
    pub async fn resident_record(&self, id: i64) -> Result<crate::Resident> {
        self.resident_unaudited(id).await
    }

    pub async fn resident_name(&self, resident_id: i64) -> Result<String> {
        let (name,): (String,) = sqlx::query_as("SELECT name FROM residents WHERE id = $1")
            .bind(resident_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(name)
    }

    /// The station a resident is registered at.
    pub async fn resident_unit(&self, resident_id: i64) -> Result<i64> {
        let (unit,): (i64,) = sqlx::query_as("SELECT unit_id FROM residents WHERE id = $1")
            .bind(resident_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(unit)
    }

    /// The citizen's own applications (no unit scope: the citizen is the scope).
    pub async fn applications_of(&self, resident_id: i64) -> Result<Vec<Application>> {
        let rows = sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM {APP_FROM} WHERE a.resident_id = $1 ORDER BY a.id DESC LIMIT 200"
        ))
        .bind(resident_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Application::from_row).collect()
    }

    pub async fn application_by_no(&self, no: &str) -> Result<Application> {
        let r = sqlx::query(&format!("SELECT {APP_COLUMNS} FROM {APP_FROM} WHERE a.no = $1"))
            .bind(no)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Application::from_row(&r)
    }

    pub async fn application_events(&self, application_id: i64) -> Result<Vec<ApplicationEvent>> {
        let rows = sqlx::query(
            "SELECT at, status, unit_name, note FROM application_events WHERE application_id = $1 ORDER BY id",
        )
        .bind(application_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApplicationEvent {
                    at: r.try_get("at")?,
                    status: r.try_get("status")?,
                    unit_name: r.try_get("unit_name")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    /// Handled, rated and average rating per station in scope, best average first.
    pub async fn station_ratings(&self, scope: &Scope) -> Result<Vec<StationRating>> {
        let (lo, hi) = scope.range();
        let rows = sqlx::query(
            "SELECT a.unit_id, u.name AS unit_name, \
             CAST(SUM(CASE WHEN a.status IN ('approved', 'rejected') THEN 1 ELSE 0 END) AS BIGINT) AS handled, \
             CAST(SUM(CASE WHEN a.rating IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS rated, \
             CAST(COALESCE(SUM(a.rating), 0) AS BIGINT) AS rating_sum, \
             CAST(SUM(CASE WHEN a.rating <= 2 THEN 1 ELSE 0 END) AS BIGINT) AS poor, \
             CAST(SUM(CASE WHEN a.reply_due IS NOT NULL AND a.reply IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS unanswered, \
             CAST(SUM(CASE WHEN a.reply_due < $3 AND a.reply IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS unanswered_late \
             FROM applications a JOIN org_units u ON u.id = a.unit_id \
             WHERE a.unit_path >= $1 AND a.unit_path < $2 GROUP BY a.unit_id, u.name",
        )
        .bind(lo)
        .bind(hi)
        .bind(now_ms())
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                let rated: i64 = r.try_get("rated")?;
                let sum: i64 = r.try_get("rating_sum")?;
                Ok(StationRating {
                    unit_id: r.try_get("unit_id")?,
                    unit_name: r.try_get("unit_name")?,
                    handled: r.try_get("handled")?,
                    rated,
                    average: if rated == 0 { 0.0 } else { (sum as f64 / rated as f64 * 100.0).round() / 100.0 },
                    poor: r.try_get("poor")?,
                    unanswered: r.try_get("unanswered")?,
                    unanswered_late: r.try_get("unanswered_late")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| b.average.total_cmp(&a.average).then(b.handled.cmp(&a.handled)));
        Ok(out)
    }

    /// Every audited access to the resident's personal data, newest first, with the unit
    /// (never the officer) and the stated purpose.
    pub async fn accesses_to(&self, resident_id: i64, page: PageRequest) -> Result<Page<AccessEntry>> {
        let concerns = crate::audit::concerns_person("", "$1");
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM audit_log WHERE {concerns}"))
            .bind(resident_id)
            .fetch_one(&self.pool)
            .await?;
        let concerns = crate::audit::concerns_person("l.", "$1");
        let rows = sqlx::query(&format!(
            "SELECT l.seq, l.at, u.name AS unit_name, u.name_en AS unit_name_en, l.action, l.purpose, \
             (SELECT COUNT(*) FROM access_flags f WHERE f.audit_seq = l.seq AND f.resident_id = $1) AS flags, \
             (SELECT MAX(f.finding) FROM access_flags f WHERE f.audit_seq = l.seq AND f.resident_id = $1) AS finding \
             FROM audit_log l LEFT JOIN org_units u ON u.id = l.actor_unit_id \
             WHERE {concerns} ORDER BY l.seq DESC LIMIT $2 OFFSET $3"
        ))
        .bind(resident_id)
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(AccessEntry {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    unit_name: r.try_get("unit_name")?,
                    unit_name_en: r.try_get("unit_name_en")?,
                    action: r.try_get("action")?,
                    purpose: r.try_get("purpose")?,
                    flagged: r.try_get::<i64, _>("flags")? > 0,
                    finding: r.try_get("finding")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    /// Accesses citizens registered in `scope` questioned, for the auditors: open ones first
    /// (oldest first, as a queue), then answered ones newest first; `status` narrows to one.
    pub async fn access_flags(
        &self,
        scope: &Scope,
        status: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<AccessFlag>> {
        let mut f = Filter::new();
        f.within(scope, "r.unit_path");
        if let Some(s) = status {
            let p = f.arg_text(s.to_string());
            f.cond(format!("f.status = {p}"));
        }
        let w = f.where_sql();
        let (total,): (i64,) = f
            .bind_as(&format!("SELECT COUNT(*) FROM access_flags f JOIN residents r ON r.id = f.resident_id WHERE {w}"))
            .fetch_one(&self.pool)
            .await?;
        let sql = format!(
            "SELECT f.id, f.audit_seq, f.resident_id, r.name AS resident_name, f.reason, f.status, f.created_at, \
             f.finding, f.resolved_at, l.action, l.actor, l.purpose, l.at \
             FROM access_flags f JOIN audit_log l ON l.seq = f.audit_seq JOIN residents r ON r.id = f.resident_id \
             WHERE {w} ORDER BY CASE WHEN f.status = 'open' THEN 0 ELSE 1 END, \
             CASE WHEN f.status = 'open' THEN f.id ELSE -f.id END LIMIT {} OFFSET {}",
            page.per_page,
            page.offset()
        );
        let rows = f.bind(&sql).fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(AccessFlag {
                    id: r.try_get("id")?,
                    audit_seq: r.try_get("audit_seq")?,
                    resident_id: r.try_get("resident_id")?,
                    resident_name: r.try_get("resident_name")?,
                    reason: r.try_get("reason")?,
                    status: r.try_get("status")?,
                    finding: r.try_get("finding")?,
                    resolved_at: r.try_get("resolved_at")?,
                    created_at: r.try_get("created_at")?,
                    action: r.try_get("action")?,
                    actor: r.try_get("actor")?,
                    purpose: r.try_get("purpose")?,
                    at: r.try_get("at")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page { items, page: page.page, per_page: page.per_page, total })
    }

    /// The resident a citizen session belongs to, if live.
    pub async fn citizen_session(&self, token_hash: &str) -> Result<Option<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT resident_id, csrf_token FROM citizen_sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The resident with this ID number and registered phone, for a citizen's sign-in.
    pub async fn resident_for_sign_in(&self, id_number: &str, phone: &str) -> Result<Option<i64>> {
        let r: Option<(i64,)> = sqlx::query_as("SELECT id FROM residents WHERE id_number = $1 AND phone = $2")
            .bind(id_number)
            .bind(phone)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(|r| r.0))
    }

    /// The registered phone of the resident with this ID number, to send them a code: the
    /// number goes to the SMS gateway only, never into an answer.
    pub async fn resident_phone_by_id_number(&self, id_number: &str) -> Result<Option<(i64, String)>> {
        let r: Option<(i64, Option<String>)> = sqlx::query_as("SELECT id, phone FROM residents WHERE id_number = $1")
            .bind(id_number)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.and_then(|(id, p)| p.map(|p| (id, p))))
    }

    /// The last text sent to a phone (the SMS gateway's outbox), for the demo and tests.
    pub async fn sms_last(&self, phone: &str) -> Result<Option<String>> {
        let r: Option<(String,)> =
            sqlx::query_as("SELECT text FROM sms_outbox WHERE phone = $1 ORDER BY id DESC LIMIT 1")
                .bind(phone)
                .fetch_optional(&self.pool)
                .await?;
        Ok(r.map(|r| r.0))
    }
}

impl Write {
    /// Files an application with its first timeline entry; returns (id, number).
    pub async fn application_insert(&mut self, actor: &Actor, a: &NewApplication) -> Result<(i64, String)> {
        let now = now_ms();
        // NB + date + a random suffix: readable over the phone, not guessable.
        let date = chrono::DateTime::from_timestamp_millis(now)
            .unwrap_or_default()
            .with_timezone(&ningan_core::time::cst())
            .format("%Y%m%d");
        // A busy day files thousands: a number already taken is drawn again rather than
        // failing the filing (a failed INSERT would abort the transaction on PostgreSQL).
        let mut filed = None;
        for _ in 0..8 {
            let no = format!("{}{date}{:06}", a.prefix, rand::random::<u32>() % 1_000_000);
            let row: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO applications (no, item_id, resident_id, unit_id, unit_path, channel, status, details, deadline, \
                 created_at, updated_at, citizen_signed, item_version) VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $8, $9, $9, $10, $11) \
                 ON CONFLICT (no) DO NOTHING RETURNING id",
            )
            .bind(&no)
            .bind(a.item_id)
            .bind(a.resident_id)
            .bind(a.unit_id)
            .bind(&a.unit_path)
            .bind(&a.channel)
            .bind(&a.details)
            .bind(a.deadline)
            .bind(now)
            .bind(i64::from(a.citizen_signed))
            .bind(a.item_version)
            .fetch_optional(self.conn())
            .await?;
            if let Some((id,)) = row {
                filed = Some((id, no));
                break;
            }
        }
        let (id, no) = filed.ok_or_else(|| StoreError::Conflict("no".into()))?;
        self.application_event(
            id,
            "submitted",
            &a.unit_name,
            if a.channel == "portal" { "网上提交" } else { "窗口受理录入" },
        )
        .await?;
        self.audit(actor.audit("application.create", "application", &no, Some(a.resident_id), None, &a.channel))
            .await?;
        Ok((id, no))
    }

    pub async fn application_event(
        &mut self,
        application_id: i64,
        status: &str,
        unit_name: &str,
        note: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO application_events (application_id, at, status, unit_name, note) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(application_id)
        .bind(now_ms())
        .bind(status)
        .bind(unit_name)
        .bind(note)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Moves an application in `scope` forward: submitted → accepted → approved | rejected.
    pub async fn application_decide(
        &mut self,
        actor: &Actor,
        scope: &Scope,
        id: i64,
        d: &Decision<'_>,
    ) -> Result<Application> {
        let Decision { to, note, unit_name, changes_register } = *d;
        let (lo, hi) = scope.range();
        let row: Option<DecideRow> = sqlx::query_as(
            "SELECT a.status, a.resident_id, a.channel, a.citizen_signed, a.accepted_by, r.unit_path, i.code \
             FROM applications a JOIN residents r ON r.id = a.resident_id JOIN service_items i ON i.id = a.item_id \
             WHERE a.id = $1 AND a.unit_path >= $2 AND a.unit_path < $3",
        )
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(self.conn())
        .await?;
        let (from, resident_id, channel, signed, accepted_by, home_path, item_code) =
            row.ok_or(StoreError::NotFound)?;
        if to == "approved" && changes_register(&item_code) {
            // A register change needs the applicant's own word: their online application (or
            // the other city's, which took it from them) or their code at the counter.
            if !(matches!(channel.as_str(), "portal" | "crosscity") || signed == 1) {
                return Err(StoreError::State(
                    "身份信息变更须由申请人本人网上申请或在窗口以登记手机验证码确认 / \
                     an identity change needs the applicant's own online application or their code at the counter"
                        .into(),
                ));
            }
            // And the household station, or a second officer besides the one who accepted it.
            if !scope.contains(&home_path) && accepted_by.as_deref() == Some(actor.name.as_str()) {
                return Err(StoreError::State(
                    "非户籍地派出所审批身份信息变更，须由受理人以外的另一名民警审批 / \
                     away from the household station, an identity change is approved by another officer than the one who accepted it"
                        .into(),
                ));
            }
        }
        let allowed = matches!(
            (from.as_str(), to),
            ("submitted", "accepted") | ("submitted", "rejected") | ("accepted", "approved") | ("accepted", "rejected")
        );
        if !allowed {
            return Err(StoreError::State(format!(
                "申请当前为“{}”，不能改为“{}” / cannot move from {from} to {to}",
                application_status_zh(&from),
                application_status_zh(to)
            )));
        }
        if to == "approved" && !self.application_facts_complete(id).await? {
            return Err(StoreError::State(
                "尚有信息未核验（等待协作单位答复或人工核验） / some facts are not verified yet".into(),
            ));
        }
        let now = now_ms();
        let decided = matches!(to, "approved" | "rejected");
        sqlx::query(
            "UPDATE applications SET status = $1, decision_note = CASE WHEN $2 = '' THEN decision_note ELSE $2 END, \
             decided_by = CASE WHEN $3 = 1 THEN $4 ELSE decided_by END, \
             decided_at = CASE WHEN $3 = 1 THEN $5 ELSE decided_at END, updated_at = $5, \
             accepted_by = CASE WHEN $1 = 'accepted' THEN $4 ELSE accepted_by END WHERE id = $6",
        )
        .bind(to)
        .bind(note)
        .bind(i64::from(decided))
        .bind(&actor.name)
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        self.application_event(id, to, unit_name, note).await?;
        self.audit(actor.audit("application.decide", "application", id, Some(resident_id), None, to)).await?;
        let r = sqlx::query(&format!("SELECT {APP_COLUMNS} FROM {APP_FROM} WHERE a.id = $1"))
            .bind(id)
            .fetch_one(self.conn())
            .await?;
        Application::from_row(&r)
    }

    /// Moves an application's filing, its timeline and its decision into the past, for the
    /// demo city's history: `filed_at` for the filing, `decided_at` for a decision if any.
    pub async fn application_backdate(&mut self, id: i64, filed_at: i64, decided_at: Option<i64>) -> Result<()> {
        let (created,): (i64,) =
            sqlx::query_as("SELECT created_at FROM applications WHERE id = $1").bind(id).fetch_one(self.conn()).await?;
        let shift = created - filed_at;
        sqlx::query(
            "UPDATE applications SET created_at = created_at - $1, updated_at = COALESCE($2, created_at - $1), \
             deadline = deadline - $1, decided_at = CASE WHEN decided_at IS NULL THEN NULL ELSE $2 END WHERE id = $3",
        )
        .bind(shift)
        .bind(decided_at)
        .bind(id)
        .execute(self.conn())
        .await?;
        // The timeline keeps its order: the filing moves back by the shift, later steps to
        // the decision time.
        sqlx::query(
            "UPDATE application_events SET at = CASE WHEN status = 'submitted' THEN at - $1 ELSE COALESCE($2, at - $1) END \
             WHERE application_id = $3",
        )
        .bind(shift)
        .bind(decided_at)
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// The citizen rates a finished application once.
    /// A poor rating (see [`POOR_RATING`]) is due an answer from the station within
    /// [`REPLY_DAYS`].
    pub async fn application_rate(&mut self, resident_id: i64, no: &str, rating: i64, comment: &str) -> Result<()> {
        let now = now_ms();
        let due = (rating <= POOR_RATING).then_some(now + REPLY_DAYS * 86_400_000);
        let done = sqlx::query(
            "UPDATE applications SET rating = $1, rating_comment = $2, rated_at = $3, reply_due = $4 \
             WHERE no = $5 AND resident_id = $6 AND status IN ('approved', 'rejected') AND rating IS NULL",
        )
        .bind(rating)
        .bind(comment)
        .bind(now)
        .bind(due)
        .bind(no)
        .bind(resident_id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::State(
                "只能对已办结且未评价的申请评价一次 / rate a finished application once".into(),
            ));
        }
        let actor = Actor { name: format!("citizen:{resident_id}"), unit_id: None };
        self.audit(actor.audit("application.rate", "application", no, None, None, &rating.to_string())).await?;
        Ok(())
    }

    /// The station's answer to a poor rating of an application in scope, once.
    pub async fn application_reply(&mut self, actor: &Actor, scope: &Scope, id: i64, reply: &str) -> Result<()> {
        let (lo, hi) = scope.range();
        let row: Option<(Option<i64>, Option<String>, String)> = sqlx::query_as(
            "SELECT reply_due, reply, no FROM applications WHERE id = $1 AND unit_path >= $2 AND unit_path < $3",
        )
        .bind(id)
        .bind(&lo)
        .bind(&hi)
        .fetch_optional(self.conn())
        .await?;
        let (due, answered, no) = row.ok_or(StoreError::NotFound)?;
        if due.is_none() || answered.is_some() {
            return Err(StoreError::State(
                "只能答复一次差评（1至2分） / only a poor rating (1 or 2) is answered, and once".into(),
            ));
        }
        sqlx::query("UPDATE applications SET reply = $1, reply_by = $2, replied_at = $3 WHERE id = $4")
            .bind(reply)
            .bind(&actor.name)
            .bind(now_ms())
            .bind(id)
            .execute(self.conn())
            .await?;
        self.audit(actor.audit("application.reply", "application", &no, None, None, "answer to a poor rating")).await?;
        Ok(())
    }

    /// Stores a one-time sign-in code (hashed) and queues the text to the phone.
    pub async fn citizen_code_issue(
        &mut self,
        resident_id: i64,
        phone: &str,
        code_hash: &str,
        text: &str,
    ) -> Result<()> {
        let now = now_ms();
        sqlx::query("DELETE FROM citizen_codes WHERE resident_id = $1").bind(resident_id).execute(self.conn()).await?;
        sqlx::query("INSERT INTO citizen_codes (resident_id, code_hash, expires_at, attempts) VALUES ($1, $2, $3, 0)")
            .bind(resident_id)
            .bind(code_hash)
            .bind(now + 5 * 60_000)
            .execute(self.conn())
            .await?;
        sqlx::query("INSERT INTO sms_outbox (phone, text, created_at) VALUES ($1, $2, $3)")
            .bind(phone)
            .bind(text)
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Checks a code: true once (the code is spent); five wrong tries spend it too.
    pub async fn citizen_code_check(&mut self, resident_id: i64, code_hash: &str) -> Result<bool> {
        let row: Option<(String, i64, i64)> =
            sqlx::query_as("SELECT code_hash, expires_at, attempts FROM citizen_codes WHERE resident_id = $1")
                .bind(resident_id)
                .fetch_optional(self.conn())
                .await?;
        let Some((stored, expires, attempts)) = row else { return Ok(false) };
        if expires <= now_ms() || attempts >= 5 {
            sqlx::query("DELETE FROM citizen_codes WHERE resident_id = $1")
                .bind(resident_id)
                .execute(self.conn())
                .await?;
            return Ok(false);
        }
        if stored != code_hash {
            sqlx::query("UPDATE citizen_codes SET attempts = attempts + 1 WHERE resident_id = $1")
                .bind(resident_id)
                .execute(self.conn())
                .await?;
            return Ok(false);
        }
        sqlx::query("DELETE FROM citizen_codes WHERE resident_id = $1").bind(resident_id).execute(self.conn()).await?;
        Ok(true)
    }

    pub async fn citizen_session_create(
        &mut self,
        token_hash: &str,
        resident_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO citizen_sessions (token_hash, resident_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(resident_id)
        .bind(csrf)
        .bind(now_ms())
        .bind(expires_at)
        .execute(self.conn())
        .await?;
        let actor = Actor { name: format!("citizen:{resident_id}"), unit_id: None };
        self.audit(actor.audit("citizen.sign_in", "resident", resident_id, None, None, "portal")).await?;
        Ok(())
    }

    pub async fn citizen_session_delete(&mut self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM citizen_sessions WHERE token_hash = $1").bind(token_hash).execute(self.conn()).await?;
        Ok(())
    }

    /// An auditor closes a questioned access of a resident in `scope` with what they found.
    /// Scope before state: another unit's flag is "not found", resolved or not.
    pub async fn access_flag_resolve(&mut self, actor: &Actor, scope: &Scope, id: i64, finding: &str) -> Result<()> {
        let (lo, hi) = scope.range();
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT f.status FROM access_flags f JOIN residents r ON r.id = f.resident_id              WHERE f.id = $1 AND r.unit_path >= $2 AND r.unit_path < $3",
        )
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(self.conn())
        .await?;
        let (status,) = row.ok_or(StoreError::NotFound)?;
        let done = sqlx::query(
            "UPDATE access_flags SET status = 'resolved', finding = $1, resolved_at = $3 WHERE id = $2 AND status = 'open'",
        )
        .bind(finding)
        .bind(id)
        .bind(now_ms())
        .execute(self.conn())
        .await?;
        if status != "open" || done.rows_affected() == 0 {
            return Err(StoreError::State("该疑问已处理 / already resolved".into()));
        }
        self.audit(actor.audit("access.flag.resolve", "access_flag", id, None, None, finding)).await?;
        Ok(())
    }

    /// A citizen questions an access to their data; it lands with the auditors.
    pub async fn access_flag(&mut self, resident_id: i64, audit_seq: i64, reason: &str) -> Result<i64> {
        let about: Option<(i64,)> = sqlx::query_as(&format!(
            "SELECT seq FROM audit_log WHERE seq = $1 AND {}",
            crate::audit::concerns_person("", "$2")
        ))
        .bind(audit_seq)
        .bind(resident_id)
        .fetch_optional(self.conn())
        .await?;
        if about.is_none() {
            return Err(StoreError::NotFound);
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO access_flags (audit_seq, resident_id, reason, status, created_at) VALUES ($1, $2, $3, 'open', $4) \
             RETURNING id",
        )
        .bind(audit_seq)
        .bind(resident_id)
        .bind(reason)
        .bind(now_ms())
        .fetch_one(self.conn())
        .await?;
        let actor = Actor { name: format!("citizen:{resident_id}"), unit_id: None };
        self.audit(actor.audit("access.flag", "audit_log", audit_seq, None, None, "questioned by the citizen")).await?;
        Ok(id)
    }
}
