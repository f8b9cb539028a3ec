//! A review finding as a clearinghouse assessment: the model as the
//! affected product, the finding's category as its AI taxonomy or CWE, and
//! as much of the finding as the terms let travel.

use preflight_core::finding::Finding;
use preflight_core::submission::Submission;
use preflight_core::taxonomy::Taxonomy;
use preflight_core::terms::ShareWhat;
use preflight_vuln::{
    Alias, Assessment, CaseFlag, Product, ProductStatus, Source, Text, Tlp, VersionRange,
};

/// The alias system of escalated findings: one assessment a finding.
pub const FINDING_ALIAS_SYSTEM: &str = "preflight-finding";

pub fn assessment(
    finding: &Finding,
    submission: &Submission,
    developer: &str,
    what: ShareWhat,
    tlp: Tlp,
) -> Assessment {
    let alias = Alias::vendor(FINDING_ALIAS_SYSTEM, &finding.id.to_string());
    let mut a = Assessment::new(alias, Source::review_finding(finding.id.to_string()), tlp);
    a.title = Some(format!("{}: {}", submission.model_name, finding.title));
    let summary = format!(
        "A {} finding ({} {}) from the pre-release review of {} {}.",
        finding.severity,
        taxonomy_name(finding.category.taxonomy),
        finding.category.id,
        submission.model_name,
        submission.model_version
    );
    a.descriptions.push(Text {
        text: summary,
        from: 0,
    });
    if what == ShareWhat::FullFindings {
        a.descriptions.push(Text {
            text: finding.description.clone(),
            from: 0,
        });
        a.descriptions.push(Text {
            text: format!("Reproduction steps:\n{}", finding.reproduction_steps),
            from: 0,
        });
    }
    let mut product = Product::new(submission.model_name.clone(), ProductStatus::Affected, 0);
    product.vendor = Some(developer.to_owned());
    product.versions.push(VersionRange {
        exact: Some(submission.model_version.clone()),
        ..VersionRange::default()
    });
    a.products.push(product);
    match finding.category.taxonomy {
        Taxonomy::MitreAtlas => {
            if let Ok(t) = finding.category.id.parse() {
                a.ai.atlas.insert(t);
            }
        }
        Taxonomy::OwaspLlm2025 => {
            if let Ok(c) = finding.category.id.parse() {
                a.ai.owasp_llm.insert(c);
            }
        }
        Taxonomy::Cwe => {
            if let Ok(c) = finding.category.id.parse() {
                a.cwes.insert(c);
            }
        }
        Taxonomy::Capability => {}
    }
    // The developer holds the finding since it was filed in its review.
    if let Ok(flags) = a.coordination.flags.set(CaseFlag::VendorAware) {
        a.coordination.flags = flags;
    }
    a
}

fn taxonomy_name(t: Taxonomy) -> &'static str {
    match t {
        Taxonomy::MitreAtlas => "MITRE ATLAS",
        Taxonomy::OwaspLlm2025 => "OWASP Top 10 for LLM Applications 2025",
        Taxonomy::Cwe => "CWE",
        Taxonomy::Capability => "capability",
    }
}
