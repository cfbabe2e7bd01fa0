//! The people register through the API: search and view residents of the caller's units,
//! always masked; register residents with validated identifiers; reveal full identifiers
//! only to roles that may, with a stated purpose. Every read is audited by storage.

mod pages;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use ningan_core::idnumber::mask_id_str;
use ningan_core::phone::mask_phone_str;
use ningan_core::time::today_cst;
use ningan_core::{Action, IdNumber, Phone};
use ningan_store::{NewResident, PageRequest, Resident, ResidentQuery, ResidentSort};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;

pub fn routes(api: Api) -> Api {
    api.add(
        Op::api(Method::GET, "/api/residents", Access::Action(Action::ResidentRead), "residents", "查询人口（脱敏）")
            .query(&[
                ("q", "姓名前缀、身份证号、脱敏身份证号（330203********1234）或手机号"),
                ("unit_id", "只看某派出所"),
                ("sort", "id | name | birth_date | newest"),
                ("page", "页码"),
                ("per_page", "每页条数（最多200）"),
            ])
            .response::<PageDto<ResidentDto>>(),
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
            Access::Action(Action::ResidentReveal),
            "residents",
            "说明事由后查看完整身份信息",
        )
        .request::<RevealRequest>()
        .response::<ResidentDto>(),
        post(reveal),
    )
    .add(Op::page(Method::GET, "/residents", Access::Action(Action::ResidentRead), "人口查询页"), get(pages::list))
    .add(
        Op::page(Method::GET, "/residents/{id}", Access::Action(Action::ResidentRead), "人口详情页"),
        get(pages::detail),
    )
    .add(
        Op::page(
            Method::POST,
            "/residents/{id}/reveal",
            Access::Action(Action::ResidentReveal),
            "说明事由查看完整信息",
        ),
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
    /// Masked (`330203********1234`) unless revealed.
    pub id_number: String,
    pub gender: String,
    pub birth_date: String,
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
            birth_date: r.birth_date,
            phone: r.phone,
            hukou_address: r.hukou_address,
            residence_address: r.residence_address,
            unit_id: r.unit_id,
            masked: false,
            created_at: ts(r.created_at),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    q: Option<String>,
    unit_id: Option<i64>,
    sort: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewResidentRequest {
    pub name: String,
    /// 18 characters, validated per GB 11643.
    pub id_number: String,
    pub phone: Option<String>,
    pub hukou_address: String,
    pub residence_address: Option<String>,
    /// The registered station (户籍派出所).
    pub unit_id: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RevealRequest {
    /// Why the full identifiers are needed; recorded in the audit log.
    pub purpose: String,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<ResidentDto>>> {
    let sort = match q.sort.as_deref().filter(|s| !s.is_empty()) {
        None => ResidentSort::default(),
        Some(s) => ResidentSort::parse(s)
            .ok_or_else(|| ApiError::field("sort", "排序方式无效", "sort must be id, name, birth_date or newest"))?,
    };
    let query = ResidentQuery { q: q.q, unit_id: q.unit_id, sort };
    let mut w = state.db.write().await?;
    let page = w.resident_search(&ctx.actor(), &ctx.scope(), &query, PageRequest::new(q.page, q.per_page)).await?;
    w.commit().await?;
    Ok(axum::Json(PageDto::from_page(page, ResidentDto::masked)))
}

/// Validates the request into a storage record; each wrong field is named.
pub fn validate(req: NewResidentRequest) -> Result<NewResident, ApiError> {
    let id_number = IdNumber::parse(&req.id_number, today_cst()).map_err(|e| ApiError::field_from("id_number", e))?;
    let phone = match req.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(Phone::parse(p).map_err(|e| ApiError::field_from("phone", e))?),
    };
    if req.name.trim().is_empty() {
        return Err(ApiError::field("name", "姓名必填", "name is required"));
    }
    if req.hukou_address.trim().is_empty() {
        return Err(ApiError::field("hukou_address", "户籍地址必填", "household registration address is required"));
    }
    Ok(NewResident {
        name: req.name,
        id_number,
        phone,
        hukou_address: req.hukou_address,
        residence_address: req.residence_address,
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
    let purpose = req.purpose.trim();
    let n = purpose.chars().count();
    if !(2..=200).contains(&n) {
        return Err(ApiError::field("purpose", "请说明查看事由（2–200字）", "state a purpose of 2–200 characters"));
    }
    let mut w = state.db.write().await?;
    let r = w.resident_get(&ctx.actor(), &ctx.scope(), id, Some(purpose)).await?;
    w.commit().await?;
    Ok(axum::Json(ResidentDto::revealed(r)))
}
