//! Integrated command over HTTP on both backends: a 110 call taken, numbered and moved through
//! its stages with every interval stamped and the arrival measured against its target; steps
//! out of order refused; bad calls refused beside their fields with nothing stored; a station
//! seeing its own incidents and the command centre the city's; related incidents linked.

use crate::common;

use common::*;
use ningan_core::Role;
use serde_json::{Value, json};

fn call(lon: f64, lat: f64) -> Value {
    json!({"category": "traffic.collision", "priority": "urgent", "caller_phone": "13800000001",
           "address": "海曙区中山西路100号", "lon": lon, "lat": lat,
           "narrative": "两车追尾，一人受伤，占用两条车道"})
}

async fn step(c: &Client, id: i64, step: &str, note: &str) -> (u16, Value) {
    c.post(&format!("/api/command/incidents/{id}/steps"), json!({"step": step, "note": note})).await
}

on_both_backends!(a_call_is_numbered_and_moved_through_every_stage_with_its_intervals, |b| async move {
    let app = spawn_app(b).await;
    let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    let officer = app.login("officer").await;

    let (s, tree) = officer.get("/api/command/categories").await;
    assert_eq!(s, 200);
    assert_eq!(tree.as_array().map(Vec::len), Some(6), "six families: {tree}");
    assert!(tree[2]["categories"].as_array().unwrap().iter().any(|c| c["code"] == "traffic.collision"));

    let (s, made) = officer.post("/api/command/incidents", call(121.551, 29.871)).await;
    assert_eq!(s, 201, "{made}");
    let id = made["id"].as_i64().unwrap();
    assert!(made["no"].as_str().unwrap().starts_with("110"), "{made}");

    let (_, d) = officer.get(&format!("/api/command/incidents/{id}")).await;
    let i = &d["incident"];
    assert_eq!(i["stage"], "received");
    assert_eq!(i["caller_phone"], "138****0001", "the caller's number is masked");
    assert!(!d.to_string().contains("13800000001"), "and appears nowhere in full");
    assert_eq!(i["unit_id"], station.id, "the owning station found from the place");
    assert_eq!(d["steps"], json!(["answer", "cancel"]));

    assert_eq!(step(&officer, id, "answer", "").await.0, 200);
    let (s, e) = step(&officer, id, "dispatch", "").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("note")), "say who was sent: {e}");
    assert_eq!(step(&officer, id, "dispatch", "巡逻一组").await, (200, json!({"stage": "dispatched"})));
    // A unit that reaches the scene before anyone marks it under way arrives from dispatched.
    assert_eq!(step(&officer, id, "arrive", "").await.1["stage"], "on_scene");
    assert_eq!(step(&officer, id, "clear", "已拖离现场").await.1["stage"], "cleared");
    let (s, e) = step(&officer, id, "dispatch", "巡逻二组").await;
    assert_eq!(s, 409, "a cleared incident is not dispatched again: {e}");
    assert!(e["detail"].as_str().unwrap().contains("已处结"), "{e}");

    let (_, d) = officer.get(&format!("/api/command/incidents/{id}")).await;
    let i = &d["incident"];
    for at in ["received_at", "answered_at", "dispatched_at", "on_scene_at", "cleared_at"] {
        assert!(i[at].is_string(), "{at} stamped: {i}");
    }
    assert!(i["en_route_at"].is_null(), "a stage skipped stays unstamped");
    assert_eq!(i["on_target"], true, "on scene within seconds of the call");
    let target = i["target_s"].as_i64().unwrap();
    assert_eq!(target, if i["urban"] == true { 300 } else { 600 });
    let events: Vec<&str> = d["events"].as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
    assert_eq!(events, ["answer", "dispatch", "arrive", "clear"]);
    assert_eq!(d["events"][1]["note"], "巡逻一组");
});

