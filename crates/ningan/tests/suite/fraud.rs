//! Anti-fraud end to end over HTTP: listed identifiers, a victim journey posted as signals
//! (NDJSON with line-numbered refusals, retries ignored) raising graded warnings that land at
//! the person's station, officers working them to an outcome, transfers with review, the
//! board and figures; the public check and report; rule replacement; a restart in the middle
//! of a journey.

use crate::common;

use chrono::{Duration, Utc};
use common::*;
use ningan_core::Role;
use serde_json::{Value, json};

async fn ndjson(client: &Client, body: &str) -> (u16, Value) {
    let r = client
        .http
        .post(format!("{}/api/fraud/signals/ndjson", client.base))
        .header("content-type", "application/x-ndjson")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn ago(minutes: i64) -> String {
    (Utc::now() - Duration::minutes(minutes)).to_rfc3339()
}

struct City {
    app: TestApp,
    officer: Client,
    analyst: Client,
    carrier: Client,
    station: ningan_store::OrgUnit,
    victim: i64,
}

/// A station with an officer, a district analyst, a resident whose phone is 13912340001,
/// a carrier's signal token, and a watchlist.
async fn city(b: Backend) -> City {
    let app = spawn_app(b).await;
    let station = app.station(330203, 1).await;
    let district = app.unit("330203").await;
    app.user("officer", &[Role::StationOfficer], station.id).await;
    app.user("analyst", &[Role::FraudAnalyst], district.id).await;
    app.user("admin", &[Role::Administrator], district.id).await;
    let victim = app.resident("受害人甲", 330203, 1, station.id).await;
    let analyst = app.login("analyst").await;
    let (s, r) = analyst
        .post(
            "/api/fraud/watchlist",
            json!({"entries": [
                {"kind": "phone", "value": "0574-66660001", "source": "反诈中心", "confidence": 95, "typology": "冒充客服"},
                {"kind": "app", "value": "com.fake.meeting", "source": "应用商店", "typology": "冒充客服"},
                {"kind": "domain", "value": "Invest-Scam.example.", "source": "反诈中心", "typology": "虚假投资理财"},
                {"kind": "bank_account", "value": "6222 0000 1111 2222", "source": "银行"}
            ]}),
        )
        .await;
    assert_eq!((s, r["added"].as_u64()), (201, Some(4)), "{r}");
    let (s, t) = app
        .login("admin")
        .await
        .post("/api/tokens", json!({"name": "运营商信令", "scopes": ["fraud.signal"], "days": 30}))
        .await;
    assert_eq!(s, 201, "{t}");
    let carrier = app.bearer(t["secret"].as_str().unwrap());
    let officer = app.login("officer").await;
    City { app, officer, analyst, carrier, station, victim }
}

fn journey(prefix: &str, phone: &str) -> String {
    [
        json!({"id": format!("{prefix}-1"), "phone": phone, "at": ago(50), "kind": "call", "from": "+86 574 6666 0001", "duration": 300}),
        json!({"id": format!("{prefix}-2"), "phone": phone, "at": ago(30), "kind": "app", "package": "COM.FAKE.MEETING"}),
        json!({"id": format!("{prefix}-3"), "phone": phone, "at": ago(10), "kind": "transfer", "account": "6217000011112222", "amount": 52000}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n")
}

on_both_backends!(a_victim_journey_becomes_a_red_warning_worked_to_dissuaded, |b| async move {
    let c = city(b).await;
    // Benign noise, one malformed line and one refused line around the journey.
    let body = format!(
        "{}\n{{not json\n{}\n{}\n",
        json!({"id": "n-1", "phone": "13912340001", "at": ago(55), "kind": "url", "url": "https://www.shop1.com/a"}),
        json!({"id": "n-2", "phone": "13912340001", "kind": "transfer", "account": "62"}),
        journey("j", "139-1234-0001")
    );
    let (s, r) = ndjson(&c.carrier, &body).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["accepted"], 4, "{r}");
    let lines: Vec<u64> = r["rejected"].as_array().unwrap().iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 3], "refusals name their lines: {r}");
    let levels: Vec<&str> = r["warnings"].as_array().unwrap().iter().map(|w| w["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["low", "medium", "high"], "{r}");

    // Retrying the same batch changes nothing.
    let (_, again) = ndjson(&c.carrier, &body).await;
    assert_eq!((again["accepted"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(4)), "{again}");
    assert!(again["warnings"].as_array().unwrap().is_empty());

    // The red warning is at the victim's station; the orange one it superseded is closed.
    let (s, tasks) = c.officer.get("/api/fraud/tasks?status=open").await;
    assert_eq!(s, 200, "{tasks}");
    assert_eq!(tasks["total"], 1, "one open task per person: {tasks}");
    let task = &tasks["items"][0];
    assert_eq!((task["level"].as_str(), task["unit_id"].as_i64()), (Some("high"), Some(c.station.id)));
    assert_eq!(task["phone"], "139****0001", "the number is masked");
    assert_eq!(task["resident_id"], c.victim);
    let id = task["id"].as_i64().unwrap();
    let (_, detail) = c.officer.get(&format!("/api/fraud/tasks/{id}")).await;
    let rules: Vec<&str> = detail["trace"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    // Strongest first: the customer-service course, then what the same signals also are (a
    // fee after a loan app, the first payment to someone new after a listed call).
    assert_eq!(
        rules,
        ["call-app-transfer", "loan-app-fee", "first-transfer-after-listed-call", "listed-app", "listed-call"],
        "{detail}"
    );
    assert_eq!(detail["trace"][0]["signals"], json!(["j-1", "j-2", "j-3"]));
    assert!(detail["trace"][2]["detail"].as_str().unwrap().contains("新收款人；涉诈来电后40分钟首次转账"), "{detail}");
    assert_eq!(detail["signals"].as_array().unwrap().len(), 3);
    assert!(detail["script"][0].as_str().unwrap().contains("冒充电商物流客服"), "{detail}");
    let (_, low) = c.officer.get("/api/fraud/tasks?level=low").await;
    assert_eq!(low["items"][0]["outcome"], "sms", "a yellow warning is answered by an automated notice");
    // Lists and details that show the person are in the person's own access record.
    let seen = c.app.db.accesses_to(c.victim, ningan_store::PageRequest::default()).await.unwrap();
    let actions: Vec<&str> = seen.items.iter().map(|a| a.action.as_str()).collect();
    assert!(actions.contains(&"fraud.task.list"), "{actions:?}");
    assert!(actions.contains(&"fraud.task.view"), "{actions:?}");

    // Bad outcomes change nothing.
    let (s, e) = c.officer.post(&format!("/api/fraud/tasks/{id}/outcome"), json!({"outcome": "maybe"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("outcome")), "{e}");
    assert_eq!(e["errors"][0]["code"], "fraud.one_of", "the refusal's stable code: {e}");
    let (s, e) = c
        .officer
        .post(&format!("/api/fraud/tasks/{id}/outcome"), json!({"outcome": "mismatch", "amount_protected": 5}))
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, e) = c
        .officer
        .post(&format!("/api/fraud/tasks/{id}/outcome"), json!({"outcome": "dissuaded", "money_lost": -1}))
        .await;
    assert_eq!(s, 422, "{e}");

    // Not reached yet keeps it open; dissuaded closes it.
    let (s, d) = c.officer.post(&format!("/api/fraud/tasks/{id}/outcome"), json!({"outcome": "not_reached"})).await;
    assert_eq!((s, d["task"]["status"].as_str(), d["task"]["attempts"].as_i64()), (200, Some("open"), Some(1)));
    let (s, d) = c
        .officer
        .post(
            &format!("/api/fraud/tasks/{id}/outcome"),
            json!({"outcome": "dissuaded", "amount_protected": 52000, "watch_days": 7, "note": "当面劝阻，已止付"}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!((d["task"]["status"].as_str(), d["task"]["outcome_zh"].as_str()), (Some("done"), Some("已劝阻")));
    let (s, _) = c.officer.post(&format!("/api/fraud/tasks/{id}/outcome"), json!({"outcome": "dissuaded"})).await;
    assert_eq!(s, 409, "a finished task takes no second outcome");

    let (_, f) = c.analyst.get("/api/fraud/figures").await;
    assert_eq!((f["persons_dissuaded"].as_i64(), f["amount_protected"].as_f64()), (Some(1), Some(52000.0)), "{f}");
    assert_eq!(f["warnings_high"], 1);
    let (_, cockpit) = c.officer.get("/api/cockpit").await;
    let counter = cockpit["counters"].as_array().unwrap().iter().find(|x| x["key"] == "fraud_dissuaded").cloned();
    assert_eq!(counter.unwrap()["value"], 1, "{cockpit}");

    // A case filed later for the same person counts as a case after dissuasion.
    let (s, r) = c
        .analyst
        .post("/api/fraud/cases", json!({"phone": "13912340001", "occurred_at": Utc::now().to_rfc3339(), "amount": 3000, "typology": "冒充客服"}))
        .await;
    assert_eq!(s, 201, "{r}");
    let (_, board) = c.analyst.get("/api/fraud/board").await;
    assert_eq!(
        (board["cases_after_dissuasion"].as_i64(), board["warned_people"].as_i64()),
        (Some(1), Some(1)),
        "{board}"
    );
    assert_eq!(board["ranking"][0]["unit_id"], c.station.id, "{board}");
    let (_, f) = c.analyst.get("/api/fraud/figures").await;
    assert_eq!(f["months"].as_array().unwrap().last().unwrap()["cases"], 1, "{f}");

    // Every look at the full number is audited with its purpose.
    let (s, _) = c.officer.post(&format!("/api/fraud/tasks/{id}/reveal"), json!({"purpose": "x"})).await;
    assert_eq!(s, 422);
    let (s, r) =
        c.officer.post(&format!("/api/fraud/tasks/{id}/reveal"), json!({"purpose": "上门劝阻前电话联系"})).await;
    assert_eq!((s, r["phone"].as_str()), (200, Some("+8613912340001")));
    let trail = c
        .app
        .db
        .audit_search(
            &ningan_store::Scope::everything(),
            &Default::default(),
            ningan_store::PageRequest::new(Some(1), Some(200)),
        )
        .await
        .unwrap();
    assert!(
        trail
            .items
            .iter()
            .any(|e| e.entry.action == "fraud.subject.reveal"
                && e.entry.purpose.as_deref() == Some("上门劝阻前电话联系")),
        "reveal audited"
    );
});

on_both_backends!(tasks_stay_in_their_station_and_move_only_by_reviewed_transfer, |b| async move {
    let c = city(b).await;
    let other = c.app.station(330206, 1).await;
    c.app.user("officer2", &[Role::StationOfficer], other.id).await;
    let officer2 = c.app.login("officer2").await;
    let (s, _) = ndjson(&c.carrier, &journey("t", "13912340001")).await;
    assert_eq!(s, 200);
    let (_, tasks) = c.officer.get("/api/fraud/tasks?status=open").await;
    let id = tasks["items"][0]["id"].as_i64().unwrap();

    let (s, _) = officer2.get(&format!("/api/fraud/tasks/{id}")).await;
    assert_eq!(s, 404, "another station's task is invisible");
    // Reviewing a task one cannot see is "not found" whatever its state, so that the answer
    // does not tell which ids exist.
    let (s, e) = officer2.post(&format!("/api/fraud/tasks/{id}/transfer/review"), json!({"approve": true})).await;
    assert_eq!(s, 404, "{e}");
    assert_eq!(officer2.post("/api/fraud/tasks/99999999/transfer/review", json!({"approve": true})).await.0, 404);
    let (s, _) = officer2.post(&format!("/api/fraud/tasks/{id}/outcome"), json!({"outcome": "dissuaded"})).await;
    assert_eq!(s, 404);
    let (s, _) = c.carrier.get("/api/fraud/tasks").await;
    assert_eq!(s, 403, "a signal token reads no tasks");
    let (s, _) = c.officer.post("/api/fraud/watchlist", json!({"entries": []})).await;
    assert_eq!(s, 403, "officers do not edit the watchlist");

    let (s, e) =
        c.officer.post(&format!("/api/fraud/tasks/{id}/transfer"), json!({"to_unit_id": other.id, "reason": ""})).await;
    assert_eq!(s, 422, "{e}");
    let (s, d) = c
        .officer
        .post(&format!("/api/fraud/tasks/{id}/transfer"), json!({"to_unit_id": other.id, "reason": "本人现居北仑"}))
        .await;
    assert_eq!((s, d["task"]["status"].as_str()), (200, Some("transfer")), "{d}");
    // The receiving station may read the task to review it, and accepts it.
    let (s, _) = officer2.get(&format!("/api/fraud/tasks/{id}")).await;
    assert_eq!(s, 200);
    let (s, _) = c.officer.post(&format!("/api/fraud/tasks/{id}/transfer/review"), json!({"approve": true})).await;
    assert_eq!(s, 409, "the sending station sees the task but cannot approve its own transfer");
    let (s, d) = officer2
        .post(&format!("/api/fraud/tasks/{id}/transfer/review"), json!({"approve": true, "note": "接收"}))
        .await;
    assert_eq!(
        (s, d["approved"].as_bool(), d["task"]["task"]["unit_id"].as_i64(), d["task"]["task"]["status"].as_str()),
        (200, Some(true), Some(other.id), Some("open")),
        "{d}"
    );
    let (s, _) = c.officer.get(&format!("/api/fraud/tasks/{id}")).await;
    assert_eq!(s, 404, "gone from the sending station");
    // A refused transfer answers as refused (not "not found") and stays with the sender.
    let (s, d) = officer2
        .post(&format!("/api/fraud/tasks/{id}/transfer"), json!({"to_unit_id": c.station.id, "reason": "户籍地在海曙"}))
        .await;
    assert_eq!(s, 200, "{d}");
    let (s, d) = c
        .officer
        .post(&format!("/api/fraud/tasks/{id}/transfer/review"), json!({"approve": false, "note": "不接收"}))
        .await;
    assert_eq!((s, d["approved"].as_bool()), (200, Some(false)), "{d}");
    let (_, d) = officer2.get(&format!("/api/fraud/tasks/{id}")).await;
    assert_eq!(d["task"]["unit_id"].as_i64(), Some(other.id), "back with the sender: {d}");

    // Overdue tasks are escalated to the district: its board counts them.
    let mut w = c.app.db.write().await.unwrap();
    let n = w.fraud_tasks_escalate(ningan_core::time::now_ms() + 3 * 3_600_000).await.unwrap();
    w.commit().await.unwrap();
    assert_eq!(n, 1);
    let (_, escalated) = officer2.get("/api/fraud/tasks?status=escalated").await;
    assert_eq!(escalated["total"], 1, "{escalated}");
});

on_both_backends!(signals_are_refused_clearly_and_bad_batches_change_nothing, |b| async move {
    let c = city(b).await;
    let (s, e) = ndjson(&c.carrier, "\n\n").await;
    assert_eq!(s, 422, "{e}");
    let future = json!({"id": "f", "phone": "13912340001", "at": (Utc::now() + Duration::hours(1)).to_rfc3339(), "kind": "sms", "from": "95588"});
    let old = json!({"id": "o", "phone": "13912340001", "at": (Utc::now() - Duration::days(40)).to_rfc3339(), "kind": "sms", "from": "95588"});
    let unknown = json!({"id": "u", "phone": "13912340001", "kind": "fax"});
    let extra = json!({"id": "e", "phone": "13912340001", "kind": "sms", "from": "95588", "name": "x"});
    let dup = json!({"id": "d", "phone": "13912340001", "kind": "sms", "from": "95588"});
    let body =
        [future, old, unknown, extra, dup.clone(), dup].iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    let (s, r) = ndjson(&c.carrier, &body).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["accepted"], 1);
    let reasons: Vec<(u64, String)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x["reason"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(reasons.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3, 4, 6], "{r}");
    assert!(
        reasons[0].1.contains("future") && reasons[1].1.contains("30 days") && reasons[4].1.contains("repeated"),
        "{r}"
    );

    let (s, e) = c
        .analyst
        .post(
            "/api/fraud/watchlist",
            json!({"entries": [
                {"kind": "phone", "value": "13800000000", "source": "x"},
                {"kind": "url", "value": "http://localhost/", "source": "x"}
            ]}),
        )
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("entries[1].value")), "{e}");
    let (_, list) = c.analyst.get("/api/fraud/watchlist?kind=phone").await;
    assert_eq!(list["total"], 1, "the batch with a bad entry listed nothing: {list}");
});

on_both_backends!(concurrent_batches_log_each_signal_once_and_audit_each_batch_with_its_ids, |b| async move {
    let c = city(b).await;
    // Eight senders at once, each batch sharing ten ids with the next (a sender's retry racing
    // another's), and one batch carrying a victim journey: the batches are written together,
    // and across them every id is logged and scored exactly once.
    let line = |id: String| {
        json!({"id": id, "phone": "13900000000", "at": ago(5), "kind": "sms", "from": "95588"}).to_string()
    };
    let bodies: Vec<String> = (0..8)
        .map(|k| {
            let mut lines: Vec<String> = (0..40).map(|i| line(format!("c-{k}-{i}"))).collect();
            lines.extend((0..10).map(|i| line(format!("c-{}-{i}", (k + 1) % 8))));
            if k == 3 {
                lines.push(journey("cj", "13912340001"));
            }
            lines.join("\n")
        })
        .collect();
    let sent = bodies.iter().map(|b| b.lines().count()).sum::<usize>();
    let posts = bodies.iter().map(|body| ndjson(&c.carrier, body));
    let reports = futures_util::future::join_all(posts).await;
    let (mut accepted, mut duplicates, mut high) = (0, 0, 0);
    for (s, r) in &reports {
        assert_eq!(*s, 200, "{r}");
        accepted += r["accepted"].as_u64().unwrap();
        duplicates += r["duplicates"].as_u64().unwrap();
        high += r["warnings"].as_array().unwrap().iter().filter(|w| w["level"] == "high").count();
    }
    assert_eq!((accepted, duplicates), (8 * 40 + 3, 8 * 10), "every id once, every repeat counted");
    assert_eq!(accepted + duplicates, sent as u64);
    assert_eq!(high, 1, "the journey warned once: {reports:?}");

    // One audit entry per batch, naming exactly the signals that batch logged.
    let everything = ningan_store::Scope::everything();
    let filter = ningan_store::AuditFilter { action: Some("fraud.signals".into()), ..Default::default() };
    let page = ningan_store::PageRequest { per_page: 100, ..Default::default() };
    let entries = c.app.db.audit_search(&everything, &filter, page).await.unwrap();
    assert_eq!(entries.items.len(), 8, "one entry per batch");
    let mut named: Vec<String> = entries
        .items
        .iter()
        .flat_map(|e| e.entry.detail.split_once("logged: ").map(|(_, ids)| ids.to_string()))
        .flat_map(|ids| ids.split(' ').map(str::to_string).collect::<Vec<_>>())
        .collect();
    named.sort();
    let before = named.len();
    named.dedup();
    assert_eq!((before, named.len()), (8 * 40 + 3, 8 * 40 + 3), "each logged id named by one batch");
    let ids: Vec<String> = named.clone();
    let mut found = 0;
    for chunk in ids.chunks(50) {
        found += c.app.db.fraud_signals_by_ids(chunk).await.unwrap().len();
    }
    assert_eq!(found, ids.len(), "the ids the audit names are the ones in the log");
});

on_both_backends!(the_public_checks_identifiers_and_reports_fraud_within_a_rate_limit, |b| async move {
    let c = city(b).await;
    let anon = c.app.anonymous();
    let (s, r) = anon.get("/api/public/fraud/check?kind=phone&value=%2B86%20574%206666%200001").await;
    assert_eq!((s, r["listed"].as_bool(), r["typology"].as_str()), (200, Some(true), Some("冒充客服")), "{r}");
    let (_, r) = anon.get("/api/public/fraud/check?kind=url&value=https://pay.invest-scam.example/x").await;
    assert_eq!(r["listed"], true, "a listed domain covers its subdomains: {r}");
    let (_, r) = anon.get("/api/public/fraud/check?kind=bank_account&value=6222000011113333").await;
    assert_eq!(r["listed"], false);
    let (s, e) = anon.get("/api/public/fraud/check?kind=phone&value=12").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("value")), "{e}");

    // A report is a victim-report signal: the station gets a red warning at once.
    let (s, e) = anon.post("/api/public/fraud/reports", json!({"phone": "13912340001", "description": "短"})).await;
    assert_eq!(s, 422, "{e}");
    let (s, r) = anon
        .post(
            "/api/public/fraud/reports",
            json!({"phone": "13912340001", "identifier_kind": "phone", "identifier": "0574-66660002",
                   "description": "对方自称快递客服，要求我下载会议软件并转账理赔", "amount": 800}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (_, tasks) = c.officer.get("/api/fraud/tasks?status=open").await;
    assert_eq!(tasks["items"][0]["level"], "high", "{tasks}");
    let (_, reports) = c.analyst.get("/api/fraud/reports?status=pending").await;
    let report = reports["items"][0]["id"].as_i64().unwrap();
    assert_eq!(reports["items"][0]["phone"], "139****0001");
    let (s, e) = c.analyst.post(&format!("/api/fraud/reports/{report}/review"), json!({"accept": true})).await;
    assert_eq!(s, 422, "accepting files a case, which needs its facts: {e}");
    let (s, r) = c
        .analyst
        .post(
            &format!("/api/fraud/reports/{report}/review"),
            json!({"accept": true, "case": {"phone": "13912340001", "occurred_at": Utc::now().to_rfc3339(), "amount": 800, "typology": "冒充客服"}}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let (_, board) = c.analyst.get("/api/fraud/board").await;
    assert_eq!(board["cases_without_dissuasion"], 1, "warned, not yet dissuaded, defrauded: {board}");

    // The page renders the answer; the limit applies per client address.
    let page = reqwest::get(c.app.url("/public/fraud?kind=app&value=com.fake.meeting")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("已列入涉诈名单"));
    let mut last = 0;
    for _ in 0..40 {
        last = anon.get("/api/public/fraud/check?kind=phone&value=13800000000").await.0;
    }
    assert_eq!(last, 429, "look-ups are limited per client");
});

on_both_backends!(rules_are_replaced_while_running_and_bad_rules_name_their_line, |b| async move {
    let c = city(b).await;
    // The rule set is the whole city's: a district's analyst may not replace it.
    let r = c.analyst.http.put(c.app.url("/api/fraud/rules")).body(ningan_fraud::DEFAULT_RULES).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403, "a district analyst replaces no city-wide setting");
    let bureau = c.app.unit("330200").await;
    c.app.user("city_analyst", &[Role::FraudAnalyst], bureau.id).await;
    let city_analyst = c.app.login("city_analyst").await;
    let put = |body: String| {
        let analyst = &city_analyst;
        async move {
            let r = analyst.http.put(format!("{}/api/fraud/rules", analyst.base)).body(body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, e) = put("version = \"x\"\nscore_window_minutes = 60\ndedup_window_minutes = 60\n[levels]\nhigh = 3\nmedium = 2\nlow = 1\n[[rule]]\nid = \"a\"\nname = \"n\"\ntypology = \"t\"\nscore = 1\nkind = \"single\"\nwhen = { signal = \"fax\" }\n".into()).await;
    assert_eq!(s, 422, "{e}");
    assert!(e["detail"].as_str().unwrap_or_default().contains("第8行") || e.to_string().contains("第8行"), "{e}");
    let (_, before) = c.analyst.get("/api/fraud/rules").await;
    assert_eq!(before["version"], "2026.12-1", "a refused set leaves the running one");

    // Half a journey, a new rule set, then the rest: the sequence survives the swap.
    let body = journey("r", "13912340001");
    let lines: Vec<&str> = body.lines().collect();
    ndjson(&c.carrier, &lines[..2].join("\n")).await;
    let new_rules = ningan_fraud::DEFAULT_RULES.replace("version = \"2026.12-1\"", "version = \"2027.01-1\"");
    let (s, r) = put(new_rules).await;
    assert_eq!((s, r["version"].as_str()), (200, Some("2027.01-1")), "{r}");
    let (_, r) = ndjson(&c.carrier, lines[2]).await;
    assert_eq!(r["warnings"][0]["level"], "high", "{r}");
    let (s, _) = c.officer.request("PUT", "/api/fraud/rules", json!({})).await;
    assert_eq!(s, 403);

    // The page keeps versions and compares each with the one before; an edit that does not
    // parse is refused beside the text, which comes back as typed.
    let third = ningan_fraud::DEFAULT_RULES.replace("version = \"2026.12-1\"", "version = \"2027.01-2\"");
    let (s, _) = city_analyst.post_form("/fraud/rules", &[("rules", third.as_str())]).await;
    assert_eq!(s, 422, "putting rules in force needs a reason");
    let (s, _) =
        city_analyst.post_form("/fraud/rules", &[("rules", third.as_str()), ("reason", "新增冒充客服规则")]).await;
    assert_eq!(s, 303);
    let page = city_analyst.http.get(c.app.url("/fraud/rules")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("2027.01-1") && page.contains("2027.01-2"), "both versions are listed");
    let id = page.split("/fraud/rules?compare=").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let diff = city_analyst.http.get(c.app.url(&format!("/fraud/rules?compare={id}"))).send().await.unwrap();
    let diff = diff.text().await.unwrap();
    assert!(
        diff.contains("- version = &quot;2027.01-1&quot;") || diff.contains("- version = &#34;2027.01-1&#34;"),
        "{}",
        &diff[diff.find("rule-diff").unwrap_or(0)..][..400.min(diff.len())]
    );
    let (s, page) = city_analyst
        .post_form("/fraud/rules", &[("rules", "version = \"broken\"\n[[rule]]\nid = 1\n"), ("reason", "试改")])
        .await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-rules\""), "the error sits beside the text");
    assert!(
        page.contains("version = &quot;broken&quot;") || page.contains("version = &#34;broken&#34;"),
        "the text comes back"
    );
    let (_, now) = c.analyst.get("/api/fraud/rules").await;
    assert_eq!(now["version"], "2027.01-2", "a refused edit leaves the running set");
    let (s, _) = c.analyst.post_form("/fraud/rules", &[("rules", third.as_str()), ("reason", "越权")]).await;
    assert_eq!(s, 403, "a district analyst edits no city-wide rules from the page either");
});

on_both_backends!(a_draft_is_backtested_against_the_live_rules_and_the_cases_that_followed, |b| async move {
    let c = city(b).await;
    let bureau = c.app.unit("330200").await;
    c.app.user("city_analyst", &[Role::FraudAnalyst], bureau.id).await;
    let city_analyst = c.app.login("city_analyst").await;
    // A journey raises a red warning; a case for the same person follows it.
    let (s, r) = ndjson(&c.carrier, &format!("{}\n{}", json!({"id": "n-1", "phone": "13912340002", "at": ago(40), "kind": "url", "url": "https://www.shop1.com/a"}), journey("bt", "13912340001"))).await;
    assert_eq!((s, r["accepted"].as_i64()), (200, Some(4)), "{r}");
    let (s, r) = c
        .analyst
        .post("/api/fraud/cases", json!({"phone": "13912340001", "occurred_at": Utc::now().to_rfc3339(), "amount": 3000, "typology": "冒充客服"}))
        .await;
    assert_eq!(s, 201, "{r}");

    // The rules in force against themselves: the same warnings, nobody judged differently,
    // and the replay agrees with what was actually raised.
    let (s, same) =
        city_analyst.post("/api/fraud/rules/backtest", json!({"rules": ningan_fraud::DEFAULT_RULES, "days": 7})).await;
    assert_eq!(s, 200, "{same}");
    assert_eq!(same["signals"], 4, "{same}");
    assert_eq!(same["draft"], same["live"], "{same}");
    assert_eq!(same["live"]["high"], 1, "{same}");
    assert_eq!(same["raised"]["high"], 1, "{same}");
    assert_eq!((same["only_draft"].as_i64(), same["only_live"].as_i64()), (Some(0), Some(0)), "{same}");
    assert_eq!(
        (same["cases"].as_i64(), same["draft_caught"].as_i64(), same["live_caught"].as_i64()),
        (Some(1), Some(1), Some(1))
    );

    // A draft whose thresholds nothing reaches would have missed the person warned, and the case.
    let blind = ningan_fraud::DEFAULT_RULES
        .replace("version = \"2026.12-1\"", "version = \"blind\"")
        .replace("high = 80\nmedium = 50\nlow = 25", "high = 5000\nmedium = 4000\nlow = 3000");
    let (s, r) = city_analyst.post("/api/fraud/rules/backtest", json!({"rules": blind})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["days"].as_i64(), r["draft_version"].as_str(), r["live_version"].as_str()),
        (Some(7), Some("blind"), Some("2026.12-1"))
    );
    assert_eq!(r["draft"], json!({"low": 0, "medium": 0, "high": 0}), "{r}");
    assert_eq!(
        (r["only_live"].as_i64(), r["draft_caught"].as_i64(), r["live_caught"].as_i64()),
        (Some(1), Some(0), Some(1))
    );
    // Listed by the signal that first warned, at the highest level reached.
    assert_eq!(r["differences"], json!([{"signal_id": "bt-1", "draft": null, "live": "high"}]), "{r}");
    let (_, live) = c.analyst.get("/api/fraud/rules").await;
    assert_eq!(live["version"], "2026.12-1", "a backtest puts nothing in force");

    // Refusals name their field; the rule set is the city's, so a district analyst may not.
    let (s, e) = city_analyst.post("/api/fraud/rules/backtest", json!({"rules": blind, "days": 31})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("days")), "{e}");
    let (s, e) = city_analyst.post("/api/fraud/rules/backtest", json!({"rules": "version = 1\n[[rule]]\n"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("rules")), "{e}");
    let (s, _) = c.analyst.post("/api/fraud/rules/backtest", json!({"rules": blind})).await;
    assert_eq!(s, 403);

    // The page backtests the text in the form and keeps it there.
    let (s, page) = city_analyst.post_form("/fraud/rules/backtest", &[("rules", blind.as_str()), ("days", "3")]).await;
    assert_eq!(s, 200);
    assert!(page.contains("data-testid=\"backtest-result\""), "the comparison is shown");
    assert!(
        page.contains("version = &quot;blind&quot;") || page.contains("version = &#34;blind&#34;"),
        "the draft stays in the form"
    );
    let (s, page) = city_analyst.post_form("/fraud/rules/backtest", &[("rules", blind.as_str()), ("days", "0")]).await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-days\""), "the error sits beside the days");
});

on_both_backends!(rule_versions_keep_their_reason_compare_with_any_other_and_come_back, |b| async move {
    let c = city(b).await;
    let bureau = c.app.unit("330200").await;
    c.app.user("city_analyst", &[Role::FraudAnalyst], bureau.id).await;
    let a = c.app.login("city_analyst").await;
    let first = ningan_fraud::DEFAULT_RULES.replace("version = \"2026.12-1\"", "version = \"v-a\"");
    let second = ningan_fraud::DEFAULT_RULES.replace("version = \"2026.12-1\"", "version = \"v-b\"").replace(
        "score = 30\nkind = \"single\"\nwhen = { signal = \"call\"",
        "score = 35\nkind = \"single\"\nwhen = { signal = \"call\"",
    );
    assert!(second.contains("score = 35"), "the fixture changes the listed call's score");
    for (text, reason) in [(&first, "首版"), (&second, "提高来电分值")] {
        let (s, _) = a.post_form("/fraud/rules", &[("rules", text.as_str()), ("reason", reason)]).await;
        assert_eq!(s, 303);
    }
    let (s, list) = a.get("/api/fraud/rules/versions").await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!((items[0]["version"].as_str(), items[0]["reason"].as_str()), (Some("v-b"), Some("提高来电分值")));
    let (b_id, a_id) = (items[0]["id"].as_i64().unwrap(), items[1]["id"].as_i64().unwrap());
    let (s, cmp) = a.get(&format!("/api/fraud/rules/versions/{b_id}?against={a_id}")).await;
    assert_eq!(s, 200, "{cmp}");
    let changed: Vec<String> = cmp["diff"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["mark"] != " ")
        .map(|l| format!("{}{}", l["mark"].as_str().unwrap(), l["line"].as_str().unwrap()))
        .collect();
    assert_eq!(changed, ["-version = \"v-a\"", "+version = \"v-b\"", "-score = 30", "+score = 35"], "{cmp}");
    let (s, _) = a.get(&format!("/api/fraud/rules/versions/{b_id}?against=999999")).await;
    assert_eq!(s, 422);
    let (s, _) = a.get("/api/fraud/rules/versions/999999").await;
    assert_eq!(s, 404);

    // Putting the first back needs a reason and records a new version that says so.
    let (s, e) = a.post(&format!("/api/fraud/rules/versions/{a_id}/restore"), json!({"reason": "x"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("reason")), "{e}");
    let (s, r) =
        a.post(&format!("/api/fraud/rules/versions/{a_id}/restore"), json!({"reason": "误报增多，回退"})).await;
    assert_eq!((s, r["version"].as_str()), (200, Some("v-a")), "{r}");
    let (_, list) = a.get("/api/fraud/rules/versions").await;
    assert_eq!(list["total"], 3, "{list}");
    let reason = list["items"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("误报增多，回退") && reason.contains("v-a"), "{reason}");
    let (s, _) =
        c.analyst.post(&format!("/api/fraud/rules/versions/{a_id}/restore"), json!({"reason": "越权恢复"})).await;
    assert_eq!(s, 403, "a district analyst restores no city-wide rules");
    // And from the page, through the confirmation's reason.
    let (s, _) = a.post_form(&format!("/fraud/rules/versions/{b_id}/restore"), &[("reason", "再次启用")]).await;
    assert_eq!(s, 303);
    let (_, now) = a.get("/api/fraud/rules").await;
    assert_eq!(now["version"], "v-b");
});

on_both_backends!(a_case_moves_forward_to_solved_and_the_figures_count_it_by_month, |b| async move {
    let c = city(b).await;
    let (s, r) = c
        .analyst
        .post(
            "/api/fraud/cases",
            json!({"phone": "13912340001", "occurred_at": ago(600), "amount": 8000, "typology": "刷单返利"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let id = r["id"].as_i64().unwrap();
    let (_, list) = c.analyst.get("/api/fraud/cases").await;
    assert_eq!(
        (list["items"][0]["stage"].as_str(), list["items"][0]["stage_zh"].as_str()),
        (Some("filed"), Some("已立案"))
    );
    let stage = |body: Value| {
        let analyst = &c.analyst;
        async move { analyst.post(&format!("/api/fraud/cases/{id}/stage"), body).await }
    };
    let (s, e) = stage(json!({"stage": "closed"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("stage")), "{e}");
    let (s, e) = stage(json!({"stage": "investigating", "solved_at": ago(1)})).await;
    assert_eq!(
        (s, e["errors"][0]["field"].as_str()),
        (422, Some("solved_at")),
        "a solved time needs a solved case: {e}"
    );
    let (s, _) = stage(json!({"stage": "investigating"})).await;
    assert_eq!(s, 204);
    let (s, e) = stage(json!({"stage": "investigating"})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("stage")), "a stage only moves forward: {e}");
    let (s, e) = stage(json!({"stage": "solved", "solved_at": ago(700)})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("solved_at")), "not solved before it occurred: {e}");
    let (s, e) = stage(json!({"stage": "solved", "solved_at": ago(-60)})).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("solved_at")), "not solved in the future: {e}");
    let (s, _) = c.officer.post(&format!("/api/fraud/cases/{id}/stage"), json!({"stage": "solved"})).await;
    assert_eq!(s, 403, "an officer works tasks, not cases");
    // Another district's analyst does not see the case to move it.
    let other = c.app.unit("330212").await;
    c.app.user("other_analyst", &[Role::FraudAnalyst], other.id).await;
    let (s, _) = c
        .app
        .login("other_analyst")
        .await
        .post(&format!("/api/fraud/cases/{id}/stage"), json!({"stage": "solved"}))
        .await;
    assert_eq!(s, 404);
    let (s, _) = stage(json!({"stage": "solved"})).await;
    assert_eq!(s, 204);
    let (_, solved) = c.analyst.get("/api/fraud/cases?stage=solved").await;
    assert_eq!((solved["total"].as_i64(), solved["items"][0]["stage"].as_str()), (Some(1), Some("solved")), "{solved}");
    assert!(solved["items"][0]["solved_at"].is_string(), "{solved}");
    let (_, filed) = c.analyst.get("/api/fraud/cases?stage=filed").await;
    assert_eq!(filed["total"], 0);
    let (s, _) = c.analyst.get("/api/fraud/cases?stage=closed").await;
    assert_eq!(s, 422);
    let (_, f) = c.analyst.get("/api/fraud/figures").await;
    let this_month = f["months"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(this_month["solved"], 1, "{f}");
    let (_, cockpit) = c.analyst.get("/api/cockpit").await;
    let counter = cockpit["counters"].as_array().unwrap().iter().find(|x| x["key"] == "fraud_solved_month").cloned();
    assert_eq!(counter.unwrap()["value"], 1, "{cockpit}");

    // The page files a case, refusing beside the field, and moves it from its row.
    let (s, page) = c
        .analyst
        .post_form(
            "/fraud/cases",
            &[("phone", ""), ("occurred_at", "2026-11-20T10:30"), ("amount", "八千"), ("typology", "冒充公检法")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-amount\""), "the error sits beside the amount");
    let (s, _) = c
        .analyst
        .post_form(
            "/fraud/cases",
            &[("phone", ""), ("occurred_at", "2026-11-20T10:30"), ("amount", "8000"), ("typology", "冒充公检法")],
        )
        .await;
    assert_eq!(s, 303);
    let (_, list) = c.analyst.get("/api/fraud/cases?stage=filed").await;
    let second = list["items"][0]["id"].as_i64().unwrap();
    let (s, page) = c
        .analyst
        .post_form(&format!("/fraud/cases/{second}/stage"), &[("stage", "solved"), ("solved_at", "2026-11-19T10:30")])
        .await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"stage-error\""), "the refusal is shown on the row");
    let (s, _) =
        c.analyst.post_form(&format!("/fraud/cases/{second}/stage"), &[("stage", "solved"), ("solved_at", "")]).await;
    assert_eq!(s, 303);
    let page = c.analyst.http.get(c.app.url("/fraud/cases?stage=solved")).send().await.unwrap().text().await.unwrap();
    assert_eq!(page.matches("data-testid=\"case-row\"").count(), 2, "both solved cases are listed");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_a_journey_keeps_the_sequence() {
    // Two processes one after the other on one database (each with its own engine files):
    // the second starts with empty windows and rebuilds them from the signal log.
    let (loc, dir) = ningan_testkit::fresh_location(Backend::Postgres);
    let ningan_store::Location::Postgres(url) = loc else { panic!("postgres location") };
    let config = ningan::config::Config {
        data_dir: dir.path().to_path_buf(),
        database_url: Some(url.clone()),
        ..Default::default()
    };
    let first = spawn_app_on(config, Backend::Postgres, dir).await;
    let station = first.station(330203, 1).await;
    first.user("analyst", &[Role::FraudAnalyst], station.id).await;
    first.resident("受害人乙", 330203, 2, station.id).await;
    let analyst = first.login("analyst").await;
    let (s, _) = analyst
        .post(
            "/api/fraud/watchlist",
            json!({"entries": [
            {"kind": "phone", "value": "0574-66660001", "source": "x"},
            {"kind": "app", "value": "com.fake.meeting", "source": "x"}]}),
        )
        .await;
    assert_eq!(s, 201);
    let body = journey("restart", "13912340002");
    let lines: Vec<&str> = body.lines().collect();
    let (_, r) = ndjson(&analyst, &lines[..2].join("\n")).await;
    assert_eq!(r["accepted"], 2, "{r}");

    let keep = tempfile::tempdir().unwrap();
    let config =
        ningan::config::Config { data_dir: keep.path().to_path_buf(), database_url: Some(url), ..Default::default() };
    let second = spawn_app_on(config, Backend::Postgres, keep).await;
    let analyst2 = second.login("analyst").await;
    let (_, r) = ndjson(&analyst2, lines[2]).await;
    assert_eq!(r["warnings"][0]["level"], "high", "the sequence survived the restart: {r}");
}

// The watchlist page adds entries with an expiry, edits them in place, and takes them off
// only with a reason, which the audit log keeps.
on_both_backends!(watchlist_entries_are_edited_expire_and_come_off_with_a_reason, |b| async move {
    let c = city(b).await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%d").to_string();
    let later = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
    let entry = |confidence: &'static str, until: String| {
        vec![
            ("kind", "phone".to_string()),
            ("value", "0574-66661234".to_string()),
            ("source", "反诈中心".to_string()),
            ("confidence", confidence.to_string()),
            ("expires_on", until),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let analyst = &c.analyst;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            analyst.post_form("/fraud/watchlist", &pairs).await
        }
    };
    let (s, page) = send(entry("80", yesterday)).await;
    assert_eq!(s, 422);
    assert!(page.contains("data-testid=\"error-expires_on\""), "a past expiry is named beside its field");
    assert!(page.contains("0574-66661234"), "what was typed comes back");
    let (s, _) = send(entry("80", later.clone())).await;
    assert_eq!(s, 303);
    let (s, _) = send(entry("95", later.clone())).await;
    assert_eq!(s, 303, "the same identifier again edits the entry");
    let (_, list) = c.analyst.get("/api/fraud/watchlist?q=66661234").await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["confidence"], 95);
    assert!(list["items"][0]["expires_at"].as_str().unwrap().starts_with(&later), "{list}");
    let id = list["items"][0]["id"].as_i64().unwrap();
    let (s, _) = c.analyst.post_form(&format!("/fraud/watchlist/{id}/remove"), &[("reason", "")]).await;
    assert_eq!(s, 422, "no removal without a reason");
    let (s, _) = c.analyst.post_form(&format!("/fraud/watchlist/{id}/remove"), &[("reason", "号码已回收")]).await;
    assert_eq!(s, 303);
    let (_, list) = c.analyst.get("/api/fraud/watchlist?q=66661234").await;
    assert_eq!(list["total"], 0);
    let city_unit = c.app.unit("330200").await;
    c.app.user("auditor", &[Role::Auditor], city_unit.id).await;
    let auditor = c.app.login("auditor").await;
    let (_, trail) = auditor.get("/api/audit?action=fraud.watchlist.remove").await;
    assert_eq!(trail["items"][0]["purpose"], "号码已回收", "{trail}");
});

on_both_backends!(the_task_list_searches_sorts_and_exports_what_it_filtered, |b| async move {
    let c = city(b).await;
    let (s, r) = ndjson(&c.carrier, &journey("v", "13912340001")).await;
    assert_eq!(s, 200, "{r}");
    // A second person of the same station.
    c.app.resident("来电人乙", 330203, 2, c.station.id).await;
    let (s, r) = ndjson(&c.carrier, &journey("u", "13912340002")).await;
    assert_eq!(s, 200, "{r}");
    let (_, all) = c.officer.get("/api/fraud/tasks?per_page=100").await;
    let total = all["total"].as_i64().unwrap();
    let (_, named) = c.officer.get("/api/fraud/tasks?q=%E5%8F%97%E5%AE%B3").await;
    assert!(named["total"].as_i64().unwrap() >= 1, "{named}");
    assert!(
        named["items"].as_array().unwrap().iter().all(|t| t["resident_id"] == c.victim),
        "a name in part finds that person's tasks only: {named}"
    );
    let (_, digits) = c.officer.get("/api/fraud/tasks?q=0002").await;
    assert!(digits["total"].as_i64().unwrap() >= 1, "{digits}");
    assert!(digits["items"].as_array().unwrap().iter().all(|t| t["phone"] == "139****0002"), "{digits}");
    assert_eq!(
        named["total"].as_i64().unwrap() + digits["total"].as_i64().unwrap(),
        total,
        "the two people's tasks are all the tasks"
    );
    let one = digits["items"][0]["id"].as_i64().unwrap();
    let (_, by_no) = c.officer.get(&format!("/api/fraud/tasks?q=%23{one}")).await;
    assert_eq!((by_no["total"].as_i64(), by_no["items"][0]["id"].as_i64()), (Some(1), Some(one)));
    let (_, by_score) = c.officer.get("/api/fraud/tasks?sort=score&per_page=100").await;
    let scores: Vec<i64> = by_score["items"].as_array().unwrap().iter().map(|t| t["score"].as_i64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "highest score first: {scores:?}");
    let (_, low_first) = c.officer.get("/api/fraud/tasks?sort=-score&per_page=100").await;
    let lows: Vec<i64> = low_first["items"].as_array().unwrap().iter().map(|t| t["score"].as_i64().unwrap()).collect();
    assert!(lows.windows(2).all(|w| w[0] <= w[1]), "{lows:?}");
    let (s, bad) = c.officer.get("/api/fraud/tasks?sort=name").await;
    assert_eq!((s, bad["errors"][0]["field"].as_str()), (422, Some("sort")), "{bad}");

    // The page: the query form keeps what was typed; a wrong value is named beside its field.
    let page = c.officer.http.get(c.app.url("/fraud/tasks?q=0002&size=50")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("139****0002") && !html.contains("受害人甲"), "filtered on the page too");
    assert!(html.contains("value=\"0002\"") && html.contains("<option value=\"50\" selected>"), "as typed");
    assert!(!html.contains("13912340002"), "the number stays masked");
    let page = c.officer.http.get(c.app.url("/fraud/tasks?level=purple")).send().await.unwrap();
    assert_eq!(page.status(), 422);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-testid=\"error-level\""), "beside the field");

    // Exports hold the filtered rows, masked as on the page, and are audited under the person.
    let csv = c.officer.http.get(c.app.url("/fraud/tasks.csv?q=%E5%8F%97%E5%AE%B3")).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("fraud-tasks-"));
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count() as i64, 1 + named["total"].as_i64().unwrap(), "{text}");
    assert!(text.contains("受害人甲") && text.contains("139****0001") && !text.contains("13912340001"), "{text}");
    assert!(!text.contains("0002"), "{text}");
    let xlsx = c.officer.http.get(c.app.url("/fraud/tasks.xlsx?q=0002&sort=score")).send().await.unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("fraud-tasks").unwrap();
    assert_eq!(sheet.height() as i64, 1 + digits["total"].as_i64().unwrap());
    assert!(sheet.rows().skip(1).all(|r| r[3] == "139****0002"));
    let seen = c.app.db.accesses_to(c.victim, ningan_store::PageRequest::new(None, Some(100))).await.unwrap();
    assert!(seen.items.iter().any(|a| a.action == "fraud.task.list"), "the export is in the person's access record");
    // In English the typology and the call script read in English too.
    let r = c.officer.http.post(c.app.url("/account/language")).form(&[("language", "en")]).send().await.unwrap();
    assert!(r.status().is_redirection() || r.status().is_success(), "{}", r.status());
    let html =
        c.officer.http.get(c.app.url(&format!("/fraud/tasks/{one}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Fake shop or courier service"), "the typology in English");
    assert!(html.contains("anti-fraud officer of the Ningbo Public Security Bureau"), "the script in English");
    assert!(!html.contains("反诈民警"), "and not in Chinese");
    let (_, detail) = c.officer.get(&format!("/api/fraud/tasks/{one}")).await;
    assert!(detail["script"][0].as_str().unwrap().contains("反诈民警"), "the API keeps the spoken script");
    assert!(detail["script_en"][0].as_str().unwrap().contains("Ningbo"), "and its English beside it");

    // Another station's officer exports nothing of them.
    let other = c.app.station(330205, 1).await;
    c.app.user("elsewhere", &[Role::StationOfficer], other.id).await;
    let far = c.app.login("elsewhere").await;
    let text = far.http.get(c.app.url("/fraud/tasks.csv")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text.lines().count(), 1, "only the heading: {text}");
});

