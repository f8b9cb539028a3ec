//! Who may call, on which review, in which phase, under which limits: the
//! token is checked against the store and the review against the latest
//! terms both sides signed, at the moment of the call.

use crate::GatewayState;
use crate::refusal::Refusal;
use axum::http::{HeaderMap, header};
use preflight_core::access::reviewer_access;
use preflight_core::actor::Actor;
use preflight_core::finding::Phase;
use preflight_core::submission::Submission;
use preflight_core::terms::{AgreedTerms, UsageLimits, latest_agreed};
use preflight_store::{GatewayGrant, GrantLookup};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a looked-up grant and its review are reused. Changes made
/// through this process are seen at once (the store's access generation);
/// changes made by another replica within this time.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// Most grants kept; beyond it the cache starts over.
const MAX_CACHED: usize = 10_000;

/// A live token's grant with its review and agreed terms, as last read.
#[derive(Debug)]
struct Looked {
    grant: GatewayGrant,
    submission: Submission,
    agreed: Option<AgreedTerms>,
}

/// One token's entry: looked up once by the first call that needs it, while
/// the calls arriving meanwhile wait for that lookup instead of making their
/// own (a burst of a thousand calls reads the store once, not a thousand
/// times).
#[derive(Debug)]
struct Slot {
    made_at: Instant,
    generation: u64,
    looked: tokio::sync::OnceCell<Arc<Looked>>,
}

impl Slot {
    fn is_fresh(&self, generation: u64) -> bool {
        self.generation == generation && self.made_at.elapsed() < FRESH_FOR
    }
}

/// Grants by token fingerprint. Only live tokens stay; a lookup that refused
/// leaves nothing behind, so refusals are looked up each time.
#[derive(Clone, Debug, Default)]
pub(crate) struct AdmissionCache {
    slots: Arc<Mutex<HashMap<String, Arc<Slot>>>>,
}

impl AdmissionCache {
    /// The fresh slot of `fingerprint`, made if there is none.
    fn slot(&self, fingerprint: &str, generation: u64) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = slots.get(fingerprint).filter(|s| s.is_fresh(generation)) {
            return slot.clone();
        }
        if slots.len() >= MAX_CACHED {
            slots.clear();
        }
        let slot = Arc::new(Slot {
            made_at: Instant::now(),
            generation,
            looked: tokio::sync::OnceCell::new(),
        });
        slots.insert(fingerprint.to_owned(), slot.clone());
        slot
    }

    /// Forgets `slot` after its lookup refused, unless it was replaced.
    fn forget(&self, fingerprint: &str, slot: &Arc<Slot>) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.get(fingerprint).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            slots.remove(fingerprint);
        }
    }
}

/// A call let through the door (limits are checked next).
#[derive(Debug)]
pub(crate) struct Admission {
    pub grant: GatewayGrant,
    pub submission: Submission,
    pub phase: Phase,
    pub limits: UsageLimits,
}

/// The bearer token of the request.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<&str, Refusal> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Refusal::unauthenticated(
                "missing_token",
                "send a gateway token as `Authorization: Bearer pfg_...`",
            )
        })?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Refusal::unauthenticated(
                "missing_token",
                "the Authorization header must be `Bearer <gateway token>`",
            )
        })?;
    Ok(token)
}

pub(crate) fn internal(err: impl std::fmt::Display) -> Refusal {
    tracing::error!(error = %err, "gateway store failure");
    Refusal::unavailable(
        "store_unavailable",
        "the gateway could not check this call; retry later",
    )
}

/// Checks the token and the review's terms at the gateway's now.
pub(crate) async fn admit(state: &GatewayState, headers: &HeaderMap) -> Result<Admission, Refusal> {
    let token = bearer(headers)?;
    let now = state.clock.now();
    let fingerprint = state.pepper.fingerprint(token);
    let generation = state.store.access_generation();
    let slot = state.admissions.slot(&fingerprint, generation);
    let looked = match slot
        .looked
        .get_or_try_init(|| async { look_up(state, token, now).await.map(Arc::new) })
        .await
    {
        Ok(looked) => looked.clone(),
        Err(refusal) => {
            state.admissions.forget(&fingerprint, &slot);
            return Err(refusal);
        }
    };
    if looked.grant.expires_at <= now {
        return Err(Refusal::unauthenticated(
            "token_expired",
            format!("the gateway token expired at {}", looked.grant.expires_at),
        ));
    }
    let actor = Actor::of(&looked.grant.user);
    let phase = reviewer_access(&looked.submission, looked.agreed.as_ref(), &actor, now)?;
    let limits = looked
        .agreed
        .as_ref()
        .map(|t| t.document.limits)
        .ok_or_else(|| Refusal::denied("no_agreed_terms", "no terms signed by both sides"))?;
    Ok(Admission {
        grant: looked.grant.clone(),
        submission: looked.submission.clone(),
        phase,
        limits,
    })
}

async fn look_up(
    state: &GatewayState,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Looked, Refusal> {
    let grant = match state
        .store
        .gateway_grant(&state.pepper, token, now)
        .await
        .map_err(internal)?
    {
        GrantLookup::Live(grant) => grant,
        GrantLookup::Expired { at } => {
            return Err(Refusal::unauthenticated(
                "token_expired",
                format!("the gateway token expired at {at}"),
            ));
        }
        GrantLookup::Revoked { at } => {
            return Err(Refusal::unauthenticated(
                "token_revoked",
                format!("the gateway token was revoked at {at}"),
            ));
        }
        GrantLookup::Unknown => {
            return Err(Refusal::unauthenticated(
                "invalid_token",
                "not a live gateway token (gateway tokens start with pfg_; API tokens are not accepted here)",
            ));
        }
    };
    let id = grant.submission_id;
    let submission = state.store.submission(id).await.map_err(internal)?.value;
    let versions = state.store.terms_versions(id).await.map_err(internal)?;
    Ok(Looked {
        agreed: latest_agreed(&versions),
        grant,
        submission,
    })
}
