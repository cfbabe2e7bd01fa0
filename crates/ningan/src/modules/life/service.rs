//! Life first's use cases, shared by the API and the pages: finding a risk point (the owning
//! station from its place), moving it through its rectification with evidence, recording an
//! incident (which reopens the verified and closed points of its family close by), a roadside
//! helmet sample, a water point's measures and patrols, and the sweep that escalates overdue
//! points to the district.

use ningan_core::Action;
use ningan_core::hazard::Category;
use ningan_store::{OrgUnit, UnitKind};

use super::error::LifeError;
use super::model::{self, Kind, Severity, State, Step};
use super::photos::{self, Photo};
use super::store::Viewer;
use super::store::points::{self, Move, NewPoint, Water};
use super::store::records::{self, NewIncident, NewSample};
use crate::app::AppState;
use crate::http::principal::Ctx;

fn text(
    field: &'static str,
    r: Result<ningan_core::text::Text, ningan_core::text::TextError>,
) -> Result<String, LifeError> {
    r.map(|t| t.into_string()).map_err(|e| LifeError::Field(field, e.to_string()))
}

/// Whose points the caller sees: the police their units', a department its own.
pub async fn viewer(state: &AppState, ctx: &Ctx) -> Result<Viewer, LifeError> {
    if ctx.may(Action::LifeWork) || ctx.may(Action::LifeManage) || !ctx.may(Action::LifeRectify) {
        return Ok(Viewer::officer(ctx.scope()));
    }
    let department = match ctx.user() {
        Some(u) => records::department_of(&state.db, u.id).await?.unwrap_or_default(),
        None => String::new(),
    };
    Ok(Viewer { scope: ctx.scope(), department: Some(department) })
}

/// What a person entered to record a risk point.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct PointInput {
    #[schemars(schema_with = "kinds")]
    pub kind: String,
    #[schemars(schema_with = "severities")]
    pub severity: String,
    #[schemars(schema_with = "crate::http::schema::line_2_100")]
    pub title: String,
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::note_0_2000")]
    pub description: String,
    #[schemars(schema_with = "crate::http::schema::line_2_200")]
    pub address: String,
    #[schemars(extend("examples" = [crate::http::schema::LON_EXAMPLE]))]
    pub lon: f64,
    #[schemars(extend("examples" = [crate::http::schema::LAT_EXAMPLE]))]
    pub lat: f64,
    /// For water points: measures and responsible parties.
    #[serde(default)]
    pub water: Option<Water>,
}

/// The district a WGS-84 point lies in, if inside the city.
pub fn district_at(lon: f64, lat: f64) -> Option<u32> {
    crate::geo::district_at(lon, lat)
}

/// The station among `units` (the caller's area) owning a place.
pub fn station_among(units: &[OrgUnit], lon: f64, lat: f64) -> Result<OrgUnit, LifeError> {
    if !lon.is_finite() || !lat.is_finite() || district_at(lon, lat).is_none() {
        return Err(LifeError::OutsideCity);
    }
    crate::geo::owning_station(units, lon, lat)
        .filter(|u| u.kind == UnitKind::Station)
        .cloned()
        .ok_or(LifeError::OutsideArea)
}

/// The station of the caller's area owning a place.
async fn station_for(state: &AppState, ctx: &Ctx, lon: f64, lat: f64) -> Result<OrgUnit, LifeError> {
    if !lon.is_finite() || !lat.is_finite() || district_at(lon, lat).is_none() {
        return Err(LifeError::OutsideCity);
    }
    station_among(&state.db.units_in_scope(&ctx.scope()).await?, lon, lat)
}

