//! Citizen services over HTTP: the catalogue, a citizen signing in with a code sent to the
//! registered phone, applying online for a city-wide item at a station of another district,
//! the clerk there accepting and approving it, the citizen following the timeline and rating
//! it, the station's ratings; counter entry and its refusals; the citizen's record of who
//! looked at their data and a questioned access reaching the auditors.

use crate::common;

use common::*;
use ningan_core::Role;
use serde_json::json;

fn id_number(app_seq: u16) -> String {
    ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), app_seq)
        .as_str()
        .to_string()
}

on_both_backends!(a_citizen_applies_online_and_a_station_in_another_district_handles_it, |b| async move {
    let app = spawn_app(b).await;
    let home = app.station(330203, 1).await;
    let other = app.station(330212, 1).await;
    app.user("clerk", &[Role::ServiceClerk], other.id).await;
    app.user("second_clerk", &[Role::ServiceClerk], other.id).await;
    app.user("home_clerk", &[Role::ServiceClerk], home.id).await;
    let resident = app.resident("申请人甲", 330203, 1, home.id).await;

    let (s, items) = app.anonymous().get("/api/services/items").await;
    assert_eq!(s, 200);
    let change = items.as_array().unwrap().iter().find(|i| i["code"] == "change-name").unwrap();
    assert_eq!(change["citywide"], true);
    assert!(items.as_array().unwrap().len() >= 15, "a realistic catalogue");

    // A wrong phone gets the same answer and no text.
    let (s, _) =
        app.anonymous().post("/api/portal/code", json!({"id_number": id_number(1), "phone": "13800000000"})).await;
    assert_eq!(s, 202);
    assert!(app.db.sms_last("13800000000").await.unwrap().is_none(), "no code for a number not registered");
    let (s, _) =
        app.anonymous().post("/api/portal/session", json!({"id_number": id_number(1), "code": "000000"})).await;
    assert_eq!(s, 401);
    let me = app.citizen(&id_number(1), "13912340001").await;

    let (s, e) = me
        .post(
            "/api/portal/applications",
            json!({"item": "change-name", "details": {"new_name": "申请人乙"}, "station_id": other.id}),
        )
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("details.reason")), "{e}");
    let (s, e) = me
        .post(
            "/api/portal/applications",
            json!({"item": "correct-id-number", "details": {"correct_id_number": id_number(3), "reason": "x"}, "station_id": other.id, "consent": true}),
        )
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("station")), "not city-wide: {e}");
    let change = json!({"item": "change-name", "details": {"new_name": "申请人乙", "reason": "本人意愿"}, "station_id": other.id});
    let (s, e) = me.post("/api/portal/applications", change.clone()).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("consent")), "agencies will be told: {e}");
    let mut change = change;
    change["consent"] = json!(true);
    let (s, filed) = me.post("/api/portal/applications", change).await;
    assert_eq!(s, 201, "{filed}");
    let (id, no) = (filed["id"].as_i64().unwrap(), filed["no"].as_str().unwrap().to_string());

    // The chosen station in Yinzhou handles it; the household station in Haishu does not see it.
    let home_clerk = app.login("home_clerk").await;
    let (s, _) = home_clerk.get(&format!("/api/services/applications/{id}")).await;
    assert_eq!(s, 404);
    let clerk = app.login("clerk").await;
    let (_, list) = clerk.get("/api/services/applications?status=submitted").await;
    assert_eq!(list["total"], 1, "{list}");
    let (s, e) = clerk.post(&format!("/api/services/applications/{id}/decide"), json!({"status": "approved"})).await;
    assert_eq!(s, 409, "accept before approving: {e}");
    let (s, _) = clerk.post(&format!("/api/services/applications/{id}/decide"), json!({"status": "accepted"})).await;
    assert_eq!(s, 200);
    // Away from the household station, the officer who accepted a register change does not
    // approve it alone: a second officer does.
    let (s, e) = clerk
        .post(&format!("/api/services/applications/{id}/decide"), json!({"status": "approved", "note": "准予变更"}))
        .await;
    assert_eq!(s, 409, "four eyes away from the household station: {e}");
    assert!(e["detail_en"].as_str().unwrap().contains("another officer"), "{e}");
    assert_eq!(app.db.resident_record(resident).await.unwrap().name, "申请人甲", "the register is unchanged");
    let second = app.login("second_clerk").await;
    let (s, d) = second
        .post(&format!("/api/services/applications/{id}/decide"), json!({"status": "approved", "note": "准予变更"}))
        .await;
    assert_eq!((s, d["application"]["status"].as_str()), (200, Some("approved")), "{d}");

    let (s, mine) = me.get(&format!("/api/portal/applications/{no}")).await;
    assert_eq!(s, 200);
    let steps: Vec<&str> = mine["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(steps, ["submitted", "accepted", "approved"], "{mine}");
    assert_eq!(mine["timeline"][2]["unit_name"], other.name);

    // Ratings: once, by the applicant only.
    let someone = app.resident("旁人丙", 330203, 2, home.id).await;
    let _ = someone;
    let other_citizen = app.citizen(&id_number(2), "13912340002").await;
    let (s, _) = other_citizen.get(&format!("/api/portal/applications/{no}")).await;
    assert_eq!(s, 404, "another citizen cannot read it");
    let (s, _) = other_citizen.post(&format!("/api/portal/applications/{no}/rating"), json!({"rating": 1})).await;
    assert_eq!(s, 409);
    let (s, _) = me.post(&format!("/api/portal/applications/{no}/rating"), json!({"rating": 9})).await;
    assert_eq!(s, 422);
    let (s, _) =
        me.post(&format!("/api/portal/applications/{no}/rating"), json!({"rating": 5, "comment": "很快"})).await;
    assert_eq!(s, 204);
    let (s, _) = me.post(&format!("/api/portal/applications/{no}/rating"), json!({"rating": 4})).await;
    assert_eq!(s, 409, "rated once");
    let (_, ratings) = clerk.get("/api/services/ratings").await;
    assert_eq!(
        (ratings[0]["unit_id"].as_i64(), ratings[0]["average"].as_f64()),
        (Some(other.id), Some(5.0)),
        "{ratings}"
    );

    // Who looked at my data: the clerk's view of the applicant's record shows with the unit.
    let (s, _) = clerk.get(&format!("/api/residents/{resident}")).await;
    assert_eq!(s, 404, "outside the clerk's station: not shown, not logged as a view");
    let (s, _) =
        home_clerk.post(&format!("/api/residents/{resident}/reveal"), json!({"purpose": "核对变更姓名申请"})).await;
    assert_eq!(s, 200);
    let (_, log) = me.get("/api/portal/data-access").await;
    let reveal = log["items"].as_array().unwrap().iter().find(|a| a["purpose"] == "核对变更姓名申请").cloned().unwrap();
    assert_eq!(reveal["unit"], home.name);
    assert!(!log.to_string().contains("home_clerk"), "officer names are withheld: {log}");
    let seq = reveal["seq"].as_i64().unwrap();
    let (s, _) =
        other_citizen.post(&format!("/api/portal/data-access/{seq}/flag"), json!({"reason": "不是我的记录"})).await;
    assert_eq!(s, 404, "only the person concerned may question an access");
    let (s, _) =
        me.post(&format!("/api/portal/data-access/{seq}/flag"), json!({"reason": "我没有办理过需要核对的业务"})).await;
    assert_eq!(s, 201);
    let (s, _) = me.post(&format!("/api/portal/data-access/{seq}/flag"), json!({"reason": "再问一次"})).await;
    assert_eq!(s, 409);
    app.user("auditor", &[Role::Auditor], home.id).await;
    let auditor = app.login("auditor").await;
    let (_, flags) = auditor.get("/api/audit/flags").await;
    assert_eq!(
        (flags["total"].as_i64(), flags["items"][0]["actor"].as_str()),
        (Some(1), Some("user:home_clerk")),
        "the auditors see who: {flags}"
    );
    let flag = flags["items"][0]["id"].as_i64().unwrap();
    // An auditor of another station neither sees nor closes it.
    app.user("other_auditor", &[Role::Auditor], other.id).await;
    let other_auditor = app.login("other_auditor").await;
    let (s, e) = other_auditor.post(&format!("/api/audit/flags/{flag}/resolve"), json!({"finding": "越权关闭"})).await;
    assert_eq!(s, 404, "{e}");
    let (s, _) = auditor
        .post(&format!("/api/audit/flags/{flag}/resolve"), json!({"finding": "系核对变更姓名申请，属正常访问"}))
        .await;
    assert_eq!(s, 204);
    let (s, _) = auditor.post(&format!("/api/audit/flags/{flag}/resolve"), json!({"finding": "再次"})).await;
    assert_eq!(s, 409);
    // The citizen reads the answer beside the access they questioned.
    let (_, log) = me.get("/api/portal/data-access").await;
    let answered = log["items"].as_array().unwrap().iter().find(|a| a["seq"] == seq).unwrap();
    assert_eq!(answered["finding"], "系核对变更姓名申请，属正常访问", "{answered}");
    let page = me.http.get(app.url("/portal/data-access")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"finding\"") && page.contains("属正常访问"));
    let (_, open) = auditor.get("/api/audit/flags?status=open").await;
    assert_eq!(open["total"], 0, "answered questions leave the open queue");
    let queue = auditor.http.get(app.url("/audit/questions")).send().await.unwrap().text().await.unwrap();
    assert!(queue.contains("属正常访问"), "the queue page shows the answer");
    let (s, _) = clerk.get("/api/audit/flags").await;
    assert_eq!(s, 403, "clerks do not read the flags");

    // Officers' sessions do not open the portal, and a citizen's does not open the workbench.
    let (s, _) = clerk.get("/api/portal/applications").await;
    assert_eq!(s, 401);
    let (s, _) = me.get("/api/services/applications").await;
    assert_eq!(s, 401);
});

