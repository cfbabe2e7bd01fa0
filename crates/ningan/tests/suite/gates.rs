//! Smart gates end to end: a resident gets a signed pass, a gate device (an API token scoped
//! to gate checks) is let through or refused according to the person's status, which follows
//! the follow-up tasks an investigation creates, and to the control zone the gate stands in;
//! forged and foreign passes are refused; passes are recorded for tracing.

use crate::common;

use chrono::{Duration, Utc};
use common::*;
use ningan_core::Role;
use ningan_store::{NewCompound, Scope};
use serde_json::json;

fn at(ago: Duration) -> String {
    (Utc::now() - ago).to_rfc3339()
}

async fn compound(app: &TestApp, unit: &ningan_store::OrgUnit, name: &str, lon: f64) -> i64 {
    let mut w = app.db.write().await.unwrap();
    let c = NewCompound {
        name: name.into(),
        address: "测试路".into(),
        unit_id: unit.id,
        unit_path: unit.path.clone(),
        location: [lon, 29.87],
    };
    let ids = w.compounds_insert(&actor(), &Scope::everything(), &[c]).await.unwrap();
    w.commit().await.unwrap();
    ids[0]
}

async fn lives_in(app: &TestApp, resident: i64, compound: i64) {
    let mut w = app.db.write().await.unwrap();
    w.resident_set_compound(&actor(), &Scope::everything(), resident, compound).await.unwrap();
    w.commit().await.unwrap();
}

async fn check(gate: &Client, id: i64, pass: &str, direction: &str) -> (String, String) {
    let (s, r) = gate.post(&format!("/api/gates/{id}/check"), json!({"pass": pass, "direction": direction})).await;
    assert_eq!(s, 200, "{r}");
    (r["verdict"].as_str().unwrap().to_string(), r["reason"].as_str().unwrap().to_string())
}

fn pair(v: &str, r: &str) -> (String, String) {
    (v.to_string(), r.to_string())
}

