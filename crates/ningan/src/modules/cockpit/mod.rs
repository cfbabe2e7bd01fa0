//! The city cockpit (驾驶舱): the home page for commanders and every officer whose roles
//! allow it. Headline counters, the ten districts on the map coloured by a chosen figure,
//! and trend charts, all computed for the viewer's scope. Figures aggregate whole tables, so
//! they are cached per scope and refreshed in the background: at most 30 s old.

pub mod monthly;
pub mod panels;
pub mod texts;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use ningan_core::Action;
use ningan_core::DISTRICTS;
use ningan_store::{Scope, UnitKind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use panels::{Chart, Counter, MapFigure, Panel, PanelData};

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::error::ApiResult;
use crate::http::principal::Ctx;
use crate::web::{Frame, PageResult, Tr, html};

const TTL: Duration = Duration::from_secs(30);

/// Scope path and language.
type CacheKey = (String, &'static str);
/// When computed, the data generation it was computed at, and the panels.
type CacheEntry = (Instant, u64, Arc<Vec<PanelData>>);

/// The data the panels show: a committed write to any of these makes them stale.
const AREAS: &[ningan_store::Area] = &[
    ningan_store::Area::People,
    ningan_store::Area::Precise,
    ningan_store::Area::Fraud,
    ningan_store::Area::Services,
    ningan_store::Area::Modules,
];

/// Computed panels per (scope, language), kept for [`TTL`].
#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<CacheKey, CacheEntry>>,
    /// Keys whose background refresh is under way, so only one runs per key.
    refreshing: Mutex<std::collections::HashSet<CacheKey>>,
    /// One lock per key for the computations a viewer waits for: viewers who arrive while
    /// one runs take its result instead of each running the city-wide aggregates again.
    computing: Mutex<HashMap<CacheKey, Arc<tokio::sync::Mutex<()>>>>,
}

pub fn routes(api: Api) -> Api {
    let view = Access::Action(Action::CockpitView);
    api.add(
        Op::api(Method::GET, "/api/cockpit", view, "cockpit", "驾驶舱指标（本单位范围，可下钻到下级单位）")
            .query(&[("unit", "下级单位编号（下钻）")])
            .answers(&[404])
            .response::<CockpitDto>()
            .query_type::<UnitQuery>(),
        get(api_figures),
    )
    .add(Op::page(Method::GET, "/cockpit/map", view, "驾驶舱地图（按指标着色）"), get(map_fragment))
    .add(Op::page(Method::GET, "/cockpit/wall", view, "指挥中心大屏（全屏、自动刷新）"), get(wall))
}

/// The panels for the viewer's scope. Fresh ones come from the cache; stale ones are served
/// while a background task recomputes them, so only the very first view of a scope waits for
/// the aggregate queries.
pub async fn panels(state: &AppState, ctx: &Ctx, tr: Tr) -> Result<Arc<Vec<PanelData>>, ningan_store::StoreError> {
    panels_for(state, ctx.scope(), tr).await
}

/// Computes the whole city's panels in both languages in the background once the server
/// starts, so the first commander to open the cockpit does not wait for the city-wide
/// aggregates.
pub fn start(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move { warm(&state).await });
}

pub async fn warm(state: &AppState) {
    let city = Scope::subtree(&format!("/{}/", ningan_core::district::NINGBO_CODE));
    for lang in ["zh", "en"] {
        if let Err(e) = panels_for(state, city.clone(), Tr::new(lang)).await {
            tracing::warn!(error = %e, "cockpit warm-up failed");
        }
    }
}

