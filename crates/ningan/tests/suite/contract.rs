//! The API as a contract: whatever the demo city answers, to each of its roles, to a token
//! of each scope and to no one, is what `/api/openapi.json` promises — a status the
//! operation lists, the media type the document names for it, and a body its schema
//! accepts. Never a 5xx.

use crate::common;

use std::collections::{HashMap, HashSet};

use common::*;
use ningan::demo::{DemoSpec, ensure};
use serde_json::{Value, json};

/// An id no record has: an operation on it must answer with a status it lists (a 404).
const NO_SUCH_ID: &str = "987654321";

struct Contract<'a> {
    doc: &'a Value,
    validators: HashMap<String, jsonschema::Validator>,
    calls: usize,
    failures: Vec<String>,
}

impl Contract<'_> {
    /// The response object the document gives `op` for `status`, its `$ref` followed.
    fn response(&self, op: &Value, status: u16) -> Option<Value> {
        let r = op["responses"].get(status.to_string())?;
        match r["$ref"].as_str() {
            Some(reference) => {
                let name = reference.strip_prefix("#/components/responses/")?;
                self.doc["components"]["responses"].get(name).cloned()
            }
            None => Some(r.clone()),
        }
    }

    fn check(&mut self, who: &str, method: &str, path: &str, op: &Value, r: Answer) {
        self.calls += 1;
        let what = format!("{who}: {method} {path} → {}", r.status);
        if r.status >= 500 {
            self.failures.push(format!("{what}: a server error: {}", r.text));
            return;
        }
        let Some(declared) = self.response(op, r.status) else {
            self.failures.push(format!("{what}: status not in the document: {}", r.text));
            return;
        };
        let content = &declared["content"];
        if !content.is_object() {
            if !r.text.is_empty() && !r.media.is_empty() && r.status != 204 {
                self.failures.push(format!("{what}: {} body the document does not describe", r.media));
            }
            return;
        }
        let Some(media) = content.get(&r.media) else {
            self.failures.push(format!("{what}: media type {} not among {:?}", r.media, keys(content)));
            return;
        };
        let Some(schema) = media.get("schema") else { return };
        if !r.media.contains("json") {
            return;
        }
        let body: Value = match serde_json::from_str(&r.text) {
            Ok(v) => v,
            Err(e) => {
                self.failures.push(format!("{what}: not JSON ({e})"));
                return;
            }
        };
        let key = schema.to_string();
        let doc = self.doc;
        let validator = self.validators.entry(key).or_insert_with(|| {
            let root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "components": doc["components"],
                "allOf": [schema],
            });
            jsonschema::validator_for(&root).expect("the document's schemas compile")
        });
        let errors: Vec<String> =
            validator.iter_errors(&body).take(3).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        if !errors.is_empty() {
            let shown: String = r.text.chars().take(200).collect();
            self.failures.push(format!("{what}: body breaks its schema: {errors:?} in {shown}"));
        }
    }
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

struct Answer {
    status: u16,
    media: String,
    text: String,
}

async fn call(client: &Client, method: &str, path: &str, body: Option<Value>) -> Answer {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client.http.request(m, format!("{}{path}", client.base));
    if let Some(b) = body {
        req = req.json(&b);
    }
    answer(req.send().await.unwrap()).await
}

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let media = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    // An event stream does not end: its status and media type are the answer.
    let text = if media == "text/event-stream" { String::new() } else { r.text().await.unwrap_or_default() };
    Answer { status, media, text }
}

