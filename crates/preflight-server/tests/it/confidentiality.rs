//! The developer's upstream credential never leaves the server, and a token
//! is shown once. The harness checks every body of every test for both; this
//! test makes sure there is much to check: every readable route, as every
//! role, on a review that went through everything.

use crate::harness::{Harness, UPSTREAM_CREDENTIAL, api};
use crate::lifecycle::happy_path;
use crate::world::{At, Lab, Who, World};
use reqwest::Method;
use serde_json::json;

async fn credential_and_tokens_stay_secret(h: &Harness) {
    let w = World::build(h).await;
    let done = happy_path(h, &w).await;
    let other = w.review(h, Lab::Other, At::PartnerPhase).await;
    let fresh = w.review(h, Lab::Own, At::PartnerPhase).await;

    // The credential was stored, sealed, for the gateway to open.
    let id = done.id.parse().expect("submission id");
    let opened = h
        .store
        .upstream_credential(id, &h.master)
        .await
        .expect("open the credential");
    assert_eq!(
        opened.as_deref().map(String::as_str),
        Some(UPSTREAM_CREDENTIAL)
    );

    // Every GET route of the document, as everyone, on each review.
    let doc = h.get(&api("/openapi.json"), None).await;
    let paths: Vec<String> = doc.expect(200)["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(path, _)| path.clone())
        .collect();
    let before = h.bodies_seen();
    for review in [&done, &other, &fresh] {
        for path in &paths {
            let finding = review
                .partner_finding
                .as_deref()
                .or(review.gov_finding.as_deref())
                .unwrap_or("");
            let path = path
                .replace("{submission_id}", &review.id)
                .replace("{version}", "1")
                .replace("{finding_id}", finding)
                .replace("{org_id}", &w.orgs.own_lab);
            for who in Who::ALL {
                h.get(&api(&path), w.token(who)).await;
            }
        }
    }
    assert!(h.bodies_seen() - before >= paths.len() * 3 * Who::ALL.len());

    // The record of the creation says a credential is stored, never which.
    let events = h.get(&done.path("/events"), w.token(Who::Admin)).await;
    let created = &events.expect(200)[0];
    assert_eq!(created["kind"], "submission_created");
    assert_eq!(created["details"]["has_upstream_credential"], true);

    // A refused creation does not echo the credential either.
    let mut body = w.submission_body(done.release);
    body["planned_release_at"] = json!("soon");
    h.post(&api("/submissions"), w.token(Who::DevOwn), body)
        .await
        .expect(422);
    let mut body = w.submission_body(done.release);
    body["upstream"]["url"] = json!(format!("https://user:{UPSTREAM_CREDENTIAL}@models.example"));
    h.post(&api("/submissions"), w.token(Who::DevOwn), body)
        .await
        .expect(422);
    // Nor does an error about the credential's neighbours, or about the
    // credential itself.
    let cred = json!(UPSTREAM_CREDENTIAL);
    for body in [
        json!({ "upstream": { "credential": cred, "url": "https://m.example" } }),
        json!({
            "model_name": "M",
            "model_version": "1",
            "planned_release_at": "2030-01-01T00:00:00Z",
            "upstream": { "credential": cred, "url": "https://m.example" },
        }),
        json!({
            "model_name": "M",
            "model_version": "1",
            "planned_release_at": "2030-01-01T00:00:00Z",
            "upstream": { "kind": "openai_compatible", "url": "https://m.example", "credential": [cred] },
        }),
    ] {
        let resp = h
            .post(&api("/submissions"), w.token(Who::DevOwn), body)
            .await;
        assert_eq!(resp.status, 422, "{}", resp.text);
        assert!(
            !resp.text.contains(UPSTREAM_CREDENTIAL),
            "echoed: {}",
            resp.text
        );
    }

    // Tokens: shown at creation, then never again, not even in the list.
    let made = h
        .post(
            &api("/me/tokens"),
            w.token(Who::Gov),
            json!({ "label": "ci", "expires_at": null }),
        )
        .await;
    let secret = made.str("token");
    assert!(secret.starts_with("pft_"), "{secret}");
    let list = h.get(&api("/me/tokens"), w.token(Who::Gov)).await;
    assert!(
        list.expect(200)
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["label"] == "ci"))
    );
    h.call(Method::GET, &api("/me"), Some(&secret), None)
        .await
        .expect(200);

    let metrics = h.get("/metrics", None).await;
    metrics.expect(200);
    assert!(!metrics.text.contains(UPSTREAM_CREDENTIAL));
    assert!(
        !metrics.text.contains(&done.id),
        "metrics name routes, not ids"
    );
    assert!(!metrics.text.contains(&secret));

    h.assert_confidential();
}

on_both_backends!(credential_and_tokens_stay_secret => sqlite_confidentiality, postgres_confidentiality);
