//! Synthesized investigation against the real server on both databases: a case opens only
//! to its team and its unit's supervisors; imports keep good rows and name the bad; link
//! analysis finds a gang hidden in a synthetic call and transfer graph, with its leader;
//! evidence cannot be changed, and a change made behind the triggers' back is caught.

use crate::common;

use std::time::Duration;

use common::gangs::{T0, gang_files};
use common::*;
use ningan_core::Role;
use serde_json::{Value, json};

async fn upload(c: &Client, case: i64, kind: &str, name: &str, body: Vec<u8>) -> (u16, Value) {
    let r = c
        .http
        .post(format!("{}/api/investigation/cases/{case}/imports?kind={kind}&name={name}", c.base))
        .body(body)
        .send()
        .await
        .unwrap();
    status_json(r).await
}

/// Waits for an import to finish and returns it with its refusals.
async fn finished(c: &Client, case: i64, import: i64) -> Value {
    for _ in 0..600 {
        let (s, i) = c.get(&format!("/api/investigation/cases/{case}/imports/{import}")).await;
        assert_eq!(s, 200, "{i}");
        if i["state"] == "done" || i["state"] == "failed" {
            return i;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {import} did not finish");
}

async fn open_case(c: &Client, title: &str, organised: bool) -> i64 {
    let (s, b) = c
        .post(
            "/api/investigation/cases",
            json!({"title": title, "category": "敲诈勒索", "summary": "测试", "organised": organised}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert!(b["no"].as_str().unwrap().starts_with('A'), "{b}");
    b["id"].as_i64().unwrap()
}

on_both_backends!(a_case_opens_only_to_its_team_and_its_units_supervisors, |b| async move {
    let app = spawn_app(b).await;
    let yinzhou = app.unit("330212").await;
    let haishu = app.unit("330203").await;
    let city = app.unit("330200").await;
    app.user("lead", &[Role::Investigator], yinzhou.id).await;
    let colleague = app.user("colleague", &[Role::Investigator], yinzhou.id).await;
    app.user("chief", &[Role::Commander], yinzhou.id).await;
    app.user("citychief", &[Role::Commander], city.id).await;
    app.user("otherchief", &[Role::Commander], haishu.id).await;
    app.user("patrol", &[Role::StationOfficer], yinzhou.id).await;
    let lead = app.login("lead").await;
    let case = open_case(&lead, "“阿龙”团伙敲诈勒索案", true).await;
    let (s, _) = upload(
        &lead,
        case,
        "calls",
        "c.csv",
        b"caller,callee,start\n13800000001,13900000002,2026-01-02 03:04:05\n".to_vec(),
    )
    .await;
    assert_eq!(s, 202);

    let paths = [
        format!("/api/investigation/cases/{case}"),
        format!("/api/investigation/cases/{case}/records"),
        format!("/api/investigation/cases/{case}/entities"),
        format!("/api/investigation/cases/{case}/evidence"),
        format!("/api/investigation/cases/{case}/charts"),
        format!("/api/investigation/cases/{case}/imports"),
        format!("/api/investigation/cases/{case}/graph/groups"),
    ];
    let pages = [format!("/investigation/cases/{case}"), format!("/investigation/cases/{case}/chart")];
    // A colleague of the same unit, not on the team: the case does not exist for them.
    let outsider = app.login("colleague").await;
    for p in &paths {
        assert_eq!(outsider.get(p).await.0, 404, "{p}");
    }
    for p in &pages {
        assert_eq!(outsider.raw_get(p).await.status(), 404, "{p}");
    }
    let (s, _) = outsider.post(&format!("/api/investigation/cases/{case}/log"), json!({"text": "看看"})).await;
    assert_eq!(s, 404);
    let (_, list) = outsider.get("/api/investigation/cases").await;
    assert_eq!(list["total"], 0, "{list}");
    // Supervisors of the unit (and the city) open it; another district's do not.
    for who in ["chief", "citychief"] {
        let c = app.login(who).await;
        assert_eq!(c.get(&paths[0]).await.0, 200, "{who}");
        assert_eq!(c.get("/api/investigation/cases").await.1["total"], 1, "{who}");
    }
    let other = app.login("otherchief").await;
    assert_eq!(other.get(&paths[0]).await.0, 404);
    // A role without the module's action is refused before any case is looked at.
    assert_eq!(app.login("patrol").await.get(&paths[0]).await.0, 403);

    // On the team, the colleague opens it; taken off, no longer.
    let (s, e) = lead
        .post(&format!("/api/investigation/cases/{case}/members"), json!({"user_id": colleague, "duty": "technical"}))
        .await;
    assert_eq!(s, 204, "{e}");
    for p in &paths {
        assert_eq!(outsider.get(p).await.0, 200, "{p}");
    }
    // Only the lead or a supervisor changes the team.
    let (s, _) = outsider
        .post(&format!("/api/investigation/cases/{case}/members"), json!({"user_id": colleague, "duty": "lead"}))
        .await;
    assert_eq!(s, 403);
    let (s, _) =
        lead.request("DELETE", &format!("/api/investigation/cases/{case}/members/{colleague}"), json!({})).await;
    assert_eq!(s, 204);
    assert_eq!(outsider.get(&paths[0]).await.0, 404);
    // Every view is on the trail with the case's id.
    let views: i64 = ningan_store::sql::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'investigation.case.view' AND object_id = $1",
    )
    .bind(case.to_string())
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert!(views >= 3, "{views} case views audited");
});

on_both_backends!(an_import_keeps_the_good_rows_names_the_bad_and_refuses_a_wrong_header, |b| async move {
    let app = spawn_app(b).await;
    let yinzhou = app.unit("330212").await;
    app.user("lead", &[Role::Investigator], yinzhou.id).await;
    let lead = app.login("lead").await;
    let case = open_case(&lead, "话单导入测试案", false).await;

    let csv = "caller,callee,start,duration_s\n\
               13800000001,13900000002,2026-01-02 03:04:05,60\n\
               12345,13900000002,2026-01-02 03:04:05,60\n\
               13800000001,13900000003,yesterday,60\n\
               13800000001,13800000001,2026-01-02 03:04:05,60\n\
               13800000003,13900000002,1767294245000,5\n";
    let (s, imp) = upload(&lead, case, "calls", "calls.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(s, 202, "{imp}");
    let done = finished(&lead, case, imp["id"].as_i64().unwrap()).await;
    assert_eq!(
        (done["state"].as_str(), done["accepted"].as_i64(), done["refused"].as_i64()),
        (Some("done"), Some(2), Some(3)),
        "{done}"
    );
    let lines: Vec<i64> = done["refusals"].as_array().unwrap().iter().map(|r| r[0].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![3, 4, 5]);
    assert!(done["refusals"][1][1].as_str().unwrap().contains("YYYY-MM-DD"), "{done}");
    // Each relation keeps its file and line.
    let (_, recs) = lead.get(&format!("/api/investigation/cases/{case}/records")).await;
    assert_eq!(recs["total"], 2);
    let mut got: Vec<(String, i64)> = recs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["file_name"].as_str().unwrap().to_string(), r["line"].as_i64().unwrap()))
        .collect();
    got.sort();
    assert_eq!(got, vec![("calls.csv".to_string(), 2), ("calls.csv".to_string(), 6)]);

    // A file whose header lacks a column is refused whole, naming it; nothing is queued.
    let (s, e) = upload(&lead, case, "transfers", "t.csv", b"payer,payee,time\n1,2,3\n".to_vec()).await;
    assert_eq!(s, 422, "{e}");
    assert!(e.to_string().contains("amount"), "{e}");
    let (s, e) = upload(&lead, case, "bananas", "t.csv", b"x\n".to_vec()).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("kind")), "{e}");
    assert_eq!(lead.get(&format!("/api/investigation/cases/{case}/imports")).await.1.as_array().unwrap().len(), 1);

    // Parquet reads the same way.
    let parquet =
        transfers_parquet(&[("62220000000001", "62220000000002", T0, 123_456), ("62220000000001", "x", T0, 100)]);
    let (s, imp) = upload(&lead, case, "transfers", "t.parquet", parquet).await;
    assert_eq!(s, 202, "{imp}");
    let done = finished(&lead, case, imp["id"].as_i64().unwrap()).await;
    assert_eq!(
        (done["format"].as_str(), done["accepted"].as_i64(), done["refused"].as_i64()),
        (Some("parquet"), Some(1), Some(1)),
        "{done}"
    );
    assert!(done["refusals"][0][1].as_str().unwrap().contains("8"), "{done}");
    let (_, recs) = lead.get(&format!("/api/investigation/cases/{case}/records?kind=transfer")).await;
    assert_eq!(recs["items"][0]["amount"], 123_456);
});

