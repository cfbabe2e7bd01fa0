//! Public opinion over HTTP on both backends: posts taken from a feed's token as NDJSON with
//! broken lines named by number, near-duplicates grouped and re-sent ids counted once; a
//! topic that spikes over its baseline raises an alert that is assigned to a station,
//! answered there, sent back, answered again and closed, each by whom the rules allow; topic
//! rules replaced as a new version, a mistake named by its line.

use crate::common;

use common::*;
use ningan_core::Role;
use serde_json::{Value, json};

async fn feed(app: &TestApp) -> Client {
    let city = app.unit("330200").await;
    app.user("admin", &[Role::Administrator], city.id).await;
    let admin = app.login("admin").await;
    let (s, t) =
        admin.post("/api/tokens", json!({"name": "舆情采集", "scopes": ["opinion.ingest"], "unit_id": city.id})).await;
    assert_eq!(s, 201, "{t}");
    app.bearer(t["secret"].as_str().unwrap())
}

async fn ndjson(c: &Client, body: String) -> (u16, Value) {
    let r = c
        .http
        .post(format!("{}/api/opinion/posts/ndjson", c.base))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    status_json(r).await
}

fn line(id: &str, text: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    json!({"id": id, "source": "weibo", "text": text, "at": at.to_rfc3339(), "author": "甬城小王"}).to_string()
}

on_both_backends!(posts_are_grouped_with_their_reposts_and_broken_lines_are_named, |b| async move {
    let app = spawn_app(b).await;
    let feed = feed(&app).await;
    let city = app.unit("330200").await;
    app.user("analyst", &[Role::Commander], city.id).await;
    let analyst = app.login("analyst").await;
    let now = chrono::Utc::now();
    let story = "宁波鄞州区暴雨，天童南路积水严重，好几辆车被困水中，有人爬上车顶求救，希望尽快救援";
    let body = [
        line("a1", story, now),
        "{not json".to_string(),
        line("a2", story, now),
        line("a3", &"长".repeat(5001), now),
        line("a4", "明天的事", now + chrono::Duration::days(2)),
        line("a5", "感谢海曙的民警，帮我找回了钱包，非常及时", now),
    ]
    .join("\n");
    let (s, r) = ndjson(&feed, body.clone()).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["accepted"], 3, "{r}");
    assert_eq!(r["grouped"], 1, "the repost joins the story: {r}");
    let refused: Vec<(i64, &str)> = r["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["line"].as_i64().unwrap(), x["field"].as_str().unwrap()))
        .collect();
    assert_eq!(refused, [(2, "line"), (4, "text"), (5, "at")], "{r}");
    let (_, again) = ndjson(&feed, body).await;
    assert_eq!(
        (again["accepted"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(3)),
        "re-sent ids count once"
    );

    let (s, groups) = analyst.get("/api/opinion/groups?sort=size").await;
    assert_eq!(s, 200, "{groups}");
    assert_eq!(groups["items"][0]["posts"], 2, "{groups}");
    assert!(groups["items"][0]["topics"].as_str().unwrap().contains(",flood,"), "{groups}");
    let id = groups["items"][0]["id"].as_i64().unwrap();
    let (_, g) = analyst.get(&format!("/api/opinion/groups/{id}")).await;
    assert_eq!(g["spread"].as_array().map(|s| s.iter().map(|p| p["posts"].as_i64().unwrap()).sum::<i64>()), Some(2));
    assert!(!g.to_string().contains("甬城小王"), "an author's handle is not kept");
    let thanks =
        groups["items"].as_array().unwrap().iter().find(|g| g["title"].as_str().unwrap().contains("感谢")).unwrap();
    assert!(thanks["sentiment"].as_f64().unwrap() > 0.2, "{thanks}");
    let (s, _) = feed.get("/api/opinion/groups").await;
    assert_eq!(s, 403, "a feed's token only posts");
});

on_both_backends!(a_spike_raises_an_alert_that_a_station_answers_and_the_analyst_closes, |b| async move {
    let app = spawn_app(b).await;
    let feed = feed(&app).await;
    let city = app.unit("330200").await;
    let station = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
    let other = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    app.user("analyst", &[Role::Commander], city.id).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("stranger", &[Role::StationOfficer], other.id).await;
    let (analyst, officer, stranger) =
        (app.login("analyst").await, app.login("officer").await, app.login("stranger").await);
    let now = chrono::Utc::now();
    // Three usual days: two posts on the topic at this hour.
    let mut lines = Vec::new();
    for d in 1..=3 {
        for k in 0..2 {
            lines.push(line(
                &format!("old-{d}-{k}"),
                &format!("宁波今天有点积水，开车注意{d}{k}"),
                now - chrono::Duration::days(d),
            ));
        }
    }
    let (_, r) = ndjson(&feed, lines.join("\n")).await;
    assert_eq!(r["alerts"], json!([]), "usual days raise nothing: {r}");
    let spike: Vec<String> =
        (0..30).map(|k| line(&format!("now-{k}"), &format!("鄞州区暴雨积水，车辆被困，求救援 第{k}条"), now)).collect();
    let (_, r) = ndjson(&feed, spike.join("\n")).await;
    let alert = r["alerts"][0].as_i64().unwrap_or_else(|| panic!("thirty an hour against two raises an alert: {r}"));

    let (_, list) = analyst.get("/api/opinion/alerts?state=open").await;
    assert_eq!(list["items"][0]["id"], alert, "{list}");
    assert_eq!(list["items"][0]["topic"], "flood");
    assert!(list["items"][0]["count"].as_i64().unwrap() >= 30 && list["items"][0]["expected"].as_f64().unwrap() < 5.0);
    assert_eq!(officer.get(&format!("/api/opinion/alerts/{alert}")).await.0, 404, "not yet the station's");

    let step = |c: &Client, body: Value| {
        let c = c.clone();
        async move { c.post(&format!("/api/opinion/alerts/{alert}/steps"), body).await }
    };
    let (s, e) = step(&analyst, json!({"step": "assign", "unit_id": station.id, "hours": 500})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("hours")), "{e}");
    assert_eq!(
        step(&analyst, json!({"step": "assign", "unit_id": station.id, "hours": 12})).await.1["state"],
        "assigned"
    );
    assert_eq!(step(&officer, json!({"step": "close"})).await.0, 403, "the station does not close");
    let (s, e) = step(&officer, json!({"step": "answer", "note": ""})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("note")), "an answer says something: {e}");
    assert_eq!(step(&stranger, json!({"step": "answer", "note": "已核实"})).await.0, 404, "another station's");
    assert_eq!(
        step(&officer, json!({"step": "answer", "note": "已到现场，积水已排，被困车辆拖离"})).await.1["state"],
        "answered"
    );
    assert_eq!(step(&officer, json!({"step": "answer", "note": "again"})).await.0, 409);
    let (s, e) = step(&analyst, json!({"step": "return", "note": ""})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("note")), "say why it goes back: {e}");
    assert_eq!(step(&analyst, json!({"step": "return", "note": "请补充现场照片说明"})).await.1["state"], "assigned");
    assert_eq!(
        step(&officer, json!({"step": "answer", "note": "已补充：现场已恢复通行"})).await.1["state"],
        "answered"
    );
    assert_eq!(step(&analyst, json!({"step": "close"})).await.1["state"], "closed");
    let (_, d) = officer.get(&format!("/api/opinion/alerts/{alert}")).await;
    assert_eq!(d["alert"]["reply"], "已补充：现场已恢复通行");
    assert_eq!(d["events"].as_array().map(Vec::len), Some(5), "{d}");
    assert_eq!(d["steps"], json!([]));
    assert_eq!(officer.get("/api/opinion/topics").await.0, 403, "the board is the analysts'");
});

