//! Preflight as it runs in production: `preflight serve` (release build) as
//! a child process on a fresh SQLite store, with a review in its government
//! phase whose evaluator holds a gateway token.
//!
//! The people are written to the store before the server starts, as
//! `preflight admin` does; the review itself goes through the HTTP API like
//! a developer and an evaluator would drive it: submission, terms proposed
//! and signed by both sides with their Ed25519 keys, the phase opened, the
//! gateway token made.

use super::process::{Child, free_port, wait_ready};
use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration as Days, SecondsFormat, Utc};
use ed25519_dalek::{Signer, SigningKey};
use preflight_core::actor::User;
use preflight_core::event::{Event, EventKind};
use preflight_core::org::{OrgKind, Organisation, Role};
use preflight_store::{Store, TokenPepper};
use rand::RngCore;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The model name the reviews give; callers ask for it.
pub const MODEL: &str = "Frontier";

/// Limits no measurement reaches: the terms must not refuse the load.
const LIMITS: (u32, u64) = (4_000_000_000, (1 << 53) - 1);

/// Someone who acts on the review: an API token and a signing key.
#[derive(Debug)]
struct Person {
    token: String,
    key: SigningKey,
}

#[derive(Debug)]
struct People {
    gov: Organisation,
    developer: Person,
    evaluator: Person,
}

/// The running server.
#[derive(Debug)]
pub struct Preflight {
    pub child: Child,
    pub addr: SocketAddr,
    people: People,
    http: reqwest::Client,
}

impl Preflight {
    /// Seeds a store in `dir`, then starts `bin serve` on it with `extra`
    /// arguments.
    pub async fn start(bin: &Path, extra: &[String], dir: &Path) -> Result<Self> {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let pepper_text = B64.encode(secret);
        let data = dir.join("data");
        std::fs::create_dir_all(&data)?;
        let people = seed(&data, &TokenPepper::new(pepper_text.as_bytes().to_vec())).await?;

        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let mut command = Command::new(bin);
        command
            .arg("serve")
            .arg("--data-dir")
            .arg(&data)
            .arg("--listen")
            .arg(addr.to_string())
            .args(extra);
        // Only this bench's settings: nothing from the caller's environment
        // (another store, other keys) may reach the server.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PREFLIGHT_") {
                command.env_remove(&name);
            }
        }
        command.env("PREFLIGHT_TOKEN_PEPPER", &pepper_text);
        let mut child = Child::spawn("preflight serve", &mut command, &dir.join("server.log"))?;
        let http = reqwest::Client::new();
        let health = format!("http://{addr}/healthz");
        wait_ready(&mut child, Duration::from_secs(30), || {
            let request = http.get(&health).send();
            async move { request.await.is_ok_and(|r| r.status().is_success()) }
        })
        .await?;
        Ok(Self {
            child,
            addr,
            people,
            http,
        })
    }

    /// A review whose model is served at `upstream` (an OpenAI-compatible
    /// base URL), driven to its government phase; returns the evaluator's
    /// gateway token.
    pub async fn review(&self, upstream: &str, label: &str) -> Result<String> {
        let p = &self.people;
        let release = now() + Days::days(20);
        let created = self
            .post(
                "/submissions",
                &p.developer.token,
                json!({
                    "model_name": MODEL,
                    "model_version": label,
                    "description": "the gateway benchmark's fake model",
                    "planned_release_at": rfc3339(release),
                    "upstream": {
                        "kind": "openai_compatible",
                        "url": upstream,
                        "credential": "bench-upstream-credential",
                    },
                }),
            )
            .await?;
        let id = created["id"]
            .as_str()
            .context("the new submission has no id")?
            .to_owned();
        let review = |rest: &str| format!("/submissions/{id}{rest}");
        self.transition(&id, &p.developer, "submit").await?;
        let opens = now() - Days::minutes(1);
        let terms = json!({
            "window": { "opens_at": rfc3339(opens), "ends_at": rfc3339(release) },
            "government_phase_days": 10,
            "partner_window": { "start": rfc3339(opens), "end": rfc3339(release) },
            "government_access": { "organisations": [p.gov.id], "people": [] },
            "partner_access": { "organisations": [], "people": [] },
            "limits": {
                "requests_per_minute": LIMITS.0,
                "tokens_per_minute": LIMITS.0,
                "max_concurrent_requests": LIMITS.0,
                "total_token_budget": LIMITS.1,
            },
            "transcript_retention_days": 90,
            "ip": { "no_training_on_outputs": true, "no_retention_of_outputs": true, "other": [] },
            "clearinghouse": { "when": "after_release", "what": "summary_only" },
            "insider_risk_attestations": ["completed insider-risk training"],
        });
        let proposed = self
            .post(&review("/terms"), &p.developer.token, terms)
            .await?;
        let version = proposed["document"]["version"]
            .as_u64()
            .context("the proposed terms have no version")?;
        let document = self
            .get(&review(&format!("/terms/{version}")), &p.developer.token)
            .await?;
        let payload = B64
            .decode(
                document["signing_payload"]
                    .as_str()
                    .context("the terms have no signing_payload")?,
            )
            .context("signing_payload is not base64")?;
        for (person, side) in [(&p.developer, "developer"), (&p.evaluator, "government")] {
            let signature = B64.encode(person.key.sign(&payload).to_bytes());
            self.post(
                &review(&format!("/terms/{version}/signatures")),
                &person.token,
                json!({ "side": side, "signature": signature }),
            )
            .await?;
        }
        self.transition(&id, &p.evaluator, "start_government_phase")
            .await?;
        let made = self
            .post(
                &review("/gateway-tokens"),
                &p.evaluator.token,
                json!({ "label": format!("bench {label}") }),
            )
            .await?;
        Ok(made["token"]
            .as_str()
            .context("no gateway token in the answer")?
            .to_owned())
    }

    async fn transition(&self, id: &str, who: &Person, action: &str) -> Result<()> {
        self.post(
            &format!("/submissions/{id}/transitions"),
            &who.token,
            json!({ "action": action }),
        )
        .await
        .map(|_| ())
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Result<Value> {
        let request = self
            .http
            .post(format!("http://{}/api/v1{path}", self.addr))
            .bearer_auth(token)
            .json(&body);
        answer(path, request).await
    }

    async fn get(&self, path: &str, token: &str) -> Result<Value> {
        let request = self
            .http
            .get(format!("http://{}/api/v1{path}", self.addr))
            .bearer_auth(token);
        answer(path, request).await
    }
}

