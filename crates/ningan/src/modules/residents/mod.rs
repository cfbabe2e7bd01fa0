//! The people register through the API: search and view residents of the caller's units,
//! always masked; register residents with validated identifiers; reveal full identifiers
//! only to roles that may, with a stated purpose. Every read is audited by storage.

pub mod demo;
mod pages;
pub mod panel;
pub mod texts;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use ningan_core::idnumber::{age_band, mask_id_str};
use ningan_core::phone::mask_phone_str;
use ningan_core::time::today_cst;
use ningan_core::{Action, IdNumber, Phone, text};
use ningan_store::{NewResident, PageRequest, Resident, ResidentCursor, ResidentQuery, ResidentSort};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

/// The orders the resident list takes.
const RESIDENT_SORTS: &[&str] = &["id", "name", "birth_date", "newest"];

pub fn routes(api: Api) -> Api {
    api.add(
        Op::api(Method::GET, "/api/residents", Access::Action(Action::ResidentRead), "residents", "查询人口（脱敏）")
            .answers(&[403, 429])
            .query(&[
                ("q", "姓名前缀、脱敏身份证号（330203***********4）；完整身份证号或手机号须有查看权限并说明事由"),
                ("purpose", "按完整身份证号或手机号查询时的事由（记入审计）"),
                ("unit_id", "只看某派出所"),
                ("sort", "id | name | birth_date | newest"),
                ("page", "页码"),
                ("per_page", "每页条数（最多200）"),
            ])
            .response::<PageDto<ResidentDto>>()
            .query_type::<ListQuery>(),
        get(list),
    )
    .add(
        Op::api(Method::POST, "/api/residents", Access::Action(Action::ResidentWrite), "residents", "登记人口")
            .request::<NewResidentRequest>()
            .response::<ResidentDto>()
            .status(201),
        post(create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/residents/{id}",
            Access::Action(Action::ResidentRead),
            "residents",
            "人口详情（脱敏）",
        )
        .response::<ResidentDto>(),
        get(show),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/residents/{id}/reveal",
            Access::Reveal(Action::ResidentRead),
            "residents",
            "说明事由后查看完整身份信息",
        )
        .request::<RevealRequest>()
        .response::<ResidentDto>(),
        post(reveal),
    )
    .add(Op::page(Method::GET, "/residents", Access::Action(Action::ResidentRead), "人口查询页"), get(pages::list))
    .add(
        Op::page(Method::GET, "/residents.csv", Access::Action(Action::ResidentRead), "人口查询导出（CSV，脱敏）"),
        get(pages::export_csv),
    )
    .add(
        Op::page(Method::GET, "/residents.xlsx", Access::Action(Action::ResidentRead), "人口查询导出（XLSX，脱敏）"),
        get(pages::export_xlsx),
    )
    .add(
        Op::page(Method::GET, "/residents/{id}", Access::Action(Action::ResidentRead), "人口详情页"),
        get(pages::detail),
    )
    .add(
        Op::page(Method::POST, "/residents/{id}/reveal", Access::Reveal(Action::ResidentRead), "说明事由查看完整信息"),
        post(pages::reveal),
    )
    .add(
        // Reloading or switching language on a revealed page lands on the masked record:
        // full identifiers are never reachable by a plain link.
        Op::page(Method::GET, "/residents/{id}/reveal", Access::Action(Action::ResidentRead), "返回人口详情页"),
        get(pages::back_to_detail),
    )
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ResidentDto {
    pub id: i64,
    pub name: String,
    /// Masked (`330203***********4`: region and check character) unless revealed.
    pub id_number: String,
    pub gender: String,
    /// Only when revealed: beside a masked number it would give the masked digits back.
    pub birth_date: Option<String>,
    /// Ten-year age band (`30–39`), always shown.
    pub age_band: String,
    /// Masked (`138****5678`) unless revealed.
    pub phone: Option<String>,
    pub hukou_address: String,
    pub residence_address: Option<String>,
    pub unit_id: i64,
    pub masked: bool,
    pub created_at: String,
}

impl ResidentDto {
    pub fn masked(r: Resident) -> ResidentDto {
        ResidentDto {
            id_number: mask_id_str(&r.id_number),
            phone: r.phone.as_deref().map(mask_phone_str),
            birth_date: None,
            masked: true,
            ..ResidentDto::revealed(r)
        }
    }

