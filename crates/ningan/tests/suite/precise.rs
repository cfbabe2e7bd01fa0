//! Precise control end to end over HTTP: venues get codes, scans arrive in batches (the bad
//! ones refused by position and reason), a case is registered, and its investigation names
//! the exposure places, the close contact and the secondary contact under the rule used.

use crate::common;

use chrono::{Duration, Utc};
use common::*;
use ningan_core::Role;
use serde_json::{Value, json};

fn at(ago: Duration) -> String {
    (Utc::now() - ago).to_rfc3339()
}

async fn venue(officer: &Client, name: &str, kind: &str, unit_id: i64) -> Value {
    let (s, v) = officer
        .post(
            "/api/venues",
            json!({"name": name, "kind": kind, "address": "海曙区某路1号", "unit_id": unit_id, "lon": 121.55, "lat": 29.87}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

on_both_backends!(a_case_investigation_finds_close_and_secondary_contacts, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    let case = app.resident("病例甲", 330203, 1, station.id).await;
    let close = app.resident("密接乙", 330203, 2, station.id).await;
    let second = app.resident("次密丙", 330203, 3, station.id).await;
    let before = app.resident("无关丁", 330203, 4, station.id).await;
    let officer = app.login("officer").await;

    let restaurant = venue(&officer, "甬江面馆", "restaurant", station.id).await;
    let shop = venue(&officer, "鼓楼便利店", "shop", station.id).await;
    let code = |v: &Value| v["code"].as_str().unwrap_or_default().to_string();
    assert!(code(&restaurant).starts_with("NB"), "{restaurant}");

    let kept = [
        // The case and the close contact share the restaurant for half an hour.
        json!({"resident_id": case, "venue_code": code(&restaurant), "at": at(Duration::hours(50)), "left_at": at(Duration::hours(49))}),
        json!({"resident_id": close, "venue_code": code(&restaurant), "at": at(Duration::minutes(50 * 60 - 30)), "left_at": at(Duration::minutes(48 * 60 + 30))}),
        // The close contact later meets the secondary contact in the shop.
        json!({"resident_id": close, "venue_code": code(&shop), "at": at(Duration::hours(20)), "left_at": at(Duration::minutes(19 * 60 + 30))}),
        json!({"resident_id": second, "venue_code": code(&shop), "at": at(Duration::minutes(20 * 60 - 10)), "left_at": at(Duration::minutes(19 * 60 + 20))}),
        // In the shop before the close contact was exposed: not a secondary contact.
        json!({"resident_id": before, "venue_code": code(&shop), "at": at(Duration::hours(60)), "left_at": at(Duration::hours(59))}),
    ];
    let (s, r) = officer
        .post(
            "/api/checkins",
            json!({"checkins": [
                kept[0], kept[1], kept[2], kept[3], kept[4],
                // Refused, each with its reason; the rest are kept.
                {"resident_id": case, "venue_code": "NBNOSUCHCODE", "at": at(Duration::hours(1))},
                {"resident_id": 987654, "venue_code": code(&shop), "at": at(Duration::hours(1))},
                {"resident_id": case, "venue_code": code(&shop), "at": "yesterday"},
                {"resident_id": case, "venue_code": code(&shop), "at": at(Duration::hours(1)), "left_at": at(Duration::hours(2))},
                {"resident_id": case, "venue_code": code(&shop), "at": (Utc::now() + Duration::days(2)).to_rfc3339()},
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["accepted"], 5, "{r}");
    let reasons: Vec<(u64, &str)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["index"].as_u64().unwrap(), x["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (5, "unknown venue code"),
            (6, "unknown resident"),
            (7, "bad time"),
            (8, "end before start"),
            (9, "start in the future")
        ]
    );
    assert_eq!(r["rejected"][0]["reason_zh"], "场所码不存在");
    // The back end retries the batch (a timeout on its side): nothing is held twice, so the
    // overlaps below are not doubled.
    let (s, again) = officer.post("/api/checkins", json!({"checkins": [kept[0], kept[1], kept[2], kept[2]]})).await;
    assert_eq!((s, again["accepted"].as_u64(), again["duplicates"].as_u64()), (200, Some(0), Some(4)), "{again}");

    let epi = app.login("epi").await;
    let (s, c) = epi
        .post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(Duration::hours(1))}))
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["status_zh"], "确诊");
    let id = c["id"].as_i64().unwrap();
    let (s, dup) = epi
        .post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(Duration::hours(1))}))
        .await;
    assert_eq!(s, 409, "one case per person: {dup}");

    let (s, inv) = epi.get(&format!("/api/cases/{id}/investigation")).await;
    assert_eq!(s, 200, "{inv}");
    assert!(inv["rule"]["version"].as_str().unwrap().contains("第九版"), "{inv}");
    assert_eq!(inv["close_contacts"], 1);
    assert_eq!(inv["secondary_contacts"], 1);
    let places: Vec<&str> =
        inv["exposure_places"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(places, vec!["甬江面馆"]);

    let (s, page) = epi.get(&format!("/api/cases/{id}/contacts?tier=close")).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["resident_id"], close);
    assert_eq!(page["items"][0]["name"], "密接乙");
    // Half an hour with the case, and the half hour after it left that the buffer adds.
    assert_eq!(page["items"][0]["total_overlap_s"], 3600);
    let (_, page) = epi.get(&format!("/api/cases/{id}/contacts?tier=secondary")).await;
    assert_eq!(page["items"][0]["resident_id"], second, "{page}");
    assert_eq!(page["items"][0]["via_resident_id"], close);
    let (s, bad) = epi.get(&format!("/api/cases/{id}/contacts?tier=tertiary")).await;
    assert_eq!(s, 422, "{bad}");

    // Another edition of the rule, chosen for this investigation: two days back, not four.
    let (s, sixth) = epi.get(&format!("/api/cases/{id}/investigation?rule=sixth")).await;
    assert_eq!(s, 200, "{sixth}");
    assert_eq!((sixth["rule"]["key"].as_str(), sixth["rule"]["lookback_hours"].as_u64()), (Some("sixth"), Some(48)));
    assert!(sixth["rule"]["version"].as_str().unwrap().contains("第六版"), "{sixth}");
    let (s, e) = epi.get(&format!("/api/cases/{id}/investigation?rule=tenth")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("rule")), "{e}");
    let page = epi.raw_get(&format!("/precise/cases/{id}?rule=eighth")).await.text().await.unwrap();
    assert!(page.contains("第八版") && page.contains("rule=eighth"), "the page shows and keeps the edition");
    let csv = epi.raw_get(&format!("/precise/cases/{id}/contacts/export?rule=eighth")).await.text().await.unwrap();
    assert!(csv.contains("第八版") && csv.contains("密接乙"), "{csv}");

    // The line lists as files, each row naming the rule; the export is audited with it.
    let csv = epi.raw_get(&format!("/precise/cases/{id}/contacts/export?tier=close&format=csv")).await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("密接乙") && csv.contains("第九版") && csv.contains("60"), "{csv}");
    let secondary = epi.raw_get(&format!("/precise/cases/{id}/contacts/export?tier=secondary&format=csv")).await;
    let secondary = secondary.text().await.unwrap();
    assert!(
        secondary.contains("次密丙") && secondary.contains(&close.to_string()),
        "via the close contact: {secondary}"
    );
    let parquet = epi.raw_get(&format!("/precise/cases/{id}/contacts/export?tier=close&format=parquet")).await;
    assert_eq!(parquet.status(), 200);
    assert!(parquet.bytes().await.unwrap().starts_with(b"PAR1"));
    let xlsx = epi.raw_get(&format!("/precise/cases/{id}/contacts/export?tier=close&format=xlsx")).await;
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    assert_eq!(epi.raw_get(&format!("/precise/cases/{id}/contacts/export?format=pdf")).await.status(), 422);
    let filter = ningan_store::AuditFilter { action: Some("case.contacts.export".into()), ..Default::default() };
    let audited = app
        .db
        .audit_search(&ningan_store::Scope::everything(), &filter, ningan_store::PageRequest::default())
        .await
        .unwrap();
    assert!(audited.items.iter().any(|e| e.entry.detail.contains("第九版")), "{:?}", audited.items);

    // Common source: the contact falls ill too; the two cases met at the restaurant.
    let (s, c2) = epi
        .post("/api/cases", json!({"resident_id": close, "status": "asymptomatic", "onset_at": at(Duration::hours(2))}))
        .await;
    assert_eq!(s, 201, "{c2}");
    let (s, common) = epi.get(&format!("/api/common-sources?cases={id},{}", c2["id"])).await;
    assert_eq!(s, 200, "{common}");
    assert_eq!(common[0]["venue_name"], "甬江面馆", "{common}");
    assert_eq!(common[0]["case_ids"].as_array().unwrap().len(), 2, "{common}");
    let (s, e) = epi.get(&format!("/api/common-sources?cases={id}")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("cases")), "{e}");

    // The same check-ins as NDJSON: a line that is not a check-in is named, the rest kept.
    let ndjson = format!(
        "{}\nnot json\n{}\n",
        json!({"resident_id": before, "venue_code": code(&shop), "at": at(Duration::hours(3))}),
        json!({"resident_id": before, "venue_code": "NBNOSUCHCODE", "at": at(Duration::hours(3))})
    );
    let resp = officer
        .http
        .post(format!("{}/api/checkins/ndjson", officer.base))
        .header("content-type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let r: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(r["accepted"], 1, "{r}");
    let lines: Vec<u64> = r["rejected"].as_array().unwrap().iter().map(|x| x["index"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![1, 2], "line 2 unreadable, line 3 an unknown code (counted from 0): {r}");

    // The exposure places go public without the case's identity, as a page and as CAP.
    let (s, p) = epi.post(&format!("/api/cases/{id}/publish"), json!({"reason": ""})).await;
    assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("reason")), "publishing needs a reason: {p}");
    let (s, p) = epi.post(&format!("/api/cases/{id}/publish"), json!({"reason": "流调确认"})).await;
    assert_eq!((s, p["published"].as_u64()), (200, Some(1)), "{p}");
    let (_, again) = epi.post(&format!("/api/cases/{id}/publish"), json!({"reason": "复核"})).await;
    assert_eq!(again["published"], 0, "publishing twice adds nothing: {again}");
    let anon = app.anonymous();
    let (s, cap) = anon.get("/public/exposure.xml").await;
    let cap = cap.as_str().unwrap_or_default().to_string();
    assert_eq!(s, 200);
    assert!(cap.contains("urn:oasis:names:tc:emergency:cap:1.2") && cap.contains("甬江面馆"), "{cap}");
    assert!(!cap.contains("病例甲") && !cap.contains("密接乙"), "no names in public notices: {cap}");
    let (s, page) = anon.get("/public/exposure").await;
    assert_eq!(s, 200);
    assert!(page.as_str().unwrap_or_default().contains("甬江面馆"));

    // Listing contacts by name is a read of personal data: audited with the ids shown.
    let filter = ningan_store::AuditFilter { action: Some("resident.list".into()), ..Default::default() };
    let everything = ningan_store::Scope::everything();
    let audited = app.db.audit_search(&everything, &filter, ningan_store::PageRequest::default()).await.unwrap();
    assert!(audited.items.iter().any(|e| e.entry.detail.contains(&format!("shown {close}"))), "{:?}", audited.items);
    // The case list names the case: it is in the person's own access record, as the contact
    // listing is in the contact's.
    let (s, _) = epi.get("/api/cases").await;
    assert_eq!(s, 200);
    let seen = app.db.accesses_to(case, ningan_store::PageRequest::default()).await.unwrap();
    assert!(seen.items.iter().any(|a| a.action == "case.list"), "{:?}", seen.items);
    let seen = app.db.accesses_to(close, ningan_store::PageRequest::default()).await.unwrap();
    assert!(seen.items.iter().any(|a| a.action == "resident.list"), "{:?}", seen.items);
});

