//! Signing in with a password (Argon2id), throttled after repeated
//! failures, and signing out. The sign-in form carries a CSRF token that
//! must match its own cookie; a session then carries its own.

use crate::AppState;
use crate::web::page::{Page, error_page};
use crate::web::session::{
    SESSION_COOKIE, SESSION_HOURS, SIGNIN_COOKIE, Session, cookie, random_token, set_cookie,
};
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use axum::Form;
use axum::extract::State;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Duration, Utc};
use maud::html;
use preflight_core::event::{Event, EventKind};
use serde::Deserialize;
use serde_json::json;

/// Failed sign-ins for one email within the window before more are refused.
const MAX_FAILURES: i64 = 5;
const FAILURE_WINDOW_MINUTES: i64 = 15;

/// Verified against when the email is unknown, so that an unknown email
/// costs as long as a wrong password.
fn decoy_hash() -> String {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY
        .get_or_init(|| hash_password(&random_token()).unwrap_or_default())
        .clone()
}

/// An Argon2id (v19, m=19456 KiB, t=2, p=1) PHC string of `password`.
pub fn hash_password(password: &str) -> Option<String> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .ok()
        .map(|h| h.to_string())
}

fn form_page(state: &AppState, status: StatusCode, email: &str, alert: Option<&str>) -> Response {
    let token = random_token();
    let page = Page::new("Sign in", None);
    let body = html! {
        h1 { "Sign in" }
        @if let Some(alert) = alert {
            p role="alert" class="alert" { (alert) }
        }
        form method="post" action="/signin" class="card narrow" {
            input type="hidden" name="csrf" value=(token);
            label for="email" { "Email" }
            input id="email" name="email" type="email" autocomplete="username" required value=(email);
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            button type="submit" { "Sign in" }
        }
        p class="hint" { "Accounts and passwords are set by the program office (preflight admin set-password)." }
    };
    let mut resp = (status, Html(page.render(body).into_string())).into_response();
    if let Ok(v) = set_cookie(state, SIGNIN_COOKIE, &token, 3600).parse() {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    resp
}

pub async fn show(State(state): State<AppState>) -> Response {
    form_page(&state, StatusCode::OK, "", None)
}

/// The sign-in form; its `Debug` shows no password.
#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    csrf: Option<String>,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let expected = cookie(&headers, SIGNIN_COOKIE);
    if expected.is_none() || form.csrf.is_none() || expected != form.csrf {
        return error_page(
            StatusCode::FORBIDDEN,
            "Form refused",
            "The sign-in form did not carry its CSRF token (field csrf). Reload the sign-in page and try again.",
        );
    }
    let email = form.email.trim().to_ascii_lowercase();
    let now = Utc::now();
    let since = now - Duration::minutes(FAILURE_WINDOW_MINUTES);
    match state.store.signin_failures(&email, since).await {
        Ok(n) if n >= MAX_FAILURES => {
            return form_page(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                &email,
                Some(&format!(
                    "Too many failed sign-ins for {email}: wait {FAILURE_WINDOW_MINUTES} minutes and try again."
                )),
            );
        }
        Ok(_) => {}
        Err(err) => return crate::ApiError::from(err).into_response(),
    }
    let found = match state.store.password_of(&email).await {
        Ok(found) => found,
        Err(err) => return crate::ApiError::from(err).into_response(),
    };
    let password = form.password.clone();
    let hash = found.as_ref().map_or_else(decoy_hash, |(_, h)| h.clone());
    let verified = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false);
    let Some((user, _)) = found.filter(|_| verified) else {
        if let Err(err) = state.store.record_signin_failure(&email, now).await {
            return crate::ApiError::from(err).into_response();
        }
        return form_page(
            &state,
            StatusCode::UNAUTHORIZED,
            &email,
            Some(&format!("No account {email} with that password.")),
        );
    };
    let session = random_token();
    let csrf = random_token();
    let event = Event::new(
        EventKind::SignedIn,
        None,
        Some(user.id),
        now,
        json!({ "user_id": user.id }),
    );
    if let Err(err) = state
        .store
        .create_session(
            &state.pepper,
            &preflight_store::NewSession {
                id: &session,
                user: user.id,
                csrf: &csrf,
                created_at: now,
                expires_at: now + Duration::hours(SESSION_HOURS),
            },
            &event,
        )
        .await
    {
        return crate::ApiError::from(err).into_response();
    }
    let mut resp = (StatusCode::SEE_OTHER, [(LOCATION, "/home")]).into_response();
    for value in [
        set_cookie(&state, SESSION_COOKIE, &session, SESSION_HOURS * 3600),
        set_cookie(&state, SIGNIN_COOKIE, "", 0),
    ] {
        if let Ok(v) = value.parse() {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    resp
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    pub csrf: Option<String>,
}

pub async fn sign_out(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = session.check_csrf(form.csrf.as_deref()) {
        return refused.into_response();
    }
    if let Err(err) = state.store.end_session(&state.pepper, &session.id).await {
        return crate::ApiError::from(err).into_response();
    }
    let mut resp = (StatusCode::SEE_OTHER, [(LOCATION, "/signin")]).into_response();
    if let Ok(v) = set_cookie(&state, SESSION_COOKIE, "", 0).parse() {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    resp
}
