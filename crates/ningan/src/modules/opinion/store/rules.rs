//! The topic rules' versions: the newest is in force; every one is kept with who put it in.

use ningan_store::sql::{RowExt as _, query};
use ningan_store::{Actor, Db, Result, Write};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Version {
    pub id: i64,
    pub version: String,
    pub topics: i64,
    pub created_by: String,
    #[serde(serialize_with = "crate::modules::life::model::rfc3339")]
    #[schemars(with = "String")]
    pub created_at: i64,
}

pub async fn insert(w: &mut Write, actor: &Actor, version: &str, source: &str, topics: i64, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO op_rule_versions (version, source, topics, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(version)
    .bind(source)
    .bind(topics)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("opinion.rules", "op_rule_versions", id, None, None, &format!("{version}: {topics} topics")))
        .await?;
    Ok(id)
}

/// The source of the rules in force, if any were put in.
pub async fn current(db: &Db) -> Result<Option<String>> {
    let row = query("SELECT source FROM op_rule_versions ORDER BY id DESC LIMIT 1").fetch_optional(db.reader()).await?;
    Ok(match row {
        Some(r) => Some(r.try_get("source")?),
        None => None,
    })
}

pub async fn versions(db: &Db) -> Result<Vec<Version>> {
    let rows =
        query("SELECT id, version, topics, created_by, created_at FROM op_rule_versions ORDER BY id DESC LIMIT 50")
            .fetch_all(db.reader())
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                id: r.try_get("id")?,
                version: r.try_get("version")?,
                topics: r.try_get("topics")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
