//! People and the acting identity behind a request.

use crate::DomainError;
use crate::ids::{OrgId, UserId};
use crate::org::{OrgKind, Organisation, Role, non_empty};
use serde::{Deserialize, Serialize};

/// A person with an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    /// Absent only for instance admins.
    pub org_id: Option<OrgId>,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Base64 of the person's Ed25519 public key, used to check the terms
    /// they sign. The private key stays with the person.
    pub public_key: Option<String>,
}

impl User {
    /// A person whose role fits the kind of their organisation.
    pub fn new(
        org: Option<&Organisation>,
        name: &str,
        email: &str,
        role: Role,
    ) -> Result<Self, DomainError> {
        let name = non_empty("name", name, 200)?;
        let email = parse_email(email)?;
        match (role.org_kind(), org) {
            (None, None) => {}
            (None, Some(org)) => {
                return Err(DomainError::invalid(
                    "org_id",
                    org.id,
                    "an admin belongs to no organisation",
                ));
            }
            (Some(kind), None) => {
                return Err(DomainError::invalid(
                    "org_id",
                    "",
                    format!("a {role} must belong to a {kind} organisation"),
                ));
            }
            (Some(kind), Some(org)) if org.kind != kind => {
                return Err(DomainError::invalid(
                    "role",
                    role,
                    format!("a {} organisation cannot have a {role}", org.kind),
                ));
            }
            _ => {}
        }
        Ok(Self {
            id: UserId::new(),
            org_id: org.map(|o| o.id),
            name,
            email,
            role,
            public_key: None,
        })
    }
}

fn parse_email(email: &str) -> Result<String, DomainError> {
    let email = email.trim().to_ascii_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
                && email.matches('@').count() == 1
        });
    if valid {
        Ok(email)
    } else {
        Err(DomainError::invalid("email", email, "not an email address"))
    }
}

/// Who is acting: the authenticated person behind a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub org_id: Option<OrgId>,
    pub org_kind: Option<OrgKind>,
    pub role: Role,
}

impl Actor {
    pub fn of(user: &User) -> Self {
        Self {
            user_id: user.id,
            org_id: user.org_id,
            org_kind: user.role.org_kind(),
            role: user.role,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn belongs_to(&self, org: OrgId) -> bool {
        self.org_id == Some(org)
    }
}
