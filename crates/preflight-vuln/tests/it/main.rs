//! preflight-vuln's integration tests, one binary.

mod coordination;
mod corpus;
mod cvss;
mod oasis;
mod roundtrip;
mod sarif;
mod stix;
mod support;
mod tlp;
