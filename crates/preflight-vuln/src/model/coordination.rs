//! Coordination state of a case, after CERT/CC's CVD process model
//! (Householder & Spring; Vultron): report management, embargo management
//! and the six case-state flags. Pure transition rules; the caller records
//! each change (on the ledger) and supplies the clock.

use crate::VulnError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Report management (Vultron RM) states.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    #[default]
    Received,
    Valid,
    Invalid,
    Deferred,
    Accepted,
    Closed,
}

impl ReportState {
    pub const ALL: [ReportState; 6] = [
        ReportState::Received,
        ReportState::Valid,
        ReportState::Invalid,
        ReportState::Deferred,
        ReportState::Accepted,
        ReportState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Received => "received",
            ReportState::Valid => "valid",
            ReportState::Invalid => "invalid",
            ReportState::Deferred => "deferred",
            ReportState::Accepted => "accepted",
            ReportState::Closed => "closed",
        }
    }

    /// The states the RM model allows next: R→{V,I}, I→{V,C}, V→{A,D},
    /// A→{D,C}, D→{A,C}; closed is final.
    pub fn next(self) -> &'static [ReportState] {
        use ReportState::*;
        match self {
            Received => &[Valid, Invalid],
            Invalid => &[Valid, Closed],
            Valid => &[Accepted, Deferred],
            Accepted => &[Deferred, Closed],
            Deferred => &[Accepted, Closed],
            Closed => &[],
        }
    }

    /// Moves to `to` if the model allows it.
    pub fn transition(self, to: ReportState) -> Result<ReportState, VulnError> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            Err(VulnError::Transition {
                machine: "report",
                state: self.as_str().to_owned(),
                attempted: format!("move to {to}"),
                allowed: names(self.next().iter().map(|s| s.as_str())),
            })
        }
    }
}

impl fmt::Display for ReportState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Embargo management (Vultron EM) states.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EmbargoState {
    #[default]
    None,
    Proposed,
    Active,
    Revise,
    Exited,
}

impl EmbargoState {
    pub const ALL: [EmbargoState; 5] = [
        EmbargoState::None,
        EmbargoState::Proposed,
        EmbargoState::Active,
        EmbargoState::Revise,
        EmbargoState::Exited,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmbargoState::None => "none",
            EmbargoState::Proposed => "proposed",
            EmbargoState::Active => "active",
            EmbargoState::Revise => "revise",
            EmbargoState::Exited => "exited",
        }
    }

    /// Whether the case's information is held back.
    pub fn holds(self) -> bool {
        matches!(self, EmbargoState::Active | EmbargoState::Revise)
    }
}

impl fmt::Display for EmbargoState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a participant does to the embargo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "ends_at")]
pub enum EmbargoAction {
    /// Propose an embargo (from none), a counter-proposal (from proposed),
    /// or a revision of an active one (to revise).
    Propose(DateTime<Utc>),
    /// Accept the proposal or the revision.
    Accept,
    /// Reject the proposal (back to none) or the revision (back to active).
    Reject,
    /// End the embargo (from active or revise); final.
    Terminate,
}

impl EmbargoAction {
    fn name(self) -> &'static str {
        match self {
            EmbargoAction::Propose(_) => "propose",
            EmbargoAction::Accept => "accept",
            EmbargoAction::Reject => "reject",
            EmbargoAction::Terminate => "terminate",
        }
    }
}

/// An embargo: its state, the agreed end (UTC) and, while a proposal or
/// revision is open, the proposed end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Embargo {
    pub state: EmbargoState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_end: Option<DateTime<Utc>>,
}

impl Embargo {
    /// Applies `action` per the EM model: N→P (propose), P→P (counter),
    /// P→A (accept), P→N (reject), A→R (propose revision), R→R (counter),
    /// R→A (accept or reject the revision), A→X and R→X (terminate).
    /// A proposed end must be after `now`.
    pub fn apply(self, action: EmbargoAction, now: DateTime<Utc>) -> Result<Embargo, VulnError> {
        use EmbargoAction::*;
        use EmbargoState as S;
        let refuse = || VulnError::Transition {
            machine: "embargo",
            state: self.state.as_str().to_owned(),
            attempted: action.name().to_owned(),
            allowed: names(Embargo::allowed(self.state).iter().copied()),
        };
        if let Propose(end) = action
            && end <= now
        {
            return Err(VulnError::value(
                "embargo end",
                end.to_rfc3339(),
                format!("must be after now ({})", now.to_rfc3339()),
            ));
        }
        let next = match (self.state, action) {
            (S::None | S::Proposed, Propose(end)) => Embargo {
                state: S::Proposed,
                ends_at: None,
                proposed_end: Some(end),
            },
            (S::Active | S::Revise, Propose(end)) => Embargo {
                state: S::Revise,
                ends_at: self.ends_at,
                proposed_end: Some(end),
            },
            (S::Proposed, Accept) | (S::Revise, Accept) => Embargo {
                state: S::Active,
                ends_at: self.proposed_end,
                proposed_end: None,
            },
            (S::Proposed, Reject) => Embargo::default(),
            (S::Revise, Reject) => Embargo {
                state: S::Active,
                ends_at: self.ends_at,
                proposed_end: None,
            },
            (S::Active | S::Revise, Terminate) => Embargo {
                state: S::Exited,
                ends_at: self.ends_at,
                proposed_end: None,
            },
            _ => return Err(refuse()),
        };
        Ok(next)
    }

