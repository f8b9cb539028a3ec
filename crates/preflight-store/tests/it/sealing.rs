//! Upstream credentials are sealed at rest and open only with the master key.

use crate::backends::TestStore;
use crate::on_both;
use chrono::{Duration, Utc};
use preflight_core::event::{Event, EventKind};
use preflight_core::org::{OrgKind, Organisation};
use preflight_core::submission::{NewSubmission, Upstream, UpstreamKind};
use preflight_store::MasterKey;
use serde_json::json;

async fn credential_round_trips_and_is_never_stored_in_clear(s: &TestStore) {
    let store = &s.store;
    let ev = |k| Event::new(k, None, None, Utc::now(), json!({}));
    let lab = Organisation::new("Lab", OrgKind::DeveloperLab, None).unwrap();
    store
        .create_org(&lab, &ev(EventKind::OrgCreated))
        .await
        .unwrap();
    let now = Utc::now();
    let upstream = Upstream::new(
        UpstreamKind::AnthropicMessages,
        "https://api.lab.example/v1",
    )
    .unwrap();
    let sub = NewSubmission::new("m", "1", "", now + Duration::days(10), upstream, now)
        .unwrap()
        .into_submission(lab.id, now);
    let secret = format!("sk-live-{}", uuid::Uuid::new_v4().simple());
    let master = MasterKey::generate();
    store
        .create_submission(
            &sub,
            Some(&secret),
            &master,
            &ev(EventKind::SubmissionCreated),
        )
        .await
        .unwrap();

    let opened = store
        .upstream_credential(sub.id, &master)
        .await
        .unwrap()
        .expect("credential");
    assert_eq!(opened.as_str(), secret);
    assert!(store.has_upstream_credential(sub.id).await.unwrap());
    assert!(
        store
            .upstream_credential(sub.id, &MasterKey::generate())
            .await
            .is_err(),
        "opened with another master key"
    );

    // Read the cells straight from the database: the secret is in none.
    let dump = dump_text(&s.url).await;
    assert!(!dump.is_empty());
    assert!(!dump.contains(&secret), "credential stored in clear");
}
on_both!(
    credential_round_trips_,
    credential_round_trips_and_is_never_stored_in_clear
);

/// Every text cell that could hold the credential, read straight from the database.
async fn dump_text(url: &str) -> String {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut out = String::new();
    for (table, column) in [
        ("submissions", "body"),
        ("review_keys", "wrapped_data_key"),
        ("review_keys", "sealed_credential"),
        ("events", "details"),
    ] {
        for row in sqlx::query(&format!("SELECT {column} AS v FROM {table}"))
            .fetch_all(&pool)
            .await
            .unwrap()
        {
            out.push_str(
                &row.try_get::<Option<String>, _>("v")
                    .unwrap()
                    .unwrap_or_default(),
            );
            out.push('\n');
        }
    }
    pool.close().await;
    out
}
