//! The ledger over HTTP: the signed checkpoint and the tiles as static,
//! cacheable paths (`/ledger/...`), proofs and a review's own events with
//! their leaf indexes under `/api/v1`.

use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::{ApiPath, ApiQuery};
use crate::ledger::{consistency_proof, inclusion_proof};
use crate::routes::review::Review;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use preflight_core::event::EventKind;
use preflight_core::ids::{EventId, SubmissionId};
use preflight_ledger::tiles::{TilePath, encode_entry_bundle};
use preflight_ledger::{Hash, LedgerError};
use serde::{Deserialize, Serialize};

/// Who may read the ledger's static paths: anyone when the ledger is
/// public, otherwise any participant with a token.
#[derive(Debug)]
pub struct LedgerReader {
    public: bool,
}

impl FromRequestParts<AppState> for LedgerReader {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.ledger.public {
            return Ok(Self { public: true });
        }
        Caller::from_request_parts(parts, state).await?;
        Ok(Self { public: false })
    }
}

impl LedgerReader {
    fn cache(&self, immutable: bool) -> &'static str {
        match (self.public, immutable) {
            (true, true) => "public, max-age=31536000, immutable",
            (false, true) => "private, max-age=31536000, immutable",
            (true, false) => "public, max-age=1",
            (false, false) => "private, no-cache",
        }
    }
}

/// `GET /ledger/checkpoint`: the latest signed checkpoint (a C2SP signed note).
pub async fn checkpoint(
    State(state): State<AppState>,
    reader: LedgerReader,
) -> Result<Response, ApiError> {
    let Some((_, note)) = state.store.ledger_latest_checkpoint().await? else {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the ledger has not signed its first checkpoint yet; retry in a second",
        ));
    };
    Ok((
        [
            (CONTENT_TYPE, "text/plain; charset=utf-8"),
            (CACHE_CONTROL, reader.cache(false)),
        ],
        note,
    )
        .into_response())
}

/// `GET /ledger/tile/...`: a C2SP tile or entry bundle.
pub async fn tile(
    State(state): State<AppState>,
    reader: LedgerReader,
    Path(rest): Path<String>,
) -> Result<Response, ApiError> {
    let path = format!("tile/{rest}");
    let parsed = TilePath::parse(&path)
        .map_err(|e| ApiError::not_found("tile", format!("{path:?} ({e})")))?;
    let integrated = integrated(&state).await?;
    let body = match parsed {
        TilePath::Hashes {
            level,
            index,
            width,
        } => {
            let want = width.unwrap_or(256);
            if !tile_exists(integrated, level, index, want) {
                return Err(ApiError::not_found("tile", path));
            }
            let bytes = state
                .store
                .ledger_tile(level, index, want)
                .await?
                .ok_or_else(|| ApiError::not_found("tile", &path))?;
            bytes[..usize::from(want) * 32].to_vec()
        }
        TilePath::Entries { index, width } => {
            let want = u64::from(width.unwrap_or(256));
            let from = index * 256;
            if from + want > integrated {
                return Err(ApiError::not_found("entry bundle", path));
            }
            let entries = state.store.ledger_entries(from, from + want).await?;
            encode_entry_bundle(&entries).map_err(internal)?
        }
    };
    Ok((
        [
            (CONTENT_TYPE, "application/octet-stream"),
            (CACHE_CONTROL, reader.cache(true)),
        ],
        body,
    )
        .into_response())
}

/// Whether the tile at `level`/`index` reaches `width` hashes in a tree of `size`.
fn tile_exists(size: u64, level: u8, index: u64, width: u16) -> bool {
    let shift = 8 * u32::from(level);
    let hashes_at_level = if shift >= 64 { 0 } else { size >> shift };
    index
        .checked_mul(256)
        .and_then(|first| first.checked_add(u64::from(width)))
        .is_some_and(|end| end <= hashes_at_level)
}

