//! Visitors and the floating population (外来人员、流动人口): people not in the register who
//! scan venue codes and carry phones all the same. A station records one as a temporary
//! person (name, document, phone, where staying); the tracing engine knows them by an id of
//! their own range, so check-ins, cell stays and contacts treat them as it treats residents,
//! and their names show to the station where they stay. A visitor is matched to a register
//! entry — at once when the document is an ID card already registered, or later by the
//! station — and from then on counts as that resident.

use axum::extract::State;
use axum::http::StatusCode;
use ningan_core::{IdNumber, Phone};
use ningan_store::sql::{Row, RowExt as _, query};
use ningan_store::{Migration, PageRequest};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::tracer::TraceError;
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;

pub const MIGRATION: Migration = Migration {
    version: 36,
    name: "precise control: visitors and the floating population (temporary person records)",
    common: r#"
CREATE TABLE visitors (
    id {id},
    name TEXT NOT NULL,
    document_type TEXT NOT NULL,
    document_number TEXT NOT NULL,
    phone TEXT,
    staying_address TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    unit_path {path} NOT NULL,
    resident_id BIGINT REFERENCES residents(id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (document_type, document_number)
);
CREATE INDEX visitors_scope ON visitors (unit_path, id);
CREATE INDEX visitors_phone ON visitors (phone);
CREATE INDEX visitors_name ON visitors (name);
"#,
    sqlite: "",
    postgres: "",
};

/// Engine person ids from here up to the pseudonyms are visitors (`visitors` rows);
/// residents' record ids stay below.
pub const VISITOR_BASE: u32 = 1 << 29;

/// Documents a visitor may show: key, Chinese, English.
pub const DOCUMENT_TYPES: &[(&str, &str, &str)] = &[
    ("id_card", "居民身份证", "Resident ID card"),
    ("passport", "护照", "Passport"),
    ("hk_macao", "港澳居民来往内地通行证", "Mainland travel permit (Hong Kong, Macao)"),
    ("taiwan", "台湾居民来往大陆通行证", "Mainland travel permit (Taiwan)"),
    ("foreign_permanent", "外国人永久居留身份证", "Foreigner's permanent residence ID"),
];

/// The engine id of visitor `id`.
pub fn visitor_person(id: i64) -> Result<u32, TraceError> {
    u32::try_from(id)
        .ok()
        .and_then(|v| VISITOR_BASE.checked_add(v))
        .filter(|p| *p < super::cellstays::PSEUDONYM_BASE)
        .ok_or(TraceError::IdRange(id))
}

/// The visitor an engine id names, if it is one.
pub fn visitor_of(person: u32) -> Option<i64> {
    (VISITOR_BASE..super::cellstays::PSEUDONYM_BASE).contains(&person).then(|| i64::from(person - VISITOR_BASE))
}

fn document_types(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(DOCUMENT_TYPES.iter().map(|d| d.0))
}

/// An ID card's number is GB 11643's; any other document's 5–20 letters or digits.
fn document_number(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": r"^\s*([A-Za-z0-9]\s*){5,20}$",
        "examples": [crate::http::schema::ID_NUMBER_EXAMPLE]
    })
}

/// The page's form sends every field, blank or not, so the fields default to blank; the
/// API still needs these four.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[schemars(extend(
    "required" = ["name", "document_type", "document_number", "staying_address"],
    "allOf" = [{
        "if": {"properties": {"document_type": {"const": "id_card"}}, "required": ["document_type"]},
        "then": {"properties": {"document_number": {"pattern": crate::http::schema::ID_NUMBER_PATTERN, "format": "gb11643"}}}
    }]
))]
pub struct VisitorInput {
    #[serde(default)]
    #[schemars(length(min = 1, max = 50), regex(pattern = r"\S"))]
    pub name: String,
    /// id_card | passport | hk_macao | taiwan | foreign_permanent
    #[serde(default)]
    #[schemars(schema_with = "document_types")]
    pub document_type: String,
    #[serde(default)]
    #[schemars(schema_with = "document_number")]
    pub document_number: String,
    /// Mobile number (11 digits); optional, but cell stays find the visitor by it.
    #[serde(default)]
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_OR_BLANK_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub phone: String,
    /// Where the visitor stays (hotel, rented room, relatives).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200), regex(pattern = r"\S"))]
    pub staying_address: String,
    /// The station where they stay; the caller's own unit when absent.
    #[serde(default)]
    pub unit_id: Option<i64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VisitorDto {
    pub id: i64,
    pub name: String,
    pub document_type: String,
    pub document_type_zh: String,
    pub document_type_en: String,
    /// The document number with its middle hidden.
    pub document_masked: String,
    pub phone_masked: Option<String>,
    pub staying_address: String,
    pub unit_id: i64,
    /// The register entry this visitor was matched to.
    pub resident_id: Option<i64>,
    pub created_at: String,
}

fn document_names(kind: &str) -> (&'static str, &'static str) {
    DOCUMENT_TYPES
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or(("其他证件", "Other document"), |(_, zh, en)| (zh, en))
}

fn mask_document(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let keep = if chars.len() >= 10 { 3 } else { 1 };
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 2 * keep))
}

