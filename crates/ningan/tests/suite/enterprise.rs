//! Enterprise services over HTTP on both backends: registering with the credit code checked
//! and the station found from the point, scope, the liaison's due list, and the 11087 loop —
//! an enterprise files a request, its station cannot resolve it, the district branch closes
//! it, the enterprise rates it — plus escalation of overdue requests by the sweep's clock.

use crate::common;

use common::*;
use ningan::modules::enterprise::service::sweep_overdue;
use ningan::modules::enterprise::uscc::Uscc;
use ningan_core::Role;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

async fn act(c: &Client, rid: i64, action: &str, note: &str) -> (u16, Value) {
    c.post(&format!("/api/enterprise-requests/{rid}/actions"), json!({"action": action, "note": note})).await
}

fn enterprise(code: &Uscc, lon: f64, lat: f64) -> Value {
    json!({
        "uscc": code.as_str(), "name": "宁波甬兴模具有限公司", "address": "海曙区望春工业园区1号",
        "lon": lon, "lat": lat, "industry": "C", "size": "small", "key_enterprise": true,
        "contact_name": "张经理", "contact_phone": "13905741234"
    })
}

/// An enterprise account signed in to the portal with the code texted to it.
async fn member(app: &TestApp, uscc: &str, phone: &str) -> Client {
    let (s, r) = app.anonymous().post("/api/enterprise/code", json!({"uscc": uscc, "phone": phone})).await;
    assert_eq!(s, 202, "{r}");
    let text = app.db.sms_last(phone).await.unwrap().expect("a code was texted");
    let code: String = text.split("验证码为").nth(1).unwrap().chars().take(6).collect();
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
    let r = http
        .post(app.url("/api/enterprise/session"))
        .json(&json!({"uscc": uscc, "phone": phone, "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "enterprise sign-in");
    let body: Value = r.json().await.unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("x-csrf-token", HeaderValue::from_str(body["csrf_token"].as_str().unwrap()).unwrap());
    let http = reqwest::Client::builder().cookie_provider(jar).default_headers(headers).build().unwrap();
    Client { base: app.base.clone(), http }
}

on_both_backends!(a_credit_code_is_checked_and_the_point_finds_the_nearest_station_in_its_district, |b| async move {
    let app = spawn_app(b).await;
    let near = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    seated_station(&app, 330203, 2, [121.40, 29.90]).await;
    let other = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
    let city = app.unit("330200").await;
    app.user("desk", &[Role::Commander], city.id).await;
    app.user("yinzhou", &[Role::StationOfficer], other.id).await;
    let desk = app.login("desk").await;
    let code = Uscc::synthesize(330203, 4242);

    let mut wrong = code.as_str().to_string();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let (s, r) = desk.post("/api/enterprises", enterprise(&Uscc::synthesize(330203, 1), 121.55, 29.87)).await;
    assert_eq!(s, 201, "{r}");
    let mut bad = enterprise(&code, 121.551, 29.871);
    bad["uscc"] = json!(wrong);
    let (s, r) = desk.post("/api/enterprises", bad).await;
    assert_eq!(s, 422);
    assert_eq!(r["errors"][0]["field"], "uscc");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("第18位校验码"), "{r}");
    let (_, list) = desk.get("/api/enterprises").await;
    assert_eq!(list["total"], 1, "nothing half-written");

    let (s, e) = desk.post("/api/enterprises", enterprise(&code, 121.551, 29.871)).await;
    assert_eq!(s, 201, "{e}");
    assert_eq!(e["unit_id"], near.id, "the nearest station of the point's district");
    assert_eq!(e["contact_phone"], "139****1234", "masked");
    let (s, _) = desk.post("/api/enterprises", enterprise(&code, 121.551, 29.871)).await;
    assert_eq!(s, 409, "one enterprise per credit code");

    let mut at_sea = enterprise(&Uscc::synthesize(330203, 77), 123.5, 29.0);
    at_sea["name"] = json!("海上公司");
    let (s, r) = desk.post("/api/enterprises", at_sea).await;
    assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("lon")), "{r}");

    // Another district's station officer sees none of them.
    let yinzhou = app.login("yinzhou").await;
    let (_, list) = yinzhou.get("/api/enterprises").await;
    assert_eq!(list["total"], 0);
    let (s, _) = yinzhou.get(&format!("/api/enterprises/{}", e["id"])).await;
    assert_eq!(s, 404);
    let (s, _) = yinzhou
        .post(&format!("/api/enterprises/{}/contacts", e["id"]), json!({"kind": "visit", "topics": "走访了解生产经营"}))
        .await;
    assert_eq!(s, 404, "nor log contacts with them");
});

