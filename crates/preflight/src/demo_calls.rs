//! The demo's calls to the model through the gateway, made as an OpenAI
//! client would make them, and the developer's view of who called.

use crate::client::Client;
use crate::demo::Story;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A reviewer's gateway session: the token and the model to ask for.
pub struct GatewaySession {
    http: reqwest::Client,
    url: String,
    pub token: String,
    pub model: String,
}

/// One call's answer as the demo shows it.
pub struct Answer {
    pub status: u16,
    pub text: String,
    pub tokens: Option<u64>,
    pub took: Duration,
    pub code: Option<String>,
}

impl GatewaySession {
    /// Makes a gateway token for the reviewer behind `client`.
    pub async fn open(client: &Client, review: &str, label: &str) -> Result<Self> {
        let made = client
            .post(
                &format!("/submissions/{review}/gateway-tokens"),
                &json!({ "label": label }),
            )
            .await?;
        Ok(Self {
            http: reqwest::Client::new(),
            url: format!("{}/v1/chat/completions", client.server()),
            token: made["token"].as_str().context("gateway token")?.to_owned(),
            model: made["model"].as_str().context("model name")?.to_owned(),
        })
    }

    /// A plain (or, with `stream`, streamed) chat completion.
    pub async fn ask(&self, prompt: &str, max_tokens: u32, stream: bool) -> Result<Answer> {
        let body = json!({
            "model": self.model,
            "messages": [{ "role": "user", "content": prompt }],
            "max_tokens": max_tokens,
            "stream": stream,
            "stream_options": if stream { Some(json!({ "include_usage": true })) } else { None },
        });
        let started = Instant::now();
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .context("calling the gateway")?;
        let status = response.status().as_u16();
        let raw = response.text().await?;
        let took = started.elapsed();
        if status != 200 {
            let error: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
            return Ok(Answer {
                status,
                text: error["error"]["message"]
                    .as_str()
                    .unwrap_or(&raw)
                    .to_owned(),
                tokens: None,
                took,
                code: error["error"]["code"].as_str().map(str::to_owned),
            });
        }
        if !stream {
            let answer: Value = serde_json::from_str(&raw).context("the gateway's answer")?;
            return Ok(Answer {
                status,
                text: answer["choices"][0]["message"]["content"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                tokens: answer["usage"]["total_tokens"].as_u64(),
                took,
                code: None,
            });
        }
        let mut text = String::new();
        let mut tokens = None;
        for data in raw
            .split("\n\n")
            .filter_map(|f| f.trim().strip_prefix("data: "))
        {
            if data == "[DONE]" {
                break;
            }
            let chunk: Value = serde_json::from_str(data).context("a streamed chunk")?;
            if let Some(error) = chunk.get("error") {
                bail!("the stream ended with an error: {error}");
            }
            text.push_str(
                chunk["choices"][0]["delta"]["content"]
                    .as_str()
                    .unwrap_or(""),
            );
            tokens = tokens.or(chunk["usage"]["total_tokens"].as_u64());
        }
        Ok(Answer {
            status,
            text,
            tokens,
            took,
            code: None,
        })
    }
}

/// The first line of a model's answer, short enough for a terminal.
pub fn gist(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        short.push('…');
    }
    format!("{short:?}")
}

