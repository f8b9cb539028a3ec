//! Red Hat's CVSS test vectors: `VECTOR - (base, temporal, environmental)`
//! for v3.x, `VECTOR - (score,)` or `VECTOR - score` for v4.0.

use crate::support::testdata;
use preflight_vuln::{Cvss, CvssVersion};

fn expected(line: &str) -> (&str, Vec<f64>) {
    let (vector, scores) = line.split_once(" - ").expect("a line is `VECTOR - scores`");
    let scores = scores
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<f64>().expect("a score is a number"))
        .collect();
    (vector.trim(), scores)
}

#[test]
fn every_red_hat_vector_scores_as_expected() {
    let dir = testdata().join("cvss/redhat");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the cvss test data")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let (vector, want) = expected(line);
            let cvss =
                Cvss::parse(vector).unwrap_or_else(|e| panic!("{}: {vector}: {e}", file.display()));
            let got: Vec<f64> = match cvss.version() {
                CvssVersion::V40 => vec![cvss.base_score()],
                _ => vec![
                    cvss.base_score(),
                    cvss.temporal_score().expect("v3 has a temporal score"),
                    cvss.environmental_score()
                        .expect("v3 has an environmental score"),
                ],
            };
            if got.len() != want.len() || got.iter().zip(&want).any(|(g, w)| (g - w).abs() > 1e-9) {
                wrong.push(format!("{vector}: want {want:?}, got {got:?}"));
            }
            checked += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} vectors scored wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // 29 + 54 + 2592 + 1058 + 576 + 6 lines in the six files.
    assert_eq!(checked, 4315);
}

#[test]
fn bad_vectors_are_refused_with_the_vector_named() {
    for bad in [
        "CVSS:3.1/AV:N/AC:L",
        "CVSS:4.0/AV:Q",
        "hello",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Z",
    ] {
        let err = Cvss::parse(bad).expect_err("a bad vector is refused");
        assert!(err.to_string().contains(bad), "{err}");
    }
}

#[test]
fn versions_and_severity() {
    let c = Cvss::parse("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("valid");
    assert_eq!(
        (c.version(), c.base_score(), c.severity().as_str()),
        (CvssVersion::V30, 9.8, "CRITICAL")
    );
    let c = Cvss::parse("AV:N/AC:L/Au:N/C:P/I:P/A:P").expect("valid v2");
    assert_eq!((c.version(), c.base_score()), (CvssVersion::V2, 7.5));
    let c = Cvss::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
        .expect("valid v4");
    assert_eq!((c.version(), c.base_score()), (CvssVersion::V40, 9.3));
}
