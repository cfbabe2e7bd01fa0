//! Life first over HTTP on both backends: a risk point found by a station officer, assigned
//! by the district to a department, rectified by that department with photo evidence,
//! verified on site and closed; an incident nearby reopening it; bad input changing nothing;
//! the map layer bounded by scope; helmet rates with their intervals; abnormal-death figures;
//! and overdue points escalated by the sweep's clock.

use crate::common;

use base64::Engine as _;
use common::*;
use ningan::modules::life::service::sweep_overdue;
use ningan_core::Role;
use serde_json::{Value, json};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

fn point(kind: &str, severity: &str, lon: f64, lat: f64) -> Value {
    json!({"kind": kind, "severity": severity, "title": "望春路与机场路口", "address": "海曙区望春路88号",
           "description": "无信号灯，视线受绿化遮挡", "lon": lon, "lat": lat})
}

fn photo(bytes: &[u8]) -> Value {
    json!({"name": "现场.png", "data": base64::engine::general_purpose::STANDARD.encode(bytes)})
}

async fn step(c: &Client, id: i64, body: Value) -> (u16, Value) {
    c.post(&format!("/api/life/points/{id}/steps"), body).await
}

async fn state_of(c: &Client, id: i64) -> String {
    let (s, d) = c.get(&format!("/api/life/points/{id}")).await;
    assert_eq!(s, 200, "{d}");
    d["point"]["state"].as_str().unwrap_or_default().to_string()
}

/// A station officer in Haishu, the Haishu branch's commander and the Transport Bureau's
/// liaison (not yet given a department).
async fn people(app: &TestApp) -> (Client, Client, Client, i64) {
    let station = seated_station(app, 330203, 1, [121.55, 29.87]).await;
    let district = app.unit("330203").await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("boss", &[Role::Commander], district.id).await;
    let dept = app.user("dept", &[Role::Department], district.id).await;
    (app.login("officer").await, app.login("boss").await, app.login("dept").await, dept)
}