on_both_backends!(bad_calls_are_refused_beside_their_fields_and_nothing_is_stored, |b| async move {
    let app = spawn_app(b).await;
    let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    let officer = app.login("officer").await;
    let future = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let cases = [
        ("category", json!("traffic.nope"), "command.one_of"),
        ("priority", json!("soon"), "command.one_of"),
        ("caller_phone", json!("12345"), ""),
        ("lon", json!(120.0), "command.outside_city"),
        ("narrative", json!(" "), ""),
        ("received_at", json!(future), "command.future"),
        ("received_at", json!("yesterday"), "command.time"),
    ];
    for (field, value, code) in cases {
        let mut body = call(121.551, 29.871);
        body[field] = value;
        let (s, e) = officer.post("/api/command/incidents", body).await;
        assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some(field)), "{field}: {e}");
        if !code.is_empty() {
            assert_eq!(e["errors"][0]["code"], code, "{field}: {e}");
        }
    }
    let (_, list) = officer.get("/api/command/incidents").await;
    assert_eq!(list["total"], 0, "nothing stored: {list}");
    let (s, e) = officer.get("/api/command/incidents?stage=parked").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("stage")));
});

on_both_backends!(a_station_sees_its_own_incidents_and_the_command_centre_the_citys, |b| async move {
    let app = spawn_app(b).await;
    let haishu = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    let yinzhou = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
    app.user("haishu", &[Role::StationOfficer], haishu.id).await;
    app.user("yinzhou", &[Role::StationOfficer], yinzhou.id).await;
    app.user("centre", &[Role::Commander], app.unit("330200").await.id).await;
    let (h, y, centre) = (app.login("haishu").await, app.login("yinzhou").await, app.login("centre").await);

    let (_, a) = h.post("/api/command/incidents", call(121.551, 29.871)).await;
    let a = a["id"].as_i64().unwrap();
    let (s, e) = y.post("/api/command/incidents", call(121.551, 29.871)).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("lon")), "not Yinzhou's area: {e}");
    let (s, made) = y.post("/api/command/incidents", call(121.561, 29.801)).await;
    assert_eq!(s, 201, "{made}");
    let bz = made["id"].as_i64().unwrap();

    assert_eq!(y.get(&format!("/api/command/incidents/{a}")).await.0, 404, "another station's incident");
    assert_eq!(step(&y, a, "answer", "").await.0, 404);
    assert_eq!(y.get("/api/command/incidents").await.1["total"], 1);
    let (_, all) = centre.get("/api/command/incidents?open=1").await;
    assert_eq!(all["total"], 2, "the command centre sees the city: {all}");
    let (_, traffic) = centre.get("/api/command/incidents?category=traffic").await;
    assert_eq!(traffic["total"], 2, "a family filters its categories");

    // Two callers reporting one crash: linked once, seen from both sides.
    let (s, e) = h.post(&format!("/api/command/incidents/{a}/links"), json!({"other_id": bz})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("other_id")), "outside Haishu's scope: {e}");
    assert_eq!(centre.post(&format!("/api/command/incidents/{a}/links"), json!({"other_id": bz})).await.0, 204);
    assert_eq!(centre.post(&format!("/api/command/incidents/{bz}/links"), json!({"other_id": a})).await.0, 409);
    let (s, e) = centre.post(&format!("/api/command/incidents/{a}/links"), json!({"other_id": a})).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (422, Some("command.self_link")));
    let (_, d) = centre.get(&format!("/api/command/incidents/{bz}")).await;
    assert_eq!(d["linked"][0]["id"], a, "{d}");

    // Roles without the command actions are refused outright.
    app.user("clerk", &[Role::ServiceClerk], haishu.id).await;
    assert_eq!(app.login("clerk").await.get("/api/command/incidents").await.0, 403);
});

