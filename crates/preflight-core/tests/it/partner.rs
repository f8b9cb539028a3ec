//! A partner is assignable only while vetted through the end of the partner
//! window and free of conflict with the developer.

use crate::fixtures::{World, assert_err, day, secs};
use chrono::{DateTime, Utc};
use preflight_core::partner::{PartnerVetting, VettingStatus, check_assignable};

#[test]
fn assignable_partners() {
    let w = World::new();
    let partner = w.partner_org.id;
    let needed = day(28);
    let vetting = |status, until: Option<DateTime<Utc>>, conflicts: Vec<_>| PartnerVetting {
        org_id: partner,
        status,
        vetted_until: until,
        conflicts_with: conflicts,
        notes: String::new(),
    };
    let until_s = (needed - secs(1)).to_string();
    let needed_s = needed.to_string();
    #[rustfmt::skip]
    let cases = [
        ("vetted well beyond", Some(vetting(VettingStatus::Vetted, Some(day(90)), vec![])), Ok(())),
        ("vetted exactly to the end", Some(vetting(VettingStatus::Vetted, Some(needed), vec![])), Ok(())),
        ("vetting lapses a second early", Some(vetting(VettingStatus::Vetted, Some(needed - secs(1)), vec![])), Err(vec!["expires at", until_s.as_str(), needed_s.as_str()])),
        ("vetting without expiry", Some(vetting(VettingStatus::Vetted, None, vec![])), Err(vec!["no expiry date"])),
        ("pending", Some(vetting(VettingStatus::Pending, Some(day(90)), vec![])), Err(vec!["partner is pending, not vetted"])),
        ("suspended", Some(vetting(VettingStatus::Suspended, Some(day(90)), vec![])), Err(vec!["partner is suspended"])),
        ("revoked", Some(vetting(VettingStatus::Revoked, Some(day(90)), vec![])), Err(vec!["partner is revoked"])),
        ("no record", None, Err(vec!["partner has no vetting record"])),
        ("conflict with this developer", Some(vetting(VettingStatus::Vetted, Some(day(90)), vec![w.other_dev_org.id, w.dev_org.id])), Err(vec!["conflict of interest with this developer"])),
        ("conflict with another developer", Some(vetting(VettingStatus::Vetted, Some(day(90)), vec![w.other_dev_org.id])), Ok(())),
    ];
    let partner_s = partner.to_string();
    for (case, record, expect) in cases {
        match (
            check_assignable(partner, record.as_ref(), w.dev_org.id, needed),
            expect,
        ) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err(mut needles)) => {
                needles.extend(["partner_access.organisations", partner_s.as_str()]);
                assert_err(case, &e, "Invalid", &needles);
            }
            (got, _) => panic!("{case}: unexpected {got:?}"),
        }
    }
}