on_both_backends!(a_clerk_enters_an_application_at_the_counter, |b| async move {
    let app = spawn_app(b).await;
    let home = app.station(330203, 1).await;
    let other = app.station(330206, 1).await;
    app.user("clerk", &[Role::ServiceClerk], other.id).await;
    app.user("station_admin", &[Role::Administrator], other.id).await;
    let city = app.unit("330200").await;
    app.user("admin", &[Role::Administrator], city.id).await;
    app.resident("申请人甲", 330203, 1, home.id).await;
    let clerk = app.login("clerk").await;
    let (s, e) = clerk
        .post("/api/services/applications", json!({"id_number": "330203198506010000", "item": "id-renewal"}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("id_number")), "{e}");
    let (s, r) =
        clerk.post("/api/services/applications", json!({"id_number": id_number(1), "item": "id-renewal"})).await;
    assert_eq!(s, 201, "{r}");
    let (_, list) = clerk.get("/api/services/applications").await;
    assert_eq!(list["items"][0]["unit_id"], other.id, "a city-wide item stays with the station that took it");
    // A register change at the counter needs the applicant's own confirmation: the code
    // texted to their registered phone, which the clerk never sees.
    let correction = json!({"id_number": id_number(1), "item": "correct-id-number", "consent": true, "details": {"correct_id_number": id_number(3), "reason": "录入错误"}});
    let (s, e) = clerk.post("/api/services/applications", correction.clone()).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("citizen_code")), "{e}");
    assert_eq!(e["errors"][0]["code"], "services.confirmation_needed", "each kind of refusal has its stable code");
    let mut wrong = correction.clone();
    wrong["citizen_code"] = json!("000000");
    let (s, e) = clerk.post("/api/services/applications", wrong).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("citizen_code")), "{e}");
    assert_eq!(e["errors"][0]["code"], "services.code_rejected");
    let code = counter_code(&app, &clerk, &id_number(1), "13912340001").await;
    // A household-station item taken elsewhere goes to the household station.
    let mut signed = correction;
    signed["citizen_code"] = json!(code);
    let (s, r) = clerk.post("/api/services/applications", signed).await;
    assert_eq!(s, 201, "{r}");
    let (_, list) = clerk.get("/api/services/applications").await;
    assert_eq!(list["total"], 1, "the correction was routed away: {list}");

    // Administrators edit the catalogue; bad edits change nothing.
    let admin = app.login("admin").await;
    let (s, e) = admin
        .request("PUT", "/api/services/items/id-renewal", json!({"name": "换领", "category": "居民身份证", "legal_basis": "x", "eligibility": "x", "facts": ["nope"], "time_limit_days": 5, "citywide": true, "crosscity": true, "reason": "测试"}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("facts")), "{e}");
    let (s, r) = admin
        .request("PUT", "/api/services/items/id-renewal", json!({"name": "居民身份证换领", "category": "居民身份证", "legal_basis": "《居民身份证法》", "eligibility": "本人", "facts": ["identity"], "time_limit_days": 15, "citywide": true, "crosscity": true, "reason": "按新规缩短时限"}))
        .await;
    assert_eq!((s, r["time_limit_days"].as_i64()), (200, Some(15)), "{r}");
    let (s, _) = clerk.request("PUT", "/api/services/items/id-renewal", json!({})).await;
    assert_eq!(s, 403);
    // The catalogue is the whole city's: a station's administrator does not edit it.
    let (s, _) = app.login("station_admin").await.request("PUT", "/api/services/items/id-renewal", json!({})).await;
    assert_eq!(s, 403);
});