/// A device token for one unit, made by the station's administrator and bound by an officer.
async fn device(app: &TestApp, admin: &Client, officer: &Client, unit: i64, station: i64) -> Client {
    let (s, t) = admin
        .post(
            "/api/tokens",
            json!({"name": format!("车载终端{unit}"), "scopes": ["command.position"], "unit_id": station}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let (s, e) = officer
        .request("PUT", &format!("/api/command/units/{unit}/device"), json!({"token_id": t["token"]["id"]}))
        .await;
    assert_eq!(s, 204, "{e}");
    app.bearer(t["secret"].as_str().unwrap())
}

async fn position(c: &Client, unit: i64, lon: f64, lat: f64) -> (u16, Value) {
    c.post(&format!("/api/command/units/{unit}/positions"), json!({"lon": lon, "lat": lat})).await
}

on_both_backends!(the_nearest_unit_by_road_is_sent_and_its_device_moves_it_to_the_scene, |b| async move {
    let app = spawn_app(b).await;
    let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("admin", &[Role::Administrator], station.id).await;
    let (officer, admin) = (app.login("officer").await, app.login("admin").await);

    let mut ids = Vec::new();
    for callsign in ["海曙01", "海曙02", "海曙03"] {
        let (s, u) = officer
            .post("/api/command/units", json!({"callsign": callsign, "kind": "car", "crew": 2, "unit_id": station.id}))
            .await;
        assert_eq!(s, 201, "{u}");
        ids.push(u["id"].as_i64().unwrap());
    }
    let (near, far, unplaced) = (ids[0], ids[1], ids[2]);
    let (s, e) = officer
        .post("/api/command/units", json!({"callsign": "海曙01", "kind": "car", "crew": 2, "unit_id": station.id}))
        .await;
    assert_eq!(s, 409, "call signs are unique: {e}");
    let (s, e) = officer
        .post("/api/command/units", json!({"callsign": "海曙09", "kind": "boat", "crew": 9, "unit_id": station.id}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("kind")), "{e}");

    let near_device = device(&app, &admin, &officer, near, station.id).await;
    let far_device = device(&app, &admin, &officer, far, station.id).await;
    assert_eq!(position(&near_device, near, 121.561, 29.871).await.0, 200);
    assert_eq!(position(&far_device, far, 121.551, 29.92).await.0, 200);
    let (s, e) = position(&far_device, near, 121.56, 29.87).await;
    assert_eq!(s, 403, "a token reports only the unit it is bound to: {e}");
    assert_eq!(position(&officer, near, 121.56, 29.87).await.0, 403, "nor does an officer's session");
    let (s, e) = position(&near_device, near, 120.0, 29.0).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("lon")), "outside the city: {e}");

    let (_, made) = officer.post("/api/command/incidents", call(121.551, 29.871)).await;
    let incident = made["id"].as_i64().unwrap();
    assert_eq!(step(&officer, incident, "answer", "").await.0, 200);
    let (s, proposal) = officer.get(&format!("/api/command/incidents/{incident}/proposal?k=5")).await;
    assert_eq!(s, 200, "{proposal}");
    let proposed: Vec<i64> = proposal.as_array().unwrap().iter().map(|p| p["unit_id"].as_i64().unwrap()).collect();
    assert_eq!(proposed, [near, far], "by travel time; a unit never placed is not proposed");
    let (e0, e1) = (proposal[0]["eta_s"].as_f64().unwrap(), proposal[1]["eta_s"].as_f64().unwrap());
    assert!(0.0 < e0 && e0 < e1, "{proposal}");
    assert_eq!(officer.get(&format!("/api/command/incidents/{incident}/proposal?k=50")).await.0, 422);

    let dispatch = |units: Value| {
        let officer = &officer;
        async move { officer.post(&format!("/api/command/incidents/{incident}/dispatch"), json!({"unit_ids": units})).await }
    };
    let (s, e) = dispatch(json!([])).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("unit_ids")));
    assert_eq!(dispatch(json!([near])).await, (200, json!({"stage": "dispatched"})));
    assert_eq!(dispatch(json!([far])).await.0, 409, "already dispatched");
    let (_, units) = officer.get("/api/command/units?status=dispatched").await;
    assert_eq!(units[0]["id"], near);
    assert_eq!(units[0]["incident_id"], incident);

    // The device drives: moving off puts unit and incident under way, reaching the scene
    // puts both on scene.
    assert_eq!(position(&near_device, near, 121.556, 29.871).await.1["status"], "en_route");
    assert_eq!(position(&near_device, near, 121.5512, 29.8711).await.1["status"], "on_scene");
    let (_, d) = officer.get(&format!("/api/command/incidents/{incident}")).await;
    assert_eq!(d["incident"]["stage"], "on_scene", "{d}");
    assert!(d["incident"]["en_route_at"].is_string() && d["incident"]["on_scene_at"].is_string());
    assert_eq!(d["incident"]["on_target"], true);
    let (_, proposal) = officer.get(&format!("/api/command/incidents/{incident}/proposal")).await;
    assert_eq!(proposal.as_array().map(Vec::len), Some(1), "a unit on scene is not proposed: {proposal}");

    // Clearing the incident frees its unit.
    assert_eq!(step(&officer, incident, "clear", "已处理").await.0, 200);
    let (_, units) = officer.get("/api/command/units?status=available").await;
    let free: Vec<i64> = units.as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect();
    assert!(free.contains(&near) && free.contains(&unplaced), "{units}");
    let (s, u) = officer.post(&format!("/api/command/units/{unplaced}/status"), json!({"step": "stand_down"})).await;
    assert_eq!((s, u["status"].as_str()), (200, Some("out_of_service")));
    assert_eq!(
        officer.post(&format!("/api/command/units/{unplaced}/status"), json!({"step": "stand_down"})).await.0,
        409
    );
});

