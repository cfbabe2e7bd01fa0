//! Scale-out of anti-fraud scoring: three real `ningan serve` processes on one database and one
//! NATS JetStream server share the signal stream's partitions; one is killed with SIGKILL in
//! the middle of the stream; the warnings raised are exactly those one engine raises on the
//! same signals — none lost, none doubled — and the dead process's partitions are taken over.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ningan_core::Role;
use ningan_fraud::{AccountVia, DEFAULT_RULES, Engine, EntryKind, Listing, RuleSet, Signal, SignalKind, Watchlist};
use serde_json::{Value, json};

use crate::durability::{login, wait_healthy};
use crate::stream::nats_server;

const PARTITIONS: u32 = 12;
const PEOPLE: usize = 120;
const PER_BATCH: usize = 20;

struct Scorer(Child);

impl Drop for Scorer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn scorer(database: &str, dir: &std::path::Path, nats: &str, port: u16) -> Scorer {
    let child = Command::new(env!("CARGO_BIN_EXE_ningan"))
        .arg("serve")
        .args(["--data", &dir.display().to_string(), "--database-url", database])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("NINGAN_LOG", "warn")
        .env("NINGAN_NATS__URL", nats)
        .env("NINGAN_FRAUD__CONSUME_STREAM", "true")
        .env("NINGAN_FRAUD__PARTITIONS", PARTITIONS.to_string())
        .env("NINGAN_FRAUD__LEASE_SECONDS", "5")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ningan serve");
    Scorer(child)
}

fn phone(i: usize) -> String {
    format!("1391234{i:04}")
}

/// Person `i`'s journey: a call from a listed number, the listed meeting app, a transfer into
/// one of six accounts (so each account collects from twenty people within the hour).
fn journey(i: usize, now: i64) -> [(Value, SignalKind, i64); 3] {
    let account = format!("62170000111{:05}", i % 6);
    [
        (
            json!({"id": format!("c-{i}"), "phone": phone(i), "at": now - 900, "kind": "call", "from": "057466660001", "duration": 200}),
            SignalKind::Call { from: "057466660001".into(), duration_s: 200 },
            now - 900,
        ),
        (
            json!({"id": format!("a-{i}"), "phone": phone(i), "at": now - 600, "kind": "app", "package": "com.fake.meeting"}),
            SignalKind::App { package: "com.fake.meeting".into() },
            now - 600,
        ),
        (
            json!({"id": format!("t-{i}"), "phone": phone(i), "at": now - 60, "kind": "transfer", "account": account, "amount": 9000}),
            SignalKind::Transfer { account, via: AccountVia::Bank, amount_fen: 900_000 },
            now - 60,
        ),
    ]
}

/// Warnings by level that one engine raises on the signals in the order given.
fn oracle(signals: &[(usize, SignalKind, i64, String)]) -> BTreeMap<String, i64> {
    let mut watch = Watchlist::default();
    let listing = Listing { source: "x".into(), confidence: 80, typology: None, expires_at: None };
    watch.insert(EntryKind::Phone, "0574-66660001", listing.clone()).unwrap();
    watch.insert(EntryKind::App, "com.fake.meeting", listing).unwrap();
    let mut engine = Engine::new(RuleSet::from_toml(DEFAULT_RULES).unwrap(), watch);
    let mut levels = BTreeMap::new();
    for (person, kind, at, id) in signals {
        let signal = Signal { id: id.as_str().into(), person: *person as u64, at: *at, kind: kind.clone() };
        if let Some(w) = engine.score(&signal).warning {
            *levels.entry(w.level.as_str().to_string()).or_insert(0) += 1;
        }
    }
    levels
}

async fn raised(app: &TestApp) -> BTreeMap<String, i64> {
    app.db.fraud_warnings_by_level_since(0).await.unwrap().into_iter().collect()
}

async fn owners(app: &TestApp) -> BTreeMap<String, usize> {
    let mut by = BTreeMap::new();
    let now = chrono::Utc::now().timestamp_millis();
    for l in app.db.fraud_leases().await.unwrap() {
        if let Some(o) = l.owner.filter(|_| l.expires_at > now) {
            *by.entry(o).or_insert(0) += 1;
        }
    }
    by
}