async fn panels_for(state: &AppState, scope: Scope, tr: Tr) -> Result<Arc<Vec<PanelData>>, ningan_store::StoreError> {
    let key = (scope.path().to_string(), tr.lang());
    // Read before computing, so that a write committed meanwhile leaves the entry stale.
    let generation = state.db.changes().generation(AREAS);
    match state.cockpit.current(&key, generation) {
        // Never computed, or changed in this process since: officers expect a recorded
        // dissuasion or a new case to count at once.
        None => {
            let lock = state
                .cockpit
                .computing
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(key.clone())
                .or_default()
                .clone();
            let _one_at_a_time = lock.lock().await;
            // Whoever held the lock may have computed what this viewer needs meanwhile.
            let generation = state.db.changes().generation(AREAS);
            if let Some((_, _, data)) = state.cockpit.current(&key, generation) {
                return Ok(data);
            }
            let fresh = compute(&state.db, &scope, tr).await?;
            Ok(state.cockpit.store(key, generation, fresh))
        }
        Some((at, _, data)) if at.elapsed() < TTL => Ok(data),
        // Unchanged here but old: another process may have written; refresh behind the answer.
        Some((_, _, data)) => {
            if state.cockpit.refreshing.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone()) {
                let (state, scope) = (state.clone(), scope.clone());
                tokio::spawn(async move {
                    let generation = state.db.changes().generation(AREAS);
                    match compute(&state.db, &scope, tr).await {
                        Ok(fresh) => {
                            state.cockpit.store(key.clone(), generation, fresh);
                        }
                        Err(e) => tracing::warn!(error = %e, "cockpit refresh failed"),
                    }
                    state.cockpit.refreshing.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
                });
            }
            Ok(data)
        }
    }
}

async fn compute(
    db: &ningan_store::Db,
    scope: &ningan_store::Scope,
    tr: Tr,
) -> Result<Vec<PanelData>, ningan_store::StoreError> {
    let mut computed = Vec::new();
    for p in crate::modules::ALL.iter().flat_map(|m| m.panels) {
        computed.push((p.compute)(db, scope, tr).await?);
    }
    Ok(computed)
}

impl Cache {
    /// The entry for `key` if it was computed at `generation`.
    fn current(&self, key: &CacheKey, generation: u64) -> Option<CacheEntry> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .filter(|(_, at_generation, _)| *at_generation == generation)
            .cloned()
    }

    fn store(&self, key: CacheKey, generation: u64, panels: Vec<PanelData>) -> Arc<Vec<PanelData>> {
        let data = Arc::new(panels);
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).insert(key, (Instant::now(), generation, data.clone()));
        data
    }
}

#[derive(Serialize, JsonSchema)]
pub struct CockpitDto {
    pub unit: String,
    pub counters: Vec<CounterDto>,
    pub districts: Vec<DistrictFiguresDto>,
}

#[derive(Serialize, JsonSchema)]
pub struct CounterDto {
    pub key: String,
    pub label: String,
    pub value: i64,
}

#[derive(Serialize, JsonSchema)]
pub struct DistrictFiguresDto {
    pub figure: String,
    pub values: Vec<(String, i64)>,
}

#[derive(Deserialize, JsonSchema)]
pub struct UnitQuery {
    /// A unit under the caller's (its id), to drill into; the caller's own when absent.
    unit: Option<i64>,
}

async fn api_figures(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::json::Query(q): crate::http::json::Query<UnitQuery>,
) -> ApiResult<axum::Json<CockpitDto>> {
    let unit = drilled(&state, &ctx, q.unit).await?;
    let data = panels_for(&state, unit.scope(), Tr::new(ctx.language())).await?;
    Ok(axum::Json(CockpitDto {
        unit: unit.name.clone(),
        counters: data
            .iter()
            .flat_map(|p| &p.counters)
            .map(|c| CounterDto { key: c.key.into(), label: c.label.into(), value: c.value })
            .collect(),
        districts: data
            .iter()
            .flat_map(|p| &p.map_figures)
            .map(|f| DistrictFiguresDto {
                figure: f.key.into(),
                values: f.districts().iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            })
            .collect(),
    }))
}

