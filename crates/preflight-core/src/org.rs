//! Organisations and the roles of the people in them.

use crate::DomainError;
use crate::ids::OrgId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The five kinds of organisation in the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    DeveloperLab,
    GovernmentEvaluator,
    TrustedPartner,
    Clearinghouse,
    Operator,
}

/// Critical-infrastructure sector of an operator.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    Healthcare,
    Finance,
    Energy,
    Water,
    StateLocalGovernment,
    Communications,
    Transportation,
    Manufacturing,
    Education,
    Other,
}

/// What a person may do is decided by their role (and relation to a review).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Developer,
    GovernmentEvaluator,
    TrustedPartner,
    ClearinghouseAnalyst,
    Operator,
}

macro_rules! snake_enum_text {
    ($ty:ty, $what:literal, [$($variant:ident = $text:literal),+ $(,)?]) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = $crate::DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(<$ty>::$variant),)+
                    _ => Err($crate::DomainError::invalid(
                        $what,
                        s,
                        format!("expected one of {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }
    };
}
pub(crate) use snake_enum_text;

snake_enum_text!(
    OrgKind,
    "kind",
    [
        DeveloperLab = "developer_lab",
        GovernmentEvaluator = "government_evaluator",
        TrustedPartner = "trusted_partner",
        Clearinghouse = "clearinghouse",
        Operator = "operator",
    ]
);

snake_enum_text!(
    Sector,
    "sector",
    [
        Healthcare = "healthcare",
        Finance = "finance",
        Energy = "energy",
        Water = "water",
        StateLocalGovernment = "state_local_government",
        Communications = "communications",
        Transportation = "transportation",
        Manufacturing = "manufacturing",
        Education = "education",
        Other = "other",
    ]
);

snake_enum_text!(
    Role,
    "role",
    [
        Admin = "admin",
        Developer = "developer",
        GovernmentEvaluator = "government_evaluator",
        TrustedPartner = "trusted_partner",
        ClearinghouseAnalyst = "clearinghouse_analyst",
        Operator = "operator",
    ]
);

impl Role {
    /// The kind of organisation a person with this role belongs to; an
    /// admin runs the instance and belongs to none.
    pub fn org_kind(self) -> Option<OrgKind> {
        match self {
            Role::Admin => None,
            Role::Developer => Some(OrgKind::DeveloperLab),
            Role::GovernmentEvaluator => Some(OrgKind::GovernmentEvaluator),
            Role::TrustedPartner => Some(OrgKind::TrustedPartner),
            Role::ClearinghouseAnalyst => Some(OrgKind::Clearinghouse),
            Role::Operator => Some(OrgKind::Operator),
        }
    }
}

/// An organisation taking part in the program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    /// Set for operators, absent for every other kind.
    pub sector: Option<Sector>,
}

impl Organisation {
    /// An operator must name its sector; no other kind may.
    pub fn new(name: &str, kind: OrgKind, sector: Option<Sector>) -> Result<Self, DomainError> {
        let name = non_empty("name", name, 200)?;
        match (kind, sector) {
            (OrgKind::Operator, None) => {
                return Err(DomainError::invalid(
                    "sector",
                    "",
                    "an operator must name its sector",
                ));
            }
            (kind, Some(sector)) if kind != OrgKind::Operator => {
                return Err(DomainError::invalid(
                    "sector",
                    sector,
                    format!("only operators have a sector, not a {kind}"),
                ));
            }
            _ => {}
        }
        Ok(Self {
            id: OrgId::new(),
            name,
            kind,
            sector,
        })
    }
}

/// A trimmed, non-empty text of at most `max` characters.
pub fn non_empty(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, value, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        let shown: String = trimmed.chars().take(40).collect();
        return Err(DomainError::invalid(
            field,
            format!("{shown}..."),
            format!("longer than {max} characters"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(DomainError::invalid(
            field,
            value,
            "contains control characters",
        ));
    }
    Ok(trimmed.to_owned())
}
