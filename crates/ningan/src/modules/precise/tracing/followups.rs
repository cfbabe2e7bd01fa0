//! Contacts as follow-up tasks: confirming an investigation makes each contact a task for the
//! station of the person's residence (and tells what changed since the last run); stations
//! move tasks notified → transferred → in quarantine → released. Every move updates the
//! person's status for the gates at once.

use axum::extract::State;
use ningan_store::{ConfirmReport, FOLLOWUP_STATUSES, Followup, FoundContact, PageRequest};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::cases::run_investigation;
use crate::app::AppState;
use crate::http::dto::{PageDto, ts};
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path, Query};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;
use crate::modules::precise::error::refuse;

/// The tiers a follow-up is for.
const FOLLOWUP_TIERS: &[&str] = &["close", "secondary"];

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConfirmDto {
    pub added_close: u64,
    pub added_secondary: u64,
    pub updated: u64,
    pub promoted: u64,
    pub unchanged: u64,
    /// Visitors among the contacts made tasks at the stations where they stay, and those
    /// already tasks updated.
    pub added_visitors: u64,
    pub updated_visitors: u64,
    /// The rule the investigation ran under.
    pub rule: String,
}

pub fn status_zh(s: &str) -> &'static str {
    ningan_core::labels::zh(ningan_core::labels::FOLLOWUP_STATUS, s)
}

/// Runs the case's investigation and makes its contacts follow-up tasks.
pub async fn confirm_contacts(state: &AppState, ctx: &Ctx, case_id: i64) -> ApiResult<(Confirmed, String)> {
    let (_, inv) = run_investigation(state, ctx, case_id, None, None).await?;
    // Tasks are for register entries (visitors matched to one count as it); the engine's
    // other people are left to the list.
    let people: Vec<u32> = inv
        .close
        .iter()
        .map(|c| c.person)
        .chain(inv.secondary.iter().flat_map(|s| [s.contact.person, s.via]))
        .collect();
    let who = super::cellstays::who(state, &people).await?;
    let resident = |p: u32| match who.get(&p) {
        Some(super::cellstays::Who::Resident(r)) => Some(*r),
        _ => None,
    };
    let mut found: Vec<FoundContact> = inv
        .close
        .iter()
        .filter_map(|c| {
            Some(FoundContact {
                resident_id: resident(c.person)?,
                tier: "close",
                via_resident_id: None,
                overlap_s: i64::from(c.total_overlap),
                first_exposure: i64::from(c.first_exposure),
                last_exposure: i64::from(c.last_exposure),
            })
        })
        .collect();
    found.extend(inv.secondary.iter().filter_map(|s| {
        Some(FoundContact {
            resident_id: resident(s.contact.person)?,
            tier: "secondary",
            via_resident_id: resident(s.via),
            overlap_s: i64::from(s.contact.total_overlap),
            first_exposure: i64::from(s.contact.first_exposure),
            last_exposure: i64::from(s.contact.last_exposure),
        })
    }));
    let visitor = |p: u32| match who.get(&p) {
        Some(super::cellstays::Who::Visitor(v)) => Some(*v),
        _ => None,
    };
    let visitors: Vec<super::visitor_followups::FoundVisitor> = inv
        .close
        .iter()
        .map(|c| (c, "close"))
        .chain(inv.secondary.iter().map(|s| (&s.contact, "secondary")))
        .filter_map(|(c, tier)| {
            Some(super::visitor_followups::FoundVisitor {
                visitor_id: visitor(c.person)?,
                tier,
                overlap_s: i64::from(c.total_overlap),
                first_exposure: i64::from(c.first_exposure),
                last_exposure: i64::from(c.last_exposure),
            })
        })
        .collect();
    let mut w = state.db.write().await?;
    let report = w.followups_confirm(&ctx.actor(), case_id, &found).await?;
    let (added_visitors, updated_visitors) = super::visitor_followups::confirm(&mut w, case_id, &visitors).await?;
    if !visitors.is_empty() {
        let detail = format!("visitors: {added_visitors} added, {updated_visitors} updated");
        w.audit(ctx.actor().audit("followup.confirm.visitors", "epi_case", case_id, None, None, &detail)).await?;
    }
    w.commit().await?;
    let people: Vec<i64> = found.iter().map(|c| c.resident_id).collect();
    state.precise.registry.refresh_people(&state.db, &people).await?;
    Ok((Confirmed { report, added_visitors, updated_visitors }, inv.rule.version))
}

/// What confirming changed: residents' follow-ups and visitors' tasks.
pub struct Confirmed {
    pub report: ConfirmReport,
    pub added_visitors: u64,
    pub updated_visitors: u64,
}

