//! Operational endpoints: health, Prometheus metrics, the OpenAPI document, static assets.

mod housekeeping;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use schemars::JsonSchema;
use serde::Serialize;

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};

pub use housekeeping::start;

pub fn routes(api: Api) -> Api {
    api.add(Op::api(Method::GET, "/healthz", Access::Public, "system", "健康检查").response::<Health>(), get(health))
        .add(Op::api(Method::GET, "/livez", Access::Public, "system", "存活检查（不访问数据库）"), get(live))
        .add(Op::api(Method::GET, "/metrics", Access::Public, "system", "Prometheus 指标"), get(metrics))
        .add(Op::api(Method::GET, "/api/openapi.json", Access::Public, "system", "OpenAPI 3.1 文档"), get(openapi))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Health {
    pub status: &'static str,
    pub database: &'static str,
    pub schema_version: i64,
    pub version: &'static str,
}

/// Liveness: the process answers. Touches nothing else, so it is also the HTTP stack's
/// ceiling that benchmarks compare routes against.
async fn live() -> &'static str {
    "ok"
}

/// Readiness: the database answers and its schema version.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let db_ok = state.db.ping().await.is_ok();
    let schema_version = state.db.schema_version().await.unwrap_or(0);
    let status = if db_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = Health {
        status: if db_ok { "ok" } else { "degraded" },
        database: if db_ok { "ok" } else { "unreachable" },
        schema_version,
        version: env!("CARGO_PKG_VERSION"),
    };
    (status, axum::Json(body))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

async fn openapi(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], state.openapi.to_string())
}
