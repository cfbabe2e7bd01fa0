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
        .add(
            Op::api(Method::GET, "/livez", Access::Public, "system", "存活检查（不访问数据库）").produces("text/plain"),
            get(live),
        )
        .add(
            Op::api(Method::GET, "/metrics", Access::Public, "system", "Prometheus 指标").produces("text/plain"),
            get(metrics),
        )
        .add(
            Op::api(Method::GET, "/api/openapi.json", Access::Public, "system", "OpenAPI 3.1 文档")
                .produces("application/json"),
            get(openapi),
        )
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
    let mut out = state.metrics.render();
    crate::http::events::render(&mut out);
    if let Err(e) = gauges(&state, &mut out).await {
        tracing::warn!(error = %e, "metrics: the database's gauges could not be read");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// What is waiting, read at each scrape: the tracing engine's presences, dissuasion tasks
/// open and overdue by level, the identity-change outbox's backlog and dead letters, fact
/// requests still pending with agencies.
async fn gauges(state: &AppState, out: &mut String) -> Result<(), ningan_store::StoreError> {
    use ningan_store::sql::{RowExt as _, query};
    use std::fmt::Write as _;
    let gauge = |out: &mut String, name: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    };
    gauge(out, "ningan_trace_presences", "Presences held by the tracing engine.");
    let _ = writeln!(out, "ningan_trace_presences {}", state.precise.tracer.presences());
    gauge(out, "ningan_trace_memory_bytes", "Heap bytes the tracing engine's index holds.");
    let _ = writeln!(out, "ningan_trace_memory_bytes {}", state.precise.tracer.memory_bytes());
    let now = ningan_core::time::now_ms();
    let rows = query(
        "SELECT level, COUNT(*) AS open, CAST(COALESCE(SUM(CASE WHEN deadline < $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue \
         FROM fraud_tasks WHERE status IN ('open', 'transfer') GROUP BY level",
    )
    .bind(now)
    .fetch_all(state.db.reader())
    .await?;
    let mut open = String::new();
    let mut overdue = String::new();
    for level in ["red", "orange", "yellow"] {
        let row = rows.iter().find(|r| r.try_get::<String, _>("level").is_ok_and(|l| l == level));
        let (o, d): (i64, i64) = match row {
            Some(r) => (r.try_get("open")?, r.try_get("overdue")?),
            None => (0, 0),
        };
        let _ = writeln!(open, "ningan_fraud_tasks_open{{level=\"{level}\"}} {o}");
        let _ = writeln!(overdue, "ningan_fraud_tasks_overdue{{level=\"{level}\"}} {d}");
    }
    gauge(out, "ningan_fraud_tasks_open", "Dissuasion tasks not yet worked, by warning level.");
    out.push_str(&open);
    gauge(out, "ningan_fraud_tasks_overdue", "Dissuasion tasks past their deadline, by warning level.");
    out.push_str(&overdue);
    let one = |sql: &'static str| async move {
        query(sql)
            .fetch_one(state.db.reader())
            .await
            .and_then(|r| r.try_get::<i64, _>("n"))
            .map_err(ningan_store::StoreError::from)
    };
    gauge(out, "ningan_outbox_backlog", "Identity-change deliveries waiting or being retried.");
    let _ = writeln!(
        out,
        "ningan_outbox_backlog {}",
        one("SELECT COUNT(*) AS n FROM change_deliveries WHERE status IN ('pending', 'failed')").await?
    );
    gauge(out, "ningan_outbox_dead_letters", "Identity-change deliveries given up on until re-driven.");
    let _ = writeln!(
        out,
        "ningan_outbox_dead_letters {}",
        one("SELECT COUNT(*) AS n FROM change_deliveries WHERE status = 'dead'").await?
    );
    gauge(out, "ningan_exchange_pending", "Certificate-free facts still awaited from partner agencies.");
    let _ = writeln!(
        out,
        "ningan_exchange_pending {}",
        one("SELECT COUNT(*) AS n FROM application_facts WHERE status = 'pending'").await?
    );
    Ok(())
}

async fn openapi(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], state.openapi.to_string())
}