/// The smallest value `schema` describes: required properties only, the first of a closed
/// set or of the examples, the lower bound of a range, a string of the minimum length.
fn instance(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return instance(doc, &doc["components"]["schemas"][name], depth + 1);
    }
    for key in ["examples", "enum"] {
        if let Some(first) = schema[key].get(0) {
            return first.clone();
        }
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    // Combinators beside a type only narrow it (a text's patterns); alone they are the shape.
    for key in ["allOf", "anyOf", "oneOf"].into_iter().filter(|_| schema.get("type").is_none()) {
        if let Some(first) = schema[key].as_array().and_then(|b| b.iter().find(|b| b["type"] != "null")) {
            return instance(doc, first, depth + 1);
        }
    }
    let ty = schema["type"]
        .as_str()
        .or_else(|| schema["type"].as_array().and_then(|t| t.iter().filter_map(Value::as_str).find(|t| *t != "null")))
        .unwrap_or("object");
    match ty {
        "object" => {
            let mut out = serde_json::Map::new();
            // Fields one of the alternatives requires (this or that field) count as required.
            let alternative = schema["anyOf"].get(0).or_else(|| schema["oneOf"].get(0));
            let required =
                schema["required"].as_array().into_iter().chain(alternative.and_then(|a| a["required"].as_array()));
            for name in required.flatten().filter_map(Value::as_str) {
                out.insert(name.into(), instance(doc, &schema["properties"][name], depth + 1));
            }
            Value::Object(out)
        }
        "array" => {
            let n = schema["minItems"].as_u64().unwrap_or(0);
            Value::Array((0..n).map(|_| instance(doc, &schema["items"], depth + 1)).collect())
        }
        "integer" => json!(schema["minimum"].as_i64().unwrap_or(1)),
        "number" => json!(schema["minimum"].as_f64().unwrap_or(1.0)),
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => match schema["format"].as_str() {
            Some("date") => json!("2026-11-30"),
            Some("date-time") => json!("2026-11-30T08:00:00+08:00"),
            _ => json!("a".repeat(schema["minLength"].as_u64().unwrap_or(1).max(1) as usize)),
        },
    }
}

/// A value `schema` accepts, as it goes in a query string.
fn allowed_value(schema: &Value, last: bool) -> String {
    let pick = |list: &Value| {
        let n = list.as_array().map_or(0, Vec::len);
        list.get(if last { n.saturating_sub(1) } else { 0 }).cloned()
    };
    if let Some(first) = pick(&schema["examples"]).or_else(|| pick(&schema["enum"])) {
        return first.as_str().map_or_else(|| first.to_string(), String::from);
    }
    match schema["format"].as_str() {
        Some("date") => return "2026-11-30".into(),
        Some("date-time") => return "2026-11-30T08:00:00%2B08:00".into(),
        _ => {}
    }
    let ty = schema["type"].as_str().or_else(|| schema["type"].get(0).and_then(Value::as_str)).unwrap_or("string");
    match ty {
        "integer" | "number" => schema["minimum"].as_i64().unwrap_or(1).max(1).to_string(),
        "boolean" => "true".into(),
        _ => "a".repeat(schema["minLength"].as_u64().unwrap_or(1).max(1) as usize),
    }
}

/// Operations whose request bodies the document does not yet state in full: the server
/// refuses some bodies their schema allows (a kind-dependent value, a rule about stored
/// records not yet given a context code). The walk tolerates their refusals and fails once
/// one of them is no longer refused, so this list only shrinks.
const BODIES_NOT_YET_STATED: &[&str] = &[];

/// What no schema can state is refused by its own code, which a client can branch on: a
/// well-formed id of a record that does not exist or lies outside the caller's scope, a
/// place outside the city's boundary, a time after now, a rule about stored records or
/// several fields together (`Rule::Context`).
const CONTEXT_CODES: [&str; 5] = ["unknown_reference", "not_in_scope", "outside_city", "future", "context"];

fn only_context_refusals(problem: &str) -> bool {
    serde_json::from_str::<Value>(problem).ok().is_some_and(|p| {
        p["errors"].as_array().is_some_and(|errors| {
            errors.iter().all(|e| {
                e["code"]
                    .as_str()
                    .and_then(|c| c.rsplit_once('.'))
                    .is_some_and(|(_, kind)| CONTEXT_CODES.contains(&kind))
            })
        })
    })
}

/// Sends `text` as a JSON body, whatever it holds.
async fn call_raw(client: &Client, method: &str, path: &str, text: &'static str) -> Answer {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = client
        .http
        .request(m, format!("{}{path}", client.base))
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .unwrap();
    answer(r).await
}

/// `path` with each `{param}` replaced: by an id a list of the same collection answered
/// with, else by one no record has.
fn fill(path: &str, ids: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut prefix = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if seg.starts_with('{') {
            out.push('/');
            out.push_str(ids.get(&prefix).map_or(NO_SUCH_ID, String::as_str));
        } else {
            out.push('/');
            out.push_str(seg);
        }
        prefix = format!("{prefix}/{seg}");
    }
    out
}

