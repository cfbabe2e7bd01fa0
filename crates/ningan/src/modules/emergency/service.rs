//! What the commander and the stations do in a typhoon or flood, shared by the API, the
//! pages and the demo scenario: start an event, send a warning for a drawn area (a CAP 1.2
//! message, and the register's households inside it put on the stations' evacuation lists,
//! those with recorded needs first), move a household at its door, check people into
//! shelters by their signed pass, close and reopen roads (dispatch routes around them), and
//! file a rescue as a 110 incident.

use ningan_core::cap::{Alert, Area, Info, Ring};
use ningan_core::emergency::{Evacuation, EvacuationStep, EventKind, WarningLevel};
use ningan_core::time::now_ms;
use ningan_store::{Scope, StoreError};

use super::error::EmergencyError;
use super::store::events::{self, Event, NewClosure, NewWarning};
use super::store::households::{self, Found, Move};
use super::store::shelters::{self, NewStay, Refused};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

/// Who sends the bureau's CAP messages.
pub const SENDER: &str = "110@police.ningbo.example";
pub const SENDER_NAME: &str = "宁波市公安局";

fn text(field: &'static str, zh: &str, en: &str, input: &str, min: usize, max: usize) -> ApiResult<String> {
    ningan_core::text::line(input, min, max)
        .map(|t| t.into_string())
        .map_err(|e| crate::modules::residents::text_error(field, zh, en, e))
}

fn event_kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(EventKind::ALL.iter().map(|k| k.as_str()))
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct EventInput {
    /// e.g. 台风“烟花”
    #[schemars(schema_with = "crate::http::schema::line_2_60")]
    pub name: String,
    /// typhoon | flood | rainstorm
    #[schemars(schema_with = "event_kinds")]
    pub kind: String,
}

pub async fn start_event(state: &AppState, ctx: &Ctx, input: &EventInput) -> ApiResult<i64> {
    let name = text("name", "事件名称", "name", &input.name, 2, 60)?;
    let kind = EventKind::parse(&input.kind).ok_or(EmergencyError::Field(
        "kind",
        Rule::one_of("typhoon（台风）、flood（洪涝）或 rainstorm（暴雨）", &["typhoon", "flood", "rainstorm"]),
    ))?;
    let mut w = state.db.write().await?;
    let id = events::create(&mut w, &ctx.actor(), &name, kind.as_str(), now_ms()).await?;
    w.commit().await?;
    Ok(id)
}

/// The event, if it is still active.
pub async fn active(state: &AppState, id: i64) -> ApiResult<Event> {
    let e = events::get(&state.db, id).await?;
    if e.state != "active" {
        return Err(EmergencyError::Closed.into());
    }
    Ok(e)
}

