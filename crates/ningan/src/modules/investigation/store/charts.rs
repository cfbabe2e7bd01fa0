//! Investigators' charts, saved with the case: every save is a new version, none replaced.

use ningan_store::sql::{Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, StoreError, Write};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Chart {
    pub id: i64,
    pub case_id: i64,
    pub version: i64,
    pub title: String,
    /// The chart as saved: nodes, links, filters (JSON).
    pub body: serde_json::Value,
    pub saved_by: String,
    pub saved_at: i64,
}

fn chart(r: &Row) -> Result<Chart> {
    let body: String = r.try_get("body")?;
    Ok(Chart {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        version: r.try_get("version")?,
        title: r.try_get("title")?,
        body: serde_json::from_str(&body).map_err(|e| StoreError::State(e.to_string()))?,
        saved_by: r.try_get("saved_by")?,
        saved_at: r.try_get("saved_at")?,
    })
}

/// Saves the next version of the case's chart.
pub async fn save(
    w: &mut Write,
    actor: &Actor,
    case_id: i64,
    title: &str,
    body: &serde_json::Value,
    now: i64,
) -> Result<i64> {
    if w.is_postgres() {
        query("SELECT id FROM inv_cases WHERE id = $1 FOR UPDATE").bind(case_id).execute(w.connection()).await?;
    }
    let version: i64 = query("SELECT COALESCE(MAX(version), 0) + 1 AS v FROM inv_charts WHERE case_id = $1")
        .bind(case_id)
        .fetch_one(w.connection())
        .await?
        .try_get("v")?;
    query("INSERT INTO inv_charts (case_id, version, title, body, saved_by, saved_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(case_id)
        .bind(version)
        .bind(title)
        .bind(body.to_string())
        .bind(&actor.name)
        .bind(now)
        .execute(w.connection())
        .await?;
    super::cases::log(w, actor, case_id, "chart", &format!("关系图 / chart v{version}: {title}"), now).await?;
    w.audit(actor.audit("investigation.chart.save", "inv_case", case_id, None, None, &format!("v{version}"))).await?;
    Ok(version)
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Version {
    pub version: i64,
    pub title: String,
    pub saved_by: String,
    pub saved_at: i64,
}

pub async fn versions(db: &Db, case_id: i64) -> Result<Vec<Version>> {
    let rows =
        query("SELECT version, title, saved_by, saved_at FROM inv_charts WHERE case_id = $1 ORDER BY version DESC")
            .bind(case_id)
            .fetch_all(db.reader())
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                version: r.try_get("version")?,
                title: r.try_get("title")?,
                saved_by: r.try_get("saved_by")?,
                saved_at: r.try_get("saved_at")?,
            })
        })
        .collect()
}

pub async fn get(db: &Db, case_id: i64, version: i64) -> Result<Chart> {
    let row = query("SELECT * FROM inv_charts WHERE case_id = $1 AND version = $2")
        .bind(case_id)
        .bind(version)
        .fetch_optional(db.reader())
        .await?;
    chart(&row.ok_or(StoreError::NotFound)?)
}
