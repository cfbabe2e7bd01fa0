//! Check-ins through a real NATS JetStream server (Debian's `nats-server`, started here): two
//! ningan processes on one database, each with its own tracing engine; scans accepted by one
//! are folded into both, so an investigation run on the other finds the contact.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use ningan::config::{Config, NatsConfig};
use ningan_core::Role;
use serde_json::json;

pub(crate) struct Nats(Child);

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn nats_server(store: &std::path::Path) -> (Nats, u16) {
    let bin = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("the stream test needs nats-server: apt-get install nats-server");
    let port = free_port();
    let child = Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd", &store.display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nats-server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (Nats(child), port)
}

fn at(hours: i64) -> String {
    (Utc::now() - chrono::Duration::hours(hours)).to_rfc3339()
}

on_both_backends!(scans_accepted_by_one_process_reach_every_engine, |b| async move {
    let store = tempfile::tempdir().unwrap();
    let (_nats, port) = nats_server(store.path());
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Both processes on one database, each with its own engine files.
    let (shared, _shared_dir) = match ningan_testkit::fresh_location(b) {
        (ningan_store::Location::Sqlite(path), dir) => (format!("sqlite://{}", path.display()), dir),
        (ningan_store::Location::Postgres(url), dir) => (url, dir),
    };
    let config = |dir: &tempfile::TempDir| Config {
        data_dir: dir.path().to_path_buf(),
        database_url: Some(shared.clone()),
        nats: NatsConfig { url: Some(format!("nats://127.0.0.1:{port}")), ..NatsConfig::default() },
        ..Config::default()
    };
    let (ca, cb) = (config(&dir_a), config(&dir_b));
    let a = spawn_app_on(ca, b, dir_a).await;
    let b = spawn_app_on(cb, b, dir_b).await;

    let station = a.station(330203, 1).await;
    a.user("officer", &[Role::StationOfficer], station.id).await;
    a.user("epi", &[Role::Epidemiologist], station.id).await;
    let case = a.resident("病例甲", 330203, 1, station.id).await;
    let contact = a.resident("密接乙", 330203, 2, station.id).await;
    let officer = a.login("officer").await;
    let (_, v) = officer
        .post("/api/venues", json!({"name": "面馆", "kind": "restaurant", "address": "某路", "unit_id": station.id, "lon": 121.55, "lat": 29.87}))
        .await;
    let code = v["code"].as_str().unwrap();
    let (arrived, left) = (at(30), at(29));
    let (s, r) = officer
        .post(
            "/api/checkins",
            json!({"checkins": [
                {"resident_id": case, "venue_code": code, "at": arrived, "left_at": left},
                {"resident_id": contact, "venue_code": code, "at": arrived, "left_at": left},
                {"resident_id": contact, "venue_code": code, "at": at(1), "left_at": at(2)},
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["accepted"], 2, "checked by the engine's rules before publishing: {r}");
    assert_eq!(r["rejected"][0]["reason"], "end before start");

    // The case is registered and investigated through the other process.
    let epi_b = b.login("epi").await;
    let (s, c) = epi_b.post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(1)})).await;
    assert_eq!(s, 201, "{c}");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, inv) = epi_b.get(&format!("/api/cases/{}/investigation", c["id"])).await;
        if inv["close_contacts"] == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "process B never folded the stream: {inv}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // And the process that accepted them folded them too.
    let epi_a = a.login("epi").await;
    let (_, inv) = epi_a.get(&format!("/api/cases/{}/investigation", c["id"])).await;
    assert_eq!(inv["close_contacts"], 1, "{inv}");
    // The back end retries the batch through the other process: already held there, so
    // nothing is published again and no overlap doubles.
    let contacts = format!("/api/cases/{}/contacts?tier=close", c["id"]);
    let overlap = epi_b.get(&contacts).await.1["items"][0]["total_overlap_s"].clone();
    let (s, r) = b
        .login("officer")
        .await
        .post(
            "/api/checkins",
            json!({"checkins": [
                {"resident_id": case, "venue_code": code, "at": arrived, "left_at": left},
                {"resident_id": contact, "venue_code": code, "at": arrived, "left_at": left},
            ]}),
        )
        .await;
    assert_eq!((s, r["accepted"].as_u64(), r["duplicates"].as_u64()), (200, Some(0), Some(2)), "{r}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(epi_a.get(&contacts).await.1["items"][0]["total_overlap_s"], overlap);
    assert_eq!(epi_b.get(&contacts).await.1["items"][0]["total_overlap_s"], overlap);

    // A carrier's cell stays go the same way: accepted by A, companions in B.
    a.user("admin", &[Role::Administrator], station.id).await;
    let (_, t) =
        a.login("admin").await.post("/api/tokens", json!({"name": "运营商", "scopes": ["cellstay.write"]})).await;
    let carrier = a.bearer(t["secret"].as_str().unwrap());
    let stay = |phone: &str| json!({"phone": phone, "lat": 29.87, "lng": 121.55, "at": at(20), "left_at": at(19)});
    let (s, r) = carrier.post("/api/cellstays", json!({"stays": [stay("13912340001"), stay("13912340002")]})).await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(2)), "{r}");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, inv) = epi_b.get(&format!("/api/cases/{}/investigation", c["id"])).await;
        if inv["companions"] == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "process B never folded the cell stays: {inv}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
});