on_both_backends!(gates_decide_from_signed_passes_statuses_and_zones, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    let home = compound(&app, &station, "月湖小区", 121.55).await;
    let other = compound(&app, &station, "天一小区", 121.60).await;
    let case = app.resident("病例甲", 330203, 1, station.id).await;
    let contact = app.resident("密接乙", 330203, 2, station.id).await;
    let neighbour = app.resident("邻居丙", 330203, 3, station.id).await;
    for r in [case, contact, neighbour] {
        lives_in(&app, r, home).await;
    }
    let officer = app.login("officer").await;

    let (s, g) = officer.post("/api/gates", json!({"compound_id": home, "name": "东门"})).await;
    assert_eq!(s, 201, "{g}");
    let gate_id = g["id"].as_i64().unwrap();
    let (s, g2) = officer.post("/api/gates", json!({"compound_id": other, "name": "南门"})).await;
    assert_eq!(s, 201, "{g2}");
    let other_gate = g2["id"].as_i64().unwrap();
    let (s, bad) = officer.post("/api/gates", json!({"compound_id": 999_999, "name": "北门"})).await;
    assert_eq!((s, bad["errors"][0]["field"].as_str()), (422, Some("compound_id")), "{bad}");

    // The gate device holds a token that may only check passes, made by the administrator.
    app.user("admin", &[Role::Administrator], station.id).await;
    let (s, t) = app
        .login("admin")
        .await
        .post("/api/tokens", json!({"name": "东门闸机", "scopes": ["gate.check"], "days": 30}))
        .await;
    assert_eq!(s, 201, "{t}");
    let gate = app.bearer(t["secret"].as_str().unwrap());
    let (s, _) = gate.post("/api/gates", json!({"compound_id": home, "name": "x"})).await;
    assert_eq!(s, 403, "a gate token checks passes and nothing else");

    let pass = |r: i64| {
        let officer = &officer;
        async move {
            let (s, p) = officer.post(&format!("/api/residents/{r}/pass"), json!({})).await;
            assert_eq!(s, 201, "{p}");
            assert!(p["qr_svg"].as_str().unwrap().starts_with("<?xml"), "{p}");
            p["token"].as_str().unwrap().to_string()
        }
    };
    let p_case = pass(case).await;
    let p_contact = pass(contact).await;
    let p_neighbour = pass(neighbour).await;

    assert_eq!(check(&gate, gate_id, &p_neighbour, "in").await, pair("allow", "ok"));
    // The venue-code app names the person by the same signed pass, never by an identifier.
    let shop = officer
        .post("/api/venues", json!({"name": "便利店", "kind": "shop", "address": "某路", "unit_id": station.id, "lon": 121.55, "lat": 29.87}))
        .await
        .1;
    let shop_code = shop["code"].as_str().unwrap().to_string();
    let (s, r) =
        officer.post("/api/checkins/scan", json!({"person_token": p_neighbour, "venue_code": shop_code})).await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(1)), "{r}");
    let (s, e) = officer.post("/api/checkins/scan", json!({"person_token": "forged", "venue_code": shop_code})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("person_token")), "{e}");
    assert_eq!(check(&gate, other_gate, &p_neighbour, "in").await, pair("verify", "visitor"));
    // One changed character breaks the signature.
    let mut forged = p_neighbour.clone().into_bytes();
    forged[30] = if forged[30] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_eq!(check(&gate, gate_id, &forged, "in").await, pair("deny", "pass_signature"));
    assert_eq!(check(&gate, gate_id, "garbage", "in").await, pair("deny", "pass_malformed"));
    let (s, e) = gate.post(&format!("/api/gates/{gate_id}/check"), json!({"pass": p_case, "direction": "up"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("direction")), "{e}");
    let (s, _) = gate.post("/api/gates/999999/check", json!({"pass": p_case, "direction": "in"})).await;
    assert_eq!(s, 404);

    // The pass key is public to signed-in callers, for gates that verify offline.
    let (s, k) = gate.get("/api/gates/pass-key").await;
    assert_eq!((s, k["algorithm"].as_str()), (200, Some("Ed25519")), "{k}");

    // A case and a close contact: the case met the contact at a venue.
    let v = officer
        .post(
            "/api/venues",
            json!({"name": "菜场", "kind": "market", "address": "某路", "unit_id": station.id, "lon": 121.55, "lat": 29.87}),
        )
        .await
        .1;
    let code = v["code"].as_str().unwrap();
    let (s, r) = officer
        .post(
            "/api/checkins",
            json!({"checkins": [
                {"resident_id": case, "venue_code": code, "at": at(Duration::hours(30)), "left_at": at(Duration::hours(29))},
                {"resident_id": contact, "venue_code": code, "at": at(Duration::hours(30)), "left_at": at(Duration::hours(29))},
            ]}),
        )
        .await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(2)), "{r}");
    let epi = app.login("epi").await;
    let (s, c) = epi
        .post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(Duration::hours(2))}))
        .await;
    assert_eq!(s, 201, "{c}");
    let case_id = c["id"].as_i64().unwrap();
    assert_eq!(check(&gate, gate_id, &p_case, "out").await, pair("deny", "status_case"));
    // At a gate the neighbour never passed: a pass recorded there makes nobody the contact's
    // secondary contact, however soon the recorder writes it.
    let elsewhere = compound(&app, &station, "镇明小区", 121.65).await;
    let (s, g3) = officer.post("/api/gates", json!({"compound_id": elsewhere, "name": "西门"})).await;
    assert_eq!(s, 201, "{g3}");
    let third_gate = g3["id"].as_i64().unwrap();
    assert_eq!(check(&gate, third_gate, &p_contact, "out").await, pair("allow", "ok"), "not yet a follow-up");

    let (s, conf) = epi.post(&format!("/api/cases/{case_id}/contacts/confirm"), json!({})).await;
    assert_eq!(s, 200, "{conf}");
    assert_eq!((conf["added_close"].as_u64(), conf["unchanged"].as_u64()), (Some(1), Some(0)), "{conf}");
    let (_, again) = epi.post(&format!("/api/cases/{case_id}/contacts/confirm"), json!({})).await;
    assert_eq!(
        (again["added_close"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(1)),
        "a re-run says nothing changed: {again}"
    );
    assert_eq!(check(&gate, gate_id, &p_contact, "out").await, pair("deny", "status_close_contact"));

    // The station works the task; release lifts the restriction at the gate.
    let (s, tasks) = officer.get("/api/followups?status=notified").await;
    assert_eq!(s, 200, "{tasks}");
    assert_eq!(tasks["total"], 1);
    assert_eq!(tasks["items"][0]["resident_name"], "密接乙");
    let task = tasks["items"][0]["id"].as_i64().unwrap();
    let (s, e) = officer.post(&format!("/api/followups/{task}/status"), json!({"status": "notified"})).await;
    assert_eq!(s, 422, "no step back or in place: {e}");
    for step in ["transferred", "quarantined"] {
        let (s, r) = officer.post(&format!("/api/followups/{task}/status"), json!({"status": step})).await;
        assert_eq!(s, 200, "{step}: {r}");
    }
    let (s, r) = officer.post(&format!("/api/followups/{task}/status"), json!({"status": "released"})).await;
    assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("note")), "a release needs a reason: {r}");
    assert_eq!(check(&gate, gate_id, &p_contact, "out").await, pair("deny", "status_close_contact"));
    let (s, r) =
        officer.post(&format!("/api/followups/{task}/status"), json!({"status": "released", "note": "隔离期满"})).await;
    assert_eq!(s, 200, "released: {r}");
    assert_eq!(check(&gate, gate_id, &p_contact, "out").await, pair("allow", "ok"));

    // A sealed zone drawn around the compound: nobody leaves, residents enter escorted.
    let square = json!({"type": "Polygon", "coordinates": [[[121.54, 29.86], [121.56, 29.86], [121.56, 29.88], [121.54, 29.88], [121.54, 29.86]]]});
    let (s, z) = epi
        .post("/api/zones", json!({"name": "月湖封控区", "level": "sealed", "geometry": square, "unit_id": station.id}))
        .await;
    assert_eq!(s, 201, "{z}");
    let zone_id = z["id"].as_i64().unwrap();
    assert_eq!(z["gates"][0]["id"], gate_id, "the gate inside is listed: {z}");
    // The case lives inside: no preset proposes lifting yet.
    let lifting = z["lifting"].as_array().unwrap();
    assert_eq!(lifting.len(), 3, "{z}");
    assert!(lifting.iter().all(|l| l["proposed"] == false), "{z}");
    assert!(lifting[2]["blockers"].as_array().unwrap().iter().any(|b| b == "recent_case"), "{z}");
    assert_eq!(check(&gate, gate_id, &p_neighbour, "out").await, pair("deny", "zone_sealed"));
    assert_eq!(check(&gate, gate_id, &p_neighbour, "in").await, pair("verify", "zone_sealed"));
    assert_eq!(
        check(&gate, other_gate, &p_neighbour, "out").await.0,
        "allow",
        "the other compound is outside the zone"
    );
    let (s, z) =
        epi.post(&format!("/api/zones/{zone_id}/level"), json!({"level": "controlled", "reason": "7天无新增"})).await;
    assert_eq!(s, 200, "{z}");
    assert_eq!(check(&gate, gate_id, &p_neighbour, "out").await, pair("verify", "zone_controlled"));
    let (s, z) = epi.post(&format!("/api/zones/{zone_id}/lift"), json!({"reason": "14天无新增病例"})).await;
    assert_eq!(s, 200, "{z}");
    let history: Vec<&str> = z["history"].as_array().unwrap().iter().map(|h| h["change"].as_str().unwrap()).collect();
    assert_eq!(history.len(), 3, "created, relevelled, lifted: {history:?}");
    assert_eq!(check(&gate, gate_id, &p_neighbour, "out").await, pair("allow", "ok"));
    let bad_shape = json!({"type": "Polygon", "coordinates": [[[121.54, 29.86], [121.56, 29.86]]]});
    let (s, e) = epi
        .post("/api/zones", json!({"name": "坏", "level": "sealed", "geometry": bad_shape, "unit_id": station.id}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("geometry")), "{e}");
    assert_eq!(e["errors"][0]["code"], "precise.invalid", "the refusal's stable code: {e}");

    // Passes let through are recorded for tracing: were the neighbour a case, the released
    // contact who went out through the same gate minutes apart is a close contact.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let (s, c) = epi
        .post(
            "/api/cases",
            json!({"resident_id": neighbour, "status": "suspected", "onset_at": at(Duration::minutes(1))}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let soon = (Utc::now() + Duration::minutes(10)).to_rfc3339().replace('+', "%2B");
    let (s, page) = epi.get(&format!("/api/cases/{}/contacts?tier=close&to={soon}", c["id"])).await;
    assert_eq!(s, 200, "{page}");
    let ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(|i| i["resident_id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&contact), "gate passes feed tracing: {page}");
    assert!(!ids.contains(&case), "refused passes are not presences: {page}");
});

// The gates page lists a station's gates with the zone each stands in and registers new ones,
// refusing a nameless gate beside its field.
on_both_backends!(gates_are_listed_and_registered_from_the_page, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    let home = compound(&app, &station, "月湖小区", 121.55).await;
    let officer = app.login("officer").await;
    let home_id = home.to_string();
    let (s, page) = officer.post_form("/precise/gates", &[("compound_id", &home_id), ("name", " ")]).await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-name\""), "the name is asked for beside its field");
    let (s, _) = officer.post_form("/precise/gates", &[("compound_id", &home_id), ("name", "东门")]).await;
    assert_eq!(s, 303);
    let page = officer.http.get(app.url("/precise/gates")).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("东门") && page.contains("月湖小区") && page.contains("不在管控区域"),
        "listed with its zone"
    );
    let (_, gates) = officer.get("/api/gates").await;
    assert_eq!(gates["total"], 1);
});