on_both_backends!(a_point_is_found_assigned_rectified_with_photos_verified_and_closed, |b| async move {
    let app = spawn_app(b).await;
    let (officer, boss, dept, dept_id) = people(&app).await;
    let (s, p) = officer.post("/api/life/points", point("crossing", "major", 121.551, 29.871)).await;
    assert_eq!(s, 200, "{p}");
    let id = p["id"].as_i64().unwrap();
    assert_eq!((p["state"].as_str(), p["category"].as_str()), (Some("found"), Some("traffic")));

    // Assigning is the district's; the station officer may not.
    assert_eq!(step(&officer, id, json!({"step": "assign", "department": "transport"})).await.0, 403);
    let (s, r) = step(&boss, id, json!({"step": "assign", "department": "police"})).await;
    assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("department")), "{r}");
    let (s, r) = step(&boss, id, json!({"step": "assign", "department": "transport"})).await;
    assert_eq!((s, r["state"].as_str()), (200, Some("assigned")), "{r}");
    let (_, d) = boss.get(&format!("/api/life/points/{id}")).await;
    let deadline =
        chrono::DateTime::parse_from_rfc3339(d["point"]["deadline"].as_str().unwrap()).unwrap().timestamp_millis();
    let week = 7 * 86_400_000;
    assert!((deadline - ningan_core::time::now_ms() - week).abs() < 120_000, "a major point has seven days");

    // The department sees nothing until it is named, then only its own points.
    assert_eq!(dept.get(&format!("/api/life/points/{id}")).await.0, 404);
    let (s, r) =
        boss.request("PUT", &format!("/api/life/departments/{dept_id}"), json!({"department": "transport"})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(state_of(&dept, id).await, "assigned");
    let (_, list) = dept.get("/api/life/points").await;
    assert_eq!(list["total"], 1);

    // A rectification needs its measures and a real photo; refused ones change nothing.
    let measures = json!([{"kind": "sign", "quantity": 2}, {"kind": "lighting", "quantity": 3}]);
    let (s, r) = step(&dept, id, json!({"step": "rectify", "measures": measures})).await;
    assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("photos")), "{r}");
    let (s, r) =
        step(&dept, id, json!({"step": "rectify", "measures": measures, "photos": [photo(b"%PDF-1.4 not a photo")]}))
            .await;
    assert_eq!(s, 422, "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("JPEG"), "{r}");
    assert_eq!(state_of(&dept, id).await, "assigned");
    let (s, r) = step(
        &dept,
        id,
        json!({"step": "rectify", "measures": measures, "photos": [photo(PNG)], "note": "已加装信号灯"}),
    )
    .await;
    assert_eq!((s, r["state"].as_str()), (200, Some("rectified")), "{r}");

    // Verifying is the officer's, on site, with what they found.
    assert_eq!(step(&dept, id, json!({"step": "verify", "note": "自己验收"})).await.0, 403);
    let (s, r) = step(&officer, id, json!({"step": "verify"})).await;
    assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("note")), "{r}");
    assert_eq!(step(&officer, id, json!({"step": "verify", "note": "现场核查信号灯已启用"})).await.0, 200);
    assert_eq!(step(&boss, id, json!({"step": "close"})).await.0, 200);

    let (_, d) = officer.get(&format!("/api/life/points/{id}")).await;
    assert_eq!(d["point"]["state"], "closed");
    let steps: Vec<&str> = d["events"].as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["assign", "rectify", "verify", "close"]);
    assert_eq!(d["events"][1]["measures"][0]["kind"], "sign");
    let photo_id = d["photos"][0]["id"].as_i64().unwrap();
    let r = officer.raw_get(&format!("/life/photos/{photo_id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");

    // Another district's officer sees neither the point nor its photo.
    let other = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
    app.user("far", &[Role::StationOfficer], other.id).await;
    let far = app.login("far").await;
    assert_eq!(far.get(&format!("/api/life/points/{id}")).await.0, 404);
    assert_eq!(far.raw_get(&format!("/life/photos/{photo_id}")).await.status(), 404);
    // Every step was audited under the point.
    for action in ["create", "assign", "rectify", "verify", "close"] {
        let f = ningan_store::AuditFilter { action: Some(format!("life.point.{action}")), ..Default::default() };
        let all = ningan_store::Scope::everything();
        let page = app.db.audit_search(&all, &f, ningan_store::PageRequest::new(None, None)).await.unwrap();
        assert_eq!(page.total, 1, "{action}");
    }
});

on_both_backends!(bad_input_is_refused_beside_its_field_and_changes_nothing, |b| async move {
    let app = spawn_app(b).await;
    let (officer, boss, _, _) = people(&app).await;
    let cases = [
        (point("crossing", "major", 100.0, 29.87), "lon"),
        (point("volcano", "major", 121.551, 29.871), "kind"),
        (point("crossing", "huge", 121.551, 29.871), "severity"),
        (
            json!({"kind": "pond", "severity": "general", "title": "", "address": "海曙区", "lon": 121.551, "lat": 29.871}),
            "title",
        ),
        // Inside the city but in another district: outside this officer's area.
        (point("crossing", "major", 121.56, 29.80), "lon"),
    ];
    for (body, field) in cases {
        let (s, r) = officer.post("/api/life/points", body).await;
        assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some(field)), "{r}");
    }
    assert_eq!(officer.get("/api/life/points").await.1["total"], 0);
    let (_, p) = officer.post("/api/life/points", point("pond", "general", 121.551, 29.871)).await;
    let id = p["id"].as_i64().unwrap();
    let (s, r) = step(&officer, id, json!({"step": "verify", "note": "还没整改"})).await;
    assert_eq!(s, 409, "{r}");
    assert!(r["detail_zh"].as_str().unwrap_or_default().contains("已发现") || r.to_string().contains("已发现"), "{r}");
    assert_eq!(step(&boss, id, json!({"step": "fly"})).await.0, 422);
    assert_eq!(state_of(&officer, id).await, "found");
    let (s, _) = officer.get("/api/life/map?bbox=1,2,x,4").await;
    assert_eq!(s, 422);
    let (s, _) = officer.get("/api/life/map?zoom=99").await;
    assert_eq!(s, 422);
});

