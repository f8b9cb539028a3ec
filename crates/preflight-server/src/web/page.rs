//! The page frame every screen shares: the document head, the navigation
//! of the signed-in person's role, the sign-out form, and error pages that
//! say what was wrong with what value.

use crate::web::session::Session;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use preflight_core::org::Role;

/// A page under construction: its title and who is looking.
#[derive(Debug)]
pub struct Page<'a> {
    title: String,
    session: Option<&'a Session>,
}

impl<'a> Page<'a> {
    pub fn new(title: &str, session: Option<&'a Session>) -> Self {
        Self {
            title: title.to_owned(),
            session,
        }
    }

    /// The whole document with `body` as its main content.
    pub fn render(&self, body: Markup) -> Markup {
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " · Preflight" }
                    link rel="icon" href="data:,";
                    link rel="stylesheet" href="/static/app.css";
                    script src="/static/app.js" defer {}
                }
                body {
                    a class="skip" href="#main" { "Skip to content" }
                    header {
                        span class="brand" { "Preflight" }
                        @if let Some(s) = self.session {
                            nav aria-label="Main" {
                                @for (href, label) in links(s.caller.actor.role) {
                                    a href=(href) { (label) }
                                }
                            }
                            form method="post" action="/signout" class="signout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                span class="who" { (s.caller.user.name) " · " (role_name(s.caller.actor.role)) }
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                    main id="main" {
                        (body)
                    }
                }
            }
        }
    }

    pub fn respond(&self, body: Markup) -> Response {
        Html(self.render(body).into_string()).into_response()
    }
}

fn links(role: Role) -> Vec<(&'static str, &'static str)> {
    match role {
        Role::Developer | Role::GovernmentEvaluator | Role::TrustedPartner | Role::Admin => {
            vec![("/home", "Reviews")]
        }
        Role::ClearinghouseAnalyst => vec![("/assessments", "Assessments")],
        Role::Operator => vec![("/advisories", "Advisories")],
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Developer => "developer",
        Role::GovernmentEvaluator => "government evaluator",
        Role::TrustedPartner => "trusted partner",
        Role::ClearinghouseAnalyst => "clearinghouse analyst",
        Role::Operator => "operator",
    }
}

/// A refusal to show as a page: status, title and what was wrong.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    title: &'static str,
    message: String,
}

impl Refusal {
    /// The same refusal with `prefix` before the field it names
    /// (`invalid window...` becomes `invalid terms.window...`).
    pub fn prefixed(mut self, prefix: &str) -> Self {
        if let Some(rest) = self.message.strip_prefix("invalid ") {
            self.message = format!("invalid {prefix}{rest}");
        }
        self
    }

    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
        }
    }
}

/// An API refusal as a page: the same status and message.
impl From<crate::ApiError> for Refusal {
    fn from(err: crate::ApiError) -> Self {
        let status = err.status();
        let title = match status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::CONFLICT => "Not possible now",
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "Check the form",
            _ => "Something went wrong",
        };
        Self::new(status, title, err.message())
    }
}

/// A form field that does not fit (422), naming the field and value.
pub fn invalid(message: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, "Check the form", message)
}

/// A form's fields as the body an API handler takes; a value that does not
/// fit is refused naming its field.
/// A credential's value is never repeated back.
pub fn api_body<T: serde::de::DeserializeOwned>(fields: serde_json::Value) -> Result<T, Refusal> {
    serde_path_to_error::deserialize(&fields).map_err(|e| {
        let field = e.path().to_string();
        let secret = ["credential", "password", "secret", "token"]
            .iter()
            .any(|s| field.contains(s));
        let why = if secret {
            "not a valid value".to_owned()
        } else {
            e.inner().to_string()
        };
        invalid(format!("invalid {field}: {why}"))
    })
}

/// A `datetime-local` field's value as RFC 3339: the browser sends no
/// zone, and the forms say UTC.
pub fn utc_from_form(text: &str) -> String {
    let text = text.trim();
    if text.len() == 16 {
        format!("{text}:00Z")
    } else {
        text.to_owned()
    }
}

/// Where the browser goes after a form was taken.
pub fn see_other(to: impl Into<String>) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, to.into())],
    )
        .into_response()
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error_page(self.status, self.title, &self.message)
    }
}

/// A page that says what went wrong, with `status`.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let page = Page::new(title, None);
    let body = html! {
        h1 { (title) }
        p role="alert" class="alert" { (message) }
        p { a href="/home" { "Back to your page" } }
    };
    (status, Html(page.render(body).into_string())).into_response()
}

/// An API refusal as a page: the same status and message.
pub fn api_error_page(err: crate::ApiError) -> Response {
    Refusal::from(err).into_response()
}
