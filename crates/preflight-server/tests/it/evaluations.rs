//! The government attaches a suite; the worker inside the server runs it
//! against the real model through the gateway; the developer reads the
//! aggregate scores, partners nothing.

use crate::gateway::{model_url, review_at, upstream};
use crate::harness::Harness;
use crate::world::{At, Lab, Who, World};
use serde_json::{Value, json};

async fn suites_run_through_the_gateway(h: &Harness) {
    let Some(model) = model_url("suites_run_through_the_gateway") else {
        return;
    };
    let w = World::build(h).await;
    let review = review_at(
        h,
        &w,
        At::GovPhase,
        upstream("openai_compatible", &model, Some("gemma")),
        |_| {},
    )
    .await;
    let gov = w.token(Who::Gov);
    let suites = h.get("/api/v1/suites", gov).await;
    let names: Vec<&str> = suites
        .expect(200)
        .as_array()
        .expect("suites")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"smoke"), "{names:?}");

    let unknown = h
        .post(
            &review.path("/evaluations"),
            gov,
            json!({ "suite": "no-such-suite" }),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert!(unknown.text.contains("no-such-suite"), "{}", unknown.text);
    let partner = h
        .post(
            &review.path("/evaluations"),
            w.token(Who::PartnerListed),
            json!({ "suite": "smoke" }),
        )
        .await;
    assert_eq!(partner.status, 403, "{}", partner.text);

    // A worker beside the server, as `preflight worker` runs it.
    let logs = std::env::temp_dir().join(format!(
        "preflight-it-evals-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(preflight_server::worker::run_worker(
        h.state.clone(),
        preflight_server::worker::WorkerSettings {
            gateway_url: format!("{}/v1", h.base_url()),
            name: "test-worker".into(),
            log_dir: logs.clone(),
            max_connections: 2,
        },
        stopped,
    ));
    let queued = h
        .post(
            &review.path("/evaluations"),
            gov,
            json!({ "suite": "smoke", "limit": 2 }),
        )
        .await;
    let run_id = queued.expect(201)["id"].as_str().expect("id").to_owned();
    let path = review.path(&format!("/evaluations/{run_id}"));
    let mut run = Value::Null;
    for _ in 0..600 {
        run = h.get(&path, gov).await.expect(200).clone();
        if run["state"] == "succeeded" || run["state"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(run["state"], "succeeded", "{run}");
    let summary = &run["summary"];
    assert_eq!(summary["samples"], 2, "{summary}");
    assert_eq!(
        summary["scored"].as_u64().unwrap_or(0) + summary["errors"].as_u64().unwrap_or(0),
        2,
        "{summary}"
    );
    let wilson = &summary["scores"]["wilson"];
    assert!(
        wilson["lower"].as_f64() <= wilson["upper"].as_f64(),
        "{summary}"
    );

    // The developer reads the scores; partners and operators do not.
    let dev_view = h
        .get(&review.path("/evaluations"), w.token(Who::DevOwn))
        .await;
    assert_eq!(dev_view.expect(200)[0]["summary"]["suite"], "smoke");
    assert_eq!(
        h.get(&review.path("/evaluations"), w.token(Who::PartnerListed))
            .await
            .status,
        403
    );
    assert_eq!(
        h.get(&review.path("/evaluations"), w.token(Who::Operator))
            .await
            .status,
        404
    );

    // The run went through the gateway: its calls are the government's.
    let calls = h.get(&review.path("/calls"), w.token(Who::DevOwn)).await;
    let calls = calls.expect(200).as_array().expect("calls").clone();
    assert!(calls.len() >= 2, "{calls:?}");
    assert!(
        calls.iter().all(|c| c["org_id"] == w.orgs.gov.as_str()),
        "{calls:?}"
    );
    let events = h.get(&review.path("/events"), w.token(Who::DevOwn)).await;
    let kinds: Vec<String> = events
        .expect(200)
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str().map(str::to_owned))
        .collect();
    assert!(kinds.iter().any(|k| k == "evaluation_queued"), "{kinds:?}");
    assert!(
        kinds.iter().any(|k| k == "evaluation_finished"),
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|k| k == "model_called"), "{kinds:?}");
    let _ = Lab::Own;
    let _ = stop.send(true);
    worker.await.expect("the worker stops");
    assert!(
        logs.read_dir().expect("logs").count() == 1,
        "the run's log is kept"
    );
    let _ = std::fs::remove_dir_all(logs);
}
on_both_backends!(suites_run_through_the_gateway => sqlite_suites_run_through_the_gateway, postgres_suites_run_through_the_gateway);
