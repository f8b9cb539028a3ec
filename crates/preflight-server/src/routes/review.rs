//! Loading a review together with what decides access to it.

use crate::auth::Caller;
use crate::{ApiError, AppState};
use preflight_core::ids::SubmissionId;
use preflight_core::policy::{Visibility, visibility};
use preflight_core::submission::Submission;
use preflight_core::terms::{AgreedTerms, TermsVersion, latest_agreed};

/// A review as the caller may see it.
#[derive(Debug)]
pub struct Review {
    pub submission: Submission,
    pub row_version: i64,
    pub versions: Vec<TermsVersion>,
    pub agreed: Option<AgreedTerms>,
    pub visibility: Visibility,
}

impl Review {
    /// Loads a review, answering 404 to callers who may not know it exists.
    pub async fn load(
        state: &AppState,
        caller: &Caller,
        id: SubmissionId,
    ) -> Result<Self, ApiError> {
        let stored = state.store.submission(id).await?;
        let versions = state.store.terms_versions(id).await?;
        let agreed = latest_agreed(&versions);
        let visibility = visibility(&caller.actor, &stored.value, agreed.as_ref());
        if visibility == Visibility::None {
            return Err(ApiError::not_found("submission", id));
        }
        Ok(Self {
            submission: stored.value,
            row_version: stored.row_version,
            versions,
            agreed,
            visibility,
        })
    }

    /// Refuses callers who see less than everything.
    pub fn require_full(&self, what: &str) -> Result<(), ApiError> {
        if self.visibility == Visibility::Full {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "trusted partners may not {what}"
            )))
        }
    }
}
