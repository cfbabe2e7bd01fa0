//! The administrators' catalogue pages: every item with its reach, time limit, fee and version
//! (filters and a CSV export), a new item, and one item's definition with its typed form
//! fields and every version, each with who, when, why and what it changed.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::catalogue::{self, FieldRequest, ItemDto, ItemRequest, VersionDto, item_dto};
use super::fields::{KINDS, MAX_FIELDS};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::{FormState, Frame, PageResult, Tr, html};

#[derive(Debug, Default, Deserialize)]
pub struct CatalogueQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
    /// citywide | crosscity | home | retired; empty: every item on offer.
    #[serde(default)]
    reach: String,
}

impl CatalogueQuery {
    fn keeps(&self, i: &ItemDto) -> bool {
        let q = self.q.trim();
        let text = q.is_empty()
            || i.name.contains(q)
            || i.code.contains(q)
            || i.name_en.to_lowercase().contains(&q.to_lowercase());
        let reach = match self.reach.as_str() {
            "citywide" => i.active && i.citywide,
            "crosscity" => i.active && i.crosscity,
            "home" => i.active && !i.citywide,
            "retired" => !i.active,
            _ => i.active,
        };
        text && reach && (self.category.is_empty() || i.category == self.category)
    }
}

#[derive(Template)]
#[template(path = "services/catalogue.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<ItemDto>,
    filter: CatalogueQuery,
    categories: Vec<(String, String)>,
    citywide: usize,
    crosscity: usize,
    on_offer: usize,
    retired: usize,
}

async fn all_items(state: &AppState) -> PageResult<Vec<ItemDto>> {
    let facts = state.db.service_facts().await?;
    Ok(state.db.service_items(false).await?.into_iter().map(|i| item_dto(i, &facts)).collect())
}

fn categories(items: &[ItemDto]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for i in items {
        if !out.iter().any(|(c, _)| *c == i.category) {
            out.push((i.category.clone(), i.category_en.clone()));
        }
    }
    out
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CatalogueQuery>) -> PageResult {
    let items = all_items(&state).await?;
    let frame = Frame::for_principal(&ctx).crumb("/services/catalogue", "nav.catalogue");
    let page = ListPage {
        citywide: items.iter().filter(|i| i.active && i.citywide).count(),
        crosscity: items.iter().filter(|i| i.active && i.crosscity).count(),
        on_offer: items.iter().filter(|i| i.active).count(),
        retired: items.iter().filter(|i| !i.active).count(),
        categories: categories(&items),
        rows: items.into_iter().filter(|i| q.keeps(i)).collect(),
        filter: q,
        frame,
    };
    Ok(html(StatusCode::OK, &page))
}

/// The filtered catalogue as a CSV file, in the reader's language.
pub async fn export_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<CatalogueQuery>,
) -> PageResult<Response> {
    use crate::web::export::{Format, Table, download};
    let tr = Tr::new(ctx.language());
    let yes_no = |b: bool| tr.pick(if b { "是" } else { "否" }, if b { "yes" } else { "no" }).to_string();
    let rows = all_items(&state)
        .await?
        .into_iter()
        .filter(|i| q.keeps(i))
        .map(|i| {
            vec![
                i.code.clone(),
                tr.pick(&i.name, &i.name_en).to_string(),
                tr.pick(&i.category, &i.category_en).to_string(),
                yes_no(i.citywide),
                yes_no(i.crosscity),
                i.time_limit_days.to_string(),
                i.fee_yuan.to_string(),
                i.facts.iter().map(|f| tr.pick(&f.name, &f.name_en).to_string()).collect::<Vec<_>>().join("；"),
                i.fields.iter().map(|f| tr.pick(&f.label, &f.label_en).to_string()).collect::<Vec<_>>().join("；"),
                i.version.to_string(),
                yes_no(i.active),
            ]
        })
        .collect();
    let headers = [
        ("代码", "Code"),
        ("事项", "Item"),
        ("类别", "Category"),
        ("全城通办", "City-wide"),
        ("跨市通办", "Cross-city"),
        ("办理时限（工作日）", "Time limit (working days)"),
        ("收费（元）", "Fee (yuan)"),
        ("核验信息", "Facts checked"),
        ("表单字段", "Form fields"),
        ("版本", "Version"),
        ("在办", "On offer"),
    ];
    Ok(download(&Table::new("catalogue", tr, &headers, rows), Format::Csv)?)
}

