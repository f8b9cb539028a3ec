//! One review, as its developer, the government or a listed partner sees
//! it: the 30-day window as a timeline with the phases and a countdown to
//! release, the terms versions side by side with what changed, who called
//! the model and how much, the findings and their answers, and the steps
//! the viewer may take (the developer's release and withdrawal always one
//! click away). Every step goes through the API's own handlers.

use crate::AppState;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::{findings, gateway, submissions, terms};
use crate::web::page::{Refusal, api_body, api_error_page, see_other};
use crate::web::session::Session;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use preflight_core::ids::{FindingId, SubmissionId};
use preflight_core::org::Role;
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) fn parse_id(id: &str) -> Result<SubmissionId, Refusal> {
    id.parse().map_err(|_| {
        Refusal::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("{id:?} is not a review id"),
        )
    })
}

fn parse_finding(id: &str) -> Result<FindingId, Refusal> {
    id.parse().map_err(|_| {
        Refusal::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("{id:?} is not a finding id"),
        )
    })
}

/// Operators and analysts never see a review.
fn may_open_reviews(session: &Session) -> Result<(), Refusal> {
    match session.caller.actor.role {
        Role::Operator | Role::ClearinghouseAnalyst => Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Reviews are confidential to the developer, the government and the listed partners; your organisation receives advisories instead.",
        )),
        _ => Ok(()),
    }
}

fn time_of(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = may_open_reviews(&session) {
        return r.into_response();
    }
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r.into_response(),
    };
    let submission = match submissions::get_submission(
        State(state.clone()),
        session.caller(),
        ApiPath(id),
    )
    .await
    {
        Ok(axum::Json(s)) => serde_json::to_value(s).unwrap_or(Value::Null),
        Err(err) => return api_error_page(err),
    };
    let role = session.caller.actor.role;
    let versions: Vec<Value> =
        match terms::list_terms(State(state.clone()), session.caller(), ApiPath(id)).await {
            Ok(axum::Json(v)) => v
                .iter()
                .filter_map(|t| serde_json::to_value(t).ok())
                .collect(),
            Err(_) => Vec::new(),
        };
    let calls: Vec<Value> =
        match gateway::list_calls(State(state.clone()), session.caller(), ApiPath(id)).await {
            Ok(axum::Json(c)) => c
                .iter()
                .filter_map(|c| serde_json::to_value(c).ok())
                .collect(),
            Err(_) => Vec::new(),
        };
    let found: Vec<Value> =
        match findings::list_findings(State(state.clone()), session.caller(), ApiPath(id)).await {
            Ok(axum::Json(f)) => f
                .iter()
                .filter_map(|f| serde_json::to_value(f).ok())
                .collect(),
            Err(_) => Vec::new(),
        };
    let agreed = versions
        .iter()
        .rev()
        .find(|v| v["fully_signed"] == true)
        .cloned();
    let now = Utc::now();
    let title = format!(
        "{} {}",
        submission["model_name"].as_str().unwrap_or("?"),
        submission["model_version"].as_str().unwrap_or("")
    );
    let path = format!("/reviews/{id}");
    let evaluations = crate::web::evaluations::section(&state, &session, &id.to_string()).await;
    let draft = if versions.is_empty() && role == Role::Developer {
        Some(first_draft(&state, &session, &submission).await)
    } else {
        None
    };
    let verified = if calls.is_empty() {
        None
    } else {
        crate::web::verify::review(&state, &session, id).await
    };
    let orgs: std::collections::HashMap<String, String> = state
        .store
        .orgs()
        .await
        .map(|orgs| {
            orgs.into_iter()
                .map(|o| (o.id.to_string(), o.name))
                .collect()
        })
        .unwrap_or_default();
    session.page(&title).respond(html! {
        h1 { (title) }
        p class="lede" { "Stage: " strong { (crate::web::home::stage_label(&submission)) } }
        (timeline(&submission, agreed.as_ref(), now))
        (actions(&session, role, &submission, &path))
        @if role == Role::TrustedPartner {
            (partner_window(&state, &session, id, now).await)
        } @else {
            (terms_section(&versions))
        }
        @if !submission["outcome"].is_object() {
            (crate::web::terms::forms(&session, &id.to_string(), &versions, draft.as_ref()))
        }
        @if role != Role::TrustedPartner || !calls.is_empty() {
            (calls_section(&calls, role, verified.as_ref(), &orgs))
        }
        (evaluations)
        (findings_section(&session, &path, &found))
        @if role == Role::TrustedPartner {
            (finding_form(&session, &path))
        }
    })
}