on_both_backends!(three_scoring_processes_lose_one_and_no_warning_is_lost_or_doubled, |b| async move {
    let store = tempfile::tempdir().unwrap();
    let (_nats, nats_port) = nats_server(store.path());
    let nats = format!("nats://127.0.0.1:{nats_port}");
    let (shared, _shared_dir) = match ningan_testkit::fresh_location(b) {
        (ningan_store::Location::Sqlite(path), dir) => (format!("sqlite://{}", path.display()), dir),
        (ningan_store::Location::Postgres(url), dir) => (url, dir),
    };
    // An ordinary process on the same database (scoring nothing) sets the city up and reads.
    let app = spawn_app_configured(b, |c| c.database_url = Some(shared.clone())).await;
    let city = app.unit("330200").await;
    app.user("analyst", &[Role::FraudAnalyst], city.id).await;
    let analyst = app.login("analyst").await;
    let (s, _) = analyst
        .post(
            "/api/fraud/watchlist",
            json!({"entries": [
                {"kind": "phone", "value": "0574-66660001", "source": "x"},
                {"kind": "app", "value": "com.fake.meeting", "source": "x"}]}),
        )
        .await;
    assert_eq!(s, 201);

    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut scorers: Vec<Option<Scorer>> =
        (0..3).map(|i| Some(scorer(&shared, dirs[i].path(), &nats, ports[i]))).collect();
    for &port in &ports {
        wait_healthy(port).await;
    }
    // The twelve partitions spread four by four.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let by = owners(&app).await;
        if by.len() == 3 && by.values().all(|&n| n == 4) {
            break;
        }
        assert!(Instant::now() < deadline, "partitions never spread over three processes: {by:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every call first, then every app, then every transfer, in batches as a carrier and a
    // bank would send them; the last batch comes over HTTP to one of the processes.
    let now = chrono::Utc::now().timestamp();
    let mut order = Vec::new();
    let mut batches: Vec<Vec<Value>> = Vec::new();
    let people: Vec<usize> = (0..PEOPLE).collect();
    for step in 0..3 {
        for chunk in people.chunks(PER_BATCH) {
            let mut batch = Vec::new();
            for &i in chunk {
                let (line, kind, at) = Vec::from(journey(i, now)).swap_remove(step);
                order.push((i, kind, at, line["id"].as_str().unwrap().to_string()));
                batch.push(line);
            }
            batches.push(batch);
        }
    }
    let expected = oracle(&order);
    assert!(expected.get("high").copied().unwrap_or(0) >= PEOPLE as i64, "the oracle sees red: {expected:?}");

    let js = async_nats::jetstream::new(async_nats::connect(&nats).await.unwrap());
    let last = batches.pop().unwrap();
    let killed_at = batches.len() / 3;
    for (n, batch) in batches.into_iter().enumerate() {
        let body = batch.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
        js.publish("ningan.signals", body.into()).await.unwrap().await.unwrap();
        if n == killed_at {
            // Mid-stream: once this process has scored something, it dies without a word.
            let deadline = Instant::now() + Duration::from_secs(120);
            while raised(&app).await.values().sum::<i64>() == 0 {
                assert!(Instant::now() < deadline, "nothing scored before the kill");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let mut gone = scorers[0].take().unwrap();
            gone.0.kill().unwrap();
            gone.0.wait().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A person's signals keep their order within one channel, not across two (a bank's HTTP
    // batch may overtake a carrier's stream): the HTTP batch goes once the stream is in.
    let deadline = Instant::now() + Duration::from_secs(240);
    while app.db.fraud_signal_count().await.unwrap() < (3 * PEOPLE - PER_BATCH) as i64 {
        assert!(Instant::now() < deadline, "the stream's signals never all arrived after the kill");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let http = login(ports[1], "analyst", PASSWORD).await;
    let r = http
        .post(format!("http://127.0.0.1:{}/api/fraud/signals", ports[1]))
        .json(&json!({"signals": last}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!((report["queued"].as_u64(), report["accepted"].as_u64()), (Some(PER_BATCH as u64), Some(0)), "{report}");

    // Everything scored once: every signal logged, the warnings those of one engine.
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let got = raised(&app).await;
        let logged = app.db.fraud_signal_count().await.unwrap();
        if got == expected && logged == (3 * PEOPLE) as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after the kill: {logged} of {} signals logged, warnings {got:?}, one engine raises {expected:?}",
            3 * PEOPLE
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Redeliveries still due (a batch comes back three leases after it was handed out)
    // change nothing.
    tokio::time::sleep(Duration::from_secs(16)).await;
    assert_eq!(raised(&app).await, expected, "a warning was doubled");
    assert_eq!(app.db.fraud_signal_count().await.unwrap(), (3 * PEOPLE) as i64);

    // The survivors hold all twelve partitions, six each; the dead one's were taken over.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let by = owners(&app).await;
        if by.len() == 2 && by.values().all(|&n| n == 6) {
            break;
        }
        assert!(Instant::now() < deadline, "the dead process's partitions were not taken over: {by:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let taken: BTreeSet<u32> =
        app.db.fraud_leases().await.unwrap().into_iter().filter(|l| l.taken >= 2).map(|l| l.part).collect();
    assert!(taken.len() >= 4, "partitions taken over: {taken:?}");

    // A listing added through another process reaches the scorers: a call from the newly
    // listed number to someone new is warned.
    let (s, _) = analyst
        .post("/api/fraud/watchlist", json!({"entries": [{"kind": "phone", "value": "0574-66660099", "source": "x"}]}))
        .await;
    assert_eq!(s, 201);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let late = json!({"id": "late-1", "phone": "13912349999", "at": now, "kind": "call", "from": "057466660099", "duration": 200});
    js.publish("ningan.signals", late.to_string().into()).await.unwrap().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while raised(&app).await.get("low") == expected.get("low") {
        assert!(Instant::now() < deadline, "the listing added elsewhere never reached the scorers");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (s, status) = analyst.get("/api/fraud/partitions").await;
    assert_eq!(s, 200);
    assert_eq!(status["leases"].as_array().map(Vec::len), Some(PARTITIONS as usize), "{status}");
    assert_eq!(status["live"].as_array().map(Vec::len), Some(2), "{status}");
});
