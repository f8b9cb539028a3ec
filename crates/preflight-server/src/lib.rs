//! The HTTP face of Preflight: the REST API under `/api/v1` with its OpenAPI
//! document, `/healthz` and `/metrics`. Handlers authenticate, ask
//! `preflight-core` whether the action is allowed, and let `preflight-store`
//! write the change with its event in one transaction.

mod auth;
mod error;
mod extract;
mod metrics;
mod openapi;
mod report_html;
mod routes;
mod state;

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
        .route("/healthz", axum::routing::get(routes::health::healthz))
        .route("/metrics", axum::routing::get(metrics::render))
        .fallback(routes::health::not_found)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
