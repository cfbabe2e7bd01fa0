//! Isolation end to end: a contact's follow-up is assigned a room at a quarantine site under
//! a regime, beds run out, health reports come in, the end date moves with a reason on
//! record, and release happens only when the rule allows it — releasing the follow-up too.

use crate::common;

use chrono::{Duration, Utc};
use common::*;
use ningan_core::Role;
use serde_json::json;

fn at(ago: Duration) -> String {
    (Utc::now() - ago).to_rfc3339()
}

on_both_backends!(quarantine_follows_the_regime_and_the_tests, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    let case = app.resident("病例甲", 330203, 1, station.id).await;
    let contact = app.resident("密接乙", 330203, 2, station.id).await;
    let other = app.resident("入境丙", 330203, 3, station.id).await;
    let third = app.resident("入境丁", 330203, 4, station.id).await;
    let officer = app.login("officer").await;
    let epi = app.login("epi").await;

    // The contact met the case; the investigation makes them a follow-up.
    let v = officer
        .post("/api/venues", json!({"name": "面馆", "kind": "restaurant", "address": "某路", "unit_id": station.id, "lon": 121.55, "lat": 29.87}))
        .await
        .1;
    let code = v["code"].as_str().unwrap();
    let visits: Vec<_> = [case, contact]
        .iter()
        .map(|r| json!({"resident_id": r, "venue_code": code, "at": at(Duration::hours(30)), "left_at": at(Duration::hours(29))}))
        .collect();
    assert_eq!(officer.post("/api/checkins", json!({"checkins": visits})).await.1["accepted"], 2);
    let c = epi
        .post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(Duration::hours(1))}))
        .await
        .1;
    epi.post(&format!("/api/cases/{}/contacts/confirm", c["id"]), json!({})).await;
    let tasks = epi.get("/api/followups").await.1;
    let followup = tasks["items"][0]["id"].as_i64().unwrap();

    // A site with two single rooms; malformed sites are refused by field.
    let site = json!({"name": "甬江酒店", "address": "江北区某路", "unit_id": station.id, "lon": 121.55, "lat": 29.88,
                      "rooms": [{"room_no": "101", "beds": 1}, {"room_no": "102", "beds": 1}]});
    let (s, e) = epi
        .post(
            "/api/quarantine/sites",
            json!({"name": "空", "address": "x", "unit_id": station.id, "lon": 121.55, "lat": 29.88, "rooms": []}),
        )
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("rooms")), "{e}");
    let (s, e) = epi
        .post(
            "/api/quarantine/sites",
            json!({"name": "重", "address": "x", "unit_id": station.id, "lon": 121.55, "lat": 29.88,
        "rooms": [{"room_no": "1", "beds": 1}, {"room_no": "1", "beds": 2}]}),
        )
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("rooms")), "duplicate room numbers: {e}");
    let (s, created) = epi.post("/api/quarantine/sites", site).await;
    assert_eq!(s, 201, "{created}");
    let site_id = created["id"].as_i64().unwrap();
    assert_eq!((created["beds"].as_i64(), created["free"].as_i64()), (Some(2), Some(2)));

    let (s, e) =
        epi.post("/api/quarantine", json!({"followup_id": followup, "site_id": site_id, "regime": "21"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("regime")), "{e}");
    let (s, stay) =
        epi.post("/api/quarantine", json!({"followup_id": followup, "site_id": site_id, "regime": "5+3"})).await;
    assert_eq!(s, 201, "{stay}");
    let stay_id = stay["id"].as_i64().unwrap();
    let quarantined = epi.get("/api/followups?status=quarantined").await.1;
    assert_eq!(quarantined["total"], 1, "the follow-up moved to quarantine: {quarantined}");
    let (s, again) =
        epi.post("/api/quarantine", json!({"followup_id": followup, "site_id": site_id, "regime": "5+3"})).await;
    assert_eq!(s, 422, "already quarantined: {again}");

    // Beds run out: the second person gets the other room, the third finds the site full.
    let rooms = epi.get(&format!("/api/quarantine?site_id={site_id}")).await.1;
    assert_eq!(rooms["items"][0]["room_no"], "101", "{rooms}");
    let direct =
        |r: i64| json!({"resident_id": r, "site_id": site_id, "regime": "7+3", "last_exposure": at(Duration::days(1))});
    let (s, second) = epi.post("/api/quarantine", direct(other)).await;
    assert_eq!(s, 201, "{second}");
    let (s, full) = epi.post("/api/quarantine", direct(third)).await;
    assert_eq!((s, full["errors"][0]["field"].as_str()), (422, Some("site_id")), "{full}");
    let (s, _) = epi
        .post("/api/quarantine", json!({"resident_id": third, "regime": "7+3", "last_exposure": at(Duration::days(1))}))
        .await;
    assert_eq!(s, 201, "home quarantine needs no bed");
    let board = epi.get("/api/quarantine/sites").await.1;
    assert_eq!((board[0]["occupied"].as_i64(), board[0]["free"].as_i64()), (Some(2), Some(0)), "{board}");

    // Too early, then no recent negative test, then released.
    let (s, e) = epi.post(&format!("/api/quarantine/{stay_id}/release"), json!({})).await;
    assert_eq!(s, 422, "{e}");
    assert!(e["detail_en"].as_str().unwrap().contains("not_due"), "{e}");
    let (s, e) = epi.post(&format!("/api/quarantine/{stay_id}/reports"), json!({"test_result": "maybe"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("test_result")), "{e}");
    let (s, e) = epi
        .post(&format!("/api/quarantine/{stay_id}/reports"), json!({"test_result": "none", "temperature": 50.0}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("temperature")), "{e}");
    let (s, e) = epi
        .post(&format!("/api/quarantine/{stay_id}/end"), json!({"end_at": at(Duration::hours(1)), "reason": ""}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("reason")), "{e}");
    let (s, _) = epi
        .post(
            &format!("/api/quarantine/{stay_id}/end"),
            json!({"end_at": at(Duration::hours(1)), "reason": "专家组评估提前解除"}),
        )
        .await;
    assert_eq!(s, 204);
    let detail = epi.get(&format!("/api/quarantine/{stay_id}")).await.1;
    assert_eq!(detail["end_changes"][0]["reason"], "专家组评估提前解除", "{detail}");
    assert_eq!(detail["not_yet"], "no_recent_negative", "{detail}");
    let (s, _) = epi
        .post(&format!("/api/quarantine/{stay_id}/reports"), json!({"test_result": "negative", "temperature": 36.6}))
        .await;
    assert_eq!(s, 204);
    assert_eq!(epi.get(&format!("/api/quarantine/{stay_id}")).await.1["may_release"], true);
    let (s, r) = epi.post(&format!("/api/quarantine/{stay_id}/release"), json!({})).await;
    assert_eq!(s, 204, "{r}");
    let released = epi.get("/api/followups?status=released").await.1;
    assert_eq!(released["total"], 1, "releasing the stay releases the follow-up: {released}");
    let board = epi.get("/api/quarantine/sites").await.1;
    assert_eq!(board[0]["free"], 1, "the bed is free again: {board}");

    // A positive test blocks release whatever the date.
    let second_id = second["id"].as_i64().unwrap();
    epi.post(
        &format!("/api/quarantine/{second_id}/end"),
        json!({"end_at": at(Duration::hours(1)), "reason": "测试提前"}),
    )
    .await;
    epi.post(&format!("/api/quarantine/{second_id}/reports"), json!({"test_result": "negative"})).await;
    epi.post(&format!("/api/quarantine/{second_id}/reports"), json!({"test_result": "positive"})).await;
    assert_eq!(epi.get(&format!("/api/quarantine/{second_id}")).await.1["not_yet"], "positive_test");
});