/// Reads the next `n` events (type, id, data) off a server-sent event stream.
async fn next_events(resp: &mut reqwest::Response, buf: &mut String, n: usize) -> Vec<(String, u64, Value)> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut out = Vec::new();
    while out.len() < n {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let field = |name: &str| {
                block.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim_start().to_string()).unwrap_or_default()
            };
            let (kind, id, data) = (field("event:"), field("id:"), field("data:"));
            if !kind.is_empty() {
                out.push((kind, id.parse().unwrap_or(0), serde_json::from_str(&data).unwrap_or(Value::String(data))));
            }
        }
        if out.len() >= n {
            break;
        }
        let chunk = tokio::time::timeout_at(deadline, resp.chunk()).await.expect("an event within 10 s").unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open")));
    }
    out
}

async fn subscribe(c: &Client, last: Option<u64>) -> reqwest::Response {
    let mut req = c.http.get(format!("{}/api/command/board/events", c.base));
    if let Some(last) = last {
        req = req.header("last-event-id", last.to_string());
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    resp
}

on_both_backends!(the_live_board_pushes_each_change_in_scope_and_resumes_after_a_drop, |b| async move {
    let app = spawn_app(b).await;
    let haishu = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    let yinzhou = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
    app.user("haishu", &[Role::StationOfficer], haishu.id).await;
    app.user("yinzhou", &[Role::StationOfficer], yinzhou.id).await;
    let (h, y) = (app.login("haishu").await, app.login("yinzhou").await);

    let (_, snapshot) = h.get("/api/command/board").await;
    let head = snapshot["head"].as_u64().unwrap();
    let mut stream = subscribe(&h, Some(head)).await;
    let mut other = subscribe(&y, None).await;
    let (mut buf, mut other_buf) = (String::new(), String::new());

    let (_, made) = h.post("/api/command/incidents", call(121.551, 29.871)).await;
    let incident = made["id"].as_i64().unwrap();
    assert_eq!(step(&h, incident, "answer", "").await.0, 200);
    let seen = next_events(&mut stream, &mut buf, 2).await;
    assert_eq!(seen[0].0, "incident");
    assert_eq!((seen[0].2["id"].as_i64(), seen[0].2["stage"].as_str()), (Some(incident), Some("received")));
    assert_eq!(seen[1].2["stage"], "answered");
    assert!(seen[0].1 < seen[1].1, "numbered in order");

    // Yinzhou's board shows nothing of Haishu's: its first event is its own call.
    let (_, own) = y.post("/api/command/incidents", call(121.561, 29.801)).await;
    let first = next_events(&mut other, &mut other_buf, 1).await;
    assert_eq!(first[0].2["id"], own["id"], "{first:?}");

    // The connection drops after the first event; what happened meanwhile is replayed.
    drop(stream);
    assert_eq!(step(&h, incident, "dispatch", "巡逻一组").await.0, 200);
    let mut resumed = subscribe(&h, Some(seen[0].1)).await;
    let mut buf = String::new();
    let replay = next_events(&mut resumed, &mut buf, 2).await;
    let stages: Vec<&str> = replay.iter().map(|e| e.2["stage"].as_str().unwrap_or("")).collect();
    assert_eq!(stages, ["answered", "dispatched"], "nothing lost, nothing twice");

    // An id the board never gave (from before a restart) asks the client to reload.
    let mut stale = subscribe(&h, Some(1_000_000)).await;
    let mut buf = String::new();
    assert_eq!(next_events(&mut stale, &mut buf, 1).await[0].0, "reset");
    let (s, e) = h.get("/api/command/board/events?after=soon").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("after")));
    let (_, snapshot) = h.get("/api/command/board").await;
    assert_eq!(snapshot["incidents"].as_array().map(Vec::len), Some(1), "open incidents in scope: {snapshot}");
});

