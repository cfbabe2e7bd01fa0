//! Evaluation over HTTP on both backends: a questionnaire refused question by question and
//! versioned once answers arrive; a wave planned from the register; one-time links taking
//! one answer each, impossible answers refused without spending the link; answers weighted
//! to the district's population by sex and age; the public review with scoped comments and
//! one reply each; the public scenarios catalogue; the monthly report's figures and its PDF;
//! the cockpit's drill-down and wall.

use crate::common;

use chrono::NaiveDate;
use common::*;
use ningan_core::{IdNumber, Role};
use ningan_store::Scope;
use serde_json::{Value, json};

fn fields(e: &Value) -> Vec<String> {
    e["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["field"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// Registers `n` residents of `unit` born in `year`, men when `male`.
async fn people(app: &TestApp, unit: i64, region: u32, year: i32, male: bool, n: u16, first_seq: u16) {
    let mut w = app.db.write().await.unwrap();
    let mut made = 0;
    let mut seq = first_seq;
    while made < n {
        let id = IdNumber::synthesize(region, NaiveDate::from_ymd_opt(year, 3, 1).unwrap(), seq);
        seq += 1;
        if id.is_male() != male {
            continue;
        }
        w.resident_insert(
            &actor(),
            &Scope::everything(),
            &ningan_store::NewResident {
                name: format!("测试{seq}"),
                id_number: id,
                phone: None,
                hukou_address: "宁波市测试路1号".into(),
                residence_address: None,
                unit_id: unit,
            },
        )
        .await
        .unwrap();
        made += 1;
    }
    w.commit().await.unwrap();
}

fn scale(key: &str, index: &str) -> Value {
    json!({"key": key, "kind": "scale", "text": "您觉得安全吗？", "scale": ["不安全", "不太安全", "基本安全", "安全", "很安全"], "index": index, "positive_from": 3})
}

fn day(offset: i64) -> String {
    (ningan_core::time::today_cst() + chrono::Duration::days(offset)).format("%Y-%m-%d").to_string()
}

on_both_backends!(a_survey_takes_one_answer_per_link_and_weights_it_to_the_population, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    let haishu = app.station(330203, 1).await;
    let yinzhou = app.station(330212, 1).await;
    app.user("boss", &[Role::Commander], city.id).await;
    app.user("officer", &[Role::StationOfficer], haishu.id).await;
    app.user("clerk", &[Role::ServiceClerk], haishu.id).await;
    app.user("far", &[Role::StationOfficer], yinzhou.id).await;
    // Haishu's adults: two men of 30–44, four women of 60 and over.
    people(&app, haishu.id, 330203, 1990, true, 2, 1).await;
    people(&app, haishu.id, 330203, 1960, false, 4, 100).await;
    let (boss, officer, clerk, far) =
        (app.login("boss").await, app.login("officer").await, app.login("clerk").await, app.login("far").await);

    // A questionnaire is refused question by question.
    let bad = json!({"title": "安全感调查", "questions": [scale("safe", "security"), {"key": "safe", "kind": "single", "text": "重复", "options": ["一"]}]});
    let (s, e) = boss.post("/api/evaluation/questionnaires", bad).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(fields(&e), ["questions.safe", "questions.safe"], "{e}");
    assert_eq!(
        officer.post("/api/evaluation/questionnaires", json!({})).await.0,
        403,
        "officers do not design surveys"
    );
    let good = json!({"title": "安全感调查", "title_en": "Safety survey", "questions": [
        scale("safe", "security"), scale("police", "approval"),
        {"key": "why", "kind": "multi", "text": "原因", "options": ["巡逻", "照明", "邻里"], "required": false}
    ]});
    let (s, q) = boss.post("/api/evaluation/questionnaires", good).await;
    assert_eq!(s, 201, "{q}");
    let qid = q["id"].as_i64().unwrap();

    // A wave: its dates and sample checked, its frame from the register.
    let wave = |opens: String, closes: String, n: i64| json!({"name": "第一轮", "opens_on": opens, "closes_on": closes, "sample_size": n});
    let (s, e) = boss.post(&format!("/api/evaluation/questionnaires/{qid}/waves"), wave(day(0), day(-1), 1000)).await;
    assert_eq!((s, fields(&e)), (422, vec!["closes_on".to_string()]), "{e}");
    let (s, e) = boss.post(&format!("/api/evaluation/questionnaires/{qid}/waves"), wave(day(0), day(30), 20)).await;
    assert_eq!((s, fields(&e)), (422, vec!["sample_size".to_string()]), "{e}");
    let (s, w) = boss.post(&format!("/api/evaluation/questionnaires/{qid}/waves"), wave(day(0), day(30), 1000)).await;
    assert_eq!(s, 201, "{w}");
    let wid = w["id"].as_i64().unwrap();

    let (s, l) =
        boss.post(&format!("/api/evaluation/waves/{wid}/links"), json!({"district": 330203, "count": 3})).await;
    assert_eq!(s, 201, "{l}");
    let tokens: Vec<String> = l["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().trim_start_matches("/s/").to_string())
        .collect();
    assert_eq!(tokens.len(), 3);
    assert_eq!(
        boss.post(&format!("/api/evaluation/waves/{wid}/links"), json!({"district": 110101, "count": 3})).await.0,
        422
    );

    let public = app.anonymous();
    let (s, form) = public.get(&format!("/api/public/links/{}", tokens[0])).await;
    assert_eq!((s, form["kind"].as_str()), (200, Some("survey")), "{form}");
    assert_eq!(form["questions"].as_array().unwrap().len(), 3);
    assert_eq!(public.get("/api/public/links/0123456789abcdef0123456789abcdef").await.0, 404);

    // Impossible values: refused by question, and the link still takes an answer.
    let answer = |sex: &str, age: &str, safe: i64, why: Value| json!({"sex": sex, "age_band": age, "answers": {"safe": safe, "police": 4, "why": why}});
    let (s, e) = public
        .post(&format!("/api/public/links/{}/answers", tokens[0]), answer("male", "30-44", 6, json!([1, 9])))
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(fields(&e), ["safe", "why"], "{e}");
    let (s, e) =
        public.post(&format!("/api/public/links/{}/answers", tokens[0]), answer("robot", "30-44", 1, json!([]))).await;
    assert_eq!((s, fields(&e)), (422, vec!["sex".to_string()]), "{e}");
    assert_eq!(public.get(&format!("/api/public/links/{}", tokens[0])).await.0, 200, "a refused answer spends nothing");

    let (s, t) =
        public.post(&format!("/api/public/links/{}/answers", tokens[0]), answer("male", "30-44", 1, json!([2]))).await;
    assert_eq!(s, 201, "{t}");
    let (s, e) =
        public.post(&format!("/api/public/links/{}/answers", tokens[0]), answer("female", "60+", 5, json!([]))).await;
    assert_eq!(s, 409, "one answer per link: {e}");
    assert_eq!(e["errors"][0]["code"], "evaluation.link_used", "{e}");
    let page = public.raw_get(&format!("/s/{}", tokens[0])).await;
    assert_eq!(page.status().as_u16(), 410);
    assert!(page.text().await.unwrap().contains("此链接已使用"));

    // A phone interview for the other respondent; clerks hold no survey rights.
    let phone = json!({"district": 330203, "sex": "female", "age_band": "60+", "answers": {"safe": 5, "police": 5}});
    assert_eq!(clerk.post(&format!("/api/evaluation/waves/{wid}/interviews"), phone.clone()).await.0, 403);
    let (s, a) = officer.post(&format!("/api/evaluation/waves/{wid}/interviews"), phone).await;
    assert_eq!(s, 201, "{a}");

    // Weighted: the man stands for two men, the woman for four women: 4 of 6 feel safe.
    let (s, r) = boss.get(&format!("/api/evaluation/waves/{wid}/results")).await;
    assert_eq!(s, 200, "{r}");
    let haishu_row = r["districts"].as_array().unwrap().iter().find(|d| d["code"] == 330203).unwrap().clone();
    assert_eq!(haishu_row["answers"], 2);
    assert_eq!(haishu_row["security"]["rate"], 66.67, "{haishu_row}");
    assert_eq!(haishu_row["links_used"], 1);
    assert_eq!(haishu_row["links_issued"], 3);
    assert!(r["city"]["security"]["low"].as_f64().unwrap() < 66.67);
    assert_eq!(r["districts"].as_array().unwrap().len(), 10, "the city sees every district");
    // A Yinzhou officer sees Yinzhou's row only, and no city total.
    let (_, mine) = far.get(&format!("/api/evaluation/waves/{wid}/results")).await;
    let codes: Vec<i64> = mine["districts"].as_array().unwrap().iter().map(|d| d["code"].as_i64().unwrap()).collect();
    assert_eq!((codes, mine["city"].is_null()), (vec![330212], true), "{mine}");

    // Answers name nobody: no link, no person, the link keeps the day only.
    let row = sqlx::query("SELECT * FROM ev_answers LIMIT 1").fetch_one(app.db.reader()).await.unwrap();
    let cols: Vec<String> = {
        use sqlx::{Column, Row};
        row.columns().iter().map(|c| c.name().to_string()).collect()
    };
    assert!(cols.iter().all(|c| !c.contains("link") && !c.contains("resident") && !c.contains("person")), "{cols:?}");
    let used: String = sqlx::query_scalar("SELECT used_on FROM ev_links WHERE used_on IS NOT NULL")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(used.len(), 10, "a day, not an instant: {used}");

    // The version with answers cannot change; a new version can.
    let v2 = json!({"questions": [scale("safe", "security"), scale("police", "approval")]});
    let (s, e) = boss.request("PUT", &format!("/api/evaluation/questionnaires/{qid}/versions/1"), v2.clone()).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (409, Some("evaluation.version_answered")), "{e}");
    let (s, _) = boss.post(&format!("/api/evaluation/questionnaires/{qid}/versions"), v2).await;
    assert_eq!(s, 201);
    let (_, qd) = boss.get(&format!("/api/evaluation/questionnaires/{qid}")).await;
    assert_eq!(qd["versions"][0]["version"], 2);
    assert_eq!(qd["versions"][1]["questions"].as_array().unwrap().len(), 3, "version 1 is as answered");
    let (s, series) = boss.get(&format!("/api/evaluation/questionnaires/{qid}/series")).await;
    assert_eq!((s, series.as_array().unwrap().len()), (200, 1));
});

on_both_backends!(the_public_review_ranks_units_and_each_unit_answers_what_was_said_of_it, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    let a = app.station(330203, 1).await;
    let other = app.station(330212, 1).await;
    app.user("boss", &[Role::Commander], city.id).await;
    app.user("a_officer", &[Role::StationOfficer], a.id).await;
    app.user("b_officer", &[Role::StationOfficer], other.id).await;
    let (boss, ao, bo) = (app.login("boss").await, app.login("a_officer").await, app.login("b_officer").await);
    let (s, e) = boss
        .post("/api/evaluation/rounds", json!({"name": "民主评议", "opens_on": day(0), "closes_on": day(400)}))
        .await;
    assert_eq!((s, fields(&e)), (422, vec!["closes_on".to_string()]), "{e}");
    let (s, r) = boss
        .post("/api/evaluation/rounds", json!({"name": "民主评议", "opens_on": day(0), "closes_on": day(20)}))
        .await;
    assert_eq!(s, 201, "{r}");
    let rid = r["id"].as_i64().unwrap();
    let (_, l) =
        boss.post(&format!("/api/evaluation/rounds/{rid}/links"), json!({"district": 330203, "count": 2})).await;
    let token = l["links"][0].as_str().unwrap().trim_start_matches("/s/").to_string();
    let public = app.anonymous();
    let rate = |unit: i64, score: i64| json!({"unit_id": unit, "score": score, "comment": "出警很快，点赞"});
    let (s, e) = public.post(&format!("/api/public/links/{token}/ratings"), rate(a.id, 9)).await;
    assert_eq!((s, fields(&e)), (422, vec!["score".to_string()]), "{e}");
    assert_eq!(public.post(&format!("/api/public/links/{token}/ratings"), rate(a.id, 5)).await.0, 201);
    assert_eq!(public.post(&format!("/api/public/links/{token}/ratings"), rate(a.id, 5)).await.0, 409);
    let (s, _) = ao.post(&format!("/api/evaluation/rounds/{rid}/interviews"), rate(other.id, 3)).await;
    assert_eq!(s, 201);

    let (_, round) = boss.get(&format!("/api/evaluation/rounds/{rid}")).await;
    let ranking = round["ranking"].as_array().unwrap();
    assert_eq!(ranking[0]["unit_id"], a.id, "{round}");
    assert_eq!((ranking[0]["rank"].as_i64(), ranking[0]["mean"].as_f64()), (Some(1), Some(5.0)));

    // Each station reads what was said of it, and answers once.
    let (_, mine) = ao.get(&format!("/api/evaluation/rounds/{rid}/comments")).await;
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{mine}");
    let rating = items[0]["id"].as_i64().unwrap();
    assert_eq!(bo.post(&format!("/api/evaluation/ratings/{rating}/reply"), json!({"body": "谢谢"})).await.0, 404);
    assert_eq!(
        ao.post(&format!("/api/evaluation/ratings/{rating}/reply"), json!({"body": "感谢支持，我们继续努力"})).await.0,
        204
    );
    assert_eq!(ao.post(&format!("/api/evaluation/ratings/{rating}/reply"), json!({"body": "再次感谢"})).await.0, 409);
    let (_, all) = boss.get(&format!("/api/evaluation/rounds/{rid}/comments")).await;
    assert_eq!(all["total"], 2);
});

