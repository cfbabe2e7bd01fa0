//! The catalogue of cross-agency application scenarios (多跨协同应用场景): public data, so the
//! bureau's count of them is a list anyone can read.

use ningan_store::sql::{Row, RowExt as _, query};
use ningan_store::{Actor, Db, Result, StoreError, Write};

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Scenario {
    pub id: i64,
    pub name: String,
    pub name_en: String,
    pub owner_unit_id: i64,
    pub owner: String,
    pub owner_en: String,
    pub owner_path: String,
    /// The partner agencies, in the order given.
    pub partners: Vec<String>,
    /// The ningan module that runs it.
    pub module: String,
    /// planned | pilot | live | retired
    pub status: String,
    /// A cockpit counter whose live value the catalogue shows beside the scenario.
    pub counter: Option<String>,
    /// The figures the bureau quotes for it, as text.
    pub figures: String,
    /// `YYYY-MM-DD`.
    pub launched_on: Option<String>,
    pub updated_at: i64,
}

fn scenario(r: &Row) -> Result<Scenario> {
    let partners: String = r.try_get("partners")?;
    Ok(Scenario {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        owner_unit_id: r.try_get("owner_unit_id")?,
        owner: r.try_get("owner")?,
        owner_en: r.try_get("owner_en")?,
        owner_path: r.try_get("owner_path")?,
        partners: partners.split('、').filter(|p| !p.is_empty()).map(String::from).collect(),
        module: r.try_get("module")?,
        status: r.try_get("status")?,
        counter: r.try_get("counter")?,
        figures: r.try_get("figures")?,
        launched_on: r.try_get("launched_on")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const COLUMNS: &str = "s.*, u.name AS owner, u.name_en AS owner_en";

pub struct Fields<'a> {
    pub name: &'a str,
    pub name_en: &'a str,
    pub owner_unit_id: i64,
    pub owner_path: &'a str,
    pub partners: &'a [String],
    pub module: &'a str,
    pub status: &'a str,
    pub counter: Option<&'a str>,
    pub figures: &'a str,
    pub launched_on: Option<&'a str>,
}

pub async fn insert(w: &mut Write, actor: &Actor, s: &Fields<'_>, now: i64) -> Result<i64> {
    let id: i64 = query(
        "INSERT INTO ev_scenarios (name, name_en, owner_unit_id, owner_path, partners, module, status, counter, figures, \
         launched_on, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(s.name)
    .bind(s.name_en)
    .bind(s.owner_unit_id)
    .bind(s.owner_path)
    .bind(s.partners.join("、"))
    .bind(s.module)
    .bind(s.status)
    .bind(s.counter)
    .bind(s.figures)
    .bind(s.launched_on)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(w.connection())
    .await?
    .try_get("id")?;
    w.audit(actor.audit("evaluation.scenario.create", "ev_scenario", id, None, None, s.name)).await?;
    Ok(id)
}

pub async fn update(w: &mut Write, actor: &Actor, id: i64, s: &Fields<'_>, now: i64) -> Result<()> {
    let n = query(
        "UPDATE ev_scenarios SET name = $1, name_en = $2, owner_unit_id = $3, owner_path = $4, partners = $5, module = $6, \
         status = $7, counter = $8, figures = $9, launched_on = $10, updated_by = $11, updated_at = $12 WHERE id = $13",
    )
    .bind(s.name)
    .bind(s.name_en)
    .bind(s.owner_unit_id)
    .bind(s.owner_path)
    .bind(s.partners.join("、"))
    .bind(s.module)
    .bind(s.status)
    .bind(s.counter)
    .bind(s.figures)
    .bind(s.launched_on)
    .bind(&actor.name)
    .bind(now)
    .bind(id)
    .execute(w.connection())
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    w.audit(actor.audit("evaluation.scenario.edit", "ev_scenario", id, None, None, s.name)).await?;
    Ok(())
}

/// Every scenario, by module then name; `status` narrows it.
pub async fn list(db: &Db, status: Option<&str>) -> Result<Vec<Scenario>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ev_scenarios s JOIN org_units u ON u.id = s.owner_unit_id \
         WHERE ($1 = '' OR s.status = $1) ORDER BY s.module, s.id"
    );
    query(&sql).bind(status.unwrap_or("")).fetch_all(db.reader()).await?.iter().map(scenario).collect()
}

pub async fn get(db: &Db, id: i64) -> Result<Scenario> {
    let sql =
        format!("SELECT {COLUMNS} FROM ev_scenarios s JOIN org_units u ON u.id = s.owner_unit_id WHERE s.id = $1");
    scenario(&query(&sql).bind(id).fetch_optional(db.reader()).await?.ok_or(StoreError::NotFound)?)
}
