//! Cross-city handling between two real ningan instances on loopback (Ningbo and Hangzhou,
//! each with its own database): a Hangzhou station takes an application for a person
//! registered in Ningbo and forwards it; Ningbo files it against its register at the household
//! station and decides it; Hangzhou follows its progress to the decision. Forged requests are
//! refused; a repeated forward is the same application; an unreachable city is retried.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use ningan::config::{Config, CrossCityConfig, PeerCity};
use ningan_core::Role;
use serde_json::json;

const SHARED: &str = "ningbo-hangzhou-shared-secret";

fn city(code: &str, name: &str, peers: Vec<PeerCity>, dir: &tempfile::TempDir) -> Config {
    Config {
        data_dir: dir.path().to_path_buf(),
        crosscity: CrossCityConfig { city: code.into(), name: name.into(), peers },
        ..Config::default()
    }
}

fn peer(code: &str, name: &str, port: u16) -> PeerCity {
    PeerCity {
        city: code.into(),
        name: name.into(),
        url: format!("http://127.0.0.1:{port}"),
        secret: SHARED.into(),
        public_key: None,
    }
}

/// Registers each city's published Ed25519 key with the other, as their configuration's
/// `public_key` would: from then on both insist on each other's signatures.
async fn link_keys(a: &TestApp, a_code: &str, b: &TestApp, b_code: &str) {
    async fn published(app: &TestApp) -> String {
        let (s, keys) = app.anonymous().get("/api/exchange/keys").await;
        assert_eq!(s, 200);
        keys[0]["public_key"].as_str().unwrap().to_string()
    }
    let (a_key, b_key) = (published(a).await, published(b).await);
    let with = |code: &str, key: String| PeerCity { public_key: Some(key), ..peer(code, "", 0) };
    ningan::modules::services::crosscity::register_peer_keys(&a.db, &[with(b_code, b_key)]).await.unwrap();
    ningan::modules::services::crosscity::register_peer_keys(&b.db, &[with(a_code, a_key)]).await.unwrap();
}

/// How many message-log entries a city holds with a peer city, after checking the whole log.
async fn logged_with(app: &TestApp, city: &str) -> i64 {
    let checked = ningan::trust::verify_log(&app.db).await.unwrap();
    assert!(checked.is_ok(), "the message log verifies: {checked:?}");
    ningan_store::sql::query_scalar("SELECT COUNT(*) FROM exchange_log WHERE peer = $1 AND signature IS NOT NULL")
        .bind(format!("city:{city}"))
        .fetch_one(app.db.reader())
        .await
        .unwrap()
}

/// Signed message-log entries of one kind and direction.
async fn logged_as(app: &TestApp, kind: &str, direction: &str) -> i64 {
    ningan_store::sql::query_scalar(
        "SELECT COUNT(*) FROM exchange_log WHERE kind = $1 AND direction = $2 AND signature IS NOT NULL",
    )
    .bind(kind)
    .bind(direction)
    .fetch_one(app.db.reader())
    .await
    .unwrap()
}

