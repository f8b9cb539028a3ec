//! The clearinghouse's sharing rules applied to stored assessments: who
//! receives a released assessment (TLP 2.0, audience, embargo, through
//! `preflight-core::sharing`), the advisory view an organisation reads,
//! and the webhook notifications a release queues.

pub mod escalate;
pub mod notify;
pub mod webhooks;

use crate::{ApiError, AppState};
use chrono::{DateTime, Utc};
use preflight_core::ids::OrgId;
use preflight_core::org::{OrgKind, Organisation, Sector};
use preflight_core::sharing::{Release, Withheld, may_receive};
use preflight_store::{StoredAssessment, Subscription};
use preflight_vuln::{Assessment, Tlp};
use serde_json::Value;
use std::collections::BTreeSet;

/// The core's label for a record's label.
pub fn label(tlp: Tlp) -> preflight_core::sharing::Tlp {
    use preflight_core::sharing::Tlp as Core;
    match tlp {
        Tlp::Clear => Core::Clear,
        Tlp::Green => Core::Green,
        Tlp::Amber => Core::Amber,
        Tlp::AmberStrict => Core::AmberStrict,
        Tlp::Red => Core::Red,
    }
}

/// An organisation as a reader of releases: its kind and sector, the
/// sectors it subscribes to, and the providers it is a client of.
#[derive(Clone, Debug)]
pub struct ReaderOrg {
    pub org: Organisation,
    pub subscription: Option<Subscription>,
    pub client_of: BTreeSet<OrgId>,
}

impl ReaderOrg {
    pub async fn load(state: &AppState, org: OrgId) -> Result<Self, ApiError> {
        Ok(Self {
            org: state.store.org(org).await?,
            subscription: state.store.subscription(org).await?,
            client_of: state.store.providers_of(org).await?,
        })
    }

    /// Whether this organisation receives `stored` at `now`.
    pub fn receives(&self, stored: &StoredAssessment, now: DateTime<Utc>) -> Result<(), Withheld> {
        let empty = BTreeSet::new();
        let sectors: &BTreeSet<Sector> = self.subscription.as_ref().map_or(&empty, |s| &s.sectors);
        let embargo = &stored.assessment.coordination.embargo;
        let release = Release {
            tlp: label(stored.assessment.tlp),
            audience: &stored.publication.audience,
            published: stored.publication.is_published(),
            embargo_until: embargo
                .in_force(now)
                .then(|| embargo.ends_at.unwrap_or(DateTime::<Utc>::MAX_UTC)),
        };
        let reader = preflight_core::sharing::Reader {
            org: self.org.id,
            kind: self.org.kind,
            sector: self.org.sector,
            subscriptions: sectors,
            client_of: &self.client_of,
        };
        may_receive(&release, &reader, now)
    }

    pub fn is_clearinghouse(&self) -> bool {
        self.org.kind == OrgKind::Clearinghouse
    }

    /// Whether a release about `a` is one this organisation asked to be
    /// told of: its products, or every product when it named none.
    pub fn follows(&self, a: &Assessment) -> bool {
        match &self.subscription {
            None => true,
            Some(s) => follows(&s.products, a),
        }
    }
}

/// Whether any of `products` names one of `a`'s products (its name, vendor
/// and name, PURL or CPE, compared without case); an empty list follows all.
pub fn follows(products: &[String], a: &Assessment) -> bool {
    if products.is_empty() {
        return true;
    }
    let wanted: Vec<String> = products.iter().map(|p| p.trim().to_lowercase()).collect();
    a.products.iter().any(|p| {
        let mut names = vec![p.name.to_lowercase()];
        if let Some(vendor) = &p.vendor {
            names.push(format!(
                "{} {}",
                vendor.to_lowercase(),
                p.name.to_lowercase()
            ));
            names.push(vendor.to_lowercase());
        }
        if let Some(purl) = &p.purl {
            names.push(purl.to_lowercase());
        }
        names.extend(p.cpes.iter().map(|c| c.to_lowercase()));
        wanted.iter().any(|w| {
            names
                .iter()
                .any(|n| n == w || (w.starts_with("pkg:") && n.starts_with(w.as_str())))
        })
    })
}

/// An assessment as an organisation receiving it reads it: the record
/// without its sources (who reported it, which review it came from), with
/// when it was shared.
pub fn advisory(stored: &StoredAssessment) -> Value {
    let mut body = serde_json::to_value(&stored.assessment).unwrap_or(Value::Null);
    if let Some(map) = body.as_object_mut() {
        map.remove("sources");
        map.insert("assessment_id".into(), Value::String(stored.id.to_string()));
        map.insert(
            "sectors".into(),
            serde_json::to_value(&stored.publication.audience.sectors).unwrap_or(Value::Null),
        );
        map.insert(
            "shared_at".into(),
            serde_json::to_value(stored.publication.shared_at).unwrap_or(Value::Null),
        );
    }
    body
}
