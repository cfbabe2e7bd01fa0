//! The service catalogue over HTTP: the shipped items (49 city-wide, 33 cross-city) with their
//! guides and typed forms; administrators adding, changing and retiring items through the API
//! and the page, each change a version with who and why; an application keeping the version it
//! was filed under; answers checked by their field's kind.

use crate::common;

use common::*;
use ningan_core::Role;
use serde_json::{Value, json};

fn id_number(seq: u16) -> String {
    ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), seq)
        .as_str()
        .to_string()
}

fn new_item() -> Value {
    json!({
        "code": "pet-registration-test",
        "name": "测试登记",
        "category": "户口登记",
        "legal_basis": "《测试规定》",
        "eligibility": "本市户籍居民本人",
        "facts": ["identity", "household"],
        "fields": [
            {"key": "colour", "label": "颜色", "kind": "choice", "options": ["红", "蓝"]},
            {"key": "since", "label": "起始日期", "kind": "date"},
            {"key": "note", "label": "备注", "kind": "long_text", "required": false}
        ],
        "time_limit_days": 3,
        "fee_yuan": 0,
        "citywide": true,
        "crosscity": false,
        "reason": "新增测试事项"
    })
}

on_both_backends!(
    the_shipped_catalogue_has_49_city_wide_and_33_cross_city_items_with_guides_and_forms,
    |b| async move {
        let app = spawn_app(b).await;
        let anyone = app.anonymous();
        let (s, items) = anyone.get("/api/services/items").await;
        assert_eq!(s, 200);
        let items = items.as_array().unwrap();
        assert_eq!(items.iter().filter(|i| i["citywide"] == true).count(), 49);
        assert_eq!(items.iter().filter(|i| i["crosscity"] == true).count(), 33);
        let (_, cross) = anyone.get("/api/services/items?crosscity=true").await;
        assert_eq!(cross.as_array().unwrap().len(), 33, "the filter");
        let (_, found) = anyone.get("/api/services/items?q=%E8%BA%AB%E4%BB%BD%E8%AF%81").await;
        assert!(found.as_array().unwrap().iter().all(|i| i["name"].as_str().unwrap().contains("身份证")), "{found}");
        let (s, renewal) = anyone.get("/api/services/items/id-renewal").await;
        assert_eq!((s, renewal["fee_yuan"].as_i64(), renewal["version"].as_i64()), (200, Some(20), Some(1)));
        let (_, kinship) = anyone.get("/api/services/items/kinship-certificate").await;
        let purpose = kinship["fields"].as_array().unwrap().iter().find(|f| f["key"] == "purpose").unwrap();
        assert_eq!(purpose["kind"], "choice");
        assert_eq!(purpose["options_en"][0], "Inheritance", "options in both languages: {purpose}");
        let (s, _) = anyone.get("/api/services/items/no-such-item").await;
        assert_eq!(s, 404);
        // Every version of the shipped items is kept from the start.
        assert_eq!(app.db.service_item_versions("id-renewal").await.unwrap().len(), 1);
    }
);