fn dto(r: &Row) -> ningan_store::Result<VisitorDto> {
    let kind: String = r.try_get("document_type")?;
    let number: String = r.try_get("document_number")?;
    let phone: Option<String> = r.try_get("phone")?;
    Ok(VisitorDto {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        document_type_zh: document_names(&kind).0.into(),
        document_type_en: document_names(&kind).1.into(),
        document_masked: if kind == "id_card" {
            ningan_core::idnumber::mask_id_str(&number)
        } else {
            mask_document(&number)
        },
        document_type: kind,
        phone_masked: phone.as_deref().map(ningan_core::phone::mask_phone_str),
        staying_address: r.try_get("staying_address")?,
        unit_id: r.try_get("unit_id")?,
        resident_id: r.try_get("resident_id")?,
        created_at: ts(r.try_get("created_at")?),
    })
}

/// A checked visitor: the fields as kept.
pub struct NewVisitor {
    pub name: String,
    pub document_type: String,
    pub document_number: String,
    pub phone: Option<String>,
    pub staying_address: String,
    pub unit: ningan_store::OrgUnit,
}

/// Stores a checked visitor; the id.
pub async fn insert(
    w: &mut ningan_store::Write,
    v: &NewVisitor,
    resident: Option<i64>,
    by: &str,
) -> Result<i64, ningan_store::StoreError> {
    Ok(query(
        "INSERT INTO visitors (name, document_type, document_number, phone, staying_address, unit_id, unit_path, \
         resident_id, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         RETURNING id",
    )
    .bind(&v.name)
    .bind(&v.document_type)
    .bind(&v.document_number)
    .bind(&v.phone)
    .bind(&v.staying_address)
    .bind(v.unit.id)
    .bind(&v.unit.path)
    .bind(resident)
    .bind(by)
    .bind(ningan_core::time::now_ms())
    .fetch_one(w.connection())
    .await?
    .try_get("id")?)
}

/// Every field checked; all refusals at once, each on its field.
async fn validate(state: &AppState, ctx: &Ctx, input: &VisitorInput) -> ApiResult<NewVisitor> {
    let mut errors: Vec<ApiError> = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 50 {
        errors.push(refuse("name", Rule::RequiredUpTo(50)));
    }
    let document_type = input.document_type.trim().to_string();
    let keys: Vec<&str> = DOCUMENT_TYPES.iter().map(|d| d.0).collect();
    if !keys.contains(&document_type.as_str()) {
        errors.push(refuse(
            "document_type",
            Rule::one_of("居民身份证、护照、港澳或台湾通行证、外国人永久居留身份证", &keys),
        ));
    }
    let raw = input.document_number.trim();
    let document_number = if document_type == "id_card" {
        match IdNumber::parse(raw, ningan_core::time::today_cst()) {
            Ok(id) => id.as_str().to_string(),
            Err(e) => {
                errors.push(ApiError::field_from("document_number", e));
                String::new()
            }
        }
    } else {
        let n: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        if !(5..=20).contains(&n.chars().count()) || !n.chars().all(|c| c.is_ascii_alphanumeric()) {
            errors.push(refuse(
                "document_number",
                Rule::other("证件号码为5–20位字母或数字", "a document number is 5 to 20 letters or digits"),
            ));
        }
        n
    };
    let phone = match input.phone.trim() {
        "" => None,
        p => match Phone::parse(p) {
            Ok(p) => Some(p.as_str().to_string()),
            Err(e) => {
                errors.push(ApiError::field_from("phone", e));
                None
            }
        },
    };
    let staying_address = input.staying_address.trim().to_string();
    if staying_address.is_empty() || staying_address.chars().count() > 200 {
        errors.push(refuse("staying_address", Rule::RequiredUpTo(200)));
    }
    let unit_id = input.unit_id.unwrap_or(ctx.unit.id);
    let unit = match state.db.unit_get(&ctx.scope(), unit_id).await {
        Ok(u) => Some(u),
        Err(_) => {
            errors.push(refuse("unit_id", Rule::NotInScope));
            None
        }
    };
    let mut refused = errors.into_iter();
    if let Some(mut all) = refused.next() {
        for e in refused {
            all.errors.extend(e.errors);
        }
        return Err(all);
    }
    let unit = unit.ok_or_else(|| refuse("unit_id", Rule::NotInScope))?;
    Ok(NewVisitor { name, document_type, document_number, phone, staying_address, unit })
}