on_both_backends!(the_days_figures_count_calls_and_arrivals_against_the_targets_per_district, |b| async move {
    let app = spawn_app(b).await;
    let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    let officer = app.login("officer").await;
    for _ in 0..3 {
        let (_, made) = officer.post("/api/command/incidents", call(121.551, 29.871)).await;
        let id = made["id"].as_i64().unwrap();
        assert_eq!(step(&officer, id, "answer", "").await.0, 200);
        assert_eq!(step(&officer, id, "dispatch", "巡逻一组").await.0, 200);
        assert_eq!(step(&officer, id, "arrive", "").await.0, 200);
    }
    // A call typed up late: received two hours ago, on scene only now.
    let mut late = call(121.551, 29.871);
    late["received_at"] = json!((chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339());
    let (_, made) = officer.post("/api/command/incidents", late).await;
    let id = made["id"].as_i64().unwrap();
    for s in ["answer", "dispatch", "arrive"] {
        let note = if s == "dispatch" { "巡逻二组" } else { "" };
        assert_eq!(step(&officer, id, s, note).await.0, 200);
    }
    let (s, f) = officer.get("/api/command/figures").await;
    assert_eq!(s, 200, "{f}");
    // The late call may fall on yesterday just after midnight; count what today holds.
    let calls = f["calls"].as_i64().unwrap();
    assert!(calls == 4 || calls == 3, "{f}");
    assert_eq!(f["by_hour"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).sum::<i64>(), calls);
    let haishu = f["by_district"].as_array().unwrap().iter().find(|d| d["code"] == 330203).unwrap().clone();
    assert_eq!(haishu["arrived"], calls);
    assert_eq!(haishu["on_target"], 3, "the late one took two hours: {haishu}");
    assert_eq!(f["by_family"][0]["code"], "traffic");
    assert_eq!(f["open"], 4, "none cleared yet");
    let (s, e) = officer.get("/api/command/figures?date=30-11").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("date")));
    let (_, cockpit) = officer.get("/api/cockpit").await;
    assert!(cockpit.to_string().contains("command_on_target"), "the cockpit shows the panel");
});

on_both_backends!(the_demo_city_has_units_at_every_station_and_two_days_of_calls, |b| async move {
    let app = spawn_app(b).await;
    ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 11, trace_dir: None }).await.unwrap();
    app.user("centre", &[Role::Commander], app.unit("330200").await.id).await;
    let centre = app.login("centre").await;
    let (_, units) = centre.get("/api/command/units").await;
    let units = units.as_array().unwrap();
    let stations: std::collections::HashSet<i64> = units.iter().map(|u| u["station_id"].as_i64().unwrap()).collect();
    assert!(stations.len() >= 40, "units at {} stations", stations.len());
    assert!(units.iter().all(|u| u["lon"].is_number()), "every unit placed");
    assert!(units.iter().any(|u| u["status"] == "out_of_service") && units.iter().any(|u| u["status"] == "available"));
    let (_, all) = centre.get("/api/command/incidents?per_page=1").await;
    // Yesterday alone holds 60 at this size (a few may fall at sea); today's depend on the hour.
    assert!(all["total"].as_i64().unwrap() >= 50, "{all}");
    let yesterday = (chrono::Utc::now() + chrono::Duration::hours(8) - chrono::Duration::days(1)).format("%Y-%m-%d");
    let (_, f) = centre.get(&format!("/api/command/figures?date={yesterday}")).await;
    let arrived: i64 = f["by_district"].as_array().unwrap().iter().map(|d| d["arrived"].as_i64().unwrap()).sum();
    assert!(f["calls"].as_i64().unwrap() >= 50 && arrived > 0, "{f}");
    let pct = f["on_target_pct"].as_i64().unwrap();
    assert!((55..=95).contains(&pct), "most arrive within the target: {pct} %");
    let (_, cancelled) = centre.get("/api/command/incidents?stage=cancelled").await;
    if let Some(dup) = cancelled["items"].as_array().and_then(|a| a.first()) {
        let (_, d) = centre.get(&format!("/api/command/incidents/{}", dup["id"])).await;
        assert_eq!(d["linked"].as_array().map(Vec::len), Some(1), "a duplicate is linked to the first report: {d}");
    }
});