on_both_backends!(a_station_places_only_its_own_residents_at_a_venue, |b| async move {
    let app = spawn_app(b).await;
    let haishu = app.station(330203, 1).await;
    let beilun = app.station(330206, 1).await;
    app.user("officer", &[Role::StationOfficer], haishu.id).await;
    let own = app.resident("本所居民", 330203, 1, haishu.id).await;
    let elsewhere = app.resident("北仑居民", 330206, 2, beilun.id).await;
    let officer = app.login("officer").await;
    let shop = venue(&officer, "鼓楼便利店", "shop", haishu.id).await;
    let code = shop["code"].as_str().unwrap().to_string();
    let (s, r) = officer
        .post(
            "/api/checkins",
            json!({"checkins": [
                {"resident_id": own, "venue_code": code, "at": at(Duration::hours(2))},
                {"resident_id": elsewhere, "venue_code": code, "at": at(Duration::hours(2))},
            ]}),
        )
        .await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(1)), "{r}");
    assert_eq!(r["rejected"][0]["index"], 1, "{r}");
    assert_eq!(r["rejected"][0]["reason"], "unknown resident", "another district's resident is not known here: {r}");
    // A city-wide venue-code back end (a token of the city's unit) may name anyone.
    let city = app.unit("330200").await;
    app.user("admin", &[Role::Administrator], city.id).await;
    let (_, t) =
        app.login("admin").await.post("/api/tokens", json!({"name": "场所码平台", "scopes": ["checkin.write"]})).await;
    let platform = app.bearer(t["secret"].as_str().unwrap());
    let (s, r) = platform
        .post(
            "/api/checkins",
            json!({"checkins": [{"resident_id": elsewhere, "venue_code": code, "at": at(Duration::hours(2))}]}),
        )
        .await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(1)), "{r}");
});