#[derive(Template)]
#[template(path = "services/catalogue_item.html")]
struct ItemPage {
    frame: Frame,
    /// None for a new item.
    code: Option<String>,
    form: FormState,
    /// (code, name, source) of every fact an item may ask for.
    facts: Vec<(String, String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    categories: Vec<(String, String)>,
    /// The form's field rows, numbered from 1.
    rows: Vec<usize>,
    versions: Vec<VersionDto>,
    /// Just saved: the page says so.
    saved: bool,
}

/// What the API names a definition's parts, as the page shows them.
pub fn part_label(part: &str, tr: Tr) -> &'static str {
    let (zh, en) = match part {
        "name" => ("名称", "name"),
        "category" => ("类别", "category"),
        "legal_basis" => ("依据", "basis"),
        "eligibility" => ("申请条件", "conditions"),
        "facts" => ("核验信息", "facts"),
        "fields" => ("表单字段", "form fields"),
        "time_limit_days" => ("办理时限", "time limit"),
        "fee_yuan" => ("收费", "fee"),
        "citywide" => ("全城通办", "city-wide"),
        "crosscity" => ("跨市通办", "cross-city"),
        "active" => ("在办/停办", "on offer"),
        _ => ("", ""),
    };
    tr.pick(zh, en)
}

/// The form's names for everything an error may point at.
fn form_names(rows: usize) -> Vec<String> {
    let mut names: Vec<String> = [
        "code",
        "name",
        "category",
        "legal_basis",
        "eligibility",
        "facts",
        "time_limit_days",
        "fee_yuan",
        "citywide",
        "crosscity",
        "reason",
        "fields",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in 1..=rows {
        for part in ["key", "label", "kind", "options"] {
            names.push(format!("fields.{n}.{part}"));
        }
    }
    names
}

/// A definition as the form shows it.
fn form_of(item: &ItemDto, tr: Tr) -> FormState {
    let mut form = FormState::new(tr)
        .set("code", item.code.clone())
        .set("name", item.name.clone())
        .set("category", item.category.clone())
        .set("legal_basis", item.legal_basis.clone())
        .set("eligibility", item.eligibility.clone())
        .set("time_limit_days", item.time_limit_days.to_string())
        .set("fee_yuan", item.fee_yuan.to_string());
    for (name, on) in [("citywide", item.citywide), ("crosscity", item.crosscity), ("active", item.active)] {
        if on {
            form = form.set(name, "yes");
        }
    }
    for f in &item.facts {
        form = form.set(&format!("fact.{}", f.code), "yes");
    }
    for (n, f) in item.fields.iter().enumerate() {
        let at = |part: &str| format!("fields.{}.{part}", n + 1);
        form = form
            .set(&at("key"), f.key.clone())
            .set(&at("label"), f.label.clone())
            .set(&at("kind"), f.kind.clone())
            .set(&at("options"), f.options.join("、"));
        if f.required {
            form = form.set(&at("required"), "yes");
        }
    }
    form
}

/// A request from the form as posted: facts as `fact.<code>` boxes, fields as numbered rows
/// (a row with neither key nor label is an empty row, not a field).
fn request_of(posted: &BTreeMap<String, String>) -> Result<ItemRequest, ApiError> {
    let get = |k: &str| posted.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let on = |k: &str| posted.get(k).is_some_and(|v| v == "yes");
    let mut fields = Vec::new();
    for n in 1..=MAX_FIELDS + 1 {
        let at = |part: &str| format!("fields.{n}.{part}");
        let (key, label) = (get(&at("key")), get(&at("label")));
        if key.is_empty() && label.is_empty() {
            continue;
        }
        let options = get(&at("options"))
            .split(['、', ',', '，', ';', '；', '\n'])
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect();
        fields.push(FieldRequest { key, label, kind: get(&at("kind")), required: on(&at("required")), options });
    }
    let number = |k: &'static str, lo: i64, hi: i64| {
        get(k).parse::<i64>().map_err(|_| super::error::refuse(k, crate::http::rule::Rule::Range(lo, hi)))
    };
    Ok(ItemRequest {
        name: get("name"),
        category: get("category"),
        legal_basis: get("legal_basis"),
        eligibility: get("eligibility"),
        facts: posted.keys().filter_map(|k| k.strip_prefix("fact.")).map(str::to_string).collect(),
        fields,
        time_limit_days: number("time_limit_days", 1, 180)?,
        fee_yuan: number("fee_yuan", 0, 1000)?,
        citywide: on("citywide"),
        crosscity: on("crosscity"),
        active: on("active"),
        reason: get("reason"),
    })
}