on_both_backends!(an_incident_travels_as_eido_json_and_comes_back_checked_like_a_call, |b| async move {
    let app = spawn_app(b).await;
    let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    let officer = app.login("officer").await;
    let (_, made) = officer.post("/api/command/incidents", call(121.551, 29.871)).await;
    let id = made["id"].as_i64().unwrap();
    assert_eq!(step(&officer, id, "answer", "").await.0, 200);

    let (s, doc) = officer.get(&format!("/api/command/incidents/{id}/eido")).await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!(doc["incidentComponent"]["incidentTrackingIdentifier"], made["no"]);
    assert_eq!(doc["incidentComponent"]["incidentTypeCommonRegistryText"][0], "traffic.collision");
    assert_eq!(doc["callComponent"][0]["callbackNumber"], "138****0001", "masked on the way out");
    assert_eq!(doc["locationComponent"][0]["locationByValue"]["coordinates"], json!([121.551, 29.871]));
    assert_eq!(doc["notesComponent"][0]["notesActionComment"], "两车追尾，一人受伤，占用两条车道");
    assert!(doc["x-ningan-intervals"]["answered"].is_string(), "{doc}");

    // A masked number cannot file a call; the full one can.
    let (s, e) = officer.post("/api/command/incidents/eido", doc.clone()).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("caller_phone")), "{e}");
    let mut full = doc.clone();
    full["callComponent"][0]["callbackNumber"] = json!("13900000002");
    full["callComponent"][0]["callStartTimestamp"] = json!(chrono::Utc::now().to_rfc3339());
    let (s, again) = officer.post("/api/command/incidents/eido", full.clone()).await;
    assert_eq!(s, 201, "{again}");
    let (_, d) = officer.get(&format!("/api/command/incidents/{}", again["id"])).await;
    assert_eq!(
        (d["incident"]["category"].as_str(), d["incident"]["stage"].as_str()),
        (Some("traffic.collision"), Some("received"))
    );
    let mut outside = full;
    outside["locationComponent"][0]["locationByValue"]["coordinates"] = json!([120.0, 29.0]);
    let (s, e) = officer.post("/api/command/incidents/eido", outside).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("lon")));
    let (s, _) = officer.post("/api/command/incidents/eido", json!({"incidentComponent": {}})).await;
    assert!(s == 400 || s == 422, "a document without its parts is refused: {s}");
    assert_eq!(officer.get("/api/command/incidents").await.1["total"], 2, "only the good one was filed");
});

on_both_backends!(duty_shows_who_is_on_at_each_station_and_which_are_short, |b| async move {
    let app = spawn_app(b).await;
    let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    let other = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
    app.user("chief", &[Role::StationOfficer], station.id).await;
    let mut officers = Vec::new();
    for n in 0..3 {
        officers.push(app.user(&format!("patrol{n}"), &[Role::StationOfficer], station.id).await);
    }
    let stranger = app.user("far", &[Role::StationOfficer], other.id).await;
    let chief = app.login("chief").await;
    let now = chrono::Utc::now();
    let shift = |user: i64, from: i64, hours: i64| {
        json!({"user_id": user, "starts_at": (now + chrono::Duration::hours(from)).to_rfc3339(),
               "ends_at": (now + chrono::Duration::hours(from + hours)).to_rfc3339(), "post": "巡逻一组"})
    };
    assert_eq!(chief.post("/api/command/shifts", shift(officers[0], -2, 8)).await.0, 201);
    assert_eq!(chief.post("/api/command/shifts", shift(officers[1], -1, 8)).await.0, 201);
    assert_eq!(chief.post("/api/command/shifts", shift(officers[2], 5, 8)).await.0, 201, "a later shift");
    let (s, e) = chief.post("/api/command/shifts", shift(officers[0], 4, 8)).await;
    assert_eq!(s, 409, "overlapping shifts of one officer: {e}");
    let (s, e) = chief.post("/api/command/shifts", shift(officers[1], 20, 30)).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("ends_at")), "longer than a day: {e}");
    let (s, e) = chief.post("/api/command/shifts", shift(stranger, 0, 8)).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("user_id")), "not the station's officer: {e}");

    let (s, duty) = chief.get("/api/command/duty").await;
    assert_eq!(s, 200, "{duty}");
    let here = duty.as_array().unwrap().iter().find(|d| d["station_id"] == station.id).unwrap().clone();
    assert_eq!(here["on_duty"].as_array().map(Vec::len), Some(2), "{here}");
    assert_eq!(here["short"], true, "two on duty, three needed");
    assert!(duty.as_array().unwrap().iter().all(|d| d["station_id"] != other.id), "only the caller's stations");
    let later = (now + chrono::Duration::minutes(330)).to_rfc3339();
    let (_, duty) = chief.get(&format!("/api/command/duty?at={}", later.replace('+', "%2B"))).await;
    let here = duty.as_array().unwrap().iter().find(|d| d["station_id"] == station.id).unwrap().clone();
    assert_eq!(here["on_duty"].as_array().map(Vec::len), Some(3), "at five and a half hours all three overlap: {here}");
    assert_eq!(here["short"], false);
});