/// Closes the event with the commander's reason (kept in the audit trail); its closed roads
/// reopen with it.
pub async fn close_event(state: &AppState, ctx: &Ctx, id: i64, reason: &str) -> ApiResult<()> {
    active(state, id).await?;
    let reason = ningan_core::text::purpose(reason)
        .map_err(|e| crate::modules::residents::text_error("reason", "结束理由", "reason", e))?;
    let mut w = state.db.write().await?;
    events::close(&mut w, &ctx.actor(), id, reason.as_str(), now_ms()).await?;
    w.commit().await?;
    super::reroute(state).await;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct WarningInput {
    /// blue | yellow | orange | red
    pub level: String,
    /// The area's name as the public reads it, e.g. 象山县沿海.
    pub area_name: String,
    /// The area as [lon, lat] points, closed (the last repeats the first): a simple polygon.
    pub ring: Vec<[f64; 2]>,
    /// Whether the households inside are to be evacuated.
    #[serde(default)]
    pub evacuate: bool,
    /// Left out: written from the level, the event and the area.
    #[serde(default)]
    pub headline: Option<String>,
    #[serde(default)]
    pub instruction: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct WarningSent {
    pub id: i64,
    pub identifier: String,
    /// Households put on evacuation lists by this warning (not counting those listed before).
    pub households: i64,
    pub cap_url: String,
}

/// The CAP message for a warning, in Chinese and English.
#[allow(clippy::too_many_arguments)]
pub fn cap_alert(
    identifier: &str,
    event: &Event,
    level: WarningLevel,
    area_name: &str,
    ring: &[[f64; 2]],
    evacuate: bool,
    headline: &str,
    instruction: &str,
    sent: i64,
    references: Option<(String, i64)>,
) -> Alert {
    let kind = EventKind::parse(&event.kind).unwrap_or(EventKind::Typhoon);
    let severe = level >= WarningLevel::Orange;
    let info = |en: bool| Info {
        language: if en { "en-US" } else { "zh-CN" }.into(),
        category: vec!["Met", "Safety"],
        event: kind.label(en).into(),
        response_type: if evacuate { vec!["Evacuate", "Shelter"] } else { vec!["Prepare", "Monitor"] },
        urgency: if severe { "Immediate" } else { "Expected" },
        severity: level.cap_severity(),
        certainty: "Likely",
        effective: Some(sent),
        expires: Some(sent + 48 * 3_600_000),
        sender_name: if en { "Ningbo Public Security Bureau".into() } else { SENDER_NAME.into() },
        headline: if en {
            format!("{} {} warning: {}", event.name, level.label(true).to_lowercase(), area_name)
        } else {
            headline.to_string()
        },
        description: if en {
            format!("{} ({}) warning for {}.", level.label(true), kind.label(true), area_name)
        } else {
            format!("{}{}预警：{}。", level.label(false), kind.label(false), area_name)
        },
        instruction: if en {
            if evacuate {
                "Residents of the area: go to your nearest shelter now; officers will call at the homes of those who need help.".into()
            } else {
                "Stay indoors, keep away from the coast and rivers, and follow further warnings.".into()
            }
        } else {
            instruction.to_string()
        },
        areas: vec![Area { desc: area_name.into(), polygons: vec![Ring(ring.to_vec())] }],
    };
    Alert {
        identifier: identifier.into(),
        sender: SENDER.into(),
        sent,
        status: "Actual",
        msg_type: if references.is_some() { "Update" } else { "Alert" },
        scope: "Public",
        references: references
            .map(|(id, at)| format!("{SENDER},{id},{}", ningan_core::cap::cap_time(at)))
            .into_iter()
            .collect(),
        info: vec![info(false), info(true)],
    }
}

fn bbox(ring: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for p in ring {
        for i in 0..2 {
            min[i] = min[i].min(p[i]);
            max[i] = max[i].max(p[i]);
        }
    }
    (min, max)
}

/// Sends a warning: the area is checked, the CAP message written, and when it evacuates,
/// the register's households inside it listed for their stations — all in one write.
pub async fn send_warning(state: &AppState, ctx: &Ctx, event_id: i64, input: &WarningInput) -> ApiResult<WarningSent> {
    let event = active(state, event_id).await?;
    let level = WarningLevel::parse(&input.level).ok_or(EmergencyError::Field(
        "level",
        Rule::one_of(
            "blue（蓝色）、yellow（黄色）、orange（橙色）或 red（红色）",
            &["blue", "yellow", "orange", "red"],
        ),
    ))?;
    let area_name = text("area_name", "预警区域名称", "area name", &input.area_name, 2, 60)?;
    let ring = Ring(input.ring.clone());
    ring.check().map_err(|e| EmergencyError::Field("ring", Rule::other(e.zh(), e.to_string())))?;
    if !input.ring.iter().any(|p| crate::geo::district_at(p[0], p[1]).is_some()) && !touches_city(&input.ring) {
        return Err(EmergencyError::Field("ring", Rule::OutsideCity).into());
    }
    let kind = EventKind::parse(&event.kind).unwrap_or(EventKind::Typhoon);
    let headline = match input.headline.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(h) => text("headline", "标题", "headline", h, 2, 120)?,
        None => format!("{}{}{}预警：{}", event.name, kind.label(false), level.label(false), area_name),
    };
    let instruction = match input.instruction.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(h) => ningan_core::text::note(h, 500)
            .map(|t| t.into_string())
            .map_err(|e| crate::modules::residents::text_error("instruction", "防御指引", "instruction", e))?,
        None if input.evacuate => "请区域内群众立即前往就近避灾安置点，老人、行动不便者由社区民警上门协助转移。".into(),
        None => "请减少外出，远离海边、河道和低洼地带，关注后续预警。".into(),
    };
    let now = now_ms();
    let identifier = format!("NBGA-EM{event_id}-{now}");
    let references = events::last_warning_for_area(&state.db, event_id, &area_name).await?;
    let alert = cap_alert(
        &identifier,
        &event,
        level,
        &area_name,
        &input.ring,
        input.evacuate,
        &headline,
        &instruction,
        now,
        references,
    );
    let xml = alert.to_xml().map_err(|e| EmergencyError::Field("ring", Rule::other(e.to_string(), e.to_string())))?;
    let mut w = state.db.write().await?;
    let new = NewWarning {
        event_id,
        identifier: &identifier,
        level: level.as_str(),
        area_name: &area_name,
        ring: &input.ring,
        evacuate: input.evacuate,
        headline: &headline,
        instruction: &instruction,
        cap_xml: &xml,
        sent_at: now,
    };
    let id = events::insert_warning(&mut w, &ctx.actor(), &new).await?;
    let mut added = 0;
    if input.evacuate {
        let (min, max) = bbox(&input.ring);
        let poly = ningan_core::geo::Polygon { rings: vec![input.ring.clone()] };
        // A district's commander lists their own district's households; the city's, all.
        let scope = ctx.scope();
        let inside: Vec<households::Compound> = households::compounds_in_box(&mut w, min, max)
            .await?
            .into_iter()
            .filter(|c| poly.contains([c.lon, c.lat]) && scope.contains(&c.unit_path))
            .collect();
        let ids: Vec<i64> = inside.iter().map(|c| c.id).collect();
        let found: Vec<(Found, i64, String)> = households::households_in(&mut w, &ids)
            .await?
            .into_iter()
            .filter_map(|f| {
                let c = inside.iter().find(|c| c.id == f.compound_id)?;
                Some((f, c.unit_id, c.unit_path.clone()))
            })
            .collect();
        added = households::insert_listed(&mut w, event_id, id, &found, now).await?;
        events::set_warning_households(&mut w, id, added).await?;
    }
    w.commit().await?;
    Ok(WarningSent { id, identifier, households: added, cap_url: format!("/api/emergency/warnings/{id}/cap") })
}

