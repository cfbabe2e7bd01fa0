//! The command line: `serve`, `demo`, `migrate`, `user`, `token`, `audit verify`,
//! `config check`. Commands act with the operator's full scope and are audited as
//! `cli:<os user>`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use ningan_core::Role;
use ningan_core::district::NINGBO_CODE;
use ningan_store::{Actor, Db, NewUser, PageRequest, Scope};

use crate::config::{Config, Overrides};

#[derive(Parser)]
#[command(name = "ningan", version, about = "宁安 ningan — 公安数字化平台 / public-security platform")]
pub struct Cli {
    /// TOML configuration file (default: ./ningan.toml when present).
    #[arg(long, global = true, env = "NINGAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
struct DataArgs {
    /// Data directory of the embedded database (default ./ningan-data).
    #[arg(long = "data")]
    data: Option<PathBuf>,
    /// PostgreSQL URL instead of the embedded SQLite.
    #[arg(long = "database-url")]
    database_url: Option<String>,
}

#[derive(Args, Clone, Default)]
struct ListenArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        listen: ListenArgs,
    },
    /// Generate the synthetic demo city (if the database is empty) and serve it.
    Demo {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        listen: ListenArgs,
        /// Residents to generate.
        #[arg(long, default_value_t = 100_000)]
        people: u64,
        /// Seed: the same seed gives the same city.
        #[arg(long, default_value_t = 2021)]
        seed: u64,
        /// Generate, print the logins, and exit without serving.
        #[arg(long)]
        no_serve: bool,
        /// Play a scenario while serving: `typhoon` warns two coastal districts and
        /// evacuates their risk households into shelters.
        #[arg(long, value_parser = ["typhoon"])]
        scenario: Option<String>,
    },
    /// Run the partner-agency simulator (evidence for certificate-free handling, identity-change
    /// webhooks): a separate process for the demo and the tests.
    PartnerSim {
        #[arg(long, default_value = "127.0.0.1:18070")]
        listen: std::net::SocketAddr,
        /// The shared secret the bureau signs requests with.
        #[arg(long, env = "NINGAN_PARTNER_SECRET")]
        secret: String,
    },
    /// Apply database migrations.
    Migrate {
        #[command(flatten)]
        data: DataArgs,
        /// List what an upgrade would apply, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Manage officer accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens for devices and partner agencies.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The data exchange's keys and signed message log.
    Exchange {
        #[command(subcommand)]
        command: ExchangeCommand,
    },
    /// Configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Back up the database, the tracing engine's files and the rest of the data directory,
    /// encrypted with `backup.key`, while the server runs.
    Backup {
        #[command(flatten)]
        data: DataArgs,
        /// A new (or empty) directory for the backup.
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into a new data directory (and, for PostgreSQL, an empty database
    /// named by --database-url); a damaged or partial backup is refused by name.
    Restore {
        #[command(flatten)]
        data: DataArgs,
        /// The backup's directory.
        #[arg(long)]
        from: PathBuf,
    },
    /// Bulk imports: through a running server with `--server` and an API token, or straight
    /// into a stopped server's data directory.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Venue-code check-ins from Parquet or CSV with columns person_id (resident record id),
    /// space_id (venue record id), start_s, end_s (seconds since the epoch; empty end: the
    /// venue kind's usual stay).
    Checkins {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        remote: RemoteArgs,
        /// A .parquet or .csv file.
        file: PathBuf,
    },
    /// Anti-fraud risk signals from an NDJSON file, one signal object per line (the format of
    /// POST /api/fraud/signals/ndjson). Signals already logged are skipped; refused lines are
    /// reported with their number. Warnings raised become dissuasion tasks as over HTTP.
    /// Without `--server`, stop the server first: its scoring windows would not see these
    /// signals until restart.
    Signals {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        remote: RemoteArgs,
        /// An .ndjson (or .jsonl) file.
        file: PathBuf,
    },
}

/// A running server to import through.
#[derive(Args, Clone, Default)]
struct RemoteArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8080: the import goes through it while
    /// it serves.
    #[arg(long)]
    server: Option<String>,
    /// An API token allowed to send check-ins or signals (`ningan token create`).
    #[arg(long, env = "NINGAN_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; prints a generated password unless --password-stdin is given.
    Add {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        username: String,
        /// Display name (default: the username).
        #[arg(long, default_value = "")]
        name: String,
        /// Code of the org unit (default: the city bureau).
        #[arg(long, default_value_t = NINGBO_CODE.to_string())]
        unit: String,
        /// Role, repeatable: administrator, auditor, commander, epidemiologist, station_officer, service_clerk, fraud_analyst, investigator.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (generated, or from standard input); ends the user's sessions.
    Passwd {
        #[command(flatten)]
        data: DataArgs,
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions.
    Disable {
        #[command(flatten)]
        data: DataArgs,
        username: String,
    },
    /// Enable a disabled account.
    Enable {
        #[command(flatten)]
        data: DataArgs,
        username: String,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; the secret is printed once.
    Create {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        name: String,
        /// Code of the org unit the token acts for.
        #[arg(long, default_value_t = NINGBO_CODE.to_string())]
        unit: String,
        /// Scope, repeatable, e.g. resident.read.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// Revoke a token by id.
    Revoke {
        #[command(flatten)]
        data: DataArgs,
        id: i64,
    },
    /// List tokens.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exits non-zero naming the first broken entry.
    Verify {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum ExchangeCommand {
    /// Check the message log: every entry's link, hash and the bureau's seal, and every
    /// sender's signature against the keys registered; exits non-zero naming the first fault.
    Verify {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Put a new bureau signing key in force; the old one is kept to verify what it signed.
    RotateKey {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the bureau's public keys (the one in force and those retired), for partners.
    Keys {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration (secrets hidden); exits non-zero on invalid values.
    Check {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        listen: ListenArgs,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ningan: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ningan: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(cli_config: Option<&PathBuf>, data: &DataArgs, listen: Option<&ListenArgs>) -> Result<Config> {
    let overrides = Overrides {
        data_dir: data.data.clone(),
        database_url: data.database_url.clone(),
        listen: listen.and_then(|l| l.listen.clone()),
    };
    let (config, unknown) = Config::load(cli_config.map(PathBuf::as_path), &overrides)?;
    for key in unknown {
        eprintln!("ningan: warning: unknown configuration key `{key}` is ignored");
    }
    Ok(config)
}

fn cli_actor() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    Actor { name: format!("cli:{user}"), unit_id: None }
}

fn read_password(from_stdin: bool) -> Result<(String, bool)> {
    if !from_stdin {
        return Ok((crate::secrets::generate_password(), true));
    }
    if std::io::stdin().is_terminal() {
        eprintln!("password (one line):");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    crate::secrets::check_password_policy(&p)?;
    Ok((p, false))
}

async fn open(config: &Config) -> Result<Db> {
    crate::app::open_db(config).await.with_context(|| {
        let loc = ningan_store::Location::resolve(&config.data_dir, config.database_url.as_deref())
            .map(|l| l.describe())
            .unwrap_or_default();
        format!("opening the database ({loc})")
    })
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let cfg_path = cli.config.as_ref();
    match cli.command {
        Command::Serve { data, listen } => {
            let config = load(cfg_path, &data, Some(&listen))?;
            crate::telemetry::init(&config.log, &config.log_format, std::io::stderr);
            let db = open(&config).await?;
            serve(config, db, None).await?;
        }
        Command::Demo { data, listen, people, seed, no_serve, scenario } => {
            let mut config = load(cfg_path, &data, Some(&listen))?;
            // The demo city has no SMS gateway: the portal shows citizens their sign-in code.
            config.portal.show_codes = true;
            // Its units have no devices: the server drives them, and takes a call now and
            // then, so the live board moves while the demo serves.
            let command = config.modules.entry("command".into()).or_insert_with(|| serde_json::json!({}));
            // (The section holds every default already: a zero rate is the default's.)
            if let Some(section) = command.as_object_mut() {
                section.insert("patrols".into(), serde_json::json!(true));
                if section.get("demo_calls_per_hour").and_then(|v| v.as_u64()).unwrap_or(0) == 0 {
                    section.insert("demo_calls_per_hour".into(), serde_json::json!(30));
                }
            }
            if let Some(name) = scenario {
                let section = config.modules.entry("emergency".into()).or_insert_with(|| serde_json::json!({}));
                if let Some(section) = section.as_object_mut() {
                    section.insert("scenario".into(), serde_json::json!(name));
                }
            }
            crate::telemetry::init(&config.log, &config.log_format, std::io::stderr);
            let db = open(&config).await?;
            let trace_dir = Some(config.data_dir.join("trace"));
            let logins = crate::demo::ensure(&db, &crate::demo::DemoSpec { people, seed, trace_dir }).await?;
            if no_serve {
                crate::demo::print_logins(&logins, None);
                crate::demo::print_citizen(&db).await;
            } else {
                // The partner agencies of the data exchange, as a separate process for as
                // long as the demo serves.
                let _sim = crate::demo::start_partner_sim(&db).await?;
                crate::demo::print_citizen(&db).await;
                // 跨市通办 needs a second city: the demo starts one beside Ningbo.
                let here = match config.listen {
                    std::net::SocketAddr::V4(a) if a.ip().is_unspecified() => format!("127.0.0.1:{}", a.port()),
                    other => other.to_string(),
                };
                let seed_used = db.setting("demo.seed").await?.and_then(|s| s.parse().ok()).unwrap_or(seed);
                let second = crate::demo::second_city::start(
                    &config,
                    &db,
                    &format!("http://{here}"),
                    seed_used,
                    crate::app::shutdown_signal(),
                )
                .await
                .context("starting the demo's second city")?;
                config.crosscity.peers.retain(|p| p.city != second.peer.city);
                config.crosscity.peers.push(second.peer.clone());
                crate::demo::second_city::print(&second);
                serve(config, db, Some(logins)).await?;
                second.wait().await;
            }
        }
        Command::PartnerSim { listen, secret } => {
            crate::sim::serve(listen, secret).await.context("partner simulator")?;
        }
        Command::Migrate { data, dry_run: true } => {
            let config = load(cfg_path, &data, None)?;
            let location = ningan_store::Location::resolve(&config.data_dir, config.database_url.as_deref())?;
            // Opening a SQLite file that is not there would create it: a dry run changes nothing.
            let pending = match &location {
                ningan_store::Location::Sqlite(path) if !path.exists() => {
                    ningan_store::all_migrations(&crate::modules::migrations())?
                }
                _ => Db::open(&location).await?.pending_migrations(&crate::modules::migrations()).await?,
            };
            println!("{}: {} migration(s) to apply", location.describe(), pending.len());
            for m in pending {
                println!("  {:>3}  {}", m.version, m.name);
            }
        }
        Command::Migrate { data, dry_run: false } => {
            let config = load(cfg_path, &data, None)?;
            let location = ningan_store::Location::resolve(&config.data_dir, config.database_url.as_deref())?;
            let db = Db::open(&location).await?;
            let applied = db.migrate_with(&crate::modules::migrations()).await?;
            db.ensure_city_tree().await?;
            println!(
                "{}: schema version {} ({} applied now)",
                location.describe(),
                db.schema_version().await?,
                applied.len()
            );
        }
        Command::Backup { data, to } => {
            let config = load(cfg_path, &data, None)?;
            let done = crate::backup::backup(&config, &to, |step| eprintln!("{step}")).await?;
            println!(
                "备份完成 / backed up: {} 个文件 / files, {} 字节 / bytes, {:.1} s → {}",
                done.files,
                done.bytes,
                done.seconds,
                to.display()
            );
        }
        Command::Restore { data, from } => {
            let config = load(cfg_path, &data, None)?;
            let done = crate::backup::restore(&config, &from, |step| eprintln!("{step}")).await?;
            println!(
                "恢复完成 / restored: {} 个文件 / files, {} 字节 / bytes, {:.1} s → {}",
                done.files,
                done.bytes,
                done.seconds,
                config.data_dir.display()
            );
        }
        Command::User { command } => return user(cfg_path, command).await,
        Command::Token { command } => return token(cfg_path, command).await,
        Command::Import {
            command: ImportCommand::Checkins { remote: RemoteArgs { server: Some(server), token }, file, .. },
        } => {
            crate::remote::import_checkins(&server, token.as_deref(), &file).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Import {
            command: ImportCommand::Signals { remote: RemoteArgs { server: Some(server), token }, file, .. },
        } => {
            crate::remote::import_signals(&server, token.as_deref(), &file).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Import { command: ImportCommand::Checkins { data, file, .. } } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            crate::modules::precise::tracing::checkin_import::import_checkins(&config, &db, &file, &cli_actor())
                .await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Import { command: ImportCommand::Signals { data, file, .. } } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            crate::modules::fraud::import::import_signals(&config, &db, &file, &cli_actor()).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Audit { command: AuditCommand::Verify { data } } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            let report = db.verify_audit_chain().await?;
            return Ok(match report.first_broken {
                None => {
                    println!("audit chain intact: {} entries, head {}", report.entries, report.head);
                    ExitCode::SUCCESS
                }
                Some((seq, why)) => {
                    eprintln!(
                        "audit chain BROKEN at entry {seq}: {why} ({} entries before it verified)",
                        report.entries
                    );
                    ExitCode::from(2)
                }
            });
        }
        Command::Exchange { command: ExchangeCommand::Verify { data } } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            return Ok(match crate::trust::verify_log(&db).await? {
                Ok(n) => {
                    println!("exchange message log intact: {n} messages, every signature verified");
                    ExitCode::SUCCESS
                }
                Err(broken) => {
                    eprintln!("exchange message log BROKEN: {broken}");
                    ExitCode::from(2)
                }
            });
        }
        Command::Exchange { command: ExchangeCommand::RotateKey { data } } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            let trust = crate::trust::Trust::default();
            trust.key(&db).await?;
            let id = trust.rotate(&db).await?;
            println!("new bureau exchange key in force: {id}");
        }
        Command::Exchange { command: ExchangeCommand::Keys { data } } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            for k in db.exchange_keys().await? {
                let state = if k.retired_at.is_some() { "retired" } else { "in force" };
                println!("{:<16} {:<14} {} {}", k.key_id, k.owner, k.public_key, state);
            }
        }
        Command::Config { command: ConfigCommand::Check { data, listen } } => {
            let config = load(cfg_path, &data, Some(&listen))?;
            print!("{}", config.to_redacted_toml());
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: Config, db: Db, logins: Option<Vec<crate::demo::Login>>) -> Result<()> {
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let location = ningan_store::Location::resolve(&config.data_dir, config.database_url.as_deref())?;
    let server = crate::server::Server::start(config, db.clone(), listener, crate::app::shutdown_signal()).await?;
    let addr = server.addr;
    tracing::info!(%addr, db = %location.describe(), "ningan listening");
    if let Some(logins) = &logins {
        crate::demo::print_logins(logins, Some(addr));
        crate::modules::fraud::demo::spawn_live_stream(server.state.clone(), 0);
    } else {
        println!("ningan 已启动 / listening on http://{addr}");
    }
    server.wait().await?;
    db.close().await;
    Ok(())
}

async fn user(cfg_path: Option<&PathBuf>, command: UserCommand) -> Result<ExitCode> {
    let all = Scope::everything();
    match command {
        UserCommand::Add { data, username, name, unit, roles, password_stdin } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            let roles = roles
                .iter()
                .map(|r| r.parse::<Role>().map_err(|e| anyhow::anyhow!("--role: {e}")))
                .collect::<Result<Vec<_>>>()?;
            let unit = db.unit_by_code(&unit).await.with_context(|| format!("--unit: no org unit with code {unit}"))?;
            let (password, generated) = read_password(password_stdin)?;
            let password_hash = crate::secrets::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut w = db.write().await?;
            let user = w
                .user_insert(
                    &cli_actor(),
                    &all,
                    &NewUser { username, display_name: name, password_hash, unit_id: unit.id, roles },
                )
                .await?;
            w.commit().await?;
            println!("created user {} (id {}) at {} ({})", user.username, user.id, unit.name, unit.code);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::Passwd { data, username, password_stdin } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            let user = db.user_by_username(&username).await.with_context(|| format!("no user {username}"))?;
            let (password, generated) = read_password(password_stdin)?;
            let hash = crate::secrets::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut w = db.write().await?;
            w.user_set_password(&cli_actor(), user.id, &hash).await?;
            w.commit().await?;
            println!("password of {username} changed; their sessions ended");
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::Disable { data, username } => set_disabled(cfg_path, &data, &username, true).await?,
        UserCommand::Enable { data, username } => set_disabled(cfg_path, &data, &username, false).await?,
        UserCommand::List { data } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            let mut page = PageRequest::new(Some(1), Some(200));
            println!("{:<6} {:<20} {:<12} {:<10} roles", "id", "username", "unit", "state");
            loop {
                let p = db.users_in_scope(&all, None, None, page).await?;
                for u in &p.items {
                    let unit = db.unit_by_id(u.unit_id).await.map(|u| u.code).unwrap_or_default();
                    let state = if u.disabled {
                        "disabled"
                    } else if u.locked_until > ningan_core::time::now_ms() {
                        "locked"
                    } else {
                        "active"
                    };
                    let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
                    println!("{:<6} {:<20} {:<12} {:<10} {}", u.id, u.username, unit, state, roles.join(","));
                }
                if page.page >= p.pages() {
                    break;
                }
                page.page += 1;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_disabled(cfg_path: Option<&PathBuf>, data: &DataArgs, username: &str, disabled: bool) -> Result<()> {
    let config = load(cfg_path, data, None)?;
    let db = open(&config).await?;
    let user = db.user_by_username(username).await.with_context(|| format!("no user {username}"))?;
    let mut w = db.write().await?;
    w.user_set_disabled(&cli_actor(), user.id, disabled).await?;
    w.commit().await?;
    println!("{username} {}", if disabled { "disabled; sessions ended" } else { "enabled" });
    Ok(())
}

async fn token(cfg_path: Option<&PathBuf>, command: TokenCommand) -> Result<ExitCode> {
    let all = Scope::everything();
    match command {
        TokenCommand::Create { data, name, unit, scopes, days } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            let unit = db.unit_by_code(&unit).await.with_context(|| format!("--unit: no org unit with code {unit}"))?;
            let scopes =
                crate::modules::tokens::parse_scopes(&scopes).map_err(|e| anyhow::Error::new(e).context("--scope"))?;
            let spec = crate::modules::tokens::TokenSpec { name, unit_id: unit.id, scopes, days, created_by: None };
            let created = crate::modules::tokens::create_token(&db, &cli_actor(), &all, spec).await?;
            println!(
                "created token {} (id {}), expires {}",
                created.token.prefix, created.token.id, created.token.expires_at
            );
            println!("secret (shown once): {}", created.secret);
        }
        TokenCommand::Revoke { data, id } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            let mut w = db.write().await?;
            w.token_revoke(&cli_actor(), &all, id).await.with_context(|| format!("no token {id}"))?;
            w.commit().await?;
            println!("token {id} revoked");
        }
        TokenCommand::List { data } => {
            let config = load(cfg_path, &data, None)?;
            let db = open(&config).await?;
            let now = ningan_core::time::now_ms();
            println!("{:<6} {:<14} {:<24} {:<8} scopes", "id", "prefix", "name", "state");
            for t in db.tokens_in_scope(&all).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.expires_at <= now {
                    "expired"
                } else if !t.approved {
                    "pending"
                } else {
                    "live"
                };
                let scopes: Vec<&str> = t.scopes.iter().map(|a| a.as_str()).collect();
                println!("{:<6} {:<14} {:<24} {:<8} {}", t.id, t.prefix, t.name, state, scopes.join(","));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