on_both_backends!(ndjson_junk_counts_toward_the_limit_and_makes_a_small_answer, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    let officer = app.login("officer").await;
    let post = |body: String| {
        let officer = &officer;
        async move {
            let r = officer.http.post(format!("{}/api/checkins/ndjson", officer.base)).body(body).send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            (status, text)
        }
    };
    let (s, text) = post("{}\n".repeat(ningan::modules::precise::MAX_BATCH + 1)).await;
    assert_eq!(s, 422, "every line counts, readable or not: {}", &text[..text.len().min(300)]);
    let (s, text) = post("{}\n".repeat(5000)).await;
    assert_eq!(s, 200);
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["rejected_total"], 5000);
    assert_eq!(r["rejected"].as_array().unwrap().len(), 100, "refusals listed are capped");
    assert!(text.len() < 40_000, "a small answer: {} bytes", text.len());
});

on_both_backends!(bad_venues_and_cases_are_refused_by_field, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    let other = app.station(330206, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    let outsider = app.resident("外区戊", 330206, 5, other.id).await;
    let officer = app.login("officer").await;
    let base =
        json!({"name": "某店", "kind": "shop", "address": "某路", "unit_id": station.id, "lon": 121.55, "lat": 29.87});
    for (field, value, expect) in [
        ("kind", json!("castle"), "kind"),
        ("lon", json!(116.4), "lon"),
        ("name", json!(" "), "name"),
        ("code", json!("坏码"), "code"),
        ("unit_id", json!(other.id), "unit_id"),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let (s, e) = officer.post("/api/venues", body).await;
        assert_eq!(s, 422, "{field}: {e}");
        assert_eq!(e["errors"][0]["field"], expect, "{e}");
    }
    let (s, page) = officer.get("/api/venues").await;
    assert_eq!((s, page["total"].as_i64()), (200, Some(0)), "nothing was written: {page}");

    let epi = app.login("epi").await;
    let (s, e) = epi
        .post("/api/cases", json!({"resident_id": outsider, "status": "confirmed", "onset_at": at(Duration::hours(1))}))
        .await;
    assert_eq!(s, 422, "a resident outside the unit tree cannot be registered: {e}");
    let (s, e) = epi
        .post("/api/cases", json!({"resident_id": outsider, "status": "sick", "onset_at": at(Duration::hours(1))}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("status")), "{e}");
    let (s, e) =
        epi.post("/api/cases", json!({"resident_id": outsider, "status": "confirmed", "onset_at": "tomorrow"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("onset_at")), "{e}");
    let (s, e) = officer.post("/api/checkins", json!({"checkins": []})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("checkins")), "{e}");
});

on_both_backends!(a_csv_import_merges_one_person_listed_many_ways, |b| async move {
    use chrono::NaiveDate;
    use ningan_core::IdNumber;
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    let case = app.resident("病例甲", 330203, 1, station.id).await;
    let contact = app.resident("密接乙", 330203, 2, station.id).await;
    let id = |seq| IdNumber::synthesize(330203, NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), seq).as_str().to_string();
    let (case_id, contact_id) = (id(1), id(2));
    let t = at(Duration::hours(5));
    let csv = format!(
        "kind,name,id_number,birth_date,phone,status,time,case_id_number\n\
         case,病例甲,{case_id},,,confirmed,{t},\n\
         contact,密接乙,{contact_id},,,,{t},{case_id}\n\
         contact,密接乙,,1985-06-01,13912340002,,{t},{case_id}\n\
         contact,密接乙,{contact_id},,13912340002,,{t},{case_id}\n\
         contact,无名氏,,1985-06-01,13912349999,,{t},{case_id}\n\
         contact,某人,330203198506011234,,,,{t},{case_id}\n\
         case,某人,{contact_id},,,sick,{t},\n"
    );
    let epi = app.login("epi").await;
    let (s, r) = epi.post("/api/cases/import", json!({"csv": csv})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["rows"], 7);
    assert_eq!(r["people"], 3, "the case, the contact listed three ways, and one unknown: {r}");
    let merged: Vec<(u64, u64, &str)> = r["merged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["line"].as_u64().unwrap(), m["into_line"].as_u64().unwrap(), m["by"].as_str().unwrap()))
        .collect();
    assert_eq!(merged, vec![(4, 3, "name_birth_phone"), (5, 3, "id_number")]);
    assert_eq!((r["cases_created"].as_u64(), r["contacts_created"].as_u64()), (Some(1), Some(1)), "{r}");
    let refused: Vec<u64> = r["rejected"].as_array().unwrap().iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(refused, vec![6, 7, 8], "{r}");
    assert!(r["rejected"][0]["reason"].as_str().unwrap().contains("no resident matches"), "{r}");
    assert!(r["rejected"][1]["reason"].as_str().unwrap().contains("id_number"), "{r}");
    // The person exists once: one follow-up, one case; a second import adds nothing.
    let tasks = epi.get("/api/followups").await.1;
    assert_eq!(tasks["total"], 1, "{tasks}");
    assert_eq!(tasks["items"][0]["resident_id"], contact);
    let (_, again) = epi.post("/api/cases/import", json!({"csv": csv})).await;
    assert_eq!((again["cases_created"].as_u64(), again["cases_existing"].as_u64()), (Some(0), Some(1)), "{again}");
    assert_eq!(again["contacts_created"], 0, "{again}");
    let (_, cases) = epi.get("/api/cases").await;
    assert_eq!(cases["total"], 1);
    assert_eq!(cases["items"][0]["resident_id"], case);
    let (s, e) = epi.post("/api/cases/import", json!({"csv": "name,id\n"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("csv")), "{e}");
});

on_both_backends!(arrivals_are_screened_against_risk_areas_and_routed, |b| async move {
    use chrono::NaiveDate;
    use ningan_core::IdNumber;
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    let other = app.station(330203, 2).await;
    app.user("epi", &[Role::Epidemiologist], app.unit("330203").await.id).await;
    app.user("officer2", &[Role::StationOfficer], other.id).await;
    let registered = app.resident("返甬甲", 330203, 1, other.id).await;
    let id = |seq| IdNumber::synthesize(330203, NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), seq).as_str().to_string();
    let visitor = IdNumber::synthesize(310115, NaiveDate::from_ymd_opt(1990, 3, 3).unwrap(), 7).as_str().to_string();
    let epi = app.login("epi").await;
    let (s, _) = epi
        .post(
            "/api/risk-areas",
            json!({"name": "上海市浦东新区", "level": "high", "starts_at": at(Duration::days(10))}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, e) = epi.post("/api/risk-areas", json!({"name": "某地", "level": "extreme"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("level")), "{e}");
    let t = at(Duration::days(1));
    let csv = format!(
        "name,id_number,phone,origin,arrived_at,station_code\n\
         返甬甲,{},13900000001,上海市浦东新区张江镇,{t},{}\n\
         访客乙,{visitor},,杭州市西湖区,{t},{}\n\
         访客丙,{visitor},,杭州市西湖区,{t},{}\n\
         坏人,123,,上海市,{t},{}\n\
         无处,{},,上海市,{t},999999999\n",
        id(1),
        station.code,
        station.code,
        station.code,
        station.code,
        id(9)
    );
    let (s, r) = epi.post("/api/arrivals/import", json!({"csv": csv})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["rows"].as_u64(), r["added"].as_u64(), r["duplicates"].as_u64()), (Some(5), Some(2), Some(1)), "{r}");
    assert_eq!((r["high"].as_u64(), r["low"].as_u64()), (Some(1), Some(2)), "{r}");
    let refused: Vec<u64> = r["rejected"].as_array().unwrap().iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(refused, vec![5, 6], "{r}");
    // The registered traveller goes to their own station, not the one the list named.
    let officer2 = app.login("officer2").await;
    let (_, mine) = officer2.get("/api/arrivals").await;
    assert_eq!(mine["total"], 1, "{mine}");
    assert_eq!(mine["items"][0]["resident_id"], registered);
    assert_eq!(mine["items"][0]["risk"], "high");
    assert!(mine["items"][0]["id_number"].as_str().unwrap().contains('*'), "ID numbers are masked: {mine}");
    let arrival = mine["items"][0]["id"].as_i64().unwrap();
    let (s, _) = officer2.post(&format!("/api/arrivals/{arrival}/status"), json!({"status": "contacted"})).await;
    assert_eq!(s, 204);
    let (s, _) = officer2.post(&format!("/api/arrivals/{arrival}/status"), json!({"status": "lost"})).await;
    assert_eq!(s, 422);
    // The page lists the station's arrivals, masked, and moves one on.
    let page = officer2.http.get(app.url("/precise/arrivals?risk=high")).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("data-testid=\"arrival-row\"") && page.contains("已联系"),
        "the contacted traveller is listed"
    );
    assert!(page.contains(mine["items"][0]["id_number"].as_str().unwrap()), "the masked number, as in the API");
    let (s, _) = officer2.post_form(&format!("/precise/arrivals/{arrival}/status"), &[("status", "quarantined")]).await;
    assert_eq!(s, 303);
    let (_, after) = officer2.get("/api/arrivals").await;
    assert_eq!(after["items"][0]["status"], "quarantined");
});

