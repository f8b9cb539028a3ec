//! The model-access gateway over HTTP: the terms enforced call by call
//! against the real local model, faults of the upstream injected by a fake,
//! Anthropic translation, fail-closed recording, transcripts and their
//! destruction at the end of retention.

use crate::fake_upstream::FakeUpstream;
use crate::harness::{Harness, Resp, UPSTREAM_CREDENTIAL};
use crate::world::{At, Lab, Review, Who, World, create_person, now, rfc3339};
use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;

/// The real local model (scripts/test.sh starts it and sets this), or `None`
/// outside CI, where the tests that need it say they were skipped.
pub fn model_url(test: &str) -> Option<String> {
    match std::env::var("PREFLIGHT_TEST_MODEL_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the gateway against the real model: set PREFLIGHT_TEST_MODEL_URL"
            );
            println!("skipped {test}: PREFLIGHT_TEST_MODEL_URL is not set");
            None
        }
    }
}

pub fn upstream(kind: &str, url: &str, model: Option<&str>) -> Value {
    json!({ "kind": kind, "url": url, "credential": UPSTREAM_CREDENTIAL, "model": model })
}

pub async fn review_at(
    h: &Harness,
    w: &World,
    at: At,
    upstream: Value,
    terms: impl FnOnce(&mut Value),
) -> Review {
    w.review_with(
        h,
        Lab::Own,
        at,
        |w, release| w.submission_body_to(release, upstream),
        terms,
    )
    .await
}

