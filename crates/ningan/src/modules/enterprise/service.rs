//! Enterprise services' use cases, shared by the API and the pages: registering an
//! enterprise (the credit code checked, the owning station found from the point), liaison
//! assignment and the contact log, and the 11087 request's closed loop across the three tiers,
//! including the sweep that sends overdue requests one tier up.

use ningan_core::Action;
use ningan_store::{Actor, OrgUnit, Scope, StoreError, UnitKind};

use super::error::EnterpriseError;
use super::model::{self, Stage, Tier};
use super::store::{enterprises, requests};
use super::uscc::Uscc;
use crate::app::AppState;
use crate::http::principal::Ctx;

pub(super) fn industries(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(model::INDUSTRIES.iter().map(|i| i.0))
}

fn sizes(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(model::SIZES.iter().map(|i| i.0))
}

/// What a person typed to register an enterprise.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct EnterpriseInput {
    #[schemars(schema_with = "crate::http::schema::uscc")]
    pub uscc: String,
    #[schemars(schema_with = "crate::http::schema::line_2_100")]
    pub name: String,
    #[schemars(schema_with = "crate::http::schema::line_2_200")]
    pub address: String,
    #[schemars(extend("examples" = [crate::http::schema::LON_EXAMPLE]))]
    pub lon: f64,
    #[schemars(extend("examples" = [crate::http::schema::LAT_EXAMPLE]))]
    pub lat: f64,
    /// GB/T 4754 section letter (A–T).
    #[schemars(schema_with = "industries")]
    pub industry: String,
    /// large, medium, small or micro.
    #[schemars(schema_with = "sizes")]
    pub size: String,
    #[serde(default)]
    pub key_enterprise: bool,
    #[schemars(schema_with = "crate::http::schema::line_1_64")]
    pub contact_name: String,
    #[schemars(extend("format" = "phone-cn", "pattern" = crate::http::schema::MOBILE_PATTERN, "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub contact_phone: String,
    /// The owning station; found from the point when absent.
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub officer_id: Option<i64>,
}

/// Checks every field; the first failure of each field is reported, all at once.
pub fn validate(input: &EnterpriseInput) -> Result<enterprises::NewEnterprise, EnterpriseError> {
    let uscc = Uscc::parse(&input.uscc)?;
    let name =
        ningan_core::text::line(&input.name, 2, 100).map_err(|e| EnterpriseError::Field("name", e.to_string()))?;
    let address =
        ningan_core::text::address(&input.address).map_err(|e| EnterpriseError::Field("address", e.to_string()))?;
    if !crate::geo::districts().iter().any(|d| d.shape.contains([input.lon, input.lat])) {
        return Err(EnterpriseError::OutsideCity);
    }
    let industry = input.industry.trim().to_ascii_uppercase();
    if model::named(model::INDUSTRIES, &industry).is_none() {
        return Err(EnterpriseError::Industry(input.industry.clone()));
    }
    let size = input.size.trim().to_ascii_lowercase();
    if model::named(model::SIZES, &size).is_none() {
        return Err(EnterpriseError::Size(input.size.clone()));
    }
    let contact_name = ningan_core::text::person_name(&input.contact_name)
        .map_err(|e| EnterpriseError::Field("contact_name", e.to_string()))?;
    let phone = ningan_core::Phone::parse(&input.contact_phone)
        .map_err(|e| EnterpriseError::Field("contact_phone", e.to_string()))?;
    Ok(enterprises::NewEnterprise {
        uscc: uscc.as_str().to_string(),
        name: name.into_string(),
        address: address.into_string(),
        lon: input.lon,
        lat: input.lat,
        industry,
        size,
        key_enterprise: input.key_enterprise,
        contact_name: contact_name.into_string(),
        contact_phone: phone.as_str().to_string(),
        unit_id: 0,
        unit_path: String::new(),
        officer_id: input.officer_id,
    })
}

/// Registers an enterprise in the caller's scope.
pub async fn register(state: &AppState, ctx: &Ctx, input: &EnterpriseInput) -> Result<i64, EnterpriseError> {
    let mut new = validate(input)?;
    let scope = ctx.scope();
    let units = state.db.units_in_scope(&scope).await?;
    let station = match input.unit_id {
        Some(id) => units.iter().find(|u| u.id == id && u.kind == UnitKind::Station).ok_or(EnterpriseError::Station)?,
        None => crate::geo::owning_station(&units, new.lon, new.lat).ok_or(EnterpriseError::Station)?,
    };
    new.unit_id = station.id;
    new.unit_path = station.path.clone();
    if let Some(officer) = new.officer_id {
        check_officer(state, &Scope::subtree(&station.path), officer).await?;
    }
    let now = ningan_core::time::now_ms();
    let mut w = state.db.write().await?;
    let id = enterprises::insert(&mut w, &ctx.actor(), &scope, &new, now).await?;
    w.commit().await?;
    Ok(id)
}