fn timeline(s: &Value, agreed: Option<&Value>, now: DateTime<Utc>) -> Markup {
    let release = time_of(&s["planned_release_at"]);
    let window = agreed.map(|a| &a["document"]["window"]);
    let opens = window.and_then(|w| time_of(&w["opens_at"]));
    let ends = window.and_then(|w| time_of(&w["ends_at"]));
    let gov = time_of(&s["government_phase_started_at"]);
    let partner = time_of(&s["partner_phase_started_at"]);
    let start = opens
        .or(gov)
        .unwrap_or_else(|| release.map_or(now, |r| r - chrono::Duration::days(30)));
    let end = ends.or(release).unwrap_or(now + chrono::Duration::days(30));
    let span = (end - start).num_seconds().max(1) as f64;
    let x = |t: DateTime<Utc>| ((t - start).num_seconds() as f64 / span * 100.0).clamp(0.0, 100.0);
    let mut marks: Vec<(f64, &str, DateTime<Utc>)> = Vec::new();
    if let Some(t) = gov {
        marks.push((x(t), "government phase", t));
    }
    if let Some(t) = partner {
        marks.push((x(t), "partner phase", t));
    }
    if let Some(t) = release {
        marks.push((x(t), "planned release", t));
    }
    html! {
        section aria-labelledby="timeline-h" {
            h2 id="timeline-h" { "The review window" }
            @if let Some(r) = release {
                p {
                    "Release planned for "
                    time datetime=(r.to_rfc3339()) { (r.format("%Y-%m-%d %H:%M UTC")) }
                    ": "
                    span data-countdown=(r.to_rfc3339()) { (countdown(r, now)) }
                }
            }
            svg class="timeline" viewBox="0 0 100 14" preserveAspectRatio="none" role="img"
                aria-label={ "Window from " (start.format("%Y-%m-%d")) " to " (end.format("%Y-%m-%d")) } {
                rect x="0" y="5" width="100" height="4" class="track" {}
                @if let (Some(g), Some(p)) = (gov, partner) {
                    rect x=(format!("{:.2}", x(g))) y="5" width=(format!("{:.2}", (x(p) - x(g)).max(0.0))) height="4" class="gov" {}
                }
                @if let Some(p) = partner {
                    rect x=(format!("{:.2}", x(p))) y="5" width=(format!("{:.2}", (100.0 - x(p)).max(0.0))) height="4" class="partner" {}
                }
                line x1=(format!("{:.2}", x(now))) x2=(format!("{:.2}", x(now))) y1="2" y2="12" class="now" {}
            }
            ul class="legend" {
                li { "Window: " (start.format("%Y-%m-%d")) " to " (end.format("%Y-%m-%d")) }
                @for (_, label, t) in &marks {
                    li { (label) ": " (t.format("%Y-%m-%d %H:%M UTC")) }
                }
                li { "Now: " (now.format("%Y-%m-%d %H:%M UTC")) }
            }
        }
    }
}

fn countdown(release: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = release - now;
    if left.num_seconds() <= 0 {
        return "the planned release date has passed".to_owned();
    }
    format!(
        "{} days {} hours to go",
        left.num_days(),
        left.num_hours() % 24
    )
}

fn actions(session: &Session, role: Role, s: &Value, path: &str) -> Markup {
    let stage = s["stage"].as_str().unwrap_or("");
    let open = !s["outcome"].is_object();
    // Reviewers reach the model with gateway tokens of their own.
    let reviewer = open
        && matches!(role, Role::TrustedPartner | Role::GovernmentEvaluator)
        && matches!(stage, "government_phase" | "partner_phase");
    let steps: Vec<(&str, &str)> = match role {
        Role::Developer if open => {
            let mut v = vec![
                ("record_release", "Record release"),
                ("withdraw", "Withdraw"),
            ];
            if stage == "draft" {
                v.insert(0, ("submit", "Submit for review"));
            }
            v
        }
        Role::GovernmentEvaluator if open => match stage {
            "terms_agreed" => vec![("start_government_phase", "Start government phase")],
            "government_phase" => vec![("start_partner_phase", "Start partner phase")],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    html! {
        @if !steps.is_empty() || reviewer {
            section aria-labelledby="actions-h" class="actions" {
                h2 id="actions-h" { "Actions" }
                @for (action, label) in &steps {
                    form method="post" action={ (path) "/transition" } class="inline" {
                        input type="hidden" name="csrf" value=(session.csrf);
                        input type="hidden" name="action" value=(action);
                        button type="submit" class={ "step " (action) } { (label) }
                    }
                }
                @if reviewer {
                    form method="post" action={ (path) "/gateway-token" } class="inline" {
                        input type="hidden" name="csrf" value=(session.csrf);
                        label for="token-label" { "Token label" }
                        input id="token-label" name="label" required value="web session";
                        button type="submit" { "Create gateway token" }
                    }
                }
            }
        }
    }
}

/// A leaf whose value differs between two JSON documents: the dotted path,
/// the earlier value and the later one.
type Change = (String, Value, Value);

fn changed(a: &Value, b: &Value, prefix: &str, out: &mut Vec<Change>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                changed(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &p,
                    out,
                );
            }
        }
        _ if a != b => out.push((prefix.to_owned(), a.clone(), b.clone())),
        _ => {}
    }
}