on_both_backends!(the_scenarios_catalogue_is_public_and_kept_by_managers, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    let st = app.station(330203, 1).await;
    app.user("boss", &[Role::Commander], city.id).await;
    app.user("officer", &[Role::StationOfficer], st.id).await;
    let (boss, officer) = (app.login("boss").await, app.login("officer").await);
    let s1 = json!({"name": "反诈预警劝阻", "partners": ["运营商", "银行"], "module": "fraud", "status": "live", "counter": "fraud_dissuaded"});
    assert_eq!(officer.post("/api/evaluation/scenarios", s1.clone()).await.0, 403);
    let (s, e) = boss
        .post("/api/evaluation/scenarios", json!({"name": "x", "partners": [], "module": "magic", "status": "live"}))
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, c) = boss.post("/api/evaluation/scenarios", s1).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(
        boss.post(
            "/api/evaluation/scenarios",
            json!({"name": "反诈预警劝阻", "partners": ["运营商"], "module": "fraud", "status": "live"})
        )
        .await
        .0,
        409
    );
    let (s, list) = app.anonymous().get("/api/public/scenarios").await;
    assert_eq!((s, list.as_array().unwrap().len()), (200, 1));
    assert_eq!(list[0]["partners"], json!(["运营商", "银行"]));
    let id = c["id"].as_i64().unwrap();
    let edit = json!({"name": "反诈预警劝阻", "partners": ["运营商"], "module": "fraud", "status": "retired"});
    assert_eq!(boss.request("PUT", &format!("/api/evaluation/scenarios/{id}"), edit).await.0, 204);
    let (_, live) = app.anonymous().get("/api/public/scenarios?status=live").await;
    assert_eq!(live.as_array().unwrap().len(), 0);
    let page = app.anonymous().raw_get("/public/scenarios").await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("共 1 个场景"));
});