pub(super) async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<ConfirmDto>> {
    let (c, rule) = confirm_contacts(&state, &ctx, id).await?;
    let r = c.report;
    Ok(axum::Json(ConfirmDto {
        added_close: r.added_close,
        added_secondary: r.added_secondary,
        updated: r.updated,
        promoted: r.promoted,
        unchanged: r.unchanged,
        added_visitors: c.added_visitors,
        updated_visitors: c.updated_visitors,
        rule,
    }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FollowupDto {
    pub id: i64,
    pub case_id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    /// close | secondary
    pub tier: String,
    pub via_resident_id: Option<i64>,
    /// notified | transferred | quarantined | released
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    pub overlap_s: i64,
    pub first_exposure: String,
    pub last_exposure: String,
    pub note: String,
    /// The station of the person's residence, which works the task.
    pub unit_id: i64,
    pub updated_at: String,
}

impl From<Followup> for FollowupDto {
    fn from(f: Followup) -> Self {
        FollowupDto {
            status_zh: status_zh(&f.status).into(),
            status_en: ningan_core::labels::en(ningan_core::labels::FOLLOWUP_STATUS, &f.status).into(),
            id: f.id,
            case_id: f.case_id,
            resident_id: f.resident_id,
            resident_name: f.resident_name,
            tier: f.tier,
            via_resident_id: f.via_resident_id,
            status: f.status,
            overlap_s: f.overlap_s,
            first_exposure: ts(f.first_exposure * 1000),
            last_exposure: ts(f.last_exposure * 1000),
            note: f.note,
            unit_id: f.unit_id,
            updated_at: ts(f.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(super) struct FollowupQuery {
    #[schemars(extend("enum" = FOLLOWUP_STATUSES))]
    status: Option<String>,
    case_id: Option<i64>,
    #[schemars(extend("enum" = FOLLOWUP_TIERS))]
    tier: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The store's query from a list's filters, or the field that is wrong. Empty means any.
pub fn followup_query(
    status: Option<&str>,
    case_id: Option<i64>,
    tier: Option<&str>,
) -> Result<ningan_store::FollowupQuery, ApiError> {
    let given = |o: Option<&str>| o.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let status = given(status);
    if let Some(s) = &status
        && !FOLLOWUP_STATUSES.contains(&s.as_str())
    {
        return Err(refuse("status", Rule::one_of("已通知、已转运、隔离中或已解除", FOLLOWUP_STATUSES)));
    }
    let tier = given(tier);
    if let Some(t) = &tier
        && !FOLLOWUP_TIERS.contains(&t.as_str())
    {
        return Err(refuse("tier", Rule::one_of("密接或次密接", FOLLOWUP_TIERS)));
    }
    if case_id.is_some_and(|c| c < 1) {
        return Err(refuse("case_id", Rule::Range(1, i64::MAX)));
    }
    Ok(ningan_store::FollowupQuery { status, case_id, tier })
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FollowupQuery>,
) -> ApiResult<axum::Json<PageDto<FollowupDto>>> {
    let query = followup_query(q.status.as_deref(), q.case_id, q.tier.as_deref())?;
    let mut w = state.db.write().await?;
    let page = w.followup_search(&ctx.actor(), &ctx.scope(), &query, PageRequest::new(q.page, q.per_page)).await?;
    w.commit().await?;
    Ok(axum::Json(PageDto::from_page(page, FollowupDto::from).capped_at(ningan_store::FOLLOWUP_COUNT_CAP)))
}

/// The most follow-ups one bulk move takes: the largest page a list shows.
pub const BULK_MAX: usize = 200;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BulkStatusRequest {
    /// The follow-ups to move (at most 200).
    #[schemars(length(min = 1))]
    pub ids: Vec<i64>,
    /// transferred | quarantined | released
    #[schemars(extend("enum" = FOLLOWUP_STATUSES))]
    pub status: String,
    pub note: Option<String>,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct BulkRefusal {
    pub id: i64,
    pub message: String,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct BulkReport {
    /// The follow-ups moved.
    pub moved: Vec<i64>,
    /// The ones left as they were, each with why (not in scope, not a step forward).
    pub refused: Vec<BulkRefusal>,
}

/// Moves each follow-up on its own (one refusal does not hold back the rest), each move
/// checked and audited as a single one is.
pub async fn change_status_many(
    state: &AppState,
    ctx: &Ctx,
    ids: &[i64],
    status: &str,
    note: &str,
) -> ApiResult<BulkReport> {
    if ids.is_empty() {
        return Err(refuse("ids", Rule::other("请先勾选要处理的人员", "select at least one person")));
    }
    if ids.len() > BULK_MAX {
        return Err(refuse(
            "ids",
            Rule::other(format!("一次最多处理{BULK_MAX}人"), format!("at most {BULK_MAX} people at a time")),
        ));
    }
    // What is wrong with the request itself is wrong for every row: refused as a whole.
    check_step(status, note)?;
    let en = ctx.language() == "en";
    let mut seen = std::collections::BTreeSet::new();
    let mut report = BulkReport::default();
    for &id in ids.iter().filter(|id| seen.insert(**id)) {
        match change_status(state, ctx, id, status, note).await {
            Ok(()) => report.moved.push(id),
            Err(e) => {
                let message = match e.errors.first() {
                    Some(f) => {
                        let (zh, en_text) = crate::http::error::split_bilingual(&f.message);
                        (if en { en_text } else { zh }).to_string()
                    }
                    None => (if en { &e.detail_en } else { &e.detail_zh }).clone(),
                };
                report.refused.push(BulkRefusal { id, message });
            }
        }
    }
    Ok(report)
}

pub(super) async fn set_status_many(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(req): Json<BulkStatusRequest>,
) -> ApiResult<axum::Json<BulkReport>> {
    let report = change_status_many(&state, &ctx, &req.ids, &req.status, req.note.as_deref().unwrap_or("")).await?;
    Ok(axum::Json(report))
}

/// A release says why (two characters or more).
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(extend("allOf" = [{
    "if": {"properties": {"status": {"const": "released"}}, "required": ["status"]},
    "then": {"required": ["note"], "properties": {"note": {"type": "string", "minLength": 2, "pattern": "\\S[\\s\\S]*\\S"}}}
}]))]
pub struct StatusRequest {
    /// transferred | quarantined | released
    #[schemars(extend("enum" = FOLLOWUP_STATUSES))]
    pub status: String,
    #[schemars(length(max = 500))]
    pub note: Option<String>,
}

pub(super) async fn set_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Json(req): Json<StatusRequest>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let note = req.note.unwrap_or_default();
    change_status(&state, &ctx, id, &req.status, &note).await?;
    Ok(axum::Json(serde_json::json!({"id": id, "status": req.status, "status_zh": status_zh(&req.status)})))
}

/// Moves a follow-up on, for the API and the page alike. Releasing someone from control needs
/// a reason: it lifts their restriction at every gate and cannot be taken back.
pub async fn change_status(state: &AppState, ctx: &Ctx, id: i64, status: &str, note: &str) -> ApiResult<()> {
    check_step(status, note)?;
    let mut w = state.db.write().await?;
    let resident = w.followup_set_status(&ctx.actor(), &ctx.scope(), id, status, note.trim()).await?;
    w.commit().await?;
    state.precise.registry.refresh_person(&state.db, resident).await?;
    Ok(())
}

/// What a move asks, whichever follow-up it is for: a known status, a note of at most 500
/// characters, and a reason for a release.
fn check_step(status: &str, note: &str) -> ApiResult<()> {
    if !FOLLOWUP_STATUSES.contains(&status) {
        return Err(refuse(
            "status",
            Rule::one_of("transferred（已转运）、quarantined（隔离中）或 released（已解除）", FOLLOWUP_STATUSES),
        ));
    }
    let note = note.trim();
    if note.chars().count() > 500 {
        return Err(refuse("note", Rule::TooLong(500)));
    }
    if status == "released" && note.chars().count() < 2 {
        return Err(refuse("note", Rule::Reason(2, 500)));
    }
    Ok(())
}

/// This capability's routes in the route table (API and pages).
pub fn routes(api: crate::http::api::Api) -> crate::http::api::Api {
    use crate::http::api::{Access, Op};
    use crate::http::dto::PageDto;
    use axum::http::Method;
    use axum::routing::{get, post};
    use ningan_core::Action;
    api.add(
        Op::api(
            Method::POST,
            "/api/cases/{id}/contacts/confirm",
            Access::Action(Action::CaseManage),
            "precise",
            "流调结果转为密接、次密接管控任务（再次运行时报告变化）",
        )
        .response::<ConfirmDto>(),
        post(confirm),
    )
    .add(
        Op::api(Method::GET, "/api/followups", Access::Action(Action::CaseRead), "precise", "密接、次密接管控任务")
            .query(&[
                ("status", "notified | transferred | quarantined | released"),
                ("case_id", "病例"),
                ("tier", "close | secondary"),
                ("page", "页码"),
            ])
            .response::<PageDto<FollowupDto>>()
            .query_type::<FollowupQuery>(),
        get(list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/followups/{id}/status",
            Access::Action(Action::FollowupWrite),
            "precise",
            "更新管控状态（已通知→已转运→隔离中→已解除）",
        )
        .request::<StatusRequest>(),
        post(set_status),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/followups/status",
            Access::Action(Action::FollowupWrite),
            "precise",
            "批量更新管控状态（逐人校验，逐人留痕）",
        )
        .request::<BulkStatusRequest>()
        .response::<BulkReport>(),
        post(set_status_many),
    )
}
