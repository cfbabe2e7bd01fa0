//! Evaluation (评价): the public's sense of security and approval of the police measured by
//! surveys (questionnaires with versions, waves planned from the register, one-time links
//! and phone interviews, raking to the population, intervals by district and over time),
//! the public review of branches and stations (民主评议), the catalogue of cross-agency
//! scenarios, and the monthly report of every module's figures as an archived PDF.
//!
//! Built on the module seam: storage and migration in `store/`, the survey arithmetic in
//! `ningan-core::survey`; outside this folder it touches `modules/mod.rs`, the access policy
//! and, for the monthly report, each module's monthly figures (`Panel::monthly`).

pub mod api;
pub mod demo;
pub mod error;
pub mod pages;
pub mod panel;
pub mod public;
pub mod report;
pub mod reviews;
pub mod scenarios;
pub mod service;
pub mod store;
pub mod texts;

use std::sync::Arc;

use axum::http::Method;
use axum::routing::{get, post, put};
use ningan_core::Action;

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::limit::ClientLimiter;

pub use store::migrations::MIGRATIONS;

/// The module's own state: the limiter on the public form.
#[derive(Clone)]
pub struct EvaluationState {
    pub limiter: Arc<ClientLimiter>,
}

impl EvaluationState {
    fn new() -> EvaluationState {
        // A respondent opens and sends a form a few times; an address trying tokens does not.
        EvaluationState { limiter: Arc::new(ClientLimiter::new(60)) }
    }
}

pub fn open_state(_: &crate::config::Config) -> Result<crate::modules::ModuleState, crate::modules::StateError> {
    Ok(Arc::new(EvaluationState::new()))
}

