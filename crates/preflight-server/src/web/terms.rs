//! Terms in the browser: proposing a version (its JSON, prefilled from the
//! latest one), and signing one with the person's own Ed25519 key through
//! WebCrypto. The key file is read in the page and never sent: the form
//! posts only the signature, which the server checks against the person's
//! registered public key.

use crate::AppState;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::terms;
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

/// The side the viewer signs for, if any.
pub fn side(role: Role) -> Option<&'static str> {
    match role {
        Role::Developer => Some("developer"),
        Role::GovernmentEvaluator => Some("government"),
        _ => None,
    }
}

/// A first version to start from: the window from now to the planned
/// release, the government organisations and the partners vetted now with
/// no conflict declared against this developer, cautious limits.
pub fn first_draft(submission: &Value, governments: &[String], partners: &[String]) -> Value {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let release = submission["planned_release_at"].clone();
    json!({
        "window": { "opens_at": now, "ends_at": release },
        "government_phase_days": 10,
        "partner_window": { "start": now, "end": release },
        "government_access": { "organisations": governments, "people": [] },
        "partner_access": { "organisations": partners, "people": [] },
        "limits": { "requests_per_minute": 60, "tokens_per_minute": 100000,
                    "max_concurrent_requests": 4, "total_token_budget": 5000000 },
        "transcript_retention_days": 30,
        "ip": { "no_training_on_outputs": true, "no_retention_of_outputs": true, "other": [] },
        "clearinghouse": { "when": "after_release", "what": "summary_only" },
        "insider_risk_attestations": ["completed insider-risk training"],
    })
}

/// Forms under the terms table: sign the latest version (if this side has
/// not), propose a new one (from the latest, or from `draft`).
pub fn forms(session: &Session, review: &str, versions: &[Value], draft: Option<&Value>) -> Markup {
    let Some(side) = side(session.caller.actor.role) else {
        return html! {};
    };
    let latest = versions.last();
    let signed_by_me = latest.is_some_and(|v| {
        v["signatures"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["side"] == side))
    });
    let template = latest.map(|v| {
        let mut doc = v["document"].clone();
        if let Some(map) = doc.as_object_mut() {
            map.remove("submission_id");
            map.remove("version");
        }
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    });
    let template =
        template.or_else(|| draft.map(|d| serde_json::to_string_pretty(d).unwrap_or_default()));
    html! {
        @if let (Some(v), false) = (latest, signed_by_me) {
            form method="post" action={ "/reviews/" (review) "/terms/" (v["document"]["version"]) "/sign" }
                class="card" data-sign-terms data-payload=(v["signing_payload"].as_str().unwrap_or(""))
                data-canonical=(v["canonical_json"].as_str().unwrap_or("")) {
                h3 { "Sign version " (v["document"]["version"]) " as the " (side) }
                details {
                    summary { "What you sign (RFC 8785 canonical JSON)" }
                    pre class="canonical" { (v["canonical_json"].as_str().unwrap_or("")) }
                }
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="side" value=(side);
                input type="hidden" name="signature" value="";
                label for="key-file" { "Your key file (PKCS#8 PEM from preflight keygen; it stays in this browser)" }
                input id="key-file" type="file" accept=".key,.pem,text/plain" required;
                p class="hint" data-sign-status role="status" {}
                button type="submit" { "Sign with my key" }
            }
        }
        form method="post" action={ "/reviews/" (review) "/terms" } class="card" {
            h3 { "Propose a new version" }
            input type="hidden" name="csrf" value=(session.csrf);
            label for="terms-json" { "Terms (JSON: window, phases, access lists, limits, retention, IP clauses, clearinghouse sharing)" }
            textarea id="terms-json" name="terms" rows="14" required { (template.unwrap_or_default()) }
            button type="submit" { "Propose" }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ProposeForm {
    csrf: Option<String>,
    terms: String,
}

pub async fn propose(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<ProposeForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    let sid = parse_id(&id)?;
    let value: Value = serde_json::from_str(&form.terms)
        .map_err(|e| invalid(format!("invalid terms: not JSON ({e})")))?;
    let body = api_body(value).map_err(|r| r.prefixed("terms."))?;
    let _ =
        terms::propose_terms(State(state), session.caller(), ApiPath(sid), ApiJson(body)).await?;
    Ok(see_other(format!("/reviews/{sid}#terms-h")))
}

#[derive(Debug, Deserialize)]
pub struct SignForm {
    csrf: Option<String>,
    side: String,
    signature: String,
}

pub async fn sign(
    State(state): State<AppState>,
    session: Session,
    Path((id, version)): Path<(String, u32)>,
    Form(form): Form<SignForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(form.csrf.as_deref())?;
    let sid = parse_id(&id)?;
    if form.signature.trim().is_empty() {
        return Err(invalid(
            "invalid signature \"\": choose your key file so the page can sign (scripts must be on)",
        ));
    }
    let body = api_body(json!({ "side": form.side, "signature": form.signature }))?;
    let _ = terms::sign_terms(
        State(state),
        session.caller(),
        ApiPath((sid, version)),
        ApiJson(body),
    )
    .await?;
    Ok(see_other(format!("/reviews/{sid}#terms-h")))
}