on_both_backends!(the_liaison_logs_contacts_and_the_due_list_follows_the_rhythm, |b| async move {
    let app = spawn_app(b).await;
    let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    let officer_id = app.user("liaison", &[Role::StationOfficer], station.id).await;
    let city = app.unit("330200").await;
    app.user("desk", &[Role::Commander], city.id).await;
    let desk = app.login("desk").await;
    let mut body = enterprise(&Uscc::synthesize(330203, 9), 121.551, 29.871);
    body["officer_id"] = json!(officer_id);
    let (s, e) = desk.post("/api/enterprises", body).await;
    assert_eq!(s, 201, "{e}");
    let id = e["id"].as_i64().unwrap();
    let liaison = app.login("liaison").await;
    // A new enterprise hears from its liaison within three days: it is on the list at once.
    let (_, due) = liaison.get("/api/enterprises?mine=1&due=1").await;
    assert_eq!(due["total"], 1, "{due}");
    let (s, r) =
        liaison.post(&format!("/api/enterprises/{id}/contacts"), json!({"kind": "call", "topics": "电话"})).await;
    assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("kind")));
    let (s, _) = liaison
        .post(
            &format!("/api/enterprises/{id}/contacts"),
            json!({"kind": "visit", "topics": "走访了解用工情况", "problems": "外籍员工登记"}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, due) = liaison.get("/api/enterprises?mine=1&due=1").await;
    assert_eq!(due["total"], 0, "a visit counts as a contact; next due in seven days");
    let (_, d) = liaison.get(&format!("/api/enterprises/{id}")).await;
    let kinds: Vec<&str> = d["file"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"visit") && kinds.contains(&"liaison"), "{kinds:?}");

    // A second enterprise last visited months ago is late: the officer's late list has it,
    // and the city bureau (shown only what is a fortnight late) is shown its station.
    let mut other = enterprise(&Uscc::synthesize(330203, 10), 121.552, 29.872);
    other["officer_id"] = json!(officer_id);
    let (_, e2) = desk.post("/api/enterprises", other).await;
    let months_ago = (chrono::Utc::now() - chrono::Duration::days(200)).to_rfc3339();
    let (s, r) = liaison
        .post(
            &format!("/api/enterprises/{}/contacts", e2["id"]),
            json!({"kind": "visit", "at": months_ago, "topics": "走访"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (_, late) = liaison.get("/api/enterprises?late=1").await;
    assert_eq!(late["total"], 1, "{late}");
    assert_eq!(late["items"][0]["id"], e2["id"]);
    let (_, html) = page(&desk, "/enterprises").await;
    assert!(html.contains("data-testid=\"late-stations\"") && html.contains("1号派出所"), "the city sees the station");
});

on_both_backends!(
    a_request_climbs_from_the_station_to_the_district_which_closes_it_and_the_enterprise_rates_it,
    |b| async move {
        let app = spawn_app(b).await;
        let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
        let district = app.unit("330203").await;
        let city = app.unit("330200").await;
        app.user("desk", &[Role::Commander], city.id).await;
        app.user("station", &[Role::StationOfficer], station.id).await;
        app.user("branch", &[Role::Commander], district.id).await;
        let other = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
        app.user("stranger", &[Role::StationOfficer], other.id).await;
        let desk = app.login("desk").await;
        let code = Uscc::synthesize(330203, 5);
        let (_, e) = desk.post("/api/enterprises", enterprise(&code, 121.551, 29.871)).await;
        let id = e["id"].as_i64().unwrap();
        let (s, _) = desk
            .post(&format!("/api/enterprises/{id}/accounts"), json!({"name": "张经理", "phone": "13905741234"}))
            .await;
        assert_eq!(s, 201);

        let firm = member(&app, code.as_str(), "13905741234").await;
        let (s, r) = firm
            .post("/api/enterprise/requests", json!({"category": "weather", "title": "厂区周边", "body": "x"}))
            .await;
        assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("category")));
        let (s, filed) = firm
        .post(
            "/api/enterprise/requests",
            json!({"category": "dispute", "title": "与相邻企业的通道纠纷", "body": "相邻企业长期占用消防通道，多次协商未果，请求协调处理。"}),
        )
        .await;
        assert_eq!(s, 201, "{filed}");
        let rid = filed["id"].as_i64().unwrap();
        assert!(filed["no"].as_str().unwrap().starts_with("QY"));
        // Without the CSRF header a write is refused.
        let bare = reqwest::Client::new();
        let r = bare.post(app.url("/api/enterprise/requests")).json(&json!({})).send().await.unwrap();
        assert_eq!(r.status(), 401, "no session, no write");

        let station_api = app.login("station").await;
        let (_, d) = station_api.get(&format!("/api/enterprise-requests/{rid}")).await;
        assert_eq!(d["actions"], json!(["accept", "escalate"]), "{d}");
        let branch_early = app.login("branch").await;
        let (_, queue) = branch_early.get("/api/enterprise-requests?here=1").await;
        assert_eq!(queue["total"], 0, "while the station holds it, the branch's queue is empty");
        assert_eq!(act(&station_api, rid, "accept", "").await.0, 204);
        let (s, r) = act(&station_api, rid, "escalate", "").await;
        assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("note")), "escalating needs a reason");
        assert_eq!(act(&station_api, rid, "escalate", "涉及两家企业用地，超出派出所职权").await.0, 204);
        let (s, _) = act(&station_api, rid, "reply", "已答复").await;
        assert_eq!(s, 409, "the station no longer holds it");

        let stranger = app.login("stranger").await;
        let (s, _) = stranger.get(&format!("/api/enterprise-requests/{rid}")).await;
        assert_eq!(s, 404, "another district's officer cannot see it");

        let branch = app.login("branch").await;
        let (_, queue) = branch.get("/api/enterprise-requests?here=1").await;
        assert_eq!(queue["total"], 1, "the branch's own queue holds what was sent up, not the stations' work");
        // The boards filter on the request and keep the enterprise's station in sight of it.
        let (_, board) = station_api.get("/api/enterprise-requests?stage=submitted&tier=district").await;
        assert_eq!(board["items"][0]["id"], rid, "the station still sees what it sent up: {board}");
        assert_eq!(board["total"], 1);
        let (_, board) = branch.get("/api/enterprise-requests?stage=accepted").await;
        assert_eq!(board["total"], 0, "stage filters apply to the page and its total alike: {board}");
        let (_, board) = stranger.get("/api/enterprise-requests?tier=district").await;
        assert_eq!(board["total"], 0, "nor on another district's board");
        let (_, d) = branch.get(&format!("/api/enterprise-requests/{rid}")).await;
        assert_eq!(d["request"]["tier"], "district");
        assert!(d["actions"].as_array().unwrap().contains(&json!("accept")), "{d}");
        assert_eq!(act(&branch, rid, "accept", "").await.0, 204);
        assert_eq!(act(&branch, rid, "reply", "已协调两家企业划定通道，由街道监督执行").await.0, 204);
        assert_eq!(act(&branch, rid, "close", "").await.0, 204);

        let (_, mine) = firm.get(&format!("/api/enterprise/requests/{rid}")).await;
        assert_eq!(mine["request"]["stage"], "closed");
        let kinds: Vec<&str> = mine["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["filed", "accept", "escalate", "accept", "reply", "close"]);
        assert!(
            mine["events"].to_string().contains("公安机关") && !mine["events"].to_string().contains("user:"),
            "no officer names"
        );
        let (s, _) = firm.post(&format!("/api/enterprise/requests/{rid}/rating"), json!({"rating": 6})).await;
        assert_eq!(s, 422);
        let (s, _) = firm
            .post(&format!("/api/enterprise/requests/{rid}/rating"), json!({"rating": 5, "note": "处理及时"}))
            .await;
        assert_eq!(s, 204);
        let (_, mine) = firm.get(&format!("/api/enterprise/requests/{rid}")).await;
        assert_eq!(
            (mine["request"]["stage"].as_str(), mine["request"]["rating"].as_i64()),
            (Some("evaluated"), Some(5))
        );

        // Another enterprise sees nothing of it.
        // The cockpit, read once here, is cached; the next enterprise's commit refreshes it.
        let (_, before) = desk.get("/api/cockpit").await;
        assert!(before.to_string().contains("enterprises"), "{before}");
        let code2 = Uscc::synthesize(330203, 6);
        let (_, e2) = desk.post("/api/enterprises", enterprise(&code2, 121.552, 29.872)).await;
        desk.post(
            &format!("/api/enterprises/{}/accounts", e2["id"]),
            json!({"name": "李会计", "phone": "13905745678"}),
        )
        .await;
        let firm2 = member(&app, code2.as_str(), "13905745678").await;
        let (s, _) = firm2.get(&format!("/api/enterprise/requests/{rid}")).await;
        assert_eq!(s, 404);
        let (_, list) = firm2.get("/api/enterprise/requests").await;
        assert_eq!(list["total"], 0);

        // Notices reach the enterprises they address; a district branch writes to its own district.
        let (s, _) = branch
            .post("/api/enterprise-notices", json!({"title": "防范冒充客服诈骗提示", "body": "近期多发冒充客服诈骗，请提醒财务人员核实。", "district": 330212}))
            .await;
        assert_eq!(s, 422, "not another district");
        let (s, _) = branch
            .post("/api/enterprise-notices", json!({"title": "防范冒充客服诈骗提示", "body": "近期多发冒充客服诈骗，请提醒财务人员核实。", "district": 330203, "industry": "C"}))
            .await;
        assert_eq!(s, 201);
        let (s, _) = desk
            .post(
                "/api/enterprise-notices",
                json!({"title": "物流企业安全检查通知", "body": "请物流企业做好仓储消防安全自查。", "industry": "G"}),
            )
            .await;
        assert_eq!(s, 201);
        let (_, notices) = firm.get("/api/enterprise/notices").await;
        assert_eq!(
            notices["total"], 1,
            "a manufacturer in 海曙 gets the district's notice, not the logistics one: {notices}"
        );

        // The cockpit counts it: two enterprises, nothing open, one rated five stars.
        let (_, cockpit) = desk.get("/api/cockpit").await;
        let counter =
            |k: &str| cockpit["counters"].as_array().unwrap().iter().find(|c| c["key"] == k).unwrap()["value"].clone();
        assert_eq!(counter("enterprises"), 2, "{cockpit}");
        assert_eq!(counter("enterprise_requests_open"), 0);
        assert_eq!(counter("enterprise_satisfaction"), 100);
    }
);

