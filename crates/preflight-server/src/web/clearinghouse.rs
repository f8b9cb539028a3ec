//! The clearinghouse pages: analysts' assessments with filters (TLP, state,
//! CVSS, text), one assessment with its merged sources, embargo and flags
//! and the publication form; an organisation's advisories by TLP.

use crate::AppState;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::advisories;
use crate::routes::assessments::{self, ListQuery};
use crate::web::page::{
    Refusal, api_body, api_error_page, error_page, invalid, see_other, utc_from_form,
};
use crate::web::session::Session;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

const LABELS: [&str; 5] = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];
const STATES: [&str; 6] = [
    "received", "valid", "invalid", "deferred", "accepted", "closed",
];
const SECTORS: [&str; 10] = [
    "healthcare",
    "finance",
    "energy",
    "water",
    "state_local_government",
    "communications",
    "transportation",
    "manufacturing",
    "education",
    "other",
];

#[derive(Deserialize, Default)]
pub struct Filters {
    tlp: Option<String>,
    state: Option<String>,
    min_cvss: Option<String>,
    q: Option<String>,
    sector: Option<String>,
}

fn tlp_badge(tlp: &str) -> Markup {
    let class = format!("tlp tlp-{}", tlp.to_lowercase().replace('+', "-"));
    html! { span class=(class) { "TLP:" (tlp) } }
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(f): Query<Filters>,
) -> Response {
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let min_cvss = match nonempty(&f.min_cvss).map(|v| v.trim().parse::<f64>().map_err(|_| v)) {
        Some(Ok(n)) => Some(n),
        Some(Err(v)) => {
            return error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Check the filters",
                &format!("invalid min_cvss {v:?}: a number from 0 to 10"),
            );
        }
        None => None,
    };
    let query = ListQuery {
        tlp: nonempty(&f.tlp),
        state: nonempty(&f.state),
        min_cvss,
        q: nonempty(&f.q),
        published: None,
        limit: Some(200),
        offset: None,
    };
    let rows = match assessments::list_assessments(State(state), session.caller(), ApiQuery(query))
        .await
    {
        Ok(axum::Json(rows)) => rows,
        Err(err) => return api_error_page(err),
    };
    // A sector filter keeps releases addressed to it (or to every operator).
    let sector = nonempty(&f.sector);
    if let Some(s) = &sector
        && !SECTORS.contains(&s.as_str())
    {
        return error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Check the filters",
            &format!("invalid sector {s:?}: one of {}", SECTORS.join(", ")),
        );
    }
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|a| {
            sector.as_ref().is_none_or(|s| {
                let sectors = a.audience["sectors"].as_array();
                a.published_at.is_some()
                    && sectors
                        .is_none_or(|list| list.is_empty() || list.iter().any(|x| x == s.as_str()))
            })
        })
        .collect();
    let selected = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    session.page("Assessments").respond(html! {
        h1 { "Assessments" }
        form method="get" action="/assessments" class="filters" {
            label for="tlp" { "TLP" }
            select id="tlp" name="tlp" {
                option value="" { "any" }
                @for l in LABELS { option value=(l) selected[selected(&f.tlp, l)] { (l) } }
            }
            label for="state" { "Report state" }
            select id="state" name="state" {
                option value="" { "any" }
                @for s in STATES { option value=(s) selected[selected(&f.state, s)] { (s) } }
            }
            label for="min_cvss" { "CVSS at least" }
            input id="min_cvss" name="min_cvss" inputmode="decimal" value=(f.min_cvss.clone().unwrap_or_default());
            label for="sector" { "Released to sector" }
            select id="sector" name="sector" {
                option value="" { "any" }
                @for x in SECTORS { option value=(x) selected[selected(&f.sector, x)] { (x.replace('_', " ")) } }
            }
            label for="q" { "Id or alias" }
            input id="q" name="q" value=(f.q.clone().unwrap_or_default());
            button type="submit" { "Filter" }
        }
        @if rows.is_empty() {
            p class="empty" { "No assessment matches. Import records with `preflight vuln import` or POST /api/v1/assessments/import, or change the filters." }
        } @else {
            table {
                thead { tr { th scope="col" { "Id" } th scope="col" { "Title" } th scope="col" { "TLP" } th scope="col" { "State" } th scope="col" { "Sources" } th scope="col" { "Published" } } }
                tbody {
                    @for a in &rows {
                        tr {
                            td { a href={ "/assessments/" (a.assessment_id) } { (a.record["id"].as_str().unwrap_or("?")) } }
                            td { (a.record["title"].as_str().unwrap_or("")) }
                            td { (tlp_badge(a.record["tlp"].as_str().unwrap_or("AMBER"))) }
                            td { (a.record["coordination"]["report"].as_str().unwrap_or("")) }
                            td { (a.record["sources"].as_array().map_or(0, Vec::len)) }
                            td { @if let Some(p) = a.published_at { (p.format("%Y-%m-%d")) } @else { "draft" } }
                        }
                    }
                }
            }
        }
    })
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let view = match assessments::get_assessment(
        State(state),
        session.caller(),
        ApiPath(id.clone()),
    )
    .await
    {
        Ok(axum::Json(v)) => v,
        Err(err) => return api_error_page(err),
    };
    let r = &view.record;
    let title = r["id"].as_str().unwrap_or("Assessment").to_owned();
    let embargo = &r["coordination"]["embargo"];
    let flags = r["coordination"]["flags"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    session.page(&title).respond(html! {
        h1 { (title) }
        p class="lede" { (r["title"].as_str().unwrap_or("")) " " (tlp_badge(r["tlp"].as_str().unwrap_or("AMBER"))) }
        section aria-labelledby="aliases-h" {
            h2 id="aliases-h" { "Known as (merged records)" }
            ul { @for a in r["aliases"].as_array().cloned().unwrap_or_default() { li { (a["id"].as_str().unwrap_or("")) } } }
            h3 { "Sources" }
            ul { @for s in r["sources"].as_array().cloned().unwrap_or_default() {
                li { (s["origin"]["kind"].as_str().unwrap_or("")) " " (s["format"].as_str().unwrap_or("")) " " (s["file"].as_str().unwrap_or("")) }
            } }
        }
        section aria-labelledby="coord-h" {
            h2 id="coord-h" { "Coordination" }
            p { "Report state: " strong { (r["coordination"]["report"].as_str().unwrap_or("")) } }
            form method="post" action={ "/assessments/" (view.assessment_id) "/report-state" } class="inline" {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="r-state" { "Move the report to" }
                select id="r-state" name="state" {
                    @for s in STATES { option value=(s) { (s) } }
                }
                button type="submit" { "Move" }
            }
            p { "Embargo: " strong { (embargo["state"].as_str().unwrap_or("none")) }
                @if let Some(end) = embargo["ends_at"].as_str() { ", ends " time datetime=(end) { (end) } }
                @if let Some(end) = embargo["proposed_end"].as_str() { ", proposed end " time datetime=(end) { (end) } } }
            (embargo_timeline(view.created_at, embargo))
            form method="post" action={ "/assessments/" (view.assessment_id) "/embargo" } class="inline" {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="e-action" { "Embargo" }
                select id="e-action" name="action" {
                    @for a in ["propose", "accept", "reject", "terminate"] { option value=(a) { (a) } }
                }
                label for="e-end" { "End (UTC, for propose)" }
                input id="e-end" name="ends_at" type="datetime-local";
                button type="submit" { "Record" }
            }
            ul class="flags" { @for (k, v) in &flags { li { (k.replace('_', " ")) ": " @if v == &Value::Bool(true) { "yes" } @else { "no" } } } }
        }
        section aria-labelledby="publish-h" {
            h2 id="publish-h" { @if view.published_at.is_some() { "Change the release" } @else { "Publish" } }
            form method="post" action={ "/assessments/" (view.assessment_id) "/publish" } class="card" {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="p-tlp" { "TLP label" }
                select id="p-tlp" name="tlp" { @for l in LABELS { option value=(l) selected[r["tlp"] == l] { (l) } } }
                fieldset {
                    legend { "Sectors (none: every operator)" }
                    @for s in SECTORS {
                        label class="check" { input type="checkbox" name="sectors" value=(s); (s.replace('_', " ")) }
                    }
                }
                button type="submit" { "Publish" }
            }
        }
    })
}

