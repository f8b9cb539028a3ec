//! The webhook notifications a release queues: one to every subscribed
//! organisation with a webhook that receives the assessment now and
//! follows one of its products. The body says what was released and where
//! to read it; the advisory itself is read through the API or TAXII,
//! behind the reader's own credentials.

use super::{ReaderOrg, label};
use crate::taxii::object_id;
use crate::{ApiError, AppState};
use chrono::{DateTime, SecondsFormat, Utc};
use preflight_store::{NewDelivery, StoredAssessment};
use serde_json::json;

pub async fn deliveries(
    state: &AppState,
    stored: &StoredAssessment,
    now: DateTime<Utc>,
) -> Result<Vec<NewDelivery>, ApiError> {
    let mut out = Vec::new();
    for sub in state.store.subscriptions().await? {
        if sub.webhook_url.is_none() {
            continue;
        }
        let reader = ReaderOrg::load(state, sub.org_id).await?;
        if reader.receives(stored, now).is_err() || !reader.follows(&stored.assessment) {
            continue;
        }
        out.push(NewDelivery {
            org_id: sub.org_id,
            body: body(stored, now),
        });
    }
    Ok(out)
}

fn body(stored: &StoredAssessment, now: DateTime<Utc>) -> String {
    let a = &stored.assessment;
    json!({
        "type": "advisory.released",
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "data": {
            "assessment_id": stored.id,
            "id": a.id,
            "title": a.title,
            "tlp": label(a.tlp).label(),
            "cvss_base_score": a.best_score().map(|c| c.base_score()),
            "advisory": format!("/api/v1/advisories/{}", stored.id),
            "taxii_object": object_id(&a.id),
        }
    })
    .to_string()
}
