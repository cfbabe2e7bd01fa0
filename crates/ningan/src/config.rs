//! Layered configuration: built-in defaults, then a TOML file, then `NINGAN_*` environment
//! variables (`__` for nesting), then command-line flags. `ningan config check` prints the
//! result with secrets hidden.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Config {
    /// Where the embedded database and engine files live.
    pub data_dir: PathBuf,
    /// PostgreSQL instead of the embedded SQLite, e.g. `postgres://user:pw@host/db`.
    pub database_url: Option<String>,
    pub listen: SocketAddr,
    /// `tracing` filter, e.g. `info` or `ningan=debug,tower_http=info`.
    pub log: String,
    /// `text` for people reading a terminal, `json` (one object a line, with the request's
    /// id) for a log collector.
    pub log_format: String,
    pub session: SessionConfig,
    pub login: LoginConfig,
    pub http: HttpConfig,
    pub trace: TraceConfig,
    pub nats: NatsConfig,
    pub fraud: FraudConfig,
    pub portal: PortalConfig,
    pub crosscity: CrossCityConfig,
    pub map: MapConfig,
    pub backup: BackupConfig,
    /// Sections declared by modules (`Module::config`), as `[modules.<name>]`; a module reads
    /// its own, typed, with [`Config::module`].
    pub modules: std::collections::BTreeMap<String, serde_json::Value>,
}

/// A module's configuration section: its name under `[modules]`, defaults and checks.
pub trait ModuleConfig: Serialize + serde::de::DeserializeOwned + Default {
    const NAME: &'static str;

    /// The first value out of range, as (its key in the section, why).
    fn check(&self) -> Result<(), (&'static str, String)> {
        Ok(())
    }
}

/// A module's section as `modules::ALL` declares it: [`Section::of`] a [`ModuleConfig`].
pub struct Section {
    pub name: &'static str,
    pub defaults: fn() -> serde_json::Value,
    pub check: fn(&serde_json::Value) -> Result<(), ConfigError>,
}

impl Section {
    pub const fn of<T: ModuleConfig>() -> Section {
        Section { name: T::NAME, defaults: defaults_of::<T>, check: check_of::<T> }
    }
}

fn defaults_of<T: ModuleConfig>() -> serde_json::Value {
    serde_json::to_value(T::default()).unwrap_or_default()
}

fn check_of<T: ModuleConfig>(v: &serde_json::Value) -> Result<(), ConfigError> {
    let section: T = serde_json::from_value(v.clone())
        .map_err(|e| ConfigError::Module { key: format!("modules.{}", T::NAME), message: e.to_string() })?;
    section.check().map_err(|(key, message)| ConfigError::Module { key: format!("modules.{}.{key}", T::NAME), message })
}

/// The workbench's maps. Without a tile server they draw the districts and the demo city's
/// generated streets, offline; a bureau with its own tiles (天地图, its GIS platform) names them
/// here. Coordinates are shown as stored, so the tiles must use the same datum (WGS-84 or
/// CGCS2000, as 天地图 does; GCJ-02 tiles such as 高德's would be offset by a few hundred metres).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct MapConfig {
    /// An XYZ tile URL template with `{z}`, `{x}` and `{y}` (and optionally `{s}`).
    pub tiles: Option<String>,
    /// The tiles' credit line, shown in the map's corner.
    pub attribution: String,
    /// The deepest zoom the tiles offer (compound scale needs 17 or more).
    pub max_zoom: u8,
}

impl Default for MapConfig {
    fn default() -> Self {
        MapConfig { tiles: None, attribution: String::new(), max_zoom: 19 }
    }
}

/// Cross-city handling: this instance's city and the other cities' ningan it exchanges
/// applications with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CrossCityConfig {
    /// This city's GB/T 2260 code.
    pub city: String,
    pub name: String,
    pub peers: Vec<PeerCity>,
}