/// A Parquet file of transfers: payer, payee (text), time (ms), amount (yuan, float).
fn transfers_parquet(rows: &[(&str, &str, i64, i64)]) -> Vec<u8> {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    let payer: ArrayRef = Arc::new(StringArray::from(rows.iter().map(|r| r.0).collect::<Vec<_>>()));
    let payee: ArrayRef = Arc::new(StringArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>()));
    let time: ArrayRef = Arc::new(Int64Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>()));
    let amount: ArrayRef = Arc::new(Float64Array::from(rows.iter().map(|r| r.3 as f64 / 100.0).collect::<Vec<_>>()));
    let batch =
        RecordBatch::try_from_iter([("payer", payer), ("payee", payee), ("time", time), ("amount", amount)]).unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

async fn person(c: &Client, case: i64, id_number: &str) -> i64 {
    let (s, p) = c.get(&format!("/api/investigation/cases/{case}/entities?kind=person&q={id_number}")).await;
    assert_eq!((s, p["total"].as_i64()), (200, Some(1)), "{p}");
    p["items"][0]["id"].as_i64().unwrap()
}

on_both_backends!(link_analysis_finds_the_hidden_gang_and_its_leader, |b| async move {
    let app = spawn_app(b).await;
    let yinzhou = app.unit("330212").await;
    app.user("lead", &[Role::Investigator], yinzhou.id).await;
    let lead = app.login("lead").await;
    let case = open_case(&lead, "团伙研判测试案", true).await;
    let (calls, transfers, gang) = gang_files(40_000, 5);
    for (kind, body) in [("calls", calls), ("transfers", transfers)] {
        let (s, imp) = upload(&lead, case, kind, &format!("{kind}.csv"), body.into_bytes()).await;
        assert_eq!(s, 202, "{imp}");
        let done = finished(&lead, case, imp["id"].as_i64().unwrap()).await;
        assert_eq!((done["state"].as_str(), done["refused"].as_i64()), (Some("done"), Some(0)), "{done}");
    }
    let members: Vec<i64> = {
        let mut v = Vec::new();
        for id in &gang {
            v.push(person(&lead, case, id).await);
        }
        v
    };
    let base = format!("/api/investigation/cases/{case}/graph");

    // Groups of people who call or pay each other at least three times: the gang is the
    // tightest, whole, and nobody else; its leader is first.
    let (s, v) = lead.get(&format!("{base}/groups?min_count=3")).await;
    assert_eq!(s, 200, "{v}");
    let top = &v["groups"][0];
    let mut found: Vec<i64> = top["members"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(found[0], members[0], "the leader first: {top}");
    found.sort_unstable();
    let mut want = members.clone();
    want.sort_unstable();
    assert_eq!(found, want, "the gang, whole and alone");
    assert_eq!(v["nodes"].as_array().unwrap().len(), members.len(), "group 1 drawn");
    // Labels are masked: no full ID number in the answer.
    assert!(!v.to_string().contains(&gang[0]), "unmasked ID number");

    // A hub's neighbourhood is capped and what was left out is said.
    let (s, x) = lead.get(&format!("{base}/expand?seeds={}&hops=2&per_node=5&max_nodes=30", members[0])).await;
    assert_eq!(s, 200, "{x}");
    assert!(x["nodes"].as_array().unwrap().len() <= 30);
    assert!(!x["left_out"].as_array().unwrap().is_empty(), "{x}");
    // Paths between two members, and money from a member to the leader via the treasurer.
    let (s, p) = lead.get(&format!("{base}/paths?a={}&b={}&min_count=3", members[2], members[3])).await;
    assert_eq!(s, 200, "{p}");
    let first = p["paths"][0]["nodes"].as_array().unwrap();
    assert!(first.len() <= 3, "members are at most two steps apart: {p}");
    let (s, m) = lead.get(&format!("{base}/paths?a={}&b={}&money=true", members[3], members[0])).await;
    assert_eq!(s, 200, "{m}");
    let flows = m["paths"].as_array().unwrap();
    assert!(
        flows.iter().any(|f| f["nodes"][1] == members[1] && f["flow"].as_f64().unwrap() > 0.0),
        "via the treasurer: {m}"
    );
    // Bad questions are refused with the field.
    let (s, e) = lead.get(&format!("{base}/expand?seeds={}&hops=9", members[0])).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("hops")));
    let (s, e) = lead.get(&format!("{base}/expand?seeds=999999999")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("seeds")));

    // The chart is saved with the case, versioned, and exported.
    let nodes: Vec<Value> = members.iter().map(|&id| json!({"id": id, "x": 1.0, "y": 2.0, "group": 1})).collect();
    let chart = json!({"title": "团伙结构", "body": {"nodes": nodes, "links": [], "filter": {"min_count": 4}}});
    for want in [1, 2] {
        let (s, saved) = lead.post(&format!("/api/investigation/cases/{case}/charts"), chart.clone()).await;
        assert_eq!((s, saved["version"].as_i64()), (201, Some(want)), "{saved}");
    }
    let (s, e) = lead
        .post(&format!("/api/investigation/cases/{case}/charts"), json!({"title": "x", "body": {"nodes": [{"id": 1}]}}))
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, got) = lead.get(&format!("/api/investigation/cases/{case}/charts/2")).await;
    assert_eq!(s, 200);
    assert_eq!(got["view"]["nodes"].as_array().unwrap().len(), members.len());
    assert!(!got["view"]["links"].as_array().unwrap().is_empty());
    let graphml =
        lead.raw_get(&format!("/api/investigation/cases/{case}/charts/2?format=graphml")).await.text().await.unwrap();
    assert!(graphml.contains("<graphml") && graphml.matches("<node ").count() == members.len(), "{graphml}");
    let csv = lead.raw_get(&format!("/api/investigation/cases/{case}/charts/2?format=csv")).await.text().await.unwrap();
    assert!(csv.lines().count() > 2 && csv.contains("records"), "{csv}");
});

