//! The monthly report (月度工作报告): every module's figures for a month in the viewer's units,
//! with the month before beside them and a chart per module, as a printable page and as a PDF
//! the server prints with headless Chromium and archives.
//!
//! Why Chromium's print and not a typesetting library: the report is the same HTML the
//! officer previews, charts are SVG drawn by the server (no script to wait for), the CJK
//! text comes from the system's Noto CJK fonts, and no second layout engine is compiled into
//! the binary (typst would add minutes to every clean build). The cost: the server needs the
//! `chromium` package, named by `[modules.evaluation] chromium`; without it generating is
//! refused with that said, and the printable page still works.

use std::path::PathBuf;
use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ningan_core::Action;
use ningan_store::sql::{RowExt as _, query};
use ningan_store::{Db, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{EvaluationError, field};
use super::service::{self, Viewer};
use super::store::reports::{self, Archived};
use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::cockpit::monthly::{Figure, Month, MonthlyFuture, Section, bars_svg};
use crate::web::{FormState, Frame, PageResult, Tr, html};

/// `[modules.evaluation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvaluationConfig {
    /// The Chromium (or Chrome) binary that prints reports; looked up on `PATH` when bare.
    pub chromium: String,
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        EvaluationConfig { chromium: "chromium".into() }
    }
}

impl crate::config::ModuleConfig for EvaluationConfig {
    const NAME: &'static str = "evaluation";

    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.chromium.trim().is_empty() {
            return Err(("chromium", "must name the Chromium binary".into()));
        }
        Ok(())
    }
}

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::EvaluationRead);
    let manage = Access::Action(Action::EvaluationManage);
    api.add(
        Op::api(Method::GET, "/api/evaluation/reports", read, "evaluation", "月度报告存档（本单位范围）")
            .response::<Vec<Archived>>(),
        axum::routing::get(list_api),
    )
    .add(
        Op::api(Method::POST, "/api/evaluation/reports", manage, "evaluation", "生成本单位月度报告（PDF 存档）")
            .request::<GenerateInput>()
            .response::<Archived>()
            .status(201),
        axum::routing::post(generate_api),
    )
    .add(
        Op::api(Method::GET, "/api/evaluation/reports/{id}/pdf", read, "evaluation", "下载月度报告 PDF"),
        axum::routing::get(download),
    )
    .add(
        Op::api(Method::GET, "/api/evaluation/reports/figures", read, "evaluation", "某月各模块指标（本单位范围）")
            .query(&[("month", "YYYY-MM")])
            .response::<Vec<Section>>()
            .query_type::<MonthQuery>(),
        axum::routing::get(figures_api),
    )
    .add(Op::page(Method::GET, "/evaluation/reports", read, "月度报告"), axum::routing::get(list_page))
    .add(Op::page(Method::POST, "/evaluation/reports", manage, "生成月度报告"), axum::routing::post(generate_page))
    .add(Op::page(Method::GET, "/evaluation/reports/preview", read, "月度报告（打印版）"), axum::routing::get(preview))
    .add(Op::page(Method::GET, "/evaluation/reports/{id}/pdf", read, "下载月度报告"), axum::routing::get(download))
}

use axum::http::Method;