/// Records a visitor (audited); a visitor whose ID card is in the register is matched to it
/// at once. The same document twice is refused: one person, one record.
pub async fn register(state: &AppState, ctx: &Ctx, input: &VisitorInput) -> ApiResult<VisitorDto> {
    let v = validate(state, ctx, input).await?;
    let resident = if v.document_type == "id_card" {
        state.db.resident_by_id_number(&ningan_store::Scope::everything(), &v.document_number).await?
    } else {
        None
    };
    let mut w = state.db.write().await?;
    let held = query("SELECT id FROM visitors WHERE document_type = $1 AND document_number = $2")
        .bind(&v.document_type)
        .bind(&v.document_number)
        .fetch_optional(w.connection())
        .await
        .map_err(ningan_store::StoreError::from)?;
    if held.is_some() {
        return Err(refuse(
            "document_number",
            Rule::context("此证件已登记为外来人员", "a visitor with this document is already recorded"),
        ));
    }
    let id = insert(&mut w, &v, resident, &ctx.actor().name).await?;
    let detail = format!("visitor {id} at unit {}{}", v.unit.id, if resident.is_some() { ", matched" } else { "" });
    w.audit(ctx.actor().audit("visitor.create", "visitor", id, resident, None, &detail)).await?;
    w.commit().await?;
    one(state, ctx, id).await
}

/// A visitor in the caller's area (read, audited).
pub async fn one(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<VisitorDto> {
    let (lo, hi) = ctx.scope().range();
    let row = query("SELECT * FROM visitors WHERE id = $1 AND unit_path >= $2 AND unit_path < $3")
        .bind(id)
        .bind(lo)
        .bind(hi)
        .fetch_optional(state.db.reader())
        .await
        .map_err(ningan_store::StoreError::from)?
        .ok_or(ningan_store::StoreError::NotFound)?;
    let v = dto(&row)?;
    let persons: Vec<i64> = v.resident_id.into_iter().collect();
    crate::http::shown::audit_shown(state, ctx, "visitor.read", "visitor", &[v.id], &persons).await?;
    Ok(v)
}

/// A page of the visitors staying in the caller's area, newest first; `q` is a name prefix.
pub async fn search(
    state: &AppState,
    ctx: &Ctx,
    q: Option<&str>,
    page: PageRequest,
) -> ApiResult<ningan_store::Page<VisitorDto>> {
    let (lo, hi) = ctx.scope().range();
    let prefix = q.map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(20).collect::<String>());
    // A name prefix is an index range: names from the prefix up to the prefix followed by
    // the highest character.
    let (from, to) = match &prefix {
        Some(p) => (p.clone(), format!("{p}\u{10FFFF}")),
        None => (String::new(), "\u{10FFFF}".to_string()),
    };
    let filter = "unit_path >= $1 AND unit_path < $2 AND name >= $3 AND name < $4";
    let total: i64 = query(&format!("SELECT COUNT(*) AS n FROM visitors WHERE {filter}"))
        .bind(&lo)
        .bind(&hi)
        .bind(&from)
        .bind(&to)
        .fetch_one(state.db.reader())
        .await
        .map_err(ningan_store::StoreError::from)?
        .try_get("n")
        .map_err(ningan_store::StoreError::from)?;
    let rows = query(&format!("SELECT * FROM visitors WHERE {filter} ORDER BY id DESC LIMIT $5 OFFSET $6"))
        .bind(&lo)
        .bind(&hi)
        .bind(&from)
        .bind(&to)
        .bind(page.per_page)
        .bind(page.offset())
        .fetch_all(state.db.reader())
        .await
        .map_err(ningan_store::StoreError::from)?;
    let items = rows.iter().map(dto).collect::<ningan_store::Result<Vec<_>>>()?;
    let ids: Vec<i64> = items.iter().map(|v| v.id).collect();
    let persons: Vec<i64> = items.iter().filter_map(|v| v.resident_id).collect();
    crate::http::shown::audit_shown(state, ctx, "visitor.list", "visitor", &ids, &persons).await?;
    Ok(ningan_store::Page { items, page: page.page, per_page: page.per_page, total })
}