on_both_backends!(off_duty_officers_are_mobilised_and_each_answers_for_themself, |b| async move {
    let app = spawn_app_configured(b, |c| {
        c.modules.insert("command".into(), json!({"min_on_duty": 1}));
    })
    .await;
    let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    let other = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
    let branch = app.unit("330203").await;
    app.user("branchchief", &[Role::Commander], branch.id).await;
    let on = app.user("patrol0", &[Role::StationOfficer], station.id).await;
    let off1 = app.user("patrol1", &[Role::StationOfficer], station.id).await;
    let off2 = app.user("patrol2", &[Role::StationOfficer], station.id).await;
    app.user("clerk", &[Role::ServiceClerk], station.id).await;
    let chief = app.login("branchchief").await;
    let now = chrono::Utc::now();
    let (s, e) = chief
        .post(
            "/api/command/shifts",
            json!({"user_id": on, "starts_at": (now - chrono::Duration::hours(1)).to_rfc3339(),
                   "ends_at": (now + chrono::Duration::hours(7)).to_rfc3339(), "post": "值班室"}),
        )
        .await;
    assert_eq!(s, 201, "{e}");
    let (_, duty) = chief.get("/api/command/duty").await;
    let here = duty.as_array().unwrap().iter().find(|d| d["station_id"] == station.id).unwrap().clone();
    assert_eq!((here["minimum"].as_i64(), here["short"].as_bool()), (Some(1), Some(false)), "the configured minimum");

    let order = |needed: i64, stations: Value| {
        json!({"title": "梅山港区疫情处置", "post": "梅山港区卡口", "reason": "封控区外围执勤", "needed": needed,
               "station_ids": stations})
    };
    let (s, e) = chief.post("/api/command/mobilisations", order(0, json!([station.id]))).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("needed")), "{e}");
    let (s, e) = chief.post("/api/command/mobilisations", order(5, json!([other.id]))).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("station_ids")), "another district's: {e}");
    let (s, made) = chief.post("/api/command/mobilisations", order(2, json!([station.id]))).await;
    assert_eq!(s, 201, "{made}");
    assert_eq!(made["called"], 2, "the two off duty; not the one on duty, not the clerk: {made}");
    let id = made["id"].as_i64().unwrap();

    let patrol1 = app.login("patrol1").await;
    let (_, mine) = patrol1.get("/api/command/mobilisations/mine").await;
    assert_eq!(mine.as_array().map(|m| m.iter().map(|x| x["id"].as_i64()).collect::<Vec<_>>()), Some(vec![Some(id)]));
    let answer = |accept: bool| json!({"accept": accept, "note": "二十分钟到"});
    assert_eq!(patrol1.post(&format!("/api/command/mobilisations/{id}/answer"), answer(true)).await.0, 204);
    assert_eq!(patrol1.post(&format!("/api/command/mobilisations/{id}/answer"), answer(false)).await.0, 409, "once");
    let (_, mine) = patrol1.get("/api/command/mobilisations/mine").await;
    assert_eq!(mine, json!([]));
    let (s, seen) = patrol1.get(&format!("/api/command/mobilisations/{id}")).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen["called"].as_array().map(Vec::len), Some(1), "an officer called sees only their own line");
    let patrol0 = app.login("patrol0").await;
    assert_eq!(patrol0.post(&format!("/api/command/mobilisations/{id}/answer"), answer(true)).await.0, 403);
    assert_eq!(patrol0.get(&format!("/api/command/mobilisations/{id}")).await.0, 404, "not called, not in scope");
    assert_eq!(
        app.login("patrol2").await.post(&format!("/api/command/mobilisations/{id}/answer"), answer(false)).await.0,
        204
    );

    let (_, d) = chief.get(&format!("/api/command/mobilisations/{id}")).await;
    let m = &d["mobilisation"];
    assert_eq!((m["called"].as_i64(), m["accepted"].as_i64(), m["declined"].as_i64()), (Some(2), Some(1), Some(1)));
    let answers: Vec<(i64, &str)> = d["called"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["user_id"].as_i64().unwrap(), c["answer"].as_str().unwrap()))
        .collect();
    assert!(answers.contains(&(off1, "accepted")) && answers.contains(&(off2, "declined")), "{d}");
    let (_, list) = chief.get("/api/command/mobilisations").await;
    assert_eq!(list["items"][0]["id"], id);
});

