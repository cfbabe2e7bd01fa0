//! Typhoon and flood response (抗台防汛): an event, warnings sent as CAP 1.2 messages for
//! areas drawn on the map, the register's households inside listed for their stations'
//! evacuation (those with a recorded need first — needs kept only with consent or from an
//! agency, and seen only by the station evacuating them), shelters with capacity and live
//! occupancy, check-ins by the resident's signed pass (the gates' code), rescues filed as
//! 110 incidents, road closures that dispatch routes around, and the commander's printable
//! situation report. `scenario.rs` plays Typhoon In-Fa over the demo city while it serves.
//!
//! Built on the module seam: storage and migration in `store/`, the closure-aware router in
//! the module's state; outside this folder it touches `modules/mod.rs`, the access policy,
//! `ningan-core::emergency` (levels, needs, the household's state machine), `ningan-core::cap`
//! and `ningan-route` (`Router::without`), and the command module's dispatch, which asks
//! [`routing`] for the roads that are open.

pub mod api;
pub mod demo;
pub mod error;
pub mod pages;
pub mod panel;
pub mod scenario;
pub mod service;
pub mod store;
pub mod texts;

use std::sync::Arc;

use axum::http::Method;
use axum::routing::{delete, get, post};
use ningan_core::Action;

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::PageDto;

pub use store::migrations::MIGRATIONS;

/// The module's configuration, `[modules.emergency]`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct EmergencyConfig {
    /// `typhoon`: play the demo's typhoon while serving (`ningan demo --scenario typhoon`).
    pub scenario: String,
    /// How many households the scenario moves into shelters a minute.
    pub households_per_minute: u32,
}

impl Default for EmergencyConfig {
    fn default() -> Self {
        EmergencyConfig { scenario: String::new(), households_per_minute: 120 }
    }
}

impl crate::config::ModuleConfig for EmergencyConfig {
    const NAME: &'static str = "emergency";

    fn check(&self) -> Result<(), (&'static str, String)> {
        if !matches!(self.scenario.as_str(), "" | "typhoon") {
            return Err(("scenario", "must be empty or typhoon".into()));
        }
        if !(1..=60_000).contains(&self.households_per_minute) {
            return Err(("households_per_minute", "must be between 1 and 60000".into()));
        }
        Ok(())
    }
}

/// The module's own state: the road network with today's closures taken out, when any are.
#[derive(Clone, Default)]
pub struct EmergencyState {
    closed: Arc<std::sync::RwLock<Option<Arc<ningan_route::Router>>>>,
    /// Rebuilds run one at a time, so the last closure written is the last one applied.
    rebuilding: Arc<tokio::sync::Mutex<()>>,
}

pub fn open_state(_: &crate::config::Config) -> Result<crate::modules::ModuleState, crate::modules::StateError> {
    Ok(Arc::new(EmergencyState::default()))
}

impl axum::extract::FromRef<AppState> for EmergencyState {
    fn from_ref(s: &AppState) -> EmergencyState {
        s.modules.get::<EmergencyState>().map(|o| (*o).clone()).unwrap_or_default()
    }
}

pub fn emergency(state: &AppState) -> EmergencyState {
    axum::extract::FromRef::from_ref(state)
}

/// The router dispatch should use: the demo city's roads with the closures of active
/// events taken out.
pub enum Routing {
    Open(&'static ningan_route::Router),
    Closed(Arc<ningan_route::Router>),
}

impl std::ops::Deref for Routing {
    type Target = ningan_route::Router;
    fn deref(&self) -> &ningan_route::Router {
        match self {
            Routing::Open(r) => r,
            Routing::Closed(r) => r,
        }
    }
}

/// The roads as they are now, for dispatch; `None` only when the city has no network.
pub fn routing(state: &AppState) -> Option<Routing> {
    let closed = emergency(state).closed.read().ok().and_then(|c| c.clone());
    match closed {
        Some(r) => Some(Routing::Closed(r)),
        None => crate::geo::router().map(Routing::Open),
    }
}

/// Prepares the router again from the closures stored now (after one is added or lifted,
/// an event closes, or the server starts). A failure leaves dispatch on the previous roads
/// and is logged: routing round a closed road is a help, not a precondition of dispatch.
pub async fn reroute(state: &AppState) {
    let own = emergency(state);
    let _one = own.rebuilding.lock().await;
    let arcs = match store::events::shut_arcs(&state.db).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "road closures could not be read");
            return;
        }
    };
    let Some(base) = crate::geo::router() else { return };
    let next = if arcs.is_empty() {
        None
    } else {
        let started = std::time::Instant::now();
        match tokio::task::spawn_blocking(move || base.without(&arcs)).await {
            Ok(Ok(r)) => {
                tracing::info!(
                    closed = r.closed().count(),
                    ms = started.elapsed().as_millis() as u64,
                    "roads re-prepared round the closures"
                );
                Some(Arc::new(r))
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the closed roads could not be routed round");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "re-preparing the roads stopped");
                return;
            }
        }
    };
    if let Ok(mut c) = own.closed.write() {
        *c = next;
    }
}

