//! Dissuasion tasks (劝阻): the station's list, one task with the signals that fired and why,
//! outcome recording, transfer with review, revealing the subscriber's number with a purpose.

use axum::extract::State;
use ningan_core::phone::mask_phone_str;
use ningan_fraud::{Level, SignalKind, Warning};
use ningan_store::{LoggedSignal, PageRequest, Task, TaskOutcome, TaskQuery, TaskSort, fraud_outcome_zh};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::{FraudError, refuse};
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

#[derive(Debug, Serialize, JsonSchema)]
pub struct TaskDto {
    pub id: i64,
    /// high | medium | low
    pub level: String,
    pub level_zh: String,
    /// How the person is to be reached.
    pub channel_zh: String,
    pub score: i64,
    pub typology: String,
    /// The subscriber's number, masked.
    pub phone: String,
    pub resident_id: Option<i64>,
    pub resident_name: Option<String>,
    pub unit_id: i64,
    pub unit_name: String,
    /// open | transfer | done
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    pub warned_at: String,
    pub deadline: String,
    pub overdue: bool,
    pub escalated: bool,
    pub outcome: Option<String>,
    pub outcome_zh: Option<String>,
    pub outcome_en: Option<String>,
    pub outcome_note: String,
    pub attempts: i64,
    /// Yuan already transferred before the dissuasion.
    pub money_lost: f64,
    /// Yuan the dissuasion kept from being transferred.
    pub amount_protected: f64,
    pub watch_until: Option<String>,
    pub transfer_to_unit_id: Option<i64>,
    pub transfer_reason: Option<String>,
}

pub fn level_of(s: &str) -> Level {
    Level::parse(s).unwrap_or(Level::Low)
}

pub fn status_zh(s: &str) -> &'static str {
    ningan_core::labels::zh(ningan_core::labels::TASK_STATUS, s)
}

