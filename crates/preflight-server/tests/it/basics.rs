//! The service endpoints: health, metrics, the OpenAPI document, the version
//! and the answer to a route that does not exist.

use crate::harness::{Harness, api};

async fn service_endpoints(h: &Harness) {
    let health = h.get("/healthz", None).await;
    health.expect(200);
    assert_eq!(health.text.trim(), "ok");

    let doc = h.get(&api("/openapi.json"), None).await;
    let doc = doc.expect(200);
    assert_eq!(doc["openapi"], "3.1.0", "openapi version: {doc}");
    assert!(
        doc["paths"]
            .as_object()
            .is_some_and(|p| p.contains_key("/submissions")),
        "the document lists the API's paths: {}",
        doc["paths"]
    );

    let version = h.get(&api("/version"), None).await;
    assert_eq!(version.expect(200)["name"], "preflight");

    let missing = h.get("/no/such/route", None).await;
    assert_eq!(missing.expect(404)["error"]["code"], "not_found");

    // The requests above are counted by route template.
    let metrics = h.get("/metrics", None).await;
    metrics.expect(200);
    assert!(
        metrics.text.contains("preflight_http_requests_total"),
        "metrics: {}",
        metrics.text
    );
    assert!(
        metrics.text.contains("route=\"/healthz\""),
        "requests are labelled by route: {}",
        metrics.text
    );
}

on_both_backends!(service_endpoints => sqlite_service_endpoints, postgres_service_endpoints);