/// Sends the applicant's confirmation code from the counter and reads it off their phone.
async fn counter_code(app: &TestApp, clerk: &Client, id_number: &str, phone: &str) -> String {
    let (s, r) = clerk.post("/api/services/counter/code", json!({"id_number": id_number})).await;
    assert_eq!(s, 202, "{r}");
    assert!(!r.to_string().contains(phone), "the clerk is not shown the phone: {r}");
    let text = app.db.sms_last(phone).await.unwrap().expect("a code was texted");
    text.chars().filter(char::is_ascii_digit).take(6).collect()
}

on_both_backends!(an_approved_id_number_correction_changes_the_register_once, |b| async move {
    let app = spawn_app(b).await;
    let home = app.station(330203, 1).await;
    app.user("clerk", &[Role::ServiceClerk], home.id).await;
    let resident = app.resident("更正人", 330203, 1, home.id).await;
    let correct = ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1985, 6, 2).unwrap(), 1);
    let clerk = app.login("clerk").await;
    let code = counter_code(&app, &clerk, &id_number(1), "13912340001").await;
    let (s, r) = clerk
        .post(
            "/api/services/applications",
            json!({"id_number": id_number(1), "item": "correct-id-number", "citizen_code": code, "consent": true,
                   "details": {"correct_id_number": "330203198506020000", "reason": "出生日期登记错误"}}),
        )
        .await;
    // The form's field is an ID number: an invalid one is refused beside it, nothing filed.
    assert_eq!((s, r["errors"][0]["field"].as_str()), (422, Some("details.correct_id_number")), "{r}");
    let (_, list) = clerk.get("/api/services/applications").await;
    assert_eq!(list["total"], 0, "{list}");

    // A code is good once.
    let code = counter_code(&app, &clerk, &id_number(1), "13912340001").await;
    let (s, r) = clerk
        .post(
            "/api/services/applications",
            json!({"id_number": id_number(1), "item": "correct-id-number", "citizen_code": code, "consent": true,
                   "details": {"correct_id_number": correct.as_str(), "reason": "出生日期登记错误"}}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let id = r["id"].as_i64().unwrap();
    clerk.post(&format!("/api/services/applications/{id}/decide"), json!({"status": "accepted"})).await;
    let (s, d) = clerk.post(&format!("/api/services/applications/{id}/decide"), json!({"status": "approved"})).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["changes"][0]["field"], "id_number");
    assert_eq!(app.db.resident_record(resident).await.unwrap().id_number, correct.as_str());
});

