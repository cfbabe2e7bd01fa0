//! The org-unit tree as the API shows it: list the caller's subtree, add stations and
//! community offices under units in scope.

mod pages;
pub mod texts;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use ningan_core::Action;
use ningan_store::{NewOrgUnit, OrgUnit};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::ts;
use crate::http::error::ApiResult;
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;

pub fn routes(api: Api) -> Api {
    api.add(
        Op::api(Method::GET, "/api/org-units", Access::Action(Action::OrgUnitRead), "org-units", "本单位及下级单位")
            .response::<Vec<UnitDto>>(),
        get(list),
    )
    .add(
        Op::api(Method::POST, "/api/org-units", Access::Action(Action::OrgUnitManage), "org-units", "新增下级单位")
            .request::<NewUnitRequest>()
            .response::<UnitDto>()
            .status(201),
        post(create),
    )
    .add(
        Op::api(Method::GET, "/api/org-units/{id}", Access::Action(Action::OrgUnitRead), "org-units", "单位详情")
            .response::<UnitDto>(),
        get(show),
    )
    .add(Op::page(Method::GET, "/units", Access::Action(Action::OrgUnitRead), "单位树页"), get(pages::tree))
    .add(Op::page(Method::GET, "/units/{id}", Access::Action(Action::OrgUnitRead), "单位详情页"), get(pages::detail))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct UnitDto {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// `city`, `district`, `station` or `community`.
    pub kind: String,
    pub path: String,
    /// 0 for the city bureau.
    pub depth: usize,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub created_at: String,
}

impl From<OrgUnit> for UnitDto {
    fn from(u: OrgUnit) -> UnitDto {
        UnitDto {
            id: u.id,
            parent_id: u.parent_id,
            depth: u.path.matches('/').count().saturating_sub(2),
            lon: u.location.map(|p| p[0]),
            lat: u.location.map(|p| p[1]),
            kind: u.kind.as_str().into(),
            code: u.code,
            name: u.name,
            name_en: u.name_en,
            path: u.path,
            created_at: ts(u.created_at),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewUnitRequest {
    pub parent_id: i64,
    /// Letters and digits, unique in the city, e.g. `330203001`.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// Longitude and latitude of the unit's seat.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<UnitDto>>> {
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    Ok(axum::Json(units.into_iter().map(UnitDto::from).collect()))
}

async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<axum::Json<UnitDto>> {
    Ok(axum::Json(state.db.unit_get(&ctx.scope(), id).await?.into()))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewUnitRequest>,
) -> ApiResult<(StatusCode, axum::Json<UnitDto>)> {
    let mut w = state.db.write().await?;
    let unit = w
        .unit_insert(
            &ctx.actor(),
            &ctx.scope(),
            &NewOrgUnit {
                parent_id: req.parent_id,
                code: req.code,
                name: req.name,
                name_en: req.name_en,
                location: req.lon.zip(req.lat).map(|(lon, lat)| [lon, lat]),
            },
        )
        .await?;
    w.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(unit.into())))
}