/// The map's configuration for `app.js`: the figure per district (named as the map shows
/// them in the viewer's language), and per station with its seat for the drill-down into a
/// district; a view inside one district opens on it. Figures in basis points (`_bp`) are
/// drawn as per cent, coloured from just below the lowest district.
async fn map_config(
    state: &AppState,
    view: &View,
    figure: &MapFigure,
    tr: Tr,
) -> Result<String, ningan_store::StoreError> {
    let label = |d: &ningan_core::District| if tr.is_en() { d.name_en } else { d.name };
    let scaled = figure.key.ends_with("_bp");
    let shown = |v: i64| if scaled { json!(v as f64 / 100.0) } else { json!(v) };
    let data: Vec<serde_json::Value> = figure
        .districts()
        .iter()
        .filter(|(_, v)| !scaled || *v > 0)
        .filter_map(|(zh, v)| {
            DISTRICTS.iter().find(|d| d.name == *zh).map(|d| json!({"name": label(d), "value": shown(*v)}))
        })
        .collect();
    let (max, min) = if scaled {
        let low = figure.districts().iter().map(|v| v.1).filter(|v| *v > 0).min().unwrap_or(9000);
        (json!(100), json!(((low as f64 / 100.0).floor() - 1.0).min(95.0)))
    } else {
        (json!(figure.districts().iter().map(|v| v.1).max().unwrap_or(0).max(1)), json!(0))
    };
    let per_station = figure.stations();
    let units = state.db.units_in_scope(&view.scope).await?;
    let stations: Vec<serde_json::Value> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Station && !scaled)
        .filter_map(|u| {
            let [lon, lat] = u.location?;
            let district = DISTRICTS.iter().find(|d| Some(d.code) == panels::district_of(&u.path))?;
            Some(json!({
                "name": tr.pick(&u.name, &u.name_en),
                "district": district.name,
                "lon": lon,
                "lat": lat,
                "value": per_station.get(u.path.as_str()).copied().unwrap_or(0),
            }))
        })
        .collect();
    let focus = panels::district_of(&view.unit.path).and_then(|c| DISTRICTS.iter().find(|d| d.code == c));
    Ok(json!({
        "title": figure.label,
        "data": data,
        "max": max,
        "min": min,
        "high": tr.pick("高", "high"),
        "low": tr.pick("低", "low"),
        "back": tr.pick("← 返回全市", "← Whole city"),
        "names": DISTRICTS.iter().map(|d| (d.name, label(d))).collect::<std::collections::BTreeMap<_, _>>(),
        "stations": stations,
        "focus": focus.map(|d| d.name),
    })
    .to_string())
}

/// A counter's value as shown: basis points (`_bp`) as per cent with two decimals.
pub fn shown(key: &str, value: i64) -> String {
    if key.ends_with("_bp") { format!("{:.2}", value as f64 / 100.0) } else { value.to_string() }
}

/// The unit `id` names if it is the viewer's or under it (else not found); the viewer's own
/// when none is named.
async fn drilled(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
) -> Result<ningan_store::OrgUnit, ningan_store::StoreError> {
    match id {
        Some(id) if id != ctx.unit.id => {
            let u = state.db.unit_by_id(id).await?;
            if ctx.scope().contains(&u.path) { Ok(u) } else { Err(ningan_store::StoreError::NotFound) }
        }
        _ => Ok(ctx.unit.clone()),
    }
}

/// What the cockpit shows: the viewer's own units, or one unit under them drilled into.
pub struct View {
    pub unit: ningan_store::OrgUnit,
    pub scope: Scope,
    /// From the viewer's unit down to the one shown: the drill-down's trail.
    pub trail: Vec<(i64, String)>,
    /// The units one level down, to drill into: `(id, name)`.
    pub below: Vec<(i64, String)>,
}

/// The view for `unit` (an id under the viewer's units), or the viewer's own; a unit outside
/// their units is not found.
pub async fn view(state: &AppState, ctx: &Ctx, unit: Option<i64>, tr: Tr) -> Result<View, crate::web::PageError> {
    let scope = ctx.scope();
    let unit = drilled(state, ctx, unit).await?;
    let within = state.db.units_in_scope(&scope).await?;
    let name = |u: &ningan_store::OrgUnit| tr.pick(&u.name, &u.name_en).to_string();
    let mut trail: Vec<(i64, String)> = within
        .iter()
        .filter(|u| unit.path.starts_with(&u.path) && u.path.len() <= unit.path.len())
        .map(|u| (u.id, name(u)))
        .collect();
    if trail.is_empty() {
        trail.push((unit.id, name(&unit)));
    }
    let below = if unit.kind == UnitKind::Station || unit.kind == UnitKind::Community {
        Vec::new()
    } else {
        within
            .iter()
            .filter(|u| u.parent_id == Some(unit.id) && u.kind != UnitKind::Community)
            .map(|u| (u.id, name(u)))
            .collect()
    };
    Ok(View { scope: unit.scope(), unit, trail, below })
}

