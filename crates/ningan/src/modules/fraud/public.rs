//! The citizen's side: is this number, site or account a known fraud? and a fraud report
//! form that becomes a victim-report signal (so the engine warns at once) and a report the
//! station reviews. Both are anonymous and limited per client address.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use ningan_fraud::EntryKind;
use ningan_store::{Actor, NewReport};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::{FraudError, refuse};
use super::wire::{SignalLine, When};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Query};
use crate::http::rule::Rule;
use crate::web::html;

fn limited(state: &AppState, addr: SocketAddr) -> Result<(), ApiError> {
    if state.fraud.public_limiter.admit(addr.ip()) { Ok(()) } else { Err(FraudError::TooManyLookups.into()) }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckQuery {
    /// phone | url | domain | bank_account | pay_account | app
    #[schemars(schema_with = "super::admin::kinds")]
    pub kind: String,
    /// A number, address, account or app name of the kind asked for (the examples follow the
    /// kinds' order: a phone, a URL, a domain, a bank account, a payment account, an app).
    #[schemars(
        length(min = 1, max = 200),
        extend("examples" = ["13905740000", "https://example.com/pay", "example.com", "6222020200112233445", "wx_example01", "com.example.app"])
    )]
    pub value: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckDto {
    pub kind: String,
    /// The identifier as checked, in its canonical form.
    pub value: String,
    pub listed: bool,
    /// The fraud type, when listed.
    pub typology: Option<String>,
    pub advice: String,
}

pub fn check(state: &AppState, kind: &str, value: &str) -> ApiResult<CheckDto> {
    let kind = EntryKind::parse(kind).ok_or_else(|| refuse("kind", super::admin::kinds_rule()))?;
    if value.trim().is_empty() || value.len() > 500 {
        return Err(refuse(
            "value",
            Rule::other("请输入要查询的号码、网址或账号", "enter a number, address or account"),
        ));
    }
    let canonical = kind.normalize(value).map_err(|e| ApiError::field_from("value", e))?;
    let hit = state.fraud.service.check(kind, value)?;
    let listed = hit.is_some();
    let advice = if listed {
        "该号码/网址/账号已被列入涉诈名单。请立即停止联系，切勿转账或提供验证码；如已转账，请立即拨打110或96110。"
    } else {
        "暂未发现涉诈记录。未列入名单不代表安全：凡是要求转账、提供验证码或下载陌生软件的，都是诈骗。"
    };
    Ok(CheckDto {
        kind: kind.as_str().into(),
        value: canonical,
        listed,
        typology: hit.and_then(|(_, l)| l.typology),
        advice: advice.into(),
    })
}

pub(super) async fn check_api(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<CheckQuery>,
) -> ApiResult<axum::Json<CheckDto>> {
    limited(&state, addr)?;
    state.fraud.service.ensure_loaded(&state.db).await?;
    Ok(axum::Json(check(&state, &q.kind, &q.value)?))
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct ReportRequest {
    /// The reporter's phone, to be called back (the report is about this subscriber).
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub phone: String,
    /// What the fraudster used: phone | url | domain | bank_account | pay_account | app.
    #[serde(default)]
    pub identifier_kind: String,
    #[serde(default)]
    pub identifier: String,
    /// What happened, 10–2000 characters.
    #[schemars(length(min = 10, max = 2000), regex(pattern = r"\S[\s\S]{8,}\S"))]
    pub description: String,
    /// Yuan lost, if any.
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 100_000_000.0))]
    pub amount: Option<f64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportReceipt {
    pub report_id: i64,
    pub message: String,
}

/// Files a citizen's report: a victim-report signal for the engine (routed like any other),
/// and the report for the station to review.
pub async fn file_report(state: &AppState, req: &ReportRequest) -> ApiResult<ReportReceipt> {
    let phone = ningan_fraud::normalize::phone(&req.phone).map_err(|e| ApiError::field_from("phone", e))?;
    let description = req.description.trim();
    let n = description.chars().count();
    if !(10..=2000).contains(&n) {
        return Err(refuse("description", Rule::Length(10, 2000)));
    }
    let identifier = match (req.identifier_kind.trim(), req.identifier.trim()) {
        (_, "") => None,
        (k, v) => {
            let kind = EntryKind::parse(k).ok_or_else(|| refuse("identifier_kind", super::admin::kinds_rule()))?;
            Some((kind, kind.normalize(v).map_err(|e| ApiError::field_from("identifier", e))?))
        }
    };
    let amount_fen = match req.amount {
        Some(a) => ningan_fraud::amount_fen(a).map_err(|e| ApiError::field_from("amount", e))?,
        None => 0,
    };
    let signal_id = format!("report-{}", hex::encode(rand::random::<[u8; 8]>()));
    let line = SignalLine {
        id: signal_id.clone(),
        phone: phone.clone(),
        at: Some(When::Seconds(ningan_core::time::now_ms() / 1000)),
        kind: "victim_report".into(),
        from: None,
        duration: None,
        url: None,
        package: None,
        account: None,
        via: None,
        amount: Some(amount_fen as f64 / 100.0),
    };
    let incoming =
        line.check(ningan_core::time::now_ms() / 1000).map_err(|r| refuse("report", Rule::other(r.zh, r.en)))?;
    let actor = Actor { name: "public:report".into(), unit_id: None };
    state.fraud.service.ingest(&state.db, &actor, "report", vec![incoming]).await?;
    let subject = state.fraud.service.subject(&state.db, &phone).await?;
    let mut w = state.db.write().await?;
    let report_id = w
        .fraud_report_add(
            &actor,
            &NewReport {
                phone,
                identifier_kind: identifier.as_ref().map(|(k, _)| k.as_str().to_string()),
                identifier: identifier.map(|(_, v)| v),
                description: description.into(),
                amount_fen,
                signal_id,
                unit_id: subject.unit_id,
                unit_path: subject.unit_path,
            },
        )
        .await?;
    w.commit().await?;
    Ok(ReportReceipt {
        report_id,
        message: format!(
            "举报已受理（编号{report_id}），民警将尽快与您联系。如已转账，请立即拨打110或96110申请紧急止付。"
        ),
    })
}

