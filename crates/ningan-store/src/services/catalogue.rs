//! The catalogue of household-registration items as data: each item's guide (conditions,
//! facts the bureau fetches, time limit, fee), its typed form fields, and every version of
//! its definition with who changed it, when and why. An application keeps the version it was
//! filed under, so a later change never rewrites what a citizen was asked.

use ningan_core::time::now_ms;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::db::{Db, Write};
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFact {
    pub code: String,
    pub name: String,
    /// `bureau` (the bureau's own register) or the code of the partner agency that holds it.
    pub source: String,
}

/// One field of an item's form. `kind` is one of the application's field kinds (text,
/// long_text, date, id_number, phone, address, number, choice); the store keeps it as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredField")]
pub struct ServiceField {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub required: bool,
    /// The choices of a `choice` field; empty otherwise.
    pub options: Vec<String>,
}

impl ServiceField {
    pub fn text(key: &str, label: &str) -> ServiceField {
        ServiceField { key: key.into(), label: label.into(), kind: "text".into(), required: true, options: vec![] }
    }
}

/// Fields were first stored as `[key, label]` pairs (all required text); those still read.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredField {
    Pair(String, String),
    Full {
        key: String,
        label: String,
        kind: String,
        required: bool,
        #[serde(default)]
        options: Vec<String>,
    },
}

