//! The synthetic demo city: from a seed, deterministically, the stations of Ningbo's ten
//! districts, residents with valid synthetic identifiers, and an officer account for every
//! role. Each module adds its own data as one [`DemoPart`]; nothing personal is real.

pub(crate) mod names;
pub mod second_city;

use std::net::SocketAddr;

use anyhow::{Context, Result};
use ningan_core::Role;
use ningan_core::district::DISTRICTS;
use ningan_core::geo::MultiPolygon;
use ningan_store::{Actor, Db, NewOrgUnit, NewUser, OrgUnit, Scope};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Debug, Clone)]
pub struct DemoSpec {
    pub people: u64,
    pub seed: u64,
    /// Where the tracing engine keeps its files; check-ins are generated only when given
    /// (and no server has the engine open).
    pub trace_dir: Option<std::path::PathBuf>,
}

/// What every part of the generator can use: the database, the spec, the stations made so
/// far, and a random source derived from the seed and the part's name.
pub struct DemoContext<'a> {
    pub db: &'a Db,
    pub spec: &'a DemoSpec,
    pub stations: &'a [OrgUnit],
    pub actor: Actor,
}

impl DemoContext<'_> {
    /// A generator for `part` that depends only on the seed, so parts can be added or
    /// reordered without changing each other's data.
    pub fn rng(&self, part: &str) -> ChaCha8Rng {
        let h = stable_hash(part);
        ChaCha8Rng::seed_from_u64(self.spec.seed ^ h)
    }
}

fn stable_hash(s: &str) -> u64 {
    // FNV-1a: stable across Rust versions, unlike the std hasher.
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
}

/// What a demo part's generation returns.
pub type DemoFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>>;

/// One module's share of the demo city, declared in its descriptor (`Module::demo`); parts
/// run in the order of `modules::ALL`, each with its own seeded generator.
pub struct DemoPart {
    pub name: &'static str,
    pub generate: for<'a> fn(&'a DemoContext<'a>) -> DemoFuture<'a>,
}

#[derive(Debug, Clone)]
pub struct Login {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub unit: String,
}

/// Generates the city unless this database already holds one, and returns the logins.
pub async fn ensure(db: &Db, spec: &DemoSpec) -> Result<Vec<Login>> {
    let seed = match db.setting("demo.seed").await? {
        Some(s) => {
            let seed: u64 = s.parse().context("stored demo seed")?;
            if seed != spec.seed {
                eprintln!(
                    "注意：数据库中已有种子为 {seed} 的演示城市，未重新生成 / a demo city with seed {seed} exists; not regenerated"
                );
            }
            seed
        }
        None => {
            generate(db, spec).await?;
            spec.seed
        }
    };
    Ok(demo_logins(db, seed).await)
}

async fn generate(db: &Db, spec: &DemoSpec) -> Result<()> {
    let started = std::time::Instant::now();
    let actor = Actor { name: "system:demo".into(), unit_id: None };
    let stations = make_stations(db, spec.seed, &actor).await?;
    eprintln!("已生成 {} 个派出所 / {} stations", stations.len(), stations.len());
    make_officers(db, spec.seed, &actor).await?;
    let ctx = DemoContext { db, spec, stations: &stations, actor };
    for part in crate::modules::ALL.iter().filter_map(|m| m.demo.as_ref()) {
        let t = std::time::Instant::now();
        (part.generate)(&ctx).await.with_context(|| format!("demo part {}", part.name))?;
        eprintln!("{} 完成，用时 {:.1}s / {} done", part.name, t.elapsed().as_secs_f64(), part.name);
    }
    let mut w = db.write().await?;
    w.setting_set("demo.seed", &spec.seed.to_string()).await?;
    w.setting_set("demo.people", &spec.people.to_string()).await?;
    w.commit().await?;
    eprintln!("演示城市生成完毕，用时 {:.1}s / demo city ready", started.elapsed().as_secs_f64());
    Ok(())
}

/// Stations per district in proportion to population, at least four each.
pub fn stations_per_district(share: f64) -> usize {
    ((share * 80.0).round() as usize).max(4)
}

async fn make_stations(db: &Db, seed: u64, actor: &Actor) -> Result<Vec<OrgUnit>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ stable_hash("stations"));
    let mut stations = Vec::new();
    let mut w = db.write().await?;
    for d in DISTRICTS {
        let branch = db.unit_by_code(&d.code.to_string()).await?;
        let short = d.name.trim_end_matches(['区', '县', '市']);
        let shape = crate::geo::district_shape(d.code).with_context(|| format!("no boundary for {}", d.name))?;
        let mut place_names = names::STATION_PLACES.to_vec();
        for i in 0..stations_per_district(d.population_share) {
            let (place, place_en) = place_names.remove(rng.gen_range(0..place_names.len()));
            let new = NewOrgUnit {
                parent_id: branch.id,
                code: format!("{}{:03}", d.code, i + 1),
                name: format!("{short}{place}派出所"),
                name_en: format!("{} {place_en} Station", d.name_en),
                location: Some(point_in(&mut rng, &shape.shape)),
            };
            stations.push(w.unit_insert(actor, &Scope::everything(), &new).await?);
        }
    }
    w.commit().await?;
    Ok(stations)
}