// The workbench form registers a case by the ID number on the lab report; a typo is named
// beside the field, in the page's language, with what was typed kept.
on_both_backends!(the_case_form_takes_an_id_number_and_names_its_errors_beside_it, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    app.resident("病例甲", 330203, 1, station.id).await;
    let id = ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), 1);
    let epi = app.login("epi").await;
    let mut wrong = id.as_str().to_string();
    let last = if wrong.ends_with('0') { '1' } else { '0' };
    wrong.pop();
    wrong.push(last);
    let form = |number: &str| {
        [("id_number", number.to_string()), ("status", "confirmed".into()), ("onset_at", "2026-11-28T09:30".into())]
    };
    let typed = form(&wrong);
    let fields: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, page) = epi.post_form("/precise/cases", &fields).await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-id_number\""), "the error sits beside the field");
    assert!(page.contains(&format!("value=\"{wrong}\"")), "what was typed comes back");
    assert!(page.contains("2026-11-28T09:30"), "the other fields too");
    assert!(!page.contains("id_number："), "no field keys shown to the officer");

    let typed = form(id.as_str());
    let fields: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _) = epi.post_form("/precise/cases", &fields).await;
    assert_eq!(s, 303, "on to the new case");
    let (_, cases) = epi.get("/api/cases").await;
    assert_eq!(cases["total"], 1, "{cases}");
});

// A zone drawn wrong (no polygon, an end before now) comes back with each error beside its
// field, in English when the officer works in English, and the name as typed; nothing stored.
on_both_backends!(the_zone_form_names_its_errors_beside_the_fields_and_keeps_what_was_typed, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    let epi = app.login("epi").await;
    let unit = station.id.to_string();
    let base = [("name", "鼓楼封控区"), ("level", "controlled"), ("unit_id", unit.as_str())];
    let (s, page) = epi.post_form("/precise/zones", &base).await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-geometry\""), "the missing drawing is named beside the map's field");
    assert!(page.contains("value=\"鼓楼封控区\""), "the name comes back as typed");
    assert!(page.contains("<option value=\"controlled\" selected>"), "so does the level");
    assert!(!page.contains("geometry："), "no field keys");

    let (s, _) = epi.post_form("/account/language", &[("language", "en")]).await;
    assert!(s < 400, "{s}");
    let square = r#"{"type":"Polygon","coordinates":[[[121.55,29.87],[121.551,29.87],[121.551,29.871],[121.55,29.871],[121.55,29.87]]]}"#;
    let mut late = base.to_vec();
    late.extend([("geometry", square), ("planned_end", "2020-01-01T08:00")]);
    let (s, page) = epi.post_form("/precise/zones", &late).await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-planned_end\""), "{page}");
    assert!(page.contains("the planned end must be after the start"), "in English");
    let (_, zones) = epi.get("/api/zones").await;
    assert_eq!(zones["total"], 0, "nothing stored: {zones}");

    late.retain(|(k, _)| *k != "planned_end");
    let (s, _) = epi.post_form("/precise/zones", &late).await;
    assert_eq!(s, 303);
    let (_, zones) = epi.get("/api/zones").await;
    assert_eq!(zones["total"], 1);
});

