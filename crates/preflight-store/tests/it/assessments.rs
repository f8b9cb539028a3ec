//! The clearinghouse's imports on the real corpora: 3,000 Go OSV records,
//! 239 CVE JSON 5 records and 400 CISA CSAF advisories, in separate
//! batches, merged within a batch and with what is stored; a batch with a
//! bad file writes nothing; importing again adds nothing; each batch is on
//! the ledger. The expected counts are those `preflight-vuln`'s corpus test
//! derived independently (OSV + CVE 5: 3,068 assessments, 171 merged; all
//! three: 4,163).

use crate::backends::TestStore;
use crate::on_both;
use chrono::Utc;
use preflight_core::event::EventKind;
use preflight_core::ledger_entry::LedgerEntry;
use preflight_store::{AssessmentFilter, FormatCount, ImportReport, StoreError};
use preflight_vuln::{Format, ReportState, Tlp};
use std::path::Path;
use std::time::Instant;

type Files = Vec<(String, Vec<u8>)>;

/// Every `.json` file of a test data directory, sorted by name.
fn files(dir: &str) -> Files {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata")
        .join(dir);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

async fn import(s: &TestStore, label: &str, batch: Files) -> ImportReport {
    let n = batch.len();
    let started = Instant::now();
    let report = s
        .store
        .import_assessments(None, batch, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{label} on {:?}: {n} files in {secs:.2}s, {:.0} docs/s",
        s.store.backend(),
        n as f64 / secs
    );
    report
}

/// `(created, merged into existing, unchanged, updated, merge groups)`.
fn outcome(r: &ImportReport) -> (usize, usize, usize, usize, usize) {
    (
        r.created,
        r.merged_into_existing,
        r.unchanged,
        r.updated,
        r.merge_groups(),
    )
}

/// The batch's event is the ledger's newest entry and lists what changed.
async fn check_on_ledger(s: &TestStore, report: &ImportReport) {
    let store = &s.store;
    let (size, _) = store.ledger_sizes().await.unwrap();
    let last = store.ledger_entries(size - 1, size).await.unwrap();
    let entry: LedgerEntry = serde_json::from_str(&last[0]).unwrap();
    assert_eq!(entry.kind, EventKind::AssessmentsImported);
    assert_eq!(entry.event_id, report.event_id);
    let event = store.event(report.event_id).await.unwrap();
    assert_eq!(event.details["batch_id"], report.batch_id.to_string());
    assert_eq!(event.details["records"], report.records);
    assert_eq!(
        event.details["assessments"].as_array().unwrap().len(),
        report.created + report.updated
    );
    assert_eq!(&store.import_batch(report.batch_id).await.unwrap(), report);
}

async fn corpora_merge_across_batches(s: &TestStore) {
    let store = &s.store;
    let (osv, cve, csaf) = (
        files("vuln/osv/go"),
        files("vuln/cve5/go"),
        files("vuln/csaf/cisa"),
    );
    assert_eq!((osv.len(), cve.len(), csaf.len()), (3000, 239, 400));

    let r = import(s, "OSV", osv.clone()).await;
    assert_eq!((r.files, r.records), (3000, 3000));
    assert_eq!(
        r.formats,
        [FormatCount {
            format: Format::Osv,
            files: 3000,
            records: 3000
        }]
    );
    assert_eq!(outcome(&r), (3000, 0, 0, 0, 0));
    assert_eq!(store.count_assessments().await.unwrap(), 3000);
    check_on_ledger(s, &r).await;

    // The CVE records meet the stored OSV records they share ids with.
    let r = import(s, "CVE 5", cve.clone()).await;
    assert_eq!((r.files, r.records), (239, 239));
    assert_eq!(r.formats[0].format, Format::Cve5);
    assert_eq!(outcome(&r), (68, 171, 0, 171, 171));
    assert!(r.batch_groups.is_empty() && r.retired.is_empty());
    for g in &r.stored_groups {
        assert_eq!(g.incoming.len(), 1, "{g:?}");
        assert_eq!(g.display_id, g.incoming[0], "a CVE id is preferred");
        assert!(g.shared.contains(&g.display_id), "{g:?}");
    }
    assert_eq!(store.count_assessments().await.unwrap(), 3068);
    check_on_ledger(s, &r).await;

    // One record checked by hand: GO-2020-0003 and CVE-2020-36568.
    let revel = store
        .assessment_by_alias("go-2020-0003")
        .await
        .unwrap()
        .expect("by its Go id");
    let by_cve = store
        .assessment_by_alias("CVE-2020-36568")
        .await
        .unwrap()
        .expect("by its CVE id");
    assert_eq!(revel.id, by_cve.id);
    assert_eq!(revel.assessment.id, "CVE-2020-36568");
    let sources: Vec<_> = revel.assessment.sources.iter().map(|s| s.format).collect();
    assert_eq!(sources, [Some(Format::Osv), Some(Format::Cve5)]);
    assert_eq!(revel.row_version, 2, "created, then merged once");
    assert_eq!(
        store.assessment(revel.id).await.unwrap().assessment,
        revel.assessment
    );

    let r = import(s, "CSAF", csaf.clone()).await;
    assert_eq!((r.files, r.records), (400, 1107));
    assert_eq!(
        outcome(&r),
        (1095, 0, 0, 0, 10),
        "ten CVEs in two advisories"
    );
    assert_eq!(store.count_assessments().await.unwrap(), 4163);
    check_on_ledger(s, &r).await;
    let aliases = store.count_assessment_aliases().await.unwrap();

    // Everything again, in one batch: nothing new, nothing changed, no
    // source twice.
    let everything: Files = osv.into_iter().chain(cve).chain(csaf).collect();
    let events_before = store.event_count().await.unwrap();
    let r = import(s, "all again", everything).await;
    assert_eq!(r.records, 3000 + 239 + 1107);
    assert_eq!(r.formats.len(), 3);
    assert_eq!(outcome(&r), (0, 0, 4163, 0, 181));
    assert!(r.stored_groups.is_empty());
    assert_eq!(store.count_assessments().await.unwrap(), 4163);
    assert_eq!(store.count_assessment_aliases().await.unwrap(), aliases);
    let again = store.assessment(revel.id).await.unwrap();
    assert_eq!(again.assessment, revel.assessment);
    assert_eq!(again.row_version, revel.row_version, "not rewritten");
    assert_eq!(store.event_count().await.unwrap(), events_before + 1);
    check_on_ledger(s, &r).await;

    // Listing: newest first, filtered.
    let page = store
        .assessments(&AssessmentFilter {
            limit: 5,
            ..AssessmentFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 5);
    assert!(
        page.iter()
            .all(|a| a.assessment.sources[0].format == Some(Format::Csaf))
    );
    assert!(
        page.windows(2)
            .all(|w| (w[0].created_at, w[0].id) > (w[1].created_at, w[1].id))
    );
    let found = store
        .assessments(&AssessmentFilter {
            text: Some("ghsa-hggr-p7v6".into()),
            ..AssessmentFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, revel.id);
    let critical = store
        .assessments(&AssessmentFilter {
            tlp: vec![Tlp::Clear],
            report_states: vec![ReportState::Received],
            min_cvss: Some(9.0),
            limit: 10_000,
            ..AssessmentFilter::default()
        })
        .await
        .unwrap();
    assert!(!critical.is_empty());
    for a in &critical {
        assert_eq!(a.assessment.tlp, Tlp::Clear);
        let best = a.assessment.scores.iter().map(|s| s.cvss.base_score());
        assert!(best.fold(0.0, f64::max) >= 9.0, "{}", a.assessment.id);
    }
}
on_both!(corpora_merge_across_batches_, corpora_merge_across_batches);

async fn a_bad_file_rejects_the_whole_batch(s: &TestStore) {
    let store = &s.store;
    let mut batch: Files = files("vuln/osv/go").into_iter().take(50).collect();
    batch.insert(
        10,
        (
            "GO-2099-0001.json".into(),
            br#"{"id": "GO-2099-0001", "modified": "yesterday"}"#.to_vec(),
        ),
    );
    batch.push(("truncated.json".into(), b"{\"id\": 1,".to_vec()));
    let events = store.event_count().await.unwrap();
    let err = store
        .import_assessments(None, batch, Utc::now())
        .await
        .unwrap_err();
    let StoreError::ImportRejected { files, errors } = &err else {
        panic!("unexpected error {err:?}");
    };
    assert_eq!((*files, errors.len()), (52, 2));
    let text = err.to_string();
    for part in [
        "2 of 52 file(s) rejected",
        "GO-2099-0001.json",
        "/modified",
        "yesterday",
        "truncated.json",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text}");
    }
    assert_eq!(store.count_assessments().await.unwrap(), 0);
    assert_eq!(store.count_assessment_aliases().await.unwrap(), 0);
    assert_eq!(store.event_count().await.unwrap(), events);
}
on_both!(
    a_bad_file_rejects_the_whole_batch_,
    a_bad_file_rejects_the_whole_batch
);

fn osv(id: &str, aliases: &[&str]) -> (String, Vec<u8>) {
    let doc = serde_json::json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2024-01-01T00:00:00Z",
        "aliases": aliases,
        "summary": format!("summary of {id}"),
    });
    (format!("{id}.json"), serde_json::to_vec(&doc).unwrap())
}

