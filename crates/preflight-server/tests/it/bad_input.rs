//! Bad input is refused with a 4xx whose message names the field and the
//! value sent, and leaves the store exactly as it was.

use crate::harness::{Harness, Resp, api};
use crate::world::{At, Lab, Review, Who, World, rfc3339};
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::SigningKey;
use reqwest::Method;
use serde_json::{Value, json};

/// What a refusal must say.
struct Refusal<'a> {
    status: u16,
    code: &'a str,
    /// The field `error.field` and the message name.
    field: &'a str,
    /// The value sent, in any of these spellings.
    value: &'a [String],
}

/// Everything a refused request could have changed.
async fn state(h: &Harness, w: &World, review: &Review) -> Vec<Value> {
    let admin = w.token(Who::Admin);
    let mut out = vec![json!(h.event_count().await)];
    for path in [
        api("/submissions"),
        api("/orgs"),
        api("/users"),
        review.path(""),
        review.path("/terms"),
    ] {
        out.push(h.get(&path, admin).await.expect(200).clone());
    }
    out
}

/// Checks one refusal: status, code, and a message naming the field and the value.
fn check(what: &str, resp: &Resp, want: Refusal<'_>) {
    assert_eq!(
        resp.status, want.status,
        "{what}: status; body {}",
        resp.text
    );
    let error = &resp.json["error"];
    assert_eq!(error["code"], want.code, "{what}: code; body {}", resp.text);
    assert_eq!(
        error["field"], want.field,
        "{what}: error.field; body {}",
        resp.text
    );
    let message = resp.message();
    assert!(
        message.contains(want.field),
        "{what}: the message does not name the field {:?}: {message}",
        want.field
    );
    assert!(
        want.value.iter().any(|v| message.contains(v.as_str())),
        "{what}: the message does not name the value (any of {:?}): {message}",
        want.value
    );
}

/// An instant as sent (RFC 3339) and as a message may print it.
fn spellings(t: DateTime<Utc>) -> Vec<String> {
    vec![rfc3339(t), t.to_string(), t.to_rfc3339()]
}