on_both_backends!(an_incident_close_by_reopens_a_closed_point_and_one_far_away_does_not, |b| async move {
    let app = spawn_app(b).await;
    let (officer, boss, _, _) = people(&app).await;
    let (_, p) = officer.post("/api/life/points", point("black_spot", "serious", 121.551, 29.871)).await;
    let id = p["id"].as_i64().unwrap();
    assert_eq!(step(&boss, id, json!({"step": "assign", "department": "transport"})).await.0, 200);
    let m = json!([{"kind": "speed_bump", "quantity": 4}]);
    assert_eq!(step(&boss, id, json!({"step": "rectify", "measures": m, "photos": [photo(PNG)]})).await.0, 200);
    assert_eq!(step(&officer, id, json!({"step": "verify", "note": "减速带已安装"})).await.0, 200);
    assert_eq!(step(&boss, id, json!({"step": "close"})).await.0, 200);
    let now = ningan_core::time::now_ms();
    let incident = |lon: f64, kind: &str| json!({"kind": kind, "deaths": 1, "injuries": 0, "at": now - 60_000, "place": "望春路", "lon": lon, "lat": 29.871});
    // A drowning does not reopen a traffic point, nor a crash two kilometres off.
    let (s, r) = officer.post("/api/life/incidents", incident(121.551, "drowning")).await;
    assert_eq!((s, r["reopened"].as_array().map(Vec::len)), (200, Some(0)), "{r}");
    let (_, r) = officer.post("/api/life/incidents", incident(121.530, "traffic")).await;
    assert_eq!(r["reopened"].as_array().map(Vec::len), Some(0), "{r}");
    let (_, r) = officer.post("/api/life/incidents", incident(121.5515, "traffic")).await;
    assert_eq!(r["reopened"], json!([id]), "{r}");
    let (_, d) = officer.get(&format!("/api/life/points/{id}")).await;
    assert_eq!((d["point"]["state"].as_str(), d["point"]["reopened"].as_i64()), (Some("found"), Some(1)));
    assert!(d["events"][4]["note"].as_str().unwrap().contains("300m"), "{d}");
    // The figures count the deaths.
    let (_, f) = officer.get("/api/life/deaths").await;
    let total = |k: &str| f["by_kind"].as_array().unwrap().iter().find(|r| r["kind"] == k).unwrap()["total"].as_i64();
    assert_eq!((total("traffic"), total("drowning"), total("other")), (Some(2), Some(1), Some(0)));
    let (s, _) = officer
        .post(
            "/api/life/incidents",
            json!({"kind": "traffic", "deaths": -1, "at": now, "place": "x路", "lon": 121.55, "lat": 29.87}),
        )
        .await;
    assert_eq!(s, 422);
});

