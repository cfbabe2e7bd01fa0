//! Identity-change joint processing end to end with the real binary and the partner
//! simulator: an approved name change reaches three subscribing agencies through the outbox
//! while all of them are down for a while, survives a SIGKILL of the server in between,
//! and is applied by each agency exactly once under one change id; an agency's later
//! validation shows as acknowledged; the citizen sees every agency's status.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ningan_store::{Db, NewAgency, Scope};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_ningan");
const SECRET: &str = "identity-change-secret-0001";

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_for(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reqwest::get(url).await.is_ok_and(|r| r.status().is_success()) {
        assert!(Instant::now() < deadline, "{url} did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `--data` and, on PostgreSQL, `--database-url`: the arguments that point the binary at the
/// test's database.
fn db_args(dir: &std::path::Path, loc: &ningan_store::Location) -> Vec<String> {
    let mut args = vec!["--data".to_string(), dir.display().to_string()];
    if let ningan_store::Location::Postgres(url) = loc {
        args.extend(["--database-url".to_string(), url.clone()]);
    }
    args
}

fn serve(db: &[String], port: u16) -> Proc {
    Proc(
        Command::new(BIN)
            .arg("serve")
            .args(db)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("NINGAN_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ningan"),
    )
}

async fn session(base: &str, path: &str, body: Value) -> reqwest::Client {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
    let r = http.post(format!("{base}{path}")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200, "sign in at {path}");
    let v: Value = r.json().await.unwrap();
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("x-csrf-token", v["csrf_token"].as_str().unwrap().parse().unwrap());
    reqwest::Client::builder().cookie_provider(jar).default_headers(h).build().unwrap()
}

async fn deliveries(db: &Db, change_id: &str) -> Vec<(String, String, i64)> {
    db.deliveries_of_change(change_id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.agency_code, d.status, d.attempts))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_change_reaches_every_agency_once_despite_an_outage_and_a_crash_sqlite() {
    name_change_reaches_every_agency(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_change_reaches_every_agency_once_despite_an_outage_and_a_crash_postgres() {
    name_change_reaches_every_agency(Backend::Postgres).await;
}

async fn name_change_reaches_every_agency(backend: Backend) {
    let sim_port = free_port();
    let _sim = Proc(
        Command::new(BIN)
            .args(["partner-sim", "--listen", &format!("127.0.0.1:{sim_port}"), "--secret", SECRET])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let sim = format!("http://127.0.0.1:{sim_port}");
    wait_for(&format!("{sim}/healthz")).await;

    let (loc, dir) = ningan_testkit::fresh_location(backend);
    let db_args = db_args(dir.path(), &loc);
    let out = Command::new(BIN).arg("demo").args(&db_args).args(["--people", "50", "--no-serve"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("市民 / citizen"), "the demo prints a citizen to sign in as: {stdout}");
    let clerk_pw = stdout
        .lines()
        .find_map(|l| l.strip_prefix("clerk").map(|r| r.split_whitespace().next().unwrap().to_string()))
        .unwrap();

    // A resident at the clerk's station, and three agencies subscribing to identity changes.
    let db = Db::open(&loc).await.unwrap();
    let station = db.unit_by_code("330203001").await.unwrap();
    let id = ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1990, 3, 3).unwrap(), 31);
    let mut w = db.write().await.unwrap();
    let resident = w
        .resident_insert(
            &actor(),
            &Scope::everything(),
            &ningan_store::NewResident {
                name: "改名前".into(),
                id_number: id.clone(),
                phone: Some(ningan_core::Phone::parse("13912349999").unwrap()),
                hukou_address: "宁波市海曙区某路1号".into(),
                residence_address: None,
                unit_id: station.id,
            },
        )
        .await
        .unwrap();
    // Every agency the simulator plays (the demo city registered the same codes with
    // placeholder addresses): pointed at the simulator.
    for (code, name, evidence) in ningan::sim::AGENCIES {
        w.agency_upsert(
            &actor(),
            &NewAgency {
                code: (*code).into(),
                name: (*name).into(),
                base_url: format!("{sim}/{code}"),
                secret: SECRET.into(),
                evidence: evidence.iter().map(|e| (*e).into()).collect(),
                webhook_url: Some(format!("{sim}/{code}/identity-changes")),
            },
        )
        .await
        .unwrap();
        // The demo registered the keys of its own simulator; this one signs with others.
        let public = hex::encode(ningan::sim::agency_key(SECRET, code).verifying_key().as_bytes());
        ningan::trust::register_partner_key(&mut w, code, &public).await.unwrap();
    }
    w.commit().await.unwrap();

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&db_args, port);
    wait_for(&format!("{base}/healthz")).await;

    // The citizen applies; the agencies are down when the clerk approves.
    let (s, _) = (
        reqwest::Client::new()
            .post(format!("{base}/api/portal/code"))
            .json(&json!({"id_number": id.as_str(), "phone": "13912349999"}))
            .send()
            .await
            .unwrap()
            .status(),
        (),
    );
    assert_eq!(s, 202);
    let text = db.sms_last("13912349999").await.unwrap().unwrap();
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    let citizen = session(&base, "/api/portal/session", json!({"id_number": id.as_str(), "code": code})).await;
    let filed: Value = citizen
        .post(format!("{base}/api/portal/applications"))
        .json(&json!({"item": "change-name", "details": {"new_name": "改名后", "reason": "本人意愿"}, "consent": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (app_id, no) = (filed["id"].as_i64().unwrap(), filed["no"].as_str().unwrap().to_string());
    let r =
        reqwest::Client::new().post(format!("{sim}/control/down")).json(&json!({"seconds": 600})).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let clerk = session(&base, "/api/auth/login", json!({"username": "clerk", "password": clerk_pw})).await;
    for status in ["accepted", "approved"] {
        let r = clerk
            .post(format!("{base}/api/services/applications/{app_id}/decide"))
            .json(&json!({"status": status}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{status}");
    }
    let change_id = db.identity_changes_of_application(app_id).await.unwrap()[0].change_id.clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    while deliveries(&db, &change_id).await.iter().any(|d| d.2 < 2) {
        assert!(Instant::now() < deadline, "deliveries were not attempted: {:?}", deliveries(&db, &change_id).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(deliveries(&db, &change_id).await.iter().all(|d| d.1 == "failed"), "nobody reached while down");

    // The server dies; the agencies come back; a new server finishes the job from the outbox.
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    let r =
        reqwest::Client::new().post(format!("{sim}/control/down")).json(&json!({"seconds": 0})).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = serve(&db_args, port);
    wait_for(&format!("{base}/healthz")).await;
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let d = deliveries(&db, &change_id).await;
        if d.iter().all(|x| x.1 == "acknowledged" || x.1 == "awaiting_validation") {
            assert_eq!(d.len(), ningan::sim::AGENCIES.len());
            // Civil affairs validates first; its callback may already have confirmed it.
            break;
        }
        assert!(Instant::now() < deadline, "not delivered after the restart: {d:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let received: Value = reqwest::get(format!("{sim}/control/received")).await.unwrap().json().await.unwrap();
    for (agency, _, _) in ningan::sim::AGENCIES {
        assert_eq!(received["applied"][agency], json!([change_id]), "applied once, under one change id: {received}");
    }

    // Civil affairs confirms its validation, signed with its own secret (the simulator does so
    // by itself through the event's callback URL; a forged confirmation is refused).
    let body = json!({"status": "acknowledged"}).to_string();
    let ts = chrono::Utc::now().timestamp();
    let r = reqwest::Client::new()
        .post(format!("{base}/api/services/changes/{change_id}/ack"))
        .header("x-ningan-agency", "civil_affairs")
        .header("x-ningan-timestamp", ts.to_string())
        .header(
            "x-ningan-signature",
            ningan::modules::services::exchange::sign("wrong-secret-xxxxxxxx", ts, body.as_bytes()),
        )
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a forged confirmation is refused");
    let hmac_only = || {
        reqwest::Client::new()
            .post(format!("{base}/api/services/changes/{change_id}/ack"))
            .header("x-ningan-agency", "civil_affairs")
            .header("x-ningan-timestamp", ts.to_string())
            .header("x-ningan-signature", ningan::modules::services::exchange::sign(SECRET, ts, body.as_bytes()))
            .body(body.clone())
    };
    // The shared secret alone could be the bureau's own forgery: civil affairs registered its
    // Ed25519 key, so its confirmation must carry that signature too.
    assert_eq!(hmac_only().send().await.unwrap().status(), 401, "without the agency's own signature");
    let key = ningan::sim::agency_key(SECRET, "civil_affairs");
    let ed = ningan_core::msglog::sign_message(&key, ts, &ningan_core::msglog::body_hash(body.as_bytes()));
    let r = hmac_only()
        .header(ningan::trust::KEY_HEADER, ningan_core::msglog::key_id(&key.verifying_key()))
        .header(ningan::trust::ED25519_HEADER, ed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // Every webhook, answer and confirmation is in the sealed message log, which checks out.
    let logged = ningan::trust::verify_log(&db).await.unwrap().unwrap();
    assert!(logged as usize > 2 * ningan::sim::AGENCIES.len(), "{logged} messages logged");

    // The register changed, and the citizen sees every agency's acknowledgement.
    let record = db.resident_record(resident.id).await.unwrap();
    assert_eq!(record.name, "改名后");
    let citizen = {
        let r = reqwest::Client::new()
            .post(format!("{base}/api/portal/code"))
            .json(&json!({"id_number": id.as_str(), "phone": "13912349999"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let text = db.sms_last("13912349999").await.unwrap().unwrap();
        let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
        session(&base, "/api/portal/session", json!({"id_number": id.as_str(), "code": code})).await
    };
    let mine: Value =
        citizen.get(format!("{base}/api/portal/applications/{no}")).send().await.unwrap().json().await.unwrap();
    let statuses: Vec<&str> =
        mine["changes"][0]["deliveries"].as_array().unwrap().iter().map(|d| d["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["acknowledged"; ningan::sim::AGENCIES.len()], "{mine}");
    assert_eq!(mine["changes"][0]["new"], "改名后");
}