on_both_backends!(every_answer_is_one_the_document_promises, |b| async move {
    let app = spawn_app(b).await;
    let logins = ensure(&app.db, &DemoSpec { people: 300, seed: 5, trace_dir: None }).await.unwrap();
    let (_, doc) = app.anonymous().get("/api/openapi.json").await;
    let mut callers = vec![("anonymous".to_string(), app.anonymous())];
    for l in &logins {
        callers.push((format!("{:?} {}", l.role, l.username), app.login_with(&l.username, &l.password).await));
    }
    // A token of each scope a token may carry, issued by the city's administrator.
    let admin = logins.iter().find(|l| l.username == "admin").unwrap();
    let admin = app.login_with(&admin.username, &admin.password).await;
    for action in ningan_core::Action::ALL.iter().filter(|a| a.token_scopable()) {
        let (s, t) =
            admin.post("/api/tokens", json!({"name": action.as_str(), "scopes": [action.as_str()], "days": 1})).await;
        assert_eq!(s, 201, "{t}");
        callers.push((format!("token {}", action.as_str()), app.bearer(t["secret"].as_str().unwrap())));
    }
    let mut ops: Vec<(String, String, Value)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((method.to_ascii_uppercase(), path.clone(), op.clone()));
        }
    }
    // Lists before the records in them, so their ids fill the records' paths; signing out
    // last, since it ends the caller's session.
    ops.sort_by_key(|(m, p, _)| (p.contains("logout"), m != "GET", p.matches('{').count(), p.clone()));
    let mut contract = Contract { doc: &doc, validators: HashMap::new(), calls: 0, failures: Vec::new() };
    // Listed operations a schema-built body reached (answered, or refused by a constraint)
    // and those among them that refused it.
    let (mut listed_reached, mut listed_refused) = (HashSet::new(), HashSet::new());
    for (who, client) in &callers {
        let mut ids: HashMap<String, String> = HashMap::new();
        for (method, path, op) in &ops {
            // Changes go to records that do not exist: the answer is checked, the demo kept.
            let target = if method == "GET" { fill(path, &ids) } else { fill(path, &HashMap::new()) };
            let body = (method != "GET" && method != "DELETE").then(|| json!({}));
            let r = call(client, method, &target, body).await;
            if method == "GET" && r.status == 200 && !path.contains('{') {
                let found = serde_json::from_str::<Value>(&r.text).ok().and_then(|v| {
                    let first = v["items"].get(0).or_else(|| v.get(0)).cloned()?;
                    first["id"].as_i64().map(|i| i.to_string())
                });
                if let Some(id) = found {
                    ids.insert(path.clone(), id);
                }
            }
            // Sent without its query: an operation that says a parameter is required must
            // not answer as if it were optional.
            let required_query =
                op["parameters"].as_array().into_iter().flatten().any(|p| p["in"] == "query" && p["required"] == true);
            if required_query && r.status < 300 {
                contract
                    .failures
                    .push(format!("{who}: {method} {target}: a required parameter left out, yet {}", r.status));
            }
            contract.check(who, method, &target, op, r);
            // Every declared query parameter given a value no parameter takes.
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect();
            if method == "GET" && !params.is_empty() {
                let query: Vec<String> = params.iter().map(|p| format!("{p}=%E2%80%BDx")).collect();
                let target = format!("{target}?{}", query.join("&"));
                let r = call(client, method, &target, None).await;
                contract.check(who, method, &target, op, r);
            }
            // Every parameter given a value its schema allows: refusing it (422) would mean
            // the document hides a constraint the server enforces.
            // The first and the last value of each closed set, so a list that grew on one
            // side only shows.
            for last in [false, true].into_iter().filter(|_| method == "GET" && !params.is_empty()) {
                let query: Vec<String> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .map(|p| {
                        format!("{}={}", p["name"].as_str().unwrap_or_default(), allowed_value(&p["schema"], last))
                    })
                    .collect();
                let target = format!("{target}?{}", query.join("&"));
                let r = call(client, method, &target, None).await;
                if r.status == 422 && !only_context_refusals(&r.text) {
                    contract.failures.push(format!("{who}: GET {target}: a schema-valid query refused: {}", r.text));
                }
                contract.check(who, method, &target, op, r);
            }
            // A body of the wrong shape, and one that is not JSON at all.
            if op["requestBody"]["content"]["application/json"].is_object() {
                let r = call(client, method, &target, Some(json!([1]))).await;
                contract.check(who, method, &target, op, r);
                let r = call_raw(client, method, &target, "{\"unclosed\": ").await;
                contract.check(who, method, &target, op, r);
                // A body the schema accepts, built from it: whatever the server makes of
                // it (done, refused by a rule no schema states, not found), the answer is
                // one the document lists.
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                let body = instance(&doc, schema, 0);
                let r = call(client, method, &target, Some(body.clone())).await;
                // To a collection, or to a record that exists: refusing it by a constraint
                // (422) would mean the document hides one the server enforces.
                let real = Some(fill(path, &ids)).filter(|p| !p.contains(NO_SUCH_ID));
                let (at, r) = match real {
                    Some(real) if real != target => {
                        contract.check(who, method, &target, op, r);
                        let r = call(client, method, &real, Some(body.clone())).await;
                        (real, r)
                    }
                    _ => (target.clone(), r),
                };
                let op_name = format!("{method} {path}");
                let listed = BODIES_NOT_YET_STATED.contains(&op_name.as_str());
                let reached = !at.contains(NO_SUCH_ID) && (r.status < 300 || r.status == 422);
                let refused = reached && r.status == 422 && !only_context_refusals(&r.text);
                if listed && reached {
                    listed_reached.insert(op_name.clone());
                }
                if listed && refused {
                    listed_refused.insert(op_name);
                } else if refused {
                    let refused = format!("{who}: {method} {at} {body}: a schema-valid body refused: {}", r.text);
                    contract.failures.push(refused);
                }
                contract.check(who, method, &at, op, r);
            }
        }
    }
    for op in listed_reached.difference(&listed_refused) {
        contract
            .failures
            .push(format!("{op}: its schema-built body is accepted now: take it off BODIES_NOT_YET_STATED"));
    }
    let n = contract.failures.len();
    assert!(
        contract.failures.is_empty(),
        "{n} of {} answers break the document:\n{}",
        contract.calls,
        contract.failures.join("\n")
    );
});