/// An officer may be a liaison for enterprises in `scope` when they work there.
pub async fn check_officer(state: &AppState, scope: &Scope, officer: i64) -> Result<(), EnterpriseError> {
    let officers = enterprises::officers(&state.db, scope).await?;
    if officers.iter().any(|o| o.0 == officer) { Ok(()) } else { Err(EnterpriseError::Officer) }
}

/// What an officer may do with a request, from the request's place and the officer's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestAction {
    Accept,
    Assign,
    Reply,
    Close,
    /// Beyond this tier's power: one tier up.
    Escalate,
    /// Back down with instructions.
    Return,
    /// A higher tier marks an overdue request as supervised (督办).
    Supervise,
}

impl RequestAction {
    pub const ALL: [RequestAction; 7] = [
        RequestAction::Accept,
        RequestAction::Assign,
        RequestAction::Reply,
        RequestAction::Close,
        RequestAction::Escalate,
        RequestAction::Return,
        RequestAction::Supervise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestAction::Accept => "accept",
            RequestAction::Assign => "assign",
            RequestAction::Reply => "reply",
            RequestAction::Close => "close",
            RequestAction::Escalate => "escalate",
            RequestAction::Return => "return",
            RequestAction::Supervise => "supervise",
        }
    }

    pub fn parse(s: &str) -> Option<RequestAction> {
        RequestAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label(self, en: bool) -> &'static str {
        let (zh, e) = match self {
            RequestAction::Accept => ("受理", "Accept"),
            RequestAction::Assign => ("转办", "Assign"),
            RequestAction::Reply => ("反馈", "Reply"),
            RequestAction::Close => ("办结", "Close"),
            RequestAction::Escalate => ("提请上级", "Escalate"),
            RequestAction::Return => ("下发指导意见", "Return with instructions"),
            RequestAction::Supervise => ("督办", "Supervise"),
        };
        if en { e } else { zh }
    }

    /// Whether a note is required (what to tell the enterprise or the other tier).
    pub fn needs_note(self) -> bool {
        !matches!(self, RequestAction::Accept | RequestAction::Close)
    }
}

/// The tier an officer's unit is on: a city unit works the city desk, and so on.
pub fn tier_of(unit: &OrgUnit) -> Tier {
    match unit.kind {
        UnitKind::City => Tier::City,
        UnitKind::District => Tier::District,
        _ => Tier::Station,
    }
}

/// The actions open to `unit` on `r` at `now`, in the order the page offers them.
pub fn actions_for(r: &requests::Request, unit: &OrgUnit, now: i64) -> Vec<RequestAction> {
    let (Some(stage), Some(tier)) = (Stage::parse(&r.stage), Tier::parse(&r.tier)) else { return Vec::new() };
    let mine = tier_of(unit);
    let here = r.unit_path == unit.path
        || (mine == tier && unit.path.len() <= r.unit_path.len() && r.unit_path.starts_with(&unit.path));
    let mut out = Vec::new();
    if here {
        match stage {
            Stage::Submitted => out.extend([RequestAction::Accept, RequestAction::Escalate]),
            Stage::Accepted => out.extend([RequestAction::Assign, RequestAction::Reply, RequestAction::Escalate]),
            Stage::Assigned => out.extend([RequestAction::Reply, RequestAction::Escalate]),
            Stage::Replied => out.push(RequestAction::Close),
            Stage::Closed | Stage::Evaluated => {}
        }
        if tier == Tier::City {
            out.retain(|a| *a != RequestAction::Escalate);
        }
        if tier != Tier::Station && matches!(stage, Stage::Submitted | Stage::Accepted) {
            out.push(RequestAction::Return);
        }
    }
    // A tier above the one handling it, on its own ground, supervises what is overdue.
    if mine > tier
        && r.unit_path.starts_with(&unit.path)
        && stage.open()
        && r.deadline < now
        && r.supervised_at.is_none()
    {
        out.push(RequestAction::Supervise);
    }
    out
}