    pub fn revealed(r: Resident) -> ResidentDto {
        ResidentDto {
            id: r.id,
            name: r.name,
            id_number: r.id_number,
            gender: r.gender,
            age_band: age_band(&r.birth_date, today_cst()),
            birth_date: Some(r.birth_date),
            phone: r.phone,
            hukou_address: r.hukou_address,
            residence_address: r.residence_address,
            unit_id: r.unit_id,
            masked: false,
            created_at: ts(r.created_at),
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct ListQuery {
    q: Option<String>,
    purpose: Option<String>,
    unit_id: Option<i64>,
    #[schemars(extend("enum" = RESIDENT_SORTS))]
    sort: Option<String>,
    /// The `next_after` of the page before: this page starts after it (then `page` is only
    /// the number shown). It belongs to the sort it was given with.
    #[schemars(extend("pattern" = ningan_store::ResidentCursor::PATTERN, "examples" = ["20"]))]
    after: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
    /// `exact` counts every match (it reads them all); by default `total` stops at 10,000
    /// and `total_capped` says so.
    #[schemars(extend("enum" = COUNT_MODES))]
    count: Option<String>,
}

/// How a list counts: `capped` (the default) stops at 10,000, `exact` does not.
pub const COUNT_MODES: &[&str] = &["capped", "exact"];

/// Whether `count` asks for an exact total; anything but the two modes is refused.
pub fn exact_count(count: Option<&str>) -> Result<bool, ApiError> {
    match count.filter(|c| !c.is_empty()) {
        None | Some("capped") => Ok(false),
        Some("exact") => Ok(true),
        Some(_) => Err(Rule::one_of("计数至一万为止或精确计数", COUNT_MODES).refuse("residents", "count")),
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewResidentRequest {
    #[schemars(schema_with = "crate::http::schema::line_1_64")]
    pub name: String,
    /// 18 characters, validated per GB 11643.
    #[schemars(extend("pattern" = crate::http::schema::ID_NUMBER_PATTERN, "format" = "gb11643", "examples" = [crate::http::schema::ID_NUMBER_EXAMPLE]))]
    pub id_number: String,
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_OR_BLANK_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub phone: Option<String>,
    #[schemars(schema_with = "crate::http::schema::line_2_200")]
    pub hukou_address: String,
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::line_2_200")]
    pub residence_address: Option<String>,
    /// The registered station (户籍派出所).
    pub unit_id: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RevealRequest {
    /// Why the full identifiers are needed; recorded in the audit log.
    #[schemars(length(min = 2, max = 200))]
    pub purpose: String,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<ResidentDto>>> {
    let sort = match q.sort.as_deref().filter(|s| !s.is_empty()) {
        None => ResidentSort::default(),
        Some(s) => ResidentSort::parse(s).ok_or_else(|| {
            let zh = "编号、姓名、出生日期或最新登记";
            Rule::one_of(zh, RESIDENT_SORTS).refuse("residents", "sort")
        })?,
    };
    let purpose = identifier_search_allowed(&state, &ctx, q.q.as_deref(), q.purpose.as_deref())?;
    let after = cursor(q.after.as_deref(), sort)?;
    let exact_count = exact_count(q.count.as_deref())?;
    let query = ResidentQuery { q: q.q, unit_id: q.unit_id, sort, purpose, after, exact_count };
    let cap = query.count_cap();
    let mut w = state.db.write().await?;
    let page = w.resident_search(&ctx.actor(), &ctx.scope(), &query, PageRequest::new(q.page, q.per_page)).await?;
    w.commit().await?;
    let next = ResidentCursor::next(&page, sort);
    Ok(axum::Json(PageDto::from_page(page, ResidentDto::masked).capped_at(cap).next_after(next)))
}

/// The `after` of a keyset page, checked against the sort it was made for.
pub fn cursor(after: Option<&str>, sort: ResidentSort) -> Result<Option<ResidentCursor>, ApiError> {
    match after.filter(|a| !a.is_empty()) {
        None => Ok(None),
        Some(a) => match ResidentCursor::parse(a, sort) {
            Some(c) => Ok(Some(c)),
            // The right shape for another sort: which one it is depends on `sort`.
            None if ResidentCursor::parse_any(a).is_some() => Err(Rule::context(
                "翻页位置属于另一种排序：请使用本排序上一页返回的 next_after",
                "the position belongs to another sort: pass the next_after of the page before in this sort",
            )
            .refuse("residents", "after")),
            None => Err(Rule::other(
                "翻页位置无效：请使用上一页返回的 next_after",
                "not a page position: pass the next_after of the page before",
            )
            .refuse("residents", "after")),
        },
    }
}

/// A refused text field, named in both languages.
pub fn text_error(field: &str, zh: &str, en: &str, e: text::TextError) -> ApiError {
    ApiError::field(field, format!("{zh}：{}", e.zh()), format!("{en}: {}", e.en()))
}

/// The purpose stated for a reveal: visible words, 2–200 characters.
pub fn checked_purpose(input: &str) -> Result<text::Text, ApiError> {
    text::purpose(input).map_err(|e| {
        ApiError::field(
            "purpose",
            format!("请说明查看事由（2–200字）：{}", e.zh()),
            format!("state a purpose of 2–200 characters: {}", e.en()),
        )
    })
}

/// Searches per caller by a full ID number or phone in [`IDENTIFIER_SEARCH_WINDOW`].
pub const IDENTIFIER_SEARCHES: u32 = 30;
pub const IDENTIFIER_SEARCH_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

/// A search by a full identifier answers "is this the number of someone here?", so trying the
/// 10,000 middles of a masked phone would unmask it: such a search is a reveal. It needs the
/// reveal right and a stated purpose (returned, to be audited with the search), and each
/// caller has a budget of them.
pub fn identifier_search_allowed(
    state: &AppState,
    ctx: &Ctx,
    q: Option<&str>,
    purpose: Option<&str>,
) -> Result<Option<String>, ApiError> {
    if !q.is_some_and(ningan_store::is_identifier_search) {
        return Ok(None);
    }
    if !ctx.may(Action::ResidentReveal) {
        return Err(ApiError::new(
            crate::http::error::ErrorCode::Forbidden,
            "按完整身份证号或手机号查询须有查看完整身份信息的权限；可按姓名或脱敏号码查询",
            "searching by a full ID number or phone needs the reveal right; search by name or masked number",
        ));
    }
    let purpose = checked_purpose(purpose.unwrap_or_default())?;
    if !state.identifier_searches.admit(ctx.actor().name) {
        return Err(ApiError::new(
            crate::http::error::ErrorCode::TooManyAttempts,
            "按完整号码查询过于频繁，请稍后再试",
            "too many searches by full identifier; try again later",
        ));
    }
    Ok(Some(purpose.into_string()))
}

/// Validates the request into a storage record; each wrong field is named.
pub fn validate(req: NewResidentRequest) -> Result<NewResident, ApiError> {
    let id_number = IdNumber::parse(&req.id_number, today_cst()).map_err(|e| ApiError::field_from("id_number", e))?;
    let phone = match req.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(Phone::parse(p).map_err(|e| ApiError::field_from("phone", e))?),
    };
    let name = text::person_name(&req.name).map_err(|e| text_error("name", "姓名", "name", e))?;
    let hukou_address = text::address(&req.hukou_address)
        .map_err(|e| text_error("hukou_address", "户籍地址", "household registration address", e))?;
    let residence_address = match req.residence_address.as_deref().filter(|a| !a.trim().is_empty()) {
        None => None,
        Some(a) => Some(
            text::address(a)
                .map_err(|e| text_error("residence_address", "居住地址", "residence address", e))?
                .into_string(),
        ),
    };
    Ok(NewResident {
        name: name.into_string(),
        id_number,
        phone,
        hukou_address: hukou_address.into_string(),
        residence_address,
        unit_id: req.unit_id,
    })
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewResidentRequest>,
) -> ApiResult<(StatusCode, axum::Json<ResidentDto>)> {
    let new = validate(req)?;
    let mut w = state.db.write().await?;
    let r = w.resident_insert(&ctx.actor(), &ctx.scope(), &new).await?;
    w.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(ResidentDto::masked(r))))
}

async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<axum::Json<ResidentDto>> {
    let mut w = state.db.write().await?;
    let r = w.resident_get(&ctx.actor(), &ctx.scope(), id, None).await?;
    w.commit().await?;
    Ok(axum::Json(ResidentDto::masked(r)))
}

async fn reveal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<RevealRequest>,
) -> ApiResult<axum::Json<ResidentDto>> {
    let purpose = checked_purpose(&req.purpose)?;
    let mut w = state.db.write().await?;
    let r = w.resident_get(&ctx.actor(), &ctx.scope(), id, Some(purpose.as_str())).await?;
    w.commit().await?;
    Ok(axum::Json(ResidentDto::revealed(r)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Text as clients send it: anything, digit runs that look like ID numbers or phones,
    /// and printable Unicode of any length.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[0-9Xx]{0,20}", "1[0-9]{10}", "\\PC{0,60}"]
    }

    proptest! {
        // What the request-to-problem fuzz target asks, run with the suite: whatever a body
        // holds, the answer is a resident or a 4xx problem document naming a field.
        #[test]
        fn any_resident_request_is_accepted_or_refused_with_a_problem_naming_a_field(
            name in text(),
            id_number in text(),
            phone in proptest::option::of(text()),
            hukou_address in text(),
            residence_address in proptest::option::of(text()),
            unit_id in any::<i64>(),
        ) {
            let req = NewResidentRequest { name, id_number, phone, hukou_address, residence_address, unit_id };
            if let Err(e) = validate(req) {
                let problem = e.problem();
                prop_assert!((400..500).contains(&problem.status), "refused with {}", problem.status);
                let back: serde_json::Value = serde_json::to_value(&problem).expect("serialises");
                prop_assert!(back["type"].as_str().is_some_and(|t| t.starts_with("/problems/")));
                prop_assert!(!problem.errors.is_empty(), "validation errors name a field");
            }
        }

        #[test]
        fn any_body_parses_or_is_refused_without_a_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(req) = serde_json::from_slice::<NewResidentRequest>(&body) {
                let _ = validate(req);
            }
        }
    }
}
