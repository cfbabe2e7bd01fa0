//! The OpenAPI 3.1 document, generated from the route table: paths and methods, the access
//! each needs, request and response schemas (JSON Schema 2020-12 from the DTO types), and
//! the problem document every error uses.

use std::collections::BTreeSet;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::http::api::{Access, Face, Op};
use crate::http::error::Problem;
use ningan_core::Action;

pub fn document(ops: &[Op]) -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "#/components/schemas/".into();
    let mut generator = settings.into_generator();
    let problem = serde_json::to_value(generator.subschema_for::<Problem>()).unwrap_or_default();
    let mut paths = Map::new();
    for op in ops.iter().filter(|o| o.face == Face::Api) {
        let mut operation = Map::new();
        operation.insert("summary".into(), json!(op.summary));
        operation.insert("tags".into(), json!([op.tag]));
        operation.insert("operationId".into(), json!(operation_id(op)));
        if op.deprecated {
            operation.insert("deprecated".into(), json!(true));
        }
        let mut params: Vec<Value> = path_params(op.path)
            .into_iter()
            .map(|p| {
                let schema = if TEXT_PATH_PARAMS.contains(&p) {
                    json!({"type": "string"})
                } else {
                    json!({"type": "integer", "format": "int64"})
                };
                json!({"name": p, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        params.extend(query_params(op, &mut generator));
        params.extend(op.headers.iter().map(|(name, description)| {
            json!({"name": name, "in": "header", "required": true, "description": description, "schema": {"type": "string"}})
        }));
        params.extend(op.optional_headers.iter().map(|(name, description)| {
            json!({"name": name, "in": "header", "required": false, "description": description, "schema": {"type": "string"}})
        }));
        if op.method == axum::http::Method::POST {
            params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                "description": "重试同一请求时携带相同的键，服务器返回首次的响应 / retries with the same key get the first response",
                "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[ -~]+$"}}));
        }
        if !params.is_empty() {
            operation.insert("parameters".into(), Value::Array(params));
        }
        if !op.file_body.is_empty() {
            let content: Map<String, Value> = op
                .file_body
                .iter()
                // An empty file is refused: there is nothing to import.
                .map(|t| (t.to_string(), json!({"schema": {"type": "string", "format": "binary", "minLength": 1}})))
                .collect();
            operation.insert("requestBody".into(), json!({"required": true, "content": content}));
        }
        if let Some(req) = op.request {
            let schema = serde_json::to_value(req(&mut generator)).unwrap_or_default();
            operation.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": schema}}}),
            );
        }
        let success = match op.response {
            Some(resp) => {
                let schema = serde_json::to_value(resp(&mut generator)).unwrap_or_default();
                json!({"description": "成功 / success", "content": {"application/json": {"schema": schema}}})
            }
            None => match op.produces {
                Some(media) => {
                    let schema =
                        if media.ends_with("json") { json!({"type": "object"}) } else { json!({"type": "string"}) };
                    json!({"description": "成功 / success", "content": {media: {"schema": schema}}})
                }
                None => json!({"description": "成功 / success"}),
            },
        };
        let mut responses = Map::new();
        for status in answers(op) {
            // A second success (a repeat answered 200 where a new record is 201) has the
            // same body; errors share the problem responses.
            let answer = if status < 300 {
                success.clone()
            } else {
                json!({"$ref": format!("#/components/responses/{status}")})
            };
            responses.insert(status.to_string(), answer);
        }
        responses.insert(op.status.to_string(), success);
        // Whatever no route can foresee: the database gone, a fault.
        responses.insert("default".into(), json!({"$ref": "#/components/responses/default"}));
        operation.insert("responses".into(), Value::Object(responses));
        if unsafe_method(op) && !matches!(op.access, Access::Public) {
            if let Some(Value::Array(params)) = operation.get_mut("parameters") {
                params.push(csrf_header());
            } else {
                operation.insert("parameters".into(), json!([csrf_header()]));
            }
        }
        match op.access {
            Access::Public => {
                operation.insert("security".into(), json!([]));
            }
            Access::SignedIn => {}
            Access::Citizen => {
                operation.insert("security".into(), json!([{"citizen": []}]));
                operation.insert("x-ningan-citizen".into(), json!(true));
            }
            Access::Action(a) => {
                operation.insert("security".into(), scoped(a));
                operation.insert("x-ningan-action".into(), json!(a.as_str()));
            }
            Access::CityWide(a) => {
                operation.insert("security".into(), scoped(a));
                operation.insert("x-ningan-action".into(), json!(a.as_str()));
                operation.insert("x-ningan-city-unit".into(), json!(true));
            }
            Access::Case(a) => {
                operation.insert("security".into(), scoped(a));
                operation.insert("x-ningan-action".into(), json!(a.as_str()));
                operation.insert("x-ningan-case-team".into(), json!(true));
            }
            Access::Reveal(a) => {
                operation.insert("security".into(), scoped(a));
                operation.insert("x-ningan-action".into(), json!(a.as_str()));
                operation.insert("x-ningan-reveal".into(), json!(Action::ResidentReveal.as_str()));
            }
        }
        let entry = paths.entry(op.path.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(op.method.as_str().to_ascii_lowercase(), Value::Object(operation));
        }
    }
    let mut schemas = Value::Object(generator.take_definitions(true));
    let mut paths = Value::Object(paths);
    without_boolean_schemas(&mut schemas);
    without_boolean_schemas(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ningan 宁安",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "公安数字化平台接口。错误均为 application/problem+json。/ HTTP API of the ningan public-security platform; errors are application/problem+json."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": problem_responses(&problem),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": crate::http::principal::SESSION_COOKIE,
                    "description": "登录后的会话；写操作需同时携带 X-CSRF-Token / session cookie; state-changing requests also need X-CSRF-Token"},
                "bearer": {"type": "http", "scheme": "bearer", "description": "接口令牌 ngn_…，其权限范围即所列动作 / API token; the scopes listed are the actions it must carry"},
                "citizen": {"type": "apiKey", "in": "cookie", "name": crate::http::principal::CITIZEN_COOKIE,
                    "description": "市民门户会话；写操作需同时携带 X-CSRF-Token / citizen portal session; state-changing requests also need X-CSRF-Token"}
            }
        },
        "security": [{"session": []}, {"bearer": []}]
    })
}