/// Evaluation's own section: the survey wave that ran in the month, answers and review
/// ratings received, security per district.
pub fn monthly<'a>(db: &'a Db, scope: &'a Scope, m: Month, tr: Tr) -> MonthlyFuture<'a> {
    Box::pin(async move {
        let viewer = Viewer::of_scope(scope);
        let now = wave_of(db, &viewer, m).await?;
        let before = wave_of(db, &viewer, m.previous()).await?;
        let head = |r: &Option<service::Results>| {
            r.as_ref().and_then(|r| r.city.clone().or_else(|| r.districts.first().cloned()))
        };
        let (h, b) = (head(&now), head(&before));
        let ratings = |m: Month| ratings_in(db, scope, m);
        let (r_now, r_before) = (ratings(m).await?, ratings(m.previous()).await?);
        let by_district: std::collections::BTreeMap<u32, i64> = now
            .as_ref()
            .map(|r| {
                r.districts
                    .iter()
                    .map(|d| (d.code, d.security.map(|s| (s.rate * 100.0).round() as i64).unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        let mut s = Section::new("evaluation", tr.pick("群众安全感与满意度", "Security and approval"))
            .figure(Figure::percent(
                tr.pick("群众安全感", "Sense of security"),
                h.as_ref().and_then(|h| h.security.map(|s| s.rate)),
                b.as_ref().and_then(|h| h.security.map(|s| s.rate)),
            ))
            .figure(Figure::percent(
                tr.pick("公安工作满意度", "Approval of the police"),
                h.as_ref().and_then(|h| h.approval.map(|s| s.rate)),
                b.as_ref().and_then(|h| h.approval.map(|s| s.rate)),
            ))
            .figure(Figure::count(
                tr.pick("测评答卷", "Survey answers"),
                h.as_ref().map(|h| h.answers).unwrap_or(0),
                b.as_ref().map(|h| h.answers).unwrap_or(0),
            ))
            .figure(Figure::count(tr.pick("民主评议评分", "Review ratings"), r_now, r_before));
        s = s.chart(tr.pick("群众安全感（按区县，%）", "Sense of security by district (%)"), &by_district, tr.is_en());
        for row in &mut s.chart {
            row.1 /= 100.0;
        }
        Ok(s)
    })
}

/// The newest wave with answers that was open during the month.
async fn wave_of(db: &Db, v: &Viewer, m: Month) -> Result<Option<service::Results>, ningan_store::StoreError> {
    let waves = super::store::surveys::waves(db, &v.scope, &v.unit_path, None).await?;
    let Some(w) = waves.into_iter().find(|w| w.answers > 0 && w.opens_at < m.to && w.closes_at > m.from) else {
        return Ok(None);
    };
    service::results(db, v, w.id).await.map(Some).map_err(|e| match e {
        EvaluationError::Store(s) => s,
        other => ningan_store::StoreError::State(other.to_string()),
    })
}

async fn ratings_in(db: &Db, scope: &Scope, m: Month) -> Result<i64, ningan_store::StoreError> {
    let (lo, hi) = scope.range();
    let day = |ms: i64| Month::of(ms);
    let first = format!("{}-01", day(m.from).key());
    let next = format!("{}-01", day(m.to).key());
    let n: i64 = query(
        "SELECT COUNT(*) AS n FROM ev_ratings x JOIN org_units u ON u.id = x.unit_id \
         WHERE u.path >= $1 AND u.path < $2 AND x.received_on >= $3 AND x.received_on < $4",
    )
    .bind(lo)
    .bind(hi)
    .bind(first)
    .bind(next)
    .fetch_one(db.reader())
    .await?
    .try_get("n")?;
    Ok(n)
}

/// Every module's section for the month, in the modules' order.
pub async fn sections(db: &Db, scope: &Scope, m: Month, tr: Tr) -> Result<Vec<Section>, ningan_store::StoreError> {
    let mut out = Vec::new();
    for p in crate::modules::ALL.iter().flat_map(|m| m.panels) {
        out.push((p.monthly)(db, scope, m, tr).await?);
    }
    Ok(out)
}

fn month_of(v: &str) -> Result<Month, EvaluationError> {
    let m = Month::parse(v).ok_or_else(|| field("month", Rule::other("月份格式应为 YYYY-MM", "a month is YYYY-MM")))?;
    if m.from > ningan_core::time::now_ms() {
        return Err(field("month", Rule::Future));
    }
    Ok(m)
}

/// A section as the page prints it: figures and the chart's SVG.
pub struct Printed {
    pub s: Section,
    pub svg: String,
}

#[derive(Template)]
#[template(path = "evaluation/report.html")]
struct ReportPage {
    tr: Tr,
    unit: String,
    month: String,
    generated: String,
    sections: Vec<Printed>,
    /// Whether drawn in the workbench (with a print button) rather than for the printer.
    screen: bool,
}

async fn render(state: &AppState, ctx: &Ctx, m: Month, tr: Tr, screen: bool) -> Result<String, ApiError> {
    let sections = sections(&state.db, &ctx.scope(), m, tr).await?;
    let page = ReportPage {
        tr,
        unit: tr.pick(&ctx.unit.name, &ctx.unit.name_en).to_string(),
        month: m.label(tr.is_en()),
        generated: ningan_core::time::format_ms(ningan_core::time::now_ms()),
        sections: sections.into_iter().map(|s| Printed { svg: bars_svg(&s.chart, tr.is_en()), s }).collect(),
        screen,
    };
    page.render().map_err(ApiError::internal)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MonthQuery {
    /// `YYYY-MM`; the month before this one when absent.
    #[schemars(regex(pattern = r"^\d{4}-\d{2}$"), extend("examples" = ["2026-10"]))]
    pub month: Option<String>,
}

fn chosen(q: Option<&str>) -> Result<Month, EvaluationError> {
    match q.map(str::trim).filter(|s| !s.is_empty()) {
        Some(v) => month_of(v),
        None => Ok(Month::of(ningan_core::time::now_ms()).previous()),
    }
}

async fn figures_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<MonthQuery>,
) -> ApiResult<axum::Json<Vec<Section>>> {
    let m = chosen(q.month.as_deref())?;
    Ok(axum::Json(sections(&state.db, &ctx.scope(), m, Tr::new(ctx.language())).await?))
}

async fn preview(State(state): State<AppState>, ctx: Ctx, Query(q): Query<MonthQuery>) -> PageResult {
    let m = chosen(q.month.as_deref()).map_err(ApiError::from)?;
    let body = render(&state, &ctx, m, Tr::new(ctx.language()), true).await?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response())
}

/// Prints `html` to PDF with headless Chromium, in a directory of its own that is removed after.
async fn print_pdf(chromium: &str, html: &str) -> Result<Vec<u8>, ApiError> {
    let dir = std::env::temp_dir().join(format!("ningan-report-{}", hex::encode(rand::random::<[u8; 8]>())));
    std::fs::create_dir_all(&dir).map_err(ApiError::internal)?;
    let result = async {
        let input = dir.join("report.html");
        let output = dir.join("report.pdf");
        std::fs::write(&input, html).map_err(ApiError::internal)?;
        let mut cmd = tokio::process::Command::new(chromium);
        cmd.arg("--headless")
            .arg("--no-sandbox")
            .arg("--disable-gpu")
            .arg("--disable-dev-shm-usage")
            .arg("--no-pdf-header-footer")
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg(format!("--print-to-pdf={}", output.display()))
            .arg(format!("file://{}", input.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let status = match tokio::time::timeout(Duration::from_secs(90), cmd.status()).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ApiError::new(
                    ErrorCode::Internal,
                    format!("服务器未安装 Chromium（{chromium}），无法生成 PDF；可打开打印版页面用浏览器打印"),
                    format!("Chromium ({chromium}) is not installed on the server, so no PDF: open the printable page and print it from the browser"),
                ));
            }
            Ok(Err(e)) => return Err(ApiError::internal(e)),
            Err(_) => return Err(ApiError::internal("chromium did not finish printing within 90 s")),
        };
        if !status.success() {
            return Err(ApiError::internal(format!("chromium exited with {status}")));
        }
        std::fs::read(&output).map_err(ApiError::internal)
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[derive(Debug, Deserialize, Serialize, JsonSchema, Default)]
pub struct GenerateInput {
    /// `YYYY-MM`, a month that has begun.
    #[schemars(regex(pattern = r"^\d{4}-(0[1-9]|1[0-2])$"), extend("examples" = ["2026-10"]))]
    pub month: String,
}

/// Generates and archives the caller's unit's report for a month.
pub async fn generate(state: &AppState, ctx: &Ctx, month: &str) -> Result<Archived, ApiError> {
    let m = month_of(month)?;
    let tr = Tr::new(ctx.language());
    let body = render(state, ctx, m, tr, false).await?;
    let cfg: EvaluationConfig = state.config.module();
    let pdf = print_pdf(&cfg.chromium, &body).await?;
    if !pdf.starts_with(b"%PDF") {
        return Err(ApiError::internal("chromium wrote something that is not a PDF"));
    }
    let digest = hex::encode(Sha256::digest(&pdf));
    let now = ningan_core::time::now_ms();
    let mut w = state.db.write().await?;
    let id = reports::insert(&mut w, &ctx.actor(), ctx.unit.id, &ctx.unit.path, &m.key(), &pdf, &digest, now).await?;
    w.commit().await?;
    Ok(reports::pdf(&state.db, &ctx.scope(), id).await?.0)
}

async fn generate_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(input): Json<GenerateInput>,
) -> ApiResult<(StatusCode, axum::Json<Archived>)> {
    Ok((StatusCode::CREATED, axum::Json(generate(&state, &ctx, &input.month).await?)))
}

async fn list_api(State(state): State<AppState>, ctx: Ctx) -> ApiResult<axum::Json<Vec<Archived>>> {
    Ok(axum::Json(reports::list(&state.db, &ctx.scope()).await?))
}

async fn download(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> ApiResult<Response> {
    let (a, pdf) = reports::pdf(&state.db, &ctx.scope(), id).await?;
    let name = format!("ningan-report-{}-{}.pdf", a.month, a.unit_id);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        pdf,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "evaluation/reports.html")]
struct ListPage {
    frame: Frame,
    reports: Vec<Archived>,
    may_generate: bool,
    form: FormState,
    default_month: String,
}

async fn list_view(state: &AppState, ctx: &Ctx, form: Option<FormState>) -> PageResult<ListPage> {
    let frame = Frame::for_principal(ctx).crumb("/evaluation/reports", "nav.reports");
    Ok(ListPage {
        reports: reports::list(&state.db, &ctx.scope()).await?,
        may_generate: ctx.may(Action::EvaluationManage),
        form: form.unwrap_or_else(|| FormState::new(frame.tr)),
        default_month: Month::of(ningan_core::time::now_ms()).previous().key(),
        frame,
    })
}

async fn list_page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let page = list_view(&state, &ctx, None).await?;
    Ok(html(StatusCode::OK, &page))
}

async fn generate_page(State(state): State<AppState>, ctx: Ctx, Form(f): Form<GenerateInput>) -> PageResult<Response> {
    match generate(&state, &ctx, &f.month).await {
        Ok(_) => Ok(Redirect::to("/evaluation/reports").into_response()),
        Err(e) => {
            let form = FormState::new(Tr::new(ctx.language())).with_values(&f).refused(&e, &["month"]);
            let page = list_view(&state, &ctx, Some(form)).await?;
            Ok(html(page.form.status(), &page))
        }
    }
}

/// Where a bare binary name would be found, for the start-up log.
pub fn chromium_path(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(name);
    if p.is_absolute() {
        return p.exists().then_some(p);
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|c| c.exists()))
}