// The quarantine pages: a contact is admitted to a chosen room under a regime whose rule is
// shown, reports and an end-date change are recorded on the stay's page (refusals beside
// their fields), and release needs the rule met and a reason the audit keeps.
on_both_backends!(quarantine_is_worked_from_the_pages, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    let case = app.resident("病例甲", 330203, 1, station.id).await;
    let contact = app.resident("密接乙", 330203, 2, station.id).await;
    let officer = app.login("officer").await;
    let epi = app.login("epi").await;
    let v = officer
        .post("/api/venues", json!({"name": "面馆", "kind": "restaurant", "address": "某路", "unit_id": station.id, "lon": 121.55, "lat": 29.87}))
        .await
        .1;
    let code = v["code"].as_str().unwrap();
    let visits: Vec<_> = [case, contact]
        .iter()
        .map(|r| json!({"resident_id": r, "venue_code": code, "at": at(Duration::hours(30)), "left_at": at(Duration::hours(29))}))
        .collect();
    officer.post("/api/checkins", json!({"checkins": visits})).await;
    let c = epi
        .post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(Duration::hours(1))}))
        .await
        .1;
    epi.post(&format!("/api/cases/{}/contacts/confirm", c["id"]), json!({})).await;
    let followup = epi.get("/api/followups").await.1["items"][0]["id"].as_i64().unwrap();
    let site = json!({"name": "甬江酒店", "address": "江北区某路", "unit_id": station.id, "lon": 121.55, "lat": 29.88,
                      "rooms": [{"room_no": "101", "beds": 1}, {"room_no": "102", "beds": 1}]});
    let site_id = epi.post("/api/quarantine/sites", site).await.1["id"].as_i64().unwrap();

    let board = epi.http.get(app.url("/precise/quarantine")).send().await.unwrap().text().await.unwrap();
    assert!(board.contains("密接乙") && board.contains("甬江酒店 · 102"), "the contact and the free rooms are offered");
    assert!(board.contains("5天集中隔离+3天居家健康监测"), "each regime's rule is shown");
    let room =
        board.split(&format!("value=\"{site_id}:")).nth(2).and_then(|r| r.split('"').next()).unwrap().to_string();
    let place = format!("{site_id}:{room}");
    let followup_id = followup.to_string();
    let (s, page) = epi
        .post_form("/precise/quarantine", &[("followup_id", &followup_id), ("place", &place), ("regime", "21")])
        .await;
    assert_eq!(s, 422);
    assert!(page.contains("隔离方案为"), "an unknown regime is named");
    let r = epi
        .http
        .post(app.url("/precise/quarantine"))
        .form(&[("followup_id", followup_id.as_str()), ("place", &place), ("regime", "5+3")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let stay_path = r.headers()["location"].to_str().unwrap().to_string();
    let stay = epi.http.get(app.url(&stay_path)).send().await.unwrap().text().await.unwrap();
    assert!(stay.contains("密接乙") && stay.contains("尚不能解除"), "the stay's page says why it cannot end yet");

    let (s, page) =
        epi.post_form(&format!("{stay_path}/report"), &[("temperature", "高"), ("test_result", "none")]).await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-temperature\""));
    let yesterday = (chrono::Utc::now() + Duration::hours(8) - Duration::days(1)).format("%Y-%m-%d").to_string();
    let (s, page) = epi.post_form(&format!("{stay_path}/end"), &[("end_on", &yesterday), ("reason", "")]).await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-reason\""), "a date change needs its reason");
    let (s, _) =
        epi.post_form(&format!("{stay_path}/end"), &[("end_on", &yesterday), ("reason", "专家组评估提前解除")]).await;
    assert_eq!(s, 303);
    let (s, _) =
        epi.post_form(&format!("{stay_path}/report"), &[("temperature", "36.6"), ("test_result", "negative")]).await;
    assert_eq!(s, 303);
    let (s, _) = epi.post_form(&format!("{stay_path}/release"), &[("reason", "")]).await;
    assert_eq!(s, 422, "no release without a reason");
    let (s, _) = epi.post_form(&format!("{stay_path}/release"), &[("reason", "期满阴性，依规解除")]).await;
    assert_eq!(s, 303);
    let stay = epi.http.get(app.url(&stay_path)).send().await.unwrap().text().await.unwrap();
    assert!(stay.contains("已解除"), "released");
    let released = epi.get("/api/followups?status=released").await.1;
    assert_eq!(released["total"], 1, "the follow-up is released with it");
});