on_both_backends!(a_hangzhou_station_forwards_an_application_that_ningbo_decides, |b| async move {
    let (nb_port, hz_port, dead_port) = (free_port(), free_port(), free_port());
    let (nb_dir, hz_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let nb_cfg = city("330200", "宁波市公安局", vec![peer("330100", "杭州市公安局", hz_port)], &nb_dir);
    let hz_cfg = city(
        "330100",
        "杭州市公安局",
        vec![peer("330200", "宁波市公安局", nb_port), peer("330300", "温州市公安局", dead_port)],
        &hz_dir,
    );
    let (mut nb_cfg, mut hz_cfg) = (nb_cfg, hz_cfg);
    if b == Backend::Postgres {
        nb_cfg.database_url = Some(ningan_testkit::fresh_pg_database());
        hz_cfg.database_url = Some(ningan_testkit::fresh_pg_database());
    }
    let ningbo = spawn_app_at(nb_cfg, b, nb_dir, nb_port).await;
    let hangzhou = spawn_app_at(hz_cfg, b, hz_dir, hz_port).await;
    link_keys(&ningbo, "330200", &hangzhou, "330100").await;

    let home = ningbo.station(330203, 1).await;
    ningbo.user("nb_clerk", &[Role::ServiceClerk], home.id).await;
    ningbo.resident("甬籍居民", 330203, 1, home.id).await;
    let id_number = ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), 1);
    let hz_station = hangzhou.station(330203, 7).await;
    hangzhou.user("hz_clerk", &[Role::ServiceClerk], hz_station.id).await;
    let hz_clerk = hangzhou.login("hz_clerk").await;

    let forward = |item: &str, name: &str, city: &str| json!({"city": city, "id_number": id_number.as_str(), "name": name, "item": item, "consent": true});
    let (s, e) = hz_clerk.post("/api/services/crosscity", forward("change-name", "甬籍居民", "330200")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("item")), "not a cross-city item: {e}");
    let (s, e) = hz_clerk.post("/api/services/crosscity", forward("id-renewal", "甬籍居民", "310000")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("city")), "{e}");
    let (s, f) = hz_clerk.post("/api/services/crosscity", forward("id-renewal", "甬籍居民", "330200")).await;
    assert_eq!(s, 201, "{f}");
    assert_eq!(f["status"], "submitted", "Ningbo took it at once: {f}");
    let remote_no = f["remote_no"].as_str().unwrap().to_string();

    // Ningbo: at the household station, marked as coming from Hangzhou.
    let nb_clerk = ningbo.login("nb_clerk").await;
    let (_, list) = nb_clerk.get("/api/services/applications").await;
    assert_eq!((list["total"].as_i64(), list["items"][0]["channel"].as_str()), (Some(1), Some("crosscity")), "{list}");
    assert_eq!(list["items"][0]["no"], remote_no.as_str());
    let id = list["items"][0]["id"].as_i64().unwrap();
    for status in ["accepted", "approved"] {
        let (s, r) = nb_clerk
            .post(
                &format!("/api/services/applications/{id}/decide"),
                json!({"status": status, "note": "已办结，证件邮寄"}),
            )
            .await;
        assert_eq!(s, 200, "{r}");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, mine) = hz_clerk.get("/api/services/crosscity").await;
        let row =
            mine["items"].as_array().unwrap().iter().find(|r| r["remote_no"] == remote_no.as_str()).cloned().unwrap();
        if row["status"] == "approved" {
            assert_eq!(row["note"], "已办结，证件邮寄");
            assert!(row["id_number"].as_str().unwrap().contains('*'), "masked: {row}");
            break;
        }
        assert!(Instant::now() < deadline, "Hangzhou never saw the decision: {row}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A name that does not match Ningbo's register is refused there; Hangzhou keeps retrying it
    // visibly. An unreachable city keeps the application as forwarding with the error.
    let refusals_signed = logged_as(&ningbo, "crosscity.application", "out").await;
    let refusals_held = logged_as(&hangzhou, "crosscity.request", "in").await;
    let (s, f) = hz_clerk.post("/api/services/crosscity", forward("id-renewal", "冒名者", "330200")).await;
    assert_eq!((s, f["status"].as_str()), (201, Some("forwarding")), "{f}");
    assert!(f["last_error"].as_str().unwrap().contains("422"), "{f}");
    // The refusal is an answer like any other: Ningbo signed and logged it, Hangzhou kept it.
    assert!(logged_as(&ningbo, "crosscity.application", "out").await > refusals_signed, "Ningbo signed its refusal");
    assert!(logged_as(&hangzhou, "crosscity.request", "in").await > refusals_held, "Hangzhou holds the refusal");
    let (s, f) = hz_clerk.post("/api/services/crosscity", forward("id-renewal", "甬籍居民", "330300")).await;
    assert_eq!((s, f["status"].as_str()), (201, Some("forwarding")), "{f}");
    assert!(f["last_error"].as_str().unwrap().contains("unreachable"), "{f}");

    // Forged or replayed-as-new requests: refused, or the same application.
    let body = json!({"origin_ref": "XC-forged", "origin_unit": "x", "item": "id-renewal",
                      "applicant": {"id_number": id_number.as_str(), "name": "甬籍居民"}, "consent": true})
    .to_string();
    let ts = chrono::Utc::now().timestamp();
    let post = |sig: String, body: String| {
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{nb_port}/api/crosscity/applications"))
            .header("x-ningan-city", "330100")
            .header("x-ningan-timestamp", ts.to_string())
            .header("x-ningan-signature", sig)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = post(ningan::modules::services::exchange::sign("not-the-secret", ts, body.as_bytes()), body.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The shared secret alone no longer does: either city could forge it.
    let sig = ningan::modules::services::exchange::sign(SHARED, ts, body.as_bytes());
    assert_eq!(post(sig.clone(), body.clone()).await.unwrap().status(), 401, "no Ed25519 signature");
    // Signed with Hangzhou's own key, as Hangzhou's server would.
    let hz_key = hangzhou.db.exchange_key_current("bureau").await.unwrap().unwrap();
    let secret = ningan_core::msglog::signing_key_from_hex(hz_key.secret_key.as_deref().unwrap()).unwrap();
    let ed = ningan_core::msglog::sign_message(&secret, ts, &ningan_core::msglog::body_hash(body.as_bytes()));
    let signed = |sig: String, body: String| {
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{nb_port}/api/crosscity/applications"))
            .header("x-ningan-city", "330100")
            .header("x-ningan-timestamp", ts.to_string())
            .header("x-ningan-signature", sig)
            .header("x-ningan-key-id", hz_key.key_id.clone())
            .header("x-ningan-ed25519", ed.clone())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let first = signed(sig.clone(), body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().contains_key("x-ningan-ed25519"), "Ningbo signs its answer");
    let first: serde_json::Value = first.json().await.unwrap();
    let again: serde_json::Value = signed(sig, body).await.unwrap().json().await.unwrap();
    assert_eq!(first["no"], again["no"], "a repeated forward is the same application");
    // Both cities kept every signed request and answer in a log that verifies.
    assert!(logged_with(&ningbo, "330100").await >= 6);
    assert!(logged_with(&hangzhou, "330200").await >= 4);
});

// Hand-over (协查) between two instances: a Ningbo case's close contact is a visitor whose ID
// card Hangzhou issued; Ningbo hands them over, Hangzhou finds them in its register and makes
// a task for the household station, and Ningbo sees Hangzhou's progress. A repeat is the same
// hand-over; people who are not contacts, or whose card no linked city issued, are refused;
// an unsigned request is refused.
on_both_backends!(a_contact_living_in_hangzhou_is_handed_over_and_ningbo_sees_the_progress, |b| async move {
    let (nb_port, hz_port) = (free_port(), free_port());
    let (nb_dir, hz_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut nb_cfg = city("330200", "宁波市公安局", vec![peer("330100", "杭州市公安局", hz_port)], &nb_dir);
    let mut hz_cfg = city("330100", "杭州市公安局", vec![peer("330200", "宁波市公安局", nb_port)], &hz_dir);
    if b == Backend::Postgres {
        nb_cfg.database_url = Some(ningan_testkit::fresh_pg_database());
        hz_cfg.database_url = Some(ningan_testkit::fresh_pg_database());
    }
    let ningbo = spawn_app_at(nb_cfg, b, nb_dir, nb_port).await;
    let hangzhou = spawn_app_at(hz_cfg, b, hz_dir, hz_port).await;
    link_keys(&ningbo, "330200", &hangzhou, "330100").await;

    let station = ningbo.station(330203, 1).await;
    ningbo.user("officer", &[Role::StationOfficer], station.id).await;
    ningbo.user("epi", &[Role::Epidemiologist], station.id).await;
    let case = ningbo.resident("甬病例", 330203, 1, station.id).await;
    let hz_station = hangzhou.station(330203, 7).await;
    hangzhou.user("hz_officer", &[Role::StationOfficer], hz_station.id).await;
    // The Hangzhou register holds the visitor (ID card issued in Xihu district, 330106).
    let hz_person = hangzhou.resident("杭州访客", 330106, 5, hz_station.id).await;
    let card = ningan_core::IdNumber::synthesize(330106, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), 5);
    // At home in Hangzhou a compound gate checks the person's pass.
    let home = {
        let mut w = hangzhou.db.write().await.unwrap();
        let compound = ningan_store::NewCompound {
            name: "西湖小区".into(),
            address: "测试路".into(),
            unit_id: hz_station.id,
            unit_path: hz_station.path.clone(),
            location: [120.13, 30.26],
        };
        let ids = w.compounds_insert(&actor(), &ningan_store::Scope::everything(), &[compound]).await.unwrap();
        w.resident_set_compound(&actor(), &ningan_store::Scope::everything(), hz_person, ids[0]).await.unwrap();
        w.commit().await.unwrap();
        ids[0]
    };
    hangzhou.user("hz_admin", &[Role::Administrator], hz_station.id).await;
    let hz_officer = hangzhou.login("hz_officer").await;
    let gate_id =
        hz_officer.post("/api/gates", json!({"compound_id": home, "name": "东门"})).await.1["id"].as_i64().unwrap();
    let (_, t) =
        hangzhou.login("hz_admin").await.post("/api/tokens", json!({"name": "闸机", "scopes": ["gate.check"]})).await;
    let gate = hangzhou.bearer(t["secret"].as_str().unwrap());
    let pass = hz_officer.post(&format!("/api/residents/{hz_person}/pass"), json!({})).await.1["token"]
        .as_str()
        .unwrap()
        .to_string();
    let at_gate = |gate: Client, pass: String| async move {
        let (_, r) = gate.post(&format!("/api/gates/{gate_id}/check"), json!({"pass": pass, "direction": "out"})).await;
        (r["verdict"].as_str().unwrap_or("").to_string(), r["reason"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(at_gate(gate.clone(), pass.clone()).await.0, "allow", "nothing known yet");

    let officer = ningbo.login("officer").await;
    let visitor = |name: &str, kind: &str, number: &str| json!({"name": name, "document_type": kind, "document_number": number, "staying_address": "海曙区某宾馆"});
    let (s, v) = officer.post("/api/visitors", visitor("杭州访客", "id_card", card.as_str())).await;
    assert_eq!(s, 201, "{v}");
    let (_, foreign) = officer.post("/api/visitors", visitor("外籍访客", "passport", "P9876543")).await;
    let (_, stranger) = officer
        .post(
            "/api/visitors",
            visitor(
                "路人",
                "id_card",
                ningan_core::IdNumber::synthesize(330106, chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(), 9)
                    .as_str(),
            ),
        )
        .await;
    let (_, venue) = officer
        .post("/api/venues", json!({"name": "面馆", "kind": "restaurant", "address": "某路", "unit_id": station.id, "lon": 121.55, "lat": 29.87}))
        .await;
    let code = venue["code"].as_str().unwrap();
    let ago = |h: i64| (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339();
    let (s, r) = officer
        .post(
            "/api/checkins",
            json!({"checkins": [
                {"resident_id": case, "venue_code": code, "at": ago(30), "left_at": ago(29)},
                {"visitor_id": v["id"], "venue_code": code, "at": ago(30), "left_at": ago(29)},
                {"visitor_id": foreign["id"], "venue_code": code, "at": ago(30), "left_at": ago(29)},
            ]}),
        )
        .await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(3)), "{r}");
    let epi = ningbo.login("epi").await;
    let (_, c) = epi.post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": ago(1)})).await;
    let id = c["id"].as_i64().unwrap();
    let path = format!("/api/cases/{id}/handovers");
    let (s, e) = epi.post(&path, json!({"visitor_id": foreign["id"]})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("visitor_id")), "a passport names no city: {e}");
    let (s, e) = epi.post(&path, json!({"visitor_id": stranger["id"]})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("visitor_id")), "not a contact: {e}");
    assert_eq!(officer.post(&path, json!({"visitor_id": v["id"]})).await.0, 403, "epidemiologists hand over");
    let (s, h) = epi.post(&path, json!({"visitor_id": v["id"]})).await;
    assert_eq!((s, h["status"].as_str(), h["city"].as_str()), (201, Some("notified"), Some("330100")), "{h}");
    let (_, again) = epi.post(&path, json!({"visitor_id": v["id"]})).await;
    assert_eq!(again["id"], h["id"], "the same hand-over");

    // Hangzhou: a task for the household station, once.
    let hz = hangzhou.login("hz_officer").await;
    let (s, tasks) = hz.get("/api/handovers").await;
    assert_eq!((s, tasks.as_array().map(Vec::len)), (200, Some(1)), "{tasks}");
    assert_eq!((tasks[0]["resident_name"].as_str(), tasks[0]["tier"].as_str()), (Some("杭州访客"), Some("close")));
    let task = tasks[0]["id"].as_i64().unwrap();
    let verdict = at_gate(gate.clone(), pass.clone()).await;
    assert_eq!((verdict.0.as_str(), verdict.1.as_str()), ("deny", "status_close_contact"), "the gate knows at once");
    let (s, e) = hz.post(&format!("/api/handovers/{task}/status"), json!({"status": "notified"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("status")), "forward only: {e}");
    let (s, _) = hz
        .post(&format!("/api/handovers/{task}/status"), json!({"status": "transferred", "note": "已转运至集中隔离点"}))
        .await;
    assert_eq!(s, 204);
    // Ningbo follows it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, list) = epi.get(&path).await;
        if list[0]["status"] == "transferred" {
            assert_eq!(list[0]["note"], "已转运至集中隔离点");
            break;
        }
        assert!(Instant::now() < deadline, "Ningbo never saw Hangzhou's progress: {list}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The pages: the household station moves the task on from its list; the investigation
    // page shows where it stands.
    let page = hz.raw_get("/precise/handovers").await.text().await.unwrap();
    assert!(page.contains("杭州访客") && page.contains("received-advance"), "listed with its form");
    let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let (s, _) = hz
        .post_form(
            &format!("/precise/handovers/{task}/status"),
            &[("csrf_token", &csrf), ("status", "notified"), ("note", "")],
        )
        .await;
    assert!(s < 400, "a refusal comes back to the list: {s}");
    assert!(hz.raw_get("/precise/handovers?error=x").await.text().await.unwrap().contains("handover-error"));
    let (s, _) = hz
        .post_form(
            &format!("/precise/handovers/{task}/status"),
            &[("csrf_token", &csrf), ("status", "quarantined"), ("note", "")],
        )
        .await;
    assert!(s < 400, "{s}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = epi.raw_get(&format!("/precise/cases/{id}")).await.text().await.unwrap();
        if page.contains("handover-row") && page.contains("隔离中") {
            break;
        }
        assert!(Instant::now() < deadline, "the investigation page never showed the progress");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Open on both sides until Hangzhou releases the person.
    let counter = |cockpit: &serde_json::Value, key: &str| {
        cockpit["counters"].as_array().unwrap().iter().find(|c| c["key"] == key).map(|c| c["value"].clone())
    };
    assert_eq!(counter(&epi.get("/api/cockpit").await.1, "handovers_sent"), Some(json!(1)));
    assert_eq!(counter(&hz.get("/api/cockpit").await.1, "handovers_received"), Some(json!(1)));
    let (s, _) =
        hz.post(&format!("/api/handovers/{task}/status"), json!({"status": "released", "note": "隔离期满"})).await;
    assert_eq!(s, 204);
    assert_eq!(at_gate(gate.clone(), pass.clone()).await.0, "allow", "released, the gate lets them out");
    assert_eq!(counter(&hz.get("/api/cockpit").await.1, "handovers_received"), Some(json!(0)));

    // Nobody else may hand a contact over or read a task's progress.
    let r =
        hangzhou.anonymous().http.post(hangzhou.url("/api/crosscity/handovers")).json(&json!({})).send().await.unwrap();
    assert!(matches!(r.status().as_u16(), 401 | 403), "unsigned: {}", r.status());
    let r =
        hangzhou.anonymous().http.get(hangzhou.url(&format!("/api/crosscity/handovers/{task}"))).send().await.unwrap();
    assert!(matches!(r.status().as_u16(), 401 | 403), "unsigned: {}", r.status());
});

// `ningan demo`'s second city (绍兴): its own instance with its own register and clerk, linked
// to Ningbo by each other's keys; a Ningbo station forwards an application for a Shaoxing
// resident, Shaoxing's clerk decides it there, Ningbo sees the decision; both logs verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_second_city_decides_what_a_ningbo_station_forwards() {
    let nb_port = free_port();
    let nb_dir = tempfile::tempdir().unwrap();
    let mut nb_cfg = Config { data_dir: nb_dir.path().to_path_buf(), ..Config::default() };
    let db = ningan::app::open_db(&nb_cfg).await.unwrap();
    let url = format!("http://127.0.0.1:{nb_port}");
    let second =
        ningan::demo::second_city::start(&nb_cfg, &db, &url, 7, std::future::pending()).await.expect("second city");
    db.close().await;
    nb_cfg.crosscity.peers.push(second.peer.clone());
    let ningbo = spawn_app_at(nb_cfg, Backend::Sqlite, nb_dir, nb_port).await;
    let station = ningbo.station(330203, 1).await;
    ningbo.user("clerk", &[Role::ServiceClerk], station.id).await;
    let clerk = ningbo.login("clerk").await;

    let (name, id_number) = second.citizen.clone();
    assert!(id_number.starts_with("3306"), "registered in Shaoxing: {id_number}");
    let forward = json!({"city": "330600", "id_number": id_number, "name": name, "item": "household-certificate",
                         "details": {"purpose": "办理公证"}, "consent": true});
    let (s, f) = clerk.post("/api/services/crosscity", forward).await;
    assert_eq!(
        (s, f["status"].as_str(), f["city_name"].as_str()),
        (201, Some("submitted"), Some("绍兴市公安局")),
        "{f}"
    );

    // Shaoxing's clerk signs in to Shaoxing's own workbench and decides it.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let sx = reqwest::Client::builder().cookie_provider(jar).build().unwrap();
    let login: serde_json::Value = sx
        .post(format!("{}/api/auth/login", second.url))
        .json(&json!({"username": ningan::demo::second_city::CLERK, "password": second.clerk_password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = login["csrf_token"].as_str().expect("signed in").to_string();
    let list: serde_json::Value =
        sx.get(format!("{}/api/services/applications", second.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!((list["total"].as_i64(), list["items"][0]["channel"].as_str()), (Some(1), Some("crosscity")), "{list}");
    assert!(list["items"][0]["no"].as_str().unwrap().starts_with("SX"), "Shaoxing numbers its own: {list}");
    let id = list["items"][0]["id"].as_i64().unwrap();
    for status in ["accepted", "approved"] {
        let r = sx
            .post(format!("{}/api/services/applications/{id}/decide", second.url))
            .header("x-csrf-token", &csrf)
            .json(&json!({"status": status, "note": "证明已出具"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, mine) = clerk.get("/api/services/crosscity").await;
        if mine["items"][0]["status"] == "approved" {
            assert_eq!(mine["items"][0]["note"], "证明已出具");
            break;
        }
        assert!(Instant::now() < deadline, "Ningbo never saw the decision: {mine}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(logged_with(&ningbo, "330600").await >= 4, "signed both ways and logged");
}
