//! Versions and the revision history: 6.1.14, 6.1.16 to 6.1.22 and 6.1.30.

use super::Failures;
use crate::json::{arr, str_at};
use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::HashSet;

/// A CSAF version: an integer or a semantic version.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Version {
    Integer(u64),
    Semantic {
        major: u64,
        minor: u64,
        patch: u64,
        pre: Option<String>,
        build: Option<String>,
    },
}

impl Version {
    fn parse(s: &str) -> Option<Version> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().ok().map(Version::Integer);
        }
        let (rest, build) = s
            .split_once('+')
            .map_or((s, None), |(r, b)| (r, Some(b.to_owned())));
        let (core, pre) = rest
            .split_once('-')
            .map_or((rest, None), |(c, p)| (c, Some(p.to_owned())));
        let nums: Vec<u64> = core
            .split('.')
            .map(|n| n.parse().ok())
            .collect::<Option<_>>()?;
        let [major, minor, patch] = nums[..] else {
            return None;
        };
        Some(Version::Semantic {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    fn major(&self) -> u64 {
        match self {
            Version::Integer(n) => *n,
            Version::Semantic { major, .. } => *major,
        }
    }

    fn has_pre_release(&self) -> bool {
        matches!(self, Version::Semantic { pre: Some(_), .. })
    }

    fn is_semantic(&self) -> bool {
        matches!(self, Version::Semantic { .. })
    }

    /// Semantic-version precedence (build metadata ignored); integers
    /// compare as `n.0.0`.
    fn precedence(&self, other: &Version) -> Ordering {
        let key = |v: &Version| match v {
            Version::Integer(n) => (*n, 0, 0, None),
            Version::Semantic {
                major,
                minor,
                patch,
                pre,
                ..
            } => (*major, *minor, *patch, pre.clone()),
        };
        let (a, b) = (key(self), key(other));
        (a.0, a.1, a.2)
            .cmp(&(b.0, b.1, b.2))
            .then_with(|| match (&a.3, &b.3) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => compare_pre(x, y),
            })
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    let mut xs = a.split('.');
    let mut ys = b.split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

struct Item<'a> {
    index: usize,
    number: &'a str,
    version: Option<Version>,
    date: Option<DateTime<FixedOffset>>,
}

fn strip_build(s: &str) -> &str {
    s.split('+').next().unwrap_or(s)
}

pub(super) fn check(doc: &Value, f: &mut Failures) {
    let Some(tracking) = doc.pointer("/document/tracking") else {
        return;
    };
    let status = str_at(tracking, "status").unwrap_or_default();
    let released = status == "final" || status == "interim";
    let version_text = str_at(tracking, "version");
    let version = version_text.and_then(Version::parse);
    let items: Vec<Item> = arr(tracking, "revision_history")
        .iter()
        .enumerate()
        .filter_map(|(index, r)| {
            let number = str_at(r, "number")?;
            Some(Item {
                index,
                number,
                version: Version::parse(number),
                date: str_at(r, "date").and_then(|d| DateTime::parse_from_rfc3339(d).ok()),
            })
        })
        .collect();
    let hist = "/document/tracking/revision_history";
    // Ascending by date (to the sub-millisecond); equal dates by number.
    let by_number = |a: &Item, b: &Item| match (&a.version, &b.version) {
        (Some(x), Some(y)) => x.precedence(y),
        _ => Ordering::Equal,
    };
    let mut by_date: Vec<&Item> = items.iter().collect();
    by_date.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| by_number(a, b)));

    // 6.1.14 Sorted Revision History
    let mut distinct: Vec<&Version> = Vec::new();
    for item in &by_date {
        if let Some(v) = &item.version
            && !distinct.iter().any(|d| d.precedence(v) == Ordering::Equal)
        {
            distinct.push(v);
        }
    }
    if distinct
        .windows(2)
        .any(|w| w[1].precedence(w[0]) != Ordering::Greater)
    {
        f.fail(
            "6.1.14",
            hist,
            "revision history",
            "sorted by date, the version numbers are not ascending",
        );
    }

    // 6.1.16 Latest Document Version
    // Of several items with the latest date, the highest number counts.
    if let (Some(newest), Some(v)) = (by_date.last(), version_text) {
        let expected = strip_build(newest.number);
        let given = if status == "draft" {
            v.split(['+', '-']).next().unwrap_or(v)
        } else {
            strip_build(v)
        };
        if given != expected {
            f.fail(
                "6.1.16",
                "/document/tracking/version",
                v,
                format!(
                    "the latest revision history item has number {}",
                    newest.number
                ),
            );
        }
    }

    if let (Some(v), Some(text)) = (&version, version_text) {
        // 6.1.17 Document Status Draft
        if (v.major() == 0 || v.has_pre_release()) && status != "draft" {
            f.fail(
                "6.1.17",
                "/document/tracking/status",
                status,
                format!("version {text} is a draft version; status must be draft"),
            );
        }
        // 6.1.20 Non-draft Document Version
        if released && v.has_pre_release() {
            f.fail(
                "6.1.20",
                "/document/tracking/version",
                text,
                format!("a {status} document's version has no pre-release part"),
            );
        }
    }
    for item in &items {
        let path = format!("{hist}/{}/number", item.index);
        let Some(v) = &item.version else { continue };
        // 6.1.18 Released Revision History
        if released && v.major() == 0 {
            f.fail(
                "6.1.18",
                &path,
                item.number,
                format!("a {status} document has no revision 0 or 0.y.z"),
            );
        }
        // 6.1.19 Revision History Entries for Pre-release Versions
        if v.has_pre_release() {
            f.fail(
                "6.1.19",
                &path,
                item.number,
                "revision history numbers have no pre-release part",
            );
        }
    }

    // 6.1.21 Missing Item in Revision History: sorted by date, the major
    // versions start at 0 or 1 and skip none.
    let mut majors: Vec<u64> = Vec::new();
    for item in &by_date {
        if let Some(v) = &item.version
            && !majors.contains(&v.major())
        {
            majors.push(v.major());
        }
    }
    if let Some(&first) = majors.first() {
        if first > 1 {
            f.fail(
                "6.1.21",
                hist,
                first,
                "sorted by date, the revision history starts at neither 0 nor 1",
            );
        } else if let Some((i, _)) = majors
            .iter()
            .enumerate()
            .find(|(i, m)| **m > first + *i as u64)
        {
            f.fail(
                "6.1.21",
                hist,
                majors[i],
                format!("major version {} is missing", first + i as u64),
            );
        }
    }

    // 6.1.22 Multiple Definition in Revision History
    let mut seen = HashSet::new();
    for item in &items {
        if !seen.insert(item.number) {
            f.fail(
                "6.1.22",
                format!("{hist}/{}/number", item.index),
                item.number,
                "this number is in the revision history twice",
            );
        }
    }

    // 6.1.30 Mixed Integer and Semantic Versioning
    if let Some(v) = &version {
        for item in &items {
            if let Some(iv) = &item.version
                && iv.is_semantic() != v.is_semantic()
            {
                f.fail(
                    "6.1.30",
                    format!("{hist}/{}/number", item.index),
                    item.number,
                    "integer and semantic versioning are mixed in one document",
                );
            }
        }
    }
}
