//! Public opinion (舆情), the fourth part of integrated command: posts and news from feeds
//! (API with tokens, NDJSON, file import) analysed by `ningan-opinion` — segmented with the
//! city's names, scored, matched to the analysts' topics, grouped with their near-duplicates
//! — and counted per topic and hour; an hour that spikes over its seasonal baseline raises an
//! alert that becomes a unit's task with a deadline and a reply.
//!
//! Built on the module seam: storage and migration in `store/`, the engine in the module's
//! state; outside this folder it touches `modules/mod.rs`, the access policy and the alert
//! state machine in `ningan-core::opinion`.

pub mod alerts;
pub mod api;
pub mod demo;
pub mod engine;
pub mod error;
pub mod ingest;
pub mod pages;
pub mod panel;
pub mod store;
pub mod texts;

use axum::http::Method;
use axum::routing::{get, post, put};
use ningan_core::Action;

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::PageDto;

pub use store::migrations::MIGRATIONS;

/// The module's own state: the engine and the near-duplicate index.
#[derive(Clone, Default)]
pub struct OpinionState {
    pub shared: std::sync::Arc<engine::Shared>,
}

pub fn open_state(_: &crate::config::Config) -> Result<crate::modules::ModuleState, crate::modules::StateError> {
    Ok(std::sync::Arc::new(OpinionState::default()))
}

impl axum::extract::FromRef<AppState> for OpinionState {
    fn from_ref(s: &AppState) -> OpinionState {
        s.modules.get::<OpinionState>().map(|o| (*o).clone()).unwrap_or_default()
    }
}

pub fn opinion(state: &AppState) -> OpinionState {
    axum::extract::FromRef::from_ref(state)
}

/// Builds the engine now rather than on the first post.
pub fn start(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = opinion(&state).shared.engine(&state.db).await {
            tracing::warn!(error = %e, "public opinion engine could not be built");
        }
    });
}

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::OpinionRead);
    let manage = Access::Action(Action::OpinionManage);
    let ingest = Access::Action(Action::OpinionIngest);
    api.add(
        Op::api(Method::POST, "/api/opinion/posts", ingest, "opinion", "推送舆情信息（JSON，每次至多10000条）")
            .request::<api::PostsIn>()
            .response::<ingest::IngestReport>(),
        post(api::post_json),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/opinion/posts/ndjson",
            ingest,
            "opinion",
            "推送舆情信息（NDJSON，每行一条；逐行报告拒收原因）",
        )
        .response::<ingest::IngestReport>(),
        post(api::post_ndjson),
    )
    .add(
        Op::api(Method::GET, "/api/opinion/topics", manage, "opinion", "话题看板：各话题逐小时信息量")
            .query(&[("hours", "最近小时数，1–336，默认24")])
            .response::<api::BoardDto>()
            .query_type::<api::BoardQuery>(),
        get(api::board),
    )
    .add(
        Op::api(Method::GET, "/api/opinion/groups", manage, "opinion", "舆情事件（相似信息归并）")
            .query(&[
                ("topic", "话题"),
                ("q", "标题关键词"),
                ("sort", "size：按规模"),
                ("page", "页码"),
                ("per_page", "每页条数"),
            ])
            .response::<PageDto<store::posts::Group>>()
            .query_type::<api::GroupsQuery>(),
        get(api::groups),
    )
    .add(
        Op::api(Method::GET, "/api/opinion/groups/{id}", manage, "opinion", "舆情事件详情：传播趋势与最新信息")
            .response::<api::GroupDetailDto>(),
        get(api::group),
    )
    .add(
        Op::api(Method::GET, "/api/opinion/alerts", read, "opinion", "舆情预警（本单位交办的；研判人员另见待研判的）")
            .query(&[("state", "open | assigned | answered | closed"), ("page", "页码"), ("per_page", "每页条数")])
            .response::<PageDto<api::AlertDto>>()
            .query_type::<api::AlertsQuery>(),
        get(api::alerts),
    )
    .add(
        Op::api(Method::GET, "/api/opinion/alerts/{id}", read, "opinion", "预警详情：前后逐小时信息量、处置记录")
            .response::<api::AlertDetailDto>(),
        get(api::alert),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/opinion/alerts/{id}/steps",
            read,
            "opinion",
            "交办（单位、时限）、回复、退回重办、办结",
        )
        .request::<alerts::StepInput>()
        .response::<api::StepDone>(),
        post(api::alert_step),
    )
    .add(
        Op::api(Method::GET, "/api/opinion/rules", manage, "opinion", "话题规则（当前版本与历史版本）")
            .response::<api::RulesDto>(),
        get(api::rules),
    )
    .add(
        Op::api(
            Method::PUT,
            "/api/opinion/rules",
            manage,
            "opinion",
            "更新话题规则（TOML；逐行报告错误，保留历史版本）",
        )
        .file_body(&["application/toml", "text/plain"])
        .response::<api::RulesDto>(),
        put(api::put_rules),
    )
    .add(Op::page(Method::GET, "/opinion", manage, "舆情话题看板"), get(pages::board))
    .add(Op::page(Method::GET, "/opinion/groups/{id}", manage, "舆情事件"), get(pages::group))
    .add(Op::page(Method::GET, "/opinion/alerts", read, "舆情预警"), get(pages::alerts))
    .add(Op::page(Method::GET, "/opinion/alerts/{id}", read, "舆情预警详情"), get(pages::alert))
    .add(Op::page(Method::POST, "/opinion/alerts/{id}/steps", read, "办理舆情预警"), post(pages::alert_step))
    .add(Op::page(Method::GET, "/opinion/rules", manage, "话题规则"), get(pages::rules))
    .add(Op::page(Method::POST, "/opinion/rules", manage, "更新话题规则"), post(pages::put_rules))
    .add(Op::page(Method::GET, "/opinion/import", ingest, "导入舆情信息"), get(pages::import_form))
    .add(Op::page(Method::POST, "/opinion/import", ingest, "导入舆情信息"), post(pages::import))
}