// A venue's code prints as a poster with its QR code; another station's officer cannot open it.
on_both_backends!(a_venue_code_prints_as_a_poster_for_its_own_station_only, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    let other = app.station(330205, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("other_officer", &[Role::StationOfficer], other.id).await;
    let officer = app.login("officer").await;
    let v = venue(&officer, "甬江面馆", "restaurant", station.id).await;
    let (id, code) = (v["id"].as_i64().unwrap(), v["code"].as_str().unwrap().to_string());
    let r = officer.http.get(app.url(&format!("/precise/venues/{id}/poster"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let poster = r.text().await.unwrap();
    assert!(poster.contains("<svg") && poster.contains(&code) && poster.contains("甬江面馆"), "QR, code and name");
    let list = officer.http.get(app.url("/precise/venues")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains(&format!("/precise/venues/{id}/poster")), "the list links each poster");
    let stranger = app.login("other_officer").await;
    let r = stranger.http.get(app.url(&format!("/precise/venues/{id}/poster"))).send().await.unwrap();
    assert_eq!(r.status(), 404, "another station's venue is not found");
});

// Follow-ups are filtered by tier and moved many at a time: each person checked and audited
// on their own, a release only with a reason, and nothing outside the station's scope.
on_both_backends!(follow_ups_filter_by_tier_and_move_in_bulk_each_checked_and_audited, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    let elsewhere = app.station(330205, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    app.user("far", &[Role::StationOfficer], elsewhere.id).await;
    let case = app.resident("病例甲", 330203, 1, station.id).await;
    let contacts = [
        app.resident("密接乙", 330203, 2, station.id).await,
        app.resident("密接丙", 330203, 3, station.id).await,
        app.resident("密接丁", 330203, 4, station.id).await,
    ];
    let officer = app.login("officer").await;
    let epi = app.login("epi").await;
    let v = venue(&officer, "面馆", "restaurant", station.id).await;
    let code = v["code"].as_str().unwrap();
    let visits: Vec<_> = std::iter::once(case)
        .chain(contacts)
        .map(|r| json!({"resident_id": r, "venue_code": code, "at": at(Duration::hours(30)), "left_at": at(Duration::hours(29))}))
        .collect();
    assert_eq!(officer.post("/api/checkins", json!({"checkins": visits})).await.1["accepted"], 4);
    let c = epi
        .post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(Duration::hours(1))}))
        .await
        .1;
    epi.post(&format!("/api/cases/{}/contacts/confirm", c["id"]), json!({})).await;

    let (_, close) = officer.get("/api/followups?tier=close").await;
    assert_eq!(close["total"], 3, "{close}");
    let (_, secondary) = officer.get("/api/followups?tier=secondary").await;
    assert_eq!(secondary["total"], 0);
    let (s, e) = officer.get("/api/followups?tier=distant").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("tier")), "{e}");
    let ids: Vec<i64> = close["items"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect();

    // Two move together; then a mixed batch moves what may move and says why the rest did not.
    let (s, r) = officer.post("/api/followups/status", json!({"ids": [ids[0], ids[1]], "status": "transferred"})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["moved"], json!([ids[0], ids[1]]));
    let (s, r) =
        officer.post("/api/followups/status", json!({"ids": [ids[0], ids[2], 999_999], "status": "transferred"})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["moved"], json!([ids[2]]), "{r}");
    let refused: Vec<i64> = r["refused"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert_eq!(refused, [ids[0], 999_999], "already there, and not a follow-up of this station: {r}");
    // What is wrong with the request is refused as a whole and changes nothing.
    let (s, e) = officer.post("/api/followups/status", json!({"ids": ids, "status": "released"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("note")), "a release needs a reason: {e}");
    let (s, e) = officer.post("/api/followups/status", json!({"ids": [], "status": "quarantined"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("ids")));
    let (_, still) = officer.get("/api/followups?status=transferred").await;
    assert_eq!(still["total"], 3, "nothing was released: {still}");
    // Another station's officer moves nothing of them.
    let far = app.login("far").await;
    let (_, r) = far.post("/api/followups/status", json!({"ids": ids, "status": "quarantined"})).await;
    assert_eq!((r["moved"].as_array().map(Vec::len), r["refused"].as_array().map(Vec::len)), (Some(0), Some(3)), "{r}");

    // The page's bulk form: a release without a reason comes back with the error beside it.
    let ticked: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut form: Vec<(&str, &str)> = ticked.iter().map(|id| ("ids", id.as_str())).collect();
    form.extend([("bulk_status", "released"), ("reason", ""), ("tier", "close")]);
    let (s, page) = officer.post_form("/precise/followups/bulk", &form).await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-reason\""), "beside the reason field");
    let mut form: Vec<(&str, &str)> = ticked.iter().map(|id| ("ids", id.as_str())).collect();
    form.extend([("bulk_status", "quarantined"), ("reason", ""), ("tier", "close")]);
    let r = officer.http.post(app.url("/precise/followups/bulk")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    assert!(back.contains("tier=close") && back.contains("moved=3"), "back to the same list: {back}");
    let page = officer.http.get(app.url(&back)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已更新3人"), "the page says what happened");
    let (_, quarantined) = officer.get("/api/followups?status=quarantined").await;
    assert_eq!(quarantined["total"], 3);

    // The filtered list as a file, and the export read in each person's record.
    let csv = officer.http.get(app.url("/precise/followups.csv?tier=close&status=quarantined")).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 4, "a heading and the three: {text}");
    assert!(text.contains("密接乙") && text.contains("隔离中"), "{text}");
    let text = far.http.get(app.url("/precise/followups.csv")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text.lines().count(), 1, "another station exports only the heading: {text}");

    // Each person's move is in their own access record.
    for person in contacts {
        let seen = app.db.accesses_to(person, ningan_store::PageRequest::new(None, Some(100))).await.unwrap();
        let moves = seen.items.iter().filter(|a| a.action == "followup.status").count();
        assert_eq!(moves, 2, "notified → transferred → quarantined, each audited for {person}");
    }
});

// What the interview tells where no code was scanned: a stay at a venue joins the contact
// search (the person who scanned there then becomes a close contact), a place without one
// joins the exposure places; bad entries are refused field by field, beside the field on the
// page too, and change nothing.
on_both_backends!(interview_trajectories_join_the_contact_search_and_the_exposure_places, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    let case = app.resident("病例戊", 330203, 5, station.id).await;
    let met = app.resident("同店己", 330203, 6, station.id).await;
    let officer = app.login("officer").await;
    let market = venue(&officer, "鼓楼菜场", "market", station.id).await;
    let code = market["code"].as_str().unwrap().to_string();
    let (from, to) = (at(Duration::hours(30)), at(Duration::hours(29)));
    let (s, r) = officer
        .post(
            "/api/checkins",
            json!({"checkins": [{"resident_id": met, "venue_code": code, "at": from, "left_at": to}]}),
        )
        .await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(1)), "{r}");
    let epi = app.login("epi").await;
    let (s, c) = epi
        .post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(Duration::hours(1))}))
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_i64().unwrap();
    let inv = |epi: Client| async move { epi.get(&format!("/api/cases/{id}/investigation")).await.1 };
    assert_eq!(inv(epi.clone()).await["close_contacts"], 0, "no scan of the case's own");

    let path = format!("/api/cases/{id}/trajectory");
    let (s, e) = epi.post(&path, json!({"address": "", "lon": 0.0, "lat": 0.0, "from": "x", "to": ""})).await;
    assert_eq!(s, 422, "{e}");
    let fields: Vec<&str> = e["errors"].as_array().unwrap().iter().filter_map(|x| x["field"].as_str()).collect();
    for f in ["address", "lon", "from", "to"] {
        assert!(fields.contains(&f), "{f} refused: {e}");
    }
    let (s, e) = epi.post(&path, json!({"venue_code": "NBNOSUCH", "from": from, "to": to})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("venue_code")), "{e}");
    let (s, e) = epi.post(&path, json!({"venue_code": code, "from": to, "to": from})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("to")), "{e}");
    // Past the engine's retention: refused before anything is stored.
    let (s, e) = epi
        .post(&path, json!({"venue_code": code, "from": at(Duration::days(40)), "to": at(Duration::days(40) - Duration::hours(1))}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("from")), "{e}");
    assert_eq!(epi.get(&path).await.1.as_array().map(Vec::len), Some(0), "nothing kept from refusals");
    assert_eq!(officer.post(&path, json!({"venue_code": code, "from": from, "to": to})).await.0, 403);

    let (s, e) = epi.post(&path, json!({"venue_code": code, "from": from, "to": to, "note": "自述买菜"})).await;
    assert_eq!(s, 201, "{e}");
    assert_eq!(e["address"], "鼓楼菜场");
    let after = inv(epi.clone()).await;
    assert_eq!(after["close_contacts"], 1, "the stay told joins the contact search: {after}");
    let (s, e) = epi
        .post(&path, json!({"address": "海曙区某小区北门", "lon": 121.55, "lat": 29.87, "from": at(Duration::hours(10)), "to": at(Duration::hours(9))}))
        .await;
    assert_eq!(s, 201, "{e}");
    let places = inv(epi.clone()).await["exposure_places"].clone();
    assert!(
        places.as_array().unwrap().iter().any(|p| p["name"] == "海曙区某小区北门" && p["kind_zh"] == "访谈轨迹"),
        "{places}"
    );
    assert_eq!(epi.get(&path).await.1.as_array().map(Vec::len), Some(2));

    // The page's form keeps what was typed and names the refused field beside it.
    let page = epi.raw_get(&format!("/precise/cases/{id}")).await.text().await.unwrap();
    assert!(page.contains("海曙区某小区北门") && page.contains("trajectory-form"), "listed with the form");
    let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let (s, body) = epi
        .post_form(
            &format!("/precise/cases/{id}/trajectory"),
            &[
                ("csrf_token", &csrf),
                ("address", "某处"),
                ("lon", "200"),
                ("lat", "29"),
                ("from", "2026-01-01T10:00"),
                ("to", "2026-01-01T11:00"),
            ],
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body.contains("data-testid=\"error-lon\"") && body.contains("value=\"某处\""),
        "beside the field, as typed"
    );
});

