//! Venues and their printed codes (场所码).

use axum::extract::State;
use axum::http::StatusCode;
use ningan_store::{NewVenue, PageRequest, Venue};
use rand::Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::tracer::{self, blocking, venue_kind, venue_kind_zh};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::ListQuery;
use crate::modules::precise::error::{PreciseError, refuse};

/// The municipality's bounding box: venues lie inside it.
const NINGBO_LON: std::ops::RangeInclusive<f64> = 120.8..=122.5;
const NINGBO_LAT: std::ops::RangeInclusive<f64> = 28.8..=30.5;

/// Whether a point lies in the municipality's bounding box.
pub fn in_ningbo(lon: f64, lat: f64) -> bool {
    NINGBO_LON.contains(&lon) && NINGBO_LAT.contains(&lat)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VenueDto {
    pub id: i64,
    /// The printed venue code (场所码) people scan.
    pub code: String,
    pub name: String,
    pub kind: String,
    pub kind_zh: String,
    pub address: String,
    pub unit_id: i64,
    pub lon: f64,
    pub lat: f64,
    pub created_at: String,
}

impl From<Venue> for VenueDto {
    fn from(v: Venue) -> Self {
        VenueDto {
            kind_zh: venue_kind_zh(&v.kind).into(),
            id: v.id,
            code: v.code,
            name: v.name,
            kind: v.kind,
            address: v.address,
            unit_id: v.unit_id,
            lon: v.location[0],
            lat: v.location[1],
            created_at: ts(v.created_at),
        }
    }
}

fn venue_kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(tracer::VENUE_KINDS.iter().map(|k| k.0))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewVenueRequest {
    #[schemars(length(min = 1, max = 100), regex(pattern = r"\S"))]
    pub name: String,
    /// restaurant | market | shop | office | school | hospital | transport | gate
    #[schemars(schema_with = "venue_kinds")]
    pub kind: String,
    #[schemars(regex(pattern = r"\S"))]
    pub address: String,
    /// The station (派出所) the venue belongs to.
    pub unit_id: i64,
    #[schemars(extend("examples" = [crate::http::schema::LON_EXAMPLE]))]
    pub lon: f64,
    #[schemars(extend("examples" = [crate::http::schema::LAT_EXAMPLE]))]
    pub lat: f64,
    /// A code to print; generated when absent.
    #[schemars(regex(pattern = r"^\s*([A-Za-z0-9-]{4,32})?\s*$"))]
    pub code: Option<String>,
}

fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let body: String = (0..10).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect();
    format!("NB{body}")
}

/// Validates a venue request; each wrong field is named.
pub fn validate_venue(req: NewVenueRequest) -> Result<NewVenue, PreciseError> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(PreciseError::Field("name", Rule::RequiredUpTo(100)));
    }
    if venue_kind(&req.kind).is_none() {
        let kinds: Vec<&str> = tracer::VENUE_KINDS.iter().map(|k| k.0).collect();
        return Err(PreciseError::Field("kind", Rule::one_of(kinds.join("、"), &kinds)));
    }
    if req.address.trim().is_empty() {
        return Err(PreciseError::Field("address", Rule::Required));
    }
    if !in_ningbo(req.lon, req.lat) {
        return Err(PreciseError::Field("lon", Rule::OutsideCity));
    }
    let code = match req.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => new_code(),
        Some(c) if (4..=32).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') => {
            c.to_ascii_uppercase()
        }
        Some(_) => {
            let rule = Rule::other("场所码为4–32位字母、数字或连字符", "4–32 letters, digits or '-'");
            return Err(PreciseError::Field("code", rule));
        }
    };
    let venue = NewVenue {
        code,
        name,
        kind: req.kind,
        address: req.address.trim().to_string(),
        unit_id: req.unit_id,
        unit_path: String::new(),
        location: [req.lon, req.lat],
    };
    Ok(venue)
}

/// Registers a venue in the database and with the engine.
pub async fn create_venue(state: &AppState, ctx: &Ctx, req: NewVenueRequest) -> ApiResult<Venue> {
    let mut venue = validate_venue(req)?;
    // The unit's path is filled in once it is found within the caller's scope.
    let unit = state.db.unit_get(&ctx.scope(), venue.unit_id).await.map_err(|_| refuse("unit_id", Rule::NotInScope))?;
    venue.unit_path = unit.path;
    let mut w = state.db.write().await?;
    let ids = w.venues_insert(&ctx.actor(), &ctx.scope(), std::slice::from_ref(&venue)).await?;
    w.commit().await?;
    let id = ids.first().copied().ok_or_else(|| ApiError::internal("venue insert returned no id"))?;
    let entry = vec![(id, venue.kind.clone(), venue.code.clone())];
    blocking(&state.precise.tracer, move |t| t.sync_venues(&entry)).await?;
    Ok(state.db.venue_get(&ctx.scope(), id).await?)
}

pub(super) async fn venue_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<VenueDto>>> {
    let page = state.db.venue_search(&ctx.scope(), q.q.as_deref(), PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, VenueDto::from)))
}

pub(super) async fn venue_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewVenueRequest>,
) -> ApiResult<(StatusCode, axum::Json<VenueDto>)> {
    let v = create_venue(&state, &ctx, req).await?;
    Ok((StatusCode::CREATED, axum::Json(v.into())))
}

pub(super) async fn venue_show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<VenueDto>> {
    Ok(axum::Json(state.db.venue_get(&ctx.scope(), id).await?.into()))
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use crate::http::dto::PageDto;
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(Method::GET, "/api/venues", Access::Action(Action::VenueRead), "precise", "查询场所")
            .query(&[("q", "名称前缀或场所码"), ("page", "页码"), ("per_page", "每页条数（最多200）")])
            .response::<PageDto<VenueDto>>()
            .query_type::<ListQuery>(),
        get(venue_list),
    )
    .add(
        Op::api(Method::POST, "/api/venues", Access::Action(Action::VenueManage), "precise", "登记场所（生成场所码）")
            .request::<NewVenueRequest>()
            .response::<VenueDto>()
            .status(201),
        post(venue_create),
    )
    .add(
        Op::api(Method::GET, "/api/venues/{id}", Access::Action(Action::VenueRead), "precise", "场所详情")
            .response::<VenueDto>(),
        get(venue_show),
    )
    .add(
        Op::page(Method::GET, "/precise/venues/{id}/poster", Access::Action(Action::VenueRead), "场所码海报"),
        get(poster),
    )
}

#[derive(askama::Template)]
#[template(path = "precise/poster.html")]
struct PosterPage {
    tr: crate::web::Tr,
    venue: VenueDto,
    unit_name: String,
    qr_svg: String,
}

/// A venue's code as a poster to print and put up at the door: the QR code partner apps scan
/// (it holds the venue code alone, nothing about people), the code in print for typing, and
/// what the scan is for.
pub(super) async fn poster(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> crate::web::PageResult {
    let venue = state.db.venue_get(&ctx.scope(), id).await.map_err(|e| crate::web::PageError::from(e).framed(&ctx))?;
    let qr = qrcode::QrCode::new(venue.code.as_bytes()).map_err(ApiError::internal)?;
    let qr_svg = qr.render::<qrcode::render::svg::Color>().min_dimensions(320, 320).build();
    let unit = state.db.unit_by_id(venue.unit_id).await?;
    let tr = crate::web::Tr::new(ctx.language());
    let unit_name = if tr.is_en() { unit.name_en } else { unit.name };
    let page = PosterPage { tr, venue: VenueDto::from(venue), unit_name, qr_svg };
    Ok(crate::web::html(axum::http::StatusCode::OK, &page))
}
