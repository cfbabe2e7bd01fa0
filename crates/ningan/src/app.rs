//! The application: shared state, the router with its layers, and serving on a listener
//! (port 0 works, for tests).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::response::{IntoResponse, Response};
use ningan_store::{Db, Location};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::http::api::Op;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::metrics::Metrics;
use crate::modules::auth::throttle::LoginThrottle;
use crate::modules::precise::tracing::stream::{CheckinStream, StreamError, consumer_name};
use crate::modules::precise::tracing::tracer::TraceError;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub throttle: Arc<LoginThrottle>,
    pub metrics: Arc<Metrics>,
    pub openapi: Arc<serde_json::Value>,
    pub cockpit: Arc<crate::modules::cockpit::Cache>,
    pub principal_cache: Arc<crate::http::principal::PrincipalCache>,
    /// Each module with state of its own keeps it in one field, reached by its handlers as
    /// `State<PreciseState>` / `State<FraudState>` too.
    pub precise: crate::modules::precise::PreciseState,
    pub fraud: crate::modules::fraud::FraudState,
    /// The state of modules declared through `Module::state`.
    pub modules: Arc<crate::modules::States>,
    /// Searches by a full ID number or phone, per caller.
    pub identifier_searches: Arc<crate::http::limit::RateLimiter<String>>,
    /// Citizen sign-in attempts per client address per minute.
    pub portal_limiter: Arc<crate::http::limit::ClientLimiter>,
    /// Outbound calls: the data exchange and identity-change webhooks.
    pub http: reqwest::Client,
    /// The bureau's exchange key, for signing and sealing the message log.
    pub trust: Arc<crate::trust::Trust>,
}

/// Opens the configured database, applies migrations and makes sure the city tree exists.
pub async fn open_db(config: &Config) -> Result<Db, ningan_store::StoreError> {
    let location = Location::resolve(&config.data_dir, config.database_url.as_deref())?;
    let db = Db::open(&location).await?;
    db.migrate_with(&crate::modules::migrations()).await?;
    match ningan_core::district::other_city(&config.crosscity.city) {
        Some(city) => db.ensure_other_city_tree(city).await?,
        None => db.ensure_city_tree().await?,
    }
    use crate::modules::services::shipped;
    db.ensure_service_catalogue(&shipped::facts(), &shipped::items()).await?;
    crate::modules::services::crosscity::register_peer_keys(&db, &config.crosscity.peers).await?;
    Ok(db)
}

/// What can stop the server's state from opening.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error("anti-fraud rules: {0}")]
    Rules(#[from] ningan_fraud::RuleError),
    #[error("module {module}: {source}")]
    Module { module: &'static str, source: crate::modules::StateError },
}

/// The state every handler shares. Opens the tracing engine under the data directory
/// (replaying its log) and loads the anti-fraud rule set, so it fails when those files
/// cannot be read.
pub fn state(config: Config, db: Db, ops: &[Op]) -> Result<AppState, StartError> {
    Ok(AppState {
        precise: crate::modules::precise::PreciseState::open(&config)?,
        fraud: crate::modules::fraud::FraudState::open(&config)?,
        modules: Arc::new(crate::modules::States::open(&config)?),
        portal_limiter: Arc::new(crate::http::limit::ClientLimiter::new(10)),
        identifier_searches: Arc::new(crate::http::limit::RateLimiter::with_window(
            crate::modules::residents::IDENTIFIER_SEARCHES,
            crate::modules::residents::IDENTIFIER_SEARCH_WINDOW,
        )),
        http: reqwest::Client::builder().user_agent("ningan").build().unwrap_or_default(),
        db,
        principal_cache: Arc::default(),
        throttle: Arc::new(LoginThrottle::new(
            config.login.max_failures_per_client,
            config.login.max_failures,
            Duration::from_secs(u64::from(config.login.lockout_minutes) * 60),
        )),
        config: Arc::new(config),
        metrics: Arc::new(Metrics::default()),
        openapi: Arc::new(crate::http::openapi::document(ops)),
        cockpit: Arc::default(),
        trust: Arc::default(),
    })
}

pub fn router(config: Config, db: Db) -> Result<Router, StartError> {
    Ok(build(config, db)?.0)
}

/// The router and the state behind it, for callers that start background work on the state.
pub fn build(config: Config, db: Db) -> Result<(Router, AppState), StartError> {
    let (routes, ops) = crate::modules::api().into_parts();
    let state = state(config, db, &ops)?;
    let timeout = Duration::from_secs(state.config.http.request_timeout_secs);
    let body_limit = state.config.http.body_limit_bytes;
    let router = routes
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::principal::authenticate))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async { ApiError::plain(ErrorCode::Timeout) }))
                .timeout(timeout),
        )
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::metrics::record))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::headers::secure))
        // Pages and API answers: a fast level, since they are made per request; static assets
        // arrive compressed already and pass through untouched.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The route template only: paths and queries can carry identifiers.
            let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_default();
            let id =
                req.extensions().get::<crate::http::request_id::RequestId>().map(|r| r.0.clone()).unwrap_or_default();
            tracing::info_span!("http", request_id = %id, method = %req.method(), route)
        }))
        .layer(axum::middleware::from_fn(crate::http::request_id::assign))
        .with_state(state.clone());
    Ok((router, state))
}

async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        ApiError::plain(ErrorCode::NotFound).into_response()
    } else {
        // Inside the viewer's frame (menu and all) when someone is signed in.
        let viewer = req.extensions().get::<crate::http::principal::MaybePrincipal>().and_then(|p| p.0.clone());
        let page = crate::web::PageError::not_found();
        match viewer {
            Some(p) => page.framed(&p).into_response(),
            None => page.into_response(),
        }
    }
}

/// Serves until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Connects to NATS JetStream when configured: check-ins are then published to the stream,
/// and this process's engine folds the whole stream in through its own durable consumer.
pub async fn start_streams(state: &AppState) -> Result<(), StreamError> {
    crate::modules::fraud::partitions::start(state).await?;
    crate::modules::fraud::stream::start(state).await?;
    let Some(stream) = CheckinStream::connect(&state.config.nats).await? else { return Ok(()) };
    let durable = consumer_name(&state.config.nats, &state.config.data_dir);
    stream.spawn_consumer(durable, state.precise.tracer.clone(), state.db.clone()).await?;
    let _ = state.precise.checkin_stream.set(stream);
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
