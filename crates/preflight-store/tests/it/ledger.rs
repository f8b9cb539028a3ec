//! Every change gets a ledger entry in its own transaction, at a dense,
//! never-reused index, even under concurrent writers.

use crate::backends::TestStore;
use crate::on_both;
use chrono::Utc;
use preflight_core::event::{Event, EventKind};
use preflight_core::ledger_entry::{LedgerEntry, commitment};
use preflight_core::org::{OrgKind, Organisation};

async fn concurrent_changes_get_dense_indexes(s: &TestStore) {
    let store = &s.store;
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..40 {
        let store = store.clone();
        writers.spawn(async move {
            let org = Organisation::new(&format!("Org {i}"), OrgKind::DeveloperLab, None).unwrap();
            let event = Event::new(
                EventKind::OrgCreated,
                None,
                None,
                Utc::now(),
                serde_json::json!(org),
            );
            store.create_org(&org, &event).await.unwrap();
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
    let (written, _) = store.ledger_sizes().await.unwrap();
    assert_eq!(written, 40);
    assert_eq!(store.event_count().await.unwrap(), 40);
    let entries = store.ledger_entries(0, written).await.unwrap();
    assert_eq!(entries.len(), 40, "an index is missing or reused");
    let mut events = std::collections::HashSet::new();
    for text in &entries {
        let entry: LedgerEntry = serde_json::from_str(text).unwrap();
        assert!(events.insert(entry.event_id), "two entries for one event");
        assert_eq!(entry.kind, EventKind::OrgCreated);
        assert!(
            !text.contains("Org "),
            "an entry names an organisation in the clear: {text}"
        );
    }
}
on_both!(
    concurrent_changes_get_dense_indexes_,
    concurrent_changes_get_dense_indexes
);

/// Appends from many concurrent callers share commits: every event is
/// written once, and each caller's events hold consecutive leaf indexes in
/// its own order.
async fn concurrent_appends_keep_each_callers_events_together(s: &TestStore) {
    let store = &s.store;
    let mut callers = tokio::task::JoinSet::new();
    let mut expected = Vec::new();
    for caller in 0..40u64 {
        let events: Vec<Event> = (0..caller % 5 + 1)
            .map(|n| {
                Event::new(
                    EventKind::OrgCreated,
                    None,
                    None,
                    Utc::now(),
                    serde_json::json!({ "caller": caller, "n": n }),
                )
            })
            .collect();
        expected.push(events.iter().map(|e| e.id).collect::<Vec<_>>());
        let store = store.clone();
        callers.spawn(async move { store.record_events(&events).await });
    }
    while let Some(done) = callers.join_next().await {
        done.unwrap().unwrap();
    }
    let total: u64 = expected.iter().map(|ids| ids.len() as u64).sum();
    let (written, _) = store.ledger_sizes().await.unwrap();
    assert_eq!(written, total);
    let entries = store.ledger_entries(0, written).await.unwrap();
    let index_of: std::collections::HashMap<_, _> = entries
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let entry: LedgerEntry = serde_json::from_str(text).unwrap();
            (entry.event_id, i)
        })
        .collect();
    assert_eq!(index_of.len(), entries.len(), "two entries for one event");
    for ids in &expected {
        let indexes: Vec<usize> = ids.iter().map(|id| index_of[id]).collect();
        assert!(
            indexes.windows(2).all(|w| w[1] == w[0] + 1),
            "one caller's events are not consecutive: {indexes:?}"
        );
    }
}
on_both!(
    concurrent_appends_keep_each_callers_events_together_,
    concurrent_appends_keep_each_callers_events_together
);

async fn entries_commit_to_their_records(s: &TestStore) {
    let store = &s.store;
    let org = Organisation::new("Lab", OrgKind::DeveloperLab, None).unwrap();
    store
        .create_org(
            &org,
            &Event::new(
                EventKind::OrgCreated,
                None,
                None,
                Utc::now(),
                serde_json::json!(org),
            ),
        )
        .await
        .unwrap();
    let now = Utc::now();
    let upstream = preflight_core::submission::Upstream::new(
        preflight_core::submission::UpstreamKind::OpenaiCompatible,
        "http://127.0.0.1:9/v1",
    )
    .unwrap();
    let sub = preflight_core::submission::NewSubmission::new(
        "m",
        "1",
        "",
        now + chrono::Duration::days(9),
        upstream,
        now,
    )
    .unwrap()
    .into_submission(org.id, now);
    let event = Event::new(
        EventKind::SubmissionCreated,
        Some(sub.id),
        None,
        now,
        serde_json::json!(sub),
    );
    store
        .create_submission(&sub, None, &preflight_store::MasterKey::generate(), &event)
        .await
        .unwrap();

    let evidence = store.ledger_events_of(sub.id).await.unwrap();
    assert_eq!(evidence.len(), 1);
    let e = &evidence[0];
    assert_eq!(e.leaf_index, 1);
    assert_eq!(e.event.id, event.id);
    let entry: LedgerEntry = serde_json::from_str(&e.entry).unwrap();
    let salt = hex::decode(&e.salt).unwrap();
    assert_eq!(entry.commitment, commitment(&salt, &e.record));
    assert_ne!(
        entry.commitment,
        commitment(&salt, &e.record.replace("\"m\"", "\"n\""))
    );
    assert_eq!(
        store.ledger_entries(1, 2).await.unwrap(),
        vec![e.entry.clone()]
    );
}
on_both!(
    entries_commit_to_their_records_,
    entries_commit_to_their_records
);