impl TaskDto {
    pub fn from_task(t: &Task, now: i64) -> TaskDto {
        let level = level_of(&t.level);
        TaskDto {
            id: t.id,
            level: t.level.clone(),
            level_zh: level.zh().into(),
            channel_zh: level.channel_zh().into(),
            score: t.score,
            typology: t.typology.clone(),
            phone: mask_phone_str(t.phone.strip_prefix("+86").unwrap_or(&t.phone)),
            resident_id: t.resident_id,
            resident_name: t.resident_name.clone(),
            unit_id: t.unit_id,
            unit_name: t.unit_name.clone(),
            status: t.status.clone(),
            status_zh: status_zh(&t.status).into(),
            status_en: ningan_core::labels::en(ningan_core::labels::TASK_STATUS, &t.status).into(),
            warned_at: ts(t.warned_at),
            deadline: ts(t.deadline),
            overdue: t.is_open() && t.deadline < now,
            escalated: t.escalated_at.is_some() && t.is_open(),
            outcome: t.outcome.clone(),
            outcome_zh: t.outcome.as_deref().map(|o| fraud_outcome_zh(o).to_string()),
            outcome_en: t
                .outcome
                .as_deref()
                .map(|o| ningan_core::labels::en(ningan_core::labels::TASK_OUTCOME, o).to_string()),
            outcome_note: t.outcome_note.clone(),
            attempts: t.attempts,
            money_lost: t.money_lost_fen as f64 / 100.0,
            amount_protected: t.amount_protected_fen as f64 / 100.0,
            watch_until: t.watch_until.map(ts),
            transfer_to_unit_id: t.transfer_to_unit_id,
            transfer_reason: t.transfer_reason.clone(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FiringDto {
    pub rule: String,
    pub rule_name: String,
    pub typology: String,
    pub score: u32,
    pub signals: Vec<String>,
    /// The intermediate values, e.g. the count in the window or the time the sequence took.
    pub detail: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SignalDto {
    pub id: String,
    pub kind: String,
    pub kind_zh: String,
    pub at: String,
    /// What the signal said, with the identifier (a fraudster's number or site, not the person's).
    pub summary: String,
    /// The listing it matched, `kind:value`.
    pub listed: Option<String>,
    pub channel: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TaskDetailDto {
    pub task: TaskDto,
    pub ruleset_version: String,
    pub thresholds: [u32; 3],
    pub trace: Vec<FiringDto>,
    pub signals: Vec<SignalDto>,
    /// What to say, by typology (in Chinese, as it is said).
    pub script: Vec<String>,
    /// The same script in English, for reading.
    pub script_en: Vec<String>,
    /// Stop-payment requests sent to the bank for the transfer that raised the warning, with
    /// the bank's answer.
    pub stop_payments: Vec<super::stops::StopPaymentDto>,
}

pub fn signal_summary(kind: &SignalKind) -> String {
    let yuan = |fen: i64| format!("{:.2}元", fen as f64 / 100.0);
    match kind {
        SignalKind::Call { from, duration_s } => format!("来电 {from}，通话{duration_s}秒"),
        SignalKind::Sms { from } => format!("短信 {from}"),
        SignalKind::Url { url } => format!("访问 {url}"),
        SignalKind::App { package } => format!("安装 {package}"),
        SignalKind::Transfer { account, amount_fen, .. } => format!("向 {account} 转账 {}", yuan(*amount_fen)),
        SignalKind::VictimReport { amount_fen } => format!("报案，称损失 {}", yuan(*amount_fen)),
        SignalKind::BankAlert { amount_fen } => format!("银行预警，涉及 {}", yuan(*amount_fen)),
    }
}

pub fn signal_dto(s: &LoggedSignal) -> SignalDto {
    let tag = ningan_fraud::SignalTag::parse(&s.kind);
    let summary = serde_json::from_str::<SignalKind>(&s.body).map(|k| signal_summary(&k)).unwrap_or_default();
    SignalDto {
        id: s.signal_id.clone(),
        kind: s.kind.clone(),
        kind_zh: tag.map_or("", |t| t.zh()).into(),
        at: ts(s.at * 1000),
        summary,
        listed: s.listed.clone(),
        channel: s.channel.clone(),
    }
}

/// The call script for a typology: what officers in the anti-fraud centres say first, in
/// Chinese (what is said to the person) or English (for an officer reading in English).
pub fn script(typology: &str, en: bool) -> Vec<String> {
    let specific: &[(&str, &str)] = match typology {
        "冒充公检法" => &[
            (
                "公检法机关不会通过电话办案，不会要求转账到“安全账户”。",
                "Police, prosecutors and courts never handle a case by phone or ask for money in a “safe account”.",
            ),
            (
                "请立即挂断对方电话，不要按对方要求下载任何会议软件或共享屏幕。",
                "Hang up now; do not install a meeting app or share your screen as they ask.",
            ),
        ],
        "冒充客服" => &[
            (
                "正规客服不会要求您下载会议软件、开启屏幕共享或提供验证码。",
                "Real customer service never asks you to install a meeting app, share your screen or give a code.",
            ),
            (
                "“注销校园贷”“关闭百万保障”都是诈骗话术，请立即停止操作。",
                "“Cancel your student loan” and “turn off the million-yuan cover” are scam lines: stop now.",
            ),
        ],
        "刷单返利" => &[
            (
                "所有刷单都是诈骗，先小额返利是为了让您投入更多。",
                "Every paid-task offer is a scam: the first small rebates are there to make you pay in more.",
            ),
            ("请立即停止“做任务”，不要再向对方转账。", "Stop the “tasks” now and send them nothing more."),
        ],
        "虚假投资理财" => &[
            (
                "“内幕消息”“稳赚不赔”的投资平台都是诈骗，平台数字可被随意篡改。",
                "“Inside tips” and “sure profits” platforms are scams: the figures on them are made up.",
            ),
            (
                "请不要再充值，保留聊天记录和转账凭证。",
                "Put no more money in; keep the chats and the transfer receipts.",
            ),
        ],
        "冒充电商物流客服" => &[
            (
                "快递丢件、商品质量问题的理赔只在官方平台内处理，不会让您下载其他软件或转账。",
                "Claims for a lost parcel or a faulty product are settled inside the official platform only, never through another app or a transfer.",
            ),
            (
                "请不要点击对方发来的链接，不要提供银行卡号和验证码。",
                "Do not open the link they sent; give no card number and no code.",
            ),
        ],
        "冒充领导熟人" => &[
            (
                "自称领导、老师或亲友要求转账的，请先打对方原来的电话或当面核实。",
                "Whoever says they are your boss, a teacher or a relative and asks for money: call their old number or ask in person first.",
            ),
            (
                "对方以“不方便接电话”为由只用文字联系，正是诈骗的特征。",
                "Writing only, saying a call is “not convenient right now”, is the mark of the scam.",
            ),
        ],
        "网络婚恋交友" => &[
            (
                "网上认识、从未见面却带您投资、博彩或借钱的“恋人”，是“杀猪盘”诈骗。",
                "An online “partner” you have never met who leads you to invest, gamble or lend money is running a “pig-butchering” scam.",
            ),
            (
                "请停止充值，不要相信“只差一笔就能提现”，保留聊天记录。",
                "Pay nothing more; “one more payment and you can withdraw” is a lie. Keep the chats.",
            ),
        ],
        "网络游戏虚假交易" => &[
            (
                "游戏装备、账号只在官方交易平台买卖，私下交易、“解冻保证金”都是诈骗。",
                "Game items and accounts are traded on the official platform only: private deals and “unfreezing deposits” are scams.",
            ),
            (
                "未成年人请告诉家长，不要用家长的手机付款。",
                "If you are under 18, tell your parents and do not pay with their phone.",
            ),
        ],
        "虚假征信" => &[
            (
                "征信记录只能由征信机构依法更正，不存在“消除不良记录”“注销账户”的服务。",
                "Only the credit bureau can correct a credit record by law: there is no service that “removes bad records” or “closes accounts”.",
            ),
            ("请立即挂断，不要转账到对方提供的账户。", "Hang up now and send nothing to the account they give you."),
        ],
        "虚假贷款" | "虚假网络贷款" => &[
            (
                "正规贷款放款前不收取任何费用，“解冻费”“保证金”都是诈骗。",
                "A real loan charges nothing before it pays out: “unfreezing fees” and “deposits” are scams.",
            ),
            ("请卸载对方提供的贷款应用。", "Uninstall the loan app they gave you."),
        ],
        _ => &[(
            "对方要求转账、提供验证码或下载陌生软件的，都是诈骗。",
            "Anyone who asks you to transfer money, give a code or install an unknown app is a scammer.",
        )],
    };
    let pick = |(zh, en_text): (&str, &str)| if en { en_text.to_string() } else { zh.to_string() };
    let mut lines = vec![if en {
        format!(
            "Hello, I am an anti-fraud officer of the Ningbo Public Security Bureau. Our system shows you may be the target of a “{}” scam.",
            ningan_core::labels::typology_en(typology)
        )
    } else {
        format!("您好，我是宁波市公安局反诈民警。系统监测到您可能正在遭遇“{typology}”类诈骗。")
    }];
    lines.extend(specific.iter().map(|l| pick(*l)));
    lines.push(pick((
        "如已转账，请立即拨打110或96110，我们将协助紧急止付。",
        "If you have already paid, call 110 or 96110 at once and we will help stop the payment.",
    )));
    lines
}

/// A task list names the people warned: audited under each of them.
pub async fn audit_tasks_shown(state: &AppState, ctx: &Ctx, tasks: &[ningan_store::Task]) -> ApiResult<()> {
    let ids: Vec<i64> = tasks.iter().map(|t| t.id).collect();
    let persons: Vec<i64> = tasks.iter().filter_map(|t| t.resident_id).collect();
    crate::http::shown::audit_shown(state, ctx, "fraud.task.list", "fraud_task", &ids, &persons).await
}

pub async fn task_detail(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<TaskDetailDto> {
    let task = match state.db.fraud_task(&ctx.scope(), id).await {
        Ok(t) => t,
        // The receiving unit may read a task offered to it, to review the transfer.
        Err(ningan_store::StoreError::NotFound) => state.db.fraud_task_incoming(&ctx.scope(), id).await?,
        Err(e) => return Err(e.into()),
    };
    let persons: Vec<i64> = task.resident_id.into_iter().collect();
    crate::http::shown::audit_shown(state, ctx, "fraud.task.view", "fraud_task", &[task.id], &persons).await?;
    let warning: Option<Warning> = serde_json::from_str(&task.trace).ok();
    let (trace, thresholds, mut ids) = match &warning {
        Some(w) => {
            let ids: Vec<String> = w.trace.iter().flat_map(|f| f.signals.iter().cloned()).collect();
            let trace = w
                .trace
                .iter()
                .map(|f| FiringDto {
                    rule: f.rule.clone(),
                    rule_name: f.rule_name.clone(),
                    typology: f.typology.clone(),
                    score: f.score,
                    signals: f.signals.clone(),
                    detail: f.detail.clone(),
                })
                .collect();
            (trace, w.thresholds, ids)
        }
        None => (Vec::new(), [0; 3], Vec::new()),
    };
    ids.sort();
    ids.dedup();
    let mut signals: Vec<SignalDto> = state.db.fraud_signals_by_ids(&ids).await?.iter().map(signal_dto).collect();
    signals.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    let now = ningan_core::time::now_ms();
    let stop_payments = state.db.fraud_stops_of_task(task.id).await?.into_iter().map(super::stops::stop_dto).collect();
    Ok(TaskDetailDto {
        stop_payments,
        script: script(&task.typology, false),
        script_en: script(&task.typology, true),
        ruleset_version: task.ruleset_version.clone(),
        thresholds,
        trace,
        signals,
        task: TaskDto::from_task(&task, now),
    })
}

const TASK_FILTERS: &[&str] = &["open", "overdue", "escalated", "transfer", "done"];
const LEVELS: &[&str] = &["high", "medium", "low"];
const TASK_SORTS: &[&str] = &["deadline", "-deadline", "score", "-score", "warned", "-warned"];

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct TaskListQuery {
    /// open | transfer | done | overdue | escalated
    #[schemars(extend("enum" = TASK_FILTERS))]
    pub status: Option<String>,
    /// high | medium | low
    #[schemars(extend("enum" = LEVELS))]
    pub level: Option<String>,
    /// The typology the warning named (as the rule set spells it).
    pub typology: Option<String>,
    /// A person's name in part, the last four or more digits of their number, or `#` and a
    /// task number.
    pub q: Option<String>,
    /// deadline | -deadline | score | -score | warned | -warned (default: open work first,
    /// nearest deadline first).
    #[schemars(extend("enum" = TASK_SORTS))]
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl TaskListQuery {
    /// The query the store runs, or the field that is wrong.
    pub fn query(&self) -> Result<TaskQuery, ApiError> {
        let given = |o: &Option<String>| o.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let status = given(&self.status);
        let level = given(&self.level);
        if let Some(s) = &status
            && !["open", "transfer", "done", "overdue", "escalated"].contains(&s.as_str())
        {
            let zh = "待劝阻、已超时、已上报督办、移交待审核或已办结";
            return Err(refuse("status", Rule::one_of(zh, TASK_FILTERS)));
        }
        if let Some(l) = &level
            && Level::parse(l).is_none()
        {
            return Err(refuse("level", Rule::one_of("高、中或低", LEVELS)));
        }
        let sort = TaskSort::parse(self.sort.as_deref().map(str::trim).unwrap_or("")).ok_or_else(|| {
            let zh = "处置时限、分值或预警时间（前加 - 为倒序）";
            refuse("sort", Rule::one_of(zh, TASK_SORTS))
        })?;
        let text = given(&self.q);
        if text.as_deref().is_some_and(|t| t.chars().count() > 50) {
            return Err(refuse("q", Rule::TooLong(50)));
        }
        Ok(TaskQuery { status, level, subject_id: None, typology: given(&self.typology), text, sort })
    }
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TaskListQuery>,
) -> ApiResult<axum::Json<PageDto<TaskDto>>> {
    let query = q.query()?;
    let page = state.db.fraud_tasks(&ctx.scope(), &query, PageRequest::new(q.page, q.per_page)).await?;
    audit_tasks_shown(&state, &ctx, &page.items).await?;
    let now = ningan_core::time::now_ms();
    Ok(axum::Json(PageDto::from_page(page, |t| TaskDto::from_task(&t, now))))
}

pub(super) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<TaskDetailDto>> {
    Ok(axum::Json(task_detail(&state, &ctx, id).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct OutcomeRequest {
    /// dissuaded | not_reached | unreachable | mismatch | duplicate
    #[schemars(schema_with = "station_outcomes")]
    pub outcome: String,
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub note: String,
    /// Yuan already transferred.
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 100_000_000.0))]
    pub money_lost: f64,
    /// Yuan the dissuasion kept.
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 100_000_000.0))]
    pub amount_protected: f64,
    /// Days to keep watching the person (0–90).
    #[serde(default)]
    #[schemars(range(min = 0, max = 90))]
    pub watch_days: i64,
}

/// The outcomes a station records (an SMS warning is the system's, not an officer's).
fn station_outcomes(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let codes = ningan_core::labels::TASK_OUTCOME.iter().map(|o| o.code).filter(|c| *c != "sms");
    crate::http::schema::enum_of(codes)
}

pub fn validate_outcome(req: &OutcomeRequest) -> Result<TaskOutcome, ApiError> {
    let known = ningan_core::labels::TASK_OUTCOME.iter().any(|o| o.code == req.outcome && o.code != "sms");
    if !known {
        let zh = "已劝阻、暂时找不到、确实找不到、不符或重复预警";
        let codes = ["dissuaded", "not_reached", "unreachable", "mismatch", "duplicate"];
        return Err(refuse("outcome", Rule::one_of(zh, &codes)));
    }
    let fen = |field: &str, v: f64| ningan_fraud::amount_fen(v).map_err(|e| ApiError::field_from(field, e));
    let money_lost_fen = fen("money_lost", req.money_lost)?;
    let amount_protected_fen = fen("amount_protected", req.amount_protected)?;
    if !(0..=90).contains(&req.watch_days) {
        return Err(refuse("watch_days", Rule::Range(0, 90)));
    }
    if req.note.chars().count() > 500 {
        return Err(refuse("note", Rule::TooLong(500)));
    }
    if req.outcome != "dissuaded" && amount_protected_fen > 0 {
        return Err(FraudError::OnlyDissuasionProtects.into());
    }
    let now = ningan_core::time::now_ms();
    Ok(TaskOutcome {
        outcome: req.outcome.clone(),
        note: req.note.trim().to_string(),
        money_lost_fen,
        amount_protected_fen,
        watch_until: (req.watch_days > 0).then(|| now + req.watch_days * 86_400_000),
    })
}

pub async fn record_outcome(state: &AppState, ctx: &Ctx, id: i64, req: &OutcomeRequest) -> ApiResult<()> {
    let outcome = validate_outcome(req)?;
    let mut w = state.db.write().await?;
    w.fraud_task_record(&ctx.actor(), &ctx.scope(), id, &outcome, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(())
}

pub(super) async fn outcome(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<OutcomeRequest>,
) -> ApiResult<axum::Json<TaskDetailDto>> {
    record_outcome(&state, &ctx, id, &req).await?;
    Ok(axum::Json(task_detail(&state, &ctx, id).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TransferRequest {
    pub to_unit_id: i64,
    #[schemars(length(min = 2, max = 200), regex(pattern = r"\S[\s\S]*\S"))]
    pub reason: String,
}

pub async fn request_transfer(state: &AppState, ctx: &Ctx, id: i64, req: &TransferRequest) -> ApiResult<()> {
    let reason = req.reason.trim();
    if !(2..=200).contains(&reason.chars().count()) {
        return Err(refuse("reason", Rule::Reason(2, 200)));
    }
    let target = match state.db.unit_by_id(req.to_unit_id).await {
        Ok(u) => u,
        Err(ningan_store::StoreError::NotFound) => {
            return Err(refuse("to_unit_id", Rule::NotInScope));
        }
        Err(e) => return Err(e.into()),
    };
    if target.kind != ningan_store::UnitKind::Station {
        return Err(FraudError::NotStation.into());
    }
    let mut w = state.db.write().await?;
    w.fraud_task_request_transfer(&ctx.actor(), &ctx.scope(), id, target.id, reason).await?;
    w.commit().await?;
    Ok(())
}

pub(super) async fn transfer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<TransferRequest>,
) -> ApiResult<axum::Json<TaskDetailDto>> {
    request_transfer(&state, &ctx, id, &req).await?;
    Ok(axum::Json(task_detail(&state, &ctx, id).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReviewRequest {
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

pub async fn review_transfer(state: &AppState, ctx: &Ctx, id: i64, req: &ReviewRequest) -> ApiResult<()> {
    let mut w = state.db.write().await?;
    w.fraud_task_review_transfer(&ctx.actor(), &ctx.scope(), id, req.approve, req.note.trim()).await?;
    w.commit().await?;
    Ok(())
}

pub(super) async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<ReviewRequest>,
) -> ApiResult<axum::Json<ReviewDto>> {
    review_transfer(&state, &ctx, id, &req).await?;
    // A refused transfer goes back to the sender, out of the reviewer's sight: the answer
    // says so instead of failing to read it.
    let task = if req.approve { Some(task_detail(&state, &ctx, id).await?) } else { None };
    Ok(axum::Json(ReviewDto { approved: req.approve, task }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReviewDto {
    pub approved: bool,
    /// The task, now the reviewer's, when the transfer was accepted.
    pub task: Option<TaskDetailDto>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RevealRequest {
    /// Why the full number is needed (2–200 characters); written to the audit trail.
    #[schemars(schema_with = "crate::http::schema::line_2_200")]
    pub purpose: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RevealedDto {
    pub phone: String,
}

pub async fn reveal_phone(state: &AppState, ctx: &Ctx, id: i64, purpose: &str) -> ApiResult<String> {
    let purpose = crate::modules::residents::checked_purpose(purpose)?;
    let purpose = purpose.as_str();
    let task = state.db.fraud_task(&ctx.scope(), id).await?;
    let mut w = state.db.write().await?;
    w.audit(ctx.actor().audit(
        "fraud.subject.reveal",
        "fraud_subject",
        task.subject_id,
        task.resident_id,
        Some(purpose),
        "full phone number shown",
    ))
    .await?;
    w.commit().await?;
    if let Some(u) = ctx.user() {
        state.fraud.service.reveals.record(u.id, "fraud_task", id, ningan_core::time::now_ms());
    }
    Ok(task.phone)
}

pub(super) async fn reveal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<RevealRequest>,
) -> ApiResult<axum::Json<RevealedDto>> {
    Ok(axum::Json(RevealedDto { phone: reveal_phone(&state, &ctx, id, &req.purpose).await? }))
}

#[cfg(test)]
mod tests {
    use super::script;

    #[test]
    fn every_common_typology_has_its_own_script_in_both_languages() {
        let generic = script("其他", false);
        for t in ningan_core::labels::FRAUD_TYPOLOGY {
            let (zh, en) = (script(t.code, false), script(t.code, true));
            assert_ne!(zh, generic, "{} falls back to the generic script", t.code);
            assert_eq!(zh.len(), en.len(), "{}: the English script says as much", t.code);
            assert!(en[0].contains(t.en), "{}: the English script names the typology", t.code);
        }
    }
}
