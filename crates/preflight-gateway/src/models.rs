//! `/v1/models`: the one model a gateway token reaches.

use crate::GatewayState;
use crate::admission::admit;
use crate::refusal::Refusal;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

fn model_object(name: &str, created: i64) -> Value {
    json!({ "id": name, "object": "model", "created": created, "owned_by": "preflight" })
}

pub(crate) async fn list(
    State(state): State<GatewayState>,
    headers: HeaderMap,
) -> Result<Json<Value>, Refusal> {
    let admission = admit(&state, &headers)
        .await
        .inspect_err(|r| state.metrics.refused(r.code))?;
    let s = &admission.submission;
    Ok(Json(json!({
        "object": "list",
        "data": [model_object(&s.model_name, s.created_at.timestamp())],
    })))
}

pub(crate) async fn one(
    State(state): State<GatewayState>,
    Path(model): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, Refusal> {
    let admission = admit(&state, &headers)
        .await
        .inspect_err(|r| state.metrics.refused(r.code))?;
    let s = &admission.submission;
    if model != s.model_name {
        return Err(Refusal::model_not_found(&model, &s.model_name));
    }
    Ok(Json(model_object(&s.model_name, s.created_at.timestamp())))
}