on_both_backends!(
    an_administrator_adds_changes_and_retires_an_item_and_applications_keep_their_version,
    |b| async move {
        let app = spawn_app(b).await;
        let station = app.station(330203, 1).await;
        let city = app.unit("330200").await;
        app.user("admin", &[Role::Administrator], city.id).await;
        app.user("station_admin", &[Role::Administrator], station.id).await;
        app.resident("申请人甲", 330203, 1, station.id).await;
        let admin = app.login("admin").await;

        // Bad definitions are refused beside the part and add nothing.
        let mut bad = new_item();
        bad["fields"][0]["options"] = json!(["红"]);
        let (s, e) = admin.post("/api/services/items", bad).await;
        assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("fields.1.options")), "{e}");
        let mut bad = new_item();
        bad["crosscity"] = json!(true);
        bad["citywide"] = json!(false);
        let (s, e) = admin.post("/api/services/items", bad).await;
        assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("crosscity")), "{e}");
        let mut bad = new_item();
        bad["code"] = json!("Bad Code");
        let (s, e) = admin.post("/api/services/items", bad).await;
        assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("code")), "{e}");
        let (s, _) = app.anonymous().get("/api/services/items/pet-registration-test").await;
        assert_eq!(s, 404, "nothing was added");
        // The catalogue is the city's: a station's administrator does not add to it.
        let (s, _) = app.login("station_admin").await.post("/api/services/items", new_item()).await;
        assert_eq!(s, 403);

        let (s, created) = admin.post("/api/services/items", new_item()).await;
        assert_eq!((s, created["version"].as_i64()), (201, Some(1)), "{created}");
        let (s, e) = admin.post("/api/services/items", new_item()).await;
        assert_eq!((s, e["errors"][0]["field"].as_str()), (409, Some("code")), "a code once: {e}");

        // Answers are checked by their kind; an optional one may be left out.
        let me = app.citizen(&id_number(1), "13912340001").await;
        let apply = |details: Value| json!({"item": "pet-registration-test", "details": details, "consent": true});
        let (s, e) = me.post("/api/portal/applications", apply(json!({"colour": "绿", "since": "2026-01-01"}))).await;
        assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("details.colour")), "{e}");
        let (s, e) = me.post("/api/portal/applications", apply(json!({"colour": "红", "since": "2026-02-30"}))).await;
        assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("details.since")), "{e}");
        let (s, first) =
            me.post("/api/portal/applications", apply(json!({"colour": "红", "since": "2026-02-28"}))).await;
        assert_eq!(s, 201, "{first}");

        // A change needs a reason; saved, it is version 2 and names what changed.
        let mut changed = new_item();
        changed["fields"][0]["label"] = json!("主色");
        changed["fee_yuan"] = json!(5);
        changed["reason"] = json!(" ");
        let (s, e) = admin.request("PUT", "/api/services/items/pet-registration-test", changed.clone()).await;
        assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("reason")), "{e}");
        changed["reason"] = json!("按新规收取工本费");
        let (s, r) = admin.request("PUT", "/api/services/items/pet-registration-test", changed.clone()).await;
        assert_eq!((s, r["version"].as_i64(), r["fee_yuan"].as_i64()), (200, Some(2), Some(5)), "{r}");
        changed["reason"] = json!("再次保存");
        let (_, same) = admin.request("PUT", "/api/services/items/pet-registration-test", changed.clone()).await;
        assert_eq!(same["version"], 2, "saving it unchanged adds no version");
        let (s, versions) = admin.get("/api/services/items/pet-registration-test/versions").await;
        assert_eq!(s, 200);
        let versions = versions.as_array().unwrap();
        assert_eq!(versions.iter().map(|v| v["version"].as_i64().unwrap()).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(versions[0]["changes"], json!(["fields", "fee_yuan"]));
        assert_eq!(
            (versions[0]["actor"].as_str(), versions[0]["reason"].as_str()),
            (Some("user:admin"), Some("按新规收取工本费"))
        );
        assert_eq!(versions[1]["item"]["fields"][0]["label"], "颜色", "the old version as it was");
        let (s, _) = me.get("/api/services/items/pet-registration-test/versions").await;
        assert!(s == 401 || s == 403, "versions are the administrators' ({s})");

        // The first application keeps version 1's form; a new one is filed under version 2.
        let (_, second) =
            me.post("/api/portal/applications", apply(json!({"colour": "蓝", "since": "2026-03-01"}))).await;
        let clerk_id = app.user("clerk", &[Role::ServiceClerk], station.id).await;
        assert!(clerk_id > 0);
        let clerk = app.login("clerk").await;
        let (_, list) = clerk.get("/api/services/applications?item=pet-registration-test").await;
        let by_no = |no: &Value| list["items"].as_array().unwrap().iter().find(|a| a["no"] == *no).unwrap().clone();
        assert_eq!(by_no(&first["no"])["item_version"], 1);
        assert_eq!(by_no(&second["no"])["item_version"], 2);
        let id = by_no(&first["no"])["id"].as_i64().unwrap();
        let (_, detail) = clerk.get(&format!("/api/services/applications/{id}")).await;
        let colour = detail["answers"].as_array().unwrap().iter().find(|a| a["key"] == "colour").unwrap().clone();
        assert_eq!((colour["label"].as_str(), colour["value"].as_str()), (Some("颜色"), Some("红")), "{detail}");

        // Retired, it is no longer on offer; what was filed stays.
        changed["active"] = json!(false);
        changed["reason"] = json!("事项取消");
        let (s, r) = admin.request("PUT", "/api/services/items/pet-registration-test", changed).await;
        assert_eq!((s, r["version"].as_i64(), r["active"].as_bool()), (200, Some(3), Some(false)));
        let (_, items) = app.anonymous().get("/api/services/items").await;
        assert!(!items.as_array().unwrap().iter().any(|i| i["code"] == "pet-registration-test"));
        let (s, e) = me.post("/api/portal/applications", apply(json!({"colour": "红", "since": "2026-03-01"}))).await;
        assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("item")), "{e}");
        let (_, list) = clerk.get("/api/services/applications?item=pet-registration-test").await;
        assert_eq!(list["total"], 2);
        let retired: i64 = ningan_store::sql::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'service.item.retire' AND object_id = 'pet-registration-test'",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
        assert_eq!(retired, 1, "the retirement is on the trail");
    }
);

