//! A change and its event commit together or not at all.

use crate::backends::TestStore;
use crate::on_both;
use chrono::{Duration, Utc};
use preflight_core::event::{Event, EventKind};
use preflight_core::org::{OrgKind, Organisation};
use preflight_core::submission::{NewSubmission, Upstream, UpstreamKind};
use preflight_store::{MasterKey, StoreError};
use serde_json::json;

fn event(kind: EventKind) -> Event {
    Event::new(kind, None, None, Utc::now(), json!({}))
}

async fn change_fails_when_its_event_cannot_be_written(s: &TestStore) {
    let store = &s.store;
    let lab = Organisation::new("Lab", OrgKind::DeveloperLab, None).unwrap();
    let first = event(EventKind::OrgCreated);
    store.create_org(&lab, &first).await.unwrap();
    let before = store.event_count().await.unwrap();

    // An event whose id is already taken cannot be written, so the
    // organisation it records must not be created either.
    let other = Organisation::new("Other Lab", OrgKind::DeveloperLab, None).unwrap();
    let mut clash = event(EventKind::OrgCreated);
    clash.id = first.id;
    let err = store.create_org(&other, &clash).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Database(_)),
        "unexpected error {err:?}"
    );
    assert!(
        store.org_by_name("Other Lab").await.unwrap().is_none(),
        "org written without its event"
    );
    assert_eq!(store.event_count().await.unwrap(), before);

    // Same for a submission and its sealed credential.
    let now = Utc::now();
    let upstream = Upstream::new(UpstreamKind::OpenaiCompatible, "http://127.0.0.1:9/v1").unwrap();
    let sub = NewSubmission::new("m", "1", "", now + Duration::days(10), upstream, now)
        .unwrap()
        .into_submission(lab.id, now);
    let mut clash = event(EventKind::SubmissionCreated);
    clash.id = first.id;
    let master = MasterKey::generate();
    assert!(
        store
            .create_submission(&sub, Some("secret"), &master, &clash)
            .await
            .is_err()
    );
    assert!(matches!(
        store.submission(sub.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        store
            .upstream_credential(sub.id, &master)
            .await
            .unwrap()
            .is_none()
    );
}
on_both!(
    change_fails_when_its_event_cannot_be_written_,
    change_fails_when_its_event_cannot_be_written
);

async fn concurrent_update_is_refused(s: &TestStore) {
    let store = &s.store;
    let lab = Organisation::new("Lab", OrgKind::DeveloperLab, None).unwrap();
    store
        .create_org(&lab, &event(EventKind::OrgCreated))
        .await
        .unwrap();
    let now = Utc::now();
    let upstream = Upstream::new(UpstreamKind::OpenaiCompatible, "http://127.0.0.1:9/v1").unwrap();
    let sub = NewSubmission::new("m", "1", "", now + Duration::days(10), upstream, now)
        .unwrap()
        .into_submission(lab.id, now);
    store
        .create_submission(
            &sub,
            None,
            &MasterKey::generate(),
            &event(EventKind::SubmissionCreated),
        )
        .await
        .unwrap();
    let stored = store.submission(sub.id).await.unwrap();
    let mut changed = stored.value.clone();
    changed.description = "first writer".into();
    store
        .update_submission(
            &changed,
            stored.row_version,
            &event(EventKind::SubmissionUpdated),
        )
        .await
        .unwrap();
    let before = store.event_count().await.unwrap();
    changed.description = "second writer, stale".into();
    let err = store
        .update_submission(
            &changed,
            stored.row_version,
            &event(EventKind::SubmissionUpdated),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Concurrent("submission")),
        "unexpected error {err:?}"
    );
    assert_eq!(
        store.submission(sub.id).await.unwrap().value.description,
        "first writer"
    );
    assert_eq!(
        store.event_count().await.unwrap(),
        before,
        "a refused update wrote its event"
    );
}
on_both!(concurrent_update_is_refused_, concurrent_update_is_refused);