/// A random point inside `shape`, drawn from its largest polygon's bounding box and kept
/// only when it falls inside (rejection sampling; islands are too small to matter).
pub fn point_in(rng: &mut impl Rng, shape: &MultiPolygon) -> [f64; 2] {
    let Some(poly) = shape.largest() else { return [0.0, 0.0] };
    let single = MultiPolygon { polygons: vec![poly.clone()] };
    let Some((lo, hi)) = single.bbox() else {
        return [0.0, 0.0];
    };
    loop {
        let p = [rng.gen_range(lo[0]..hi[0]), rng.gen_range(lo[1]..hi[1])];
        if poly.contains(p) {
            return p;
        }
    }
}

/// A point near `around` that is still inside `shape`, falling back to `around` itself.
pub fn point_near(rng: &mut impl Rng, shape: &MultiPolygon, around: [f64; 2], radius_deg: f64) -> [f64; 2] {
    for _ in 0..50 {
        let p =
            [around[0] + rng.gen_range(-radius_deg..radius_deg), around[1] + rng.gen_range(-radius_deg..radius_deg)];
        if shape.contains(p) {
            return p;
        }
    }
    around
}

/// SHA-256 over the generated city's content (units, compounds, residents) in id order,
/// leaving out what differs by design between runs (salted password hashes, wall-clock
/// times of unit and account creation).
pub async fn fingerprint(db: &Db) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for u in db.units_in_scope(&Scope::everything()).await? {
        h.update(format!("{}|{}|{}|{:?}\n", u.code, u.name, u.path, u.location).as_bytes());
    }
    let mut page = ningan_store::PageRequest::new(Some(1), Some(200));
    let actor = Actor { name: "system:fingerprint".into(), unit_id: None };
    loop {
        let mut w = db.write().await?;
        let p = w.resident_search(&actor, &Scope::everything(), &ningan_store::ResidentQuery::default(), page).await?;
        drop(w);
        for r in &p.items {
            h.update(
                format!(
                    "{}|{}|{:?}|{}|{:?}|{}|{:?}|{:?}|{}\n",
                    r.name,
                    r.id_number,
                    r.phone,
                    r.hukou_address,
                    r.residence_address,
                    r.unit_id,
                    r.compound_id,
                    r.household_no,
                    r.created_at
                )
                .as_bytes(),
            );
        }
        if page.page >= p.pages() {
            break;
        }
        page.page += 1;
    }
    Ok(hex::encode(h.finalize()))
}

/// Who each demo account is: username, role, and the unit it belongs to.
const OFFICERS: &[(&str, Role, Unit)] = &[
    ("admin", Role::Administrator, Unit::City),
    // Personal-data roles and wide tokens take a second administrator's approval.
    ("admin2", Role::Administrator, Unit::City),
    ("auditor", Role::Auditor, Unit::City),
    ("commander", Role::Commander, Unit::City),
    ("epi", Role::Epidemiologist, Unit::City),
    ("analyst", Role::FraudAnalyst, Unit::District(330203)),
    ("detective", Role::Investigator, Unit::District(330212)),
    // Of the same unit but on none of its cases: opens none of them.
    ("detective2", Role::Investigator, Unit::District(330212)),
    ("officer", Role::StationOfficer, Unit::FirstStation(330203)),
    ("clerk", Role::ServiceClerk, Unit::FirstStation(330203)),
    ("officer2", Role::StationOfficer, Unit::FirstStation(330206)),
    // A coastal station, whose households the typhoon scenario evacuates.
    ("coast", Role::StationOfficer, Unit::FirstStation(330225)),
    // The Transport Bureau's liaison for the risk points assigned to it in Haishu.
    ("dept", Role::Department, Unit::District(330203)),
];

#[derive(Debug, Clone, Copy)]
enum Unit {
    City,
    District(u32),
    FirstStation(u32),
}

fn unit_code(u: Unit) -> String {
    match u {
        Unit::City => ningan_core::district::NINGBO_CODE.to_string(),
        Unit::District(c) => c.to_string(),
        Unit::FirstStation(c) => format!("{c}001"),
    }
}

/// Demo passwords follow from the seed, so they can be printed on every start.
pub(crate) fn demo_password(seed: u64, username: &str) -> String {
    let h = crate::secrets::sha256_hex(format!("ningan-demo:{seed}:{username}").as_bytes());
    format!("demo{}{}", &h[..8], "7x")
}

