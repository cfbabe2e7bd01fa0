//! The catalogue's API: the items on offer with their guides and typed forms, and the
//! administrators' additions, changes and retirements, each a version with who and why.
//! Facts the bureau holds are checked against its own register; the rest come from the
//! partner agency named as their source, through the data exchange, never as paper.

use axum::extract::State;
use ningan_store::{NewServiceItem, ServiceFact, ServiceItem};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::refuse;
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

pub use super::shipped::english;

use super::error::ServicesError;
use super::fields::check_definitions;
use crate::http::json::Query;

#[derive(Debug, Serialize, JsonSchema)]
pub struct ItemDto {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub category: String,
    pub category_en: String,
    pub legal_basis: String,
    pub eligibility: String,
    pub facts: Vec<FactDto>,
    pub fields: Vec<FieldDto>,
    pub time_limit_days: i64,
    /// 工本费 in whole yuan; 0 is free.
    pub fee_yuan: i64,
    pub citywide: bool,
    pub crosscity: bool,
    pub active: bool,
    /// The definition's version; an application keeps the one it was filed under.
    pub version: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FactDto {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// bureau, or the code of the agency the fact is fetched from.
    pub source: String,
}

/// One field of an item's form as the catalogue answers it, labels and options in both
/// languages.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FieldDto {
    /// The answer's key in `details`.
    pub key: String,
    pub label: String,
    pub label_en: String,
    /// text | long_text | date | id_number | phone | address | number | choice
    #[schemars(extend("enum" = super::fields::KIND_CODES))]
    pub kind: String,
    pub required: bool,
    /// A choice's options; none for any other kind.
    pub options: Vec<String>,
    pub options_en: Vec<String>,
}

fn text_kind() -> String {
    "text".into()
}

fn yes() -> bool {
    true
}

impl FieldDto {
    /// The input's attributes for the field's kind: markup from this table, never data.
    pub fn input_attrs(&self) -> &'static str {
        match self.kind.as_str() {
            "date" => "type=date",
            "id_number" => "maxlength=18 autocomplete=off",
            "phone" => "type=tel inputmode=tel maxlength=20",
            "number" => "inputmode=numeric maxlength=7",
            "address" => "maxlength=100",
            _ => "maxlength=50",
        }
    }
}

pub fn field_dto(f: &ningan_store::ServiceField) -> FieldDto {
    FieldDto {
        key: f.key.clone(),
        label_en: english(&f.label).to_string(),
        label: f.label.clone(),
        kind: f.kind.clone(),
        required: f.required,
        options_en: f.options.iter().map(|o| english(o).to_string()).collect(),
        options: f.options.clone(),
    }
}

pub fn item_dto(i: ServiceItem, facts: &[ServiceFact]) -> ItemDto {
    let version = i.version;
    definition_dto(i.definition(), version, facts)
}

