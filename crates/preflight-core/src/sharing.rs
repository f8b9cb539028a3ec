//! Who receives a clearinghouse object. TLP 2.0 (FIRST) says how far a
//! label lets it travel; the clearinghouse narrows that to an audience
//! (sectors, named recipients), holds drafts back, and an active embargo
//! keeps it with the clearinghouse and the named recipients until it ends.
//!
//! | label        | who receives it                                                  |
//! |--------------|------------------------------------------------------------------|
//! | CLEAR        | everyone                                                         |
//! | GREEN        | every organisation of the community (every registered one)       |
//! | AMBER        | the addressed organisations and their clients                    |
//! | AMBER+STRICT | the addressed organisations only                                 |
//! | RED          | the named recipients only                                        |
//!
//! An organisation is addressed when it is a named recipient, or an
//! operator whose sector (or a sector it subscribes to) is in the audience;
//! an audience without sectors addresses every operator.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::OrgId;
use crate::org::{OrgKind, Sector};

/// A TLP 2.0 label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    #[serde(rename = "AMBER+STRICT")]
    AmberStrict,
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// As written on a document: `TLP:AMBER+STRICT`.
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }
}

/// Who an object is for, beyond its label.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// Named recipients: the only readers of RED; addressed for AMBER.
    pub recipients: BTreeSet<OrgId>,
    /// Sectors addressed; empty addresses every operator.
    pub sectors: BTreeSet<Sector>,
}

/// An object as the clearinghouse releases it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release<'a> {
    pub tlp: Tlp,
    pub audience: &'a Audience,
    /// Drafts stay with the clearinghouse.
    pub published: bool,
    /// Until then only the clearinghouse and the named recipients see it.
    pub embargo_until: Option<DateTime<Utc>>,
}

/// The organisation asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader<'a> {
    pub org: OrgId,
    pub kind: OrgKind,
    /// An operator's own sector.
    pub sector: Option<Sector>,
    /// Sectors it subscribes to.
    pub subscriptions: &'a BTreeSet<Sector>,
    /// Organisations it is a client of (an operator's managed-security
    /// provider, a state's agencies of the state).
    pub client_of: &'a BTreeSet<OrgId>,
}

/// Why an organisation does not receive an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withheld {
    /// Not published yet.
    Draft,
    /// Under embargo until then.
    Embargoed(DateTime<Utc>),
    /// Outside the label's reach (not addressed, not a client of one
    /// addressed, not named).
    NotAddressed,
}

/// Whether `reader` receives `release` at `now`.
pub fn may_receive(
    release: &Release<'_>,
    reader: &Reader<'_>,
    now: DateTime<Utc>,
) -> Result<(), Withheld> {
    if reader.kind == OrgKind::Clearinghouse {
        return Ok(());
    }
    if !release.published {
        return Err(Withheld::Draft);
    }
    let named = release.audience.recipients.contains(&reader.org);
    if let Some(until) = release.embargo_until
        && now < until
        && !named
    {
        return Err(Withheld::Embargoed(until));
    }
    let reach = match release.tlp {
        Tlp::Clear | Tlp::Green => true,
        Tlp::Amber => {
            addressed(
                release.audience,
                reader.org,
                reader.kind,
                reader.sector,
                reader.subscriptions,
            ) || reader
                .client_of
                .iter()
                .any(|provider| release.audience.recipients.contains(provider))
        }
        Tlp::AmberStrict => addressed(
            release.audience,
            reader.org,
            reader.kind,
            reader.sector,
            reader.subscriptions,
        ),
        Tlp::Red => named,
    };
    if reach {
        Ok(())
    } else {
        Err(Withheld::NotAddressed)
    }
}

fn addressed(
    audience: &Audience,
    org: OrgId,
    kind: OrgKind,
    sector: Option<Sector>,
    subscriptions: &BTreeSet<Sector>,
) -> bool {
    if audience.recipients.contains(&org) {
        return true;
    }
    if kind != OrgKind::Operator {
        return false;
    }
    audience.sectors.is_empty()
        || sector.is_some_and(|s| audience.sectors.contains(&s))
        || subscriptions.iter().any(|s| audience.sectors.contains(s))
}
