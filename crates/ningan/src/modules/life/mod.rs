//! Life first (生命至上): risk points — traffic hazard points and drowning-risk water points —
//! run through one rectification loop (found → assigned to a department with a deadline by
//! severity → rectified with photo evidence → verified on site → closed; reopened by a new
//! incident close by; overdue points escalated to the district), on a map served from an
//! R-tree; drowning prevention (measures, patrols, the "four in one" parties); roadside
//! helmet samples with Wilson intervals; and abnormal-death figures year on year.
//!
//! Built on the module seam: its storage and migration are in `store/`, its state (the map
//! index) is declared in `modules::ALL`, and outside this folder it touches only
//! `modules/mod.rs`, the access policy and the state machine in `ningan-core::hazard`.

pub mod api;
pub mod demo;
pub mod error;
pub mod import;
pub mod index;
pub mod model;
pub mod pages;
pub mod panel;
pub mod photos;
pub mod service;
pub mod store;
pub mod texts;

use std::time::Duration;

use axum::http::Method;
use axum::routing::{get, post};
use ningan_core::Action;

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::PageDto;
use crate::http::error::cause_chain;
use crate::http::rule::Refusal;

pub use store::migrations::MIGRATIONS;

/// The module's configuration, `[modules.life]`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LifeConfig {
    /// A traffic incident reopens verified and closed traffic points this close (m).
    pub reopen_traffic_m: f64,
    /// A drowning reopens verified and closed water points this close (m).
    pub reopen_water_m: f64,
}

impl Default for LifeConfig {
    fn default() -> Self {
        // A black spot is a stretch of road, so a crash a few hundred metres along is the same
        // spot; a drowning is at the water's edge it happened on, which may be long.
        LifeConfig { reopen_traffic_m: 300.0, reopen_water_m: 500.0 }
    }
}

impl crate::config::ModuleConfig for LifeConfig {
    const NAME: &'static str = "life";

    fn check(&self) -> Result<(), (&'static str, String)> {
        for (key, v) in [("reopen_traffic_m", self.reopen_traffic_m), ("reopen_water_m", self.reopen_water_m)] {
            if !(10.0..=5_000.0).contains(&v) {
                return Err((key, "must be between 10 and 5000 metres".into()));
            }
        }
        Ok(())
    }
}

impl LifeConfig {
    /// How close an incident reopens a point of `category` (m).
    pub fn reopen_radius_m(&self, category: model::Category) -> f64 {
        match category {
            model::Category::Traffic => self.reopen_traffic_m,
            model::Category::Water => self.reopen_water_m,
        }
    }
}

/// The module's own state: its configuration and the map index.
#[derive(Clone, Default)]
pub struct LifeState {
    pub config: std::sync::Arc<LifeConfig>,
    pub shared: index::Shared,
}

/// Opens the module's state (the index loads when the module starts).
pub fn open_state(config: &crate::config::Config) -> Result<crate::modules::ModuleState, crate::modules::StateError> {
    Ok(std::sync::Arc::new(LifeState {
        config: std::sync::Arc::new(config.module::<LifeConfig>()),
        ..Default::default()
    }))
}

impl axum::extract::FromRef<AppState> for LifeState {
    fn from_ref(s: &AppState) -> LifeState {
        s.modules.get::<LifeState>().map(|l| (*l).clone()).unwrap_or_default()
    }
}

pub fn life(state: &AppState) -> LifeState {
    axum::extract::FromRef::from_ref(state)
}