// The counter form is built from the catalogue: each item's own fields, labelled, with a
// missing one marked beside it and everything typed kept; a complete form files.
on_both_backends!(the_counter_form_shows_each_items_fields_and_marks_the_missing_one, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("clerk", &[Role::ServiceClerk], station.id).await;
    app.resident("申请人甲", 330203, 1, station.id).await;
    let clerk = app.login("clerk").await;
    let page = clerk.http.get(app.url("/services/applications")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"details.lost_at\"") && page.contains("丢失时间地点"), "the item's own field");
    assert!(!page.contains("字段=值"), "no key=value box");
    let number = id_number(1);
    let (s, page) = clerk
        .post_form(
            "/services/applications/counter",
            &[("id_number", number.as_str()), ("item", "id-loss"), ("details.lost_at", " "), ("consent", "yes")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        page.contains("data-testid=\"error-details.lost_at\""),
        "marked beside the field: {}",
        page.split("data-testid=\"form-summary\">").nth(1).unwrap_or(&page).chars().take(200).collect::<String>()
    );
    assert!(page.contains(&format!("value=\"{number}\"")), "the ID number typed comes back");
    assert!(!page.contains("details.lost_at："), "no field keys shown");
    let (s, page) = clerk
        .post_form(
            "/services/applications/counter",
            &[
                ("id_number", number.as_str()),
                ("item", "id-loss"),
                ("details.lost_at", "11月20日 天一广场"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{}", &page[..page.len().min(400)]);
    assert!(page.contains("data-testid=\"filed\""));
    let (_, list) = clerk.get("/api/services/applications").await;
    assert_eq!(list["items"][0]["details"]["lost_at"], "11月20日 天一广场", "{list}");
});

// The clerk's list filters by part of a number, name or item, sorts by deadline, and exports
// exactly the filtered rows to CSV and to an XLSX that opens as a spreadsheet; the export is
// audited under each applicant it names.
on_both_backends!(the_application_list_searches_sorts_and_exports_what_it_shows, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("clerk", &[Role::ServiceClerk], station.id).await;
    app.user("auditor", &[Role::Auditor], station.id).await;
    let first = app.resident("申请人甲", 330203, 1, station.id).await;
    app.resident("申请人乙", 330203, 2, station.id).await;
    let clerk = app.login("clerk").await;
    for (seq, item) in [(1, "id-renewal"), (2, "id-renewal"), (1, "id-temporary")] {
        let (s, r) = clerk.post("/api/services/applications", json!({"id_number": id_number(seq), "item": item})).await;
        assert_eq!(s, 201, "{r}");
    }
    let (_, found) = clerk.get("/api/services/applications?q=%E7%94%B2").await;
    assert_eq!(found["total"], 2, "by the applicant's name (甲): {found}");
    let (_, found) = clerk.get("/api/services/applications?item=id-temporary").await;
    assert_eq!(found["total"], 1);
    let no = found["items"][0]["no"].as_str().unwrap().to_string();
    let (_, by_no) = clerk.get(&format!("/api/services/applications?q={}", &no[no.len() - 6..])).await;
    assert_eq!(by_no["items"][0]["no"], no.as_str(), "by part of the number");
    let (_, sorted) = clerk.get("/api/services/applications?sort=deadline").await;
    let deadlines: Vec<&str> =
        sorted["items"].as_array().unwrap().iter().map(|a| a["deadline"].as_str().unwrap()).collect();
    assert!(deadlines.windows(2).all(|w| w[0] <= w[1]), "nearest deadline first: {deadlines:?}");
    assert_eq!(deadlines.len(), 3);
    let (s, e) = clerk.get("/api/services/applications?sort=name").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("sort")));
    let wild = clerk.get("/api/services/applications?q=%25").await.1;
    assert_eq!(wild["total"], 0, "a typed % is a character, not a wildcard");

    let list = clerk.http.get(app.url("/services/applications?size=50")).send().await.unwrap().text().await.unwrap();
    assert!(
        list.contains("data-testid=\"pager-size\"") && list.contains("<option value=\"50\" selected>"),
        "the size sticks"
    );
    let csv = clerk.http.get(app.url("/services/applications.csv?q=%E7%94%B2")).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("applications-"));
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 3, "a heading and the two filtered rows: {text}");
    assert!(text.contains("申请人甲") && !text.contains("申请人乙"));
    let xlsx = clerk.http.get(app.url("/services/applications.xlsx?item=id-renewal")).send().await.unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("applications").unwrap();
    assert_eq!(sheet.height(), 3, "a heading and the two id-renewal rows");
    let names: Vec<String> = sheet.rows().skip(1).map(|r| r[2].to_string()).collect();
    assert!(names.contains(&"申请人甲".to_string()) && names.contains(&"申请人乙".to_string()), "{names:?}");

    let auditor = app.login("auditor").await;
    let (_, trail) = auditor.get(&format!("/api/audit?person_id={first}&action=application.list")).await;
    assert!(trail["total"].as_i64().unwrap() >= 2, "lists and exports are audited under the applicant: {trail}");
});