/// Waits until every call of the review has been recorded as finished.
pub async fn settled_calls(dev: &Client, review: &str) -> Result<Vec<Value>> {
    for _ in 0..100 {
        let calls = dev.get(&format!("/submissions/{review}/calls")).await?;
        let calls = calls.as_array().cloned().unwrap_or_default();
        if calls.iter().all(|c| c["outcome"] != "started") {
            return Ok(calls);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("calls to the model were still being recorded after 5 s")
}

/// The developer's usage table: one line per person, with names.
pub async fn usage_lines(
    dev: &Client,
    review: &str,
    names: &HashMap<String, String>,
) -> Result<Vec<String>> {
    let usage = dev.get(&format!("/submissions/{review}/usage")).await?;
    let name = |id: &Value| {
        id.as_str()
            .and_then(|i| names.get(i))
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    let mut lines = Vec::new();
    for person in usage["people"].as_array().into_iter().flatten() {
        lines.push(format!(
            "{} ({}): {} calls, {} prompt + {} completion tokens, {} .. {}",
            name(&person["user_id"]),
            name(&person["org_id"]),
            person["calls"],
            person["prompt_tokens"],
            person["completion_tokens"],
            person["first_call_at"].as_str().unwrap_or("?"),
            person["last_call_at"].as_str().unwrap_or("?"),
        ));
    }
    lines.push(format!(
        "in all: {} calls, {} tokens",
        usage["calls"],
        usage["prompt_tokens"].as_u64().unwrap_or(0)
            + usage["completion_tokens"].as_u64().unwrap_or(0)
    ));
    Ok(lines)
}

/// The evaluator runs two capture-the-flag tasks with a tool-using agent,
/// each in its own bubblewrap sandbox, through the gateway. Without
/// bubblewrap on the machine the demo says so and goes on.
pub async fn agentic_run(gov: &Client, review: &str, story: &Story) -> Result<()> {
    if let Err(e) = preflight_sandbox::bubblewrap::Bubblewrap::new(
        preflight_sandbox::bubblewrap::BubblewrapConfig::default(),
    ) {
        story.say(&format!(
            "the agentic capture-the-flag suite is skipped: {e} (apt-get install bubblewrap)"
        ));
        return Ok(());
    }
    let run = gov
        .post(
            &format!("/submissions/{review}/evaluations"),
            &json!({ "suite": "ctf-demo", "limit": 2 }),
        )
        .await?;
    let run_id = run["id"].as_str().context("run id")?.to_owned();
    story.say("the evaluator attaches `ctf-demo`: an agent gets a shell in a bubblewrap sandbox (no network, its own PID namespace, limits) holding each task's files, and must find the flag");
    let finished = finished_run_within(gov, review, &run_id, Duration::from_secs(600)).await?;
    for line in run_lines(&finished) {
        story.say(&line);
    }
    let agent = &finished["summary"]["agent"];
    let stops: Vec<String> = agent["stops"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k} {v}")).collect())
        .unwrap_or_default();
    story.say(&format!(
        "agent: {} of {} tasks solved; loops ended by {}; every sandbox was torn down",
        agent["solved"],
        agent["records"],
        stops.join(", ")
    ));
    story.look(&format!("/submissions/{review}/evaluations/{run_id}"));
    Ok(())
}

/// Waits for an evaluation run to finish (two minutes at most).
pub async fn finished_run(client: &Client, review: &str, run: &str) -> Result<Value> {
    finished_run_within(client, review, run, Duration::from_secs(120)).await
}

/// Waits for an evaluation run to finish, `limit` at most.
pub async fn finished_run_within(
    client: &Client,
    review: &str,
    run: &str,
    limit: Duration,
) -> Result<Value> {
    let rounds = limit.as_millis() / 100;
    for _ in 0..rounds {
        let state = client
            .get(&format!("/submissions/{review}/evaluations/{run}"))
            .await?;
        match state["state"].as_str() {
            Some("succeeded") => return Ok(state),
            Some("failed") => bail!(
                "the evaluation run failed: {}",
                state["error"].as_str().unwrap_or("?")
            ),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    bail!(
        "the evaluation run did not finish within {} s",
        limit.as_secs()
    )
}

/// A finished run's scores, as the demo prints them.
pub fn run_lines(run: &Value) -> Vec<String> {
    let summary = &run["summary"];
    let scores = &summary["scores"];
    let number = |v: &Value| v.as_f64().map_or("?".to_owned(), |x| format!("{x:.3}"));
    let mut lines = vec![format!(
        "{}: accuracy {} (95% Wilson interval {} to {}), {} of {} samples scored, {} errors",
        summary["suite"].as_str().unwrap_or("?"),
        number(&scores["accuracy"]),
        number(&scores["wilson"]["lower"]),
        number(&scores["wilson"]["upper"]),
        summary["scored"],
        summary["samples"],
        summary["errors"],
    )];
    if let Some(stderr) = scores["stderr"].as_f64() {
        lines.push(format!("standard error {stderr:.3}; the model is a small base model, so near chance is expected"));
    }
    lines
}
