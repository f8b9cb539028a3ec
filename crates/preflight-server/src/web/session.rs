//! Browser sessions: a random id in an HttpOnly, SameSite=Strict cookie
//! (`Secure` unless the instance is told it is served over plain HTTP),
//! an HMAC of it in the store, and a CSRF token per session that every
//! form carries. Pages that need a person redirect to `/signin`.

use crate::AppState;
use crate::auth::Caller;
use crate::web::page::{Page, Refusal};
use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use preflight_core::actor::Actor;
use rand::RngCore;

pub const SESSION_COOKIE: &str = "preflight_session";
/// The sign-in form's own CSRF cookie (double submit: cookie and field match).
pub const SIGNIN_COOKIE: &str = "preflight_signin";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A fresh random value for a session id or a CSRF token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value for `name`, living `max_age` seconds (0 clears it).
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if state.web.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The signed-in person of a page request, with the session's CSRF token.
pub struct Session {
    pub caller: Caller,
    pub csrf: String,
    pub id: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.caller.user.id)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The same person as an API caller, for calling the API's handlers.
    pub fn caller(&self) -> Caller {
        Caller {
            user: self.caller.user.clone(),
            actor: Actor::of(&self.caller.user),
        }
    }

    /// Refuses a form whose `csrf` field is missing or not this session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), Refusal> {
        let ok = sent.is_some_and(|s| {
            s.len() == self.csrf.len()
                && s.bytes()
                    .zip(self.csrf.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        if ok {
            Ok(())
        } else {
            Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "Form refused",
                "The form did not carry this session's CSRF token (field csrf). Reload the page and send it again.",
            ))
        }
    }

    pub fn page(&self, title: &str) -> Page<'_> {
        Page::new(title, Some(self))
    }
}

/// Where a page without a session goes.
#[derive(Debug)]
pub struct SignInFirst;

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        (StatusCode::SEE_OTHER, [(LOCATION, "/signin")]).into_response()
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(SignInFirst.into_response());
        };
        match state.store.session(&state.pepper, &id, Utc::now()).await {
            Ok(Some((user, csrf))) => Ok(Session {
                caller: Caller {
                    actor: Actor::of(&user),
                    user,
                },
                csrf,
                id,
            }),
            Ok(None) => Err(SignInFirst.into_response()),
            Err(err) => Err(crate::ApiError::from(err).into_response()),
        }
    }
}