impl From<StoredField> for ServiceField {
    fn from(f: StoredField) -> ServiceField {
        match f {
            StoredField::Pair(key, label) => ServiceField::text(&key, &label),
            StoredField::Full { key, label, kind, required, options } => {
                ServiceField { key, label, kind, required, options }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceItem {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub category: String,
    pub legal_basis: String,
    pub eligibility: String,
    pub facts: Vec<String>,
    pub fields: Vec<ServiceField>,
    pub time_limit_days: i64,
    /// 工本费 in whole yuan; 0 is free.
    pub fee_yuan: i64,
    /// 全城通办: any station in the city may take and handle it.
    pub citywide: bool,
    /// 跨市通办.
    pub crosscity: bool,
    pub active: bool,
    /// The definition's version, 1 when first saved; every change that alters it adds one.
    pub version: i64,
}

/// An item's definition, as saved and as kept in each version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewServiceItem {
    pub code: String,
    pub name: String,
    pub category: String,
    pub legal_basis: String,
    pub eligibility: String,
    pub facts: Vec<String>,
    pub fields: Vec<ServiceField>,
    pub time_limit_days: i64,
    #[serde(default)]
    pub fee_yuan: i64,
    pub citywide: bool,
    pub crosscity: bool,
    pub active: bool,
}

impl ServiceItem {
    pub fn definition(&self) -> NewServiceItem {
        NewServiceItem {
            code: self.code.clone(),
            name: self.name.clone(),
            category: self.category.clone(),
            legal_basis: self.legal_basis.clone(),
            eligibility: self.eligibility.clone(),
            facts: self.facts.clone(),
            fields: self.fields.clone(),
            time_limit_days: self.time_limit_days,
            fee_yuan: self.fee_yuan,
            citywide: self.citywide,
            crosscity: self.crosscity,
            active: self.active,
        }
    }
}

/// One saved version of an item.
#[derive(Debug, Clone)]
pub struct ItemVersion {
    pub version: i64,
    pub definition: NewServiceItem,
    pub actor: String,
    pub reason: String,
    pub created_at: i64,
}

fn item_from_row(r: &AnyRow) -> Result<ServiceItem> {
    let facts: String = r.try_get("facts")?;
    Ok(ServiceItem {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        category: r.try_get("category")?,
        legal_basis: r.try_get("legal_basis")?,
        eligibility: r.try_get("eligibility")?,
        facts: serde_json::from_str(&facts).unwrap_or_default(),
        fields: serde_json::from_str(&r.try_get::<String, _>("fields")?).unwrap_or_default(),
        time_limit_days: r.try_get("time_limit_days")?,
        fee_yuan: r.try_get("fee_yuan")?,
        citywide: r.try_get::<i64, _>("citywide")? != 0,
        crosscity: r.try_get::<i64, _>("crosscity")? != 0,
        active: r.try_get::<i64, _>("active")? != 0,
        version: r.try_get("version")?,
    })
}

const ITEM_COLUMNS: &str = "id, code, name, category, legal_basis, eligibility, facts, fields, time_limit_days, \
     fee_yuan, citywide, crosscity, active, version";

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl Db {
    /// Adds the shipped facts and items the catalogue does not have yet (by code), each as its
    /// first version; items already there stay as the administrators left them. Items saved
    /// before versions were kept get their present definition as version 1.
    pub async fn ensure_service_catalogue(&self, facts: &[ServiceFact], items: &[NewServiceItem]) -> Result<()> {
        let known_facts: Vec<(String,)> =
            sqlx::query_as("SELECT code FROM service_facts").fetch_all(&self.pool).await?;
        let known: Vec<(String,)> = sqlx::query_as("SELECT code FROM service_items").fetch_all(&self.pool).await?;
        let unversioned: Vec<(String,)> = sqlx::query_as(
            "SELECT code FROM service_items i WHERE NOT EXISTS \
             (SELECT 1 FROM service_item_versions v WHERE v.item_code = i.code)",
        )
        .fetch_all(&self.pool)
        .await?;
        let new_facts: Vec<_> = facts.iter().filter(|f| !known_facts.iter().any(|(c,)| *c == f.code)).collect();
        let new_items: Vec<_> = items.iter().filter(|i| !known.iter().any(|(c,)| *c == i.code)).collect();
        if new_facts.is_empty() && new_items.is_empty() && unversioned.is_empty() {
            return Ok(());
        }
        let mut w = self.write().await?;
        for f in &new_facts {
            sqlx::query("INSERT INTO service_facts (code, name, source) VALUES ($1, $2, $3)")
                .bind(&f.code)
                .bind(&f.name)
                .bind(&f.source)
                .execute(w.conn())
                .await?;
        }
        let system = Actor::system();
        for (code,) in &unversioned {
            let item = self.service_item(code).await?;
            w.service_item_version_insert(&system, &item.definition(), 1, "版本记录启用前的定义").await?;
        }
        for i in &new_items {
            w.service_item_insert(&system, i, "随系统发布的事项目录").await?;
        }
        let note = format!("{} facts, {} items", new_facts.len(), new_items.len());
        w.audit(system.audit("service.catalogue.seed", "service_item", "-", None, None, &note)).await?;
        w.commit().await
    }

    pub async fn service_facts(&self) -> Result<Vec<ServiceFact>> {
        let rows =
            sqlx::query("SELECT code, name, source FROM service_facts ORDER BY code").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(ServiceFact { code: r.try_get("code")?, name: r.try_get("name")?, source: r.try_get("source")? })
            })
            .collect()
    }

    pub async fn service_items(&self, active_only: bool) -> Result<Vec<ServiceItem>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM service_items {} ORDER BY category, id",
            if active_only { "WHERE active = 1" } else { "" }
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(item_from_row).collect()
    }

    pub async fn service_item(&self, code: &str) -> Result<ServiceItem> {
        let r = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM service_items WHERE code = $1"))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        item_from_row(&r)
    }

