//! What the public reaches without signing in: the form behind a one-time link (a survey's
//! questionnaire or a review round's rating, made for phones, one answer per link) and the
//! scenarios catalogue. Answers carry no name, number or address; lookups are limited per
//! client address.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use ningan_core::DISTRICTS;
use ningan_core::survey::{AgeBand, Kind, Question, Sex};
use schemars::JsonSchema;
use serde::Serialize;

use super::EvaluationState;
use super::error::EvaluationError;
use super::reviews::{self, RatingInput};
use super::service::{self, AnswerInput, Opened};
use super::store::reviews as review_store;
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::json::{Json, Path};
use crate::web::{FormState, Tr, html};

fn limited(ev: &EvaluationState, addr: SocketAddr) -> Result<(), ApiError> {
    if ev.limiter.admit(addr.ip()) {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::TooManyAttempts, "请求过于频繁，请稍后再试", "too many requests: try again later"))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkDto {
    /// survey | review
    pub kind: String,
    pub title: String,
    pub district: String,
    /// The questions, for a survey.
    pub questions: Vec<Question>,
    /// The units to rate, for a review: `(id, name, English name)`.
    pub units: Vec<(i64, String, String)>,
    pub closes_at: String,
}

fn district_name(code: i64, en: bool) -> String {
    DISTRICTS.iter().find(|d| d.code as i64 == code).map(|d| if en { d.name_en } else { d.name }).unwrap_or("").into()
}

async fn describe(state: &AppState, opened: &Opened, en: bool) -> ApiResult<LinkDto> {
    Ok(match opened {
        Opened::Wave(b) => {
            let (link, wave, version) = &**b;
            let q = super::store::surveys::questionnaire_get(
                &state.db,
                &ningan_store::Scope::subtree(&wave.unit_path),
                &wave.unit_path,
                wave.questionnaire_id,
            )
            .await?;
            LinkDto {
                kind: "survey".into(),
                title: if en { q.title_en } else { q.title },
                district: district_name(link.district, en),
                questions: version.questions.clone(),
                units: Vec::new(),
                closes_at: ningan_core::time::rfc3339_ms(wave.closes_at),
            }
        }
        Opened::Round(link, round) => LinkDto {
            kind: "review".into(),
            title: round.name.clone(),
            district: district_name(link.district, en),
            questions: Vec::new(),
            units: review_store::standings(&state.db, round.id)
                .await?
                .into_iter()
                .map(|s| (s.unit_id, s.name, s.name_en))
                .collect(),
            closes_at: ningan_core::time::rfc3339_ms(round.closes_at),
        },
    })
}

pub async fn link_api(
    State(state): State<AppState>,
    State(ev): State<EvaluationState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<LinkDto>> {
    limited(&ev, addr)?;
    let opened = service::open_link(&state, &token).await?;
    Ok(axum::Json(describe(&state, &opened, false).await?))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Thanks {
    pub message: String,
}

fn thanks() -> Thanks {
    Thanks {
        message: "感谢您的参与！您的回答不记录姓名和号码。 / Thank you: your answers record no name or number.".into(),
    }
}

pub async fn answer_api(
    State(state): State<AppState>,
    State(ev): State<EvaluationState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    Json(input): Json<AnswerInput>,
) -> ApiResult<(StatusCode, axum::Json<Thanks>)> {
    limited(&ev, addr)?;
    service::answer_by_link(&state, &token, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(thanks())))
}

pub async fn rating_api(
    State(state): State<AppState>,
    State(ev): State<EvaluationState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    Json(input): Json<RatingInput>,
) -> ApiResult<(StatusCode, axum::Json<Thanks>)> {
    limited(&ev, addr)?;
    reviews::rate_by_link(&state, &token, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(thanks())))
}

/// A question as the form draws it.
pub struct Field {
    pub name: String,
    pub q: Question,
    pub kind: &'static str,
    pub labels: Vec<(u32, String)>,
}

