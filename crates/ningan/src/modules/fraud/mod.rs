//! Anti-fraud early warning and dissuasion (反诈预警劝阻): risk signals from carriers, banks,
//! app stores and citizens are scored by the engine in `ningan-fraud`; each warning becomes a
//! dissuasion task at the station where the person lives, with a deadline by level and
//! escalation when late; outcomes, cases and lectures add up to the supervision board, the
//! figures and the cockpit panel. Citizens check identifiers and report fraud on a public page.

pub mod admin;
pub mod demo;
pub mod error;
mod housekeeping;
pub mod import;
pub mod pages;
pub mod panel;
pub mod partitions;
pub mod public;
pub mod service;
pub mod signals;
pub mod stops;
pub mod stream;
pub mod tasks;
pub mod texts;
pub mod wire;

use axum::http::Method;
use axum::routing::{delete, get, post, put};
use ningan_core::Action;

use crate::http::api::{Access, Api, Op};
use crate::http::dto::PageDto;
pub use service::{FraudService, IngestSummary};

pub use housekeeping::start;

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::FraudRead);
    let work = Access::Action(Action::FraudWork);
    let manage = Access::Action(Action::FraudManage);
    let signal = Access::Action(Action::SignalWrite);
    api.add(
        Op::api(Method::POST, "/api/fraud/signals", signal, "fraud", "上报风险信号（JSON 批量，编号重复的忽略）")
            .request::<signals::SignalBatch>()
            .response::<signals::SignalReport>(),
        post(signals::signals),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/fraud/signals/ndjson",
            signal,
            "fraud",
            "上报风险信号（NDJSON，每行一条，按行号报告拒收）",
        )
        .response::<signals::SignalReport>(),
        post(signals::signals_ndjson),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/fraud/warnings/{id}",
            signal,
            "fraud",
            "报送方查询预警处置进度（级别、状态、结果；不含当事人信息）",
        )
        .response::<signals::WarningStatusDto>(),
        get(signals::warning_status),
    )
    .add(
        Op::api(Method::GET, "/api/fraud/tasks", read, "fraud", "劝阻任务（本单位范围）")
            .query(&[
                ("status", "open | transfer | done | overdue | escalated"),
                ("level", "high | medium | low"),
                ("page", "页码"),
                ("per_page", "每页条数"),
            ])
            .response::<PageDto<tasks::TaskDto>>()
            .query_type::<tasks::TaskListQuery>(),
        get(tasks::list),
    )
    .add(
        Op::api(Method::GET, "/api/fraud/tasks/{id}", read, "fraud", "劝阻任务详情：命中规则、信号、话术")
            .response::<tasks::TaskDetailDto>(),
        get(tasks::show),
    )
    .add(
        Op::api(Method::POST, "/api/fraud/tasks/{id}/outcome", work, "fraud", "登记劝阻结果")
            .request::<tasks::OutcomeRequest>()
            .response::<tasks::TaskDetailDto>(),
        post(tasks::outcome),
    )
    .add(
        Op::api(Method::POST, "/api/fraud/tasks/{id}/transfer", work, "fraud", "申请移交其他派出所")
            .request::<tasks::TransferRequest>()
            .response::<tasks::TaskDetailDto>(),
        post(tasks::transfer),
    )
    .add(
        Op::api(Method::POST, "/api/fraud/tasks/{id}/transfer/review", work, "fraud", "接收单位审核移交")
            .request::<tasks::ReviewRequest>()
            .response::<tasks::ReviewDto>(),
        post(tasks::review),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/fraud/tasks/{id}/reveal",
            Access::Reveal(Action::FraudRead),
            "fraud",
            "查看预警对象完整号码（须说明事由，记入审计）",
        )
        .request::<tasks::RevealRequest>()
        .response::<tasks::RevealedDto>(),
        post(tasks::reveal),
    )
    .add(
        Op::api(Method::GET, "/api/fraud/watchlist", read, "fraud", "涉诈名单")
            .query(&[("kind", "类别"), ("q", "标识或来源"), ("page", "页码")])
            .response::<PageDto<admin::WatchEntryDto>>()
            .query_type::<admin::WatchListQuery>(),
        get(admin::watchlist),
    )
    .add(
        Op::api(Method::POST, "/api/fraud/watchlist", manage, "fraud", "加入涉诈名单（批量；任一条无效则整批不变）")
            .request::<admin::WatchBatch>()
            .response::<admin::WatchReport>()
            .status(201),
        post(admin::watchlist_add),
    )
    .add(
        Op::api(Method::DELETE, "/api/fraud/watchlist/{id}", manage, "fraud", "移出涉诈名单")
            .query(&[("reason", "理由（记入审计）")])
            .status(204)
            .query_type::<admin::RemoveQuery>(),
        delete(admin::watchlist_remove),
    )
    .add(
        Op::api(Method::GET, "/api/fraud/rules", read, "fraud", "当前预警规则集").response::<admin::RulesDto>(),
        get(admin::rules),
    )
    .add(Op::page(Method::GET, "/fraud/rules", read, "预警规则集"), get(pages::rules_show))
    .add(
        Op::page(Method::POST, "/fraud/rules", Access::CityWide(Action::FraudManage), "修改预警规则集"),
        post(pages::rules_edit),
    )
    .add(
        Op::page(Method::POST, "/fraud/rules/backtest", Access::CityWide(Action::FraudManage), "回测规则草案"),
        post(pages::rules_backtest),
    )
    .add(
        Op::page(
            Method::POST,
            "/fraud/rules/versions/{id}/restore",
            Access::CityWide(Action::FraudManage),
            "恢复历史规则版本",
        ),
        post(pages::rules_restore),
    )
    .add(
        Op::api(
            Method::PUT,
            "/api/fraud/rules",
            Access::CityWide(Action::FraudManage),
            "fraud",
            "替换预警规则集（TOML 文本；运行中生效，窗口状态保留）",
        )
        .response::<admin::RulesDto>(),
        put(admin::rules_replace),
    )
    .add(
        Op::api(Method::GET, "/api/fraud/rules/versions", read, "fraud", "预警规则集版本记录（含修改理由）")
            .query(&[("page", "页码"), ("per_page", "每页条数")])
            .response::<PageDto<admin::RuleVersionDto>>()
            .query_type::<admin::PageQuery>(),
        get(admin::rule_versions),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/fraud/rules/versions/{id}",
            read,
            "fraud",
            "规则版本及与另一版本（默认上一版）的逐行比较",
        )
        .query(&[("against", "比较的版本记录号")])
        .response::<admin::RuleVersionCompareDto>()
        .query_type::<admin::CompareQuery>(),
        get(admin::rule_version),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/fraud/rules/versions/{id}/restore",
            Access::CityWide(Action::FraudManage),
            "fraud",
            "恢复历史规则版本（作为新版本生效，须说明理由）",
        )
        .request::<admin::RestoreRequest>()
        .response::<admin::RulesDto>(),
        post(admin::rules_restore),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/fraud/rules/backtest",
            Access::CityWide(Action::FraudManage),
            "fraud",
            "回测规则草案：以近若干天的信号重放，与现行规则及其后发案比较（不生效）",
        )
        .request::<admin::BacktestRequest>()
        .response::<admin::BacktestDto>(),
        post(admin::rules_backtest),
    )
    .add(
        Op::api(Method::GET, "/api/fraud/cases", read, "fraud", "电诈发案登记")
            .query(&[("page", "页码"), ("stage", "案件阶段")])
            .response::<PageDto<admin::CaseDto>>()
            .query_type::<admin::PageQuery>(),
        get(admin::cases),
    )
    .add(
        Op::api(Method::POST, "/api/fraud/cases/{id}/stage", manage, "fraud", "推进电诈案件阶段（侦查中、已破案）")
            .request::<admin::CaseStageRequest>()
            .status(204),
        post(admin::case_stage_set),
    )
    .add(
        Op::api(Method::POST, "/api/fraud/cases", manage, "fraud", "登记电诈发案")
            .request::<admin::NewCaseRequest>()
            .response::<admin::CreatedId>()
            .status(201),
        post(admin::case_add),
    )
    .add(
        Op::api(Method::GET, "/api/fraud/reports", read, "fraud", "群众举报")
            .query(&[("status", "pending | accepted | rejected"), ("page", "页码")])
            .response::<PageDto<admin::ReportDto>>()
            .query_type::<admin::PageQuery>(),
        get(admin::reports),
    )
    .add(
        Op::api(Method::POST, "/api/fraud/reports/{id}/review", manage, "fraud", "审核群众举报（受理即登记发案）")
            .request::<admin::ReportReviewRequest>(),
        post(admin::report_review),
    )
    .add(
        Op::api(Method::GET, "/api/fraud/lectures", read, "fraud", "反诈宣讲记录")
            .query(&[("page", "页码")])
            .response::<PageDto<admin::LectureDto>>()
            .query_type::<admin::PageQuery>(),
        get(admin::lectures),
    )
    .add(
        Op::api(Method::POST, "/api/fraud/lectures", work, "fraud", "登记反诈宣讲")
            .request::<admin::NewLectureRequest>()
            .response::<admin::CreatedId>()
            .status(201),
        post(admin::lecture_add),
    )
    .add(
        Op::page(Method::GET, "/fraud/stop-payments", Access::CityWide(Action::FraudManage), "紧急止付"),
        get(stops::page::list),
    )
    .add(
        Op::page(
            Method::POST,
            "/fraud/stop-payments/{id}/redrive",
            Access::CityWide(Action::FraudManage),
            "重发止付请求",
        ),
        post(stops::page::redrive),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/fraud/stop-payments",
            Access::CityWide(Action::FraudManage),
            "fraud",
            "紧急止付请求及银行答复（含失败待重发）",
        )
        .query(&[("status", "pending | failed | stopped | refused | dead"), ("page", "页码")])
        .response::<PageDto<stops::StopPaymentDto>>()
        .query_type::<stops::StopQuery>(),
        get(stops::list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/fraud/stop-payments/{id}/redrive",
            Access::CityWide(Action::FraudManage),
            "fraud",
            "重发未获银行答复的止付请求",
        )
        .status(204),
        post(stops::redrive),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/fraud/partitions",
            Access::CityWide(Action::FraudManage),
            "fraud",
            "评分进程与信号分区租约（横向扩展）",
        )
        .response::<partitions::PartitionsDto>(),
        get(partitions::status),
    )
    .add(
        Op::api(Method::GET, "/api/fraud/board", read, "fraud", "督办看板：超时、迟劝阻、劝阻后发案、劝阻率指数排名")
            .response::<admin::BoardDto>(),
        get(admin::board),
    )
    .add(
        Op::api(Method::GET, "/api/fraud/figures", read, "fraud", "反诈统计：劝阻人数、避免损失、按月发案与环比")
            .response::<admin::FiguresDto>(),
        get(admin::figures),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/public/fraud/check",
            Access::Public,
            "public",
            "涉诈号码、网址、账号查询（按客户端限流）",
        )
        .query(&[("kind", "phone | url | domain | bank_account | pay_account | app"), ("value", "要查询的标识")])
        .response::<public::CheckDto>()
        .query_type::<public::CheckQuery>()
        .answers(&[429]),
        get(public::check_api),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/public/fraud/reports",
            Access::Public,
            "public",
            "群众举报电信网络诈骗（按客户端限流）",
        )
        .request::<public::ReportRequest>()
        .response::<public::ReportReceipt>()
        .status(201)
        .answers(&[429]),
        post(public::report_api),
    )
    .add(Op::page(Method::GET, "/public/fraud", Access::Public, "反诈查询与举报"), get(public::page))
    .add(Op::page(Method::POST, "/public/fraud/report", Access::Public, "提交举报"), post(public::report_form))
    .add(Op::page(Method::GET, "/fraud/tasks", read, "劝阻任务"), get(pages::task_list))
    .add(Op::page(Method::GET, "/fraud/tasks.csv", read, "劝阻任务导出（CSV）"), get(pages::task_export_csv))
    .add(Op::page(Method::GET, "/fraud/tasks.xlsx", read, "劝阻任务导出（XLSX）"), get(pages::task_export_xlsx))
    .add(Op::page(Method::GET, "/fraud/tasks/{id}", read, "劝阻任务详情"), get(pages::task_show))
    .add(Op::page(Method::POST, "/fraud/tasks/{id}/outcome", work, "登记劝阻结果"), post(pages::task_outcome))
    .add(Op::page(Method::POST, "/fraud/tasks/{id}/transfer", work, "申请移交"), post(pages::task_transfer))
    .add(Op::page(Method::POST, "/fraud/tasks/{id}/review", work, "审核移交"), post(pages::task_review))
    .add(
        Op::page(Method::POST, "/fraud/tasks/{id}/reveal", Access::Reveal(Action::FraudRead), "查看完整号码"),
        post(pages::task_reveal),
    )
    .add(Op::page(Method::GET, "/fraud/board", read, "反诈督办看板"), get(pages::board))
    .add(Op::page(Method::GET, "/fraud/cases", read, "电诈案件"), get(pages::cases))
    .add(Op::page(Method::POST, "/fraud/cases", manage, "登记电诈发案"), post(pages::case_file))
    .add(Op::page(Method::POST, "/fraud/cases/{id}/stage", manage, "推进案件阶段"), post(pages::case_stage))
    .add(Op::page(Method::GET, "/fraud/watchlist", read, "涉诈名单"), get(pages::watchlist))
    .add(Op::page(Method::POST, "/fraud/watchlist", manage, "加入或修改涉诈名单"), post(pages::watchlist_add))
    .add(Op::page(Method::POST, "/fraud/watchlist/{id}/remove", manage, "移出涉诈名单"), post(pages::watchlist_remove))
    .add(Op::page(Method::GET, "/fraud/lectures", read, "反诈宣讲"), get(pages::lectures))
    .add(Op::page(Method::POST, "/fraud/lectures", work, "登记宣讲"), post(pages::lecture_add))
    .add(Op::page(Method::GET, "/fraud/reports", read, "群众举报"), get(pages::reports))
    .add(Op::page(Method::POST, "/fraud/reports/{id}/review", manage, "审核举报"), post(pages::report_review))
}

/// Anti-fraud's share of the server state: the scoring engine and the public check's limit per
/// client. Handlers reach it as `state.fraud`, or as `State<FraudState>` through `FromRef`.
#[derive(Clone)]
pub struct FraudState {
    pub service: std::sync::Arc<FraudService>,
    /// Public checks and reports per client address per minute.
    pub public_limiter: std::sync::Arc<crate::http::limit::ClientLimiter>,
}

impl FraudState {
    /// Opens the engine with the configured rule set.
    pub fn open(config: &crate::config::Config) -> Result<FraudState, ningan_fraud::RuleError> {
        Ok(FraudState {
            service: std::sync::Arc::new(
                FraudService::open(&config.data_dir, config.fraud.rules_file.as_deref())?
                    .partitioned(config.fraud.partitions),
            ),
            public_limiter: std::sync::Arc::new(crate::http::limit::ClientLimiter::new(config.fraud.public_per_minute)),
        })
    }
}

impl axum::extract::FromRef<crate::app::AppState> for FraudState {
    fn from_ref(state: &crate::app::AppState) -> FraudState {
        state.fraud.clone()
    }
}