async fn make_officers(db: &Db, seed: u64, actor: &Actor) -> Result<()> {
    let mut w = db.write().await?;
    for (username, role, unit) in OFFICERS {
        let unit = db.unit_by_code(&unit_code(*unit)).await?;
        let hash = crate::secrets::hash_password(&demo_password(seed, username)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let display = names::officer_display_name(username);
        w.user_insert(
            actor,
            &Scope::everything(),
            &NewUser {
                username: (*username).into(),
                display_name: display.into(),
                password_hash: hash,
                unit_id: unit.id,
                roles: vec![*role],
            },
        )
        .await?;
    }
    // One request waits for the second administrator: the first asks that a station officer
    // also work as an investigator.
    let admin = w.user_id_by_username("admin").await?;
    let officer2 = w.user_id_by_username("officer2").await?;
    w.grant_request_roles(actor, admin, officer2, &[Role::Investigator]).await?;
    w.commit().await?;
    Ok(())
}

async fn demo_logins(db: &Db, seed: u64) -> Vec<Login> {
    let mut out = Vec::new();
    for (username, role, unit) in OFFICERS {
        let unit = db.unit_by_code(&unit_code(*unit)).await.map(|u| u.name).unwrap_or_default();
        out.push(Login { username: (*username).into(), password: demo_password(seed, username), role: *role, unit });
    }
    out
}

pub fn print_logins(logins: &[Login], addr: Option<SocketAddr>) {
    if let Some(addr) = addr {
        println!("\n宁安演示城市已启动 / ningan demo city: http://{addr}\n");
    }
    println!("{:<11} {:<18} {:<12} 单位 / unit", "用户名", "密码 / password", "角色 / role");
    for l in logins {
        println!("{:<14} {:<18} {:<12} {}", l.username, l.password, l.role.label_zh(), l.unit);
    }
    println!();
}

pub(crate) fn pick<T: Copy>(rng: &mut impl Rng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

/// Starts `ningan partner-sim` on a free port and registers its agencies (a fresh secret each
/// start); the process is killed when the returned handle is dropped.
pub async fn start_partner_sim(db: &Db) -> Result<tokio::process::Child> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let secret = hex::encode(rand::random::<[u8; 16]>());
    let child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["partner-sim", "--listen", &format!("127.0.0.1:{port}"), "--secret", &secret])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the partner-agency simulator")?;
    let actor = Actor { name: "system:demo".into(), unit_id: None };
    let mut w = db.write().await?;
    register_sim_agencies(&mut w, &actor, &format!("http://127.0.0.1:{port}"), &secret).await?;
    w.commit().await?;
    eprintln!("协作单位模拟器 / partner-agency simulator: http://127.0.0.1:{port}");
    Ok(child)
}

/// Registers (or re-points) the simulator's agencies at `base`, each subscribing to identity
/// changes, and the bank's stop-payment desk.
pub(crate) async fn register_sim_agencies(
    w: &mut ningan_store::Write,
    actor: &Actor,
    base: &str,
    secret: &str,
) -> Result<()> {
    for (code, name, evidence) in crate::sim::AGENCIES {
        w.agency_upsert(
            actor,
            &ningan_store::NewAgency {
                code: (*code).into(),
                name: (*name).into(),
                base_url: format!("{base}/{code}"),
                secret: secret.into(),
                evidence: evidence.iter().map(|e| (*e).into()).collect(),
                webhook_url: Some(format!("{base}/{code}/identity-changes")),
            },
        )
        .await?;
    }
    // Each simulated agency signs its answers with its own Ed25519 key, derived from the
    // secret; registering the public halves makes the bureau insist on those signatures.
    for code in crate::sim::AGENCIES.iter().map(|a| a.0).chain([crate::sim::BANK.0]) {
        let public = hex::encode(crate::sim::agency_key(secret, code).verifying_key().as_bytes());
        crate::trust::register_partner_key(w, code, &public).await.map_err(anyhow::Error::msg)?;
    }
    let (code, name) = crate::sim::BANK;
    w.agency_upsert(
        actor,
        &ningan_store::NewAgency {
            code: code.into(),
            name: name.into(),
            base_url: format!("{base}/{code}"),
            secret: secret.into(),
            evidence: vec![],
            webhook_url: None,
        },
    )
    .await?;
    Ok(())
}

/// Prints a demo citizen for the portal: someone registered in Yinzhou, so that a name change
/// applied for online can be handled by the demo clerk's station in Haishu (全城通办).
pub async fn print_citizen(db: &Db) {
    let Ok(people) = db.residents_with_phone(5_000).await else { return };
    // A Yinzhou resident when there is one among them (the README's walk-through), else anyone.
    let mut chosen = None;
    for (id, phone, unit_id) in people {
        let Ok(unit) = db.unit_by_id(unit_id).await else { continue };
        let yinzhou = unit.code.starts_with("330212");
        if chosen.is_none() || yinzhou {
            chosen = Some((id, phone, unit));
        }
        if yinzhou {
            break;
        }
    }
    let Some((id, phone, unit)) = chosen else { return };
    let Ok(r) = db.resident_record(id).await else { return };
    println!(
        "市民 / citizen     {} 身份证号 / ID {} 登记手机 / phone {}（{}）：网上办事 /portal，验证码显示在页面上 / the code shows on the page",
        r.name, r.id_number, phone, unit.name
    );
    println!();
}
