//! Precise control (精密智控): venues people check in to with the venue code, the check-in
//! stream into the tracing engine, epidemiological cases and their investigation, contacts as
//! follow-up tasks, control zones, and smart gates that decide from signed passes.

pub mod arrivals;
mod cases;
pub mod checkin_import;
mod checkins;
pub mod control_pages;
pub mod demo;
pub mod followups;
pub mod gates;
mod housekeeping;
pub mod import;
pub mod notices;
pub mod pages;
pub mod panel;
pub mod quarantine;
pub mod registry;
pub mod stream;
pub mod texts;
pub mod tracer;
mod venues;
pub mod zones;

use axum::http::Method;
use axum::routing::{get, post};
use chrono::DateTime;
use ningan_core::Action;
use ningan_trace::Time;
use serde::Deserialize;

use crate::http::api::{Access, Api, Op};
use crate::http::dto::PageDto;
use crate::http::error::ApiError;
pub use cases::{
    CaseDto, ContactDto, InvestigationDto, NewCaseRequest, PlaceDto, RuleDto, contact_page, exposure_places, rule_dto,
    run_investigation, status_zh, validate_case,
};
pub use checkins::{CheckinBatch, CheckinRejection, CheckinReport, CheckinRequest, MAX_BATCH, ingest_checkins};
use tracer::TraceError;
pub use venues::{NewVenueRequest, VenueDto, create_venue, validate_venue};

pub use housekeeping::start;