async fn item_page(
    state: &AppState,
    ctx: &Ctx,
    code: Option<String>,
    form: Option<FormState>,
    saved: bool,
) -> PageResult<Response> {
    let tr = Tr::new(ctx.language());
    let items = all_items(state).await?;
    let (form, versions, shown_fields) = match &code {
        Some(c) => {
            let item = items.iter().find(|i| &i.code == c).ok_or_else(crate::web::PageError::not_found)?;
            let versions = catalogue::versions_of(state, c).await?;
            (form.unwrap_or_else(|| form_of(item, tr)), versions, item.fields.len())
        }
        None => (
            form.unwrap_or_else(|| {
                FormState::new(tr).set("active", "yes").set("time_limit_days", "5").set("fee_yuan", "0")
            }),
            vec![],
            0,
        ),
    };
    let status = form.status();
    let mut frame = Frame::for_principal(ctx).crumb("/services/catalogue", "nav.catalogue");
    frame = match &code {
        Some(c) => frame.crumb_text(&format!("/services/catalogue/{c}"), c),
        None => frame.crumb_text("/services/catalogue/new", tr.pick("新增事项", "New item")),
    };
    let facts = state
        .db
        .service_facts()
        .await?
        .into_iter()
        .map(|f| {
            let name = tr.pick(&f.name, catalogue::english(&f.name)).to_string();
            (f.code, name, f.source)
        })
        .collect();
    let page = ItemPage {
        frame,
        code,
        form,
        facts,
        kinds: KINDS.iter().map(|(c, zh, en)| (*c, tr.pick(zh, en))).collect(),
        categories: categories(&items),
        rows: (1..=(shown_fields + 2).clamp(3, MAX_FIELDS)).collect(),
        versions,
        saved,
    };
    Ok(html(status, &page).into_response())
}

pub async fn new_page(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    item_page(&state, &ctx, None, None, false).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    saved: String,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<ShowQuery>,
) -> PageResult<Response> {
    item_page(&state, &ctx, Some(code), None, q.saved == "1").await
}

async fn refused(
    state: &AppState,
    ctx: &Ctx,
    code: Option<String>,
    posted: &BTreeMap<String, String>,
    e: ApiError,
) -> PageResult<Response> {
    if e.code.status() != StatusCode::UNPROCESSABLE_ENTITY && e.code.status() != StatusCode::CONFLICT {
        return Err(e.into());
    }
    let mut form = FormState::new(Tr::new(ctx.language()));
    for (k, v) in posted {
        form = form.set(k, v.clone());
    }
    let names = form_names(MAX_FIELDS);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    item_page(state, ctx, code, Some(form.refused(&e, &names)), false).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(posted): Form<BTreeMap<String, String>>,
) -> PageResult<Response> {
    let code = posted.get("code").map(|c| c.trim().to_string()).unwrap_or_default();
    let created = match request_of(&posted) {
        Ok(req) => catalogue::create_item(&state, &ctx, &code, &req).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(item) => Ok(Redirect::to(&format!("/services/catalogue/{}?saved=1", item.code)).into_response()),
        Err(e) => refused(&state, &ctx, None, &posted, e).await,
    }
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(posted): Form<BTreeMap<String, String>>,
) -> PageResult<Response> {
    let updated = match request_of(&posted) {
        Ok(req) => catalogue::update_item(&state, &ctx, &code, &req).await,
        Err(e) => Err(e),
    };
    match updated {
        Ok(item) => Ok(Redirect::to(&format!("/services/catalogue/{}?saved=1", item.code)).into_response()),
        Err(e) => refused(&state, &ctx, Some(code), &posted, e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posted_form_becomes_a_request_with_its_rows_and_boxes() {
        let posted: BTreeMap<String, String> = [
            ("name", " 测试 "),
            ("fact.identity", "yes"),
            ("fact.household", "yes"),
            ("fields.1.key", "gender"),
            ("fields.1.label", "性别"),
            ("fields.1.kind", "choice"),
            ("fields.1.options", "男、女,其他"),
            ("fields.1.required", "yes"),
            ("fields.2.key", ""),
            ("fields.2.label", ""),
            ("fields.3.key", "note"),
            ("fields.3.label", "备注"),
            ("fields.3.kind", "long_text"),
            ("time_limit_days", "5"),
            ("fee_yuan", "0"),
            ("citywide", "yes"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let r = request_of(&posted).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.name, "测试");
        assert_eq!(r.facts, vec!["household", "identity"]);
        assert_eq!(r.fields.len(), 2, "the empty row is no field");
        assert_eq!(r.fields[0].options, vec!["男", "女", "其他"]);
        assert!(r.fields[0].required && !r.fields[1].required);
        assert!(r.citywide && !r.crosscity && !r.active);
        let mut typed = posted.clone();
        typed.insert("time_limit_days".into(), "五".into());
        let refused = request_of(&typed).err().map(|e| e.errors[0].field.clone());
        assert_eq!(refused.as_deref(), Some("time_limit_days"), "a non-number is refused, never read as a default");
    }
}
