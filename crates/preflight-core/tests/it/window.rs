//! The access window opens no earlier than 30 days before the planned release,
//! ends no later than the release and is half-open.

use crate::fixtures::{assert_err, day, opens, release, secs};
use chrono::{DateTime, Utc};
use preflight_core::window::{ReviewWindow, Span};

enum Expect {
    Ok,
    /// Variant and the texts its message must contain.
    Err(&'static str, Vec<String>),
}

#[track_caller]
fn check_new(case: &str, opens_at: DateTime<Utc>, ends_at: DateTime<Utc>, expect: Expect) {
    let got = ReviewWindow::new(release(), opens_at, ends_at);
    match (got, expect) {
        (Ok(w), Expect::Ok) => {
            assert_eq!(
                (w.release_at(), w.opens_at(), w.ends_at()),
                (release(), opens_at, ends_at),
                "{case}"
            );
        }
        (Err(e), Expect::Err(variant, needles)) => {
            let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
            assert_err(case, &e, variant, &needles);
        }
        (Ok(w), Expect::Err(variant, _)) => panic!("{case}: expected {variant}, got {w:?}"),
        (Err(e), Expect::Ok) => panic!("{case}: expected a window, got {e}"),
    }
}

#[test]
fn window_bounds() {
    let earliest = release() - chrono::Duration::days(30);
    assert_eq!(earliest, opens());
    let s = |t: DateTime<Utc>| t.to_string();
    let cases = [
        (
            "opens exactly 30 days before release, ends at release",
            earliest,
            release(),
            Expect::Ok,
        ),
        ("a short window in the middle", day(10), day(11), Expect::Ok),
        (
            "a one-second window",
            day(10),
            day(10) + secs(1),
            Expect::Ok,
        ),
        (
            "ends one second before release",
            earliest,
            release() - secs(1),
            Expect::Ok,
        ),
        (
            "opens one second too early",
            earliest - secs(1),
            release(),
            Expect::Err(
                "WindowOpensTooEarly",
                vec![s(earliest - secs(1)), s(earliest), s(release())],
            ),
        ),
        (
            "opens a year too early",
            earliest - chrono::Duration::days(365),
            day(1),
            Expect::Err(
                "WindowOpensTooEarly",
                vec![s(earliest - chrono::Duration::days(365))],
            ),
        ),
        (
            "ends one second after release",
            earliest,
            release() + secs(1),
            Expect::Err(
                "WindowEndsAfterRelease",
                vec![s(release() + secs(1)), s(release())],
            ),
        ),
        (
            "ends when it opens",
            day(5),
            day(5),
            Expect::Err("WindowEmpty", vec![s(day(5))]),
        ),
        (
            "ends before it opens",
            day(5),
            day(4),
            Expect::Err("WindowEmpty", vec![s(day(5)), s(day(4))]),
        ),
        (
            "opens at release and ends at release",
            release(),
            release(),
            Expect::Err("WindowEmpty", vec![s(release())]),
        ),
    ];
    for (case, opens_at, ends_at, expect) in cases {
        check_new(case, opens_at, ends_at, expect);
    }
}

#[test]
fn window_errors_name_their_field() {
    #[rustfmt::skip]
    let cases = [
        ("too early", ReviewWindow::new(release(), opens() - secs(1), release()), "window.opens_at"),
        ("after release", ReviewWindow::new(release(), opens(), release() + secs(1)), "window.ends_at"),
        ("empty", ReviewWindow::new(release(), day(3), day(3)), "window.opens_at"),
    ];
    for (case, got, field) in cases {
        let err = got.expect_err(case);
        assert_eq!(err.field(), Some(field), "{case}");
    }
}

#[test]
fn window_is_half_open() {
    let w = ReviewWindow::new(release(), day(1), day(20)).expect("valid");
    #[rustfmt::skip]
    let cases = [
        ("one second before it opens", day(1) - secs(1), false),
        ("the opening instant", day(1), true),
        ("in the middle", day(10), true),
        ("one second before the end", day(20) - secs(1), true),
        ("the end instant", day(20), false),
        ("after the end", day(21), false),
    ];
    for (case, at, expect) in cases {
        assert_eq!(w.contains(at), expect, "window {case}");
    }
    let span = Span {
        start: day(1),
        end: day(20),
    };
    for (case, at, expect) in cases {
        assert_eq!(span.contains(at), expect, "span {case}");
    }
}

/// The variant and the texts its message names.
type Expected = Result<(), (&'static str, Vec<String>)>;

#[test]
fn sub_span_edges() {
    let w = ReviewWindow::new(release(), day(1), day(20)).expect("valid");
    let s = |t: DateTime<Utc>| t.to_string();
    let cases: [(&str, DateTime<Utc>, DateTime<Utc>, Expected); 9] = [
        ("the whole window", day(1), day(20), Ok(())),
        ("starts at the opening", day(1), day(2), Ok(())),
        ("ends at the end", day(19), day(20), Ok(())),
        (
            "starts one second before the opening",
            day(1) - secs(1),
            day(5),
            Err((
                "OutsideWindow",
                vec![
                    "partner_window".into(),
                    s(day(1) - secs(1)),
                    s(day(1)),
                    s(day(20)),
                ],
            )),
        ),
        (
            "ends one second after the end",
            day(5),
            day(20) + secs(1),
            Err((
                "OutsideWindow",
                vec!["partner_window".into(), s(day(20) + secs(1))],
            )),
        ),
        (
            "lies wholly after the window",
            day(21),
            day(22),
            Err(("OutsideWindow", vec!["partner_window".into(), s(day(21))])),
        ),
        (
            "starts at the end of the window",
            day(20),
            day(20),
            Err((
                "Invalid",
                vec!["partner_window".into(), "ends before it starts".into()],
            )),
        ),
        (
            "empty",
            day(5),
            day(5),
            Err(("Invalid", vec!["partner_window".into(), s(day(5))])),
        ),
        (
            "reversed",
            day(6),
            day(5),
            Err((
                "Invalid",
                vec!["partner_window".into(), s(day(6)), s(day(5))],
            )),
        ),
    ];
    for (case, start, end, expect) in cases {
        match (w.sub_span("partner_window", start, end), expect) {
            (Ok(span), Ok(())) => assert_eq!(span, Span { start, end }, "{case}"),
            (Err(e), Err((variant, needles))) => {
                let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
                assert_err(case, &e, variant, &needles);
                assert_eq!(e.field(), Some("partner_window"), "{case}");
            }
            (got, _) => panic!("{case}: unexpected {got:?}"),
        }
    }
}

#[test]
fn deserialising_a_window_validates_it() {
    let json = |opens: DateTime<Utc>, ends: DateTime<Utc>| {
        serde_json::json!({
            "release_at": release(),
            "opens_at": opens,
            "ends_at": ends,
        })
        .to_string()
    };
    let cases = [
        ("30 days exactly", json(opens(), release()), None),
        (
            "longer than 30 days",
            json(opens() - secs(1), release()),
            Some("no earlier than"),
        ),
        (
            "ends after release",
            json(opens(), release() + secs(1)),
            Some("after the planned release"),
        ),
        ("empty", json(day(3), day(3)), Some("not after it opens")),
        (
            "a field missing",
            r#"{"release_at":"2026-12-31T12:00:00Z"}"#.to_owned(),
            Some("missing field"),
        ),
    ];
    for (case, text, expect) in cases {
        let got: Result<ReviewWindow, _> = serde_json::from_str(&text);
        match (got, expect) {
            (Ok(w), None) => {
                let back = serde_json::to_string(&w).expect("serialises");
                let again: ReviewWindow = serde_json::from_str(&back).expect("round trip");
                assert_eq!(again, w, "{case}: round trip");
            }
            (Err(e), Some(needle)) => {
                assert!(
                    e.to_string().contains(needle),
                    "{case}: {e} does not say {needle:?}"
                )
            }
            (got, _) => panic!("{case}: unexpected {got:?}"),
        }
    }
}