pub fn validate_water(w: &Water) -> Result<Water, LifeError> {
    let party = |field: &'static str, v: &Option<String>| -> Result<Option<String>, LifeError> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => Ok(Some(text(field, ningan_core::text::line(v, 1, 100))?)),
            None => Ok(None),
        }
    };
    if w.railing_m.is_some_and(|m| !(0.0..=100_000.0).contains(&m) || !m.is_finite()) {
        return Err(LifeError::field_of("railing_m", "护栏长度应为0至100000米", "railing length is 0 to 100,000 m"));
    }
    if w.signs.is_some_and(|n| !(0..=10_000).contains(&n)) {
        return Err(LifeError::field_of("signs", "警示牌数量应为0至10000", "signs are 0 to 10,000"));
    }
    if w.buoys.is_some_and(|n| !(0..=10_000).contains(&n)) {
        return Err(LifeError::field_of("buoys", "救生圈数量应为0至10000", "life buoys are 0 to 10,000"));
    }
    Ok(Water {
        railing_m: w.railing_m,
        signs: w.signs,
        buoys: w.buoys,
        patrol: party("patrol", &w.patrol)?,
        party_government: party("party_government", &w.party_government)?,
        party_school: party("party_school", &w.party_school)?,
        party_family: party("party_family", &w.party_family)?,
        party_society: party("party_society", &w.party_society)?,
    })
}

/// Checks every field of a new point and finds its station in the caller's area.
pub async fn create_point(state: &AppState, ctx: &Ctx, input: &PointInput) -> Result<i64, LifeError> {
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let new = check_point(input, &units)?;
    let mut w = state.db.write().await?;
    let id = points::insert(&mut w, &ctx.actor(), &new, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    super::refresh(state, &[id]).await;
    Ok(id)
}

fn kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Kind::ALL.iter().map(|k| k.as_str()))
}

fn severities(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Severity::ALL.iter().map(|k| k.as_str()))
}

fn incident_kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(model::INCIDENT_KINDS.iter().map(|k| k.0))
}

fn road_types(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(model::ROAD_TYPES.iter().map(|k| k.0))
}

fn steps(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(Step::ALL.iter().map(|k| k.as_str()))
}

pub(super) fn departments(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(model::DEPARTMENTS.iter().map(|k| k.0))
}

fn measure_kinds(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::http::schema::enum_of(model::MEASURES.iter().map(|k| k.0))
}

/// A new point's fields checked, with its station among `units`.
pub fn check_point(input: &PointInput, units: &[OrgUnit]) -> Result<NewPoint, LifeError> {
    let kind = Kind::parse(&input.kind).ok_or_else(|| LifeError::Kind(input.kind.clone()))?;
    let severity = Severity::parse(&input.severity).ok_or_else(|| LifeError::Severity(input.severity.clone()))?;
    let title = text("title", ningan_core::text::line(&input.title, 2, 100))?;
    let description = text("description", ningan_core::text::note(&input.description, 2000))?;
    let address = text("address", ningan_core::text::address(&input.address))?;
    let water = match (kind.category(), &input.water) {
        (Category::Water, Some(w)) => validate_water(w)?,
        _ => Water::default(),
    };
    let station = station_among(units, input.lon, input.lat)?;
    Ok(NewPoint {
        kind: kind.as_str().into(),
        category: kind.category().as_str().into(),
        severity: severity.as_str().into(),
        title,
        description,
        address,
        lon: input.lon,
        lat: input.lat,
        unit_id: station.id,
        unit_path: station.path.clone(),
        water,
    })
}

/// A measure reported with a rectification.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct Measure {
    /// railing, fence, sign, lighting, speed_bump, marking, buoy, camera or other.
    #[schemars(schema_with = "measure_kinds")]
    pub kind: String,
    #[schemars(range(max = 100_000.0), extend("exclusiveMinimum" = 0))]
    pub quantity: f64,
}

/// A step on a point, as entered.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct StepInput {
    /// assign, rectify, reject, verify, close or reopen.
    #[schemars(schema_with = "steps")]
    pub step: String,
    /// For `assign`: the responsible department.
    #[serde(default)]
    #[schemars(schema_with = "departments")]
    pub department: Option<String>,
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::note_0_1000")]
    pub note: String,
    /// For `rectify`: what was done.
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub measures: Vec<Measure>,
}

