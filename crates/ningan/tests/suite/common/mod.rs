//! Test harness: starts the real server on a random port over a fresh database (SQLite or a
//! throwaway PostgreSQL) and gives clients that speak HTTP to it.

#![allow(dead_code, unused_imports)]

pub mod gangs;

use std::net::SocketAddr;

use chrono::NaiveDate;
use ningan::config::Config;
use ningan_core::{IdNumber, Role};
use ningan_store::{Actor, Db, Location, NewOrgUnit, NewUser, OrgUnit, Scope};
pub use ningan_testkit::{Backend, on_both_backends};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tokio::net::TcpListener;

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub backend: Backend,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_configured(backend, |_| {}).await
}

/// Starts the server on a fresh database with the defaults changed by `change`.
pub async fn spawn_app_configured(backend: Backend, change: impl FnOnce(&mut Config)) -> TestApp {
    let (loc, dir) = ningan_testkit::fresh_location(backend);
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    if let Location::Postgres(url) = &loc {
        config.database_url = Some(url.clone());
    }
    change(&mut config);
    spawn_app_on(config, backend, dir).await
}

/// Starts the server on `config` (its data directory kept alive by `dir`) the way `ningan
/// serve` does: every module's background work, and NATS when the configuration says so.
pub async fn spawn_app_on(config: Config, backend: Backend, dir: tempfile::TempDir) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    start_on(config, backend, dir, listener).await
}

/// Starts the server on `config` at a port chosen beforehand (two cities that must know each
/// other's address before they start).
pub async fn spawn_app_at(config: Config, backend: Backend, dir: tempfile::TempDir, port: u16) -> TestApp {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    start_on(config, backend, dir, listener).await
}

async fn start_on(config: Config, backend: Backend, dir: tempfile::TempDir, listener: TcpListener) -> TestApp {
    let db = ningan::app::open_db(&config).await.expect("open db");
    let server = ningan::server::Server::start(config, db.clone(), listener, std::future::pending())
        .await
        .expect("start the server");
    TestApp { base: format!("http://{}", server.addr), db, backend, _dir: dir }
}

/// `ningan partner-sim` as its own process, killed when dropped; `.1` is its port.
pub struct PartnerSim(std::process::Child, pub u16);

