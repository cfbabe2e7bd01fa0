//! The demo's second city (绍兴) for 跨市通办: its own ningan instance in the same process,
//! with its own database under the demo's data directory, its own register and clerk, linked
//! to Ningbo by a shared secret and each other's Ed25519 keys. A Ningbo station forwards an
//! application for a Shaoxing resident; Shaoxing's clerk decides it; Ningbo follows it.

use anyhow::{Context, Result};
use ningan_core::district::SHAOXING;
use ningan_core::{IdNumber, Role};
use ningan_store::{Actor, Db, NewResident, NewUser, Scope};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::{Config, CrossCityConfig, PeerCity};

/// People in the second city's register: enough to find someone, few enough to start fast.
const PEOPLE: u16 = 600;
/// The second city's clerk, at its first district's station.
pub const CLERK: &str = "sx_clerk";

/// A running second city and what Ningbo needs to reach it.
pub struct SecondCity {
    /// Ningbo's peer entry for it.
    pub peer: PeerCity,
    pub url: String,
    pub clerk_password: String,
    /// A resident registered there: (name, ID number).
    pub citizen: (String, String),
    serving: tokio::task::JoinHandle<()>,
}

impl SecondCity {
    /// Waits for the second city to drain and stop, once its shutdown future has resolved.
    pub async fn wait(self) {
        if let Err(e) = self.serving.await {
            tracing::warn!(error = %e, "second city");
        }
    }
}

async fn public_key(db: &Db) -> Result<String> {
    let (key, _) = crate::trust::Trust::default().key(db).await?;
    Ok(hex::encode(key.verifying_key().as_bytes()))
}

/// Opens (and the first time fills) the second city next to `ningbo`'s data and starts it on
/// a free loopback port until `shutdown` resolves; `ningbo_url` is where Ningbo will listen.
pub async fn start(
    ningbo: &Config,
    ningbo_db: &Db,
    ningbo_url: &str,
    seed: u64,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<SecondCity> {
    let secret = hex::encode(rand::random::<[u8; 16]>());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the second city")?;
    let addr = listener.local_addr()?;
    let mut config = Config {
        data_dir: ningbo.data_dir.join("shaoxing"),
        listen: addr,
        crosscity: CrossCityConfig {
            city: SHAOXING.code.to_string(),
            name: SHAOXING.bureau.into(),
            peers: vec![PeerCity {
                city: ningbo.crosscity.city.clone(),
                name: ningbo.crosscity.name.clone(),
                url: ningbo_url.into(),
                secret: secret.clone(),
                public_key: Some(public_key(ningbo_db).await?),
            }],
        },
        ..Config::default()
    };
    config.portal.show_codes = true;
    std::fs::create_dir_all(&config.data_dir).context("the second city's data directory")?;
    let db = crate::app::open_db(&config).await.context("opening the second city's database")?;
    let citizen = populate(&db, seed).await?;
    let peer = PeerCity {
        city: config.crosscity.city.clone(),
        name: config.crosscity.name.clone(),
        url: format!("http://{addr}"),
        secret,
        public_key: Some(public_key(&db).await?),
    };
    crate::modules::services::crosscity::register_peer_keys(ningbo_db, std::slice::from_ref(&peer)).await?;
    let server = crate::server::Server::start(config, db, listener, shutdown).await?;
    let serving = tokio::spawn(async move {
        if let Err(e) = server.wait().await {
            tracing::warn!(error = %e, "second city stopped");
        }
    });
    Ok(SecondCity {
        peer,
        url: format!("http://{addr}"),
        clerk_password: crate::demo::demo_password(seed, CLERK),
        citizen,
        serving,
    })
}

/// The register and the clerk, made once; returns the citizen the README's walk uses (the
/// first resident of the first district's station, where the clerk works).
async fn populate(db: &Db, seed: u64) -> Result<(String, String)> {
    let station_code = format!("{}001", SHAOXING.districts[0].0);
    let station = db.unit_by_code(&station_code).await?;
    let actor = Actor { name: "system:demo".into(), unit_id: None };
    let all = Scope::everything();
    if db.setting("demo.second_city").await?.is_none() {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5358);
        let mut w = db.write().await?;
        for n in 0..PEOPLE {
            let (code, district, _) = SHAOXING.districts[usize::from(n) % SHAOXING.districts.len()];
            let unit = db.unit_by_code(&format!("{code}001")).await?;
            let surname = crate::demo::pick(&mut rng, crate::demo::names::SURNAMES);
            let birth =
                chrono::NaiveDate::from_ymd_opt(rng.gen_range(1950..2005), rng.gen_range(1..13), rng.gen_range(1..29))
                    .context("a demo birth date")?;
            let id = IdNumber::synthesize(code, birth, n + 1);
            let phone = ningan_core::Phone::parse(&format!("135{:08}", 60_000_000 + u32::from(n)))
                .map_err(|e| anyhow::anyhow!("demo phone: {e}"))?;
            w.resident_insert(
                &actor,
                &all,
                &NewResident {
                    name: crate::modules::residents::demo::person_name(&mut rng, surname),
                    id_number: id,
                    phone: Some(phone),
                    hukou_address: format!("绍兴市{district}演示路{}号", rng.gen_range(1..300)),
                    residence_address: None,
                    unit_id: unit.id,
                },
            )
            .await?;
        }
        let hash = crate::secrets::hash_password(&crate::demo::demo_password(seed, CLERK))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        w.user_insert(
            &actor,
            &all,
            &NewUser {
                username: CLERK.into(),
                display_name: "绍兴窗口民警".into(),
                password_hash: hash,
                unit_id: station.id,
                roles: vec![Role::ServiceClerk],
            },
        )
        .await?;
        w.setting_set("demo.second_city", &seed.to_string()).await?;
        w.commit().await?;
    }
    let first = db
        .residents_with_phone(PEOPLE.into())
        .await?
        .into_iter()
        .find(|(_, _, unit)| *unit == station.id)
        .context("a resident of the second city's first station")?;
    let r = db.resident_record(first.0).await?;
    Ok((r.name, r.id_number))
}

/// Tells the demo's user how to walk 跨市通办 through both cities.
pub fn print(city: &SecondCity) {
    let (name, id) = &city.citizen;
    println!("第二城市（{}）/ the second city: {}", SHAOXING.bureau, city.url);
    println!("  {CLERK:<14} {:<18} 受理窗口 / its counter clerk", city.clerk_password);
    println!(
        "  绍兴户籍演示居民 / a Shaoxing resident: {name} {id}（在宁波任一派出所“跨市通办”转递 / forward at any Ningbo station）\n"
    );
}