/// Who may take a step: the police decide and verify, the department reports its work.
pub fn may_take(ctx: &Ctx, viewer: &Viewer, step: Step) -> bool {
    match step {
        Step::Assign | Step::Close => ctx.may(Action::LifeManage),
        Step::Rectify => ctx.may(Action::LifeManage) || (ctx.may(Action::LifeRectify) && viewer.department.is_some()),
        Step::Reject | Step::Verify | Step::Reopen => ctx.may(Action::LifeWork),
    }
}

/// The steps the caller may take on a point now, in the order the page offers them.
pub fn steps_for(ctx: &Ctx, viewer: &Viewer, p: &points::Point) -> Vec<Step> {
    State::parse(&p.state)
        .map(|s| s.steps())
        .unwrap_or_default()
        .into_iter()
        .filter(|s| may_take(ctx, viewer, *s))
        .collect()
}

fn validate_measures(ms: &[Measure]) -> Result<serde_json::Value, LifeError> {
    if ms.len() > 20 {
        return Err(LifeError::field_of("measures", "整改措施最多20项", "at most 20 measures"));
    }
    let mut out = Vec::new();
    for m in ms {
        if !model::MEASURES.iter().any(|x| x.0 == m.kind) {
            return Err(LifeError::field_of("measures", "整改措施类别无效", "unknown kind of measure"));
        }
        if !m.quantity.is_finite() || m.quantity <= 0.0 || m.quantity > 100_000.0 {
            return Err(LifeError::field_of("measures", "整改措施数量应大于0", "a measure's quantity must be above 0"));
        }
        out.push(serde_json::json!({"kind": m.kind, "quantity": m.quantity}));
    }
    Ok(serde_json::Value::Array(out))
}

/// Takes a step on a point the caller sees, with its evidence, in one transaction: the step,
/// its event and its photos are written together or not at all.
pub async fn take_step(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    input: &StepInput,
    uploads: &[Photo],
) -> Result<State, LifeError> {
    let viewer = viewer(state, ctx).await?;
    let point = points::get(&state.db, &viewer, id).await?;
    let step = Step::parse(&input.step).ok_or_else(|| LifeError::field_of("step", "操作无效", "unknown step"))?;
    if !may_take(ctx, &viewer, step) {
        return Err(LifeError::Forbidden);
    }
    let from = State::parse(&point.state).ok_or(LifeError::Store(ningan_store::StoreError::Invalid(format!(
        "life point {id} has state {}",
        point.state
    ))))?;
    let to = from.after(step).map_err(LifeError::Step)?;
    let note = text("note", ningan_core::text::note(&input.note, 1000))?;
    if matches!(step, Step::Reject | Step::Verify | Step::Reopen)
        && note.chars().filter(|c| c.is_alphanumeric()).count() < 2
    {
        return Err(LifeError::context_of("note", "请写明现场情况或原因", "say what you found or why"));
    }
    let measures = validate_measures(&input.measures)?;
    let photos = photos::check(uploads)?;
    if step == Step::Rectify && (input.measures.is_empty() || photos.is_empty()) {
        let text = LifeError::Evidence.to_string();
        return Err(LifeError::Context("photos", text));
    }
    let severity = Severity::parse(&point.severity).unwrap_or(Severity::General);
    let now = ningan_core::time::now_ms();
    let (department, deadline) = match step {
        Step::Assign => {
            let d = input.department.as_deref().map(str::trim).unwrap_or_default();
            let d = model::named(model::DEPARTMENTS, d).ok_or_else(|| LifeError::Department(d.to_string()))?;
            (Some(d.0), Some(severity.deadline_from(now)))
        }
        // Sent back: the department gets half the time again to put it right.
        Step::Reject => (None, Some(now + severity.deadline_days() * ningan_core::quarantine::DAY_MS / 2)),
        _ => (None, None),
    };
    let m = Move { step, from, to, note: &note, measures: &measures, department, deadline };
    let mut w = state.db.write().await?;
    let event = points::apply(&mut w, &ctx.actor(), id, &m, now).await?;
    for (p, content_type) in &photos {
        points::photo_insert(&mut w, id, Some(event), &p.name, content_type, &p.bytes, now).await?;
    }
    w.commit().await?;
    super::refresh(state, &[id]).await;
    Ok(to)
}