/// Matches a visitor in the caller's area to the register entry with `id_number` (in the
/// caller's area too): from then on the visitor counts as that resident.
pub async fn match_to_register(state: &AppState, ctx: &Ctx, id: i64, id_number: &str) -> ApiResult<VisitorDto> {
    let number =
        IdNumber::parse(id_number, ningan_core::time::today_cst()).map_err(|e| ApiError::field_from("id_number", e))?;
    let resident = state.db.resident_by_id_number(&ctx.scope(), number.as_str()).await?.ok_or_else(|| {
        refuse(
            "id_number",
            Rule::context("本辖区未登记此身份证号", "no one in your area is registered with this ID number"),
        )
    })?;
    let (lo, hi) = ctx.scope().range();
    let mut w = state.db.write().await?;
    let changed = query(
        "UPDATE visitors SET resident_id = $1, updated_at = $2 WHERE id = $3 AND unit_path >= $4 AND unit_path < $5",
    )
    .bind(resident)
    .bind(ningan_core::time::now_ms())
    .bind(id)
    .bind(lo)
    .bind(hi)
    .execute(w.connection())
    .await
    .map_err(ningan_store::StoreError::from)?
    .rows_affected();
    if changed == 0 {
        return Err(ningan_store::StoreError::NotFound.into());
    }
    w.audit(ctx.actor().audit("visitor.match", "visitor", id, Some(resident), None, "matched to the register")).await?;
    w.commit().await?;
    one(state, ctx, id).await
}

/// Of `ids` (visitor record ids), those staying in `scope`.
pub async fn existing(db: &ningan_store::Db, scope: &ningan_store::Scope, ids: &[i64]) -> ApiResult<Vec<i64>> {
    let (lo, hi) = scope.range();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(400) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT id FROM visitors WHERE unit_path >= $1 AND unit_path < $2 AND id IN ({})",
            marks.join(", ")
        );
        let mut q = query(&sql).bind(&lo).bind(&hi);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(db.reader()).await.map_err(ningan_store::StoreError::from)? {
            out.push(row.try_get::<i64, _>("id").map_err(ningan_store::StoreError::from)?);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// (id, name, unit path, matched resident) of the visitors `ids`.
pub async fn labels(
    db: &ningan_store::Db,
    ids: &[i64],
) -> Result<Vec<(i64, String, String, Option<i64>)>, ningan_store::StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(400) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id, name, unit_path, resident_id FROM visitors WHERE id IN ({})", marks.join(", "));
        let mut q = query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(db.reader()).await? {
            out.push((r.try_get("id")?, r.try_get("name")?, r.try_get("unit_path")?, r.try_get("resident_id")?));
        }
    }
    Ok(out)
}

/// Names of the visitors `ids` who stay in the caller's area, the reading audited (`why`
/// says what showed them); the others stay unnamed.
pub async fn names_in_scope(
    state: &AppState,
    ctx: &Ctx,
    ids: &[i64],
    why: &str,
) -> ApiResult<std::collections::HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let scope = ctx.scope();
    let named: std::collections::HashMap<i64, String> = labels(&state.db, ids)
        .await?
        .into_iter()
        .filter(|(_, _, path, _)| scope.contains(path))
        .map(|(id, name, _, _)| (id, name))
        .collect();
    let mut shown: Vec<i64> = named.keys().copied().collect();
    shown.sort_unstable();
    if !shown.is_empty() {
        let list: Vec<String> = shown.iter().map(i64::to_string).collect();
        let detail = format!("{why}; shown visitors {}", list.join(","));
        let mut w = state.db.write().await?;
        w.audit(ctx.actor().audit("visitor.list", "visitor", 0, None, None, &detail)).await?;
        w.commit().await?;
    }
    Ok(named)
}