impl Default for CrossCityConfig {
    fn default() -> Self {
        CrossCityConfig { city: "330200".into(), name: "宁波市公安局".into(), peers: Vec::new() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PeerCity {
    pub city: String,
    pub name: String,
    /// Base URL of the other city's ningan.
    pub url: String,
    /// Shared with that city; signs requests both ways.
    pub secret: String,
    /// That city's Ed25519 public key (64 hex digits, from its `GET /api/exchange/keys`):
    /// once given, its requests and answers must carry its signature.
    #[serde(default)]
    pub public_key: Option<String>,
}

/// `ningan backup` and `ningan restore`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct BackupConfig {
    /// 64 hex digits (32 random bytes, e.g. `openssl rand -hex 32`): backups hold personal
    /// data, so every file in one is encrypted with this key. Keep it apart from the backups;
    /// `NINGAN_BACKUP__KEY` sets it from the environment.
    pub key: Option<String>,
}

/// The citizen portal.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct PortalConfig {
    /// Show sign-in codes on the page instead of only queueing them for the SMS gateway: for
    /// the demo city, which has no gateway. Never in production.
    pub show_codes: bool,
    /// How partners reach this server (for the validation callback URL in identity-change
    /// events); `http://<listen>` when unset.
    pub public_url: Option<String>,
}

/// Anti-fraud scoring.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct FraudConfig {
    /// A TOML rule set to start with; otherwise the set last saved through the API, otherwise
    /// the shipped one.
    pub rules_file: Option<PathBuf>,
    /// Public look-ups and reports per client address per minute.
    pub public_per_minute: u32,
    /// Score the NATS signal stream in this process (needs `nats.url`). One process per
    /// city should, unless `partitions` is set: every window lives in the process that
    /// scores it.
    pub consume_stream: bool,
    /// Scale-out: cut the signal stream into this many partitions by person; every process
    /// with `consume_stream` scores the partitions it holds a lease on (needs `nats.url`).
    /// 0: one process scores every signal.
    pub partitions: u32,
    /// How long a partition's lease lasts without renewal: how soon the partitions of a
    /// process that died are taken over.
    pub lease_seconds: u32,
}

impl Default for FraudConfig {
    fn default() -> Self {
        FraudConfig { rules_file: None, public_per_minute: 30, consume_stream: false, partitions: 0, lease_seconds: 10 }
    }
}

/// Check-ins through NATS JetStream, so that several ningan processes share one stream: any
/// of them accepts scans and publishes them; every one of them folds the whole stream into
/// its own tracing engine (a durable consumer per data directory).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct NatsConfig {
    /// e.g. `nats://127.0.0.1:4222`; unset: check-ins go straight to the local engine.
    pub url: Option<String>,
    pub stream: Option<String>,
    pub subject: Option<String>,
    /// This process's durable consumer; derived from the data directory when unset.
    pub consumer: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct TraceConfig {
    /// Days of check-ins and cell stays kept; older days are dropped whole.
    pub retention_days: u32,
    /// H3 resolution of the cell grid for space-time companions (0–8; 8 is about 900 m).
    pub cell_resolution: u8,
    /// A close contact's window met by more presences than this is a crowded place (a mass
    /// venue): published as an exposure place, not traced for secondary contacts person by
    /// person.
    pub crowd_cap: u32,
}

