//! The trusted-partner registry: vetting with an expiry, and conflicts of
//! interest declared against named developers.

use crate::DomainError;
use crate::ids::OrgId;
use crate::org::snake_enum_text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VettingStatus {
    Pending,
    Vetted,
    Suspended,
    Revoked,
}

snake_enum_text!(
    VettingStatus,
    "status",
    [
        Pending = "pending",
        Vetted = "vetted",
        Suspended = "suspended",
        Revoked = "revoked",
    ]
);

/// A trusted partner's standing in the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartnerVetting {
    pub org_id: OrgId,
    pub status: VettingStatus,
    /// Vetting lapses at this instant.
    pub vetted_until: Option<DateTime<Utc>>,
    /// Developers the partner has declared a conflict of interest with.
    pub conflicts_with: Vec<OrgId>,
    pub notes: String,
}

/// A partner may be put on an access list only while vetted through the end
/// of the partner window and free of any conflict with the developer.
pub fn check_assignable(
    partner: OrgId,
    vetting: Option<&PartnerVetting>,
    developer: OrgId,
    needed_until: DateTime<Utc>,
) -> Result<(), DomainError> {
    let field = "partner_access.organisations";
    let Some(vetting) = vetting else {
        return Err(DomainError::invalid(
            field,
            partner,
            "partner has no vetting record",
        ));
    };
    if vetting.status != VettingStatus::Vetted {
        return Err(DomainError::invalid(
            field,
            partner,
            format!("partner is {}, not vetted", vetting.status),
        ));
    }
    match vetting.vetted_until {
        Some(until) if until >= needed_until => {}
        Some(until) => {
            return Err(DomainError::invalid(
                field,
                partner,
                format!(
                    "partner vetting expires at {until}, before the partner window ends at {needed_until}"
                ),
            ));
        }
        None => {
            return Err(DomainError::invalid(
                field,
                partner,
                "partner vetting has no expiry date",
            ));
        }
    }
    if vetting.conflicts_with.contains(&developer) {
        return Err(DomainError::invalid(
            field,
            partner,
            "partner declared a conflict of interest with this developer",
        ));
    }
    Ok(())
}