async fn a_record_linking_two_stored_assessments_merges_them(s: &TestStore) {
    let store = &s.store;
    let first = import(
        s,
        "two records",
        vec![
            osv("GO-2099-0001", &[]),
            osv("PYSEC-2099-1", &["CVE-2099-1111"]),
        ],
    )
    .await;
    assert_eq!(outcome(&first), (2, 0, 0, 0, 0));
    let go = store
        .assessment_by_alias("GO-2099-0001")
        .await
        .unwrap()
        .unwrap();
    let cve = store
        .assessment_by_alias("CVE-2099-1111")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(go.id, cve.id);
    let older = go.id.min(cve.id);

    let bridge = import(
        s,
        "a bridge",
        vec![osv(
            "GHSA-aaaa-bbbb-cccc",
            &["GO-2099-0001", "CVE-2099-1111"],
        )],
    )
    .await;
    assert_eq!(outcome(&bridge), (0, 1, 0, 1, 1));
    let newer = go.id.max(cve.id);
    assert_eq!(bridge.retired, [newer]);
    let group = &bridge.stored_groups[0];
    assert_eq!(
        (group.id, group.display_id.as_str()),
        (older, "CVE-2099-1111")
    );
    assert_eq!(group.incoming, ["CVE-2099-1111"], "its own best alias");
    assert_eq!(group.absorbed.len(), 1);
    assert_eq!(group.shared, ["CVE-2099-1111", "GO-2099-0001"]);

    assert_eq!(store.count_assessments().await.unwrap(), 1);
    assert_eq!(store.count_assessment_aliases().await.unwrap(), 4);
    for alias in [
        "GO-2099-0001",
        "PYSEC-2099-1",
        "CVE-2099-1111",
        "ghsa-aaaa-bbbb-cccc",
    ] {
        let a = store.assessment_by_alias(alias).await.unwrap().unwrap();
        assert_eq!(a.id, older, "{alias}");
        assert_eq!(a.assessment.sources.len(), 3);
    }
    assert!(matches!(
        store.assessment(newer).await,
        Err(StoreError::NotFound { .. })
    ));
    let event = store.event(bridge.event_id).await.unwrap();
    assert_eq!(event.details["retired"][0], newer.to_string());
    assert_eq!(event.details["assessments"][0], older.to_string());

    // The same bridge again changes nothing.
    let again = import(
        s,
        "the bridge again",
        vec![osv(
            "GHSA-aaaa-bbbb-cccc",
            &["GO-2099-0001", "CVE-2099-1111"],
        )],
    )
    .await;
    assert_eq!(outcome(&again), (0, 0, 1, 0, 0));
}
on_both!(
    a_record_linking_two_stored_assessments_merges_them_,
    a_record_linking_two_stored_assessments_merges_them
);