/// Number → the lowest visitor id recorded with it, for cell stays of numbers not in the
/// register.
pub async fn by_phone(
    db: &ningan_store::Db,
    phones: &[String],
) -> Result<std::collections::HashMap<String, i64>, ningan_store::StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in phones.chunks(400) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id, phone FROM visitors WHERE phone IN ({}) ORDER BY id", marks.join(", "));
        let mut q = query(&sql);
        for p in chunk {
            q = q.bind(p.as_str());
        }
        for r in q.fetch_all(db.reader()).await? {
            out.entry(r.try_get("phone")?).or_insert(r.try_get("id")?);
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(super) struct VisitorQuery {
    q: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<VisitorQuery>,
) -> ApiResult<axum::Json<PageDto<VisitorDto>>> {
    let page = search(&state, &ctx, q.q.as_deref(), PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, |v| v)))
}

pub(super) async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<VisitorInput>,
) -> ApiResult<(StatusCode, axum::Json<VisitorDto>)> {
    Ok((StatusCode::CREATED, axum::Json(register(&state, &ctx, &input).await?)))
}

pub(super) async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<VisitorDto>> {
    Ok(axum::Json(one(&state, &ctx, id).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MatchRequest {
    /// The ID number of the register entry (in the caller's area).
    #[schemars(extend("pattern" = crate::http::schema::ID_NUMBER_PATTERN, "format" = "gb11643", "examples" = [crate::http::schema::ID_NUMBER_EXAMPLE]))]
    pub id_number: String,
}

pub(super) async fn matched(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<MatchRequest>,
) -> ApiResult<axum::Json<VisitorDto>> {
    Ok(axum::Json(match_to_register(&state, &ctx, id, &req.id_number).await?))
}

/// The visitors page: the register of visitors staying in the caller's area, searched by
/// name, with the form to record one and to match one to the register.
#[derive(askama::Template)]
#[template(path = "precise/visitors.html")]
struct VisitorsPage {
    frame: crate::web::Frame,
    q: String,
    rows: Vec<VisitorDto>,
    pager: crate::web::Pager,
    documents: Vec<(&'static str, &'static str)>,
    form: crate::web::FormState,
    may_write: bool,
    /// Visitors' follow-up tasks at the caller's stations.
    tasks: Vec<super::visitor_followups::VisitorFollowupDto>,
    may_work: bool,
    task_error: Option<String>,
}

impl VisitorsPage {
    fn next(&self, status: &str) -> Vec<(&'static str, &'static str)> {
        super::visitor_followups::next_statuses(&self.frame.tr, status)
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct PageQuery {
    q: Option<String>,
    page: Option<String>,
    task_error: Option<String>,
}

async fn visitors_page(
    state: &AppState,
    ctx: &Ctx,
    q: PageQuery,
    form: crate::web::FormState,
) -> crate::web::PageResult {
    let text = q.q.clone().unwrap_or_default();
    let page_no = q.page.as_deref().and_then(|p| p.trim().parse::<i64>().ok());
    let page = search(state, ctx, Some(&text), PageRequest::new(page_no, Some(50)))
        .await
        .map_err(|e| crate::web::PageError::from(e).framed(ctx))?;
    let pager = crate::web::Pager::new("/precise/visitors", &[("q", text.clone())], &page);
    let frame = crate::web::Frame::for_principal(ctx).crumb("/precise/visitors", "nav.visitors");
    let english = frame.tr.pick("zh", "en") == "en";
    let documents = DOCUMENT_TYPES.iter().map(|(k, zh, en)| (*k, if english { *en } else { *zh })).collect();
    let may_work = ctx.may(ningan_core::Action::FollowupWrite);
    let tasks = if ctx.may(ningan_core::Action::CaseRead) {
        super::visitor_followups::list(state, ctx).await.map_err(|e| crate::web::PageError::from(e).framed(ctx))?
    } else {
        Vec::new()
    };
    let page = VisitorsPage {
        tasks,
        may_work,
        task_error: q.task_error.clone(),
        may_write: ctx.may(ningan_core::Action::ResidentWrite),
        frame,
        q: text,
        rows: page.items,
        pager,
        documents,
        form,
    };
    Ok(crate::web::html(page.form.status(), &page))
}

pub(super) async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> crate::web::PageResult {
    let tr = crate::web::Tr::new(ctx.language());
    visitors_page(&state, &ctx, q, crate::web::FormState::new(tr)).await
}

/// The form's fields as typed (the unit a number or blank).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(super) struct VisitorForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    document_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    staying_address: String,
}

pub(super) async fn page_create(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(form): axum::Form<VisitorForm>,
) -> crate::web::PageResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let input = VisitorInput {
        name: form.name.clone(),
        document_type: form.document_type.clone(),
        document_number: form.document_number.clone(),
        phone: form.phone.clone(),
        staying_address: form.staying_address.clone(),
        unit_id: None,
    };
    match register(&state, &ctx, &input).await {
        Ok(v) => {
            Ok(axum::response::Redirect::to(&format!("/precise/visitors?q={}", urlencoding(&v.name))).into_response())
        }
        Err(e) if e.code.status().is_client_error() => {
            let fields = ["name", "document_type", "document_number", "phone", "staying_address", "unit_id"];
            let form =
                crate::web::FormState::new(crate::web::Tr::new(ctx.language())).with_values(&form).refused(&e, &fields);
            Ok(visitors_page(&state, &ctx, PageQuery::default(), form).await?.into_response())
        }
        Err(e) => Err(crate::web::PageError::from(e).framed(&ctx)),
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(super) struct MatchForm {
    #[serde(default)]
    id_number: String,
}

pub(super) async fn page_match(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<MatchForm>,
) -> crate::web::PageResult<axum::response::Response> {
    use axum::response::IntoResponse;
    match match_to_register(&state, &ctx, id, &form.id_number).await {
        Ok(_) => Ok(axum::response::Redirect::to("/precise/visitors").into_response()),
        Err(e) if e.code.status().is_client_error() => {
            let form = crate::web::FormState::new(crate::web::Tr::new(ctx.language()))
                .with_values(&form)
                .refused(&e, &["id_number"]);
            Ok(visitors_page(&state, &ctx, PageQuery::default(), form).await?.into_response())
        }
        Err(e) => Err(crate::web::PageError::from(e).framed(&ctx)),
    }
}

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|q| q.trim_start_matches('=').to_string()).unwrap_or_default()
}

/// This capability's routes (API and page).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(
            Method::GET,
            "/api/visitors",
            Access::Action(Action::ResidentRead),
            "precise",
            "外来人员、流动人口查询",
        )
        .query(&[("q", "姓名（前缀）"), ("page", "页码"), ("per_page", "每页条数")])
        .response::<PageDto<VisitorDto>>()
        .query_type::<VisitorQuery>(),
        get(list),
    )
    .add(
        Op::api(Method::POST, "/api/visitors", Access::Action(Action::ResidentWrite), "precise", "登记外来人员")
            .request::<VisitorInput>()
            .response::<VisitorDto>()
            .status(201),
        post(create),
    )
    .add(
        Op::api(Method::GET, "/api/visitors/{id}", Access::Action(Action::ResidentRead), "precise", "外来人员详情")
            .response::<VisitorDto>(),
        get(get_one),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/visitors/{id}/match",
            Access::Action(Action::ResidentWrite),
            "precise",
            "外来人员与本地人口登记关联",
        )
        .request::<MatchRequest>()
        .response::<VisitorDto>(),
        post(matched),
    )
    .add(Op::page(Method::GET, "/precise/visitors", Access::Action(Action::ResidentRead), "外来人员登记"), get(page))
    .add(
        Op::page(Method::POST, "/precise/visitors", Access::Action(Action::ResidentWrite), "登记外来人员"),
        post(page_create),
    )
    .add(
        Op::page(
            Method::POST,
            "/precise/visitors/{id}/match",
            Access::Action(Action::ResidentWrite),
            "外来人员与人口登记关联",
        ),
        post(page_match),
    )
}
