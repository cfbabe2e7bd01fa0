//! The org-unit tree: city bureau → district branches → stations → community offices. A
//! unit's materialised path of codes is what scopes every owned record.

use ningan_core::district::{DISTRICTS, NINGBO_CODE};
use ningan_core::time::now_ms;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Db, Write};
use crate::{Result, Scope, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    City,
    District,
    Station,
    Community,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::City => "city",
            UnitKind::District => "district",
            UnitKind::Station => "station",
            UnitKind::Community => "community",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        [UnitKind::City, UnitKind::District, UnitKind::Station, UnitKind::Community]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            UnitKind::City => "市局",
            UnitKind::District => "分局",
            UnitKind::Station => "派出所",
            UnitKind::Community => "社区警务室",
        }
    }

    /// The kind a child of this kind must have; the tree has fixed levels.
    pub fn child(self) -> Option<UnitKind> {
        match self {
            UnitKind::City => Some(UnitKind::District),
            UnitKind::District => Some(UnitKind::Station),
            UnitKind::Station => Some(UnitKind::Community),
            UnitKind::Community => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OrgUnit {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub kind: UnitKind,
    pub path: String,
    /// `[lon, lat]` of the unit's seat, where known.
    pub location: Option<[f64; 2]>,
    pub created_at: i64,
}

impl OrgUnit {
    pub fn scope(&self) -> Scope {
        Scope::subtree(&self.path)
    }

    fn from_row(r: &AnyRow) -> Result<OrgUnit> {
        let kind: String = r.try_get("kind")?;
        Ok(OrgUnit {
            id: r.try_get("id")?,
            parent_id: r.try_get("parent_id")?,
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            name_en: r.try_get("name_en")?,
            kind: UnitKind::parse(&kind).ok_or_else(|| StoreError::Invalid(format!("unit kind {kind}")))?,
            path: r.try_get("path")?,
            location: match (r.try_get::<Option<f64>, _>("lon")?, r.try_get::<Option<f64>, _>("lat")?) {
                (Some(lon), Some(lat)) => Some([lon, lat]),
                _ => None,
            },
            created_at: r.try_get("created_at")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewOrgUnit {
    pub parent_id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub location: Option<[f64; 2]>,
}

const COLUMNS: &str = "id, parent_id, code, name, name_en, kind, path, lon, lat, created_at";

/// Codes become path segments, so they are restricted to what the scope range relies on.
pub fn valid_code(code: &str) -> bool {
    (1..=24).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Db {
    /// The units in `scope`, parents before children.
    pub async fn units_in_scope(&self, scope: &Scope) -> Result<Vec<OrgUnit>> {
        let (lo, hi) = scope.range();
        let rows =
            sqlx::query(&format!("SELECT {COLUMNS} FROM org_units WHERE path >= $1 AND path < $2 ORDER BY path"))
                .bind(lo)
                .bind(hi)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(OrgUnit::from_row).collect()
    }

    /// A unit in scope; one outside it is [`StoreError::NotFound`].
    pub async fn unit_get(&self, scope: &Scope, id: i64) -> Result<OrgUnit> {
        let u = self.unit_by_id(id).await?;
        if scope.contains(&u.path) { Ok(u) } else { Err(StoreError::NotFound) }
    }

    /// Unscoped: for resolving a session's or token's own unit.
    pub async fn unit_by_id(&self, id: i64) -> Result<OrgUnit> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM org_units WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        OrgUnit::from_row(&r)
    }

    /// Unscoped: for the operator's command line.
    pub async fn unit_by_code(&self, code: &str) -> Result<OrgUnit> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM org_units WHERE code = $1"))
            .bind(code)
            .fetch_one(&self.pool)
            .await?;
        OrgUnit::from_row(&r)
    }

    /// Creates the city bureau and the ten district branches if they are missing, so that a
    /// fresh database always has the tree's fixed top.
    pub async fn ensure_city_tree(&self) -> Result<()> {
        if self.unit_by_code(&NINGBO_CODE.to_string()).await.is_ok() {
            return Ok(());
        }
        let mut w = self.write().await?;
        let now = now_ms();
        let city_path = format!("/{NINGBO_CODE}/");
        let city: (i64,) = sqlx::query_as(
            "INSERT INTO org_units (parent_id, code, name, name_en, kind, path, created_at) \
             VALUES (NULL, $1, '宁波市公安局', 'Ningbo Public Security Bureau', 'city', $2, $3) RETURNING id",
        )
        .bind(NINGBO_CODE.to_string())
        .bind(&city_path)
        .bind(now)
        .fetch_one(w.conn())
        .await?;
        for d in DISTRICTS {
            let short = d.name.trim_end_matches(['区', '县', '市']);
            sqlx::query(
                "INSERT INTO org_units (parent_id, code, name, name_en, kind, path, created_at) \
                 VALUES ($1, $2, $3, $4, 'district', $5, $6)",
            )
            .bind(city.0)
            .bind(d.code.to_string())
            .bind(format!("{short}分局"))
            .bind(format!("{} Branch", d.name_en))
            .bind(format!("{city_path}{}/", d.code))
            .bind(now)
            .execute(w.conn())
            .await?;
        }
        w.audit(crate::NewAudit::system(
            "org_unit.bootstrap",
            "org_unit",
            &city.0.to_string(),
            "city bureau and ten district branches",
        ))
        .await?;
        w.commit().await
    }
}

impl Db {
    /// Makes another city's tree (its bureau, district branches and one station each) the
    /// first time: for an instance serving a city other than Ningbo.
    pub async fn ensure_other_city_tree(&self, city: &ningan_core::district::City) -> Result<()> {
        if self.unit_by_code(&city.code.to_string()).await.is_ok() {
            return Ok(());
        }
        let mut w = self.write().await?;
        let now = now_ms();
        let city_path = format!("/{}/", city.code);
        let root: (i64,) = sqlx::query_as(
            "INSERT INTO org_units (parent_id, code, name, name_en, kind, path, created_at) \
             VALUES (NULL, $1, $2, $3, 'city', $4, $5) RETURNING id",
        )
        .bind(city.code.to_string())
        .bind(city.bureau)
        .bind(city.bureau_en)
        .bind(&city_path)
        .bind(now)
        .fetch_one(w.conn())
        .await?;
        for (code, name, name_en) in city.districts {
            let short = name.trim_end_matches(['区', '县', '市']);
            let district_path = format!("{city_path}{code}/");
            let district: (i64,) = sqlx::query_as(
                "INSERT INTO org_units (parent_id, code, name, name_en, kind, path, created_at) \
                 VALUES ($1, $2, $3, $4, 'district', $5, $6) RETURNING id",
            )
            .bind(root.0)
            .bind(code.to_string())
            .bind(format!("{short}分局"))
            .bind(format!("{name_en} Branch"))
            .bind(&district_path)
            .bind(now)
            .fetch_one(w.conn())
            .await?;
            sqlx::query(
                "INSERT INTO org_units (parent_id, code, name, name_en, kind, path, created_at) \
                 VALUES ($1, $2, $3, $4, 'station', $5, $6)",
            )
            .bind(district.0)
            .bind(format!("{code}001"))
            .bind(format!("{short}城区派出所"))
            .bind(format!("{name_en} Central Station"))
            .bind(format!("{district_path}{code}001/"))
            .bind(now)
            .execute(w.conn())
            .await?;
        }
        w.audit(crate::NewAudit::system("org_unit.bootstrap", "org_unit", &root.0.to_string(), city.bureau)).await?;
        w.commit().await
    }
}

impl Write {
    /// Adds a unit under a parent in `scope`; the kind follows from the parent's level.
    pub async fn unit_insert(&mut self, actor: &crate::Actor, scope: &Scope, new: &NewOrgUnit) -> Result<OrgUnit> {
        if !valid_code(&new.code) {
            return Err(StoreError::Invalid("code: 1–24 letters or digits".into()));
        }
        if new.name.trim().is_empty() {
            return Err(StoreError::Invalid("name: required".into()));
        }
        let pr = sqlx::query(&format!("SELECT {COLUMNS} FROM org_units WHERE id = $1"))
            .bind(new.parent_id)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        let parent = OrgUnit::from_row(&pr)?;
        if !scope.contains(&parent.path) {
            return Err(StoreError::NotFound);
        }
        let kind = parent
            .kind
            .child()
            .ok_or_else(|| StoreError::Invalid("parent: community offices have no sub-units".into()))?;
        let path = format!("{}{}/", parent.path, new.code);
        let r = sqlx::query(&format!(
            "INSERT INTO org_units (parent_id, code, name, name_en, kind, path, lon, lat, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
        ))
        .bind(parent.id)
        .bind(&new.code)
        .bind(new.name.trim())
        .bind(new.name_en.trim())
        .bind(kind.as_str())
        .bind(&path)
        .bind(new.location.map(|p| p[0]))
        .bind(new.location.map(|p| p[1]))
        .bind(now_ms())
        .fetch_one(self.conn())
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("code".into()),
            other => other,
        })?;
        let unit = OrgUnit::from_row(&r)?;
        self.audit(actor.audit("org_unit.create", "org_unit", unit.id, None, None, &unit.path)).await?;
        Ok(unit)
    }
}