/// A JSON value as a reader wants it: strings bare, the rest compact.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    }
}

fn terms_section(versions: &[Value]) -> Markup {
    let diffs: Vec<(&Value, &Value, Vec<Change>)> = versions
        .windows(2)
        .map(|pair| {
            let mut diff = Vec::new();
            changed(&pair[0]["document"], &pair[1]["document"], "", &mut diff);
            diff.retain(|(p, _, _)| p != "version");
            (&pair[0], &pair[1], diff)
        })
        .collect();
    let last = diffs.len();
    html! {
        section aria-labelledby="terms-h" {
            h2 id="terms-h" { "Terms" }
            @if versions.is_empty() {
                p class="empty" { "No terms proposed yet: propose a first version below (or POST /api/v1/submissions/{id}/terms); then both sides sign it." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Version" } th scope="col" { "Signed by both" } th scope="col" { "Signatures" } } }
                    tbody {
                        @for v in versions {
                            tr {
                                td { (v["document"]["version"]) }
                                td { @if v["fully_signed"] == true { "yes" } @else { "not yet" } }
                                td { @for sig in v["signatures"].as_array().cloned().unwrap_or_default() { span class="badge verified" { (sig["side"].as_str().unwrap_or("")) } " " } }
                            }
                        }
                    }
                }
                @for (i, (before, after, diff)) in diffs.iter().enumerate() {
                    details open[i + 1 == last] {
                        summary { "Version " (before["document"]["version"]) " and version " (after["document"]["version"]) " side by side: " (diff.len()) " changes" }
                        table class="diff" {
                            thead { tr { th scope="col" { "Term" } th scope="col" { "Version " (before["document"]["version"]) } th scope="col" { "Version " (after["document"]["version"]) } } }
                            tbody {
                                @for (path, old, new) in diff {
                                    tr { td { code { (path) } } td class="old" { (shown(old)) } td class="new" { (shown(new)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn calls_section(
    calls: &[Value],
    role: Role,
    verified: Option<&crate::web::verify::Verified>,
    orgs: &std::collections::HashMap<String, String>,
) -> Markup {
    let title = if role == Role::Developer {
        "Who called the model"
    } else {
        "Calls to the model"
    };
    html! {
        section aria-labelledby="calls-h" {
            h2 id="calls-h" { (title) }
            @if let Some(v) = verified {
                p class={ "ledger " @if v.failures.is_empty() { "ok" } @else { "bad" } } role="status" {
                    @if v.failures.is_empty() {
                        "Ledger: " (v.checked) " events of this review checked against the signed checkpoint of size " (v.size)
                        " (log signature, commitments and inclusion proofs)"
                        @if v.pending > 0 { "; " (v.pending) " newer ones are not in a checkpoint yet" }
                        "."
                    } @else {
                        "Ledger check FAILED: " (v.failures.join("; "))
                    }
                }
            }
            @if calls.is_empty() {
                p class="empty" { "No calls yet: reviewers reach the model through the gateway with a token created on this page." }
            } @else {
                table {
                    thead { tr { th scope="col" { "When" } th scope="col" { "Organisation" } th scope="col" { "Phase" } th scope="col" { "Tokens" } th scope="col" { "Outcome" } th scope="col" { "Ledger" } } }
                    tbody {
                        @for c in calls.iter().rev().take(50) {
                            @let org = c["org_id"].as_str().unwrap_or("");
                            tr {
                                td { (c["started_at"].as_str().unwrap_or("")) }
                                td { (orgs.get(org).map_or(org, String::as_str)) }
                                td { (c["phase"].as_str().unwrap_or("")) }
                                td { (c["prompt_tokens"].as_u64().unwrap_or(0) + c["completion_tokens"].as_u64().unwrap_or(0)) }
                                td { (c["outcome"].as_str().unwrap_or("")) }
                                td {
                                    @if verified.is_some_and(|v| v.calls.contains(c["id"].as_str().unwrap_or(""))) {
                                        span class="badge verified" title="commitment and inclusion proof checked" { "verified" }
                                    } @else {
                                        span class="badge pending" { "not yet checked" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn findings_section(session: &Session, path: &str, found: &[Value]) -> Markup {
    let developer = session.caller.actor.role == Role::Developer;
    html! {
        section aria-labelledby="findings-h" {
            h2 id="findings-h" { "Findings" }
            @if found.is_empty() {
                p class="empty" { "No findings filed yet: reviewers file them from this page in their phase." }
            } @else {
                ul class="findings" {
                    @for f in found {
                        @let fid = f["id"].as_str().unwrap_or("");
                        li {
                            strong { (f["title"].as_str().unwrap_or("")) }
                            " · " (f["severity"].as_str().unwrap_or("")) " · " (f["category"]["id"].as_str().unwrap_or(""))
                            p { (f["description"].as_str().unwrap_or("")) }
                            @if let Some(r) = f["responses"].as_array().and_then(|r| r.last()) {
                                p { "Developer's answer: " strong { (r["status"].as_str().unwrap_or("").replace('_', " ")) } " · " (r["comment"].as_str().unwrap_or("")) }
                            }
                            @if escalates(session, f) {
                                form method="post" action={ (path) "/findings/" (fid) "/escalate" } class="inline" {
                                    input type="hidden" name="csrf" value=(session.csrf);
                                    button type="submit" { "Escalate to the clearinghouse" }
                                }
                            }
                            @if developer {
                                form method="post" action={ (path) "/findings/" (fid) "/answer" } class="inline" {
                                    input type="hidden" name="csrf" value=(session.csrf);
                                    label for={ "status-" (fid) } { "Answer" }
                                    select id={ "status-" (fid) } name="status" {
                                        @for st in ["acknowledged", "fixed_before_release", "mitigated", "disputed", "risk_accepted"] {
                                            option value=(st) { (st.replace('_', " ")) }
                                        }
                                    }
                                    label for={ "comment-" (fid) } { "Comment" }
                                    input id={ "comment-" (fid) } name="comment" required;
                                    button type="submit" { "Answer" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct AnswerForm {
    csrf: Option<String>,
    status: String,
    comment: String,
}

pub async fn answer(
    State(state): State<AppState>,
    session: Session,
    Path((id, finding)): Path<(String, String)>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    let (sid, fid) = (parse_id(&id)?, parse_finding(&finding)?);
    let body = api_body(json!({ "status": form.status, "comment": form.comment }))?;
    let _ = findings::answer_finding(
        State(state),
        session.caller(),
        ApiPath((sid, fid)),
        ApiJson(body),
    )
    .await?;
    Ok(see_other(format!("/reviews/{sid}#findings-h")))
}

fn finding_form(session: &Session, path: &str) -> Markup {
    html! {
        section aria-labelledby="file-h" {
            h2 id="file-h" { "File a finding" }
            form method="post" action={ (path) "/findings" } class="card" {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="f-title" { "Title" }
                input id="f-title" name="title" required;
                label for="f-severity" { "Severity" }
                select id="f-severity" name="severity" {
                    @for s in ["informational", "low", "medium", "high", "critical"] { option value=(s) { (s) } }
                }
                label for="f-taxonomy" { "Category taxonomy" }
                select id="f-taxonomy" name="taxonomy" {
                    option value="owasp_llm2025" { "OWASP Top 10 for LLM 2025" }
                    option value="mitre_atlas" { "MITRE ATLAS" }
                    option value="cwe" { "CWE" }
                    option value="capability" { "Capability" }
                }
                label for="f-category" { "Category id (LLM01, AML.T0051, CWE-1427, exploit_development)" }
                input id="f-category" name="category" required;
                label for="f-description" { "Description" }
                textarea id="f-description" name="description" required {}
                label for="f-steps" { "Reproduction steps" }
                textarea id="f-steps" name="reproduction_steps" required {}
                button type="submit" { "File finding" }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct TransitionForm {
    csrf: Option<String>,
    action: String,
}

pub async fn transition(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<TransitionForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    may_open_reviews(&session)?;
    let sid = parse_id(&id)?;
    let body = api_body(json!({ "action": form.action }))?;
    let _ = submissions::transition(State(state), session.caller(), ApiPath(sid), ApiJson(body))
        .await?;
    Ok(see_other(format!("/reviews/{sid}")))
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf: Option<String>,
    label: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    let sid = parse_id(&id)?;
    let body = api_body(json!({ "label": form.label }))?;
    let (_, axum::Json(made)) =
        gateway::create_gateway_token(State(state), session.caller(), ApiPath(sid), ApiJson(body))
            .await?;
    Ok(session.page("Gateway token").respond(html! {
        h1 { "Gateway token" }
        p { "Shown this once: copy it now. It works for you and this review only, until " (made.expires_at.format("%Y-%m-%d %H:%M UTC")) "." }
        p { code data-token { (made.token) } }
        p { "OpenAI clients: base URL " code { (made.base_path) } ", model " code { (made.model) } "." }
        p { a href={ "/reviews/" (sid) } { "Back to the review" } }
    }))
}

#[derive(Deserialize)]
pub struct FindingForm {
    csrf: Option<String>,
    title: String,
    severity: String,
    taxonomy: String,
    category: String,
    description: String,
    reproduction_steps: String,
}

pub async fn file_finding(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<FindingForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    let sid = parse_id(&id)?;
    let body = api_body(json!({
        "title": form.title, "severity": form.severity,
        "category": { "taxonomy": form.taxonomy, "id": form.category },
        "description": form.description, "reproduction_steps": form.reproduction_steps,
    }))?;
    let _ =
        findings::file_finding(State(state), session.caller(), ApiPath(sid), ApiJson(body)).await?;
    Ok(see_other(format!("/reviews/{sid}#findings-h")))
}

/// Whether the viewer may ask to escalate `finding` (the terms decide when).
fn escalates(session: &Session, finding: &Value) -> bool {
    let finder = session
        .caller
        .actor
        .org_id
        .is_some_and(|o| finding["author_org"].as_str() == Some(o.to_string().as_str()));
    finder || session.caller.actor.role == Role::GovernmentEvaluator
}

pub async fn escalate(
    State(state): State<AppState>,
    session: Session,
    Path((id, finding)): Path<(String, String)>,
    Form(form): Form<crate::web::signin::CsrfOnly>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    let (sid, fid) = (parse_id(&id)?, parse_finding(&finding)?);
    let body = crate::routes::escalations::EscalateFinding { tlp: None };
    let _ = crate::routes::escalations::escalate_finding(
        State(state),
        session.caller(),
        ApiPath((sid, fid)),
        ApiJson(body),
    )
    .await?;
    Ok(see_other(format!("/reviews/{sid}#findings-h")))
}

async fn first_draft(state: &AppState, session: &Session, submission: &Value) -> Value {
    let governments: Vec<String> = state
        .store
        .orgs()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o.kind == preflight_core::org::OrgKind::GovernmentEvaluator)
        .map(|o| o.id.to_string())
        .collect();
    let partners: Vec<String> = match crate::routes::partners::list_partners(
        State(state.clone()),
        session.caller(),
    )
    .await
    {
        Ok(axum::Json(list)) => list
            .into_iter()
            .filter(|p| {
                p.vetted_now
                    && p.vetting
                        .as_ref()
                        .is_none_or(|v| v.conflicts_with.is_empty())
            })
            .map(|p| p.org_id.to_string())
            .collect(),
        Err(_) => Vec::new(),
    };
    crate::web::terms::first_draft(submission, &governments, &partners)
}

/// A partner's view of the agreed terms: its window and whether it is open.
async fn partner_window(
    state: &AppState,
    session: &Session,
    id: SubmissionId,
    now: DateTime<Utc>,
) -> Markup {
    let agreed = terms::agreed_terms(State(state.clone()), session.caller(), ApiPath(id))
        .await
        .ok()
        .map(|axum::Json(a)| a.document);
    html! {
        section aria-labelledby="window-h" {
            h2 id="window-h" { "Your access" }
            @if let Some(doc) = agreed {
                @let span = doc.partner_window;
                p {
                    "Partner window: " (span.start.format("%Y-%m-%d %H:%M UTC")) " to " (span.end.format("%Y-%m-%d %H:%M UTC")) " · "
                    strong { @if span.contains(now) { "open now" } @else if now < span.start { "not open yet" } @else { "closed" } }
                    " (the partner phase must also have started)."
                }
                p { "Limits: " (doc.limits.requests_per_minute) " requests and " (doc.limits.tokens_per_minute) " tokens a minute, "
                    (doc.limits.max_concurrent_requests) " at once." }
            } @else {
                p class="empty" { "No terms signed by both sides list your organisation yet." }
            }
        }
    }
}
