//! Smart gates (小门无感智控): gates of residential compounds, resident passes signed with
//! the bureau's Ed25519 key (a QR code, verifiable offline), and the check a gate asks for.
//! The check decides from memory only (the registry); the pass itself is recorded in the
//! tracing engine by a background writer that groups passes into one durable batch.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use ningan_core::gate::{Attempt, Direction, PersonStatus, Verdict, decide};
use ningan_core::pass::Pass;
use ningan_store::PageRequest;
use ningan_trace::{Observation, SpaceKind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::registry::GATE_SPACE_BASE;
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::ListQuery;
use crate::modules::precise::error::{PreciseError, refuse};
use crate::modules::precise::tracing::tracer::{Tracer, blocking, engine_id, now_s};

/// How long a resident pass is valid.
pub const PASS_DAYS: u32 = 30;

#[derive(Debug, Serialize, JsonSchema)]
pub struct GateDto {
    pub id: i64,
    pub compound_id: i64,
    pub compound_name: String,
    pub name: String,
    pub unit_id: i64,
    pub lon: f64,
    pub lat: f64,
    /// The strictest control zone the gate stands in: none | precaution | controlled | sealed.
    pub zone: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewGateRequest {
    pub compound_id: i64,
    #[schemars(length(min = 1, max = 60), regex(pattern = r"\S"))]
    pub name: String,
    /// Where the gate stands, when not at the compound's point.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

pub(super) fn gate_dto(state: &AppState, g: ningan_store::Gate) -> GateDto {
    let zone = state.precise.registry.gate(g.id).map(|e| e.zone.as_str()).unwrap_or("none");
    GateDto {
        id: g.id,
        compound_id: g.compound_id,
        compound_name: g.compound_name,
        name: g.name,
        unit_id: g.unit_id,
        lon: g.location[0],
        lat: g.location[1],
        zone: zone.into(),
    }
}

pub(super) async fn gate_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<PageDto<GateDto>>> {
    state.precise.registry.ensure_loaded(&state.db).await?;
    let page = state.db.gate_search(&ctx.scope(), PageRequest::new(q.page, q.per_page)).await?;
    Ok(axum::Json(PageDto::from_page(page, |g| gate_dto(&state, g))))
}

pub(super) async fn gate_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<NewGateRequest>,
) -> ApiResult<(StatusCode, axum::Json<GateDto>)> {
    Ok((StatusCode::CREATED, axum::Json(create_gate(&state, &ctx, &req).await?)))
}

/// Registers a compound's gate and puts it in the registry the gate checks read, for the
/// API and the page.
pub async fn create_gate(state: &AppState, ctx: &Ctx, req: &NewGateRequest) -> ApiResult<GateDto> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(refuse("name", Rule::RequiredUpTo(60)));
    }
    let location = match (req.lon, req.lat) {
        (Some(lon), Some(lat)) if crate::modules::precise::tracing::venues::in_ningbo(lon, lat) => Some([lon, lat]),
        (None, None) => None,
        _ => return Err(refuse("lon", Rule::OutsideCity)),
    };
    state.precise.registry.ensure_loaded(&state.db).await?;
    let mut w = state.db.write().await?;
    let id = w.gate_insert(&ctx.actor(), &ctx.scope(), req.compound_id, name, location).await.map_err(|e| match e {
        ningan_store::StoreError::Invalid(_) => refuse("compound_id", Rule::NotInScope),
        other => other.into(),
    })?;
    w.commit().await?;
    let g = state.db.gate_get(&ctx.scope(), id).await?;
    state.precise.registry.put_gate(&g);
    Ok(gate_dto(state, g))
}

#[derive(askama::Template)]
#[template(path = "precise/gates.html")]
struct GatesPage {
    frame: crate::web::Frame,
    rows: Vec<GateDto>,
    pager: crate::web::Pager,
    compounds: Vec<(i64, String)>,
    may_manage: bool,
    form: crate::web::FormState,
}