async fn answer(path: &str, request: reqwest::RequestBuilder) -> Result<Value> {
    let response = request.send().await.with_context(|| path.to_owned())?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{path}: HTTP {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| format!("{path}: not JSON: {text}"))
}

/// The developer lab, the government evaluator and one person in each,
/// written the way `preflight admin` writes them (each with its event).
async fn seed(data: &Path, pepper: &TokenPepper) -> Result<People> {
    let store = Store::open(&Store::sqlite_url(data))
        .await
        .context("opening the bench's store")?;
    let lab = org(&store, "Bench Lab", OrgKind::DeveloperLab).await?;
    let gov = org(&store, "Bench Evaluator", OrgKind::GovernmentEvaluator).await?;
    let developer = person(
        &store,
        pepper,
        &lab,
        "Dana Developer",
        "dana@lab.example",
        Role::Developer,
    )
    .await?;
    let evaluator = person(
        &store,
        pepper,
        &gov,
        "Gail Evaluator",
        "gail@gov.example",
        Role::GovernmentEvaluator,
    )
    .await?;
    store.close().await;
    Ok(People {
        gov,
        developer,
        evaluator,
    })
}

async fn org(store: &Store, name: &str, kind: OrgKind) -> Result<Organisation> {
    let org = Organisation::new(name, kind, None)?;
    let event = Event::new(EventKind::OrgCreated, None, None, Utc::now(), json!(org));
    store.create_org(&org, &event).await?;
    Ok(org)
}

async fn person(
    store: &Store,
    pepper: &TokenPepper,
    org: &Organisation,
    name: &str,
    email: &str,
    role: Role,
) -> Result<Person> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let mut user = User::new(Some(org), name, email, role)?;
    user.public_key = Some(B64.encode(key.verifying_key().to_bytes()));
    let event = Event::new(EventKind::UserCreated, None, None, Utc::now(), json!(user));
    store.create_user(&user, &event).await?;
    let event = Event::new(
        EventKind::TokenCreated,
        None,
        None,
        Utc::now(),
        json!({ "user_id": user.id, "label": "bench" }),
    );
    let token = store
        .create_token(pepper, user.id, "bench", None, &event)
        .await?;
    Ok(Person {
        token: token.secret.to_string(),
        key,
    })
}

/// Now, to the second, as the API reads times back.
fn now() -> DateTime<Utc> {
    let t = Utc::now();
    t - Days::nanoseconds(i64::from(t.timestamp_subsec_nanos()))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
