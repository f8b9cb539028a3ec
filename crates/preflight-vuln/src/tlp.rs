//! Traffic Light Protocol 2.0 labels, with the TLP 1.0 names CSAF 2.0 uses.

use crate::VulnError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A TLP 2.0 label, ordered from least to most restrictive.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum Tlp {
    /// Disclosure is not limited.
    #[serde(rename = "CLEAR")]
    Clear,
    /// Limited to the community.
    #[serde(rename = "GREEN")]
    Green,
    /// Limited to the recipient's organisation and its clients. The default:
    /// a record nobody labelled is shared no further than this.
    #[default]
    #[serde(rename = "AMBER")]
    Amber,
    /// Limited to the recipient's organisation only.
    #[serde(rename = "AMBER+STRICT")]
    AmberStrict,
    /// For the eyes and ears of named recipients only.
    #[serde(rename = "RED")]
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

    /// The TLP 2.0 name: `CLEAR`, `GREEN`, `AMBER`, `AMBER+STRICT` or `RED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "CLEAR",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::AmberStrict => "AMBER+STRICT",
            Tlp::Red => "RED",
        }
    }

    /// The CSAF 2.0 (TLP 1.0) label: `WHITE` for CLEAR. TLP 1.0 has no
    /// AMBER+STRICT and no label as narrow that is not wider or narrower, so
    /// `None` tells the caller to choose (the CSAF exporter writes RED).
    pub fn csaf_v1_label(self) -> Option<&'static str> {
        match self {
            Tlp::Clear => Some("WHITE"),
            Tlp::Green => Some("GREEN"),
            Tlp::Amber => Some("AMBER"),
            Tlp::AmberStrict => None,
            Tlp::Red => Some("RED"),
        }
    }

    /// The official STIX 2.1 marking-definition id of this TLP 2.0 label
    /// (OASIS CTI TC, TLP 2.0 marking definitions).
    pub fn stix_marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tlp {
    type Err = VulnError;

    /// Accepts `AMBER`, `TLP:AMBER`, `tlp:amber+strict`, and the TLP 1.0
    /// name `WHITE` (for CLEAR), as CSAF 2.0 documents carry.
    fn from_str(s: &str) -> Result<Self, VulnError> {
        let trimmed = s.trim();
        let upper = trimmed.to_ascii_uppercase();
        let bare = upper.strip_prefix("TLP:").unwrap_or(&upper).trim();
        match bare {
            "CLEAR" | "WHITE" => Ok(Tlp::Clear),
            "GREEN" => Ok(Tlp::Green),
            "AMBER" => Ok(Tlp::Amber),
            "AMBER+STRICT" => Ok(Tlp::AmberStrict),
            "RED" => Ok(Tlp::Red),
            _ => Err(VulnError::value(
                "tlp",
                s,
                "unknown TLP label (expected CLEAR, GREEN, AMBER, AMBER+STRICT or RED)",
            )),
        }
    }
}