/// A page's status and HTML.
async fn page(c: &Client, path: &str) -> (u16, String) {
    let r = c.http.get(format!("{}{path}", c.base)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

on_both_backends!(requests_past_their_deadline_climb_a_tier_at_a_time_by_the_sweeps_clock, |b| async move {
    let app = spawn_app(b).await;
    seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    let city = app.unit("330200").await;
    app.user("desk", &[Role::Commander], city.id).await;
    let desk = app.login("desk").await;
    let code = Uscc::synthesize(330203, 8);
    let (_, e) = desk.post("/api/enterprises", enterprise(&code, 121.551, 29.871)).await;
    desk.post(&format!("/api/enterprises/{}/accounts", e["id"]), json!({"name": "张经理", "phone": "13905741234"}))
        .await;
    let firm = member(&app, code.as_str(), "13905741234").await;
    let (_, filed) = firm
        .post("/api/enterprise/requests", json!({"category": "security_risk", "title": "仓库周边治安隐患", "body": "仓库周边夜间常有不明人员逗留，存在盗窃隐患。"}))
        .await;
    let rid = filed["id"].as_i64().unwrap();
    let now = ningan_core::time::now_ms();
    let hour = 3_600_000;
    assert_eq!(sweep_overdue(&app.db, now).await.unwrap(), 0, "within the day the station has to accept");
    // A day and an hour later nobody accepted it: the district branch has it.
    assert_eq!(sweep_overdue(&app.db, now + 25 * hour).await.unwrap(), 1);
    let (_, d) = desk.get(&format!("/api/enterprise-requests/{rid}")).await;
    assert_eq!((d["request"]["tier"].as_str(), d["request"]["stage"].as_str()), (Some("district"), Some("submitted")));
    // Its own deadline runs from the move (made at the sweep's clock): a day after that, the city.
    assert_eq!(sweep_overdue(&app.db, now + 26 * hour).await.unwrap(), 0);
    assert_eq!(sweep_overdue(&app.db, now + 50 * hour).await.unwrap(), 1);
    let (_, d) = desk.get(&format!("/api/enterprise-requests/{rid}")).await;
    assert_eq!(d["request"]["tier"], "city");
    // At the top it is marked supervised once, and stays with the city bureau.
    assert_eq!(sweep_overdue(&app.db, now + 80 * hour).await.unwrap(), 1);
    assert_eq!(sweep_overdue(&app.db, now + 90 * hour).await.unwrap(), 0);
    let (_, d) = desk.get(&format!("/api/enterprise-requests/{rid}")).await;
    assert_eq!((d["request"]["tier"].as_str(), d["request"]["supervised"].as_bool()), (Some("city"), Some(true)));
    let kinds: Vec<&str> = d["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["filed", "escalate", "escalate", "supervise"]);
    let (_, board) = desk.get("/api/enterprise-requests?overdue=1").await;
    assert_eq!(board["total"], 0, "the move gave it a fresh deadline on the real clock");
});

// The workbench pages and the portal's pages, as a browser without scripts would use them:
// forms keep what was typed and name errors beside the field; a portal form without the
// session's token is refused.
on_both_backends!(officers_and_enterprises_work_through_the_pages, |b| async move {
    let app = spawn_app(b).await;
    let station = seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    let officer_id = app.user("liaison", &[Role::StationOfficer], station.id).await;
    let city = app.unit("330200").await;
    app.user("desk", &[Role::Commander], city.id).await;
    let desk = app.login("desk").await;
    let code = Uscc::synthesize(330203, 21);
    let mut body = enterprise(&code, 121.551, 29.871);
    body["officer_id"] = json!(officer_id);
    let (_, e) = desk.post("/api/enterprises", body).await;
    let id = e["id"].as_i64().unwrap();
    desk.post(&format!("/api/enterprises/{id}/accounts"), json!({"name": "张经理", "phone": "13905741234"})).await;

    let (s, r) = desk
        .post(
            &format!("/api/enterprises/{id}/liaison"),
            json!({"officer_id": officer_id, "reason": "换人", "work_phone": "call me"}),
        )
        .await;
    assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("work_phone")));
    let (s, _) = desk
        .post(
            &format!("/api/enterprises/{id}/liaison"),
            json!({"officer_id": officer_id, "reason": "留用原联络民警", "work_phone": "0574-87001234"}),
        )
        .await;
    assert_eq!(s, 204);

    let (s, html) = desk
        .post_form("/enterprises/notices", &[("title", ""), ("body", "请做好防汛准备"), ("district", "330203")])
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("data-testid=\"error-title\""));
    let (s, _) = desk
        .post_form(
            "/enterprises/notices",
            &[("title", "台风防御提醒"), ("body", "请做好厂区防汛准备。"), ("district", "330203")],
        )
        .await;
    assert_eq!(s, 303);
    let (s, html) = page(&desk, "/enterprises/notices").await;
    assert_eq!(s, 200);
    assert!(html.contains("台风防御提醒") && html.contains("海曙区"));

    let liaison = app.login("liaison").await;
    let (s, html) = page(&liaison, "/enterprises?due=1&mine=1").await;
    assert_eq!(s, 200);
    assert!(html.contains("宁波甬兴模具有限公司"), "on the due list");
    let (s, html) =
        liaison.post_form(&format!("/enterprises/{id}/contacts"), &[("kind", "visit"), ("topics", "")]).await;
    assert_eq!(s, 422);
    assert!(html.contains("data-testid=\"error-topics\""), "the error sits beside the field");
    let (s, _) = liaison
        .post_form(&format!("/enterprises/{id}/contacts"), &[("kind", "visit"), ("topics", "走访了解用工")])
        .await;
    assert_eq!(s, 303);

    // The portal, by forms.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let web =
        reqwest::Client::builder().cookie_provider(jar).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let html = web.get(app.url("/enterprise")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-testid=\"send-code\""));
    let r = web
        .post(app.url("/enterprise/code"))
        .form(&[("uscc", "913302030000"), ("phone", "13905741234")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("data-testid=\"error-uscc\""), "a short code is named beside its field");
    let r = web
        .post(app.url("/enterprise/code"))
        .form(&[("uscc", code.as_str()), ("phone", "13905741234")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = app.db.sms_last("13905741234").await.unwrap().unwrap();
    let sms: String = text.split("验证码为").nth(1).unwrap().chars().take(6).collect();
    let r = web
        .post(app.url("/enterprise/session"))
        .form(&[("uscc", code.as_str()), ("phone", "13905741234"), ("code", sms.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let home = web.get(app.url("/enterprise")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("liaison") && home.contains("宁波甬兴模具有限公司"), "the liaison officer is named");
    assert!(home.contains("0574-87001234"), "with their work phone");
    assert!(home.contains("台风防御提醒"), "the district's notice reaches the enterprise");
    let csrf = home.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let request = [
        ("category", "workforce"),
        ("title", "外籍员工住宿登记"),
        ("body", "新聘两名外籍工程师入住宿舍，请指导办理登记。"),
    ];
    let form = |with: Option<&str>, file: Option<(&str, Vec<u8>)>| {
        let mut f = reqwest::multipart::Form::new();
        for (k, v) in request {
            f = f.text(k, v);
        }
        if let Some(t) = with {
            f = f.text("csrf_token", t.to_string());
        }
        match file {
            Some((name, bytes)) => f.part("files", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string())),
            None => f,
        }
    };
    let r = web.post(app.url("/enterprise/requests")).multipart(form(None, None)).send().await.unwrap();
    assert_eq!(r.status(), 403, "no token, no request");
    let r = web
        .post(app.url("/enterprise/requests"))
        .multipart(form(Some(&csrf), Some(("照片.jpg", b"<html>not a picture</html>".to_vec()))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"error-files\"") && html.contains("外籍员工住宿登记"),
        "named, and the form kept"
    );
    let (_, board) = liaison.get("/api/enterprise-requests?here=1").await;
    assert_eq!(board["total"], 0, "nothing half-written");
    let r = web
        .post(app.url("/enterprise/requests"))
        .multipart(form(Some(&csrf), Some(("宿舍.png", b"\x89PNG\r\n\x1a\npixels".to_vec()))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, board) = liaison.get("/api/enterprise-requests?here=1").await;
    assert_eq!(board["total"], 1, "the station's desk has it");
    let rid = board["items"][0]["id"].as_i64().unwrap();
    let (s, html) = page(&liaison, &format!("/enterprises/requests/{rid}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"act-accept\""));
    // The attachment reaches the station as a download of its real type, and no one else.
    let (_, d) = liaison.get(&format!("/api/enterprise-requests/{rid}")).await;
    let aid = d["attachments"][0]["id"].as_i64().unwrap();
    let r = liaison.http.get(app.url(&format!("/enterprises/attachments/{aid}"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let r = web.get(app.url(&format!("/enterprise/attachments/{aid}"))).send().await.unwrap();
    assert_eq!(r.status(), 200, "the enterprise reads its own");
    let other = seated_station(&app, 330212, 1, [121.56, 29.80]).await;
    app.user("stranger", &[Role::StationOfficer], other.id).await;
    let stranger = app.login("stranger").await;
    let r = stranger.http.get(app.url(&format!("/enterprises/attachments/{aid}"))).send().await.unwrap();
    assert_eq!(r.status(), 404, "another district's officer cannot");
    let r = reqwest::get(app.url(&format!("/enterprise/attachments/{aid}"))).await.unwrap();
    assert_eq!(r.status(), 401, "nor a visitor");
    let (s, html) = liaison
        .post_form(&format!("/enterprises/requests/{rid}/actions"), &[("action", "escalate"), ("note", "")])
        .await;
    assert_eq!(s, 422);
    assert!(html.contains("data-testid=\"error-note\""));
});

/// A register file: the headings, then one line per row.
fn register_csv(rows: &[Vec<String>]) -> String {
    let mut out =
        String::from("\u{feff}统一社会信用代码,企业名称,地址,经度,纬度,行业门类,规模,重点企业,联系人,联系电话\n");
    for r in rows {
        out.push_str(&r.join(","));
        out.push('\n');
    }
    out
}

fn row(code: &str, name: &str, lon: &str) -> Vec<String> {
    [code, name, "海曙区望春工业园区8号", lon, "29.871", "C", "small", "是", "王经理", "13905749999"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

on_both_backends!(an_import_names_every_refused_row_by_line_and_registers_the_rest, |b| async move {
    let app = spawn_app(b).await;
    seated_station(&app, 330203, 1, [121.55, 29.87]).await;
    let city = app.unit("330200").await;
    app.user("desk", &[Role::Commander], city.id).await;
    let desk = app.login("desk").await;
    let taken = Uscc::synthesize(330203, 100);
    desk.post("/api/enterprises", enterprise(&taken, 121.551, 29.871)).await;
    let ok: Vec<String> = (0..50).map(|i| Uscc::synthesize(330203, 200 + i).as_str().to_string()).collect();
    let mut rows: Vec<Vec<String>> =
        ok.iter().enumerate().map(|(i, c)| row(c, &format!("甬江精密{i}号厂"), "121.552")).collect();
    let mut bad_check = ok[0].clone();
    bad_check.pop();
    bad_check.push(if ok[0].ends_with('0') { '1' } else { '0' });
    rows.insert(3, row(&bad_check, "校验位错误公司", "121.552")); // line 5
    rows.insert(10, row(ok[20].as_str(), "重复公司", "121.552")); // line 12: ok[20] comes again later
    rows.insert(20, row(taken.as_str(), "已登记公司", "121.552")); // line 22
    rows.insert(30, row(Uscc::synthesize(330203, 999).as_str(), "无经度公司", "东经121")); // line 32
    let csv = register_csv(&rows);
    let r = desk
        .http
        .post(app.url("/api/enterprises/import"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["rows"], 54, "{report}");
    let refused: Vec<(u64, String)> = report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x["reason"].as_str().unwrap().to_string()))
        .collect();
    let lines: Vec<u64> = refused.iter().map(|r| r.0).collect();
    assert_eq!(lines, [5, 22, 25, 32], "{refused:?}");
    assert!(refused[0].1.contains("第18位校验码"), "{}", refused[0].1);
    assert!(refused[1].1.contains("已登记"));
    assert!(refused[2].1.contains("重复"), "the later copy of a code is the one refused");
    assert!(refused[3].1.contains("不是数字"));
    assert_eq!(report["accepted"], 50);
    let (_, list) = desk.get("/api/enterprises?per_page=1").await;
    assert_eq!(list["total"], 51);

    // The same rows as XLSX: all are registered already now.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in
        ["uscc", "name", "address", "lon", "lat", "industry", "size", "key", "contact", "phone"].iter().enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, cells) in rows.iter().take(5).enumerate() {
        for (c, v) in cells.iter().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, v).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let r = desk
        .http
        .post(app.url("/api/enterprises/import"))
        .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let report: Value = r.json().await.unwrap();
    assert_eq!((report["rows"].as_u64(), report["accepted"].as_u64()), (Some(5), Some(0)), "{report}");
    assert_eq!(report["refused"].as_array().unwrap().len(), 5);

    // A file without the required columns is refused whole, naming them.
    let r = desk
        .http
        .post(app.url("/api/enterprises/import"))
        .header("content-type", "text/csv")
        .body("企业名称,地址\n甲,乙\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert!(e["errors"][0]["message"].as_str().unwrap().contains("统一社会信用代码"), "{e}");

    // The register exports in the import's columns, phones masked.
    let r = desk.http.get(app.url("/enterprises.csv?q=甬江")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    // The twentieth came first under another name (重复公司), so 49 bear the searched name.
    assert_eq!(text.lines().count(), 50, "headings and the rows the search finds");
    assert!(text.contains("139****9999") && !text.contains("13905749999"));
});