impl Drop for PartnerSim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the partner-agency simulator (agencies and the bank's stop-payment desk), signing
/// with `secret`, and waits until it answers.
pub async fn partner_sim(secret: &str) -> PartnerSim {
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ningan"))
        .args(["partner-sim", "--listen", &format!("127.0.0.1:{port}"), "--secret", secret])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the partner simulator");
    let sim = PartnerSim(child, port);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.is_err() {
        assert!(std::time::Instant::now() < deadline, "simulator did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    sim
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

pub const PASSWORD: &str = "test-password-2021";

/// A password hash computed once: hashing is slow on purpose.
fn password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| ningan::secrets::hash_password(PASSWORD).expect("hash"))
}

pub fn actor() -> Actor {
    Actor { name: "test".into(), unit_id: None }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn station(&self, district: u32, n: u32) -> OrgUnit {
        let parent = self.db.unit_by_code(&district.to_string()).await.expect("district");
        let mut w = self.db.write().await.expect("write");
        let unit = w
            .unit_insert(
                &actor(),
                &Scope::everything(),
                &NewOrgUnit {
                    parent_id: parent.id,
                    code: format!("{district}{n:03}"),
                    name: format!("测试{n}派出所"),
                    name_en: format!("Test {n}"),
                    location: None,
                },
            )
            .await
            .expect("station");
        w.commit().await.expect("commit");
        unit
    }

    pub async fn unit(&self, code: &str) -> OrgUnit {
        self.db.unit_by_code(code).await.expect("unit")
    }

    pub async fn user(&self, username: &str, roles: &[Role], unit_id: i64) -> i64 {
        let mut w = self.db.write().await.expect("write");
        let u = w
            .user_insert(
                &actor(),
                &Scope::everything(),
                &NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    password_hash: password_hash().into(),
                    unit_id,
                    roles: roles.to_vec(),
                },
            )
            .await
            .expect("user");
        w.commit().await.expect("commit");
        u.id
    }

    /// Registers a resident through storage; `seq` keeps ID numbers distinct.
    pub async fn resident(&self, name: &str, region: u32, seq: u16, unit_id: i64) -> i64 {
        let mut w = self.db.write().await.expect("write");
        let r = w
            .resident_insert(
                &actor(),
                &Scope::everything(),
                &ningan_store::NewResident {
                    name: name.into(),
                    id_number: IdNumber::synthesize(region, NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), seq),
                    phone: Some(ningan_core::Phone::parse(&format!("1391234{seq:04}")).unwrap()),
                    hukou_address: "宁波市测试路1号".into(),
                    residence_address: None,
                    unit_id,
                },
            )
            .await
            .expect("resident");
        w.commit().await.expect("commit");
        r.id
    }

    pub fn anonymous(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        }
    }

    /// Signs in through the API and returns a client that sends the session cookie and the
    /// CSRF header.
    pub async fn login(&self, username: &str) -> Client {
        self.login_with(username, PASSWORD).await
    }

    /// Signs in with a given password, e.g. one an administrator's answer showed once.
    pub async fn login_with(&self, username: &str, password: &str) -> Client {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
        let resp = http
            .post(self.url("/api/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "login {username}: {}", resp.text().await.unwrap());
        let body: Value = resp.json().await.unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-csrf-token", HeaderValue::from_str(body["csrf_token"].as_str().unwrap()).unwrap());
        let http = reqwest::Client::builder()
            .cookie_provider(jar)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Client { base: self.base.clone(), http }
    }

    /// Signs a citizen in on the portal with the code the bureau texts to the registered phone
    /// (read from the SMS outbox) and returns a client that sends the citizen's CSRF header.
    pub async fn citizen(&self, id_number: &str, phone: &str) -> Client {
        let (s, r) = self.anonymous().post("/api/portal/code", json!({"id_number": id_number, "phone": phone})).await;
        assert_eq!(s, 202, "{r}");
        let text = self.db.sms_last(phone).await.unwrap().expect("a text was queued");
        let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
        let r = http
            .post(self.url("/api/portal/session"))
            .json(&json!({"id_number": id_number, "code": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "citizen sign-in");
        let body: Value = r.json().await.unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-csrf-token", HeaderValue::from_str(body["csrf_token"].as_str().unwrap()).unwrap());
        let http = reqwest::Client::builder()
            .cookie_provider(jar)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Client { base: self.base.clone(), http }
    }

    pub fn bearer(&self, token: &str) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        Client { base: self.base.clone(), http: reqwest::Client::builder().default_headers(headers).build().unwrap() }
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    /// The response itself, for pages and files.
    pub async fn raw_get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        status_json(r).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.post(format!("{}{path}", self.base)).json(&body).send().await.unwrap();
        status_json(r).await
    }

    /// Sends a page's form as a browser would; the answer is the page's HTML.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let r = self.http.post(format!("{}{path}", self.base)).form(fields).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn request(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = self.http.request(m, format!("{}{path}", self.base)).json(&body).send().await.unwrap();
        status_json(r).await
    }
}

pub async fn status_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if ct.starts_with("text/event-stream") {
        // An event stream does not end: the status and the headers are the answer.
        return (status, Value::Null);
    }
    let text = r.text().await.unwrap();
    if status >= 400 && !text.is_empty() && !ct.starts_with("text/html") {
        assert_eq!(ct, "application/problem+json", "errors are problem documents: {text}");
    }
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A station with a seat on the map (the helper's stations have none).
pub async fn seated_station(app: &TestApp, district: u32, n: u32, at: [f64; 2]) -> OrgUnit {
    let parent = app.unit(&district.to_string()).await;
    let mut w = app.db.write().await.unwrap();
    let unit = w
        .unit_insert(
            &ningan_store::Actor::system(),
            &Scope::everything(),
            &NewOrgUnit {
                parent_id: parent.id,
                code: format!("{district}{n:03}"),
                name: format!("{n}号派出所"),
                name_en: format!("Station {n}"),
                location: Some(at),
            },
        )
        .await
        .unwrap();
    w.commit().await.unwrap();
    unit
}

/// A check-in file for the demo city (venues and residents numbered from 1), scanned at `t`:
/// lines 2–3 good, then line 4 an unknown resident, 5 an unknown venue, 6 unreadable, 7 an
/// exit before the entry.
pub fn checkins_csv(t: i64) -> String {
    format!(
        "person_id,space_id,start_s,end_s\n1,1,{t},{}\n2,1,{t},\n999999,1,{t},\n1,1400000000,{t},\nx,1,{t},\n3,2,{t},{}\n",
        t + 600,
        t - 5
    )
}