on_both_backends!(the_demo_patrols_drive_a_dispatched_unit_along_the_roads_to_the_scene, |b| async move {
    let app = spawn_app_configured(b, |c| {
        c.modules.insert("command".into(), json!({"patrols": true, "patrol_speedup": 60.0}));
    })
    .await;
    let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("admin", &[Role::Administrator], station.id).await;
    let (officer, admin) = (app.login("officer").await, app.login("admin").await);
    let (_, u) = officer
        .post("/api/command/units", json!({"callsign": "海曙07", "kind": "car", "crew": 2, "unit_id": station.id}))
        .await;
    let unit = u["id"].as_i64().unwrap();
    // Placed once by a device, then left to the simulation (no device bound).
    let dev = device(&app, &admin, &officer, unit, station.id).await;
    assert_eq!(position(&dev, unit, 121.565, 29.875).await.0, 200);
    let (s, e) = officer.request("PUT", &format!("/api/command/units/{unit}/device"), json!({"token_id": null})).await;
    assert_eq!(s, 204, "{e}");

    // Available, it patrols: its position changes by itself.
    let start = tokio::time::Instant::now();
    loop {
        let (_, units) = officer.get("/api/command/units").await;
        if units[0]["lon"].as_f64() != Some(121.565) {
            break;
        }
        assert!(start.elapsed().as_secs() < 20, "an available unit patrols: {units}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }

    let (_, made) = officer.post("/api/command/incidents", call(121.551, 29.871)).await;
    let incident = made["id"].as_i64().unwrap();
    assert_eq!(step(&officer, incident, "answer", "").await.0, 200);
    let sent = officer.post(&format!("/api/command/incidents/{incident}/dispatch"), json!({"unit_ids": [unit]})).await;
    assert_eq!(sent.0, 200, "{sent:?}");
    let start = tokio::time::Instant::now();
    let mut stages = Vec::new();
    loop {
        let (_, d) = officer.get(&format!("/api/command/incidents/{incident}")).await;
        let stage = d["incident"]["stage"].as_str().unwrap().to_string();
        if stages.last() != Some(&stage) {
            stages.push(stage.clone());
        }
        if stage == "on_scene" {
            assert!(d["incident"]["en_route_at"].is_string(), "it moved off before it arrived: {d}");
            break;
        }
        assert!(start.elapsed().as_secs() < 40, "the unit drives to the scene: {stages:?} {d}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert!(stages.contains(&"en_route".to_string()) || stages.len() >= 2, "{stages:?}");
    let (_, units) = officer.get("/api/command/units").await;
    assert_eq!(units[0]["status"], "on_scene", "{units}");
    let (lon, lat) = (units[0]["lon"].as_f64().unwrap(), units[0]["lat"].as_f64().unwrap());
    assert!((lon - 121.551).abs() < 0.002 && (lat - 29.871).abs() < 0.002, "at the scene: {lon},{lat}");
});

on_both_backends!(a_call_taker_finds_the_place_by_name, |b| async move {
    let app = spawn_app(b).await;
    ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 5, trace_dir: None }).await.unwrap();
    let city = app.unit("330200").await;
    app.user("taker", &[Role::Commander], city.id).await;
    let taker = app.login("taker").await;
    let (s, found) = taker.get("/api/command/places?q=%E5%B0%8F%E5%8C%BA").await;
    assert_eq!(s, 200, "{found}");
    let found = found.as_array().unwrap();
    assert!(!found.is_empty() && found.len() <= 10, "{found:?}");
    assert!(
        found
            .iter()
            .all(|p| p["name"].as_str().unwrap().contains("小区") || p["address"].as_str().unwrap().contains("小区"))
    );
    assert!(found.iter().all(|p| p["lon"].as_f64().is_some_and(|x| (120.5..122.5).contains(&x))));
    let (s, e) = taker.get("/api/command/places?q=a").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("q")), "{e}");
});
