//! The government's benchmark runs on a review page: attaching a suite,
//! and each finished run's scores drawn by the server as SVG, overall and
//! per category, each with its 95% Wilson interval.

use crate::AppState;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::evaluations;
use crate::web::page::{Refusal, api_body, invalid, see_other};
use crate::web::review::parse_id;
use crate::web::session::Session;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use preflight_core::org::Role;
use serde::Deserialize;
use serde_json::{Value, json};

/// The runs section, with the attach form for the government.
pub async fn section(state: &AppState, session: &Session, review: &str) -> Markup {
    let Ok(id) = review.parse() else {
        return html! {};
    };
    let runs: Vec<Value> =
        match evaluations::list_evaluations(State(state.clone()), session.caller(), ApiPath(id))
            .await
        {
            Ok(axum::Json(r)) => r
                .iter()
                .filter_map(|r| serde_json::to_value(r).ok())
                .collect(),
            Err(_) => return html! {},
        };
    let suites: Vec<Value> = if session.caller.actor.role == Role::GovernmentEvaluator {
        match evaluations::list_suites(State(state.clone()), session.caller()).await {
            Ok(axum::Json(s)) => s
                .iter()
                .filter_map(|s| serde_json::to_value(s).ok())
                .collect(),
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    html! {
        section aria-labelledby="evals-h" {
            h2 id="evals-h" { "Benchmark runs" }
            @if !suites.is_empty() {
                form method="post" action={ "/reviews/" (review) "/evaluations" } class="inline" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    label for="suite" { "Suite" }
                    select id="suite" name="suite" {
                        @for s in &suites { option value=(s["name"].as_str().unwrap_or("")) { (s["name"].as_str().unwrap_or("")) } }
                    }
                    label for="limit" { "Samples (blank: all)" }
                    input id="limit" name="limit" inputmode="numeric" size="5";
                    button type="submit" { "Run suite" }
                }
            }
            @if runs.is_empty() {
                p class="empty" { "No runs yet: the government attaches a suite in its phase; a worker runs it through the gateway." }
            }
            @for run in &runs {
                article class="run" {
                    h3 { (run["suite"].as_str().unwrap_or("")) " · " (run["state"].as_str().unwrap_or("")) }
                    @if let Some(summary) = run["summary"].as_object() {
                        (plot(summary, &references(state, session, run).await))
                    } @else if let Some(err) = run["error"].as_str() {
                        p role="alert" class="alert" { (err) }
                    }
                }
            }
        }
    }
}

/// The same suite's finished runs on other reviews, for the government
/// (which reads every review): each reference model's overall score.
async fn references(state: &AppState, session: &Session, run: &Value) -> Vec<(String, Value)> {
    if session.caller.actor.role != Role::GovernmentEvaluator {
        return Vec::new();
    }
    let suite = run["suite"].as_str().unwrap_or("");
    let here = run["submission_id"].as_str().unwrap_or("");
    let Ok(found) = state.store.succeeded_runs_of_suite(suite, 50).await else {
        return Vec::new();
    };
    let mut seen = std::collections::HashSet::new();
    found
        .into_iter()
        .filter(|r| r.submission_id.to_string() != here)
        .filter_map(|r| {
            let summary = r.summary?;
            let model = summary["model"].as_str().unwrap_or("model").to_owned();
            seen.insert(r.submission_id)
                .then(|| (format!("reference: {model}"), summary["scores"].clone()))
        })
        .take(5)
        .collect()
}

/// Accuracy with its 95% Wilson interval, overall, per tag, and for each
/// reference model overall, as SVG.
fn plot(summary: &serde_json::Map<String, Value>, references: &[(String, Value)]) -> Markup {
    let mut rows: Vec<(String, &Value)> = Vec::new();
    if let Some(overall) = summary.get("scores") {
        rows.push(("overall".to_owned(), overall));
    }
    rows.extend(references.iter().map(|(name, v)| (name.clone(), v)));
    if let Some(tags) = summary.get("by_tag").and_then(Value::as_object) {
        rows.extend(tags.iter().map(|(k, v)| (k.clone(), v)));
    }
    let height = 22 * rows.len() + 30;
    let (left, width) = (240.0, 340.0);
    let x = |v: f64| left + v.clamp(0.0, 1.0) * width;
    html! {
        svg class="scores" viewBox={ "0 0 600 " (height) } role="img"
            aria-label={ "Accuracy with 95% intervals for " (rows.len()) " groups" } {
            @for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
                line x1=(x(tick)) x2=(x(tick)) y1="0" y2=(height - 20) class="grid" {}
                text x=(x(tick)) y=(height - 5) text-anchor="middle" class="axis" { (format!("{tick:.2}")) }
            }
            @for (i, (name, s)) in rows.iter().enumerate() {
                @let y = 14 + 22 * i;
                @let acc = s["accuracy"].as_f64().unwrap_or(0.0);
                @let lo = s["wilson"]["lower"].as_f64().unwrap_or(acc);
                @let hi = s["wilson"]["upper"].as_f64().unwrap_or(acc);
                text x=(left - 8.0) y=(y + 4) text-anchor="end" class="label" { (name) " (n=" (s["samples"]) ")" }
                line x1=(x(lo)) x2=(x(hi)) y1=(y) y2=(y) class="interval" {}
                circle cx=(x(acc)) cy=(y) r="4" class={ "point" @if name.starts_with("reference") { " reference" } } {
                    title { (name) ": " (format!("{acc:.3}")) " [" (format!("{lo:.3}")) ", " (format!("{hi:.3}")) "]" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct RunForm {
    csrf: Option<String>,
    suite: String,
    #[serde(default)]
    limit: String,
}

pub async fn queue(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<RunForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    let sid = parse_id(&id)?;
    let limit = match form.limit.trim() {
        "" => None,
        n => Some(
            n.parse::<u32>()
                .map_err(|_| invalid(format!("invalid limit {n:?}: a whole number of samples")))?,
        ),
    };
    let body = api_body(json!({ "suite": form.suite, "limit": limit }))?;
    let _ =
        evaluations::queue_evaluation(State(state), session.caller(), ApiPath(sid), ApiJson(body))
            .await?;
    Ok(see_other(format!("/reviews/{sid}#evals-h")))
}