/// Runs a program on a file, for looking at the report.
fn run(cmd: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} is needed to look at the report (apt-get install poppler-utils): {e}"))
}

on_both_backends!(the_monthly_report_holds_every_modules_figures_as_an_archived_pdf, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    let st = app.station(330203, 1).await;
    app.user("boss", &[Role::Commander], city.id).await;
    app.user("officer", &[Role::StationOfficer], st.id).await;
    let (boss, officer) = (app.login("boss").await, app.login("officer").await);
    let month = ningan_core::time::today_cst().format("%Y-%m").to_string();
    let (s, sections) = boss.get(&format!("/api/evaluation/reports/figures?month={month}")).await;
    assert_eq!(s, 200, "{sections}");
    let modules: Vec<&str> = sections.as_array().unwrap().iter().map(|s| s["module"].as_str().unwrap()).collect();
    let panels: Vec<&str> = ningan::modules::ALL.iter().flat_map(|m| m.panels).map(|p| p.name).collect();
    assert_eq!(modules.len(), panels.len(), "{modules:?}");
    for m in ["fraud", "services", "life", "evaluation", "command", "investigation"] {
        assert!(modules.contains(&m), "{m} missing from {modules:?}");
    }
    assert_eq!(boss.get("/api/evaluation/reports/figures?month=2026-13").await.0, 422);
    assert_eq!(boss.post("/api/evaluation/reports", json!({"month": "2999-01"})).await.0, 422);
    assert_eq!(officer.post("/api/evaluation/reports", json!({"month": month})).await.0, 403);

    let (s, a) = boss.post("/api/evaluation/reports", json!({"month": month})).await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_i64().unwrap();
    let pdf = boss.raw_get(&format!("/api/evaluation/reports/{id}/pdf")).await;
    assert_eq!(pdf.status().as_u16(), 200);
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    assert_eq!(
        officer.raw_get(&format!("/api/evaluation/reports/{id}/pdf")).await.status().as_u16(),
        404,
        "the city's report is not a station's"
    );

    // Look at it: every section's heading is in its text, and its first page renders.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let text = run("pdftotext", &["-layout", file.to_str().unwrap(), "-"]);
    let text = String::from_utf8_lossy(&text.stdout);
    for heading in ["工作月报", "反诈预警劝阻", "便民服务", "生命至上", "群众安全感与满意度", "110接处警", "侦查打击"]
    {
        assert!(text.contains(heading), "{heading} not in the PDF:\n{text}");
    }
    let png = dir.path().join("page");
    let out =
        run("pdftoppm", &["-png", "-r", "50", "-f", "1", "-l", "1", file.to_str().unwrap(), png.to_str().unwrap()]);
    assert!(out.status.success());
    let page = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "png"))
        .unwrap();
    assert!(std::fs::metadata(page.path()).unwrap().len() > 5_000, "the first page has ink on it");
    let (_, list) = boss.get("/api/evaluation/reports").await;
    assert_eq!(list[0]["sha256"].as_str().unwrap().len(), 64);
});