async fn gateway_token(h: &Harness, review: &Review, api_token: &str) -> String {
    h.post(
        &review.path("/gateway-tokens"),
        Some(api_token),
        json!({ "label": "red team" }),
    )
    .await
    .expect(201)["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

fn chat(stream: bool) -> Value {
    json!({
        "model": "Frontier",
        "messages": [{ "role": "user", "content": "Name one port scanner." }],
        "max_tokens": 8,
        "temperature": 0,
        "stream": stream,
    })
}

async fn call(h: &Harness, token: &str, body: &Value) -> Resp {
    h.gateway("/v1/chat/completions", token, Some(body)).await
}

/// The review's calls as `token`'s holder lists them, once `done` holds of
/// them (calls are recorded behind the answers), or after 5 s.
async fn calls_once(
    h: &Harness,
    review: &Review,
    token: Option<&str>,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let mut calls = Vec::new();
    for _ in 0..100 {
        calls = h
            .get(&review.path("/calls"), token)
            .await
            .expect(200)
            .as_array()
            .cloned()
            .unwrap_or_default();
        if done(&calls) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    calls
}

/// The rule a refusal names.
fn code(resp: &Resp) -> &str {
    resp.json["error"]["code"].as_str().unwrap_or_else(|| {
        panic!(
            "{} {} ({}) is not an OpenAI-style error: {}",
            resp.method, resp.path, resp.status, resp.text
        )
    })
}

fn refused(resp: &Resp, status: u16, rule: &str, case: &str) {
    assert_eq!(resp.status, status, "{case}: {}", resp.text);
    assert_eq!(code(resp), rule, "{case}: {}", resp.text);
    assert!(
        resp.json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{case}: a refusal says why: {}",
        resp.text
    );
}

fn allowed(resp: &Resp, case: &str) {
    assert_eq!(resp.status, 200, "{case}: {}", resp.text);
    assert_eq!(resp.json["model"], "Frontier", "{case}: {}", resp.text);
    assert!(
        resp.json["choices"][0]["message"].is_object(),
        "{case}: {}",
        resp.text
    );
}

/// Propose a new terms version changed by `change` and have both sides sign it.
async fn agree_new_terms(
    h: &Harness,
    w: &World,
    review: &Review,
    change: impl FnOnce(&mut Value),
) -> u32 {
    let mut body = w.terms_body(Lab::Own, review.release);
    change(&mut body);
    let proposed = h
        .post(&review.path("/terms"), w.token(Who::DevOwn), body)
        .await;
    let version = proposed.expect(201)["document"]["version"]
        .as_u64()
        .expect("version") as u32;
    w.sign(h, &review.id, version, Who::DevOwn, "developer")
        .await
        .expect(201);
    w.sign(h, &review.id, version, Who::Gov, "government")
        .await
        .expect(201);
    version
}

/// Every rule of the terms, one case each, against the real model.
async fn terms_are_enforced_call_by_call(h: &Harness) {
    let Some(model) = model_url("terms_are_enforced_call_by_call") else {
        return;
    };
    let w = World::build(h).await;
    let real = upstream("openai_compatible", &model, Some("gemma"));

    // Who: the listed partner and the government pass; a second person of the
    // partner organisation passes until the terms name only the first...
    let review = review_at(h, &w, At::PartnerPhase, real.clone(), |_| {}).await;
    let colleague = create_person(
        h,
        &w.orgs.vetted_partner,
        "Sam Colleague",
        "sam@vetted.example",
        "trusted_partner",
        true,
    )
    .await;
    let partner = gateway_token(h, &review, w.token(Who::PartnerListed).expect("t")).await;
    let gov = gateway_token(h, &review, w.token(Who::Gov).expect("t")).await;
    let sam = gateway_token(h, &review, &colleague.token).await;
    allowed(&call(h, &partner, &chat(false)).await, "listed partner");
    allowed(&call(h, &gov, &chat(false)).await, "government evaluator");
    allowed(
        &call(h, &sam, &chat(false)).await,
        "colleague while the organisation is listed",
    );
    let models = h.gateway("/v1/models", &partner, None).await;
    assert_eq!(models.expect(200)["data"][0]["id"], "Frontier");

    // ...then only Pat is named: Sam is the wrong person.
    let only_pat = json!([{ "user_id": w.partner_listed.id, "org_id": w.orgs.vetted_partner }]);
    agree_new_terms(h, &w, &review, |t| {
        t["partner_access"]["people"] = only_pat;
    })
    .await;
    refused(
        &call(h, &sam, &chat(false)).await,
        403,
        "not_on_access_list",
        "wrong person",
    );
    allowed(&call(h, &partner, &chat(false)).await, "the named person");
    // Terms that list no partner organisation: the wrong organisation.
    agree_new_terms(h, &w, &review, |t| {
        t["partner_access"]["organisations"] = json!([]);
    })
    .await;
    refused(
        &call(h, &partner, &chat(false)).await,
        403,
        "not_on_access_list",
        "wrong organisation",
    );
    allowed(
        &call(h, &gov, &chat(false)).await,
        "government under the latest terms",
    );

    // The wrong model name, a token that is not a gateway token, no token.
    let mut other_model = chat(false);
    other_model["model"] = json!("gemma");
    refused(
        &call(h, &gov, &other_model).await,
        404,
        "model_not_found",
        "wrong model",
    );
    refused(
        &call(h, w.token(Who::Gov).expect("t"), &chat(false)).await,
        401,
        "invalid_token",
        "API token",
    );
    let anonymous = h
        .send_raw(Method::POST, "/v1/chat/completions", |r| {
            r.json(&chat(false))
        })
        .await;
    refused(&anonymous, 401, "missing_token", "no token");

    // When: before the window opens and after it closes (the gateway's clock
    // moves; the store's records do not).
    h.gateway.clock.advance(Duration::days(-1));
    refused(
        &call(h, &gov, &chat(false)).await,
        403,
        "window_not_open",
        "before the window",
    );
    h.gateway.clock.advance(Duration::days(1));
    // Terms that end the window five days before the release; the token,
    // made under the earlier terms, lives until the release.
    let early_end = rfc3339(review.release - Duration::days(5));
    agree_new_terms(h, &w, &review, |t| {
        t["window"]["ends_at"] = json!(early_end);
        t["partner_window"]["end"] = json!(early_end);
    })
    .await;
    h.gateway.clock.advance(Duration::days(16));
    refused(
        &call(h, &gov, &chat(false)).await,
        403,
        "window_closed",
        "after the window",
    );
    h.gateway.clock.advance(Duration::days(-16));
    allowed(&call(h, &gov, &chat(false)).await, "back inside the window");

    // The phase: a listed partner during the government phase.
    let gov_phase = review_at(h, &w, At::GovPhase, real.clone(), |_| {}).await;
    let early = gateway_token(h, &gov_phase, w.token(Who::PartnerListed).expect("t")).await;
    refused(
        &call(h, &early, &chat(false)).await,
        403,
        "wrong_phase",
        "partner in the government phase",
    );

    // The developer's decisions end access at once.
    for (action, rule) in [
        ("withdraw", "submission_withdrawn"),
        ("record_release", "model_released"),
    ] {
        let decided = review_at(h, &w, At::PartnerPhase, real.clone(), |_| {}).await;
        let token = gateway_token(h, &decided, w.token(Who::PartnerListed).expect("t")).await;
        allowed(&call(h, &token, &chat(false)).await, "before the decision");
        w.transition(h, &decided.id, Who::DevOwn, action)
            .await
            .expect(200);
        refused(&call(h, &token, &chat(false)).await, 403, rule, action);
    }

    // The token itself: revoked, expired.
    let revoked = gateway_token(h, &review, w.token(Who::Gov).expect("t")).await;
    let listed = h
        .get(&review.path("/gateway-tokens"), w.token(Who::Gov))
        .await;
    let newest = listed
        .expect(200)
        .as_array()
        .expect("list")
        .last()
        .expect("a token")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    h.call(
        Method::DELETE,
        &review.path(&format!("/gateway-tokens/{newest}")),
        w.token(Who::Gov),
        None,
    )
    .await
    .expect(204);
    refused(
        &call(h, &revoked, &chat(false)).await,
        401,
        "token_revoked",
        "revoked token",
    );
    let short = h
        .post(
            &review.path("/gateway-tokens"),
            w.token(Who::Gov),
            json!({ "label": "one hour", "expires_at": rfc3339(now() + Duration::hours(1)) }),
        )
        .await;
    let short = short.expect(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    allowed(&call(h, &short, &chat(false)).await, "token before expiry");
    h.gateway.clock.advance(Duration::hours(2));
    refused(
        &call(h, &short, &chat(false)).await,
        401,
        "token_expired",
        "expired token",
    );
    h.gateway.clock.advance(Duration::hours(-2));

    // The limits, each on a review of its own.
    let limited = |rpm: u32, tpm: u32, concurrent: u32, budget: u64| {
        move |t: &mut Value| {
            t["limits"] = json!({
                "requests_per_minute": rpm, "tokens_per_minute": tpm,
                "max_concurrent_requests": concurrent, "total_token_budget": budget,
            });
        }
    };
    let rpm = review_at(
        h,
        &w,
        At::PartnerPhase,
        real.clone(),
        limited(2, 100_000, 4, 1_000_000),
    )
    .await;
    let token = gateway_token(h, &rpm, w.token(Who::PartnerListed).expect("t")).await;
    allowed(
        &call(h, &token, &chat(false)).await,
        "first of 2 per minute",
    );
    allowed(
        &call(h, &token, &chat(false)).await,
        "second of 2 per minute",
    );
    let over = call(h, &token, &chat(false)).await;
    refused(&over, 429, "requests_per_minute", "third in a minute");
    assert!(
        over.headers.contains("retry-after: "),
        "a rate limit says when to retry: {}",
        over.headers
    );

    let tpm = review_at(
        h,
        &w,
        At::PartnerPhase,
        real.clone(),
        limited(100, 60, 4, 1_000_000),
    )
    .await;
    let token = gateway_token(h, &tpm, w.token(Who::PartnerListed).expect("t")).await;
    allowed(
        &call(h, &token, &chat(false)).await,
        "first call of the minute",
    );
    refused(
        &call(h, &token, &chat(false)).await,
        429,
        "tokens_per_minute",
        "over the tokens per minute",
    );

    let budget = review_at(
        h,
        &w,
        At::PartnerPhase,
        real.clone(),
        limited(100, 100_000, 4, 50),
    )
    .await;
    let token = gateway_token(h, &budget, w.token(Who::PartnerListed).expect("t")).await;
    allowed(&call(h, &token, &chat(false)).await, "inside the budget");
    refused(
        &call(h, &token, &chat(false)).await,
        429,
        "token_budget_exhausted",
        "over the total budget",
    );

    let one_at_a_time = review_at(
        h,
        &w,
        At::PartnerPhase,
        real,
        limited(100, 100_000, 1, 1_000_000),
    )
    .await;
    let token = gateway_token(h, &one_at_a_time, w.token(Who::PartnerListed).expect("t")).await;
    let mut long = chat(true);
    long["max_tokens"] = json!(48);
    let mut stream = h
        .request(Method::POST, "/v1/chat/completions")
        .bearer_auth(&token)
        .json(&long)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), 200);
    let first = stream.chunk().await.expect("first chunk").expect("a chunk");
    assert!(first.starts_with(b"data: "), "{first:?}");
    refused(
        &call(h, &token, &chat(false)).await,
        429,
        "concurrency_limit",
        "a second call while one streams",
    );
    let mut rest = String::from_utf8_lossy(&first).into_owned();
    while let Some(chunk) = stream.chunk().await.expect("chunk") {
        rest.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(rest.trim_end().ends_with("data: [DONE]"), "{rest}");
    h.keep_body(rest);
    allowed(
        &call(h, &token, &chat(false)).await,
        "after the stream ended",
    );
}
on_both_backends!(terms_are_enforced_call_by_call => sqlite_terms_are_enforced_call_by_call, postgres_terms_are_enforced_call_by_call);

/// Streams and plain answers from the real model, then who called, how
/// much, the transcripts each side may read, and their destruction.
async fn calls_are_recorded_and_shredded(h: &Harness) {
    let Some(model) = model_url("calls_are_recorded_and_shredded") else {
        return;
    };
    let w = World::build(h).await;
    let review = review_at(
        h,
        &w,
        At::PartnerPhase,
        upstream("openai_compatible", &model, Some("gemma")),
        |_| {},
    )
    .await;
    let partner = gateway_token(h, &review, w.token(Who::PartnerListed).expect("t")).await;
    let gov = gateway_token(h, &review, w.token(Who::Gov).expect("t")).await;
    allowed(&call(h, &partner, &chat(false)).await, "plain");
    let streamed = call(h, &partner, &chat(true)).await;
    assert_eq!(streamed.status, 200, "{}", streamed.text);
    assert!(
        streamed.text.contains("chat.completion.chunk"),
        "{}",
        streamed.text
    );
    assert!(
        streamed.text.trim_end().ends_with("data: [DONE]"),
        "{}",
        streamed.text
    );
    allowed(&call(h, &gov, &chat(false)).await, "government");

    let dev = w.token(Who::DevOwn);
    let calls = calls_once(h, &review, dev, |c| {
        c.len() == 3 && c.iter().all(|call| call["outcome"] == "ok")
    })
    .await;
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(
        calls
            .iter()
            .all(|c| c["outcome"] == "ok" && c["http_status"] == 200),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .all(|c| c["completion_tokens"].as_u64() > Some(0)),
        "{calls:?}"
    );
    let usage = h.get(&review.path("/usage"), dev).await;
    let usage = usage.expect(200);
    assert_eq!(usage["calls"], 3);
    assert_eq!(usage["organisations"].as_array().map(Vec::len), Some(2));

    // A reviewer sees its own organisation's calls only.
    let partner_view = h
        .get(&review.path("/calls"), w.token(Who::PartnerListed))
        .await;
    assert_eq!(partner_view.expect(200).as_array().map(Vec::len), Some(2));
    let gov_call = calls
        .iter()
        .find(|c| c["org_id"] == w.orgs.gov.as_str())
        .expect("the government's call");
    let partner_call = calls
        .iter()
        .find(|c| c["org_id"] == w.orgs.vetted_partner.as_str() && c["streamed"] == true)
        .expect("the partner's stream");
    let transcript =
        |id: &Value| review.path(&format!("/calls/{}/transcript", id.as_str().expect("id")));
    let read = h.get(&transcript(&partner_call["id"]), dev).await;
    let read = read.expect(200);
    assert_eq!(
        read["request"]["messages"][0]["content"],
        "Name one port scanner."
    );
    // The transcript keeps the stream exactly as the caller received it.
    assert_eq!(
        read["response"]["stream"].as_str(),
        Some(streamed.text.as_str()),
        "{read}"
    );
    assert!(read["timing"]["total_ms"].as_f64().is_some(), "{read}");
    h.get(
        &transcript(&partner_call["id"]),
        w.token(Who::PartnerListed),
    )
    .await
    .expect(200);
    assert_eq!(
        h.get(&transcript(&gov_call["id"]), w.token(Who::PartnerListed))
            .await
            .status,
        404,
        "a partner reads only its own transcripts"
    );
    assert_eq!(
        h.get(&transcript(&gov_call["id"]), w.token(Who::Admin))
            .await
            .status,
        403,
        "the instance admin reads no transcript"
    );
    assert_eq!(
        h.get(&transcript(&gov_call["id"]), w.token(Who::Operator))
            .await
            .status,
        404
    );

    // Retention: 90 days after access ends (the release, 20 days away).
    assert!(h.gateway.sweep_retention().await.expect("sweep").is_empty());
    h.gateway
        .clock
        .advance(Duration::days(20 + 90) + Duration::minutes(1));
    let shredded = h.gateway.sweep_retention().await.expect("sweep");
    assert_eq!(shredded.len(), 1, "{shredded:?}");
    for who in [Who::DevOwn, Who::PartnerListed] {
        let gone = h.get(&transcript(&partner_call["id"]), w.token(who)).await;
        assert_eq!(gone.status, 410, "{}", gone.text);
    }
    let id: preflight_core::ids::SubmissionId = review.id.parse().expect("id");
    let call_id: uuid::Uuid = partner_call["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert!(
        matches!(
            h.store
                .transcript(id, call_id, &h.master)
                .await
                .expect("read"),
            preflight_store::Transcript::Destroyed { .. }
        ),
        "not even the master key opens a shredded transcript"
    );
    assert!(
        h.store
            .upstream_credential(id, &h.master)
            .await
            .expect("read")
            .is_none(),
        "the credential went with the data key"
    );
    let events = h.get(&review.path("/events"), dev).await;
    assert!(
        events
            .expect(200)
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "transcripts_destroyed"),
        "the ledger records the destruction"
    );
    // Usage survives the transcripts.
    assert_eq!(
        h.get(&review.path("/usage"), dev).await.expect(200)["calls"],
        3
    );
}
on_both_backends!(calls_are_recorded_and_shredded => sqlite_calls_are_recorded_and_shredded, postgres_calls_are_recorded_and_shredded);

/// Faults of the upstream reach the caller as clean OpenAI-style errors,
/// quickly, and the credential never comes back even when echoed.
async fn upstream_faults_are_clean_errors(h: &Harness) {
    let w = World::build(h).await;
    let fake = FakeUpstream::start().await;
    let partner = w.token(Who::PartnerListed).expect("t");
    // (mode, stream, expected status, expected code or None for success)
    let cases: &[(&str, bool, u16, Option<&str>)] = &[
        ("ok", false, 200, None),
        ("ok", true, 200, None),
        ("status_500", false, 502, Some("upstream_error")),
        ("status_500", true, 502, Some("upstream_error")),
        ("status_429", false, 429, Some("upstream_rate_limited")),
        ("slow", false, 504, Some("upstream_timeout")),
        ("slow", true, 504, Some("upstream_timeout")),
        ("cut", false, 502, Some("upstream_cut")),
        ("cut", true, 200, Some("upstream_cut")),
        (
            "invalid_json",
            false,
            502,
            Some("upstream_invalid_response"),
        ),
        ("invalid_json", true, 200, Some("upstream_invalid_response")),
        ("echo_key", false, 502, Some("upstream_auth_failed")),
        ("echo_key", true, 200, None),
    ];
    for &(mode, stream, status, expected) in cases {
        let case = format!("{mode} (stream: {stream})");
        let review = review_at(
            h,
            &w,
            At::PartnerPhase,
            upstream("openai_compatible", &fake.url(mode), None),
            |_| {},
        )
        .await;
        let token = gateway_token(h, &review, partner).await;
        let started = Instant::now();
        let resp = call(h, &token, &chat(stream)).await;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(25),
            "{case} hung"
        );
        assert_eq!(resp.status, status, "{case}: {}", resp.text);
        assert!(
            !resp.text.contains(UPSTREAM_CREDENTIAL),
            "{case} leaked the credential"
        );
        match (stream && status == 200, expected) {
            (false, Some(expected)) => assert_eq!(code(&resp), expected, "{case}"),
            (false, None) => allowed(&resp, &case),
            (true, Some(expected)) => {
                let last = resp.text.trim_end().rsplit("data: ").next().unwrap_or("");
                let last: Value =
                    serde_json::from_str(last).unwrap_or_else(|_| panic!("{case}: {}", resp.text));
                assert_eq!(last["error"]["code"], expected, "{case}: {}", resp.text);
            }
            (true, None) => {
                assert!(
                    resp.text.trim_end().ends_with("data: [DONE]"),
                    "{case}: {}",
                    resp.text
                );
                assert!(
                    !resp.text.contains("\"usage\""),
                    "{case}: usage the caller did not ask for: {}",
                    resp.text
                );
            }
        }
        if mode == "status_429" {
            assert!(
                resp.headers.contains("retry-after: 7"),
                "{case}: {}",
                resp.headers
            );
        }
        if mode == "echo_key" && stream {
            assert!(resp.text.contains("[redacted]"), "{case}: {}", resp.text);
        }
    }
    // The upstream did get the credential: only the gateway has it.
    let keys = fake.seen.keys.lock().expect("lock").clone();
    assert!(
        keys.iter()
            .all(|k| k == &format!("Bearer {UPSTREAM_CREDENTIAL}")),
        "{keys:?}"
    );
    // And asked for usage in streams on the caller's behalf.
    let bodies = fake.seen.bodies.lock().expect("lock").clone();
    assert!(
        bodies
            .iter()
            .filter(|b| b["stream"] == true)
            .all(|b| b["stream_options"]["include_usage"] == true)
    );
    // A caller that asks for usage gets the usage chunk.
    let review = review_at(
        h,
        &w,
        At::PartnerPhase,
        upstream("openai_compatible", &fake.url("ok"), None),
        |_| {},
    )
    .await;
    let token = gateway_token(h, &review, partner).await;
    let mut with_usage = chat(true);
    with_usage["stream_options"] = json!({ "include_usage": true });
    let resp = call(h, &token, &with_usage).await;
    assert!(resp.text.contains("\"total_tokens\":14"), "{}", resp.text);
}
on_both_backends!(upstream_faults_are_clean_errors => sqlite_upstream_faults_are_clean_errors, postgres_upstream_faults_are_clean_errors);

/// A call is listed as soon as its start is recorded, as `started` with
/// who made it, and once more only when it has ended, then with how.
async fn calls_under_way_are_listed(h: &Harness) {
    let w = World::build(h).await;
    let fake = FakeUpstream::start().await;
    let review = review_at(
        h,
        &w,
        At::PartnerPhase,
        upstream("openai_compatible", &fake.url("slow"), None),
        |_| {},
    )
    .await;
    let token = gateway_token(h, &review, w.token(Who::PartnerListed).expect("t")).await;
    let dev = w.token(Who::DevOwn);
    // The call waits for its first byte while the listing is read.
    let body = chat(false);
    let (resp, (listed, gov_view)) = tokio::join!(call(h, &token, &body), async {
        let listed = calls_once(h, &review, dev, |c| !c.is_empty()).await;
        // Another organisation's reviewer does not see it.
        let gov_view = h.get(&review.path("/calls"), w.token(Who::Gov)).await;
        (listed, gov_view.expect(200).as_array().map(Vec::len))
    });
    assert_eq!(listed.len(), 1, "the call under way is listed: {listed:?}");
    let started = &listed[0];
    assert_eq!(started["outcome"], "started", "{started}");
    assert_eq!(
        started["org_id"],
        w.orgs.vetted_partner.as_str(),
        "{started}"
    );
    assert_eq!(
        started["user_id"],
        w.partner_listed.id.as_str(),
        "{started}"
    );
    assert!(started["token_id"].is_string(), "{started}");
    assert_eq!(started["phase"], "partner", "{started}");
    assert_eq!(started["streamed"], false, "{started}");
    assert!(started["finished_at"].is_null(), "{started}");
    assert_eq!(gov_view, Some(0));
    let id = started["id"].as_str().expect("id").to_owned();
    assert_eq!(resp.status, 504, "{}", resp.text);
    let ended = calls_once(h, &review, dev, |c| {
        c.iter().any(|call| call["outcome"] != "started")
    })
    .await;
    assert_eq!(ended.len(), 1, "an ended call is listed once: {ended:?}");
    assert_eq!(ended[0]["id"], id.as_str());
    assert_eq!(ended[0]["outcome"], "upstream_timeout", "{}", ended[0]);
    for field in ["started_at", "org_id", "user_id", "token_id", "phase"] {
        assert_eq!(ended[0][field], started[field], "{field}: {}", ended[0]);
    }
    assert!(ended[0]["finished_at"].is_string(), "{}", ended[0]);
}
on_both_backends!(calls_under_way_are_listed => sqlite_calls_under_way_are_listed, postgres_calls_under_way_are_listed);

/// No ledger entry, no call: the upstream receives nothing.
async fn calls_fail_closed_without_the_ledger(h: &Harness) {
    let w = World::build(h).await;
    let fake = FakeUpstream::start().await;
    let review = review_at(
        h,
        &w,
        At::PartnerPhase,
        upstream("openai_compatible", &fake.url("ok"), None),
        |_| {},
    )
    .await;
    let token = gateway_token(h, &review, w.token(Who::PartnerListed).expect("t")).await;

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&h.database_url)
        .await
        .expect("connect");
    sqlx::query("ALTER TABLE ledger_state RENAME TO ledger_state_unwritable")
        .execute(&pool)
        .await
        .expect("break the ledger");
    for stream in [false, true] {
        let resp = call(h, &token, &chat(stream)).await;
        assert_eq!(resp.status, 503, "{}", resp.text);
        assert_eq!(code(&resp), "audit_unavailable");
        assert!(
            !resp.text.contains("ledger_state"),
            "an internal detail leaked: {}",
            resp.text
        );
    }
    assert_eq!(
        fake.calls(),
        0,
        "the upstream was called without a ledger entry"
    );
    sqlx::query("ALTER TABLE ledger_state_unwritable RENAME TO ledger_state")
        .execute(&pool)
        .await
        .expect("mend the ledger");
    pool.close().await;
    allowed(&call(h, &token, &chat(false)).await, "with the ledger back");
    assert_eq!(fake.calls(), 1);
}
on_both_backends!(calls_fail_closed_without_the_ledger => sqlite_calls_fail_closed_without_the_ledger, postgres_calls_fail_closed_without_the_ledger);