    /// Every version of an item, newest first.
    pub async fn service_item_versions(&self, code: &str) -> Result<Vec<ItemVersion>> {
        let rows = sqlx::query(
            "SELECT version, definition, actor, reason, created_at FROM service_item_versions \
             WHERE item_code = $1 ORDER BY version DESC",
        )
        .bind(code)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// The definition an application was filed under.
    pub async fn service_item_version(&self, code: &str, version: i64) -> Result<ItemVersion> {
        let r = sqlx::query(
            "SELECT version, definition, actor, reason, created_at FROM service_item_versions \
             WHERE item_code = $1 AND version = $2",
        )
        .bind(code)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        version_from_row(&r)
    }
}

fn version_from_row(r: &AnyRow) -> Result<ItemVersion> {
    let definition: String = r.try_get("definition")?;
    Ok(ItemVersion {
        version: r.try_get("version")?,
        definition: serde_json::from_str(&definition)
            .map_err(|e| StoreError::Conflict(format!("stored item version unreadable: {e}")))?,
        actor: r.try_get("actor")?,
        reason: r.try_get("reason")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Write {
    /// Adds an item as its version 1; a code already in the catalogue is a conflict.
    pub async fn service_item_insert(&mut self, actor: &Actor, i: &NewServiceItem, reason: &str) -> Result<i64> {
        let row: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO service_items (code, name, category, legal_basis, eligibility, facts, fields, time_limit_days, \
             citywide, crosscity, active, updated_at, fee_yuan, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1) \
             ON CONFLICT (code) DO NOTHING RETURNING id",
        )
        .bind(&i.code)
        .bind(&i.name)
        .bind(&i.category)
        .bind(&i.legal_basis)
        .bind(&i.eligibility)
        .bind(json(&i.facts))
        .bind(json(&i.fields))
        .bind(i.time_limit_days)
        .bind(i64::from(i.citywide))
        .bind(i64::from(i.crosscity))
        .bind(i64::from(i.active))
        .bind(now_ms())
        .bind(i.fee_yuan)
        .fetch_optional(self.conn())
        .await?;
        let (id,) = row.ok_or_else(|| StoreError::Conflict("code".into()))?;
        self.service_item_version_insert(actor, i, 1, reason).await?;
        self.audit(actor.audit("service.item.create", "service_item", &i.code, None, None, reason)).await?;
        Ok(id)
    }

    /// Replaces an item's definition (its code stays) as a new version, with why; saving the
    /// definition unchanged adds no version. Returns the version in force.
    pub async fn service_item_update(
        &mut self,
        actor: &Actor,
        code: &str,
        i: &NewServiceItem,
        reason: &str,
    ) -> Result<i64> {
        // Read under the write lock, so two editors never both make version n + 1.
        let r = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM service_items WHERE code = $1"))
            .bind(code)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        let current = item_from_row(&r)?;
        let mut next = i.clone();
        next.code = code.to_string();
        if current.definition() == next {
            return Ok(current.version);
        }
        let version = current.version + 1;
        sqlx::query(
            "UPDATE service_items SET name = $1, category = $2, legal_basis = $3, eligibility = $4, facts = $5, \
             fields = $6, time_limit_days = $7, citywide = $8, crosscity = $9, active = $10, updated_at = $11, \
             fee_yuan = $12, version = $13 WHERE code = $14",
        )
        .bind(&next.name)
        .bind(&next.category)
        .bind(&next.legal_basis)
        .bind(&next.eligibility)
        .bind(json(&next.facts))
        .bind(json(&next.fields))
        .bind(next.time_limit_days)
        .bind(i64::from(next.citywide))
        .bind(i64::from(next.crosscity))
        .bind(i64::from(next.active))
        .bind(now_ms())
        .bind(next.fee_yuan)
        .bind(version)
        .bind(code)
        .execute(self.conn())
        .await?;
        self.service_item_version_insert(actor, &next, version, reason).await?;
        let action = match (current.active, next.active) {
            (true, false) => "service.item.retire",
            (false, true) => "service.item.restore",
            _ => "service.item.update",
        };
        self.audit(actor.audit(action, "service_item", code, None, None, &format!("v{version}: {reason}"))).await?;
        Ok(version)
    }

    async fn service_item_version_insert(
        &mut self,
        actor: &Actor,
        i: &NewServiceItem,
        version: i64,
        reason: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO service_item_versions (item_code, version, definition, actor, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&i.code)
        .bind(version)
        .bind(json(i))
        .bind(&actor.name)
        .bind(reason)
        .bind(now_ms())
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
