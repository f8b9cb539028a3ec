//! A new submission: a future release date and a clean upstream URL.

use crate::fixtures::{assert_err, day, release, secs};
use preflight_core::submission::{NewSubmission, Upstream, UpstreamKind};

#[test]
fn upstream_urls() {
    #[rustfmt::skip]
    let cases = [
        ("https://models.example.org/v1", Ok(())),
        ("http://127.0.0.1:8080", Ok(())),
        ("  https://x.example  ", Ok(())),
        ("ftp://models.example.org", Err(vec!["upstream.url", "ftp://models.example.org"])),
        ("models.example.org", Err(vec!["upstream.url", "models.example.org"])),
        ("https://", Err(vec!["upstream.url"])),
        ("https:///path", Err(vec!["upstream.url"])),
        ("https://exa mple.org", Err(vec!["upstream.url"])),
        ("https://user:secret@models.example.org", Err(vec!["upstream.url", "(redacted)", "upstream.credential"])),
    ];
    for (url, expect) in cases {
        match (Upstream::new(UpstreamKind::OpenaiCompatible, url), expect) {
            (Ok(u), Ok(())) => assert_eq!(u.url, url.trim(), "{url}"),
            (Err(e), Err(needles)) => {
                assert_err(url, &e, "Invalid", &needles);
                assert!(
                    !e.to_string().contains("secret"),
                    "{url}: the credential leaks into {e}"
                );
            }
            (got, _) => panic!("{url}: unexpected {got:?}"),
        }
    }
}

#[test]
fn new_submissions() {
    let upstream =
        Upstream::new(UpstreamKind::AnthropicMessages, "https://api.example.org").expect("valid");
    let now = day(-20);
    let release_s = release().to_rfc3339();
    #[rustfmt::skip]
    let cases = [
        ("release in the future", "m", "1", release(), now, Ok(())),
        ("release a second ahead", "m", "1", now + secs(1), now, Ok(())),
        ("release now", "m", "1", now, now, Err(vec!["planned_release_at", "must lie in the future"])),
        ("release past", "m", "1", release(), release(), Err(vec!["planned_release_at", release_s.as_str()])),
        ("blank model name", " ", "1", release(), now, Err(vec!["model_name", "must not be empty"])),
        ("blank model version", "m", "", release(), now, Err(vec!["model_version", "must not be empty"])),
    ];
    for (case, name, version, planned, now, expect) in cases {
        match (
            NewSubmission::new(name, version, "", planned, upstream.clone(), now),
            expect,
        ) {
            (Ok(new), Ok(())) => {
                let org = preflight_core::ids::OrgId::new();
                let s = new.into_submission(org, now);
                assert_eq!(s.stage, preflight_core::lifecycle::Stage::Draft, "{case}");
                assert_eq!(
                    (s.outcome, s.developer_org, s.planned_release_at),
                    (None, org, planned),
                    "{case}"
                );
                assert_eq!(s.ended_by_developer_at(), None, "{case}");
            }
            (Err(e), Err(needles)) => assert_err(case, &e, "Invalid", &needles),
            (got, _) => panic!("{case}: unexpected {got:?}"),
        }
    }
}