on_both_backends!(the_map_layer_answers_from_the_index_within_the_viewers_scope, |b| async move {
    let app = spawn_app(b).await;
    let (officer, boss, _, _) = people(&app).await;
    for i in 0..3 {
        let (s, _) =
            officer.post("/api/life/points", point("lighting", "general", 121.55 + f64::from(i) * 0.002, 29.871)).await;
        assert_eq!(s, 200);
    }
    let q = "/api/life/map?bbox=121.4,29.8,121.7,29.95&zoom=15";
    let (s, layer) = officer.get(q).await;
    assert_eq!(
        (s, layer["total"].as_i64(), layer["points"].as_array().map(Vec::len)),
        (200, Some(3), Some(3)),
        "{layer}"
    );
    // A point made after the index loaded is on the map at once.
    let (_, p) = officer.post("/api/life/points", point("river_steps", "major", 121.556, 29.872)).await;
    let id = p["id"].as_i64().unwrap();
    assert_eq!(officer.get(q).await.1["total"], 4);
    assert_eq!(officer.get(&format!("{q}&category=water")).await.1["total"], 1);
    assert_eq!(step(&boss, id, json!({"step": "assign", "department": "water"})).await.0, 200);
    assert_eq!(officer.get(&format!("{q}&state=assigned")).await.1["points"][0]["id"], id);
    let other = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
    app.user("far", &[Role::StationOfficer], other.id).await;
    assert_eq!(app.login("far").await.get(q).await.1["total"], 0);
    // A point written by another process (straight to storage) reaches the map within seconds.
    let station = app.unit("330203001").await;
    let new = ningan::modules::life::store::points::NewPoint {
        kind: "pond".into(),
        category: "water".into(),
        severity: "general".into(),
        title: "村口池塘".into(),
        description: String::new(),
        address: "海曙区望春村".into(),
        lon: 121.553,
        lat: 29.874,
        unit_id: station.id,
        unit_path: station.path.clone(),
        water: Default::default(),
    };
    let mut w = app.db.write().await.unwrap();
    ningan::modules::life::store::points::insert(
        &mut w,
        &ningan_store::Actor::system(),
        &new,
        ningan_core::time::now_ms(),
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while officer.get(q).await.1["total"] != 5 {
        assert!(std::time::Instant::now() < deadline, "the map never caught up");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    // GeoJSON export: the same points, longitude first.
    let r = officer.raw_get("/life/points.geojson?category=water&kind=river_steps").await;
    assert_eq!(r.status(), 200);
    let geo: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(geo["features"][0]["geometry"]["coordinates"], json!([121.556, 29.872]));
    let csv = officer.raw_get("/life/points.csv").await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 6, "heading and five points");
    // Water points carry their measures and the four responsible parties.
    let water = json!({"railing_m": 120.0, "signs": 3, "buoys": 2, "patrol": "每日 16:00–18:00",
                       "party_government": "望春街道", "party_school": "望春小学", "party_family": "周边住户", "party_society": "护水志愿队"});
    // Without a railing, then with one, a few times over the pool's connections: a statement
    // first run with a missing length must still take one later (on PostgreSQL too).
    for _ in 0..4 {
        let none = json!({"railing_m": null, "signs": 1});
        assert_eq!(officer.request("PUT", &format!("/api/life/points/{id}/water"), none).await.0, 200);
        assert_eq!(officer.request("PUT", &format!("/api/life/points/{id}/water"), water.clone()).await.0, 200);
    }
    assert_eq!(
        officer.post(&format!("/api/life/points/{id}/patrols"), json!({"note": "巡查河埠头，护栏完好"})).await.0,
        200
    );
    let (_, d) = officer.get(&format!("/api/life/points/{id}")).await;
    assert_eq!(
        (d["point"]["water"]["railing_m"].as_f64(), d["patrols"].as_array().map(Vec::len)),
        (Some(120.0), Some(1))
    );
});

on_both_backends!(helmet_rates_come_with_wilson_intervals_and_bad_counts_are_refused, |b| async move {
    let app = spawn_app(b).await;
    let (officer, _, dept, _) = people(&app).await;
    let sample = |road: &str, drivers: i64, dh: i64| json!({"place": "望春路口", "lon": 121.551, "lat": 29.871, "road_type": road, "drivers": drivers, "drivers_helmet": dh, "passengers": 10, "passengers_helmet": 9});
    assert_eq!(officer.post("/api/life/helmets", sample("urban", 90, 86)).await.0, 200);
    assert_eq!(officer.post("/api/life/helmets", sample("highway", 40, 35)).await.0, 200);
    let (s, r) = officer.post("/api/life/helmets", sample("urban", 10, 11)).await;
    assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("drivers_helmet")));
    assert_eq!(officer.post("/api/life/helmets", sample("river", 10, 1)).await.0, 422);
    assert_eq!(dept.post("/api/life/helmets", sample("urban", 10, 1)).await.0, 403, "departments read, not count");
    let (_, rates) = officer.get("/api/life/helmets/rates").await;
    let urban = rates["by_road"].as_array().unwrap().iter().find(|r| r["road_type"] == "urban").unwrap().clone();
    // 95 of 100 riders: 95.0 %, Wilson 88.8–97.8 %.
    assert_eq!(urban["riders"], json!({"yes": 95, "n": 100, "rate": 95.0, "low": 88.8, "high": 97.8}));
    assert_eq!(rates["by_district"].as_array().unwrap().len(), 2, "{rates}");
    assert_eq!(officer.get("/api/life/helmets/rates?year=1999").await.0, 422);
});

