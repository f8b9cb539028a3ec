//! The demo's last chapter before the ledger check: the partner's finding
//! goes to the clearinghouse as the terms allow (after the release), an
//! analyst validates and releases it TLP:AMBER to healthcare, and the
//! hospital is told by a signed webhook and reads the advisory over TAXII,
//! while a bank outside the audience receives nothing.

use crate::client::Client;
use crate::demo::Story;
use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use axum::http::HeaderMap;
use preflight_server::clearinghouse::webhooks::signature;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Who takes part in this chapter.
pub struct Cast<'a> {
    pub dev: &'a Client,
    pub partner: &'a Client,
    pub analyst: &'a Client,
    pub hospital: &'a Client,
    pub hospital_org: String,
    pub bank: &'a Client,
}

type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A webhook endpoint for the hospital on loopback.
async fn receiver() -> Result<(String, Received)> {
    let got: Received = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/preflight-webhook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let keep = keep.clone();
            async move {
                keep.lock()
                    .map(|mut g| g.push((headers, String::from_utf8_lossy(&body).into_owned())))
                    .ok();
                "received"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{addr}/preflight-webhook"), got))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

pub async fn tell(story: &mut Story, review: &str, finding: &str, cast: Cast<'_>) -> Result<()> {
    story.step(
        "St. Mary's subscribes to advisories about the models it runs, with a signed webhook.",
    );
    let (url, received) = receiver().await?;
    let submission = cast.dev.get(&format!("/submissions/{review}")).await?;
    let model = submission["model_name"]
        .as_str()
        .context("model name")?
        .to_owned();
    let sub = cast
        .hospital
        .put(
            &format!("/orgs/{}/subscription", cast.hospital_org),
            &json!({ "products": [model], "webhook_url": url }),
        )
        .await?;
    let secret = sub["webhook_secret"]
        .as_str()
        .context("the first webhook comes with its signing secret")?
        .to_owned();
    story.say(&format!(
        "it follows {model}; the signing secret (whsec_...) is shown once, to the hospital only"
    ));

    story.step(
        "Redline escalates its finding to the clearinghouse: the terms allow it after the release.",
    );
    let escalated = cast
        .partner
        .post(
            &format!("/submissions/{review}/findings/{finding}/escalation"),
            &json!({ "tlp": "AMBER" }),
        )
        .await?;
    let assessment = escalated["escalation"]["assessment_id"]
        .as_str()
        .context("assessment id")?
        .to_owned();
    let seen = cast
        .dev
        .get(&format!("/submissions/{review}/escalations"))
        .await?;
    story.say(&format!(
        "Frontier Lab sees the escalation at {} (terms share: {})",
        seen[0]["escalated_at"].as_str().unwrap_or("?"),
        escalated["shared"].as_str().unwrap_or("?")
    ));

    story
        .step("The clearinghouse validates it and releases it TLP:AMBER to the healthcare sector.");
    let path = |rest: &str| format!("/assessments/{assessment}{rest}");
    cast.analyst
        .post(&path("/report-state"), &json!({ "state": "valid" }))
        .await?;
    cast.analyst
        .post(&path("/report-state"), &json!({ "state": "accepted" }))
        .await?;
    let released = cast
        .analyst
        .post(
            &path("/publication"),
            &json!({ "tlp": "AMBER", "sectors": ["healthcare"] }),
        )
        .await?;
    story.say(&format!(
        "{} released at {}",
        released["record"]["title"].as_str().unwrap_or("?"),
        released["published_at"].as_str().unwrap_or("?")
    ));

    let deadline = Instant::now() + Duration::from_secs(15);
    let notification = loop {
        if let Some(first) = received.lock().ok().and_then(|g| g.first().cloned()) {
            break first;
        }
        if Instant::now() > deadline {
            bail!("the hospital's webhook received nothing in 15 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (headers, body) = notification;
    let key = base64_decode(secret.trim_start_matches("whsec_"))?;
    let timestamp: i64 = header(&headers, "webhook-timestamp").parse().unwrap_or(0);
    let expected = signature(&key, header(&headers, "webhook-id"), timestamp, &body);
    anyhow::ensure!(
        header(&headers, "webhook-signature") == expected,
        "the webhook's signature does not verify"
    );
    let parsed: Value = serde_json::from_str(&body)?;
    story.say(&format!(
        "St. Mary's webhook: {} {} {} (signature verified with its secret)",
        parsed["type"].as_str().unwrap_or("?"),
        parsed["data"]["tlp"].as_str().unwrap_or("?"),
        parsed["data"]["id"].as_str().unwrap_or("?")
    ));

    let collections = cast
        .hospital
        .get_text_root("/taxii2/clearinghouse/collections/")
        .await?;
    let collections: Value = serde_json::from_str(&collections)?;
    let collection = collections["collections"][0]["id"]
        .as_str()
        .context("collection id")?;
    let objects: Value = serde_json::from_str(
        &cast
            .hospital
            .get_text_root(&format!(
                "/taxii2/clearinghouse/collections/{collection}/objects/"
            ))
            .await?,
    )?;
    let names: Vec<&str> = objects["objects"]
        .as_array()
        .map(|o| o.iter().filter_map(|o| o["name"].as_str()).collect())
        .unwrap_or_default();
    story.say(&format!(
        "St. Mary's reads {} advisory over TAXII 2.1: {}",
        names.len(),
        names.join(", ")
    ));
    let bank = cast.bank.get("/advisories").await?;
    story.say(&format!(
        "First Federal Bank (finance, outside the audience) receives {} advisories",
        bank.as_array().map_or(0, Vec::len)
    ));
    story.look("/advisories");
    Ok(())
}

fn base64_decode(text: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    Ok(base64::engine::general_purpose::STANDARD.decode(text)?)
}