#[derive(Template)]
#[template(path = "evaluation/public_form.html")]
struct FormPage {
    tr: Tr,
    token: String,
    /// Set when the link cannot take an answer (used, closed, unknown).
    stop: Option<String>,
    done: bool,
    link: Option<LinkDto>,
    fields: Vec<Field>,
    sexes: Vec<(&'static str, &'static str)>,
    bands: Vec<(&'static str, &'static str)>,
    form: FormState,
    /// Choices ticked on a multiple-choice question that came back refused.
    ticked: Vec<(String, String)>,
}

impl FormPage {
    fn is_ticked(&self, name: &str, v: &u32) -> bool {
        let v = v.to_string();
        self.ticked.iter().any(|(n, x)| n == name && *x == v)
    }
}

/// The questions as the form draws them, in the reader's language.
pub fn fields_of(questions: &[Question], tr: Tr) -> Vec<Field> {
    questions
        .iter()
        .map(|q| {
            let kind = match Kind::parse(&q.kind) {
                Some(Kind::Single) => "single",
                Some(Kind::Multi) => "multi",
                Some(Kind::Scale) => "scale",
                _ => "text",
            };
            let (zh, en) = if kind == "scale" { (&q.scale, &q.scale_en) } else { (&q.options, &q.options_en) };
            let shown = if tr.is_en() && en.len() == zh.len() { en } else { zh };
            let mut q = q.clone();
            if tr.is_en() && !q.text_en.is_empty() {
                q.text = q.text_en.clone();
            }
            Field {
                name: format!("q.{}", q.key),
                labels: shown.iter().enumerate().map(|(i, l)| (i as u32 + 1, l.clone())).collect(),
                kind,
                q,
            }
        })
        .collect()
}