pub fn definition_dto(i: NewServiceItem, version: i64, facts: &[ServiceFact]) -> ItemDto {
    ItemDto {
        facts: i
            .facts
            .iter()
            .map(|code| {
                let f = facts.iter().find(|f| &f.code == code);
                let name = f.map_or_else(|| code.clone(), |f| f.name.clone());
                FactDto {
                    code: code.clone(),
                    name_en: english(&name).to_string(),
                    name,
                    source: f.map_or_else(String::new, |f| f.source.clone()),
                }
            })
            .collect(),
        fields: i.fields.iter().map(field_dto).collect(),
        code: i.code,
        name_en: english(&i.name).to_string(),
        name: i.name,
        category_en: english(&i.category).to_string(),
        category: i.category,
        legal_basis: i.legal_basis,
        eligibility: i.eligibility,
        time_limit_days: i.time_limit_days,
        fee_yuan: i.fee_yuan,
        citywide: i.citywide,
        crosscity: i.crosscity,
        active: i.active,
        version,
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ItemsQuery {
    /// Part of the item's name or code.
    pub q: Option<String>,
    /// A category, as listed (户口登记, 户口迁移, …).
    pub category: Option<String>,
    /// `true`: only 全城通办 items.
    pub citywide: Option<bool>,
    /// `true`: only 跨市通办 items.
    pub crosscity: Option<bool>,
}

impl ItemsQuery {
    pub fn keeps(&self, i: &ServiceItem) -> bool {
        let q = self.q.as_deref().map(str::trim).unwrap_or("");
        (q.is_empty()
            || i.name.contains(q)
            || i.code.contains(q)
            || english(&i.name).to_lowercase().contains(&q.to_lowercase()))
            && self.category.as_deref().is_none_or(|c| c.is_empty() || i.category == c)
            && (self.citywide != Some(true) || i.citywide)
            && (self.crosscity != Some(true) || i.crosscity)
    }
}

/// The items on offer, filtered; anyone may read the catalogue.
pub(super) async fn list(
    State(state): State<AppState>,
    Query(q): Query<ItemsQuery>,
) -> ApiResult<axum::Json<Vec<ItemDto>>> {
    let facts = state.db.service_facts().await?;
    let items = state.db.service_items(true).await?;
    Ok(axum::Json(items.into_iter().filter(|i| q.keeps(i)).map(|i| item_dto(i, &facts)).collect()))
}

/// One item's guide and form; a retired item is not on offer.
pub(super) async fn show(State(state): State<AppState>, Path(code): Path<String>) -> ApiResult<axum::Json<ItemDto>> {
    let facts = state.db.service_facts().await?;
    match state.db.service_item(&code).await {
        Ok(i) if i.active => Ok(axum::Json(item_dto(i, &facts))),
        Ok(_) | Err(ningan_store::StoreError::NotFound) => Err(ServicesError::NotFound.into()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ItemRequest {
    #[schemars(length(min = 1, max = 50))]
    pub name: String,
    #[schemars(length(min = 1, max = 30))]
    pub category: String,
    #[schemars(length(min = 1, max = 500))]
    pub legal_basis: String,
    #[schemars(length(min = 1, max = 500))]
    pub eligibility: String,
    /// Fact codes from the catalogue's fact list (at least one).
    #[schemars(length(min = 1), extend("examples" = [["identity", "household"]]))]
    pub facts: Vec<String>,
    #[serde(default)]
    #[schemars(length(max = 12))]
    pub fields: Vec<FieldRequest>,
    #[schemars(range(min = 1, max = 180))]
    pub time_limit_days: i64,
    /// 工本费 in whole yuan (0 to 1000); 0 is free.
    #[serde(default)]
    #[schemars(range(min = 0, max = 1000))]
    pub fee_yuan: i64,
    pub citywide: bool,
    /// A cross-city item must be city-wide too.
    pub crosscity: bool,
    #[serde(default = "yes")]
    pub active: bool,
    /// Why the item is added or changed, kept with the version.
    #[schemars(length(min = 2, max = 200))]
    pub reason: String,
}

/// One field of an item's form as an administrator defines it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct FieldRequest {
    /// The answer's key in `details`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]{0,31}$"), extend("examples" = ["purpose"]))]
    pub key: String,
    #[schemars(length(min = 1, max = 30))]
    pub label: String,
    #[serde(default = "text_kind")]
    #[schemars(extend("enum" = super::fields::KIND_CODES))]
    pub kind: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// A choice's options (2 to 20 distinct, up to 20 characters each); none for any other kind.
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub options: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewItemRequest {
    /// Lower-case letters, digits and `-`, 2 to 40, starting with a letter; never changes.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{1,39}$"), extend("examples" = ["move-in-example"]))]
    pub code: String,
    #[serde(flatten)]
    pub item: ItemRequest,
}

fn is_code(code: &str) -> bool {
    let mut chars = code.chars();
    matches!(chars.next(), Some('a'..='z'))
        && (2..=40).contains(&code.len())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// An item's definition from a request, every part checked; the first problem is named by
/// its field.
pub fn definition(code: &str, req: &ItemRequest, facts: &[ServiceFact]) -> Result<NewServiceItem, ApiError> {
    let text = |field: &'static str, v: &str, max: usize| -> Result<String, ApiError> {
        let v = v.trim();
        if v.is_empty() || v.chars().count() > max {
            return Err(refuse(field, Rule::RequiredUpTo(max)));
        }
        Ok(v.to_string())
    };
    let name = text("name", &req.name, 50)?;
    let category = text("category", &req.category, 30)?;
    let legal_basis = text("legal_basis", &req.legal_basis, 500)?;
    let eligibility = text("eligibility", &req.eligibility, 500)?;
    if req.facts.is_empty() {
        return Err(refuse("facts", Rule::other("至少选择一项需核验的信息", "choose at least one fact")));
    }
    if let Some(bad) = req.facts.iter().find(|f| !facts.iter().any(|x| &x.code == *f)) {
        let rule = Rule::Context {
            zh: format!("未知的事项要素“{bad}”").into(),
            en: format!("unknown fact {bad}").into(),
        };
        return Err(refuse("facts", rule));
    }
    if !(1..=180).contains(&req.time_limit_days) {
        return Err(refuse("time_limit_days", Rule::Range(1, 180)));
    }
    if !(0..=1000).contains(&req.fee_yuan) {
        return Err(refuse("fee_yuan", Rule::Range(0, 1000)));
    }
    if req.crosscity && !req.citywide {
        let rule = Rule::Context {
            zh: "跨市通办事项须同时全城通办".into(),
            en: "a cross-city item must be city-wide too".into(),
        };
        return Err(refuse("crosscity", rule));
    }
    let fields: Vec<ningan_store::ServiceField> = req
        .fields
        .iter()
        .map(|f| ningan_store::ServiceField {
            key: f.key.clone(),
            label: f.label.clone(),
            kind: f.kind.clone(),
            required: f.required,
            options: f.options.clone(),
        })
        .collect();
    let mut distinct_facts: Vec<String> = Vec::new();
    for f in &req.facts {
        if !distinct_facts.contains(f) {
            distinct_facts.push(f.clone());
        }
    }
    Ok(NewServiceItem {
        code: code.to_string(),
        name,
        category,
        legal_basis,
        eligibility,
        facts: distinct_facts,
        fields: check_definitions(&fields)?,
        time_limit_days: req.time_limit_days,
        fee_yuan: req.fee_yuan,
        citywide: req.citywide,
        crosscity: req.crosscity,
        active: req.active,
    })
}

/// Why, kept with the version; a new item may go without (`default`), a change may not.
fn reason(req: &ItemRequest, default: &str) -> Result<String, ApiError> {
    let r = req.reason.trim();
    if r.is_empty() && !default.is_empty() {
        return Ok(default.to_string());
    }
    if !(2..=200).contains(&r.chars().count()) {
        return Err(refuse("reason", Rule::Reason(2, 200)));
    }
    Ok(r.to_string())
}

/// Adds an item as its version 1.
pub async fn create_item(state: &AppState, ctx: &Ctx, code: &str, req: &ItemRequest) -> ApiResult<ItemDto> {
    let code = code.trim();
    if !is_code(code) {
        let rule = Rule::other(
            "以小写字母开头，仅含小写字母、数字和连字符，2至40个字符",
            "2 to 40 lower-case letters, digits and -, starting with a letter",
        );
        return Err(refuse("code", rule));
    }
    let facts = state.db.service_facts().await?;
    let item = definition(code, req, &facts)?;
    let why = reason(req, "新增事项")?;
    let mut w = state.db.write().await?;
    match w.service_item_insert(&ctx.actor(), &item, &why).await {
        Ok(_) => w.commit().await?,
        Err(ningan_store::StoreError::Conflict(_)) => return Err(ServicesError::ItemExists.into()),
        Err(e) => return Err(e.into()),
    }
    Ok(item_dto(state.db.service_item(code).await?, &facts))
}

/// Changes an item as a new version (saving it unchanged adds none); retiring is a change
/// with `active: false`.
pub async fn update_item(state: &AppState, ctx: &Ctx, code: &str, req: &ItemRequest) -> ApiResult<ItemDto> {
    let facts = state.db.service_facts().await?;
    let item = definition(code, req, &facts)?;
    let why = reason(req, "")?;
    let mut w = state.db.write().await?;
    w.service_item_update(&ctx.actor(), code, &item, &why).await?;
    w.commit().await?;
    Ok(item_dto(state.db.service_item(code).await?, &facts))
}

pub(super) async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewItemRequest>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<ItemDto>)> {
    let item = create_item(&state, &ctx, &req.code, &req.item).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(item)))
}

/// Administrators change an item; unknown facts, empty names and a missing reason are refused.
pub(super) async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Json(req): Json<ItemRequest>,
) -> ApiResult<axum::Json<ItemDto>> {
    Ok(axum::Json(update_item(&state, &ctx, &code, &req).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionDto {
    pub version: i64,
    /// Who saved it (`user:<name>`, or `system` for the shipped catalogue).
    pub actor: String,
    pub reason: String,
    pub at: String,
    /// What this version changed against the one before (none for the first).
    pub changes: Vec<String>,
    pub item: ItemDto,
}

/// The parts of a definition that differ between two versions, named as the API names them.
pub fn changes(before: &NewServiceItem, after: &NewServiceItem) -> Vec<String> {
    let parts: [(&str, bool); 11] = [
        ("name", before.name != after.name),
        ("category", before.category != after.category),
        ("legal_basis", before.legal_basis != after.legal_basis),
        ("eligibility", before.eligibility != after.eligibility),
        ("facts", before.facts != after.facts),
        ("fields", before.fields != after.fields),
        ("time_limit_days", before.time_limit_days != after.time_limit_days),
        ("fee_yuan", before.fee_yuan != after.fee_yuan),
        ("citywide", before.citywide != after.citywide),
        ("crosscity", before.crosscity != after.crosscity),
        ("active", before.active != after.active),
    ];
    parts.iter().filter(|(_, changed)| *changed).map(|(p, _)| (*p).to_string()).collect()
}

pub async fn versions_of(state: &AppState, code: &str) -> ApiResult<Vec<VersionDto>> {
    let facts = state.db.service_facts().await?;
    state.db.service_item(code).await?;
    let versions = state.db.service_item_versions(code).await?;
    Ok(versions
        .iter()
        .enumerate()
        .map(|(n, v)| VersionDto {
            version: v.version,
            actor: v.actor.clone(),
            reason: v.reason.clone(),
            at: crate::http::dto::ts(v.created_at),
            changes: versions.get(n + 1).map(|prev| changes(&prev.definition, &v.definition)).unwrap_or_default(),
            item: definition_dto(v.definition.clone(), v.version, &facts),
        })
        .collect())
}

/// Every version of an item, newest first, each with what it changed.
pub(super) async fn versions(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<Vec<VersionDto>>> {
    Ok(axum::Json(versions_of(&state, &code).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ItemRequest {
        ItemRequest {
            name: "测试事项".into(),
            category: "户口登记".into(),
            legal_basis: "依据".into(),
            eligibility: "本人".into(),
            facts: vec!["identity".into(), "identity".into()],
            fields: vec![],
            time_limit_days: 5,
            fee_yuan: 0,
            citywide: true,
            crosscity: false,
            active: true,
            reason: String::new(),
        }
    }

    fn facts() -> Vec<ServiceFact> {
        super::super::shipped::facts()
    }

    #[test]
    fn a_definition_is_checked_part_by_part() {
        let ok = definition("x-item", &request(), &facts());
        assert_eq!(ok.map(|d| d.facts).ok(), Some(vec!["identity".to_string()]), "a fact named twice counts once");
        let field = |req: ItemRequest| definition("x-item", &req, &facts()).err().map(|e| e.errors[0].field.clone());
        assert_eq!(field(ItemRequest { crosscity: true, citywide: false, ..request() }).as_deref(), Some("crosscity"));
        assert_eq!(field(ItemRequest { fee_yuan: -1, ..request() }).as_deref(), Some("fee_yuan"));
        assert_eq!(field(ItemRequest { facts: vec![], ..request() }).as_deref(), Some("facts"));
        assert_eq!(field(ItemRequest { facts: vec!["dna".into()], ..request() }).as_deref(), Some("facts"));
        assert_eq!(field(ItemRequest { time_limit_days: 0, ..request() }).as_deref(), Some("time_limit_days"));
        assert_eq!(field(ItemRequest { name: " ".into(), ..request() }).as_deref(), Some("name"));
        let bad_field = FieldRequest {
            key: "a".into(),
            label: "甲".into(),
            kind: "choice".into(),
            required: true,
            options: vec!["一".into()],
        };
        assert_eq!(field(ItemRequest { fields: vec![bad_field], ..request() }).as_deref(), Some("fields.1.options"));
    }

    #[test]
    fn codes_are_lower_case_words_joined_by_hyphens() {
        assert!(is_code("move-in-spouse") && is_code("id2"));
        assert!(!is_code("Move") && !is_code("1st") && !is_code("a") && !is_code("a_b") && !is_code(&"a".repeat(41)));
    }

    #[test]
    fn changes_name_exactly_the_parts_that_differ() {
        let before = definition("x", &request(), &facts()).unwrap_or_else(|e| panic!("{e:?}"));
        let after = NewServiceItem { fee_yuan: 20, active: false, ..before.clone() };
        assert_eq!(changes(&before, &after), vec!["fee_yuan", "active"]);
        assert!(changes(&before, &before).is_empty());
    }
}
