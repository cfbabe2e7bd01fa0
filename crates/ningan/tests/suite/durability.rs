//! Nothing acknowledged is lost: the real binary takes writes from several clients, is
//! killed with SIGKILL in the middle of them, restarts, and every resident it answered 201
//! for is there, with the audit chain intact.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ningan_store::{Db, Location};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_ningan");

fn data_args(dir: &std::path::Path, loc: &Location) -> Vec<String> {
    let mut args = vec!["--data".to_string(), dir.display().to_string()];
    if let Location::Postgres(url) = loc {
        args.extend(["--database-url".to_string(), url.clone()]);
    }
    args
}

pub(crate) fn start(args: &[String], port: u16) -> Child {
    Command::new(BIN)
        .arg("serve")
        .args(args)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("NINGAN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ningan")
}

/// Generates a demo city of `people` on `args` and returns `username`'s demo password.
fn demo_city(args: &[String], people: u32, username: &str) -> String {
    let out = Command::new(BIN)
        .arg("demo")
        .args(args)
        .args(["--people", &people.to_string(), "--no-serve"])
        .output()
        .expect("demo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(username)).then(|| words.next().unwrap_or("").to_string())
        })
        .unwrap_or_else(|| panic!("{username}'s login printed"))
}

pub(crate) async fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server on {port} did not become healthy");
}