fn stop_message(e: &EvaluationError, tr: Tr) -> (StatusCode, String) {
    match e {
        EvaluationError::LinkUsed => (
            StatusCode::GONE,
            tr.pick(
                "此链接已使用。每个链接只能提交一次，感谢您的参与。",
                "This link has been used: each link takes one answer. Thank you for taking part.",
            )
            .into(),
        ),
        EvaluationError::NotOpen => (
            StatusCode::GONE,
            tr.pick(
                "本次测评不在进行中（尚未开始或已经结束）。",
                "This survey is not open (not yet started, or over).",
            )
            .into(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            tr.pick("链接无效，请核对短信中的链接。", "This link is not valid: check the one in your message.").into(),
        ),
    }
}

fn page(tr: Tr, token: &str) -> FormPage {
    FormPage {
        tr,
        token: token.into(),
        stop: None,
        done: false,
        link: None,
        fields: Vec::new(),
        sexes: Sex::ALL.iter().map(|s| (s.as_str(), s.label(tr.is_en()))).collect(),
        bands: AgeBand::ALL.iter().map(|a| (a.as_str(), a.label(tr.is_en()))).collect(),
        form: FormState::new(tr),
        ticked: Vec::new(),
    }
}

async fn opened_page(state: &AppState, tr: Tr, token: &str) -> (StatusCode, FormPage, Option<Opened>) {
    let mut p = page(tr, token);
    match service::open_link(state, token).await {
        Ok(opened) => match describe(state, &opened, tr.is_en()).await {
            Ok(dto) => {
                p.fields = fields_of(&dto.questions, tr);
                p.link = Some(dto);
                (StatusCode::OK, p, Some(opened))
            }
            Err(_) => {
                p.stop = Some(tr.pick("暂时无法打开，请稍后再试。", "Cannot open it now: try again later.").into());
                (StatusCode::SERVICE_UNAVAILABLE, p, None)
            }
        },
        Err(e) => {
            let (status, text) = stop_message(&e, tr);
            p.stop = Some(text);
            (status, p, None)
        }
    }
}

pub async fn form(
    State(state): State<AppState>,
    State(ev): State<EvaluationState>,
    crate::web::lang::Lang(tr): crate::web::lang::Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
) -> Response {
    if let Err(e) = limited(&ev, addr) {
        let mut p = page(tr, &token);
        p.stop = Some(tr.pick(&e.detail_zh, &e.detail_en).to_string());
        return html(StatusCode::TOO_MANY_REQUESTS, &p);
    }
    let (status, p, _) = opened_page(&state, tr, &token).await;
    html(status, &p)
}

pub async fn submit(
    State(state): State<AppState>,
    State(ev): State<EvaluationState>,
    crate::web::lang::Lang(tr): crate::web::lang::Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(e) = limited(&ev, addr) {
        let mut p = page(tr, &token);
        p.stop = Some(tr.pick(&e.detail_zh, &e.detail_en).to_string());
        return html(StatusCode::TOO_MANY_REQUESTS, &p);
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (status, mut p, opened) = opened_page(&state, tr, &token).await;
    let Some(opened) = opened else { return html(status, &p) };
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let outcome = match &opened {
        Opened::Wave(b) => {
            let answers = super::pages::answers_of(&b.2.questions, &pairs);
            let input = AnswerInput { district: None, sex: one("sex"), age_band: one("age_band"), answers };
            service::answer_by_link(&state, &token, &input).await
        }
        Opened::Round(..) => {
            let unit = one("unit_id").parse().map_err(|_| {
                super::error::field(
                    "unit_id",
                    crate::http::rule::Rule::other("请选择评议单位", "choose the unit you rate"),
                )
            });
            let score =
                one("score").parse().map_err(|_| super::error::field("score", crate::http::rule::Rule::Range(1, 5)));
            match (unit, score) {
                (Ok(unit_id), Ok(score)) => {
                    let input = RatingInput { unit_id, score, comment: Some(one("comment")) };
                    reviews::rate_by_link(&state, &token, &input).await
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
    };
    match outcome {
        Ok(()) => {
            p.done = true;
            html(StatusCode::CREATED, &p)
        }
        Err(e @ (EvaluationError::LinkUsed | EvaluationError::NotOpen)) => {
            let (status, text) = stop_message(&e, tr);
            p.stop = Some(text);
            p.link = None;
            html(status, &p)
        }
        Err(e) => {
            let mut names: Vec<String> = p.fields.iter().map(|f| f.name.clone()).collect();
            names.extend(["sex", "age_band", "unit_id", "score", "comment"].map(String::from));
            // Answer errors name the question's key; the form's field is `q.<key>`.
            let mut err = ApiError::from(e);
            let questions: Vec<Question> = p.fields.iter().map(|f| f.q.clone()).collect();
            super::pages::form_fields(&mut err, &questions);
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let values: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            p.ticked = pairs;
            p.form = FormState::new(tr).with_values(&values).refused(&err, &refs);
            html(p.form.status(), &p)
        }
    }
}

#[derive(Template)]
#[template(path = "evaluation/public_scenarios.html")]
struct ScenariosPage {
    tr: Tr,
    scenarios: Vec<super::store::scenarios::Scenario>,
    live: usize,
}

impl ScenariosPage {
    fn status(&self, s: &str) -> &'static str {
        super::scenarios::status_label(s, self.tr.is_en())
    }
    fn module(&self, m: &str) -> &'static str {
        super::texts::module_label(m, self.tr.is_en())
    }
}

/// The catalogue, public: anyone can count the scenarios the bureau names.
pub async fn scenarios_page(
    State(state): State<AppState>,
    crate::web::lang::Lang(tr): crate::web::lang::Lang,
) -> Response {
    match super::store::scenarios::list(&state.db, None).await {
        Ok(scenarios) => {
            let live = scenarios.iter().filter(|s| s.status == "live").count();
            html(StatusCode::OK, &ScenariosPage { tr, scenarios, live })
        }
        Err(e) => axum::response::IntoResponse::into_response(crate::web::PageError::from(e)),
    }
}