on_both_backends!(points_past_their_deadline_are_escalated_by_the_sweeps_clock, |b| async move {
    let app = spawn_app(b).await;
    let (officer, boss, _, _) = people(&app).await;
    let (_, p) = officer.post("/api/life/points", point("sight_line", "major", 121.551, 29.871)).await;
    let id = p["id"].as_i64().unwrap();
    assert_eq!(step(&boss, id, json!({"step": "assign", "department": "housing"})).await.0, 200);
    let now = ningan_core::time::now_ms();
    let day = 86_400_000;
    assert!(sweep_overdue(&app.db, now + 6 * day).await.unwrap().is_empty(), "within the week");
    assert_eq!(sweep_overdue(&app.db, now + 8 * day).await.unwrap(), vec![id]);
    assert!(sweep_overdue(&app.db, now + 9 * day).await.unwrap().is_empty(), "escalated once");
    let (_, d) = officer.get(&format!("/api/life/points/{id}")).await;
    assert_eq!(d["point"]["escalated"], true);
});

on_both_backends!(the_pages_render_for_officers_and_departments_in_both_languages, |b| async move {
    let app = spawn_app(b).await;
    let (officer, _, dept, _) = people(&app).await;
    let (_, p) = officer.post("/api/life/points", point("pond", "general", 121.551, 29.871)).await;
    let id = p["id"].as_i64().unwrap();
    for path in
        ["/life", "/life/points", &format!("/life/points/{id}"), "/life/points/new", "/life/helmets", "/life/deaths"]
    {
        let r = officer.raw_get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains("生命至上"), "{path}");
    }
    assert_eq!(dept.raw_get("/life/points/new").await.status(), 403);
    // A water point's measures and parties from its page: a typo stays beside its field.
    let (s, body) = officer
        .post_form(&format!("/life/points/{id}/water"), &[("railing_m", "12o"), ("party_school", "望春小学")])
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("data-testid=\"error-railing_m\"") && body.contains("12o"), "{body}");
    let (s, _) = officer
        .post_form(&format!("/life/points/{id}/water"), &[("railing_m", "120"), ("party_school", "望春小学")])
        .await;
    assert_eq!(s, 303);
    let (_, d) = officer.get(&format!("/api/life/points/{id}")).await;
    assert_eq!(
        (d["point"]["water"]["railing_m"].as_f64(), d["point"]["water"]["party_school"].as_str()),
        (Some(120.0), Some("望春小学"))
    );
    // Photos of the place as found; a file that is not a picture is refused.
    let (s, r) = officer.post(&format!("/api/life/points/{id}/photos"), json!({"photos": [photo(b"GIF89a")]})).await;
    assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("photos")), "{r}");
    let (s, r) = officer.post(&format!("/api/life/points/{id}/photos"), json!({"photos": [photo(PNG)]})).await;
    assert_eq!((s, r["added"].as_i64()), (200, Some(1)), "{r}");
    assert_eq!(dept.post(&format!("/api/life/points/{id}/photos"), json!({"photos": [photo(PNG)]})).await.0, 403);
    // A form typed wrong keeps what was typed and says why beside the field.
    let (s, body) = officer
        .post_form(
            "/life/points",
            &[
                ("kind", "pond"),
                ("severity", "general"),
                ("title", "村口池塘"),
                ("address", "海曙区望春村"),
                ("lon", "121.5x"),
                ("lat", "29.871"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("data-testid=\"error-lon\"") && body.contains("121.5x"), "{body}");
});

