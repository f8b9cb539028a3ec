//! The review report as a self-contained HTML document.

use preflight_core::report::ReviewReport;
use std::fmt::Write;

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &ReviewReport, delivered: bool) -> String {
    let s = &report.submission;
    let title = format!("Review report: {} {}", s.model_name, s.model_version);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}}\
         table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}}\
         .sev-critical,.sev-high{{color:#8b0000;font-weight:bold}}.notice{{background:#eef;padding:.7rem;border-left:4px solid #335}}\
         pre{{white-space:pre-wrap;background:#f4f4f4;padding:.5rem}}</style></head><body>\
         <h1>{t}</h1><p class=\"notice\">{n}</p>",
        t = esc(&title),
        n = esc(&report.advisory_notice),
    );
    let _ = write!(
        html,
        "<h2>Summary</h2><table><tr><th>Status</th><td>{status}</td></tr>\
         <tr><th>Stage</th><td>{stage}</td></tr><tr><th>Planned release</th><td>{release}</td></tr>\
         <tr><th>Developer's decision</th><td>{outcome}</td></tr><tr><th>Agreed terms</th><td>{terms}</td></tr>\
         <tr><th>Generated</th><td>{generated}</td></tr></table>",
        status = if delivered {
            "delivered"
        } else {
            "draft (not yet delivered)"
        },
        stage = esc(s.stage.as_str()),
        release = s.planned_release_at.to_rfc3339(),
        outcome = match report.outcome {
            Some(o) if o.is_released() => format!("released at {}", o.at().to_rfc3339()),
            Some(o) => format!("withdrawn at {}", o.at().to_rfc3339()),
            None => "none yet".to_owned(),
        },
        terms = report
            .agreed_terms_version
            .map_or("none".to_owned(), |v| format!("version {v}")),
        generated = report.generated_at.to_rfc3339(),
    );
    html.push_str("<h2>Findings by severity</h2><table><tr>");
    for c in &report.severity_counts {
        let _ = write!(html, "<th>{}</th>", esc(c.severity.as_str()));
    }
    html.push_str("</tr><tr>");
    for c in &report.severity_counts {
        let _ = write!(html, "<td>{}</td>", c.count);
    }
    let _ = write!(
        html,
        "</tr></table><p>{} finding(s) not yet answered by the developer.</p>",
        report.unanswered_findings
    );
    html.push_str("<h2>Findings</h2>");
    if report.findings.is_empty() {
        html.push_str("<p>No findings were filed.</p>");
    }
    for f in &report.findings {
        let _ = write!(
            html,
            "<section><h3 class=\"sev-{sev}\">[{sev}] {title}</h3><p><strong>Category:</strong> {cat} \
             &middot; <strong>Phase:</strong> {phase} &middot; <strong>Filed:</strong> {filed}</p>\
             <h4>Description</h4><pre>{desc}</pre><h4>Reproduction</h4><pre>{repro}</pre>",
            sev = esc(f.severity.as_str()),
            title = esc(&f.title),
            cat = esc(&f.category.label()),
            phase = esc(f.phase.as_str()),
            filed = f.filed_at.to_rfc3339(),
            desc = esc(&f.description),
            repro = esc(&f.reproduction_steps),
        );
        if !f.transcript_refs.is_empty() {
            let refs: Vec<String> = f.transcript_refs.iter().map(|r| esc(r)).collect();
            let _ = write!(
                html,
                "<p><strong>Transcripts:</strong> {}</p>",
                refs.join(", ")
            );
        }
        match f.latest_response() {
            Some(r) => {
                let _ = write!(
                    html,
                    "<p><strong>Developer's answer ({}):</strong> {} <em>({})</em></p>",
                    esc(r.status.as_str()),
                    esc(&r.comment),
                    r.responded_at.to_rfc3339()
                );
            }
            None => html.push_str("<p><strong>Developer's answer:</strong> none yet</p>"),
        }
        html.push_str("</section>");
    }
    html.push_str("<h2>Evaluation results</h2>");
    if report.evaluation_results.is_empty() {
        html.push_str("<p>No evaluation runs are attached to this review.</p>");
    }
    html.push_str("<h2>Access</h2><table><tr><th>Organisation</th><th>Phase</th><th>Named people</th><th>Findings</th><th>Calls</th><th>Tokens</th></tr>");
    for a in &report.access {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.org_name),
            esc(&a.phase),
            if a.named_people == 0 {
                "whole organisation".to_owned()
            } else {
                a.named_people.to_string()
            },
            a.findings_filed,
            a.calls,
            a.tokens
        );
    }
    html.push_str("</table></body></html>\n");
    html
}
