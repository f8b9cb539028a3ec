//! 6.1.12 Language, 6.1.15 Translator and 6.1.28 Translation.

use super::Failures;
use crate::json::str_at;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::OnceLock;

const SUBTAGS: &str = include_str!("../../../schemas/language_subtags.txt");

struct Registry {
    language: HashSet<&'static str>,
    script: HashSet<&'static str>,
    region: HashSet<&'static str>,
    ranges: Vec<(&'static str, &'static str, &'static str)>,
}

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| {
        let mut r = Registry {
            language: HashSet::new(),
            script: HashSet::new(),
            region: HashSet::new(),
            ranges: Vec::new(),
        };
        for line in SUBTAGS.lines() {
            let mut words = line.split(' ');
            let kind = words.next().unwrap_or_default();
            for w in words {
                if let Some((lo, hi)) = w.split_once("..") {
                    let kind: &'static str = match kind {
                        "language" => "language",
                        "script" => "script",
                        _ => "region",
                    };
                    r.ranges.push((kind, lo, hi));
                    continue;
                }
                match kind {
                    "language" => r.language.insert(w),
                    "script" => r.script.insert(w),
                    _ => r.region.insert(w),
                };
            }
        }
        r
    })
}

fn registered(kind: &str, subtag: &str) -> bool {
    let r = registry();
    let set = match kind {
        "language" => &r.language,
        "script" => &r.script,
        _ => &r.region,
    };
    set.contains(subtag)
        || r.ranges.iter().any(|(k, lo, hi)| {
            *k == kind && subtag.len() == lo.len() && *lo <= subtag && subtag <= *hi
        })
}

fn alpha(s: &str, lo: usize, hi: usize) -> bool {
    (lo..=hi).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn alnum(s: &str, lo: usize, hi: usize) -> bool {
    (lo..=hi).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether `tag` is a well-formed BCP 47 language tag whose language,
/// script and region subtags are in the IANA registry.
pub fn valid_language_tag(tag: &str) -> bool {
    let lower = tag.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('-').collect();
    let mut i = 0;
    let Some(first) = parts.first() else {
        return false;
    };
    if *first == "x" || *first == "i" {
        return parts.len() > 1 && parts[1..].iter().all(|p| alnum(p, 1, 8));
    }
    if !(alpha(first, 2, 3) || alpha(first, 5, 8)) || !registered("language", first) {
        return false;
    }
    i += 1;
    let mut extlangs = 0;
    while i < parts.len() && alpha(parts[i], 3, 3) && first.len() <= 3 {
        extlangs += 1;
        i += 1;
    }
    if extlangs > 1 {
        return false;
    }
    if i < parts.len() && alpha(parts[i], 4, 4) {
        if !registered("script", parts[i]) {
            return false;
        }
        i += 1;
    }
    if i < parts.len()
        && (alpha(parts[i], 2, 2)
            || (parts[i].len() == 3 && parts[i].bytes().all(|b| b.is_ascii_digit())))
    {
        if !registered("region", parts[i]) {
            return false;
        }
        i += 1;
    }
    while i < parts.len()
        && (alnum(parts[i], 5, 8)
            || (parts[i].len() == 4
                && parts[i].as_bytes()[0].is_ascii_digit()
                && alnum(parts[i], 4, 4)))
    {
        i += 1;
    }
    while i < parts.len() && parts[i].len() == 1 && parts[i] != "x" && alnum(parts[i], 1, 1) {
        i += 1;
        let start = i;
        while i < parts.len() && alnum(parts[i], 2, 8) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if i < parts.len() && parts[i] == "x" {
        i += 1;
        let start = i;
        while i < parts.len() && alnum(parts[i], 1, 8) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == parts.len()
}

pub(super) fn check(doc: &Value, f: &mut Failures) {
    let Some(document) = doc.get("document") else {
        return;
    };
    let lang = str_at(document, "lang");
    let source_lang = str_at(document, "source_lang");
    // 6.1.12 Language
    for (key, value) in [("lang", lang), ("source_lang", source_lang)] {
        if let Some(tag) = value
            && !valid_language_tag(tag)
        {
            f.fail(
                "6.1.12",
                format!("/document/{key}"),
                tag,
                "not a valid language tag (BCP 47, IANA registry)",
            );
        }
    }
    // 6.1.15 Translator
    if document
        .pointer("/publisher/category")
        .and_then(Value::as_str)
        == Some("translator")
        && source_lang.is_none()
    {
        f.fail(
            "6.1.15",
            "/document/source_lang",
            "null",
            "a translator's document names its source language",
        );
    }
    // 6.1.28 Translation
    if let (Some(l), Some(s)) = (lang, source_lang)
        && l.eq_ignore_ascii_case(s)
    {
        f.fail(
            "6.1.28",
            "/document/source_lang",
            s,
            "the source language equals the document language",
        );
    }
}