pub async fn publish(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Refusal> {
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    session.check_csrf(field("csrf"))?;
    let sectors: Vec<&str> = pairs
        .iter()
        .filter(|(n, _)| n == "sectors")
        .map(|(_, v)| v.as_str())
        .collect();
    let body = api_body(json!({ "tlp": field("tlp").unwrap_or(""), "sectors": sectors }))?;
    let _ = assessments::publish(
        State(state),
        session.caller(),
        ApiPath(id.clone()),
        ApiJson(body),
    )
    .await?;
    Ok(see_other(format!("/assessments/{id}")))
}

pub async fn advisories(State(state): State<AppState>, session: Session) -> Response {
    let query = advisories::AdvisoryQuery { limit: Some(1000) };
    let rows =
        match advisories::list_advisories(State(state), session.caller(), ApiQuery(query)).await {
            Ok(axum::Json(rows)) => rows,
            Err(err) => return api_error_page(err),
        };
    session.page("Advisories").respond(html! {
        h1 { "Advisories" }
        p class="lede" { "What the clearinghouse has released to your organisation, by its TLP label. Also over TAXII 2.1 at " code { "/taxii2/" } "." }
        @if rows.is_empty() {
            p class="empty" { "Nothing has been released to your organisation yet. Subscribe to sectors and products (PUT /api/v1/orgs/{id}/subscription) to be told when something is." }
        } @else {
            @for label in LABELS {
                @let group: Vec<&Value> = rows.iter().filter(|a| a["tlp"] == label).collect();
                @if !group.is_empty() {
                    h2 { (tlp_badge(label)) }
                    ul class="advisories" {
                        @for a in group {
                            li { strong { (a["id"].as_str().unwrap_or("")) } " " (a["title"].as_str().unwrap_or(""))
                                " · for " (sectors_text(&a["sectors"]))
                                @if let Some(at) = a["shared_at"].as_str() { " · shared " time datetime=(at) { (at) } } }
                        }
                    }
                }
            }
        }
    })
}

fn sectors_text(sectors: &Value) -> String {
    match sectors.as_array() {
        Some(list) if !list.is_empty() => list
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.replace('_', " "))
            .collect::<Vec<_>>()
            .join(", "),
        _ => "every sector".to_owned(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReportStateForm {
    csrf: Option<String>,
    state: String,
}

pub async fn report_state(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<ReportStateForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    let body = api_body(json!({ "state": form.state }))?;
    let _ = assessments::set_report_state(
        State(state),
        session.caller(),
        ApiPath(id.clone()),
        ApiJson(body),
    )
    .await?;
    Ok(see_other(format!("/assessments/{id}")))
}

/// The embargo on a line from when the assessment was opened to its end
/// (agreed, or proposed while a proposal is open), with today marked.
fn embargo_timeline(opened: chrono::DateTime<chrono::Utc>, embargo: &Value) -> Markup {
    let parse = |v: &Value| {
        v.as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let end = parse(&embargo["ends_at"]);
    let proposed = parse(&embargo["proposed_end"]);
    let Some(last) = proposed.max(end) else {
        return html! {};
    };
    let now = chrono::Utc::now();
    let span = (last.max(now) - opened).num_seconds().max(1) as f64;
    let x = |t: chrono::DateTime<chrono::Utc>| {
        ((t - opened).num_seconds() as f64 / span * 100.0).clamp(0.0, 100.0)
    };
    html! {
        svg class="timeline" viewBox="0 0 100 14" preserveAspectRatio="none" role="img"
            aria-label={ "Embargo from " (opened.format("%Y-%m-%d")) " to " (last.format("%Y-%m-%d")) } {
            rect x="0" y="5" width="100" height="4" class="track" {}
            @if let Some(end) = end {
                rect x="0" y="5" width=(format!("{:.2}", x(end))) height="4" class="gov" {}
            }
            @if let Some(p) = proposed {
                line x1=(format!("{:.2}", x(p))) x2=(format!("{:.2}", x(p))) y1="3" y2="11" class="now" {}
            }
            line x1=(format!("{:.2}", x(now))) x2=(format!("{:.2}", x(now))) y1="2" y2="12" class="now" {}
        }
        ul class="legend" {
            li { "Opened: " (opened.format("%Y-%m-%d %H:%M UTC")) }
            @if let Some(end) = end { li { "Embargo ends: " (end.format("%Y-%m-%d %H:%M UTC")) @if end > now { " (in " ((end - now).num_days()) " days)" } } }
            @if let Some(p) = proposed { li { "Proposed end: " (p.format("%Y-%m-%d %H:%M UTC")) } }
            li { "Now: " (now.format("%Y-%m-%d %H:%M UTC")) }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct EmbargoForm {
    csrf: Option<String>,
    action: String,
    #[serde(default)]
    ends_at: String,
}

pub async fn embargo(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<EmbargoForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    let end = form.ends_at.trim();
    let body = match (form.action.as_str(), end) {
        ("propose", "") => {
            return Err(invalid(
                "invalid ends_at \"\": a proposal needs the embargo's end",
            ));
        }
        ("propose", end) => json!({ "action": "propose", "ends_at": utc_from_form(end) }),
        (action, _) => json!({ "action": action }),
    };
    let action = api_body(body)?;
    let _ = assessments::change_embargo(
        State(state),
        session.caller(),
        ApiPath(id.clone()),
        ApiJson(assessments::EmbargoChange(action)),
    )
    .await?;
    Ok(see_other(format!("/assessments/{id}")))
}