on_both_backends!(evidence_is_append_only_and_a_change_behind_the_triggers_is_caught, |b| async move {
    let app = spawn_app(b).await;
    let yinzhou = app.unit("330212").await;
    let lead_id = app.user("lead", &[Role::Investigator], yinzhou.id).await;
    let lead = app.login("lead").await;
    let case = open_case(&lead, "证据链测试案", true).await;
    let url = format!("/api/investigation/cases/{case}/evidence");
    let (s, first) = lead
        .post(&url, json!({"kind": "testimony", "title": "证人询问笔录", "body": "证人称……", "source": "询问室"}))
        .await;
    assert_eq!(s, 201, "{first}");
    let (s, e) = lead.post(&url, json!({"kind": "rumour", "title": "x", "source": ""})).await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = e["errors"].as_array().unwrap().iter().map(|x| x["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["kind"], "{e}");
    // A correction is a new item naming the old; the old stays as filed.
    let (s, fix) = lead
        .post(&url, json!({"kind": "testimony", "title": "证人询问笔录（更正时间）", "source": "询问室", "corrects": first["id"]}))
        .await;
    assert_eq!((s, fix["seq"].as_i64(), fix["prev_hash"].as_str()), (201, Some(2), first["hash"].as_str()), "{fix}");
    let (_, items) = lead.get(&url).await;
    assert_eq!(items[0]["corrected_by"], fix["id"]);
    assert_eq!(items[0]["title"], "证人询问笔录");
    // No route changes an item.
    for m in ["PUT", "PATCH", "DELETE"] {
        let (s, _) = lead.request(m, &format!("{url}/{}", first["id"]), json!({"title": "改"})).await;
        assert!(s == 404 || s == 405, "{m}: {s}");
    }
    let verify = format!("{url}/verify");
    assert_eq!(lead.get(&verify).await.1["intact"], true);
    // SQL is refused by the triggers…
    let update = "UPDATE inv_evidence SET title = '改过' WHERE id = $1";
    let refused = ningan_store::sql::query(update).bind(first["id"].as_i64().unwrap()).execute(app.db.reader()).await;
    assert!(refused.is_err(), "the trigger refuses");
    // …and with them dropped, the change is caught by the chain and the audit log.
    let drop = match app.backend {
        Backend::Sqlite => "DROP TRIGGER inv_evidence_no_update",
        Backend::Postgres => "DROP TRIGGER inv_evidence_no_change ON inv_evidence",
    };
    ningan_store::sql::query(drop).execute(app.db.reader()).await.unwrap();
    ningan_store::sql::query(update).bind(first["id"].as_i64().unwrap()).execute(app.db.reader()).await.unwrap();
    let (_, v) = lead.get(&verify).await;
    assert_eq!((v["intact"].as_bool(), v["broken"][0]["seq"].as_i64()), (Some(false), Some(1)), "{v}");

    // Stages move one step at a time; only organised-crime cases count gangs broken.
    let stage = format!("/api/investigation/cases/{case}/stage");
    let (s, e) = lead.post(&stage, json!({"stage": "solved"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("stage")), "{e}");
    assert_eq!(lead.post(&stage, json!({"stage": "investigating"})).await.0, 204);
    let (s, e) = lead.post(&stage, json!({"stage": "solved", "gangs_broken": 500})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("gangs_broken")));
    assert_eq!(lead.post(&stage, json!({"stage": "solved", "gangs_broken": 1})).await.0, 204);
    // Tasks carry deadlines; one done is done.
    let tasks = format!("/api/investigation/cases/{case}/tasks");
    let (s, e) = lead.post(&tasks, json!({"team": "field", "title": "抓捕", "due": "2020-01-01"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("due")));
    let (s, e) = lead
        .post(&tasks, json!({"team": "field", "title": "抓捕", "due": "2099-01-01", "assignee": lead_id + 1000}))
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("assignee")));
    let (s, t) =
        lead.post(&tasks, json!({"team": "field", "title": "抓捕", "due": "2099-01-01", "assignee": lead_id})).await;
    assert_eq!(s, 201, "{t}");
    let done = format!("{tasks}/{}/done", t["id"]);
    assert_eq!(lead.post(&done, json!({"result": "已抓获"})).await.0, 204);
    assert_eq!(lead.post(&done, json!({"result": "再次"})).await.0, 409);
    // The figures count it, for the lead's unit.
    let (_, f) = lead.get("/api/investigation/figures").await;
    assert_eq!(
        (f["cases"].as_i64(), f["solved"].as_i64(), f["gangs_broken"].as_i64()),
        (Some(1), Some(1), Some(1)),
        "{f}"
    );
    let (_, log) = lead.get(&format!("/api/investigation/cases/{case}/log")).await;
    assert!(log["total"].as_i64().unwrap() >= 6, "{log}");
});

on_both_backends!(co_presence_comes_from_the_tracing_engine_for_the_cases_people, |b| async move {
    let app = spawn_app(b).await;
    let station = app.station(330212, 1).await;
    app.user("lead", &[Role::Investigator], station.id).await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    let suspect = app.resident("嫌疑人甲", 330212, 1, station.id).await;
    let met = app.resident("同行乙", 330212, 2, station.id).await;
    app.resident("无关丙", 330212, 3, station.id).await;
    let number = |id: i64| {
        let db = app.db.clone();
        async move {
            ningan_store::sql::query_scalar::<_, String>("SELECT id_number FROM residents WHERE id = $1")
                .bind(id)
                .fetch_one(db.reader())
                .await
                .unwrap()
        }
    };
    let officer = app.login("officer").await;
    let (_, v) = officer
        .post("/api/venues", json!({"name": "台球室", "kind": "restaurant", "address": "鄞州区某路", "unit_id": station.id, "lon": 121.55, "lat": 29.82}))
        .await;
    let code = v["code"].as_str().unwrap().to_string();
    let at = |h: i64| (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339();
    let visits: Vec<Value> = [suspect, met]
        .iter()
        .map(|r| json!({"resident_id": r, "venue_code": code, "at": at(30), "left_at": at(29)}))
        .collect();
    assert_eq!(officer.post("/api/checkins", json!({"checkins": visits})).await.1["accepted"], 2);

    let lead = app.login("lead").await;
    let case = open_case(&lead, "同行研判测试案", true).await;
    let url = format!("/api/investigation/cases/{case}/copresence");
    let (s, e) = lead.post(&url, json!({"days": 3})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("persons")), "no suspect in the register yet: {e}");
    // The suspect's phone, with its holder, makes the suspect a person of the case.
    let calls = format!(
        "caller,callee,start,caller_holder\n13800000001,13900000002,2026-01-02 03:04:05,{}\n",
        number(suspect).await
    );
    let (_, imp) = upload(&lead, case, "calls", "calls.csv", calls.into_bytes()).await;
    finished(&lead, case, imp["id"].as_i64().unwrap()).await;
    let (s, e) = lead.post(&url, json!({"days": 30})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("days")));
    let (s, imp) = lead.post(&url, json!({"days": 3})).await;
    assert_eq!((s, imp["state"].as_str(), imp["accepted"].as_i64()), (201, Some("done"), Some(1)), "{imp}");
    let (_, recs) = lead.get(&format!("/api/investigation/cases/{case}/records?kind=copresence")).await;
    assert_eq!(recs["total"], 1, "{recs}");
    let other = person(&lead, case, &number(met).await).await;
    let mine = person(&lead, case, &number(suspect).await).await;
    let r = &recs["items"][0];
    assert_eq!((r["src"].as_i64(), r["dst"].as_i64()), (Some(mine), Some(other)));
    assert!(r["file_name"].as_str().unwrap().contains("精密智控"), "{r}");
    let (s, _) = lead.post(&url, json!({"days": 3, "persons": [other + 1000]})).await;
    assert_eq!(s, 422);
});

