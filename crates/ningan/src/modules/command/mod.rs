//! Integrated command (情指勤舆一体化), the command and duty half: 110 calls taken in seconds
//! (category tree, priority, caller, place, narrative), every interval timestamped and
//! measured against the 110 rules' arrival targets, related incidents linked. Dispatch by
//! travel time over the road network (`ningan-route`, `geo::router`), units reporting their
//! positions, the live board and duty rosters build on this.
//!
//! Built on the module seam: its storage and migration are in `store/`; outside this folder it
//! touches `modules/mod.rs`, the access policy and the state machines in
//! `ningan-core::incident`.

pub mod api;
pub mod board;
pub mod config;
pub mod demo;
pub mod duty;
pub mod duty_pages;
pub mod eido;
pub mod error;
pub mod fixes;
pub mod mobilise;
pub mod pages;
pub mod panel;
pub mod patrol;
pub mod service;
pub mod store;
pub mod texts;
pub mod units;
pub mod units_api;

use axum::http::Method;
use axum::routing::{get, post};
use ningan_core::Action;

use crate::http::api::{Access, Api, Op};
use crate::http::dto::PageDto;

pub use store::migrations::MIGRATIONS;

/// The module's own state: the live board's sequence and ring, and the group writer of
/// unit positions (started on first use).
#[derive(Clone, Default)]
pub struct CommandState {
    pub board: std::sync::Arc<board::Board>,
    pub fixes: std::sync::Arc<std::sync::OnceLock<fixes::Fixes>>,
}

pub fn open_state(_: &crate::config::Config) -> Result<crate::modules::ModuleState, crate::modules::StateError> {
    Ok(std::sync::Arc::new(CommandState::default()))
}

impl axum::extract::FromRef<crate::app::AppState> for CommandState {
    fn from_ref(s: &crate::app::AppState) -> CommandState {
        s.modules.get::<CommandState>().map(|c| (*c).clone()).unwrap_or_default()
    }
}

/// Puts an incident's committed state on the live board.
pub fn publish_incident(state: &crate::app::AppState, i: &store::incidents::Incident, stage: &str) {
    let body = serde_json::json!({
        "id": i.id, "no": i.no, "stage": stage, "category": i.category, "priority": i.priority,
        "lon": i.lon, "lat": i.lat, "unit_id": i.unit_id, "address": i.address,
        "received_at": ningan_core::time::rfc3339_ms(i.intervals.received),
    });
    board_of(state).publish("incident", i.id, &i.unit_path, body);
}

/// Puts a unit's committed status and position on the live board, with the incident it is
/// on (its status tells whether it is on one at all).
pub fn publish_unit(state: &crate::app::AppState, u: &store::units::Unit, status: &str, at: Option<[f64; 2]>) {
    publish_unit_on(state, u, status, at, u.incident_id)
}

/// [`publish_unit`] for a unit just sent to `incident` (its row as read before says none).
pub fn publish_unit_on(
    state: &crate::app::AppState,
    u: &store::units::Unit,
    status: &str,
    at: Option<[f64; 2]>,
    incident: Option<i64>,
) {
    let [lon, lat] = at.map_or([u.lon, u.lat], |p| [Some(p[0]), Some(p[1])]);
    let busy = matches!(
        ningan_core::incident::UnitStatus::parse(status),
        Some(
            ningan_core::incident::UnitStatus::Dispatched
                | ningan_core::incident::UnitStatus::EnRoute
                | ningan_core::incident::UnitStatus::OnScene
        )
    );
    let body = serde_json::json!({
        "id": u.id, "callsign": u.callsign, "status": status, "lon": lon, "lat": lat, "station_id": u.unit_id,
        "incident_id": if busy { incident } else { None },
    });
    board_of(state).publish("unit", u.id, &u.unit_path, body);
}

fn board_of(state: &crate::app::AppState) -> std::sync::Arc<board::Board> {
    command(state).board
}

