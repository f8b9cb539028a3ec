//! Recorded events: every state change writes one in the same transaction.
//! An event names opaque ids only; its details stay behind the access checks.

use crate::ids::{EventId, SubmissionId, UserId};
use crate::org::snake_enum_text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    OrgCreated,
    UserCreated,
    UserKeyRegistered,
    TokenCreated,
    TokenRevoked,
    PartnerVettingSet,
    SubmissionCreated,
    SubmissionUpdated,
    Transitioned,
    TermsProposed,
    TermsSigned,
    FindingFiled,
    FindingAnswered,
    ReportDelivered,
    GatewayTokenCreated,
    GatewayTokenRevoked,
    /// A reviewer's call to the model, recorded before it goes upstream.
    ModelCalled,
    /// How that call ended: status and usage.
    ModelCallFinished,
    /// The review's data key was destroyed: its transcripts can no longer be read.
    TranscriptsDestroyed,
    EvaluationQueued,
    EvaluationFinished,
    /// A batch of vulnerability documents was imported into the
    /// clearinghouse: the batch id, its counts and the assessments it
    /// created or changed.
    AssessmentsImported,
    /// An assessment was opened by hand (an outside reporter's report).
    AssessmentCreated,
    /// An assessment's coordination changed: its report state, embargo,
    /// a case flag, or its label and audience before publication.
    AssessmentUpdated,
    /// An assessment was released to the organisations its label and
    /// audience reach (or released again after a change).
    AssessmentPublished,
    /// A review finding went to the clearinghouse as the terms allow; it is
    /// an event of the review, so the developer sees when it happened.
    FindingEscalated,
    /// An organisation's sharing subscription (sectors, products, webhook).
    SubscriptionSet,
    /// The organisations a provider serves (its clients receive what TLP
    /// AMBER addresses to it).
    OrgClientsSet,
    /// A person's web password was set.
    PasswordSet,
    /// A person signed in to the web interface.
    SignedIn,
}

snake_enum_text!(
    EventKind,
    "kind",
    [
        OrgCreated = "org_created",
        UserCreated = "user_created",
        UserKeyRegistered = "user_key_registered",
        TokenCreated = "token_created",
        TokenRevoked = "token_revoked",
        PartnerVettingSet = "partner_vetting_set",
        SubmissionCreated = "submission_created",
        SubmissionUpdated = "submission_updated",
        Transitioned = "transitioned",
        TermsProposed = "terms_proposed",
        TermsSigned = "terms_signed",
        FindingFiled = "finding_filed",
        FindingAnswered = "finding_answered",
        ReportDelivered = "report_delivered",
        GatewayTokenCreated = "gateway_token_created",
        GatewayTokenRevoked = "gateway_token_revoked",
        ModelCalled = "model_called",
        ModelCallFinished = "model_call_finished",
        TranscriptsDestroyed = "transcripts_destroyed",
        EvaluationQueued = "evaluation_queued",
        EvaluationFinished = "evaluation_finished",
        AssessmentsImported = "assessments_imported",
        AssessmentCreated = "assessment_created",
        AssessmentUpdated = "assessment_updated",
        AssessmentPublished = "assessment_published",
        FindingEscalated = "finding_escalated",
        SubscriptionSet = "subscription_set",
        OrgClientsSet = "org_clients_set",
        PasswordSet = "password_set",
        SignedIn = "signed_in",
    ]
);

/// One recorded state change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub id: EventId,
    pub kind: EventKind,
    pub submission_id: Option<SubmissionId>,
    pub actor: Option<UserId>,
    pub at: DateTime<Utc>,
    /// The full record of the change, readable only by those who may see it.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl Event {
    pub fn new(
        kind: EventKind,
        submission_id: Option<SubmissionId>,
        actor: Option<UserId>,
        at: DateTime<Utc>,
        details: serde_json::Value,
    ) -> Self {
        Self {
            id: EventId::new(),
            kind,
            submission_id,
            actor,
            at,
            details,
        }
    }
}
