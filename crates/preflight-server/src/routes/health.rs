use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;

/// Liveness and store reachability.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(err) => {
            tracing::error!(error = %err, "health check: store unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n")
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; the API lives under /api/v1",
    )
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionInfo {
    pub name: String,
    pub version: String,
    pub api: String,
}

/// The server's name and version. Needs no token.
#[utoipa::path(get, path = "/version", tag = "identity", security(()),
    responses((status = 200, body = VersionInfo)))]
pub async fn version() -> Json<VersionInfo> {
    Json(VersionInfo {
        name: "preflight".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        api: "v1".into(),
    })
}