impl Default for TraceConfig {
    fn default() -> Self {
        TraceConfig {
            retention_days: 28,
            cell_resolution: 8,
            crowd_cap: crate::modules::precise::tracing::tracer::CROWD_CAP,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SessionConfig {
    pub hours: u32,
    /// Mark cookies `Secure`; set when TLS terminates in front of ningan.
    pub secure_cookie: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct LoginConfig {
    /// Failed logins from one address on one account name before that address may not try
    /// that name for `lockout_minutes` (other addresses are unaffected).
    pub max_failures: u32,
    pub lockout_minutes: u32,
    /// Failed logins per client address per 15 minutes before it is refused outright.
    pub max_failures_per_client: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct HttpConfig {
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./ningan-data"),
            database_url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log: "info".into(),
            log_format: "text".into(),
            session: SessionConfig::default(),
            login: LoginConfig::default(),
            http: HttpConfig::default(),
            trace: TraceConfig::default(),
            nats: NatsConfig::default(),
            fraud: FraudConfig::default(),
            portal: PortalConfig::default(),
            crosscity: CrossCityConfig::default(),
            map: MapConfig::default(),
            backup: BackupConfig::default(),
            modules: crate::modules::ALL
                .iter()
                .filter_map(|m| m.config.as_ref())
                .map(|c| (c.name.to_string(), (c.defaults)()))
                .collect(),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig { hours: 12, secure_cookie: false }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig { max_failures: 5, lockout_minutes: 15, max_failures_per_client: 30 }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { body_limit_bytes: 2 * 1024 * 1024, request_timeout_secs: 30 }
    }
}

/// Values given as flags; `None` leaves the lower layers' value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Figment(#[from] Box<figment::Error>),
    #[error("invalid configuration: key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
    #[error("invalid configuration: key `{key}`: {message}")]
    Module { key: String, message: String },
}

/// Keys that `NINGAN_*` variables may carry without being configuration.
const NOT_CONFIG_ENV: &[&str] = &["config", "pg_bin"];

impl Config {
    /// Loads the layers. `file` is `--config`; without it `./ningan.toml` is read if present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<(Config, Vec<String>), ConfigError> {
        let env = Env::prefixed("NINGAN_").split("__").ignore(NOT_CONFIG_ENV);
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) if !f.exists() => return Err(ConfigError::MissingFile(f.to_path_buf())),
            Some(f) => fig = fig.merge(Toml::file(f)),
            None => fig = fig.merge(Toml::file("ningan.toml")),
        }
        fig = fig.merge(env).merge(Serialized::defaults(overrides));
        let config: Config = fig.extract().map_err(Box::new)?;
        let unknown = unknown_keys(&fig)?;
        config.validate()?;
        Ok((config, unknown))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| Err(ConfigError::Invalid { key, message: message.to_string() });
        if self.session.hours == 0 || self.session.hours > 24 * 30 {
            return invalid("session.hours", "must be between 1 and 720");
        }
        if self.login.max_failures == 0 {
            return invalid("login.max_failures", "must be at least 1");
        }
        if self.login.lockout_minutes == 0 {
            return invalid("login.lockout_minutes", "must be at least 1");
        }
        if self.http.body_limit_bytes < 1024 {
            return invalid("http.body_limit_bytes", "must be at least 1024");
        }
        if !(1..=366).contains(&self.trace.retention_days) {
            return invalid("trace.retention_days", "must be between 1 and 366");
        }
        if self.trace.cell_resolution > ningan_trace::grid::FINEST {
            return invalid("trace.cell_resolution", "must be between 0 and 8");
        }
        if self.trace.crowd_cap == 0 {
            return invalid("trace.crowd_cap", "must be at least 1");
        }
        if self.http.request_timeout_secs == 0 {
            return invalid("http.request_timeout_secs", "must be at least 1");
        }
        if let Some(t) = &self.map.tiles
            && (!(t.starts_with("https://") || t.starts_with("http://") || t.starts_with('/'))
                || !["{z}", "{x}", "{y}"].iter().all(|k| t.contains(k)))
        {
            return invalid("map.tiles", "must be an http(s) URL template containing {z}, {x} and {y}");
        }
        if !(10..=22).contains(&self.map.max_zoom) {
            return invalid("map.max_zoom", "must be between 10 and 22");
        }
        if self.log.trim().is_empty() {
            return invalid("log", "must name a level such as info");
        }
        if let Some(k) = &self.backup.key
            && (k.len() != 64 || !k.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return invalid("backup.key", "must be 64 hex digits (32 random bytes)");
        }
        if self.fraud.partitions > 1024 {
            return invalid("fraud.partitions", "must be at most 1024");
        }
        if self.fraud.partitions > 0 && self.nats.url.is_none() {
            return invalid("fraud.partitions", "needs nats.url: the partitions are subjects of a NATS stream");
        }
        if !(2..=600).contains(&self.fraud.lease_seconds) {
            return invalid("fraud.lease_seconds", "must be between 2 and 600");
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return invalid("log_format", "must be text or json");
        }
        if let Err(e) = ningan_store::Location::resolve(&self.data_dir, self.database_url.as_deref()) {
            return Err(ConfigError::Invalid { key: "database_url", message: e.to_string() });
        }
        for section in crate::modules::ALL.iter().filter_map(|m| m.config.as_ref()) {
            (section.check)(self.modules.get(section.name).unwrap_or(&serde_json::Value::Null))?;
        }
        Ok(())
    }

