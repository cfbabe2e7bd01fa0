//! Synthesized investigation (侦查打击合成化) and organised crime (扫黑除恶): criminal cases
//! worked by a team drawn from analysis, technical and field units, with the case's log,
//! evidence that is never changed once filed, tasks with deadlines, and the records of
//! calls, transfers and co-presence imported into it; link analysis over those records
//! (`ningan-link`) finds who is tied to whom, the ways money went, and gangs with their
//! leaders, on a chart saved with the case.
//!
//! A case is open only to its team and to the supervisors of its unit: routes under
//! `/…/cases/{id}` declare [`Access::Case`], which the route table's guard checks before
//! any handler runs; everyone else is told the case does not exist.
//!
//! Built on the module seam: storage and migration in `store/`; outside this folder it
//! touches `modules/mod.rs`, the access policy, the route guard (`Access::Case`) and the
//! register (to link people by ID number).

pub mod analysis;
pub mod api;
pub mod copresence;
pub mod demo;
pub mod error;
pub mod export;
pub mod import;
pub mod pages;
pub mod panel;
pub mod rows;
pub mod service;
pub mod store;
pub mod texts;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::http::Method;
use axum::routing::{delete, get, post};
use ningan_core::Action;

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};

pub use store::migrations::MIGRATIONS;

/// The module's own state: where imported files are kept, the import worker's wake-up, and
/// the cases' graphs once built.
#[derive(Clone)]
pub struct InvestigationState {
    pub dir: PathBuf,
    pub wake: Arc<tokio::sync::Notify>,
    pub graphs: Arc<Mutex<HashMap<i64, Arc<analysis::CaseGraph>>>>,
    pub building: Arc<tokio::sync::Mutex<()>>,
}

impl InvestigationState {
    fn new(dir: PathBuf) -> InvestigationState {
        InvestigationState { dir, wake: Arc::default(), graphs: Arc::default(), building: Arc::default() }
    }
}

pub fn open_state(config: &crate::config::Config) -> Result<crate::modules::ModuleState, crate::modules::StateError> {
    Ok(Arc::new(InvestigationState::new(config.data_dir.join("investigation").join("imports"))))
}

impl axum::extract::FromRef<AppState> for InvestigationState {
    fn from_ref(s: &AppState) -> InvestigationState {
        s.modules
            .get::<InvestigationState>()
            .map(|o| (*o).clone())
            .unwrap_or_else(|| InvestigationState::new(s.config.data_dir.join("investigation").join("imports")))
    }
}

