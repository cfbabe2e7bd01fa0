//! Alerts: one per topic and hour at most, raised when the hour spikes; handled by the unit
//! it is assigned to. A unit sees the alerts assigned within its scope; those who manage
//! public opinion also see the ones not yet assigned.

use ningan_core::opinion::{AlertState, AlertStep};
use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, Scope, StoreError, Write};

#[derive(Debug, Clone)]
pub struct Alert {
    pub id: i64,
    pub topic: String,
    pub hour: i64,
    pub count: i64,
    pub expected: f64,
    pub threshold: i64,
    pub p_value: f64,
    pub group_id: Option<i64>,
    pub group_title: Option<String>,
    pub state: String,
    pub unit_id: Option<i64>,
    pub unit_path: Option<String>,
    pub unit_name: Option<String>,
    pub unit_name_en: Option<String>,
    pub deadline: Option<i64>,
    pub reply: String,
    pub rules_version: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "a.id, a.topic, a.hour, a.count, a.expected, a.threshold, a.p_value, a.group_id, g.title AS group_title, \
    a.state, a.unit_id, a.unit_path, u.name AS unit_name, u.name_en AS unit_name_en, a.deadline, a.reply, a.rules_version, \
    a.created_at, a.updated_at";
const FROM: &str = "op_alerts a LEFT JOIN op_groups g ON g.id = a.group_id LEFT JOIN org_units u ON u.id = a.unit_id";

fn from_row(r: &Row) -> Result<Alert> {
    Ok(Alert {
        id: r.try_get("id")?,
        topic: r.try_get("topic")?,
        hour: r.try_get("hour")?,
        count: r.try_get("count")?,
        expected: r.try_get("expected")?,
        threshold: r.try_get("threshold")?,
        p_value: r.try_get("p_value")?,
        group_id: r.try_get("group_id")?,
        group_title: r.try_get("group_title")?,
        state: r.try_get("state")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        unit_name: r.try_get("unit_name")?,
        unit_name_en: r.try_get("unit_name_en")?,
        deadline: r.try_get("deadline")?,
        reply: r.try_get("reply")?,
        rules_version: r.try_get("rules_version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub struct NewAlert<'a> {
    pub topic: &'a str,
    pub hour: i64,
    pub count: i64,
    pub expected: f64,
    pub threshold: i64,
    pub p_value: f64,
    pub group_id: Option<i64>,
    pub rules_version: &'a str,
}

/// Raises the alert for a topic's hour, unless it was raised already; its id if new.
pub async fn raise(w: &mut Write, actor: &Actor, a: &NewAlert<'_>, now: i64) -> Result<Option<i64>> {
    let seen = query("SELECT id FROM op_alerts WHERE topic = $1 AND hour = $2")
        .bind(a.topic)
        .bind(a.hour)
        .fetch_optional(w.connection())
        .await?;
    if seen.is_some() {
        return Ok(None);
    }
    let id: i64 = query(
        "INSERT INTO op_alerts (topic, hour, count, expected, threshold, p_value, group_id, state, reply, rules_version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, $10, $10) RETURNING id",
    )
    .bind(a.topic)
    .bind(a.hour)
    .bind(a.count)
    .bind(a.expected)
    .bind(a.threshold)
    .bind(a.p_value)
    .bind(a.group_id)
    .bind(AlertState::Open.as_str())
    .bind(a.rules_version)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let detail = format!("{}: {} posts in the hour, {:.1} expected", a.topic, a.count, a.expected);
    w.audit(actor.audit("opinion.alert.raise", "op_alert", id, None, None, &detail)).await?;
    Ok(Some(id))
}

/// Who may see which alerts: those assigned within `scope`, and the unassigned ones too
/// when `unassigned`.
pub struct Viewer {
    pub scope: Scope,
    pub unassigned: bool,
}

fn visible(f: &mut Filter, v: &Viewer) {
    let (lo, hi) = v.scope.range();
    let (a, b) = (f.arg_text(lo), f.arg_text(hi));
    let assigned = format!("(a.unit_path >= {a} AND a.unit_path < {b})");
    if v.unassigned {
        f.cond(format!("({assigned} OR a.unit_path IS NULL)"));
    } else {
        f.cond(assigned);
    }
}

pub async fn get(db: &Db, v: &Viewer, id: i64) -> Result<Alert> {
    let mut f = Filter::new();
    visible(&mut f, v);
    let idp = f.arg_i64(id);
    f.cond(format!("a.id = {idp}"));
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {}", f.where_sql());
    let row = f.bind(&sql).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?;
    from_row(&row)
}

pub async fn list(db: &Db, v: &Viewer, state: Option<&str>, page: PageRequest) -> Result<Page<Alert>> {
    let mut f = Filter::new();
    visible(&mut f, v);
    if let Some(s) = state {
        let p = f.arg_text(s.to_string());
        f.cond(format!("a.state = {p}"));
    }
    ningan_store::sql::paged(db, COLUMNS, FROM, "op_alerts a", &f, "a.id DESC", page, from_row).await
}

/// A step as the service decided it.
pub struct Move<'a> {
    pub step: AlertStep,
    pub from: AlertState,
    pub to: AlertState,
    pub note: &'a str,
    /// On assignment: the unit and its deadline.
    pub assign: Option<(i64, &'a str, i64)>,
    /// On answer: the reply.
    pub reply: Option<&'a str>,
    pub at: i64,
}

/// Moves an alert from the state its caller saw; a concurrent change makes it a conflict.
pub async fn step(w: &mut Write, actor: &Actor, id: i64, m: &Move<'_>) -> Result<()> {
    let done = match (m.assign, m.reply) {
        (Some((unit, path, deadline)), _) => {
            query(
                "UPDATE op_alerts SET state = $1, unit_id = $2, unit_path = $3, deadline = $4, updated_at = $5 \
                 WHERE id = $6 AND state = $7",
            )
            .bind(m.to.as_str())
            .bind(unit)
            .bind(path)
            .bind(deadline)
            .bind(m.at)
            .bind(id)
            .bind(m.from.as_str())
            .execute(w.connection())
            .await?
        }
        (None, Some(reply)) => {
            query("UPDATE op_alerts SET state = $1, reply = $2, updated_at = $3 WHERE id = $4 AND state = $5")
                .bind(m.to.as_str())
                .bind(reply)
                .bind(m.at)
                .bind(id)
                .bind(m.from.as_str())
                .execute(w.connection())
                .await?
        }
        (None, None) => {
            query("UPDATE op_alerts SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
                .bind(m.to.as_str())
                .bind(m.at)
                .bind(id)
                .bind(m.from.as_str())
                .execute(w.connection())
                .await?
        }
    };
    if done.rows_affected() != 1 {
        return Err(StoreError::State("the alert changed meanwhile".into()));
    }
    query(
        "INSERT INTO op_alert_events (alert_id, step, from_state, to_state, note, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(m.step.as_str())
    .bind(m.from.as_str())
    .bind(m.to.as_str())
    .bind(m.note)
    .bind(&actor.name)
    .bind(m.at)
    .execute(w.connection())
    .await?;
    w.audit(actor.audit(&format!("opinion.alert.{}", m.step.as_str()), "op_alert", id, None, None, m.to.as_str()))
        .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Event {
    pub step: String,
    pub from_state: String,
    pub to_state: String,
    pub note: String,
    pub actor: String,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub at: i64,
}

pub async fn events(db: &Db, id: i64) -> Result<Vec<Event>> {
    let rows = query(
        "SELECT step, from_state, to_state, note, actor, at FROM op_alert_events WHERE alert_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                step: r.try_get("step")?,
                from_state: r.try_get("from_state")?,
                to_state: r.try_get("to_state")?,
                note: r.try_get("note")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// Alerts by state, as `v` sees them.
pub async fn by_state(db: &Db, v: &Viewer) -> Result<Vec<(String, i64)>> {
    let mut f = Filter::new();
    visible(&mut f, v);
    let sql = format!("SELECT a.state, COUNT(*) AS n FROM op_alerts a WHERE {} GROUP BY a.state", f.where_sql());
    let rows = f.bind(&sql).fetch_all(db.reader()).await?;
    rows.iter().map(|r| Ok((r.try_get("state")?, r.try_get("n")?))).collect()
}
