//! Isolation (硬核隔离): quarantine sites and rooms, assigning contacts to a room (or home),
//! daily health reports, release dates by regime with every change recorded, release when
//! the rule allows, and the occupancy board. Releasing a stay releases its follow-up, which
//! the gates see at once.

use axum::extract::State;
use axum::http::StatusCode;
use ningan_core::quarantine::{Regime, TestResult, may_release};
use ningan_store::{NewSite, NewStay, PageRequest, SiteBoard, Stay};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::{PreciseError, refuse};
use crate::modules::precise::tracing::venues::in_ningbo;

/// What a daily report may say of the test.
const TEST_RESULTS: &[&str] = &["negative", "positive", "pending", "none"];

/// A quarantine stay's states, as the list filters them.
const STAY_STATUSES: &[&str] = &["active", "released"];

#[derive(Debug, Serialize, JsonSchema)]
pub struct SiteDto {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub unit_id: i64,
    pub lon: f64,
    pub lat: f64,
    pub rooms: i64,
    pub beds: i64,
    pub occupied: i64,
    pub free: i64,
}

impl From<SiteBoard> for SiteDto {
    fn from(s: SiteBoard) -> Self {
        SiteDto {
            free: (s.capacity - s.occupied).max(0),
            id: s.id,
            name: s.name,
            address: s.address,
            unit_id: s.unit_id,
            lon: s.location[0],
            lat: s.location[1],
            rooms: s.rooms,
            beds: s.capacity,
            occupied: s.occupied,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RoomRequest {
    pub room_no: String,
    /// Beds in the room (1–8).
    pub beds: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewSiteRequest {
    #[schemars(length(min = 1, max = 100), regex(pattern = r"\S"))]
    pub name: String,
    #[schemars(regex(pattern = r"\S"))]
    pub address: String,
    pub unit_id: i64,
    pub lon: f64,
    pub lat: f64,
    pub rooms: Vec<RoomRequest>,
}

pub(super) async fn sites(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<SiteDto>>> {
    Ok(axum::Json(state.db.sites_board(&ctx.scope()).await?.into_iter().map(SiteDto::from).collect()))
}

pub async fn create_site(state: &AppState, ctx: &Ctx, req: NewSiteRequest) -> ApiResult<i64> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(refuse("name", Rule::RequiredUpTo(100)));
    }
    if req.address.trim().is_empty() {
        return Err(refuse("address", Rule::Required));
    }
    if !in_ningbo(req.lon, req.lat) {
        return Err(refuse("lon", Rule::OutsideCity));
    }
    if req.rooms.is_empty() || req.rooms.len() > 2000 {
        return Err(refuse("rooms", Rule::other("房间数为1–2000", "give 1 to 2000 rooms")));
    }
    let mut seen = std::collections::HashSet::new();
    for r in &req.rooms {
        let no = r.room_no.trim();
        if no.is_empty() || !(1..=8).contains(&r.beds) || !seen.insert(no.to_string()) {
            let rule = Rule::other(
                format!("房间“{no}”：房号必填且不重复，床位1–8"),
                format!("room “{no}”: a unique number and 1–8 beds"),
            );
            return Err(refuse("rooms", rule));
        }
    }
    let unit = state.db.unit_get(&ctx.scope(), req.unit_id).await.map_err(|_| refuse("unit_id", Rule::NotInScope))?;
    let site = NewSite {
        name: name.into(),
        address: req.address.trim().into(),
        unit_id: unit.id,
        unit_path: unit.path,
        location: [req.lon, req.lat],
        rooms: req.rooms.iter().map(|r| (r.room_no.trim().to_string(), r.beds)).collect(),
    };
    let mut w = state.db.write().await?;
    let id = w.site_insert(&ctx.actor(), &ctx.scope(), &site).await?;
    w.commit().await?;
    Ok(id)
}

pub(super) async fn site_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewSiteRequest>,
) -> ApiResult<(StatusCode, axum::Json<SiteDto>)> {
    let id = create_site(&state, &ctx, req).await?;
    let board = state.db.sites_board(&ctx.scope()).await?;
    let site = board.into_iter().find(|s| s.id == id).ok_or_else(|| ApiError::internal("site vanished"))?;
    Ok((StatusCode::CREATED, axum::Json(site.into())))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StayDto {
    pub id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    pub followup_id: Option<i64>,
    /// Absent for home quarantine.
    pub site_id: Option<i64>,
    pub site_name: Option<String>,
    pub room_no: Option<String>,
    /// 14 | 7+3 | 5+3
    pub regime: String,
    pub regime_zh: String,
    pub last_exposure: String,
    pub starts_at: String,
    /// End of central (or home) quarantine.
    pub end_at: String,
    /// End of the health monitoring at home that follows.
    pub monitor_end_at: String,
    /// active | released
    pub status: String,
}

impl From<Stay> for StayDto {
    fn from(s: Stay) -> Self {
        StayDto {
            regime_zh: Regime::parse(&s.regime).map_or("", Regime::label_zh).into(),
            id: s.id,
            resident_id: s.resident_id,
            resident_name: s.resident_name,
            followup_id: s.followup_id,
            site_id: s.site_id,
            site_name: s.site_name,
            room_no: s.room_no,
            regime: s.regime,
            last_exposure: ts(s.last_exposure),
            starts_at: ts(s.starts_at),
            end_at: ts(s.end_at),
            monitor_end_at: ts(s.monitor_end_at),
            status: s.status,
        }
    }
}

/// A follow-up names the person and the last exposure; without one both are given.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(extend("anyOf" = [{"required": ["followup_id"]}, {"required": ["resident_id", "last_exposure"]}]))]
pub struct NewStayRequest {
    /// The contact's follow-up task; its person and last exposure are used.
    pub followup_id: Option<i64>,
    /// Or a person directly (with `last_exposure`).
    pub resident_id: Option<i64>,
    /// Absent: home quarantine.
    pub site_id: Option<i64>,
    pub room_id: Option<i64>,
    /// 14 | 7+3 | 5+3
    #[schemars(extend("enum" = ["14", "7+3", "5+3"]))]
    pub regime: String,
    /// RFC 3339; required without a follow-up.
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub last_exposure: Option<String>,
}

pub async fn start_stay(state: &AppState, ctx: &Ctx, req: NewStayRequest) -> ApiResult<i64> {
    let regime = Regime::parse(&req.regime)
        .ok_or_else(|| refuse("regime", Rule::other("隔离方案为 14、7+3 或 5+3", "regime must be 14, 7+3 or 5+3")))?;
    let (resident_id, last_exposure, followup) = match (req.followup_id, req.resident_id) {
        (Some(f), _) => {
            let (resident, last_s, status) =
                state.db.followup_get(&ctx.scope(), f).await.map_err(|_| refuse("followup_id", Rule::NotInScope))?;
            if status == "released" || status == "quarantined" {
                return Err(PreciseError::AlreadyHeld.into());
            }
            (resident, last_s * 1000, Some((f, status)))
        }
        (None, Some(r)) => {
            let at = req.last_exposure.as_deref().ok_or_else(|| {
                refuse("last_exposure", Rule::other("无管控任务时须填写末次暴露时间", "required without a follow-up"))
            })?;
            (r, crate::modules::precise::time_ms("last_exposure", at)?, None)
        }
        (None, None) => {
            return Err(refuse("followup_id", Rule::other("请指定管控任务或人员", "give followup_id or resident_id")));
        }
    };
    let (end_at, monitor_end_at) = regime.ends(last_exposure);
    let stay = NewStay {
        resident_id,
        followup_id: followup.as_ref().map(|f| f.0),
        site_id: req.site_id,
        room_id: req.room_id,
        regime: regime.as_str().into(),
        last_exposure,
        end_at,
        monitor_end_at,
    };
    let mut w = state.db.write().await?;
    let id = w.stay_start(&ctx.actor(), &ctx.scope(), &stay).await?;
    if let Some((f, status)) = followup {
        // Forward one step at a time: a notified contact is transferred, then in quarantine.
        if status == "notified" {
            w.followup_set_status(&ctx.actor(), &ctx.scope(), f, "transferred", "").await?;
        }
        w.followup_set_status(&ctx.actor(), &ctx.scope(), f, "quarantined", "").await?;
    }
    w.commit().await?;
    state.precise.registry.refresh_person(&state.db, resident_id).await?;
    Ok(id)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StayCreated {
    pub id: i64,
}

pub(super) async fn stay_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewStayRequest>,
) -> ApiResult<(StatusCode, axum::Json<StayCreated>)> {
    let id = start_stay(&state, &ctx, req).await?;
    Ok((StatusCode::CREATED, axum::Json(StayCreated { id })))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(super) struct StayQuery {
    #[schemars(extend("enum" = STAY_STATUSES))]
    status: Option<String>,
    site_id: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub(super) async fn stays(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StayQuery>,
) -> ApiResult<axum::Json<PageDto<StayDto>>> {
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = status
        && !STAY_STATUSES.contains(&s)
    {
        return Err(refuse("status", Rule::one_of("active（隔离中）或 released（已解除）", STAY_STATUSES)));
    }
    let mut w = state.db.write().await?;
    let page =
        w.stay_search(&ctx.actor(), &ctx.scope(), status, q.site_id, PageRequest::new(q.page, q.per_page)).await?;
    w.commit().await?;
    Ok(axum::Json(PageDto::from_page(page, StayDto::from)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReportRequest {
    /// Body temperature, °C.
    #[schemars(range(min = 34, max = 43))]
    pub temperature: Option<f64>,
    /// negative | positive | pending | none
    #[schemars(extend("enum" = TEST_RESULTS))]
    pub test_result: String,
    pub note: Option<String>,
}

pub(super) async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<ReportRequest>,
) -> ApiResult<StatusCode> {
    record_report(&state, &ctx, id, req.temperature, &req.test_result, req.note.as_deref().unwrap_or_default()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A daily health report on a stay (temperature, test), for the API and the page.
pub async fn record_report(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    temperature: Option<f64>,
    test_result: &str,
    note: &str,
) -> ApiResult<()> {
    if TestResult::parse(test_result).is_none() {
        let zh = "negative（阴性）、positive（阳性）、pending（待出）或 none（未检）";
        return Err(refuse("test_result", Rule::one_of(zh, TEST_RESULTS)));
    }
    if let Some(t) = temperature
        && !(34.0..=43.0).contains(&t)
    {
        return Err(refuse("temperature", Rule::other("体温应在34–43℃之间", "must be 34–43 °C")));
    }
    if note.chars().count() > 500 {
        return Err(refuse("note", Rule::TooLong(500)));
    }
    let mut w = state.db.write().await?;
    w.stay_report(&ctx.actor(), &ctx.scope(), id, temperature, test_result, note.trim()).await?;
    w.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EndRequest {
    /// The new end of quarantine (RFC 3339).
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub end_at: String,
    #[schemars(length(min = 2, max = 200))]
    pub reason: String,
}

pub(super) async fn change_end(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<EndRequest>,
) -> ApiResult<StatusCode> {
    let new_end = crate::modules::precise::time_ms("end_at", &req.end_at)?;
    move_end(&state, &ctx, id, new_end, &req.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a stay's end, with the reason kept beside the old and new dates.
pub async fn move_end(state: &AppState, ctx: &Ctx, id: i64, new_end: i64, reason: &str) -> ApiResult<()> {
    let reason = reason.trim();
    if !(2..=200).contains(&reason.chars().count()) {
        return Err(refuse("reason", Rule::Reason(2, 200)));
    }
    let (_, regime, last_exposure, _, _) = state.db.stay_get(&ctx.scope(), id).await?;
    if new_end <= last_exposure {
        return Err(refuse("end_at", Rule::other("解除时间须晚于末次暴露时间", "must be after the last exposure")));
    }
    let home = Regime::parse(&regime).map_or(0, Regime::home_days) * ningan_core::quarantine::DAY_MS;
    let mut w = state.db.write().await?;
    w.stay_change_end(&ctx.actor(), &ctx.scope(), id, new_end, new_end + home, reason).await?;
    w.commit().await?;
    Ok(())
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StayDetail {
    pub id: i64,
    pub regime: String,
    pub end_at: String,
    pub status: String,
    /// Whether the rule allows release now, and if not, why.
    pub may_release: bool,
    pub not_yet: Option<String>,
    pub not_yet_zh: Option<String>,
    pub reports: Vec<ReportDto>,
    pub end_changes: Vec<EndChangeDto>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportDto {
    pub at: String,
    pub temperature: Option<f64>,
    pub test_result: String,
    pub note: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EndChangeDto {
    pub at: String,
    pub actor: String,
    pub old_end: String,
    pub new_end: String,
    pub reason: String,
}

pub async fn stay_detail(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<StayDetail> {
    let (_, regime, _, end_at, status) = state.db.stay_get(&ctx.scope(), id).await?;
    let reports = state.db.stay_reports(id).await?;
    let results: Vec<(i64, TestResult)> =
        reports.iter().filter_map(|r| TestResult::parse(&r.test_result).map(|t| (r.at, t))).collect();
    let check = may_release(end_at, ningan_core::time::now_ms(), &results);
    Ok(StayDetail {
        id,
        regime,
        end_at: ts(end_at),
        may_release: status == "active" && check.is_ok(),
        not_yet: check.err().map(|e| e.code().to_string()),
        not_yet_zh: check.err().map(|e| e.zh().to_string()),
        status,
        reports: reports
            .into_iter()
            .map(|r| ReportDto { at: ts(r.at), temperature: r.temperature, test_result: r.test_result, note: r.note })
            .collect(),
        end_changes: state
            .db
            .stay_end_changes(id)
            .await?
            .into_iter()
            .map(|c| EndChangeDto {
                at: ts(c.at),
                actor: c.actor,
                old_end: ts(c.old_end),
                new_end: ts(c.new_end),
                reason: c.reason,
            })
            .collect(),
    })
}

pub(super) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<StayDetail>> {
    Ok(axum::Json(stay_detail(&state, &ctx, id).await?))
}

/// Ends a stay when the rule allows; its follow-up is released too. The reason is audited.
pub async fn release_stay(state: &AppState, ctx: &Ctx, id: i64, reason: &str) -> ApiResult<()> {
    let detail = stay_detail(state, ctx, id).await?;
    if !detail.may_release {
        let zh = detail.not_yet_zh.unwrap_or_else(|| "隔离已结束".into());
        let en = detail.not_yet.unwrap_or_else(|| "ended".into());
        return Err(PreciseError::NotReleasable { zh, en }.into());
    }
    let mut w = state.db.write().await?;
    let (resident, followup) = w.stay_release(&ctx.actor(), &ctx.scope(), id, reason).await?;
    if let Some(f) = followup
        && state.db.followup_get(&ctx.scope(), f).await.is_ok_and(|(_, _, status)| status != "released")
    {
        w.followup_set_status(&ctx.actor(), &ctx.scope(), f, "released", "隔离期满，核酸阴性").await?;
    }
    w.commit().await?;
    state.precise.registry.refresh_person(&state.db, resident).await?;
    Ok(())
}

pub(super) async fn release(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    release_stay(&state, &ctx, id, "").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use crate::http::dto::PageDto;
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(Method::GET, "/api/quarantine/sites", Access::Action(Action::CaseRead), "precise", "隔离点与床位占用")
            .response::<Vec<SiteDto>>(),
        get(sites),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/quarantine/sites",
            Access::Action(Action::QuarantineManage),
            "precise",
            "登记隔离点及房间",
        )
        .request::<NewSiteRequest>()
        .response::<SiteDto>()
        .status(201),
        post(site_create),
    )
    .add(
        Op::api(Method::GET, "/api/quarantine", Access::Action(Action::CaseRead), "precise", "隔离人员（按解除日期）")
            .query(&[("status", "active | released"), ("site_id", "隔离点"), ("page", "页码")])
            .response::<PageDto<StayDto>>()
            .query_type::<StayQuery>(),
        get(stays),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/quarantine",
            Access::Action(Action::QuarantineManage),
            "precise",
            "安排隔离（集中或居家）",
        )
        .request::<NewStayRequest>()
        .response::<StayCreated>()
        .status(201),
        post(stay_create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/quarantine/{id}",
            Access::Action(Action::CaseRead),
            "precise",
            "隔离详情：健康报告、解除日期变更、能否解除",
        )
        .response::<StayDetail>(),
        get(show),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/quarantine/{id}/reports",
            Access::Action(Action::QuarantineManage),
            "precise",
            "每日健康报告",
        )
        .request::<ReportRequest>()
        .status(204),
        post(report),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/quarantine/{id}/end",
            Access::Action(Action::QuarantineManage),
            "precise",
            "变更解除日期（须说明理由）",
        )
        .request::<EndRequest>()
        .status(204),
        post(change_end),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/quarantine/{id}/release",
            Access::Action(Action::QuarantineManage),
            "precise",
            "解除隔离（按规则核验）",
        )
        .status(204),
        post(release),
    )
}