/// Moves a request on behalf of an officer, or says why not.
pub async fn act(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    action: RequestAction,
    note: &str,
) -> Result<(), EnterpriseError> {
    if !ctx.may(Action::EnterpriseWork) {
        return Err(EnterpriseError::Forbidden);
    }
    let note = note.trim();
    if action.needs_note() && note.chars().count() < 2 {
        let rule = crate::http::rule::Rule::context(
            "此操作须填写说明（至少2字）",
            "this action needs a note of at least 2 characters",
        );
        return Err(EnterpriseError::Context("note", rule.to_string()));
    }
    if note.chars().count() > 2000 {
        return Err(EnterpriseError::Field("note", "说明最多2000字 / at most 2000 characters".into()));
    }
    let now = ningan_core::time::now_ms();
    let r = requests::get(&state.db, &ctx.scope(), id).await?;
    if !actions_for(&r, &ctx.unit, now).contains(&action) {
        return Err(EnterpriseError::Transition { stage: r.stage.clone(), action: action.as_str() });
    }
    let mut w = state.db.write().await?;
    move_request(&mut w, &ctx.actor(), &r, action, note, now).await?;
    w.commit().await?;
    Ok(())
}

/// The unit at `tier` on the request's home path.
async fn unit_at(w: &mut ningan_store::Write, home: &str, tier: Tier) -> Result<(i64, String), StoreError> {
    use ningan_store::sql::RowExt as _;
    let path = tier.path_of(home).ok_or(StoreError::NotFound)?;
    let r = ningan_store::sql::query("SELECT id FROM org_units WHERE path = $1")
        .bind(&path)
        .fetch_optional(w.connection())
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((r.try_get("id")?, path))
}

/// Applies `action` to `r` (already checked): the one place the loop's moves are written.
pub async fn move_request(
    w: &mut ningan_store::Write,
    actor: &Actor,
    r: &requests::Request,
    action: RequestAction,
    note: &str,
    now: i64,
) -> Result<(), EnterpriseError> {
    let category = model::category(&r.category).ok_or_else(|| EnterpriseError::Category(r.category.clone()))?;
    let tier = Tier::parse(&r.tier).unwrap_or(Tier::Station);
    let mut m = requests::Move {
        stage: r.stage.clone(),
        tier: r.tier.clone(),
        unit_id: r.unit_id,
        unit_path: r.unit_path.clone(),
        deadline: r.deadline,
        reply: None,
        supervised_at: r.supervised_at,
        closed_at: None,
        rating: None,
    };
    let to = |m: &mut requests::Move, stage: Stage| {
        m.stage = stage.as_str().into();
        m.deadline = stage.deadline(category, now);
    };
    match action {
        RequestAction::Accept => to(&mut m, Stage::Accepted),
        RequestAction::Assign => to(&mut m, Stage::Assigned),
        RequestAction::Reply => {
            to(&mut m, Stage::Replied);
            m.reply = Some(note.to_string());
        }
        RequestAction::Close => {
            to(&mut m, Stage::Closed);
            m.closed_at = Some(now);
        }
        RequestAction::Escalate => {
            let up = tier.up().ok_or(EnterpriseError::Transition { stage: r.stage.clone(), action: "escalate" })?;
            let (unit_id, path) = unit_at(w, &r.home_path, up).await?;
            m.tier = up.as_str().into();
            (m.unit_id, m.unit_path) = (unit_id, path);
            m.supervised_at = None;
            to(&mut m, Stage::Submitted);
        }
        RequestAction::Return => {
            let down = tier.down().ok_or(EnterpriseError::Transition { stage: r.stage.clone(), action: "return" })?;
            let (unit_id, path) = unit_at(w, &r.home_path, down).await?;
            m.tier = down.as_str().into();
            (m.unit_id, m.unit_path) = (unit_id, path);
            m.supervised_at = None;
            to(&mut m, Stage::Accepted);
        }
        RequestAction::Supervise => m.supervised_at = Some(now),
    }
    requests::apply(w, actor, r.id, (&r.stage, &r.tier), &m, action.as_str(), note, now).await?;
    Ok(())
}

/// Sends every overdue open request one tier up (at the city tier it is marked supervised
/// instead), as the system. Returns how many moved. `now` is the caller's clock, so tests
/// can run it at any hour.
pub async fn sweep_overdue(db: &ningan_store::Db, now: i64) -> Result<usize, EnterpriseError> {
    let mut moved = 0;
    for id in requests::overdue(db, now, 500).await? {
        let mut w = db.write().await?;
        let r = requests::get_in(&mut w, id).await?;
        let action = if r.tier == Tier::City.as_str() {
            if r.supervised_at.is_some() {
                continue;
            }
            RequestAction::Supervise
        } else {
            RequestAction::Escalate
        };
        let note = "超过时限，自动提请上级 / deadline missed: sent one tier up automatically";
        match move_request(&mut w, &Actor::system(), &r, action, note, now).await {
            Ok(()) => {
                w.commit().await?;
                moved += 1;
            }
            // Moved by an officer between the read and the write: nothing to do.
            Err(EnterpriseError::Store(StoreError::State(_))) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(moved)
}