on_both_backends!(the_cockpit_drills_down_within_the_viewers_units_and_the_wall_shows_every_module, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    let district = app.unit("330203").await;
    let st = app.station(330203, 1).await;
    let other = app.station(330212, 1).await;
    app.user("boss", &[Role::Commander], city.id).await;
    app.user("officer", &[Role::StationOfficer], st.id).await;
    let (boss, officer) = (app.login("boss").await, app.login("officer").await);
    let r = boss.raw_get(&format!("/?unit={}", district.id)).await;
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("data-testid=\"drill-current\">海曙分局"), "the trail ends at the district");
    assert!(body.contains(&format!("/?unit={}", st.id)), "its stations are one click away");
    assert_eq!(officer.raw_get(&format!("/?unit={}", other.id)).await.status().as_u16(), 404);
    assert_eq!(
        officer.raw_get(&format!("/?unit={}", district.id)).await.status().as_u16(),
        404,
        "not above one's own unit"
    );
    let (s, api) = boss.get(&format!("/api/cockpit?unit={}", district.id)).await;
    assert_eq!((s, api["unit"].as_str()), (200, Some("海曙分局")), "{api}");
    assert!(api["counters"].as_array().unwrap().iter().any(|c| c["key"] == "evaluation_security_bp"));
    assert_eq!(officer.get(&format!("/api/cockpit?unit={}", other.id)).await.0, 404);
    let wall = boss.raw_get("/cockpit/wall").await;
    assert_eq!(wall.status().as_u16(), 200);
    let body = wall.text().await.unwrap();
    assert!(body.contains("data-refresh-every"));
    for title in [
        "人口管理",
        "精密智控",
        "反诈预警劝阻",
        "便民服务",
        "惠企服务",
        "生命至上",
        "情指勤舆",
        "舆情",
        "抗台防汛",
        "重大活动安保",
        "侦查打击",
        "测评与评议",
    ] {
        assert!(body.contains(&format!("<h2>{title}</h2>")), "{title} missing from the wall");
    }
});