pub async fn set_water(state: &AppState, ctx: &Ctx, id: i64, input: &Water) -> Result<(), LifeError> {
    let point = points::get(&state.db, &Viewer::officer(ctx.scope()), id).await?;
    if point.category != Category::Water.as_str() {
        return Err(LifeError::context_of(
            "kind",
            "只有溺水风险点登记防溺水措施",
            "only water points carry drowning measures",
        ));
    }
    let water = validate_water(input)?;
    let mut w = state.db.write().await?;
    points::set_water(&mut w, &ctx.actor(), id, &water, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(())
}

/// Photos of a point's place outside a step: as found, or as a patrol saw it.
pub async fn add_photos(state: &AppState, ctx: &Ctx, id: i64, uploads: &[Photo]) -> Result<usize, LifeError> {
    points::get(&state.db, &Viewer::officer(ctx.scope()), id).await?;
    let photos = photos::check(uploads)?;
    if photos.is_empty() {
        return Err(LifeError::field_of("photos", "请选择照片", "choose a photo"));
    }
    let now = ningan_core::time::now_ms();
    let mut w = state.db.write().await?;
    for (p, content_type) in &photos {
        points::photo_insert(&mut w, id, None, &p.name, content_type, &p.bytes, now).await?;
    }
    w.audit(ctx.actor().audit("life.point.photos", "life_point", id, None, None, &format!("{} photos", photos.len())))
        .await?;
    w.commit().await?;
    Ok(photos.len())
}

pub async fn add_patrol(state: &AppState, ctx: &Ctx, id: i64, at: Option<i64>, note: &str) -> Result<i64, LifeError> {
    let point = points::get(&state.db, &Viewer::officer(ctx.scope()), id).await?;
    if point.category != Category::Water.as_str() {
        return Err(LifeError::context_of("kind", "只有溺水风险点登记巡查", "only water points keep patrol logs"));
    }
    let now = ningan_core::time::now_ms();
    let at = at.unwrap_or(now);
    if at > now + 60_000 || at < now - 30 * ningan_core::quarantine::DAY_MS {
        return Err(LifeError::context_of("at", "巡查时间应在过去30天内", "a patrol is logged within 30 days"));
    }
    let note = text("note", ningan_core::text::line(note, 2, 500))?;
    let mut w = state.db.write().await?;
    let pid = points::patrol_insert(&mut w, &ctx.actor(), id, at, &note).await?;
    w.commit().await?;
    Ok(pid)
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct IncidentInput {
    /// traffic, drowning or other.
    #[schemars(schema_with = "incident_kinds")]
    pub kind: String,
    #[schemars(range(min = 0, max = 1000))]
    pub deaths: i64,
    #[serde(default)]
    #[schemars(range(min = 0, max = 10_000))]
    pub injuries: i64,
    /// When it happened (ms since the epoch).
    pub at: i64,
    #[schemars(schema_with = "crate::http::schema::line_2_200")]
    pub place: String,
    #[schemars(extend("examples" = [crate::http::schema::LON_EXAMPLE]))]
    pub lon: f64,
    #[schemars(extend("examples" = [crate::http::schema::LAT_EXAMPLE]))]
    pub lat: f64,
    #[serde(default)]
    #[schemars(schema_with = "crate::http::schema::note_0_1000")]
    pub note: String,
}

/// What recording an incident did.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct IncidentOutcome {
    pub id: i64,
    /// Verified or closed points close by that it reopened.
    pub reopened: Vec<i64>,
}

/// Records an incident and reopens, in the same transaction, the verified and closed points
/// of its family within the reopening radius.
pub async fn record_incident(state: &AppState, ctx: &Ctx, input: &IncidentInput) -> Result<IncidentOutcome, LifeError> {
    let kind = model::named(model::INCIDENT_KINDS, input.kind.trim())
        .ok_or_else(|| LifeError::field_of("kind", "事故类别无效", "unknown kind of incident"))?;
    if !(0..=1000).contains(&input.deaths) {
        return Err(LifeError::field_of("deaths", "死亡人数应为0至1000", "deaths are 0 to 1,000"));
    }
    if !(0..=10_000).contains(&input.injuries) {
        return Err(LifeError::field_of("injuries", "受伤人数应为0至10000", "injuries are 0 to 10,000"));
    }
    let now = ningan_core::time::now_ms();
    if input.at > now + 60_000 || input.at < now - 5 * 366 * ningan_core::quarantine::DAY_MS {
        return Err(LifeError::context_of(
            "at",
            "发生时间应在过去五年内",
            "the time must be within the last five years",
        ));
    }
    let place = text("place", ningan_core::text::address(&input.place))?;
    let note = text("note", ningan_core::text::note(&input.note, 1000))?;
    let station = station_for(state, ctx, input.lon, input.lat).await?;
    let new = NewIncident {
        kind: kind.0.into(),
        deaths: input.deaths,
        injuries: input.injuries,
        at: input.at,
        place,
        lon: input.lon,
        lat: input.lat,
        unit_id: station.id,
        unit_path: station.path.clone(),
        note,
    };
    let actor = ctx.actor();
    let mut w = state.db.write().await?;
    let id = records::incident_insert(&mut w, &actor, &new, now).await?;
    let mut reopened = Vec::new();
    if let Some(category) = model::incident_category(kind.0) {
        let radius = super::life(state).config.reopen_radius_m(category);
        let deg = radius / 111_000.0;
        for (pid, st, lon, lat) in points::near(&mut w, category.as_str(), input.lon, input.lat, deg).await? {
            if model::distance_m([lon, lat], [input.lon, input.lat]) > radius {
                continue;
            }
            let Some(from) = State::parse(&st) else { continue };
            let note = format!(
                "{}m 内发生{}（事故 #{id}） / a {} within {}m (incident #{id})",
                radius,
                kind.1,
                kind.2.to_lowercase(),
                radius
            );
            let m = Move {
                step: Step::Reopen,
                from,
                to: State::Found,
                note: &note,
                measures: &serde_json::Value::Array(Vec::new()),
                department: None,
                deadline: None,
            };
            points::apply(&mut w, &actor, pid, &m, now).await?;
            reopened.push(pid);
        }
    }
    w.commit().await?;
    super::refresh(state, &reopened).await;
    Ok(IncidentOutcome { id, reopened })
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct SampleInput {
    /// When the count was taken (ms since the epoch); now when absent.
    #[serde(default)]
    pub at: Option<i64>,
    #[schemars(schema_with = "crate::http::schema::line_2_200")]
    pub place: String,
    #[schemars(extend("examples" = [crate::http::schema::LON_EXAMPLE]))]
    pub lon: f64,
    #[schemars(extend("examples" = [crate::http::schema::LAT_EXAMPLE]))]
    pub lat: f64,
    /// urban or highway.
    #[schemars(schema_with = "road_types")]
    pub road_type: String,
    #[schemars(range(min = 0, max = 10_000))]
    pub drivers: i64,
    #[schemars(range(min = 0, max = 10_000))]
    pub drivers_helmet: i64,
    #[serde(default)]
    #[schemars(range(min = 0, max = 10_000))]
    pub passengers: i64,
    #[serde(default)]
    #[schemars(range(min = 0, max = 10_000))]
    pub passengers_helmet: i64,
}

pub async fn record_sample(state: &AppState, ctx: &Ctx, input: &SampleInput) -> Result<i64, LifeError> {
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let now = ningan_core::time::now_ms();
    let new = check_sample(input, &units, now)?;
    let mut w = state.db.write().await?;
    let id = records::sample_insert(&mut w, &ctx.actor(), &new, now).await?;
    w.commit().await?;
    Ok(id)
}

/// A roadside sample's fields checked, with its station among `units`.
pub fn check_sample(input: &SampleInput, units: &[OrgUnit], now: i64) -> Result<NewSample, LifeError> {
    let road = model::named(model::ROAD_TYPES, input.road_type.trim()).ok_or_else(|| {
        LifeError::field_of("road_type", "道路类型应为城市道路或公路", "road type is urban or highway")
    })?;
    let count = |field: &'static str, n: i64| {
        if (0..=10_000).contains(&n) {
            Ok(n)
        } else {
            Err(LifeError::field_of(field, "人数应为0至10000", "counts are 0 to 10,000"))
        }
    };
    let drivers = count("drivers", input.drivers)?;
    let passengers = count("passengers", input.passengers)?;
    let dh = count("drivers_helmet", input.drivers_helmet)?;
    let ph = count("passengers_helmet", input.passengers_helmet)?;
    if dh > drivers {
        return Err(LifeError::field_of(
            "drivers_helmet",
            "戴头盔驾驶人不能多于驾驶人",
            "more helmeted drivers than drivers",
        ));
    }
    if ph > passengers {
        return Err(LifeError::field_of(
            "passengers_helmet",
            "戴头盔乘员不能多于乘员",
            "more helmeted passengers than passengers",
        ));
    }
    if drivers + passengers == 0 {
        return Err(LifeError::context_of("drivers", "至少清点一名骑乘人员", "count at least one rider"));
    }
    let at = input.at.unwrap_or(now);
    if at > now + 60_000 || at < now - 400 * ningan_core::quarantine::DAY_MS {
        return Err(LifeError::context_of("at", "抽样时间应在过去一年内", "a sample is taken within the last year"));
    }
    let place = text("place", ningan_core::text::address(&input.place))?;
    let station = station_among(units, input.lon, input.lat)?;
    Ok(NewSample {
        at,
        place,
        lon: input.lon,
        lat: input.lat,
        road_type: road.0.into(),
        drivers,
        drivers_helmet: dh,
        passengers,
        passengers_helmet: ph,
        unit_id: station.id,
        unit_path: station.path.clone(),
    })
}

/// Sends assigned points past their deadline at `now` up to the district; returns their ids.
pub async fn sweep_overdue(db: &ningan_store::Db, now: i64) -> Result<Vec<i64>, LifeError> {
    let mut w = db.write().await?;
    let moved = points::escalate_overdue(&mut w, now).await?;
    w.commit().await?;
    Ok(moved.into_iter().map(|m| m.0).collect())
}

/// Names the department a department's account speaks for.
pub async fn set_department(state: &AppState, ctx: &Ctx, user_id: i64, department: &str) -> Result<(), LifeError> {
    let d =
        model::named(model::DEPARTMENTS, department.trim()).ok_or_else(|| LifeError::Department(department.into()))?;
    let user = state
        .db
        .user_get(&ctx.scope(), user_id)
        .await
        .map_err(|_| LifeError::field_of("user_id", "本辖区无此账号", "no such account in your area"))?;
    if !user.roles.contains(&ningan_core::Role::Department) {
        return Err(LifeError::field_of(
            "user_id",
            "该账号不是本辖区的责任部门账号",
            "not a department account of your area",
        ));
    }
    let mut w = state.db.write().await?;
    records::set_department(&mut w, &ctx.actor(), user_id, d.0, ningan_core::time::now_ms()).await?;
    w.commit().await?;
    Ok(())
}