pub fn start(state: &AppState) {
    let inv: InvestigationState = axum::extract::FromRef::from_ref(state);
    tokio::spawn(import::worker(state.clone(), inv));
}

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::InvestigationRead);
    let open = Access::Action(Action::InvestigationWork);
    let case = Access::Case(Action::InvestigationRead);
    let work = Access::Case(Action::InvestigationWork);
    let filters: &[(&str, &str)] = &[
        ("kinds", "call,transfer,copresence,tie"),
        ("from", "epoch ms"),
        ("to", "epoch ms"),
        ("min_count", "least records per pair"),
        ("min_amount", "least yuan per pair"),
    ];
    let api = api
        .add(
            Op::api(
                Method::GET,
                "/api/investigation/cases",
                read,
                "investigation",
                "本人所在专案组的案件（督导领导：本单位及下级全部案件）",
            )
            .query(&[
                ("q", "名称、编号、类别"),
                ("stage", "filed…closed"),
                ("organised", "true/false"),
                ("page", ""),
                ("per_page", ""),
            ])
            .response::<crate::http::dto::PageDto<store::cases::Case>>()
            .query_type::<api::ListQuery>(),
            get(api::cases_list),
        )
        .add(
            Op::api(Method::POST, "/api/investigation/cases", open, "investigation", "立案（本人为主办）")
                .request::<service::CaseInput>()
                .response::<api::Opened>()
                .status(201),
            post(api::case_open),
        )
        .add(
            Op::api(
                Method::GET,
                "/api/investigation/figures",
                read,
                "investigation",
                "打击战果：各阶段案件、破案、打掉团伙（本单位范围）",
            )
            .response::<store::cases::Figures>(),
            get(api::figures),
        )
        .add(
            Op::api(Method::GET, "/api/investigation/cases/{id}", case, "investigation", "案件：专案组、阶段、计数")
                .response::<api::CaseDto>(),
            get(api::case_get),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/investigation/cases/{id}/stage",
                case,
                "investigation",
                "推进案件阶段（主办或督导）",
            )
            .request::<service::StageInput>()
            .status(204),
            post(api::stage),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/investigation/cases/{id}/members",
                case,
                "investigation",
                "加入专案组成员（主办或督导）",
            )
            .request::<service::MemberInput>()
            .status(204),
            post(api::member_add),
        )
        .add(
            Op::api(
                Method::DELETE,
                "/api/investigation/cases/{id}/members/{user}",
                case,
                "investigation",
                "移出专案组成员",
            )
            .status(204),
            delete(api::member_remove),
        )
        .add(
            Op::api(Method::GET, "/api/investigation/cases/{id}/log", case, "investigation", "案件日志")
                .query(&[("page", ""), ("per_page", "")])
                .response::<crate::http::dto::PageDto<store::cases::LogEntry>>()
                .query_type::<api::PageQuery>(),
            get(api::log),
        )
        .add(
            Op::api(Method::POST, "/api/investigation/cases/{id}/log", work, "investigation", "记录侦查日志")
                .request::<service::NoteInput>()
                .response::<api::Created>()
                .status(201),
            post(api::note),
        )
        .add(
            Op::api(Method::GET, "/api/investigation/cases/{id}/evidence", case, "investigation", "证据（按提交顺序）")
                .response::<Vec<store::evidence::Item>>(),
            get(api::evidence_list),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/investigation/cases/{id}/evidence",
                work,
                "investigation",
                "提交证据（提交后不可修改，更正须另提交）",
            )
            .request::<service::EvidenceInput>()
            .response::<store::evidence::Item>()
            .status(201),
            post(api::evidence_file),
        )
        .add(
            Op::api(Method::GET, "/api/investigation/cases/{id}/evidence/verify", case, "investigation", "核验证据链")
                .response::<store::evidence::Verification>(),
            get(api::evidence_verify),
        )
        .add(
            Op::api(Method::GET, "/api/investigation/cases/{id}/tasks", case, "investigation", "合成作战任务")
                .response::<Vec<store::tasks::Task>>(),
            get(api::tasks_list),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/investigation/cases/{id}/tasks",
                work,
                "investigation",
                "下达任务（研判、技术、实战）",
            )
            .request::<service::TaskInput>()
            .response::<api::Created>()
            .status(201),
            post(api::task_add),
        )
        .add(
            Op::api(Method::POST, "/api/investigation/cases/{id}/tasks/{task}/done", work, "investigation", "任务办结")
                .request::<service::TaskDoneInput>()
                .status(204),
            post(api::task_done),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/investigation/cases/{id}/imports",
                work,
                "investigation",
                "导入话单、资金流水或同行轨迹（CSV或Parquet，请求体为文件）",
            )
            .query(&[("kind", "calls, transfers or copresence"), ("name", "file name")])
            .file_body(&["text/csv", "application/vnd.apache.parquet", "application/octet-stream"])
            .response::<store::records::Import>()
            .status(202)
            .query_type::<api::UploadQuery>(),
            post(api::import_upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/investigation/cases/{id}/copresence",
                work,
                "investigation",
                "由精密智控轨迹生成本案人员的同行关系",
            )
            .request::<copresence::CoPresenceInput>()
            .response::<store::records::Import>()
            .status(201),
            post(api::copresence),
        )
        .add(
            Op::api(Method::GET, "/api/investigation/cases/{id}/imports", case, "investigation", "导入记录与进度")
                .response::<Vec<store::records::Import>>(),
            get(api::imports_list),
        )
        .add(
            Op::api(
                Method::GET,
                "/api/investigation/cases/{id}/imports/{import}",
                case,
                "investigation",
                "一次导入：进度与被拒行（行号与原因）",
            )
            .response::<api::ImportDto>(),
            get(api::import_get),
        )
        .add(
            Op::api(
                Method::GET,
                "/api/investigation/cases/{id}/entities",
                case,
                "investigation",
                "本案对象（人员、手机号、账户…）",
            )
            .query(&[("q", "号码片段"), ("kind", "person, phone, account…"), ("page", ""), ("per_page", "")])
            .response::<crate::http::dto::PageDto<api::EntityDto>>()
            .query_type::<api::EntityQuery>(),
            get(api::entities),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/investigation/cases/{id}/entities",
                work,
                "investigation",
                "添加对象（车辆、地址、单位、人员…），可关联其所属人员",
            )
            .request::<api::EntityInput>()
            .response::<api::Created>()
            .status(201),
            post(api::entity_add),
        )
        .add(
            Op::api(
                Method::GET,
                "/api/investigation/cases/{id}/records",
                case,
                "investigation",
                "原始记录（来源文件与行号）",
            )
            .query(&[
                ("entity", ""),
                ("other", ""),
                ("kind", ""),
                ("from", ""),
                ("to", ""),
                ("page", ""),
                ("per_page", ""),
            ])
            .response::<crate::http::dto::PageDto<api::RecordDto>>()
            .query_type::<api::RecordsQuery>(),
            get(api::records),
        )
        .add(
            Op::api(
                Method::GET,
                "/api/investigation/cases/{id}/graph/expand",
                case,
                "investigation",
                "关系扩展（k跳，限量并报告未展开部分）",
            )
            .query(filters)
            .response::<analysis::View>()
            .query_type::<api::ExpandQuery>(),
            get(api::expand),
        )
        .add(
            Op::api(
                Method::GET,
                "/api/investigation/cases/{id}/graph/paths",
                case,
                "investigation",
                "两对象间的最短路径或资金流向",
            )
            .query(filters)
            .response::<analysis::View>()
            .query_type::<api::PathsQuery>(),
            get(api::paths),
        )
        .add(
            Op::api(
                Method::GET,
                "/api/investigation/cases/{id}/graph/groups",
                case,
                "investigation",
                "团伙发现（社区划分）与核心成员（中心度）",
            )
            .query(filters)
            .response::<analysis::View>()
            .query_type::<api::GroupsQuery>(),
            get(api::groups),
        )
        .add(
            Op::api(Method::GET, "/api/investigation/cases/{id}/charts", case, "investigation", "关系图版本")
                .response::<Vec<store::charts::Version>>(),
            get(api::charts),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/investigation/cases/{id}/charts",
                work,
                "investigation",
                "保存关系图（新版本）",
            )
            .request::<api::ChartInput>()
            .response::<api::Saved>()
            .status(201),
            post(api::chart_save),
        )
        .add(
            Op::api(
                Method::GET,
                "/api/investigation/cases/{id}/charts/{version}",
                case,
                "investigation",
                "一个版本的关系图",
            )
            .query(&[("format", "json (default), graphml or csv")])
            .response::<store::charts::Chart>()
            .query_type::<api::ChartQuery>(),
            get(api::chart_get),
        );
    pages::routes(api)
}