on_both_backends!(entities_are_added_by_hand_checked_by_kind_and_tied_to_their_person, |b| async move {
    let app = spawn_app(b).await;
    let yinzhou = app.unit("330212").await;
    app.user("lead", &[Role::Investigator], yinzhou.id).await;
    let lead = app.login("lead").await;
    let case = open_case(&lead, "对象登记测试案", false).await;
    let url = format!("/api/investigation/cases/{case}/entities");
    let id_number = common::gangs::holder_id(7);
    let (s, p) = lead.post(&url, json!({"kind": "person", "key": id_number})).await;
    assert_eq!(s, 201, "{p}");
    let person = p["id"].as_i64().unwrap();
    for (kind, key, field) in [
        ("vehicle", "ABC", "key"),
        ("phone", "123", "key"),
        ("ufo", "x", "kind"),
        ("person", "11010519491231002", "key"),
    ] {
        let (s, e) = lead.post(&url, json!({"kind": kind, "key": key})).await;
        assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some(field)), "{kind} {key}: {e}");
    }
    // The graph is built now, with the person alone; what is added later shows on the next ask.
    let (_, alone) = lead.get(&format!("/api/investigation/cases/{case}/graph/expand?seeds={person}")).await;
    assert_eq!(alone["nodes"].as_array().map(Vec::len), Some(1), "{alone}");
    let (s, _) = lead.post(&format!("/api/investigation/cases/{case}/log"), json!({"text": "走访车主"})).await;
    assert_eq!(s, 201);
    let (s, e) = lead.post(&url, json!({"kind": "vehicle", "key": "浙B12345", "holder": person + 1000})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("holder")), "{e}");
    let (s, car) = lead.post(&url, json!({"kind": "vehicle", "key": "浙b 12345", "holder": person})).await;
    assert_eq!(s, 201, "{car}");
    // On the chart the vehicle hangs off its owner.
    let (s, v) = lead.get(&format!("/api/investigation/cases/{case}/graph/expand?seeds={person}")).await;
    assert_eq!(s, 200, "{v}");
    let ids: Vec<i64> = v["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![person, car["id"].as_i64().unwrap()], "{v}");
    assert_eq!(v["links"][0]["kinds"], json!(["tie"]));
    let (_, found) = lead.get(&format!("{url}?kind=vehicle")).await;
    assert_eq!(found["items"][0]["label"], "浙B12345");
});
