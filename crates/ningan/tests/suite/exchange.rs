//! Certificate-free handling against the partner-agency simulator, a separate process: the
//! facts an item needs are verified from the register and fetched from the agencies with the
//! citizen's consent, signed, retried while an agency is down; no record or a citizen's
//! objection falls back to a hand check; approval waits for every fact; all of it audited.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use ningan_core::Role;
use serde_json::{Value, json};

const SECRET: &str = "test-exchange-secret-0001";

type Sim = PartnerSim;

async fn partner_sim() -> Sim {
    common::partner_sim(SECRET).await
}

async fn register(admin: &Client, sim: &Sim) {
    for (code, name, evidence) in ningan::sim::AGENCIES {
        let (s, r) = admin
            .request(
                "PUT",
                &format!("/api/services/agencies/{code}"),
                json!({"name": name, "base_url": format!("http://127.0.0.1:{}/{code}", sim.1), "secret": SECRET, "evidence": evidence}),
            )
            .await;
        assert_eq!(s, 200, "{r}");
    }
}

fn id_number(seq: u16) -> String {
    ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), seq)
        .as_str()
        .to_string()
}

async fn citizen(app: &TestApp, seq: u16) -> Client {
    app.citizen(&id_number(seq), &format!("1391234{seq:04}")).await
}

/// Waits until every fact of the citizen's application has left `pending`.
async fn settled(me: &Client, no: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, d) = me.get(&format!("/api/portal/applications/{no}")).await;
        if d["facts"].as_array().unwrap().iter().all(|f| f["status"] != "pending") {
            return d;
        }
        assert!(Instant::now() < deadline, "facts still pending: {d}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn status_of<'a>(d: &'a Value, code: &str) -> &'a str {
    d["facts"].as_array().unwrap().iter().find(|f| f["code"] == code).and_then(|f| f["status"].as_str()).unwrap()
}

