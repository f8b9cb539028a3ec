//! Each role's first page: a developer's submissions, the government's
//! review queue, a partner's assignments with whether its window is open;
//! analysts and operators go to the clearinghouse pages.

use crate::AppState;
use crate::routes::submissions;
use crate::web::page::{Refusal, api_body, api_error_page, see_other, utc_from_form};
use crate::web::session::Session;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use preflight_core::org::Role;
use serde_json::Value;

pub async fn root(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let signed_in = match crate::web::session::cookie(&headers, crate::web::session::SESSION_COOKIE)
    {
        Some(id) => matches!(
            state.store.session(&state.pepper, &id, Utc::now()).await,
            Ok(Some(_))
        ),
        None => false,
    };
    let to = if signed_in { "/home" } else { "/signin" };
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

pub async fn home(State(state): State<AppState>, session: Session) -> Response {
    let role = session.caller.actor.role;
    let title = match role {
        Role::ClearinghouseAnalyst => {
            return (StatusCode::SEE_OTHER, [(LOCATION, "/assessments")]).into_response();
        }
        Role::Operator => {
            return (StatusCode::SEE_OTHER, [(LOCATION, "/advisories")]).into_response();
        }
        Role::Developer => "Your submissions",
        Role::GovernmentEvaluator => "Review queue",
        Role::TrustedPartner => "Your assignments",
        Role::Admin => "All reviews",
    };
    let list = match submissions::list_submissions(State(state), session.caller()).await {
        Ok(axum::Json(list)) => list,
        Err(err) => return api_error_page(err),
    };
    let rows: Vec<Value> = list
        .iter()
        .filter_map(|s| serde_json::to_value(s).ok())
        .collect();
    let empty = match role {
        Role::Developer => {
            "No submissions yet. Register a model with `preflight submit` or POST /api/v1/submissions; it appears here as a draft."
        }
        Role::GovernmentEvaluator => {
            "No review is waiting: a review appears here once its developer submits it."
        }
        Role::TrustedPartner => {
            "No assignments yet: a review appears here once terms both sides signed list your organisation."
        }
        _ => "No reviews yet.",
    };
    let now = Utc::now();
    session.page(title).respond(html! {
        h1 { (title) }
        @if role == Role::Developer {
            (submission_form(&session, now))
        }
        @if rows.is_empty() {
            p class="empty" { (empty) }
        } @else {
            table {
                caption class="visually-hidden" { (title) }
                thead { tr { th scope="col" { "Model" } th scope="col" { "Stage" } th scope="col" { "Planned release" } th scope="col" { "Access" } } }
                tbody {
                    @for s in &rows {
                        tr {
                            td { a href={ "/reviews/" (s["id"].as_str().unwrap_or("")) } {
                                (s["model_name"].as_str().unwrap_or("?")) " " (s["model_version"].as_str().unwrap_or("")) } }
                            td { (stage_label(s)) }
                            td { (release_cell(s, now)) }
                            td { (access_cell(s, role)) }
                        }
                    }
                }
            }
        }
    })
}

pub fn stage_label(s: &Value) -> String {
    match s["outcome"]["kind"].as_str() {
        Some(kind) => kind.replace('_', " "),
        None => s["stage"].as_str().unwrap_or("?").replace('_', " "),
    }
}

fn release_cell(s: &Value, now: DateTime<Utc>) -> Markup {
    let at = s["planned_release_at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    html! {
        @if let Some(at) = at {
            time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M UTC")) }
            @if at > now { " (in " ((at - now).num_days()) " days)" }
        }
    }
}

fn access_cell(s: &Value, role: Role) -> &'static str {
    let stage = s["stage"].as_str().unwrap_or("");
    if s["outcome"].is_object() {
        return "closed";
    }
    match (role, stage) {
        (Role::TrustedPartner, "partner_phase") => "open now",
        (Role::TrustedPartner, _) => "not open",
        (_, "government_phase") => "government phase",
        (_, "partner_phase") => "partner phase",
        _ => "no access",
    }
}

fn submission_form(session: &Session, now: DateTime<Utc>) -> Markup {
    let release = (now + chrono::Duration::days(30)).format("%Y-%m-%dT%H:%M");
    html! {
        details class="card" {
            summary { "Register a model for review" }
            form method="post" action="/submissions" class="card" {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="s-name" { "Model name" }
                input id="s-name" name="model_name" required;
                label for="s-version" { "Model version" }
                input id="s-version" name="model_version" required;
                label for="s-description" { "Description" }
                textarea id="s-description" name="description" {}
                label for="s-release" { "Planned public release (UTC)" }
                input id="s-release" name="planned_release_at" type="datetime-local" required value=(release);
                label for="s-kind" { "Upstream API" }
                select id="s-kind" name="upstream_kind" {
                    option value="openai_compatible" { "OpenAI-compatible (llama.cpp, vLLM, ...)" }
                    option value="anthropic_messages" { "Anthropic Messages" }
                }
                label for="s-url" { "Upstream base URL" }
                input id="s-url" name="upstream_url" type="url" required placeholder="https://models.example/v1";
                label for="s-model" { "Upstream model name (if not the model name)" }
                input id="s-model" name="upstream_model";
                label for="s-credential" { "Upstream API key (sealed; never shown again)" }
                input id="s-credential" name="upstream_credential" type="password" autocomplete="off";
                button type="submit" { "Register" }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct SubmissionForm {
    csrf: Option<String>,
    model_name: String,
    model_version: String,
    #[serde(default)]
    description: String,
    planned_release_at: String,
    upstream_kind: String,
    upstream_url: String,
    #[serde(default)]
    upstream_model: String,
    #[serde(default)]
    upstream_credential: String,
}

impl std::fmt::Debug for SubmissionForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmissionForm")
            .field("model_name", &self.model_name)
            .finish_non_exhaustive()
    }
}

pub async fn create_submission(
    State(state): State<AppState>,
    session: Session,
    axum::Form(form): axum::Form<SubmissionForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    let optional = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
    let body = api_body(serde_json::json!({
        "model_name": form.model_name,
        "model_version": form.model_version,
        "description": form.description,
        "planned_release_at": utc_from_form(&form.planned_release_at),
        "upstream": {
            "kind": form.upstream_kind,
            "url": form.upstream_url,
            "model": optional(&form.upstream_model),
            "credential": optional(&form.upstream_credential),
        },
    }))?;
    let (_, axum::Json(made)) = submissions::create_submission(
        State(state),
        session.caller(),
        crate::extract::ApiJson(body),
    )
    .await?;
    Ok(see_other(format!("/reviews/{}", made.submission.id)))
}
