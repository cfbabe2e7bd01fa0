//! The scenarios catalogue's rules: what a scenario must say (its owner within the editor's
//! units, its partners, the module running it, its status) before it is listed.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::field;
use super::service::Result;
use super::store::scenarios::{self, Fields};
use crate::app::AppState;
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

/// The modules a scenario may run on.
pub const MODULES: &[&str] = &[
    "precise",
    "fraud",
    "services",
    "enterprise",
    "life",
    "command",
    "opinion",
    "emergency",
    "security",
    "investigation",
    "evaluation",
    "residents",
];

pub const STATUSES: &[&str] = &["planned", "pilot", "live", "retired"];

pub fn status_label(s: &str, en: bool) -> &'static str {
    match (s, en) {
        ("planned", false) => "规划中",
        ("planned", true) => "Planned",
        ("pilot", false) => "试点",
        ("pilot", true) => "Pilot",
        ("live", false) => "已上线",
        ("live", true) => "Live",
        (_, false) => "已停用",
        (_, true) => "Retired",
    }
}

/// 1 to 12 partner agencies, each named in at most 40 characters without 、 (the list's
/// separator on the page).
fn partner_list(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "minItems": 1,
        "maxItems": 12,
        "items": {"type": "string", "maxLength": 40, "pattern": "^[^、]*\\S[^、]*$"},
        "examples": [["市大数据局"]]
    })
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct ScenarioInput {
    #[schemars(length(min = 2, max = 60), regex(pattern = r"\S[\s\S]*\S"))]
    pub name: String,
    #[serde(default)]
    #[schemars(length(max = 120))]
    pub name_en: String,
    /// The owning department or unit; the caller's own unit when absent.
    #[serde(default)]
    pub owner_unit_id: Option<i64>,
    /// Partner agencies (外部协同单位), 1 to 12.
    #[schemars(schema_with = "partner_list")]
    pub partners: Vec<String>,
    /// The ningan module that runs it.
    #[schemars(extend("enum" = MODULES))]
    pub module: String,
    /// planned | pilot | live | retired
    #[schemars(extend("enum" = STATUSES))]
    pub status: String,
    /// A cockpit counter key whose live value is shown with it.
    #[serde(default)]
    #[schemars(regex(pattern = r"^\s*[a-z0-9_]{0,40}\s*$"))]
    pub counter: Option<String>,
    #[serde(default)]
    #[schemars(length(max = 300))]
    pub figures: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schemars(extend("format" = "date", "pattern" = crate::http::schema::DATE_PATTERN))]
    pub launched_on: Option<String>,
}

struct Checked {
    name: String,
    name_en: String,
    owner_id: i64,
    owner_path: String,
    partners: Vec<String>,
    counter: Option<String>,
    launched_on: Option<String>,
}

async fn check(state: &AppState, ctx: &Ctx, s: &ScenarioInput) -> Result<Checked> {
    let name = s.name.trim().to_string();
    if !(2..=60).contains(&name.chars().count()) {
        return Err(field("name", Rule::Length(2, 60)));
    }
    let name_en = if s.name_en.trim().is_empty() { name.clone() } else { s.name_en.trim().to_string() };
    if name_en.chars().count() > 120 {
        return Err(field("name_en", Rule::TooLong(120)));
    }
    let owner = match s.owner_unit_id {
        Some(id) => state.db.unit_by_id(id).await.map_err(|_| field("owner_unit_id", Rule::NotInScope))?,
        None => ctx.unit.clone(),
    };
    if !ctx.scope().contains(&owner.path) {
        return Err(field("owner_unit_id", Rule::NotInScope));
    }
    let partners: Vec<String> = s.partners.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    if partners.is_empty() || partners.len() > 12 || partners.iter().any(|p| p.chars().count() > 40 || p.contains('、'))
    {
        return Err(field(
            "partners",
            Rule::other(
                "请列出1至12个协同单位，每个不超过40字",
                "list 1 to 12 partner agencies of at most 40 characters",
            ),
        ));
    }
    if !MODULES.contains(&s.module.as_str()) {
        return Err(field("module", Rule::one_of("宁安的业务模块", MODULES)));
    }
    if !STATUSES.contains(&s.status.as_str()) {
        return Err(field("status", Rule::one_of("规划中、试点、已上线或已停用", STATUSES)));
    }
    let counter = s.counter.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(String::from);
    if counter.as_deref().is_some_and(|c| {
        c.len() > 40 || !c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_' || ch.is_ascii_digit())
    }) {
        return Err(field(
            "counter",
            Rule::other("驾驶舱指标的编号（小写字母、数字、下划线）", "a cockpit counter key"),
        ));
    }
    if s.figures.chars().count() > 300 {
        return Err(field("figures", Rule::TooLong(300)));
    }
    let launched_on = s.launched_on.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(String::from);
    if let Some(d) = &launched_on {
        NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| field("launched_on", Rule::Date))?;
    }
    Ok(Checked { name, name_en, owner_id: owner.id, owner_path: owner.path, partners, counter, launched_on })
}

fn fields<'a>(c: &'a Checked, s: &'a ScenarioInput) -> Fields<'a> {
    Fields {
        name: &c.name,
        name_en: &c.name_en,
        owner_unit_id: c.owner_id,
        owner_path: &c.owner_path,
        partners: &c.partners,
        module: &s.module,
        status: &s.status,
        counter: c.counter.as_deref(),
        figures: s.figures.trim(),
        launched_on: c.launched_on.as_deref(),
    }
}

pub async fn create(state: &AppState, ctx: &Ctx, s: &ScenarioInput) -> Result<i64> {
    let c = check(state, ctx, s).await?;
    let mut w = state.db.write().await?;
    let id = scenarios::insert(&mut w, &ctx.actor(), &fields(&c, s), ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(id)
}

pub async fn update(state: &AppState, ctx: &Ctx, id: i64, s: &ScenarioInput) -> Result<()> {
    let before = scenarios::get(&state.db, id).await?;
    if !ctx.scope().contains(&before.owner_path) {
        return Err(ningan_store::StoreError::NotFound.into());
    }
    let c = check(state, ctx, s).await?;
    let mut w = state.db.write().await?;
    scenarios::update(&mut w, &ctx.actor(), id, &fields(&c, s), ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(())
}