on_both_backends!(the_catalogue_page_adds_an_item_marks_a_bad_row_and_lists_the_versions, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    app.user("admin", &[Role::Administrator], city.id).await;
    let station = app.station(330203, 1).await;
    app.user("clerk", &[Role::ServiceClerk], station.id).await;
    let admin = app.login("admin").await;

    let page = admin.raw_get("/services/catalogue?reach=crosscity").await.text().await.unwrap();
    assert!(
        page.contains("data-testid=\"count-citywide\">49<") && page.contains("data-testid=\"count-crosscity\">33<")
    );
    assert_eq!(page.matches("<tr data-code=").count(), 33, "the reach filter");
    let csv = admin.raw_get("/services/catalogue.csv?reach=citywide").await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 50, "a heading and the 49 city-wide items");

    let form = [
        ("code", "test-item"),
        ("name", "页面新增事项"),
        ("category", "户籍证明"),
        ("eligibility", "本人"),
        ("legal_basis", "《测试》"),
        ("fact.identity", "yes"),
        ("time_limit_days", "3"),
        ("fee_yuan", "0"),
        ("citywide", "yes"),
        ("active", "yes"),
        ("fields.1.key", "purpose"),
        ("fields.1.label", "用途"),
        ("fields.1.kind", "choice"),
        ("fields.1.options", "继承"),
        ("fields.1.required", "yes"),
    ];
    let (s, page) = admin.post_form("/services/catalogue", &form).await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-fields.1.options\""), "marked beside the row");
    assert!(page.contains("value=\"页面新增事项\""), "what was typed stays");
    let mut fixed = form.to_vec();
    fixed.retain(|(k, _)| *k != "fields.1.options");
    fixed.push(("fields.1.options", "继承、公证"));
    let r = admin.http.post(app.url("/services/catalogue")).form(&fixed).send().await.unwrap();
    assert_eq!(r.status(), 303, "saved and shown");
    let (_, item) = app.anonymous().get("/api/services/items/test-item").await;
    assert_eq!(item["fields"][0]["options"], json!(["继承", "公证"]), "{item}");

    let mut change = fixed.clone();
    change.retain(|(k, _)| *k != "code" && *k != "time_limit_days");
    change.push(("time_limit_days", "5"));
    change.push(("reason", "时限调整"));
    let r = admin.http.post(app.url("/services/catalogue/test-item")).form(&change).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = admin.raw_get("/services/catalogue/test-item?saved=1").await.text().await.unwrap();
    assert!(page.contains("data-testid=\"saved\""));
    assert!(
        page.contains("data-version=\"2\"") && page.contains("时限调整") && page.contains("办理时限"),
        "the versions"
    );

    let r = app.login("clerk").await.raw_get("/services/catalogue").await;
    assert_eq!(r.status(), 403, "a clerk does not keep the catalogue");
});