    fn allowed(state: EmbargoState) -> &'static [&'static str] {
        match state {
            EmbargoState::None => &["propose"],
            EmbargoState::Proposed => &["propose", "accept", "reject"],
            EmbargoState::Active => &["propose", "terminate"],
            EmbargoState::Revise => &["propose", "accept", "reject", "terminate"],
            EmbargoState::Exited => &[],
        }
    }

    /// Whether the embargo holds information back at `now`: active (or under
    /// revision) and its agreed end not yet reached.
    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.state.holds() && self.ends_at.is_none_or(|end| now < end)
    }
}

/// One of the six case-state flags of the CVD case model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseFlag {
    VendorAware,
    FixReady,
    FixDeployed,
    PublicAware,
    ExploitPublic,
    AttacksObserved,
}

impl CaseFlag {
    pub const ALL: [CaseFlag; 6] = [
        CaseFlag::VendorAware,
        CaseFlag::FixReady,
        CaseFlag::FixDeployed,
        CaseFlag::PublicAware,
        CaseFlag::ExploitPublic,
        CaseFlag::AttacksObserved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseFlag::VendorAware => "vendor_aware",
            CaseFlag::FixReady => "fix_ready",
            CaseFlag::FixDeployed => "fix_deployed",
            CaseFlag::PublicAware => "public_aware",
            CaseFlag::ExploitPublic => "exploit_public",
            CaseFlag::AttacksObserved => "attacks_observed",
        }
    }
}

impl fmt::Display for CaseFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The six case-state flags (`vfdpxa` in the model). Each only ever turns
/// on, and the vendor chain is ordered: a fix is ready only once the vendor
/// is aware, deployed only once it is ready.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CaseFlags {
    pub vendor_aware: bool,
    pub fix_ready: bool,
    pub fix_deployed: bool,
    pub public_aware: bool,
    pub exploit_public: bool,
    pub attacks_observed: bool,
}

impl CaseFlags {
    pub fn get(&self, flag: CaseFlag) -> bool {
        match flag {
            CaseFlag::VendorAware => self.vendor_aware,
            CaseFlag::FixReady => self.fix_ready,
            CaseFlag::FixDeployed => self.fix_deployed,
            CaseFlag::PublicAware => self.public_aware,
            CaseFlag::ExploitPublic => self.exploit_public,
            CaseFlag::AttacksObserved => self.attacks_observed,
        }
    }

    fn slot(&mut self, flag: CaseFlag) -> &mut bool {
        match flag {
            CaseFlag::VendorAware => &mut self.vendor_aware,
            CaseFlag::FixReady => &mut self.fix_ready,
            CaseFlag::FixDeployed => &mut self.fix_deployed,
            CaseFlag::PublicAware => &mut self.public_aware,
            CaseFlag::ExploitPublic => &mut self.exploit_public,
            CaseFlag::AttacksObserved => &mut self.attacks_observed,
        }
    }

    /// Turns `flag` on. Refused if it is already on (events happen once),
    /// or if it would break the order vendor aware → fix ready → deployed.
    pub fn set(self, flag: CaseFlag) -> Result<CaseFlags, VulnError> {
        let refuse = |why: &str| VulnError::Transition {
            machine: "case",
            state: self.to_string(),
            attempted: format!("set {flag}"),
            allowed: why.to_owned(),
        };
        if self.get(flag) {
            return Err(refuse("flags only turn on once; this one is already on"));
        }
        match flag {
            CaseFlag::FixReady if !self.vendor_aware => {
                return Err(refuse("fix_ready needs vendor_aware first"));
            }
            CaseFlag::FixDeployed if !self.fix_ready => {
                return Err(refuse("fix_deployed needs fix_ready first"));
            }
            _ => {}
        }
        let mut next = self;
        *next.slot(flag) = true;
        Ok(next)
    }

    /// Every flag either side has on (merging two views of one case).
    pub fn union(self, other: CaseFlags) -> CaseFlags {
        let mut out = self;
        for flag in CaseFlag::ALL {
            if other.get(flag) {
                *out.slot(flag) = true;
            }
        }
        out
    }
}

impl fmt::Display for CaseFlags {
    /// The model's notation: `vfdpxa`, upper case for a flag that is on.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (flag, c) in CaseFlag::ALL.iter().zip(['v', 'f', 'd', 'p', 'x', 'a']) {
            let c = if self.get(*flag) {
                c.to_ascii_uppercase()
            } else {
                c
            };
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// A case's coordination state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Coordination {
    pub report: ReportState,
    pub embargo: Embargo,
    pub flags: CaseFlags,
}

fn names<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let all: Vec<&str> = items.collect();
    if all.is_empty() {
        "nothing, it is final".to_owned()
    } else {
        all.join(", ")
    }
}
