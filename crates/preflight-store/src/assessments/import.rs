//! A transactional import: every file is read first (a batch with a bad
//! file writes nothing), the batch is merged by alias, then folded into the
//! stored assessments that share an alias, and everything (rows, aliases,
//! the batch row and its event) is written in one transaction.

use super::fold::{self, Plan};
use super::report::{FormatCount, ImportReport};
use super::write;
use crate::store::Backend;
use crate::{Store, StoreError, events, time};
use chrono::{DateTime, Utc};
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::UserId;
use preflight_vuln::{Assessment, Imported, Merged, VulnError};
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

/// The PostgreSQL advisory lock imports hold for their transaction, so two
/// imports never both see an alias as new. (On SQLite the write lock,
/// taken at `BEGIN IMMEDIATE`, already does this.)
const IMPORT_LOCK: i64 = 0x0050_465f_5655_4c4e; // "PF_VULN"

/// Files below this many are read on one thread.
const FILES_PER_THREAD: usize = 64;

/// A read and merged batch, before it meets the store.
struct Batch {
    formats: Vec<FormatCount>,
    records: usize,
    merged: Merged,
}

impl Store {
    /// Imports `files` (`(file name, contents)`; each file's format is
    /// detected from its content) as one batch: all of it or nothing. If any
    /// file cannot be read, nothing is written and the error lists every
    /// failing file with the JSON path and value at fault. Records sharing
    /// an alias (with each other or with stored assessments) become one
    /// assessment keeping every source; importing a file again adds nothing.
    /// The batch is recorded with one event, by `actor` (`None` for the
    /// instance itself).
    pub async fn import_assessments(
        &self,
        actor: Option<UserId>,
        files: Vec<(String, Vec<u8>)>,
        now: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        let file_count = files.len();
        // Reading is CPU work: off the async workers.
        let batch = match tokio::task::spawn_blocking(move || read_batch(files)).await {
            Ok(batch) => batch?,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        };
        let incoming_keys: Vec<BTreeSet<String>> =
            batch.merged.assessments.iter().map(fold::keys).collect();
        let all_keys: Vec<&str> = incoming_keys.iter().flatten().map(String::as_str).collect();

        let mut tx = self.begin().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock($1)")
                .bind(IMPORT_LOCK)
                .fetch_one(&mut *tx)
                .await?;
        }
        let found = write::lookup_aliases(&mut tx, &all_keys).await?;
        let components = fold::components(&incoming_keys, &found);
        let stored_ids: Vec<Uuid> = components
            .iter()
            .flat_map(|c| c.stored.iter().copied())
            .collect();
        let stored = write::load(&mut tx, &stored_ids).await?;
        // An alias whose owner is gone means a concurrent change.
        let plan = fold::plan(batch.merged.assessments, components, stored, Uuid::now_v7)
            .map_err(|_| StoreError::Concurrent("assessment"))?;

        write::insert_assessments(&mut tx, &plan.creates, now).await?;
        for retire in &plan.retires {
            write::retire(&mut tx, retire).await?;
        }
        for update in &plan.updates {
            write::update(&mut tx, update, now).await?;
        }
        write::insert_aliases(&mut tx, &new_aliases(&plan)).await?;

        let batch_id = Uuid::now_v7();
        let changed: Vec<Uuid> = plan
            .creates
            .iter()
            .map(|(id, _)| *id)
            .chain(plan.updates.iter().map(|u| u.id))
            .collect();
        let retired: Vec<Uuid> = plan.retires.iter().map(|r| r.id).collect();
        let mut event = Event::new(EventKind::AssessmentsImported, None, actor, now, json!({}));
        let report = ImportReport {
            batch_id,
            event_id: event.id,
            files: file_count,
            records: batch.records,
            formats: batch.formats,
            created: plan.creates.len(),
            merged_into_existing: plan.merged_into_existing,
            unchanged: plan.unchanged,
            updated: plan.updates.len(),
            retired: retired.clone(),
            batch_groups: batch.merged.report.groups,
            stored_groups: plan.stored_groups,
        };
        event.details = json!({
                "batch_id": batch_id,
                "files": report.files,
                "records": report.records,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "merge_groups": report.merge_groups(),
                "assessments": changed,
                "retired": retired,
        });
        let body = serde_json::to_string(&report).map_err(|e| StoreError::corrupt("report", e))?;
        sqlx::query(
            "INSERT INTO import_batches (id, actor, imported_at, files, records, created, merged, report) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(batch_id.to_string())
        .bind(actor.map(|a| a.to_string()))
        .bind(time::encode(now))
        .bind(count(report.files))
        .bind(count(report.records))
        .bind(count(report.created))
        .bind(count(report.merged_into_existing))
        .bind(body)
        .execute(&mut *tx)
        .await?;
        events::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The report of an earlier import.
    pub async fn import_batch(&self, id: Uuid) -> Result<ImportReport, StoreError> {
        use sqlx::Row;
        let row = sqlx::query("SELECT report FROM import_batches WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "import batch",
                id: id.to_string(),
            })?;
        serde_json::from_str(&row.try_get::<String, _>("report")?)
            .map_err(|e| StoreError::corrupt("import batch", e))
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Every alias key the plan brings in: all of a new assessment's, and those
/// of an updated one that no assessment of its group had.
fn new_aliases(plan: &Plan) -> Vec<(String, Uuid)> {
    let created = plan
        .creates
        .iter()
        .flat_map(|(id, a)| fold::keys(a).into_iter().map(move |k| (k, *id)));
    let updated = plan
        .updates
        .iter()
        .flat_map(|u| u.new_keys.iter().map(move |k| (k.clone(), u.id)));
    created.chain(updated).collect()
}

/// Reads every file (on all cores for a large batch), then merges the
/// records by alias. Any unreadable file fails the batch, naming them all.
fn read_batch(files: Vec<(String, Vec<u8>)>) -> Result<Batch, StoreError> {
    let results = read_all(&files);
    let file_count = files.len();
    drop(files);
    let mut formats: Vec<FormatCount> = Vec::new();
    let mut errors: Vec<VulnError> = Vec::new();
    let mut records: Vec<Assessment> = Vec::new();
    for result in results {
        match result {
            Ok(imported) => {
                let n = imported.assessments.len();
                match formats.iter_mut().find(|f| f.format == imported.format) {
                    Some(f) => {
                        f.files += 1;
                        f.records += n;
                    }
                    None => formats.push(FormatCount {
                        format: imported.format,
                        files: 1,
                        records: n,
                    }),
                }
                records.extend(imported.assessments);
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::ImportRejected {
            files: file_count,
            errors,
        });
    }
    Ok(Batch {
        formats,
        records: records.len(),
        merged: preflight_vuln::merge(records),
    })
}

/// `preflight_vuln::import` of each file, in file order.
fn read_all(files: &[(String, Vec<u8>)]) -> Vec<Result<Imported, VulnError>> {
    let read = |part: &[(String, Vec<u8>)]| -> Vec<Result<Imported, VulnError>> {
        part.iter()
            .map(|(name, bytes)| preflight_vuln::import(name, bytes))
            .collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().div_ceil(FILES_PER_THREAD))
        .max(1);
    if threads == 1 {
        return read(files);
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| s.spawn(move || read(part)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}
