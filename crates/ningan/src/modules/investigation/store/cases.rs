//! Cases, their teams and their log. A case belongs to the unit that opened it; who may open
//! it is decided here once ([`may_open`]) and asked by the route table's guard.

use ningan_core::Action;
use ningan_store::sql::{Filter, Row, RowExt as _, query};
use ningan_store::{Actor, Db, Page, PageRequest, Result, Scope, StoreError, Write};

use crate::http::principal::Principal;

/// 立案 → 侦查 → 破案 → 移送起诉 → 结案.
pub const STAGES: [(&str, &str, &str); 5] = [
    ("filed", "立案", "Filed"),
    ("investigating", "侦查", "Under investigation"),
    ("solved", "破案", "Solved"),
    ("prosecution", "移送起诉", "Sent for prosecution"),
    ("closed", "结案", "Closed"),
];

pub fn stage_label(stage: &str, en: bool) -> &'static str {
    STAGES.iter().find(|s| s.0 == stage).map(|s| if en { s.2 } else { s.1 }).unwrap_or("?")
}

/// The stage after `stage`, if any: a case moves one step at a time.
pub fn next_stage(stage: &str) -> Option<&'static str> {
    let i = STAGES.iter().position(|s| s.0 == stage)?;
    STAGES.get(i + 1).map(|s| s.0)
}

/// The synthesized units a member or a task belongs to (合成作战：研判、技术、实战).
pub const DUTIES: [(&str, &str, &str); 4] = [
    ("lead", "主办", "Lead"),
    ("analysis", "情报研判", "Analysis"),
    ("technical", "技术侦查", "Technical"),
    ("field", "一线实战", "Field"),
];

pub fn duty_label(duty: &str, en: bool) -> &'static str {
    DUTIES.iter().find(|s| s.0 == duty).map(|s| if en { s.2 } else { s.1 }).unwrap_or("?")
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Case {
    pub id: i64,
    pub no: String,
    pub title: String,
    pub summary: String,
    /// 故意伤害、诈骗、寻衅滋事、非法拘禁…
    pub category: String,
    /// An organised-crime case (涉黑涉恶).
    pub organised: bool,
    pub stage: String,
    /// Gangs broken up by this case once solved.
    pub gangs_broken: i64,
    pub unit_id: i64,
    pub unit_path: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub solved_at: Option<i64>,
}

fn case(r: &Row) -> Result<Case> {
    Ok(Case {
        id: r.try_get("id")?,
        no: r.try_get("no")?,
        title: r.try_get("title")?,
        summary: r.try_get("summary")?,
        category: r.try_get("category")?,
        organised: r.try_get::<i64, _>("organised")? != 0,
        stage: r.try_get("stage")?,
        gangs_broken: r.try_get("gangs_broken")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        solved_at: r.try_get("solved_at")?,
    })
}

/// Whether `p` may open case `id`: on its team, or supervising the unit that owns it. An
/// unknown case is simply not openable.
pub async fn may_open(db: &Db, p: &Principal, id: i64) -> Result<bool> {
    let user = p.user().map(|u| u.id).unwrap_or(0);
    let row = query(
        "SELECT c.unit_path, (SELECT COUNT(*) FROM inv_members m WHERE m.case_id = c.id AND m.user_id = $2) AS member \
         FROM inv_cases c WHERE c.id = $1",
    )
    .bind(id)
    .bind(user)
    .fetch_optional(db.reader())
    .await?;
    let Some(row) = row else { return Ok(false) };
    let member: i64 = row.try_get("member")?;
    let path: String = row.try_get("unit_path")?;
    Ok(member > 0 || (p.may(Action::InvestigationSupervise) && p.scope().contains(&path)))
}

pub struct NewCase<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub category: &'a str,
    pub organised: bool,
    pub unit_id: i64,
    pub unit_code: &'a str,
    pub unit_path: &'a str,
    /// The officer opening it, who leads it.
    pub lead: i64,
}

/// Opens a case with its lead on the team; its number is the unit's code, the year and the id.
pub async fn insert(w: &mut Write, actor: &Actor, n: &NewCase<'_>, now: i64) -> Result<(i64, String)> {
    let provisional = format!("pending-{now}-{}", n.lead);
    let id: i64 = query(
        "INSERT INTO inv_cases (no, title, summary, category, organised, stage, gangs_broken, unit_id, unit_path, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'filed', 0, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(&provisional)
    .bind(n.title)
    .bind(n.summary)
    .bind(n.category)
    .bind(i64::from(n.organised))
    .bind(n.unit_id)
    .bind(n.unit_path)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    let year = chrono::DateTime::from_timestamp_millis(now).map(|t| t.format("%Y").to_string()).unwrap_or_default();
    let no = format!("A{}{year}{id:06}", n.unit_code);
    query("UPDATE inv_cases SET no = $1 WHERE id = $2").bind(&no).bind(id).execute(w.connection()).await?;
    member_add(w, actor, id, n.lead, "lead", now).await?;
    log(w, actor, id, "stage", "立案 / filed", now).await?;
    w.audit(actor.audit("investigation.case.open", "inv_case", id, None, None, &no)).await?;
    Ok((id, no))
}

pub async fn get(db: &Db, id: i64) -> Result<Case> {
    let row = query("SELECT * FROM inv_cases WHERE id = $1").bind(id).fetch_optional(db.reader()).await?;
    case(&row.ok_or(StoreError::NotFound)?)
}

#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub q: Option<String>,
    pub stage: Option<String>,
    pub organised: Option<bool>,
}

