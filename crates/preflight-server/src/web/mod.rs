//! The web interface served by `preflight serve`: pages rendered on the
//! server (maud), every asset in the binary, sessions by cookie with a
//! CSRF token on every form. Pages call the API's own handlers, so the
//! same rules decide what each person sees and may do.

mod clearinghouse;
mod evaluations;
mod home;
pub mod page;
mod review;
pub mod session;
pub mod signin;
pub mod terms;
mod verify;

use crate::AppState;
use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::routing::{get, post};

/// Settings of the web interface.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// Mark cookies `Secure` (browsers then send them only over HTTPS, and
    /// to `localhost`). Off only for an instance served over plain HTTP on
    /// another host name.
    pub secure_cookies: bool,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            secure_cookies: true,
        }
    }
}

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::root))
        .route("/signin", get(signin::show).post(signin::submit))
        .route("/signout", post(signin::sign_out))
        .route("/home", get(home::home))
        .route("/submissions", post(home::create_submission))
        .route("/reviews/{id}", get(review::show))
        .route("/reviews/{id}/transition", post(review::transition))
        .route("/reviews/{id}/gateway-token", post(review::create_token))
        .route("/reviews/{id}/findings", post(review::file_finding))
        .route(
            "/reviews/{id}/findings/{finding}/answer",
            post(review::answer),
        )
        .route(
            "/reviews/{id}/findings/{finding}/escalate",
            post(review::escalate),
        )
        .route("/reviews/{id}/terms", post(terms::propose))
        .route("/reviews/{id}/terms/{version}/sign", post(terms::sign))
        .route("/reviews/{id}/evaluations", post(evaluations::queue))
        .route("/assessments", get(clearinghouse::list))
        .route("/assessments/{id}", get(clearinghouse::show))
        .route("/assessments/{id}/publish", post(clearinghouse::publish))
        .route(
            "/assessments/{id}/report-state",
            post(clearinghouse::report_state),
        )
        .route("/assessments/{id}/embargo", post(clearinghouse::embargo))
        .route("/advisories", get(clearinghouse::advisories))
        .route(
            "/static/app.css",
            get(|| async {
                (
                    [
                        (CONTENT_TYPE, "text/css; charset=utf-8"),
                        (CACHE_CONTROL, "max-age=3600"),
                    ],
                    CSS,
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [
                        (CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (CACHE_CONTROL, "max-age=3600"),
                    ],
                    JS,
                )
            }),
        )
}