    /// A module's section, typed; checked when the configuration was loaded.
    pub fn module<T: ModuleConfig>(&self) -> T {
        self.modules.get(T::NAME).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
    }

    /// The effective configuration as TOML, with the database password hidden.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = shown.database_url.map(|u| ningan_store::redact_url(&u));
        shown.backup.key = shown.backup.key.map(|_| "***".into());
        toml_string(&shown)
    }
}

fn toml_string(c: &Config) -> String {
    // figment's TOML support brings the `toml` crate; go through a JSON value so no second
    // serializer is needed.
    let v = serde_json::to_value(c).unwrap_or_default();
    let mut out = String::new();
    let mut tables = String::new();
    if let serde_json::Value::Object(map) = v {
        for (k, v) in map {
            match v {
                serde_json::Value::Object(inner) => {
                    let mut sub = String::new();
                    tables.push_str(&format!("\n[{k}]\n"));
                    for (ik, iv) in inner {
                        match iv {
                            // A module's section: a table of its own.
                            serde_json::Value::Object(fields) => {
                                sub.push_str(&format!("\n[{k}.{ik}]\n"));
                                for (fk, fv) in fields {
                                    sub.push_str(&format!("{fk} = {fv}\n"));
                                }
                            }
                            other => tables.push_str(&format!("{ik} = {other}\n")),
                        }
                    }
                    tables.push_str(&sub);
                }
                serde_json::Value::Null => out.push_str(&format!("# {k} is not set\n")),
                other => out.push_str(&format!("{k} = {other}\n")),
            }
        }
    }
    out + &tables
}

/// Keys present in the merged layers that [`Config`] does not know, to warn about typos.
fn unknown_keys(fig: &Figment) -> Result<Vec<String>, ConfigError> {
    let merged: serde_json::Value = fig.extract().map_err(Box::new)?;
    let known = serde_json::to_value(Config::default()).unwrap_or_default();
    let mut unknown = Vec::new();
    collect_unknown("", &merged, &known, &mut unknown);
    Ok(unknown)
}

fn collect_unknown(prefix: &str, merged: &serde_json::Value, known: &serde_json::Value, out: &mut Vec<String>) {
    if let (Some(m), Some(k)) = (merged.as_object(), known.as_object()) {
        for (key, value) in m {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            match k.get(key) {
                None => out.push(path),
                Some(kv) => collect_unknown(&path, value, kv, out),
            }
        }
    }
}