// Carriers' cell stays give a case its companions (时空伴随): the same cell for more than ten
// minutes. A registered number is the resident; any other number is a pseudonym whose digits
// are never kept, joined to the resident once the number is registered. Bad stays are
// refused by position and reason, repeats are held once, and only a carrier's token may send.
on_both_backends!(cell_stays_give_a_case_its_companions_registered_or_not, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    app.user("admin", &[Role::Administrator], station.id).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    let case = app.resident("病例庚", 330203, 11, station.id).await;
    let companion = app.resident("伴随辛", 330203, 12, station.id).await;
    app.resident("路过壬", 330203, 13, station.id).await;
    app.resident("远处癸", 330203, 14, station.id).await;
    let (s, t) = app
        .login("admin")
        .await
        .post("/api/tokens", json!({"name": "运营商信令驻留", "scopes": ["cellstay.write"], "days": 30}))
        .await;
    assert_eq!(s, 201, "{t}");
    let carrier = app.bearer(t["secret"].as_str().unwrap());
    let stay = |phone: &str, lat: f64, lng: f64, from: Duration, to: Duration| json!({"phone": phone, "lat": lat, "lng": lng, "at": at(from), "left_at": at(to)});
    let (lat, lng) = (29.8683, 121.5440);
    let h = Duration::hours;
    let m = Duration::minutes;
    let stays = json!({"stays": [
        stay("13912340011", lat, lng, h(30), h(20)),
        stay("+86 139 1234 0012", lat, lng, h(25), h(25) - m(30)),
        stay("13912340013", lat, lng, h(25), h(25) - m(5)),
        stay("13912340014", 29.95, 121.70, h(25), h(24)),
        stay("17012345678", lat, lng, h(26), h(25)),
        stay("12345", lat, lng, h(26), h(25)),
        stay("13912340012", 95.0, lng, h(26), h(25)),
        json!({"phone": "13912340012", "lat": lat, "lng": lng, "at": "yesterday", "left_at": at(h(1))}),
        stay("13912340012", lat, lng, h(40), h(10)),
    ]});
    let (s, r) = carrier.post("/api/cellstays", stays.clone()).await;
    assert_eq!((s, r["accepted"].as_u64(), r["rejected_total"].as_u64()), (200, Some(5), Some(4)), "{r}");
    let reasons: Vec<(u64, &str)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["index"].as_u64().unwrap(), x["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [(5, "bad phone"), (6, "bad position"), (7, "bad time"), (8, "stay longer than 24 hours")],
        "{r}"
    );
    let (s, again) = carrier.post("/api/cellstays", stays).await;
    assert_eq!((s, again["accepted"].as_u64(), again["duplicates"].as_u64()), (200, Some(0), Some(5)), "{again}");
    let officer = app.login("officer").await;
    assert_eq!(officer.post("/api/cellstays", json!({"stays": []})).await.0, 403, "officers are not carriers");
    let (s, e) = carrier.post("/api/cellstays", json!({"stays": []})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("stays")), "{e}");
    let ndjson = format!("{}\nnot json\n", stay("13912340013", lat, lng, h(3), h(2)));
    let r = carrier.http.post(app.url("/api/cellstays/ndjson")).body(ndjson).send().await.unwrap();
    let (s, r) = status_json(r).await;
    assert_eq!((s, r["accepted"].as_u64(), r["rejected"][0]["index"].as_u64()), (200, Some(1), Some(1)), "{r}");

    let epi = app.login("epi").await;
    let (s, c) =
        epi.post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(h(1))})).await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_i64().unwrap();
    let (s, inv) = epi.get(&format!("/api/cases/{id}/investigation")).await;
    assert_eq!((s, inv["companions"].as_u64()), (200, Some(2)), "over ten minutes in the case's cell: {inv}");
    assert_eq!(inv["close_contacts"], 0, "a cell is where companions meet, not a shared place: {inv}");
    let (s, list) = epi.get(&format!("/api/cases/{id}/contacts?tier=companion")).await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    // The longer share first: the unregistered number's hour, then the resident's half hour.
    assert_eq!((items[0]["resident_id"].clone(), items[0]["pseudonym"].as_str()), (Value::Null, Some("P-000001")));
    assert_eq!(items[0]["total_overlap_s"], 3600);
    assert_eq!((items[1]["resident_id"].as_i64(), items[1]["name"].as_str()), (Some(companion), Some("伴随辛")));
    assert_eq!(items[1]["total_overlap_s"], 1800);
    assert_eq!(items[1]["cells"].as_array().map(Vec::len), Some(1), "{list}");
    assert!(!list.to_string().contains("17012345678") && !list.to_string().contains("5678"), "{list}");
    let (s, e) = epi.get(&format!("/api/cases/{id}/contacts?tier=nearby")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("tier")), "{e}");
    // The number itself is kept nowhere: only its keyed hash.
    let kept: Vec<(String,)> =
        sqlx::query_as("SELECT phone_key FROM cell_pseudonyms").fetch_all(app.db.reader()).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].0.len() == 64 && !kept[0].0.contains("17012345678"), "{kept:?}");

    // Registered later, the number's next stay joins its pseudonym to the resident.
    let mut w = app.db.write().await.unwrap();
    let joined = w
        .resident_insert(
            &actor(),
            &ningan_store::Scope::everything(),
            &ningan_store::NewResident {
                name: "后登记子".into(),
                id_number: ningan_core::IdNumber::synthesize(
                    330203,
                    chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
                    15,
                ),
                phone: Some(ningan_core::Phone::parse("17012345678").unwrap()),
                hukou_address: "宁波市测试路2号".into(),
                residence_address: None,
                unit_id: station.id,
            },
        )
        .await
        .unwrap();
    w.commit().await.unwrap();
    let (s, r) =
        carrier.post("/api/cellstays", json!({"stays": [stay("17012345678", 29.95, 121.70, h(5), h(4))]})).await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(1)), "{r}");
    let (_, list) = epi.get(&format!("/api/cases/{id}/contacts?tier=companion")).await;
    assert_eq!(
        (list["items"][0]["resident_id"].as_i64(), list["items"][0]["name"].as_str()),
        (Some(joined.id), Some("后登记子"))
    );

    // The page's tab, and the line list with the companion rule.
    let page = epi.raw_get(&format!("/precise/cases/{id}?tier=companion")).await.text().await.unwrap();
    assert!(
        page.contains("tab-companion") && page.contains("伴随辛") && page.contains("时空伴随"),
        "companions on the page"
    );
    let csv = epi.raw_get(&format!("/precise/cases/{id}/contacts/export?tier=companion&format=csv")).await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("伴随辛") && csv.contains("时空伴随 (10 min / 30 h / 14 d)"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "header and two companions: {csv}");
});