async fn bad_input_is_refused_and_changes_nothing(h: &Harness) {
    let w = World::build(h).await;
    let review = w.review(h, Lab::Own, At::Submitted).await;
    let dev = w.token(Who::DevOwn);
    let admin = w.token(Who::Admin);
    let terms = review.path("/terms");

    let before = state(h, &w, &review).await;
    let unchanged = |after: Vec<Value>, what: &str| {
        assert!(after == before, "{what}: the store changed");
    };

    // A window longer than 30 days.
    let opens = review.release - Duration::days(31);
    let mut body = w.terms_body(Lab::Own, review.release);
    body["window"]["opens_at"] = json!(rfc3339(opens));
    body["partner_window"]["start"] = json!(rfc3339(opens));
    let resp = h.post(&terms, dev, body).await;
    check(
        "31-day window",
        &resp,
        Refusal {
            status: 422,
            code: "invalid_field",
            field: "window.opens_at",
            value: &spellings(opens),
        },
    );
    unchanged(state(h, &w, &review).await, "31-day window");

    // A window ending after the release.
    let ends = review.release + Duration::hours(1);
    let mut body = w.terms_body(Lab::Own, review.release);
    body["window"]["ends_at"] = json!(rfc3339(ends));
    body["partner_window"]["end"] = json!(rfc3339(ends));
    let resp = h.post(&terms, dev, body).await;
    check(
        "window past the release",
        &resp,
        Refusal {
            status: 422,
            code: "invalid_field",
            field: "window.ends_at",
            value: &spellings(ends),
        },
    );
    unchanged(state(h, &w, &review).await, "window past the release");

    // Partners who may not be assigned: unvetted, conflicted, lapsed.
    for (what, org) in [
        ("unvetted partner", &w.orgs.pending_partner),
        ("conflicted partner", &w.orgs.conflicted_partner),
        ("expired partner", &w.orgs.expired_partner),
    ] {
        let mut body = w.terms_body(Lab::Own, review.release);
        body["partner_access"]["organisations"] = json!([org]);
        let resp = h.post(&terms, dev, body).await;
        check(
            what,
            &resp,
            Refusal {
                status: 422,
                code: "invalid_field",
                field: "partner_access.organisations",
                value: std::slice::from_ref(org),
            },
        );
        unchanged(state(h, &w, &review).await, what);
    }

    // Malformed dates and an unknown enum value.
    for sent in ["2026-13-45", "not-a-date"] {
        let mut body = w.submission_body(review.release);
        body["planned_release_at"] = json!(sent);
        let resp = h.post(&api("/submissions"), dev, body).await;
        check(
            sent,
            &resp,
            Refusal {
                status: 422,
                code: "invalid_field",
                field: "planned_release_at",
                value: &[sent.to_owned()],
            },
        );
        unchanged(state(h, &w, &review).await, sent);
    }
    let resp = h
        .post(
            &api("/orgs"),
            admin,
            json!({ "name": "Aliens", "kind": "alien" }),
        )
        .await;
    check(
        "kind alien",
        &resp,
        Refusal {
            status: 422,
            code: "invalid_field",
            field: "kind",
            value: &["alien".to_owned()],
        },
    );
    unchanged(state(h, &w, &review).await, "kind alien");
    let mut body = w.submission_body(review.release);
    body["upstream"]["kind"] = json!("carrier_pigeon");
    let resp = h.post(&api("/submissions"), dev, body).await;
    check(
        "upstream.kind carrier_pigeon",
        &resp,
        Refusal {
            status: 422,
            code: "invalid_field",
            field: "upstream.kind",
            value: &["carrier_pigeon".to_owned()],
        },
    );
    unchanged(state(h, &w, &review).await, "upstream.kind");

    // Not JSON at all.
    let req = h
        .request(Method::POST, &api("/orgs"))
        .bearer_auth(&w.admin.token)
        .header("content-type", "text/plain")
        .body("name=Aliens&kind=developer_lab");
    let resp = h.send(Method::POST, &api("/orgs"), req).await;
    assert_eq!(resp.expect(415)["error"]["code"], "unsupported_media_type");
    let req = h
        .request(Method::POST, &api("/orgs"))
        .bearer_auth(&w.admin.token)
        .header("content-type", "application/json")
        .body("{\"name\": \"Aliens\",");
    let resp = h.send(Method::POST, &api("/orgs"), req).await;
    assert_eq!(resp.expect(400)["error"]["code"], "bad_request");
    unchanged(state(h, &w, &review).await, "non-JSON bodies");

    // A malformed id in the path.
    for path in [
        api("/submissions/not-a-uuid"),
        api("/orgs/12345"),
        api(&format!("/submissions/{}/findings/nope", review.id)),
    ] {
        let resp = h.get(&path, admin).await;
        assert_eq!(resp.expect(400)["error"]["code"], "bad_request", "{path}");
        let bad = path.rsplit('/').next().unwrap_or_default();
        assert!(resp.message().contains(bad), "{path}: {}", resp.text);
    }
    let resp = h
        .call(
            Method::POST,
            &api("/submissions/not-a-uuid/transitions"),
            dev,
            Some(&json!({ "action": "withdraw" })),
        )
        .await;
    resp.expect(400);
    unchanged(state(h, &w, &review).await, "malformed ids");

    // Terms signed with a key other than the one registered.
    h.post(&terms, dev, w.terms_body(Lab::Own, review.release))
        .await
        .expect(201);
    let before_signing = state(h, &w, &review).await;
    let stranger = SigningKey::generate(&mut rand::rngs::OsRng);
    let signature = w.signature(h, &review.id, 1, &stranger).await;
    let resp = h
        .post(
            &review.path("/terms/1/signatures"),
            dev,
            json!({ "side": "developer", "signature": signature }),
        )
        .await;
    assert_eq!(resp.status, 422, "{}", resp.text);
    assert_eq!(resp.json["error"]["code"], "bad_signature", "{}", resp.text);
    assert_eq!(resp.json["error"]["field"], "signature", "{}", resp.text);
    assert!(resp.message().contains("version 1"), "{}", resp.text);
    assert!(
        state(h, &w, &review).await == before_signing,
        "a bad signature changed the store"
    );
    let version = h.get(&review.path("/terms/1"), dev).await;
    assert_eq!(
        version.expect(200)["signatures"],
        json!([]),
        "no signature is stored"
    );
    let sub = h.get(&review.path(""), dev).await;
    assert_eq!(sub.expect(200)["stage"], "submitted");
    // Garbage in the signature field is named with its value.
    let resp = h
        .post(
            &review.path("/terms/1/signatures"),
            dev,
            json!({ "side": "developer", "signature": "not base64!" }),
        )
        .await;
    check(
        "garbage signature",
        &resp,
        Refusal {
            status: 422,
            code: "invalid_field",
            field: "signature",
            value: &["not base64!".to_owned()],
        },
    );
    assert!(
        state(h, &w, &review).await == before_signing,
        "a garbage signature changed the store"
    );
}

on_both_backends!(bad_input_is_refused_and_changes_nothing => sqlite_bad_input, postgres_bad_input);