pub fn command(state: &crate::app::AppState) -> CommandState {
    <CommandState as axum::extract::FromRef<crate::app::AppState>>::from_ref(state)
}

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::CommandRead);
    let work = Access::Action(Action::CommandWork);
    api.add(
        Op::api(Method::GET, "/api/command/categories", read, "command", "警情类别树（类、项）")
            .response::<Vec<api::CategoryNode>>(),
        get(api::categories),
    )
    .add(
        Op::api(Method::POST, "/api/command/incidents", work, "command", "接警登记（位置须在宁波市、本单位辖区内）")
            .request::<service::IncidentInput>()
            .response::<api::Created>()
            .status(201),
        post(api::create),
    )
    .add(
        Op::api(Method::GET, "/api/command/incidents", read, "command", "警情列表（本单位辖区；指挥中心全市）")
            .query(&[
                ("stage", "received | answered | dispatched | en_route | on_scene | cleared | cancelled"),
                ("category", "类（如 traffic）或项（如 traffic.collision）"),
                ("open", "1：仅未处结"),
                ("q", "警情编号、地址或描述"),
                ("page", "页码"),
                ("per_page", "每页条数"),
            ])
            .response::<PageDto<api::IncidentDto>>()
            .query_type::<api::ListQuery>(),
        get(api::list),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/command/incidents/{id}",
            read,
            "command",
            "警情详情：各环节时间、到场时限、处置记录与关联警情",
        )
        .response::<api::IncidentDetailDto>(),
        get(api::detail),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/command/incidents/{id}/steps",
            work,
            "command",
            "受理、派警、出发、到场、处结、撤销",
        )
        .request::<service::StepInput>()
        .response::<api::StepDone>(),
        post(api::step),
    )
    .add(
        Op::api(Method::POST, "/api/command/incidents/{id}/links", work, "command", "关联同一事件的多起警情")
            .request::<api::LinkInput>()
            .status(204),
        post(api::link),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/command/incidents/{id}/eido",
            read,
            "command",
            "以 EIDO（NENA-STA-021）格式导出警情（报警电话脱敏）",
        )
        .response::<eido::EidoIn>(),
        get(api::eido_export),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/command/incidents/eido",
            work,
            "command",
            "导入 EIDO 格式警情（与人工接警同样校验）",
        )
        .request::<eido::EidoIn>()
        .response::<api::Created>()
        .status(201),
        post(api::eido_import),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/command/figures",
            read,
            "command",
            "一日警情：按小时、类别，各区受理与到场用时及按时率，警力状态",
        )
        .query(&[("date", "YYYY-MM-DD，默认今天")])
        .response::<api::FiguresDto>()
        .query_type::<api::FiguresQuery>(),
        get(api::figures),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/command/shifts",
            work,
            "command",
            "排班：民警在本所的一个班次（不超过24小时，不与其本人其他班次重叠）",
        )
        .request::<duty::ShiftInput>()
        .response::<units_api::UnitCreated>()
        .status(201),
        post(api::add_shift),
    )
    .add(
        Op::api(Method::GET, "/api/command/duty", read, "command", "各派出所当前在岗民警及警力不足提示")
            .query(&[("at", "RFC 3339 时刻，默认现在")])
            .response::<Vec<duty::StationDuty>>()
            .query_type::<api::DutyQuery>(),
        get(api::duty),
    )
    .add(
        Op::api(Method::GET, "/api/command/board", read, "command", "指挥大屏快照：未处结警情、警力及事件序号")
            .response::<api::BoardDto>(),
        get(api::board),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/command/board/events",
            read,
            "command",
            "指挥大屏实时事件（text/event-stream；断线后以 Last-Event-ID 续传）",
        )
        .query(&[("after", "已收到的最后事件序号（不能设置 Last-Event-ID 时）")])
        .query_type::<api::EventsQuery>(),
        get(api::events),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/command/incidents/{id}/proposal",
            read,
            "command",
            "按道路行程时间推荐最近的待命警力",
        )
        .query(&[("k", "推荐数量，1–20，默认5")])
        .response::<Vec<units::Proposal>>()
        .query_type::<units_api::ProposalQuery>(),
        get(units_api::proposal),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/command/incidents/{id}/dispatch",
            work,
            "command",
            "派遣选定警力（警情与警力状态同时变更）",
        )
        .request::<units_api::DispatchInput>()
        .response::<api::StepDone>(),
        post(units_api::dispatch),
    )
    .add(
        Op::api(Method::POST, "/api/command/units", work, "command", "登记警力（呼号、类型、人数、所属派出所）")
            .request::<units::UnitInput>()
            .response::<units_api::UnitCreated>()
            .status(201),
        post(units_api::create),
    )
    .add(
        Op::api(Method::GET, "/api/command/units", read, "command", "警力及其位置、状态（本单位辖区）")
            .query(&[("status", "available | dispatched | en_route | on_scene | out_of_service")])
            .response::<Vec<units_api::UnitDto>>()
            .query_type::<units_api::UnitQuery>(),
        get(units_api::list),
    )
    .add(
        Op::api(Method::PUT, "/api/command/units/{id}/device", work, "command", "绑定车载终端的接口令牌")
            .request::<units_api::DeviceInput>()
            .status(204),
        axum::routing::put(units_api::bind_device),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/command/units/{id}/positions",
            Access::Action(Action::UnitPosition),
            "command",
            "车载终端上报位置（令牌须绑定该警力；到场、出发自动变更状态）",
        )
        .request::<units::PositionInput>()
        .response::<units_api::UnitStatusDto>(),
        post(units_api::position),
    )
    .add(
        Op::api(Method::GET, "/api/command/places", read, "command", "按小区名称或地址查找事发地点（最多10个）")
            .query(&[("q", "名称或地址的一部分，至少2个字")])
            .response::<Vec<store::places::Place>>()
            .query_type::<api::PlacesQuery>(),
        get(api::places),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/command/mobilisations",
            work,
            "command",
            "警力调集：所选派出所不在岗的民警到指定地点集结",
        )
        .request::<mobilise::MobiliseInput>()
        .response::<api::Mobilised>()
        .status(201),
        post(api::mobilise),
    )
    .add(
        Op::api(Method::GET, "/api/command/mobilisations", read, "command", "本单位发起的警力调集及应答情况")
            .query(&[("page", "页码"), ("per_page", "每页条数")])
            .response::<PageDto<store::mobilise::Mobilisation>>()
            .query_type::<api::PageQuery>(),
        get(api::mobilisations),
    )
    .add(
        Op::api(Method::GET, "/api/command/mobilisations/mine", read, "command", "本人尚未应答的调集")
            .response::<Vec<store::mobilise::Mobilisation>>(),
        get(api::my_call_ups),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/command/mobilisations/{id}",
            read,
            "command",
            "调集详情：被调集民警及应答（被调集者只见本人）",
        )
        .response::<api::MobilisationDto>(),
        get(api::mobilisation),
    )
    .add(
        Op::api(Method::POST, "/api/command/mobilisations/{id}/answer", read, "command", "被调集民警本人应答")
            .request::<api::AnswerInput>()
            .status(204),
        post(api::answer),
    )
    .add(Op::page(Method::GET, "/command/duty", read, "勤务：在岗警力、排班与警力调集"), get(duty_pages::duty))
    .add(Op::page(Method::POST, "/command/shifts", work, "排班"), post(duty_pages::add_shift))
    .add(Op::page(Method::POST, "/command/mobilisations", work, "警力调集"), post(duty_pages::mobilise))
    .add(Op::page(Method::GET, "/command/mobilisations/{id}", read, "调集详情"), get(duty_pages::mobilisation))
    .add(Op::page(Method::POST, "/command/mobilisations/{id}/answer", read, "应答调集"), post(duty_pages::answer))
    .add(Op::page(Method::GET, "/command", read, "指挥大屏：警情与警力实时态势"), get(pages::board))
    .add(Op::page(Method::GET, "/command/incidents", read, "警情列表"), get(pages::list))
    .add(Op::page(Method::GET, "/command/incidents.csv", read, "导出警情（CSV）"), get(pages::export_csv))
    .add(Op::page(Method::GET, "/command/incidents/new", work, "接警登记"), get(pages::new_form))
    .add(Op::page(Method::POST, "/command/incidents", work, "接警登记"), post(pages::create))
    .add(Op::page(Method::GET, "/command/incidents/{id}", read, "警情详情、推荐警力与处置"), get(pages::detail))
    .add(Op::page(Method::POST, "/command/incidents/{id}/steps", work, "办理警情"), post(pages::step))
    .add(Op::page(Method::POST, "/command/incidents/{id}/dispatch", work, "派警"), post(pages::dispatch))
    .add(Op::page(Method::POST, "/command/incidents/{id}/links", work, "关联警情"), post(pages::link))
    .add(Op::page(Method::GET, "/command/units", read, "警力"), get(pages::units_list))
    .add(Op::page(Method::POST, "/command/units", work, "登记警力"), post(pages::unit_create))
    .add(Op::page(Method::POST, "/command/units/{id}/status", work, "警力下线、上线、归队"), post(pages::unit_status))
    .add(Op::page(Method::GET, "/command/figures", read, "警情统计"), get(pages::figures))
    .add(
        Op::api(Method::POST, "/api/command/units/{id}/status", work, "command", "警力下线、上线、归队")
            .request::<units_api::UnitStepInput>()
            .response::<units_api::UnitStatusDto>(),
        post(units_api::status),
    )
}