// A partner's engineer generates a client from the document with a well-kept generator
// (openapi-python-client, from PyPI; `.ci/run` installs it) and runs the partners' journey
// through it (`partner/journey.py`): a carrier's signals and the status of the red warning
// they raised, a venue app's check-ins. The generated models parse every answer, and a status
// the document does not list raises.
on_both_backends!(a_client_generated_from_the_document_runs_a_partners_journey, |b| async move {
    let app = spawn_app(b).await;
    let logins = ensure(&app.db, &DemoSpec { people: 300, seed: 5, trace_dir: None }).await.unwrap();
    let password = |name: &str| logins.iter().find(|l| l.username == name).map(|l| l.password.clone()).unwrap();
    let admin = app.login_with("admin", &password("admin")).await;
    let analyst = app.login_with("analyst", &password("analyst")).await;
    let (s, r) = analyst
        .post(
            "/api/fraud/watchlist",
            json!({"entries": [
                {"kind": "phone", "value": "0574-66669901", "source": "反诈中心", "confidence": 95, "typology": "冒充客服"},
                {"kind": "app", "value": "com.partner.fakemeeting", "source": "应用商店", "typology": "冒充客服"}
            ]}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let station = app
        .db
        .units_in_scope(&ningan_store::Scope::everything())
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.kind == ningan_store::UnitKind::Station && u.code.starts_with("330203"))
        .unwrap();
    let victim = app.resident("伙伴测试", 330203, 9901, station.id).await;
    let token = |name: &'static str, scopes: Value| {
        let admin = admin.clone();
        async move {
            let (s, t) = admin.post("/api/tokens", json!({"name": name, "scopes": scopes, "days": 30})).await;
            assert_eq!(s, 201, "{t}");
            t["secret"].as_str().unwrap().to_string()
        }
    };
    let carrier = token("运营商信令", json!(["fraud.signal"])).await;
    let venue_app = token("场所码", json!(["checkin.write"])).await;
    let epidemiologist = app.login_with("epi", &password("epi")).await;
    let (s, venues) = epidemiologist.get("/api/venues").await;
    assert_eq!(s, 200, "{venues}");
    let venue_code = venues["items"][0]["code"].as_str().unwrap().to_string();

    // A name change the demo pushed to an agency, delivered and waiting for (or already
    // given) the agency's confirmation.
    let (s, sent) = admin.get("/api/services/deliveries?per_page=200").await;
    assert_eq!(s, 200, "{sent}");
    let delivery = sent["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| ["delivered", "awaiting_validation", "acknowledged"].contains(&d["status"].as_str().unwrap_or("")))
        .unwrap_or_else(|| panic!("no delivered change in the demo: {sent}"));
    let agency = delivery["agency"].as_str().unwrap().to_string();
    let change_id = delivery["change_id"].as_str().unwrap().to_string();
    let agency_secret = app.db.agency(&agency).await.unwrap().secret;
    let agency_key = ningan::sim::agency_key(&agency_secret, &agency);
    let stamp = chrono::Utc::now().timestamp();

    let dir = tempfile::tempdir().unwrap();
    let (_, doc) = app.anonymous().get("/api/openapi.json").await;
    std::fs::write(dir.path().join("openapi.json"), doc.to_string()).unwrap();
    // Through the interpreter that runs the journey, wherever pip put the command.
    let generated = std::process::Command::new("python3")
        .args([
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--output-path",
            "ningan_client",
        ])
        .current_dir(dir.path())
        .output()
        .expect("openapi-python-client (pip install openapi-python-client)");
    let said = String::from_utf8_lossy(&generated.stdout).to_string() + &String::from_utf8_lossy(&generated.stderr);
    assert!(generated.status.success(), "the generator refused the document:\n{said}");
    assert!(!said.contains("Unable to parse"), "the generator skipped parts of the document:\n{said}");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite/partner/journey.py");
    let run = tokio::process::Command::new("python3")
        .arg(script)
        .env("CLIENT_DIR", dir.path())
        .env("NINGAN_BASE", &app.base)
        .env("CARRIER_TOKEN", carrier)
        .env("VENUE_TOKEN", venue_app)
        .env("VICTIM_PHONE", "13912349901")
        .env("LISTED_PHONE", "+86 574 6666 9901")
        .env("LISTED_APP", "COM.PARTNER.FAKEMEETING")
        .env("VENUE_CODE", &venue_code)
        .env("RESIDENT_ID", victim.to_string())
        .env("AGENCY", &agency)
        .env("AGENCY_SECRET", &agency_secret)
        // The agency's own Ed25519 signature (the simulator's key the demo registered) over
        // the empty confirmation at this second: the journey sends it beside the HMAC.
        .env("AGENCY_STAMP", stamp.to_string())
        .env("AGENCY_KEY_ID", ningan_core::msglog::key_id(&agency_key.verifying_key()))
        .env(
            "AGENCY_ED25519",
            ningan_core::msglog::sign_message(&agency_key, stamp, &ningan_core::msglog::body_hash(b"")),
        )
        .env("CHANGE_ID", &change_id)
        .output()
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "the journey failed:\n{out}\n{}", String::from_utf8_lossy(&run.stderr));
    let seen: Value = serde_json::from_str(out.trim().lines().last().unwrap_or_default()).unwrap();
    assert_eq!(seen["accepted_signals"], 3, "{seen}");
    assert_eq!(seen["levels"].as_array().unwrap().last(), Some(&json!("high")), "{seen}");
    assert_eq!(
        (seen["warning"]["level"].as_str(), seen["warning"]["status"].as_str()),
        (Some("high"), Some("open")),
        "{seen}"
    );
    assert!(!seen["warning"].to_string().contains("9901"), "nothing names the person: {seen}");
    assert_eq!((seen["accepted_checkins"].as_u64(), seen["refused_checkins"].as_u64()), (Some(1), Some(1)), "{seen}");
    assert_eq!((seen["ack"].as_u64(), seen["forged_ack"].as_u64()), (Some(204), Some(401)), "{seen}");
    let (_, after) = admin.get("/api/services/deliveries?status=acknowledged").await;
    let acked = after["items"].as_array().unwrap().iter().any(|d| d["change_id"] == change_id.as_str());
    assert!(acked, "the agency's signed acknowledgement is recorded: {after}");
});
