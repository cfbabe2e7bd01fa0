//! The HTTP API end to end, on SQLite and PostgreSQL: signing in, masking and audited
//! reveals, validation that changes nothing, idempotent retries, CSRF, OpenAPI, metrics.

use crate::common;

use common::*;
use ningan_core::Role;
use serde_json::{Value, json};

async fn station_with_officer(app: &TestApp) -> i64 {
    let s = app.station(330212, 1).await;
    app.user("officer", &[Role::StationOfficer], s.id).await;
    s.id
}

/// A client on another loopback address: the throttle counts per address.
fn from_address(app: &TestApp, ip: &str) -> Client {
    let http = reqwest::Client::builder().local_address(ip.parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    Client { http, base: app.base.clone() }
}

on_both_backends!(guessing_closes_the_guessers_address_not_the_officers_account, |b| async move {
    let app = spawn_app(b).await;
    let s = station_with_officer(&app).await;
    let _ = s;
    let anon = app.anonymous();
    let (status, body) = anon.post("/api/auth/login", json!({"username": "nobody", "password": "x"})).await;
    assert_eq!((status, body["type"].as_str()), (401, Some("/problems/bad-credentials")));
    for _ in 0..5 {
        assert_eq!(
            anon.post("/api/auth/login", json!({"username": "officer", "password": "wrong-password-1"})).await.0,
            401
        );
    }
    let (status, body) =
        anon.post("/api/auth/login", json!({"username": "officer", "password": "wrong-password-1"})).await;
    assert_eq!((status, body["type"].as_str()), (429, Some("/problems/too-many-attempts")), "{body}");
    // From the guessing address even the right password waits for the window.
    let (status, _) = anon.post("/api/auth/login", json!({"username": "officer", "password": PASSWORD})).await;
    assert_eq!(status, 429);
    // An unknown name guessed as often gets the very same answer: nothing tells them apart.
    for _ in 0..5 {
        anon.post("/api/auth/login", json!({"username": "ghost", "password": "wrong-password-1"})).await;
    }
    let (status, ghost) = anon.post("/api/auth/login", json!({"username": "ghost", "password": "x"})).await;
    assert_eq!((status, ghost["type"].as_str()), (429, Some("/problems/too-many-attempts")));
    assert_eq!(ghost, body, "same answer for an unknown name and a closed account");
    // The officer at their own desk is not locked out by someone else's guessing.
    let desk = from_address(&app, "127.0.0.2");
    let (status, me) = desk.post("/api/auth/login", json!({"username": "officer", "password": PASSWORD})).await;
    assert_eq!(status, 200, "{me}");
    let (_, audit) = {
        let city = app.unit("330200").await;
        app.user("aud", &[Role::Auditor], city.id).await;
        app.login("aud").await.get("/api/audit?action=auth.login_failed").await
    };
    assert_eq!(audit["total"], 5, "every failure on the account is audited: {audit}");
});

on_both_backends!(an_address_alternating_guesses_with_its_own_login_is_still_refused, |b| async move {
    let app = spawn_app_configured(b, |c| c.login.max_failures_per_client = 6).await;
    let s = station_with_officer(&app).await;
    app.user("attacker", &[Role::StationOfficer], s).await;
    let anon = app.anonymous();
    let mut refused = false;
    for i in 0..8 {
        let (status, _) =
            anon.post("/api/auth/login", json!({"username": format!("victim{i}"), "password": "guess"})).await;
        // A right login on the attacker's own account between guesses resets nothing.
        let (own, _) = anon.post("/api/auth/login", json!({"username": "attacker", "password": PASSWORD})).await;
        if status == 429 || own == 429 {
            refused = true;
            break;
        }
    }
    assert!(refused, "the address was never refused");
});

on_both_backends!(sign_in_posted_from_another_site_is_refused, |b| async move {
    let app = spawn_app(b).await;
    station_with_officer(&app).await;
    let r = app
        .anonymous()
        .http
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("username", "officer"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = app
        .anonymous()
        .http
        .post(app.url("/api/auth/login"))
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"username": "officer", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Our own login page posting to itself is fine.
    let r = app
        .anonymous()
        .http
        .post(app.url("/api/auth/login"))
        .header("origin", app.base.as_str())
        .json(&json!({"username": "officer", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
});

on_both_backends!(identifiers_are_masked_and_reveals_are_audited_with_purpose, |b| async move {
    let app = spawn_app(b).await;
    let s = station_with_officer(&app).await;
    let rid = app.resident("王小明", 330212, 42, s).await;
    let officer = app.login("officer").await;
    let (_, page) = officer.get("/api/residents?q=王").await;
    let item = &page["items"][0];
    assert_eq!(item["masked"], true);
    let masked = item["id_number"].as_str().unwrap();
    assert_eq!(&masked[..17], "330212***********", "only region and check character: {masked}");
    // Nothing beside the mask gives the masked digits back: no birth date, an age band.
    assert!(item["birth_date"].is_null(), "{item}");
    assert_eq!(item["age_band"], "40–49", "{item}");
    assert!(item["phone"].as_str().unwrap().contains("****"));
    // Searching by the masked form finds the same person.
    let (_, by_masked) = officer.get(&format!("/api/residents?q={masked}")).await;
    assert_eq!(by_masked["total"], 1);

    let (status, e) = officer.post(&format!("/api/residents/{rid}/reveal"), json!({"purpose": " "})).await;
    assert_eq!(status, 422);
    assert_eq!(e["errors"][0]["field"], "purpose");
    for hollow in ["..", "\u{200B}\u{200B}", "  -- "] {
        let (status, e) = officer.post(&format!("/api/residents/{rid}/reveal"), json!({"purpose": hollow})).await;
        assert_eq!((status, e["errors"][0]["field"].as_str()), (422, Some("purpose")), "{hollow:?}: {e}");
    }
    let (status, full) =
        officer.post(&format!("/api/residents/{rid}/reveal"), json!({"purpose": "办理户口迁移核验"})).await;
    assert_eq!(status, 200, "{full}");
    assert_eq!(full["masked"], false);
    assert_eq!(full["id_number"].as_str().unwrap().len(), 18);
    assert_eq!(full["birth_date"], "1985-06-01", "revealed with its purpose: {full}");
    assert!(!full["id_number"].as_str().unwrap().contains('*'));

    let city = app.unit("330200").await;
    app.user("aud", &[Role::Auditor], city.id).await;
    let auditor = app.login("aud").await;
    let (_, trail) = auditor.get(&format!("/api/audit?person_id={rid}")).await;
    let actions: Vec<&str> = trail["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"resident.reveal"), "{trail}");
    let reveal = trail["items"].as_array().unwrap().iter().find(|e| e["action"] == "resident.reveal").unwrap();
    assert_eq!(reveal["purpose"], "办理户口迁移核验");
    assert_eq!(reveal["actor"], "user:officer");
    // Searches are audited too, without the search term.
    let (_, searches) = auditor.get("/api/audit?action=resident.search&actor=user:officer").await;
    assert_eq!(searches["total"], 2);
    assert!(!searches.to_string().contains("王"), "the term is not logged");
    let (_, chain) = auditor.get("/api/audit/verify").await;
    assert_eq!(chain["intact"], true, "{chain}");
});

on_both_backends!(bad_input_is_refused_with_the_field_and_changes_nothing, |b| async move {
    let app = spawn_app(b).await;
    let s = station_with_officer(&app).await;
    let officer = app.login("officer").await;
    let good = json!({"name": "李四", "id_number": "330212198506010019", "phone": "13800001111", "hukou_address": "宁波市鄞州区某路1号", "unit_id": s});
    let id_ok = ningan_core::IdNumber::synthesize(330212, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), 1);
    let mut good = good;
    good["id_number"] = json!(id_ok.as_str());
    let cases = [
        ("id_number", json!("330212198506010010"), "校验码"),
        ("id_number", json!("33021219850601001"), "18位"),
        ("id_number", json!("990212198506010019"), "地区码"),
        ("id_number", json!("330212198513010019"), "出生日期"),
        ("phone", json!("12345"), "手机号"),
        ("name", json!("  "), "姓名"),
        ("unit_id", json!(999999), "unit_id"),
    ];
    for (field, value, says) in cases {
        let mut body = good.clone();
        body[field] = value;
        let (status, e) = officer.post("/api/residents", body).await;
        assert_eq!(status, 422, "{field}: {e}");
        assert_eq!(e["errors"][0]["field"], field, "{e}");
        assert!(e.to_string().contains(says), "{field} should say {says}: {e}");
    }
    let (status, e) = officer
        .http
        .post(app.url("/api/residents"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map(|s| (s, ()))
        .unwrap();
    assert_eq!(status, 400, "{e:?}");
    let (status, _) = officer.get("/api/residents?page=abc").await;
    assert_eq!(status, 422);
    assert_eq!(officer.get("/api/residents/abc").await.0, 404);
    assert_eq!(officer.get("/api/no-such-thing").await.0, 404);
    let (_, list) = officer.get("/api/residents").await;
    assert_eq!(list["total"], 0, "nothing was written");
    let (status, created) = officer.post("/api/residents", good.clone()).await;
    assert_eq!(status, 201, "{created}");
    let (status, dup) = officer.post("/api/residents", good.clone()).await;
    assert_eq!((status, dup["errors"][0]["field"].as_str()), (409, Some("id_number")));
    // Text is checked in one place: hidden and control characters, overrides, sizes, and a
    // mobile that already belongs to someone.
    let other_id = ningan_core::IdNumber::synthesize(330212, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), 2);
    let mut next = good;
    next["id_number"] = json!(other_id.as_str());
    let bad_text = [
        ("name", json!("李\u{0}四")),
        ("name", json!("\u{200B}\u{200D}")),
        ("name", json!("\u{202E}四李")),
        ("hukou_address", json!("路".repeat(100_000))),
        ("phone", json!("13800001111")),
    ];
    for (field, value) in bad_text {
        let mut body = next.clone();
        body[field] = value;
        let (status, e) = officer.post("/api/residents", body).await;
        assert!(status == 422 || status == 409, "{field}: {status} {e}");
        assert_eq!(e["errors"][0]["field"], field, "{e}");
    }
    assert_eq!(officer.get("/api/residents").await.1["total"], 1, "none of them was written");
});

on_both_backends!(a_search_by_a_full_identifier_is_a_reveal, |b| async move {
    let app = spawn_app(b).await;
    let s = station_with_officer(&app).await;
    app.user("commander", &[Role::Commander], s).await;
    let rid = app.resident("周七", 330212, 7, s).await;
    let officer = app.login("officer").await;
    // Without a purpose the number is not even looked up.
    let (status, e) = officer.get("/api/residents?q=13912340007").await;
    assert_eq!((status, e["errors"][0]["field"].as_str()), (422, Some("purpose")), "{e}");
    let (status, found) =
        officer.get("/api/residents?q=13912340007&purpose=%E6%A0%B8%E6%9F%A5%E6%9D%A5%E7%94%B5").await;
    assert_eq!((status, found["total"].as_i64()), (200, Some(1)), "{found}");
    // A role without the reveal right cannot search by a full identifier at all.
    let commander = app.login("commander").await;
    assert_eq!(commander.get("/api/residents?q=13912340007&purpose=test-check").await.0, 403);
    assert_eq!(commander.get("/api/residents?q=%E5%91%A8").await.0, 200, "by name is fine");
    // The search is audited with its purpose, under the person found.
    let city = app.unit("330200").await;
    app.user("aud", &[Role::Auditor], city.id).await;
    let (_, trail) = app.login("aud").await.get(&format!("/api/audit?person_id={rid}&action=resident.search")).await;
    let by_phone = trail["items"].as_array().unwrap().iter().find(|e| e["actor"] == "user:officer").unwrap();
    assert_eq!(by_phone["purpose"], "核查来电", "{trail}");
    // On the page the search's links carry its purpose, so its export runs (as a search again).
    let html = officer
        .http
        .get(app.url("/residents?q=13912340007&purpose=%E6%A0%B8%E6%9F%A5%E6%9D%A5%E7%94%B5"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let href = html.split("data-testid=\"export-csv\"").next().unwrap().rsplit("href=\"").next().unwrap();
    let href = href.split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&");
    assert!(href.starts_with("/residents.csv?") && href.contains("purpose="), "{href}");
    let csv = officer.http.get(app.url(&href)).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 2, "the heading and 周七: {text}");
    assert!(text.contains("周七") && !text.contains("13912340007"), "masked as on the page: {text}");
    // Enumerating the middles of a masked phone runs out of budget quickly.
    let mut last = 0;
    for i in 0..40 {
        last = officer.get(&format!("/api/residents?q=1391234{i:04}&purpose=test-check")).await.0;
        if last == 429 {
            break;
        }
    }
    assert_eq!(last, 429, "full-identifier searches are limited per caller");
});

on_both_backends!(a_replay_is_checked_against_current_rights_and_audited, |b| async move {
    let app = spawn_app(b).await;
    let s = station_with_officer(&app).await;
    let officer = app.login("officer").await;
    let id = ningan_core::IdNumber::synthesize(330212, chrono::NaiveDate::from_ymd_opt(1990, 2, 3).unwrap(), 6);
    let body = json!({"name": "孙八", "id_number": id.as_str(), "hukou_address": "宁波市鄞州区某路3号", "unit_id": s});
    let send = || officer.http.post(app.url("/api/residents")).header("Idempotency-Key", "k-revoke").json(&body).send();
    assert_eq!(send().await.unwrap().status(), 201);
    let replay = send().await.unwrap();
    assert_eq!(replay.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    // Rights revoked: the same retry is refused, not replayed.
    let mut w = app.db.write().await.unwrap();
    let officer_id = app.db.user_by_username("officer").await.unwrap().id;
    w.user_set_roles(&actor(), officer_id, &[Role::Auditor]).await.unwrap();
    w.commit().await.unwrap();
    assert_eq!(send().await.unwrap().status(), 403);
    let city = app.unit("330200").await;
    app.user("aud", &[Role::Auditor], city.id).await;
    let (_, trail) = app.login("aud").await.get("/api/audit?action=idempotent.replay").await;
    assert_eq!(trail["total"], 1, "the one replay is audited: {trail}");
});

on_both_backends!(a_retried_post_with_the_same_key_writes_once, |b| async move {
    let app = spawn_app(b).await;
    let s = station_with_officer(&app).await;
    let officer = app.login("officer").await;
    let id = ningan_core::IdNumber::synthesize(330212, chrono::NaiveDate::from_ymd_opt(1990, 2, 3).unwrap(), 5);
    let body = json!({"name": "赵五", "id_number": id.as_str(), "hukou_address": "宁波市鄞州区某路2号", "unit_id": s});
    let send = |body: serde_json::Value| {
        officer.http.post(app.url("/api/residents")).header("Idempotency-Key", "retry-1").json(&body).send()
    };
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first_body = first.text().await.unwrap();
    let second = send(body.clone()).await.unwrap();
    assert_eq!(second.status(), 201, "replayed, not a 409 duplicate");
    assert_eq!(second.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(second.text().await.unwrap(), first_body);
    let mut other = body;
    other["name"] = json!("钱六");
    let third = send(other).await.unwrap();
    assert_eq!(third.status(), 422);
    assert_eq!(officer.get("/api/residents").await.1["total"], 1);
});

on_both_backends!(cookie_sessions_need_the_csrf_token_to_change_anything, |b| async move {
    let app = spawn_app(b).await;
    station_with_officer(&app).await;
    // Sign in through the HTML form, as a browser does.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let browser =
        reqwest::Client::builder().cookie_provider(jar).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = browser.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("登录"));
    let resp = browser
        .post(app.url("/login"))
        .form(&[("username", "officer"), ("password", "wrong-password-9"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let again = resp.text().await.unwrap();
    assert!(again.contains("用户名或密码错误") && again.contains("value=\"officer\""), "error shown, username kept");
    let resp = browser
        .post(app.url("/login"))
        .form(&[("username", "officer"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("officer"), "home shows the user");
    let csrf = home.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();

    let no_token = browser.post(app.url("/api/me/language")).json(&json!({"language": "en"})).send().await.unwrap();
    assert_eq!(no_token.status(), 403);
    let form_without = browser.post(app.url("/account/language")).form(&[("language", "en")]).send().await.unwrap();
    assert_eq!(form_without.status(), 403);
    let form_with = browser
        .post(app.url("/account/language"))
        .form(&[("language", "en"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(form_with.status(), 303);
    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("<html lang=\"en\">"), "language persisted for the user");
    let out = browser.post(app.url("/logout")).form(&[("csrf_token", &csrf)]).send().await.unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(browser.get(app.url("/")).send().await.unwrap().status(), 303, "signed out: back to login");
});

/// Signs in without a cookie jar: the session cookie and CSRF token, to replay by hand.
async fn bare_session(app: &TestApp, username: &str) -> (String, String) {
    let r = app
        .anonymous()
        .http
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_string())
}

async fn me_with(app: &TestApp, cookie: &str) -> u16 {
    app.anonymous().http.get(app.url("/api/me")).header("cookie", cookie).send().await.unwrap().status().as_u16()
}

// Servers remember resolved sessions; a sign-out or a disabled account still ends a session
// on the very next request, even for a cookie kept and replayed after the sign-out.
on_both_backends!(a_session_ends_at_once_on_sign_out_or_disabling_though_sessions_are_remembered, |b| async move {
    let app = spawn_app(b).await;
    station_with_officer(&app).await;
    let city = app.unit("330200").await;
    app.user("root", &[Role::Administrator], city.id).await;
    let (cookie, csrf) = bare_session(&app, "officer").await;
    assert_eq!((me_with(&app, &cookie).await, me_with(&app, &cookie).await), (200, 200));
    let out = app
        .anonymous()
        .http
        .post(app.url("/api/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(me_with(&app, &cookie).await, 401, "the replayed cookie of a signed-out session");

    let (cookie, _) = bare_session(&app, "officer").await;
    assert_eq!(me_with(&app, &cookie).await, 200);
    let admin = app.login("root").await;
    let (_, users) = admin.get("/api/users?q=officer").await;
    let id =
        users["items"].as_array().unwrap().iter().find(|u| u["username"] == "officer").unwrap()["id"].as_i64().unwrap();
    assert_eq!(admin.post(&format!("/api/users/{id}/disable"), json!({})).await.0, 204);
    assert_eq!(me_with(&app, &cookie).await, 401, "a disabled account's session");
});

on_both_backends!(changing_the_password_ends_old_sessions, |b| async move {
    let app = spawn_app(b).await;
    station_with_officer(&app).await;
    let officer = app.login("officer").await;
    let (s, e) = officer.post("/api/auth/password", json!({"current": PASSWORD, "new": "short"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("new")));
    let (s, e) =
        officer.post("/api/auth/password", json!({"current": "wrong-one-123", "new": "a-much-better-pass-77"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("current")));
    assert_eq!(
        officer.post("/api/auth/password", json!({"current": PASSWORD, "new": "a-much-better-pass-77"})).await.0,
        204
    );
    assert_eq!(officer.get("/api/me").await.0, 401, "old session ended");
    let (s, _) = app
        .anonymous()
        .post("/api/auth/login", json!({"username": "officer", "password": "a-much-better-pass-77"}))
        .await;
    assert_eq!(s, 200);
});

on_both_backends!(administrators_create_officers_who_then_sign_in, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    app.user("root", &[Role::Administrator], city.id).await;
    let admin = app.login("root").await;
    let (s, unit) = admin
        .post(
            "/api/org-units",
            json!({"parent_id": app.unit("330281").await.id, "code": "330281007", "name": "余姚测试派出所"}),
        )
        .await;
    assert_eq!(s, 201, "{unit}");
    assert_eq!(unit["kind"], "station");
    let (s, created) = admin.post("/api/users", json!({"username": "yy.officer", "display_name": "余姚民警", "unit_id": unit["id"], "roles": ["station_officer"]})).await;
    assert_eq!(s, 201, "{created}");
    // A station officer reads personal data: the role waits for a second administrator.
    assert_eq!(created["user"]["roles"], json!([]), "{created}");
    assert_eq!(created["pending_grant"]["roles"], json!(["station_officer"]), "{created}");
    let password = created["password"].as_str().unwrap();
    let (s, me) =
        app.anonymous().post("/api/auth/login", json!({"username": "yy.officer", "password": password})).await;
    assert_eq!(s, 200);
    assert_eq!(me["me"]["unit_code"], "330281007");
    let grant = created["pending_grant"]["id"].as_i64().unwrap();
    app.user("root2", &[Role::Administrator], city.id).await;
    let (s, g) = app.login("root2").await.post(&format!("/api/grants/{grant}/approve"), json!({})).await;
    assert_eq!((s, &g["status"]), (200, &json!("approved")), "{g}");
    let officer = app.login_with("yy.officer", password).await;
    assert_eq!(officer.get("/api/residents").await.0, 200, "the approved role works");
    let (s, e) = admin.post("/api/users", json!({"username": "x", "unit_id": city.id, "roles": ["superuser"]})).await;
    assert_eq!(s, 422, "{e}");
    let (_, users) = admin.get("/api/users?q=yy").await;
    assert_eq!(users["total"], 1);
    let id = created["user"]["id"].as_i64().unwrap();
    assert_eq!(admin.post(&format!("/api/users/{id}/disable"), json!({})).await.0, 204);
    let (s, _) = app.anonymous().post("/api/auth/login", json!({"username": "yy.officer", "password": password})).await;
    assert_eq!(s, 401, "disabled accounts cannot sign in");
});

#[tokio::test]
async fn openapi_document_lists_every_api_route_with_its_action() {
    let app = spawn_app(Backend::Sqlite).await;
    let (s, doc) = app.anonymous().get("/api/openapi.json").await;
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let (_, ops) = ningan::modules::api().into_parts();
    for op in ops.iter().filter(|o| o.face == ningan::http::api::Face::Api) {
        let entry = &doc["paths"][op.path][op.method.as_str().to_ascii_lowercase()];
        assert!(entry.is_object(), "{} {} missing", op.method, op.path);
        if let ningan::http::api::Access::Action(a) = op.access {
            assert_eq!(entry["x-ningan-action"], a.as_str());
        }
    }
    assert!(doc["components"]["schemas"]["ResidentDto"].is_object());
    assert!(doc.to_string().find("#/$defs").is_none(), "references point into components");
    // A 401, 403 or 404 carries no field errors: the schema must not require them.
    let required = doc["components"]["schemas"]["Problem"]["required"].as_array().cloned().unwrap_or_default();
    assert!(required.contains(&serde_json::json!("status")), "{required:?}");
    assert!(!required.contains(&serde_json::json!("errors")), "errors only come with a 422: {required:?}");
}

#[tokio::test]
async fn health_and_metrics_report_without_personal_data() {
    let app = spawn_app(Backend::Sqlite).await;
    let anon = app.anonymous();
    let (s, h) = anon.get("/healthz").await;
    assert_eq!((s, h["database"].as_str()), (200, Some("ok")));
    anon.get("/api/residents/330203198506010019").await;
    let text = anon.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("ningan_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("route=\"/api/residents/{id}\""), "labels are templates");
    assert!(!text.contains("330203198506010019"));
}

on_both_backends!(metrics_hold_the_families_the_shipped_dashboard_and_alerts_read, |b| async move {
    let app = spawn_app(b).await;
    let anon = app.anonymous();
    // A failed sign-in is counted.
    let (s, _) = anon.post("/api/auth/login", json!({"username": "nobody", "password": "wrong-password"})).await;
    assert_eq!(s, 401);
    let text = anon.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    // Every sample line is `name{labels} value` in Prometheus' text format.
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        assert!(value.parse::<f64>().is_ok(), "not a number in {line}");
        let name = series.split('{').next().unwrap();
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
        assert!(
            text.contains(&format!(
                "# TYPE {} ",
                name.trim_end_matches("_bucket").trim_end_matches("_sum").trim_end_matches("_count")
            )),
            "{name} has no TYPE"
        );
    }
    let failures: f64 = text
        .lines()
        .find(|l| l.starts_with("ningan_login_failures_total "))
        .and_then(|l| l.rsplit_once(' '))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap();
    assert!(failures >= 1.0, "{text}");
    assert!(text.contains("ningan_fraud_tasks_overdue{level=\"red\"} 0"), "{text}");
    // What the shipped Grafana dashboard and alerting rules query is all there.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let dashboard = std::fs::read_to_string(root.join("grafana/ningan-dashboard.json")).unwrap();
    let dashboard: Value = serde_json::from_str(&dashboard).unwrap();
    let mut exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter().map(|t| t["expr"].as_str().unwrap().to_string()))
        .collect();
    let alerts = std::fs::read_to_string(root.join("prometheus/alerts.yml")).unwrap();
    exprs.extend(alerts.lines().filter_map(|l| l.trim().strip_prefix("expr: ").map(String::from)));
    assert!(exprs.len() > 15);
    let mut names = std::collections::BTreeSet::new();
    for e in &exprs {
        for (i, _) in e.match_indices("ningan_") {
            let name: String = e[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            names.insert(name);
        }
    }
    for name in &names {
        let family = name.trim_end_matches("_bucket");
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "the dashboard or alerts read {name}, which /metrics lacks"
        );
    }
});

#[tokio::test]
async fn oversized_bodies_are_refused_as_problems() {
    let app = spawn_app(Backend::Sqlite).await;
    station_with_officer(&app).await;
    let officer = app.login("officer").await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let (status, body) = officer.post("/api/residents", json!({"name": huge})).await;
    assert_eq!(status, 413, "{body}");
}

#[tokio::test]
async fn the_schema_of_every_module_is_the_same_on_both_backends() {
    // The store checks its own migrations; this covers the ones modules keep in their folders.
    let mut described = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (loc, _dir) = ningan_testkit::fresh_location(backend);
        let db = ningan_store::Db::open(&loc).await.unwrap();
        db.migrate_with(&ningan::modules::migrations()).await.unwrap();
        described.push(db.schema_description().await.unwrap());
        db.close().await;
    }
    let (s, p) = (&described[0], &described[1]);
    let only_sqlite: Vec<&String> = s.iter().filter(|l| !p.contains(l)).collect();
    let only_postgres: Vec<&String> = p.iter().filter(|l| !s.contains(l)).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only on SQLite: {only_sqlite:#?}\nonly on PostgreSQL: {only_postgres:#?}"
    );
}

#[tokio::test]
async fn assets_go_out_compressed_and_cached_by_content_hash() {
    let app = spawn_app(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    let home = http.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let css = home.split('"').find(|s| s.starts_with("/static/app.css?v=")).expect("the page names the hashed URL");
    let r = http.get(app.url(css)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let etag = r.headers()["etag"].clone();
    let r = http.get(app.url("/static/app.css")).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(r.status(), 304, "an unchanged asset is not sent again");
    let r = http.get(app.url("/static/app.css")).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none(), "plain for clients that do not ask for gzip");
    assert!(r.text().await.unwrap().contains("--accent"));
    let r = http.get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/svg+xml"));
    // Pages are compressed on the way out too.
    let r = http.get(app.url("/login")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn an_unknown_page_keeps_the_signed_in_viewers_menu() {
    let app = spawn_app(Backend::Sqlite).await;
    station_with_officer(&app).await;
    let officer = app.login("officer").await;
    let r = officer.http.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("data-testid=\"menu\"") && body.contains("页面或记录不存在"), "{body}");
}

#[tokio::test]
async fn sign_in_and_public_pages_have_no_chinese_left_in_english() {
    let app = spawn_app(Backend::Sqlite).await;
    let http = reqwest::Client::new();
    for path in ["/login", "/portal/login", "/public/fraud", "/public/exposure"] {
        let page =
            http.get(app.url(path)).header("cookie", "ningan_lang=en").send().await.unwrap().text().await.unwrap();
        // The language switch itself names the other language.
        let page = page.replace("中文", "");
        let han: String = page.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).collect();
        assert!(han.is_empty(), "{path} in English still shows “{han}”");
        let zh = http.get(app.url(path)).send().await.unwrap().text().await.unwrap();
        assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{path} is Chinese by default");
    }
    // A page answering a form switches language back to the page, not to the form's address.
    let refused = http
        .post(app.url("/portal/login/code"))
        .form(&[("id_number", "123"), ("phone", "1"), ("next", "/portal")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(refused.contains("/language/en?next=/portal/login\""), "the switch returns to the sign-in page");
    // The switch sets the cookie and goes back.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/language/en?next=/public/fraud"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["set-cookie"].to_str().unwrap().starts_with("ningan_lang=en"));
    assert_eq!(r.headers()["location"], "/public/fraud");
}

on_both_backends!(the_resident_list_pages_at_the_size_asked_and_exports_masked, |b| async move {
    let app = spawn_app(b).await;
    let station = station_with_officer(&app).await;
    for seq in 1..=25u16 {
        app.resident(&format!("居民{seq:02}"), 330212, seq, station).await;
    }
    let officer = app.login("officer").await;
    let page = |size: &str| {
        let url = app.url(&format!("/residents?size={size}"));
        let http = officer.http.clone();
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let rows = |html: &str| html.matches("href=\"/residents/").count();
    let default = page("").await;
    assert_eq!(rows(&default), 20, "twenty a page by default");
    let fifty = page("50").await;
    assert_eq!(rows(&fifty), 25, "all on one page at fifty");
    assert!(fifty.contains("<option value=\"50\" selected>"), "the size is shown as chosen");
    let odd = page("37").await;
    assert_eq!(rows(&odd), 20, "a size not offered is the default");

    // The filtered list as a file, masked as on the page.
    let csv = officer.http.get(app.url("/residents.csv?q=%E5%B1%85%E6%B0%9101")).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 2, "a heading and 居民01: {text}");
    assert!(text.contains("居民01") && text.contains("*****") && text.contains("****"), "{text}");
    assert!(!text.contains("19850601"), "no birth date digits: {text}");
    let all = officer.http.get(app.url("/residents.xlsx")).send().await.unwrap();
    assert_eq!(all.status(), 200);

    // Paged by key: following `next_after` (API) or the next link (page) walks the same rows
    // as page numbers do, and a position that is not one is refused beside its field.
    for sort in ["id", "name", "newest"] {
        let mut by_number = Vec::new();
        for page in 1..=3 {
            let (_, p) = officer.get(&format!("/api/residents?sort={sort}&per_page=10&page={page}")).await;
            by_number.extend(p["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()));
        }
        let (mut by_key, mut url) = (Vec::new(), format!("/api/residents?sort={sort}&per_page=10"));
        for page in 2.. {
            let (s, p) = officer.get(&url).await;
            assert_eq!(s, 200, "{p}");
            by_key.extend(p["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()));
            let Some(after) = p["next_after"].as_str() else { break };
            let after: String = after
                .bytes()
                .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect();
            url = format!("/api/residents?sort={sort}&per_page=10&page={page}&after={after}");
        }
        assert_eq!((by_key.len(), &by_key), (25, &by_number), "{sort}");
    }
    let (s, e) = officer.get("/api/residents?sort=name&after=12").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("after")), "{e}");
    let first = page("").await;
    let next = first.split("rel=\"next\"").next().and_then(|h| h.rsplit("href=\"").next()).unwrap();
    assert!(next.contains("page=2") && next.contains("after="), "the next link starts after this page: {next}");
    let next = next.replace("&#38;", "&").replace("&amp;", "&").replace('"', "");
    let second = officer.http.get(app.url(next.trim())).send().await.unwrap();
    let second = second.text().await.unwrap();
    assert_eq!(rows(&second), 5, "the rest from {next}");
    assert!(second.contains("居民25") && !second.contains("居民01"), "page two by key");

    // An exact count on request (the store's test crosses the cap); an unknown mode is refused.
    let (s, p) = officer.get("/api/residents?count=exact&per_page=10").await;
    assert_eq!((s, p["total"].as_i64(), p["total_capped"].as_bool()), (200, Some(25), Some(false)), "{p}");
    let (s, e) = officer.get("/api/residents?count=all").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("count")), "{e}");
    assert_eq!(e["errors"][0]["code"].as_str(), Some("residents.one_of"), "{e}");
});

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in ["/login", "/api/openapi.json", "/api/residents", "/no/such/page"] {
        let r = app.anonymous().raw_get(path).await;
        let h = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert!(h("content-security-policy").contains("script-src 'self'"), "{path}: {:?}", r.headers());
        assert!(h("content-security-policy").contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(
            (h("x-frame-options"), h("x-content-type-options")),
            ("DENY".to_string(), "nosniff".to_string()),
            "{path}"
        );
        assert_eq!(h("referrer-policy"), "same-origin", "{path}");
    }
}

// JSON Schema's `integer`, which the document states, includes `30.0`: a client whose numbers
// always carry a fraction is understood; a real fraction is still refused.
on_both_backends!(a_whole_number_written_with_a_fraction_is_an_integer, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    app.user("root", &[Role::Administrator], city.id).await;
    let root = app.login("root").await;
    let (s, made) =
        root.post("/api/tokens", json!({"name": "闸机", "scopes": ["gate.check"], "expires_in_days": 30.0})).await;
    assert_eq!(s, 201, "{made}");
    let at = |k: &str| chrono::DateTime::parse_from_rfc3339(made["token"][k].as_str().unwrap()).unwrap();
    let days = (at("expires_at") - at("created_at")).num_seconds() as f64 / 86_400.0;
    assert_eq!(days.round(), 30.0, "{made}");
    let (s, e) =
        root.post("/api/tokens", json!({"name": "闸机二", "scopes": ["gate.check"], "expires_in_days": 1.5})).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(root.get("/api/tokens").await.1.as_array().map(Vec::len), Some(1), "the refused one was not made");
});