/// Entries covered by the latest checkpoint.
async fn integrated(state: &AppState) -> Result<u64, ApiError> {
    Ok(state.store.ledger_sizes().await?.1)
}

fn internal(err: LedgerError) -> ApiError {
    ApiError::internal(err)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// Leaf index of the entry.
    pub index: u64,
    /// Tree size of the checkpoint to prove against.
    pub size: u64,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree size.
    pub from: u64,
    /// The newer tree size.
    pub to: u64,
}

/// A Merkle proof; hashes in base64, as in checkpoints.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProofView {
    pub size: u64,
    /// Root hash of the tree of `size` leaves.
    pub root: String,
    pub proof: Vec<String>,
}

fn b64(hash: &Hash) -> String {
    B64.encode(hash)
}

/// Checks that a checkpoint covers `size` entries: sizes only grow, so the
/// store is read only when the size last seen is smaller.
async fn check_size(state: &AppState, field: &'static str, size: u64) -> Result<(), ApiError> {
    if size <= state.tiles.integrated() {
        return Ok(());
    }
    let integrated = integrated(state).await?;
    state.tiles.saw_integrated(integrated);
    if size > integrated {
        return Err(ApiError::invalid(
            field,
            format!("invalid {field} {size}: the latest checkpoint covers {integrated} entries"),
        ));
    }
    Ok(())
}

/// Inclusion proof of one entry in the tree of `size` entries.
#[utoipa::path(get, path = "/ledger/proofs/inclusion", tag = "ledger", params(InclusionQuery),
    responses((status = 200, body = ProofView), ErrorResponses))]
pub async fn inclusion(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<InclusionQuery>,
) -> Result<Json<ProofView>, ApiError> {
    check_size(&state, "size", q.size).await?;
    if q.index >= q.size {
        return Err(ApiError::invalid(
            "index",
            format!("invalid index {}: not below size {}", q.index, q.size),
        ));
    }
    let (root, proof) = inclusion_proof(&state.store, &state.tiles, q.index, q.size)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(ProofView {
        size: q.size,
        root: b64(&root),
        proof: proof.iter().map(b64).collect(),
    }))
}

/// Consistency proof between the trees of `from` and `to` entries.
#[utoipa::path(get, path = "/ledger/proofs/consistency", tag = "ledger", params(ConsistencyQuery),
    responses((status = 200, body = ProofView), ErrorResponses))]
pub async fn consistency(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
) -> Result<Json<ProofView>, ApiError> {
    check_size(&state, "to", q.to).await?;
    if q.from == 0 || q.from > q.to {
        return Err(ApiError::invalid(
            "from",
            format!("invalid from {}: must be 1 to {}", q.from, q.to),
        ));
    }
    let (root, proof) = consistency_proof(&state.store, &state.tiles, q.from, q.to)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(ProofView {
        size: q.to,
        root: b64(&root),
        proof: proof.iter().map(b64).collect(),
    }))
}

/// One event of a review with what proves it is on the ledger.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct LedgerEventView {
    pub leaf_index: u64,
    pub event_id: EventId,
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    /// The ledger entry (the Merkle leaf's data).
    pub entry: String,
    /// The full record the entry's commitment covers, exactly as committed.
    pub record: String,
    /// Hex of the commitment's salt.
    pub salt: String,
}

/// A review's events with their leaf indexes and commitments (the developer,
/// the government and admins).
#[utoipa::path(get, path = "/submissions/{submission_id}/ledger", tag = "ledger",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = Vec<LedgerEventView>), ErrorResponses))]
pub async fn review_events(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<Vec<LedgerEventView>>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    review.require_full("read a review's ledger record")?;
    let events = state.store.ledger_events_of(id).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| LedgerEventView {
                leaf_index: e.leaf_index,
                event_id: e.event.id,
                kind: e.event.kind,
                at: e.event.at,
                entry: e.entry,
                record: e.record,
                salt: e.salt,
            })
            .collect(),
    ))
}
