//! Assessments → a CSAF 2.0 security advisory that passes the schema and
//! the mandatory tests. What CSAF 2.0 cannot hold in its own fields (CVSS
//! v4.0 vectors, a second score of one CVSS version, further CWEs and those
//! the CWE list has renamed, AI taxonomies) goes into vulnerability notes
//! the importer reads back.

use super::import::{ATLAS_NOTE, OWASP_NOTE};
use super::mandatory::{current_cwe_name, cwe_names};
use crate::model::{Alias, AliasKind, Product, ProductStatus, VersionRange};
use crate::{Assessment, CvssVersion, Tlp, VulnError};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub(crate) const CVSS_NOTE: &str = "Further CVSS vectors";
pub(crate) const CWE_NOTE: &str = "Further weaknesses (CWE)";

/// The issuing party (`/document/publisher`).
#[derive(Clone, Debug)]
pub struct Publisher {
    /// `coordinator`, `discoverer`, `other`, `translator`, `user` or `vendor`.
    pub category: String,
    pub name: String,
    /// A URL identifying the publisher, such as `https://clearinghouse.example`.
    pub namespace: String,
}

/// What the advisory says about itself. Dates are passed in: the crate has
/// no clock.
#[derive(Clone, Debug)]
pub struct CsafMeta {
    /// `/document/tracking/id`, such as `PF-2026-0001`.
    pub id: String,
    pub title: String,
    pub publisher: Publisher,
    /// One entry per published revision, oldest first: `(date, summary)`.
    /// Numbered 1..n; the document's version is n.
    pub revisions: Vec<(DateTime<Utc>, String)>,
    pub lang: String,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Writes `assessments` as one CSAF 2.0 `csaf_security_advisory`. Its TLP
/// label is the strictest of theirs (AMBER+STRICT, which TLP 1 lacks, is
/// written as RED with `TLP:AMBER+STRICT` in the distribution text).
pub fn export(assessments: &[Assessment], meta: &CsafMeta) -> Result<Value, VulnError> {
    let fail = |reason: &str| VulnError::Export {
        what: format!("CSAF advisory {}", meta.id),
        reason: reason.to_owned(),
    };
    if assessments.is_empty() {
        return Err(fail("an advisory needs at least one assessment"));
    }
    let (Some(first), Some(last)) = (meta.revisions.first(), meta.revisions.last()) else {
        return Err(fail("an advisory needs at least one revision"));
    };
    let tlp = assessments.iter().map(|a| a.tlp).max().unwrap_or_default();
    let mut distribution = json!({"tlp": {"label": tlp.csaf_v1_label().unwrap_or("RED")}});
    if tlp == Tlp::AmberStrict {
        distribution["text"] =
            json!("TLP:AMBER+STRICT (TLP 2.0): limited to the recipient's organisation only.");
    }
    let history: Vec<Value> = meta
        .revisions
        .iter()
        .enumerate()
        .map(|(i, (date, summary))| json!({"date": time(*date), "number": (i + 1).to_string(), "summary": summary}))
        .collect();
    let document = json!({
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "distribution": distribution,
        "lang": meta.lang,
        "publisher": {
            "category": meta.publisher.category,
            "name": meta.publisher.name,
            "namespace": meta.publisher.namespace,
        },
        "title": meta.title,
        "tracking": {
            "current_release_date": time(last.0),
            "id": meta.id,
            "initial_release_date": time(first.0),
            "revision_history": history,
            "status": "final",
            "version": meta.revisions.len().to_string(),
        },
    });
    let mut tree = Tree::default();
    let mut vulnerabilities = Vec::new();
    let mut used_cves = std::collections::HashSet::new();
    for a in assessments {
        vulnerabilities.push(vulnerability(a, &mut tree, &mut used_cves));
    }
    Ok(json!({
        "document": document,
        "product_tree": tree.into_json(),
        "vulnerabilities": vulnerabilities,
    }))
}

/// The product tree being built: vendor branches, and full product names
/// for products without a vendor.
#[derive(Default)]
struct Tree {
    vendors: BTreeMap<String, Vec<Value>>,
    loose: Vec<Value>,
    next: usize,
    ids: Vec<(Product, Vec<String>)>,
}

impl Tree {
    /// The product ids of a product statement (one per version), adding
    /// them on first sight.
    fn ids(&mut self, p: &Product) -> Vec<String> {
        let mut key = p.clone();
        key.from = 0;
        if let Some((_, ids)) = self.ids.iter().find(|(k, _)| *k == key) {
            return ids.clone();
        }
        let helper = helper(p);
        let display = |version: Option<&str>| {
            let mut parts: Vec<&str> = Vec::new();
            if let Some(v) = &p.vendor {
                parts.push(v);
            }
            parts.push(&p.name);
            if let Some(v) = version {
                parts.push(v);
            }
            parts.join(" ")
        };
        let new_id = |tree: &mut Tree| {
            tree.next += 1;
            format!("CSAFPID-{:04}", tree.next)
        };
        let mut ids = Vec::new();
        let mut leaves = Vec::new();
        for v in &p.versions {
            let (category, name) = version_branch(v, p.ecosystem.as_deref());
            let id = new_id(self);
            let mut product = json!({"name": display(Some(&name)), "product_id": id});
            if let Some(h) = &helper {
                product["product_identification_helper"] = h.clone();
            }
            leaves.push(json!({"category": category, "name": name, "product": product}));
            ids.push(id);
        }
        let product_branch = if leaves.is_empty() {
            let id = new_id(self);
            let mut product = json!({"name": display(None), "product_id": id});
            if let Some(h) = &helper {
                product["product_identification_helper"] = h.clone();
            }
            ids.push(id);
            json!({"category": "product_name", "name": p.name, "product": product})
        } else {
            json!({"category": "product_name", "name": p.name, "branches": leaves})
        };
        match &p.vendor {
            Some(vendor) => self
                .vendors
                .entry(vendor.clone())
                .or_default()
                .push(product_branch),
            None => match (
                product_branch.get("product"),
                product_branch.get("branches"),
            ) {
                (Some(product), _) => self.loose.push(product.clone()),
                (None, Some(_)) => self
                    .vendors
                    .entry("unknown vendor".to_owned())
                    .or_default()
                    .push(product_branch),
                _ => {}
            },
        }
        self.ids.push((key, ids.clone()));
        ids
    }