/// The cases `user` is on the team of, and, when `supervised` is given, every case in it.
pub async fn list(
    db: &Db,
    user: i64,
    supervised: Option<&Scope>,
    q: &CaseQuery,
    page: PageRequest,
) -> Result<Page<Case>> {
    let mut f = Filter::new();
    let u = f.arg_i64(user);
    let member = format!("id IN (SELECT case_id FROM inv_members WHERE user_id = {u})");
    match supervised {
        Some(scope) => {
            let (lo, hi) = scope.range();
            let (lo, hi) = (f.arg_text(lo), f.arg_text(hi));
            f.cond(format!("({member} OR (unit_path >= {lo} AND unit_path < {hi}))"));
        }
        None => f.cond(member),
    }
    if let Some(s) = &q.stage {
        let p = f.arg_text(s.clone());
        f.cond(format!("stage = {p}"));
    }
    if let Some(o) = q.organised {
        let p = f.arg_i64(i64::from(o));
        f.cond(format!("organised = {p}"));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let p = f.arg_text(format!("%{}%", text.replace(['%', '_'], "")));
        f.cond(format!("(title LIKE {p} OR no LIKE {p} OR category LIKE {p})"));
    }
    ningan_store::sql::paged(db, "*", "inv_cases", "inv_cases", &f, "updated_at DESC, id DESC", page, case).await
}

/// Moves the case to `stage`; solving it records when and how many gangs it broke.
pub async fn set_stage(
    w: &mut Write,
    actor: &Actor,
    id: i64,
    stage: &str,
    gangs_broken: Option<i64>,
    note: &str,
    now: i64,
) -> Result<()> {
    let solved = if stage == "solved" { Some(now) } else { None };
    query(
        "UPDATE inv_cases SET stage = $1, updated_at = $2, solved_at = COALESCE($3, solved_at), \
         gangs_broken = COALESCE($4, gangs_broken) WHERE id = $5",
    )
    .bind(stage)
    .bind(now)
    .bind(solved)
    .bind(gangs_broken)
    .bind(id)
    .execute(w.connection())
    .await?;
    let text = if note.is_empty() {
        stage_label(stage, false).to_string()
    } else {
        format!("{}：{note}", stage_label(stage, false))
    };
    log(w, actor, id, "stage", &text, now).await?;
    w.audit(actor.audit("investigation.case.stage", "inv_case", id, None, None, stage)).await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Member {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_name: String,
    pub duty: String,
    pub added_at: i64,
}

pub async fn members(db: &Db, case_id: i64) -> Result<Vec<Member>> {
    let rows = query(
        "SELECT m.user_id, u.username, u.display_name, o.name AS unit_name, m.duty, m.added_at FROM inv_members m \
         JOIN users u ON u.id = m.user_id JOIN org_units o ON o.id = u.unit_id WHERE m.case_id = $1 \
         ORDER BY CASE WHEN m.duty = 'lead' THEN 0 ELSE 1 END, m.added_at, m.user_id",
    )
    .bind(case_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Member {
                user_id: r.try_get("user_id")?,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                unit_name: r.try_get("unit_name")?,
                duty: r.try_get("duty")?,
                added_at: r.try_get("added_at")?,
            })
        })
        .collect()
}

