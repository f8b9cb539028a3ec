//! A C2SP tlog-witness: `POST /add-checkpoint` verifies that a log's new
//! checkpoint is consistent with the last one it cosigned, then cosigns it.
//! The latest cosigned checkpoint is kept in a file, replaced atomically
//! before the witness answers, so a restart never rolls it back.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use preflight_ledger::witness::SIZE_CONTENT_TYPE;
use preflight_ledger::{Checkpoint, Witness};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

/// One witness of one log, with where it keeps its state.
#[derive(Debug)]
pub struct WitnessService {
    witness: Mutex<Witness>,
    state_file: PathBuf,
}

impl WitnessService {
    pub fn new(witness: Witness, state_file: PathBuf) -> Self {
        Self {
            witness: Mutex::new(witness),
            state_file,
        }
    }

    /// The checkpoint last cosigned, as kept in `state_file`.
    pub fn load_state(path: &std::path::Path) -> std::io::Result<Option<Checkpoint>> {
        match std::fs::read_to_string(path) {
            Ok(body) => Checkpoint::parse(&body)
                .map(Some)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn persist(&self, checkpoint: &Checkpoint) -> std::io::Result<()> {
        use std::io::Write;
        let tmp = self.state_file.with_extension("tmp");
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(checkpoint.body().as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.state_file)?;
        if let Some(dir) = self.state_file.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

pub fn witness_app(service: Arc<WitnessService>) -> Router {
    Router::new()
        .route("/add-checkpoint", axum::routing::post(add_checkpoint))
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .with_state(service)
}

async fn add_checkpoint(State(service): State<Arc<WitnessService>>, body: Bytes) -> Response {
    let Ok(body) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "request body is not UTF-8\n").into_response();
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut witness = service.witness.lock().await;
    match witness.add_checkpoint(body, now) {
        Ok(accepted) => {
            if let Err(err) = service.persist(&accepted.checkpoint) {
                tracing::error!(error = %err, "witness cannot persist its state");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "witness cannot persist its state\n",
                )
                    .into_response();
            }
            witness.record(&accepted);
            tracing::info!(size = accepted.checkpoint.size(), "cosigned");
            (
                [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                accepted.cosignature,
            )
                .into_response()
        }
        Err(refusal) => {
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            tracing::warn!(%status, reason = %refusal, "add-checkpoint refused");
            match refusal.conflict_body() {
                Some(size) => (status, [(CONTENT_TYPE, SIZE_CONTENT_TYPE)], size).into_response(),
                None => (status, format!("{refusal}\n")).into_response(),
            }
        }
    }
}
