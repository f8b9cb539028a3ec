//! The web interface over plain HTTP: password sign-in with its own CSRF
//! token, session cookies that scripts cannot read, a CSRF token on every
//! form, throttled failures, and reviews closed to operators.

use crate::harness::Harness;
use crate::world::{At, Lab, Who, World};
use chrono::Utc;
use preflight_core::event::{Event, EventKind};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::json;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn set_password(h: &Harness, email: &str, password: &str) {
    let user = h
        .store
        .user_by_email(email)
        .await
        .expect("store")
        .expect("person");
    let hash = preflight_server::web::signin::hash_password(password).expect("hash");
    let event = Event::new(
        EventKind::PasswordSet,
        None,
        None,
        Utc::now(),
        json!({ "user_id": user.id }),
    );
    h.store
        .set_password(user.id, &hash, Utc::now(), &event)
        .await
        .expect("set password");
}

/// A cookie set by `resp`, as `name=value`, with its attributes.
fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn hidden_csrf(html: &str) -> String {
    let at =
        html.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().expect("value").to_owned()
}

/// Signs in; returns the session cookie (`preflight_session=...`).
async fn sign_in(h: &Harness, email: &str, password: &str) -> reqwest::Response {
    let c = client();
    let form = c
        .get(format!("{}/signin", h.base_url()))
        .send()
        .await
        .expect("GET /signin");
    assert_eq!(form.status(), StatusCode::OK);
    let pre = set_cookie(&form, "preflight_signin").expect("the sign-in form's cookie");
    let pre = pre.split(';').next().expect("pair").to_owned();
    let csrf = hidden_csrf(&form.text().await.expect("body"));
    c.post(format!("{}/signin", h.base_url()))
        .header(COOKIE, pre)
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .expect("POST /signin")
}

async fn sessions_and_csrf(h: &Harness) {
    let w = World::build(h).await;
    let review = w.review(h, Lab::Own, At::PartnerPhase).await;
    let person = w.person(Who::DevOwn).expect("developer");
    let email = h
        .get(&crate::harness::api("/me"), Some(&person.token))
        .await
        .str("email");
    set_password(h, &email, "correct horse battery staple").await;

    // Wrong passwords are refused, then throttled.
    for _ in 0..5 {
        let bad = sign_in(h, &email, "wrong password").await;
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
        assert!(bad.text().await.expect("body").contains("role=\"alert\""));
    }
    let throttled = sign_in(h, &email, "correct horse battery staple").await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);

    // Another person signs in.
    let gov = w.person(Who::Gov).expect("gov");
    let gov_email = h
        .get(&crate::harness::api("/me"), Some(&gov.token))
        .await
        .str("email");
    set_password(h, &gov_email, "another long password").await;
    let ok = sign_in(h, &gov_email, "another long password").await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&ok, "preflight_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let session = cookie.split(';').next().expect("pair").to_owned();
    let c = client();
    let home = c
        .get(format!("{}/home", h.base_url()))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("home");
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.expect("body");
    assert!(html.contains("<h1>Review queue</h1>"), "{html}");
    assert!(
        html.contains(&format!("/reviews/{}", review.id)),
        "the queue lists the review"
    );
    let csrf = hidden_csrf(&html);

    // A form without the session's CSRF token is refused and changes nothing.
    let events = h.event_count().await;
    let forged = c
        .post(format!("{}/reviews/{}/transition", h.base_url(), review.id))
        .header(COOKIE, &session)
        .form(&[("action", "start_partner_phase")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let wrong = c
        .post(format!("{}/signout", h.base_url()))
        .header(COOKIE, &session)
        .form(&[("csrf", "not-the-token")])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(h.event_count().await, events);

    // An operator never opens a review.
    let op = w.person(Who::Operator).expect("operator");
    let op_email = h
        .get(&crate::harness::api("/me"), Some(&op.token))
        .await
        .str("email");
    set_password(h, &op_email, "operator long password").await;
    let op_session = sign_in(h, &op_email, "operator long password").await;
    let op_cookie = set_cookie(&op_session, "preflight_session").expect("cookie");
    let op_cookie = op_cookie.split(';').next().expect("pair").to_owned();
    let denied = c
        .get(format!("{}/reviews/{}", h.base_url(), review.id))
        .header(COOKIE, &op_cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);

    // Signing out with the token ends the session.
    let out = c
        .post(format!("{}/signout", h.base_url()))
        .header(COOKIE, &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = c
        .get(format!("{}/home", h.base_url()))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("home");
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "a closed session signs in again"
    );
}

on_both_backends!(sessions_and_csrf => sqlite_sessions_and_csrf, postgres_sessions_and_csrf);