/// Adds `user` to the team (or changes their duty on it).
pub async fn member_add(w: &mut Write, actor: &Actor, case_id: i64, user: i64, duty: &str, now: i64) -> Result<()> {
    query("DELETE FROM inv_members WHERE case_id = $1 AND user_id = $2")
        .bind(case_id)
        .bind(user)
        .execute(w.connection())
        .await?;
    query("INSERT INTO inv_members (case_id, user_id, duty, added_by, added_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(case_id)
        .bind(user)
        .bind(duty)
        .bind(&actor.name)
        .bind(now)
        .execute(w.connection())
        .await?;
    w.audit(actor.audit("investigation.member.add", "inv_case", case_id, None, None, &format!("user {user}: {duty}")))
        .await?;
    Ok(())
}

pub async fn member_remove(w: &mut Write, actor: &Actor, case_id: i64, user: i64) -> Result<()> {
    let done = query("DELETE FROM inv_members WHERE case_id = $1 AND user_id = $2")
        .bind(case_id)
        .bind(user)
        .execute(w.connection())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    w.audit(actor.audit("investigation.member.remove", "inv_case", case_id, None, None, &format!("user {user}")))
        .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct LogEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    /// note, stage, member, evidence, task, import, chart.
    pub kind: String,
    pub text: String,
}

pub async fn log(w: &mut Write, actor: &Actor, case_id: i64, kind: &str, text: &str, now: i64) -> Result<i64> {
    let id: i64 =
        query("INSERT INTO inv_log (case_id, at, actor, kind, text) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(case_id)
            .bind(now)
            .bind(&actor.name)
            .bind(kind)
            .bind(text)
            .fetch_one(w.connection())
            .await?
            .try_get("id")?;
    query("UPDATE inv_cases SET updated_at = $1 WHERE id = $2").bind(now).bind(case_id).execute(w.connection()).await?;
    Ok(id)
}

pub async fn log_page(db: &Db, case_id: i64, page: PageRequest) -> Result<Page<LogEntry>> {
    let mut f = Filter::new();
    let p = f.arg_i64(case_id);
    f.cond(format!("case_id = {p}"));
    ningan_store::sql::paged(db, "*", "inv_log", "inv_log", &f, "id DESC", page, |r| {
        Ok(LogEntry {
            id: r.try_get("id")?,
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            kind: r.try_get("kind")?,
            text: r.try_get("text")?,
        })
    })
    .await
}

/// Cases by stage and unit within `scope`, for the figures and the cockpit.
#[derive(Debug, Clone, Default, serde::Serialize, schemars::JsonSchema)]
pub struct Figures {
    /// (stage, cases, of them organised-crime).
    pub by_stage: Vec<(String, i64, i64)>,
    /// (unit, cases, solved or later, gangs broken).
    pub by_unit: Vec<(String, i64, i64, i64)>,
    pub cases: i64,
    pub solved: i64,
    pub organised: i64,
    pub organised_solved: i64,
    pub gangs_broken: i64,
    /// (unit path, cases), for the map.
    pub by_path: Vec<(String, i64)>,
}

pub async fn figures(db: &Db, scope: &Scope) -> Result<Figures> {
    let (lo, hi) = scope.range();
    let rows = query(
        "SELECT stage, COUNT(*) AS n, CAST(SUM(organised) AS BIGINT) AS org, CAST(SUM(gangs_broken) AS BIGINT) AS gangs FROM inv_cases \
         WHERE unit_path >= $1 AND unit_path < $2 GROUP BY stage",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.reader())
    .await?;
    let mut f = Figures::default();
    let mut counts = std::collections::HashMap::new();
    for r in &rows {
        let stage: String = r.try_get("stage")?;
        let n: i64 = r.try_get("n")?;
        let org: i64 = r.try_get::<Option<i64>, _>("org")?.unwrap_or(0);
        let gangs: i64 = r.try_get::<Option<i64>, _>("gangs")?.unwrap_or(0);
        f.cases += n;
        f.organised += org;
        f.gangs_broken += gangs;
        if matches!(stage.as_str(), "solved" | "prosecution" | "closed") {
            f.solved += n;
            f.organised_solved += org;
        }
        counts.insert(stage, (n, org));
    }
    f.by_stage = STAGES
        .iter()
        .map(|s| {
            let (n, org) = counts.get(s.0).copied().unwrap_or((0, 0));
            (s.0.to_string(), n, org)
        })
        .collect();
    let rows = query(
        "SELECT o.name AS unit, COUNT(*) AS n, \
         CAST(SUM(CASE WHEN c.stage IN ('solved', 'prosecution', 'closed') THEN 1 ELSE 0 END) AS BIGINT) AS solved, \
         CAST(SUM(c.gangs_broken) AS BIGINT) AS gangs FROM inv_cases c JOIN org_units o ON o.id = c.unit_id \
         WHERE c.unit_path >= $1 AND c.unit_path < $2 GROUP BY o.name ORDER BY n DESC, o.name LIMIT 50",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.reader())
    .await?;
    for r in &rows {
        f.by_unit.push((
            r.try_get("unit")?,
            r.try_get("n")?,
            r.try_get::<Option<i64>, _>("solved")?.unwrap_or(0),
            r.try_get::<Option<i64>, _>("gangs")?.unwrap_or(0),
        ));
    }
    let rows = query(
        "SELECT unit_path, COUNT(*) AS n FROM inv_cases WHERE unit_path >= $1 AND unit_path < $2 GROUP BY unit_path",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(db.reader())
    .await?;
    for r in &rows {
        f.by_path.push((r.try_get("unit_path")?, r.try_get("n")?));
    }
    Ok(f)
}

/// Evidence items, open tasks, imports, relations and entities of a case.
pub async fn counts(db: &Db, id: i64) -> Result<(i64, i64, i64, i64, i64)> {
    let r = query(
        "SELECT (SELECT COUNT(*) FROM inv_evidence WHERE case_id = $1) AS e, \
         (SELECT COUNT(*) FROM inv_tasks WHERE case_id = $1 AND state = 'open') AS t, \
         (SELECT COUNT(*) FROM inv_imports WHERE case_id = $1) AS i, \
         (SELECT COUNT(*) FROM inv_relations WHERE case_id = $1) AS r, \
         (SELECT COUNT(*) FROM inv_entities WHERE case_id = $1) AS n",
    )
    .bind(id)
    .fetch_one(db.reader())
    .await?;
    Ok((r.try_get("e")?, r.try_get("t")?, r.try_get("i")?, r.try_get("r")?, r.try_get("n")?))
}