impl axum::extract::FromRef<AppState> for EvaluationState {
    fn from_ref(s: &AppState) -> EvaluationState {
        s.modules.get::<EvaluationState>().map(|o| (*o).clone()).unwrap_or_else(EvaluationState::new)
    }
}

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::EvaluationRead);
    let work = Access::Action(Action::EvaluationWork);
    let manage = Access::Action(Action::EvaluationManage);
    let api = api
        .add(
            Op::api(Method::GET, "/api/evaluation/questionnaires", read, "evaluation", "问卷（本单位及上级单位的）")
                .response::<Vec<store::surveys::Questionnaire>>(),
            get(api::questionnaires),
        )
        .add(
            Op::api(Method::POST, "/api/evaluation/questionnaires", manage, "evaluation", "新建问卷（第1版）")
                .request::<service::QuestionnaireInput>()
                .response::<api::Created>()
                .status(201),
            post(api::questionnaire_create),
        )
        .add(
            Op::api(Method::GET, "/api/evaluation/questionnaires/{id}", read, "evaluation", "问卷、各版本与测评轮次")
                .response::<api::QuestionnaireDto>(),
            get(api::questionnaire_get),
        )
        .add(
            Op::api(Method::POST, "/api/evaluation/questionnaires/{id}/versions", manage, "evaluation", "另存为新版本")
                .request::<api::QuestionsInput>()
                .response::<api::Created>()
                .status(201),
            post(api::version_create),
        )
        .add(
            Op::api(
                Method::PUT,
                "/api/evaluation/questionnaires/{id}/versions/{version}",
                manage,
                "evaluation",
                "修改尚无答卷的版本",
            )
            .request::<api::QuestionsInput>()
            .status(204),
            put(api::version_edit),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/evaluation/questionnaires/{id}/waves",
                manage,
                "evaluation",
                "安排测评轮次（按人口分配样本）",
            )
            .request::<service::WaveInput>()
            .response::<api::Created>()
            .status(201),
            post(api::wave_create),
        )
        .add(
            Op::api(Method::GET, "/api/evaluation/questionnaires/{id}/series", read, "evaluation", "各轮次指数走势")
                .response::<Vec<service::SeriesPoint>>(),
            get(api::series),
        )
        .add(
            Op::api(Method::GET, "/api/evaluation/waves", read, "evaluation", "测评轮次")
                .response::<Vec<store::surveys::Wave>>(),
            get(api::waves),
        )
        .add(
            Op::api(
                Method::GET,
                "/api/evaluation/waves/{id}/results",
                read,
                "evaluation",
                "测评结果（加权、置信区间）",
            )
            .response::<service::Results>(),
            get(api::wave_results),
        )
        .add(
            Op::api(Method::POST, "/api/evaluation/waves/{id}/links", manage, "evaluation", "生成一次性答卷链接")
                .request::<api::LinksInput>()
                .response::<api::LinksDto>()
                .status(201),
            post(api::wave_links),
        )
        .add(
            Op::api(Method::POST, "/api/evaluation/waves/{id}/interviews", work, "evaluation", "录入电话访问答卷")
                .request::<service::AnswerInput>()
                .response::<api::Created>()
                .status(201),
            post(api::wave_interview),
        )
        .add(
            Op::api(Method::GET, "/api/evaluation/rounds", read, "evaluation", "民主评议轮次")
                .response::<Vec<store::reviews::Round>>(),
            get(api::rounds),
        )
        .add(
            Op::api(Method::POST, "/api/evaluation/rounds", manage, "evaluation", "发起民主评议")
                .request::<reviews::RoundInput>()
                .response::<api::Created>()
                .status(201),
            post(api::round_create),
        )
        .add(
            Op::api(Method::GET, "/api/evaluation/rounds/{id}", read, "evaluation", "民主评议排名")
                .response::<api::RoundDto>(),
            get(api::round_get),
        )
        .add(
            Op::api(Method::POST, "/api/evaluation/rounds/{id}/links", manage, "evaluation", "生成一次性评议链接")
                .request::<api::LinksInput>()
                .response::<api::LinksDto>()
                .status(201),
            post(api::round_links),
        )
        .add(
            Op::api(Method::POST, "/api/evaluation/rounds/{id}/interviews", work, "evaluation", "录入电话评议")
                .request::<reviews::RatingInput>()
                .response::<api::Created>()
                .status(201),
            post(api::round_interview),
        )
        .add(
            Op::api(Method::GET, "/api/evaluation/rounds/{id}/comments", read, "evaluation", "评议意见（本单位范围）")
                .query(&[("page", "页码"), ("per_page", "每页条数")])
                .response::<crate::http::dto::PageDto<store::reviews::Comment>>()
                .query_type::<api::PageQuery>(),
            get(api::round_comments),
        )
        .add(
            Op::api(Method::POST, "/api/evaluation/ratings/{id}/reply", work, "evaluation", "回复评议意见")
                .request::<api::ReplyInput>()
                .status(204),
            post(api::reply),
        )
        .add(
            Op::api(Method::GET, "/api/public/scenarios", Access::Public, "public", "多跨协同应用场景目录")
                .query(&[("status", "planned | pilot | live | retired")])
                .response::<Vec<store::scenarios::Scenario>>()
                .query_type::<api::ScenarioQuery>(),
            get(api::scenarios_list),
        )
        .add(
            Op::api(Method::POST, "/api/evaluation/scenarios", manage, "evaluation", "登记应用场景")
                .request::<scenarios::ScenarioInput>()
                .response::<api::Created>()
                .status(201),
            post(api::scenario_create),
        )
        .add(
            Op::api(Method::PUT, "/api/evaluation/scenarios/{id}", manage, "evaluation", "修改应用场景")
                .request::<scenarios::ScenarioInput>()
                .status(204),
            put(api::scenario_update),
        )
        .add(
            Op::api(Method::GET, "/api/public/links/{token}", Access::Public, "public", "一次性链接：问卷或评议内容")
                .response::<public::LinkDto>()
                .answers(&[429]),
            get(public::link_api),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/public/links/{token}/answers",
                Access::Public,
                "public",
                "通过一次性链接提交答卷",
            )
            .request::<service::AnswerInput>()
            .response::<public::Thanks>()
            .status(201)
            .answers(&[429]),
            post(public::answer_api),
        )
        .add(
            Op::api(
                Method::POST,
                "/api/public/links/{token}/ratings",
                Access::Public,
                "public",
                "通过一次性链接提交评议",
            )
            .request::<reviews::RatingInput>()
            .response::<public::Thanks>()
            .status(201)
            .answers(&[429]),
            post(public::rating_api),
        )
        .add(Op::page(Method::GET, "/s/{token}", Access::Public, "群众测评与评议表单"), get(public::form))
        .add(Op::page(Method::POST, "/s/{token}", Access::Public, "提交测评或评议"), post(public::submit))
        .add(
            Op::page(Method::GET, "/public/scenarios", Access::Public, "多跨协同应用场景"),
            get(public::scenarios_page),
        );
    report::routes(pages::routes(api))
}
