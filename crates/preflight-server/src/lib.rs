//! The HTTP face of Preflight: the REST API under `/api/v1` with its OpenAPI
//! document, `/healthz` and `/metrics`. Handlers authenticate, ask
//! `preflight-core` whether the action is allowed, and let `preflight-store`
//! write the change with its event in one transaction.

mod auth;
pub mod clearinghouse;
mod connections;
mod error;
mod extract;
mod flags;
pub mod ledger;
mod metrics;
mod openapi;
mod report_html;
mod routes;
mod state;
mod taxii;
pub mod web;
pub mod witness;
pub mod worker;

pub use error::{ApiError, ApiErrorBody};
pub use openapi::openapi_document;
pub use state::AppState;

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// The whole application, ready to serve.
pub fn app(state: AppState) -> Router {
    let (api, doc) = openapi::api_router().split_for_parts();
    let doc_json = std::sync::Arc::new(doc);
    Router::new()
        .nest("/api/v1", api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc_json.clone();
                async move { axum::Json((*doc).clone()) }
            }),
        )
        .route(
            "/ledger/checkpoint",
            axum::routing::get(routes::ledger::checkpoint),
        )
        .route(
            "/ledger/tile/{*rest}",
            axum::routing::get(routes::ledger::tile),
        )
        .merge(taxii::router())
        .merge(web::router())
        .route("/healthz", axum::routing::get(routes::health::healthz))
        .route("/metrics", axum::routing::get(metrics::render))
        .fallback(routes::health::not_found)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        // Merged after the per-route metrics layer, so that it does not
        // apply here: the gateway counts and times its calls itself.
        .merge(preflight_gateway::router(state.gateway.clone()))
        .with_state(state)
}

/// Only the gateway (`/v1/...`), `/healthz` and `/metrics`: a replica that
/// scales model access alone, beside a full `serve` that integrates the ledger.
pub fn gateway_app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", axum::routing::get(routes::health::healthz))
        .route("/metrics", axum::routing::get(metrics::render))
        .fallback(routes::health::not_found)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .merge(preflight_gateway::router(state.gateway.clone()))
        .with_state(state)
}

/// Serves [`gateway_app`] until `shutdown` resolves; then records the calls
/// still queued.
pub async fn serve_gateway(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let gateway = state.gateway.clone();
    let served = connections::serve_router(listener, gateway_app(state), shutdown).await;
    gateway.close().await;
    served
}

/// Serves `app` on `listener`, with the ledger integrator beside it, until
/// `shutdown` resolves; then drains requests and integrates what they wrote.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let integrator = tokio::spawn(ledger::run_integrator(
        state.store.clone(),
        state.ledger.clone(),
        state.tiles.clone(),
        stop_rx.clone(),
    ));
    let sweeper = tokio::spawn(preflight_gateway::retention::run(
        state.gateway.clone(),
        stop_rx.clone(),
    ));
    let webhooks = tokio::spawn(clearinghouse::webhooks::run(
        state.clone(),
        state.webhook_wakeup.clone(),
        stop_rx.clone(),
    ));
    let (worker_stop_tx, worker_stop_rx) = tokio::sync::watch::channel(false);
    let worker = match (&state.evaluation_logs, listener.local_addr()) {
        (Some(dir), Ok(addr)) => {
            let host = if addr.ip().is_unspecified() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                addr.ip()
            };
            let settings = worker::WorkerSettings {
                gateway_url: format!("http://{}/v1", SocketAddr::new(host, addr.port())),
                name: format!("serve-{}-{}", std::process::id(), addr.port()),
                log_dir: dir.clone(),
                max_connections: 4,
            };
            Some(tokio::spawn(worker::run_worker(
                state.clone(),
                settings,
                worker_stop_rx,
            )))
        }
        _ => None,
    };
    let gateway = state.gateway.clone();
    let app = app(state);
    // The worker stops as soon as the shutdown begins (its run is resumed
    // later), so that it does not keep calling a server that is draining.
    let shutdown = async move {
        shutdown.await;
        let _ = worker_stop_tx.send(true);
    };
    let served = connections::serve_router(listener, app, shutdown).await;
    // Calls relayed before the stop are recorded before the ledger's last
    // integration.
    if let Some(worker) = worker
        && let Err(err) = worker.await
    {
        tracing::error!(error = %err, "evaluation worker stopped abnormally");
    }
    gateway.close().await;
    let _ = stop_tx.send(true);
    for (task, name) in [
        (integrator, "ledger integrator"),
        (sweeper, "retention sweeper"),
        (webhooks, "webhook sender"),
    ] {
        if let Err(err) = task.await {
            tracing::error!(error = %err, "{name} stopped abnormally");
        }
    }
    served
}