    fn into_json(self) -> Value {
        let mut tree = Map::new();
        if !self.vendors.is_empty() {
            let branches: Vec<Value> = self
                .vendors
                .into_iter()
                .map(|(vendor, products)| json!({"category": "vendor", "name": vendor, "branches": products}))
                .collect();
            tree.insert("branches".into(), json!(branches));
        }
        if !self.loose.is_empty() {
            tree.insert("full_product_names".into(), json!(self.loose));
        }
        Value::Object(tree)
    }
}

fn helper(p: &Product) -> Option<Value> {
    let mut h = Map::new();
    if let Some(purl) = &p.purl {
        h.insert("purl".into(), json!(purl));
    }
    if let Some(cpe) = p.cpes.first() {
        h.insert("cpe".into(), json!(cpe));
    }
    (!h.is_empty()).then_some(Value::Object(h))
}

/// The branch for one version statement: an exact version, or a range in
/// vers notation (`vers:semver/>=1.2.0|<1.4.0`).
fn version_branch(v: &VersionRange, ecosystem: Option<&str>) -> (&'static str, String) {
    if let Some(exact) = &v.exact
        && !super::mandatory::looks_like_range(exact)
    {
        return ("product_version", exact.clone());
    }
    if v.introduced.is_none() && v.fixed.is_none() && v.last_affected.is_none() {
        let text = v
            .exact
            .clone()
            .or_else(|| v.range.clone())
            .unwrap_or_else(|| "vers:all/*".to_owned());
        return ("product_version_range", text);
    }
    let scheme = match (
        v.scheme.as_deref().map(str::to_ascii_lowercase).as_deref(),
        ecosystem,
    ) {
        (Some("semver"), _) => "semver".to_owned(),
        (Some(s), _) if s != "ecosystem" && s != "custom" && s != "git" => s.to_owned(),
        (_, Some(e)) => e
            .to_ascii_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), ""),
        _ => "generic".to_owned(),
    };
    let mut constraints = Vec::new();
    if let Some(i) = v.introduced.as_deref().filter(|i| *i != "0") {
        constraints.push(format!(">={i}"));
    }
    if let Some(f) = &v.fixed {
        constraints.push(format!("<{f}"));
    } else if let Some(l) = &v.last_affected {
        constraints.push(format!("<={l}"));
    }
    if constraints.is_empty() {
        constraints.push("*".to_owned());
    }
    (
        "product_version_range",
        format!("vers:{scheme}/{}", constraints.join("|")),
    )
}

fn status_list(s: ProductStatus) -> &'static str {
    match s {
        ProductStatus::Affected => "known_affected",
        ProductStatus::Fixed => "fixed",
        ProductStatus::NotAffected => "known_not_affected",
        ProductStatus::UnderInvestigation => "under_investigation",
        ProductStatus::Recommended => "recommended",
    }
}

fn id_system(alias: &Alias) -> String {
    match &alias.kind {
        AliasKind::Cve => "CVE".to_owned(),
        AliasKind::Ghsa => "GitHub Security Advisory".to_owned(),
        AliasKind::Go => "Go Vulnerability Database".to_owned(),
        AliasKind::Osv => "OSV".to_owned(),
        AliasKind::Vendor(system) => system.clone(),
    }
}