on_both_backends!(a_poor_rating_is_answered_by_the_station_in_time_and_the_citizen_reads_the_answer, |b| async move {
    let app = spawn_app(b).await;
    let home = app.station(330203, 1).await;
    let other = app.station(330212, 1).await;
    app.user("clerk", &[Role::ServiceClerk], home.id).await;
    app.user("elsewhere", &[Role::ServiceClerk], other.id).await;
    app.resident("申请人甲", 330203, 1, home.id).await;
    let me = app.citizen(&id_number(1), "13912340001").await;
    let change = json!({"item": "change-name", "details": {"new_name": "申请人乙", "reason": "本人意愿"}, "station_id": home.id, "consent": true});
    let (s, filed) = me.post("/api/portal/applications", change).await;
    assert_eq!(s, 201, "{filed}");
    let (id, no) = (filed["id"].as_i64().unwrap(), filed["no"].as_str().unwrap().to_string());
    let clerk = app.login("clerk").await;
    for status in ["accepted", "approved"] {
        let (s, d) = clerk.post(&format!("/api/services/applications/{id}/decide"), json!({"status": status})).await;
        assert_eq!(s, 200, "{d}");
    }
    let (s, _) =
        clerk.post(&format!("/api/services/applications/{id}/reply"), json!({"reply": "感谢您的评价。"})).await;
    assert_eq!(s, 409, "nothing to answer before a poor rating");

    // A rating of 2 is due an answer within three days.
    let (s, _) =
        me.post(&format!("/api/portal/applications/{no}/rating"), json!({"rating": 2, "comment": "等了很久"})).await;
    assert_eq!(s, 204);
    let (_, mine) = me.get(&format!("/api/portal/applications/{no}")).await;
    let due = mine["application"]["reply_due"].as_str().expect("a due date").to_string();
    let due = chrono::DateTime::parse_from_rfc3339(&due).unwrap();
    let days = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((71..=72).contains(&days), "three days: {days} h");
    assert_eq!(
        (mine["application"]["reply"].as_str(), mine["application"]["reply_overdue"].as_bool()),
        (None, Some(false))
    );
    let (_, due_list) = clerk.get("/api/services/applications?reply_due=true").await;
    assert_eq!((due_list["total"].as_i64(), due_list["items"][0]["id"].as_i64()), (Some(1), Some(id)), "{due_list}");
    let (_, ratings) = clerk.get("/api/services/ratings").await;
    assert_eq!((ratings[0]["poor"].as_i64(), ratings[0]["unanswered"].as_i64()), (Some(1), Some(1)), "{ratings}");
    let (_, cockpit) = clerk.get("/api/cockpit").await;
    let counter = |c: &serde_json::Value| {
        c["counters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == "poor_ratings_unanswered")
            .map(|x| x["value"].clone())
    };
    assert_eq!(counter(&cockpit), Some(json!(1)), "{cockpit}");

    // Another district's clerk does not see it; a short answer is refused beside the field.
    let (s, _) = app
        .login("elsewhere")
        .await
        .post(&format!("/api/services/applications/{id}/reply"), json!({"reply": "已核实情况并改进。"}))
        .await;
    assert_eq!(s, 404);
    let (s, e) = clerk.post(&format!("/api/services/applications/{id}/reply"), json!({"reply": "好"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("reply")), "{e}");
    let answer = "您好，当天窗口人手不足致等候较久，已增开窗口并调整排班，感谢监督。";
    let (s, _) = clerk.post(&format!("/api/services/applications/{id}/reply"), json!({"reply": answer})).await;
    assert_eq!(s, 204);
    let (s, _) = clerk.post(&format!("/api/services/applications/{id}/reply"), json!({"reply": answer})).await;
    assert_eq!(s, 409, "answered once");
    let (s, page) = clerk.post_form(&format!("/services/applications/{id}/reply"), &[("reply", answer)]).await;
    assert_eq!(s, 422, "the page is shown again with the reason");
    assert!(page.contains("decide-error"), "the page says why");

    // The citizen reads it, on the API and the portal page; nothing is left to answer.
    let (_, mine) = me.get(&format!("/api/portal/applications/{no}")).await;
    assert_eq!(mine["application"]["reply"], answer, "{mine}");
    let portal =
        me.http.get(app.url(&format!("/portal/applications/{no}"))).send().await.unwrap().text().await.unwrap();
    assert!(portal.contains("rating-reply") && portal.contains("已增开窗口"), "the portal shows the answer");
    let (_, due_list) = clerk.get("/api/services/applications?reply_due=true").await;
    assert_eq!(due_list["total"], 0);
    let (_, cockpit) = clerk.get("/api/cockpit").await;
    assert_eq!(counter(&cockpit), Some(json!(0)));
});
