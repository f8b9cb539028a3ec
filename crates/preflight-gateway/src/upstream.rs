//! The developer's model endpoint: where it is, how to call it, and its
//! credential, opened in memory from the store and kept there briefly.

use crate::GatewayState;
use crate::admission::internal;
use crate::refusal::Refusal;
use preflight_core::ids::SubmissionId;
use preflight_core::submission::{Upstream, UpstreamKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long an opened credential stays in memory before it is read again.
const CREDENTIAL_TTL: Duration = Duration::from_secs(10);

/// An upstream with its credential, opened.
#[derive(Clone)]
pub(crate) struct Target {
    pub kind: UpstreamKind,
    /// The full URL calls are posted to.
    pub endpoint: String,
    /// The model name the upstream expects, when set.
    pub model: Option<String>,
    pub credential: Option<Arc<Zeroizing<String>>>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("kind", &self.kind)
            .field("endpoint", &self.endpoint)
            .field(
                "credential",
                &self.credential.as_ref().map(|_| "(redacted)"),
            )
            .finish()
    }
}

impl Target {
    fn of(upstream: &Upstream, credential: Option<Zeroizing<String>>) -> Self {
        let base = upstream.url.trim_end_matches('/');
        let endpoint = match upstream.kind {
            UpstreamKind::OpenaiCompatible => format!("{base}/chat/completions"),
            UpstreamKind::AnthropicMessages if base.ends_with("/v1") => format!("{base}/messages"),
            UpstreamKind::AnthropicMessages => format!("{base}/v1/messages"),
        };
        Self {
            kind: upstream.kind,
            endpoint,
            model: upstream.model.clone(),
            credential: credential.map(Arc::new),
        }
    }

    /// Posts `body` to the upstream with its authentication.
    pub async fn post(
        &self,
        http: &preflight_http::Client,
        body: Vec<u8>,
    ) -> Result<preflight_http::Response, preflight_http::Error> {
        let request = preflight_http::Request::post(&self.endpoint, body)
            .header("content-type", "application/json");
        let bearer;
        let request = match (self.kind, &self.credential) {
            (UpstreamKind::OpenaiCompatible, Some(key)) => {
                bearer = Zeroizing::new(format!("Bearer {}", key.as_str()));
                request.header("authorization", bearer.as_str())
            }
            (UpstreamKind::AnthropicMessages, Some(key)) => request
                .header("x-api-key", key.as_str())
                .header("anthropic-version", "2023-06-01"),
            (UpstreamKind::AnthropicMessages, None) => {
                request.header("anthropic-version", "2023-06-01")
            }
            (UpstreamKind::OpenaiCompatible, None) => request,
        };
        http.send(request).await
    }

    /// Replaces every occurrence of the credential in bytes the upstream
    /// sent, should it ever echo it.
    pub fn scrub(&self, bytes: &mut Vec<u8>) -> bool {
        let Some(key) = &self.credential else {
            return false;
        };
        let needle = key.as_bytes();
        if needle.len() < 4 || memchr::memmem::find(bytes, needle).is_none() {
            return false;
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = &bytes[..];
        while let Some(at) = memchr::memmem::find(rest, needle) {
            out.extend_from_slice(&rest[..at]);
            out.extend_from_slice(b"[redacted]");
            rest = &rest[at + needle.len()..];
        }
        out.extend_from_slice(rest);
        *bytes = out;
        true
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct UpstreamCache {
    targets: Arc<Mutex<HashMap<SubmissionId, (Instant, Target)>>>,
}

impl UpstreamCache {
    /// The review's upstream, its credential opened with the master key.
    pub async fn target(
        &self,
        state: &GatewayState,
        upstream: &Upstream,
        id: SubmissionId,
    ) -> Result<Target, Refusal> {
        if let Some((at, target)) = self.lock().get(&id)
            && at.elapsed() < CREDENTIAL_TTL
            && target.endpoint == Target::of(upstream, None).endpoint
        {
            return Ok(target.clone());
        }
        let credential = state
            .store
            .upstream_credential(id, &state.master)
            .await
            .map_err(internal)?;
        let target = Target::of(upstream, credential);
        self.lock().insert(id, (Instant::now(), target.clone()));
        Ok(target)
    }

    /// Forgets every opened credential of the review.
    pub fn forget(&self, id: SubmissionId) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SubmissionId, (Instant, Target)>> {
        self.targets.lock().unwrap_or_else(|e| e.into_inner())
    }
}