on_both_backends!(a_birth_registration_is_handled_without_any_paper, |b| async move {
    let sim = partner_sim().await;
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("clerk", &[Role::ServiceClerk], station.id).await;
    app.user("admin", &[Role::Administrator], app.unit("330200").await.id).await;
    let parent = app.resident("父亲甲", 330203, 1, station.id).await;
    app.resident("母亲乙", 330203, 9, station.id).await;
    register(&app.login("admin").await, &sim).await;

    let me = citizen(&app, 1).await;
    let apply = json!({"item": "birth-registration", "details": {"child_name": "新生儿丙"}});
    let (s, e) = me.post("/api/portal/applications", apply.clone()).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("consent")), "no exchange without consent: {e}");
    let mut with_consent = apply.clone();
    with_consent["consent"] = json!(true);
    let (s, filed) = me.post("/api/portal/applications", with_consent.clone()).await;
    assert_eq!(s, 201, "{filed}");
    let no = filed["no"].as_str().unwrap();
    let d = settled(&me, no).await;
    for code in ["identity", "household", "birth_certificate", "marriage_record"] {
        assert_eq!(status_of(&d, code), "verified", "{code}: {d}");
    }
    let birth = d["facts"].as_array().unwrap().iter().find(|f| f["code"] == "birth_certificate").unwrap();
    assert_eq!(birth["verified_by"], "宁波市卫生健康委员会");
    assert!(birth["value"]["签发机构"].as_str().unwrap().contains("妇幼保健院"), "{birth}");

    // The clerk sees who verified what, the ID number masked, and approves.
    let clerk = app.login("clerk").await;
    let id = filed["id"].as_i64().unwrap();
    let (_, detail) = clerk.get(&format!("/api/services/applications/{id}")).await;
    let identity = detail["facts"].as_array().unwrap().iter().find(|f| f["code"] == "identity").unwrap();
    assert!(identity["value"]["公民身份号码"].as_str().unwrap().contains('*'), "{identity}");
    for status in ["accepted", "approved"] {
        let (s, r) = clerk.post(&format!("/api/services/applications/{id}/decide"), json!({"status": status})).await;
        assert_eq!(s, 200, "{r}");
    }
    // Every request and answer is on the record, under the person it concerns.
    let trail = app
        .db
        .audit_search(
            &ningan_store::Scope::everything(),
            &ningan_store::AuditFilter {
                person_id: Some(parent),
                action: Some("exchange.answer".into()),
                ..Default::default()
            },
            ningan_store::PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(trail.total, 2, "two agencies answered");
    let proof = clerk
        .http
        .get(app.url(&format!("/services/applications/{id}/proof")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(proof.contains("测试1派出所 提取"), "the print carries the extracting unit and time");

    // An agency with no record, and a citizen who rejects a fetched fact: hand checks.
    let mother = citizen(&app, 9).await;
    let (s, filed) = mother.post("/api/portal/applications", with_consent).await;
    assert_eq!(s, 201);
    let no2 = filed["no"].as_str().unwrap();
    let id2 = filed["id"].as_i64().unwrap();
    let d = settled(&mother, no2).await;
    assert_eq!(status_of(&d, "marriage_record"), "manual_pending", "{d}");
    let (s, d) = mother.post(&format!("/api/portal/applications/{no2}/facts/household/reject"), json!({})).await;
    assert_eq!((s, status_of(&d, "household")), (200, "manual_pending"), "{d}");
    let (s, _) = clerk.post(&format!("/api/services/applications/{id2}/decide"), json!({"status": "accepted"})).await;
    assert_eq!(s, 200);
    let (s, e) = clerk.post(&format!("/api/services/applications/{id2}/decide"), json!({"status": "approved"})).await;
    assert_eq!(s, 409, "approval waits for every fact: {e}");
    // The simulator holds nothing for this mother: the birth certificate needs a hand check too.
    for fact in ["marriage_record", "household", "birth_certificate"] {
        let (s, r) = clerk
            .post(&format!("/api/services/applications/{id2}/facts/{fact}/verify"), json!({"note": "当面核验纸质材料"}))
            .await;
        assert_eq!(s, 200, "{r}");
    }
    let (s, _) = clerk.post(&format!("/api/services/applications/{id2}/decide"), json!({"status": "approved"})).await;
    assert_eq!(s, 200);
});

on_both_backends!(requests_to_an_agency_that_is_down_are_retried_until_it_answers, |b| async move {
    let sim = partner_sim().await;
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("admin", &[Role::Administrator], app.unit("330200").await.id).await;
    app.resident("申请人", 330203, 1, station.id).await;
    register(&app.login("admin").await, &sim).await;
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/control/down", sim.1))
        .json(&json!({"seconds": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let me = citizen(&app, 1).await;
    let (s, filed) = me
        .post(
            "/api/portal/applications",
            json!({"item": "move-in-property", "details": {"property_address": "某路1号"}, "consent": true}),
        )
        .await;
    assert_eq!(s, 201, "{filed}");
    let no = filed["no"].as_str().unwrap();
    let d = settled(&me, no).await;
    let fact = d["facts"].as_array().unwrap().iter().find(|f| f["code"] == "property_record").unwrap().clone();
    assert_eq!(fact["status"], "verified", "{d}");
    assert!(fact["attempts"].as_i64().unwrap() >= 2, "the first attempt met the outage: {fact}");
});

/// Records a change of `resident`'s registered address; returns the change id and its first
/// delivery.
async fn address_changed(app: &TestApp, resident: i64, address: &str) -> (String, ningan_store::Delivery) {
    let mut w = app.db.write().await.unwrap();
    let change = w.identity_change(&actor(), resident, "hukou_address", address, None).await.unwrap();
    w.commit().await.unwrap();
    let d = app.db.deliveries_of_change(&change).await.unwrap().remove(0);
    (change, d)
}

/// Writes one attempt's outcome for `d` as the outbox worker does, dead after `max_attempts`.
async fn record_attempt(app: &TestApp, d: &ningan_store::Delivery, outcome: Result<&str, &str>, max_attempts: i64) {
    let mut w = app.db.write().await.unwrap();
    w.delivery_result(d, outcome, max_attempts).await.unwrap();
    w.commit().await.unwrap();
}

on_both_backends!(a_dead_delivery_is_redriven_by_an_administrator_with_the_same_change_id, |b| async move {
    let sim = partner_sim().await;
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("admin", &[Role::Administrator], app.unit("330200").await.id).await;
    app.user("clerk", &[Role::ServiceClerk], station.id).await;
    let resident = app.resident("申请人", 330203, 1, station.id).await;
    let admin = app.login("admin").await;
    let register = |webhook: String| {
        let admin = admin.clone();
        let base = format!("http://127.0.0.1:{}/hrss", sim.1);
        async move {
            let (s, _) = admin
                .request(
                    "PUT",
                    "/api/services/agencies/hrss",
                    json!({"name": "人社局", "base_url": base, "secret": SECRET,
                           "evidence": ["social_insurance"], "webhook_url": webhook}),
                )
                .await;
            assert_eq!(s, 200);
        }
    };
    // While the agency's webhook is down the worker can only fail, so the delivery is made
    // dead here and nothing moves it on meanwhile.
    register("http://127.0.0.1:9/hrss/identity-changes".into()).await;
    let (change, d) = address_changed(&app, resident, "宁波市海曙区新地址1号").await;
    record_attempt(&app, &d, Err("HTTP 503"), 1).await;
    register(format!("http://127.0.0.1:{}/hrss/identity-changes", sim.1)).await;
    let (_, dead) = admin.get("/api/services/deliveries?status=dead").await;
    assert_eq!(dead["total"], 1, "{dead}");
    let id = dead["items"][0]["id"].as_i64().unwrap();
    let (s, _) = app.login("clerk").await.post(&format!("/api/services/deliveries/{id}/redrive"), json!({})).await;
    assert_eq!(s, 403, "re-drive is for administrators");
    let (s, _) = admin.post(&format!("/api/services/deliveries/{id}/redrive"), json!({})).await;
    assert_eq!(s, 204);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let d = app.db.deliveries_of_change(&change).await.unwrap().remove(0);
        if d.status == "acknowledged" {
            break;
        }
        assert!(Instant::now() < deadline, "not delivered after the re-drive: {}", d.status);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let received: Value =
        reqwest::get(format!("http://127.0.0.1:{}/control/received", sim.1)).await.unwrap().json().await.unwrap();
    assert_eq!(received["applied"]["hrss"], json!([change]));
});

// The worker reads a waiting delivery, and while its attempt runs the agency's answer (or
// another attempt) moves it on: the late failure must not undo that.
on_both_backends!(a_failure_written_late_does_not_undo_a_delivery_already_acknowledged, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("admin", &[Role::Administrator], app.unit("330200").await.id).await;
    let resident = app.resident("申请人", 330203, 2, station.id).await;
    let admin = app.login("admin").await;
    let (s, _) = admin
        .request(
            "PUT",
            "/api/services/agencies/hrss",
            json!({"name": "人社局", "base_url": "http://127.0.0.1:9/hrss", "secret": SECRET,
                   "evidence": ["social_insurance"], "webhook_url": "http://127.0.0.1:9/hrss/identity-changes"}),
        )
        .await;
    assert_eq!(s, 200);
    let (change, stale) = address_changed(&app, resident, "宁波市海曙区新地址2号").await;
    record_attempt(&app, &stale, Ok("acknowledged"), 8).await;
    let mut w = app.db.write().await.unwrap();
    w.delivery_result(&stale, Err("connection refused"), 8).await.unwrap();
    w.commit().await.unwrap();
    let now = app.db.deliveries_of_change(&change).await.unwrap().remove(0);
    assert_eq!(now.status, "acknowledged", "the acknowledgement stands");
});