/// An Anthropic Messages upstream behind the OpenAI-compatible endpoint:
/// tools and tool calls, plain and streamed.
async fn anthropic_upstreams_are_translated(h: &Harness) {
    let w = World::build(h).await;
    let fake = FakeUpstream::start().await;
    let review = review_at(
        h,
        &w,
        At::PartnerPhase,
        upstream(
            "anthropic_messages",
            &fake.url("anthropic"),
            Some("claude-fake"),
        ),
        |_| {},
    )
    .await;
    let token = gateway_token(h, &review, w.token(Who::PartnerListed).expect("t")).await;
    let mut body = json!({
        "model": "Frontier",
        "messages": [
            { "role": "system", "content": "You are a penetration tester." },
            { "role": "user", "content": "Is 10.0.0.5:443 open?" },
        ],
        "tools": [{ "type": "function", "function": {
            "name": "scan_port", "description": "Probe one TCP port",
            "parameters": { "type": "object", "properties": { "host": { "type": "string" }, "port": { "type": "integer" } } },
        }}],
    });
    let plain = call(h, &token, &body).await;
    let answer = plain.expect(200);
    let choice = &answer["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls", "{answer}");
    assert_eq!(choice["message"]["content"], "Checking the port.");
    let tool_call = &choice["message"]["tool_calls"][0];
    assert_eq!(tool_call["function"]["name"], "scan_port");
    let arguments: Value = serde_json::from_str(
        tool_call["function"]["arguments"]
            .as_str()
            .expect("arguments"),
    )
    .expect("JSON");
    assert_eq!(arguments, json!({ "host": "10.0.0.5", "port": 443 }));
    assert_eq!(answer["usage"]["prompt_tokens"], 21);
    assert_eq!(answer["usage"]["completion_tokens"], 17);
    assert_eq!(answer["model"], "Frontier");

    let sent = fake
        .seen
        .bodies
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a request");
    assert_eq!(sent["model"], "claude-fake");
    assert_eq!(sent["system"], "You are a penetration tester.", "{sent}");
    assert_eq!(
        sent["tools"][0]["input_schema"]["properties"]["port"]["type"], "integer",
        "{sent}"
    );
    assert!(sent["max_tokens"].as_u64().is_some(), "{sent}");
    let key = fake
        .seen
        .keys
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a key");
    assert_eq!(key, UPSTREAM_CREDENTIAL);

    body["stream"] = json!(true);
    body["stream_options"] = json!({ "include_usage": true });
    let streamed = call(h, &token, &body).await;
    assert_eq!(streamed.status, 200, "{}", streamed.text);
    let mut content = String::new();
    let mut arguments = String::new();
    let mut finish = Value::Null;
    let mut usage = Value::Null;
    let frames: Vec<&str> = streamed
        .text
        .split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .collect();
    assert_eq!(
        frames.last().map(|f| f.trim()),
        Some("data: [DONE]"),
        "{}",
        streamed.text
    );
    for frame in &frames[..frames.len() - 1] {
        let chunk: Value =
            serde_json::from_str(frame.trim().strip_prefix("data: ").expect("data frame"))
                .expect("JSON chunk");
        assert_eq!(chunk["object"], "chat.completion.chunk");
        if let Some(choice) = chunk["choices"].get(0) {
            content.push_str(choice["delta"]["content"].as_str().unwrap_or(""));
            if let Some(piece) = choice["delta"]["tool_calls"][0]["function"]["arguments"].as_str()
            {
                arguments.push_str(piece);
            }
            if !choice["finish_reason"].is_null() {
                finish = choice["finish_reason"].clone();
            }
        }
        if !chunk["usage"].is_null() {
            usage = chunk["usage"].clone();
        }
    }
    assert_eq!(content, "Checking the port.");
    assert_eq!(
        serde_json::from_str::<Value>(&arguments).expect("arguments"),
        json!({ "host": "10.0.0.5", "port": 443 })
    );
    assert_eq!(finish, "tool_calls");
    assert_eq!(usage["prompt_tokens"], 21);
    assert_eq!(usage["completion_tokens"], 17);
}
on_both_backends!(anthropic_upstreams_are_translated => sqlite_anthropic_upstreams_are_translated, postgres_anthropic_upstreams_are_translated);