/// A zone level in the page's language.
pub fn zone_label(tr: &crate::web::Tr, zone: &str) -> &'static str {
    match zone {
        "sealed" => tr.pick("封控区", "Sealed"),
        "controlled" => tr.pick("管控区", "Controlled"),
        "precaution" => tr.pick("防范区", "Precaution"),
        _ => tr.pick("不在管控区域", "Not in a zone"),
    }
}

async fn gates_view(
    state: &AppState,
    ctx: &Ctx,
    page_no: Option<i64>,
    form: Option<crate::web::FormState>,
) -> crate::web::PageResult {
    state.precise.registry.ensure_loaded(&state.db).await?;
    let page = state.db.gate_search(&ctx.scope(), PageRequest::new(page_no, Some(50))).await?;
    let pager = crate::web::Pager::new("/precise/gates", &[], &page);
    let rows = page.items.into_iter().map(|g| gate_dto(state, g)).collect();
    let may_manage = ctx.may(ningan_core::Action::GateManage);
    let compounds = if may_manage {
        state
            .db
            .compounds_with_counts(&ctx.scope())
            .await?
            .into_iter()
            .take(1000)
            .map(|(c, _)| (c.id, c.name))
            .collect()
    } else {
        Vec::new()
    };
    let frame = crate::web::Frame::for_principal(ctx).crumb("/precise/gates", "nav.gates");
    let form = form.unwrap_or_else(|| crate::web::FormState::new(frame.tr));
    let status = form.status();
    Ok(crate::web::html(status, &GatesPage { frame, rows, pager, compounds, may_manage, form }))
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct GatesQuery {
    page: Option<String>,
}

pub(super) async fn gates_page(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<GatesQuery>,
) -> crate::web::PageResult {
    gates_view(&state, &ctx, crate::web::page::opt_i64(&q.page), None).await
}

#[derive(Debug, Deserialize, Serialize, Default)]
pub(super) struct GateForm {
    #[serde(default)]
    compound_id: String,
    #[serde(default)]
    name: String,
}

pub(super) async fn gate_form(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(form): axum::Form<GateForm>,
) -> crate::web::PageResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let created = match crate::web::page::form_required("compound_id", "小区", "Compound", &form.compound_id) {
        Ok(compound_id) => {
            create_gate(&state, &ctx, &NewGateRequest { compound_id, name: form.name.clone(), lon: None, lat: None })
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(_) => Ok(axum::response::Redirect::to("/precise/gates").into_response()),
        Err(e) if e.code.status().is_client_error() && e.code.status() != StatusCode::NOT_FOUND => {
            let refused = crate::web::FormState::new(crate::web::Tr::new(ctx.language()))
                .with_values(&form)
                .refused(&e, &["compound_id", "name"]);
            gates_view(&state, &ctx, None, Some(refused)).await.map(IntoResponse::into_response)
        }
        Err(e) => Err(crate::web::PageError::from(e).framed(&ctx)),
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PassKeyDto {
    pub algorithm: &'static str,
    /// The Ed25519 public key, URL-safe base64 without padding.
    pub public_key: String,
    /// How a pass token is laid out, for gates that verify offline.
    pub layout: &'static str,
}

pub(super) async fn pass_key(State(state): State<AppState>) -> ApiResult<axum::Json<PassKeyDto>> {
    let key = state.precise.registry.signing_key(&state.db).await?;
    Ok(axum::Json(PassKeyDto {
        algorithm: "Ed25519",
        public_key: ningan_core::pass::public_key_b64(&key.verifying_key()),
        layout: "base64url(version u8=1 | person u32le | compound i64le | issued u32le | expires u32le | signature[64] over the first 21 bytes)",
    }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PassDto {
    /// Show as a QR code; gates verify it with the public key.
    pub token: String,
    pub compound_id: i64,
    pub expires_at: String,
    /// The token as an SVG QR code.
    pub qr_svg: String,
}

/// Signs a pass for a resident of a compound in the caller's scope.
pub async fn issue_pass(state: &AppState, ctx: &Ctx, resident_id: i64) -> ApiResult<PassDto> {
    let mut w = state.db.write().await?;
    let r = w.resident_get(&ctx.actor(), &ctx.scope(), resident_id, None).await?;
    w.commit().await?;
    let compound = r.compound_id.ok_or(PreciseError::NoCompound)?;
    let key = state.precise.registry.signing_key(&state.db).await?;
    let now = now_s();
    let pass = Pass { person: engine_id(resident_id)?, compound, issued: now, expires: now + PASS_DAYS * 86_400 };
    let token = pass.sign(key);
    let qr = qrcode::QrCode::new(token.as_bytes()).map_err(ApiError::internal)?;
    let qr_svg = qr.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
    let mut w = state.db.write().await?;
    let detail = format!("compound {compound}, {PASS_DAYS} days");
    w.audit(ctx.actor().audit("pass.issue", "resident", resident_id, Some(resident_id), None, &detail)).await?;
    w.commit().await?;
    Ok(PassDto { token, compound_id: compound, expires_at: ts(i64::from(pass.expires) * 1000), qr_svg })
}

pub(super) async fn pass_issue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, axum::Json<PassDto>)> {
    Ok((StatusCode::CREATED, axum::Json(issue_pass(&state, &ctx, id).await?)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckRequest {
    /// The pass token read from the QR code.
    pub pass: String,
    /// in | out
    #[schemars(extend("enum" = ["in", "out"]))]
    pub direction: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckResponse {
    /// allow | deny | verify (a guard checks in person)
    pub verdict: &'static str,
    /// pass_malformed | pass_signature | pass_expired | pass_not_yet_valid | status_case |
    /// status_close_contact | status_secondary | zone_sealed | zone_controlled | visitor | ok
    pub reason: &'static str,
    pub reason_zh: &'static str,
}

pub fn reason_zh(reason: &str) -> &'static str {
    match reason {
        "pass_malformed" => "通行码无法识别",
        "pass_signature" => "通行码无效（签名不符）",
        "pass_expired" => "通行码已过期，请人工核验",
        "pass_not_yet_valid" => "通行码尚未生效，请人工核验",
        "status_case" => "病例，禁止通行，请立即报告",
        "status_close_contact" => "密接人员，须落实隔离",
        "status_secondary" => "次密接人员，外出须人工核验",
        "zone_sealed" => "封控区，足不出户",
        "zone_controlled" => "管控区，人不出区",
        "visitor" => "非本小区居民，请登记",
        "ok" => "通行",
        _ => "",
    }
}

/// Gate passes waiting to be recorded; the writer folds them into one engine batch.
pub struct PassRecorder {
    tx: mpsc::Sender<Observation>,
    /// Passes taken and not yet logged, so a stopping server can wait for them.
    pending: Arc<std::sync::atomic::AtomicUsize>,
}

impl PassRecorder {
    /// Starts the writer: it wakes on the first pass, waits briefly for more, and logs them
    /// as one durable batch.
    pub fn start(tracer: Arc<Tracer>) -> PassRecorder {
        let (tx, mut rx) = mpsc::channel::<Observation>(65_536);
        let pending = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let done = pending.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(4096);
            while let Some(first) = rx.recv().await {
                batch.push(first);
                tokio::time::sleep(Duration::from_millis(50)).await;
                while batch.len() < 16_384 {
                    match rx.try_recv() {
                        Ok(o) => batch.push(o),
                        Err(_) => break,
                    }
                }
                let chunk = std::mem::take(&mut batch);
                let n = chunk.len();
                let mut spaces: Vec<(u32, SpaceKind)> = chunk.iter().map(|o| (o.space, SpaceKind::Gate)).collect();
                spaces.sort_unstable();
                spaces.dedup();
                let write = move |t: &Tracer| {
                    t.ensure_spaces(&spaces)?;
                    t.ingest(&chunk)
                };
                if let Err(e) = blocking(&tracer, write).await {
                    tracing::error!(error = %e, passes = n, "recording gate passes failed");
                }
                done.fetch_sub(n, std::sync::atomic::Ordering::AcqRel);
            }
        });
        PassRecorder { tx, pending }
    }

    fn record(&self, o: Observation) {
        self.pending.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        // A full queue means the disk is far behind: the decision still stands.
        if self.tx.try_send(o).is_err() {
            self.pending.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            tracing::warn!("gate pass queue full; a pass was not recorded");
        }
    }

    /// Waits until every pass taken so far is logged, or `within` has passed; the passes
    /// still waiting then.
    pub async fn flush(&self, within: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = self.pending.load(std::sync::atomic::Ordering::Acquire);
            if left == 0 || tokio::time::Instant::now() >= deadline {
                return left;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub(super) async fn gate_check(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<CheckRequest>,
) -> ApiResult<axum::Json<CheckResponse>> {
    let direction = match req.direction.as_str() {
        "in" => Direction::In,
        "out" => Direction::Out,
        _ => return Err(refuse("direction", Rule::one_of("in（进）或 out（出）", &["in", "out"]))),
    };
    state.precise.registry.ensure_loaded(&state.db).await?;
    let gate = state.precise.registry.gate(id).filter(|g| ctx.scope().contains(&g.unit_path));
    let gate = gate.ok_or_else(|| ApiError::plain(ErrorCode::NotFound))?;
    let key = state.precise.registry.signing_key(&state.db).await?.verifying_key();
    let now = now_s();
    let pass = state.precise.registry.open_pass(&req.pass, &key);
    let status = pass.map(|p| state.precise.registry.status(p.person)).unwrap_or(PersonStatus::Normal);
    let decision = decide(&Attempt { pass, now, status, zone: gate.zone, gate_compound: gate.compound_id, direction });
    // Gates past the id range the engine reserves for them are decided but not traced.
    let space = u32::try_from(id)
        .ok()
        .and_then(|g| GATE_SPACE_BASE.checked_add(g))
        .filter(|s| *s < ningan_trace::grid::CELL_BIT);
    if let (Ok(p), true, Some(space)) = (pass, decision.verdict != Verdict::Deny, space) {
        state.precise.pass_recorder.record(Observation { person: p.person, space, start: now, end: None });
    }
    Ok(axum::Json(CheckResponse {
        verdict: decision.verdict.as_str(),
        reason: decision.reason,
        reason_zh: reason_zh(decision.reason),
    }))
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use crate::http::dto::PageDto;
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(Method::GET, "/api/gates", Access::Action(Action::VenueRead), "precise", "小区门岗")
            .query(&[("page", "页码")])
            .response::<PageDto<GateDto>>()
            .query_type::<ListQuery>(),
        get(gate_list),
    )
    .add(Op::page(Method::GET, "/precise/gates", Access::Action(Action::VenueRead), "小区门岗"), get(gates_page))
    .add(Op::page(Method::POST, "/precise/gates", Access::Action(Action::GateManage), "登记小区门岗"), post(gate_form))
    .add(
        Op::api(Method::POST, "/api/gates", Access::Action(Action::GateManage), "precise", "登记小区门岗")
            .request::<NewGateRequest>()
            .response::<GateDto>()
            .status(201),
        post(gate_create),
    )
    .add(
        Op::api(Method::GET, "/api/gates/pass-key", Access::SignedIn, "precise", "通行码验签公钥（门岗离线核验）")
            .response::<PassKeyDto>(),
        get(pass_key),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/gates/{id}/check",
            Access::Action(Action::GateCheck),
            "precise",
            "门岗核验通行码：放行、拒绝或人工核验",
        )
        .request::<CheckRequest>()
        .response::<CheckResponse>(),
        post(gate_check),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/residents/{id}/pass",
            Access::Action(Action::PassIssue),
            "precise",
            "为居民签发通行码（二维码）",
        )
        .response::<PassDto>()
        .status(201),
        post(pass_issue),
    )
}
