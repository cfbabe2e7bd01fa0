//! Major-event security over HTTP on both backends: a plan with a venue whose perimeter must
//! be a polygon, posts that stand at the venue, officers of the commander's units posted
//! once each, an officer checking in only at their own post and only from near it, and the
//! board counting officers at their posts and the 110 incidents inside the perimeter.

use crate::common;

use common::*;
use ningan_core::Role;
use serde_json::{Value, json};

fn field(e: &Value) -> Option<&str> {
    e["errors"][0]["field"].as_str()
}

on_both_backends!(officers_are_posted_check_in_at_their_own_post_and_the_board_counts_them, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    let c = [121.55, 29.87];
    let station = seated_station(&app, 330203, 1, c).await;
    let elsewhere = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
    app.user("commander", &[Role::Commander], city.id).await;
    app.user("officer1", &[Role::StationOfficer], station.id).await;
    let o2 = app.user("officer2", &[Role::StationOfficer], station.id).await;
    app.user("far", &[Role::StationOfficer], elsewhere.id).await;
    let clerk = app.user("clerk", &[Role::ServiceClerk], station.id).await;
    let o1_id = app.db.user_by_username("officer1").await.unwrap().id;
    let (commander, o1c, o2c, far) = (
        app.login("commander").await,
        app.login("officer1").await,
        app.login("officer2").await,
        app.login("far").await,
    );

    let now = chrono::Utc::now();
    let t = |h: i64| (now + chrono::Duration::hours(h)).to_rfc3339();
    let (s, e) = commander
        .post("/api/security/plans", json!({"name": "建党百年庆祝活动", "starts_at": t(2), "ends_at": t(1)}))
        .await;
    assert_eq!((s, field(&e)), (422, Some("ends_at")), "{e}");
    assert_eq!(
        o1c.post("/api/security/plans", json!({"name": "x活动", "starts_at": t(-1), "ends_at": t(5)})).await.0,
        403
    );
    let (s, p) = commander
        .post("/api/security/plans", json!({"name": "建党百年庆祝活动", "starts_at": t(-1), "ends_at": t(5)}))
        .await;
    assert_eq!(s, 201, "{p}");
    let plan = p["id"].as_i64().unwrap();

    let d = 0.003;
    let bow = json!([
        [c[0] - d, c[1] - d],
        [c[0] + d, c[1] + d],
        [c[0] + d, c[1] - d],
        [c[0] - d, c[1] + d],
        [c[0] - d, c[1] - d]
    ]);
    let (s, e) =
        commander.post(&format!("/api/security/plans/{plan}/venues"), json!({"name": "天一广场", "ring": bow})).await;
    assert_eq!((s, field(&e)), (422, Some("ring")), "{e}");
    let ring = json!([
        [c[0] - d, c[1] - d],
        [c[0] + d, c[1] - d],
        [c[0] + d, c[1] + d],
        [c[0] - d, c[1] + d],
        [c[0] - d, c[1] - d]
    ]);
    let (s, v) =
        commander.post(&format!("/api/security/plans/{plan}/venues"), json!({"name": "天一广场", "ring": ring})).await;
    assert_eq!(s, 201, "{v}");
    let venue = v["id"].as_i64().unwrap();
    let post = |name: &str, at: [f64; 2], required: i64| json!({"venue_id": venue, "name": name, "duty": "安检", "lon": at[0], "lat": at[1], "required": required});
    let (s, e) =
        commander.post(&format!("/api/security/plans/{plan}/posts"), post("远处岗", [c[0] + 0.03, c[1]], 2)).await;
    assert_eq!((s, field(&e)), (422, Some("lon")), "a post stands at its venue: {e}");
    let (s, e) = commander.post(&format!("/api/security/plans/{plan}/posts"), post("东门", c, 0)).await;
    assert_eq!((s, field(&e)), (422, Some("required")), "{e}");
    let (_, gate) = commander.post(&format!("/api/security/plans/{plan}/posts"), post("东门安检口", c, 2)).await;
    let (_, stage) =
        commander.post(&format!("/api/security/plans/{plan}/posts"), post("中心舞台", [c[0] + 0.001, c[1]], 1)).await;
    let (gate, stage) = (gate["id"].as_i64().unwrap(), stage["id"].as_i64().unwrap());

    let assign = |post: i64, user: i64| json!({"post_id": post, "user_id": user});
    let (s, a1) = commander.post(&format!("/api/security/plans/{plan}/assignments"), assign(gate, o1_id)).await;
    assert_eq!(s, 201, "{a1}");
    let (s, e) = commander.post(&format!("/api/security/plans/{plan}/assignments"), assign(stage, o1_id)).await;
    assert_eq!(s, 409, "one post per officer: {e}");
    let (s, e) = commander.post(&format!("/api/security/plans/{plan}/assignments"), assign(stage, clerk)).await;
    assert_eq!((s, field(&e)), (422, Some("user_id")), "{e}");
    assert_eq!(commander.post(&format!("/api/security/plans/{plan}/assignments"), assign(gate, o2)).await.0, 201);
    let a1 = a1["id"].as_i64().unwrap();

    // An officer sees the plan they hold a post in; one with none does not.
    let (_, mine) = o1c.get("/api/security/plans").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(far.get(&format!("/api/security/plans/{plan}")).await.0, 404);

    let check = |c: &Client, at: [f64; 2]| {
        let c = c.clone();
        async move { c.post(&format!("/api/security/assignments/{a1}/check-in"), json!({"lon": at[0], "lat": at[1]})).await }
    };
    assert_eq!(check(&o2c, c).await.0, 403, "only at one's own post");
    let (s, e) = check(&o1c, [c[0] + 0.01, c[1]]).await;
    assert_eq!((s, field(&e)), (422, Some("lon")), "{e}");
    assert!(e["errors"][0]["message"].as_str().unwrap().contains("米"), "the distance is named: {e}");
    let (s, r) = check(&o1c, [c[0] + 0.0005, c[1]]).await;
    assert_eq!(s, 200, "{r}");
    assert!(r["metres"].as_f64().unwrap() < 100.0);
    assert_eq!(check(&o1c, c).await.0, 409, "once");

    // 110 calls: one inside the perimeter, one outside.
    let call = |at: [f64; 2]| {
        json!({"category": "help.lost_person", "priority": "high", "caller_phone": "13800000001",
        "address": "海曙区天一广场", "lon": at[0], "lat": at[1], "narrative": "孩子走失，穿红色外套"})
    };
    let (s, e) = o1c.post("/api/command/incidents", call([c[0] + 0.001, c[1] + 0.001])).await;
    assert_eq!(s, 201, "{e}");
    let (s, e) = o1c.post("/api/command/incidents", call([c[0] - 0.01, c[1]])).await;
    assert_eq!(s, 201, "{e}");

    let (s, board) = commander.get(&format!("/api/security/plans/{plan}")).await;
    assert_eq!(s, 200, "{board}");
    assert_eq!(
        (board["required"].as_i64(), board["assigned"].as_i64(), board["checked_in"].as_i64()),
        (Some(3), Some(2), Some(1)),
        "{board}"
    );
    assert_eq!(board["incidents"].as_array().map(Vec::len), Some(1), "only the call inside: {board}");
    assert_eq!(board["phase"], "under_way");
    let (_, seen) = o1c.get(&format!("/api/security/plans/{plan}")).await;
    assert_eq!((seen["may_manage"].as_bool(), seen["mine"]["post"].as_str()), (Some(false), Some("东门安检口")));
    let (_, map) = commander.get(&format!("/api/security/plans/{plan}/map")).await;
    assert_eq!(map["shelters"].as_array().map(Vec::len), Some(2), "posts on the map: {map}");
});