/// Path parameters that are codes or numbers written as text (an application's number, a
/// one-time link's token, a service item's code, a change's id); every other is a row id.
const TEXT_PATH_PARAMS: &[&str] = &["no", "token", "fact", "code", "ref", "change_id"];

/// Every error status `op` can answer besides the unforeseeable (the `default` answer):
/// what the layers in front of every handler add, what the operation's shape implies, and
/// what its handler declares with [`Op::answers`].
pub fn answers(op: &Op) -> BTreeSet<u16> {
    // A malformed or unknown bearer token is refused on every route, public ones too; every
    // request runs under the configured timeout.
    let mut s = BTreeSet::from([401, 408]);
    if unsafe_method(op) {
        // The CSRF check reads the body, under the body limit.
        s.extend([403, 413]);
    }
    if matches!(op.access, Access::Action(_) | Access::CityWide(_) | Access::Case(_) | Access::Reveal(_)) {
        s.insert(403);
    }
    if !path_params(op.path).is_empty() {
        s.insert(404);
    }
    if !op.params.is_empty() {
        s.insert(422);
    }
    if op.request.is_some() || !op.file_body.is_empty() {
        s.extend([400, 413, 422]);
    }
    if op.method == axum::http::Method::POST {
        // Idempotency-Key: still running (409), or reused for another request (422).
        s.extend([409, 422]);
    }
    s.extend(op.answers.iter().copied());
    s
}

/// The query parameters: from the type the handler parses the query into when the operation
/// names it (typed, required as the type says), else the described names as strings.
fn query_params(op: &Op, generator: &mut schemars::SchemaGenerator) -> Vec<Value> {
    let Some(of) = op.query_type else {
        return op
            .params
            .iter()
            .map(|(n, d)| json!({"name": n, "in": "query", "required": false, "description": d, "schema": {"type": "string"}}))
            .collect();
    };
    let schema = serde_json::to_value(of(generator)).unwrap_or_default();
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else { return Vec::new() };
    properties
        .iter()
        .map(|(name, property)| {
            let described = op.params.iter().find(|(n, _)| n == name).map(|(_, d)| *d).filter(|d| !d.is_empty());
            let mut param = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": without_null(property),
            });
            if let Some(d) = described.or_else(|| property["description"].as_str()) {
                param["description"] = json!(d);
            }
            param
        })
        .collect()
}

