//! The OpenAPI 3.1 document, generated from the route table: paths and methods, the access
//! each needs, request and response schemas (JSON Schema 2020-12 from the DTO types), and
//! the problem document every error uses.

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
        let mut params: Vec<Value> = path_params(op.path)
            .into_iter()
            .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}))
            .collect();
        params.extend(op.params.iter().map(|(n, d)| json!({"name": n, "in": "query", "required": false, "description": d, "schema": {"type": "string"}})));
        if op.method == axum::http::Method::POST {
            params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                "description": "重试同一请求时携带相同的键，服务器返回首次的响应 / retries with the same key get the first response",
                "schema": {"type": "string", "maxLength": 200}}));
        }
        if !params.is_empty() {
            operation.insert("parameters".into(), Value::Array(params));
        }
        if !op.file_body.is_empty() {
            let content: Map<String, Value> = op
                .file_body
                .iter()
                .map(|t| (t.to_string(), json!({"schema": {"type": "string", "format": "binary"}})))
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
            None => json!({"description": "成功 / success"}),
        };
        let mut responses = Map::new();
        responses.insert(op.status.to_string(), success);
        responses.insert("default".into(), json!({"description": "问题 / problem (RFC 9457)", "content": {"application/problem+json": {"schema": problem}}}));
        operation.insert("responses".into(), Value::Object(responses));
        match op.access {
            Access::Public => {
                operation.insert("security".into(), json!([]));
            }
            Access::SignedIn => {}
            Access::Citizen => {
                operation.insert("x-ningan-citizen".into(), json!(true));
            }
            Access::Action(a) => {
                operation.insert("x-ningan-action".into(), json!(a.as_str()));
            }
            Access::CityWide(a) => {
                operation.insert("x-ningan-action".into(), json!(a.as_str()));
                operation.insert("x-ningan-city-unit".into(), json!(true));
            }
            Access::Case(a) => {
                operation.insert("x-ningan-action".into(), json!(a.as_str()));
                operation.insert("x-ningan-case-team".into(), json!(true));
            }
            Access::Reveal(a) => {
                operation.insert("x-ningan-action".into(), json!(a.as_str()));
                operation.insert("x-ningan-reveal".into(), json!(Action::ResidentReveal.as_str()));
            }
        }
        let entry = paths.entry(op.path.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(op.method.as_str().to_ascii_lowercase(), Value::Object(operation));
        }
    }
    let schemas = generator.take_definitions(true);
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
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": crate::http::principal::SESSION_COOKIE,
                    "description": "登录后的会话；写操作需同时携带 X-CSRF-Token / session cookie; state-changing requests also need X-CSRF-Token"},
                "bearer": {"type": "http", "scheme": "bearer", "description": "接口令牌 ngn_… / API token"}
            }
        },
        "security": [{"session": []}, {"bearer": []}]
    })
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