/// Whether a ring drawn wholly offshore still covers some of the city (a ring round a
/// district's coast may have every corner at sea).
fn touches_city(ring: &[[f64; 2]]) -> bool {
    let poly = ningan_core::geo::Polygon { rings: vec![ring.to_vec()] };
    crate::geo::districts().iter().any(|d| poly.contains(d.center))
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct StepInput {
    /// notify | evacuate | refuse | away
    pub step: String,
    #[serde(default)]
    pub note: String,
}

/// A step at a household's door, by an officer whose scope holds it.
pub async fn household_step(state: &AppState, ctx: &Ctx, id: i64, input: &StepInput) -> ApiResult<Evacuation> {
    let h = households::get(&state.db, &ctx.scope(), id).await?;
    active(state, h.event_id).await?;
    let step = EvacuationStep::parse(&input.step).ok_or(EmergencyError::Field(
        "step",
        Rule::one_of("notify、evacuate、refuse 或 away", &["notify", "evacuate", "refuse", "away"]),
    ))?;
    let from = Evacuation::parse(&h.state).unwrap_or(Evacuation::Listed);
    let to = from.after(step).map_err(EmergencyError::Step)?;
    let note = ningan_core::text::note(&input.note, 500)
        .map_err(|e| crate::modules::residents::text_error("note", "说明", "note", e))?;
    if step == EvacuationStep::Refuse && note.as_str().chars().count() < 2 {
        let rule = Rule::other("拒绝转移须写明情况与已做的劝导", "say what was found and how the household was urged");
        return Err(EmergencyError::Field("note", rule).into());
    }
    let mut w = state.db.write().await?;
    let m = Move { from, to, note: note.as_str(), shelter_id: None, at: now_ms() };
    households::step(&mut w, &ctx.actor(), id, &m).await.map_err(conflict)?;
    w.commit().await?;
    Ok(to)
}

fn conflict(e: StoreError) -> ApiError {
    match e {
        StoreError::State(s) => ApiError::new(
            crate::http::error::ErrorCode::Conflict,
            "该户情况已被他人更新，请刷新后再办理".to_string(),
            s,
        ),
        other => other.into(),
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct ArriveInput {
    pub shelter_id: i64,
    /// The resident's signed pass, as read from its QR code.
    #[serde(default)]
    pub pass: Option<String>,
    /// Or, without a pass, the resident's record id (from a household the desk may see).
    #[serde(default)]
    pub resident_id: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Arrived {
    pub stay_id: i64,
    pub resident_id: i64,
    /// The name as the desk shows it.
    pub name: String,
    pub shelter: String,
    pub occupancy: i64,
    pub capacity: i64,
    /// The household on the event's list, now evacuated, if the person is on one.
    pub household_id: Option<i64>,
}

/// Checks a person into a shelter: by a pass whose signature the bureau's key verifies
/// (the gates' code, no face), or by record id for one whose household the desk may see.
pub async fn arrive(state: &AppState, ctx: &Ctx, event_id: i64, input: &ArriveInput) -> ApiResult<Arrived> {
    active(state, event_id).await?;
    let shelter = shelters::get(&state.db, event_id, input.shelter_id).await?;
    if !ctx.scope().contains(&shelter.unit_path) {
        return Err(StoreError::NotFound.into());
    }
    let (resident_id, method) =
        match (input.pass.as_deref().map(str::trim).filter(|p| !p.is_empty()), input.resident_id) {
            (Some(token), None) => {
                let key = state.precise.registry.signing_key(&state.db).await?;
                let now = (now_ms() / 1000) as u32;
                let pass =
                    ningan_core::pass::Pass::verify(token, &key.verifying_key(), now).map_err(EmergencyError::Pass)?;
                (i64::from(pass.person), "pass")
            }
            (None, Some(id)) => (id, "manual"),
            _ => {
                let rule = Rule::other(
                    "请扫描通行码，或从户内成员中选择一人",
                    "scan a pass, or choose one member of a household",
                );
                return Err(EmergencyError::Field("pass", rule).into());
            }
        };
    let actor = ctx.actor();
    let mut w = state.db.write().await?;
    // A manual check-in names someone the desk may see; a pass names its own bearer, who
    // may live anywhere.
    let resident = match method {
        "manual" => w.resident_get(&actor, &ctx.scope(), resident_id, None).await?,
        _ => w.resident_get(&actor, &Scope::everything(), resident_id, None).await?,
    };
    let household = households::of_resident(&mut w, event_id, resident_id).await?;
    let at = now_ms();
    let stay = NewStay {
        event_id,
        shelter_id: shelter.id,
        resident_id,
        household_id: household.as_ref().map(|h| h.0),
        method,
        at,
    };
    let stay_id = match shelters::arrive(&mut w, &actor, &stay).await? {
        Ok(id) => id,
        Err(Refused::Staying { shelter, .. }) => return Err(EmergencyError::Staying { shelter }.into()),
        Err(Refused::Full { capacity }) => {
            drop(w);
            let room = room_near(state, event_id, &shelter).await?;
            return Err(EmergencyError::Full { capacity, room }.into());
        }
    };
    if let Some((hid, st)) = &household {
        let from = Evacuation::parse(st).unwrap_or(Evacuation::Listed);
        if let Ok(to) = from.after(EvacuationStep::Evacuate) {
            let m = Move { from, to, note: "", shelter_id: Some(shelter.id), at };
            households::step(&mut w, &actor, *hid, &m).await.map_err(conflict)?;
        }
    }
    w.commit().await?;
    Ok(Arrived {
        stay_id,
        resident_id,
        name: resident.name,
        shelter: shelter.name,
        occupancy: shelter.occupancy + 1,
        capacity: shelter.capacity,
        household_id: household.map(|h| h.0),
    })
}

/// The nearest shelters with room, for a desk that must send people on.
async fn room_near(state: &AppState, event_id: i64, full: &shelters::Shelter) -> ApiResult<String> {
    let mut all: Vec<shelters::Shelter> = shelters::all(&state.db, event_id)
        .await?
        .into_iter()
        .filter(|s| s.occupancy < s.capacity && s.id != full.id)
        .collect();
    let d = |s: &shelters::Shelter| (s.lon - full.lon).powi(2) + ((s.lat - full.lat) * 1.15).powi(2);
    all.sort_by(|a, b| d(a).total_cmp(&d(b)));
    Ok(all.iter().take(3).map(|s| format!("{}（{}）", s.name, s.capacity - s.occupancy)).collect::<Vec<_>>().join("、"))
}

pub async fn leave(state: &AppState, ctx: &Ctx, stay_id: i64) -> ApiResult<()> {
    let mut w = state.db.write().await?;
    shelters::leave(&mut w, &ctx.actor(), &ctx.scope(), stay_id, now_ms()).await?;
    w.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct ShelterInput {
    #[schemars(schema_with = "crate::http::schema::line_2_60")]
    pub name: String,
    #[schemars(schema_with = "crate::http::schema::line_2_200")]
    pub address: String,
    #[schemars(extend("examples" = [crate::http::schema::LON_EXAMPLE]))]
    pub lon: f64,
    #[schemars(extend("examples" = [crate::http::schema::LAT_EXAMPLE]))]
    pub lat: f64,
    /// People it can take, 1–20000.
    #[schemars(range(min = 1, max = 20_000))]
    pub capacity: i64,
}

/// Opens a shelter where the caller's units are; it belongs to the station of its place.
pub async fn create_shelter(state: &AppState, ctx: &Ctx, input: &ShelterInput) -> ApiResult<i64> {
    let name = text("name", "名称", "name", &input.name, 2, 60)?;
    let address = ningan_core::text::address(&input.address)
        .map_err(|e| crate::modules::residents::text_error("address", "地址", "address", e))?;
    if !(1..=20_000).contains(&input.capacity) {
        return Err(EmergencyError::Field("capacity", Rule::Range(1, 20_000)).into());
    }
    if crate::geo::district_at(input.lon, input.lat).is_none() {
        return Err(EmergencyError::Field("lon", Rule::OutsideCity).into());
    }
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let station = crate::geo::owning_station(&units, input.lon, input.lat).ok_or(EmergencyError::Field(
        "lon",
        Rule::context("该位置不在本单位辖区内", "the place is outside your units' area"),
    ))?;
    let new = shelters::NewShelter {
        name: &name,
        address: address.as_str(),
        lon: input.lon,
        lat: input.lat,
        capacity: input.capacity,
        unit_id: station.id,
        unit_path: &station.path,
    };
    let mut w = state.db.write().await?;
    let id = shelters::insert(&mut w, &ctx.actor(), &new, now_ms()).await?;
    w.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct ClosureInput {
    /// e.g. 沿海中线（石浦段）
    pub name: String,
    pub reason: String,
    /// One point closes the street there; two or more close the road between them, in order.
    pub points: Vec<[f64; 2]>,
}

/// Closes a road: the stretches between the points picked, on the demo city's network;
/// dispatch routes around them from now on.
pub async fn close_road(state: &AppState, ctx: &Ctx, event_id: i64, input: &ClosureInput) -> ApiResult<(i64, usize)> {
    active(state, event_id).await?;
    let name = text("name", "道路名称", "road name", &input.name, 2, 60)?;
    let reason = text("reason", "封闭原因", "reason", &input.reason, 2, 200)?;
    if input.points.is_empty() || input.points.len() > 20 {
        return Err(EmergencyError::Field("points", Rule::Range(1, 20)).into());
    }
    if let Some(i) = input.points.iter().position(|p| crate::geo::district_at(p[0], p[1]).is_none()) {
        let rule = Rule::other(format!("第{}个点不在市域内", i + 1), format!("point {} is outside the city", i + 1));
        return Err(EmergencyError::Field("points", rule).into());
    }
    // Roads are closed by those who command where they run: the city, or the district.
    let scope = ctx.scope();
    let outside = input.points.iter().position(|p| {
        let district = crate::geo::district_at(p[0], p[1]).unwrap_or(0);
        let path = format!("/{}/{district}/", ningan_core::district::NINGBO_CODE);
        !(scope.contains(&path) || Scope::subtree(&path).contains(scope.path()))
    });
    if let Some(i) = outside {
        let rule = Rule::other(
            format!("第{}个点不在本单位辖区内", i + 1),
            format!("point {} is outside your units' area", i + 1),
        );
        return Err(EmergencyError::Field("points", rule).into());
    }
    let Some(router) = crate::geo::router() else {
        let rule = Rule::other("没有可封闭的路网", "there is no road network to close");
        return Err(EmergencyError::Field("points", rule).into());
    };
    let mut arcs: Vec<usize> = if input.points.len() == 1 {
        router.arc_near(input.points[0]).into_iter().collect()
    } else {
        input.points.windows(2).flat_map(|w| router.arcs_between(w[0], w[1])).collect()
    };
    arcs.sort_unstable();
    arcs.dedup();
    if arcs.is_empty() {
        let rule = Rule::other("所选位置之间没有道路", "no road joins the points picked");
        return Err(EmergencyError::Field("points", rule).into());
    }
    let mut w = state.db.write().await?;
    let new = NewClosure { event_id, name: &name, reason: &reason, points: &input.points, arcs: &arcs, at: now_ms() };
    let id = events::insert_closure(&mut w, &ctx.actor(), &new).await?;
    w.commit().await?;
    super::reroute(state).await;
    Ok((id, arcs.len()))
}

pub async fn reopen_road(state: &AppState, ctx: &Ctx, id: i64) -> ApiResult<()> {
    let c = events::closure_get(&state.db, id).await?;
    active(state, c.event_id).await?;
    let mut w = state.db.write().await?;
    events::reopen(&mut w, &ctx.actor(), id, now_ms()).await.map_err(conflict)?;
    w.commit().await?;
    super::reroute(state).await;
    Ok(())
}

/// Files a rescue as a 110 incident of the rescue category, so the command module's
/// dispatch, units and live board take it from there.
pub async fn rescue(
    state: &AppState,
    ctx: &Ctx,
    event_id: i64,
    input: &crate::modules::command::service::IncidentInput,
) -> ApiResult<(i64, String)> {
    active(state, event_id).await?;
    let mut input = input.clone();
    input.category = ningan_core::incident::Category::Rescue.as_str().into();
    let now = now_ms();
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let new = crate::modules::command::service::validate(&input, &units, now)?;
    // The incident and its filing under the event in one write: a rescue is never lost
    // between the two.
    let mut w = state.db.write().await?;
    let created = crate::modules::command::store::incidents::insert(&mut w, &ctx.actor(), &new, now).await?;
    events::add_rescue(&mut w, event_id, created.0).await?;
    w.commit().await?;
    if let Ok(i) = crate::modules::command::store::incidents::get(&state.db, &ctx.scope(), created.0).await {
        crate::modules::command::publish_incident(state, &i, &i.stage);
    }
    Ok(created)
}