/// Applies the stored closures, and plays the demo scenario when configured.
pub fn start(state: &AppState) {
    let s = state.clone();
    tokio::spawn(async move { reroute(&s).await });
    let cfg: EmergencyConfig = state.config.module();
    if cfg.scenario == "typhoon" {
        let s = state.clone();
        tokio::spawn(async move {
            if let Err(e) = scenario::run(&s, &cfg).await {
                tracing::warn!(error = %e, "the typhoon scenario stopped");
            }
        });
    }
}

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::EmergencyRead);
    let work = Access::Action(Action::EmergencyWork);
    let command = Access::Action(Action::EmergencyCommand);
    api.add(
        Op::api(Method::GET, "/api/emergency/events", read, "emergency", "抗台防汛事件（进行中的在前）")
            .response::<Vec<store::events::Event>>(),
        get(api::events_list),
    )
    .add(
        Op::api(Method::POST, "/api/emergency/events", command, "emergency", "启动事件（台风、洪涝、暴雨）")
            .request::<service::EventInput>()
            .response::<api::Created>()
            .status(201),
        post(api::event_create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/emergency/events/{id}",
            read,
            "emergency",
            "事件态势：预警、转移进度、安置点、封路、救援",
        )
        .response::<api::Situation>(),
        get(api::event_get),
    )
    .add(
        Op::api(Method::POST, "/api/emergency/events/{id}/close", command, "emergency", "结束事件（封闭道路同时解除）")
            .request::<api::CloseInput>()
            .status(204),
        post(api::event_close),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/emergency/events/{id}/map",
            read,
            "emergency",
            "态势图数据：预警区、安置点占用、待转移小区、封路、救援",
        )
        .response::<api::MapDto>(),
        get(api::map),
    )
    .add(
        Op::api(Method::GET, "/api/emergency/events/{id}/warnings", read, "emergency", "事件的预警")
            .response::<Vec<store::events::Warning>>(),
        get(api::warnings),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/emergency/events/{id}/warnings",
            command,
            "emergency",
            "发布预警（CAP 1.2；需转移时列出区域内住户）",
        )
        .request::<service::WarningInput>()
        .response::<service::WarningSent>()
        .status(201),
        post(api::warning_send),
    )
    .add(
        Op::api(Method::GET, "/api/emergency/warnings/{id}/cap", read, "emergency", "预警的 CAP 1.2 XML"),
        get(api::warning_cap),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/emergency/events/{id}/households",
            read,
            "emergency",
            "转移名单（本单位辖区；有特殊需求的户在前）",
        )
        .query(&[
            ("state", "listed | notified | evacuated | refused | away"),
            ("outstanding", "1：仅待上门的"),
            ("priority", "1：仅有特殊需求的"),
            ("q", "小区名或户号"),
            ("page", "页码"),
            ("per_page", "每页条数"),
        ])
        .response::<PageDto<api::HouseholdDto>>()
        .query_type::<api::HouseholdsQuery>(),
        get(api::households_list),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/emergency/households/{id}",
            read,
            "emergency",
            "一户的成员（需求仅负责转移的派出所可见；逐人留痕）",
        )
        .response::<api::HouseholdDetail>(),
        get(api::household_get),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/emergency/households/{id}/steps",
            work,
            "emergency",
            "上门结果：通知、已转移、拒绝转移、户内无人",
        )
        .request::<service::StepInput>()
        .response::<api::StepDone>(),
        post(api::household_step),
    )
    .add(
        Op::api(Method::GET, "/api/emergency/shelters", read, "emergency", "避灾安置点")
            .query(&[("event", "显示该事件的占用"), ("q", "名称或地址"), ("page", "页码"), ("per_page", "每页条数")])
            .response::<PageDto<api::ShelterDto>>()
            .query_type::<api::SheltersQuery>(),
        get(api::shelters_list),
    )
    .add(
        Op::api(Method::POST, "/api/emergency/shelters", command, "emergency", "新增安置点")
            .request::<service::ShelterInput>()
            .response::<api::Created>()
            .status(201),
        post(api::shelter_create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/emergency/events/{id}/shelters/{shelter}/stays",
            work,
            "emergency",
            "安置点在住人员（逐人留痕）",
        )
        .query(&[("page", "页码"), ("per_page", "每页条数")])
        .response::<PageDto<api::StayDto>>()
        .query_type::<api::PageQuery>(),
        get(api::stays),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/emergency/events/{id}/stays",
            work,
            "emergency",
            "安置点登记：扫通行码或选择户内成员",
        )
        .request::<service::ArriveInput>()
        .response::<service::Arrived>()
        .status(201),
        post(api::arrive),
    )
    .add(
        Op::api(Method::POST, "/api/emergency/stays/{id}/leave", work, "emergency", "离开安置点").status(204),
        post(api::leave),
    )
    .add(
        Op::api(Method::POST, "/api/emergency/events/{id}/closures", command, "emergency", "封闭道路（派警路线绕行）")
            .request::<service::ClosureInput>()
            .response::<api::ClosureDone>()
            .status(201),
        post(api::closure_create),
    )
    .add(
        Op::api(Method::POST, "/api/emergency/closures/{id}/reopen", command, "emergency", "解除道路封闭").status(204),
        post(api::closure_reopen),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/emergency/events/{id}/rescues",
            command,
            "emergency",
            "登记救援（作为110抢险救援警情派警）",
        )
        .request::<api::RescueInput>()
        .response::<api::RescueFiled>()
        .status(201),
        post(api::rescue_create),
    )
    .add(
        Op::api(Method::GET, "/api/emergency/needs", work, "emergency", "本所登记的困难群众需求（逐人留痕）")
            .query(&[("page", "页码"), ("per_page", "每页条数")])
            .response::<PageDto<api::NeedRow>>()
            .query_type::<api::PageQuery>(),
        get(api::needs),
    )
    .add(
        Op::api(Method::POST, "/api/emergency/needs", work, "emergency", "登记需求（须本人同意或部门提供）")
            .request::<api::NeedInput>()
            .response::<api::Created>()
            .status(201)
            .answers(&[404]),
        post(api::need_create),
    )
    .add(
        Op::api(Method::DELETE, "/api/emergency/needs/{id}", work, "emergency", "删除需求（撤回同意等）").status(204),
        delete(api::need_delete),
    )
    .add(Op::page(Method::GET, "/emergency", read, "抗台防汛"), get(pages::events))
    .add(Op::page(Method::POST, "/emergency", command, "启动事件"), post(pages::event_create))
    .add(Op::page(Method::GET, "/emergency/events/{id}", read, "事件态势"), get(pages::event))
    .add(Op::page(Method::POST, "/emergency/events/{id}/warnings", command, "发布预警"), post(pages::warning_send))
    .add(Op::page(Method::POST, "/emergency/events/{id}/closures", command, "封闭道路"), post(pages::closure_create))
    .add(Op::page(Method::POST, "/emergency/closures/{id}/reopen", command, "解除封闭"), post(pages::closure_reopen))
    .add(Op::page(Method::POST, "/emergency/events/{id}/close", command, "结束事件"), post(pages::event_close))
    .add(Op::page(Method::GET, "/emergency/events/{id}/report", read, "态势报告"), get(pages::report))
    .add(Op::page(Method::GET, "/emergency/events/{id}/households", read, "转移名单"), get(pages::households))
    .add(Op::page(Method::GET, "/emergency/households/{id}", read, "转移户"), get(pages::household))
    .add(Op::page(Method::POST, "/emergency/households/{id}/steps", work, "上门结果"), post(pages::household_step))
    .add(Op::page(Method::GET, "/emergency/shelters", read, "避灾安置点"), get(pages::shelters))
    .add(Op::page(Method::POST, "/emergency/shelters", command, "新增安置点"), post(pages::shelter_create))
    .add(Op::page(Method::GET, "/emergency/events/{id}/shelters/{shelter}", work, "安置点登记"), get(pages::desk))
    .add(
        Op::page(Method::POST, "/emergency/events/{id}/shelters/{shelter}", work, "安置点登记"),
        post(pages::desk_arrive),
    )
    .add(Op::page(Method::GET, "/emergency/needs", work, "困难群众需求"), get(pages::needs))
    .add(Op::page(Method::POST, "/emergency/needs", work, "登记需求"), post(pages::need_create))
}