// Risk signals published by a partner to the NATS subject are scored by the process that
// consumes the stream: a victim journey becomes a red warning at the person's station, and a
// batch delivered twice changes nothing.
on_both_backends!(signals_published_to_the_stream_become_warnings, |b| async move {
    let store = tempfile::tempdir().unwrap();
    let (_nats, port) = nats_server(store.path());
    let url = format!("nats://127.0.0.1:{port}");
    let app = spawn_app_configured(b, |c| {
        c.nats = NatsConfig { url: Some(url.clone()), ..NatsConfig::default() };
        c.fraud = ningan::config::FraudConfig { consume_stream: true, ..Default::default() };
    })
    .await;
    let station = app.station(330203, 1).await;
    app.user("analyst", &[Role::FraudAnalyst], station.id).await;
    app.resident("受害人甲", 330203, 1, station.id).await;
    let analyst = app.login("analyst").await;
    let (s, _) = analyst
        .post(
            "/api/fraud/watchlist",
            json!({"entries": [
                {"kind": "phone", "value": "0574-66660001", "source": "x"},
                {"kind": "app", "value": "com.fake.meeting", "source": "x"}]}),
        )
        .await;
    assert_eq!(s, 201);

    let now = Utc::now().timestamp();
    let batch = [
        json!({"id": "s-1", "phone": "13912340001", "at": now - 600, "kind": "call", "from": "057466660001", "duration": 200}),
        json!({"id": "s-2", "phone": "13912340001", "at": now - 300, "kind": "app", "package": "com.fake.meeting"}),
        json!({"id": "s-3", "phone": "13912340001", "at": now - 60, "kind": "transfer", "account": "6217000011112222", "amount": 9000}),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect::<Vec<_>>()
    .join("\n");
    let js = async_nats::jetstream::new(async_nats::connect(&url).await.unwrap());
    for _ in 0..2 {
        js.publish("ningan.signals", batch.clone().into()).await.unwrap().await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, tasks) = analyst.get("/api/fraud/tasks?level=high").await;
        if tasks["total"] == 1 {
            assert_eq!(tasks["items"][0]["unit_id"], station.id);
            break;
        }
        assert!(Instant::now() < deadline, "no red warning from the stream: {tasks}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, all) = analyst.get("/api/fraud/tasks").await;
    assert_eq!(all["total"], 3, "the repeated batch raised nothing new: {all}");
});