/// Waits until the task's stop-payment requests have all left pending and failed.
async fn stops_answered(officer: &Client, task: i64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    loop {
        let (_, d) = officer.get(&format!("/api/fraud/tasks/{task}")).await;
        let stops = d["stop_payments"].as_array().cloned().unwrap_or_default();
        if !stops.is_empty() && stops.iter().all(|s| matches!(s["status"].as_str(), Some("stopped" | "refused"))) {
            return d;
        }
        assert!(std::time::Instant::now() < deadline, "stop-payment still unanswered: {d}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn red_task(officer: &Client) -> i64 {
    let (_, tasks) = officer.get("/api/fraud/tasks?status=open&level=high").await;
    tasks["items"][0]["id"].as_i64().unwrap()
}

on_both_backends!(a_red_warning_on_a_transfer_asks_the_bank_to_stop_the_money, |b| async move {
    const SECRET: &str = "test-bank-secret-000001";
    let sim = partner_sim(SECRET).await;
    let c = city(b).await;
    let bureau = c.app.unit("330200").await;
    c.app.user("city_admin", &[Role::Administrator], bureau.id).await;
    c.app.user("city_analyst", &[Role::FraudAnalyst], bureau.id).await;
    let register = |secret: &'static str| {
        let app = &c.app;
        let port = sim.1;
        async move {
            let (s, r) = app
                .login("city_admin")
                .await
                .request(
                    "PUT",
                    "/api/services/agencies/bank",
                    json!({"name": "止付协作银行", "base_url": format!("http://127.0.0.1:{port}/bank"), "secret": secret, "evidence": [],
                        "public_key": hex::encode(ningan::sim::agency_key(secret, "bank").verifying_key().as_bytes())}),
                )
                .await;
            assert_eq!(s, 200, "{r}");
        }
    };
    register(SECRET).await;

    // The journey's transfer (payee 6217000011112222, digits adding up to 28) is stopped in full.
    let (s, r) = ndjson(&c.carrier, &journey("sp", "13912340001")).await;
    assert_eq!((s, r["warnings"][2]["level"].as_str()), (200, Some("high")), "{r}");
    let task = red_task(&c.officer).await;
    let d = stops_answered(&c.officer, task).await;
    let stop = &d["stop_payments"][0];
    assert_eq!((stop["status"].as_str(), stop["signal_id"].as_str()), (Some("stopped"), Some("sp-3")), "{d}");
    assert_eq!((stop["amount"].as_f64(), stop["stopped_amount"].as_f64()), (Some(52000.0), Some(52000.0)));
    assert!(stop["bank_ref"].as_str().unwrap().starts_with("ZF"), "{stop}");
    assert_eq!(stop["account"], "************2222", "the payee account is masked");
    let html =
        c.officer.http.get(c.app.url(&format!("/fraud/tasks/{task}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-testid=\"task-stops\"") && html.contains("已止付"), "the task page shows the answer");
    let received: Value =
        reqwest::get(format!("http://127.0.0.1:{}/control/received", sim.1)).await.unwrap().json().await.unwrap();
    assert_eq!(received["stops"].as_object().unwrap().len(), 1, "the bank was asked once: {received}");

    // A key the bank does not share: the request is refused as unsigned and retried; once the
    // key is put right, the retry is answered — this payee has passed the money on.
    register("a-wrong-secret-0000001").await;
    c.app.resident("受害人乙", 330203, 2, c.station.id).await;
    // Digits adding up to 30: the bank finds the money already passed on.
    let refused_journey = journey("sq", "13912340002").replace("6217000011112222", "6217000011112224");
    let (s, r) = ndjson(&c.carrier, &refused_journey).await;
    assert_eq!((s, r["warnings"][2]["level"].as_str()), (200, Some("high")), "{r}");
    let (_, tasks) = c.analyst.get("/api/fraud/tasks?status=open&level=high").await;
    let second = tasks["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .find(|id| *id != task)
        .expect("a second red task");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, d) = c.analyst.get(&format!("/api/fraud/tasks/{second}")).await;
        let s = &d["stop_payments"][0];
        if s["status"] == "failed" {
            assert!(s["last_error"].as_str().unwrap().contains("401"), "{s}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no failed attempt seen: {d}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    register(SECRET).await;
    let city_analyst = c.app.login("city_analyst").await;
    let (_, failed) = city_analyst.get("/api/fraud/stop-payments?status=failed").await;
    let id = failed["items"][0]["id"].as_i64().expect("the failed request is listed");
    let (s, _) = city_analyst.post(&format!("/api/fraud/stop-payments/{id}/redrive"), json!({})).await;
    assert!(s == 204 || s == 409, "re-sent at once (or already being answered): {s}");
    let d = stops_answered(&c.analyst, second).await;
    let stop = &d["stop_payments"][0];
    assert_eq!(stop["status"], "refused", "{d}");
    assert!(stop["refused_because"].as_str().unwrap().contains("已转出"), "{stop}");
    assert_eq!(stop["stopped_amount"].as_f64(), Some(0.0));

    // Every request and answer is in the message log, signed by its sender and sealed; the
    // log checks out, and an edited entry is named.
    assert!(ningan::trust::verify_log(&c.app.db).await.unwrap().unwrap() >= 4);
    let mut w = c.app.db.write().await.unwrap();
    let signed: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT direction, key_id FROM exchange_log WHERE request_id = 'stop-1' ORDER BY seq")
            .fetch_all(w.connection())
            .await
            .unwrap();
    assert_eq!(signed.len(), 2, "the request and the bank's answer: {signed:?}");
    assert!(signed.iter().all(|(_, key)| key.is_some()), "both signed with registered keys: {signed:?}");
    sqlx::query("UPDATE exchange_log SET request_id = 'stop-999' WHERE seq = 2").execute(w.connection()).await.unwrap();
    w.commit().await.unwrap();
    let broken = ningan::trust::verify_log(&c.app.db).await.unwrap().unwrap_err();
    assert_eq!(broken, ningan_core::msglog::Broken::Hash(2));

    // Partners check the bureau's signatures with its published key.
    let (s, keys) = c.app.anonymous().get("/api/exchange/keys").await;
    assert_eq!((s, keys[0]["in_force"].as_bool()), (200, Some(true)), "{keys}");
    let bureau = ningan_core::msglog::verifying_key_from_hex(keys[0]["public_key"].as_str().unwrap()).unwrap();
    assert_eq!(keys[0]["key_id"].as_str(), Some(ningan_core::msglog::key_id(&bureau).as_str()));

    // Only red warnings on transfers ask: a call alone asks nothing.
    let (_, all) = city_analyst.get("/api/fraud/stop-payments").await;
    assert_eq!(all["total"], 2, "{all}");
    let (_, refused) = city_analyst.get("/api/fraud/stop-payments?status=refused").await;
    assert_eq!(refused["total"], 1, "{refused}");
    let (s, e) = city_analyst.get("/api/fraud/stop-payments?status=maybe").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("status")), "{e}");
    let (s, _) = city_analyst.post(&format!("/api/fraud/stop-payments/{id}/redrive"), json!({})).await;
    assert_eq!(s, 409, "an answered request is not sent again");
    // The cockpit counts what the bank stopped, in the officer's scope too.
    let (_, cockpit) = c.officer.get("/api/cockpit").await;
    let counter = |key: &str| {
        cockpit["counters"].as_array().unwrap().iter().find(|x| x["key"] == key).and_then(|x| x["value"].as_i64())
    };
    assert_eq!((counter("fraud_stopped"), counter("fraud_stopped_yuan")), (Some(1), Some(52000)), "{cockpit}");
    // The list is the city's: a station officer and a district analyst may not read it.
    for who in [&c.officer, &c.analyst] {
        let (s, _) = who.get("/api/fraud/stop-payments").await;
        assert_eq!(s, 403);
        assert_eq!(who.raw_get("/fraud/stop-payments").await.status(), 403, "nor its page");
    }
    // The city's analysts follow the same list on a page, reached from the board.
    let board = city_analyst.raw_get("/fraud/board").await.text().await.unwrap();
    assert!(board.contains("data-testid=\"stops-link\""), "the board links to it");
    let page = city_analyst.raw_get("/fraud/stop-payments?status=refused").await.text().await.unwrap();
    assert!(page.contains("data-testid=\"stops-stopped\">1<"), "the figures");
    assert_eq!(page.matches("<tr data-status=\"refused\">").count(), 1, "the filter");
    assert!(!page.contains("data-status=\"stopped\""));
});