pub(super) async fn report_api(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(req): Json<ReportRequest>,
) -> ApiResult<(StatusCode, axum::Json<ReportReceipt>)> {
    limited(&state, addr)?;
    Ok((StatusCode::CREATED, axum::Json(file_report(&state, &req).await?)))
}

#[derive(Template)]
#[template(path = "fraud/public.html")]
struct PublicPage {
    tr: crate::web::Tr,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    value: String,
    result: Option<CheckDto>,
    error: Option<String>,
    report: ReportRequest,
    report_error: Option<String>,
    receipt: Option<String>,
}

impl PublicPage {
    fn new(tr: crate::web::Tr) -> PublicPage {
        PublicPage {
            tr,
            kinds: EntryKind::ALL
                .iter()
                .filter(|k| **k != EntryKind::Domain)
                .map(|k| (k.as_str(), if tr.is_en() { k.en() } else { k.zh() }))
                .collect(),
            kind: "phone".into(),
            value: String::new(),
            result: None,
            error: None,
            report: ReportRequest::default(),
            report_error: None,
            receipt: None,
        }
    }

    fn kind_is(&self, k: &&str) -> bool {
        self.kind == *k
    }

    fn report_kind_is(&self, k: &&str) -> bool {
        self.report.identifier_kind == *k
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    kind: Option<String>,
    value: Option<String>,
}

/// An error in the page's language, without field keys.
fn message(e: &ApiError, tr: &crate::web::Tr) -> String {
    match e.errors.first() {
        Some(f) => {
            let (zh, en) = crate::http::error::split_bilingual(&f.message);
            tr.pick(zh, en).to_string()
        }
        None => tr.pick(&e.detail_zh, &e.detail_en).to_string(),
    }
}

pub(super) async fn page(
    State(state): State<AppState>,
    crate::web::lang::Lang(tr): crate::web::lang::Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Response {
    let mut page = PublicPage::new(tr);
    let mut status = StatusCode::OK;
    if let (Some(kind), Some(value)) = (q.kind, q.value.filter(|v| !v.trim().is_empty())) {
        page.kind = kind.clone();
        page.value = value.clone();
        let outcome = match limited(&state, addr) {
            Ok(()) => match state.fraud.service.ensure_loaded(&state.db).await {
                Ok(()) => check(&state, &kind, &value),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match outcome {
            Ok(r) => page.result = Some(r),
            Err(e) => {
                status = e.code.status();
                page.error = Some(message(&e, &tr));
            }
        }
    }
    html(status, &page)
}

pub(super) async fn report_form(
    State(state): State<AppState>,
    crate::web::lang::Lang(tr): crate::web::lang::Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Form(form): Form<ReportForm>,
) -> Response {
    let mut page = PublicPage::new(tr);
    let amount = crate::web::page::form_value::<f64>("amount", "涉案金额", "Amount", &form.amount);
    let req = ReportRequest {
        phone: form.phone,
        identifier_kind: form.identifier_kind,
        identifier: form.identifier,
        description: form.description,
        amount: amount.as_ref().ok().copied().flatten(),
    };
    let outcome = match (limited(&state, addr), amount) {
        (Ok(()), Ok(_)) => file_report(&state, &req).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let status = match outcome {
        Ok(receipt) => {
            page.receipt = Some(if tr.is_en() {
                format!(
                    "Report received (no. {}). An officer will contact you soon. If you have transferred money, call 110 or 96110 at once to stop the payment.",
                    receipt.report_id
                )
            } else {
                receipt.message
            });
            StatusCode::CREATED
        }
        Err(e) => {
            page.report_error = Some(message(&e, &tr));
            page.report = req;
            e.code.status()
        }
    };
    html(status, &page)
}

#[derive(Debug, Deserialize, Default)]
pub struct ReportForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    identifier_kind: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    amount: String,
}