/// Reads every point into a fresh index, in batches.
async fn load(db: &ningan_store::Db) -> Result<index::Index, ningan_store::StoreError> {
    let mut pins = Vec::new();
    let mut after = 0;
    loop {
        let batch = store::points::pins(db, after, 20_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        pins.extend(batch);
    }
    Ok(index::Index::from_pins(pins))
}

/// How often a map asks storage what other processes changed.
const CATCH_UP: Duration = Duration::from_secs(2);

/// Reads into the index what storage holds past it: new points (by id, which the demo and
/// bulk loads write with old times) and changed ones (by `updated_at`).
async fn catch_up(state: &AppState) -> Result<(), ningan_store::StoreError> {
    let shared = life(state).shared;
    let due = shared.caught_up.lock().map(|mut at| {
        let due = at.is_none_or(|t| t.elapsed() >= CATCH_UP);
        if due {
            *at = Some(std::time::Instant::now());
        }
        due
    });
    if !due.unwrap_or(false) {
        return Ok(());
    }
    let Some((max_id, max_updated)) =
        shared.index.read().map_err(|_| poisoned())?.as_ref().map(|i| (i.max_id, i.max_updated))
    else {
        return Ok(());
    };
    let mut pins = store::points::pins(&state.db, max_id, 50_000).await?;
    pins.extend(store::points::pins_changed(&state.db, max_updated, 50_000).await?);
    if !pins.is_empty() {
        let mut guard = shared.index.write().map_err(|_| poisoned())?;
        if let Some(i) = guard.as_mut() {
            for p in pins {
                i.upsert(p);
            }
        }
    }
    Ok(())
}

/// The index, loaded now if this server has not loaded it yet, and caught up with other
/// processes' writes every few seconds.
pub async fn with_index<T>(
    state: &AppState,
    f: impl FnOnce(&index::Index) -> T,
) -> Result<T, ningan_store::StoreError> {
    let shared = life(state).shared;
    catch_up(state).await?;
    {
        let guard = shared.index.read().map_err(|_| poisoned())?;
        if let Some(i) = guard.as_ref() {
            return Ok(f(i));
        }
    }
    let fresh = load(&state.db).await?;
    let out = {
        let mut guard = shared.index.write().map_err(|_| poisoned())?;
        f(guard.get_or_insert(fresh))
    };
    let late: Vec<i64> = shared.pending.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default();
    refresh(state, &late).await;
    Ok(out)
}

fn poisoned() -> ningan_store::StoreError {
    ningan_store::StoreError::Invalid("life map index lock poisoned".into())
}

/// Puts the committed state of `ids` into the index; before it is loaded, they are kept for
/// the load to read again. A failure only delays the map until the next reload, so it is
/// logged.
pub async fn refresh(state: &AppState, ids: &[i64]) {
    let shared = life(state).shared;
    if ids.is_empty() {
        return;
    }
    if shared.index.read().map(|g| g.is_none()).unwrap_or(true) {
        // Bounded: past this, the next load is newer than most of them anyway.
        if let Ok(mut p) = shared.pending.lock()
            && p.len() < 100_000
        {
            p.extend_from_slice(ids);
        }
        return;
    }
    let mut pins = Vec::new();
    for id in ids {
        match store::points::pin(&state.db, *id).await {
            Ok(p) => pins.push(p),
            Err(e) => tracing::warn!(error = %e, point = id, "life map index refresh"),
        }
    }
    if let Ok(mut guard) = shared.index.write()
        && let Some(i) = guard.as_mut()
    {
        for p in pins {
            i.upsert(p);
        }
    }
}

/// After a bulk write: the whole index read again past a few hundred points (one pass
/// instead of a query per point).
pub async fn refresh_many(state: &AppState, ids: &[i64]) {
    if ids.len() <= 500 {
        return refresh(state, ids).await;
    }
    let shared = life(state).shared;
    if shared.index.read().map(|g| g.is_none()).unwrap_or(true) {
        return;
    }
    match load(&state.db).await {
        Ok(fresh) => {
            if let Ok(mut g) = shared.index.write() {
                *g = Some(fresh);
            }
        }
        Err(e) => tracing::warn!(error = %e, "life map index reload failed"),
    }
}

/// Loads the map index, then each minute escalates overdue points to the district.
pub fn start(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        // Load the index now rather than on the first map someone opens (over a second at
        // 100,000 points).
        if let Err(e) = with_index(&state, |_| ()).await {
            tracing::warn!(error = %e, "life map index load failed");
        }
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match service::sweep_overdue(&state.db, ningan_core::time::now_ms()).await {
                Ok(ids) if ids.is_empty() => {}
                Ok(ids) => {
                    tracing::info!(escalated = ids.len(), "overdue risk points escalated to the district");
                    refresh(&state, &ids).await;
                }
                Err(e) => {
                    tracing::warn!(error = %cause_chain(&e), code = Refusal::code(&e), "life escalation sweep failed")
                }
            }
        }
    });
}

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::LifeRead);
    let work = Access::Action(Action::LifeWork);
    let manage = Access::Action(Action::LifeManage);
    api.add(
        Op::api(Method::POST, "/api/life/points", work, "life", "登记隐患点（位置须在本单位辖区内）")
            .request::<service::PointInput>()
            .response::<api::PointDto>(),
        post(api::create),
    )
    .add(
        Op::api(Method::GET, "/api/life/points", read, "life", "隐患点列表（本单位；责任部门仅本部门）")
            .query(&[
                ("q", "名称或地址"),
                ("category", "traffic | water"),
                ("kind", "隐患类别"),
                ("state", "found | assigned | rectified | verified | closed"),
                ("severity", "major | serious | general"),
                ("department", "责任部门"),
                ("overdue", "1：仅超期"),
                ("sort", "deadline | 默认最新"),
                ("page", "页码"),
                ("per_page", "每页条数"),
            ])
            .response::<PageDto<api::PointDto>>()
            .query_type::<api::ListQuery>(),
        get(api::list),
    )
    .add(
        Op::api(Method::GET, "/api/life/points/{id}", read, "life", "隐患点详情、整改记录、照片与可办操作")
            .response::<api::PointDetailDto>(),
        get(api::detail),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/life/points/{id}/steps",
            read,
            "life",
            "交办、报送整改（附措施与照片）、验收、销号、重新启动",
        )
        .request::<api::StepRequest>(),
        post(api::step),
    )
    .add(
        Op::api(Method::PUT, "/api/life/points/{id}/water", work, "life", "溺水风险点的防护措施与四位一体责任人")
            .request::<store::points::Water>(),
        axum::routing::put(api::water),
    )
    .add(
        Op::api(Method::POST, "/api/life/points/{id}/patrols", work, "life", "记录巡查")
            .request::<api::PatrolRequest>()
            .response::<api::PatrolLogged>(),
        post(api::patrol),
    )
    .add(
        Op::api(Method::POST, "/api/life/points/{id}/photos", work, "life", "补充现场照片（JPEG、PNG，base64）")
            .request::<api::PhotosRequest>()
            .response::<api::PhotosAdded>(),
        post(api::photos),
    )
    .add(
        Op::api(Method::GET, "/api/life/map", read, "life", "地图图层：视窗内的隐患点或聚合（空间索引）")
            .query(&[
                ("bbox", "西,南,东,北（经纬度）"),
                ("zoom", "地图缩放级别"),
                ("category", "traffic | water"),
                ("kind", "隐患类别"),
                ("state", "状态"),
                ("severity", "等级"),
                ("overdue", "1：仅超期"),
            ])
            .response::<index::Layer>()
            .query_type::<api::MapQuery>(),
        get(api::map),
    )
    .add(
        Op::api(Method::POST, "/api/life/incidents", work, "life", "登记事故（附近已验收隐患点自动重新启动）")
            .request::<service::IncidentInput>()
            .response::<service::IncidentOutcome>(),
        post(api::incident),
    )
    .add(
        Op::api(Method::GET, "/api/life/incidents", read, "life", "事故列表")
            .query(&[("kind", "traffic | drowning | other"), ("page", "页码"), ("per_page", "每页条数")])
            .response::<PageDto<store::records::Incident>>()
            .query_type::<api::IncidentQuery>(),
        get(api::incidents),
    )
    .add(
        Op::api(Method::POST, "/api/life/helmets", work, "life", "录入头盔佩戴抽样").request::<service::SampleInput>(),
        post(api::sample),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/life/helmets/rates",
            read,
            "life",
            "头盔佩戴率（按区县、道路类型、月份，含95%置信区间）",
        )
        .query(&[("year", "年份，默认今年")])
        .response::<api::RatesDto>()
        .query_type::<api::YearQuery>(),
        get(api::rates),
    )
    .add(
        Op::api(Method::GET, "/api/life/deaths", read, "life", "非正常亡人数（按月、区县，同比）")
            .query(&[("year", "年份，默认今年")])
            .response::<api::DeathsDto>()
            .query_type::<api::YearQuery>(),
        get(api::deaths),
    )
    .add(
        Op::api(Method::PUT, "/api/life/departments/{user_id}", manage, "life", "指定责任部门账号所属部门")
            .request::<api::DepartmentRequest>(),
        axum::routing::put(api::department),
    )
    .add(
        Op::api(Method::POST, "/api/life/points/import", work, "life", "导入隐患点（CSV 或 XLSX，逐行报告拒收原因）")
            .file_body(crate::web::import::MEDIA_TYPES)
            .response::<crate::web::import::ImportReport>(),
        post(api::import_points),
    )
    .add(
        Op::api(Method::POST, "/api/life/helmets/import", work, "life", "导入头盔佩戴抽样（CSV 或 XLSX）")
            .file_body(crate::web::import::MEDIA_TYPES)
            .response::<crate::web::import::ImportReport>(),
        post(api::import_samples),
    )
    .add(Op::page(Method::GET, "/life/import", work, "导入隐患点、头盔抽样"), get(pages::import_form))
    .add(Op::page(Method::POST, "/life/import", work, "导入隐患点、头盔抽样"), post(pages::import))
    .add(Op::page(Method::GET, "/life", read, "生命至上：隐患点地图"), get(pages::map))
    .add(Op::page(Method::GET, "/life/points", read, "隐患点列表"), get(pages::list))
    .add(Op::page(Method::GET, "/life/points.csv", read, "导出隐患点（CSV）"), get(pages::export_csv))
    .add(Op::page(Method::GET, "/life/points.geojson", read, "导出隐患点（GeoJSON）"), get(pages::export_geojson))
    .add(Op::page(Method::GET, "/life/points/new", work, "登记隐患点"), get(pages::new_form))
    .add(Op::page(Method::POST, "/life/points", work, "登记隐患点"), post(pages::create))
    .add(Op::page(Method::GET, "/life/points/{id}", read, "隐患点详情与整改"), get(pages::detail))
    .add(Op::page(Method::POST, "/life/points/{id}/steps", read, "办理隐患点"), post(pages::step))
    .add(Op::page(Method::POST, "/life/points/{id}/patrols", work, "记录巡查"), post(pages::patrol))
    .add(Op::page(Method::POST, "/life/points/{id}/water", work, "防溺水措施与四位一体责任人"), post(pages::water))
    .add(Op::page(Method::POST, "/life/points/{id}/photos", work, "补充现场照片"), post(pages::photos))
    .add(Op::page(Method::GET, "/life/photos/{id}", read, "隐患点照片"), get(api::photo))
    .add(Op::page(Method::GET, "/life/helmets", read, "头盔佩戴率"), get(pages::helmets))
    .add(Op::page(Method::POST, "/life/helmets", work, "录入头盔佩戴抽样"), post(pages::sample))
    .add(Op::page(Method::GET, "/life/deaths", read, "非正常亡人数"), get(pages::deaths))
    .add(Op::page(Method::POST, "/life/incidents", work, "登记事故"), post(pages::incident))
}