/// A parameter's schema without the null an optional field allows: leaving the parameter out
/// is how a query says "none".
fn without_null(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Some(m) = s.as_object_mut() {
        m.remove("description");
        m.remove("default");
        if let Some(Value::Array(types)) = m.get("type") {
            let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            if kept.len() == 1 {
                m.insert("type".into(), kept[0].clone());
            } else {
                m.insert("type".into(), Value::Array(kept));
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = m.get(key) {
                let kept: Vec<Value> = branches.iter().filter(|b| b["type"] != "null").cloned().collect();
                if kept.len() == 1 {
                    m.remove(key);
                    if let Value::Object(only) = &kept[0] {
                        for (k, v) in only {
                            m.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
        }
    }
    s
}

/// `true` as a schema (any JSON value, what a `serde_json::Value` field gets) written as
/// the equivalent `{}`: client generators read a schema as an object and stop at a boolean.
fn without_boolean_schemas(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (key, child) in m.iter_mut() {
                let schema_slot = matches!(key.as_str(), "items" | "additionalProperties" | "not" | "contains");
                if schema_slot && *child == Value::Bool(true) {
                    *child = json!({});
                } else if matches!(key.as_str(), "anyOf" | "oneOf" | "allOf" | "prefixItems") {
                    if let Value::Array(branches) = child {
                        for b in branches {
                            if *b == Value::Bool(true) {
                                *b = json!({});
                            }
                            without_boolean_schemas(b);
                        }
                    }
                } else if key == "properties" || key == "$defs" || key == "patternProperties" {
                    if let Value::Object(props) = child {
                        for p in props.values_mut() {
                            if *p == Value::Bool(true) {
                                *p = json!({});
                            }
                            without_boolean_schemas(p);
                        }
                    }
                } else {
                    without_boolean_schemas(child);
                }
            }
        }
        // Other arrays (enums, examples, parameter lists) hold values, not schemas.
        Value::Array(items) => items.iter_mut().for_each(without_boolean_schemas),
        _ => {}
    }
}

fn unsafe_method(op: &Op) -> bool {
    !matches!(op.method, axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS)
}

fn csrf_header() -> Value {
    json!({"name": "X-CSRF-Token", "in": "header", "required": false,
        "description": "以会话登录时必填（登录响应中的 csrf_token）；令牌调用无需 / required with a session (the csrf_token of the sign-in answer); not with a bearer token",
        "schema": {"type": "string"}})
}

/// A session may do what its roles allow; a token must carry the action as a scope.
fn scoped(action: Action) -> Value {
    json!([{"session": []}, {"bearer": [action.as_str()]}])
}

/// One shared response per error status, each a problem document.
fn problem_responses(problem: &Value) -> Value {
    let described = [
        ("400", "请求格式错误 / malformed request"),
        ("401", "未登录或凭据无效 / not signed in, or credentials refused"),
        ("403", "无权执行，或缺少 CSRF 令牌 / not allowed, or the CSRF token is missing"),
        ("404", "未找到，或不在本单位范围 / not found, or outside the caller's scope"),
        ("408", "请求超时 / request timed out"),
        (
            "409",
            "冲突：记录已存在、状态不允许，或相同幂等键的请求仍在处理 / conflict: exists already, not in a state that allows it, or the same idempotency key still running",
        ),
        ("413", "请求内容过大 / request body too large"),
        (
            "422",
            "输入有误（逐字段说明），或幂等键已用于另一请求 / invalid input (by field), or the idempotency key reused for another request",
        ),
        ("429", "请求过于频繁 / too many requests"),
        ("502", "对方系统不可用 / the partner system did not answer"),
        ("503", "暂不可用 / temporarily unavailable"),
        ("default", "意外错误 / unexpected error"),
    ];
    let mut out = Map::new();
    for (status, description) in described {
        out.insert(
            status.into(),
            json!({"description": description, "content": {"application/problem+json": {"schema": problem}}}),
        );
    }
    Value::Object(out)
}

fn path_params(path: &str) -> Vec<&str> {
    path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect()
}

fn operation_id(op: &Op) -> String {
    let mut id = op.method.as_str().to_ascii_lowercase();
    for seg in op.path.split('/').filter(|s| !s.is_empty() && *s != "api") {
        id.push('_');
        id.push_str(&seg.replace(['{', '}'], "").replace(['-', '.'], "_"));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_described_query_parameter_is_one_the_handler_reads() {
        let (_, ops) = crate::modules::api().into_parts();
        let mut generator = SchemaSettings::draft2020_12().into_generator();
        let mut stale = Vec::new();
        for op in ops.iter().filter(|o| o.query_type.is_some()) {
            let names: Vec<String> =
                query_params(op, &mut generator).iter().filter_map(|p| p["name"].as_str().map(String::from)).collect();
            for (described, _) in op.params {
                if !names.iter().any(|n| n == described) {
                    stale.push(format!("{} {}: {described} is not read (reads {names:?})", op.method, op.path));
                }
            }
        }
        assert!(stale.is_empty(), "{}", stale.join("\n"));
    }

    #[test]
    fn a_deprecated_operation_says_so_and_lists_its_statuses() {
        let op = Op::api(axum::http::Method::POST, "/api/things/{id}", Access::Action(Action::ResidentWrite), "t", "x")
            .deprecated()
            .answers(&[429]);
        let doc = document(&[op]);
        let entry = &doc["paths"]["/api/things/{id}"]["post"];
        assert_eq!(entry["deprecated"], true);
        let statuses: Vec<&str> = entry["responses"].as_object().unwrap().keys().map(String::as_str).collect();
        for s in ["401", "403", "404", "408", "409", "413", "422", "429", "default"] {
            assert!(statuses.contains(&s), "{s} missing from {statuses:?}");
            assert!(doc["components"]["responses"][s].is_object(), "{s} has no shared response");
        }
        assert_eq!(entry["security"][1]["bearer"][0], Action::ResidentWrite.as_str());
    }

    #[test]
    fn a_required_query_field_is_a_required_parameter_and_options_lose_their_null() {
        let (_, ops) = crate::modules::api().into_parts();
        let check = ops.iter().find(|o| o.path == "/api/public/fraud/check").expect("the public check");
        let mut generator = SchemaSettings::draft2020_12().into_generator();
        let params = query_params(check, &mut generator);
        let kind = params.iter().find(|p| p["name"] == "kind").expect("kind");
        assert_eq!(kind["required"], true, "{params:?}");
        for p in &params {
            assert!(!p["schema"].to_string().contains("null"), "{p}");
        }
    }
}