#[cfg(test)]
// figment's Jail closures return figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use figment::Jail;

    use super::*;

    fn check_err(jail_setup: impl FnOnce(&mut Jail) -> figment::error::Result<()>, key: &str) {
        Jail::expect_with(|jail| {
            jail_setup(jail)?;
            let err = Config::load(None, &Overrides::default()).unwrap_err().to_string();
            assert!(err.to_lowercase().contains(key), "error should name {key}: {err}");
            Ok(())
        });
    }

    #[test]
    fn defaults_are_valid() {
        Jail::expect_with(|_| {
            let (c, unknown) = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(c, Config::default());
            assert!(unknown.is_empty());
            Ok(())
        });
    }

    #[test]
    fn flags_beat_environment_beat_file() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "ningan.toml",
                "listen = \"127.0.0.1:1001\"\nlog = \"debug\"\n[login]\nmax_failures = 3\n",
            )?;
            jail.set_env("NINGAN_LISTEN", "127.0.0.1:1002");
            jail.set_env("NINGAN_LOGIN__LOCKOUT_MINUTES", "7");
            jail.set_env("NINGAN_PG_BIN", "/not/config");
            let (c, unknown) = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(c.listen.port(), 1002, "environment beats file");
            assert_eq!(c.log, "debug", "file beats defaults");
            assert_eq!((c.login.max_failures, c.login.lockout_minutes), (3, 7));
            assert!(unknown.is_empty(), "{unknown:?}");
            let flags = Overrides { listen: Some("127.0.0.1:1003".into()), ..Default::default() };
            let (c, _) = Config::load(None, &flags).unwrap();
            assert_eq!(c.listen.port(), 1003, "flags beat environment");
            Ok(())
        });
    }

    #[test]
    fn invalid_values_name_their_key() {
        check_err(
            |j| {
                j.set_env("NINGAN_LOGIN__MAX_FAILURES", "many");
                Ok(())
            },
            "max_failures",
        );
        check_err(
            |j| {
                j.set_env("NINGAN_LISTEN", "not-an-address");
                Ok(())
            },
            "listen",
        );
        check_err(
            |j| {
                j.set_env("NINGAN_SESSION__HOURS", "0");
                Ok(())
            },
            "session.hours",
        );
        check_err(
            |j| {
                j.set_env("NINGAN_DATABASE_URL", "mysql://u:secret@h/db");
                Ok(())
            },
            "database_url",
        );
        check_err(
            |j| {
                j.create_file("ningan.toml", "[http]\nbody_limit_bytes = 10\n")?;
                Ok(())
            },
            "http.body_limit_bytes",
        );
        check_err(
            |j| {
                j.create_file("ningan.toml", "[map]\ntiles = \"https://t.example/{z}/{x}.png\"\n")?;
                Ok(())
            },
            "map.tiles",
        );
    }

    #[test]
    fn a_modules_section_is_read_checked_and_named_by_its_key() {
        Jail::expect_with(|jail| {
            jail.create_file("ningan.toml", "[modules.life]\nreopen_traffic_m = 200.0\n")?;
            jail.set_env("NINGAN_MODULES__LIFE__REOPEN_WATER_M", "800");
            let (c, unknown) = Config::load(None, &Overrides::default()).unwrap();
            assert!(unknown.is_empty(), "{unknown:?}");
            let life: crate::modules::life::LifeConfig = c.module();
            assert_eq!((life.reopen_traffic_m, life.reopen_water_m), (200.0, 800.0));
            assert!(c.to_redacted_toml().contains("[modules.life]"), "{}", c.to_redacted_toml());
            Ok(())
        });
        check_err(
            |j| {
                j.set_env("NINGAN_MODULES__LIFE__REOPEN_TRAFFIC_M", "5");
                Ok(())
            },
            "modules.life.reopen_traffic_m",
        );
        check_err(
            |j| {
                j.set_env("NINGAN_MODULES__LIFE__REOPEN_TRAFFIC_M", "far");
                Ok(())
            },
            "modules.life",
        );
    }

    #[test]
    fn a_tile_server_is_named_by_a_url_template() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "ningan.toml",
                "[map]\ntiles = \"https://t{s}.example.gov.cn/{z}/{x}/{y}.png\"\nattribution = \"天地图\"\n",
            )?;
            let (c, unknown) = Config::load(None, &Overrides::default()).unwrap();
            assert!(unknown.is_empty());
            assert_eq!(c.map.tiles.as_deref(), Some("https://t{s}.example.gov.cn/{z}/{x}/{y}.png"));
            assert_eq!(c.map.max_zoom, 19);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_reported_and_secrets_hidden() {
        Jail::expect_with(|jail| {
            jail.create_file("ningan.toml", "listne = \"x\"\ndatabase_url = \"postgres://u:secret@h/db\"\n")?;
            let (c, unknown) = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(unknown, vec!["listne".to_string()]);
            let shown = c.to_redacted_toml();
            assert!(!shown.contains("secret") && shown.contains("u:***@h/db"), "{shown}");
            Ok(())
        });
    }
}
