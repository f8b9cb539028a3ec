//! Each role's first page: a developer's submissions, the government's
//! review queue, a partner's assignments with whether its window is open;
//! analysts and operators go to the clearinghouse pages.

use crate::AppState;
use crate::routes::submissions;
use crate::web::page::api_error_page;
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