on_both_backends!(points_and_samples_import_from_a_file_each_refused_row_named_by_its_line, |b| async move {
    let app = spawn_app(b).await;
    let (officer, _, _, _) = people(&app).await;
    let csv = "隐患类型,等级,名称,地址,经度,纬度,情况描述\n\
               河埠头,重大,望春河埠头,海曙区望春村,121.552,29.872,无护栏\n\
               火山,一般,不知所云,海曙区某处,121.553,29.872,\n\
               crossing,general,鄞州路口,鄞州区某路,121.56,29.80,\n\
               black_spot,serious,机场路事故多发段,海曙区机场路,121.554,29.873,\n";
    let post = |path: &'static str, body: String| {
        officer.http.post(app.url(path)).header("content-type", "text/csv").body(body).send()
    };
    let r: Value = post("/api/life/points/import", csv.to_string()).await.unwrap().json().await.unwrap();
    assert_eq!((r["rows"].as_i64(), r["accepted"].as_i64()), (Some(4), Some(2)), "{r}");
    let lines: Vec<i64> = r["refused"].as_array().unwrap().iter().map(|x| x["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 4], "{r}");
    assert!(r["refused"][1]["reason"].as_str().unwrap().contains("辖区"), "{r}");
    let (_, list) = officer.get("/api/life/points?category=water").await;
    assert_eq!((list["total"].as_i64(), list["items"][0]["kind"].as_str()), (Some(1), Some("river_steps")));
    assert_eq!(officer.get("/api/life/map?bbox=121.4,29.8,121.7,29.95&zoom=15").await.1["total"], 2);
    // Without a needed column nothing is read.
    let (s, r) = {
        let resp = post("/api/life/points/import", "名称,经度\nx,1\n".to_string()).await.unwrap();
        (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
    };
    assert_eq!(s, 422, "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("纬度"), "{r}");

    // Counted two hours ago, in China Standard Time, whatever day the test runs.
    let then = chrono::Utc::now().with_timezone(&ningan_core::time::cst()) - chrono::Duration::hours(2);
    let (at, year) = (then.format("%Y-%m-%d %H:%M").to_string(), then.format("%Y").to_string());
    let samples = format!(
        "时间,地点,经度,纬度,道路类型,驾驶人,戴头盔驾驶人,乘员,戴头盔乘员\n\
         {at},望春路口,121.551,29.871,城市道路,50,48,10,9\n\
         {at},望春路口,121.551,29.871,highway,40,36,,\n\
         明天,望春路口,121.551,29.871,urban,40,36,,\n"
    );
    let r: Value = post("/api/life/helmets/import", samples).await.unwrap().json().await.unwrap();
    assert_eq!((r["accepted"].as_i64(), r["refused"][0]["line"].as_i64()), (Some(2), Some(4)), "{r}");
    let (_, rates) = officer.get(&format!("/api/life/helmets/rates?year={year}")).await;
    assert_eq!(rates["by_road"].as_array().unwrap().len(), 2, "{rates}");
});

on_both_backends!(the_reopening_distance_is_the_modules_configuration, |b| async move {
    // A bureau that counts a crash within a kilometre as the same black spot.
    let app = spawn_app_configured(b, |c| {
        c.modules.insert("life".into(), json!({"reopen_traffic_m": 1000.0, "reopen_water_m": 500.0}));
    })
    .await;
    let (officer, boss, _, _) = people(&app).await;
    let (_, p) = officer.post("/api/life/points", point("black_spot", "general", 121.551, 29.871)).await;
    let id = p["id"].as_i64().unwrap();
    assert_eq!(step(&boss, id, json!({"step": "assign", "department": "transport"})).await.0, 200);
    let m = json!([{"kind": "sign", "quantity": 1}]);
    assert_eq!(step(&boss, id, json!({"step": "rectify", "measures": m, "photos": [photo(PNG)]})).await.0, 200);
    assert_eq!(step(&officer, id, json!({"step": "verify", "note": "警示牌已设"})).await.0, 200);
    let now = ningan_core::time::now_ms();
    // About 580 m west: beyond the default 300 m, inside this bureau's kilometre.
    let crash = json!({"kind": "traffic", "deaths": 0, "injuries": 1, "at": now - 60_000, "place": "望春路", "lon": 121.545, "lat": 29.871});
    let (s, r) = officer.post("/api/life/incidents", crash).await;
    assert_eq!((s, r["reopened"].clone()), (200, json!([id])), "{r}");
    let (_, page) = officer.post_form("/life/incidents", &[("kind", "x")]).await;
    assert!(page.contains("1000米"), "the page states the configured distance");
});