pub(crate) async fn login(port: u16, username: &str, password: &str) -> reqwest::Client {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
    let r = http
        .post(format!("http://127.0.0.1:{port}/api/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("x-csrf-token", body["csrf_token"].as_str().unwrap().parse().unwrap());
    reqwest::Client::builder().cookie_provider(jar).default_headers(h).build().unwrap()
}

on_both_backends!(acknowledged_writes_survive_kill_9, |b| async move {
    let (loc, dir) = ningan_testkit::fresh_location(b);
    let args = data_args(dir.path(), &loc);
    // A small demo city gives stations and a clerk with a known password.
    let password = demo_city(&args, 50, "clerk");

    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let client = login(port, "clerk", &password).await;
    let me: serde_json::Value =
        client.get(format!("http://127.0.0.1:{port}/api/me")).send().await.unwrap().json().await.unwrap();
    let unit_id = me["unit_id"].as_i64().unwrap();

    // Four writers, each recording the ID numbers the server acknowledged.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..4u16 {
        let (client, acked) = (client.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..500u16 {
                let birth = chrono::NaiveDate::from_ymd_opt(1960 + i32::from(w), 1, 1).unwrap() + chrono::Duration::days(i64::from(i));
                let id = ningan_core::IdNumber::synthesize(330203, birth, 500 + w);
                let body = json!({"name": format!("写入{w}-{i}"), "id_number": id.as_str(), "hukou_address": "宁波市海曙区测试路", "unit_id": unit_id});
                match client.post(format!("http://127.0.0.1:{port}/api/residents")).json(&body).send().await {
                    Ok(r) if r.status() == 201 => acked.lock().unwrap().push(id.as_str().to_string()),
                    Ok(r) => panic!("unexpected {}", r.status()),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Kill once a good number of writes have been acknowledged, while more are in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 150 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 150, "only {} writes acknowledged before the kill", acked.len());
    assert!(acked.len() < 2000, "the kill came while writes were still going");

    // Restart on the same data and count.
    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let db = Db::open(&loc).await.unwrap();
    let mut w = db.write().await.unwrap();
    let mut missing = Vec::new();
    for id in &acked {
        let q = ningan_store::ResidentQuery { q: Some(id.clone()), ..Default::default() };
        let page = w
            .resident_search(&actor(), &ningan_store::Scope::everything(), &q, ningan_store::PageRequest::default())
            .await
            .unwrap();
        if page.total != 1 {
            missing.push(id.clone());
        }
    }
    drop(w);
    assert!(missing.is_empty(), "{} of {} acknowledged residents lost: {missing:?}", missing.len(), acked.len());
    server.kill().unwrap();
    server.wait().unwrap();
    db.close().await;
    let verify = Command::new(BIN).args(["audit", "verify"]).args(&args).output().unwrap();
    assert!(
        verify.status.success(),
        "audit chain after the crash: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
});

// Shelter check-ins the server acknowledged are there after a SIGKILL in the middle of
// concurrent desks, each with its stay, and the audit chain still verifies.
on_both_backends!(acknowledged_shelter_check_ins_survive_kill_9, |b| async move {
    let (loc, dir) = ningan_testkit::fresh_location(b);
    let args = data_args(dir.path(), &loc);
    let password = demo_city(&args, 600, "commander");
    let db = Db::open(&loc).await.unwrap();
    let people: Vec<i64> =
        ningan_store::sql::query_scalar("SELECT id FROM residents ORDER BY id").fetch_all(db.reader()).await.unwrap();
    let shelter: i64 = ningan_store::sql::query_scalar("SELECT id FROM em_shelters ORDER BY id LIMIT 1")
        .fetch_one(db.reader())
        .await
        .unwrap();
    // Room for everyone: the kill, not a full shelter, ends the check-ins.
    let mut w = db.write().await.unwrap();
    ningan_store::sql::query("UPDATE em_shelters SET capacity = 20000").execute(w.connection()).await.unwrap();
    w.commit().await.unwrap();
    db.close().await;

    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let client = login(port, "commander", &password).await;
    let ev: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/api/emergency/events"))
        .json(&json!({"name": "暴雨演练", "kind": "rainstorm"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let event = ev["id"].as_i64().expect("event");
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let mut desks = Vec::new();
    for d in 0..3usize {
        let (client, acked) = (client.clone(), acked.clone());
        let mine: Vec<i64> = people.iter().copied().skip(d).step_by(3).collect();
        desks.push(tokio::spawn(async move {
            for r in mine {
                let body = json!({"shelter_id": shelter, "resident_id": r});
                match client
                    .post(format!("http://127.0.0.1:{port}/api/emergency/events/{event}/stays"))
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(resp) if resp.status() == 201 => acked.lock().unwrap().push(r),
                    Ok(resp) => panic!("unexpected {}", resp.status()),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 60 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    for d in desks {
        let _ = d.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 60, "only {} check-ins acknowledged before the kill", acked.len());
    assert!(acked.len() < people.len(), "the kill came while desks were still checking people in");

    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let db = Db::open(&loc).await.unwrap();
    let staying: Vec<i64> =
        ningan_store::sql::query_scalar("SELECT resident_id FROM em_stays WHERE event_id = $1 AND left_at IS NULL")
            .bind(event)
            .fetch_all(db.reader())
            .await
            .unwrap();
    let missing: Vec<i64> = acked.iter().copied().filter(|r| !staying.contains(r)).collect();
    assert!(missing.is_empty(), "{} of {} acknowledged check-ins lost: {missing:?}", missing.len(), acked.len());
    server.kill().unwrap();
    server.wait().unwrap();
    db.close().await;
    let verify = Command::new(BIN).args(["audit", "verify"]).args(&args).output().unwrap();
    assert!(verify.status.success(), "audit chain after the crash: {}", String::from_utf8_lossy(&verify.stdout));
});

/// Risk signals the server answered for are logged, and the warnings it reported are tasks,
/// after a SIGKILL in the middle of concurrent batches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_signals_and_warnings_survive_kill_9_sqlite() {
    signals_survive_kill_9(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_signals_and_warnings_survive_kill_9_postgres() {
    signals_survive_kill_9(Backend::Postgres).await;
}

async fn signals_survive_kill_9(b: Backend) {
    let (loc, dir) = ningan_testkit::fresh_location(b);
    let args = data_args(dir.path(), &loc);
    let password = demo_city(&args, 50, "analyst");
    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let client = login(port, "analyst", &password).await;

    let acked = std::sync::Arc::new(std::sync::Mutex::new((Vec::<String>::new(), Vec::<i64>::new())));
    let mut writers = Vec::new();
    for w in 0..3u32 {
        let (client, acked) = (client.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            let now = chrono::Utc::now().timestamp();
            for b in 0..400u32 {
                // Each batch: a listed call (a yellow warning) and forty benign signals.
                let phone = format!("1370{:07}", w * 10_000 + b);
                let mut ids = vec![format!("k{w}-{b}-call")];
                let mut body = json!({"id": ids[0], "phone": phone, "at": now - 60, "kind": "call", "from": "0574-61000000", "duration": 200}).to_string();
                for i in 0..40 {
                    let id = format!("k{w}-{b}-{i}");
                    body.push('\n');
                    body.push_str(&json!({"id": id, "phone": phone, "at": now - 30, "kind": "sms", "from": "95588"}).to_string());
                    ids.push(id);
                }
                let sent = client
                    .post(format!("http://127.0.0.1:{port}/api/fraud/signals/ndjson"))
                    .header("content-type", "application/x-ndjson")
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => {
                        let report: serde_json::Value = r.json().await.unwrap_or_default();
                        let tasks: Vec<i64> = report["warnings"]
                            .as_array()
                            .map(|ws| ws.iter().filter_map(|w| w["task_id"].as_i64()).collect())
                            .unwrap_or_default();
                        let mut a = acked.lock().unwrap();
                        if report["accepted"].as_u64() == Some(ids.len() as u64) {
                            a.0.extend(ids);
                            a.1.extend(tasks);
                        }
                    }
                    Ok(r) => panic!("unexpected {}", r.status()),
                    Err(_) => return,
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().1.len() < 40 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    for w in writers {
        let _ = w.await;
    }
    let (ids, tasks) = acked.lock().unwrap().clone();
    assert!(tasks.len() >= 40, "only {} warnings acknowledged before the kill", tasks.len());
    assert!(tasks.len() < 1200, "the kill came while batches were still going");

    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let db = Db::open(&loc).await.unwrap();
    let mut found = 0;
    for chunk in ids.chunks(50) {
        found += db.fraud_signals_by_ids(chunk).await.unwrap().len();
    }
    assert_eq!(found, ids.len(), "every acknowledged signal is in the log");
    let scope = ningan_store::Scope::everything();
    for t in &tasks {
        db.fraud_task(&scope, *t).await.unwrap_or_else(|e| panic!("acknowledged warning task {t} lost: {e}"));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    db.close().await;
}

// A call-record import killed mid-way resumes where its last committed batch ended: every
// row is read once, none twice, and the counts add up.
on_both_backends!(an_import_killed_mid_way_resumes_and_counts_every_row_once, |b| async move {
    let (loc, dir) = ningan_testkit::fresh_location(b);
    let args = data_args(dir.path(), &loc);
    let password = demo_city(&args, 50, "detective");
    const ROWS: i64 = 60_000;
    let mut csv = String::from("caller,callee,start,duration_s\n");
    for i in 0..ROWS {
        csv.push_str(&format!(
            "13{:09},13{:09},2026-01-02 03:04:05,{}\n",
            100_000_000 + i % 50_000,
            200_000_000 + i,
            i % 600
        ));
    }

    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let client = login(port, "detective", &password).await;
    let base = format!("http://127.0.0.1:{port}/api/investigation/cases");
    let case: serde_json::Value = client
        .post(&base)
        .json(&json!({"title": "话单导入断电测试", "category": "诈骗"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let case = case["id"].as_i64().expect("case");
    let r = client.post(format!("{base}/{case}/imports?kind=calls&name=big.csv")).body(csv).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let import = r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let url = format!("{base}/{case}/imports/{import}");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = 0;
    while Instant::now() < deadline {
        let i: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
        seen = i["rows_done"].as_i64().unwrap_or(0);
        if seen >= 10_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    assert!((10_000..ROWS).contains(&seen), "killed mid-import, after {seen} rows");

    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let client = login(port, "detective", &password).await;
    let url = format!("http://127.0.0.1:{port}/api/investigation/cases/{case}/imports/{import}");
    let deadline = Instant::now() + Duration::from_secs(300);
    let done = loop {
        let i: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
        if i["state"] == "done" || i["state"] == "failed" || Instant::now() > deadline {
            break i;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        (done["state"].as_str(), done["rows_done"].as_i64(), done["accepted"].as_i64()),
        (Some("done"), Some(ROWS), Some(ROWS)),
        "{done}"
    );
    let db = Db::open(&loc).await.unwrap();
    let (n, lines): (i64, i64) =
        ningan_store::sql::query_as("SELECT COUNT(*), COUNT(DISTINCT line) FROM inv_relations WHERE import_id = $1")
            .bind(import)
            .fetch_one(db.reader())
            .await
            .unwrap();
    assert_eq!((n, lines), (ROWS, ROWS), "each row stored once");
    server.kill().unwrap();
    server.wait().unwrap();
    db.close().await;
    let verify = Command::new(BIN).args(["audit", "verify"]).args(&args).output().unwrap();
    assert!(verify.status.success(), "audit chain after the crash: {}", String::from_utf8_lossy(&verify.stdout));
});

/// With `log_format = "json"` every log line of the running binary is one JSON object, the
/// requests' lines carry their id (the one sent back as `X-Request-Id`), and no line holds a
/// resident's ID number or phone, whatever the requests carried in paths, queries and bodies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_ids_and_no_personal_data() {
    let (loc, dir) = ningan_testkit::fresh_location(Backend::Sqlite);
    let args = data_args(dir.path(), &loc);
    let password = demo_city(&args, 200, "officer");
    let db = Db::open(&loc).await.unwrap();
    let people: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, id_number, phone FROM residents").fetch_all(db.reader()).await.unwrap();
    db.close().await;
    let port = free_port();
    let log = dir.path().join("server.log");
    let mut server = Command::new(BIN)
        .arg("serve")
        .args(&args)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("NINGAN_LOG", "debug")
        .env("NINGAN_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start ningan");
    wait_healthy(port).await;
    let client = login(port, "officer", &password).await;
    let base = format!("http://127.0.0.1:{port}");
    // Identifiers where a careless log would copy them: path, query, body, a failed sign-in.
    let (id, number, phone) = people.iter().find(|p| p.2.is_some()).cloned().unwrap();
    let phone = phone.unwrap_or_default();
    let r = client
        .get(format!("{base}/api/residents/{number}"))
        .header("x-request-id", "req-abc12345")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "req-abc12345");
    client.get(format!("{base}/api/residents?q={number}&purpose=核查")).send().await.unwrap();
    client.get(format!("{base}/api/residents?phone={phone}&purpose=核查")).send().await.unwrap();
    client
        .post(format!("{base}/api/residents/{id}/reveal"))
        .json(&json!({"purpose": "核查身份"}))
        .send()
        .await
        .unwrap();
    client
        .post(format!("{base}/api/residents"))
        .json(&json!({"name": "测试", "id_number": number, "phone": phone, "hukou_address": "宁波"}))
        .send()
        .await
        .unwrap();
    reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": number, "password": phone}))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() > 5, "{text}");
    let mut with_id = 0;
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["span"]["request_id"] == "req-abc12345" {
            with_id += 1;
        }
    }
    assert!(with_id >= 1, "the request's own id is in its lines: {text}");
    for (_, n, p) in &people {
        assert!(!text.contains(n.as_str()), "an ID number is in the log: {n}");
        if let Some(p) = p {
            assert!(!text.contains(p.as_str()), "a phone is in the log: {p}");
        }
    }
}

/// SIGTERM stops the server within a bounded time even with a live board's event stream
/// open, and the check-ins it took are folded into the engine's day segments (a new
/// generation), so the next start replays no log; the process exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_checkpoints_the_engine_and_exits() {
    let (loc, dir) = ningan_testkit::fresh_location(Backend::Sqlite);
    let args = data_args(dir.path(), &loc);
    let password = demo_city(&args, 200, "officer");
    let commander = demo_city(&args, 200, "commander");
    let db = Db::open(&loc).await.unwrap();
    let people: Vec<(i64,)> = sqlx::query_as(
        "SELECT r.id FROM residents r JOIN users u ON u.unit_id = r.unit_id WHERE u.username = 'officer' LIMIT 3",
    )
    .fetch_all(db.reader())
    .await
    .unwrap();
    db.close().await;
    assert_eq!(people.len(), 3);
    let generation = |dir: &std::path::Path| -> u64 {
        std::fs::read_dir(dir.join("trace"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_prefix("log-")?.strip_suffix(".wal")?.parse().ok())
            .max()
            .unwrap_or(0)
    };
    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let before = generation(dir.path());
    let officer = login(port, "officer", &password).await;
    let base = format!("http://127.0.0.1:{port}");
    let me: serde_json::Value = officer.get(format!("{base}/api/me")).send().await.unwrap().json().await.unwrap();
    let unit = me["unit_id"].as_i64().unwrap();
    let v: serde_json::Value = officer
        .post(format!("{base}/api/venues"))
        .json(&json!({"name": "鼓楼面馆", "kind": "restaurant", "address": "中山西路1号", "unit_id": unit, "lon": 121.55, "lat": 29.87}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = v["code"].as_str().unwrap_or_else(|| panic!("{v}")).to_string();
    let ago = |h: i64| (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339();
    let checkins: Vec<serde_json::Value> = people
        .iter()
        .map(|(id,)| json!({"resident_id": id, "venue_code": code, "at": ago(3), "left_at": ago(2)}))
        .collect();
    let r: serde_json::Value = officer
        .post(format!("{base}/api/checkins"))
        .json(&json!({"checkins": checkins}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["accepted"], 3, "{r}");
    // A live board stays connected through the stop.
    let board = login(port, "commander", &commander).await;
    let stream = board.get(format!("{base}/api/command/board/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let held = tokio::spawn(async move {
        let mut s = stream;
        while let Ok(Some(_)) = s.chunk().await {}
    });

    let asked = Instant::now();
    let term = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(term.success());
    let status = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        assert!(asked.elapsed() < Duration::from_secs(40), "still running 40 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    held.abort();
    assert!(status.success(), "{status}");
    assert!(asked.elapsed() >= Duration::from_secs(9), "the open stream was given the drain time");
    assert!(generation(dir.path()) > before, "the stop folded the log into a new generation");
}

/// A data directory made by the previous release (see `tests/fixtures/previous-release/`)
/// opens with this one: `migrate --dry-run` lists what this release adds, the server
/// migrates it forward and serves it, every resident and account is still there, the
/// tracing engine reads its files, the new module answers, and the audit chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_from_the_previous_release_upgrades_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/previous-release/data.tar.gz");
    let unpacked = Command::new("tar").arg("xzf").arg(&fixture).arg("-C").arg(dir.path()).status().unwrap();
    assert!(unpacked.success());
    let data = dir.path().join("data");
    let args = vec!["--data".to_string(), data.display().to_string()];
    let loc = Location::Sqlite(data.join("ningan.db"));
    let count = |db: Db, table: &'static str| async move {
        let n: (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(db.reader()).await.unwrap();
        db.close().await;
        n.0
    };
    let residents = count(Db::open(&loc).await.unwrap(), "residents").await;
    let users = count(Db::open(&loc).await.unwrap(), "users").await;
    assert!(residents > 0 && users > 0);

    let dry = Command::new(BIN).args(["migrate", "--dry-run"]).args(&args).output().unwrap();
    let dry = String::from_utf8_lossy(&dry.stdout).to_string();
    assert!(dry.contains("evaluation"), "{dry}");
    let password = demo_city(&args, 50, "officer");
    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let officer = login(port, "officer", &password).await;
    let base = format!("http://127.0.0.1:{port}");
    let r = officer.get(format!("{base}/api/residents?per_page=5")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(officer.get(format!("{base}/api/evaluation/waves")).send().await.unwrap().status(), 200);
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("ningan_trace_presences "), "the engine opened its files");
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(count(Db::open(&loc).await.unwrap(), "residents").await, residents);
    assert_eq!(count(Db::open(&loc).await.unwrap(), "users").await, users);
    let after = Command::new(BIN).args(["migrate", "--dry-run"]).args(&args).output().unwrap();
    assert!(String::from_utf8_lossy(&after.stdout).contains(": 0 migration(s)"));
    let verify = Command::new(BIN).args(["audit", "verify"]).args(&args).output().unwrap();
    assert!(verify.status.success(), "audit chain after the upgrade: {}", String::from_utf8_lossy(&verify.stdout));
}

fn ningan_cli(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).env("NINGAN_LOG", "warn").output().expect("run ningan")
}

// Operations import without a stop: the command line sends check-in files and signal files
// through the running server's API, which checks each row as for a batch and names every
// refused one by its line; sending the same file again adds nothing.
on_both_backends!(bulk_imports_go_through_the_running_server, |b| async move {
    let (loc, dir) = ningan_testkit::fresh_location(b);
    let args = data_args(dir.path(), &loc);
    demo_city(&args, 50, "clerk");
    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let mut token_args: Vec<&str> = vec!["token", "create", "--name", "bulk", "--scope", "checkin.write"];
    token_args.extend(["--scope", "fraud.signal"]);
    token_args.extend(args.iter().map(String::as_str));
    let made = ningan_cli(&token_args);
    let said = String::from_utf8_lossy(&made.stdout).to_string() + &String::from_utf8_lossy(&made.stderr);
    assert!(made.status.success(), "{said}");
    let token =
        said.split("secret (shown once): ").nth(1).and_then(|s| s.split_whitespace().next()).unwrap().to_string();
    let server_url = format!("http://127.0.0.1:{port}");

    let csv = dir.path().join("scans.csv");
    std::fs::write(&csv, checkins_csv(chrono::Utc::now().timestamp() - 3600)).unwrap();
    let file = csv.to_str().unwrap();
    let sent = ningan_cli(&["import", "checkins", "--server", &server_url, "--token", &token, file]);
    let said = String::from_utf8_lossy(&sent.stdout).to_string() + &String::from_utf8_lossy(&sent.stderr);
    assert!(sent.status.success(), "{said}");
    assert!(said.contains("2 条接收"), "{said}");
    for named in ["line 4: unknown resident", "line 5: unknown space", "line 6", "line 7: end before start"] {
        assert!(said.contains(named), "{named}: {said}");
    }
    let again = ningan_cli(&["import", "checkins", "--server", &server_url, "--token", &token, file]);
    let said = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(said.contains("0 条接收") && said.contains("2 条已有"), "{said}");
    // Straight into the files while the server holds them: refused, pointing the way.
    let mut offline = vec!["import", "checkins"];
    offline.extend(args.iter().map(String::as_str));
    offline.push(file);
    let blocked = ningan_cli(&offline);
    assert!(!blocked.status.success());
    assert!(
        String::from_utf8_lossy(&blocked.stderr).contains("--server"),
        "{}",
        String::from_utf8_lossy(&blocked.stderr)
    );
    // A wrong token is refused by the server, and nothing is imported.
    let wrong = ningan_cli(&["import", "checkins", "--server", &server_url, "--token", "ngn_nope_nope", file]);
    assert!(!wrong.status.success());

    let now = chrono::Utc::now().timestamp();
    let ndjson = dir.path().join("signals.ndjson");
    std::fs::write(
        &ndjson,
        [
            json!({"id": "bulk-1", "phone": "13700000001", "at": now - 60, "kind": "sms", "from": "95588"}).to_string(),
            "not json".to_string(),
            json!({"id": "bulk-2", "phone": "13700000002", "at": now - 60, "kind": "sms", "from": "95588"}).to_string(),
        ]
        .join("\n"),
    )
    .unwrap();
    let sent = ningan_cli(&["import", "signals", "--server", &server_url, "--token", &token, ndjson.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&sent.stdout).to_string() + &String::from_utf8_lossy(&sent.stderr);
    assert!(sent.status.success(), "{said}");
    assert!(said.contains("2 条接收") && said.contains("1 条拒绝") && said.contains("line 2"), "{said}");
    let _ = server.kill();
    let _ = server.wait();
});

const BACKUP_KEY: &str = "5a1e0f6c9b3d4e2a8f7c6b5a4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e";

fn ningan_keyed(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("NINGAN_LOG", "warn")
        .env("NINGAN_BACKUP__KEY", BACKUP_KEY)
        .output()
        .expect("run ningan")
}

fn said(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// Posts a batch of check-ins with a device token; the server's report.
async fn post_checkins(port: u16, token: &str, body: &serde_json::Value) -> serde_json::Value {
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/checkins"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn presences(port: u16) -> u64 {
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().text().await.unwrap();
    text.lines().find_map(|l| l.strip_prefix("ningan_trace_presences ")).and_then(|v| v.trim().parse().ok()).unwrap()
}

// A backup taken while writers go on holds every write acknowledged before it began; the
// restore into a new directory (and database) serves it, its audit chain verifies, and an
// investigation answers exactly as it did. A damaged or partial backup, or another key, is
// refused by name and restores nothing.
on_both_backends!(a_backup_under_write_load_restores_everything_acknowledged_before_it, |b| async move {
    let (loc, dir) = ningan_testkit::fresh_location(b);
    let args = data_args(dir.path(), &loc);
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = Command::new(BIN).arg("demo").args(&args).args(["--people", "50", "--no-serve"]).output().unwrap();
    assert!(out.status.success(), "{}", said(&out));
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let password = |user: &str| {
        printed
            .lines()
            .find_map(|l| {
                let mut words = l.split_whitespace();
                (words.next() == Some(user)).then(|| words.next().unwrap_or("").to_string())
            })
            .unwrap()
    };
    let (clerk_password, epi_password) = (password("clerk"), password("epi"));
    let port = free_port();
    let mut server = start(&args, port);
    wait_healthy(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let clerk = login(port, "clerk", &clerk_password).await;
    let epi = login(port, "epi", &epi_password).await;
    let unit_id = clerk.get(format!("{base}/api/me")).send().await.unwrap().json::<serde_json::Value>().await.unwrap()
        ["unit_id"]
        .as_i64()
        .unwrap();
    let mut token_args = vec!["token", "create", "--name", "load", "--scope", "checkin.write"];
    token_args.extend(&arg_refs);
    let token = said(&ningan_keyed(&token_args))
        .split("secret (shown once): ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_string();
    let code = {
        let db = Db::open(&loc).await.unwrap();
        let venues = db.venue_directory().await.unwrap();
        db.close().await;
        venues.first().expect("the demo city has venues").2.clone()
    };
    // A case of our own with a close contact, to ask before and after.
    let (two_h, one_h) = (
        (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339(),
        (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
    );
    let scans_in = json!({"checkins": [
        {"resident_id": 41, "venue_code": code, "at": two_h, "left_at": one_h},
        {"resident_id": 42, "venue_code": code, "at": two_h, "left_at": one_h},
    ]});
    assert_eq!(post_checkins(port, &token, &scans_in).await["accepted"], 2);
    let made: serde_json::Value = epi
        .post(format!("{base}/api/cases"))
        .json(&json!({"resident_id": 41, "status": "confirmed", "onset_at": chrono::Utc::now().to_rfc3339()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let case = made["id"].as_i64().unwrap_or_else(|| panic!("{made}"));
    let investigation = |port: u16, client: reqwest::Client| async move {
        let v: serde_json::Value = client
            .get(format!("http://127.0.0.1:{port}/api/cases/{case}/contacts?tier=close&per_page=200"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v
    };
    let before = investigation(port, epi.clone()).await;
    assert!(before["total"].as_u64().unwrap_or(0) > 0, "a case with contacts to compare: {before}");
    let held_before = presences(port).await;

    // Writers: residents through the clerk, check-ins (three weeks back, far from any case's
    // windows) through a device token; each records what was acknowledged, and when.
    type Acked = std::sync::Arc<std::sync::Mutex<Vec<(Instant, String)>>>;
    let (residents, scans): (Acked, Acked) = Default::default();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    {
        let (client, acked, stop) = (clerk.clone(), residents.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..5000u16 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let birth = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(i64::from(i));
                let id = ningan_core::IdNumber::synthesize(330203, birth, 700);
                let body = json!({"name": format!("备份{i}"), "id_number": id.as_str(), "hukou_address": "宁波市海曙区测试路", "unit_id": unit_id});
                let r = client.post(format!("http://127.0.0.1:{port}/api/residents")).json(&body).send().await.unwrap();
                assert_eq!(r.status(), 201);
                acked.lock().unwrap().push((Instant::now(), id.as_str().to_string()));
            }
        }));
    }
    {
        let (acked, stop, token) = (scans.clone(), stop.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            let t0 = chrono::Utc::now() - chrono::Duration::days(21);
            for i in 0..5000i64 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let at = (t0 + chrono::Duration::seconds(i * 7)).to_rfc3339();
                let body = json!({"checkins": [{"resident_id": 1 + i % 40, "venue_code": code, "at": at}]});
                if post_checkins(port, &token, &body).await["accepted"] == 1 {
                    acked.lock().unwrap().push((Instant::now(), at));
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while residents.lock().unwrap().len() < 30 || scans.lock().unwrap().len() < 30 {
        assert!(Instant::now() < deadline, "the writers are not getting through");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let backup_dir = dir.path().join("backup");
    let began = Instant::now();
    let mut backup_args = vec!["backup", "--to", backup_dir.to_str().unwrap()];
    backup_args.extend(&arg_refs);
    let out = ningan_keyed(&backup_args);
    assert!(out.status.success(), "{}", said(&out));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let _ = server.kill();
    let _ = server.wait();
    let residents: Vec<String> =
        residents.lock().unwrap().iter().filter(|(at, _)| *at < began).map(|(_, id)| id.clone()).collect();
    let scans_before = scans.lock().unwrap().iter().filter(|(at, _)| *at < began).count() as u64;
    assert!(scans_before > 0, "no check-in acknowledged before the backup began");

    // Where it is restored: a new directory, and for PostgreSQL a new, empty database.
    let (new_loc, new_dir) = ningan_testkit::fresh_location(b);
    let target = new_dir.path().join("restored");
    let new_args = data_args(&target, &new_loc);
    let new_refs: Vec<&str> = new_args.iter().map(String::as_str).collect();
    let restore = |from: &std::path::Path| {
        let mut a = vec!["restore", "--from", from.to_str().unwrap()];
        a.extend(&new_refs);
        ningan_keyed(&a)
    };
    // Damaged, partial, another key: refused by name, nothing restored.
    let copy = new_dir.path().join("damaged");
    let cp = Command::new("cp").arg("-r").arg(&backup_dir).arg(&copy).status().unwrap();
    assert!(cp.success());
    let victim = copy.join("database.sqlite.sealed");
    let victim = if victim.exists() { victim } else { copy.join("database.pgdump.sealed") };
    let mut bytes = std::fs::read(&victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&victim, bytes).unwrap();
    let out = restore(&copy);
    assert!(!out.status.success() && said(&out).contains("database."), "{}", said(&out));
    assert!(!target.exists(), "nothing restored from a damaged backup");
    std::fs::remove_file(&victim).unwrap();
    let out = restore(&copy);
    assert!(
        !out.status.success() && said(&out).contains("incomplete") && said(&out).contains("database."),
        "{}",
        said(&out)
    );
    let mut other_key = vec!["restore", "--from", backup_dir.to_str().unwrap()];
    other_key.extend(&new_refs);
    let out = Command::new(BIN).args(&other_key).env("NINGAN_BACKUP__KEY", "f".repeat(64)).output().unwrap();
    assert!(!out.status.success() && said(&out).contains("MANIFEST"), "{}", said(&out));
    assert!(!target.exists());

    let out = restore(&backup_dir);
    assert!(out.status.success(), "{}", said(&out));
    let mut verify = vec!["audit", "verify"];
    verify.extend(&new_refs);
    let out = ningan_keyed(&verify);
    assert!(out.status.success(), "audit chain of the restored data: {}", said(&out));

    let port = free_port();
    let mut server = start(&new_args, port);
    wait_healthy(port).await;
    let restored = match &new_loc {
        Location::Sqlite(_) => Location::Sqlite(target.join("ningan.db")),
        pg => pg.clone(),
    };
    let db = Db::open(&restored).await.unwrap();
    let mut w = db.write().await.unwrap();
    for id in &residents {
        let q = ningan_store::ResidentQuery { q: Some(id.clone()), ..Default::default() };
        let page = w
            .resident_search(&actor(), &ningan_store::Scope::everything(), &q, ningan_store::PageRequest::default())
            .await
            .unwrap();
        assert_eq!(page.total, 1, "acknowledged before the backup, lost: {id}");
    }
    drop(w);
    db.close().await;
    assert!(presences(port).await >= held_before + scans_before, "check-ins acknowledged before the backup");
    let epi = login(port, "epi", &epi_password).await;
    assert_eq!(investigation(port, epi).await, before, "the investigation answers as before");
    let _ = server.kill();
    let _ = server.wait();
});
