//! Tokens recently authenticated, so that a busy client does not cost a
//! database read per request. An entry is reused for at most a second and
//! only while the store's access generation is unchanged: a revocation or a
//! change of the person made through this process is seen at once, one made
//! by another process within a second. Expiry is checked on every use.

use chrono::{DateTime, Utc};
use preflight_core::actor::User;
use preflight_core::ids::TokenId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an authenticated token is trusted without reading it again.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// Most tokens kept; beyond it the cache starts over.
const MAX_KEPT: usize = 10_000;

#[derive(Debug)]
pub(crate) struct Authenticated {
    pub user: User,
    pub token: TokenId,
    pub expires_at: Option<DateTime<Utc>>,
    read_at: Instant,
    generation: u64,
}

/// Live tokens by their keyed hash (never by the secret).
#[derive(Debug, Default)]
pub(crate) struct TokenCache(Mutex<HashMap<String, Arc<Authenticated>>>);

impl TokenCache {
    /// The token's person if it was read less than a second ago, in the same
    /// access generation, and has not expired since.
    pub fn get(
        &self,
        hash: &str,
        generation: u64,
        now: DateTime<Utc>,
    ) -> Option<Arc<Authenticated>> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(hash)
            .filter(|a| {
                a.generation == generation
                    && a.read_at.elapsed() < FRESH_FOR
                    && a.expires_at.is_none_or(|expires| now < expires)
            })
            .cloned()
    }

    pub fn put(
        &self,
        hash: String,
        user: User,
        token: TokenId,
        expires_at: Option<DateTime<Utc>>,
        generation: u64,
    ) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= MAX_KEPT {
            kept.clear();
        }
        kept.insert(
            hash,
            Arc::new(Authenticated {
                user,
                token,
                expires_at,
                read_at: Instant::now(),
                generation,
            }),
        );
    }
}