on_both_backends!(topic_rules_are_versioned_and_a_mistake_is_named_by_its_line, |b| async move {
    let app = spawn_app(b).await;
    let feed = feed(&app).await;
    let city = app.unit("330200").await;
    app.user("analyst", &[Role::Commander], city.id).await;
    let analyst = app.login("analyst").await;
    let put = |body: &str| {
        let (c, body) = (analyst.clone(), body.to_string());
        async move {
            let r = c.http.put(format!("{}/api/opinion/rules", c.base)).body(body).send().await.unwrap();
            status_json(r).await
        }
    };
    let (s, e) = put("version = \"x\"\n\n[[topic]]\nid = \"Bad\"\nname = \"n\"\nany = [\"a\"]\n").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("rules")), "{e}");
    assert!(e["detail"].as_str().unwrap().contains('3'), "the line: {e}");
    let (s, r) = put("version = \"2026.12-1\"\n[[topic]]\nid = \"helmets\"\nname = \"头盔\"\nany = [\"头盔\"]\n").await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["version"].as_str(), r["versions"].as_array().map(Vec::len)), (Some("2026.12-1"), Some(1)));
    let (_, report) = ndjson(&feed, line("h1", "骑电动车要戴头盔", chrono::Utc::now())).await;
    assert_eq!(report["rules_version"], "2026.12-1");
    let (_, board) = analyst.get("/api/opinion/topics?hours=2").await;
    assert_eq!(board["topics"][0]["id"], "helmets");
    assert_eq!(board["topics"][0]["posts"], 1, "{board}");
});
