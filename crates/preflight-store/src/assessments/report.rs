//! What an import did: counted by format, and what merged with what.

use preflight_core::ids::EventId;
use preflight_vuln::{Format, MergeGroup};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The outcome of [`crate::Store::import_assessments`]. Also kept, as JSON,
/// in the batch's `import_batches` row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub batch_id: Uuid,
    /// The batch's event (and ledger entry).
    pub event_id: EventId,
    pub files: usize,
    /// Records read from the files (a CSAF advisory holds several).
    pub records: usize,
    /// Files and records of each format, in the order formats were first seen.
    pub formats: Vec<FormatCount>,
    /// New assessments.
    pub created: usize,
    /// Assessments of this batch (after merging within it) folded into
    /// stored ones that they changed.
    pub merged_into_existing: usize,
    /// Assessments of this batch that added nothing to the stored ones
    /// they match (a file imported again).
    pub unchanged: usize,
    /// Stored assessments changed by the import.
    pub updated: usize,
    /// Stored assessments that an import record linked to another stored
    /// assessment, merged into it and removed.
    pub retired: Vec<Uuid>,
    /// Records of this batch that merged with each other (the pure
    /// crate's report: input positions are record positions in file order).
    pub batch_groups: Vec<MergeGroup>,
    /// Batch assessments that merged with stored ones.
    pub stored_groups: Vec<StoredMerge>,
}

impl ImportReport {
    /// Merges of every kind: within the batch and with stored assessments.
    pub fn merge_groups(&self) -> usize {
        self.batch_groups.len() + self.stored_groups.len()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatCount {
    pub format: Format,
    pub files: usize,
    pub records: usize,
}

/// One stored assessment that batch assessments were folded into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMerge {
    /// The assessment that holds the result.
    pub id: Uuid,
    /// Its display id after the merge.
    pub display_id: String,
    /// Display ids of the batch's assessments folded in.
    pub incoming: Vec<String>,
    /// Other stored assessments merged into it (and retired), with the
    /// display ids they had.
    pub absorbed: Vec<(Uuid, String)>,
    /// Alias keys the batch shared with stored assessments: why they merged.
    pub shared: Vec<String>,
}
