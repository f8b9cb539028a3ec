//! The HTML report of a run: one self-contained page, plots drawn here as
//! inline SVG, no JavaScript, nothing fetched.

use std::fmt::Write as _;

use preflight_eval::log::{Header, Report};
use preflight_eval::stats::{Interval, Summary};

use crate::eval_command::{num, tag_rows};

/// Plot geometry, in SVG user units.
const WIDTH: f64 = 720.0;
const LABEL_WIDTH: f64 = 230.0;
const VALUE_WIDTH: f64 = 70.0;
const ROW: f64 = 26.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 34.0;

pub fn render(header: &Header, report: &Report) -> String {
    let mut page = String::new();
    let title = format!("{} on {}", header.suite, header.model.name);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    page.push_str(&run_table(header, report));
    match &report.summary {
        None => page.push_str("<p>No sample was scored.</p>\n"),
        Some(summary) => {
            page.push_str("<h2>Scores with 95% intervals</h2>\n");
            page.push_str(&metrics_table(summary));
            page.push_str(&interval_plot(summary, report));
            if !summary.pass_at_k.is_empty() {
                page.push_str("<h2>pass@k</h2>\n");
                page.push_str(&pass_at_k_plot(summary));
            }
            if !report.by_tag.is_empty() {
                page.push_str("<h2>By tag</h2>\n");
                page.push_str(&tag_table(report));
            }
        }
    }
    page.push_str("</body></html>\n");
    page
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;\
padding:0 1rem;color:#1b1f24}table{border-collapse:collapse;margin:.5rem 0 1.5rem}\
th,td{padding:.25rem .75rem;border-bottom:1px solid #d0d7de;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}svg{max-width:100%;height:auto}\
.axis{stroke:#8c959f;stroke-width:1}.grid{stroke:#eaeef2;stroke-width:1}\
.wilson{stroke:#0969da;stroke-width:3}.boot{stroke:#bf8700;stroke-width:3}\
.dot{fill:#1b1f24}.label{font-size:12px;fill:#1b1f24}.tick{font-size:11px;fill:#57606a}\
.line{fill:none;stroke:#0969da;stroke-width:2}.key{font-size:11px;fill:#57606a}";

fn escape(text: &str) -> String {
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

fn run_table(header: &Header, report: &Report) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("suite", header.suite.clone()),
        (
            "model",
            format!("{} ({})", header.model.name, header.model.base_url),
        ),
        (
            "judge",
            format!("{} ({})", header.judge.name, header.judge.base_url),
        ),
        ("run", header.run_id.clone()),
        ("started", header.created.to_rfc3339()),
        (
            "samples × epochs",
            format!("{} × {}", header.samples, header.epochs),
        ),
        (
            "records",
            format!(
                "{} of {}{}",
                report.records,
                report.expected,
                if report.is_complete() {
                    ""
                } else {
                    " (incomplete)"
                }
            ),
        ),
        ("scored", report.scored.to_string()),
        ("errors", report.errors.to_string()),
        (
            "tokens",
            format!(
                "model {} in, {} out; judge {} in, {} out",
                report.usage.input_tokens,
                report.usage.output_tokens,
                report.judge_usage.input_tokens,
                report.judge_usage.output_tokens
            ),
        ),
        ("configuration hash", header.config_hash.clone()),
    ];
    for (kind, n) in &report.errors_by_kind {
        rows.push(("error kind", format!("{kind}: {n}")));
    }
    let mut out = String::from("<table>\n");
    for (name, value) in rows {
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    out.push_str("</table>\n");
    out
}

fn interval_text(interval: Option<Interval>) -> String {
    match interval {
        Some(i) => format!("[{:.3}, {:.3}]", i.lower, i.upper),
        None => "-".to_owned(),
    }
}

fn metrics_table(summary: &Summary) -> String {
    let mut out =
        String::from("<table>\n<tr><th>metric</th><th>value</th><th>95% interval</th></tr>\n");
    let mut row = |name: &str, value: String, interval: String| {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(name),
            value,
            interval
        );
    };
    row(
        "accuracy",
        num(summary.accuracy),
        format!("{} Wilson", interval_text(summary.wilson)),
    );
    row("stderr", num(summary.stderr), String::new());
    row("bootstrap", String::new(), interval_text(summary.bootstrap));
    for (k, value) in &summary.pass_at_k {
        row(&format!("pass@{k}"), num(Some(*value)), String::new());
    }
    out.push_str("</table>\n");
    out
}

fn tag_table(report: &Report) -> String {
    let mut out = String::from(
        "<table>\n<tr><th>tag</th><th>n</th><th>accuracy</th><th>stderr</th><th>95% Wilson</th></tr>\n",
    );
    for (tag, s) in tag_rows(report) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(tag),
            s.samples,
            num(s.accuracy),
            num(s.stderr),
            interval_text(s.wilson)
        );
    }
    out.push_str("</table>\n");
    out
}

/// x of a score in [0, 1].
fn x(value: f64) -> f64 {
    let left = LABEL_WIDTH;
    let right = WIDTH - VALUE_WIDTH;
    left + value.clamp(0.0, 1.0) * (right - left)
}

/// Accuracy with its Wilson (blue) and bootstrap (amber) intervals, the
/// run first, then each tag.
fn interval_plot(summary: &Summary, report: &Report) -> String {
    let mut rows: Vec<(String, &Summary)> =
        vec![(format!("all (n = {})", summary.samples), summary)];
    for (tag, s) in tag_rows(report) {
        rows.push((format!("{tag} (n = {})", s.samples), s));
    }
    let height = TOP + ROW * rows.len() as f64 + BOTTOM;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" \
         aria-label=\"accuracy with 95% intervals\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    let axis_y = TOP + ROW * rows.len() as f64;
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let tx = x(tick);
        let _ = writeln!(
            svg,
            "<line class=\"grid\" x1=\"{tx:.1}\" y1=\"{TOP}\" x2=\"{tx:.1}\" y2=\"{axis_y}\"/>\
             <text class=\"tick\" x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{tick:.2}</text>",
            axis_y + 16.0
        );
    }
    let _ = writeln!(
        svg,
        "<line class=\"axis\" x1=\"{:.1}\" y1=\"{axis_y}\" x2=\"{:.1}\" y2=\"{axis_y}\"/>",
        x(0.0),
        x(1.0)
    );
    let _ = writeln!(
        svg,
        "<text class=\"key\" x=\"{:.1}\" y=\"16\"><tspan fill=\"#0969da\">━ Wilson</tspan>  \
         <tspan fill=\"#bf8700\">━ bootstrap</tspan>  ● accuracy</text>",
        x(0.0)
    );
    for (i, (label, s)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64 + ROW / 2.0;
        let shown: String = label.chars().take(34).collect();
        let _ = writeln!(
            svg,
            "<text class=\"label\" x=\"4\" y=\"{:.1}\">{}</text>",
            y + 4.0,
            escape(&shown)
        );
        if let Some(w) = s.wilson {
            let _ = writeln!(svg, "{}", whisker("wilson", w, y - 4.0));
        }
        if let Some(b) = s.bootstrap {
            let _ = writeln!(svg, "{}", whisker("boot", b, y + 4.0));
        }
        if let Some(a) = s.accuracy.filter(|a| a.is_finite()) {
            let _ = writeln!(
                svg,
                "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4\"><title>{}</title></circle>\
                 <text class=\"label\" x=\"{:.1}\" y=\"{:.1}\">{a:.3}</text>",
                x(a),
                escape(&format!("{label}: {a:.3}")),
                WIDTH - VALUE_WIDTH + 10.0,
                y + 4.0
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn whisker(class: &str, interval: Interval, y: f64) -> String {
    let (l, u) = (x(interval.lower), x(interval.upper));
    format!(
        "<g class=\"{class}\"><line x1=\"{l:.1}\" y1=\"{y:.1}\" x2=\"{u:.1}\" y2=\"{y:.1}\"/>\
         <line x1=\"{l:.1}\" y1=\"{:.1}\" x2=\"{l:.1}\" y2=\"{:.1}\" style=\"stroke-width:1.5\"/>\
         <line x1=\"{u:.1}\" y1=\"{:.1}\" x2=\"{u:.1}\" y2=\"{:.1}\" style=\"stroke-width:1.5\"/>\
         <title>{:.3} to {:.3}</title></g>",
        y - 3.0,
        y + 3.0,
        y - 3.0,
        y + 3.0,
        interval.lower,
        interval.upper
    )
}

/// pass@k against k, the y axis from 0 to 1.
fn pass_at_k_plot(summary: &Summary) -> String {
    const H: f64 = 220.0;
    const LEFT: f64 = 50.0;
    const RIGHT: f64 = 40.0;
    let points: Vec<(u64, f64)> = summary.pass_at_k.iter().map(|(k, v)| (*k, *v)).collect();
    let max_k = points.last().map_or(1, |p| p.0).max(2);
    let px = |k: u64| LEFT + (k - 1) as f64 / (max_k - 1) as f64 * (WIDTH - LEFT - RIGHT);
    let py = |v: f64| TOP + (1.0 - v.clamp(0.0, 1.0)) * (H - TOP - BOTTOM);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {WIDTH} {H}\" width=\"{WIDTH}\" height=\"{H}\" role=\"img\" \
         aria-label=\"pass at k\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    for tick in [0.0, 0.5, 1.0] {
        let _ = writeln!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{tick:.1}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            py(tick) + 4.0,
            y = py(tick)
        );
    }
    let line: Vec<String> = points
        .iter()
        .map(|&(k, v)| format!("{:.1},{:.1}", px(k), py(v)))
        .collect();
    let _ = writeln!(
        svg,
        "<polyline class=\"line\" points=\"{}\"/>",
        line.join(" ")
    );
    for &(k, v) in &points {
        let _ = writeln!(
            svg,
            "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\"><title>pass@{k} = {v:.3}</title></circle>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">k={k}</text>",
            px(k),
            py(v),
            px(k),
            H - BOTTOM + 18.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}