// Visitors and the floating population: recorded by the station where they stay (every
// field checked, one record per document), they check in and are traced like residents,
// their names show to that station only, and once matched to the register they count as the
// resident.
on_both_backends!(a_visitor_checks_in_and_is_traced_like_a_resident, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    let other = app.station(330203, 2).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("officer_b", &[Role::StationOfficer], other.id).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    app.user("admin", &[Role::Administrator], station.id).await;
    let case = app.resident("病例丑", 330203, 21, station.id).await;
    let local = app.resident("本地寅", 330203, 22, station.id).await;
    let officer = app.login("officer").await;

    let (s, e) = officer.post("/api/visitors", json!({})).await;
    assert_eq!(s, 422, "{e}");
    let fields: Vec<&str> = e["errors"].as_array().unwrap().iter().filter_map(|x| x["field"].as_str()).collect();
    for f in ["name", "document_type", "document_number", "staying_address"] {
        assert!(fields.contains(&f), "{f} refused: {e}");
    }
    let visitor = |name: &str, kind: &str, number: &str, phone: &str| json!({"name": name, "document_type": kind, "document_number": number, "phone": phone, "staying_address": "海曙区某宾馆301"});
    let (s, e) = officer.post("/api/visitors", visitor("访客甲", "id_card", "330203198506010000", "")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("document_number")), "{e}");
    let (s, e) = officer.post("/api/visitors", visitor("访客甲", "passport", "E1234", "12345")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("phone")), "{e}");
    let (s, v) = officer.post("/api/visitors", visitor("访客甲", "passport", "e 1234 5678", "17098765432")).await;
    assert_eq!(s, 201, "{v}");
    let vid = v["id"].as_i64().unwrap();
    assert_eq!((v["document_masked"].as_str(), v["phone_masked"].as_str()), (Some("E*******8"), Some("170****5432")));
    assert!(!v.to_string().contains("E12345678") && !v.to_string().contains("17098765432"), "masked: {v}");
    let (s, e) = officer.post("/api/visitors", visitor("访客甲", "passport", "E12345678", "")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("document_number")), "one record per document: {e}");
    // An ID card already in the register is matched at once.
    let local_id = ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), 22);
    let (s, m) = officer.post("/api/visitors", visitor("本地寅", "id_card", local_id.as_str(), "")).await;
    assert_eq!((s, m["resident_id"].as_i64()), (201, Some(local)), "{m}");
    // Another station sees none of them.
    let officer_b = app.login("officer_b").await;
    assert_eq!(officer_b.get("/api/visitors").await.1["total"], 0);
    assert_eq!(officer_b.get(&format!("/api/visitors/{vid}")).await.0, 404);
    let (s, list) = officer.get("/api/visitors?q=访客").await;
    assert_eq!((s, list["total"].as_i64()), (200, Some(1)), "name prefix: {list}");

    // Check-ins name the visitor; one naming both, or another station's visitor, is refused.
    let code = venue(&officer, "鼓楼面馆", "restaurant", station.id).await["code"].as_str().unwrap().to_string();
    let (from, to) = (at(Duration::hours(30)), at(Duration::hours(29)));
    let (s, r) = officer
        .post(
            "/api/checkins",
            json!({"checkins": [
                {"resident_id": case, "venue_code": code, "at": from, "left_at": to},
                {"visitor_id": vid, "venue_code": code, "at": from, "left_at": to},
                {"resident_id": case, "visitor_id": vid, "venue_code": code, "at": from, "left_at": to},
            ]}),
        )
        .await;
    assert_eq!((s, r["accepted"].as_u64(), r["rejected"][0]["index"].as_u64()), (200, Some(2), Some(2)), "{r}");
    let (_, r) = officer_b
        .post(
            "/api/checkins",
            json!({"checkins": [{"visitor_id": vid, "venue_code": code, "at": from, "left_at": to}]}),
        )
        .await;
    assert_eq!(r["rejected"][0]["reason"], "unknown resident", "{r}");
    // A carrier's stays find the visitor by number.
    let (_, t) =
        app.login("admin").await.post("/api/tokens", json!({"name": "运营商", "scopes": ["cellstay.write"]})).await;
    let carrier = app.bearer(t["secret"].as_str().unwrap());
    let stay = |phone: &str| json!({"phone": phone, "lat": 29.87, "lng": 121.55, "at": at(Duration::hours(20)), "left_at": at(Duration::hours(19))});
    let (s, r) = carrier.post("/api/cellstays", json!({"stays": [stay("13912340021"), stay("17098765432")]})).await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(2)), "{r}");

    let epi = app.login("epi").await;
    let (_, c) = epi
        .post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(Duration::hours(1))}))
        .await;
    let id = c["id"].as_i64().unwrap();
    let (_, inv) = epi.get(&format!("/api/cases/{id}/investigation")).await;
    assert_eq!((inv["close_contacts"].as_u64(), inv["companions"].as_u64()), (Some(1), Some(1)), "{inv}");
    for tier in ["close", "companion"] {
        let (_, list) = epi.get(&format!("/api/cases/{id}/contacts?tier={tier}")).await;
        let item = &list["items"][0];
        assert_eq!((item["visitor_id"].as_i64(), item["name"].as_str()), (Some(vid), Some("访客甲")), "{tier}: {list}");
        assert_eq!(item["resident_id"], Value::Null);
    }
    let page = epi.raw_get(&format!("/precise/cases/{id}")).await.text().await.unwrap();
    assert!(page.contains("访客甲") && page.contains("visitor-contact"), "the visitor on the investigation page");

    // Confirmed, the visitor becomes a task at the station where they stay, worked forward.
    let (s, r) = epi.post(&format!("/api/cases/{id}/contacts/confirm"), json!({})).await;
    assert_eq!((s, r["added_visitors"].as_u64(), r["added_close"].as_u64()), (200, Some(1), Some(0)), "{r}");
    let (_, again) = epi.post(&format!("/api/cases/{id}/contacts/confirm"), json!({})).await;
    assert_eq!((again["added_visitors"].as_u64(), again["updated_visitors"].as_u64()), (Some(0), Some(1)), "{again}");
    let (s, tasks) = officer.get("/api/visitor-followups").await;
    assert_eq!((s, tasks.as_array().map(Vec::len)), (200, Some(1)), "{tasks}");
    assert_eq!((tasks[0]["visitor_name"].as_str(), tasks[0]["tier"].as_str()), (Some("访客甲"), Some("close")));
    assert_eq!(
        officer_b.get("/api/visitor-followups").await.1.as_array().map(Vec::len),
        Some(0),
        "not another station's"
    );
    let task = tasks[0]["id"].as_i64().unwrap();
    let (s, e) = officer.post(&format!("/api/visitor-followups/{task}/status"), json!({"status": "notified"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("status")), "forward only: {e}");
    let (s, _) =
        officer_b.post(&format!("/api/visitor-followups/{task}/status"), json!({"status": "transferred"})).await;
    assert_eq!(s, 404, "another station's task does not exist for them");
    let (s, _) = officer.post(&format!("/api/visitor-followups/{task}/status"), json!({"status": "transferred"})).await;
    assert_eq!(s, 204);
    let page = officer.raw_get("/precise/visitors").await.text().await.unwrap();
    assert!(page.contains("visitor-task") && page.contains("已转运"), "the task on the visitors page");
    let (_, cockpit) = officer.get("/api/cockpit").await;
    let counter =
        |k: &str| cockpit["counters"].as_array().unwrap().iter().find(|c| c["key"] == k).map(|c| c["value"].clone());
    assert_eq!(counter("visitor_followups"), Some(json!(1)), "the cockpit counts the visitor's open task");

    // Matched to the register later: the visitor counts as the resident.
    let later = app.resident("访客甲", 330203, 23, station.id).await;
    let later_id = ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), 23);
    let (s, e) = officer_b.post(&format!("/api/visitors/{vid}/match"), json!({"id_number": later_id.as_str()})).await;
    assert!(s == 404 || s == 422, "another station cannot match: {s} {e}");
    let (s, m) = officer.post(&format!("/api/visitors/{vid}/match"), json!({"id_number": later_id.as_str()})).await;
    assert_eq!((s, m["resident_id"].as_i64()), (200, Some(later)), "{m}");
    let (_, list) = epi.get(&format!("/api/cases/{id}/contacts?tier=close")).await;
    assert_eq!(
        (list["items"][0]["resident_id"].as_i64(), list["items"][0]["visitor_id"].clone()),
        (Some(later), Value::Null)
    );

    // The page: refusals beside the fields, what was typed kept.
    let page = officer.raw_get("/precise/visitors").await.text().await.unwrap();
    assert!(page.contains("visitor-form") && page.contains("访客甲"), "listed with the form");
    let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let (s, body) = officer
        .post_form(
            "/precise/visitors",
            &[
                ("csrf_token", &csrf),
                ("name", "访客卯"),
                ("document_type", "passport"),
                ("document_number", "!"),
                ("phone", ""),
                ("staying_address", ""),
            ],
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body.contains("error-document_number") && body.contains("error-staying_address") && body.contains("访客卯")
    );
});

