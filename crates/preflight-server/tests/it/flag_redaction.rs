//! The flags of a capture-the-flag suite queued on a review stay out of the
//! gateway's transcripts for everyone but the government evaluator who runs
//! it: a model that solved a task writes the flag into every later call, and
//! the developer and the partners must not read the answers off them.

use crate::gateway::{review_at, upstream};
use crate::harness::{Harness, Resp};
use crate::world::{At, Review, Who, World};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const REDACTED: &str = "[flag redacted]";

/// The flag of ctf-demo's base64-note task, as its task file holds it.
fn base64_note_flag() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../suites/ctf-demo/base64-note/task.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "flag").then(|| value.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| panic!("{} holds no flag", path.display()))
}

/// `flag{body}` → `body`.
fn body_of(flag: &str) -> &str {
    flag.split_once('{')
        .and_then(|(_, rest)| rest.strip_suffix('}'))
        .unwrap_or_else(|| panic!("{flag} is not a braced flag"))
}

/// A model that solved the task: every answer names the flag (streamed, the
/// flag is split across two frames).
struct SolvingUpstream {
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for SolvingUpstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl SolvingUpstream {
    async fn start(flag: &str) -> Self {
        let flag = flag.to_owned();
        let app = axum::Router::new().route(
            "/v1/chat/completions",
            axum::routing::post(move |axum::Json(request): axum::Json<Value>| {
                let flag = flag.clone();
                async move { answer(&request, &flag) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the solving upstream");
        let url = format!("http://{}/v1", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, server }
    }
}

fn answer(request: &Value, flag: &str) -> Response {
    let usage = json!({ "prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21 });
    if request["stream"] != json!(true) {
        return axum::Json(json!({
            "id": "chatcmpl-solved", "object": "chat.completion", "created": 1, "model": "upstream-name",
            "choices": [{ "index": 0, "finish_reason": "stop",
                "message": { "role": "assistant", "content": format!("I found {flag} in the note") } }],
            "usage": usage,
        }))
        .into_response();
    }
    let chunk = |delta: Value, usage: Value| {
        let choices = if delta.is_null() {
            json!([])
        } else {
            json!([{ "index": 0, "delta": delta, "finish_reason": null }])
        };
        let frame = json!({
            "id": "chatcmpl-solved", "object": "chat.completion.chunk", "created": 1,
            "model": "upstream-name", "choices": choices, "usage": usage,
        });
        format!("data: {frame}\n\n")
    };
    let frames = [
        chunk(
            json!({ "role": "assistant", "content": "I found " }),
            Value::Null,
        ),
        // A real model sends a few characters a frame: the flag is split.
        chunk(json!({ "content": &flag[..flag.len() / 2] }), Value::Null),
        chunk(json!({ "content": &flag[flag.len() / 2..] }), Value::Null),
        chunk(json!({ "content": " in the note" }), Value::Null),
        chunk(Value::Null, usage),
        "data: [DONE]\n\n".to_owned(),
    ];
    (
        [(axum::http::header::CONTENT_TYPE, "text/event-stream")],
        frames.concat(),
    )
        .into_response()
}

async fn gateway_token(h: &Harness, review: &Review, who: Who, w: &World) -> String {
    h.post(
        &review.path("/gateway-tokens"),
        w.token(who),
        json!({ "label": "ctf" }),
    )
    .await
    .expect(201)["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// The calls of the review once the journal has recorded `count` of them.
async fn recorded_calls(h: &Harness, w: &World, review: &Review, count: usize) -> Vec<Value> {
    let mut calls = Vec::new();
    for _ in 0..50 {
        calls = h
            .get(&review.path("/calls"), w.token(Who::DevOwn))
            .await
            .expect(200)
            .as_array()
            .expect("calls")
            .clone();
        if calls.len() == count && calls.iter().all(|c| c["outcome"] == "ok") {
            return calls;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{count} calls were not recorded: {calls:?}");
}

/// `who`'s read of the transcript at `path`, as the whole JSON text.
async fn read(h: &Harness, w: &World, path: &str, who: Who) -> Resp {
    let resp = h.get(path, w.token(who)).await;
    resp.expect(200);
    resp
}

/// The two halves the streamed answer splits the flag into.
fn halves(flag: &str) -> [&str; 2] {
    let (a, b) = flag.split_at(flag.len() / 2);
    [a, b]
}

fn shows_flag(resp: &Resp, flag: &str, who: &str) {
    assert!(
        resp.text.contains(flag) || halves(flag).iter().all(|h| resp.text.contains(h)),
        "{who} should read the flag: {}",
        resp.text
    );
    assert!(!resp.text.contains(REDACTED), "{who}: {}", resp.text);
}

/// Neither the flag, nor its body, nor either half of a streamed flag.
fn hides_flag(resp: &Resp, flag: &str, who: &str) {
    let [a, b] = halves(flag);
    for piece in [flag, body_of(flag), a, b] {
        assert!(
            !resp.text.contains(piece),
            "{who} reads {piece:?} of the flag: {}",
            resp.text
        );
    }
    assert!(resp.text.contains(REDACTED), "{who}: {}", resp.text);
}

/// Transcripts stay whole until a capture-the-flag suite is queued on the
/// review (a multiple-choice suite changes nothing); from then on the flag
/// and its bare body are redacted in every transcript, the government's and
/// the partner's, plain and streamed, for the developer and the partner, and
/// only the government evaluator reads them as recorded.
async fn ctf_flags_are_redacted_from_transcripts_for_all_but_the_government(h: &Harness) {
    let flag = base64_note_flag();
    let body = body_of(&flag).to_owned();
    let w = World::build(h).await;
    let model = SolvingUpstream::start(&flag).await;
    let review = review_at(
        h,
        &w,
        At::PartnerPhase,
        upstream("openai_compatible", &model.url, None),
        |_| {},
    )
    .await;

    // The government asks about the bare body and is answered with the flag;
    // the partner streams the same answer.
    let gov_token = gateway_token(h, &review, Who::Gov, &w).await;
    let partner_token = gateway_token(h, &review, Who::PartnerListed, &w).await;
    let asked = json!({
        "model": "Frontier",
        "messages": [{ "role": "user", "content": format!("Is {body} the decoded line?") }],
        "max_tokens": 32,
    });
    let gov_call = h
        .gateway("/v1/chat/completions", &gov_token, Some(&asked))
        .await;
    assert_eq!(gov_call.status, 200, "{}", gov_call.text);
    let mut streamed = asked.clone();
    streamed["stream"] = json!(true);
    let partner_call = h
        .gateway("/v1/chat/completions", &partner_token, Some(&streamed))
        .await;
    assert_eq!(partner_call.status, 200, "{}", partner_call.text);
    assert!(
        partner_call.text.trim_end().ends_with("data: [DONE]"),
        "{}",
        partner_call.text
    );

    let calls = recorded_calls(h, &w, &review, 2).await;
    let transcript_of = |org: &str| {
        let call = calls
            .iter()
            .find(|c| c["org_id"] == org)
            .unwrap_or_else(|| panic!("no call of {org}: {calls:?}"));
        review.path(&format!(
            "/calls/{}/transcript",
            call["id"].as_str().expect("id")
        ))
    };
    let gov_transcript = transcript_of(w.orgs.gov.as_str());
    let partner_transcript = transcript_of(w.orgs.vetted_partner.as_str());

    // No suite queued: the transcripts are as recorded, for everyone.
    let before = read(h, &w, &gov_transcript, Who::DevOwn).await;
    shows_flag(&before, &flag, "the developer, before any suite");
    assert_eq!(
        before.json["request"]["messages"][0]["content"],
        format!("Is {body} the decoded line?")
    );
    let before = read(h, &w, &partner_transcript, Who::PartnerListed).await;
    shows_flag(&before, &flag, "the partner, before any suite");

    // A suite without flags changes nothing.
    h.post(
        &review.path("/evaluations"),
        w.token(Who::Gov),
        json!({ "suite": "smoke", "limit": 1 }),
    )
    .await
    .expect(201);
    let smoke = read(h, &w, &gov_transcript, Who::DevOwn).await;
    shows_flag(&smoke, &flag, "the developer, with only smoke queued");

    // The capture-the-flag suite is queued (no worker runs here, so it stays
    // queued): its flags leave every transcript but the government's read.
    let queued = h
        .post(
            &review.path("/evaluations"),
            w.token(Who::Gov),
            json!({ "suite": "ctf-demo" }),
        )
        .await;
    assert_eq!(queued.expect(201)["state"], "queued", "{}", queued.text);

    let dev_reads_gov = read(h, &w, &gov_transcript, Who::DevOwn).await;
    hides_flag(&dev_reads_gov, &flag, "the developer (government's call)");
    assert_eq!(
        dev_reads_gov.json["response"]["body"]["choices"][0]["message"]["content"],
        format!("I found {REDACTED} in the note"),
        "only the flag is cut out"
    );
    assert_eq!(
        dev_reads_gov.json["request"]["messages"][0]["content"],
        format!("Is {REDACTED} the decoded line?"),
        "the bare body is cut out of the request too"
    );

    let dev_reads_partner = read(h, &w, &partner_transcript, Who::DevOwn).await;
    hides_flag(
        &dev_reads_partner,
        &flag,
        "the developer (partner's stream)",
    );
    // The flag was split across frames: the stream is shown put together.
    let stream = &dev_reads_partner.json["response"]["stream"];
    assert_eq!(
        stream["assembled"],
        format!("I found {REDACTED} in the note"),
        "{}",
        dev_reads_partner.text
    );
    assert!(
        stream["frames"].as_u64().is_some_and(|n| n >= 4),
        "{stream}"
    );
    let partner_reads_own = read(h, &w, &partner_transcript, Who::PartnerListed).await;
    hides_flag(&partner_reads_own, &flag, "the partner (own stream)");

    let gov_reads_own = read(h, &w, &gov_transcript, Who::Gov).await;
    shows_flag(&gov_reads_own, &flag, "the government evaluator");
    assert_eq!(
        gov_reads_own.json["request"]["messages"][0]["content"],
        format!("Is {body} the decoded line?")
    );
}
on_both_backends!(ctf_flags_are_redacted_from_transcripts_for_all_but_the_government => sqlite_ctf_flags_are_redacted_from_transcripts_for_all_but_the_government, postgres_ctf_flags_are_redacted_from_transcripts_for_all_but_the_government);
