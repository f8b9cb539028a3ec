//! A model version submitted for review.

use crate::DomainError;
use crate::ids::{OrgId, SubmissionId};
use crate::lifecycle::{Outcome, Stage};
use crate::org::{non_empty, snake_enum_text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The protocol the developer's model endpoint speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamKind {
    /// `/v1/chat/completions` (llama.cpp, vLLM, any OpenAI-style API).
    OpenaiCompatible,
    /// Anthropic Messages API.
    AnthropicMessages,
}

snake_enum_text!(
    UpstreamKind,
    "upstream.kind",
    [
        OpenaiCompatible = "openai_compatible",
        AnthropicMessages = "anthropic_messages",
    ]
);

/// Where the model under review is served. The credential is not part of
/// this value: it is kept encrypted by the store and never leaves the gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Upstream {
    pub kind: UpstreamKind,
    pub url: String,
    /// The model name the upstream expects, when it differs from the
    /// submission's model name (an Anthropic model id, a llama.cpp alias).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl Upstream {
    pub fn new(kind: UpstreamKind, url: &str) -> Result<Self, DomainError> {
        let url = url.trim();
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        let host = url.split("://").nth(1).unwrap_or("");
        if !scheme_ok
            || host.is_empty()
            || host.starts_with('/')
            || url.chars().any(char::is_whitespace)
        {
            return Err(DomainError::invalid(
                "upstream.url",
                url,
                "expected an http:// or https:// URL",
            ));
        }
        if url.contains('@') {
            return Err(DomainError::invalid(
                "upstream.url",
                "(redacted)",
                "must not carry credentials; send them as upstream.credential",
            ));
        }
        Ok(Self {
            kind,
            url: url.to_owned(),
            model: None,
        })
    }

    /// Names the model the upstream expects.
    pub fn with_model(mut self, model: Option<&str>) -> Result<Self, DomainError> {
        self.model = model
            .map(|m| non_empty("upstream.model", m, 200))
            .transpose()?;
        Ok(self)
    }
}

/// What a developer submits: a model version and its planned release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Submission {
    pub id: SubmissionId,
    pub developer_org: OrgId,
    pub model_name: String,
    pub model_version: String,
    pub description: String,
    /// The developer's planned public release. Only the developer sets it.
    pub planned_release_at: DateTime<Utc>,
    pub upstream: Upstream,
    pub stage: Stage,
    pub outcome: Option<Outcome>,
    pub created_at: DateTime<Utc>,
    pub government_phase_started_at: Option<DateTime<Utc>>,
    pub partner_phase_started_at: Option<DateTime<Utc>>,
    pub report_delivered_at: Option<DateTime<Utc>>,
}

/// The developer's fields of a new submission, checked.
#[derive(Clone, Debug)]
pub struct NewSubmission {
    pub model_name: String,
    pub model_version: String,
    pub description: String,
    pub planned_release_at: DateTime<Utc>,
    pub upstream: Upstream,
}

impl NewSubmission {
    pub fn new(
        model_name: &str,
        model_version: &str,
        description: &str,
        planned_release_at: DateTime<Utc>,
        upstream: Upstream,
        now: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        if planned_release_at <= now {
            return Err(DomainError::invalid(
                "planned_release_at",
                planned_release_at.to_rfc3339(),
                "must lie in the future",
            ));
        }
        Ok(Self {
            model_name: non_empty("model_name", model_name, 200)?,
            model_version: non_empty("model_version", model_version, 100)?,
            description: description.trim().to_owned(),
            planned_release_at,
            upstream,
        })
    }

    pub fn into_submission(self, developer_org: OrgId, now: DateTime<Utc>) -> Submission {
        Submission {
            id: SubmissionId::new(),
            developer_org,
            model_name: self.model_name,
            model_version: self.model_version,
            description: self.description,
            planned_release_at: self.planned_release_at,
            upstream: self.upstream,
            stage: Stage::Draft,
            outcome: None,
            created_at: now,
            government_phase_started_at: None,
            partner_phase_started_at: None,
            report_delivered_at: None,
        }
    }
}

impl Submission {
    /// When the developer's release decision or withdrawal happened, if any.
    pub fn ended_by_developer_at(&self) -> Option<DateTime<Utc>> {
        self.outcome.as_ref().map(Outcome::at)
    }
}