// Secondary tracing at mass venues: a close contact's window at a place more crowded than
// `trace.crowd_cap` is listed among the exposure places instead of making everyone there a
// secondary contact; every other secondary contact is one row with the number of close
// contacts linking them.
on_both_backends!(crowded_places_are_exposure_places_and_secondary_contacts_count_their_links, |b| async move {
    let app = spawn_app_configured(b, |c| c.trace.crowd_cap = 2).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("epi", &[Role::Epidemiologist], station.id).await;
    let mut people = Vec::new();
    for (i, name) in ["病例午", "密接未", "密接申", "次密酉", "市场戌", "市场亥", "市场子"].iter().enumerate()
    {
        people.push(app.resident(name, 330203, 40 + i as u16, station.id).await);
    }
    let (case, c1, c2, x) = (people[0], people[1], people[2], people[3]);
    let officer = app.login("officer").await;
    let code = |v: Value| v["code"].as_str().unwrap().to_string();
    let restaurant = code(venue(&officer, "面馆", "restaurant", station.id).await);
    let shop = code(venue(&officer, "便利店", "shop", station.id).await);
    let market = code(venue(&officer, "大菜场", "market", station.id).await);
    let h = Duration::hours;
    let visit = |person: i64, code: &str, from: Duration, to: Duration| json!({"resident_id": person, "venue_code": code, "at": at(from), "left_at": at(to)});
    let mut checkins = vec![
        visit(case, &restaurant, h(30), h(29)),
        visit(c1, &restaurant, h(30), h(29)),
        visit(c2, &restaurant, h(30), h(29)),
        visit(c1, &shop, h(20), h(19)),
        visit(c2, &shop, h(20), h(19)),
        visit(x, &shop, h(20), h(19)),
        visit(c1, &market, h(10), h(9)),
    ];
    for m in &people[4..] {
        checkins.push(visit(*m, &market, h(10), h(9)));
    }
    let (s, r) = officer.post("/api/checkins", json!({"checkins": checkins})).await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(10)), "{r}");
    let epi = app.login("epi").await;
    let (_, c) =
        epi.post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": at(h(1))})).await;
    let id = c["id"].as_i64().unwrap();
    let (_, inv) = epi.get(&format!("/api/cases/{id}/investigation")).await;
    assert_eq!((inv["close_contacts"].as_u64(), inv["secondary_contacts"].as_u64()), (Some(2), Some(1)), "{inv}");
    assert_eq!(inv["crowded_places"], 1, "{inv}");
    let places = inv["exposure_places"].as_array().unwrap();
    assert!(places.iter().any(|p| p["name"] == "大菜场" && p["kind_zh"].as_str().unwrap().contains("3 人次")), "{inv}");
    let (_, list) = epi.get(&format!("/api/cases/{id}/contacts?tier=secondary")).await;
    let item = &list["items"][0];
    assert_eq!((item["resident_id"].as_i64(), item["links"].as_u64()), (Some(x), Some(2)), "{list}");
    assert_eq!(item["via_resident_id"].as_i64(), Some(c1.min(c2)), "the strongest link, the lower id on a tie");
    let page = epi.raw_get(&format!("/precise/cases/{id}?tier=secondary")).await.text().await.unwrap();
    assert!(
        page.contains("大菜场") && page.contains("data-testid=\"links\""),
        "the crowded place and the links on the page"
    );

    // The case line list as filtered on the page, in each format; a bad filter is refused.
    let csv = epi.raw_get("/precise/cases/export?status=confirmed&format=csv").await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("病例午") && csv.lines().count() == 2, "header and the one confirmed case: {csv}");
    let none = epi.raw_get("/precise/cases/export?status=discharged&format=csv").await.text().await.unwrap();
    assert_eq!(none.lines().count(), 1, "only the header: {none}");
    let parquet = epi.raw_get("/precise/cases/export?format=parquet").await.bytes().await.unwrap();
    assert!(parquet.starts_with(b"PAR1"), "a Parquet file");
    assert_eq!(epi.raw_get("/precise/cases/export?status=sleeping").await.status(), 422);
    assert_eq!(epi.raw_get("/precise/cases/export?format=pdf").await.status(), 422);
});
