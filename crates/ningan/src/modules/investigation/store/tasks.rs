//! Tasks between the synthesized units of a case: analysis, technical, field; each with a
//! deadline, open until done with its result.

use ningan_store::sql::{Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, StoreError, Write};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Task {
    pub id: i64,
    pub case_id: i64,
    /// analysis, technical or field.
    pub team: String,
    pub title: String,
    pub detail: String,
    pub assignee: Option<i64>,
    pub assignee_name: Option<String>,
    pub due_at: i64,
    /// open or done.
    pub state: String,
    pub result: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

fn task(r: &Row) -> Result<Task> {
    Ok(Task {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        team: r.try_get("team")?,
        title: r.try_get("title")?,
        detail: r.try_get("detail")?,
        assignee: r.try_get("assignee")?,
        assignee_name: r.try_get("assignee_name")?,
        due_at: r.try_get("due_at")?,
        state: r.try_get("state")?,
        result: r.try_get("result")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        done_at: r.try_get("done_at")?,
    })
}

const SELECT: &str =
    "SELECT t.*, u.display_name AS assignee_name FROM inv_tasks t LEFT JOIN users u ON u.id = t.assignee";

pub struct NewTask<'a> {
    pub team: &'a str,
    pub title: &'a str,
    pub detail: &'a str,
    pub assignee: Option<i64>,
    pub due_at: i64,
}

pub async fn insert(w: &mut Write, actor: &Actor, case_id: i64, n: &NewTask<'_>, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO inv_tasks (case_id, team, title, detail, assignee, due_at, state, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8) RETURNING id",
    )
    .bind(case_id)
    .bind(n.team)
    .bind(n.title)
    .bind(n.detail)
    .bind(n.assignee)
    .bind(n.due_at)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    super::cases::log(w, actor, case_id, "task", &format!("任务 / task #{id}: {}", n.title), now).await?;
    w.audit(actor.audit("investigation.task.create", "inv_task", id, None, None, n.title)).await?;
    Ok(id)
}

pub async fn list(db: &Db, case_id: i64) -> Result<Vec<Task>> {
    let sql =
        format!("{SELECT} WHERE t.case_id = $1 ORDER BY CASE WHEN t.state = 'open' THEN 0 ELSE 1 END, t.due_at, t.id");
    let rows = query(&sql).bind(case_id).fetch_all(db.reader()).await?;
    rows.iter().map(task).collect()
}

pub async fn get(db: &Db, case_id: i64, id: i64) -> Result<Task> {
    let sql = format!("{SELECT} WHERE t.case_id = $1 AND t.id = $2");
    let row = query(&sql).bind(case_id).bind(id).fetch_optional(db.reader()).await?;
    task(&row.ok_or(StoreError::NotFound)?)
}

/// Marks an open task done with its result; a task done already is a conflict.
pub async fn finish(w: &mut Write, actor: &Actor, case_id: i64, id: i64, result: &str, now: i64) -> Result<()> {
    let done = query(
        "UPDATE inv_tasks SET state = 'done', result = $1, done_at = $2 WHERE id = $3 AND case_id = $4 AND state = 'open'",
    )
    .bind(result)
    .bind(now)
    .bind(id)
    .bind(case_id)
    .execute(w.connection())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!("task {id}")));
    }
    super::cases::log(w, actor, case_id, "task", &format!("任务完成 / task #{id} done: {result}"), now).await?;
    w.audit(actor.audit("investigation.task.done", "inv_task", id, None, None, result)).await?;
    Ok(())
}