pub fn routes(api: Api) -> Api {
    api.add(
        Op::api(Method::GET, "/api/venues", Access::Action(Action::VenueRead), "precise", "查询场所")
            .query(&[("q", "名称前缀或场所码"), ("page", "页码"), ("per_page", "每页条数（最多200）")])
            .response::<PageDto<VenueDto>>(),
        get(venues::venue_list),
    )
    .add(
        Op::api(Method::POST, "/api/venues", Access::Action(Action::VenueManage), "precise", "登记场所（生成场所码）")
            .request::<NewVenueRequest>()
            .response::<VenueDto>()
            .status(201),
        post(venues::venue_create),
    )
    .add(
        Op::api(Method::GET, "/api/venues/{id}", Access::Action(Action::VenueRead), "precise", "场所详情")
            .response::<VenueDto>(),
        get(venues::venue_show),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/checkins/ndjson",
            Access::Action(Action::CheckinWrite),
            "precise",
            "批量上报场所码扫码（NDJSON，每行一条）",
        )
        .response::<CheckinReport>(),
        post(checkins::checkins_ndjson),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/checkins/scan",
            Access::Action(Action::CheckinWrite),
            "precise",
            "场所码扫码：凭个人通行码（签名）登记到访",
        )
        .request::<checkins::ScanRequest>()
        .response::<CheckinReport>(),
        post(checkins::scan),
    )
    .add(
        Op::api(Method::POST, "/api/checkins", Access::Action(Action::CheckinWrite), "precise", "批量上报场所码扫码")
            .request::<CheckinBatch>()
            .response::<CheckinReport>(),
        post(checkins::checkins),
    )
    .add(
        Op::api(Method::GET, "/api/cases", Access::Action(Action::CaseRead), "precise", "查询病例")
            .query(&[("status", "confirmed | asymptomatic | suspected | discharged"), ("page", "页码")])
            .response::<PageDto<CaseDto>>(),
        get(cases::case_list),
    )
    .add(
        Op::api(Method::POST, "/api/cases", Access::Action(Action::CaseManage), "precise", "登记病例")
            .request::<NewCaseRequest>()
            .response::<CaseDto>()
            .status(201),
        post(cases::case_create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/cases/{id}/investigation",
            Access::Action(Action::CaseRead),
            "precise",
            "流调：风险点位、密接与次密接人数及所用规则",
        )
        .query(&[("to", "流调截止时间（RFC 3339，默认现在）")])
        .response::<InvestigationDto>(),
        get(cases::investigation),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/cases/{id}/contacts",
            Access::Action(Action::CaseRead),
            "precise",
            "流调：密接或次密接名单（分页）",
        )
        .query(&[("tier", "close | secondary"), ("to", "流调截止时间"), ("page", "页码"), ("per_page", "每页条数")])
        .response::<PageDto<ContactDto>>(),
        get(cases::contacts),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/cases/{id}/contacts/confirm",
            Access::Action(Action::CaseManage),
            "precise",
            "流调结果转为密接、次密接管控任务（再次运行时报告变化）",
        )
        .response::<followups::ConfirmDto>(),
        post(followups::confirm),
    )
    .add(
        Op::api(Method::GET, "/api/followups", Access::Action(Action::CaseRead), "precise", "密接、次密接管控任务")
            .query(&[
                ("status", "notified | transferred | quarantined | released"),
                ("case_id", "病例"),
                ("page", "页码"),
            ])
            .response::<PageDto<followups::FollowupDto>>(),
        get(followups::list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/followups/{id}/status",
            Access::Action(Action::FollowupWrite),
            "precise",
            "更新管控状态（已通知→已转运→隔离中→已解除）",
        )
        .request::<followups::StatusRequest>(),
        post(followups::set_status),
    )
    .add(
        Op::api(Method::GET, "/api/gates", Access::Action(Action::VenueRead), "precise", "小区门岗")
            .query(&[("page", "页码")])
            .response::<PageDto<gates::GateDto>>(),
        get(gates::gate_list),
    )
    .add(
        Op::api(Method::POST, "/api/gates", Access::Action(Action::GateManage), "precise", "登记小区门岗")
            .request::<gates::NewGateRequest>()
            .response::<gates::GateDto>()
            .status(201),
        post(gates::gate_create),
    )
    .add(
        Op::api(Method::GET, "/api/gates/pass-key", Access::SignedIn, "precise", "通行码验签公钥（门岗离线核验）")
            .response::<gates::PassKeyDto>(),
        get(gates::pass_key),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/gates/{id}/check",
            Access::Action(Action::GateCheck),
            "precise",
            "门岗核验通行码：放行、拒绝或人工核验",
        )
        .request::<gates::CheckRequest>()
        .response::<gates::CheckResponse>(),
        post(gates::gate_check),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/residents/{id}/pass",
            Access::Action(Action::PassIssue),
            "precise",
            "为居民签发通行码（二维码）",
        )
        .response::<gates::PassDto>()
        .status(201),
        post(gates::pass_issue),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/zones",
            Access::Action(Action::CaseRead),
            "precise",
            "管控区域（status=all 含已解封）",
        )
        .query(&[("status", "all：含已解封"), ("page", "页码")])
        .response::<PageDto<zones::ZoneDto>>(),
        get(zones::list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/zones",
            Access::Action(Action::ZoneManage),
            "precise",
            "划定封控区、管控区、防范区",
        )
        .request::<zones::NewZoneRequest>()
        .response::<zones::ZoneDetailDto>()
        .status(201),
        post(zones::create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/zones/{id}",
            Access::Action(Action::CaseRead),
            "precise",
            "区域详情：门岗、小区、人数、变更记录",
        )
        .response::<zones::ZoneDetailDto>(),
        get(zones::show),
    )
    .add(
        Op::api(Method::POST, "/api/zones/{id}/level", Access::Action(Action::ZoneManage), "precise", "调整区域级别")
            .request::<zones::LevelRequest>()
            .response::<zones::ZoneDetailDto>(),
        post(zones::set_level),
    )
    .add(
        Op::api(Method::POST, "/api/zones/{id}/lift", Access::Action(Action::ZoneManage), "precise", "解除管控")
            .request::<zones::LiftRequest>()
            .response::<zones::ZoneDetailDto>(),
        post(zones::lift),
    )
    .add(
        Op::page(Method::GET, "/precise/common", Access::Action(Action::CaseRead), "溯源：所选病例的共同暴露"),
        get(pages::common),
    )
    .add(
        Op::page(Method::GET, "/precise/followups", Access::Action(Action::CaseRead), "密接次密接管控任务"),
        get(control_pages::followups),
    )
    .add(
        Op::page(Method::POST, "/precise/followups/{id}/status", Access::Action(Action::FollowupWrite), "推进管控状态"),
        post(control_pages::followup_step),
    )
    .add(
        Op::page(Method::GET, "/precise/zones", Access::Action(Action::CaseRead), "管控区域"),
        get(control_pages::zones),
    )
    .add(
        Op::page(Method::GET, "/precise/quarantine", Access::Action(Action::CaseRead), "隔离管理看板"),
        get(control_pages::quarantine),
    )
    .add(
        Op::page(Method::POST, "/precise/zones", Access::Action(Action::ZoneManage), "划定管控区域"),
        post(control_pages::zone_create),
    )
    .add(
        Op::page(Method::GET, "/precise/zones/{id}", Access::Action(Action::CaseRead), "区域详情"),
        get(control_pages::zone),
    )
    .add(
        Op::page(Method::POST, "/precise/zones/{id}", Access::Action(Action::ZoneManage), "调整或解除区域"),
        post(control_pages::zone_action),
    )
    .add(
        Op::page(Method::POST, "/precise/residents/{id}/pass", Access::Action(Action::PassIssue), "签发通行码"),
        post(control_pages::pass),
    )
    .add(
        Op::page(
            Method::POST,
            "/precise/cases/{id}/confirm",
            Access::Action(Action::CaseManage),
            "流调结果转为管控任务",
        ),
        post(pages::confirm),
    )
    .add(
        Op::api(Method::GET, "/api/risk-areas", Access::Action(Action::CaseRead), "precise", "中高风险地区")
            .response::<Vec<arrivals::RiskAreaDto>>(),
        get(arrivals::risk_areas),
    )
    .add(
        Op::api(Method::POST, "/api/risk-areas", Access::Action(Action::ZoneManage), "precise", "登记中高风险地区")
            .request::<arrivals::NewRiskArea>()
            .status(201),
        post(arrivals::risk_area_create),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/arrivals/import",
            Access::Action(Action::CaseManage),
            "precise",
            "导入来甬人员名单（CSV）并按风险地区筛查、分派",
        )
        .request::<arrivals::ArrivalsImport>()
        .response::<arrivals::ArrivalsReport>(),
        post(arrivals::import),
    )
    .add(
        Op::api(Method::GET, "/api/arrivals", Access::Action(Action::CaseRead), "precise", "来甬人员（高风险在前）")
            .query(&[("risk", "high | medium | low"), ("page", "页码")])
            .response::<PageDto<arrivals::ArrivalDto>>(),
        get(arrivals::list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/arrivals/{id}/status",
            Access::Action(Action::FollowupWrite),
            "precise",
            "来甬人员核查状态",
        )
        .request::<arrivals::ArrivalStatus>()
        .status(204),
        post(arrivals::set_status),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/common-sources",
            Access::Action(Action::CaseRead),
            "precise",
            "溯源：多个病例共同到过的场所与时段",
        )
        .query(&[("cases", "病例编号，逗号分隔（2–50个）"), ("m", "至少几个病例同时在场（默认2）")])
        .response::<Vec<cases::CommonSourceDto>>(),
        get(cases::common_sources),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/cases/import",
            Access::Action(Action::CaseManage),
            "precise",
            "批量导入病例与密接（CSV；同一人合并，与人口库比对）",
        )
        .request::<import::ImportRequest>()
        .response::<import::ImportReport>(),
        post(import::import),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/cases/{id}/publish",
            Access::Action(Action::CaseManage),
            "precise",
            "发布风险点位公告",
        )
        .response::<notices::PublishDto>(),
        post(notices::publish),
    )
    .add(
        Op::api(Method::GET, "/public/exposure.xml", Access::Public, "public", "风险点位公告（CAP 1.2）"),
        get(notices::public_cap),
    )
    .add(
        Op::api(Method::GET, "/api/quarantine/sites", Access::Action(Action::CaseRead), "precise", "隔离点与床位占用")
            .response::<Vec<quarantine::SiteDto>>(),
        get(quarantine::sites),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/quarantine/sites",
            Access::Action(Action::QuarantineManage),
            "precise",
            "登记隔离点及房间",
        )
        .request::<quarantine::NewSiteRequest>()
        .response::<quarantine::SiteDto>()
        .status(201),
        post(quarantine::site_create),
    )
    .add(
        Op::api(Method::GET, "/api/quarantine", Access::Action(Action::CaseRead), "precise", "隔离人员（按解除日期）")
            .query(&[("status", "active | released"), ("site_id", "隔离点"), ("page", "页码")])
            .response::<PageDto<quarantine::StayDto>>(),
        get(quarantine::stays),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/quarantine",
            Access::Action(Action::QuarantineManage),
            "precise",
            "安排隔离（集中或居家）",
        )
        .request::<quarantine::NewStayRequest>()
        .response::<quarantine::StayCreated>()
        .status(201),
        post(quarantine::stay_create),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/quarantine/{id}",
            Access::Action(Action::CaseRead),
            "precise",
            "隔离详情：健康报告、解除日期变更、能否解除",
        )
        .response::<quarantine::StayDetail>(),
        get(quarantine::show),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/quarantine/{id}/reports",
            Access::Action(Action::QuarantineManage),
            "precise",
            "每日健康报告",
        )
        .request::<quarantine::ReportRequest>()
        .status(204),
        post(quarantine::report),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/quarantine/{id}/end",
            Access::Action(Action::QuarantineManage),
            "precise",
            "变更解除日期（须说明理由）",
        )
        .request::<quarantine::EndRequest>()
        .status(204),
        post(quarantine::change_end),
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
        post(quarantine::release),
    )
    .add(Op::page(Method::GET, "/public/exposure", Access::Public, "风险点位公告"), get(notices::public_page))
    .add(
        Op::page(Method::POST, "/precise/cases/{id}/publish", Access::Action(Action::CaseManage), "发布风险点位"),
        post(pages::publish),
    )
    .add(Op::page(Method::GET, "/precise/venues", Access::Action(Action::VenueRead), "场所列表"), get(pages::venues))
    .add(
        Op::page(Method::POST, "/precise/venues", Access::Action(Action::VenueManage), "登记场所"),
        post(pages::venue_create),
    )
    .add(Op::page(Method::GET, "/precise/cases", Access::Action(Action::CaseRead), "病例列表"), get(pages::cases))
    .add(
        Op::page(Method::POST, "/precise/cases", Access::Action(Action::CaseManage), "登记病例"),
        post(pages::case_create),
    )
    .add(
        Op::page(Method::GET, "/precise/cases/{id}", Access::Action(Action::CaseRead), "流调页"),
        get(pages::investigation),
    )
}

impl From<TraceError> for ApiError {
    fn from(e: TraceError) -> Self {
        ApiError::internal(e)
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn parse_time(s: &str) -> Option<Time> {
    let t = DateTime::parse_from_rfc3339(s.trim()).ok()?.timestamp();
    Time::try_from(t).ok()
}