/// The name of weakness `id` in the newest CWE list, which validators of
/// 6.1.11 (the BSI validator among them) compare `cwe/name` with; failing
/// that, the one name every older version gave it.
fn cwe_name(id: &str) -> Option<&'static str> {
    current_cwe_name(id).or(match cwe_names(id) {
        [name] => Some(*name),
        _ => None,
    })
}

fn vulnerability(
    a: &Assessment,
    tree: &mut Tree,
    used_cves: &mut std::collections::HashSet<String>,
) -> Value {
    let mut v = Map::new();
    let cve = a
        .cves()
        .map(|c| c.id.clone())
        .find(|c| !used_cves.contains(c));
    if let Some(c) = &cve {
        used_cves.insert(c.clone());
        v.insert("cve".into(), json!(c));
    }
    let ids: Vec<Value> = a
        .aliases
        .iter()
        .filter(|al| Some(&al.id) != cve.as_ref())
        .map(|al| json!({"system_name": id_system(al), "text": al.id}))
        .collect();
    if !ids.is_empty() {
        v.insert("ids".into(), json!(ids));
    }
    if let Some(t) = &a.title {
        v.insert("title".into(), json!(t));
    }
    let mut notes: Vec<Value> = a
        .descriptions
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"category": if i == 0 { "description" } else { "details" }, "text": t.text}))
        .collect();
    if notes.is_empty() {
        notes.push(
            json!({"category": "summary", "text": a.title.clone().unwrap_or_else(|| a.id.clone())}),
        );
    }
    // CWE: the first one with an unambiguous name in `cwe`, the rest in a note.
    let mut cwe_written = None;
    for c in &a.cwes {
        let id = c.to_string();
        if let Some(name) = cwe_name(&id) {
            v.insert("cwe".into(), json!({"id": id, "name": name}));
            cwe_written = Some(*c);
            break;
        }
    }
    let further_cwes: Vec<String> = a
        .cwes
        .iter()
        .filter(|c| Some(**c) != cwe_written)
        .map(ToString::to_string)
        .collect();
    if !further_cwes.is_empty() {
        notes
            .push(json!({"category": "other", "title": CWE_NOTE, "text": further_cwes.join(", ")}));
    }
    if !a.ai.atlas.is_empty() {
        let ids: Vec<&str> = a.ai.atlas.iter().map(|t| t.as_str()).collect();
        notes.push(json!({"category": "other", "title": ATLAS_NOTE, "text": ids.join(", ")}));
    }
    if !a.ai.owasp_llm.is_empty() {
        let ids: Vec<String> = a.ai.owasp_llm.iter().map(|c| c.id()).collect();
        notes.push(json!({"category": "other", "title": OWASP_NOTE, "text": ids.join(", ")}));
    }
    // Products and their status.
    let mut products = a.products.clone();
    if products.is_empty() {
        products.push(Product::new(
            format!("products affected by {}", a.id),
            ProductStatus::UnderInvestigation,
            0,
        ));
    }
    let mut status: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut all_ids = Vec::new();
    for p in &products {
        let ids = tree.ids(p);
        let list = status.entry(status_list(p.status)).or_default();
        for id in ids {
            if !list.contains(&id) {
                list.push(id.clone());
                all_ids.push(id);
            }
        }
    }
    // Scores: one per CVSS version (6.1.7); v4.0 and the rest in a note.
    let mut scores = Vec::new();
    let mut further = Vec::new();
    let mut versions_done = Vec::new();
    for s in &a.scores {
        let c = &s.cvss;
        let key = match c.version() {
            CvssVersion::V2 => "cvss_v2",
            CvssVersion::V30 | CvssVersion::V31 => "cvss_v3",
            CvssVersion::V40 => {
                further.push(c.vector().to_owned());
                continue;
            }
        };
        if versions_done.contains(&key) {
            further.push(c.vector().to_owned());
            continue;
        }
        versions_done.push(key);
        let mut obj = json!({"version": c.version().as_str(), "vectorString": c.vector(), "baseScore": c.base_score()});
        if key == "cvss_v3" {
            obj["baseSeverity"] = json!(c.severity().as_str());
        }
        scores.push(json!({"products": all_ids, key: obj}));
    }
    if !further.is_empty() {
        notes.push(json!({"category": "other", "title": CVSS_NOTE, "text": further.join("\n")}));
    }
    v.insert("notes".into(), json!(notes));
    v.insert("product_status".into(), json!(status));
    if !scores.is_empty() {
        v.insert("scores".into(), json!(scores));
    }
    if !a.references.is_empty() {
        let refs: Vec<Value> = a
            .references
            .iter()
            .map(|r| json!({"category": "external", "summary": r.kind.clone().unwrap_or_else(|| "reference".to_owned()), "url": r.url}))
            .collect();
        v.insert("references".into(), json!(refs));
    }
    if !a.credits.is_empty() {
        v.insert("acknowledgments".into(), json!([{"names": a.credits}]));
    }
    if let Some(p) = a.published {
        v.insert("release_date".into(), json!(time(p)));
    }
    Value::Object(v)
}