#[derive(Template)]
#[template(path = "cockpit/home.html")]
struct CockpitPage {
    frame: Frame,
    view: View,
    counters: Vec<(String, String, &'static str)>,
    figures: Vec<(&'static str, &'static str)>,
    chosen: String,
    map: String,
    charts: Vec<(&'static str, &'static str, String)>,
}

impl CockpitPage {
    fn chosen_is(&self, key: &str) -> bool {
        self.chosen == key
    }
}

#[derive(Deserialize)]
pub struct FigureQuery {
    figure: Option<String>,
    unit: Option<i64>,
}

/// The panels, the chosen map figure and its map for a view.
async fn contents(
    state: &AppState,
    view: &View,
    figure: Option<String>,
    tr: Tr,
) -> Result<(Arc<Vec<PanelData>>, String, String), crate::web::PageError> {
    let data = panels_for(state, view.scope.clone(), tr).await?;
    let all_figures: Vec<&MapFigure> = data.iter().flat_map(|p| &p.map_figures).collect();
    let chosen = figure.filter(|f| all_figures.iter().any(|m| m.key == f)).unwrap_or_else(|| "residents".into());
    let map = match all_figures.iter().find(|m| m.key == chosen) {
        Some(m) => map_config(state, view, m, tr).await?,
        None => String::new(),
    };
    Ok((data.clone(), chosen, map))
}

pub async fn page(state: &AppState, ctx: &Ctx, figure: Option<String>, unit: Option<i64>) -> PageResult {
    let frame = Frame::for_principal(ctx);
    let view = view(state, ctx, unit, frame.tr).await?;
    let (data, chosen, map) = contents(state, &view, figure, frame.tr).await?;
    let page = CockpitPage {
        counters: data
            .iter()
            .flat_map(|p| &p.counters)
            .map(|c| (c.label.to_string(), shown(c.key, c.value), c.key))
            .collect(),
        figures: data.iter().flat_map(|p| &p.map_figures).map(|m| (m.key, m.label)).collect(),
        charts: data.iter().flat_map(|p| &p.charts).map(|c| (c.id, c.title, c.option.to_string())).collect(),
        chosen,
        map,
        view,
        frame,
    };
    Ok(html(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "cockpit/map.html")]
struct MapFragment {
    map: String,
}

async fn map_fragment(State(state): State<AppState>, ctx: Ctx, Query(q): Query<FigureQuery>) -> PageResult<Response> {
    let tr = Tr::new(ctx.language());
    let view = view(&state, &ctx, q.unit, tr).await?;
    let (_, _, map) = contents(&state, &view, q.figure, tr).await?;
    Ok(html(StatusCode::OK, &MapFragment { map }))
}

/// One module's block on the wall: its title and counters.
pub struct WallBlock {
    pub title: &'static str,
    pub counters: Vec<(String, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "cockpit/wall.html")]
struct WallPage {
    tr: Tr,
    view: View,
    blocks: Vec<WallBlock>,
    map: String,
    charts: Vec<(&'static str, &'static str, String)>,
    updated: String,
}

/// The command centre's wall: every module's counters, the map and the charts, full screen,
/// refreshing itself every 30 seconds (the cockpit's cache keeps that cheap).
async fn wall(State(state): State<AppState>, ctx: Ctx, Query(q): Query<FigureQuery>) -> PageResult {
    let tr = Tr::new(ctx.language());
    let view = view(&state, &ctx, q.unit, tr).await?;
    let (data, _, map) = contents(&state, &view, q.figure, tr).await?;
    let names = crate::modules::ALL.iter().flat_map(|m| m.panels).map(|p| p.name);
    let blocks = names
        .zip(data.iter())
        .filter(|(_, d)| !d.counters.is_empty())
        .map(|(name, d)| WallBlock {
            title: crate::modules::evaluation::texts::module_label(name, tr.is_en()),
            counters: d.counters.iter().map(|c| (c.label.to_string(), shown(c.key, c.value), c.key)).collect(),
        })
        .collect();
    let page = WallPage {
        tr,
        blocks,
        map,
        charts: data.iter().flat_map(|p| &p.charts).map(|c| (c.id, c.title, c.option.to_string())).collect(),
        updated: ningan_core::time::format_ms(ningan_core::time::now_ms()),
        view,
    };
    Ok(html(StatusCode::OK, &page))
}
